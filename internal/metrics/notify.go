package metrics

import "github.com/prometheus/client_golang/prometheus"

// NotifyObserver registers the e-mail and SMS counter and returns what
// counts into it (notify.QueueConfig's Observe). Call it once.
func (m *Metrics) NotifyObserver() func(kind, result string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "notify", Name: "messages_total",
		Help: "E-mails and text messages by kind (mail, sms) and result (sent, retried, failed, dropped).",
	}, []string{"kind", "result"})
	m.reg.MustRegister(c)
	return func(kind, result string) { c.WithLabelValues(kind, result).Inc() }
}
