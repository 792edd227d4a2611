package sim

import (
	"context"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/internal/transcript"
)

func TestDisconnectAll(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain ALL")
	s.DisconnectAll()
	waitFor(t, 2*time.Second, "close", func() bool { return c.closed() })
	fs := c.snapshot()
	last := fs[len(fs)-1]
	if last.ContentType() != esl.TypeDisconnect || string(last.Body) != disconnectBody {
		t.Errorf("last frame %v %q", last.Header, last.Body)
	}
	// The server keeps listening.
	authed(t, s, "")
}

func TestDropAll(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain ALL")
	n := c.count()
	s.DropAll()
	waitFor(t, 2*time.Second, "close", func() bool { return c.closed() })
	if c.count() != n {
		t.Errorf("DropAll wrote %d frames", c.count()-n)
	}
	authed(t, s, "")
}

func TestSilence(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain ALL")
	n := c.count()
	s.Silence(true)
	c.send("api status")
	s.EmitEvent("CUSTOM", "x::y", nil, "")
	time.Sleep(100 * time.Millisecond) // a dead peer says nothing, however long we wait
	if c.count() != n || c.closed() {
		t.Fatalf("silent server wrote %d frames (closed %v)", c.count()-n, c.closed())
	}
	s.Silence(false)
	if got := c.api("uuid_exists x"); got != "false" {
		t.Errorf("after silence: %q", got)
	}
	for _, cmd := range s.Commands() {
		if cmd == "api status" {
			return
		}
	}
	t.Error("the ignored command was not recorded")
}

func TestDelayReplies(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "")
	s.DelayReplies("api status", 200*time.Millisecond)
	start := time.Now()
	c.api("status")
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("status came after %v", d)
	}
	start = time.Now()
	c.api("version")
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("version delayed %v", d)
	}
	s.DelayReplies("api status", 0)
	start = time.Now()
	c.api("status")
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("delay not removed: %v", d)
	}
}

func seqs(evs []*esl.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Sequence())
	}
	return out
}

func TestShuffleEvents(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain CUSTOM x::y")
	s.ShuffleEvents(10)
	for i := 0; i < 40; i++ {
		s.EmitEvent("CUSTOM", "x::y", nil, "")
	}
	waitFor(t, 2*time.Second, "40 events", func() bool { return len(c.events()) == 40 })
	got := seqs(c.events())
	sorted := append([]uint64(nil), got...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	same := true
	for i := range got {
		if got[i] != sorted[i] {
			same = false
		}
		if i > 0 && sorted[i] == sorted[i-1] {
			t.Fatalf("duplicate sequence %d", sorted[i])
		}
	}
	if same {
		t.Error("40 events came in order with ShuffleEvents(10)")
	}
	// Each batch keeps its own events.
	for b := 0; b < 4; b++ {
		lo, hi := sorted[b*10], sorted[b*10+9]
		for _, v := range got[b*10 : b*10+10] {
			if v < lo || v > hi {
				t.Errorf("batch %d holds %d outside [%d,%d]", b, v, lo, hi)
			}
		}
	}
	// A partial batch is flushed.
	s.EmitEvent("CUSTOM", "x::y", nil, "")
	waitFor(t, 2*time.Second, "partial batch", func() bool { return len(c.events()) == 41 })
	s.ShuffleEvents(0)
	for i := 0; i < 5; i++ {
		s.EmitEvent("CUSTOM", "x::y", nil, "")
	}
	waitFor(t, 2*time.Second, "46 events", func() bool { return len(c.events()) == 46 })
	tail := seqs(c.events())[41:]
	for i := 1; i < len(tail); i++ {
		if tail[i] != tail[i-1]+1 {
			t.Errorf("unshuffled tail %v", tail)
		}
	}
}

func TestDuplicateEvents(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain CUSTOM x::y")
	s.DuplicateEvents(true)
	for i := 0; i < 9; i++ {
		s.EmitEvent("CUSTOM", "x::y", nil, "")
	}
	waitFor(t, 2*time.Second, "12 frames", func() bool { return len(c.events()) == 12 })
	counts := map[uint64]int{}
	for _, v := range seqs(c.events()) {
		counts[v]++
	}
	if len(counts) != 9 {
		t.Errorf("%d distinct sequences, want 9", len(counts))
	}
	s.DuplicateEvents(false)
}

func TestRestart(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	old := s.CoreUUID()
	u := uuidN(9)
	cmd.api("originate {origination_uuid=" + u + "}null/x &park()")
	s.Restart()
	waitFor(t, 2*time.Second, "drop", func() bool { return c.closed() && cmd.closed() })
	if s.CoreUUID() == old || esl.ValidateUUID("uuid", s.CoreUUID()) != nil {
		t.Errorf("Core-UUID %q after restart (was %q)", s.CoreUUID(), old)
	}
	if len(s.Channels()) != 0 {
		t.Errorf("channels survived: %v", s.Channels())
	}
	c2 := authed(t, s, "plain CUSTOM x::y")
	if got := c2.api("global_getvar core_uuid"); got != s.CoreUUID() {
		t.Errorf("core_uuid %q", got)
	}
	s.EmitEvent("CUSTOM", "x::y", nil, "")
	e := c2.waitEvent("event", func(*esl.Event) bool { return true })
	if e.Sequence() > 5 || e.CoreUUID() != s.CoreUUID() {
		t.Errorf("sequence %d core %q after restart", e.Sequence(), e.CoreUUID())
	}
	if got := c2.api("uuid_exists " + u); got != "false" {
		t.Errorf("old channel exists: %q", got)
	}
}

func TestCommands(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "")
	c.cmd("bgapi status\nJob-UUID: 2f2f2f2f-0000-4000-8000-00000000j0b1")
	c.api("uuid_exists x")
	got := s.Commands()
	want := []string{"auth ClueCon", "bgapi status\nJob-UUID: 2f2f2f2f-0000-4000-8000-00000000j0b1", "api uuid_exists x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Commands() = %q", got)
	}
	s.ResetCommands()
	if len(s.Commands()) != 0 {
		t.Error("ResetCommands")
	}
}

