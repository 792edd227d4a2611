package dialer

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
)

// What the engine remembers of each dialing campaign's recent calls for
// the pacer: kept in memory, so a pass costs no store read. After a
// restart it is empty and a predictive campaign warms up again
// (progressive, which abandons nothing); its 24 h and 30-day abandon
// windows come from the call records, which survive.

const (
	// recentAttempts is how many of the last calls dialed give the
	// live-answer rate, or those of the last recentSpan when more (a
	// large campaign has more than recentAttempts ringing at once).
	recentAttempts = 300
	recentSpan     = time.Minute
	// latestWindow is the span of the calls that show a rise in the
	// live-answer rate before the recent few hundred do.
	latestWindow = 30 * time.Second
	// storedStatsEvery bounds how often the 24 h and 30-day windows are
	// counted from the call records.
	storedStatsEvery = 5 * time.Second
	// pacingPublishEvery bounds how often a campaign's figures go out.
	pacingPublishEvery = time.Second
	abandonMonth       = 30 * 24 * time.Hour
	// figureMinutes is the span of the talk-per-agent-hour figure.
	figureMinutes = 60
)

// attempt is one call the pacer dialed.
type attempt struct {
	dialedAt time.Time
	// live: a person answered; ringing: not answered nor ended yet;
	// void: never placed (the lead was not dialable after all); seated:
	// an agent was reserved for the live answer.
	live, ringing, void, seated bool
	answer                      *answerMark
}

// answerMark is a live answer, and whether it was abandoned.
type answerMark struct {
	at        time.Time
	abandoned bool
}

// campHistory is one campaign's memory; guarded by Engine.pmu.
type campHistory struct {
	// attempts are the last recentAttempts dialed, or those of the last
	// recentSpan when more, oldest first from head.
	attempts []*attempt
	head     int
	open     map[LeadID]*attempt // dialed and not ended
	// recentEnded is how many of the attempts had ended or been answered
	// at the last snapshot (the supervisor's answer rate).
	recentEnded int
	// talk and ring are the log-durations of talks ended and of live
	// answers' ring times; seize is how long each attempt held its line
	// (dial to answer or end), for the progressive baseline.
	talk, ring, seize pacing.LogStats
	answers           []*answerMark // the last hour's, oldest first
	// talkSec and staffSec are, per minute of the last hour, the seconds
	// of talk ended and of agents staffed.
	talkSec, staffSec [figureMinutes]float64
	minute            int64 // the Unix minute of the newest slot
	day, month        pacing.Window
	storedAt          time.Time
	lastPass          time.Time
	fig               PacingView
	publishedAt       time.Time
}

func newCampHistory() *campHistory {
	return &campHistory{open: map[LeadID]*attempt{}}
}

// pacerMemory holds the campaigns' histories.
type pacerMemory struct {
	mu   sync.Mutex
	hist map[CampaignID]*campHistory
}

// of is the campaign's history, made on first use; mu held.
func (m *pacerMemory) of(id CampaignID) *campHistory {
	if m.hist == nil {
		m.hist = map[CampaignID]*campHistory{}
	}
	h := m.hist[id]
	if h == nil {
		h = newCampHistory()
		m.hist[id] = h
	}
	return h
}

// with runs f on the campaign's history under the lock.
func (m *pacerMemory) with(id CampaignID, f func(h *campHistory)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.of(id))
}

// dialed counts a call to lead as an attempt, ringing from now.
func (h *campHistory) dialed(lead LeadID, now time.Time) {
	a := &attempt{dialedAt: now, ringing: true}
	h.attempts = append(h.attempts, a)
	h.forget(now)
	h.open[lead] = a
}

// forget drops the attempts beyond the last recentAttempts that are older
// than recentSpan; the slice is compacted once half of it is dropped.
func (h *campHistory) forget(now time.Time) {
	for len(h.attempts)-h.head > recentAttempts && now.Sub(h.attempts[h.head].dialedAt) > recentSpan {
		h.attempts[h.head] = nil
		h.head++
	}
	if h.head > recentAttempts && 2*h.head > len(h.attempts) {
		h.attempts = append(h.attempts[:0], h.attempts[h.head:]...)
		h.head = 0
	}
}

