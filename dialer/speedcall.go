package dialer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/esl"
)

// The speed-to-lead call behind the callback widget and the lead-call
// API: the managers ring first (dialer/ring's plan for the chosen
// sequence), the first to answer hears who the lead is and, if asked,
// presses 1; then the lead's numbers are dialed in turn and, once the lead
// answers (and has heard the recording warning), the two are bridged. It
// runs as a call of origin "widget", on the call's own turn: the record,
// the timeline and the hub's events are every call's.

// Announcer renders text to a sound file the switch can play (a path, or
// a tone_stream), so nothing typed reaches a command but a checked path.
type Announcer interface {
	Render(ctx context.Context, text string) (file string, err error)
}

// speedBeep is said in place of a text when no Announcer is set: the
// manager still hears that this call is a lead's, and when to press 1.
const speedBeep = "tone_stream://%(300,150,880);%(300,0,880)"

// speedPressOne ends the announcement when the manager must press 1:
// without it the manager hears the lead's name and then silence.
const speedPressOne = "Press 1 to call the lead now."

// speedRingback is what the manager hears while the lead's phone rings
// (the North American ring cadence, until broken off).
const speedRingback = "tone_stream://%(2000,4000,440,480);loops=-1"

// SpeedManager is one manager a speed call may ring.
type SpeedManager struct {
	Name           string
	Agent          AgentID // a manager with a SIP seat; 0 for an external number
	Number         string  // E.164, dialed through the carrier gateway when Agent is 0
	Rank, Position int
}

// SpeedCall asks for a lead to be called back through the managers.
type SpeedCall struct {
	Widget   int64      // the widget's id, recorded with the call
	Campaign CampaignID // the call is recorded under it (origin "widget")
	Managers []SpeedManager
	Sequence ring.Strategy // ring.RingAll, ring.RandomStagger, ring.TopDown, ring.ByRank
	Numbers  []string      // the lead's numbers, E.164; the second is called when the first fails
	CallerID string
	// Announcement is said to the manager who answers, before the lead is dialed.
	Announcement string
	Confirm      bool // the manager presses 1 to be connected; false: staying on the line connects
	Record       bool
	// RecordWarning is said to the lead before it is bridged, when Record.
	RecordWarning string
	Params        map[string]string
	RingSeconds   int                // how long each manager rings (default 20)
	Done          func(SpeedOutcome) // called once when the call ends; must not block
}

// SpeedOutcome is how a speed call ended.
type SpeedOutcome struct {
	Call        CallID
	Manager     int    // index in Managers of the one connected or who confirmed; -1 for none
	Number      string // the lead's number reached (or last tried)
	Result      string // one of the Speed* results
	TalkSeconds int
	Recording   string
}

// Limits of a speed call request.
const (
	MaxSpeedManagers     = 50
	MaxSpeedNumbers      = 2
	MaxSpeedText         = 500
	MaxSpeedParams       = 50
	MaxSpeedParamValue   = 1000
	DefaultSpeedRing     = 20
	MinSpeedRing         = 5
	MaxSpeedRing         = 120
	speedConfirmWait     = 10 * time.Second
	speedManagerNameSize = 64
)

// speedSequences are the widget's call sequences.
var speedSequences = []ring.Strategy{ring.RingAll, ring.RandomStagger, ring.TopDown, ring.ByRank}

