package dialer

import (
	"context"
	"strings"
	"time"
)

// inboundCall registers a call for a caller parked on one of our numbers.
// It runs on the switch client's delivery goroutine: the slow part (the
// lead lookup and the record) runs first thing on the call's own goroutine,
// ahead of the caller's later events.
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
	c.number, c.callerNum, c.node, c.priority = caller, did, node, ev.priority
	c.leadLeg = &leg{id: ev.leg, role: LegLead, number: caller, state: LegUp, answeredAt: answered,
		swAnswered: swAnswered, node: node, endpoint: "inbound " + did}
	c.answeredAt = answered
	c.feed(e.ctx, callInput{kind: inArrived})
	campaign, queue := ev.campaign, ev.queue
	e.start(c, c.leadLeg)
	c.post(cmdMsg{reply: make(chan error, 1), fn: func(c *call) error {
		c.initInbound(campaign, queue)
		return nil
	}})
	return c
}

// initInbound writes the record, finds the caller's lead, starts the hold
// music and looks for an agent.
func (c *call) initInbound(campaign CampaignID, queue string) {
	e, ctx := c.e, c.ctx
	if campaign == 0 {
		campaign, _ = e.defaultCampaign(ctx)
	}
	c.campaign = campaign
	if camp, err := e.camp.Campaign(ctx, campaign); err == nil {
		c.campaignWrap = time.Duration(camp.WrapUpSeconds) * time.Second
	}
	// Show the caller's data: the lead with this number, if any.
	if ValidPhone(c.number) {
		if found, err := e.camp.ListLeads(ctx, LeadFilter{Phone: c.number, Limit: 1}); err == nil && len(found) > 0 {
			c.lead = found[0].ID
		}
	}
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
	c.progress(CallProgress{Kind: "answered", State: CallAnswered, Leg: c.leadLeg.id, LegAnswered: true,
		Data: jsonData(map[string]any{"did": c.callerNum, "queue": queue})})
	c.log.Info("inbound call", "from", c.number, "did", c.callerNum, "queue", queue)
	// Keep the caller alive if an agent leaves (transfers re-bridge it).
	_ = e.sw.SetVar(ctx, string(c.leadLeg.id), "park_after_bridge", "true")
	c.emit(EvCallCreated)
	c.emit(EvCallAnswered)
	if q, ok := e.router.queue(queue); ok {
		c.enterQueue(ctx, q, c.priority, nil)
		return
	}
	c.music(true)
	c.abandon = c.after(e.cfg.InboundMaxWait, timerMsg{timerAbandon})
	c.reserve(ctx)
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
