package dialer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// CampaignRef names the campaign an agent works on in its session.
type CampaignRef struct {
	ID       CampaignID `json:"id"`
	Name     string     `json:"name"`
	DialMode DialMode   `json:"dial_mode"`
}

// Preview is a lead offered to an agent of a preview campaign: the agent
// reads it, then dials it or skips it. The lead stays claimed in the
// campaign's hopper meanwhile, so no other agent or process gets it.
type Preview struct {
	Lead      Lead       `json:"lead"`
	Campaign  CampaignID `json:"campaign_id"`
	OfferedAt time.Time  `json:"offered_at"`
	// DialAt is when the lead is dialed by itself (the campaign's preview
	// timeout); zero waits for the agent.
	DialAt time.Time `json:"dial_at,omitzero"`
}

// deliveryTone is what an agent hears as a dialer call is connected,
// before the lead: FreeSWITCH's tone generator, no file needed.
const deliveryTone = "tone_stream://%(250,0,880)"

// previewLease bounds how long a previewed lead stays claimed if this
// process dies before the agent decides (a live preview is not renewed:
// an agent reading a lead for longer may see it offered elsewhere).
const previewLease = time.Hour

// mayWork reports whether agent a may work campaign c: the campaign's
// allowed agents when it names some, else the agent's assigned campaigns
// (an agent assigned nowhere may work any).
func mayWork(a Agent, c Campaign) bool {
	if !c.ArchivedAt.IsZero() {
		return false
	}
	// Settings are checked when written; unreadable ones restrict nobody.
	set, _ := ParseCampaignSettings(c.Settings)
	if len(set.AllowedAgents) > 0 {
		return slices.Contains(set.AllowedAgents, a.ID)
	}
	return len(a.Campaigns) == 0 || slices.Contains(a.Campaigns, c.ID)
}

// AgentCampaigns lists the campaigns the agent may work on, by name.
func (e *Engine) AgentCampaigns(ctx context.Context, a Actor, id AgentID) ([]Campaign, error) {
	if !a.MayControl(id) {
		return nil, ErrForbidden
	}
	ag, err := e.dir.Agent(ctx, id)
	if err != nil {
		return nil, err
	}
	return e.workable(ctx, ag)
}