// Validate checks a request; the error names the first bad field.
func (r SpeedCall) Validate() error {
	bad := func(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
	if r.Widget < 0 {
		return bad("widget", "must not be negative")
	}
	if r.Campaign < 0 {
		return bad("campaign_id", "must not be negative")
	}
	switch {
	case len(r.Managers) == 0:
		return bad("managers", "at least one")
	case len(r.Managers) > MaxSpeedManagers:
		return bad("managers", fmt.Sprintf("at most %d", MaxSpeedManagers))
	}
	for i, m := range r.Managers {
		f := fmt.Sprintf("managers[%d]", i)
		if err := checkText(f+".name", m.Name, speedManagerNameSize, false); err != nil {
			return err
		}
		switch {
		case m.Agent < 0:
			return bad(f+".agent_id", "must be positive")
		case m.Agent == 0 && !ValidPhone(m.Number):
			return bad(f+".number", "E.164 (+ and digits)")
		case m.Agent != 0 && m.Number != "":
			return bad(f+".number", "an agent manager is rung on its seat: no number")
		}
	}
	if !containsStrategy(r.Sequence) {
		return bad("sequence", "one of ring-all, random-stagger, top-down, by-rank")
	}
	switch {
	case len(r.Numbers) == 0:
		return bad("numbers", "at least one")
	case len(r.Numbers) > MaxSpeedNumbers:
		return bad("numbers", fmt.Sprintf("at most %d", MaxSpeedNumbers))
	}
	for i, n := range r.Numbers {
		if !ValidPhone(n) {
			return bad(fmt.Sprintf("numbers[%d]", i), "E.164 (+ and digits)")
		}
	}
	if r.CallerID != "" && esl.ValidateNumber("caller_id", r.CallerID) != nil {
		return bad("caller_id", "digits with an optional leading +")
	}
	if err := checkSpokenText("announcement", r.Announcement); err != nil {
		return err
	}
	if err := checkSpokenText("record_warning", r.RecordWarning); err != nil {
		return err
	}
	if r.RingSeconds != 0 && (r.RingSeconds < MinSpeedRing || r.RingSeconds > MaxSpeedRing) {
		return bad("ring_seconds", fmt.Sprintf("%d to %d", MinSpeedRing, MaxSpeedRing))
	}
	if len(r.Params) > MaxSpeedParams {
		return bad("params", fmt.Sprintf("at most %d", MaxSpeedParams))
	}
	for k, v := range r.Params {
		if !ValidFieldName(k) {
			return bad("params", fmt.Sprintf("a name is 1-32 of A-Z, a-z, 0-9 and _ (not %.40q)", k))
		}
		if err := checkSpokenText("params."+k, v); err != nil {
			return err
		}
	}
	return nil
}

// spoken is what the manager who answers hears.
func (r SpeedCall) spoken() string {
	if !r.Confirm {
		return r.Announcement
	}
	return strings.TrimSpace(r.Announcement + " " + speedPressOne)
}

// prerender has the Announcer render the call's texts while the managers
// ring: rendering on the answer kept the manager in silence for most of a
// second. The files are named by their text, so the render on the answer
// finds them (or waits for this one).
func (e *Engine) prerender(r SpeedCall) {
	a := e.cfg.Announcer
	if a == nil {
		return
	}
	texts := []string{r.spoken()}
	if r.Record {
		texts = append(texts, r.RecordWarning)
	}
	for _, text := range texts {
		if text == "" {
			continue
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := a.Render(ctx, text); err != nil {
				e.log.Warn("speed call text not rendered ahead", "err", err)
			}
		}()
	}
}

func containsStrategy(s ring.Strategy) bool {
	for _, x := range speedSequences {
		if x == s {
			return true
		}
	}
	return false
}

// checkSpokenText accepts printable UTF-8 text of at most MaxSpeedText
// bytes (an Announcer renders it; it never reaches a command).
func checkSpokenText(field, s string) error {
	if err := checkText(field, s, MaxSpeedText, false); err != nil {
		return err
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return &FieldError{Field: field, Reason: "no control characters"}
		}
	}
	return nil
}

// speedRun is a speed call's state beside its call's; only the call's
// turn touches it.
type speedRun struct {
	req      SpeedCall
	st       speedState
	plan     ring.Plan
	missed   []string // managers (by index) out of the race
	ringing  []*speedLeg
	waiting  bool // a wave's delay runs
	inWave   bool // a wave's managers are being rung
	winner   *speedLeg
	numIdx   int
	prompt   int // the confirm timer running (0: none)
	prompts  int
	done     bool
	lastCall string // the lead's number last dialed
	// parked are the legs whose park has run: FreeSWITCH reports the
	// answer before the originate's park executes, and a uuid_broadcast
	// that arrives in between plays nothing and never reports a stop.
	parked map[LegID]bool
	// toPlay is what waits for its leg's park.
	toPlay map[LegID]speedPlay
}

// speedPlay is a file to play to a leg; when it cannot be played, failed
// runs (the call then goes on as if it had been).
type speedPlay struct {
	file, what string
	failed     func()
}

// speedLeg is a manager's leg.
type speedLeg struct {
	l   *leg
	idx int
	// agent is an agent manager reserved and RINGING for this leg.
	agent AgentID
}

