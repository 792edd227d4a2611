package esl

import "time"

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

// seqHeap is a min-heap on seq. It is written out rather than built on
// container/heap, whose Push and Pop box each heldEvent in an interface:
// two allocations per event on the delivery path.
type seqHeap []heldEvent

func (h seqHeap) Len() int { return len(h) }

func (h *seqHeap) push(x heldEvent) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].seq <= s[i].seq {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *seqHeap) pop() heldEvent {
	s := *h
	x := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = heldEvent{}
	s = s[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].seq < s[l].seq {
			m = r
		}
		if s[i].seq <= s[m].seq {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
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
	r.pending.push(heldEvent{ev: ev, seq: seq, arrived: now})
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
	r.pending.pop()
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
