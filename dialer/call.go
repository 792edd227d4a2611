package dialer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/mailbox"
)

// leg is one channel of a call.
type leg struct {
	id         LegID
	role       LegRole
	agent      AgentID
	number     string
	endpoint   string
	node       string
	persistent bool // an agent's nailed-up leg, owned by its session
	retired    bool // left the call (a transferred-away agent); only its record is closed
	extra      bool // a ring-all agent leg ringing beside the call's agent's
	state      LegState
	// answeredAt and endedAt are on the engine's clock, when the engine
	// learned of them; swAnswered and swEnded are the switch's own event
	// times, used only to measure the talk time between them.
	answeredAt time.Time
	endedAt    time.Time
	swAnswered time.Time
	swEnded    time.Time
	member     int // conference member id
	cause      string
	// monitor is a supervisor leg's mode and who started it.
	monitor *MonitorView
}

// callTimer names a timer of a call.
type callTimer uint8

const (
	timerAbandon      callTimer = iota + 1 // nobody took the answered lead in time (or an inbound caller's max wait)
	timerReserve                           // look for an agent again
	timerMaxWait                           // the caller waited its queue's longest
	timerAnnounce                          // tell a waiting caller its place and wait
	timerVoicemailEnd                      // a message left after an overflow reached its limit
	timerHangup                            // the lead we hung up sent no hangup in time
	timerBridge                            // a bridge asked for neither connected nor failed
)

// Messages to a call's goroutine.
type (
	legEvent struct {
		leg  LegID
		kind string
		ev   switchEvent
		node string
	}
	jobResult struct {
		leg LegID
		err error
	}
	cmdMsg struct {
		fn    func(*call) error
		reply chan error
	}
	timerMsg struct{ name callTimer }
	// switchLost: the call's channels are gone with the switch; at is the
	// last moment the switch was known alive (engine clock).
	switchLost struct {
		cause string
		at    time.Time
	}
	// switchCheck: after a reconnect the call's legs were not listed; ask
	// the switch whether the lead still exists. lostAt is when the
	// connection was lost.
	switchCheck struct{ lostAt time.Time }
	// forgetMsg: an ended call's linger is over.
	forgetMsg struct{ cause error }
	// nodeBack: a switch node is connected again (restarted: with new
	// channels); live are its channels then. A call on it ends, or
	// checks its lead, on its own turn.
	nodeBack struct {
		node      string
		restarted bool
		live      map[LegID]bool // shared, read only
		lostAt    time.Time
	}
)

// call is one live call, an actor: everything that happens to it (switch
// events, originate results, API commands, timers) arrives in its mailbox
// in order and is handled one batch at a time, on a goroutine that exists
// only while messages wait; only that goroutine touches its state. A call
// ringing for a minute, or one that ended and lingers for late events and
// views, costs no goroutine.
type call struct {
	e   *Engine
	id  CallID
	log *slog.Logger

	inbox *mailbox.Actor[any]
	view  atomic.Pointer[CallView]
	ended atomic.Bool // set by finish; readable from any goroutine

	// ctx is the call's life, derived from the engine's and detached from
	// the request that started it; it ends when the call is forgotten (or
	// the engine stops), its cause saying why.
	ctx    context.Context
	cancel context.CancelCauseFunc
	over   chan struct{} // closed by finish
	// endedBy is why the service ended the call itself (drain, maximum
	// duration), the cause its context ends with.
	endedBy error

	// Owned by the call's turn in its mailbox.
	maxDur         *time.Timer // the call's maximum duration
	lingering      bool        // ended; forgotten after the linger
	st             callState
	dir            CallDirection
	origin         CallOrigin
	number         string
	callerNum      string
	callerName     string
	campaign       CampaignID
	lead           LeadID
	campaignWrap   time.Duration
	named          AgentID // only this agent may take the call
	agent          AgentID // the agent reserved for or talking on the call
	agentState     AgentState
	leadLeg        *leg
	agentLeg       *leg
	legs           []*leg
	node           string
	createdAt      time.Time
	answeredAt     time.Time
	connectedAt    time.Time
	endedAt        time.Time
	held           bool
	holdStart      time.Time
	muted          bool
	recording      bool
	recPath        string
	consentPending bool
	musicOn        bool           // an inbound caller hears waiting music
	parked         bool           // park_after_bridge is set on the inbound caller's leg
	leadCh         chan leadMatch // an inbound caller's lead lookup, until taken
	// holdRecords keeps the record's writes in heldRecords until the record
	// is queued (an inbound caller is offered to an agent first).
	holdRecords bool
	heldRecords []func(context.Context) error
	// musicAfterBridge: the lead is to hear hold music once its bridge
	// application (a failed transfer's dial) has returned.
	musicAfterBridge bool
	room             string
	bridgingOut      *leg      // the leg a bridge application is dialing
	xfer             *transfer // the blind transfer in progress, or the last one
	abandon          *time.Timer
	// bridgeWatch fires when a bridge asked for has neither connected nor
	// failed; bridgeTries counts what it did about the leg bridgeLeg.
	bridgeWatch *time.Timer
	bridgeLeg   LegID
	bridgeTries int
	abandonMsg  string   // the campaign's, else the engine's
	tags        []string // routing tags the agent must have
	// The inbound queue: qw is the caller's place while it waits; queue
	// and queueID name the last queue it was in.
	qw          *waiter
	queue       string
	queueID     QueueID
	queuedAt    time.Time
	priority    int
	skills      []string      // what a queue member needs to be offered the caller
	ringTimeout time.Duration // the queue's, else the engine's
	offerAt     time.Time     // no agent is offered the caller before (the pause after a miss)
	overdue     bool          // the wait bound passed while an agent's phone rang
	overflows   int
	extras      []*leg // ring-all: other agents' legs ringing beside agentLeg
	paced       bool   // counted in flight by the pacer (see unpace)
	callback    CallbackID
	leadCause   string
	// lostAt is set when the switch died under the call: the call ends
	// then, and its billsec is an estimate.
	lostAt time.Time
	done   bool
	// speed is a speed call's own state (nil for other calls).
	speed *speedRun
}

