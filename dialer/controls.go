package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/identity"
)

// StartCall dials a lead and connects it to an agent when it answers (the
// lead-call API). Supervisors, admins and API keys of those roles may.
func (e *Engine) StartCall(ctx context.Context, a Actor, r OutboundRequest) (CallView, error) {
	if err := e.mayStartCall(ctx, a); err != nil {
		return CallView{}, err
	}
	if !ValidPhone(r.Number) {
		return CallView{}, &FieldError{Field: "number", Reason: "E.164 (+ and digits)"}
	}
	if err := e.checkCallerID(r.CallerIDNumber, r.CallerIDName); err != nil {
		return CallView{}, err
	}
	if r.Agent < 0 {
		return CallView{}, &FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if err := e.knownAgent(ctx, "agent_id", r.Agent); err != nil {
		return CallView{}, err
	}
	if err := e.canPlace(); err != nil {
		return CallView{}, err
	}
	origin := r.Origin
	if origin == "" {
		origin = OriginAPI
	}
	v, err := e.placeLeadCall(ctx, leadCall{origin: origin, number: r.Number, campaign: r.Campaign, lead: r.Lead, fields: r.Fields,
		named: r.Agent, callerNum: r.CallerIDNumber, callerName: r.CallerIDName})
	if err != nil {
		return CallView{}, err
	}
	e.auditf(ctx, a, "call.start", string(v.ID), map[string]any{"number": r.Number, "agent_id": r.Agent})
	return v, nil
}

// mayStartCall: the engine takes new calls, and a (a supervisor and up)
// may start one.
func (e *Engine) mayStartCall(ctx context.Context, a Actor) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	if err := e.accepting(); err != nil {
		return err
	}
	if !a.Role.AtLeast(RoleSupervisor) {
		return ErrForbidden
	}
	return nil
}

// knownAgent: agent id (0: none named) is in the directory; field names
// it in the error.
func (e *Engine) knownAgent(ctx context.Context, field string, id AgentID) error {
	if id == 0 {
		return nil
	}
	if _, err := e.dir.Agent(ctx, id); errors.Is(err, ErrNotFound) {
		return &FieldError{Field: field, Reason: "no such agent"}
	} else if err != nil {
		return err
	}
	return nil
}

// canPlace is checked before the lead and the call record exist: a call
// that could only end unreachable, or abandoned for want of the live store
// that finds its agent, is refused, not recorded.
func (e *Engine) canPlace() error {
	if !e.sw.Up() {
		return ErrSwitchDown
	}
	return e.live.Unreachable()
}

// leadCall is a call that dials the lead first and finds it an agent
// once it answers.
type leadCall struct {
	origin                CallOrigin
	number                string
	campaign              CampaignID
	lead                  LeadID
	fields                map[string]string
	named                 AgentID // only this agent takes it
	callerNum, callerName string
	tags                  []string // the agent must have them all
	paced                 bool     // counted by the pacer while in flight
	// read is the campaign and lead the dialer has just read and checked
	// (nil: found from campaign, lead and number).
	read *claimedLead
}

// claimedLead is a lead the dialer claimed, with its campaign.
type claimedLead struct {
	camp Campaign
	lead Lead
}

// placeLeadCall records the call and originates the lead; the caller has
// checked its input.
func (e *Engine) placeLeadCall(ctx context.Context, r leadCall) (CallView, error) {
	var (
		camp Campaign
		wrap time.Duration
		lead Lead
		err  error
	)
	if r.read != nil {
		// Read just now: only the do-not-call list is looked at again.
		camp, lead = r.read.camp, r.read.lead
		wrap = time.Duration(camp.WrapUpSeconds) * time.Second
		err = e.checkDNC(ctx, r.number, camp.ID)
	} else if camp, wrap, lead, err = e.dialTarget(ctx, r.campaign, r.lead, r.number, r.fields); err == nil {
		field := "lead_id"
		if r.lead == 0 {
			field = "number"
		}
		err = abandonQuiet(lead, field, e.now())
	}
	if err != nil {
		return CallView{}, err
	}
	c := e.newCall(NewCallID(), Outbound, r.origin)
	c.number, c.campaign, c.lead, c.campaignWrap, c.named = r.number, camp.ID, lead.ID, wrap, r.named
	c.tags, c.abandonMsg = r.tags, camp.AbandonMessage
	c.callerNum, c.callerName = e.callerID(r.callerNum, r.callerName, camp, r.number)
	c.feed(e.ctx, callInput{kind: inDialStart})
	// A call for a persistent agent is placed on its line's node ("": the
	// switch client picks the least loaded).
	c.node = e.line(r.named).lineNode()
	c.leadLeg = &leg{id: NewLegID(), role: LegLead, number: r.number, state: LegDialing}
	endpoint := e.numberEndpoint(r.number)
	c.leadLeg.endpoint = endpointLabel(endpoint)
	if _, err := e.calls.CreateCall(ctx, Call{ID: c.id, Direction: Outbound, Origin: r.origin, Campaign: camp.ID, Lead: lead.ID,
		Agent: r.named, FromNumber: c.callerNum, ToNumber: r.number, CreatedAt: c.createdAt},
		CallLeg{ID: c.leadLeg.id, Call: c.id, Role: LegLead, Endpoint: c.leadLeg.endpoint, CreatedAt: c.createdAt}); err != nil {
		return CallView{}, err
	}
	// From here the call itself ends its count as in flight.
	c.paced = r.paced
	e.start(c, c.leadLeg)
	o := esl.Originate{
		UUID: string(c.leadLeg.id), Endpoint: endpoint, Timeout: e.cfg.LeadTimeout, IgnoreEarlyMedia: true,
		CallerIDNumber: c.callerNum, CallerIDName: c.callerName, Vars: c.legVars(LegLead, 0),
	}
	err = c.do(ctx, func(c *call) error {
		c.emit(EvCallCreated)
		c.originate(c.ctx, c.leadLeg, o)
		return nil
	})
	if err != nil {
		return CallView{}, err
	}
	return *c.view.Load(), nil
}

