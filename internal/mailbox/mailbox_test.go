package mailbox

import (
	"slices"
	"sync"
	"testing"
)

func TestOrderAndBatch(t *testing.T) {
	m := New[int]()
	if b := m.Drain(); b != nil {
		t.Fatalf("empty mailbox drained %v", b)
	}
	for i := range 5 {
		m.Post(i)
	}
	if n := m.Len(); n != 5 {
		t.Fatalf("Len = %d, want 5", n)
	}
	select {
	case <-m.Wake():
	default:
		t.Fatal("no wake-up after Post")
	}
	if b := m.Drain(); !slices.Equal(b, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("batch = %v, want 0..4 in order", b)
	}
	if b := m.Drain(); b != nil {
		t.Fatalf("second drain = %v, want nothing", b)
	}
}

func TestRecycleDoesNotLeakOldItems(t *testing.T) {
	m := New[*int]()
	one, two := 1, 2
	m.Post(&one)
	b := m.Drain()
	m.Recycle(b)
	if b[:1][0] != nil {
		t.Fatal("recycled batch still holds its items")
	}
	m.Post(&two)
	if got := m.Drain(); len(got) != 1 || *got[0] != 2 {
		t.Fatalf("after recycle drained %v", got)
	}
}

// TestNoLostWakeups: many posters, one reader that sleeps only on Wake;
// every item arrives, each poster's items in its order.
func TestNoLostWakeups(t *testing.T) {
	const posters, each = 16, 2000
	type msg struct{ from, n int }
	m := New[msg]()
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				m.Post(msg{p, i})
			}
		})
	}
	next := make([]int, posters)
	for got := 0; got < posters*each; {
		<-m.Wake()
		b := m.Drain()
		for _, v := range b {
			if v.n != next[v.from] {
				t.Fatalf("poster %d: got %d, want %d", v.from, v.n, next[v.from])
			}
			next[v.from]++
		}
		got += len(b)
		m.Recycle(b)
	}
	wg.Wait()
	if b := m.Drain(); b != nil {
		t.Fatalf("left over: %v", b)
	}
}