func (e *Engine) newCall(id CallID, dir CallDirection, origin CallOrigin) *call {
	c := &call{e: e, id: id, dir: dir, origin: origin, over: make(chan struct{}), createdAt: e.now(),
		log: e.log.With("call_id", string(id))}
	c.inbox = mailbox.NewHeldActor(&e.group, c.serve) // served from start
	c.agentState = 0
	return c
}

// post queues m for the call; nothing is served for a stopped engine.
func (c *call) post(m any) {
	if c.e.ctx.Err() != nil {
		return
	}
	c.inbox.Post(m)
}

// serve handles a batch of the call's messages, then publishes its view.
func (c *call) serve(batch []any) {
	for _, m := range batch {
		c.handle(m)
	}
	c.publishView()
	if c.done && !c.lingering {
		c.lingering = true
		c.maxDur.Stop()
		cause := error(errCallOver)
		if c.endedBy != nil {
			cause = c.endedBy
		}
		// An ended call lingers for late events and views, then is
		// forgotten, on its own turn (forget reads its legs).
		time.AfterFunc(c.e.cfg.Linger, func() { c.post(forgetMsg{cause: cause}) })
	}
}

// do runs fn on the call's turn and waits for it.
func (c *call) do(ctx context.Context, fn func(*call) error) error {
	reply := make(chan error, 1)
	c.post(cmdMsg{fn: fn, reply: reply})
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start registers the call and its first legs; from now on it is served.
func (e *Engine) start(c *call, legs ...*leg) {
	e.mu.Lock()
	e.byID[c.id] = c
	for _, l := range legs {
		if !l.persistent {
			e.byLeg[l.id] = c
		}
	}
	e.mu.Unlock()
	c.legs = append(c.legs, legs...)
	c.ctx, c.cancel = context.WithCancelCause(e.ctx)
	c.maxDur = time.AfterFunc(e.cfg.MaxCallDuration, func() { c.post(endCall{why: ErrMaxCallDuration}) })
	c.publishView()
	c.inbox.Start()
}

func (e *Engine) forget(c *call) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.byID, c.id)
	for _, l := range c.legs {
		if e.byLeg[l.id] == c {
			delete(e.byLeg, l.id)
		}
	}
	delete(e.waiting, c)
}

func (c *call) handle(m any) {
	ctx := c.ctx
	if c.speed != nil && c.speedHandle(ctx, m) {
		return
	}
	switch m := m.(type) {
	case endCall:
		if !c.done {
			c.end(ctx, m.why)
		}
	case cmdMsg:
		err := m.fn(c)
		m.reply <- err
	case legEvent:
		c.onEvent(ctx, m)
	case jobResult:
		l := c.legByID(m.leg)
		// A leg bridged on its CHANNEL_ANSWER, before its originate reported,
		// makes FreeSWITCH report the job as ORIGINATOR_CANCEL: for a leg
		// already answered, the channel's own events are the truth.
		if l == nil || m.err == nil || l.state == LegGone || l.state == LegUp {
			return
		}
		var oe *esl.OriginateError
		l.cause = "NORMAL_TEMPORARY_FAILURE"
		if errors.As(m.err, &oe) {
			l.cause = oe.Cause
		} else if errors.Is(m.err, esl.ErrResultUnknown) {
			// The node went away mid-originate; reconciliation decides.
			return
		}
		if l.extra {
			c.onExtra(ctx, l, "", l.cause)
			return
		}
		l.state = LegGone
		c.legEnded(ctx, l)
		if l.retired {
			return
		}
		if l == c.agentLeg && c.promoteExtra(ctx) {
			return
		}
		c.feed(ctx, callInput{kind: inFailed, role: l.role})
	case timerMsg:
		switch m.name {
		case timerAbandon:
			c.feed(ctx, callInput{kind: inAbandonTimeout})
		case timerReserve:
			if c.st.phase == phaseWaiting {
				c.reserve(ctx)
			}
		case timerMaxWait:
			if c.st.phase == phaseWaiting {
				c.maxWait(ctx)
			}
		case timerAnnounce:
			c.announce(ctx)
		case timerVoicemailEnd:
			if c.leadLeg != nil && c.leadLeg.state != LegGone {
				_ = c.e.sw.Kill(ctx, string(c.leadLeg.id), "NORMAL_CLEARING")
			}
		case timerHangup:
			c.feed(ctx, callInput{kind: inHangupTimeout})
		case timerBridge:
			c.bridgeStalled(ctx)
		}
	case offerMsg:
		c.offerQueue(ctx, m.agent)
	case forgetMsg:
		c.e.forget(c)
		c.cancel(m.cause)
	case nodeBack:
		if c.node != m.node || !m.restarted && c.anyLegIn(m.live) {
			return
		}
		if m.restarted {
			c.handle(switchLost{cause: "SYSTEM_SHUTDOWN", at: m.lostAt})
			return
		}
		// Same switch, new connection: `show channels` lags behind the
		// switch, so a leg missing from it is asked about before the
		// call is given up.
		c.handle(switchCheck{lostAt: m.lostAt})
	case switchCheck:
		if c.done || c.leadLeg == nil || c.leadLeg.state == LegGone {
			return
		}
		ok, err := c.e.sw.Exists(ctx, string(c.leadLeg.id))
		if err != nil || ok {
			return
		}
		c.log.Warn("the lead's channel is gone after a reconnect: ending the call")
		c.handle(switchLost{cause: "NORMAL_TEMPORARY_FAILURE", at: m.lostAt})
	case switchLost:
		// The switch restarted (or lost the channels): every leg is gone,
		// at the last moment the switch was known alive.
		if m.at.IsZero() {
			m.at = c.e.now()
		}
		c.lostAt = m.at
		for _, l := range c.legs {
			if l.state != LegGone {
				l.state, l.cause, l.endedAt = LegGone, m.cause, m.at
				c.legEnded(ctx, l)
			}
		}
		if c.leadLeg != nil {
			c.leadCause = m.cause
		}
		c.feed(ctx, callInput{kind: inHangup, role: LegLead})
	}
}

