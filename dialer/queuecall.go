package dialer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// A caller in an inbound queue: how it enters, is offered to agents, and
// leaves by an answer, its own hangup or the queue's overflow. The
// router holds the line; these run on the call's turn.

// offerMsg is the router's offer of a READY agent to a waiting caller.
type offerMsg struct{ agent AgentID }

// maxOverflows bounds the queues one caller is passed along, so queues
// that overflow into each other cannot bounce a caller for ever.
const maxOverflows = 4

// enterQueue puts the caller in line in q (from: the queue it overflows
// from, whose priority and arrival it keeps), or, when q is full, closed
// or has nobody logged in and says so, applies q's overflow at once.
func (c *call) enterQueue(ctx context.Context, q Queue, prio int, from *waiter) {
	e := c.e
	switch {
	case !q.Active:
		c.overflow(ctx, q, "queue_closed", from)
		return
	case q.MaxWaiting > 0 && e.router.waitingIn(q.ID) >= q.MaxWaiting:
		c.overflow(ctx, q, "queue_full", from)
		return
	case q.Overflow.OnNoAgents && e.router.loggedIn(q.ID) == 0:
		c.overflow(ctx, q, "no_agents", from)
		return
	}
	w, err := e.router.enter(c, q.ID, prio, from)
	if err != nil {
		c.log.Warn("queue gone", "queue", q.Name)
		c.giveUp(ctx, "queue_gone")
		return
	}
	c.qw, c.queue, c.queueID, c.overdue = w, q.Name, q.ID, false
	if c.queuedAt.IsZero() {
		c.queuedAt = w.since
	}
	c.ringTimeout = time.Duration(q.RingTimeoutSeconds) * time.Second
	if q.WrapUpSeconds > 0 {
		c.campaignWrap = time.Duration(q.WrapUpSeconds) * time.Second
	}
	c.progress(CallProgress{Kind: "queued", Data: jsonData(map[string]any{"queue": q.Name, "queue_id": q.ID, "priority": w.prio})})
	c.stopAbandon()
	if q.MaxWaitSeconds > 0 {
		c.abandon = c.after(time.Duration(q.MaxWaitSeconds)*time.Second, timerMsg{timerMaxWait})
	}
	c.offerQueue(ctx, 0)
	if q.AnnounceSeconds > 0 {
		c.after(time.Duration(q.AnnounceSeconds)*time.Second, timerMsg{timerAnnounce})
	}
	// The caller hears the queue's music while it waits and while the
	// agent's phone rings.
	if q.Music != "" && c.leadLeg != nil {
		// The music the switch plays on hold is the leg's hold_music.
		if err := e.sw.SetVar(ctx, string(c.leadLeg.id), "hold_music", q.Music); err != nil {
			c.log.Warn("queue music not set", "err", err)
		}
	}
	if c.st.phase == phaseWaiting || c.st.phase == phaseAgentRinging {
		c.music(true)
	}
	c.publishView()
}

// announce tells a caller still waiting its place in line and the wait
// to expect, as its queue says, then waits for the next time. The wait
// announced is the average wait of the queue's answered calls today,
// rounded up to a minute; with none answered yet only the place is said.
func (c *call) announce(ctx context.Context) {
	e, w := c.e, c.qw
	if w == nil || c.st.phase != phaseWaiting {
		return
	}
	q, ok := e.router.queueByID(c.queueID)
	if !ok || q.AnnounceSeconds == 0 {
		return
	}
	c.after(time.Duration(q.AnnounceSeconds)*time.Second, timerMsg{timerAnnounce})
	if c.agent != 0 || !c.musicOn {
		return // an agent's phone rings for it: no break in the music now
	}
	pos, wait := e.router.position(w)
	a := esl.Announcement{Music: q.Music}
	if q.AnnouncePosition {
		a.Position = pos
	}
	if q.AnnounceWait && wait > 0 {
		a.Wait, a.WaitMinutes = true, min(int((wait+time.Minute-1)/time.Minute), esl.MaxAnnounceWait)
	}
	if a.Position == 0 && !a.Wait {
		return
	}
	if err := e.sw.Announce(ctx, string(c.leadLeg.id), a); err != nil {
		c.log.Warn("queue announcement not played", "err", err)
		return
	}
	c.progress(CallProgress{Kind: "queue_announcement", Data: jsonData(map[string]any{"position": a.Position, "wait_minutes": a.WaitMinutes})})
}