// notPlaced takes back an attempt whose call was never placed.
func (h *campHistory) notPlaced(lead LeadID) {
	if a := h.open[lead]; a != nil {
		a.void, a.ringing = true, false
		delete(h.open, lead)
	}
}

// prune lets the answers older than the hour go.
func (h *campHistory) prune(now time.Time) {
	drop := 0
	for drop < len(h.answers) && now.Sub(h.answers[drop].at) > time.Hour {
		drop++
	}
	h.answers = h.answers[drop:]
}

// answered marks the lead's call answered by a person at.
func (h *campHistory) answered(lead LeadID, at time.Time) {
	a := h.open[lead]
	if a == nil || !a.ringing {
		return
	}
	a.ringing, a.live = false, true
	// Counted when answered, so that the rate's denominator is not late.
	a.answer = &answerMark{at: at}
	// Pruned here too: a progressive campaign's history is never read.
	h.prune(at)
	h.answers = append(h.answers, a.answer)
	h.ring.Add(at.Sub(a.dialedAt))
	h.seize.Add(at.Sub(a.dialedAt))
}

// seated notes that an agent was reserved for the lead's live answer.
func (h *campHistory) seated(lead LeadID) {
	if a := h.open[lead]; a != nil {
		a.seated = true
	}
}

// ended closes the lead's call: its outcome, and the talk from connected
// (zero: never connected) to end.
func (h *campHistory) ended(lead LeadID, o CallOutcome, connected, end time.Time) {
	a := h.open[lead]
	if a == nil {
		return
	}
	delete(h.open, lead)
	if a.ringing {
		a.ringing = false
		h.seize.Add(end.Sub(a.dialedAt))
	}
	if a.answer == nil && (o == OutcomeAnswered || o == OutcomeAbandoned) {
		a.answer = &answerMark{at: end}
		h.answers = append(h.answers, a.answer)
	}
	if a.answer != nil {
		a.answer.abandoned = o == OutcomeAbandoned
	}
	if !connected.IsZero() && end.After(connected) {
		d := end.Sub(connected)
		h.talk.Add(d)
		h.roll(end)
		if minuteOf(end) > h.minute-figureMinutes {
			h.talkSec[minuteOf(end)%figureMinutes] += d.Seconds()
		}
	}
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// roll clears the minute slots passed since the newest one.
func (h *campHistory) roll(now time.Time) {
	m := minuteOf(now)
	if h.minute == 0 || m-h.minute >= figureMinutes {
		h.talkSec, h.staffSec = [figureMinutes]float64{}, [figureMinutes]float64{}
	} else {
		for k := h.minute + 1; k <= m; k++ {
			h.talkSec[k%figureMinutes], h.staffSec[k%figureMinutes] = 0, 0
		}
	}
	if m > h.minute {
		h.minute = m
	}
}

// staff counts n agents staffed since the last pass.
func (h *campHistory) staff(n int, now time.Time) {
	if !h.lastPass.IsZero() && now.After(h.lastPass) {
		h.roll(now)
		h.staffSec[minuteOf(now)%figureMinutes] += float64(n) * min(now.Sub(h.lastPass), time.Minute).Seconds()
	}
	h.lastPass = now
}

// agents is what the pacer reads of a campaign's agents.
type agents struct {
	ready           int
	talking, wrapUp []time.Duration
}

// paceRole is what an agent's state means to the pacer: free now, busy
// with a call (reserved and ringing count: an answered lead is being put
// through, a whole talk is ahead), in wrap-up, or not staffed (paused).
type paceRole int

const (
	roleNone paceRole = iota
	roleReady
	roleTalking
	roleWrapUp
)

func roleOf(s AgentState) paceRole {
	switch s {
	case AgentReady:
		return roleReady
	case AgentReserved, AgentRinging, AgentInCall:
		return roleTalking
	case AgentDispo:
		return roleWrapUp
	}
	return roleNone
}

// agentsOf sorts views of a campaign's agents for the pacer; a talk is
// timed from its state's start, an agent reserved or ringing not yet
// talking (0).
func agentsOf(views []AgentView, now time.Time) agents {
	var a agents
	for _, v := range views {
		el := max(now.Sub(v.Since), 0)
		switch roleOf(v.State) {
		case roleReady:
			a.ready++
		case roleTalking:
			if v.State != AgentInCall {
				el = 0
			}
			a.talking = append(a.talking, el)
		case roleWrapUp:
			a.wrapUp = append(a.wrapUp, el)
		}
	}
	return a
}

// snapshot is the pacer's view of the campaign now; wrap is its wrap-ups'
// durations.
func (h *campHistory) snapshot(ag agents, wrap pacing.LogStats, now time.Time) pacing.Snapshot {
	s := pacing.Snapshot{Ready: ag.ready, Talking: ag.talking, WrapUp: ag.wrapUp, Talk: h.talk, Wrap: wrap, Ring: h.ring,
		Day: h.day, Month: h.month}
	h.forget(now)
	h.recentEnded = 0
	// Newest first: Dialed is youngest first.
	for i := len(h.attempts) - 1; i >= h.head; i-- {
		a := h.attempts[i]
		if a.void {
			continue
		}
		age := max(now.Sub(a.dialedAt), 0)
		s.Recent.Attempts++
		if !a.ringing {
			h.recentEnded++
		}
		if age <= recentSpan {
			s.Dialed = append(s.Dialed, age)
		}
		latest := age <= latestWindow
		if latest {
			s.Latest.Attempts++
		}
		if a.live {
			s.Recent.Live++
			if latest {
				s.Latest.Live++
			}
		}
	}
	for _, a := range h.open {
		switch {
		case a.ringing:
			s.Ringing = append(s.Ringing, max(now.Sub(a.dialedAt), 0))
		case a.live && !a.seated:
			s.Waiting++
		}
	}
	h.prune(now)
	for _, m := range h.answers {
		s.Hour.Answered++
		if m.abandoned {
			s.Hour.Abandoned++
		}
		if now.Sub(m.at) <= time.Minute {
			s.Minute.Answered++
			if m.abandoned {
				s.Minute.Abandoned++
			}
		}
	}
	return s
}

// PacingView is what a supervisor sees of a predictive campaign's pacing.
type PacingView struct {
	Campaign CampaignID `json:"campaign_id"`
	// State is warming, predictive or fallback; Reason says why.
	State  string `json:"state"`
	Reason string `json:"reason"`
	// DialLevel is lines in flight per staffed agent.
	DialLevel     float64 `json:"dial_level"`
	LinesInFlight int     `json:"lines_in_flight"`
	Staffed       int     `json:"staffed_agents"`
	// LiveAnswerRate is live answers over the recent attempts ended.
	LiveAnswerRate float64 `json:"live_answer_rate"`
	// Abandon rates (abandoned over live-answered calls) per window.
	Abandon PacingWindows `json:"abandon"`
	// TalkPerAgentHour is the agents' talk minutes per staffed hour over
	// the last hour.
	TalkPerAgentHour float64 `json:"talk_minutes_per_agent_hour"`
	// Baseline is the talk minutes per agent-hour progressive dialing (one
	// line per READY agent) would give with the same measured answer
	// rate, line seizure, talk and wrap-up times; Gain is
	// TalkPerAgentHour/Baseline - 1 (0 until both are known).
	Baseline float64 `json:"progressive_baseline"`
	Gain     float64 `json:"predictive_gain"`
}

// PacingWindows are abandon rates over the windows the rules name.
type PacingWindows struct {
	Minute float64 `json:"minute"`
	Hour   float64 `json:"hour"`
	Day    float64 `json:"day"`
	Month  float64 `json:"month"`
}

// figures are the view of a decision on snapshot s; rates are rounded so
// that a figure changes when a supervisor would see it change.
func (h *campHistory) figures(id CampaignID, d pacing.Decision, s pacing.Snapshot) PacingView {
	v := PacingView{Campaign: id, State: string(d.State), Reason: d.Reason, DialLevel: round(d.Level, 100),
		LinesInFlight: len(s.Ringing) + d.Dial, Staffed: s.Ready + len(s.Talking) + len(s.WrapUp)}
	p := 0.0
	if h.recentEnded > 0 {
		p = float64(s.Recent.Live) / float64(h.recentEnded)
	}
	v.LiveAnswerRate = round(p, 1000)
	v.Abandon = PacingWindows{Minute: round(s.Minute.Rate(), 10000), Hour: round(s.Hour.Rate(), 10000),
		Day: round(s.Day.Rate(), 10000), Month: round(s.Month.Rate(), 10000)}
	var talk, staff float64
	for k := range figureMinutes {
		talk += h.talkSec[k]
		staff += h.staffSec[k]
	}
	if staff > 0 {
		v.TalkPerAgentHour = round(60*talk/staff, 10)
	}
	v.Baseline = round(progressiveBaseline(p, lognMean(h.seize), lognMean(h.talk), lognMean(s.Wrap)), 10)
	if v.Baseline > 0 && v.TalkPerAgentHour > 0 {
		v.Gain = round(v.TalkPerAgentHour/v.Baseline-1, 100)
	}
	return v
}

// progressiveBaseline is talk minutes per agent-hour with one line per
// READY agent: each live answer costs 1/p attempts of mean seizure a on
// the agent's own line, then a talk t and a wrap-up u.
func progressiveBaseline(p, a, t, u float64) float64 {
	if p <= 0 || a <= 0 || t <= 0 {
		return 0
	}
	return 60 * t / (t + u + a/p)
}

// lognMean is the mean of a lognormal fit of s in seconds (0 with fewer
// than two samples).
func lognMean(s pacing.LogStats) float64 {
	if s.N < 2 {
		return 0
	}
	n := float64(s.N)
	mu := s.Sum / n
	v := max((s.SumSq-n*mu*mu)/(n-1), 0)
	m := math.Exp(mu + v/2)
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0
	}
	return m
}