// speedTimer is a speed call's timer.
type speedTimer struct {
	wave   bool // the next wave's delay is over
	prompt int  // the manager had its time to press 1 (that timer's number)
}

// StartSpeedCall validates r, records the call and starts ringing the
// managers; it returns at once with the call's id. Supervisors and up (the
// widget's service acts as one).
func (e *Engine) StartSpeedCall(ctx context.Context, a Actor, r SpeedCall) (CallView, error) {
	if err := e.mayStartCall(ctx, a); err != nil {
		return CallView{}, err
	}
	if err := r.Validate(); err != nil {
		return CallView{}, err
	}
	for i, m := range r.Managers {
		if err := e.knownAgent(ctx, fmt.Sprintf("managers[%d].agent_id", i), m.Agent); err != nil {
			return CallView{}, err
		}
	}
	if err := e.canPlace(); err != nil {
		return CallView{}, err
	}
	r.RingSeconds = cmp.Or(r.RingSeconds, DefaultSpeedRing)
	r.Managers = append([]SpeedManager(nil), r.Managers...)
	r.Numbers = append([]string(nil), r.Numbers...)
	camp, wrap, lead, err := e.dialTarget(ctx, r.Campaign, 0, r.Numbers[0], r.Params)
	if err != nil {
		return CallView{}, err
	}
	cands := make([]ring.Candidate, len(r.Managers))
	for i, m := range r.Managers {
		cands[i] = ring.Candidate{ID: strconv.Itoa(i), Available: e.speedAvailable(ctx, m), Rank: m.Rank, Position: m.Position}
	}
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	plan, err := ring.Build(ring.Settings{Strategy: r.Sequence}, cands, ring.Cursor{}, e.now(), rnd)
	if err != nil {
		return CallView{}, &FieldError{Field: "sequence", Reason: err.Error()}
	}
	c := e.newCall(NewCallID(), Outbound, OriginWidget)
	c.number, c.campaign, c.lead, c.campaignWrap = r.Numbers[0], camp.ID, lead.ID, wrap
	c.callerNum, c.callerName = e.callerID(r.CallerID, "", camp, r.Numbers[0])
	c.speed = &speedRun{req: r, plan: plan, st: speedState{confirm: r.Confirm, record: r.Record},
		parked: map[LegID]bool{}, toPlay: map[LegID]speedPlay{}}
	c.st.phase = phaseAgentDialing
	if _, err := e.calls.CreateCall(ctx, Call{ID: c.id, Direction: Outbound, Origin: OriginWidget, Campaign: camp.ID, Lead: lead.ID,
		FromNumber: c.callerNum, ToNumber: r.Numbers[0], CreatedAt: c.createdAt}); err != nil {
		return CallView{}, err
	}
	e.prerender(r)
	e.start(c)
	err = c.do(ctx, func(c *call) error {
		c.emit(EvCallCreated)
		c.progress(CallProgress{Kind: "speed_call", Data: jsonData(map[string]any{
			"widget_id": r.Widget, "sequence": r.Sequence, "managers": len(r.Managers), "numbers": len(r.Numbers),
			"confirm": r.Confirm, "record": r.Record})})
		c.speedWave(c.ctx, true)
		return nil
	})
	if err != nil {
		return CallView{}, err
	}
	e.auditf(ctx, a, "call.speed", string(c.id), map[string]any{"widget_id": r.Widget, "number": r.Numbers[0]})
	return *c.view.Load(), nil
}

// speedAvailable: an external manager can always be dialed; an agent
// manager only when logged in here on a ring-mode phone and READY (busy
// managers are skipped, never double-booked: the reservation decides).
func (e *Engine) speedAvailable(ctx context.Context, m SpeedManager) bool {
	if m.Agent == 0 {
		return true
	}
	ln := e.line(m.Agent)
	if ln == nil || ln.state().mode == ModePersistent {
		return false
	}
	st, err := e.live.Agent(ctx, m.Agent)
	return err == nil && st.State == AgentReady
}