func (c *call) legByID(id LegID) *leg {
	for _, l := range c.legs {
		if l.id == id {
			return l
		}
	}
	return nil
}

func (c *call) anyLegIn(live map[LegID]bool) bool {
	for _, l := range c.legs {
		if l.state != LegGone && live[l.id] {
			return true
		}
	}
	return c.done
}

// onEvent turns a switch event into inputs for step and bookkeeping.
func (c *call) onEvent(ctx context.Context, m legEvent) {
	ev := m.ev
	l := c.legByID(m.leg)
	if l == nil {
		return
	}
	if l.node == "" {
		l.node = m.node
	}
	if l.extra && c.onExtra(ctx, l, m.kind, ev.hangupCause) {
		return
	}
	switch m.kind {
	case esl.EventChannelProgress, esl.EventChannelProgressMedia:
		if l.state == LegDialing {
			l.state = LegRinging
		}
		if !l.retired {
			c.feed(ctx, callInput{kind: inRinging, role: l.role})
		}
	case esl.EventChannelAnswer:
		if l.state == LegGone || l.state == LegUp {
			return
		}
		l.state, l.answeredAt, l.swAnswered = LegUp, c.e.now(), ev.at
		if l == c.agentLeg {
			c.cancelExtras(ctx)
		}
		c.progress(CallProgress{Kind: "leg_answered", Leg: l.id, LegAnswered: true, Data: jsonData(map[string]any{"role": l.role})})
		c.emitMonitor(l, EvMonitorAnswered)
		if !l.retired {
			c.feed(ctx, callInput{kind: inAnswered, role: l.role})
		}
	case esl.EventChannelBridge:
		c.feed(ctx, callInput{kind: inBridged})
	case esl.EventChannelHangup:
		// CHANNEL_HANGUP comes in the order the legs hung up (the
		// HANGUP_COMPLETE of a bridged B leg can come before its A's), so
		// it decides who ended the call.
		if l.state == LegGone {
			return
		}
		l.state = LegGone
		l.cause = ev.hangupCause
		l.endedAt, l.swEnded = c.e.now(), ev.at
		if l.swAnswered.IsZero() {
			// A leg answered before a restart: the switch's own answer time.
			l.swAnswered = ev.answeredAt
		}
		if l == c.leadLeg {
			c.leadCause = l.cause
		}
		c.legEnded(ctx, l)
		c.emitMonitor(l, EvMonitorEnded)
		if l.persistent {
			// The agent's own line ended: not part of the call any more.
			c.e.line(l.agent).release(c)
		}
		if l == c.agentLeg && l.answeredAt.IsZero() && c.promoteExtra(ctx) {
			return
		}
		if !l.retired {
			c.feed(ctx, callInput{kind: inHangup, role: l.role})
		}
	case esl.EventChannelExecuteComplete:
		if !ev.bridgeDone || c.bridgingOut == nil {
			return
		}
		disp := ev.disposition
		if disp == "" || disp == "SUCCESS" || disp == "ANSWER" {
			return
		}
		target := c.bridgingOut
		c.bridgingOut = nil
		if c.musicAfterBridge && l == c.leadLeg {
			// The failed transfer's bridge has returned: the lead is
			// parked now, and waits with hold music (unless it is already
			// on its way back to an agent's line).
			c.musicAfterBridge = false
			if c.st.phase == phaseReturning || c.st.phase == phaseAgentRinging && c.st.returning {
				c.music(true)
			}
		}
		if target.state != LegGone {
			target.state, target.cause = LegGone, disp
			if target == c.leadLeg {
				c.leadCause = disp
			}
			c.legEnded(ctx, target)
			c.feed(ctx, callInput{kind: inFailed, role: target.role})
		}
	case esl.EventRecordStart, esl.EventRecordStop:
		c.recordingEvent(l, m.kind == esl.EventRecordStart)
	case esl.EventPlaybackStop:
		if c.consentPending && l == c.leadLeg {
			c.consentPending = false
			if err := c.e.sw.RecordStart(ctx, string(c.leadLeg.id), c.recPath, 0); err != nil {
				c.log.Warn("recording after the consent message failed", "err", err)
			}
		}
	case esl.SubclassConference:
		c.onConference(ctx, l, ev)
	}
}

// recordingEvent notes a recording started (on) or stopped on leg l.
func (c *call) recordingEvent(l *leg, on bool) {
	if c.recording == on {
		return
	}
	c.recording = on
	if on {
		c.progress(CallProgress{Kind: "recording_started", Leg: l.id, RecordingPath: c.recPath})
		c.emit(EvCallRecording)
		return
	}
	c.progress(CallProgress{Kind: "recording_stopped", Leg: l.id})
	c.emit(EvCallRecordingStop)
}

func (c *call) onConference(ctx context.Context, l *leg, ev switchEvent) {
	switch ev.confAction {
	case "add-member":
		l.member = ev.member
		if l.role == LegThird || l.role == LegAgent && l != c.agentLeg {
			c.progress(CallProgress{Kind: "conference_join", Leg: l.id, Data: jsonData(map[string]any{"role": l.role, "agent_id": l.agent})})
			c.emit(EvCallPartyAdded)
			if l.agent != 0 {
				if st, err := c.e.live.Agent(ctx, l.agent); err == nil && st.State == AgentRinging {
					_, _ = c.e.transition(ctx, l.agent, AgentRinging, TriggerConnect, c.id, "joined call", "")
				}
			}
		}
	case "kick-member":
		if l.retired {
			return
		}
		if l == c.agentLeg {
			c.feed(ctx, callInput{kind: inLeft, role: LegAgent})
			return
		}
		c.feed(ctx, callInput{kind: inLeft, role: LegThird})
		// Counted out once: its hangup, which follows a kick, is not a
		// second party leaving.
		l.retired = true
		c.thirdGone(ctx, l, true)
	}
}

