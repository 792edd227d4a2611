package mailbox

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestActorOrderAndNoOverlap: many posters; the handler is never entered
// twice at once, every message arrives once, each poster's in its order.
func TestActorOrderAndNoOverlap(t *testing.T) {
	const posters, each = 16, 3000
	type msg struct{ from, n int }
	var (
		g     Group
		in    atomic.Int32
		next  = make([]int, posters) // owned by the handler
		total atomic.Int64
	)
	a := NewActor(&g, func(b []msg) {
		if in.Add(1) != 1 {
			t.Error("handler entered twice at once")
		}
		for _, v := range b {
			if v.n != next[v.from] {
				t.Errorf("poster %d: got %d, want %d", v.from, v.n, next[v.from])
			}
			next[v.from]++
		}
		total.Add(int64(len(b)))
		in.Add(-1)
	})
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				a.Post(msg{p, i})
				if i%500 == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Wait()
	g.Close()
	if n := total.Load(); n != posters*each {
		t.Fatalf("handled %d messages, want %d", n, posters*each)
	}
	if a.Len() != 0 {
		t.Fatalf("%d messages left", a.Len())
	}
}

// TestActorIdleCostsNoGoroutine: once its mailbox is empty an actor's
// goroutine is gone, and the next post starts one again.
func TestActorIdleCostsNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		got := make(chan int, 10)
		actors := make([]*Actor[int], 100)
		for i := range actors {
			actors[i] = NewActor(&g, func(b []int) {
				for _, v := range b {
					got <- v
				}
			})
		}
		base := runtime.NumGoroutine()
		for round := range 3 {
			actors[round].Post(round)
			if v := <-got; v != round {
				t.Fatalf("got %d, want %d", v, round)
			}
			synctest.Wait()
			if n := runtime.NumGoroutine(); n != base {
				t.Fatalf("round %d: %d goroutines with every actor idle, want %d", round, n, base)
			}
		}
		g.Close()
	})
}

// TestClosedGroupServesNothing: Close waits for the batch in progress;
// after it nothing posted is handled and Go refuses.
func TestClosedGroupServesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		release := make(chan struct{})
		var handled atomic.Int32
		a := NewActor(&g, func(b []int) {
			if b[0] == 1 {
				<-release
			}
			handled.Add(int32(len(b)))
		})
		a.Post(1)
		closed := make(chan struct{})
		go func() { g.Close(); close(closed) }()
		// Every goroutine is now blocked: the handler on release, Close
		// on the running batch.
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a handler was running")
		default:
		}
		close(release)
		<-closed
		if handled.Load() != 1 {
			t.Fatalf("handled %d, want 1", handled.Load())
		}
		a.Post(2)
		if g.Go(func() { t.Error("ran after Close") }) {
			t.Fatal("Go accepted work after Close")
		}
		synctest.Wait()
		if handled.Load() != 1 {
			t.Fatalf("handled %d after Close, want 1", handled.Load())
		}
	})
}