// speedWave rings the plan's next wave: at once for the first, else
// after its delay. With nobody left, the call ends.
func (c *call) speedWave(ctx context.Context, now bool) {
	s := c.speed
	if s.st.phase != spRinging || len(s.ringing) > 0 || s.waiting || s.inWave {
		return
	}
	for {
		w, ok := s.plan.Next(s.missed)
		if !ok {
			c.speedFeed(ctx, speedInput{kind: siNoManager})
			return
		}
		if w.Delay > 0 && !now {
			s.waiting = true
			c.after(w.Delay, speedTimer{wave: true})
			return
		}
		// A leg failing at once while its wave is rung is left to this
		// loop (inWave), which goes on to the next wave if none rings.
		s.inWave = true
		for _, cand := range w.Agents {
			i, _ := strconv.Atoi(cand.ID)
			if !c.ringManager(ctx, i) {
				s.missed = append(s.missed, cand.ID)
			}
		}
		s.inWave = false
		if len(s.ringing) > 0 || s.st.phase != spRinging {
			return
		}
		// Nobody of this wave could be rung (busy agents): the next one,
		// after its delay.
		now = false
	}
}

// ringManager rings manager i; false when it cannot be rung now.
func (c *call) ringManager(ctx context.Context, i int) bool {
	e, s := c.e, c.speed
	m := s.req.Managers[i]
	sl := &speedLeg{idx: i, l: &leg{id: NewLegID(), role: LegAgent, number: m.Number, state: LegDialing}}
	endpoint := e.numberEndpoint(m.Number)
	if m.Agent != 0 {
		ep, ok := c.reserveManager(ctx, m.Agent)
		if !ok {
			return false
		}
		sl.agent, sl.l.agent, sl.l.number = m.Agent, m.Agent, ""
		endpoint = e.agentEndpoint(ep)
	}
	s.ringing = append(s.ringing, sl)
	c.addLeg(sl.l, endpointLabel(endpoint))
	c.progress(CallProgress{Kind: "manager_ringing", Leg: sl.l.id, Agent: m.Agent,
		Data: jsonData(map[string]any{"manager": i, "name": m.Name, "agent_id": m.Agent})})
	c.originate(ctx, sl.l, esl.Originate{
		UUID: string(sl.l.id), Endpoint: endpoint, Timeout: time.Duration(s.req.RingSeconds) * time.Second,
		CallerIDNumber: digitsOnly(s.req.Numbers[0]), CallerIDName: "Website callback",
		Vars: c.legVars(LegAgent, m.Agent),
	})
	return true
}

// reserveManager books agent a for the call and moves it to RINGING,
// through the live store as a queue call does; false when it is not
// READY (on another call, paused, logged out) or has no ring-mode phone.
func (c *call) reserveManager(ctx context.Context, a AgentID) (AgentEndpoint, bool) {
	e := c.e
	ln := e.line(a)
	if ln == nil || ln.state().mode == ModePersistent {
		return AgentEndpoint{}, false
	}
	r, err := e.live.ReserveAgent(ctx, a, ReserveRequest{Call: c.id, Node: c.node, Lease: e.cfg.Lease, Reason: "speed call", At: e.now()})
	if err != nil {
		return AgentEndpoint{}, false
	}
	if r.Mode == ModePersistent {
		_, _ = e.live.Release(ctx, a, c.id, "speed calls ring phones only", e.now())
		e.refreshAgent(ctx, a)
		return AgentEndpoint{}, false
	}
	if _, err := e.transition(ctx, a, AgentReserved, TriggerRing, c.id, "ringing for a speed call", ""); err != nil {
		_, _ = e.live.Release(ctx, a, c.id, "not rung", e.now())
		e.refreshAgent(ctx, a)
		return AgentEndpoint{}, false
	}
	return ln.state().endpoint, true
}

// releaseManager gives back an agent manager who did not take the call.
func (c *call) releaseManager(ctx context.Context, sl *speedLeg, why string) {
	if sl.agent != 0 {
		_, _ = c.e.transition(ctx, sl.agent, AgentRinging, TriggerRelease, c.id, why, "")
		sl.agent = 0
	}
}