// offerQueue finds the caller an agent: the one the router offered, or
// the queue's READY members in ring order. Finding none, the caller waits
// unclaimed: the next member to become READY is offered it.
func (c *call) offerQueue(ctx context.Context, offered AgentID) {
	e, w := c.e, c.qw
	if w == nil || c.st.phase != phaseWaiting || c.agent != 0 {
		if offered != 0 {
			// Taken meanwhile: the agent goes to the next caller.
			e.router.unclaim(w)
			e.router.redispatch(offered)
		}
		return
	}
	if offered == 0 && !e.router.claim(w) {
		return // an offer is on its way: it comes next
	}
	if c.overdue {
		e.router.unclaim(w)
		c.maxWait(ctx)
		return
	}
	now := e.now()
	if offered == 0 && now.Before(c.offerAt) {
		// The pause after a missed offer: the caller stays claimed, so no
		// agent is offered it before the pause ends.
		c.after(c.offerAt.Sub(now), timerMsg{timerReserve})
		return
	}
	tried := map[AgentID]bool{}
	if offered != 0 {
		tried[offered] = true
		if c.tryAgent(ctx, offered) {
			return
		}
	}
	// An agent becoming READY while the caller is claimed is not offered
	// it: so look again after each pass until nobody new is there.
	for pass := 0; pass < 3; pass++ {
		order, retry, all := e.router.plan(w)
		fresh := false
		for _, a := range order {
			if tried[a] {
				continue
			}
			fresh, tried[a] = true, true
			if c.tryAgent(ctx, a) {
				if all {
					c.ringOthers(ctx, order, tried)
				}
				return
			}
		}
		if !fresh {
			e.router.unclaim(w)
			if !retry.IsZero() {
				// A member held back after missing this call may take it
				// once the hold ends.
				c.after(retry.Sub(e.now()), timerMsg{timerReserve})
			}
			return
		}
	}
	e.router.unclaim(w)
}

// tryAgent reserves agent a for the caller and puts it on the call.
func (c *call) tryAgent(ctx context.Context, a AgentID) bool {
	e := c.e
	at := e.now()
	r, err := c.reserveMember(ctx, a, at)
	if err != nil {
		return false
	}
	e.router.seat(c.qw, a)
	if !c.take(ctx, r, at) {
		e.router.unseat(c.qw)
		e.router.claim(c.qw)
		return false
	}
	return true
}

// reserveMember reserves queue member a for the caller.
func (c *call) reserveMember(ctx context.Context, a AgentID, at time.Time) (Reservation, error) {
	e := c.e
	return e.live.ReserveAgent(ctx, a, ReserveRequest{Call: c.id, Node: c.node, Lease: e.cfg.Lease, Reason: "queue " + c.queue, At: at})
}

// queueMissed handles the call's agent not taking a queue call
// (missedOffer); the caller is offered the next agent after the queue's
// pause.
func (c *call) queueMissed(ctx context.Context) {
	e, w := c.e, c.qw
	e.router.unseat(w)
	if gap := e.router.gap(w); gap > 0 {
		c.offerAt = e.now().Add(gap)
		e.router.claim(w)
	}
	c.missedOffer(ctx, c.agent, c.agentState)
	c.dropAgent()
	if c.agentLeg != nil && c.agentLeg.state == LegGone {
		c.agentLeg = nil // the caller waits again with no agent of its own
	}
}

