package dialer

import (
	"context"
	"errors"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// transfer is a blind transfer: who made it and what it dials. The state
// machine decides (step, phaseTransferring and phaseReturning); these are
// the facts its effects need.
type transfer struct {
	from    AgentID // the agent who transferred the call
	fromLeg *leg    // that agent's leg then (retired once the transfer starts)
	number  string  // the target number ("" for an agent)
	target  AgentID // the target agent (reserved), 0 for a number
	queue   QueueID // the target queue of a transfer to a queue
	// endpoint is the target agent's phone, dialed by the lead (ring mode).
	endpoint esl.Endpoint
	// line is the target agent's persistent line, bridged at once.
	line *leg
	// dialed is the leg the transfer dialed or bridged: its cause tells
	// why the transfer failed.
	dialed *leg
}

// transferRingback is what the lead hears while a transfer's target rings:
// pbx-config's global, expanded by the switch.
const transferRingback = "${" + pbxnames.VarRingback + "}"

// reserveTarget books the agent a blind transfer goes to and finds how to
// reach it: its persistent line when up, else its phone.
func (c *call) reserveTarget(ctx context.Context, x *transfer) error {
	e := c.e
	ln, r, err := c.reserveNamed(ctx, x.target, "transfer")
	if err != nil {
		return err
	}
	s := ln.fresh(ctx)
	ep, pleg, legUp, ext := s.endpoint, s.leg, s.legUp, s.phoneUser()
	x.endpoint = e.agentEndpoint(ep)
	if r.Mode == ModePersistent && legUp {
		x.line = c.lineLeg(x.target, pleg, ext)
	}
	return nil
}

// lineLeg is an agent's persistent line as a leg of this call: the one the
// call already knows (an agent taken back after a failed transfer), put
// back in the call, or a new one.
func (c *call) lineLeg(agent AgentID, id LegID, ext string) *leg {
	if l := c.legByID(id); l != nil {
		l.retired, l.state, l.agent = false, LegUp, agent
		return l
	}
	return &leg{id: id, role: LegAgent, agent: agent, persistent: true, state: LegUp, answeredAt: c.e.now(), endpoint: "user/" + ext}
}

// retireAgent: the transferring agent leaves the call and wraps it up;
// the target (reserved, or none for a number) takes its place.
func (c *call) retireAgent(ctx context.Context) {
	e, x := c.e, c.xfer
	c.retire(x.fromLeg)
	if x.fromLeg != nil && x.fromLeg.persistent {
		e.line(x.from).release(c)
	}
	e.wrapUp(ctx, x.from, c, "transferred the call")
	c.agent, c.agentState, c.agentLeg = x.target, 0, nil
	if x.target == 0 {
		return
	}
	c.agentState = AgentReserved
	e.refreshAgent(ctx, x.target)
	if x.line != nil {
		c.agentLeg, x.dialed = x.line, x.line
		c.addLeg(x.line, x.line.endpoint)
		e.line(x.target).claim(ctx, c)
	}
}

// retire marks a leg as no longer part of the call's flow; a non-persistent
// one is hung up (the switch already does when its bridge partner moves on).
func (c *call) retire(l *leg) {
	if l == nil {
		return
	}
	l.retired = true
	if l.persistent {
		return
	}
	if l.state != LegGone {
		_ = c.e.sw.Kill(c.ctx, string(l.id), "NORMAL_CLEARING")
	}
}

// transferOut has the lead dial the transfer's target itself (bridge out):
// it hears ringback until the target answers, and stays up, parked, when
// the target rejects or does not answer.
func (c *call) transferOut(ctx context.Context) {
	e, x := c.e, c.xfer
	var l *leg
	var o esl.Originate
	if x.number != "" {
		l = &leg{id: NewLegID(), role: LegThird, number: x.number, state: LegDialing}
		endpoint := e.numberEndpoint(x.number)
		c.addLeg(l, endpointLabel(endpoint))
		o = esl.Originate{UUID: string(l.id), Endpoint: endpoint, Timeout: e.cfg.LeadTimeout, CallerIDNumber: c.callerNum, Vars: c.legVars(LegThird, 0)}
	} else {
		l = &leg{id: NewLegID(), role: LegAgent, agent: c.agent, state: LegDialing}
		c.agentLeg = l
		c.addLeg(l, endpointLabel(x.endpoint))
		o = esl.Originate{UUID: string(l.id), Endpoint: x.endpoint, Timeout: e.cfg.AgentRingTimeout, CallerIDNumber: digitsOnly(c.number), Vars: c.legVars(LegAgent, c.agent)}
	}
	x.dialed = l
	c.bridgingOut = l
	err := e.sw.BridgeOut(ctx, esl.BridgeOut{Leg: string(c.leadLeg.id), Dial: o, Ringback: transferRingback})
	if err != nil {
		c.log.Warn("transfer not dialed", "err", err)
		c.bridgingOut = nil
		l.state, l.cause = LegGone, "NORMAL_TEMPORARY_FAILURE"
		if errors.Is(err, esl.ErrNotConnected) {
			l.cause = "DESTINATION_OUT_OF_ORDER"
		}
		c.legEnded(ctx, l)
		c.feed(ctx, callInput{kind: inFailed, role: l.role})
	}
}

// transferFailed records why the transfer failed and plays the lead hold
// music while it waits for what comes next (the first agent's phone
// ringing again, or the closing message).
func (c *call) transferFailed() {
	x := c.xfer
	data := map[string]any{"from_agent": x.from, "to_agent": x.target, "number": x.number}
	if x.dialed != nil {
		data["cause"] = x.dialed.cause
	}
	c.progress(CallProgress{Kind: "transfer_failed", Data: jsonData(data)})
	c.emit(EvCallTransferFailed)
	if c.bridgingOut != nil && c.bridgingOut == x.dialed {
		// The target's channel is gone but the lead's bridge application
		// has not returned yet: a broadcast queued now plays inside it and
		// is cut short (or lost) when it returns. The music starts once
		// it has (CHANNEL_EXECUTE_COMPLETE).
		c.musicAfterBridge = true
		return
	}
	c.music(true)
}

// reclaim takes back the agent who made a failed transfer, if it is still
// there: logged in, wrapping up this call (or READY, its wrap-up done), not
// on another call, and in persistent mode with its line up. It is reserved
// again (DISPO -> READY -> RESERVED, without waking the waiting leads in
// between) and the call goes on with inReserved; otherwise inNoAgent.
//
// Between READY and RESERVED another call of this process could take the
// agent first; then the lead is not taken back. An agent taken back from an
// undisposed wrap-up whose lead hangs up before it talks again is released
// to READY without a second wrap-up.
func (c *call) reclaim(ctx context.Context) {
	x := c.xfer
	ok := x != nil && x.from != 0 && c.takeBack(ctx, x.from)
	if !ok {
		c.feed(ctx, callInput{kind: inNoAgent})
		return
	}
	c.progress(CallProgress{Kind: "transfer_returned", Agent: x.from})
	c.feed(ctx, callInput{kind: inReserved, persistent: c.agentLeg != nil && c.agentLeg.persistent})
}

// takeBack reserves agent for the call again; see reclaim.
func (c *call) takeBack(ctx context.Context, agent AgentID) bool {
	e := c.e
	ln := e.line(agent)
	if ln == nil {
		return false
	}
	s := ln.fresh(ctx)
	persistent := s.mode == ModePersistent
	pleg, legUp, ext := s.leg, s.legUp, s.phoneUser()
	if s.busyFor(c) || persistent && !legUp {
		return false
	}
	st, err := e.live.Agent(ctx, agent)
	if err != nil {
		return false
	}
	switch {
	case st.State == AgentDispo && st.Call == c.id:
		// Published only once reserved: a READY agent wakes the waiting
		// leads, which must not take it first.
		ready, _ := NextAgentState(AgentDispo, TriggerReady, "")
		if _, err := e.live.Transition(ctx, Transition{Agent: agent, From: AgentDispo, To: ready, Call: c.id,
			Reason: "transfer failed: taking the call back", At: e.now()}); err != nil {
			return false
		}
	case st.State == AgentReady:
	default:
		return false
	}
	req := ReserveRequest{Call: c.id, Lease: e.cfg.Lease, Reason: "transfer failed: back to the agent", At: e.now()}
	r, err := e.live.ReserveAgent(ctx, agent, req)
	if err != nil {
		c.log.Info("the agent who transferred the call could not take it back", "agent_id", agent, "err", err)
		e.refreshAgent(ctx, agent)
		return false
	}
	_ = ln.do(ctx, func(l *line) {
		l.stopWrap()
		// The call is the agent's again: it disposes it (again) at its end.
		if l.state().disposed == c.id {
			l.set(func(s *lineState) { s.disposed = "" })
		}
	})
	c.agent, c.agentState = agent, AgentReserved
	e.publishAgent(ctx, agent, AgentStatus{Agent: agent, State: AgentReserved, Since: req.At, Call: c.id, Mode: r.Mode, Seq: r.Seq})
	c.progress(CallProgress{Kind: "agent_reserved", Agent: agent, Data: jsonData(map[string]any{"agent_id": agent})})
	c.agentLeg = nil
	if persistent {
		c.agentLeg = c.lineLeg(agent, pleg, ext)
		c.addLeg(c.agentLeg, c.agentLeg.endpoint)
		ln.claim(ctx, c)
	}
	return true
}