// speedHandle takes the call's messages while it is a speed call; false
// leaves a message to the ordinary handling.
func (c *call) speedHandle(ctx context.Context, m any) bool {
	s := c.speed
	switch m := m.(type) {
	case legEvent:
		if l := c.legByID(m.leg); l != nil && l.node == "" {
			l.node = m.node
		}
		c.speedEvent(ctx, m)
	case jobResult:
		l := c.legByID(m.leg)
		if l == nil || m.err == nil || l.state == LegGone || l.state == LegUp || errors.Is(m.err, esl.ErrResultUnknown) {
			return true
		}
		cause := "NORMAL_TEMPORARY_FAILURE"
		var oe *esl.OriginateError
		if errors.As(m.err, &oe) {
			cause = oe.Cause
		}
		c.speedLegGone(ctx, l, cause)
	case speedTimer:
		switch {
		case m.wave:
			s.waiting = false
			c.speedWave(ctx, true)
		case m.prompt != 0 && m.prompt == s.prompt:
			c.speedFeed(ctx, speedInput{kind: siConfirmTimeout})
		}
	case endCall:
		if !c.done {
			c.endedBy = m.why
			c.speedFeed(ctx, speedInput{kind: siCancel})
		}
	case switchLost:
		for _, l := range c.legs {
			if l.state != LegGone {
				l.state, l.cause, l.endedAt = LegGone, m.cause, cmp.Or(m.at, c.e.now())
				c.legEnded(ctx, l)
			}
		}
		c.lostAt = cmp.Or(m.at, c.e.now())
		c.speedFeed(ctx, speedInput{kind: siCancel})
	default:
		return false
	}
	return true
}

// speedEvent turns a switch event on one of the call's legs into inputs.
func (c *call) speedEvent(ctx context.Context, m legEvent) {
	s := c.speed
	l := c.legByID(m.leg)
	if l == nil {
		return
	}
	switch m.kind {
	case esl.EventChannelProgress, esl.EventChannelProgressMedia:
		if l.state == LegDialing {
			l.state = LegRinging
			if l == c.leadLeg {
				c.progress(CallProgress{Kind: "ringing", State: CallRinging, Leg: l.id})
				c.emit(EvCallRinging)
			}
		}
	case esl.EventChannelAnswer:
		if l.state == LegGone || l.state == LegUp {
			return
		}
		l.state, l.answeredAt, l.swAnswered = LegUp, c.e.now(), m.ev.at
		if l == c.leadLeg {
			c.answeredAt = l.answeredAt
			c.st.leadAnswered = true
			c.progress(CallProgress{Kind: "lead_answered", State: CallAnswered, Leg: l.id,
				Data: jsonData(map[string]any{"number": l.number})})
			c.emit(EvCallAnswered)
			c.speedFeed(ctx, speedInput{kind: siLeadAnswered})
			return
		}
		c.managerAnswered(ctx, l)
	case esl.EventChannelPark:
		s.parked[l.id] = true
		if p, ok := s.toPlay[l.id]; ok {
			delete(s.toPlay, l.id)
			c.speedPlayNow(ctx, l, p)
		}
	case esl.EventDTMF:
		if s.winner != nil && l == s.winner.l && (s.st.phase == spConfirming || s.st.phase == spAnnouncing) {
			c.progress(CallProgress{Kind: "manager_pressed", Leg: l.id, Data: jsonData(map[string]any{"digit": m.ev.digit})})
			c.speedFeed(ctx, speedInput{kind: siDigit, digit: m.ev.digit})
		}
	case esl.EventPlaybackStop:
		switch {
		case s.winner != nil && l == s.winner.l && s.st.phase == spAnnouncing:
			c.speedFeed(ctx, speedInput{kind: siAnnounced})
		case l == c.leadLeg && s.st.phase == spWarning:
			c.speedFeed(ctx, speedInput{kind: siWarned})
		}
	case esl.EventChannelBridge:
		c.speedFeed(ctx, speedInput{kind: siBridged})
	case esl.EventRecordStart, esl.EventRecordStop:
		c.recordingEvent(l, m.kind == esl.EventRecordStart)
	case esl.EventChannelHangup:
		if l.state == LegGone {
			return
		}
		l.endedAt, l.swEnded = c.e.now(), m.ev.at
		if l.swAnswered.IsZero() {
			l.swAnswered = m.ev.answeredAt
		}
		c.speedLegGone(ctx, l, m.ev.hangupCause)
	}
}

