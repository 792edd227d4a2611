package dialer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

// batchLog is a call log that can batch: it counts its commits.
type batchLog struct {
	CallLog
	mu      sync.Mutex
	commits int
}

func (b *batchLog) Batch(ctx context.Context, fn func(context.Context) error) error {
	err := fn(ctx)
	b.mu.Lock()
	b.commits++
	b.mu.Unlock()
	return err
}

// TestCDRWriterDo: a write waited for runs after those queued before it,
// in their batch, and its caller gets its own error; the others' errors
// are logged, not returned to it.
func TestCDRWriterDo(t *testing.T) {
	log := &batchLog{}
	w := newCDRWriter(log, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	defer func() { cancel(); <-w.done }()
	go w.run(ctx)

	var mu sync.Mutex
	var order []string
	note := func(s string) func(context.Context) error {
		return func(context.Context) error { mu.Lock(); order = append(order, s); mu.Unlock(); return nil }
	}
	refused := &FieldError{Field: "code", Reason: "unknown disposition"}
	w.add(note("finish"))
	w.add(func(context.Context) error { return errors.New("someone else's failure") })
	if err := w.do(ctx, note("dispose")); err != nil {
		t.Fatalf("do = %v", err)
	}
	mu.Lock()
	got := slices.Clone(order)
	mu.Unlock()
	if !slices.Equal(got, []string{"finish", "dispose"}) {
		t.Fatalf("writes ran as %v", got)
	}
	if err := w.do(ctx, func(context.Context) error { return refused }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("do = %v, want the write's own refusal", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.commits == 0 {
		t.Fatal("no batch committed")
	}
}