func round(x, by float64) float64 { return math.Round(x*by) / by }

// predictive decides a predictive campaign's dial on the pacer's
// goroutine: its snapshot, the decision, the figures published.
func (e *Engine) predictive(ctx context.Context, c pacedCampaign, now time.Time) int {
	views := e.hub.campaignAgents(c.ID)
	ag := agentsOf(views, now)
	wrap := e.hub.wrapStats(c.ID)
	e.storedWindows(ctx, c.ID, now)
	var d pacing.Decision
	var v PacingView
	var day pacing.Window
	publish := false
	e.pmem.with(c.ID, func(h *campHistory) {
		day = h.day
		h.staff(ag.ready+len(ag.talking)+len(ag.wrapUp), now)
		s := h.snapshot(ag, wrap, now)
		d = pacing.Decide(c.set.PacingConfig(), s)
		v = h.figures(c.ID, d, s)
		h.fig = v
		if now.Sub(h.publishedAt) >= pacingPublishEvery || now.Before(h.publishedAt) {
			h.publishedAt, publish = now, true
		}
	})
	if publish {
		e.publishPacing(c.Campaign, v, day, now.Add(-abandonWindow))
	}
	return d.Dial
}

// storedWindows refreshes the campaign's 24 h and 30-day abandon counts
// from the call records, at most every storedStatsEvery.
func (e *Engine) storedWindows(ctx context.Context, id CampaignID, now time.Time) {
	st, ok := e.calls.(CallStatsReader)
	if !ok {
		return
	}
	stale := false
	e.pmem.with(id, func(h *campHistory) {
		stale = h.storedAt.IsZero() || now.Sub(h.storedAt) >= storedStatsEvery || now.Before(h.storedAt)
		if stale {
			// One read at a time even when it fails.
			h.storedAt = now
		}
	})
	if !stale {
		return
	}
	figs, err := st.CampaignCallStats(ctx, id, now, now.Add(-abandonWindow), now.Add(-abandonMonth))
	if err != nil || len(figs) != 2 {
		e.log.Warn("pacing: abandon windows not counted", "campaign_id", id, "err", err)
		return
	}
	e.pmem.with(id, func(h *campHistory) {
		h.day = pacing.Window{Answered: figs[0].Answered, Abandoned: figs[0].Abandoned}
		h.month = pacing.Window{Answered: figs[1].Answered, Abandoned: figs[1].Abandoned}
	})
}