// managerAnswered: the first manager to answer wins, the others stop
// ringing; a manager answering after that is hung up.
func (c *call) managerAnswered(ctx context.Context, l *leg) {
	s := c.speed
	var sl *speedLeg
	for _, x := range s.ringing {
		if x.l == l {
			sl = x
		}
	}
	if sl == nil || s.st.phase != spRinging {
		_ = c.e.sw.Kill(ctx, string(l.id), loseRace)
		return
	}
	s.winner = sl
	for _, x := range s.ringing {
		if x == sl {
			continue
		}
		x.l.retired = true
		if x.l.state != LegGone {
			_ = c.e.sw.Kill(ctx, string(x.l.id), loseRace)
		}
		// Not missed: should the winner decline, a ring-all rings the
		// others again.
		c.releaseManager(ctx, x, "another manager answered")
	}
	s.ringing = s.ringing[:0]
	c.agentLeg = l
	if sl.agent != 0 {
		c.agent, c.agentState = sl.agent, AgentRinging
	}
	c.progress(CallProgress{Kind: "manager_answered", Leg: l.id, Agent: sl.agent,
		Data: jsonData(map[string]any{"manager": sl.idx, "name": s.req.Managers[sl.idx].Name})})
	c.speedFeed(ctx, speedInput{kind: siManagerAnswered})
}

// speedLegGone: a leg hung up, or its originate failed.
func (c *call) speedLegGone(ctx context.Context, l *leg, cause string) {
	s := c.speed
	l.state, l.cause = LegGone, cause
	if l.endedAt.IsZero() {
		l.endedAt = c.e.now()
	}
	c.legEnded(ctx, l)
	if l == c.leadLeg {
		c.leadCause = cause
		if s.st.phase == spLeadDialing {
			c.speedFeed(ctx, speedInput{kind: siLeadFailed, cause: cause, more: s.numIdx+1 < len(s.req.Numbers)})
		} else {
			c.speedFeed(ctx, speedInput{kind: siLeadGone})
		}
		return
	}
	if s.winner != nil && l == s.winner.l {
		c.speedFeed(ctx, speedInput{kind: siManagerGone})
		return
	}
	for i, x := range s.ringing {
		if x.l != l {
			continue
		}
		// This manager did not answer (or could not be reached).
		s.ringing = append(s.ringing[:i], s.ringing[i+1:]...)
		s.missed = append(s.missed, strconv.Itoa(x.idx))
		c.releaseManager(ctx, x, "did not answer a speed call")
		c.progress(CallProgress{Kind: "manager_no_answer", Leg: l.id, Agent: s.req.Managers[x.idx].Agent,
			Data: jsonData(map[string]any{"manager": x.idx, "cause": cause})})
		c.speedWave(ctx, false)
		return
	}
}

// speedFeed runs speedStep and carries out its effects.
func (c *call) speedFeed(ctx context.Context, in speedInput) {
	s := c.speed
	next, fx := speedStep(s.st, in)
	if next.phase != s.st.phase {
		c.log.Debug("speed call phase", "from", s.st.phase, "to", next.phase, "input", in.kind)
	}
	s.st = next
	c.st.phase = next.phase.callPhase()
	for _, f := range fx {
		c.speedApply(ctx, f)
	}
}

