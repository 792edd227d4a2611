package esl

import (
	"container/heap"
	"time"
)

// reorderer puts one connection's events back in Event-Sequence order and
// drops duplicates.
//
// FreeSWITCH numbers events when it creates them but several threads fire
// them, so the socket can carry 563 before 562. Sequence numbers have gaps
// (we subscribe to a subset), so a missing number cannot be told from an
// unsubscribed one: events are held until the reader has drained what the
// socket already delivered and, when a window is set, for that long. The
// window trades latency for tolerance: 0 reorders each burst read off the
// socket without ever waiting.
type reorderer struct {
	window  time.Duration
	maxHeld int
	pending seqHeap
	last    uint64 // highest sequence delivered
	seen    [dedupSlots]uint64
	late    uint64 // delivered after a higher sequence (count)
	dups    uint64 // dropped duplicates (count)
}

const dedupSlots = 1 << 14

type heldEvent struct {
	ev      *Event
	seq     uint64
	arrived time.Time
}

type seqHeap []heldEvent

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(heldEvent)) }
func (h *seqHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldEvent{}
	*h = old[:len(old)-1]
	return x
}

func newReorderer(window time.Duration) *reorderer {
	return &reorderer{window: window, maxHeld: 4096}
}

// reset forgets sequence history: a new FreeSWITCH process counts from 1.
func (r *reorderer) reset() {
	r.last = 0
	r.seen = [dedupSlots]uint64{}
}

// push accepts an event; it reports false for a duplicate, which is dropped.
func (r *reorderer) push(ev *Event, now time.Time) bool {
	seq := ev.Sequence()
	if seq != 0 {
		slot := &r.seen[seq%dedupSlots]
		if *slot == seq {
			r.dups++
			return false
		}
		*slot = seq
	}
	heap.Push(&r.pending, heldEvent{ev: ev, seq: seq, arrived: now})
	return true
}

// pop returns the next event that may be delivered, or nil. drained says
// the reader holds no unread bytes from the socket.
func (r *reorderer) pop(now time.Time, drained bool) *Event {
	if len(r.pending) == 0 {
		return nil
	}
	head := r.pending[0]
	ok := head.seq == 0 || head.seq == r.last+1 || head.seq <= r.last ||
		len(r.pending) > r.maxHeld ||
		drained && (r.window == 0 || now.Sub(r.oldest()) >= r.window)
	if !ok {
		return nil
	}
	heap.Pop(&r.pending)
	if head.seq != 0 {
		if head.seq < r.last {
			r.late++
		} else {
			r.last = head.seq
		}
	}
	return head.ev
}

// oldest is the arrival of the event held longest; the window runs from it.
func (r *reorderer) oldest() time.Time {
	t := r.pending[0].arrived
	for _, h := range r.pending[1:] {
		if h.arrived.Before(t) {
			t = h.arrived
		}
	}
	return t
}

// wake reports when pop may next succeed while held events wait for the window.
func (r *reorderer) wake() (time.Time, bool) {
	if len(r.pending) == 0 || r.window == 0 {
		return time.Time{}, false
	}
	return r.oldest().Add(r.window), true
}
