package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/mailbox"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// Channel variables the engine sets on every leg, so a leg seen in `show
// channels` or in a CDR can be tied back to its call.
const (
	VarCallID  = "agentswitch_call_id"
	VarLegRole = "agentswitch_leg_role"
	VarAgentID = "agentswitch_agent_id"
	// VarDID, VarQueue and VarCampaignID are set by the dialplan the
	// service serves for its numbers: which number a caller dialed.
	VarDID   = "agentswitch_did"
	VarQueue = "agentswitch_queue"
	// VarPriority ranks an inbound caller in its queue (higher first).
	VarPriority = pbxnames.VarPriority
	// VarSkills lists, sorted and comma-separated, the skills a member
	// needs to be offered an inbound caller.
	VarSkills     = pbxnames.VarSkills
	VarCampaignID = "agentswitch_campaign_id"
	// VarDialed is set by the agents' dialplan on a call an agent dials
	// from its own SIP phone (leg role RoleAgentDial): the number, as
	// typed on the phone.
	VarDialed     = pbxnames.VarDialed
	RoleAgentDial = pbxnames.RoleAgentDial
)

// EngineConfig tunes the engine. Zero values take the defaults shown.
type EngineConfig struct {
	// Gateway carries calls to external numbers (sofia/gateway/<Gateway>/<number>).
	Gateway string // "carrier"
	// AgentDomain is the directory domain of agents' SIP phones ("" = the
	// switch's default domain).
	AgentDomain    string
	CallerIDNumber string
	CallerIDName   string
	// LeadTimeout is how long a lead's phone may ring.
	LeadTimeout time.Duration // 30s
	// AgentRingTimeout is how long an agent's phone may ring (ring mode).
	AgentRingTimeout time.Duration // 15s
	// AbandonAfter is how long an answered lead may wait for an agent.
	AbandonAfter time.Duration // 2s
	// AbandonMessage is played to an abandoned lead before hanging up
	// ("" hangs up at once).
	AbandonMessage string
	// TransferFailedMessage is played to a lead whose blind transfer
	// failed and whom nobody took back, before hanging up ("" hangs up
	// at once).
	TransferFailedMessage string
	// ConsentMessage is played to the lead before a recording starts
	// ("" starts at once).
	ConsentMessage string
	// RecordingsDir is where the switch writes recordings (a path on the
	// switch's host).
	RecordingsDir string
	// WrapUp is the default automatic return to READY after a call (0:
	// the agent chooses). A campaign's wrap-up seconds take precedence.
	WrapUp time.Duration
	// PauseCodes an agent may choose without EngineDeps.PauseCodes
	// (default PauseCodes).
	PauseCodes []string
	// HeartbeatGrace is how long a workspace may be silent before its
	// agent is paused.
	HeartbeatGrace time.Duration // 30s
	// Lease is how long a reservation waits to be confirmed.
	Lease time.Duration // DefaultLease
	// ConferenceProfile is the switch's conference profile for warm
	// transfers and three-way calls.
	ConferenceProfile string // "agentswitch" (pbx-config)
	// ReserveRetry is how often a waiting lead retries to find an agent.
	ReserveRetry time.Duration // 100ms
	// SweepInterval paces lease, heartbeat and callback sweeps.
	SweepInterval time.Duration // 250ms
	// Linger keeps an ended call in memory for late events and views.
	Linger time.Duration // 30s
	// InboundMaxWait is how long an inbound caller waits for an agent,
	// hearing hold music, before the call is given up.
	InboundMaxWait time.Duration // 2m
	// Country (ISO 3166 alpha-2) reads a number typed on an agent's phone
	// without "+"; "" accepts numbers with their country code only.
	Country string
	// MaxCallDuration is how long a call may last: past it the service
	// hangs it up and records it ended (cause ALLOTTED_TIMEOUT).
	MaxCallDuration time.Duration // 4h
	// PaceEvery is how often the dialer looks for leads to dial besides
	// the agent and call changes that ask at once.
	PaceEvery time.Duration // 1s
	// CampaignStatsEvery is how often the dialer campaigns' abandon rates
	// are read for the wall.
	CampaignStatsEvery time.Duration // 15s
	// AgentPhoneAllow are E.164 prefixes a supervisor may point an agent's
	// session at besides the seat's own external phone (empty: only that).
	AgentPhoneAllow []string
	// NodeHealthInterval is how often each connected switch node's
	// `status` is read for its sessions and uptime.
	NodeHealthInterval time.Duration // 30s
	// WebRTCCredentialTTL is how long a browser softphone's SIP password
	// lives; the workspace asks for a new one before it ends.
	WebRTCCredentialTTL time.Duration // DefaultWebRTCCredentialTTL
	// Announcer renders what a speed call says (the announcement to the
	// manager, the recording warning to the lead) to a file the switch
	// plays; nil plays a beep in its place.
	Announcer Announcer
}

