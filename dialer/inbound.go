package dialer

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// inboundCall registers a call for a caller parked on one of our numbers.
// It runs on the switch client's delivery goroutine: the slow part (the
// record, and the lead lookup started here) runs first thing on the
// call's own goroutine, ahead of the caller's later events.
func (e *Engine) inboundCall(node string, ev switchEvent) *call {
	c := e.newCall(NewCallID(), Inbound, OriginInbound)
	caller := callerNumber(ev.callerNum)
	did := ev.did
	// The dialplan answered before it parked: the answer is that long ago
	// on the engine's clock too.
	swAnswered := ev.answeredAt
	answered := e.now()
	if at := ev.at; swAnswered.IsZero() {
		swAnswered = at
	} else if d := at.Sub(swAnswered); !at.IsZero() && d > 0 {
		answered = answered.Add(-d)
	}
	c.number, c.callerNum, c.node, c.priority, c.skills = caller, did, node, ev.priority, ev.skills
	c.leadLeg = &leg{id: ev.leg, role: LegLead, number: caller, state: LegUp, answeredAt: answered,
		swAnswered: swAnswered, node: node, endpoint: "inbound " + did}
	c.answeredAt = answered
	c.feed(e.ctx, callInput{kind: inArrived})
	campaign, queue := ev.campaign, ev.queue
	c.leadCh = e.findLead(caller)
	e.start(c, c.leadLeg)
	c.post(cmdMsg{reply: make(chan error, 1), fn: func(c *call) error {
		c.initInbound(campaign, queue)
		return nil
	}})
	return c
}

// leadMatch is the lead with a caller's number and the priority its
// custom field "priority" gives the caller (the field campaigns' lead
// order "priority" reads).
type leadMatch struct {
	id       LeadID
	priority int
}

// findLead looks up the lead with a caller's number, if any, while the
// caller is offered to an agent.
func (e *Engine) findLead(number string) chan leadMatch {
	ch := make(chan leadMatch, 1)
	if !ValidPhone(number) {
		ch <- leadMatch{}
		return ch
	}
	go func() {
		var m leadMatch
		if found, err := e.camp.ListLeads(e.ctx, LeadFilter{Phone: number, Limit: 1}); err == nil && len(found) > 0 {
			m.id = found[0].ID
			if p, err := strconv.Atoi(strings.TrimSpace(found[0].Custom["priority"])); err == nil {
				m.priority = max(-MaxCallerPriority, min(p, MaxCallerPriority))
			}
		}
		ch <- m
	}()
	return ch
}

// awaitLead takes the lead lookup's answer. A lead's priority above the
// caller's own moves the caller up its line.
func (c *call) awaitLead() {
	if c.leadCh == nil {
		return
	}
	select {
	case m := <-c.leadCh:
		c.lead = m.id
		if m.priority > c.priority {
			c.priority = m.priority
			if c.qw != nil {
				c.e.router.reorder(c.qw, m.priority)
			}
		}
	case <-c.ctx.Done():
	}
	c.leadCh = nil
}

// initInbound offers a queue's caller to an agent, then writes the
// record with the caller's lead and starts the music; a caller of no
// queue looks for any READY agent.
func (c *call) initInbound(campaign CampaignID, queue string) {
	e, ctx := c.e, c.ctx
	if campaign == 0 {
		campaign, _ = e.defaultCampaign(ctx)
	}
	c.campaign = campaign
	answered := CallProgress{Kind: "answered", State: CallAnswered, Leg: c.leadLeg.id, LegAnswered: true,
		Data: jsonData(map[string]any{"did": c.callerNum, "queue": queue})}
	q, queued := e.router.queue(queue)
	if queued {
		// The agent's phone rings first; what the offer records waits for
		// the call's record, written below in order.
		c.holdRecords = true
		c.progress(answered)
		c.enterQueue(ctx, q, c.priority, nil)
	}
	if camp, err := e.camp.Campaign(ctx, campaign); err == nil && c.campaignWrap == 0 {
		c.campaignWrap = time.Duration(camp.WrapUpSeconds) * time.Second
	}
	c.awaitLead()
	from := c.number
	if !validNumber(from) {
		from = ""
	}
	to := c.callerNum
	if !validNumber(to) {
		to = ""
	}
	rec := Call{ID: c.id, Direction: Inbound, Origin: OriginInbound, Campaign: c.campaign, Lead: c.lead,
		FromNumber: from, ToNumber: to, CreatedAt: c.createdAt}
	leg := CallLeg{ID: c.leadLeg.id, Call: c.id, Role: LegLead, Endpoint: c.leadLeg.endpoint, Node: c.node, CreatedAt: c.createdAt}
	e.cdr.add(func(ctx context.Context) error {
		_, err := e.calls.CreateCall(ctx, rec, leg)
		return err
	})
	if !queued {
		c.progress(answered)
	}
	c.releaseRecords()
	c.log.Info("inbound call", "from", c.number, "did", c.callerNum, "queue", queue)
	c.emit(EvCallCreated)
	c.emit(EvCallAnswered)
	c.parkAfterBridge(ctx)
	if queued {
		return
	}
	c.music(true)
	c.abandon = c.after(e.cfg.InboundMaxWait, timerMsg{timerAbandon})
	c.reserve(ctx)
}

// parkAfterBridge keeps the caller alive when an agent leaves (transfers
// re-bridge it). It is set once, before the first bridge.
func (c *call) parkAfterBridge(ctx context.Context) {
	if c.parked {
		return
	}
	if err := c.e.sw.SetVar(ctx, string(c.leadLeg.id), "park_after_bridge", "true"); err != nil {
		c.log.Warn("park_after_bridge not set", "err", err)
		return
	}
	c.parked = true
}

// music plays or stops the caller's waiting music (not a hold: the agent
// has not taken the call yet).
func (c *call) music(on bool) {
	if c.musicOn == on || c.leadLeg == nil || c.leadLeg.state == LegGone {
		return
	}
	if err := c.e.sw.HoldMusic(c.ctx, string(c.leadLeg.id), on); err != nil {
		c.log.Warn("waiting music", "on", on, "err", err)
		return
	}
	c.musicOn = on
}

// callerNumber keeps a caller ID as a dialable number: E.164 when it is
// one, else digits only ("anonymous" becomes "").
func callerNumber(s string) string {
	s = strings.TrimSpace(s)
	if ValidPhone(s) {
		return s
	}
	if ValidPhone("+"+s) && len(s) > 7 {
		return "+" + s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
