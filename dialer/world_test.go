package dialer_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/dialertest"
	"github.com/agentswitch/agentswitch/dialer/memlive"
	"github.com/agentswitch/agentswitch/dialer/redisstore"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/redistest"
)

// The world harness: the engine wired as the service wires it, with its
// switch and its stores, built on one of two tiers. A test body is the
// same on both; the runner it is given to picks the tier.
//
// In a bubble (bubble(t, body), most of the engine's tests), a world is
// dialer/dialertest's: the simulator over net.Pipe, dialer/memlive (held
// to redisstore's behaviour by dialer/livestoretest), the real SQLite on a
// file in t.TempDir(), all inside a testing/synctest bubble. Every wait
// (waitFor, waitState, waitCall, record, statesInOrder...) is on the
// bubble's virtual clock: a test takes milliseconds of wall time however
// long the engine's timers are, and waits only until every goroutine is
// blocked, never on a guess of how long the machine takes.
//
// On the full stack (onFullStack), a world is the real esl client over
// TCP to the simulator, a real redis-server (internal/redistest) and a
// SQLite file, on wall time. A representative set of end-to-end paths runs
// on both tiers (onBothTiers: subtests "bubble" and "fullstack"), so that
// what a bubble leaves out (TCP, redis-server, redisstore, real time) is
// still exercised on them:
//   - TestRingModeCallWithEveryControl: a plain answered call with every
//     in-call control, a recording on disk and a callback disposition.
//   - TestPersistentModeConnectsWithoutRinging: persistent mode.
//   - TestBlindTransfer: blind transfer to a number and to an agent.
//   - TestInboundCallReachesAgent: an inbound caller queued, then bridged.
//   - TestSwitchReconnectAndRestart: TCP connections dropped and dialed
//     again; a switch restarted.
//   - TestRestartAdoptsBridgedCall: the engine restarted, its call adopted
//     from the switch (which outlives the engine on both tiers).
//   - TestLeadNotBridgedToALineOnAnotherNode: two switch nodes, and the
//     line's node kept in redis.
//   - TestRedisComesBackEmpty: a redis-server restarted without its data
//     (memlive.Flush in the bubble).
//
// Only on the full stack, because they need what a bubble cannot hold:
//   - TestRedisOutage: a real redis-server stopped and started again with
//     its data, reached over TCP by redisstore (a TCP read never blocks
//     durably, so a bubble's clock would not move); TestLiveStoreOutage
//     (engine_synctest_test.go) is its twin on memlive and virtual time.
//   - The benchmarks (bench_test.go, memory_bench_test.go): they measure
//     wall time, and some run the simulator in another process.
type world struct {
	t   testing.TB
	sim *sim.Server
	eng *dialer.Engine
	esl *esl.Client
	db  *sqlitestore.Store
	// dbPath is db's file on the full stack (a benchmark counts its
	// records with SQL); "" in a bubble.
	dbPath string
	live   dialer.LiveStore
	recDir string
	events *dialertest.EventLog
	admin  dialer.Actor
	agents map[string]dialer.Agent // by extension
	// now is the engine's clock: times a test hands the engine or its
	// stores are on it.
	now func() time.Time
	// restartEngine stops the engine and starts a new one on the same
	// stores and switch connection, as a restart of the service would;
	// between runs while no engine runs.
	restartEngine func(between ...func())
	// sim2 is the second switch node ("sim2"; the first is "sim") when
	// worldOpts.twoNodes is set.
	sim2 *sim.Server
	// redis is the redis-server behind live on the full stack (nil in a
	// bubble); mem is live in a bubble (nil on the full stack).
	redis *redistest.Server
	mem   *memlive.Store
	// hopper is the engine's: memlive's in a bubble, Redis's on the full
	// stack.
	hopper dialer.Hopper
	// webrtc holds the browser credentials: memlive's in a bubble,
	// Redis's on the full stack.
	webrtc dialer.WebRTCCredentials
	// serviceDurations: the engine and the simulator run on the service's
	// own durations (worldOpts.serviceDurations).
	serviceDurations bool
}

const abandonFile = dialertest.AbandonFile

