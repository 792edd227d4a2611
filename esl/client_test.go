package esl_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type seen struct {
	node string
	name string
	seq  uint64
	uuid string
	core string
	job  string
	ev   *esl.Event
}

// recorder is a Handler that keeps everything it is given and checks that
// it is never called concurrently.
type recorder struct {
	mu     sync.Mutex
	busy   bool
	events []seen
	states []esl.NodeState
	t      testing.TB
}

func (r *recorder) HandleEvent(node string, ev *esl.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busy {
		r.t.Error("handler called concurrently")
	}
	r.events = append(r.events, seen{node: node, name: ev.Kind(), seq: ev.Sequence(), uuid: ev.UniqueID(), core: ev.CoreUUID(), job: ev.JobUUID(), ev: ev})
}

func (r *recorder) HandleNode(st esl.NodeState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, st)
}

func (r *recorder) snapshot() ([]seen, []esl.NodeState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), slices.Clone(r.states)
}

func (r *recorder) upCount() int {
	_, st := r.snapshot()
	n := 0
	for _, s := range st {
		if s.Up {
			n++
		}
	}
	return n
}

func (r *recorder) has(uuid, name string) bool {
	evs, _ := r.snapshot()
	for _, e := range evs {
		if e.uuid == uuid && e.name == name {
			return true
		}
	}
	return false
}

// inOrder checks that every node's events came in rising Event-Sequence
// order (per Core-UUID) with no sequence twice.
func inOrder(t testing.TB, evs []seen) {
	t.Helper()
	last := map[string]uint64{}
	for i, e := range evs {
		k := e.node + "/" + e.core
		if e.seq <= last[k] {
			t.Fatalf("event %d (%s seq %d) after seq %d", i, e.name, e.seq, last[k])
		}
		last[k] = e.seq
	}
}

