package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
)

// session is a logged-in agent: where its phone is and, in persistent
// mode, the leg that stays connected between calls.
type session struct {
	// mu guards the fields below. Lock order: a leaf, like Engine.mu;
	// never held while taking Engine.mu or posting to a call.
	mu       sync.Mutex
	agent    Agent
	mode     AgentMode
	endpoint AgentEndpoint
	leg      LegID // persistent leg ("" when none)
	legUp    bool
	legNode  string
	legWait  chan struct{} // closed when the persistent leg answered or failed
	call     *call         // the call the persistent leg is in
	holdSec  int64
	// disposed is the last call the agent disposed; leaving DISPO needs it.
	disposed CallID
	wrap     *time.Timer
}

func (s *session) currentCall() *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.call
}

func (s *session) setCall(c *call) {
	s.mu.Lock()
	s.call = c
	s.mu.Unlock()
}

// extension is the seat's extension now (an admin may change it).
func (s *session) extension() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.agent.Extension
}

// AgentChanged applies an admin's change of a seat to a logged-in agent:
// the workspace shows the new name and extension, calls ring the new
// extension from now on (a persistent line already up stays), and a
// disabled seat is logged out.
func (e *Engine) AgentChanged(ctx context.Context, by Actor, a Agent) error {
	s := e.session(a.ID)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	old := s.agent
	s.agent = a
	if s.endpoint.Kind == EndpointSIP && s.endpoint.Extension == old.Extension {
		s.endpoint.Extension = a.Extension
	}
	s.mu.Unlock()
	if a.Disabled {
		return e.Logout(ctx, by, a.ID)
	}
	e.refreshAgent(ctx, a.ID)
	return nil
}

// onLegEvent follows the persistent leg itself; the call it is in gets the
// same event through its own routing.
func (s *session) onLegEvent(e *Engine, kind string, ev switchEvent) {
	switch kind {
	case esl.EventChannelAnswer:
		s.mu.Lock()
		s.legUp = true
		s.mu.Unlock()
		e.refreshAgent(e.ctx, s.agent.ID)
	case esl.EventChannelHangup:
		// No lead may be bridged to it from now on.
		s.mu.Lock()
		s.legUp = false
		s.mu.Unlock()
	case esl.EventChannelHangupComplete:
		s.legGone(e, ev.hangupCause)
	}
}

// legGone: the agent's nailed-up leg ended (the agent hung up its phone).
// A READY agent is paused so no lead is sent to a dead line; a call in
// progress ends through its own hangup handling.
func (s *session) legGone(e *Engine, cause string) {
	s.mu.Lock()
	leg := s.leg
	s.leg, s.legUp, s.legNode = "", false, ""
	s.mu.Unlock()
	if leg == "" {
		return
	}
	e.mu.Lock()
	delete(e.byLegS, leg)
	e.mu.Unlock()
	e.log.Info("agent's persistent leg ended", "agent_id", s.agent.ID, "cause", cause)
	ctx := e.ctx
	st, err := e.live.Agent(ctx, s.agent.ID)
	if err == nil && st.State == AgentReady {
		_, _ = e.transition(ctx, s.agent.ID, AgentReady, AgentPaused, "", "phone disconnected", PausePhoneDown)
	} else {
		e.refreshAgent(ctx, s.agent.ID)
	}
	if cause == "DESTINATION_OUT_OF_ORDER" && e.session(s.agent.ID) == s {
		// The switch dropped the line, not the agent: a uuid_bridge it
		// answered +OK and could not carry out
		// (esl/testdata/transcripts/13-bridge-lost.jsonl). Ring the phone
		// again and put the agent back to READY when it answers.
		e.wg.Go(func() { e.restoreLine(s) })
	}
}

// restoreLine rings a persistent agent's phone again after the switch
// dropped its line; an agent paused for the dropped line (PHONE_DOWN) is
// READY again once the line is back.
func (e *Engine) restoreLine(s *session) {
	ctx := e.ctx
	wait, err := e.connectPhone(ctx, s)
	if err != nil {
		e.log.Warn("agent's line not rung again", "agent_id", s.agent.ID, "err", err)
		return
	}
	select {
	case <-wait:
	case <-ctx.Done():
		return
	}
	s.mu.Lock()
	up := s.legUp
	s.mu.Unlock()
	if !up || e.session(s.agent.ID) != s {
		return
	}
	st, err := e.live.Agent(ctx, s.agent.ID)
	if err != nil || st.State != AgentPaused || st.PauseCode != PausePhoneDown {
		return
	}
	if _, err := e.transition(ctx, s.agent.ID, AgentPaused, AgentReady, "", "line restored", ""); err != nil {
		e.log.Warn("agent not made READY after its line came back", "agent_id", s.agent.ID, "err", err)
		return
	}
	e.log.Info("agent's line restored after the switch dropped it", "agent_id", s.agent.ID)
}