// ManualDial is the agent dialing from the workspace: the agent's leg
// first (its phone rings, or its persistent line is used), then the lead,
// which the agent hears ringing.
func (e *Engine) ManualDial(ctx context.Context, a Actor, agent AgentID, r ManualDialRequest) (CallView, error) {
	if err := e.ready(ctx); err != nil {
		return CallView{}, err
	}
	if err := e.accepting(); err != nil {
		return CallView{}, err
	}
	if !a.MayControl(agent) {
		return CallView{}, ErrForbidden
	}
	if !ValidPhone(r.Number) {
		return CallView{}, &FieldError{Field: "number", Reason: "E.164 (+ and digits)"}
	}
	if err := e.checkCallerID(r.CallerIDNumber, r.CallerIDName); err != nil {
		return CallView{}, err
	}
	ln := e.line(agent)
	if ln == nil {
		return CallView{}, fmt.Errorf("agent %d is not logged in: %w", agent, ErrConflict)
	}
	// Before the agent is taken out of the queue or anything is recorded.
	if !e.sw.Up() {
		return CallView{}, ErrSwitchDown
	}
	if r.Campaign == 0 {
		// The campaign the agent works on in this session, if any.
		r.Campaign = ln.state().campaign.ID
	}
	camp, wrap, lead, err := e.dialTarget(ctx, r.Campaign, r.Lead, r.Number, nil)
	if err != nil {
		return CallView{}, err
	}
	st, err := e.live.Agent(ctx, agent)
	if err != nil {
		return CallView{}, err
	}
	switch st.State {
	case AgentReady:
		// Out of the queue first, so no dialer call races the manual one.
		if st, err = e.transition(ctx, agent, AgentReady, TriggerPause, "", "manual dial", PauseManual); err != nil {
			return CallView{}, err
		}
	case AgentPaused:
	case AgentDispo:
		if err := e.leaveDispo(ctx, a, agent, st); err != nil {
			return CallView{}, err
		}
		if st, err = e.transition(ctx, agent, AgentDispo, TriggerPause, st.Call, "manual dial", PauseManual); err != nil {
			return CallView{}, err
		}
	default:
		return CallView{}, fmt.Errorf("agent %d is %s: %w", agent, st.State, ErrConflict)
	}
	s := ln.fresh(ctx)
	persistent := s.mode == ModePersistent
	pleg, legUp, ext, ep, pnode := s.leg, s.legUp, s.phoneUser(), s.endpoint, s.legNode
	own := r.fromPhone.leg != ""
	switch {
	case own && persistent && legUp:
		return CallView{}, fmt.Errorf("agent %d's line is connected: dial from the workspace: %w", agent, ErrConflict)
	case own:
		persistent = false
	case persistent && !legUp:
		return CallView{}, fmt.Errorf("%w: the agent's line is not connected", ErrUnavailable)
	}
	origin := OriginManual
	switch {
	case r.origin != "":
		origin = r.origin
	case r.Callback != 0:
		origin = OriginCallback
	}
	c := e.newCall(NewCallID(), Outbound, origin)
	c.number, c.campaign, c.lead, c.campaignWrap, c.callback = r.Number, camp.ID, lead.ID, wrap, r.Callback
	c.abandonMsg = camp.AbandonMessage
	c.callerNum, c.callerName = e.callerID(r.CallerIDNumber, r.CallerIDName, camp, r.Number)
	c.agent = agent
	c.feed(e.ctx, callInput{kind: inDialStart, manual: true, persistent: persistent, agentUp: own || persistent})
	c.leadLeg = &leg{id: NewLegID(), role: LegLead, number: r.Number, state: LegDialing, endpoint: endpointLabel(e.numberEndpoint(r.Number))}
	var agentLeg *leg
	switch {
	case own:
		// The agent's phone is already answered: dial the lead from it.
		agentLeg = &leg{id: r.fromPhone.leg, role: LegAgent, agent: agent, state: LegUp, endpoint: "user/" + ext + " (dialed from the phone)",
			node: r.fromPhone.node, answeredAt: e.now()}
		c.node = r.fromPhone.node
	case persistent:
		// The lead is dialed from the line, on the line's node.
		agentLeg = &leg{id: pleg, role: LegAgent, agent: agent, persistent: true, state: LegUp, endpoint: "user/" + ext, node: pnode}
		c.node = pnode
	default:
		agentLeg = &leg{id: NewLegID(), role: LegAgent, agent: agent, state: LegDialing, endpoint: endpointLabel(e.agentEndpoint(ep))}
	}
	c.agentLeg = agentLeg
	legs := []CallLeg{{ID: agentLeg.id, Call: c.id, Role: LegAgent, Endpoint: agentLeg.endpoint, Agent: agent, CreatedAt: c.createdAt},
		{ID: c.leadLeg.id, Call: c.id, Role: LegLead, Endpoint: c.leadLeg.endpoint, CreatedAt: c.createdAt}}
	if persistent {
		legs = legs[1:]
	}
	if _, err := e.calls.CreateCall(ctx, Call{ID: c.id, Direction: Outbound, Origin: origin, Campaign: camp.ID, Lead: lead.ID,
		Agent: agent, FromNumber: c.callerNum, ToNumber: r.Number, CreatedAt: c.createdAt}, legs...); err != nil {
		return CallView{}, err
	}
	// The agent's phone already up (its line, or the call dialed from
	// it) puts it in the call at once.
	mode := ModeRing
	if persistent || own {
		mode = ModePersistent
	}
	dialed, err := e.transitionIn(ctx, agent, AgentPaused, TriggerDial, mode, c.id, "manual dial", "")
	if err != nil {
		return CallView{}, err
	}
	c.agentState = dialed.State
	if persistent {
		ln.claim(ctx, c)
	}
	e.start(c, c.leadLeg, agentLeg)
	err = c.do(ctx, func(c *call) error {
		c.emit(EvCallCreated)
		if persistent || own {
			c.dialLead(c.ctx)
			return nil
		}
		c.originate(c.ctx, agentLeg, esl.Originate{
			UUID: string(agentLeg.id), Endpoint: e.agentEndpoint(ep), Timeout: e.cfg.AgentRingTimeout,
			CallerIDNumber: digitsOnly(r.Number), CallerIDName: "Manual dial", Vars: c.legVars(LegAgent, agent),
		})
		return nil
	})
	if err != nil {
		return CallView{}, err
	}
	return *c.view.Load(), nil
}