func (c *EngineConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Gateway == "" {
		c.Gateway = "carrier"
	}
	def(&c.LeadTimeout, 30*time.Second)
	def(&c.AgentRingTimeout, 15*time.Second)
	def(&c.AbandonAfter, 2*time.Second)
	def(&c.HeartbeatGrace, 30*time.Second)
	def(&c.Lease, DefaultLease)
	def(&c.ReserveRetry, 100*time.Millisecond)
	def(&c.SweepInterval, 250*time.Millisecond)
	def(&c.Linger, 30*time.Second)
	def(&c.InboundMaxWait, 2*time.Minute)
	def(&c.MaxCallDuration, 4*time.Hour)
	def(&c.CampaignStatsEvery, 15*time.Second)
	def(&c.PaceEvery, time.Second)
	def(&c.NodeHealthInterval, 30*time.Second)
	def(&c.WebRTCCredentialTTL, DefaultWebRTCCredentialTTL)
	if c.ConferenceProfile == "" {
		c.ConferenceProfile = "agentswitch"
	}
	if len(c.PauseCodes) == 0 {
		c.PauseCodes = PauseCodes
	}
}

// EngineDeps are the engine's outside systems.
type EngineDeps struct {
	Switch    Switch
	Live      LiveStore
	Directory Directory
	Campaigns CampaignStore
	Calls     CallLog
	Audit     AuditLog
	// Hopper holds the dialer campaigns' leads ready to dial; without one
	// the engine places no dialer calls.
	Hopper Hopper
	// Queues holds the inbound queues; without it a DID's queue only
	// labels the call, which any READY agent takes.
	Queues QueueStore
	// PauseCodes keeps the codes agents pause with; without it
	// EngineConfig.PauseCodes are the codes.
	PauseCodes PauseCodeStore
	// WebRTC keeps the browser softphones' SIP credentials; without it
	// none are issued.
	WebRTC WebRTCCredentials
	Now    func() time.Time
	Logger *slog.Logger
}

