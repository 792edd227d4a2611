// Package dialertest runs the call engine for tests inside a
// testing/synctest bubble, so that a test of a 2 s abandon, a 30 s
// heartbeat grace or a 2 min inbound wait takes milliseconds of wall time
// on virtual time, with the service's real durations.
//
// What it wires, and why:
//   - The switch is the simulator (esl/sim), which already writes what
//     FreeSWITCH writes, driven by the real esl client: a second,
//     hand-written fake would drift from both. They talk over net.Pipe
//     (esl.Config.Dial, sim.Server.UseListener), because a goroutine
//     reading a TCP socket is never durably blocked and a bubble's clock
//     would not move. The simulator records every command it receives
//     (Commands, Sent, Count), so a test can assert what was, or was not,
//     sent.
//   - Live state is dialer/memlive, which the LiveStore contract suite
//     (dialer/livestoretest) holds to redisstore's behaviour; SetDown
//     makes it unreachable.
//   - Durable state is the real dialer/sqlitestore on a file in
//     t.TempDir(): it is fast, it is what the service runs, and its cgo
//     calls simply return inside a bubble (sqlitestore refuses ":memory:").
//   - The clock is the time package: inside a bubble time.Now is virtual,
//     so the engine, the stores and the simulator all use their default
//     clocks (clock.System), and their timers fire on virtual time.
//   - The switch outlives the engine, as FreeSWITCH outlives the service:
//     Restart stops the engine and starts another on the same stores and
//     switch connection, which finds the calls still up (adoption).
//     Options.Nodes connects the engine to more than one simulator.
//
// The engine itself needed no change: its goroutines all start from New,
// inside the bubble, and it reads no clock but the time package's.
//
// What runs where: most of the engine's tests run on this package, in a
// bubble. Those of dialer/engine_synctest_test.go use a World directly,
// with the service's real durations; those of engine_test.go,
// adopt_test.go, affinity_test.go, lifecycle_test.go and
// phonepolicy_test.go build their world (dialer/world_test.go) on it. A
// representative set of those also runs on the full stack: the real esl
// client over TCP, a real redis-server, a SQLite file, on wall time; a
// Redis outage and the benchmarks run only there. The comment at the top
// of dialer/world_test.go names them and says why.
//
// Call New from inside synctest.Test. Everything it starts is stopped by
// t.Cleanup, inside the bubble, so the bubble ends with no goroutine left.
package dialertest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/memlive"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/identity"
)

// AbandonFile is the abandon message the engine is configured with.
const AbandonFile = "/usr/share/agentswitch/sounds/abandon.wav"

// Options change how a World is built. The zero value is the service's
// default configuration with three agents, 1001 to 1003, and one switch
// node.
type Options struct {
	// Engine changes the engine's configuration; the durations left zero
	// are the service's defaults (AbandonAfter 2s, HeartbeatGrace 30s...).
	Engine func(*dialer.EngineConfig)
	// Sim changes the simulator's configuration (of every node).
	Sim func(*sim.Config)
	// Extensions are the agents created (1001, 1002, 1003 if empty).
	Extensions []string
	// Nodes is how many switch nodes the engine is connected to (1 if
	// 0), each a simulator named "sim", "sim2", "sim3"...: the engine
	// keeps a call on the node of a persistent agent's line, which takes
	// two to test.
	Nodes int
	// Now is the engine's clock (the bubble's time.Now if nil), for a test
	// that moves the engine's clock apart from the switch's: a switch
	// outage the simulator does not live through, a restart after which
	// the switch's talk time must win over the engine's.
	Now func() time.Time
	// Tap wraps the engine as the switch client's handler, to see or
	// change what the switch delivers (it wraps each engine of Restart).
	Tap func(esl.Handler) esl.Handler
	// Wrap wraps the switch client as the engine's Switch, to see or
	// change what the engine sends.
	Wrap func(dialer.Switch) dialer.Switch
}

// World is a running engine with its switch and stores.
type World struct {
	T testing.TB
	// Eng is the running engine; Restart replaces it.
	Eng *dialer.Engine
	// Sim is the first switch node ("sim"), Sims all of them in order.
	Sim  *sim.Server
	Sims []*sim.Server
	ESL  *esl.Client
	DB   *sqlitestore.Store
	Live *memlive.Store
	// Hopper holds the dialer campaigns' leads (kept across Restart).
	Hopper *memlive.Hopper
	// Events are the events Eng pushed; Restart starts a new log.
	Events *EventLog
	Admin  dialer.Actor
	// Agents are the agents created, by extension.
	Agents map[string]dialer.Agent
	// RecDir is where the simulator writes recordings.
	RecDir string

	// startEngine builds and runs an engine; stopEngine stops it.
	startEngine, stopEngine func()
}

