package sim

import (
	"container/heap"
	"sync"
	"time"
)

// task is a timed action on the simulation. It runs with Server.mu held.
type task struct {
	at       time.Time
	seq      uint64
	fn       func()
	canceled bool
	index    int
}

// cancel stops a task that has not run yet. Callers hold Server.mu.
func (t *task) cancel() {
	if t != nil {
		t.canceled = true
	}
}

type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *taskHeap) Push(x any)   { t := x.(*task); t.index = len(*h); *h = append(*h, t) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// scheduler runs every timed action of the simulation from one goroutine,
// so thousands of channels cost a heap entry each rather than a goroutine.
type scheduler struct {
	mu   *sync.Mutex // Server.mu, held while tasks run
	heap taskHeap
	seq  uint64
	wake chan struct{}
}

func newScheduler(mu *sync.Mutex) *scheduler {
	return &scheduler{mu: mu, wake: make(chan struct{}, 1)}
}

// after schedules fn to run d from now. Callers hold Server.mu.
func (sc *scheduler) after(d time.Duration, fn func()) *task {
	sc.seq++
	t := &task{at: time.Now().Add(d), seq: sc.seq, fn: fn}
	heap.Push(&sc.heap, t)
	if t.index == 0 {
		select {
		case sc.wake <- struct{}{}:
		default:
		}
	}
	return t
}

// clear drops every pending task. Callers hold Server.mu.
func (sc *scheduler) clear() {
	for _, t := range sc.heap {
		t.canceled = true
	}
	sc.heap = sc.heap[:0]
}

// run executes due tasks until stop is closed.
func (sc *scheduler) run(stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		sc.mu.Lock()
		now := time.Now()
		for len(sc.heap) > 0 {
			t := sc.heap[0]
			if t.at.After(now) {
				break
			}
			heap.Pop(&sc.heap)
			if !t.canceled {
				t.canceled = true
				t.fn()
			}
		}
		wait := time.Hour
		if len(sc.heap) > 0 {
			wait = time.Until(sc.heap[0].at)
		}
		sc.mu.Unlock()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-stop:
			return
		case <-sc.wake:
		case <-timer.C:
		}
	}
}
