package blaster

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/agentswitch/agentswitch/esl"
)

// Stages is the life of one channel as the lifecycle stream plays it.
var Stages = []string{
	esl.EventChannelCreate, esl.EventChannelProgress, esl.EventChannelAnswer, esl.EventChannelBridge,
	esl.EventChannelExecuteComplete, esl.EventChannelHangup, esl.EventChannelHangupComplete,
}

// lifeTemplate is a captured event of one stage, split around its
// Event-Sequence digits and its Unique-ID.
type lifeTemplate struct {
	pre, mid, post []byte // seq goes between pre and mid, the uuid between mid and post
}

// Lifecycle writes events for calls channels alive at once, each going
// through Stages in order, interleaved at random (seeded: the same stream
// every run), new channels replacing ended ones, total events in all. One
// pair in swapEvery is written in the wrong order, as FreeSWITCH's event
// threads do, so the reader has to put it back.
type Lifecycle struct {
	calls, total, swapEvery int
	tmpl                    []lifeTemplate
	// CutAfter, when set, drops the first connection after that many
	// events; the next one starts Replay events earlier, as a source
	// that resends what it cannot know was read.
	CutAfter, Replay int
}

// NewLifecycle takes one captured event per stage as its template.
func NewLifecycle(calls, total, swapEvery int) (*Lifecycle, error) {
	mix, err := Mix()
	if err != nil {
		return nil, err
	}
	l := &Lifecycle{calls: calls, total: total, swapEvery: swapEvery, tmpl: make([]lifeTemplate, len(Stages))}
	found := 0
	for _, t := range mix {
		u := bytes.Index(t.post, []byte("\nUnique-ID: "))
		if u < 0 {
			continue
		}
		u += len("\nUnique-ID: ")
		end := u + bytes.IndexByte(t.post[u:], '\n')
		for i, st := range Stages {
			if l.tmpl[i].pre == nil && bytes.Contains(t.pre, []byte("Event-Name: "+st+"\n")) {
				l.tmpl[i] = lifeTemplate{pre: t.pre, mid: t.post[:u], post: t.post[end:]}
				found++
			}
		}
	}
	if found != len(Stages) {
		return nil, fmt.Errorf("blaster: the transcripts lack a stage (found %d of %d)", found, len(Stages))
	}
	return l, nil
}

// UUID is the Unique-ID of the n-th channel of the stream.
func UUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// events renders the stream in write order and calls emit for the frames
// from index from up to (not including) to.
func (l *Lifecycle) events(from, to int, emit func([]byte) error) error {
	r := rand.New(rand.NewPCG(1, 2))
	type ch struct{ n, stage int }
	live := make([]ch, l.calls)
	next := 0
	for i := range live {
		live[i] = ch{n: next}
		next++
	}
	var seq uint64 = 1000
	frame := func(c ch) []byte {
		t := l.tmpl[c.stage]
		seq++
		num := strconv.AppendUint(nil, seq, 10)
		id := UUID(c.n)
		size := len(t.pre) + len(num) + len(t.mid) + len(id) + len(t.post)
		f := fmt.Appendf(make([]byte, 0, 64+size), "Content-Length: %d\nContent-Type: text/event-plain\n\n", size)
		f = append(append(append(append(append(f, t.pre...), num...), t.mid...), id...), t.post...)
		return f
	}
	pick := func() ch {
		i := r.IntN(len(live))
		c := live[i]
		if live[i].stage++; live[i].stage == len(Stages) {
			live[i] = ch{n: next}
			next++
		}
		return c
	}
	i := 0
	out := func(f []byte) error {
		defer func() { i++ }()
		if i < from {
			return nil
		}
		return emit(f)
	}
	for i < to && i < l.total {
		a := frame(pick())
		if l.swapEvery > 0 && i+1 < l.total && r.IntN(l.swapEvery) == 0 {
			b := frame(pick())
			if err := out(b); err != nil {
				return err
			}
		}
		if err := out(a); err != nil {
			return err
		}
	}
	return nil
}