// setHeld records a hold or resume: the timeline, the pushed event, and
// the agent's hold time.
func (c *call) setHeld(on bool) {
	if c.held == on {
		return
	}
	c.held = on
	if on {
		c.holdStart = c.e.now()
		c.progress(CallProgress{Kind: "hold", Leg: c.leadLeg.id})
		c.emit(EvCallHeld)
		return
	}
	d := c.e.now().Sub(c.holdStart)
	c.e.line(c.agent).addHold(d)
	c.progress(CallProgress{Kind: "unhold", Leg: c.leadLeg.id, Data: jsonData(map[string]any{"held_ms": d.Milliseconds()})})
	c.emit(EvCallUnheld)
}

// thirdGone frees an agent who joined as a third party.
func (c *call) thirdGone(ctx context.Context, l *leg, kicked bool) {
	if l.agent == 0 || l == c.agentLeg {
		return
	}
	if kicked && l.persistent {
		c.e.line(l.agent).release(c)
	}
	c.e.wrapUp(ctx, l.agent, c, "left the call")
	c.emit(EvCallPartyRemoved)
}

// feed runs step and carries out its effects.
func (c *call) feed(ctx context.Context, in callInput) {
	next, effects := step(c.st, in)
	if next.phase != c.st.phase {
		c.log.Debug("call phase", "from", c.st.phase, "to", next.phase, "input", in.kind, "role", in.role)
	}
	c.st = next
	for _, fx := range effects {
		c.apply(ctx, fx)
	}
}