// New builds and starts a World; call it inside synctest.Test. It returns
// once every switch node is connected.
func New(t testing.TB, o Options) *World {
	t.Helper()
	w := &World{T: t, RecDir: t.TempDir(), Agents: map[string]dialer.Agent{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup

	scfg := sim.Config{Password: "s3cret", RecordingsDir: w.RecDir}
	if o.Sim != nil {
		o.Sim(&scfg)
	}
	pipes := pipeNet{}
	var nodes []esl.Node
	for i := range max(o.Nodes, 1) {
		name := "sim"
		if i > 0 {
			name = fmt.Sprintf("sim%d", i+1)
		}
		s := sim.New(scfg)
		ln := newPipeListener(name)
		pipes[name] = ln
		s.UseListener(ln)
		wg.Go(func() { s.Serve(ctx) })
		w.Sims = append(w.Sims, s)
		nodes = append(nodes, esl.Node{Name: name, Addr: name, Password: "s3cret"})
	}
	w.Sim = w.Sims[0]

	w.Live = memlive.New(nil)
	w.Hopper = memlive.NewHopper()
	db, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "as.db"), sqlitestore.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	w.DB = db
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	exts := o.Extensions
	if len(exts) == 0 {
		exts = []string{"1001", "1002", "1003"}
	}
	for _, ext := range exts {
		a, err := db.CreateAgent(ctx, dialer.Agent{Name: "Agent " + ext, Extension: ext, Realm: "pbx.test", Mode: dialer.ModeRing}, "sip-pass-"+ext)
		if err != nil {
			t.Fatal(err)
		}
		w.Agents[ext] = a
	}

	cfg := dialer.EngineConfig{
		AbandonMessage: AbandonFile, RecordingsDir: w.RecDir,
		CallerIDNumber: "+15551230000", CallerIDName: "ACME Sales",
	}
	if o.Engine != nil {
		o.Engine(&cfg)
	}
	h := &esl.Deferred{}
	// The engine's decoder copies what it keeps, so the client recycles
	// events' memory as the service's does; a tap may keep events.
	w.ESL, err = esl.New(esl.Config{Nodes: nodes, Dial: pipes.Dial, RecycleEvents: o.Tap == nil}, h)
	if err != nil {
		t.Fatal(err)
	}
	var sw dialer.Switch = w.ESL
	if o.Wrap != nil {
		sw = o.Wrap(w.ESL)
	}
	// The switch client and the simulators outlive the engine: Restart
	// stops one engine and starts another on the same connection, as a
	// restart of the service finds the switch and its calls as they were.
	w.startEngine = func() {
		eng, err := dialer.NewEngine(cfg, dialer.EngineDeps{Live: w.Live, Directory: db, Campaigns: db, Calls: db, Audit: db, Hopper: w.Hopper, Switch: sw, Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		if o.Tap != nil {
			h.Set(o.Tap(eng))
		} else {
			h.Set(eng)
		}
		w.Eng = eng
		ectx, ecancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); eng.Run(ectx) }()
		w.stopEngine = func() { ecancel(); <-done }
	}
	wg.Go(func() { w.ESL.Run(ctx) })
	w.startEngine()
	t.Cleanup(func() {
		cancel()
		w.stopEngine()
		wg.Wait()
		for _, ln := range pipes {
			ln.Close()
		}
		db.Close()
	})
	w.WaitFor(5*time.Second, "switch up", func() bool {
		n := w.ESL.Nodes()
		return len(n) == len(nodes) && !slices.ContainsFunc(n, func(st esl.NodeStatus) bool { return !st.Up })
	})
	w.Admin = dialer.Actor{User: 1, Role: identity.RoleAdmin, Name: "admin"}
	w.Events = NewEventLog(t, w.Eng)
	return w
}

// Restart stops the engine and starts a new one on the same stores and
// switch connection, as a restart of the service would; between runs
// while no engine runs. It returns without waiting for the new engine's
// start-up: its requests answer once that is done.
func (w *World) Restart(between ...func()) {
	w.T.Helper()
	w.stopEngine()
	for _, f := range between {
		f()
	}
	w.startEngine()
	w.Events = NewEventLog(w.T, w.Eng)
}

// WaitFor waits, on the bubble's clock, until cond holds, and fails the
// test after timeout. In a bubble a sleep returns only once every other
// goroutine is blocked, so cond is never read mid-flight.
func (w *World) WaitFor(timeout time.Duration, what string, cond func() bool) {
	w.T.Helper()
	if !Poll(timeout, cond) {
		w.T.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Poll reports whether cond held within timeout. It looks 1 ms of
// virtual time after the last look, then less and less often (up to every
// 50 ms), so a long wait costs few looks: assert on the times the engine
// stamped, not on when Poll noticed.
func Poll(timeout time.Duration, cond func() bool) bool {
	// time.Now is the bubble's virtual clock, the one the engine runs on
	// here (its default clock).
	deadline := time.Now().Add(timeout)
	step := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(step)
		step = min(2*step, 50*time.Millisecond)
	}
	return true
}

// Ctx is a context for one request, ended with the test.
func (w *World) Ctx() context.Context {
	ctx, cancel := w.reqCtx()
	w.T.Cleanup(cancel)
	return ctx
}

// reqCtx bounds one request of a helper: polls make many, so none of
// them leaves a cleanup behind.
func (w *World) reqCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}

// Actor is the agent of extension ext acting for itself.
func (w *World) Actor(ext string) dialer.Actor {
	a := w.Agents[ext]
	return dialer.Actor{User: identity.UserID(100 + a.ID), Role: identity.RoleAgent, Agent: a.ID, Name: a.Name}
}

// View is the engine's view of the agent of extension ext.
func (w *World) View(ext string) dialer.AgentView {
	w.T.Helper()
	ctx, cancel := w.reqCtx()
	defer cancel()
	v, err := w.Eng.AgentView(ctx, w.Agents[ext].ID)
	if err != nil {
		w.T.Fatal(err)
	}
	return v
}

// State is the agent's state as the engine shows it.
func (w *World) State(ext string) dialer.AgentState {
	w.T.Helper()
	return w.View(ext).State
}

// WaitState waits until the agent is in state s.
func (w *World) WaitState(ext string, s dialer.AgentState) {
	w.T.Helper()
	w.WaitFor(5*time.Minute, "agent "+ext+" "+s.String(), func() bool { return w.State(ext) == s })
}

// Login logs an agent in on its seat's defaults (it starts PAUSED).
func (w *World) Login(a dialer.Actor) {
	w.T.Helper()
	if _, err := w.Eng.Login(w.Ctx(), a, a.Agent, dialer.LoginRequest{}); err != nil {
		w.T.Fatal(err)
	}
}

// Ready logs an agent in on its SIP phone in mode and makes it READY.
func (w *World) Ready(ext string, mode dialer.AgentMode) {
	w.T.Helper()
	a := w.Actor(ext)
	if _, err := w.Eng.Login(w.Ctx(), a, a.Agent, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: mode}); err != nil {
		w.T.Fatal(err)
	}
	if _, err := w.Eng.SetReady(w.Ctx(), a, a.Agent); err != nil {
		w.T.Fatal(err)
	}
	w.WaitState(ext, dialer.AgentReady)
}