// Engine runs calls and agents: it turns switch events, API requests and
// timers into switch commands, live-state transitions, call records and
// pushed events.
type Engine struct {
	cfg   EngineConfig
	sw    Switch
	live  LiveStore
	dir   Directory
	camp  CampaignStore
	calls CallLog
	audit AuditLog
	now   func() time.Time
	log   *slog.Logger
	hub   *hub
	cdr   *cdrWriter
	// router holds the inbound queues' callers and offers them to agents.
	router *router
	queues QueueStore
	// pauseStore keeps the pause codes; pauseCache its active ones.
	pauseStore PauseCodeStore
	pauseCache pauseCodeCache
	// webrtc keeps the browser softphones' credentials (nil: none).
	webrtc WebRTCCredentials

	hopper Hopper
	// kick asks the pacer for a pass; camps and campsAt are the pacer's
	// own (its goroutine only).
	kick    chan struct{}
	camps   map[CampaignID]pacedCampaign
	campsAt time.Time
	// pmem is what the pacer remembers of the campaigns' recent calls.
	pmem pacerMemory

	// ctx is the engine's life, made once in NewEngine and ended when
	// Run's context ends: each call's own context is derived from it (a
	// call is detached from the request that started it), and events may
	// arrive before Run starts.
	ctx  context.Context
	stop context.CancelCauseFunc

	// mu guards the maps below. Lock order: it is a leaf, held over no
	// I/O, no other lock and no mailbox post.
	mu        sync.Mutex
	byID      map[CallID]*call
	byLeg     map[LegID]*call
	lines     map[AgentID]*line  // logged-in agents
	lineByLeg map[LegID]*line    // persistent agent legs
	waiting   map[*call]struct{} // answered leads looking for an agent
	// paced counts, per campaign, the dialer's calls ringing or answered
	// and waiting for an agent.
	paced   map[CampaignID]int
	offered map[CallbackID]time.Time
	// statesSeen: each agent's last state change queued for reports.
	statesSeen map[AgentID]agentStateKey
	// heldCallbacks: due callbacks outside their calling window, and when
	// it opens; not offered, nor looked up again, before then.
	heldCallbacks map[CallbackID]time.Time
	// callbackScan: where each agent's next callback sweep goes on.
	callbackScan map[AgentID]CallbackCursor
	// lostAt is, per node whose connection is down, the last moment it
	// was known alive; a call it held that is gone when it returns ends
	// then.
	lostAt map[string]time.Time
	// beats are heartbeats the live store could not take (Redis down):
	// the newest deadline per agent, written first when it is back, so
	// workspaces that kept beating are not paused for the outage.
	beats map[AgentID]time.Time
	// media: each logged-in agent's latest softphone report.
	media   map[AgentID]mediaState
	defMu   sync.Mutex // guards defCamp; held over store I/O, so not mu
	defCamp CampaignID
	// group runs the calls' and lines' turns and the engine's short
	// tasks; Run closes it and waits for them.
	group mailbox.Group
	// draining is set by Drain: no new calls are taken.
	draining atomic.Bool
	// swState follows the switch's nodes and gateways.
	swState switchState
	// loaded is closed once the agents are registered with the live store;
	// requests wait for it so a login cannot race the start-up.
	loaded chan struct{}
}

// NewEngine wires an engine; Run starts it.
func NewEngine(cfg EngineConfig, d EngineDeps) (*Engine, error) {
	cfg.setDefaults()
	if d.Switch == nil || d.Live == nil || d.Directory == nil || d.Campaigns == nil || d.Calls == nil {
		return nil, errors.New("dialer: engine needs a switch, a live store, a directory, a campaign store and a call log")
	}
	if d.Now == nil {
		d.Now = clock.System()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg: cfg, sw: d.Switch, live: d.Live, dir: d.Directory, camp: d.Campaigns, calls: d.Calls, audit: d.Audit,
		now: d.Now, log: d.Logger, hub: newHub(512), hopper: d.Hopper, kick: make(chan struct{}, 1),
		paced:      map[CampaignID]int{},
		byID:       map[CallID]*call{},
		byLeg:      map[LegID]*call{},
		lines:      map[AgentID]*line{},
		lineByLeg:  map[LegID]*line{},
		waiting:    map[*call]struct{}{},
		offered:    map[CallbackID]time.Time{},
		statesSeen: map[AgentID]agentStateKey{},
		lostAt:     map[string]time.Time{},
		beats:      map[AgentID]time.Time{},
		media:      map[AgentID]mediaState{},
		loaded:     make(chan struct{}),
	}
	e.ctx, e.stop = context.WithCancelCause(context.Background())
	e.cdr = newCDRWriter(d.Calls, d.Logger)
	e.queues = d.Queues
	e.pauseStore = d.PauseCodes
	e.webrtc = d.WebRTC
	e.router = newRouter(e, uint64(e.now().UnixNano()))
	return e, nil
}