// missedOffer counts agent a's missed offer (its phone rang out, or its
// leg failed while it was reserved): the agent is held back from this
// caller long enough for the other members to be offered it, paused once
// it has missed the queue's maximum in a row, and otherwise free again
// at once.
func (c *call) missedOffer(ctx context.Context, a AgentID, st AgentState) {
	e, w := c.e, c.qw
	pause := e.router.missed(a, w)
	e.router.holdBack(w, a, c.ringTimeout)
	switch {
	case st == AgentRinging && pause:
		_, _ = e.transition(ctx, a, AgentRinging, TriggerNoAnswer, c.id, "missed queue calls in a row", PauseRONA)
	case st == AgentRinging:
		_, _ = e.transition(ctx, a, AgentRinging, TriggerRelease, c.id, "did not answer a queue call", "")
	case st == AgentReserved:
		_, _ = e.live.Release(ctx, a, c.id, "agent leg failed", e.now())
		e.refreshAgent(ctx, a)
	}
	c.progress(CallProgress{Kind: "agent_no_answer", Data: jsonData(map[string]any{"agent_id": a, "paused": pause})})
}

// queueAnswered: an agent talks to the caller; it leaves the queue.
func (c *call) queueAnswered() {
	if w := c.qw; w != nil {
		c.e.router.answered(c.agent)
		c.e.router.leave(w, leftAnswered)
		c.qw = nil
	}
}

// maxWait is the caller's wait reaching the queue's bound: the overflow
// when the queue has one for it, else the caller is told and let go.
func (c *call) maxWait(ctx context.Context) {
	w := c.qw
	if w == nil {
		return
	}
	if c.agent != 0 {
		// An agent's phone rings for the caller: it has its chance; the
		// bound applies if it misses.
		c.overdue = true
		return
	}
	q, ok := c.e.router.queueByID(c.queueID)
	if !ok || !q.Overflow.OnMaxWait {
		c.e.router.leave(w, leftAbandoned)
		c.qw = nil
		c.giveUp(ctx, "max_wait")
		return
	}
	c.overflow(ctx, q, "max_wait", w)
}

// overflow sends the caller on from q for reason: to q's overflow target,
// or, with none, plays the abandon message and hangs up. from is the
// caller's place in q (nil when it never entered).
func (c *call) overflow(ctx context.Context, q Queue, reason string, from *waiter) {
	e := c.e
	o := q.Overflow
	if from != nil && !from.left && from.q.q.ID == q.ID {
		e.router.leave(from, leftOverflow)
		c.qw = nil
	} else {
		e.router.turnedAway(q.ID)
	}
	c.stopAbandon()
	c.overflows++
	c.progress(CallProgress{Kind: "queue_overflow", Data: jsonData(map[string]any{"queue": q.Name, "reason": reason, "to": o.Kind})})
	if o.Kind == OverflowNone || c.overflows > maxOverflows {
		c.giveUp(ctx, reason)
		return
	}
	switch o.Kind {
	case OverflowQueue:
		next, ok := e.router.queueByID(o.Queue)
		if !ok {
			c.giveUp(ctx, reason)
			return
		}
		c.enterQueue(ctx, next, c.priority, from)
	case OverflowAgent:
		c.named = o.Agent
		c.music(true)
		c.reserve(ctx)
	case OverflowNumber:
		c.music(false)
		c.xfer = &transfer{number: o.Number}
		c.feed(ctx, callInput{kind: inTransferNumber})
	case OverflowCallback:
		since := e.now()
		if from != nil {
			since = from.since
		}
		c.callbackLater(ctx, q, since)
	case OverflowVoicemail:
		c.voicemail(ctx, o.Greeting)
	}
}

// giveUp plays the abandon message to a caller nobody will take and
// hangs up; the call is recorded abandoned.
func (c *call) giveUp(ctx context.Context, reason string) {
	c.progress(CallProgress{Kind: "queue_give_up", Data: jsonData(map[string]any{"reason": reason})})
	c.feed(ctx, callInput{kind: inAbandonTimeout})
}

