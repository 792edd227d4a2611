package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// transition moves an agent from one state by trigger t, where
// NextAgentState says (ring mode: see transitionIn), as one
// compare-and-set of its live state, published.
func (e *Engine) transition(ctx context.Context, id AgentID, from AgentState, t AgentTrigger, call CallID, reason, pause string) (AgentStatus, error) {
	return e.transitionIn(ctx, id, from, t, ModeRing, call, reason, pause)
}

// transitionIn is transition for a trigger whose outcome depends on how
// the agent's phone is connected (connect, dial).
func (e *Engine) transitionIn(ctx context.Context, id AgentID, from AgentState, t AgentTrigger, mode AgentMode, call CallID, reason, pause string) (AgentStatus, error) {
	to, err := NextAgentState(from, t, mode)
	if err != nil {
		return AgentStatus{}, err
	}
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
	e.recordAgentState(st, v)
	e.publish(LiveEvent{Type: EvAgentState, Agent: id, AgentView: &v})
	e.router.agentState(id, st)
	if st.State == AgentReady {
		e.nudgeWaiting()
	}
	// A predictive campaign's pacer reads every agent's state and time
	// in it; progressive needs only the READY ones.
	if st.State == AgentReady || v.Campaign != nil && v.Campaign.DialMode == DialPredictive {
		e.nudgePacer()
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

// view builds an agent's view from its live status and line.
func (e *Engine) view(ctx context.Context, id AgentID, st AgentStatus) AgentView {
	v := AgentView{ID: id, State: st.State, Since: st.Since, Reason: st.Reason, PauseCode: st.PauseCode, Call: st.Call, Mode: st.Mode, seq: st.Seq, login: st.LoginAt}
	var holdSec int64
	if l := e.line(id); l != nil {
		s := l.state()
		v.Name, v.Extension, v.Endpoint = s.agent.Name, s.agent.Extension, s.endpoint
		v.Team = s.agent.TeamRef()
		v.PhoneConnected = s.legUp
		if s.campaign.ID != 0 {
			v.Campaign = &s.campaign
		}
		if st.State == AgentPaused && st.PauseCode == PausePreview {
			// Only with the state it belongs to: a view of the READY that
			// came before the offer must not show the lead.
			v.Preview = s.preview
		}
		if s.mode != "" {
			v.Mode = s.mode
		}
		holdSec = s.holdSec
		v.Media = e.mediaOf(id)
	} else if a, err := e.dir.Agent(ctx, id); err == nil {
		v.Name, v.Extension, v.Team = a.Name, a.Extension, a.TeamRef()
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
	case EndpointWebRTC:
		// The browser's credentials are the agent's own: nobody may seat
		// an agent on another extension's browser.
		if ep.Extension == "" {
			ep.Extension = ag.Extension
		}
		if ep.Extension != ag.Extension {
			return AgentView{}, &FieldError{Field: "endpoint.extension", Reason: "a browser softphone is on the agent's own extension"}
		}
		if !ValidExtension(ep.Extension) {
			return AgentView{}, &FieldError{Field: "endpoint.extension", Reason: "2-10 digits"}
		}
		if ep.Phone != "" {
			return AgentView{}, &FieldError{Field: "endpoint.phone", Reason: "none on a webrtc endpoint"}
		}
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
		return AgentView{}, &FieldError{Field: "endpoint.kind", Reason: "sip, webrtc or phone"}
	}
	ref, err := e.chooseCampaign(ctx, ag, r.Campaign)
	if err != nil {
		return AgentView{}, err
	}
	if err := e.live.UpsertAgent(ctx, profileOn(ag, mode, ep, ref.ID)); err != nil {
		return AgentView{}, err
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	e.mu.Lock()
	l := e.lines[id]
	if l == nil {
		l = e.newLine(ag, "", AgentEndpoint{})
		e.lines[id] = l
	}
	e.mu.Unlock()
	var busy bool
	var kept lineState
	if err := l.do(ctx, func(l *line) {
		s := l.state()
		if st.State.HoldsCall() && (s.endpoint != ep || s.mode != mode) && s.mode != "" {
			busy, kept = true, s
			return
		}
		changed := s.endpoint != ep || s.mode != mode
		if p := s.preview; p != nil && p.Campaign != ref.ID {
			e.returnLead(ctx, p.Campaign, p.Lead.ID)
			s.preview = nil
		}
		l.set(func(st *lineState) {
			st.agent, st.mode, st.endpoint, st.campaign, st.preview = ag, mode, ep, ref, s.preview
		})
		if changed {
			l.hangUpLine(ctx, "RELOGIN")
		}
	}); err != nil {
		return AgentView{}, err
	}
	if busy {
		// The session goes on as it was: so does what a restart reads.
		if err := e.live.UpsertAgent(ctx, profileOn(ag, kept.mode, kept.endpoint, kept.campaign.ID)); err != nil {
			e.log.Warn("refused login: the session's profile not written back", "agent_id", id, "err", err)
		}
		return AgentView{}, fmt.Errorf("agent %d is on a call; log in again after it: %w", id, ErrConflict)
	}
	if st.State == AgentLoggedOut {
		if st, err = e.transition(ctx, id, AgentLoggedOut, TriggerLogin, "", "login by "+a.Label(), PauseLogin); err != nil {
			return AgentView{}, err
		}
	} else {
		e.publishAgent(ctx, id, st)
	}
	_ = e.live.Heartbeat(ctx, id, e.now().Add(e.cfg.HeartbeatGrace))
	if mode == ModePersistent && ep.Kind != EndpointWebRTC {
		// A browser's line is rung once the page has registered
		// (browserRegistered), or when the agent goes READY.
		if _, err := e.connectPhone(ctx, l); err != nil {
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
		e.forgetMedia(id)
		e.revokeWebRTCAtLogout(ctx, id)
		return nil
	}
	if err := e.leaveDispo(ctx, a, id, st); err != nil {
		return err
	}
	// Cleared first: the view the logout publishes shows no softphone.
	e.forgetMedia(id)
	if st, err = e.transition(ctx, id, st.State, TriggerLogout, "", "logout by "+a.Label(), ""); err != nil {
		return err
	}
	e.revokeWebRTCAtLogout(ctx, id)
	if l := e.line(id); l != nil {
		s := l.state()
		e.dropBrowserRegistration(ctx, id, s.endpoint, s.agent.Realm)
		e.dropPreview(ctx, l)
		if err := l.do(ctx, func(l *line) {
			l.stopWrap()
			l.hangUpLine(ctx, "LOGOUT")
		}); err != nil {
			return err
		}
		e.mu.Lock()
		delete(e.lines, id)
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
	if l := e.line(id); l != nil && l.state().disposed == st.Call {
		return nil
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
	l := e.line(id)
	if l == nil {
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
	if s := l.state(); s.mode == ModePersistent && !s.legUp {
		// A persistent agent takes calls only with its line connected.
		wait, err := e.connectPhone(ctx, l)
		if err != nil {
			return AgentView{}, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return AgentView{}, ctx.Err()
		}
		if !l.state().legUp {
			return AgentView{}, fmt.Errorf("%w: the agent's phone did not answer", ErrUnavailable)
		}
	}
	// Asking for calls is a sign of life: the workspace's heartbeat is
	// watched again from now (a pause may have let it lapse).
	_ = e.live.Heartbeat(ctx, id, e.now().Add(e.cfg.HeartbeatGrace))
	// Ready again while previewing: the lead is offered again, first.
	e.dropPreview(ctx, l)
	st, err = e.transition(ctx, id, st.State, TriggerReady, st.Call, "ready by "+a.Label(), "")
	if err != nil {
		return AgentView{}, err
	}
	l.post(func(l *line) { l.stopWrap() })
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
	allowed, err := e.PauseCodes(ctx)
	if err != nil {
		return AgentView{}, err
	}
	if err := ValidatePauseCode(code, allowed); err != nil {
		return AgentView{}, err
	}
	if e.line(id) == nil {
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
	// A lead being previewed goes back first in line for someone else.
	e.dropPreview(ctx, e.line(id))
	st, err = e.transition(ctx, id, st.State, TriggerPause, call, "pause by "+a.Label(), code)
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
		_, err = e.transition(ctx, id, AgentReady, TriggerPause, "", "workspace heartbeat lost", PauseNoHeartbeat)
	case AgentDispo:
		if l := e.line(id); l != nil && l.state().disposed != st.Call {
			_ = e.disposeSystem(ctx, st.Call, id, "NODISPO", "workspace heartbeat lost")
		}
		_, err = e.transition(ctx, id, AgentDispo, TriggerPause, st.Call, "workspace heartbeat lost", PauseNoHeartbeat)
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
	if _, err := e.transition(ctx, id, st.State, TriggerHangup, c.id, reason, ""); err != nil {
		e.log.Warn("could not start wrap-up", "agent_id", id, "call_id", c.id, "err", err)
		return
	}
	wait := e.cfg.WrapUp
	if c.campaignWrap > 0 {
		wait = c.campaignWrap
	}
	l := e.line(id)
	if l == nil || wait <= 0 {
		return
	}
	call := c.id
	l.post(func(l *line) {
		l.stopWrap()
		l.wrap = time.AfterFunc(wait, func() { l.post(func(l *line) { l.wrapOver(call) }) })
	})
}

// wrapOver ends an automatic wrap-up, on the line's turn: the call gets
// NODISPO if the agent chose nothing, the agent is READY.
func (l *line) wrapOver(call CallID) {
	e := l.e
	ctx := e.ctx
	st, err := e.live.Agent(ctx, l.id)
	if err != nil || st.State != AgentDispo || st.Call != call {
		return
	}
	if l.state().disposed != call {
		if err := e.disposeSystem(ctx, call, l.id, "NODISPO", "wrap-up time over"); err != nil {
			e.log.Warn("auto wrap-up: dispose failed", "call_id", call, "err", err)
		}
	}
	_, _ = e.transition(ctx, l.id, AgentDispo, TriggerReady, call, "wrap-up time over", "")
}

// disposeSystem records a disposition the agent did not choose.
// It is written behind the call's records, in the record writer's next
// batch, and waited for: the agent is not given another call until it is.
func (e *Engine) disposeSystem(ctx context.Context, id CallID, agent AgentID, code, note string) error {
	d := Disposal{Call: id, Code: code, Notes: note, Agent: agent, At: e.now()}
	if err := e.cdr.do(ctx, func(ctx context.Context) error {
		_, err := e.calls.DisposeCall(ctx, d)
		return err
	}); err != nil {
		return err
	}
	e.line(agent).post(func(l *line) { l.markDisposed(id) })
	return nil
}

func (e *Engine) auditf(ctx context.Context, a Actor, action, target string, data map[string]any) {
	if e.audit == nil {
		return
	}
	entry := AuditEntry{Actor: a.AuditName(), Action: action, Target: target, At: e.now(), Role: a.Role, Remote: RemoteFrom(ctx)}
	if len(data) > 0 {
		entry.Data, _ = json.Marshal(data)
	}
	if _, err := e.audit.AppendAudit(ctx, entry); err != nil {
		e.log.Warn("audit write failed", "action", action, "err", err)
	}
}
