package dialer

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/mailbox"
)

// line is a logged-in agent's place in the engine: who the agent is,
// where its phone is and, in persistent mode, the leg that stays connected
// between calls. It is an actor like a call: every change (a login, an
// event on its leg, a call taking or letting go of it, a wrap-up timer)
// is a function run on its turn, one at a time, on a goroutine that
// exists only while work waits. Its state is written only there and
// published as an immutable snapshot any goroutine may read.
//
// Waits: a call's turn may wait for a line's (do), never the reverse, and
// a line's turn never waits for another line; so no cycle can form.
type line struct {
	e   *Engine
	id  AgentID
	box *mailbox.Actor[func(*line)]
	st  atomic.Pointer[lineState]
	// recorded is the persistent leg last written to the call records:
	// it is recorded with the first call it joins, not again with each.
	recorded atomic.Pointer[LegID]

	// Owned by the line's turn.
	legWait chan struct{} // the current leg's: closed once it answered or failed
	settled bool          // legWait is closed
	wrap    *time.Timer
	// previewTimer dials the previewed lead at its timeout.
	previewTimer *time.Timer
}

// lineState is what a line publishes; a value never changed once stored.
type lineState struct {
	agent    Agent
	mode     AgentMode
	endpoint AgentEndpoint
	leg      LegID // persistent leg ("" when none)
	legUp    bool
	legNode  string
	// ringAgain is a leg the service hangs up itself (its bridge stalled):
	// its end rings the agent's phone again.
	ringAgain LegID
	call      *call // the call the persistent leg is in
	holdSec   int64
	// disposed is the last call the agent disposed; leaving DISPO needs it.
	disposed CallID
	campaign CampaignRef // worked on in this session
	preview  *Preview    // the lead offered to read (preview mode)
}

func (e *Engine) newLine(a Agent, mode AgentMode, ep AgentEndpoint) *line {
	l := &line{e: e, id: a.ID}
	l.box = mailbox.NewActor(&e.group, func(b []func(*line)) {
		for _, f := range b {
			f(l)
		}
	})
	l.st.Store(&lineState{agent: a, mode: mode, endpoint: ep})
	return l
}

// firstRecord reports whether leg, the line's persistent leg, is not yet
// in the call records, and counts it as recorded from now.
func (l *line) firstRecord(leg LegID) bool {
	if l == nil {
		return true
	}
	old := l.recorded.Swap(&leg)
	return old == nil || *old != leg
}

// state is the line's latest snapshot; the zero state for a nil line (an
// agent not logged in here).
func (l *line) state() lineState {
	if l == nil {
		return lineState{}
	}
	return *l.st.Load()
}

// set changes the published state; only on the line's turn.
func (l *line) set(f func(*lineState)) {
	s := *l.st.Load()
	f(&s)
	l.st.Store(&s)
}

// post runs f on the line's turn; nothing runs for a stopped engine or a
// nil line.
func (l *line) post(f func(*line)) {
	if l == nil || l.e.ctx.Err() != nil {
		return
	}
	l.box.Post(f)
}

