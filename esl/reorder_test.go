package esl

import (
	"strconv"
	"testing"
	"time"
)

func seqEvent(seq int) *Event {
	return NewEvent(Header{{"Event-Name", "CHANNEL_STATE"}, {"Event-Sequence", strconv.Itoa(seq)}}, nil)
}

func drain(r *reorderer, now time.Time, drained bool) []uint64 {
	var out []uint64
	for ev := r.pop(now, drained); ev != nil; ev = r.pop(now, drained) {
		out = append(out, ev.Sequence())
	}
	return out
}

func TestReorderer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name    string
		window  time.Duration
		in      []int
		drained bool
		after   time.Duration
		want    []uint64
		dups    uint64
	}{
		{"in order, socket not drained: contiguous ones still flow", 0, []int{1, 2, 3}, false, 0, []uint64{1, 2, 3}, 0},
		{"gap held while the socket has more", 0, []int{1, 3}, false, 0, []uint64{1}, 0},
		{"burst reordered at drain", 0, []int{5, 3, 4, 9, 7}, true, 0, []uint64{3, 4, 5, 7, 9}, 0},
		{"duplicates dropped", 0, []int{3, 3, 4, 4, 4, 5}, true, 0, []uint64{3, 4, 5}, 3},
		{"window holds a gap after drain", 50 * time.Millisecond, []int{10, 12}, true, 10 * time.Millisecond, nil, 0},
		{"window expired releases in order", 50 * time.Millisecond, []int{12, 10}, true, 60 * time.Millisecond, []uint64{10, 12}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReorderer(tc.window)
			for _, s := range tc.in {
				r.push(seqEvent(s), t0)
			}
			got := drain(r, t0.Add(tc.after), tc.drained)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v want %v", got, tc.want)
				}
			}
			if r.dups != tc.dups {
				t.Fatalf("dups %d want %d", r.dups, tc.dups)
			}
		})
	}
}

func TestReordererLateAndReset(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := newReorderer(0)
	r.push(seqEvent(10), t0)
	drain(r, t0, true)
	// 8 arrives after 10 was delivered: delivered at once, counted late.
	r.push(seqEvent(8), t0)
	if got := drain(r, t0, false); len(got) != 1 || got[0] != 8 || r.late != 1 {
		t.Fatalf("late: %v late=%d", got, r.late)
	}
	// A restarted FreeSWITCH counts from 1 again: after reset, 1 is not a duplicate.
	r.push(seqEvent(10), t0)
	if r.dups != 1 {
		t.Fatalf("dup of 10 not seen: %d", r.dups)
	}
	r.reset()
	r.push(seqEvent(1), t0)
	if got := drain(r, t0, true); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after reset: %v", got)
	}
	if w, ok := newReorderer(time.Second).wake(); ok || !w.IsZero() {
		t.Fatal("empty reorderer wants a wake-up")
	}
}