// Run starts the engine's loops and blocks until ctx ends; live calls are
// left to the switch, their records are flushed.
func (e *Engine) Run(ctx context.Context) error {
	context.AfterFunc(ctx, func() { e.stop(errEngineStopped) })
	defer e.stop(errEngineStopped)
	if err := e.load(ctx); err != nil {
		return err
	}
	close(e.loaded)
	var wg sync.WaitGroup
	wg.Go(func() { e.cdr.run(ctx) })
	wg.Go(func() { e.sweep(ctx) })
	wg.Go(func() { e.followAgents(ctx) })
	wg.Go(func() { e.watchHealth(ctx) })
	if e.hopper != nil {
		wg.Go(func() { e.paceLoop(ctx) })
	}
	if st, ok := e.calls.(CallStatsReader); ok {
		wg.Go(func() { e.abandonLoop(ctx, st) })
	}
	<-ctx.Done()
	wg.Wait()
	e.group.Close()
	return nil
}

// sessionEndpoint is where a session found in the live store takes calls
// after a restart: the endpoint its login settled, or the agent's own SIP
// extension when the store holds none (a status written by a version that
// did not keep it) or one no login accepts. A browser stays on the
// seat's extension, whatever it was at login.
func sessionEndpoint(a Agent, st AgentStatus) AgentEndpoint {
	ep := st.Endpoint
	if ep.Kind == "" || validateSessionEndpoint(ep) != nil || (ep.Kind == EndpointPhone && PremiumRate(ep.Phone)) {
		return AgentEndpoint{Kind: EndpointSIP, Extension: a.Extension}
	}
	if ep.Kind == EndpointWebRTC {
		ep.Extension = a.Extension
	}
	return ep
}

// load registers every agent with the live store and adopts the agents
// already logged in (a restart of the service).
func (e *Engine) load(ctx context.Context) error {
	// Queues first: the agents published below find their memberships.
	if e.queues != nil {
		if err := e.router.load(ctx, e.queues); err != nil {
			return fmt.Errorf("dialer: queues: %w", err)
		}
	}
	agents, err := e.dir.ListAgents(ctx)
	if err != nil {
		return fmt.Errorf("dialer: list agents: %w", err)
	}
	open, err := e.openCalls(ctx)
	if err != nil {
		return fmt.Errorf("dialer: calls left open: %w", err)
	}
	statuses := map[AgentID]AgentStatus{}
	if all, err := e.live.Agents(ctx); err == nil {
		for _, st := range all {
			statuses[st.Agent] = st
		}
	}
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		p := a.Profile()
		st, ok := statuses[a.ID]
		var ref CampaignRef
		if ok && st.State != AgentLoggedOut {
			if st.Mode != "" {
				p.Mode = st.Mode // the mode it logged in with, not the seat's default
			}
			p.Endpoint = sessionEndpoint(a, st)
			// The campaign the session works on, from its routing tags.
			if id := sessionCampaign(st.Tags); id != 0 {
				if c, err := e.camp.Campaign(ctx, id); err == nil && mayWork(a, c) {
					ref = refOf(c)
					p = profileOn(a, p.Mode, p.Endpoint, id)
				}
			}
		}
		if err := e.live.UpsertAgent(ctx, p); err != nil {
			return fmt.Errorf("dialer: register agent %d: %w", a.ID, err)
		}
		if !ok || st.State == AgentLoggedOut {
			continue
		}
		// Logged in before a restart: keep the line. A call it was
		// reserved for, ringing for or talking on is not held by this
		// process, so the agent is paused at once with a reason the
		// workspace shows, unless the call's record is open (adoptCalls
		// takes it back or closes it); a wrap-up (DISPO) stays.
		l := e.newLine(a, st.Mode, p.Endpoint)
		l.set(func(s *lineState) { s.campaign = ref })
		e.mu.Lock()
		e.lines[a.ID] = l
		e.mu.Unlock()
		if st.State == AgentPaused && st.PauseCode == PausePreview {
			// The lead it read went with the previous process (its claim
			// lapses); ready for the next one.
			if _, err := e.transition(ctx, a.ID, AgentPaused, TriggerReady, "", "the service restarted", ""); err != nil {
				e.log.Warn("previewing agent not made READY after the restart", "agent_id", a.ID, "err", err)
			}
			continue
		}
		if open[st.Call] != nil {
			continue // the call may still be up: adoptCalls decides
		}
		e.callLost(ctx, st, "the service restarted; the call is no longer held")
	}
	// A callback dialing when the previous process stopped has no call
	// here to finish it (requests wait for loaded): without this it would
	// stay dialing, hidden from the due lists and never redialed.
	ids, err := e.camp.RescheduleDialingCallbacks(ctx, e.now())
	if err != nil {
		return fmt.Errorf("dialer: reschedule dialing callbacks: %w", err)
	}
	if len(ids) > 0 {
		e.log.Warn("callbacks left dialing by the previous run are scheduled again", "callback_ids", ids)
	}
	e.adoptCalls(ctx, open, statuses)
	e.adoptLines(ctx, statuses)
	// Every agent is registered: the store is complete (see Mark).
	if _, err := e.live.Mark(ctx); err != nil {
		return fmt.Errorf("dialer: live store: %w", err)
	}
	return nil
}

