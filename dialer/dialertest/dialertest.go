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
//     (sim.Server.Commands), so a test can assert what was, or was not,
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
// What runs where: the engine's tests build their world on this package
// (dialer/world_test.go, bubble(t, ...)) and use that world's helpers, on
// the test durations or, for the tests of the engine's timers
// (engine_synctest_test.go), on the service's own. A representative set
// of those also runs on the full stack: the real esl client over TCP, a
// real redis-server, a SQLite file, on wall time; a Redis outage and the
// benchmarks run only there; that world is built from this package's
// parts too (Directory, Config, RunEngine, WaitSwitchUp, WaitFor). The
// comment at the top of dialer/world_test.go names those tests and says
// why.
//
// Call New from inside synctest.Test. Everything it starts is stopped by
// t.Cleanup, inside the bubble, so the bubble ends with no goroutine left.
package dialertest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
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
	t testing.TB
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
	// WebRTC holds the browser softphones' credentials (kept across
	// Restart).
	WebRTC *memlive.WebRTCCredentials
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
	w := &World{t: t, RecDir: t.TempDir(), Agents: map[string]dialer.Agent{}}
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
	w.WebRTC = memlive.NewWebRTCCredentials()
	w.DB, w.Agents = Directory(t, ctx, o.Extensions)

	cfg := Config(w.RecDir)
	if o.Engine != nil {
		o.Engine(&cfg)
	}
	h := &esl.Deferred{}
	// The engine's decoder copies what it keeps, so the client recycles
	// events' memory as the service's does; a tap may keep events.
	var err error
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
	db := w.DB
	w.startEngine = func() {
		w.Eng, w.stopEngine = RunEngine(t, ctx, cfg, dialer.EngineDeps{Live: w.Live, Directory: db, Campaigns: db, Calls: db, Audit: db, Hopper: w.Hopper, Queues: db, PauseCodes: db, WebRTC: w.WebRTC, Switch: sw, Now: o.Now}, h, o.Tap)
	}
	// The engine is the handler before the client runs, as in the
	// service: a node's coming up is not missed.
	w.startEngine()
	wg.Go(func() { w.ESL.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		w.stopEngine()
		wg.Wait()
		for _, ln := range pipes {
			ln.Close()
		}
	})
	WaitSwitchUp(t, w.ESL, len(nodes))
	w.Admin = dialer.Actor{User: 1, Role: identity.RoleAdmin, Name: "admin"}
	w.Events = NewEventLog(t, w.Eng)
	return w
}

// Directory is the SQLite store on a file in t.TempDir(), migrated, with a
// ring-mode agent per extension (1001, 1002, 1003 if exts is empty), by
// extension. It is closed when the test ends, after the cleanups
// registered later (the engine's).
func Directory(t testing.TB, ctx context.Context, exts []string) (*sqlitestore.Store, map[string]dialer.Agent) {
	t.Helper()
	return DirectoryAt(t, ctx, filepath.Join(t.TempDir(), "as.db"), exts)
}

// DirectoryAt is Directory in the database file at path (a benchmark
// reads it again after the run).
func DirectoryAt(t testing.TB, ctx context.Context, path string, exts []string) (*sqlitestore.Store, map[string]dialer.Agent) {
	t.Helper()
	db, err := sqlitestore.Open(ctx, path, sqlitestore.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if len(exts) == 0 {
		exts = []string{"1001", "1002", "1003"}
	}
	agents := map[string]dialer.Agent{}
	for _, ext := range exts {
		a, err := db.CreateAgent(ctx, dialer.Agent{Name: "Agent " + ext, Extension: ext, Realm: "pbx.test", Mode: dialer.ModeRing}, "sip-pass-"+ext)
		if err != nil {
			t.Fatal(err)
		}
		agents[ext] = a
	}
	return db, agents
}

// Config is a world's engine configuration before the test changes it:
// the service's defaults, with recordings in recDir.
func Config(recDir string) dialer.EngineConfig {
	return dialer.EngineConfig{
		AbandonMessage: AbandonFile, RecordingsDir: recDir,
		CallerIDNumber: "+15551230000", CallerIDName: "ACME Sales",
	}
}

// RunEngine builds an engine on deps, makes it the switch client's
// handler h (wrapped by tap when not nil) and runs it until stop, which
// waits for it to return.
func RunEngine(t testing.TB, ctx context.Context, cfg dialer.EngineConfig, deps dialer.EngineDeps, h *esl.Deferred, tap func(esl.Handler) esl.Handler) (eng *dialer.Engine, stop func()) {
	t.Helper()
	eng, err := dialer.NewEngine(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if tap != nil {
		h.Set(tap(eng))
	} else {
		h.Set(eng)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	return eng, func() { cancel(); <-done }
}

// WaitSwitchUp waits until the client is connected to all of its n
// switch nodes.
func WaitSwitchUp(t testing.TB, c *esl.Client, n int) {
	t.Helper()
	WaitFor(t, 5*time.Second, "switch up", func() bool {
		st := c.Nodes()
		return len(st) == n && !slices.ContainsFunc(st, func(s esl.NodeStatus) bool { return !s.Up })
	})
}

// Restart stops the engine and starts a new one on the same stores and
// switch connection, as a restart of the service would; between runs
// while no engine runs. It returns without waiting for the new engine's
// start-up: its requests answer once that is done.
func (w *World) Restart(between ...func()) {
	w.t.Helper()
	w.stopEngine()
	for _, f := range between {
		f()
	}
	w.startEngine()
	w.Events = NewEventLog(w.t, w.Eng)
}

// WaitFor waits until cond holds and fails the test after timeout. In a
// bubble a sleep returns only once every other goroutine is blocked, so
// cond is never read mid-flight.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Poll reports whether cond held within timeout, on the time package's
// clock (a bubble's virtual one inside synctest.Test). It looks every
// 3 ms for a second, so a state that lasts one answer delay is seen, then
// less and less often (up to every 50 ms), so a wait for a 15 s timer
// costs few looks: assert on the times the engine stamped, not on when
// Poll noticed.
func Poll(timeout time.Duration, cond func() bool) bool {
	start := time.Now()
	step := 3 * time.Millisecond
	for !cond() {
		if time.Since(start) > timeout {
			return false
		}
		time.Sleep(step)
		if time.Since(start) > time.Second {
			step = min(2*step, 50*time.Millisecond)
		}
	}
	return true
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