// TestHeartbeat checks HEARTBEAT and RE_SCHEDULE against the captured ones.
func TestHeartbeat(t *testing.T) {
	cfg := fastConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	s := startServer(t, cfg)
	c := authed(t, s, "plain HEARTBEAT RE_SCHEDULE")
	waitFor(t, 2*time.Second, "two heartbeats", func() bool { return len(c.events()) >= 4 })
	tr, err := transcript.Load(filepath.Join(transcript.Dir(), "03-lead-agent-plain.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	real := map[string][]string{}
	for _, rec := range tr.Records {
		if rec.Dir == "in" && (strings.Contains(rec.Data, "Event-Name: HEARTBEAT") || strings.Contains(rec.Data, "Event-Name: RE_SCHEDULE")) {
			f := frameOf(mustFrame(t, rec.Bytes()))
			real[f.kind] = headerNames(f.event.Fields())
		}
	}
	evs := c.events()
	for _, e := range evs[:2] {
		if d := diffSets(real[e.Name()], headerNames(e.Fields())); d != "" {
			t.Errorf("%s: %s", e.Name(), d)
		}
	}
	if evs[0].Name() != "HEARTBEAT" || evs[1].Name() != "RE_SCHEDULE" || evs[1].Get("Task-Desc") != "heartbeat" {
		t.Errorf("order %s %s", evs[0].Name(), evs[1].Name())
	}
}

// TestServeLeavesNothingBehind runs calls and connections, stops Serve and
// checks every goroutine it started is gone.
func TestServeLeavesNothingBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(fastConfig())
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("0.0.0.0:0"); err == nil {
		t.Error("Listen accepted a non-loopback address")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	sub := t.Run("calls", func(t *testing.T) {
		ev := authed(t, s, "plain ALL")
		cmd := authed(t, s, "")
		for i := 0; i < 5; i++ {
			cmd.cmd("bgapi originate {origination_uuid=" + uuidN(i) + "}sofia/internal/sip:x@127.0.0.1 &park()")
		}
		ev.waitEvent("parks", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == uuidN(4) })
		// A blocking api in flight when the server stops.
		cmd.send("api originate {originate_timeout=30}sofia/internal/sip:y@127.0.0.1 &park()")
		s.SetEndpoint("y", Behavior{Outcome: NoAnswer})
	})
	if !sub {
		t.FailNow()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if !poll(3*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
	// Close after Serve returned is harmless.
	_ = s.Close()
}