// connectPhone originates the persistent leg: the agent answers once and
// stays connected (parked) between calls.
func (e *Engine) connectPhone(ctx context.Context, s *session) (chan struct{}, error) {
	s.mu.Lock()
	if s.leg != "" && s.legWait != nil {
		w := s.legWait
		s.mu.Unlock()
		return w, nil
	}
	leg := LegID(uuid.NewString())
	s.leg, s.legUp = leg, false
	wait := make(chan struct{})
	s.legWait = wait
	ep := s.endpoint
	s.mu.Unlock()
	e.mu.Lock()
	e.byLegS[leg] = s
	e.mu.Unlock()
	o := esl.Originate{
		UUID: string(leg), Endpoint: e.agentEndpoint(ep), Timeout: e.cfg.AgentRingTimeout,
		CallerIDNumber: e.cfg.CallerIDNumber, CallerIDName: "Agent login",
		Vars: map[string]string{"park_after_bridge": "true", VarAgentID: s.agent.ID.String(), VarLegRole: string(LegAgent)},
	}
	call, err := e.sw.Originate(ctx, o, "")
	if err != nil {
		s.legGone(e, "ORIGINATE_FAILED")
		close(wait)
		return nil, switchErr(err)
	}
	s.mu.Lock()
	s.legNode = call.Node
	s.mu.Unlock()
	// Before the agent can be READY: only calls on this node may have it.
	if err := e.live.SetLineNode(ctx, s.agent.ID, call.Node); err != nil {
		e.log.Warn("the agent's line node not recorded", "agent_id", s.agent.ID, "err", err)
	}
	e.wg.Go(func() {
		defer close(wait)
		if err := call.Wait(e.ctx); err != nil {
			e.log.Warn("agent's persistent leg did not connect", "agent_id", s.agent.ID, "err", err)
			s.legGone(e, "NO_ANSWER")
			return
		}
		s.mu.Lock()
		s.legUp = true
		s.mu.Unlock()
		e.refreshAgent(e.ctx, s.agent.ID)
	})
	return wait, nil
}

func (e *Engine) session(id AgentID) *session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sessions[id]
}

// transition is one compare-and-set of an agent's state, published.
func (e *Engine) transition(ctx context.Context, id AgentID, from, to AgentState, call CallID, reason, pause string) (AgentStatus, error) {
	st, err := e.live.Transition(ctx, Transition{Agent: id, From: from, To: to, Call: call, Reason: reason, PauseCode: pause, At: e.now()})
	if err != nil {
		return st, err
	}
	e.publishAgent(ctx, id, st)
	return st, nil
}

// publishAgent pushes an agent's view after a change.
func (e *Engine) publishAgent(ctx context.Context, id AgentID, st AgentStatus) {
	v := e.view(ctx, id, st)
	e.publish(LiveEvent{Type: EvAgentState, Agent: id, AgentView: &v})
	if st.State == AgentReady {
		e.nudgeWaiting()
	}
}

// refreshAgent re-reads an agent's live state and publishes it.
func (e *Engine) refreshAgent(ctx context.Context, id AgentID) {
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return
	}
	e.publishAgent(ctx, id, st)
}

// view builds an agent's view from its live status and session.
func (e *Engine) view(ctx context.Context, id AgentID, st AgentStatus) AgentView {
	v := AgentView{ID: id, State: st.State, Since: st.Since, Reason: st.Reason, PauseCode: st.PauseCode, Call: st.Call, Mode: st.Mode, seq: st.Seq}
	s := e.session(id)
	var holdSec int64
	if s != nil {
		s.mu.Lock()
		v.Name, v.Extension, v.Endpoint = s.agent.Name, s.agent.Extension, s.endpoint
		v.PhoneConnected = s.legUp
		if s.mode != "" {
			v.Mode = s.mode
		}
		holdSec = s.holdSec
		s.mu.Unlock()
	} else if a, err := e.dir.Agent(ctx, id); err == nil {
		v.Name, v.Extension = a.Name, a.Extension
	}
	t := st.TotalsAt(e.now())
	v.Stats = SessionStats{
		Calls: st.Calls, TalkSec: int64(t.InCall / time.Second), DispoSec: int64(t.Dispo / time.Second),
		PauseSec: int64(t.Paused / time.Second), ReadySec: int64(t.Ready / time.Second), HoldSec: holdSec,
	}
	return v
}

