package dialer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// A restart of the service leaves calls in progress on the switch and
// their records open. At start-up the engine reads every record without an
// end, asks the switch which of its legs are still up, and then:
//   - a call whose lead and agent were bridged and are both still up is
//     adopted: it runs again as a connected call, its agent stays INCALL
//     with it, and its end is recorded from the switch's own times;
//   - a call that was in its conference room is adopted with the room's
//     members (adoptConference);
//   - any other call (ringing, waiting, half hung up, in a transfer) is
//     closed: what is left of it is hung up, its record gets an end, and
//     its agent is paused with CALL_LOST;
//   - a persistent agent's idle line, parked on the switch, is the
//     agent's line again (adoptLines).

// adoptSwitchWait bounds how long start-up waits for a switch connection
// before it settles the calls the previous process left open.
const adoptSwitchWait = 3 * time.Second

// openCall is a call record with no end, read at start-up.
type openCall struct {
	rec    Call
	legs   []CallLeg
	events []CallEvent
}

// openCalls reads the records the previous process left without an end.
func (e *Engine) openCalls(ctx context.Context) (map[CallID]*openCall, error) {
	out := map[CallID]*openCall{}
	f := CallFilter{Live: true, Limit: 1000}
	for {
		recs, err := e.calls.ListCalls(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			legs, err := e.calls.CallLegs(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			evs, err := e.calls.CallEvents(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			out[r.ID] = &openCall{rec: r, legs: legs, events: evs}
		}
		if len(recs) < f.Limit {
			return out, nil
		}
		f.Before = recs[len(recs)-1].ID
	}
}

// talking reports whether the lead and the agent were bridged when the
// previous process stopped, with nothing since that changed who is on the
// call (a transfer, a conference, a hangup asked for). The agent's INCALL
// on the call says so too: it is written at the bridge, at once, while
// the record's timeline trails it by a few milliseconds.
func (o *openCall) talking(agent AgentStatus) bool {
	bridged, moved := false, false
	for _, ev := range o.events {
		switch ev.Kind {
		case "bridged":
			bridged, moved = true, false
		case "conference", "transfer", "agent_left", "abandon", "hangup_requested", "party_added":
			bridged, moved = false, true
		}
	}
	if !moved && agent.State == AgentInCall && agent.Call == o.rec.ID {
		bridged = true
	}
	return bridged && o.rec.Agent != 0
}

// inConference reports whether the call was in its conference room when
// the previous process stopped (a warm transfer or a three-way call), and
// whether its agent had left it to the lead and the third party.
func (o *openCall) inConference() (conf, agentLeft bool) {
	for _, ev := range o.events {
		switch ev.Kind {
		case "conference":
			conf, agentLeft = true, false
		case "agent_left":
			agentLeft = conf
		case "bridged", "transfer", "abandon", "hangup_requested":
			conf, agentLeft = false, false
		}
	}
	return conf, agentLeft
}

// adoptCalls settles every call left open: adopted or closed. It returns
// once each is settled, or when ctx ends.
func (e *Engine) adoptCalls(ctx context.Context, open map[CallID]*openCall, statuses map[AgentID]AgentStatus) {
	if len(open) == 0 {
		return
	}
	e.waitSwitch(ctx, adoptSwitchWait)
	var wg sync.WaitGroup
	var mu sync.Mutex
	adopted := 0
	for _, o := range open {
		c, legs := e.rebuild(o, statuses)
		reply := make(chan error, 1)
		var took bool // written on the call's goroutine before the reply
		// Queued before the legs are registered, so it runs before any
		// event of theirs.
		c.post(cmdMsg{fn: func(c *call) error { took = c.settle(o, statuses); return nil }, reply: reply})
		e.start(c, legs...)
		wg.Go(func() {
			select {
			case <-reply:
			case <-ctx.Done():
				return
			}
			if took {
				mu.Lock()
				adopted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	e.log.Info("calls left open by the previous run settled", "calls", len(open), "adopted", adopted)
}

// waitSwitch waits until a switch node is connected, at most max.
func (e *Engine) waitSwitch(ctx context.Context, max time.Duration) {
	if e.sw.Up() {
		return
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	deadline := time.NewTimer(max)
	defer deadline.Stop()
	for !e.sw.Up() {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			e.log.Warn("no switch connected: the calls left open are settled without it")
			return
		case <-t.C:
		}
	}
}

// rebuild makes a call from its record, in the phase the record says it
// reached; settle then checks it against the switch.
func (e *Engine) rebuild(o *openCall, statuses map[AgentID]AgentStatus) (*call, []*leg) {
	r := o.rec
	c := e.newCall(r.ID, r.Direction, r.Origin)
	c.createdAt, c.answeredAt, c.connectedAt = r.CreatedAt, r.AnsweredAt, r.BridgedAt
	c.number, c.callerNum = r.ToNumber, r.FromNumber
	if r.Direction == Inbound {
		c.number = r.FromNumber
	}
	c.campaign, c.lead, c.recPath = r.Campaign, r.Lead, r.RecordingPath
	st, ok := statuses[r.Agent]
	if ok && r.Agent != 0 && st.Call == r.ID && st.State.HoldsCall() {
		c.agent, c.agentState = r.Agent, st.State
	}
	var legs []*leg
	for _, cl := range o.legs {
		l := &leg{id: cl.ID, role: cl.Role, agent: cl.Agent, endpoint: cl.Endpoint, node: cl.Node,
			answeredAt: cl.AnsweredAt, state: LegDialing}
		switch {
		case !cl.EndedAt.IsZero():
			l.state, l.endedAt, l.cause = LegGone, cl.EndedAt, cl.HangupCause
		case !cl.AnsweredAt.IsZero():
			l.state = LegUp
		}
		switch {
		case cl.Role == LegLead && c.leadLeg == nil:
			l.number = r.ToNumber
			if r.Direction == Inbound {
				l.number = r.FromNumber
			}
			c.leadLeg = l
		case cl.Role == LegAgent && cl.Agent == r.Agent && l.state != LegGone:
			c.agentLeg = l
			l.persistent = st.Mode == ModePersistent
		}
		if c.node == "" {
			c.node = cl.Node
		}
		legs = append(legs, l)
	}
	// The timeline says whether the lead was held, the agent muted, the
	// call recorded.
	flags := map[string]struct {
		f  *bool
		on bool
	}{
		"hold": {&c.held, true}, "unhold": {&c.held, false}, "mute": {&c.muted, true}, "unmute": {&c.muted, false},
		"recording_started": {&c.recording, true}, "recording_stopped": {&c.recording, false},
	}
	for _, ev := range o.events {
		if fl, ok := flags[ev.Kind]; ok {
			*fl.f = fl.on
		}
		if ev.Kind == "hold" {
			c.holdStart = ev.At
		}
	}
	c.feed(c.e.ctx, callInput{kind: inReopened, manual: r.Origin == OriginManual || r.Origin == OriginCallback,
		answered: !r.AnsweredAt.IsZero(), talked: !r.BridgedAt.IsZero() || o.talking(st)})
	return c, legs
}

// settle runs on the call's goroutine: it adopts the call if its lead and
// agent still talk on the switch (true), else closes it.
func (c *call) settle(o *openCall, statuses map[AgentID]AgentStatus) bool {
	ctx := c.ctx
	agentSt := statuses[o.rec.Agent]
	up := func(l *leg) bool {
		if l == nil || l.state == LegGone {
			return false
		}
		ok, err := c.e.sw.Exists(ctx, string(l.id))
		if err != nil {
			// No switch to ask: a call that was talking is taken to be up
			// (the reconnect's reconciliation checks it again).
			c.log.Warn("cannot check a leg of a call left open", "leg", l.id, "err", err)
			return o.talking(agentSt) && (l == c.leadLeg || l == c.agentLeg)
		}
		return ok
	}
	live := map[*leg]bool{}
	for _, l := range c.legs {
		live[l] = up(l)
	}
	if c.agentLeg == nil && c.agent != 0 && agentSt.Mode == ModePersistent && live[c.leadLeg] {
		// A persistent line is recorded with the first call it carried:
		// the switch says which channel the lead is bridged to.
		if l := c.findLine(ctx); l != nil {
			c.agentLeg, live[l] = l, true
			c.legs = append(c.legs, l)
		}
	}
	if o.talking(agentSt) && c.agent != 0 && live[c.leadLeg] && live[c.agentLeg] {
		c.adopt(ctx, live)
		return true
	}
	if conf, agentLeft := o.inConference(); conf && live[c.leadLeg] && c.adoptConference(ctx, live, agentLeft, statuses) {
		return true
	}
	c.closeOpen(ctx, live, statuses)
	return false
}

// varReader reads a channel variable (*esl.Client does).
type varReader interface {
	GetVar(ctx context.Context, uuid, name string) (value string, ok bool, err error)
}

// findLine returns the persistent line of the call's agent that the lead
// is bridged to, nil if there is none.
func (c *call) findLine(ctx context.Context) *leg {
	r, ok := c.e.sw.(varReader)
	if !ok {
		return nil
	}
	id, ok, err := r.GetVar(ctx, string(c.leadLeg.id), "signal_bond")
	if err != nil || !ok || !LegID(id).Valid() {
		return nil
	}
	if a, _, err := r.GetVar(ctx, id, VarAgentID); err != nil || a != c.agent.String() {
		return nil
	}
	return &leg{id: LegID(id), role: LegAgent, agent: c.agent, persistent: true, state: LegUp, node: c.leadLeg.node}
}

// adopt runs the call again as connected, with its agent.
func (c *call) adopt(ctx context.Context, live map[*leg]bool) {
	e := c.e
	c.leadLeg.state, c.agentLeg.state = LegUp, LegUp
	if l := c.agentLeg; l.persistent {
		// The agent's line holds its leg again, in this call.
		if ln := e.line(c.agent); ln != nil {
			ln.adoptLeg(ctx, foundLine{leg: l.id, node: l.node})
			ln.claim(ctx, c)
		}
	}
	c.feed(ctx, callInput{kind: inAdopted, persistent: c.agentLeg.persistent})
	// Parties other than the lead and the agent (a supervisor listening)
	// are not followed again: they are hung up.
	for _, l := range c.legs {
		if l != c.leadLeg && l != c.agentLeg && live[l] {
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
	}
	if c.agentState != AgentInCall {
		c.agentTo(ctx, TriggerConnect, "talking")
	} else {
		e.refreshAgent(ctx, c.agent)
	}
	c.progress(CallProgress{Kind: "adopted", Agent: c.agent})
	c.emit(EvCallConnected)
	c.log.Info("call adopted after a restart", "agent_id", c.agent)
}

// closeOpen ends a call that cannot go on: its live legs are hung up,
// the lead's hangup (or the engine's clock, when no lead is left) ends
// its record, and its agent is paused.
func (c *call) closeOpen(ctx context.Context, live map[*leg]bool, statuses map[AgentID]AgentStatus) {
	e := c.e
	c.letGoAgents(ctx, statuses, nil, "the service restarted; the call could not be taken back")
	c.agent, c.agentState = 0, 0
	for _, l := range c.legs {
		if l != c.leadLeg && !l.persistent && live[l] {
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
	}
	c.progress(CallProgress{Kind: "restart_closed"})
	if live[c.leadLeg] {
		c.leadLeg.state = LegUp
		c.feed(ctx, callInput{kind: inClose})
		return
	}
	c.handle(switchLost{cause: "NORMAL_TEMPORARY_FAILURE", at: e.now()})
}

// roomName is the call's conference room: made from its id, so that a
// restarted service finds it again.
func (c *call) roomName() string { return "call-" + string(c.id)[:8] + string(c.id)[9:13] }

// conferenceLister lists a conference room's members (*esl.Client does).
type conferenceLister interface {
	ConferenceList(ctx context.Context, room string) ([]esl.ConferenceMember, error)
}

// adoptConference takes back a call that was in its conference room: the
// room's members are its live parties again, with their member ids (so
// kick, leave and hangup work), the agents in it stay INCALL, and the lead
// must have someone with it. False if the room cannot be read or the lead
// would be alone (the call is then closed).
func (c *call) adoptConference(ctx context.Context, live map[*leg]bool, agentLeft bool, statuses map[AgentID]AgentStatus) bool {
	e := c.e
	lister, ok := e.sw.(conferenceLister)
	vars, ok2 := e.sw.(varReader)
	if !ok || !ok2 {
		return false
	}
	room := c.roomName()
	members, err := lister.ConferenceList(ctx, room)
	if err != nil {
		c.log.Warn("the call's conference room could not be read after the restart", "room", room, "err", err)
		return false
	}
	in := map[*leg]int{}
	for _, m := range members {
		l := c.legByID(LegID(m.UUID))
		if l == nil {
			// An agent's persistent line, recorded with an earlier call.
			role, _, _ := vars.GetVar(ctx, m.UUID, VarLegRole)
			a, _, _ := vars.GetVar(ctx, m.UUID, VarAgentID)
			id, err := ParseAgentID(a)
			if role != string(LegAgent) || err != nil || !LegID(m.UUID).Valid() {
				continue
			}
			l = &leg{id: LegID(m.UUID), role: LegThird, agent: id, persistent: true, node: c.leadLeg.node}
			if id == c.agent && !agentLeft {
				l.role = LegAgent
			}
			c.legs = append(c.legs, l)
		} else if l.agent != 0 && l != c.agentLeg && !l.persistent {
			// An agent's line carries no call id (a leg rung for the call
			// does): a line is parked when the call ends, not hung up.
			_, has, err := vars.GetVar(ctx, m.UUID, VarCallID)
			l.persistent = err == nil && !has
		}
		in[l] = m.ID
	}
	if _, ok := in[c.leadLeg]; !ok {
		return false
	}
	if !agentLeft && c.agentLeg == nil {
		for l := range in {
			if l.role == LegAgent && l.agent == c.agent {
				c.agentLeg = l
			}
		}
	}
	thirds := 0
	for l := range in {
		if l.role == LegThird {
			thirds++
		}
	}
	agentIn := !agentLeft && c.agentLeg != nil && in[c.agentLeg] != 0
	if thirds == 0 && !agentIn {
		return false // the lead alone in the room
	}
	c.room = room
	for _, l := range c.legs {
		if id, ok := in[l]; ok {
			l.state, l.member = LegUp, id
			if !l.persistent {
				e.mu.Lock()
				e.byLeg[l.id] = c
				e.mu.Unlock()
			}
			continue
		}
		if l.state != LegGone && live[l] && !l.persistent {
			// Not in the room (a supervisor listening): not followed again.
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
		if l.state != LegGone && !l.persistent {
			l.state = LegGone
		}
	}
	// Every agent in the room keeps it: its line, and INCALL.
	for l := range in {
		if l.agent == 0 {
			continue
		}
		if l.persistent {
			if ln := e.line(l.agent); ln != nil {
				ln.adoptLeg(ctx, foundLine{leg: l.id, node: l.node})
				ln.claim(ctx, c)
			}
		}
		if st := statuses[l.agent]; st.State == AgentInCall && st.Call == c.id {
			e.refreshAgent(ctx, l.agent)
		} else {
			e.callLost(ctx, st, "the service restarted while the agent joined the call")
		}
	}
	// Agents bound to the call but gone from the room are let go.
	inRoom := map[AgentID]bool{}
	for l := range in {
		inRoom[l.agent] = l.agent != 0
	}
	c.letGoAgents(ctx, statuses, inRoom, "the service restarted; the agent was no longer on the call")
	if agentLeft || !agentIn {
		c.agent, c.agentState, c.agentLeg = 0, 0, nil
	} else {
		c.agentState = AgentInCall
	}
	c.feed(ctx, callInput{kind: inAdopted, conference: true, agentLeft: !agentIn, thirds: thirds,
		persistent: agentIn && c.agentLeg.persistent})
	c.progress(CallProgress{Kind: "adopted", Agent: c.agent, Data: jsonData(map[string]any{"room": room, "parties": len(in)})})
	c.emit(EvCallConnected)
	c.log.Info("conference call adopted after a restart", "room", room, "parties", len(in))
	return true
}

// letGoAgents pauses (CALL_LOST) every agent the live store binds to the
// call, but those kept; one in wrap-up keeps it.
func (c *call) letGoAgents(ctx context.Context, statuses map[AgentID]AgentStatus, keep map[AgentID]bool, why string) {
	for id, st := range statuses {
		if st.Call == c.id && !keep[id] {
			c.e.callLost(ctx, st, why)
		}
	}
}

// callLost pauses an agent bound to a call the service does not hold.
func (e *Engine) callLost(ctx context.Context, st AgentStatus, reason string) {
	if _, err := NextAgentState(st.State, TriggerCallLost, st.Mode); err != nil {
		e.publishAgent(ctx, st.Agent, st) // DISPO keeps its wrap-up
		return
	}
	if _, err := e.transition(ctx, st.Agent, st.State, TriggerCallLost, st.Call, reason, PauseCallLost); err != nil && !errors.Is(err, context.Canceled) {
		e.log.Warn("could not pause agent after restart", "agent_id", st.Agent, "state", st.State, "err", err)
	}
}

// channelReader lists a node's channels and reads their variables
// (*esl.Client does).
type channelReader interface {
	varReader
	Nodes() []esl.NodeStatus
	ShowChannels(ctx context.Context, node string) ([]esl.Channel, error)
}

// foundLine is a persistent agent leg found parked on the switch.
type foundLine struct {
	leg  LegID
	node string
}

// adoptLines gives persistent agents back the lines a restart left up on
// the switch: an idle line is a parked leg the engine originated for the
// agent (its variables name the agent and the agent role). The agent keeps
// its state (READY stays READY, on the same line, rung no more); a line
// whose agent is no longer logged in persistent is hung up, so no phone
// stays off-hook on a dead line; a READY persistent agent whose line is
// gone is paused (PHONE_DOWN) until it is rung again.
func (e *Engine) adoptLines(ctx context.Context, statuses map[AgentID]AgentStatus) {
	want := map[AgentID]*line{}
	e.mu.Lock()
	for id, l := range e.lines {
		if s := l.state(); s.mode == ModePersistent && s.leg == "" {
			want[id] = l
		}
	}
	e.mu.Unlock()
	if len(want) == 0 {
		return
	}
	adopted := 0
	if r, ok := e.sw.(channelReader); ok {
		e.waitSwitch(ctx, adoptSwitchWait)
		for id, legs := range e.findLines(ctx, r) {
			l := want[id]
			for i, f := range legs {
				if l == nil || i > 0 {
					if cur := e.line(id); cur != nil && cur.state().leg == f.leg {
						continue // in a call adopted with its line
					}
					e.log.Warn("a line left by the previous run is hung up", "agent_id", id, "leg", f.leg)
					_ = e.sw.Kill(ctx, string(f.leg), "NORMAL_CLEARING")
					continue
				}
				l.adoptLeg(ctx, f)
				delete(want, id)
				adopted++
			}
		}
	}
	for id := range want {
		if st := statuses[id]; st.State == AgentReady {
			_, _ = e.transition(ctx, id, AgentReady, TriggerPause, "", "phone disconnected while the service restarted", PausePhoneDown)
		}
	}
	e.log.Info("persistent lines after the restart", "adopted", adopted, "lost", len(want))
}

// findLines reads the switch's parked channels and keeps the agents'
// lines, by agent.
func (e *Engine) findLines(ctx context.Context, r channelReader) map[AgentID][]foundLine {
	type cand struct{ leg, node string }
	var cands []cand
	for _, n := range r.Nodes() {
		if !n.Up {
			continue
		}
		chans, err := r.ShowChannels(ctx, n.Name)
		if err != nil {
			e.log.Warn("channels not listed: lines on this node are not adopted", "node", n.Name, "err", err)
			continue
		}
		for _, ch := range chans {
			// An idle line is parked: its originate runs park, and
			// park_after_bridge parks it after each call (CS_PARK, the
			// application column left as it was).
			if (ch.Application == "park" || ch.State == "CS_PARK") && LegID(ch.UUID).Valid() {
				cands = append(cands, cand{ch.UUID, n.Name})
			}
		}
	}
	out := map[AgentID][]foundLine{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // bounded: thousands of lines at a restart
	for _, c := range cands {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			role, _, err := r.GetVar(ctx, c.leg, VarLegRole)
			if err != nil || role != string(LegAgent) {
				return
			}
			a, _, err := r.GetVar(ctx, c.leg, VarAgentID)
			if err != nil {
				return
			}
			id, err := ParseAgentID(a)
			if err != nil {
				return
			}
			mu.Lock()
			out[id] = append(out[id], foundLine{LegID(c.leg), c.node})
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// adoptLeg makes f the line's leg again, up.
func (l *line) adoptLeg(ctx context.Context, f foundLine) {
	e := l.e
	_ = l.do(ctx, func(l *line) {
		l.legWait, l.settled = make(chan struct{}), false
		l.settle()
		l.set(func(s *lineState) { s.leg, s.legUp, s.legNode = f.leg, true, f.node })
		e.mu.Lock()
		e.lineByLeg[f.leg] = l
		e.mu.Unlock()
	})
	if err := e.live.SetLineNode(ctx, l.id, f.node); err != nil {
		e.log.Warn("the agent's line node not recorded", "agent_id", l.id, "err", err)
	}
	e.log.Info("agent's line adopted after the restart", "agent_id", l.id, "leg", f.leg, "node", f.node)
}