func startSim(t testing.TB, cfg sim.Config) *sim.Server {
	t.Helper()
	if cfg.Password == "" {
		cfg.Password = "s3cret"
	}
	if cfg.AnswerDelay == 0 {
		cfg.AnswerDelay = 20 * time.Millisecond
	}
	cfg.RecordingsDir = t.TempDir()
	s := sim.New(cfg)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func startClient(t testing.TB, cfg esl.Config, sims ...*sim.Server) (*esl.Client, *recorder) {
	t.Helper()
	for i, s := range sims {
		cfg.Nodes = append(cfg.Nodes, esl.Node{Name: fmt.Sprintf("fs%d", i+1), Addr: s.Addr(), Password: "s3cret"})
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin = 10 * time.Millisecond
		cfg.BackoffMax = 100 * time.Millisecond
	}
	rec := &recorder{t: t}
	c, err := esl.New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 5*time.Second, "nodes up", func() bool { return rec.upCount() >= len(sims) })
	return c, rec
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func lead(t testing.TB, c *esl.Client, number string) *esl.Call {
	t.Helper()
	call, err := c.Originate(ctxT(t), esl.Originate{
		UUID: uuid.NewString(), Endpoint: esl.GatewayEndpoint{Gateway: "carrier", Number: number},
		CallerIDNumber: "15551230000", CallerIDName: "ACME Sales", Timeout: 5 * time.Second, IgnoreEarlyMedia: true,
		Vars: map[string]string{"park_after_bridge": "true"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Wait(ctxT(t)); err != nil {
		t.Fatalf("lead %s: %v", number, err)
	}
	return call
}

func TestConnectReadsCoreUUIDAndChannels(t *testing.T) {
	s := startSim(t, sim.Config{})
	_, rec := startClient(t, esl.Config{}, s)
	_, st := rec.snapshot()
	if len(st) != 1 || !st[0].Up || st[0].CoreUUID != s.CoreUUID() || st[0].Restarted || len(st[0].Channels) != 0 {
		t.Fatalf("state: %+v", st)
	}
	// The handshake: auth, Core-UUID, the explicit subscription, no ALL.
	cmds := strings.Join(s.Commands(), "\n")
	for _, want := range []string{"auth s3cret", "api global_getvar core_uuid", "event plain BACKGROUND_JOB HEARTBEAT CHANNEL_CREATE", "CUSTOM conference::maintenance", "api show channels as json"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("no %q in\n%s", want, cmds)
		}
	}
	if strings.Contains(cmds, "event plain ALL") {
		t.Error("subscribed to ALL")
	}
}

// TestCallControls drives every command of a call through eslgo to the
// simulator and checks the exact command text FreeSWITCH received and the
// events that came back.
func TestCallControls(t *testing.T) {
	s := startSim(t, sim.Config{})
	s.SetEndpoint("15557654321", sim.Behavior{AnswerAfter: 30 * time.Millisecond, EchoDTMF: true})
	c, rec := startClient(t, esl.Config{}, s)
	ctx := ctxT(t)
	s.ResetCommands()

	l := lead(t, c, "15557654321")
	agent, err := c.Originate(ctx, esl.Originate{UUID: uuid.NewString(), Endpoint: esl.UserEndpoint{User: "1001"}, Timeout: 5 * time.Second}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "both parked", func() bool {
		return rec.has(l.UUID, esl.EventChannelPark) && rec.has(agent.UUID, esl.EventChannelPark)
	})
	steps := []struct {
		do    func() error
		cmd   string
		event string // expected on the given leg
		leg   string
	}{
		{func() error { return c.Bridge(ctx, l.UUID, agent.UUID) }, "api uuid_bridge " + l.UUID + " " + agent.UUID, esl.EventChannelBridge, l.UUID},
		{func() error { return c.Hold(ctx, agent.UUID, true) }, "api uuid_hold " + agent.UUID, esl.EventChannelHold, agent.UUID},
		{func() error { return c.Hold(ctx, agent.UUID, false) }, "api uuid_hold off " + agent.UUID, esl.EventChannelUnhold, agent.UUID},
		{func() error { return c.Mute(ctx, agent.UUID, true) }, "api uuid_audio " + agent.UUID + " start read mute 1", esl.EventMediaBugStart, agent.UUID},
		{func() error { return c.Mute(ctx, agent.UUID, false) }, "api uuid_audio " + agent.UUID + " stop", esl.EventMediaBugStop, agent.UUID},
		{func() error { return c.SendDTMF(ctx, l.UUID, "42#", 0) }, "api uuid_send_dtmf " + l.UUID + " 42#", esl.EventDTMF, l.UUID},
		{func() error { return c.RecordStart(ctx, l.UUID, "calls/c1.wav", 0) }, "api uuid_record " + l.UUID + " start calls/c1.wav", esl.EventRecordStart, l.UUID},
		{func() error { return c.RecordStop(ctx, l.UUID, "calls/c1.wav") }, "api uuid_record " + l.UUID + " stop calls/c1.wav", esl.EventRecordStop, l.UUID},
		{func() error { return c.SetVar(ctx, l.UUID, "as_note", "hello world") }, "api uuid_setvar " + l.UUID + " as_note hello world", "", ""},
		{func() error { return c.Kill(ctx, l.UUID, "") }, "api uuid_kill " + l.UUID, esl.EventChannelHangupComplete, agent.UUID},
	}
	for i, st := range steps {
		s.ResetCommands()
		if err := st.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i, st.cmd, err)
		}
		if got := s.Commands(); !slices.Contains(got, st.cmd) {
			t.Fatalf("step %d: want %q, simulator got %q", i, st.cmd, got)
		}
		if st.event != "" {
			waitFor(t, 2*time.Second, st.event+" on "+st.leg, func() bool { return rec.has(st.leg, st.event) })
		}
	}
	v, ok, err := c.GetVar(ctx, agent.UUID, "hangup_cause")
	if err == nil && ok {
		t.Logf("agent leg still answers getvar: %s", v)
	}
	waitFor(t, 2*time.Second, "both destroyed", func() bool {
		return rec.has(l.UUID, esl.EventChannelDestroy) && rec.has(agent.UUID, esl.EventChannelDestroy)
	})
	if err := c.Hold(ctx, l.UUID, true); !errors.Is(err, esl.ErrNoSuchChannel) {
		t.Fatalf("hold on a gone channel: %v", err)
	}
	evs, _ := rec.snapshot()
	inOrder(t, evs)
}

func TestOriginateFailuresCarryTheCause(t *testing.T) {
	s := startSim(t, sim.Config{})
	s.SetEndpoint("15550000486", sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
	s.SetEndpoint("15550000404", sim.Behavior{Outcome: sim.Unreachable})
	s.SetUser("1009", false)
	c, _ := startClient(t, esl.Config{}, s)
	ctx := ctxT(t)
	for _, tc := range []struct {
		ep    esl.Endpoint
		cause string
	}{
		{esl.GatewayEndpoint{Gateway: "carrier", Number: "15550000486"}, "USER_BUSY"},
		{esl.GatewayEndpoint{Gateway: "carrier", Number: "15550000404"}, "NORMAL_TEMPORARY_FAILURE"},
		{esl.UserEndpoint{User: "1009"}, "USER_NOT_REGISTERED"},
	} {
		call, err := c.Originate(ctx, esl.Originate{UUID: uuid.NewString(), Endpoint: tc.ep, Timeout: 2 * time.Second}, "")
		if err != nil {
			t.Fatal(err)
		}
		err = call.Wait(ctx)
		var oe *esl.OriginateError
		if !errors.As(err, &oe) || oe.Cause != tc.cause {
			t.Errorf("%v: got %v, want cause %s", tc.ep, err, tc.cause)
		}
	}
}

// TestShuffledEventsArriveInOrder has the simulator write its events in
// permuted batches (as FreeSWITCH's dispatch threads sometimes do, with
// the sequence numbers kept) and duplicated; the handler must still see
// rising Event-Sequence with no repeats.
func TestShuffledEventsArriveInOrder(t *testing.T) {
	s := startSim(t, sim.Config{})
	c, rec := startClient(t, esl.Config{}, s)
	s.ShuffleEvents(7)
	s.DuplicateEvents(true)
	ctx := ctxT(t)
	var calls []*esl.Call
	for i := 0; i < 20; i++ {
		call, err := c.Originate(ctx, esl.Originate{UUID: uuid.NewString(), Endpoint: esl.UserEndpoint{User: fmt.Sprint(2000 + i)}}, "")
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call)
	}
	for _, call := range calls {
		if err := call.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Kill(ctx, call.UUID, ""); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "every leg destroyed", func() bool {
		for _, call := range calls {
			if !rec.has(call.UUID, esl.EventChannelDestroy) {
				return false
			}
		}
		return true
	})
	evs, _ := rec.snapshot()
	inOrder(t, evs)
	if d := c.Stats().Duplicates.Load(); d == 0 {
		t.Fatal("the simulator sent duplicates but none were dropped")
	}
	if l := c.Stats().Late.Load(); l != 0 {
		t.Fatalf("%d events delivered late", l)
	}
}

func TestReconnectAfterDisconnectNotice(t *testing.T) {
	s := startSim(t, sim.Config{})
	c, rec := startClient(t, esl.Config{}, s)
	s.DisconnectAll()
	waitFor(t, 5*time.Second, "reconnected", func() bool { return rec.upCount() >= 2 })
	_, st := rec.snapshot()
	var down *esl.NodeState
	for i := range st {
		if !st[i].Up {
			down = &st[i]
		}
	}
	if down == nil || !errors.Is(down.Err, esl.ErrDisconnected) {
		t.Fatalf("down state: %+v", st)
	}
	if down.Silent != 0 {
		t.Fatalf("a switch that said goodbye was silent for %s", down.Silent)
	}
	if st[len(st)-1].Restarted {
		t.Fatal("same Core-UUID reported as a restart")
	}
	lead(t, c, "15551112222")
}

// TestWatchdogDetectsSilentSocket: the switch keeps the TCP connection
// but writes nothing, not even HEARTBEAT. The client must notice within
// two heartbeat intervals and reconnect.
func TestWatchdogDetectsSilentSocket(t *testing.T) {
	hb := 200 * time.Millisecond
	s := startSim(t, sim.Config{HeartbeatInterval: hb})
	c, rec := startClient(t, esl.Config{HeartbeatInterval: hb}, s)
	start := time.Now()
	s.Silence(true)
	waitFor(t, 5*time.Second, "connection dropped", func() bool {
		_, st := rec.snapshot()
		return !st[len(st)-1].Up
	})
	detected := time.Since(start)
	_, st := rec.snapshot()
	if err := st[len(st)-1].Err; !errors.Is(err, esl.ErrHeartbeat) {
		t.Fatalf("down because %v", err)
	}
	// The node was last heard from two intervals before it was given up.
	if silent := st[len(st)-1].Silent; silent < 2*hb || silent > detected+hb {
		t.Fatalf("silent for %s when given up after %s (heartbeat %s)", silent, detected, hb)
	}
	// Two intervals of silence after the last frame (which came at most one
	// interval before the silence began), plus the watchdog's quarter-interval
	// tick: never before one interval, and well before three.
	if detected < hb || detected >= 3*hb {
		t.Fatalf("silent socket detected after %s (heartbeat %s)", detected, hb)
	}
	s.Silence(false)
	waitFor(t, 5*time.Second, "reconnected", func() bool { return rec.upCount() >= 2 })
	lead(t, c, "15551113333")
}

// TestCommandTimeoutRetiresConnection: a reply that never comes in time
// must not be handed to the next command (eslgo would), so the command
// connection is closed and the next command uses a new one.
func TestCommandTimeoutRetiresConnection(t *testing.T) {
	s := startSim(t, sim.Config{})
	c, _ := startClient(t, esl.Config{CommandTimeout: 200 * time.Millisecond, CommandConns: 1}, s)
	ctx := ctxT(t)
	authsBefore := countPrefix(s.Commands(), "auth ")
	s.DelayReplies("api status", time.Second)
	_, err := c.API(ctx, "", esl.Command{Name: "status"})
	if !errors.Is(err, esl.ErrCommandTimeout) {
		t.Fatalf("slow command: %v", err)
	}
	s.DelayReplies("api status", 0)
	out, err := c.API(ctx, "", esl.Command{Name: "version"})
	if err != nil || !strings.Contains(out, "FreeSWITCH Version") {
		t.Fatalf("next command: %q %v", out, err)
	}
	if n := countPrefix(s.Commands(), "auth "); n != authsBefore+1 {
		t.Fatalf("auths before %d after %d: the timed-out connection was reused", authsBefore, n)
	}
}

func countPrefix(cmds []string, p string) int {
	n := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, p) {
			n++
		}
	}
	return n
}