// Login starts an agent's session: PAUSED until the agent asks for calls.
func (e *Engine) Login(ctx context.Context, a Actor, id AgentID, r LoginRequest) (AgentView, error) {
	if err := e.ready(ctx); err != nil {
		return AgentView{}, err
	}
	if !a.MayControl(id) {
		return AgentView{}, ErrForbidden
	}
	ag, err := e.dir.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	if ag.Disabled {
		return AgentView{}, fmt.Errorf("agent %d: %w", id, ErrDisabled)
	}
	mode := r.Mode
	if mode == "" {
		mode = ag.Mode
	}
	if !mode.Valid() {
		return AgentView{}, &FieldError{Field: "mode", Reason: "ring or persistent"}
	}
	ep := r.Endpoint
	if ep.Kind == "" {
		ep.Kind = EndpointSIP
	}
	switch ep.Kind {
	case EndpointSIP:
		if ep.Extension == "" {
			ep.Extension = ag.Extension
		}
		if ep.Extension != ag.Extension && !a.Role.AtLeast(RoleSupervisor) {
			return AgentView{}, &FieldError{Field: "endpoint.extension", Reason: "an agent logs in on its own extension"}
		}
		if !ValidExtension(ep.Extension) {
			return AgentView{}, &FieldError{Field: "endpoint.extension", Reason: "2-10 digits"}
		}
		ep.Phone = ""
	case EndpointPhone:
		if ep.Phone == "" {
			ep.Phone = ag.ExternalPhone
		}
		if ep.Phone == "" {
			return AgentView{}, &FieldError{Field: "endpoint.phone", Reason: "the seat has no external phone; an admin sets one"}
		}
		if !ValidPhone(ep.Phone) {
			return AgentView{}, &FieldError{Field: "endpoint.phone", Reason: "E.164 (+ and digits)"}
		}
		if err := e.checkAgentPhone(a, ag, ep.Phone); err != nil {
			return AgentView{}, err
		}
		ep.Extension = ""
	default:
		return AgentView{}, &FieldError{Field: "endpoint.kind", Reason: "sip or phone"}
	}
	prof := ag.Profile()
	prof.Mode = mode
	if err := e.live.UpsertAgent(ctx, prof); err != nil {
		return AgentView{}, err
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	e.mu.Lock()
	s := e.sessions[id]
	if s == nil {
		s = &session{}
		e.sessions[id] = s
	}
	e.mu.Unlock()
	s.mu.Lock()
	if st.State.HoldsCall() && (s.endpoint != ep || s.mode != mode) && s.mode != "" {
		s.mu.Unlock()
		return AgentView{}, fmt.Errorf("agent %d is on a call; log in again after it: %w", id, ErrConflict)
	}
	changed := s.endpoint != ep || s.mode != mode
	s.agent, s.mode, s.endpoint = ag, mode, ep
	oldLeg := s.leg
	s.mu.Unlock()
	if changed && oldLeg != "" {
		_ = e.sw.Kill(ctx, string(oldLeg), "NORMAL_CLEARING")
		s.legGone(e, "RELOGIN")
	}
	if st.State == AgentLoggedOut {
		if st, err = e.transition(ctx, id, AgentLoggedOut, AgentPaused, "", "login by "+a.Label(), "LOGIN"); err != nil {
			return AgentView{}, err
		}
	} else {
		e.publishAgent(ctx, id, st)
	}
	_ = e.live.Heartbeat(ctx, id, e.now().Add(e.cfg.HeartbeatGrace))
	if mode == ModePersistent {
		if _, err := e.connectPhone(ctx, s); err != nil {
			e.log.Warn("could not ring the agent's phone", "agent_id", id, "err", err)
		}
	}
	e.auditf(ctx, a, "agent.login", id.String(), map[string]any{"mode": mode, "endpoint": ep})
	return e.view(ctx, id, st), nil
}

// Logout ends an agent's session; only outside a call.
func (e *Engine) Logout(ctx context.Context, a Actor, id AgentID) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	if !a.MayControl(id) {
		return ErrForbidden
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return err
	}
	if st.State == AgentLoggedOut {
		return nil
	}
	if err := e.leaveDispo(ctx, a, id, st); err != nil {
		return err
	}
	if st, err = e.transition(ctx, id, st.State, AgentLoggedOut, "", "logout by "+a.Label(), ""); err != nil {
		return err
	}
	if s := e.session(id); s != nil {
		s.mu.Lock()
		leg := s.leg
		if s.wrap != nil {
			s.wrap.Stop()
		}
		s.mu.Unlock()
		if leg != "" {
			_ = e.sw.Kill(ctx, string(leg), "NORMAL_CLEARING")
			s.legGone(e, "LOGOUT")
		}
		e.mu.Lock()
		delete(e.sessions, id)
		e.mu.Unlock()
	}
	e.auditf(ctx, a, "agent.logout", id.String(), nil)
	return nil
}

