package esl

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestJobOnDone: a callback runs exactly once whether it is registered
// before, during or after the result becomes known.
func TestJobOnDone(t *testing.T) {
	for range 200 {
		j := &Job{done: make(chan struct{})}
		var calls atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { j.OnDone(func() { calls.Add(1) }) })
		}
		wg.Go(j.finish)
		wg.Wait()
		j.OnDone(func() { calls.Add(1) })
		if n := calls.Load(); n != 5 {
			t.Fatalf("%d callbacks ran, want 5", n)
		}
	}
}