// worldOpts changes how a world is built (benchmarks).
type worldOpts struct {
	// simAddr uses a simulator already running (another process) instead
	// of one in this process; w.sim is then nil. Full stack only.
	simAddr    string
	engine     func(*dialer.EngineConfig)
	sim        func(*sim.Config)
	extensions []string
	tap        func(esl.Handler) esl.Handler
	wrap       func(dialer.Switch) dialer.Switch
	// now is the engine's clock (the real one if nil; in a bubble, the
	// real one is virtual).
	now func() time.Time
	// persistRedis keeps Redis's data across w.redis.Stop and Restart.
	// Full stack only.
	persistRedis bool
	// discardEvents reads the pushed events without keeping them (a
	// long benchmark's stream). Full stack only.
	discardEvents bool
	// twoNodes runs a second simulator as a second switch node.
	twoNodes bool
	// serviceDurations leaves the engine and the simulator on the
	// service's own durations (a 2 s abandon, a 15 s ring timeout, a 30 s
	// heartbeat grace...) instead of engineConfig's and simConfig's short
	// ones, and lets the waits run a minute: tests of the engine's timers.
	// Bubble only: there a minute is virtual.
	serviceDurations bool
}

// tier is where a world is built.
type tier int

const (
	// inBubble: dialertest, inside a synctest bubble, on virtual time.
	inBubble tier = iota + 1
	// fullStack: TCP, redis-server, on wall time.
	fullStack
)

func (t tier) String() string {
	if t == inBubble {
		return "bubble"
	}
	return "fullstack"
}

// tiers is the tier of each running test that builds worlds, set by the
// runners below (a *testing.B, a benchmark, is always on the full stack).
var tiers sync.Map // testing.TB -> tier

// bubble runs body inside a synctest bubble; the worlds it builds are on
// dialertest and virtual time. body may not call t.Run (synctest forbids
// it): a table test calls bubble in each subtest.
func bubble(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) { runOn(t, inBubble, body) })
}

// onFullStack runs body on the full stack.
func onFullStack(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	runOn(t, fullStack, body)
}

// onBothTiers runs body in a bubble, then on the full stack, as the
// subtests "bubble" and "fullstack".
func onBothTiers(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	t.Run(inBubble.String(), func(t *testing.T) { bubble(t, body) })
	t.Run(fullStack.String(), func(t *testing.T) { onFullStack(t, body) })
}

func runOn(t *testing.T, tr tier, body func(t *testing.T)) {
	tiers.Store(t, tr)
	t.Cleanup(func() { tiers.Delete(t) })
	body(t)
}

func newWorld(t testing.TB, mutate ...func(*dialer.EngineConfig)) *world {
	t.Helper()
	o := worldOpts{}
	if len(mutate) > 0 {
		o.engine = mutate[0]
	}
	return newWorldWith(t, o)
}

// newWorldWith builds a world on the tier of t's runner.
func newWorldWith(t testing.TB, o worldOpts) *world {
	t.Helper()
	if _, ok := t.(*testing.B); ok {
		return newFullStackWorld(t, o)
	}
	tr, _ := tiers.Load(t)
	switch tr {
	case inBubble:
		return newBubbleWorld(t, o)
	case fullStack:
		return newFullStackWorld(t, o)
	}
	t.Fatal("newWorld: run the test with bubble, onFullStack or onBothTiers")
	return nil
}

// engineConfig is a world's engine configuration on both tiers; mutate
// changes it.
func engineConfig(mutate func(*dialer.EngineConfig)) func(*dialer.EngineConfig) {
	return func(c *dialer.EngineConfig) {
		c.AbandonAfter = 300 * time.Millisecond
		c.HeartbeatGrace = time.Minute
		c.AgentRingTimeout = 5 * time.Second
		c.LeadTimeout = 5 * time.Second
		c.Linger = time.Minute
		if mutate != nil {
			mutate(c)
		}
	}
}

// simConfig is a world's simulator configuration on both tiers; mutate
// changes it.
func simConfig(mutate func(*sim.Config)) func(*sim.Config) {
	return func(c *sim.Config) {
		c.AnswerDelay = 40 * time.Millisecond
		if mutate != nil {
			mutate(c)
		}
	}
}

