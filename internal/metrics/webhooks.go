package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PendingWebhooks counts the webhook deliveries waiting (the outbox).
type PendingWebhooks interface {
	PendingWebhookDeliveries(ctx context.Context) (int, error)
}

// Webhooks registers the webhook figures: attempts by result, and the
// outbox's depth read at each scrape. It returns the observer of attempts
// (webhooks.Config's Observe).
func (m *Metrics) Webhooks(pending PendingWebhooks) func(result string) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "webhook", Name: "deliveries_total",
		Help: "Webhook delivery attempts by result: delivered, retry, failed (given up) or disabled (410 Gone).",
	}, []string{"result"})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "webhook", Name: "queue_depth",
		Help: "Webhook deliveries pending (due now or waiting for a retry).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := pending.PendingWebhookDeliveries(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.reg.MustRegister(attempts, depth)
	return func(result string) { attempts.WithLabelValues(result).Inc() }
}