func (c *call) apply(ctx context.Context, fx effect) {
	e := c.e
	switch fx {
	case effRecordRinging:
		c.progress(CallProgress{Kind: "ringing", State: CallRinging, Leg: c.leadLeg.id})
		c.emit(EvCallRinging)
	case effRecordAnswered:
		c.answeredAt = c.leadLeg.answeredAt
		c.paceAnswered()
		c.progress(CallProgress{Kind: "answered", State: CallAnswered, Leg: c.leadLeg.id})
		c.emit(EvCallAnswered)
	case effRecordConnected:
		c.connectedAt = e.now()
		c.progress(CallProgress{Kind: "bridged", State: CallBridged, Agent: c.agent, Data: jsonData(map[string]any{"agent_id": c.agent})})
		c.emit(EvCallConnected)
		if c.origin == OriginDialer && c.dir == Outbound && c.agentLeg != nil && !c.st.manual {
			// The agent hears the tone, then the lead (seed: "you hear a
			// tone and the lead's information appears").
			if err := e.sw.Broadcast(ctx, string(c.agentLeg.id), deliveryTone, esl.BroadcastALeg); err != nil {
				c.log.Warn("delivery tone not played", "err", err)
			}
		}
	case effAbandonTimer:
		if c.dir == Inbound {
			return // an inbound caller waits up to InboundMaxWait, set on arrival
		}
		c.abandon = c.after(e.cfg.AbandonAfter, timerMsg{timerAbandon})
	case effReserve:
		c.reserve(ctx)
	case effRetryReserve:
		if c.qw != nil {
			return // the router offers the next READY member: no retry
		}
		e.mu.Lock()
		e.waiting[c] = struct{}{}
		e.mu.Unlock()
		c.after(e.cfg.ReserveRetry, timerMsg{timerReserve})
	case effAgentRinging:
		c.agentTo(ctx, TriggerRing, "ringing for call")
	case effOriginateAgent:
		c.originateAgent(ctx)
	case effBridge:
		if c.agentLeg == nil {
			c.feed(ctx, callInput{kind: inFailed, role: LegAgent})
			return
		}
		c.music(false)
		c.bridge(ctx)
	case effDialLead:
		c.dialLead(ctx)
	case effAgentInCall:
		c.queueAnswered()
		c.stopAbandon()
		c.agentTo(ctx, TriggerConnect, "talking")
	case effAgentNoAnswer:
		if c.agent != 0 && c.qw != nil {
			c.queueMissed(ctx)
			return
		}
		if c.agent != 0 {
			switch {
			case c.agentState == AgentRinging:
				_, _ = e.transition(ctx, c.agent, AgentRinging, TriggerNoAnswer, c.id, "did not answer", PauseRONA)
			case c.agentState == AgentReserved:
				_, _ = e.live.Release(ctx, c.agent, c.id, "agent leg failed", e.now())
				e.refreshAgent(ctx, c.agent)
			}
			c.progress(CallProgress{Kind: "agent_no_answer", Data: jsonData(map[string]any{"agent_id": c.agent})})
			c.dropAgent()
			c.publishView()
		}
	case effAgentLost:
		c.agentLost(ctx)
	case effAgentRelease:
		c.cancelExtras(ctx)
		if c.agent != 0 {
			switch c.agentState {
			case AgentReserved:
				_, _ = e.live.Release(ctx, c.agent, c.id, "lead hung up", e.now())
				e.refreshAgent(ctx, c.agent)
			case AgentRinging:
				_, _ = e.transition(ctx, c.agent, AgentRinging, TriggerRelease, c.id, "lead hung up", "")
			}
			c.dropAgent()
		}
	case effAgentWrapUp:
		if c.agent != 0 {
			e.wrapUp(ctx, c.agent, c, "call ended")
			c.agentState = AgentDispo
		}
	case effPlayAbandon:
		c.music(false)
		c.progress(CallProgress{Kind: "abandon"})
		msg := c.abandonMsg
		if msg == "" {
			msg = e.cfg.AbandonMessage
		}
		if msg != "" {
			if err := e.sw.PlayAndHangup(ctx, string(c.leadLeg.id), msg); err == nil {
				return
			}
		}
		_ = e.sw.Kill(ctx, string(c.leadLeg.id), "NORMAL_CLEARING")
	case effKillLead:
		if c.leadLeg != nil && c.leadLeg.state != LegGone {
			_ = e.sw.Kill(ctx, string(c.leadLeg.id), "NORMAL_CLEARING")
		}
	case effHangupTimer:
		wait := leadHangupWait
		if c.leadLeg == nil || c.leadLeg.state == LegGone {
			wait = 0 // no lead channel to wait for
		}
		c.after(wait, timerMsg{timerHangup})
	case effKillAgentLeg:
		if l := c.agentLeg; l != nil && !l.persistent && l.state != LegGone {
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
	case effParkAgentLeg:
		if l := c.agentLeg; l != nil && l.persistent && l.state != LegGone {
			_ = e.sw.Park(ctx, string(l.id), esl.LegSelf)
		}
	case effKillThirds:
		for _, l := range c.legs {
			if l.role == LegThird && l.state != LegGone {
				if l.persistent {
					_ = e.sw.Park(ctx, string(l.id), esl.LegSelf)
					c.thirdGone(ctx, l, true)
				} else {
					_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
					c.thirdGone(ctx, l, false)
				}
			}
		}
	case effRecordConference:
		c.progress(CallProgress{Kind: "conference", Data: jsonData(map[string]any{"room": c.room})})
	case effRetireAgent:
		c.retireAgent(ctx)
	case effTransferOut:
		c.transferOut(ctx)
	case effTransferFailed:
		c.transferFailed()
	case effReclaim:
		c.reclaim(ctx)
	case effPlayTransferFailed:
		c.music(false)
		c.progress(CallProgress{Kind: "transfer_failed_hangup"})
		if e.cfg.TransferFailedMessage != "" {
			if err := e.sw.PlayAndHangup(ctx, string(c.leadLeg.id), e.cfg.TransferFailedMessage); err == nil {
				return
			}
		}
		_ = e.sw.Kill(ctx, string(c.leadLeg.id), "NORMAL_CLEARING")
	case effRequeue:
		c.requeue(ctx)
	case effFinish:
		c.finish(ctx)
	}
}

func (c *call) dropAgent() {
	if l := c.agentLeg; l != nil && l.persistent {
		c.e.line(c.agent).release(c)
	}
	c.agent, c.agentState = 0, 0
	if c.agentLeg != nil && c.agentLeg.persistent {
		c.agentLeg = nil
	}
}

// agentTo moves the call's agent forward (RESERVED -> RINGING -> INCALL)
// by t: ring or connect; an agent already there stays.
func (c *call) agentTo(ctx context.Context, t AgentTrigger, reason string) {
	if c.agent == 0 || t == TriggerConnect && c.agentState == AgentInCall || t == TriggerRing && c.agentState == AgentRinging {
		return
	}
	mode := ModeRing
	if c.agentLeg != nil && c.agentLeg.persistent {
		mode = ModePersistent
	}
	st, err := c.e.transitionIn(ctx, c.agent, c.agentState, t, mode, c.id, reason, "")
	if err != nil {
		c.log.Warn("agent transition failed", "agent_id", c.agent, "from", c.agentState, "trigger", t, "err", err)
		return
	}
	c.agentState = st.State
}

func (c *call) stopAbandon() {
	if c.abandon != nil {
		c.abandon.Stop()
	}
	c.e.mu.Lock()
	delete(c.e.waiting, c)
	c.e.mu.Unlock()
}

// reserve books an agent for the answered lead: the named one, or the
// longest idle. A persistent agent's line must be up.
func (c *call) reserve(ctx context.Context) {
	if c.qw != nil && c.named == 0 {
		c.offerQueue(ctx, 0)
		return
	}
	e := c.e
	req := ReserveRequest{Call: c.id, Tags: c.tags, Node: c.node, Lease: e.cfg.Lease, Reason: "lead answered", At: e.now()}
	var r Reservation
	var err error
	if c.named != 0 {
		r, err = e.live.ReserveAgent(ctx, c.named, req)
	} else {
		r, err = e.live.Reserve(ctx, req)
	}
	if err != nil {
		if !errors.Is(err, ErrNoAgent) && !errors.Is(err, ErrStateMismatch) && !errors.Is(err, ErrOtherNode) {
			c.log.Warn("reservation failed", "err", err)
		}
		c.feed(ctx, callInput{kind: inNoAgent})
		return
	}
	if !c.take(ctx, r, req.At) {
		c.feed(ctx, callInput{kind: inNoAgent})
	}
}

// take puts the agent reserved by r on the call and goes on (inReserved);
// false gives the agent back: not logged in here, its line down, on
// another node or still on another call.
func (c *call) take(ctx context.Context, r Reservation, at time.Time) bool {
	e := c.e
	ln := e.line(r.Agent)
	persistent := r.Mode == ModePersistent
	var plegID LegID
	ok, lineDown := ln != nil, false
	if ok && persistent {
		s := ln.fresh(ctx)
		lineDown = !s.legUp
		ok = !lineDown && !s.busyFor(c)
		plegID = s.leg
	}
	if !ok {
		_, _ = e.live.Release(ctx, r.Agent, c.id, "no line", e.now())
		e.refreshAgent(ctx, r.Agent)
		if lineDown {
			_, _ = e.transition(ctx, r.Agent, AgentReady, TriggerPause, "", "phone disconnected", PausePhoneDown)
			// A line rung again after the switch dropped it may have come
			// back meanwhile, its restorer finding the agent not paused
			// yet: then it is READY again here.
			if ln.fresh(ctx).legUp {
				if st, err := e.live.Agent(ctx, r.Agent); err == nil && st.State == AgentPaused && st.PauseCode == PausePhoneDown {
					_, _ = e.transition(ctx, r.Agent, AgentPaused, TriggerReady, "", "line restored", "")
				}
			}
		}
		return false
	}
	if persistent && c.lineElsewhere(ctx, r.Agent, ln) {
		return false
	}
	c.agent, c.agentState = r.Agent, AgentReserved
	c.unpace()
	c.paceSeated()
	e.publishAgent(ctx, r.Agent, AgentStatus{Agent: r.Agent, State: AgentReserved, Since: at, Call: c.id, Mode: r.Mode, Seq: r.Seq})
	c.progress(CallProgress{Kind: "agent_reserved", Agent: r.Agent, Data: jsonData(map[string]any{"agent_id": r.Agent})})
	if persistent {
		c.agentLeg = &leg{id: plegID, role: LegAgent, agent: r.Agent, persistent: true, state: LegUp, answeredAt: e.now(), node: c.node}
		c.addLeg(c.agentLeg, "user/"+ln.extension())
		ln.claim(ctx, c)
	}
	c.feed(ctx, callInput{kind: inReserved, persistent: persistent})
	return true
}

func (c *call) addLeg(l *leg, endpoint string) {
	l.endpoint = endpoint
	if c.legByID(l.id) == nil {
		c.legs = append(c.legs, l)
	}
	c.e.mu.Lock()
	if !l.persistent {
		c.e.byLeg[l.id] = c
	}
	c.e.mu.Unlock()
	if l.persistent && !c.e.line(l.agent).firstRecord(l.id) {
		return
	}
	cl := CallLeg{ID: l.id, Call: c.id, Role: l.role, Endpoint: endpoint, Node: l.node, Agent: l.agent, CreatedAt: c.e.now()}
	c.write(func(ctx context.Context) error {
		err := c.e.calls.AddCallLeg(ctx, cl)
		if errors.Is(err, ErrConflict) {
			return nil // the persistent leg of an agent, already recorded on an earlier call
		}
		return err
	})
}

// originateAgent rings the reserved agent's phone (ring mode).
func (c *call) originateAgent(ctx context.Context) {
	e := c.e
	ln := e.line(c.agent)
	if ln == nil {
		c.feed(ctx, callInput{kind: inFailed, role: LegAgent})
		return
	}
	l := &leg{id: NewLegID(), role: LegAgent, agent: c.agent, state: LegDialing}
	c.agentLeg = l
	c.ringAgent(ctx, l, ln.state().endpoint)
}

// ringAgent rings agent leg l's phone at ep for the call, the lead's
// number shown, for the queue's ring timeout (else the engine's).
func (c *call) ringAgent(ctx context.Context, l *leg, ep AgentEndpoint) {
	e := c.e
	endpoint := e.agentEndpoint(ep)
	c.addLeg(l, endpointLabel(endpoint))
	c.originate(ctx, l, esl.Originate{
		UUID: string(l.id), Endpoint: endpoint, Timeout: cmp.Or(c.ringTimeout, e.cfg.AgentRingTimeout),
		CallerIDNumber: digitsOnly(c.number), CallerIDName: "Lead call",
		Vars: c.legVars(LegAgent, l.agent),
	})
}

// originate sends an originate and feeds its failure back as a job result.
func (c *call) originate(ctx context.Context, l *leg, o esl.Originate) {
	call, err := c.e.sw.Originate(ctx, o, c.node)
	if err != nil {
		c.log.Warn("originate failed", "role", l.role, "err", err)
		cause := "NORMAL_TEMPORARY_FAILURE"
		if errors.Is(err, esl.ErrNotConnected) {
			cause = "DESTINATION_OUT_OF_ORDER"
		}
		if c.speed != nil {
			c.speedLegGone(ctx, l, cause)
			return
		}
		l.state, l.cause = LegGone, cause
		if l == c.leadLeg {
			c.leadCause = l.cause
		}
		c.legEnded(ctx, l)
		c.feed(ctx, callInput{kind: inFailed, role: l.role})
		return
	}
	if c.node == "" {
		c.node = call.Node
	}
	l.node = call.Node
	call.OnDone(func(err error) {
		if err != nil && c.ctx.Err() == nil {
			c.post(jobResult{leg: l.id, err: err})
		}
	})
}

// dialLead has the agent's leg dial the lead, so the agent hears ringback.
func (c *call) dialLead(ctx context.Context) {
	e := c.e
	if c.agentLeg == nil {
		c.feed(ctx, callInput{kind: inFailed, role: LegLead})
		return
	}
	if c.callerName != "" {
		_ = e.sw.SetVar(ctx, string(c.agentLeg.id), "effective_caller_id_name", c.callerName)
	}
	o := esl.Originate{
		UUID: string(c.leadLeg.id), Endpoint: e.numberEndpoint(c.number), Timeout: e.cfg.LeadTimeout,
		CallerIDNumber: c.callerNum, Vars: c.legVars(LegLead, 0),
	}
	c.bridgingOut = c.leadLeg
	// The agent's line survives a lead that is busy, does not answer or
	// cannot be reached: a persistent line parks again (ring mode: the
	// agent's leg is hung up, as after the call).
	if err := e.sw.BridgeOut(ctx, esl.BridgeOut{Leg: string(c.agentLeg.id), Dial: o, ThenHangup: !c.st.persistent}); err != nil {
		c.log.Warn("manual dial failed", "err", err)
		c.bridgingOut = nil
		c.leadLeg.state, c.leadLeg.cause = LegGone, "NORMAL_TEMPORARY_FAILURE"
		c.leadCause = c.leadLeg.cause
		c.legEnded(ctx, c.leadLeg)
		c.feed(ctx, callInput{kind: inFailed, role: LegLead})
	}
}

// bridge joins the lead and the agent's leg.
func (c *call) bridge(ctx context.Context) {
	c.bridgeLeg, c.bridgeTries = c.agentLeg.id, 0
	c.askBridge(ctx)
}

// agentLost: the agent answered, and its leg ended before the bridge (the
// switch lost the bridge, or the service hung up a stalled one). It is
// not the agent's miss: it is READY again at once, and a queue caller
// goes back in line without holding it back.
func (c *call) agentLost(ctx context.Context) {
	e := c.e
	if c.agent == 0 {
		return
	}
	queued := c.qw != nil
	if queued {
		e.router.unseat(c.qw)
	}
	switch c.agentState {
	case AgentRinging:
		_, _ = e.transition(ctx, c.agent, AgentRinging, TriggerRelease, c.id, "its leg ended before the bridge", "")
	case AgentReserved:
		_, _ = e.live.Release(ctx, c.agent, c.id, "its leg ended before the bridge", e.now())
		e.refreshAgent(ctx, c.agent)
	}
	c.progress(CallProgress{Kind: "agent_leg_lost", Data: jsonData(map[string]any{"agent_id": c.agent})})
	c.dropAgent()
	if queued && c.agentLeg != nil && c.agentLeg.state == LegGone {
		c.agentLeg = nil // the caller waits again with no agent of its own, as after a miss
	}
	c.publishView()
}

// bridgeWatchAfter is how long a bridge may go without CHANNEL_BRIDGE or
// a hangup. FreeSWITCH bridges in tens of milliseconds; about once in a
// hundred bridges to a browser's persistent line it took the line into
// CS_RESET and no further, with no event and nothing in its log.
const bridgeWatchAfter = 3 * time.Second

// bridgeStalled: the bridge asked for has not happened. It is asked for
// once more; then the agent's leg is hung up, so the lead goes back to
// looking for an agent and a persistent line is rung again; and if even
// that hangup does not come, the leg is taken as gone.
func (c *call) bridgeStalled(ctx context.Context) {
	l := c.agentLeg
	if c.st.phase != phaseConnecting || l == nil || l.id != c.bridgeLeg || l.state == LegGone {
		return
	}
	c.bridgeTries++
	c.progress(CallProgress{Kind: "bridge_stalled", Leg: l.id, Data: jsonData(map[string]any{"try": c.bridgeTries})})
	switch c.bridgeTries {
	case 1:
		c.log.Warn("no bridge yet: asking the switch again", "leg", l.id)
		c.askBridge(ctx)
	case 2:
		c.log.Warn("no bridge yet: hanging up the agent's leg", "leg", l.id)
		if l.persistent {
			if ln := c.e.line(l.agent); ln != nil {
				ln.ringAgainAfter(l.id)
			}
		}
		if err := c.e.sw.Kill(ctx, string(l.id), stalledBridgeCause); err != nil {
			c.log.Warn("agent's leg not hung up", "err", err)
		}
		c.bridgeWatch = c.after(bridgeWatchAfter, timerMsg{timerBridge})
	default:
		c.log.Warn("the agent's leg sent no hangup: taking it as gone", "leg", l.id)
		l.state, l.cause, l.endedAt = LegGone, stalledBridgeCause, c.e.now()
		c.legEnded(ctx, l)
		if l.persistent {
			if ln := c.e.line(l.agent); ln != nil {
				ln.post(func(ln *line) {
					if ln.state().leg == l.id {
						ln.legGone(stalledBridgeCause)
					}
				})
			}
		}
		c.feed(ctx, callInput{kind: inHangup, role: LegAgent})
	}
}

// stalledBridgeCause is the hangup cause of an agent's leg hung up by the
// service after its bridge stalled.
const stalledBridgeCause = "RECOVERY_ON_TIMER_EXPIRE"

// askBridge asks the switch to bridge the lead with the agent's leg and
// watches that it happens.
func (c *call) askBridge(ctx context.Context) {
	if c.dir == Inbound {
		c.parkAfterBridge(ctx)
	}
	if c.bridgeWatch != nil {
		c.bridgeWatch.Stop()
	}
	c.bridgeWatch = c.after(bridgeWatchAfter, timerMsg{timerBridge})
	if err := c.e.sw.Bridge(ctx, string(c.leadLeg.id), string(c.agentLeg.id)); err != nil {
		c.log.Warn("bridge failed", "err", err)
		// The lead hung up and its hangup waits behind this turn (the
		// engine is behind on events): the call ends now. Blaming the
		// agent would reserve agent after agent within this same turn,
		// each bridge refused at once, and the hangup would never be read.
		if ok, xerr := c.e.sw.Exists(ctx, string(c.leadLeg.id)); xerr == nil && !ok {
			c.log.Warn("the lead's channel is gone: ending the call")
			c.leadLeg.state, c.leadLeg.cause, c.leadLeg.endedAt = LegGone, leadGoneCause, c.e.now()
			c.leadCause = leadGoneCause
			c.legEnded(ctx, c.leadLeg)
			c.feed(ctx, callInput{kind: inHangup, role: LegLead})
			return
		}
		c.feed(ctx, callInput{kind: inFailed, role: LegAgent})
	}
}

// leadGoneCause is the cause recorded for a lead found gone before its
// hangup was read (the switch's own cause is not known yet).
const leadGoneCause = "NORMAL_TEMPORARY_FAILURE"

// legVars tie a leg to its call in the switch (and keep a lead leg alive
// when its agent leaves, so it can be bridged again).
func (c *call) legVars(role LegRole, agent AgentID) map[string]string {
	v := map[string]string{VarCallID: string(c.id), VarLegRole: string(role)}
	if agent != 0 {
		v[VarAgentID] = agent.String()
	}
	if c.campaign != 0 {
		v[VarCampaignID] = c.campaign.String()
	}
	if role == LegLead {
		v["park_after_bridge"] = "true"
	}
	return v
}

func (c *call) legEnded(ctx context.Context, l *leg) {
	p := CallProgress{Kind: "leg_ended", Leg: l.id, LegEnded: !l.persistent, LegCause: l.cause,
		Data: jsonData(map[string]any{"role": l.role, "cause": l.cause})}
	c.progress(p)
	if l.role == LegThird && l.agent != 0 {
		c.thirdGone(ctx, l, false)
	}
}

// leadHangupWait bounds how long a call whose lead we hung up waits for
// the lead's hangup (and its cause) before it is closed without it.
const leadHangupWait = 5 * time.Second

// finish closes the record: outcome, cause and billing from the lead leg.
func (c *call) finish(ctx context.Context) {
	e := c.e
	if c.held {
		c.setHeld(false)
	}
	c.done = true
	if !c.ended.Swap(true) {
		close(c.over)
	}
	c.endedAt = e.now()
	if !c.lostAt.IsZero() {
		c.endedAt = c.lostAt
	}
	c.stopAbandon()
	c.unpace()
	c.cancelExtras(ctx)
	if c.qw != nil {
		e.router.leave(c.qw, leftAbandoned)
		c.qw = nil
	}
	cause := c.leadCause
	if cause == "" && c.leadLeg != nil {
		cause = c.leadLeg.cause
	}
	if cause == "" && c.agentLeg != nil {
		// The lead never sent its hangup: the agent's side is what ended it.
		cause = c.agentLeg.cause
	}
	outcome := c.outcome(cause)
	c.paceEnded(outcome)
	billsec, estimated := c.billsec()
	end := CallEnd{Call: c.id, At: c.endedAt, HangupCause: cause, Outcome: outcome, Billsec: billsec,
		SwitchLost: !c.lostAt.IsZero(), BillsecEstimated: estimated}
	e.cdr.add(func(ctx context.Context) error {
		_, err := e.calls.FinishCall(ctx, end)
		if errors.Is(err, ErrConflict) {
			return nil
		}
		return err
	})
	if c.callback != 0 {
		cb := c.callback
		e.cdr.add(func(ctx context.Context) error {
			err := e.camp.SetCallbackStatus(ctx, cb, CallbackDialing, CallbackDone, e.now())
			if errors.Is(err, ErrStateMismatch) {
				return nil
			}
			return err
		})
	}
	// Legs still up (a persistent line leaves the call, others are ended).
	if l := c.agentLeg; l != nil && l.persistent {
		e.line(l.agent).release(c)
	}
	c.emit(EvCallEnded)
	c.log.Info("call ended", "outcome", outcome, "cause", cause, "billsec", billsec, "switch_lost", end.SwitchLost)
}

// outcome is how the call ended: transfer_failed when a blind transfer
// failed and nobody took the lead back, else from the lead's cause.
func (c *call) outcome(cause string) CallOutcome {
	if c.st.transferFailed {
		return OutcomeTransferFailed
	}
	return OutcomeFor(cause, c.st.leadAnswered, c.st.connected)
}

// billsec is the lead's talk time: from the switch's own answer and hangup
// times when it sent both (FreeSWITCH's billsec reads 0 after a transfer),
// else on the engine's clock, an estimate when the switch died under the
// call.
func (c *call) billsec() (sec int, estimated bool) {
	l := c.leadLeg
	if c.answeredAt.IsZero() || l == nil {
		return 0, false
	}
	if c.lostAt.IsZero() && !l.swAnswered.IsZero() && !l.swEnded.IsZero() {
		return max(0, int(l.swEnded.Sub(l.swAnswered)/time.Second)), false
	}
	end := c.endedAt
	if c.lostAt.IsZero() && !l.endedAt.IsZero() {
		end = l.endedAt
	}
	return max(0, int(end.Sub(c.answeredAt)/time.Second)), !c.lostAt.IsZero()
}

// progress queues a timeline entry (and the call fields it changes).
func (c *call) progress(p CallProgress) {
	p.Call = c.id
	if p.At.IsZero() {
		p.At = c.e.now()
	}
	c.write(func(ctx context.Context) error {
		return c.e.calls.RecordCallProgress(ctx, p)
	})
}

// write queues a write of the call's record, or holds it back while the
// record itself is not queued yet (holdRecords).
func (c *call) write(fn func(context.Context) error) {
	if c.holdRecords {
		c.heldRecords = append(c.heldRecords, fn)
		return
	}
	c.e.cdr.add(fn)
}

// releaseRecords queues the writes held back until the call's record was
// queued, in their order.
func (c *call) releaseRecords() {
	held := c.heldRecords
	c.holdRecords, c.heldRecords = false, nil
	for _, fn := range held {
		c.e.cdr.add(fn)
	}
}

// emit pushes a call event with the call's current view.
func (c *call) emit(t LiveEventType) {
	v := c.snapshot()
	c.view.Store(&v)
	c.e.publish(LiveEvent{Type: t, Agent: v.Agent, Call: c.id, CallView: &v})
}

// emitMonitor tells the walls what became of a supervisor's monitor leg:
// "connecting" lasts until its phone answers.
func (c *call) emitMonitor(l *leg, t LiveEventType) {
	if l.monitor == nil {
		return
	}
	l.monitor.State = l.state
	m := *l.monitor
	v := c.snapshot()
	c.view.Store(&v)
	c.e.publish(LiveEvent{Type: t, Agent: v.Agent, Call: c.id, CallView: &v, Monitor: &m})
}

func (c *call) publishView() {
	v := c.snapshot()
	c.view.Store(&v)
}

// snapshot builds the call's view; only the call's goroutine calls it.
func (c *call) snapshot() CallView {
	v := CallView{
		ID: c.id, Direction: c.dir, Origin: c.origin, State: c.st.phase.live(), Number: c.number,
		CallerID: c.callerNum, Agent: c.agent, Campaign: c.campaign, Lead: c.lead,
		CreatedAt: c.createdAt, AnsweredAt: c.answeredAt, ConnectedAt: c.connectedAt, EndedAt: c.endedAt,
		Held: c.held, Muted: c.muted, Recording: c.recording, AgentLeft: c.st.agentLeft,
		HangupCause: c.leadCause, Parties: []PartyView{},
		Queue: c.queue, QueueID: c.queueID, QueuedAt: c.queuedAt,
	}
	if c.held {
		v.HeldAt = c.holdStart
	}
	if c.done {
		v.State = LiveEnded
		v.Outcome = c.outcome(c.leadCause)
	}
	if v.Agent == 0 && c.agentLeg != nil {
		v.Agent = c.agentLeg.agent
	}
	for _, l := range c.legs {
		// A leg that left the call (the agent of a blind transfer) stays
		// listed as gone: that agent still disposes the call.
		st := l.state
		if l.retired {
			st = LegGone
		}
		p := PartyView{Leg: l.id, Role: l.role, Number: l.number, Agent: l.agent, State: st, AnsweredAt: l.answeredAt}
		v.Parties = append(v.Parties, p)
	}
	return v
}

// nudgeWaiting lets leads waiting for an agent try again at once.
func (e *Engine) nudgeWaiting() {
	e.mu.Lock()
	waiting := make([]*call, 0, len(e.waiting))
	for c := range e.waiting {
		waiting = append(waiting, c)
	}
	e.mu.Unlock()
	for _, c := range waiting {
		c.post(timerMsg{timerReserve})
	}
}

func jsonData(m map[string]any) json.RawMessage {
	b, _ := json.Marshal(m)
	return b
}

func digitsOnly(n string) string {
	out := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		if n[i] >= '0' && n[i] <= '9' {
			out = append(out, n[i])
		}
	}
	return string(out)
}