func (c *call) speedApply(ctx context.Context, f speedEffect) {
	e, s := c.e, c.speed
	switch f {
	case sfAnnounce:
		if s.req.Announcement == "" && !s.req.Confirm {
			c.speedFeed(ctx, speedInput{kind: siAnnounced})
			return
		}
		c.speedSay(ctx, s.winner.l, s.req.spoken(), "announcement", siAnnounced)
	case sfStopSaying:
		delete(s.toPlay, s.winner.l.id)
		if err := e.sw.HoldMusic(ctx, string(s.winner.l.id), false); err != nil { // uuid_break
			c.log.Warn("announcement not cut short", "err", err)
		}
	case sfPrompt:
		s.prompts++
		s.prompt = s.prompts
		c.after(speedConfirmWait, speedTimer{prompt: s.prompt})
		c.progress(CallProgress{Kind: "manager_prompted", Leg: s.winner.l.id, Data: jsonData(map[string]any{"manager": s.winner.idx})})
	case sfConfirmed:
		s.prompt = 0
		w := s.winner
		c.progress(CallProgress{Kind: "manager_confirmed", Leg: w.l.id, Agent: w.agent,
			Data: jsonData(map[string]any{"manager": w.idx, "pressed": s.req.Confirm})})
		if w.agent != 0 {
			c.agentTo(ctx, TriggerConnect, "speed call")
			w.agent = 0 // the call's agent now: it wraps up at the end
		}
	case sfDialLead:
		c.dialSpeedLead(ctx)
	case sfDialNext:
		s.numIdx++
		c.dialSpeedLead(ctx)
	case sfWarn:
		c.speedSay(ctx, c.leadLeg, s.req.RecordWarning, "record_warning", siWarned)
	case sfBridge:
		c.speedBridge(ctx)
	case sfConnected:
		c.connectedAt = e.now()
		c.st.connected = true
		c.progress(CallProgress{Kind: "connected", State: CallBridged, Agent: c.agent,
			Data: jsonData(map[string]any{"manager": s.winner.idx, "number": c.number})})
		c.emit(EvCallConnected)
	case sfDropManager:
		w := s.winner
		s.winner, s.prompt = nil, 0
		if w == nil {
			return
		}
		w.l.retired = true
		if w.l.state != LegGone {
			_ = e.sw.Kill(ctx, string(w.l.id), "NORMAL_CLEARING")
		}
		c.releaseManager(ctx, w, "declined a speed call")
		if c.agent == w.l.agent {
			c.agent, c.agentState = 0, 0
		}
		c.agentLeg = nil
		s.missed = append(s.missed, strconv.Itoa(w.idx))
		c.progress(CallProgress{Kind: "manager_declined", Leg: w.l.id, Data: jsonData(map[string]any{"manager": w.idx})})
	case sfNextManager:
		c.speedWave(ctx, false)
	case sfKillManager:
		if w := s.winner; w != nil && w.l.state != LegGone {
			_ = e.sw.Kill(ctx, string(w.l.id), "NORMAL_CLEARING")
		}
	case sfKillLead:
		if l := c.leadLeg; l != nil && l.state != LegGone {
			_ = e.sw.Kill(ctx, string(l.id), "NORMAL_CLEARING")
		}
	case sfKillAll:
		for _, l := range c.legs {
			if l.state != LegGone && !l.retired {
				_ = e.sw.Kill(ctx, string(l.id), cmp.Or(c.leadCause, "NORMAL_CLEARING"))
			}
		}
		for _, x := range s.ringing {
			c.releaseManager(ctx, x, "speed call cancelled")
		}
		s.ringing = nil
	case sfFinish:
		c.speedFinish(ctx)
	}
}

// speedSay plays text (rendered by the Announcer, else a beep) to l; when
// it cannot be played the call goes on as if it had been (input then).
func (c *call) speedSay(ctx context.Context, l *leg, text, what string, then speedInputKind) {
	e := c.e
	file := speedBeep
	if a := e.cfg.Announcer; a != nil && text != "" {
		f, err := a.Render(ctx, text)
		if err == nil && esl.ValidateSound("file", f) == nil {
			file = f
		} else {
			c.log.Warn("speed call text not rendered: a beep instead", "what", what, "err", err)
		}
	}
	c.speedPlay(ctx, l, speedPlay{file: file, what: what, failed: func() { c.speedFeed(ctx, speedInput{kind: then}) }})
}

// speedPlay plays a file to l once l is parked.
func (c *call) speedPlay(ctx context.Context, l *leg, p speedPlay) {
	if !c.speed.parked[l.id] {
		c.speed.toPlay[l.id] = p
		return
	}
	c.speedPlayNow(ctx, l, p)
}

func (c *call) speedPlayNow(ctx context.Context, l *leg, p speedPlay) {
	if l.state == LegGone {
		return
	}
	if err := c.e.sw.Broadcast(ctx, string(l.id), p.file, esl.BroadcastALeg); err != nil {
		c.log.Warn("speed call sound not played", "what", p.what, "err", err)
		if p.failed != nil {
			p.failed()
		}
		return
	}
	if p.what != "" {
		c.progress(CallProgress{Kind: p.what, Leg: l.id})
	}
}