func TestRestartIsReported(t *testing.T) {
	s := startSim(t, sim.Config{})
	c, rec := startClient(t, esl.Config{}, s)
	l := lead(t, c, "15551114444")
	old := s.CoreUUID()
	s.Restart()
	waitFor(t, 5*time.Second, "reconnected after restart", func() bool { return rec.upCount() >= 2 })
	_, st := rec.snapshot()
	last := st[len(st)-1]
	if !last.Restarted || last.CoreUUID == old || last.CoreUUID != s.CoreUUID() || len(last.Channels) != 0 {
		t.Fatalf("after restart: %+v (old core %s)", last, old)
	}
	if err := c.Hold(ctxT(t), l.UUID, true); !errors.Is(err, esl.ErrNoSuchChannel) {
		t.Fatalf("a channel of the old process is still routed: %v", err)
	}
}

func TestReconcileListsLiveChannels(t *testing.T) {
	s := startSim(t, sim.Config{})
	c1, _ := startClient(t, esl.Config{}, s)
	l := lead(t, c1, "15551115555")
	_, rec := startClient(t, esl.Config{}, s)
	_, st := rec.snapshot()
	found := false
	for _, ch := range st[0].Channels {
		found = found || ch.UUID == l.UUID
	}
	if !found {
		t.Fatalf("live channel %s not read back: %+v", l.UUID, st[0].Channels)
	}
}