// phoneDial takes a number an agent dialed on its own SIP phone: a manual
// dial whose agent leg is the phone's answered, parked call. It runs off
// the event goroutine (it reads the stores); a call the agent may not make
// now is hung up with CALL_REJECTED, and the reason logged.
func (e *Engine) phoneDial(node string, ev switchEvent) {
	leg, raw, agent := ev.leg, ev.dialed, ev.agent
	e.group.Go(func() {
		ctx := e.ctx
		err := func() error {
			if agent <= 0 {
				return errors.New("no agent id on the leg")
			}
			number, err := phone.Normalize("number", raw, e.cfg.Country)
			if err != nil {
				return err
			}
			a, err := e.dir.Agent(ctx, agent)
			if err != nil {
				return err
			}
			actor := Actor{Role: identity.RoleAgent, Agent: agent, User: a.User, Name: a.Name}
			v, err := e.ManualDial(ctx, actor, agent, ManualDialRequest{Number: number, fromPhone: fromPhone{leg: leg, node: node}})
			if err == nil {
				e.log.Info("agent dialed from its phone", "agent", agent, "number", number, "call", v.ID)
			}
			return err
		}()
		if err != nil {
			e.log.Warn("call from an agent's phone refused", "agent", agent, "dialed", raw, "err", err)
			if kerr := e.sw.Kill(ctx, string(leg), "CALL_REJECTED"); kerr != nil {
				e.log.Warn("refused phone call not hung up", "leg", leg, "err", kerr)
			}
		}
	})
}

// dialTarget is what every call to a number needs first: its campaign
// (and wrap-up), a do-not-call check, and the lead (found or created).
func (e *Engine) dialTarget(ctx context.Context, campaign CampaignID, lead LeadID, number string, fields map[string]string) (Campaign, time.Duration, Lead, error) {
	camp, wrap, err := e.campaignFor(ctx, campaign)
	if err != nil {
		return Campaign{}, 0, Lead{}, err
	}
	if err := e.checkDNC(ctx, number, camp.ID); err != nil {
		return Campaign{}, 0, Lead{}, err
	}
	l, err := e.lead(ctx, camp.ID, lead, number, fields)
	return camp, wrap, l, err
}

// abandonQuiet refuses a lead-first call to a lead abandoned less than
// AbandonQuiet ago: the lead would again answer before an agent is on
// the line. An agent's own dial (the agent first, then the lead: a
// dedicated agent) is the way to call it back sooner.
func abandonQuiet(lead Lead, field string, now time.Time) error {
	if lead.LastOutcome != OutcomeAbandoned {
		return nil
	}
	if until := lead.LastCallAt.Add(AbandonQuiet); until.After(now) {
		return &FieldError{Field: field, Reason: fmt.Sprintf("its last call was abandoned at %s: not dialed before %s except by an agent's own dial",
			lead.LastCallAt.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))}
	}
	return nil
}

// checkDNC refuses a number on the campaign's or the global do-not-call
// list.
func (e *Engine) checkDNC(ctx context.Context, number string, campaign CampaignID) error {
	blocked, err := e.camp.IsDNC(ctx, number, campaign)
	if err != nil {
		return err
	}
	if blocked {
		return &FieldError{Field: "number", Reason: "on the do-not-call list"}
	}
	return nil
}

func (e *Engine) checkCallerID(num, name string) error {
	if num != "" {
		if err := esl.ValidateNumber("caller_id_number", num); err != nil {
			return &FieldError{Field: "caller_id_number", Reason: "digits with an optional leading +"}
		}
	}
	if name != "" {
		if err := esl.ValidateText("caller_id_name", name, 64); err != nil {
			var fe *esl.FieldError
			if errors.As(err, &fe) {
				return &FieldError{Field: "caller_id_name", Reason: fe.Reason}
			}
			return err
		}
	}
	return nil
}

// callerID picks what the lead sees: the request's, the campaign's (its
// pool's number in the lead's area code first), the configured default.
func (e *Engine) callerID(num, name string, camp Campaign, lead string) (string, string) {
	if num == "" {
		// Settings are checked when written; unreadable ones have no pool.
		set, _ := ParseCampaignSettings(camp.Settings)
		num = CallerIDFor(lead, camp.CallerID, set.CallerIDPool)
	}
	if num == "" {
		num = e.cfg.CallerIDNumber
	}
	if name == "" {
		name = e.cfg.CallerIDName
	}
	return num, name
}

func (e *Engine) campaignFor(ctx context.Context, id CampaignID) (Campaign, time.Duration, error) {
	if id == 0 {
		def, err := e.defaultCampaign(ctx)
		if err != nil {
			return Campaign{}, 0, err
		}
		id = def
	}
	camp, err := e.camp.Campaign(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Campaign{}, 0, &FieldError{Field: "campaign_id", Reason: "no such campaign"}
	}
	if err != nil {
		return Campaign{}, 0, err
	}
	return camp, time.Duration(camp.WrapUpSeconds) * time.Second, nil
}