// newBubbleWorld is a world on dialertest; t is a bubble's.
func newBubbleWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	if o.simAddr != "" || o.persistRedis || o.discardEvents {
		t.Fatal("newWorld: simAddr, persistRedis and discardEvents are for the full stack")
	}
	nodes := 1
	if o.twoNodes {
		nodes = 2
	}
	ecfg, scfg := engineConfig(o.engine), simConfig(o.sim)
	if o.serviceDurations {
		ecfg, scfg = o.engine, o.sim
	}
	d := dialertest.New(t, dialertest.Options{
		Engine: ecfg, Sim: scfg, Extensions: o.extensions,
		Nodes: nodes, Now: o.now, Tap: o.tap, Wrap: o.wrap,
	})
	w := &world{
		t: t, sim: d.Sim, eng: d.Eng, esl: d.ESL, db: d.DB, live: d.Live, mem: d.Live,
		recDir: d.RecDir, events: d.Events, admin: d.Admin, agents: d.Agents, now: o.now, hopper: d.Hopper, webrtc: d.WebRTC,
		serviceDurations: o.serviceDurations,
	}
	if o.twoNodes {
		w.sim2 = d.Sims[1]
	}
	if w.now == nil {
		w.now = clock.System()
	}
	w.restartEngine = func(between ...func()) {
		t.Helper()
		d.Restart(between...)
		w.eng, w.events = d.Eng, d.Events
	}
	return w
}

// newFullStackWorld is a world over TCP with a redis-server, on wall time.
func newFullStackWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	if o.serviceDurations {
		t.Fatal("newWorld: serviceDurations is for a bubble")
	}
	w := &world{t: t, recDir: t.TempDir(), agents: map[string]dialer.Agent{}, now: o.now}
	if w.now == nil {
		w.now = clock.System()
	}
	scfg := sim.Config{Password: "s3cret", RecordingsDir: w.recDir}
	simConfig(o.sim)(&scfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	simAddr := o.simAddr
	if simAddr == "" {
		w.sim = sim.New(scfg)
		if err := w.sim.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { w.sim.Serve(ctx) })
		simAddr = w.sim.Addr()
	}
	nodes := []esl.Node{{Name: "sim", Addr: simAddr, Password: "s3cret"}}
	if o.twoNodes {
		w.sim2 = sim.New(scfg)
		if err := w.sim2.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { w.sim2.Serve(ctx) })
		nodes = append(nodes, esl.Node{Name: "sim2", Addr: w.sim2.Addr(), Password: "s3cret"})
	}

	rs := redistest.Start
	if o.persistRedis {
		rs = redistest.StartPersistent
	}
	w.redis = rs(t)
	rstore := redisstore.New(w.redis.Client(), redisstore.Options{})
	w.live, w.hopper, w.webrtc = rstore, rstore.Hopper(), rstore.WebRTCCredentials()
	w.dbPath = filepath.Join(t.TempDir(), "as.db")
	db, agents := dialertest.DirectoryAt(t, ctx, w.dbPath, o.extensions)
	w.db, w.agents = db, agents
	cfg := dialertest.Config(w.recDir)
	engineConfig(o.engine)(&cfg)
	h := &esl.Deferred{}
	// The engine's decoder copies what it keeps, so the client recycles
	// events' memory as the service's does; a tap may keep events.
	client, err := esl.New(esl.Config{Nodes: nodes, BackoffMin: 10 * time.Millisecond, RecycleEvents: o.tap == nil}, h)
	if err != nil {
		t.Fatal(err)
	}
	var sw dialer.Switch = client
	if o.wrap != nil {
		sw = o.wrap(client)
	}
	w.esl = client
	wg.Go(func() { client.Run(ctx) })
	var stopEngine func()
	startEngine := func() {
		w.eng, stopEngine = dialertest.RunEngine(t, ctx, cfg, dialer.EngineDeps{Live: w.live, Directory: db, Campaigns: db, Calls: db, Audit: db, Hopper: w.hopper, Queues: db, PauseCodes: db, WebRTC: w.webrtc, Switch: sw, Now: o.now}, h, o.tap)
	}
	startEngine()
	w.restartEngine = func(between ...func()) {
		t.Helper()
		stopEngine()
		for _, f := range between {
			f()
		}
		startEngine()
		w.events = newEventLog(t, w.eng, o.discardEvents)
	}
	t.Cleanup(func() { cancel(); stopEngine(); wg.Wait() })
	dialertest.WaitSwitchUp(t, client, len(nodes))
	w.admin = dialer.Actor{User: 1, Role: identity.RoleAdmin, Name: "admin"}
	w.events = newEventLog(t, w.eng, o.discardEvents)
	return w
}