// pacerCounts reports whether the pacer has counted the campaign's stored
// abandon windows within storedStatsEvery: it publishes them with its
// figures, so they need no second read.
func (e *Engine) pacerCounts(id CampaignID, now time.Time) bool {
	counts := false
	e.pmem.mu.Lock()
	if h := e.pmem.hist[id]; h != nil && !h.storedAt.IsZero() {
		counts = !now.Before(h.storedAt) && now.Sub(h.storedAt) < 2*storedStatsEvery
	}
	e.pmem.mu.Unlock()
	return counts
}

// publishPacing puts the campaign's pacing figures on the event stream
// with its 24 h abandon figures (day, from the records since from), when
// they changed.
func (e *Engine) publishPacing(c Campaign, p PacingView, day pacing.Window, from time.Time) {
	v, ok := e.hub.campaignView(c.ID)
	if !ok {
		v = CampaignLive{ID: c.ID, Name: c.Name, DialMode: c.DialMode}
	}
	v.Pacing = p
	if day.Answered > 0 {
		v.Answered, v.Abandoned, v.AbandonRate, v.From = day.Answered, day.Abandoned, day.Rate(), from
	}
	if e.hub.campaignChanged(v) {
		e.publish(LiveEvent{Type: EvCampaignStats, CampaignView: &v})
	}
}

