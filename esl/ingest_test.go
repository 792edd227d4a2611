package esl_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/internal/blaster"
)

// engineReads reads from ev what the engine's decoder (dialer/events.go,
// decodeEvent) reads for its kind, so the ingest figures include the
// header lookups a real consumer pays, absent headers among them.
func engineReads(ev *esl.Event) int {
	n := len(ev.Kind()) + len(ev.UniqueID())
	switch ev.Kind() {
	case esl.EventChannelAnswer:
		n += ev.Time().Nanosecond()
	case esl.EventChannelBridge:
		n += len(ev.Get("Bridge-B-Unique-ID"))
	case esl.EventChannelHangup, esl.EventChannelHangupComplete:
		n += ev.Time().Nanosecond() + ev.ProfileTime("Caller-Channel-Answered-Time").Nanosecond() + len(ev.HangupCause())
	case esl.EventChannelPark:
		n += ev.Time().Nanosecond() + ev.ProfileTime("Caller-Channel-Answered-Time").Nanosecond()
		if ev.Get("Call-Direction") == "inbound" {
			n += len(ev.Var("agentswitch_leg_role")) + len(ev.Var("agentswitch_did")) + len(ev.Var("agentswitch_dialed"))
		}
	case esl.EventChannelExecuteComplete:
		if ev.Get("Application") == "bridge" {
			n += len(ev.Var("originate_disposition"))
		}
	case esl.SubclassConference:
		n += len(ev.Get("Action")) + len(ev.Get("Member-ID"))
	}
	return n
}

// seqChecker is a Handler that reads each event as the engine does and
// checks that Event-Sequence goes up by exactly one: no gap, no reorder,
// no replay.
type seqChecker struct {
	want     int64
	n        atomic.Int64
	bad      atomic.Int64
	first    atomic.Value // string: the first bad transition
	last     uint64
	sink     int
	done, up chan struct{}
}

func newSeqChecker(want int64) *seqChecker {
	return &seqChecker{want: want, done: make(chan struct{}), up: make(chan struct{}, 1)}
}

func (h *seqChecker) HandleEvent(_ string, ev *esl.Event) {
	h.sink += engineReads(ev)
	seq := ev.Sequence()
	if h.last != 0 && seq != h.last+1 {
		if h.bad.Add(1) == 1 {
			h.first.Store(fmt.Sprintf("%d after %d", seq, h.last))
		}
	}
	h.last = seq
	if h.n.Add(1) == h.want {
		close(h.done)
	}
}

func (h *seqChecker) HandleNode(st esl.NodeState) {
	if st.Up {
		select {
		case h.up <- struct{}{}:
		default:
		}
	}
}

func (h *seqChecker) check(t testing.TB) {
	if b := h.bad.Load(); b != 0 {
		t.Fatalf("%d events out of sequence, first %v", b, h.first.Load())
	}
}

// lifeChecker is a Handler that follows each channel through
// blaster.Stages and counts transitions that come out of order.
type lifeChecker struct {
	*seqChecker
	stage   map[string]int
	order   map[string]int
	late    int64
	ended   int64
	firstOO string
	// clone copies the channel ids it keeps, for a client that recycles
	// its events' memory.
	clone bool
}

func newLifeChecker(want int64) *lifeChecker {
	h := &lifeChecker{seqChecker: newSeqChecker(want), stage: map[string]int{}, order: map[string]int{}}
	for i, s := range blaster.Stages {
		h.order[s] = i
	}
	return h
}

func (h *lifeChecker) HandleEvent(node string, ev *esl.Event) {
	id, st := ev.UniqueID(), h.order[ev.Kind()]
	if next := h.stage[id]; st != next {
		if h.late++; h.late == 1 {
			h.firstOO = fmt.Sprintf("%s: %s when %s was due", id, ev.Kind(), blaster.Stages[next])
		}
	}
	if st == len(blaster.Stages)-1 {
		delete(h.stage, id)
		h.ended++
	} else {
		if h.clone {
			// Assigning to a string key replaces the key: copy it each time.
			id = strings.Clone(id)
		}
		h.stage[id] = st + 1
	}
	h.seqChecker.HandleEvent(node, ev)
}