// TestConcurrentOriginatesNeverMismatch sends 500 originates at once; every
// result must come back to the originate that asked for it.
func TestConcurrentOriginatesNeverMismatch(t *testing.T) {
	s := startSim(t, sim.Config{AnswerDelay: 50 * time.Millisecond})
	c, _ := startClient(t, esl.Config{CommandConns: 4}, s)
	ctx := ctxT(t)
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Go(func() {
			id := uuid.NewString()
			num := fmt.Sprintf("1555%07d", i)
			if i%5 == 0 {
				s.SetEndpoint(num, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 10 * time.Millisecond})
			}
			call, err := c.Originate(ctx, esl.Originate{UUID: id, Endpoint: esl.GatewayEndpoint{Gateway: "carrier", Number: num}, Timeout: 5 * time.Second}, "")
			if err != nil {
				errs <- err
				return
			}
			err = call.Wait(ctx)
			var oe *esl.OriginateError
			switch {
			case i%5 == 0 && (!errors.As(err, &oe) || oe.Cause != "USER_BUSY" || oe.UUID != id):
				errs <- fmt.Errorf("busy %d: %v", i, err)
			case i%5 != 0 && err != nil:
				errs <- fmt.Errorf("answer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	jobs := map[string]bool{}
	for _, cmd := range s.Commands() {
		if strings.HasPrefix(cmd, "bgapi originate") {
			_, job, _ := strings.Cut(cmd, "Job-UUID: ")
			if job == "" || jobs[job] {
				t.Fatalf("missing or repeated Job-UUID in %q", cmd)
			}
			jobs[job] = true
		}
	}
	if len(jobs) != n {
		t.Fatalf("%d bgapi originates seen, want %d", len(jobs), n)
	}
}

func TestMultipleNodesRouteByOwner(t *testing.T) {
	s1, s2 := startSim(t, sim.Config{}), startSim(t, sim.Config{})
	c, rec := startClient(t, esl.Config{}, s1, s2)
	ctx := ctxT(t)
	var calls []*esl.Call
	for i := 0; i < 4; i++ {
		calls = append(calls, lead(t, c, fmt.Sprintf("1555666%04d", i)))
	}
	perNode := map[string]int{}
	for _, call := range calls {
		perNode[call.Node]++
	}
	if perNode["fs1"] != 2 || perNode["fs2"] != 2 {
		t.Fatalf("calls not spread over nodes: %v", perNode)
	}
	s1.ResetCommands()
	s2.ResetCommands()
	for _, call := range calls {
		if err := c.Kill(ctx, call.UUID, "NORMAL_CLEARING"); err != nil {
			t.Fatal(err)
		}
	}
	for _, srv := range []*sim.Server{s1, s2} {
		if n := countPrefix(srv.Commands(), "api uuid_kill"); n != 2 {
			t.Fatalf("node got %d kills, want its own 2", n)
		}
	}
	waitFor(t, 2*time.Second, "hangups", func() bool {
		for _, call := range calls {
			if !rec.has(call.UUID, esl.EventChannelHangupComplete) {
				return false
			}
		}
		return true
	})
	evs, _ := rec.snapshot()
	inOrder(t, evs)
	nodes := c.Nodes()
	if len(nodes) != 2 || !nodes[0].Up || !nodes[1].Up || nodes[0].CoreUUID == nodes[1].CoreUUID {
		t.Fatalf("nodes: %+v", nodes)
	}
}

func TestNotConnectedFailsFast(t *testing.T) {
	rec := &recorder{t: t}
	c, err := esl.New(esl.Config{Nodes: []esl.Node{{Addr: "127.0.0.1:1", Password: "x"}}, BackoffMin: 10 * time.Millisecond}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	_, err = c.Originate(ctxT(t), esl.Originate{UUID: uuid.NewString(), Endpoint: esl.UserEndpoint{User: "1001"}}, "")
	if !errors.Is(err, esl.ErrNotConnected) {
		t.Fatalf("originate with no switch: %v", err)
	}
	// Refused before anything is sent: a bad value never waits for a node.
	_, err = c.Originate(ctxT(t), esl.Originate{UUID: "x", Endpoint: esl.UserEndpoint{User: "1001"}}, "")
	if !errors.Is(err, esl.ErrInvalid) {
		t.Fatalf("invalid uuid: %v", err)
	}
}

// TestNoGoroutineLeft runs a client through calls and a reconnect, cancels
// it, and checks that no goroutine of the client or of eslgo remains.
func TestNoGoroutineLeft(t *testing.T) {
	s := startSim(t, sim.Config{})
	rec := &recorder{t: t}
	c, err := esl.New(esl.Config{Nodes: []esl.Node{{Addr: s.Addr(), Password: "s3cret"}}, BackoffMin: 10 * time.Millisecond, CommandConns: 3}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	waitFor(t, 5*time.Second, "up", func() bool { return rec.upCount() == 1 })
	lead(t, c, "15551116666")
	s.DropAll()
	waitFor(t, 5*time.Second, "reconnected", func() bool { return rec.upCount() == 2 })
	lead(t, c, "15551117777")
	if n := len(clientGoroutines()); n == 0 {
		t.Fatal("no client goroutine found while running: the check below could not fail")
	}
	cancel()
	<-done
	var left []string
	deadline := time.Now().Add(5 * time.Second)
	for left = clientGoroutines(); len(left) > 0 && time.Now().Before(deadline); left = clientGoroutines() {
		time.Sleep(5 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Fatalf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// clientGoroutines returns the stacks of goroutines running code of the
// esl package itself or of eslgo.
func clientGoroutines() []string {
	buf := make([]byte, 4<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	var out []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "percipia/eslgo") || strings.Contains(g, "agentswitch/esl.(") || strings.Contains(g, "agentswitch/esl.dial") {
			out = append(out, g)
		}
	}
	return out
}