// ready waits until the engine has started.
func (e *Engine) ready(ctx context.Context) error {
	select {
	case <-e.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HandleEvent routes a switch event to the call (or agent's line) whose
// leg it concerns. It runs on the switch client's delivery goroutine: it
// only decodes, routes and posts, never waits.
func (e *Engine) HandleEvent(node string, raw *esl.Event) {
	switch raw.Kind() {
	case esl.SubclassGatewayState:
		e.gatewayEvent(node, raw)
		return
	case esl.SubclassRegister:
		e.browserRegistered(raw.Get("profile-name"), raw.Get("from-user"))
		return
	}
	ev, ok := decodeEvent(node, raw)
	if !ok {
		return
	}
	kind, id := ev.kind, ev.leg
	e.mu.Lock()
	c := e.byLeg[id]
	l := e.lineByLeg[id]
	var other *call
	if kind == esl.EventChannelBridge {
		other = e.byLeg[ev.bridgeB]
	}
	e.mu.Unlock()
	if l != nil {
		l.post(func(l *line) { l.onLegEvent(kind, ev) })
		if c == nil {
			c = l.state().call
		}
	}
	if c == nil {
		c = other
	}
	if c == nil && l == nil && kind == esl.EventChannelPark && ev.did != "" && ev.inbound {
		// A caller on one of our numbers, answered and parked by the
		// dialplan the service served: a new inbound call.
		if e.draining.Load() {
			e.refuseInbound(id)
			return
		}
		c = e.inboundCall(node, ev)
	}
	if c == nil && l == nil && kind == esl.EventChannelPark && ev.legRole == RoleAgentDial && ev.inbound {
		// An agent dialed a number on its own phone; the dialplan answered
		// and parked the leg.
		e.phoneDial(node, ev)
		return
	}
	if c != nil {
		c.post(legEvent{leg: id, kind: kind, ev: ev, node: node})
	}
}

// HandleNode reacts to a switch node coming up or going down. A restarted
// switch lost every channel: its calls end as failed and their agents are
// freed.
func (e *Engine) HandleNode(st esl.NodeState) {
	e.nodeChanged(st)
	if !st.Up {
		e.mu.Lock()
		if _, ok := e.lostAt[st.Node]; !ok {
			e.lostAt[st.Node] = e.now().Add(-st.Silent)
		}
		e.mu.Unlock()
		e.log.Warn("switch node down; calls continue on the switch and are reconciled when it returns", "node", st.Node, "err", st.Err)
		return
	}
	live := map[LegID]bool{}
	for _, ch := range st.Channels {
		live[LegID(ch.UUID)] = true
	}
	e.mu.Lock()
	lostAt, ok := e.lostAt[st.Node]
	delete(e.lostAt, st.Node)
	if !ok {
		lostAt = e.now()
	}
	// Each call decides on its own turn whether the node held it (its
	// node and legs are its own state).
	calls := slices.Collect(maps.Values(e.byID))
	var lostLines []*line
	for leg, l := range e.lineByLeg {
		if l.state().legNode == st.Node && !live[leg] {
			lostLines = append(lostLines, l)
		}
	}
	e.mu.Unlock()
	back := nodeBack{node: st.Node, restarted: st.Restarted, live: live, lostAt: lostAt}
	for _, c := range calls {
		c.post(back)
	}
	if st.Restarted {
		e.log.Warn("switch restarted: ending its calls", "node", st.Node)
		for _, l := range lostLines {
			l.post(func(l *line) { l.legGone("SYSTEM_SHUTDOWN") })
		}
		return
	}
	for _, l := range lostLines {
		leg := l.state().leg
		if leg == "" {
			continue
		}
		e.group.Go(func() {
			if ok, err := e.sw.Exists(e.ctx, string(leg)); err == nil && !ok {
				l.post(func(l *line) {
					if l.state().leg == leg {
						l.legGone("NORMAL_TEMPORARY_FAILURE")
					}
				})
			}
		})
	}
}

// sweep expires leases, pauses agents whose workspace went silent, offers
// due callbacks, and nudges waiting leads.
func (e *Engine) sweep(ctx context.Context) {
	t := time.NewTicker(e.cfg.SweepInterval)
	defer t.Stop()
	lastOffer := time.Time{}
	down := false // the live store is unreachable: said once, not every tick
	failed := func(what string, err error) {
		switch {
		case !errors.Is(err, ErrUnavailable):
			e.log.Warn(what+" failed", "err", err)
		case !down:
			down = true
			e.log.Error("the live store (Redis) is unreachable; sweeps wait for it", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := e.now()
		// A store that lost its data (restarted empty, flushed) has lost
		// its marker: the agents are rebuilt before anything else.
		kept, err := e.live.Mark(ctx)
		if err == nil && !kept {
			err = e.rebuildLive(ctx)
		}
		if err != nil {
			failed("live state check", err)
			continue
		}
		if down {
			down = false
			e.log.Info("the live store (Redis) is reachable again")
		}
		// Heartbeats taken during an outage go in before anyone is found
		// silent.
		if err := e.writeBeats(ctx); err != nil {
			failed("heartbeat write", err)
			continue
		}
		freed, err := e.live.ExpireLeases(ctx, now)
		if err != nil {
			failed("lease sweep", err)
			continue
		}
		for _, id := range freed {
			e.log.Warn("reservation lapsed; agent is READY again", "agent_id", id)
			e.refreshAgent(ctx, id)
		}
		if lost, err := e.live.LostHeartbeats(ctx, now); err != nil {
			failed("heartbeat sweep", err)
		} else {
			for _, id := range lost {
				e.heartbeatLost(ctx, id)
			}
		}
		if now.Sub(lastOffer) >= 2*time.Second {
			lastOffer = now
			e.offerCallbacks(ctx, now)
		}
	}
}

// writeBeats writes the heartbeats kept during an outage of the live
// store, and forgets each one written.
func (e *Engine) writeBeats(ctx context.Context) error {
	e.mu.Lock()
	if len(e.beats) == 0 {
		e.mu.Unlock()
		return nil
	}
	beats := maps.Clone(e.beats)
	e.mu.Unlock()
	for id, until := range beats {
		if err := e.live.Heartbeat(ctx, id, until); errors.Is(err, ErrUnavailable) {
			return err
		} else if err != nil {
			e.log.Warn("a heartbeat kept during the outage could not be written", "agent_id", id, "err", err)
		}
		e.mu.Lock()
		if e.beats[id].Equal(until) {
			delete(e.beats, id)
		}
		e.mu.Unlock()
	}
	return nil
}

// rebuildLive registers again the agents the live store does not know
// (it came back empty, or was flushed) and restores those logged in here
// as last published; one bound to a call this engine no longer holds
// comes back PAUSED with CALL_LOST.
func (e *Engine) rebuildLive(ctx context.Context) error {
	all, err := e.live.Agents(ctx)
	if err != nil {
		return err
	}
	known := make(map[AgentID]bool, len(all))
	for _, st := range all {
		known[st.Agent] = true
	}
	agents, err := e.dir.ListAgents(ctx)
	if err != nil {
		return err
	}
	now := e.now()
	var restore []AgentStatus
	for _, a := range agents {
		if a.Disabled || known[a.ID] {
			continue
		}
		if err := e.live.UpsertAgent(ctx, a.Profile()); err != nil {
			return err
		}
		v, ok := e.hub.agent(a.ID)
		if e.line(a.ID) == nil || !ok || v.State == AgentLoggedOut {
			continue
		}
		st := AgentStatus{Agent: a.ID, State: v.State, Since: v.Since, Reason: v.Reason, Call: v.Call, PauseCode: v.PauseCode,
			Mode: a.Mode, Endpoint: v.Endpoint, Tags: a.Profile().Tags, LoginAt: now, Seq: v.seq}
		if v.Mode != "" {
			st.Mode = v.Mode
		}
		if to, err := NextAgentState(st.State, TriggerCallLost, st.Mode); err == nil && !e.holdsCall(st.Call) {
			st.State, st.Call, st.Since = to, "", now
			st.Reason, st.PauseCode = "the live state was lost; the call is no longer held", PauseCallLost
		}
		restore = append(restore, st)
	}
	if len(restore) == 0 {
		return nil
	}
	if err := e.live.Restore(ctx, restore); err != nil {
		return err
	}
	e.log.Warn("the live store came back without agents' states; restored those logged in", "agents", len(restore))
	for _, st := range restore {
		e.refreshAgent(ctx, st.Agent)
	}
	return nil
}

// holdsCall reports whether the call is live in this engine.
func (e *Engine) holdsCall(id CallID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.byID[id]
	return c != nil && !c.ended.Load()
}

// followAgents keeps the published agent views in step with changes made
// outside this engine (another instance, a restore).
func (e *Engine) followAgents(ctx context.Context) {
	ch, err := e.live.Subscribe(ctx)
	if err != nil {
		e.log.Warn("cannot follow agent events", "err", err)
		return
	}
	for ev := range ch {
		if v, ok := e.hub.agent(ev.Agent); ok && v.seq >= ev.Seq {
			continue
		}
		e.refreshAgent(ctx, ev.Agent)
	}
}

// Subscribe returns the live state and the events that follow.
func (e *Engine) Subscribe(ctx context.Context, f LiveFilter) (LiveSnapshot, <-chan LiveEvent, error) {
	snap, ch := e.hub.subscribe(ctx, f, e.now())
	return snap, ch, nil
}

// ReadyAgents counts the agents a lead call could be given to now: the
// named agent if it is READY, else every READY agent (a lead call goes to
// the longest-idle READY agent, whatever its campaigns). It reads the
// views in memory, for the answer to a call just started.
func (e *Engine) ReadyAgents(named AgentID) int { return e.hub.readyAgents(named) }

// LiveAgents returns the last published view of every logged-in agent,
// from memory: the views the event stream's snapshot is made of, read
// without a round trip to the live store.
func (e *Engine) LiveAgents() []AgentView { return e.hub.agentViews() }

// PublishImport pushes a lead import's progress (its record as JSON) to
// the supervisors' streams.
func (e *Engine) PublishImport(record json.RawMessage) {
	e.publish(LiveEvent{Type: EvImportProgress, Import: record})
}

func (e *Engine) publish(ev LiveEvent) {
	if ev.At.IsZero() {
		ev.At = e.now()
	}
	e.hub.publish(ev)
}

// ReloadQueues reads the inbound queues and their members again after an
// admin changed them; callers keep their place.
func (e *Engine) ReloadQueues(ctx context.Context) error {
	if e.queues == nil {
		return nil
	}
	// The start-up's own load comes first.
	if err := e.ready(ctx); err != nil {
		return err
	}
	if err := e.router.load(ctx, e.queues); err != nil {
		return err
	}
	// The members logged in already are followed from now on, and the
	// READY ones may take callers already waiting.
	for _, v := range e.hub.agentViews() {
		e.router.agentView(v)
	}
	for _, q := range e.router.views() {
		e.publish(LiveEvent{Type: EvQueueStats, QueueView: &q})
	}
	return nil
}

// QueueViews lists the inbound queues' live figures.
func (e *Engine) QueueViews() []QueueView { return e.router.views() }

// recordingPath is where a call's recording goes: <dir>/YYYY/MM/DD/<call>.wav.
func (e *Engine) recordingPath(id CallID, at time.Time) string {
	return filepath.Join(e.cfg.RecordingsDir, at.UTC().Format("2006/01/02"), string(id)+".wav")
}

// defaultCampaign is where calls without a campaign keep their leads.
// Concurrent first calls wait for one another and all get the same one.
func (e *Engine) defaultCampaign(ctx context.Context) (CampaignID, error) {
	e.defMu.Lock()
	defer e.defMu.Unlock()
	if e.defCamp != 0 {
		return e.defCamp, nil
	}
	c, err := e.camp.EnsureCampaign(ctx, Campaign{Name: "Default", DialMode: DialPreview, MaxAttempts: 3, Active: true})
	if err != nil {
		return 0, fmt.Errorf("default campaign: %w", err)
	}
	e.defCamp = c.ID
	return c.ID, nil
}

// lead finds the lead for a number in a campaign, creating it (with the
// given custom fields) when there is none.
func (e *Engine) lead(ctx context.Context, campaign CampaignID, id LeadID, number string, fields map[string]string) (Lead, error) {
	addFields := func(l *Lead) error {
		if l.Custom == nil {
			l.Custom = map[string]string{}
		}
		for k, v := range fields {
			l.Custom[k] = v
		}
		return nil
	}
	if id != 0 {
		l, err := e.camp.Lead(ctx, id)
		if err != nil || len(fields) == 0 {
			return l, err
		}
		return UpdateLeadWith(ctx, e.camp, l, addFields)
	}
	found, err := e.camp.ListLeads(ctx, LeadFilter{Campaign: campaign, Phone: number, Limit: 1})
	if err != nil {
		return Lead{}, err
	}
	if len(found) > 0 {
		if len(fields) > 0 {
			return UpdateLeadWith(ctx, e.camp, found[0], addFields)
		}
		return found[0], nil
	}
	return e.camp.CreateLead(ctx, Lead{Campaign: campaign, Phone: number, Custom: fields, Status: LeadNew})
}

// endpointFor is how the switch reaches a number or an agent.
func (e *Engine) numberEndpoint(number string) esl.Endpoint {
	return esl.GatewayEndpoint{Gateway: e.cfg.Gateway, Number: number}
}

func (e *Engine) agentEndpoint(ep AgentEndpoint) esl.Endpoint {
	switch ep.Kind {
	case EndpointPhone:
		return e.numberEndpoint(ep.Phone)
	case EndpointWebRTC:
		return esl.UserEndpoint{User: WebRTCUser(ep.Extension), Domain: e.cfg.AgentDomain}
	}
	return esl.UserEndpoint{User: ep.Extension, Domain: e.cfg.AgentDomain}
}

func endpointLabel(ep esl.Endpoint) string {
	switch v := ep.(type) {
	case esl.GatewayEndpoint:
		return "sofia/gateway/" + v.Gateway + "/" + v.Number
	case esl.UserEndpoint:
		if v.Domain != "" {
			return "user/" + v.User + "@" + v.Domain
		}
		return "user/" + v.User
	}
	return fmt.Sprintf("%v", ep)
}

func sortAgents(a []AgentView) {
	slices.SortFunc(a, func(x, y AgentView) int { return int(x.ID - y.ID) })
}
func sortCalls(c []CallView) {
	slices.SortFunc(c, func(x, y CallView) int {
		if d := x.CreatedAt.Compare(y.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(string(x.ID), string(y.ID))
	})
}

// switchErr turns a switch failure into the engine's errors: a refused
// value is a FieldError, a missing node is ErrUnavailable.
func switchErr(err error) error {
	var fe *esl.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return &FieldError{Field: fe.Field, Reason: fe.Reason}
	case errors.Is(err, esl.ErrInvalid):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	case errors.Is(err, esl.ErrNotConnected), errors.Is(err, esl.ErrCommandTimeout):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, esl.ErrNoSuchChannel):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