// Call is the engine's view of a call.
func (w *World) Call(id dialer.CallID) dialer.CallView {
	w.T.Helper()
	ctx, cancel := w.reqCtx()
	defer cancel()
	v, err := w.Eng.CallView(ctx, id)
	if err != nil {
		w.T.Fatal(err)
	}
	return v
}

// WaitCall waits until the call is in state st.
func (w *World) WaitCall(id dialer.CallID, st dialer.LiveCallState) dialer.CallView {
	w.T.Helper()
	var v dialer.CallView
	w.WaitFor(5*time.Minute, "call "+string(st), func() bool { v = w.Call(id); return v.State == st })
	return v
}

// LiveCall waits for a live call that matches.
func (w *World) LiveCall(what string, match func(dialer.CallView) bool) dialer.CallView {
	w.T.Helper()
	var v dialer.CallView
	w.WaitFor(time.Minute, what, func() bool {
		ctx, cancel := w.reqCtx()
		defer cancel()
		for _, c := range w.Eng.LiveCalls(ctx) {
			if match(c) {
				v = c
				return true
			}
		}
		return false
	})
	return v
}

// Party is the call's live party in role.
func (w *World) Party(v dialer.CallView, role dialer.LegRole) dialer.PartyView {
	w.T.Helper()
	for _, p := range v.Parties {
		if p.Role == role && p.State != "gone" {
			return p
		}
	}
	w.T.Fatalf("no live %s party in %+v", role, v.Parties)
	return dialer.PartyView{}
}