// runLifecycle plays a lifecycle stream to a client and waits for every
// event (after duplicates are dropped).
func runLifecycle(t testing.TB, l *blaster.Lifecycle, want int64, recycle bool) (*lifeChecker, *esl.Client, time.Duration) {
	srv, err := blaster.New(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.Life = l
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := newLifeChecker(want)
	h.clone = recycle
	cl, err := esl.New(esl.Config{Nodes: []esl.Node{{Name: "life", Addr: addr, Password: "x"}}, Events: []string{"ALL"},
		BackoffMin: 10 * time.Millisecond, RecycleEvents: recycle}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() { cl.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-h.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("only %d of %d events", h.n.Load(), want)
	}
	return h, cl, time.Since(start)
}

// TestLifecycleOrder: 50,000 events of 1,000 channels alive at once, one
// pair in 50 written out of order on the wire, reach the handler with every
// channel's transitions in order and the sequence unbroken.
func TestLifecycleOrder(t *testing.T) {
	const total = 50_000
	l, err := blaster.NewLifecycle(1000, total, 50)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := runLifecycle(t, l, total, false)
	h.check(t)
	if h.late != 0 {
		t.Fatalf("%d transitions out of order, first %s", h.late, h.firstOO)
	}
	if h.ended < total/int64(len(blaster.Stages))-1000 {
		t.Fatalf("only %d channels ended", h.ended)
	}
}

// TestRecycledEvents: with RecycleEvents the client reads the socket into
// the memory of events already handled. 50,000 events of 1,000 channels
// (about 200 MB of text through a few reused megabytes) reach a handler
// that copies what it keeps, in order and with their text intact, and the
// channel ids the client keeps for routing are its own copies: a key left
// pointing into a recycled buffer would turn into some other text.
func TestRecycledEvents(t *testing.T) {
	const total = 50_000
	l, err := blaster.NewLifecycle(1000, total, 50)
	if err != nil {
		t.Fatal(err)
	}
	h, cl, _ := runLifecycle(t, l, total, true)
	h.check(t)
	if h.late != 0 {
		t.Fatalf("%d transitions out of order, first %s", h.late, h.firstOO)
	}
	ids := esl.OwnedChannels(cl)
	channels := total/len(blaster.Stages) + 1000
	if len(ids) < channels-1000 {
		t.Fatalf("the client owns %d channels, want about %d", len(ids), channels)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "00000000-0000-4000-8000-"))
		if err != nil || n < 0 || n >= channels || blaster.UUID(n) != id || seen[id] {
			t.Fatalf("owned channel id %q is not one the stream sent (or twice)", id)
		}
		seen[strings.Clone(id)] = true
	}
}

// TestReconnectNoReplay: a source cut after 15,000 events that resends the
// last 500 on the new connection (same switch process) delivers each event
// once, in sequence, with none lost. The client recycles its events'
// memory, so the 500 dropped duplicates are released too.
func TestReconnectNoReplay(t *testing.T) {
	const total = 30_000
	l, err := blaster.NewLifecycle(200, total, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.CutAfter, l.Replay = 15_000, 500
	h, cl, _ := runLifecycle(t, l, total, true)
	h.check(t)
	if h.late != 0 {
		t.Fatalf("%d transitions out of order, first %s", h.late, h.firstOO)
	}
	if d := cl.Stats().Duplicates.Load(); d != 500 {
		t.Fatalf("%d duplicates dropped, want the 500 resent", d)
	}
	if r := cl.Stats().Reconnects.Load(); r < 1 {
		t.Fatalf("reconnects = %d", r)
	}
}

// BenchmarkOrdering1M is P5: 1,000,000 events over 1,000 concurrent
// channels, one pair in 50 reordered on the wire; it fails on any
// out-of-order transition or sequence break. One op is the whole stream.
func BenchmarkOrdering1M(b *testing.B) {
	const total = 1_000_000
	l, err := blaster.NewLifecycle(1000, total, 50)
	if err != nil {
		b.Fatal(err)
	}
	var el time.Duration
	for b.Loop() {
		h, _, d := runLifecycle(b, l, total, false)
		h.check(b)
		if h.late != 0 {
			b.Fatalf("%d transitions out of order, first %s", h.late, h.firstOO)
		}
		el += d
		b.ReportMetric(float64(h.late), "out-of-order")
	}
	b.ReportMetric(float64(total)*float64(b.N)/el.Seconds(), "events/s")
}
