package dialer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/agentswitch/agentswitch/internal/mailbox"
)

// cdrWriter writes call records in the background, in order, so a call's
// hot path (answer -> reserve -> bridge) never waits for SQLite. A burst of
// writes shares one commit when the store can batch. Dispose waits for the
// writes of its call with flush.
type cdrWriter struct {
	log   CallLog
	l     *slog.Logger
	queue *mailbox.Mailbox[cdrItem]
	done  chan struct{}
}

// cdrItem is a write, or (with flushed set) a marker closed once everything
// before it is committed. A write with result set gets its error there
// once its batch is committed.
type cdrItem struct {
	write   func(context.Context) error
	result  chan error
	flushed chan struct{}
}

// batcher is a store that can run several writes under one commit.
type batcher interface {
	Batch(ctx context.Context, fn func(context.Context) error) error
}

func newCDRWriter(log CallLog, l *slog.Logger) *cdrWriter {
	return &cdrWriter{log: log, l: l, queue: mailbox.New[cdrItem](), done: make(chan struct{})}
}

func (w *cdrWriter) add(f func(context.Context) error) { w.put(cdrItem{write: f}) }

func (w *cdrWriter) put(it cdrItem) { w.queue.Post(it) }

// run writes until ctx ends, then drains what is queued.
func (w *cdrWriter) run(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			w.drain(context.WithoutCancel(ctx))
			return
		case <-w.queue.Wake():
		}
		// Let a burst gather (a call's answer brings several writes at
		// once) so it shares one commit and the answer's reservation and
		// bridge are not competing with SQLite for the CPU.
		select {
		case <-ctx.Done():
		case <-time.After(cdrGather):
		}
		// Not cut short by a stop: records queued before it are written.
		w.drain(context.WithoutCancel(ctx))
	}
}

// cdrGather is how long writes may wait to share a commit.
const cdrGather = 20 * time.Millisecond

func (w *cdrWriter) drain(ctx context.Context) {
	for {
		items := w.queue.Drain()
		if len(items) == 0 {
			return
		}
		errs := make([]error, len(items))
		if b, ok := w.log.(batcher); ok && len(items) > 1 {
			err := b.Batch(ctx, func(ctx context.Context) error {
				w.writeAll(ctx, items, errs, true)
				return nil
			})
			if err != nil {
				w.l.Error("call record batch failed", "err", err, "writes", len(items))
				for i := range errs {
					errs[i] = err
				}
			}
		} else {
			w.writeAll(ctx, items, errs, false)
		}
		for i, it := range items {
			if it.flushed != nil {
				close(it.flushed)
			}
			if it.result != nil {
				it.result <- errs[i]
			}
		}
	}
}

// writeAll runs the writes in order. Inside a batch (one transaction
// already holding the store's writer) a write is neither timed out nor
// retried: a deadline firing would abort the whole transaction, and a
// write refused there fails the same way again.
func (w *cdrWriter) writeAll(ctx context.Context, items []cdrItem, errs []error, batched bool) {
	for i, it := range items {
		if it.write == nil {
			continue
		}
		if batched {
			errs[i] = it.write(ctx)
		} else {
			errs[i] = w.retried(ctx, it.write)
		}
		if errs[i] != nil && it.result == nil {
			w.l.Error("call record write failed", "err", errs[i])
		}
	}
}

// retried runs a write on its own, retried briefly when the store fails
// (not when it refuses): a lost CDR is worse than a late one.
func (w *cdrWriter) retried(ctx context.Context, write func(context.Context) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = write(wctx)
		cancel()
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrInvalid) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			break
		}
	}
	return err
}

// do queues f behind the writes already queued and waits until its batch
// is committed; its error is f's own, or the commit's.
func (w *cdrWriter) do(ctx context.Context, f func(context.Context) error) error {
	res := make(chan error, 1)
	w.put(cdrItem{write: f, result: res})
	select {
	case err := <-res:
		return err
	case <-w.done:
		// The writer stopped: it wrote what was queued before it did.
		select {
		case err := <-res:
			return err
		default:
			return context.Canceled
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush waits until everything queued before it is committed.
func (w *cdrWriter) flush(ctx context.Context) error {
	done := make(chan struct{})
	w.put(cdrItem{flushed: done})
	select {
	case <-done:
		return nil
	case <-w.done:
		return nil // the writer has stopped, after writing what was queued
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CDRQueueLen is how many call-record writes wait to be committed; a
// queue that keeps growing means the database cannot keep up.
func (e *Engine) CDRQueueLen() int { return e.cdr.queue.Len() }
