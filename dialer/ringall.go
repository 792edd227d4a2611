package dialer

import (
	"context"

	"github.com/agentswitch/agentswitch/esl"
)

// Ring-all: a queue caller rings every READY ring-mode member at once.
// The first agent reserved is the call's agent as with any strategy; the
// others ring on extra legs beside it. Whoever answers first takes the
// call and the other phones stop ringing (their agents READY again, no
// miss counted); an agent whose phone rings out has missed the offer;
// when the call's own agent misses while others still ring, one of them
// becomes the call's agent and the call rings on.

// loseRace is the cause an extra leg is hung up with when another agent
// answered first (FreeSWITCH's own for the losers of a simultaneous ring).
const loseRace = "LOSE_RACE"

// ringOthers reserves and rings the READY members after the call's agent
// in order, each on a leg of its own.
func (c *call) ringOthers(ctx context.Context, order []AgentID, tried map[AgentID]bool) {
	e := c.e
	if c.agentLeg == nil || c.agentLeg.persistent || c.st.phase != phaseAgentRinging {
		return // a persistent line took it at once
	}
	for _, a := range order {
		if tried[a] {
			continue
		}
		tried[a] = true
		ln := e.line(a)
		if ln == nil || ln.state().mode == ModePersistent {
			continue
		}
		r, err := c.reserveMember(ctx, a, e.now())
		if err != nil {
			continue
		}
		if r.Mode == ModePersistent {
			_, _ = e.live.Release(ctx, a, c.id, "ring-all rings phones only", e.now())
			e.refreshAgent(ctx, a)
			continue
		}
		if _, err := e.transition(ctx, a, AgentReserved, TriggerRing, c.id, "ringing for call", ""); err != nil {
			_, _ = e.live.Release(ctx, a, c.id, "not rung", e.now())
			e.refreshAgent(ctx, a)
			continue
		}
		c.progress(CallProgress{Kind: "agent_reserved", Agent: a, Data: jsonData(map[string]any{"agent_id": a})})
		l := &leg{id: NewLegID(), role: LegAgent, agent: a, state: LegDialing, extra: true}
		c.extras = append(c.extras, l)
		c.ringAgent(ctx, l, ln.state().endpoint)
	}
}

// onExtra handles an event of an extra leg; true when it is handled
// (an answer is left to the caller, once the leg is the call's).
func (c *call) onExtra(ctx context.Context, l *leg, kind string, cause string) bool {
	switch kind {
	case esl.EventChannelProgress, esl.EventChannelProgressMedia:
		if l.state == LegDialing {
			l.state = LegRinging
		}
		return true
	case esl.EventChannelAnswer:
		if l.state == LegGone || l.state == LegUp {
			return true
		}
		// It takes the call: the call's agent so far stops ringing.
		prev, prevAgent := c.agentLeg, c.agent
		c.dropExtra(l)
		l.extra = false
		c.agentLeg, c.agent, c.agentState = l, l.agent, AgentRinging
		if prev != nil {
			c.loseRace(ctx, prev, prevAgent)
		}
		c.cancelExtras(ctx)
		return false
	case esl.EventChannelHangup, "": // hung up, or ("") its originate failed
		if l.state != LegGone {
			l.state, l.cause = LegGone, cause
			c.legEnded(ctx, l)
		}
		c.dropExtra(l)
		c.extraMissed(ctx, l.agent)
	}
	return true
}

// promoteExtra: the call's agent missed the offer while others still
// ring; one of them becomes the call's agent. False when none rings.
func (c *call) promoteExtra(ctx context.Context) bool {
	if len(c.extras) == 0 || c.qw == nil {
		return false
	}
	c.extraMissed(ctx, c.agent)
	l := c.extras[0]
	c.dropExtra(l)
	l.extra = false
	c.agentLeg, c.agent, c.agentState = l, l.agent, AgentRinging
	return true
}

func (c *call) dropExtra(l *leg) {
	for i, x := range c.extras {
		if x == l {
			c.extras = append(c.extras[:i], c.extras[i+1:]...)
			return
		}
	}
}

// cancelExtras stops every extra leg ringing: another agent answered, or
// the caller left.
func (c *call) cancelExtras(ctx context.Context) {
	for len(c.extras) > 0 {
		l := c.extras[0]
		c.dropExtra(l)
		c.loseRace(ctx, l, l.agent)
	}
}

// loseRace hangs up a leg that rang for nothing and gives its agent back.
func (c *call) loseRace(ctx context.Context, l *leg, a AgentID) {
	e := c.e
	l.retired, l.extra = true, false
	if l.state != LegGone {
		_ = e.sw.Kill(ctx, string(l.id), loseRace)
	}
	if a != 0 {
		_, _ = e.transition(ctx, a, AgentRinging, TriggerRelease, c.id, "another agent answered", "")
	}
}

// extraMissed counts a missed ring-all offer against agent a.
func (c *call) extraMissed(ctx context.Context, a AgentID) {
	if c.qw != nil && a != 0 {
		c.missedOffer(ctx, a, AgentRinging)
	}
}