// do runs f on the line's turn and waits for it. Never from the line's
// own turn.
func (l *line) do(ctx context.Context, f func(*line)) error {
	done := make(chan struct{})
	l.post(func(l *line) {
		defer close(done)
		f(l)
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fresh is the line's state once everything posted to it so far is
// handled. HandleEvent posts an event on the line's leg to the line before
// the call, so a call's turn that reads the line through fresh never acts
// on a leg the switch already ended (the snapshot may not say so yet).
func (l *line) fresh(ctx context.Context) lineState {
	if l == nil {
		return lineState{}
	}
	_ = l.do(ctx, func(*line) {})
	return l.state()
}

// claim makes c the call the persistent leg is in; it waits for the
// line's turn, so that the leg's next events are routed to c.
func (l *line) claim(ctx context.Context, c *call) {
	if l == nil {
		return
	}
	_ = l.do(ctx, func(l *line) { l.set(func(s *lineState) { s.call = c }) })
}

// release lets go of the line for c, unless another call took it since.
func (l *line) release(c *call) {
	l.post(func(l *line) {
		if l.state().call == c {
			l.set(func(s *lineState) { s.call = nil })
		}
	})
}

// addHold counts time the agent's calls spent on hold.
func (l *line) addHold(d time.Duration) {
	l.post(func(l *line) { l.set(func(s *lineState) { s.holdSec += int64(d / time.Second) }) })
}

// markDisposed records that the agent disposed call and stops its
// wrap-up timer; on the line's turn.
func (l *line) markDisposed(call CallID) {
	if l.wrap != nil {
		l.wrap.Stop()
	}
	l.set(func(s *lineState) { s.disposed = call })
}

// stopWrap stops an automatic return to READY; on the line's turn.
func (l *line) stopWrap() {
	if l.wrap != nil {
		l.wrap.Stop()
	}
}

// busyFor reports whether the line is in a live call other than c; a call
// that ended but has not let go of the line yet is no obstacle.
func (s lineState) busyFor(c *call) bool {
	return s.call != nil && s.call != c && !s.call.ended.Load()
}

// phoneUser is the directory user of the agent's phone, as call records
// name its leg: the browser's w<ext>, else the seat's extension.
func (s lineState) phoneUser() string {
	if s.endpoint.Kind == EndpointWebRTC {
		return WebRTCUser(s.agent.Extension)
	}
	return s.agent.Extension
}

// extension is the seat's extension now (an admin may change it).
func (l *line) extension() string { return l.state().agent.Extension }

// AgentChanged applies an admin's change of a seat to a logged-in agent:
// the workspace shows the new name and extension, calls ring the new
// extension from now on (a persistent line already up stays), and a
// disabled seat is logged out.
func (e *Engine) AgentChanged(ctx context.Context, by Actor, a Agent) error {
	l := e.line(a.ID)
	if l == nil {
		return nil
	}
	if err := l.do(ctx, func(l *line) {
		l.set(func(s *lineState) {
			old := s.agent
			s.agent = a
			if s.endpoint.Kind == EndpointSIP && s.endpoint.Extension == old.Extension || s.endpoint.Kind == EndpointWebRTC {
				s.endpoint.Extension = a.Extension
			}
		})
	}); err != nil {
		return err
	}
	if a.Disabled {
		return e.Logout(ctx, by, a.ID)
	}
	e.refreshAgent(ctx, a.ID)
	return nil
}

// onLegEvent follows the persistent leg itself, on the line's turn; the
// call it is in gets the same event through its own routing.
func (l *line) onLegEvent(kind string, ev switchEvent) {
	e := l.e
	switch kind {
	case esl.EventChannelAnswer:
		l.set(func(s *lineState) { s.legUp = true })
		e.refreshAgent(e.ctx, l.id)
	case esl.EventChannelHangup:
		// No lead may be bridged to it from now on.
		l.set(func(s *lineState) { s.legUp = false })
	case esl.EventChannelHangupComplete:
		l.legGone(ev.hangupCause)
	}
}

// legGone: the agent's nailed-up leg ended (the agent hung up its phone);
// on the line's turn. A READY agent is paused so no lead is sent to a dead
// line; a call in progress ends through its own hangup handling.
func (l *line) legGone(cause string) {
	e := l.e
	leg, again := l.state().leg, l.state().ringAgain
	l.set(func(s *lineState) { s.leg, s.legUp, s.legNode, s.ringAgain = "", false, "", "" })
	l.settle()
	if leg == "" {
		return
	}
	e.mu.Lock()
	delete(e.lineByLeg, leg)
	e.mu.Unlock()
	e.log.Info("agent's persistent leg ended", "agent_id", l.id, "cause", cause)
	ctx := e.ctx
	st, err := e.live.Agent(ctx, l.id)
	if err == nil && st.State == AgentReady {
		_, _ = e.transition(ctx, l.id, AgentReady, TriggerPause, "", "phone disconnected", PausePhoneDown)
	} else {
		e.refreshAgent(ctx, l.id)
	}
	if (cause == "DESTINATION_OUT_OF_ORDER" || again == leg) && e.line(l.id) == l {
		// The switch dropped the line, not the agent: a uuid_bridge it
		// answered +OK and could not carry out
		// (esl/testdata/transcripts/13-bridge-lost.jsonl), or one that
		// stalled and the service hung the line up. Ring the phone again
		// and put the agent back to READY when it answers.
		l.restore()
	}
}

// ringAgainAfter marks leg, the line's, as hung up by the service: its
// end rings the agent's phone again.
func (l *line) ringAgainAfter(leg LegID) {
	l.set(func(s *lineState) {
		if s.leg == leg {
			s.ringAgain = leg
		}
	})
}

// restore rings a persistent agent's phone again after the switch dropped
// its line, on the line's turn; an agent paused for the dropped line
// (PHONE_DOWN) is READY again once the line is back.
func (l *line) restore() {
	e := l.e
	wait, err := l.connect(e.ctx)
	if err != nil {
		e.log.Warn("agent's line not rung again", "agent_id", l.id, "err", err)
		return
	}
	e.group.Go(func() {
		select {
		case <-wait:
		case <-e.ctx.Done():
			return
		}
		l.post(func(l *line) {
			if !l.state().legUp || e.line(l.id) != l {
				return
			}
			ctx := e.ctx
			st, err := e.live.Agent(ctx, l.id)
			if err != nil || st.State != AgentPaused || st.PauseCode != PausePhoneDown {
				return
			}
			if _, err := e.transition(ctx, l.id, AgentPaused, TriggerReady, "", "line restored", ""); err != nil {
				e.log.Warn("agent not made READY after its line came back", "agent_id", l.id, "err", err)
				return
			}
			e.log.Info("agent's line restored after the switch dropped it", "agent_id", l.id)
		})
	})
}

// connectPhone rings a persistent agent's phone (see connect) and returns
// a channel closed once it answered or failed.
func (e *Engine) connectPhone(ctx context.Context, l *line) (chan struct{}, error) {
	var (
		wait chan struct{}
		err  error
	)
	if derr := l.do(ctx, func(l *line) { wait, err = l.connect(ctx) }); derr != nil {
		return nil, derr
	}
	return wait, err
}

// connect originates the persistent leg, on the line's turn: the agent
// answers once and stays connected (parked) between calls. A leg already
// ringing or up is kept.
func (l *line) connect(ctx context.Context) (chan struct{}, error) {
	e := l.e
	s := l.state()
	if s.leg != "" && l.legWait != nil {
		return l.legWait, nil
	}
	leg := LegID(uuid.NewString())
	l.set(func(s *lineState) { s.leg, s.legUp = leg, false })
	wait := make(chan struct{})
	l.legWait, l.settled = wait, false
	e.mu.Lock()
	e.lineByLeg[leg] = l
	e.mu.Unlock()
	o := esl.Originate{
		UUID: string(leg), Endpoint: e.agentEndpoint(s.endpoint), Timeout: e.cfg.AgentRingTimeout,
		CallerIDNumber: e.cfg.CallerIDNumber, CallerIDName: "Agent login",
		Vars: map[string]string{"park_after_bridge": "true", VarAgentID: l.id.String(), VarLegRole: string(LegAgent)},
	}
	call, err := e.sw.Originate(ctx, o, "")
	if err != nil {
		l.legGone("ORIGINATE_FAILED")
		return nil, switchErr(err)
	}
	l.set(func(s *lineState) { s.legNode = call.Node })
	// Before the agent can be READY: only calls on this node may have it.
	if err := e.live.SetLineNode(ctx, l.id, call.Node); err != nil {
		e.log.Warn("the agent's line node not recorded", "agent_id", l.id, "err", err)
	}
	call.OnDone(func(err error) {
		l.post(func(l *line) {
			if l.state().leg != leg {
				return // gone already, or replaced
			}
			if err != nil {
				e.log.Warn("agent's persistent leg did not connect", "agent_id", l.id, "err", err)
				l.legGone("NO_ANSWER")
				return
			}
			l.set(func(s *lineState) { s.legUp = true })
			l.settle()
			e.refreshAgent(e.ctx, l.id)
		})
	})
	return wait, nil
}

// settle tells those waiting for the current leg that it answered or
// failed; on the line's turn.
func (l *line) settle() {
	if l.legWait != nil && !l.settled {
		close(l.legWait)
		l.settled = true
	}
}

// hangUpLine ends the agent's persistent leg, on the line's turn (logout,
// a login that changes the phone).
func (l *line) hangUpLine(ctx context.Context, why string) {
	leg := l.state().leg
	if leg == "" {
		return
	}
	_ = l.e.sw.Kill(ctx, string(leg), "NORMAL_CLEARING")
	l.legGone(why)
}

func (e *Engine) line(id AgentID) *line {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lines[id]
}