// CampaignPacing is a predictive campaign's last pacing figures.
func (e *Engine) CampaignPacing(ctx context.Context, id CampaignID) (PacingView, error) {
	c, err := e.camp.Campaign(ctx, id)
	if err != nil {
		return PacingView{}, err
	}
	if c.DialMode != DialPredictive {
		return PacingView{}, fmt.Errorf("campaign %q dials %s, not predictive: %w", c.Name, c.DialMode, ErrConflict)
	}
	var v PacingView
	e.pmem.with(id, func(h *campHistory) { v = h.fig })
	if v.State == "" {
		// Not paced yet (nobody works on it): what the pacer would say.
		v = PacingView{Campaign: id, State: string(pacing.Warming), Reason: "no agent working on the campaign"}
	}
	return v, nil
}

// Hooks from the calls: each a no-op for a lead the pacer did not dial.

func (e *Engine) paceDialed(campaign CampaignID, lead LeadID) {
	now := e.now()
	e.pmem.with(campaign, func(h *campHistory) { h.dialed(lead, now) })
}

func (e *Engine) paceNotPlaced(campaign CampaignID, lead LeadID) {
	e.pmem.with(campaign, func(h *campHistory) { h.notPlaced(lead) })
}

func (c *call) paceAnswered() {
	if c.campaign == 0 || c.lead == 0 || c.origin != OriginDialer {
		return
	}
	at := c.e.now()
	c.e.pmem.with(c.campaign, func(h *campHistory) { h.answered(c.lead, at) })
	// A line less ringing, a live answer more: the next decision differs.
	c.e.nudgePacer()
}

// paceSeated: the answered lead has its agent; it no longer waits for
// the next one freed.
func (c *call) paceSeated() {
	if c.campaign == 0 || c.lead == 0 || c.origin != OriginDialer {
		return
	}
	c.e.pmem.with(c.campaign, func(h *campHistory) { h.seated(c.lead) })
}

func (c *call) paceEnded(o CallOutcome) {
	if c.campaign == 0 || c.lead == 0 || c.origin != OriginDialer {
		return
	}
	c.e.pmem.with(c.campaign, func(h *campHistory) { h.ended(c.lead, o, c.connectedAt, c.endedAt) })
}