// workable lists the campaigns agent ag may work on, by name.
func (e *Engine) workable(ctx context.Context, ag Agent) ([]Campaign, error) {
	all, err := e.camp.ListCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(c Campaign) bool { return !mayWork(ag, c) })
	slices.SortFunc(out, func(x, y Campaign) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// chooseCampaign is the campaign a session works on: the one asked for,
// checked, or when none is asked the agent's only one (none if several).
func (e *Engine) chooseCampaign(ctx context.Context, ag Agent, want CampaignID) (CampaignRef, error) {
	if want < 0 {
		return CampaignRef{}, &FieldError{Field: "campaign_id", Reason: "must be positive"}
	}
	if want == 0 {
		only, err := e.workable(ctx, ag)
		if err != nil {
			return CampaignRef{}, err
		}
		if len(only) != 1 {
			return CampaignRef{}, nil
		}
		return refOf(only[0]), nil
	}
	c, err := e.camp.Campaign(ctx, want)
	if errors.Is(err, ErrNotFound) {
		return CampaignRef{}, &FieldError{Field: "campaign_id", Reason: "no such campaign"}
	}
	if err != nil {
		return CampaignRef{}, err
	}
	if !c.ArchivedAt.IsZero() {
		return CampaignRef{}, &FieldError{Field: "campaign_id", Reason: fmt.Sprintf("campaign %q is archived", c.Name)}
	}
	if !mayWork(ag, c) {
		return CampaignRef{}, &FieldError{Field: "campaign_id", Reason: fmt.Sprintf("agent %d may not work on campaign %q", ag.ID, c.Name)}
	}
	return refOf(c), nil
}

// sessionCampaign is the campaign of a session's routing tags: its only
// campaign tag (0 when it has none or several).
func sessionCampaign(tags []string) CampaignID {
	var id CampaignID
	for _, t := range tags {
		n, ok := strings.CutPrefix(t, campaignTagPrefix)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id != 0 {
			return 0
		}
		id = CampaignID(v)
	}
	return id
}

func refOf(c Campaign) CampaignRef { return CampaignRef{ID: c.ID, Name: c.Name, DialMode: c.DialMode} }

// profileOn is what routing knows of an agent working on campaign (0:
// every campaign it is assigned to): dialer calls of a campaign go only
// to agents working on it.
func profileOn(a Agent, mode AgentMode, ep AgentEndpoint, campaign CampaignID) AgentProfile {
	p := a.Profile()
	p.Mode, p.Endpoint = mode, ep
	if campaign != 0 {
		p.Tags = slices.DeleteFunc(p.Tags, func(t string) bool { return strings.HasPrefix(t, campaignTagPrefix) })
		p.Tags = append(p.Tags, CampaignTag(campaign))
	}
	return p
}

// SetCampaign moves a logged-in agent to another campaign between calls.
func (e *Engine) SetCampaign(ctx context.Context, a Actor, id AgentID, campaign CampaignID) (AgentView, error) {
	if err := e.ready(ctx); err != nil {
		return AgentView{}, err
	}
	if !a.MayControl(id) {
		return AgentView{}, ErrForbidden
	}
	if campaign <= 0 {
		return AgentView{}, &FieldError{Field: "campaign_id", Reason: "required"}
	}
	l := e.line(id)
	if l == nil {
		return AgentView{}, fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	ag, err := e.dir.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	ref, err := e.chooseCampaign(ctx, ag, campaign)
	if err != nil {
		return AgentView{}, err
	}
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	if st.State.HoldsCall() {
		return AgentView{}, fmt.Errorf("agent %d is %s: switch campaigns between calls: %w", id, st.State, ErrConflict)
	}
	e.dropPreview(ctx, l)
	if err := e.live.UpsertAgent(ctx, profileOn(ag, l.state().mode, l.state().endpoint, ref.ID)); err != nil {
		return AgentView{}, err
	}
	if err := l.do(ctx, func(l *line) { l.set(func(s *lineState) { s.campaign = ref }) }); err != nil {
		return AgentView{}, err
	}
	if st.State == AgentPaused && st.PauseCode == PausePreview {
		// The preview belonged to the campaign left: ready for the new one.
		if st, err = e.transition(ctx, id, AgentPaused, TriggerReady, "", "campaign changed", ""); err != nil {
			return AgentView{}, err
		}
	} else {
		e.publishAgent(ctx, id, st)
	}
	e.nudgePacer()
	e.auditf(ctx, a, "agent.campaign", id.String(), map[string]any{"campaign_id": ref.ID})
	return e.view(ctx, id, st), nil
}

// takePreview removes the line's preview (the one expected, when given)
// and returns it; nil when there is none.
func (l *line) takePreview(ctx context.Context, expect *Preview) *Preview {
	var p *Preview
	_ = l.do(ctx, func(l *line) {
		p = l.state().preview
		if p == nil || expect != nil && p != expect {
			p = nil
			return
		}
		if l.previewTimer != nil {
			l.previewTimer.Stop()
		}
		l.set(func(s *lineState) { s.preview = nil })
	})
	return p
}

// dropPreview gives a previewed lead back to the front of its campaign's
// hopper (the agent paused, logged out or changed campaigns).
func (e *Engine) dropPreview(ctx context.Context, l *line) {
	if l == nil || l.state().preview == nil {
		return
	}
	if p := l.takePreview(ctx, nil); p != nil {
		e.returnLead(ctx, p.Campaign, p.Lead.ID)
	}
}

// returnLead ends a claim and puts the lead first in the hopper again.
func (e *Engine) returnLead(ctx context.Context, campaign CampaignID, lead LeadID) {
	if e.hopper == nil {
		return
	}
	if _, err := e.hopper.Remove(ctx, campaign, lead); err != nil {
		e.log.Warn("lead not returned to the hopper", "campaign_id", campaign, "lead_id", lead, "err", err)
		return
	}
	if _, err := e.hopper.Push(ctx, campaign, []HopperEntry{{Lead: lead, Rank: -1}}); err != nil {
		e.log.Warn("lead not returned to the hopper", "campaign_id", campaign, "lead_id", lead, "err", err)
	}
}

// hopperDone ends a lead's claim once its attempt is recorded (or it was
// found not dialable): its status keeps it out of the next refill.
func (e *Engine) hopperDone(ctx context.Context, campaign CampaignID, lead LeadID) {
	if err := e.hopper.Done(ctx, campaign, lead); err != nil {
		e.log.Warn("hopper claim not ended", "campaign_id", campaign, "lead_id", lead, "err", err)
	}
}

// PreviewDial dials the lead previewed by the agent.
func (e *Engine) PreviewDial(ctx context.Context, a Actor, id AgentID) (CallView, error) {
	return e.dialPreview(ctx, a, id, nil)
}

func (e *Engine) dialPreview(ctx context.Context, a Actor, id AgentID, expect *Preview) (CallView, error) {
	if !a.MayControl(id) {
		return CallView{}, ErrForbidden
	}
	l := e.line(id)
	if l == nil {
		return CallView{}, fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	p := l.takePreview(ctx, expect)
	if p == nil {
		return CallView{}, fmt.Errorf("agent %d has no lead to dial: %w", id, ErrConflict)
	}
	v, err := e.ManualDial(ctx, a, id, ManualDialRequest{Number: p.Lead.Phone, Campaign: p.Campaign, Lead: p.Lead.ID, origin: OriginDialer})
	var fe *FieldError
	switch {
	case err == nil:
		e.hopperDone(ctx, p.Campaign, p.Lead.ID)
	case errors.As(err, &fe) && fe.Field == "number", errors.Is(err, ErrStateMismatch):
		// Put on a do-not-call list, or dialed by someone else, since it
		// was offered: never dialed; the agent gets the next lead.
		e.hopperDone(ctx, p.Campaign, p.Lead.ID)
		if _, terr := e.transition(ctx, id, AgentPaused, TriggerReady, "", "previewed lead not dialable", ""); terr != nil {
			e.refreshAgent(ctx, id)
		}
	default:
		// The switch is down or the agent's line is not ready: the agent
		// keeps the lead, to dial again or skip.
		_ = l.do(ctx, func(l *line) {
			if l.state().preview == nil {
				l.set(func(s *lineState) { s.preview = p })
			}
		})
		e.refreshAgent(ctx, id)
	}
	return v, err
}

// PreviewSkip passes over the previewed lead: it is offered again after
// the campaign's no-answer retry delay, with no attempt counted, and the
// agent is READY for the next lead.
func (e *Engine) PreviewSkip(ctx context.Context, a Actor, id AgentID, reason string) (AgentView, error) {
	if !a.MayControl(id) {
		return AgentView{}, ErrForbidden
	}
	if err := checkText("reason", reason, 200, true); err != nil {
		return AgentView{}, err
	}
	l := e.line(id)
	if l == nil {
		return AgentView{}, fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	p := l.takePreview(ctx, nil)
	if p == nil {
		return AgentView{}, fmt.Errorf("agent %d has no lead to skip: %w", id, ErrConflict)
	}
	camp, err := e.camp.Campaign(ctx, p.Campaign)
	if err != nil {
		e.returnLead(ctx, p.Campaign, p.Lead.ID)
		return AgentView{}, err
	}
	set, _ := ParseCampaignSettings(camp.Settings)
	until := e.now().Add(set.RetryDelays.Delay(OutcomeNoAnswer))
	if _, err := UpdateLeadWith(ctx, e.camp, p.Lead, func(ld *Lead) error {
		if ld.NextCallAt.Before(until) {
			ld.NextCallAt = until
		}
		return nil
	}); err != nil {
		e.returnLead(ctx, p.Campaign, p.Lead.ID)
		return AgentView{}, err
	}
	e.hopperDone(ctx, p.Campaign, p.Lead.ID)
	e.auditf(ctx, a, "lead.skip", p.Lead.ID.String(), map[string]any{"agent_id": id, "campaign_id": p.Campaign, "reason": reason})
	st, err := e.live.Agent(ctx, id)
	if err != nil {
		return AgentView{}, err
	}
	if st.State == AgentPaused && st.PauseCode == PausePreview {
		if st, err = e.transition(ctx, id, AgentPaused, TriggerReady, "", "skipped a lead", ""); err != nil {
			return AgentView{}, err
		}
	}
	return e.view(ctx, id, st), nil
}

// nudgePacer asks for a pacing pass now (an agent or a dialer call
// changed); passes asked for meanwhile are one.
func (e *Engine) nudgePacer() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// paceLoop dials the campaigns' leads: at every nudge, and every
// PaceEvery for what no event announces (a hopper refilled, a window
// opening).
func (e *Engine) paceLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.PaceEvery)
	defer t.Stop()
	for {
		e.pace(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
	}
}

// pacedCampaign is a campaign as the pacer reads it, its settings parsed
// once per read rather than at every pass.
type pacedCampaign struct {
	Campaign
	set CampaignSettings
}

// campaigns are every campaign, read from the store at most once per
// PaceEvery, or at once when an agent works on one not read yet.
func (e *Engine) campaigns(ctx context.Context, ready map[CampaignID]int) map[CampaignID]pacedCampaign {
	now := e.now()
	stale := e.campsAt.IsZero() || now.Sub(e.campsAt) >= e.cfg.PaceEvery || now.Before(e.campsAt)
	for id := range ready {
		if _, known := e.camps[id]; !known {
			stale = true
		}
	}
	if stale {
		all, err := e.camp.ListCampaigns(ctx)
		if err != nil {
			e.log.Warn("pacing: campaigns not read", "err", err)
			return e.camps
		}
		m := make(map[CampaignID]pacedCampaign, len(all))
		for _, c := range all {
			// Settings are checked when written; unreadable ones dial
			// with the defaults.
			set, _ := ParseCampaignSettings(c.Settings)
			m[c.ID] = pacedCampaign{Campaign: c, set: set}
		}
		e.camps, e.campsAt = m, now
	}
	return e.camps
}

// dials reports whether the dialer places the campaign's calls now.
func dials(c Campaign) bool { return c.DialMode.Dials() && c.Active && c.ArchivedAt.IsZero() }

// pace is one pacing pass, on the pacer's goroutine only: a preview
// campaign's READY agents are each offered a lead; a progressive one
// keeps lines-per-agent calls in flight per READY agent; a predictive one
// dials what the pacer decides.
func (e *Engine) pace(ctx context.Context) {
	if !e.sw.Up() || e.live.Unreachable() != nil || e.draining.Load() {
		return
	}
	ready := e.hub.readyByCampaign()
	camps := e.campaigns(ctx, ready)
	for id, n := range ready {
		c, ok := camps[id]
		if !ok || !dials(c.Campaign) {
			continue
		}
		switch c.DialMode {
		case DialPreview:
			for _, a := range e.hub.readyOn(id) {
				l := e.line(a)
				if l == nil || l.st.Load().preview != nil {
					continue
				}
				for e.offerPreview(ctx, c.Campaign, c.set, l) == offerNext {
				}
			}
		case DialProgressive:
			e.mu.Lock()
			want := c.set.LinesPerAgent*n - e.paced[id]
			e.mu.Unlock()
			e.dialLeads(ctx, c.Campaign, want)
		}
	}
	// A predictive campaign is asked even with nobody READY: its agents
	// about to be free count, and its figures are kept current.
	for id, c := range camps {
		if c.DialMode == DialPredictive && dials(c.Campaign) && e.hub.staffed(id) {
			e.dialLeads(ctx, c.Campaign, e.predictive(ctx, c, e.now()))
		}
	}
}

// dialLeads dials up to n of the campaign's leads.
func (e *Engine) dialLeads(ctx context.Context, c Campaign, n int) {
	for range n {
		if !e.dialNext(ctx, c) {
			break
		}
	}
}

type offerResult int

const (
	offerDone offerResult = iota // offered, or nothing to offer
	offerNext                    // that lead could not be offered; try the next
)

// offerPreview claims the campaign's next lead for a READY agent and
// shows it to the agent, PAUSED (PREVIEW) while it reads.
func (e *Engine) offerPreview(ctx context.Context, c Campaign, set CampaignSettings, l *line) offerResult {
	now := e.now()
	id, ok, err := e.hopper.Claim(ctx, c.ID, previewLease, now)
	if err != nil || !ok {
		return offerDone
	}
	lead, ok := e.dialableLead(ctx, c, id, now)
	if !ok {
		return offerNext
	}
	p := &Preview{Lead: lead, Campaign: c.ID, OfferedAt: now}
	if set.PreviewTimeoutSeconds > 0 {
		p.DialAt = now.Add(time.Duration(set.PreviewTimeoutSeconds) * time.Second)
	}
	// Set before the agent leaves READY, so the view published with the
	// pause shows the lead.
	_ = l.do(ctx, func(l *line) { l.set(func(s *lineState) { s.preview = p }) })
	if _, err := e.transition(ctx, l.id, AgentReady, TriggerPause, "", "previewing a lead", PausePreview); err != nil {
		// Taken by a call meanwhile: the lead goes back first in line.
		if l.takePreview(ctx, p) != nil {
			e.returnLead(ctx, c.ID, id)
		}
		return offerDone
	}
	if !p.DialAt.IsZero() {
		_ = l.do(ctx, func(l *line) {
			if l.state().preview != p {
				return
			}
			l.previewTimer = time.AfterFunc(p.DialAt.Sub(now), func() {
				e.group.Go(func() {
					if _, err := e.dialPreview(e.ctx, systemActor(l.id), l.id, p); err != nil && !errors.Is(err, ErrConflict) {
						e.log.Warn("previewed lead not dialed at its timeout", "agent_id", l.id, "lead_id", p.Lead.ID, "err", err)
					}
				})
			})
		})
	}
	return offerDone
}

// systemActor acts for an agent on the service's own initiative (a
// preview's timeout).
func systemActor(id AgentID) Actor {
	return Actor{Role: identity.RoleAgent, Agent: id, Name: "dialer"}
}

// dialableLead reads a claimed lead and checks it may be dialed now (the
// hopper's copy may be stale: a retry scheduled, a window closed); a lead
// that may not is let go.
func (e *Engine) dialableLead(ctx context.Context, c Campaign, id LeadID, now time.Time) (Lead, bool) {
	lead, err := e.camp.LeadToDial(ctx, id)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			e.log.Warn("claimed lead not read", "lead_id", id, "err", err)
		}
		e.hopperDone(ctx, c.ID, id)
		return Lead{}, false
	}
	if d := Explain(lead, c, nil, now); !d.Dialable {
		e.log.Debug("claimed lead not dialable now", "lead_id", id, "reasons", d.Reasons)
		e.hopperDone(ctx, c.ID, id)
		return Lead{}, false
	}
	return lead, true
}

// dialNext claims the campaign's next lead and dials it; false when the
// hopper is empty. The call counts as in flight from before the claim, so
// a pass that starts meanwhile does not dial too many.
func (e *Engine) dialNext(ctx context.Context, c Campaign) bool {
	e.mu.Lock()
	e.paced[c.ID]++
	e.mu.Unlock()
	id, ok, err := e.hopper.Claim(ctx, c.ID, e.cfg.LeadTimeout+time.Minute, e.now())
	if err != nil || !ok {
		if err != nil {
			e.log.Warn("hopper claim failed", "campaign_id", c.ID, "err", err)
		}
		e.unpace(c.ID, false)
		return false
	}
	e.paceDialed(c.ID, id)
	e.group.Go(func() {
		if !e.dialClaimed(e.ctx, c, id) {
			e.paceNotPlaced(c.ID, id)
			e.unpace(c.ID, true)
		}
	})
	return true
}

// dialClaimed places the dialer's call to a claimed lead: checked again
// (window, attempts, do-not-call list) just before the originate.
func (e *Engine) dialClaimed(ctx context.Context, c Campaign, id LeadID) bool {
	lead, ok := e.dialableLead(ctx, c, id, e.now())
	if !ok {
		return false
	}
	_, err := e.placeLeadCall(ctx, leadCall{origin: OriginDialer, number: lead.Phone, campaign: c.ID, lead: lead.ID,
		tags: []string{CampaignTag(c.ID)}, paced: true, read: &claimedLead{camp: c, lead: lead}})
	e.hopperDone(ctx, c.ID, id)
	if err != nil {
		e.log.Info("dialer call not placed", "campaign_id", c.ID, "lead_id", id, "err", err)
		return false
	}
	return true
}

// unpace ends a dialer call's count as in flight (it reached an agent,
// ended, or never started); again asks for a pass at once.
func (e *Engine) unpace(campaign CampaignID, again bool) {
	e.mu.Lock()
	if e.paced[campaign]--; e.paced[campaign] <= 0 {
		delete(e.paced, campaign)
	}
	e.mu.Unlock()
	if again {
		e.nudgePacer()
	}
}

// unpace ends the call's count as in flight, once.
func (c *call) unpace() {
	if c.paced {
		c.paced = false
		c.e.unpace(c.campaign, true)
	}
}