// dialSpeedLead dials the lead's current number on the manager's node,
// with the call's caller ID. The lead is its own leg, not dialed by the
// manager's (a bridge application would join them the moment the lead
// answers, before the recording warning): the manager hears a ringback
// tone meanwhile.
func (c *call) dialSpeedLead(ctx context.Context) {
	e, s := c.e, c.speed
	number := s.req.Numbers[s.numIdx]
	s.lastCall = number
	c.number = number
	if w := s.winner; w != nil && s.numIdx == 0 {
		// The manager hears ringing until the bridge breaks it off.
		c.speedPlay(ctx, w.l, speedPlay{file: speedRingback})
	}
	l := &leg{id: NewLegID(), role: LegLead, number: number, state: LegDialing}
	c.leadLeg = l
	endpoint := e.numberEndpoint(number)
	c.addLeg(l, endpointLabel(endpoint))
	c.progress(CallProgress{Kind: "lead_dialing", Leg: l.id, Data: jsonData(map[string]any{"number": number, "attempt": s.numIdx + 1})})
	c.originate(ctx, l, esl.Originate{
		UUID: string(l.id), Endpoint: endpoint, Timeout: e.cfg.LeadTimeout, IgnoreEarlyMedia: true,
		CallerIDNumber: c.callerNum, CallerIDName: c.callerName, Vars: c.legVars(LegLead, 0),
	})
}

// speedBridge starts the recording (after the warning) and bridges the
// lead to the manager.
func (c *call) speedBridge(ctx context.Context) {
	e, s := c.e, c.speed
	if s.req.Record {
		path := e.recordingPath(c.id, e.now())
		if err := e.sw.RecordStart(ctx, string(c.leadLeg.id), path, 0); err != nil {
			c.log.Warn("speed call not recorded", "err", err)
		} else {
			c.recPath = path
		}
	}
	delete(s.toPlay, s.winner.l.id)
	// uuid_break: the manager's ringback stops.
	if err := e.sw.HoldMusic(ctx, string(s.winner.l.id), false); err != nil {
		c.log.Warn("manager's ringback not stopped", "err", err)
	}
	if err := e.sw.Bridge(ctx, string(c.leadLeg.id), string(s.winner.l.id)); err != nil {
		c.log.Warn("speed call bridge failed", "err", err)
		c.speedFeed(ctx, speedInput{kind: siLeadGone})
	}
}

// speedFinish closes the record (finish), lets go of the managers still
// held and tells Done, once.
func (c *call) speedFinish(ctx context.Context) {
	s := c.speed
	for _, x := range s.ringing {
		c.releaseManager(ctx, x, "speed call ended")
	}
	s.ringing = nil
	if c.agent != 0 {
		switch c.agentState {
		case AgentInCall:
			c.e.wrapUp(ctx, c.agent, c, "speed call ended")
			c.agentState = AgentDispo
		case AgentRinging:
			_, _ = c.e.transition(ctx, c.agent, AgentRinging, TriggerRelease, c.id, "speed call ended", "")
			c.agent, c.agentState = 0, 0
		}
	}
	if c.leadLeg == nil && c.leadCause == "" {
		// The lead was never dialed: the call ended with its managers.
		c.leadCause = "NO_ANSWER"
		if s.st.result == SpeedCancelled {
			c.leadCause = "ORIGINATOR_CANCEL"
		}
	}
	out := SpeedOutcome{Call: c.id, Manager: -1, Number: s.lastCall, Result: s.st.result}
	if s.winner != nil {
		out.Manager = s.winner.idx
	}
	if c.st.connected {
		// From the bridge (the warning is not talk) to the first hangup.
		end := c.e.now()
		for _, l := range []*leg{c.leadLeg, s.winner.l} {
			if !l.endedAt.IsZero() && l.endedAt.Before(end) {
				end = l.endedAt
			}
		}
		out.TalkSeconds = max(0, int(end.Sub(c.connectedAt)/time.Second))
		out.Recording = c.recPath
	}
	// Before the record is closed, so a closed record has its whole timeline.
	c.progress(CallProgress{Kind: "speed_outcome", Data: jsonData(map[string]any{
		"result": out.Result, "manager": out.Manager, "number": out.Number, "talk_seconds": out.TalkSeconds})})
	c.finish(ctx)
	if s.done {
		return
	}
	s.done = true
	if done := s.req.Done; done != nil {
		done(out)
	}
}