// leaveDispo refuses to take an agent out of wrap-up before the call is
// disposed, unless a supervisor does it (the call gets NODISPO).
func (e *Engine) leaveDispo(ctx context.Context, a Actor, id AgentID, st AgentStatus) error {
	if st.State != AgentDispo || st.Call == "" {
		return nil
	}
	s := e.session(id)
	if s != nil {
		s.mu.Lock()
		done := s.disposed == st.Call
		s.mu.Unlock()
		if done {
			return nil
		}
	}
	if a.Role.AtLeast(RoleSupervisor) && a.Agent != id {
		return e.disposeSystem(ctx, st.Call, id, "NODISPO", "closed by "+a.Label())
	}
	return &FieldError{Field: "disposition", Reason: "dispose the call first"}
}

// SetReady makes the agent available for calls.
func (e *Engine) SetReady(ctx context.Context, a Actor, id AgentID) (AgentView, error) {
	if err := e.ready(ctx); err != nil {
		return AgentView{}, err
	}
	if !a.MayControl(id) {
		return AgentView{}, ErrForbidden
	}
	s := e.session(id)
	if s == nil {
		return AgentView{}, fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	if st.State == AgentReady {
		return e.view(ctx, id, st), nil
	}
	if err := e.leaveDispo(ctx, a, id, st); err != nil {
		return AgentView{}, err
	}
	s.mu.Lock()
	persistent, up := s.mode == ModePersistent, s.legUp
	s.mu.Unlock()
	if persistent && !up {
		// A persistent agent takes calls only with its line connected.
		wait, err := e.connectPhone(ctx, s)
		if err != nil {
			return AgentView{}, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return AgentView{}, ctx.Err()
		}
		s.mu.Lock()
		up = s.legUp
		s.mu.Unlock()
		if !up {
			return AgentView{}, fmt.Errorf("%w: the agent's phone did not answer", ErrUnavailable)
		}
	}
	// Asking for calls is a sign of life: the workspace's heartbeat is
	// watched again from now (a pause may have let it lapse).
	_ = e.live.Heartbeat(ctx, id, e.now().Add(e.cfg.HeartbeatGrace))
	st, err = e.transition(ctx, id, st.State, AgentReady, st.Call, "ready by "+a.Label(), "")
	if err != nil {
		return AgentView{}, err
	}
	s.mu.Lock()
	if s.wrap != nil {
		s.wrap.Stop()
	}
	s.mu.Unlock()
	return e.view(ctx, id, st), nil
}

// Pause takes the agent out of the queue with a reason code.
func (e *Engine) Pause(ctx context.Context, a Actor, id AgentID, code string) (AgentView, error) {
	if err := e.ready(ctx); err != nil {
		return AgentView{}, err
	}
	if !a.MayControl(id) {
		return AgentView{}, ErrForbidden
	}
	if err := ValidatePauseCode(code, e.cfg.PauseCodes); err != nil {
		return AgentView{}, err
	}
	if e.session(id) == nil {
		return AgentView{}, fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	if err := e.leaveDispo(ctx, a, id, st); err != nil {
		return AgentView{}, err
	}
	call := CallID("")
	if st.State == AgentDispo {
		call = st.Call
	}
	st, err = e.transition(ctx, id, st.State, AgentPaused, call, "pause by "+a.Label(), code)
	if err != nil {
		return AgentView{}, err
	}
	return e.view(ctx, id, st), nil
}

// Heartbeat records that the agent's workspace is alive.
func (e *Engine) Heartbeat(ctx context.Context, a Actor, id AgentID) error {
	if !a.MayControl(id) {
		return ErrForbidden
	}
	until := e.now().Add(e.cfg.HeartbeatGrace)
	err := e.live.Heartbeat(ctx, id, until)
	if errors.Is(err, ErrUnavailable) {
		// The workspace is alive even if Redis is not: keep the beat
		// for when it is back (the sweep writes it first).
		e.mu.Lock()
		e.beats[id] = until
		e.mu.Unlock()
		return nil
	}
	return err
}

// heartbeatLost pauses an agent whose workspace went silent; a call in
// progress is never touched.
func (e *Engine) heartbeatLost(ctx context.Context, id AgentID) {
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return
	}
	switch st.State {
	case AgentReady:
		_, err = e.transition(ctx, id, AgentReady, AgentPaused, "", "workspace heartbeat lost", PauseNoHeartbeat)
	case AgentDispo:
		if s := e.session(id); s != nil {
			s.mu.Lock()
			done := s.disposed == st.Call
			s.mu.Unlock()
			if !done {
				_ = e.disposeSystem(ctx, st.Call, id, "NODISPO", "workspace heartbeat lost")
			}
		}
		_, err = e.transition(ctx, id, AgentDispo, AgentPaused, st.Call, "workspace heartbeat lost", PauseNoHeartbeat)
	default:
		return
	}
	if err != nil && !errors.Is(err, ErrStateMismatch) {
		e.log.Warn("could not pause an agent with no heartbeat", "agent_id", id, "err", err)
	}
}

// AgentView returns one agent's live view.
func (e *Engine) AgentView(ctx context.Context, id AgentID) (AgentView, error) {
	// Not before start-up has settled what a restart left behind.
	if err := e.ready(ctx); err != nil {
		return AgentView{}, err
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	return e.view(ctx, id, st), nil
}

// AgentViews returns every registered agent's live view.
func (e *Engine) AgentViews(ctx context.Context) ([]AgentView, error) {
	if err := e.ready(ctx); err != nil {
		return nil, err
	}
	all, err := e.live.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AgentView, 0, len(all))
	for _, st := range all {
		out = append(out, e.view(ctx, st.Agent, st))
	}
	return out, nil
}

// wrapUp starts an agent's wrap-up after its call; with a wrap-up time the
// agent returns to READY by itself (the call gets NODISPO if none was
// chosen).
func (e *Engine) wrapUp(ctx context.Context, id AgentID, c *call, reason string) {
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return
	}
	if st.State != AgentInCall && st.State != AgentRinging {
		if st.State == AgentReserved {
			_, _ = e.live.Release(ctx, id, c.id, reason, e.now())
			e.refreshAgent(ctx, id)
		}
		return
	}
	if _, err := e.transition(ctx, id, st.State, AgentDispo, c.id, reason, ""); err != nil {
		e.log.Warn("could not start wrap-up", "agent_id", id, "call_id", c.id, "err", err)
		return
	}
	wait := e.cfg.WrapUp
	if c.campaignWrap > 0 {
		wait = c.campaignWrap
	}
	s := e.session(id)
	if s == nil || wait <= 0 {
		return
	}
	call := c.id
	s.mu.Lock()
	if s.wrap != nil {
		s.wrap.Stop()
	}
	s.wrap = time.AfterFunc(wait, func() {
		ctx := e.ctx
		st, err := e.live.Agent(ctx, id)
		if err != nil || st.State != AgentDispo || st.Call != call {
			return
		}
		s.mu.Lock()
		done := s.disposed == call
		s.mu.Unlock()
		if !done {
			if err := e.disposeSystem(ctx, call, id, "NODISPO", "wrap-up time over"); err != nil {
				e.log.Warn("auto wrap-up: dispose failed", "call_id", call, "err", err)
			}
		}
		_, _ = e.transition(ctx, id, AgentDispo, AgentReady, call, "wrap-up time over", "")
	})
	s.mu.Unlock()
}

// disposeSystem records a disposition the agent did not choose.
func (e *Engine) disposeSystem(ctx context.Context, id CallID, agent AgentID, code, note string) error {
	if err := e.cdr.flush(ctx); err != nil {
		return err
	}
	if _, err := e.calls.DisposeCall(ctx, Disposal{Call: id, Code: code, Notes: note, Agent: agent, At: e.now()}); err != nil {
		return err
	}
	if s := e.session(agent); s != nil {
		s.mu.Lock()
		s.disposed = id
		s.mu.Unlock()
	}
	return nil
}

func (e *Engine) auditf(ctx context.Context, a Actor, action, target string, data map[string]any) {
	if e.audit == nil {
		return
	}
	entry := AuditEntry{Actor: a.AuditName(), Action: action, Target: target, At: e.now()}
	if len(data) > 0 {
		entry.Data, _ = json.Marshal(data)
	}
	if _, err := e.audit.AppendAudit(ctx, entry); err != nil {
		e.log.Warn("audit write failed", "action", action, "err", err)
	}
}