// loseLiveData makes the live store lose everything it held, as a
// redis-server restarted without persistence: the real one restarted on
// the full stack, memlive flushed in a bubble.
func (w *world) loseLiveData() {
	if w.redis != nil {
		w.redis.Restart()
		return
	}
	w.mem.Flush()
}

// newEventLog records every pushed event, as a supervisor's stream would
// (discard: reads them and keeps none).
func newEventLog(t testing.TB, eng *dialer.Engine, discard bool) *dialertest.EventLog {
	if discard {
		dialertest.ReadEvents(t, eng)
		return &dialertest.EventLog{}
	}
	return dialertest.NewEventLog(t, eng)
}

// waitFor and poll wait on the time package's clock: virtual in a
// bubble, wall time on the full stack.
var (
	waitFor = dialertest.WaitFor
	poll    = dialertest.Poll
)

// ctx is a context for one request, ended with the test.
func (w *world) ctx() context.Context {
	ctx, cancel := w.reqCtx()
	w.t.Cleanup(cancel)
	return ctx
}

// reqCtx bounds one request of a helper that polls: it makes many, so
// none of them leaves a cleanup behind.
func (w *world) reqCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}

// within is how long a wait helper waits: d, or a minute on the
// service's own durations, where a phone rings 15 s before it times out.
func (w *world) within(d time.Duration) time.Duration {
	if w.serviceDurations {
		return time.Minute
	}
	return d
}

// actor is the agent of extension ext acting for itself.
func (w *world) actor(ext string) dialer.Actor {
	a := w.agents[ext]
	return dialer.Actor{User: identity.UserID(100 + a.ID), Role: identity.RoleAgent, Agent: a.ID, Name: a.Name}
}