// Start starts an outbound call to number (for agent, or the longest
// idle if 0).
func (w *World) Start(number string, agent dialer.AgentID) dialer.CallView {
	w.T.Helper()
	v, err := w.Eng.StartCall(w.Ctx(), w.Admin, dialer.OutboundRequest{Number: number, Agent: agent})
	if err != nil {
		w.T.Fatal(err)
	}
	return v
}

// Record waits for the call's record to be ended and returns it with the
// kinds of its timeline events.
func (w *World) Record(id dialer.CallID) (dialer.Call, []string) {
	w.T.Helper()
	var c dialer.Call
	var kinds []string
	w.WaitFor(time.Minute, "call record written", func() bool {
		ctx, cancel := w.reqCtx()
		defer cancel()
		var err error
		c, err = w.DB.Call(ctx, id)
		if err != nil || c.State != dialer.CallEnded {
			return false
		}
		evs, err := w.DB.CallEvents(ctx, id)
		if err != nil {
			return false
		}
		kinds = kinds[:0]
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		return true
	})
	return c, kinds
}

// Commands are the command lines the simulator received (a bgapi's
// Job-UUID header line cut off).
func (w *World) Commands() []string {
	var out []string
	for _, c := range w.Sim.Commands() {
		line, _, _ := strings.Cut(c, "\n")
		out = append(out, strings.TrimSuffix(line, "\r"))
	}
	return out
}

// Sent reports whether the simulator received exactly this command.
func (w *World) Sent(cmd string) bool { return slices.Contains(w.Commands(), cmd) }

// MustSend waits for the command to reach the simulator.
func (w *World) MustSend(cmd string) {
	w.T.Helper()
	w.WaitFor(3*time.Second, "command "+cmd, func() bool { return w.Sent(cmd) })
}

// Count is how many commands start with prefix.
func (w *World) Count(prefix string) int {
	n := 0
	for _, c := range w.Commands() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// SentPrefix is the first command that starts with prefix ("" if none).
func (w *World) SentPrefix(prefix string) string {
	for _, c := range w.Commands() {
		if strings.HasPrefix(c, prefix) {
			return c
		}
	}
	return ""
}

// EventLog records every event the engine pushes, as a supervisor's
// stream would.
type EventLog struct {
	mu  sync.Mutex
	evs []dialer.LiveEvent
}

// NewEventLog subscribes to every event of eng until the test ends.
func NewEventLog(t testing.TB, eng *dialer.Engine) *EventLog { return subscribe(t, eng, true) }

// ReadEvents subscribes to every event of eng until the test ends and
// keeps none: a stream's cost without the log's memory, for long runs.
func ReadEvents(t testing.TB, eng *dialer.Engine) { subscribe(t, eng, false) }

func subscribe(t testing.TB, eng *dialer.Engine, keep bool) *EventLog {
	l := &EventLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	_, ch, err := eng.Subscribe(ctx, dialer.LiveFilter{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		for ev := range ch {
			if !keep {
				continue
			}
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			l.mu.Unlock()
		}
	}()
	return l
}

// All is every event so far.
func (l *EventLog) All() []dialer.LiveEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// CallTypes lists the call event types of one call, in order.
func (l *EventLog) CallTypes(id dialer.CallID) []string {
	var out []string
	for _, ev := range l.All() {
		if ev.Call == id && ev.Type != dialer.EvAgentState {
			out = append(out, string(ev.Type))
		}
	}
	return out
}

// Has reports whether call id pushed an event of type t.
func (l *EventLog) Has(id dialer.CallID, t dialer.LiveEventType) bool {
	return slices.Contains(l.CallTypes(id), string(t))
}

// AgentStates lists the states an agent went through, in order,
// deduplicated.
func (l *EventLog) AgentStates(id dialer.AgentID) []string {
	var out []string
	for _, ev := range l.All() {
		if ev.Type == dialer.EvAgentState && ev.Agent == id {
			s := ev.AgentView.State.String()
			if len(out) == 0 || out[len(out)-1] != s {
				out = append(out, s)
			}
		}
	}
	return out
}