// liveCall finds a call and checks the actor may act on it.
func (e *Engine) liveCall(a Actor, id CallID) (*call, error) {
	e.mu.Lock()
	c := e.byID[id]
	e.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	v := c.view.Load()
	if v == nil || !(a.MayControl(v.Agent) || v.Agent != 0 && v.hasAgent(a.Agent)) {
		return nil, ErrForbidden
	}
	return c, nil
}

// control runs fn on the call's goroutine after the common checks.
func (e *Engine) control(ctx context.Context, a Actor, id CallID, fn func(*call) error) error {
	c, err := e.liveCall(a, id)
	if err != nil {
		return err
	}
	return c.do(ctx, func(c *call) error {
		if c.done {
			return fmt.Errorf("call %s has ended: %w", c.id, ErrConflict)
		}
		return fn(c)
	})
}

// noSpeed refuses a control a speed call does not take: its own steps
// run it, and a transfer's or a conference's do not fit them.
func noSpeed(c *call, what string) error {
	if c.speed == nil {
		return nil
	}
	return fmt.Errorf("a speed call cannot be %s: %w", what, ErrConflict)
}

func notNow(what string, c *call) error {
	return fmt.Errorf("cannot %s while the call is %s: %w", what, c.st.phase, ErrConflict)
}

// CallView returns a live (or just ended) call's view.
func (e *Engine) CallView(ctx context.Context, id CallID) (CallView, error) {
	e.mu.Lock()
	c := e.byID[id]
	e.mu.Unlock()
	if c == nil {
		return CallView{}, fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	return *c.view.Load(), nil
}

// endedView is the view of an ended call that is no longer in memory,
// from its record.
func endedView(r Call) CallView {
	number := r.ToNumber
	if r.Direction == Inbound {
		number = r.FromNumber
	}
	return CallView{
		ID: r.ID, Direction: r.Direction, Origin: r.Origin, State: LiveEnded, Number: number, Agent: r.Agent,
		Campaign: r.Campaign, Lead: r.Lead, CreatedAt: r.CreatedAt, AnsweredAt: r.AnsweredAt, ConnectedAt: r.BridgedAt,
		EndedAt: r.EndedAt, Parties: []PartyView{}, HangupCause: r.HangupCause, Outcome: r.Outcome,
	}
}

// LiveCalls lists the calls in progress.
func (e *Engine) LiveCalls(ctx context.Context) []CallView { return e.hub.callViews() }

// Hangup ends the call for everyone.
func (e *Engine) Hangup(ctx context.Context, a Actor, id CallID) error {
	return e.control(ctx, a, id, func(c *call) error {
		c.progress(CallProgress{Kind: "hangup_requested", Data: jsonData(map[string]any{"by": a.Label()})})
		if c.speed != nil {
			// Managers may ring with no lead dialed yet: the call itself ends.
			c.speedFeed(c.ctx, speedInput{kind: siCancel})
			return nil
		}
		if c.leadLeg != nil && c.leadLeg.state != LegGone {
			return switchErr(e.sw.Kill(c.ctx, string(c.leadLeg.id), "NORMAL_CLEARING"))
		}
		if c.agentLeg != nil && !c.agentLeg.persistent && c.agentLeg.state != LegGone {
			return switchErr(e.sw.Kill(c.ctx, string(c.agentLeg.id), "NORMAL_CLEARING"))
		}
		return nil
	})
}

// Hold puts the lead on hold with music (played to the lead's leg, which
// also cuts it off from the agent), or resumes.
func (e *Engine) Hold(ctx context.Context, a Actor, id CallID, on bool) error {
	return e.control(ctx, a, id, func(c *call) error {
		if c.st.phase != phaseConnected || c.leadLeg == nil || c.leadLeg.state != LegUp {
			return notNow("hold", c)
		}
		if c.held == on {
			return nil
		}
		if err := e.sw.HoldMusic(c.ctx, string(c.leadLeg.id), on); err != nil {
			return switchErr(err)
		}
		c.setHeld(on)
		return nil
	})
}

// Mute silences (or restores) the agent's microphone. The switch reports
// nothing, so the call keeps the state.
func (e *Engine) Mute(ctx context.Context, a Actor, id CallID, on bool) error {
	return e.control(ctx, a, id, func(c *call) error {
		if c.agentLeg == nil || c.agentLeg.state != LegUp || c.st.agentLeft {
			return notNow("mute", c)
		}
		if c.muted == on {
			return nil
		}
		if err := e.sw.Mute(c.ctx, string(c.agentLeg.id), on); err != nil {
			return switchErr(err)
		}
		c.muted = on
		kind, ev := "mute", EvCallMuted
		if !on {
			kind, ev = "unmute", EvCallUnmuted
		}
		c.progress(CallProgress{Kind: kind, Leg: c.agentLeg.id})
		c.emit(ev)
		return nil
	})
}

// SendDTMF sends keypad digits to the other party (the lead), e.g. to
// navigate its IVR.
func (e *Engine) SendDTMF(ctx context.Context, a Actor, id CallID, digits string) error {
	if err := esl.ValidateDigits("digits", digits); err != nil {
		return &FieldError{Field: "digits", Reason: "0-9 * # A-D, up to 64"}
	}
	return e.control(ctx, a, id, func(c *call) error {
		if c.leadLeg == nil || c.leadLeg.state != LegUp {
			return notNow("send digits", c)
		}
		if err := e.sw.SendDTMF(c.ctx, string(c.leadLeg.id), digits, 0); err != nil {
			return switchErr(err)
		}
		c.progress(CallProgress{Kind: "dtmf", Leg: c.leadLeg.id, Data: jsonData(map[string]any{"digits": digits})})
		v := c.snapshot()
		e.publish(LiveEvent{Type: EvCallDTMF, Agent: v.Agent, Call: c.id, CallView: &v, Digits: digits})
		return nil
	})
}

// Record starts (after the consent message, if configured) or stops
// recording the lead's leg, which hears both sides.
func (e *Engine) Record(ctx context.Context, a Actor, id CallID, on bool) error {
	return e.control(ctx, a, id, func(c *call) error {
		if c.leadLeg == nil || c.leadLeg.state != LegUp {
			return notNow("record", c)
		}
		if on == (c.recording || c.consentPending) {
			return nil
		}
		lead := string(c.leadLeg.id)
		if !on {
			c.consentPending = false
			return switchErr(e.sw.RecordStop(c.ctx, lead, c.recPath))
		}
		if c.recPath == "" {
			c.recPath = e.recordingPath(c.id, c.createdAt)
		}
		if e.cfg.ConsentMessage != "" {
			if err := e.sw.Broadcast(c.ctx, lead, e.cfg.ConsentMessage, esl.BroadcastALeg); err != nil {
				return switchErr(err)
			}
			c.consentPending = true
			c.progress(CallProgress{Kind: "recording_consent", Leg: c.leadLeg.id})
			return nil
		}
		return switchErr(e.sw.RecordStart(c.ctx, lead, c.recPath, 0))
	})
}

// BlindTransfer sends the lead to another agent or an external number;
// the agent is released at once (to wrap-up). The lead hears ringback
// while the target rings; if the target rejects or does not answer, the
// lead is not dropped: see step (phaseTransferring, phaseReturning).
func (e *Engine) BlindTransfer(ctx context.Context, a Actor, id CallID, t TransferTarget) error {
	if err := t.Validate(); err != nil {
		return err
	}
	var q Queue
	if t.Queue != 0 {
		var ok bool
		if q, ok = e.router.queueByID(t.Queue); !ok {
			return &FieldError{Field: "queue_id", Reason: "no such queue"}
		}
		if !q.Active {
			return &FieldError{Field: "queue_id", Reason: "that queue is not active"}
		}
	}
	return e.control(ctx, a, id, func(c *call) error {
		if err := noSpeed(c, "transferred"); err != nil {
			return err
		}
		if c.st.phase != phaseConnected || c.agent == 0 {
			return notNow("transfer", c)
		}
		if t.Queue != 0 {
			c.setHeld(false)
			c.xfer = &transfer{from: c.agent, fromLeg: c.agentLeg, queue: q.ID}
			c.progress(CallProgress{Kind: "transfer", Data: jsonData(map[string]any{"from_agent": c.agent, "queue_id": q.ID, "queue": q.Name, "blind": true})})
			c.feed(c.ctx, callInput{kind: inTransferQueue})
			c.emit(EvCallTransfer)
			return nil
		}
		if t.Agent == c.agent {
			return &FieldError{Field: "agent_id", Reason: "the call is already with that agent"}
		}
		ctx := c.ctx
		x := &transfer{from: c.agent, fromLeg: c.agentLeg, number: t.Number, target: t.Agent}
		in := callInput{kind: inTransferNumber}
		if t.Agent != 0 {
			if err := c.reserveTarget(ctx, x); err != nil {
				return err
			}
			in = callInput{kind: inTransferAgent, persistent: x.line != nil}
		}
		c.setHeld(false) // the transfer takes the lead out of its music
		c.xfer = x
		c.progress(CallProgress{Kind: "transfer", Data: jsonData(map[string]any{"from_agent": x.from, "to_agent": t.Agent, "number": t.Number, "blind": true})})
		c.feed(ctx, in)
		c.emit(EvCallTransfer)
		return nil
	})
}

// AddParty brings a third party (an agent or a number) into the call:
// the lead and the agent move to a conference room, the target is dialed
// into it. With Leave, this is the warm transfer.
func (e *Engine) AddParty(ctx context.Context, a Actor, id CallID, t TransferTarget) (PartyView, error) {
	if err := t.ValidateParty(); err != nil {
		return PartyView{}, err
	}
	var out PartyView
	err := e.control(ctx, a, id, func(c *call) error {
		if err := noSpeed(c, "given another party"); err != nil {
			return err
		}
		if c.st.phase != phaseConnected && c.st.phase != phaseConference || c.st.agentLeft {
			return notNow("add a party", c)
		}
		if t.Agent != 0 && t.Agent == c.agent {
			return &FieldError{Field: "agent_id", Reason: "that agent is already on the call"}
		}
		ctx := c.ctx
		// An agent target is booked first, on the call's node: a refusal
		// changes nothing.
		var ln *line
		var r Reservation
		if t.Agent != 0 {
			var err error
			if ln, r, err = c.reserveNamed(ctx, t.Agent, "conference"); err != nil {
				return err
			}
		}
		release := func() {
			if t.Agent != 0 {
				_, _ = e.live.Release(ctx, t.Agent, c.id, "conference failed", e.now())
				e.refreshAgent(ctx, t.Agent)
			}
		}
		if c.room == "" {
			c.room = c.roomName()
		}
		if c.st.phase == phaseConnected {
			if c.held {
				_ = e.sw.HoldMusic(ctx, string(c.leadLeg.id), false)
				c.setHeld(false)
			}
			if err := e.sw.TransferToConference(ctx, string(c.leadLeg.id), esl.LegBoth, c.room, e.cfg.ConferenceProfile); err != nil {
				release()
				return switchErr(err)
			}
		}
		// In the room (now); the third party counts from its dial on, so
		// that a dial failing at once is counted out again.
		c.feed(ctx, callInput{kind: inConference})
		third := &leg{role: LegThird, state: LegDialing}
		if t.Number != "" {
			third.id, third.number = NewLegID(), t.Number
			endpoint := e.numberEndpoint(t.Number)
			c.addLeg(third, endpointLabel(endpoint))
			c.originate(ctx, third, esl.Originate{UUID: string(third.id), Endpoint: endpoint, Timeout: e.cfg.LeadTimeout,
				CallerIDNumber: c.callerNum, App: esl.ConferenceApp{Room: c.room, Profile: e.cfg.ConferenceProfile}, Vars: c.legVars(LegThird, 0)})
		} else {
			third.agent = t.Agent
			s := ln.fresh(ctx)
			ep, pleg, legUp, ext := s.endpoint, s.leg, s.legUp, s.phoneUser()
			if r.Mode == ModePersistent && legUp {
				third.id, third.persistent, third.state = pleg, true, LegUp
				c.addLeg(third, "user/"+ext)
				if err := e.sw.TransferToConference(ctx, string(pleg), esl.LegSelf, c.room, e.cfg.ConferenceProfile); err != nil {
					release()
					third.retired = true
					c.feed(ctx, callInput{kind: inFailed, role: LegThird})
					return switchErr(err)
				}
				ln.claim(ctx, c)
				_, _ = e.transitionIn(ctx, t.Agent, AgentReserved, TriggerConnect, ModePersistent, c.id, "joined call", "")
			} else {
				third.id = NewLegID()
				endpoint := e.agentEndpoint(ep)
				c.addLeg(third, endpointLabel(endpoint))
				_, _ = e.transition(ctx, t.Agent, AgentReserved, TriggerRing, c.id, "conference ringing", "")
				c.originate(ctx, third, esl.Originate{UUID: string(third.id), Endpoint: endpoint, Timeout: e.cfg.AgentRingTimeout,
					CallerIDNumber: digitsOnly(c.number), App: esl.ConferenceApp{Room: c.room, Profile: e.cfg.ConferenceProfile}, Vars: c.legVars(LegThird, t.Agent)})
			}
		}
		c.progress(CallProgress{Kind: "party_added", Leg: third.id, Data: jsonData(map[string]any{"agent_id": t.Agent, "number": t.Number})})
		c.emit(EvCallPartyAdded)
		out = PartyView{Leg: third.id, Role: LegThird, Number: third.number, Agent: third.agent, State: third.state}
		return nil
	})
	return out, err
}

// RemoveParty drops a third party from the conference.
func (e *Engine) RemoveParty(ctx context.Context, a Actor, id CallID, legID LegID) error {
	return e.control(ctx, a, id, func(c *call) error {
		if err := noSpeed(c, "changed"); err != nil {
			return err
		}
		l := c.legByID(legID)
		if l == nil || l.role != LegThird {
			return &FieldError{Field: "leg_id", Reason: "not a third party of this call"}
		}
		if l.state == LegGone {
			return nil
		}
		if l.member == 0 {
			// Not in the room yet (still ringing): hang it up.
			return switchErr(e.sw.Kill(c.ctx, string(l.id), "NORMAL_CLEARING"))
		}
		if err := e.sw.ConferenceMember(c.ctx, c.room, esl.ConfKick, l.member); err != nil {
			return switchErr(err)
		}
		c.progress(CallProgress{Kind: "party_removed", Leg: l.id})
		return nil
	})
}

// Leave takes the agent out of the conference: the lead and the third
// party talk on (the end of a warm transfer).
func (e *Engine) Leave(ctx context.Context, a Actor, id CallID) error {
	return e.control(ctx, a, id, func(c *call) error {
		if err := noSpeed(c, "left by its agent"); err != nil {
			return err
		}
		if c.st.phase != phaseConference || c.st.agentLeft || c.agentLeg == nil {
			return notNow("leave", c)
		}
		// The lead must never be left alone: someone else has to be in
		// the room already.
		joined := 0
		for _, l := range c.legs {
			if l.role == LegThird && l.state == LegUp && l.member != 0 && !l.retired {
				joined++
			}
		}
		if joined == 0 {
			return fmt.Errorf("nobody has joined yet to stay with the lead: %w", ErrConflict)
		}
		if c.agentLeg.member == 0 {
			return fmt.Errorf("the agent has not joined the room yet: %w", ErrConflict)
		}
		if err := e.sw.ConferenceMember(c.ctx, c.room, esl.ConfKick, c.agentLeg.member); err != nil {
			return switchErr(err)
		}
		c.progress(CallProgress{Kind: "agent_left", Leg: c.agentLeg.id, Data: jsonData(map[string]any{"agent_id": c.agent})})
		c.emit(EvCallAgentLeft)
		return nil
	})
}

// Dispose records the agent's disposition of its call and returns the
// agent to READY.
func (e *Engine) Dispose(ctx context.Context, a Actor, id CallID, r DispositionRequest) (Call, error) {
	rec, err := e.calls.Call(ctx, id)
	if err != nil {
		return Call{}, err
	}
	agent := rec.Agent
	if v, err := e.CallView(ctx, id); err == nil && v.Agent != 0 && agent == 0 {
		agent = v.Agent
	}
	// The agent who disposes is the one in wrap-up for this call: the
	// original agent after a transfer, the actor itself in any case.
	if a.Agent != 0 {
		if st, err := e.live.Agent(ctx, a.Agent); err == nil && st.Call == id && st.State == AgentDispo {
			agent = a.Agent
		}
	}
	if agent == 0 || !a.MayControl(agent) {
		return Call{}, ErrForbidden
	}
	st, err := e.live.Agent(ctx, agent)
	if err != nil {
		return Call{}, err
	}
	if st.State != AgentDispo || st.Call != id {
		if !a.Role.AtLeast(RoleSupervisor) {
			return Call{}, fmt.Errorf("agent %d is not wrapping up this call: %w", agent, ErrConflict)
		}
	}
	if err := e.cdr.flush(ctx); err != nil {
		return Call{}, err
	}
	out, err := e.calls.DisposeCall(ctx, Disposal{Call: id, Code: r.Code, Notes: r.Notes, Agent: agent, At: e.now(), Callback: r.Callback})
	if err != nil {
		return Call{}, err
	}
	if l := e.line(agent); l != nil {
		_ = l.do(ctx, func(l *line) { l.markDisposed(id) })
	}
	if st.State == AgentDispo && st.Call == id {
		if _, err := e.transition(ctx, agent, AgentDispo, TriggerReady, id, "disposed "+r.Code, ""); err != nil {
			e.log.Warn("could not make the agent READY after its disposition", "agent_id", agent, "err", err)
		}
	}
	v, err := e.CallView(ctx, id)
	if err != nil {
		// A long wrap-up, or a supervisor re-disposing: the call has left
		// memory, and its record says how it ended.
		v = endedView(out)
	}
	v.Agent = agent
	e.publish(LiveEvent{Type: EvCallDisposed, Agent: agent, Call: id, CallView: &v})
	return out, nil
}

// DialCallback dials a scheduled callback from the actor's workspace.
func (e *Engine) DialCallback(ctx context.Context, a Actor, id CallbackID) (CallView, error) {
	// Not before start-up has rescheduled the callbacks left dialing.
	if err := e.ready(ctx); err != nil {
		return CallView{}, err
	}
	if err := e.accepting(); err != nil {
		return CallView{}, err
	}
	if a.Agent == 0 {
		return CallView{}, fmt.Errorf("only an agent can dial: %w", ErrForbidden)
	}
	cb, err := e.camp.Callback(ctx, id)
	if err != nil {
		return CallView{}, err
	}
	if cb.Agent != 0 && !a.MayControl(cb.Agent) {
		return CallView{}, ErrForbidden
	}
	if cb.Status != CallbackScheduled {
		return CallView{}, fmt.Errorf("callback %d is %s: %w", id, cb.Status, ErrConflict)
	}
	lead, err := e.camp.Lead(ctx, cb.Lead)
	if err != nil {
		return CallView{}, err
	}
	if next, why, err := e.callbackWindow(ctx, cb, lead, e.now()); err != nil {
		return CallView{}, err
	} else if why != "" {
		return CallView{}, windowClosed(next, why)
	}
	if err := e.camp.SetCallbackStatus(ctx, id, CallbackScheduled, CallbackDialing, e.now()); err != nil {
		return CallView{}, err
	}
	v, err := e.ManualDial(ctx, a, a.Agent, ManualDialRequest{Number: lead.Phone, Campaign: cb.Campaign, Lead: cb.Lead, Callback: id})
	if err != nil {
		_ = e.camp.SetCallbackStatus(context.WithoutCancel(ctx), id, CallbackDialing, CallbackScheduled, e.now())
		return CallView{}, err
	}
	return v, nil
}

// A sweep reads an agent's due callbacks callbackPage at a time, at most
// callbackPages pages, and the next sweep goes on from where it stopped:
// callbacks held outside their window never hide the ones behind them,
// and no sweep reads an unbounded list.
const (
	callbackPage  = 20
	callbackPages = 5
)

// offerCallbacks tells READY agents about their callbacks that are due.
func (e *Engine) offerCallbacks(ctx context.Context, now time.Time) {
	e.mu.Lock()
	ids := make([]AgentID, 0, len(e.lines))
	for id := range e.lines {
		ids = append(ids, id)
	}
	for cb, at := range e.offered {
		if now.Sub(at) > time.Hour {
			delete(e.offered, cb)
		}
	}
	for cb, at := range e.heldCallbacks {
		if now.Sub(at) > time.Hour {
			delete(e.heldCallbacks, cb)
		}
	}
	for id := range e.callbackScan {
		if _, in := e.lines[id]; !in {
			delete(e.callbackScan, id)
		}
	}
	e.mu.Unlock()
	for _, id := range ids {
		v, ok := e.hub.agent(id)
		if !ok || v.State != AgentReady {
			continue
		}
		if err := e.offerAgentCallbacks(ctx, id, now); err != nil {
			e.log.Warn("due callbacks", "err", err)
			return
		}
	}
}

// offerAgentCallbacks offers the agent's own due callbacks that are in
// their calling window, in due order, each once.
func (e *Engine) offerAgentCallbacks(ctx context.Context, id AgentID, now time.Time) error {
	e.mu.Lock()
	after := e.callbackScan[id]
	e.mu.Unlock()
	for range callbackPages {
		due, err := e.camp.AgentDueCallbacks(ctx, now, id, after, callbackPage)
		if err != nil {
			return err
		}
		for _, cb := range due {
			after = CallbackCursor{DueAt: cb.DueAt, ID: cb.ID}
			if !e.callbackOpen(ctx, cb, now) {
				continue
			}
			e.mu.Lock()
			_, seen := e.offered[cb.ID]
			if !seen {
				e.offered[cb.ID] = now
			}
			e.mu.Unlock()
			if !seen {
				cb := cb
				e.publish(LiveEvent{Type: EvCallbackOffered, Agent: id, Callback: &cb})
			}
		}
		if len(due) < callbackPage {
			// Read to the end: the next sweep starts from the oldest.
			after = CallbackCursor{}
			break
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if after == (CallbackCursor{}) {
		delete(e.callbackScan, id)
		return nil
	}
	if e.callbackScan == nil {
		e.callbackScan = map[AgentID]CallbackCursor{}
	}
	e.callbackScan[id] = after
	return nil
}

func (m MonitorMode) esl() esl.EavesdropMode {
	switch m {
	case MonitorWhisper:
		return esl.Whisper
	case MonitorBarge:
		return esl.Barge
	}
	return esl.Listen
}

// Monitor rings the supervisor's phone and, when it answers, lets it hear
// the call (listen), talk to the agent only (whisper) or to both (barge).
func (e *Engine) Monitor(ctx context.Context, a Actor, id CallID, r MonitorRequest) (PartyView, error) {
	if !a.Role.AtLeast(RoleSupervisor) {
		return PartyView{}, ErrForbidden
	}
	if r.Mode == "" {
		r.Mode = MonitorListen
	}
	if !r.Mode.Valid() {
		return PartyView{}, &FieldError{Field: "mode", Reason: "listen, whisper or barge"}
	}
	ep := r.Endpoint
	if ep.Kind == "" {
		ep.Kind = EndpointSIP
	}
	switch ep.Kind {
	case EndpointSIP:
		if ep.Extension == "" && a.Agent != 0 {
			if ag, err := e.dir.Agent(ctx, a.Agent); err == nil {
				ep.Extension = ag.Extension
			}
		}
		if !ValidExtension(ep.Extension) {
			return PartyView{}, &FieldError{Field: "endpoint.extension", Reason: "2-10 digits"}
		}
	case EndpointWebRTC:
		// The supervisor's own browser, on its own seat's extension.
		ag, err := e.dir.Agent(ctx, a.Agent)
		if a.Agent == 0 || err != nil {
			return PartyView{}, &FieldError{Field: "endpoint.kind", Reason: "a browser softphone needs a seat"}
		}
		if ep.Extension != "" && ep.Extension != ag.Extension {
			return PartyView{}, &FieldError{Field: "endpoint.extension", Reason: "a browser softphone is on the seat's own extension"}
		}
		ep.Extension = ag.Extension
		if !ValidExtension(ep.Extension) {
			return PartyView{}, &FieldError{Field: "endpoint.extension", Reason: "2-10 digits"}
		}
	case EndpointPhone:
		if !ValidPhone(ep.Phone) {
			return PartyView{}, &FieldError{Field: "endpoint.phone", Reason: "E.164 (+ and digits)"}
		}
		if PremiumRate(ep.Phone) {
			return PartyView{}, &FieldError{Field: "endpoint.phone", Reason: "premium-rate and high-cost numbers are refused"}
		}
	default:
		return PartyView{}, &FieldError{Field: "endpoint.kind", Reason: "sip, webrtc or phone"}
	}
	var out PartyView
	err := e.control(ctx, a, id, func(c *call) error {
		if c.agentLeg == nil || c.agentLeg.state != LegUp || c.st.agentLeft {
			return notNow("monitor", c)
		}
		legID := NewLegID()
		l := &leg{id: legID, role: LegSupervisor, state: LegDialing, number: ep.Phone,
			monitor: &MonitorView{Leg: legID, Mode: r.Mode, User: a.User}}
		endpoint := e.agentEndpoint(ep)
		c.addLeg(l, endpointLabel(endpoint))
		c.originate(c.ctx, l, esl.Originate{UUID: string(l.id), Endpoint: endpoint, Timeout: e.cfg.AgentRingTimeout,
			CallerIDNumber: digitsOnly(c.number), CallerIDName: "Monitor", App: esl.Eavesdrop{Target: string(c.agentLeg.id), Mode: r.Mode.esl()},
			Vars: c.legVars(LegSupervisor, a.Agent)})
		c.progress(CallProgress{Kind: "monitor", Leg: l.id, Data: jsonData(map[string]any{"mode": r.Mode, "by": a.Label()})})
		out = PartyView{Leg: l.id, Role: LegSupervisor, Number: ep.Phone, State: l.state}
		return nil
	})
	if err == nil {
		e.auditf(ctx, a, "call.monitor", string(id), map[string]any{"mode": r.Mode, "leg_id": out.Leg})
	}
	return out, err
}

// MonitorMode switches a supervisor between listen, whisper and barge.
func (e *Engine) MonitorMode(ctx context.Context, a Actor, id CallID, legID LegID, mode MonitorMode) error {
	if !a.Role.AtLeast(RoleSupervisor) {
		return ErrForbidden
	}
	if !mode.Valid() {
		return &FieldError{Field: "mode", Reason: "listen, whisper or barge"}
	}
	return e.control(ctx, a, id, func(c *call) error {
		l := c.legByID(legID)
		if l == nil || l.role != LegSupervisor {
			return &FieldError{Field: "leg_id", Reason: "not a supervisor of this call"}
		}
		if l.state != LegUp {
			return fmt.Errorf("the supervisor's phone is %s: %w", l.state, ErrConflict)
		}
		if err := e.sw.SetEavesdropMode(c.ctx, string(l.id), mode.esl()); err != nil {
			return switchErr(err)
		}
		c.progress(CallProgress{Kind: "monitor_mode", Leg: l.id, Data: jsonData(map[string]any{"mode": mode})})
		if l.monitor != nil {
			l.monitor.Mode = mode
			c.emitMonitor(l, EvMonitorMode)
		}
		return nil
	})
}

// StopMonitor hangs up a supervisor's monitoring leg.
func (e *Engine) StopMonitor(ctx context.Context, a Actor, id CallID, legID LegID) error {
	if !a.Role.AtLeast(RoleSupervisor) {
		return ErrForbidden
	}
	return e.control(ctx, a, id, func(c *call) error {
		l := c.legByID(legID)
		if l == nil || l.role != LegSupervisor {
			return &FieldError{Field: "leg_id", Reason: "not a supervisor of this call"}
		}
		if l.state == LegGone {
			return nil
		}
		return switchErr(e.sw.Kill(c.ctx, string(l.id), "NORMAL_CLEARING"))
	})
}
