package dialer

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// cdrWriter writes call records in the background, in order, so a call's
// hot path (answer -> reserve -> bridge) never waits for SQLite. Dispose
// waits for the writes of its call with flush.
type cdrWriter struct {
	log   CallLog
	l     *slog.Logger
	mu    sync.Mutex
	queue []func(context.Context) error
	wake  chan struct{}
	done  chan struct{}
}

func newCDRWriter(log CallLog, l *slog.Logger) *cdrWriter {
	return &cdrWriter{log: log, l: l, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (w *cdrWriter) add(f func(context.Context) error) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run writes until ctx ends, then drains what is queued.
func (w *cdrWriter) run(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			w.drain(context.WithoutCancel(ctx))
			return
		case <-w.wake:
		}
		w.drain(ctx)
	}
}

func (w *cdrWriter) drain(ctx context.Context) {
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		w.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		for _, f := range batch {
			// A record write is retried briefly: SQLite only fails here
			// when the disk does, and a lost CDR is worse than a late one.
			var err error
			for attempt := 0; attempt < 3; attempt++ {
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = f(wctx)
				cancel()
				if err == nil || ctx.Err() != nil {
					break
				}
			}
			if err != nil {
				w.l.Error("call record write failed", "err", err)
			}
		}
	}
}

// flush waits until everything queued before it is written.
func (w *cdrWriter) flush(ctx context.Context) error {
	done := make(chan struct{})
	w.add(func(context.Context) error { close(done); return nil })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
