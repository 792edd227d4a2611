package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentswitch/agentswitch/internal/metrics"
	"github.com/agentswitch/agentswitch/notify"
)

// notifyStopWait is how long a stopping service goes on sending the
// e-mails and text messages still queued.
const notifyStopWait = 10 * time.Second

// startNotifier builds the mailer and SMS provider behind their queue;
// the queue stops when st closes, after what was started later (the
// engine, the HTTP server) and may still send.
func startNotifier(cfg *Config, log *slog.Logger, now func() time.Time, mx *metrics.Metrics, st *stack) (*notify.Notifier, error) {
	log = log.With("component", "notify")
	s, err := cfg.Notify.senders(log, now)
	if err != nil {
		return nil, err
	}
	n := notify.NewNotifier(s, notify.QueueConfig{Now: now, Log: log, Observe: mx.NotifyObserver()})
	st.onClose(func() {
		ctx, cancel := context.WithTimeout(context.Background(), notifyStopWait)
		defer cancel()
		n.Queue.Stop(ctx)
	})
	return n, nil
}