// callbackLater books a callback to the caller, due at the time it first
// queued so it keeps its place among the callbacks, then lets the caller
// go with the abandon message. A caller with no lead gets one.
func (c *call) callbackLater(ctx context.Context, q Queue, since time.Time) {
	e := c.e
	if !ValidPhone(c.number) || c.campaign == 0 {
		c.giveUp(ctx, "callback_no_number")
		return
	}
	c.awaitLead()
	lead := c.lead
	if lead == 0 {
		l, err := e.camp.CreateLead(ctx, Lead{Campaign: c.campaign, Phone: c.number, Status: LeadNew})
		if err != nil {
			c.log.Warn("queue callback: lead not created", "err", err)
			c.giveUp(ctx, "callback_failed")
			return
		}
		lead, c.lead = l.ID, l.ID
	}
	// Booked in order behind the call's own record, which it refers to.
	cb := Callback{Lead: lead, Campaign: c.campaign, Call: c.id, DueAt: since.UTC(),
		Notes: "Called in and asked to be called back (queue " + q.Name + ")"}
	at := e.now()
	c.write(func(ctx context.Context) error {
		made, err := e.camp.CreateCallback(ctx, cb)
		if err != nil {
			return fmt.Errorf("queue callback: %w", err)
		}
		return e.calls.RecordCallProgress(ctx, CallProgress{Call: cb.Call, At: at, Kind: "callback_booked",
			Data: jsonData(map[string]any{"callback_id": made.ID, "due_at": made.DueAt})})
	})
	c.giveUp(ctx, "callback_booked")
}

// voicemailLimit bounds a message left after a queue's overflow.
const voicemailLimit = 2 * time.Minute

// voicemail plays the greeting and records what the caller says, for at
// most voicemailLimit; the recording is the call's.
func (c *call) voicemail(ctx context.Context, greeting string) {
	e := c.e
	c.music(false)
	lead := string(c.leadLeg.id)
	if greeting != "" {
		if err := e.sw.Broadcast(ctx, lead, greeting, esl.BroadcastALeg); err != nil {
			c.log.Warn("voicemail greeting not played", "err", err)
		}
	}
	path := e.recordingPath(c.id, e.now())
	if err := e.sw.RecordStart(ctx, lead, path, voicemailLimit); err != nil {
		c.log.Warn("voicemail not recorded", "err", err)
		c.giveUp(ctx, "voicemail_failed")
		return
	}
	c.recPath = path
	c.progress(CallProgress{Kind: "voicemail", Data: jsonData(map[string]any{"path": path})})
	c.after(voicemailLimit, timerMsg{timerVoicemailEnd})
}

// queueByID returns a live queue's settings.
func (r *router) queueByID(id QueueID) (Queue, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rq := r.byID[id]
	if rq == nil || rq.gone {
		return Queue{}, false
	}
	return rq.q, true
}

// requeue ends the agent's part in a blind transfer to a queue: its phone
// is hung up, or its line parked back for its next call, and it wraps
// up; the caller, parked by park_after_bridge, waits in the queue.
func (c *call) requeue(ctx context.Context) {
	e, x := c.e, c.xfer
	c.parkAfterBridge(ctx)
	if l := x.fromLeg; l != nil {
		l.retired = true
		if l.persistent {
			_ = e.sw.Park(ctx, string(l.id), esl.LegSelf)
			e.line(x.from).release(c)
		} else if l.state != LegGone {
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
	}
	e.wrapUp(ctx, x.from, c, "transferred the call to a queue")
	c.agent, c.agentState, c.agentLeg = 0, 0, nil
	q, ok := e.router.queueByID(x.queue)
	if !ok {
		c.giveUp(ctx, "queue_gone")
		return
	}
	c.enterQueue(ctx, q, c.priority, nil)
}

// SetCallerPriority gives a caller waiting in a queue a new priority
// (-MaxCallerPriority..MaxCallerPriority), moving it to its new place in
// line: a supervisor serving a caller sooner, or later. Supervisors only.
func (e *Engine) SetCallerPriority(ctx context.Context, a Actor, id CallID, prio int) error {
	if !a.Role.AtLeast(RoleSupervisor) {
		return ErrForbidden
	}
	if prio < -MaxCallerPriority || prio > MaxCallerPriority {
		return &FieldError{Field: "priority", Reason: fmt.Sprintf("%d to %d", -MaxCallerPriority, MaxCallerPriority)}
	}
	return e.control(ctx, a, id, func(c *call) error {
		if c.qw == nil {
			return fmt.Errorf("the caller is not waiting in a queue: %w", ErrConflict)
		}
		c.priority = prio
		e.router.reorder(c.qw, prio)
		c.progress(CallProgress{Kind: "priority", Data: jsonData(map[string]any{"priority": prio, "by": a.Name})})
		return nil
	})
}