// view is the engine's view of the agent of extension ext.
func (w *world) view(ext string) dialer.AgentView {
	w.t.Helper()
	ctx, cancel := w.reqCtx()
	defer cancel()
	v, err := w.eng.AgentView(ctx, w.agents[ext].ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func (w *world) state(ext string) dialer.AgentState {
	w.t.Helper()
	return w.view(ext).State
}

func (w *world) waitState(ext string, s dialer.AgentState) {
	w.t.Helper()
	waitFor(w.t, w.within(5*time.Second), "agent "+ext+" "+s.String(), func() bool { return w.state(ext) == s })
}

// login logs an agent in on its seat's defaults (it starts PAUSED).
func (w *world) login(a dialer.Actor) {
	w.t.Helper()
	if _, err := w.eng.Login(w.ctx(), a, a.Agent, dialer.LoginRequest{}); err != nil {
		w.t.Fatal(err)
	}
}

// loginWith logs the agent of extension ext in with r.
func (w *world) loginWith(ext string, r dialer.LoginRequest) dialer.AgentView {
	w.t.Helper()
	a := w.actor(ext)
	v, err := w.eng.Login(w.ctx(), a, a.Agent, r)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// setReady asks for calls for the agent of extension ext.
func (w *world) setReady(ext string) {
	w.t.Helper()
	a := w.actor(ext)
	if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
		w.t.Fatal(err)
	}
}

// ready logs an agent in on its SIP phone in mode and makes it READY.
func (w *world) ready(ext string, mode dialer.AgentMode) {
	w.t.Helper()
	w.loginWith(ext, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: mode})
	w.setReady(ext)
	w.waitState(ext, dialer.AgentReady)
}

// call is the engine's view of a call.
func (w *world) call(id dialer.CallID) dialer.CallView {
	w.t.Helper()
	ctx, cancel := w.reqCtx()
	defer cancel()
	v, err := w.eng.CallView(ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// waitCall waits until the call is in state st.
func (w *world) waitCall(id dialer.CallID, st dialer.LiveCallState) dialer.CallView {
	w.t.Helper()
	var v dialer.CallView
	waitFor(w.t, w.within(5*time.Second), "call "+string(st), func() bool { v = w.call(id); return v.State == st })
	return v
}

// liveCall waits for a live call that matches.
func (w *world) liveCall(what string, match func(dialer.CallView) bool) dialer.CallView {
	w.t.Helper()
	var v dialer.CallView
	waitFor(w.t, w.within(3*time.Second), what, func() bool {
		ctx, cancel := w.reqCtx()
		defer cancel()
		for _, c := range w.eng.LiveCalls(ctx) {
			if match(c) {
				v = c
				return true
			}
		}
		return false
	})
	return v
}

// party is the call's live party in role.
func (w *world) party(v dialer.CallView, role dialer.LegRole) dialer.PartyView {
	w.t.Helper()
	for _, p := range v.Parties {
		if p.Role == role && p.State != "gone" {
			return p
		}
	}
	w.t.Fatalf("no live %s party in %+v", role, v.Parties)
	return dialer.PartyView{}
}

// commands are the command lines the simulator received (a bgapi's
// Job-UUID header line cut off).
func (w *world) commands() []string {
	var out []string
	for _, c := range w.sim.Commands() {
		line, _, _ := strings.Cut(c, "\n")
		out = append(out, strings.TrimSuffix(line, "\r"))
	}
	return out
}

// sent reports whether the simulator received exactly this command.
func (w *world) sent(cmd string) bool {
	return slices.Contains(w.commands(), cmd)
}

// mustSend waits for the command to reach the simulator.
func (w *world) mustSend(cmd string) {
	w.t.Helper()
	waitFor(w.t, 3*time.Second, "command "+cmd, func() bool { return w.sent(cmd) })
}

// count is how many commands start with prefix.
func (w *world) count(prefix string) int {
	n := 0
	for _, c := range w.commands() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// sentPrefix is the first command that starts with prefix ("" if none).
func (w *world) sentPrefix(prefix string) string {
	for _, c := range w.commands() {
		if strings.HasPrefix(c, prefix) {
			return c
		}
	}
	return ""
}

// record waits for the call's record to be ended and returns it with the
// kinds of its timeline events.
func (w *world) record(id dialer.CallID) (dialer.Call, []string) {
	w.t.Helper()
	var c dialer.Call
	var kinds []string
	waitFor(w.t, w.within(5*time.Second), "call record written", func() bool {
		ctx, cancel := w.reqCtx()
		defer cancel()
		var err error
		c, err = w.db.Call(ctx, id)
		if err != nil || c.State != dialer.CallEnded {
			return false
		}
		evs, err := w.db.CallEvents(ctx, id)
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

// start starts an outbound call to number (for agent, or the longest
// idle if 0).
func (w *world) start(number string, agent dialer.AgentID) dialer.CallView {
	w.t.Helper()
	v, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: number, Agent: agent, Fields: map[string]string{"plan": "gold"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func contains(t *testing.T, what string, list []string, want ...string) {
	t.Helper()
	for _, x := range want {
		if !slices.Contains(list, x) {
			t.Errorf("%s %v lacks %q", what, list, x)
		}
	}
}

// inOrder checks that want appear in list in this order (not necessarily
// adjacent).
func inOrder(t testing.TB, what string, list []string, want ...string) {
	t.Helper()
	if i := matched(list, want); i < len(want) {
		t.Errorf("%s %v does not have %v in order (stopped at %q)", what, list, want, want[i])
	}
}

// matched is how much of want appears in list in order.
func matched(list, want []string) int {
	i := 0
	for _, x := range list {
		if i < len(want) && x == want[i] {
			i++
		}
	}
	return i
}

// statesInOrder waits for the agent's pushed states to show want in
// order: the hub delivers them after the engine's own state changed.
func (w *world) statesInOrder(agent dialer.AgentID, want ...string) {
	w.t.Helper()
	poll(3*time.Second, func() bool { return matched(w.events.AgentStates(agent), want) == len(want) })
	inOrder(w.t, "agent states", w.events.AgentStates(agent), want...)
}
