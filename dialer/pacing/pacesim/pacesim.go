// Package pacesim runs a simulated outbound campaign on a virtual clock,
// to measure a dialing policy: the predictive pacer of package pacing, or
// the progressive baseline of one line per READY agent. An 8-hour day of
// 100 agents takes about 1.4 s of CPU under the pacer.
//
// The simulated population: every lead of the list has, from the
// campaign's seed, a fixed draw that makes it a live answer, an answering
// machine, a fast failure (busy, unreachable) or a no-answer, and fixed
// draws for its ring, talk and wrap-up times; so the pacer and the
// baseline dial the very same list. Live answers ring a lognormal time
// (median 8 s), machines ring (median 6 s) and take 3 s to detect, fast
// failures take about 3 s, no-answers ring until the 25 s timeout. Talk
// and wrap-up are lognormal. An answered call waits up to 2 s for a free
// agent and is otherwise abandoned (the message is played). Agents are
// staffed the whole run, with no breaks, and take the oldest waiting call
// the moment they finish wrap-up.
package pacesim

import (
	"container/heap"
	"fmt"
	"math"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
)

// Campaign is a simulated campaign and its population.
type Campaign struct {
	Seed   uint64
	Agents int
	// Shares of attempts: live answers, machines and fast failures; the
	// rest ring unanswered until NoAnswer.
	Live, Machine, Failed float64
	TalkMedian            time.Duration
	TalkSigma             float64 // of the log of talk time
	WrapMedian            time.Duration
	WrapSigma             float64
	Duration              time.Duration
	// StepAt, if not zero, changes the live-answer share to StepLive then
	// (taken from the no-answers).
	StepAt   time.Duration
	StepLive float64
}

// Fixed parts of the population.
const (
	ringMedian    = 8.0 // seconds before a live answer
	ringSigma     = 0.5
	machineRing   = 6.0
	machineDetect = 3.0
	failedMedian  = 3.0
	noAnswer      = 25.0 // the dialer's ring timeout
	wait          = 2.0  // how long an answered call waits for an agent
	// recentSize is how many of the last calls dialed the answer rate is
	// estimated from, latestWindow the seconds of the short window that
	// sees a rise first.
	recentSize   = 300
	latestWindow = 30
	recentSpan   = 60
)

// Validate names the first field out of range.
func (c Campaign) Validate() error {
	switch {
	case c.Agents < 1 || c.Agents > 10000:
		return fmt.Errorf("agents %d: must be between 1 and 10000", c.Agents)
	case !(c.Live > 0 && c.Live < 1):
		return fmt.Errorf("live %v: must be between 0 and 1", c.Live)
	case !(c.Machine >= 0 && c.Failed >= 0 && c.Live+c.Machine+c.Failed <= 1):
		return fmt.Errorf("machine %v, failed %v: shares must be non-negative and sum with live to at most 1", c.Machine, c.Failed)
	case c.StepAt < 0 || c.StepAt > 0 && !(c.StepLive > 0 && c.StepLive+c.Machine+c.Failed <= 1):
		return fmt.Errorf("step-live %v: must be between 0 and 1 less the machine and failed shares", c.StepLive)
	case c.TalkMedian <= 0 || c.WrapMedian < 0:
		return fmt.Errorf("talk median %v, wrap median %v: talk must be positive, wrap-up not negative", c.TalkMedian, c.WrapMedian)
	case !(c.TalkSigma >= 0 && c.TalkSigma <= 3) || !(c.WrapSigma >= 0 && c.WrapSigma <= 3):
		return fmt.Errorf("talk sigma %v, wrap sigma %v: must be between 0 and 3", c.TalkSigma, c.WrapSigma)
	case c.Duration < time.Minute || c.Duration > 31*24*time.Hour:
		return fmt.Errorf("duration %v: must be between 1 minute and 31 days", c.Duration)
	}
	return nil
}

// MaxTalkPerAgentHour is the talk minutes per agent-hour of agents never
// idle: talk over talk plus wrap-up, by their means. No dialer does
// better; a campaign of short calls and long wrap-ups cannot reach 50.
func (c Campaign) MaxTalkPerAgentHour() float64 {
	talk := c.TalkMedian.Seconds() * math.Exp(c.TalkSigma*c.TalkSigma/2)
	wrap := c.WrapMedian.Seconds() * math.Exp(c.WrapSigma*c.WrapSigma/2)
	return 60 * talk / (talk + wrap)
}

// Policy is how the simulated dialer decides.
type Policy int

const (
	// Pacer asks pacing.Decide.
	Pacer Policy = iota
	// Progressive dials one line per READY agent.
	Progressive
)

func (p Policy) String() string {
	if p == Pacer {
		return "pacer"
	}
	return "progressive"
}

// Minute is one minute of the run.
type Minute struct {
	Minute int
	// Level is lines in flight per agent, averaged over the minute.
	Level float64
	// Dialed, Resolved (attempts that ended ringing), Live answers,
	// Machines and Abandoned in the minute.
	Dialed, Resolved, Live, Machines, Abandoned int
	AnswerRate                                  float64 // Live / Resolved
	// Abandon rates (abandoned / live answers) over the last minute, the
	// last 24 hours (since the start in the first day) and the whole run.
	Abandon1m, Abandon24h, AbandonAll float64
	// TalkPerAgentHour is talk minutes per agent-hour in the minute.
	TalkPerAgentHour float64
	Idle             float64 // READY agents, averaged over the minute
	State            pacing.State
}

// Result is a run.
type Result struct {
	Campaign Campaign
	Policy   Policy
	Minutes  []Minute
	// Totals over the run.
	Dialed, Live, Abandoned int
	TalkPerAgentHour        float64
	// Worst24h is the highest rolling 24 h abandon rate at any second
	// (windows from the start while the run is younger than a day) once
	// the window holds MinWindowAnswers live answers; Worst1h likewise
	// over an hour.
	Worst24h, Worst1h float64
	// answered and abandoned per second, cumulative: for windows after
	// the run.
	cumLive, cumAb []int32
}

// MinWindowAnswers: a window with fewer live answers is not rated (one
// abandon in the first ten answers of the day is not a 10% day).
const MinWindowAnswers = 100

// Rate1mAt is the abandon rate over the minute before second s.
func (r *Result) Rate1mAt(s int) (rate float64, answered int) {
	return r.window(s, 60)
}

func (r *Result) window(s, width int) (float64, int) {
	s = min(max(s, 0), len(r.cumLive)-1)
	from := max(s-width, 0)
	ans := int(r.cumLive[s] - r.cumLive[from])
	ab := int(r.cumAb[s] - r.cumAb[from])
	if ans == 0 {
		return 0, 0
	}
	return float64(ab) / float64(ans), ans
}

// Recovery measures a step at second at: the seconds until the 1-minute
// abandon rate is at or under limit and stays there for a whole minute
// (0: it never went over), and the highest 1-minute rate in the five
// minutes after the step. A single abandon among 33 live answers is over
// 3%, so at small scale a minute over the limit is noise as much as a
// reaction; the steady state before the step is the yardstick.
func (r *Result) Recovery(at int, limit float64) (seconds int, peak float64) {
	end := len(r.cumLive) - 1
	for s := at; s <= min(at+300, end); s++ {
		rate, _ := r.Rate1mAt(s)
		peak = max(peak, rate)
	}
	calm := 0
	for s := at; s <= end; s++ {
		if rate, _ := r.Rate1mAt(s); rate > limit {
			calm = 0
			continue
		}
		if calm++; calm > 60 {
			return s - 60 - at, peak
		}
	}
	return end - at, peak
}

// OverShare is the share of the seconds in [from, to) whose 1-minute
// abandon rate is over limit.
func (r *Result) OverShare(from, to int, limit float64) float64 {
	to = min(to, len(r.cumLive))
	if to <= from {
		return 0
	}
	n := 0
	for s := from; s < to; s++ {
		if rate, _ := r.Rate1mAt(s); rate > limit {
			n++
		}
	}
	return float64(n) / float64(to-from)
}

type agentState uint8

const (
	ready agentState = iota
	talking
	wrapping
)

type agent struct {
	state agentState
	since float64
}

type call struct {
	lead    uint64
	outcome outcome // fixed when dialed: a step changes only later calls
	dialed  float64
	ringIdx int // index in sim.ringing, -1 once answered or ended
}

type eventKind uint8

const (
	evTick eventKind = iota
	evResolve
	evAbandon
	evTalkEnd
	evWrapEnd
)

type event struct {
	t    float64
	seq  uint64
	kind eventKind
	id   int
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type outcome uint8

const (
	live outcome = iota
	machine
	failed
	unanswered
)

type sim struct {
	c      Campaign
	policy Policy
	cfg    pacing.Config
	now    float64
	seq    uint64
	q      queue

	agents   []agent
	nReady   int
	calls    []call
	ringing  []int // call ids
	waiting  []int // answered live calls waiting for an agent, oldest first
	waitHead int
	talkOf   []int // agent -> the call it talks on
	nextLead uint64

	latestFrom int // the first call dialed in the last latestWindow seconds
	talk       pacing.LogStats
	wrap       pacing.LogStats
	ring       pacing.LogStats

	cumLive, cumAb []int32 // per second, cumulative
	live, ab       int32

	snap  pacing.Snapshot
	state pacing.State
	cur   Minute
	res   Result
	// per-minute accumulators
	levelSum, idleSum, talkSec float64
	ticks                      int
}

// Run simulates the campaign under the policy. cfg is the pacer's
// settings (unused by the progressive baseline).
func Run(c Campaign, policy Policy, cfg pacing.Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	secs := int(c.Duration / time.Second)
	s := &sim{c: c, policy: policy, cfg: cfg,
		agents: make([]agent, c.Agents), nReady: c.Agents, talkOf: make([]int, c.Agents),
		cumLive: make([]int32, secs+1), cumAb: make([]int32, secs+1), state: pacing.Warming}
	s.res = Result{Campaign: c, Policy: policy, cumLive: s.cumLive, cumAb: s.cumAb}
	s.at(1, evTick, 0)
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(event)
		if e.t > float64(secs) {
			break
		}
		s.now = e.t
		switch e.kind {
		case evTick:
			s.tick(int(math.Round(e.t)))
			if int(math.Round(e.t)) < secs {
				s.at(e.t+1, evTick, 0)
			}
		case evResolve:
			s.resolve(e.id)
		case evAbandon:
			s.abandon(e.id)
		case evTalkEnd:
			s.talkEnd(e.id)
		case evWrapEnd:
			s.wrapEnd(e.id)
		}
	}
	s.totals()
	return &s.res, nil
}

func (s *sim) at(t float64, k eventKind, id int) {
	s.seq++
	heap.Push(&s.q, event{t: t, seq: s.seq, kind: k, id: id})
}

// draw is the k-th uniform draw in (0,1) of a lead, fixed by the seed.
func (s *sim) draw(lead uint64, k uint64) float64 {
	x := s.c.Seed*0x9E3779B97F4A7C15 ^ lead*0xBF58476D1CE4E5B9 ^ k*0x94D049BB133111EB
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return (float64(x>>11) + 0.5) / (1 << 53)
}

// lognormal is a lognormal draw from uniform u.
func lognormal(median, sigma, u float64) float64 {
	return median * math.Exp(sigma*math.Sqrt2*math.Erfinv(2*u-1))
}

func (s *sim) liveShare() float64 {
	if s.c.StepAt > 0 && s.now >= s.c.StepAt.Seconds() {
		return s.c.StepLive
	}
	return s.c.Live
}

func (s *sim) outcomeOf(lead uint64) outcome {
	u := s.draw(lead, 0)
	l := s.liveShare()
	switch {
	case u < l:
		return live
	case u < l+s.c.Machine:
		return machine
	case u < l+s.c.Machine+s.c.Failed:
		return failed
	}
	return unanswered
}

func (s *sim) dial() {
	lead := s.nextLead
	s.nextLead++
	id := len(s.calls)
	o := s.outcomeOf(lead)
	s.calls = append(s.calls, call{lead: lead, outcome: o, dialed: s.now, ringIdx: len(s.ringing)})
	s.ringing = append(s.ringing, id)
	s.cur.Dialed++
	s.res.Dialed++
	var after float64
	switch o {
	case live:
		after = min(max(lognormal(ringMedian, ringSigma, s.draw(lead, 1)), 1), noAnswer-0.5)
	case machine:
		after = min(lognormal(machineRing, ringSigma, s.draw(lead, 1)), noAnswer-machineDetect) + machineDetect
	case failed:
		after = lognormal(failedMedian, 0.3, s.draw(lead, 1))
	default:
		after = noAnswer
	}
	s.at(s.now+after, evResolve, id)
}

func (s *sim) endRinging(id int) {
	c := &s.calls[id]
	i := c.ringIdx
	last := s.ringing[len(s.ringing)-1]
	s.ringing[i] = last
	s.calls[last].ringIdx = i
	s.ringing = s.ringing[:len(s.ringing)-1]
	c.ringIdx = -1
}

// outcomes counts calls[from:] and their live answers so far.
func (s *sim) outcomes(from int) pacing.Outcomes {
	o := pacing.Outcomes{Attempts: len(s.calls) - from}
	for i := from; i < len(s.calls); i++ {
		if c := &s.calls[i]; c.ringIdx < 0 && c.outcome == live {
			o.Live++
		}
	}
	return o
}

func (s *sim) resolve(id int) {
	s.endRinging(id)
	c := &s.calls[id]
	s.cur.Resolved++
	switch c.outcome {
	case live:
		s.cur.Live++
		s.res.Live++
		s.live++
		s.ring.Add(time.Duration((s.now - c.dialed) * float64(time.Second)))
		s.waiting = append(s.waiting, id)
		s.at(s.now+wait, evAbandon, id)
		s.connect()
	case machine:
		s.cur.Machines++
	}
}

// connect gives waiting calls to READY agents, oldest first.
func (s *sim) connect() {
	for s.nReady > 0 && s.waitHead < len(s.waiting) {
		id := s.waiting[s.waitHead]
		s.waitHead++
		if id < 0 {
			continue
		}
		for a := range s.agents {
			if s.agents[a].state == ready {
				s.agents[a] = agent{state: talking, since: s.now}
				s.nReady--
				s.talkOf[a] = id
				lead := s.calls[id].lead
				talk := lognormal(s.c.TalkMedian.Seconds(), s.c.TalkSigma, s.draw(lead, 2))
				s.calls[id].ringIdx = -2 // connected
				s.at(s.now+talk, evTalkEnd, a)
				break
			}
		}
	}
	if s.waitHead > 1024 && s.waitHead*2 > len(s.waiting) {
		s.waiting = append(s.waiting[:0], s.waiting[s.waitHead:]...)
		s.waitHead = 0
	}
}

func (s *sim) abandon(id int) {
	if s.calls[id].ringIdx == -2 {
		return
	}
	for i := s.waitHead; i < len(s.waiting); i++ {
		if s.waiting[i] == id {
			s.waiting[i] = -1
			break
		}
	}
	s.calls[id].ringIdx = -3
	s.cur.Abandoned++
	s.res.Abandoned++
	s.ab++
}

func (s *sim) talkEnd(a int) {
	ag := &s.agents[a]
	s.talk.Add(time.Duration((s.now - ag.since) * float64(time.Second)))
	lead := s.calls[s.talkOf[a]].lead
	*ag = agent{state: wrapping, since: s.now}
	var w float64
	if s.c.WrapMedian > 0 {
		w = lognormal(s.c.WrapMedian.Seconds(), s.c.WrapSigma, s.draw(lead, 3))
	}
	s.at(s.now+w, evWrapEnd, a)
}

func (s *sim) wrapEnd(a int) {
	ag := &s.agents[a]
	s.wrap.Add(time.Duration((s.now - ag.since) * float64(time.Second)))
	*ag = agent{state: ready, since: s.now}
	s.nReady++
	s.connect()
}

// pace dials what the policy asks for, once a second for both policies
// (the pacer's promise is a decision at least every second).
func (s *sim) pace() {
	var n int
	if s.policy == Progressive {
		n = max(s.nReady-len(s.ringing), 0)
	} else {
		d := pacing.Decide(s.cfg, s.snapshot())
		n, s.state = d.Dial, d.State
	}
	for range n {
		s.dial()
	}
}

func (s *sim) snapshot() pacing.Snapshot {
	sn := &s.snap
	sn.Ready = s.nReady
	sn.Waiting = 0
	for _, id := range s.waiting[s.waitHead:] {
		if id >= 0 {
			sn.Waiting++
		}
	}
	sn.Talking, sn.WrapUp, sn.Ringing = sn.Talking[:0], sn.WrapUp[:0], sn.Ringing[:0]
	for _, a := range s.agents {
		el := time.Duration((s.now - a.since) * float64(time.Second))
		switch a.state {
		case talking:
			sn.Talking = append(sn.Talking, el)
		case wrapping:
			sn.WrapUp = append(sn.WrapUp, el)
		}
	}
	for _, id := range s.ringing {
		sn.Ringing = append(sn.Ringing, time.Duration((s.now-s.calls[id].dialed)*float64(time.Second)))
	}
	// The last recentSize calls dialed, or those of the last recentSpan
	// seconds when more: with more lines ringing than recentSize, the
	// last recentSize would be almost all ringing. The window is chosen by
	// dial time only, never by outcome: a window of the last calls ended
	// would be the fast failures of a burst.
	from := max(len(s.calls)-recentSize, 0)
	for from > 0 && s.calls[from-1].dialed >= s.now-recentSpan {
		from--
	}
	sn.Recent = s.outcomes(from)
	sn.Dialed = sn.Dialed[:0]
	for i := len(s.calls) - 1; i >= 0 && s.calls[i].dialed >= s.now-recentSpan; i-- {
		sn.Dialed = append(sn.Dialed, time.Duration((s.now-s.calls[i].dialed)*float64(time.Second)))
	}
	for s.latestFrom < len(s.calls) && s.calls[s.latestFrom].dialed < s.now-latestWindow {
		s.latestFrom++
	}
	sn.Latest = s.outcomes(s.latestFrom)
	sn.Talk, sn.Wrap, sn.Ring = s.talk, s.wrap, s.ring
	sec := int(s.now)
	w := func(width int) pacing.Window {
		from := max(sec-width, 0)
		return pacing.Window{
			Answered:  int(s.live - s.cumLive[from]),
			Abandoned: int(s.ab - s.cumAb[from]),
		}
	}
	sn.Minute, sn.Hour, sn.Day, sn.Month = w(60), w(3600), w(86400), w(30*86400)
	return *sn
}

func (s *sim) tick(sec int) {
	// The counters up to this second.
	s.cumLive[sec], s.cumAb[sec] = s.live, s.ab
	s.pace()
	s.levelSum += float64(len(s.ringing)) / float64(s.c.Agents)
	s.idleSum += float64(s.nReady)
	for _, a := range s.agents {
		if a.state == talking {
			s.talkSec++
		}
	}
	s.ticks++
	if sec%60 == 0 {
		s.closeMinute(sec)
	}
}

func (s *sim) closeMinute(sec int) {
	m := &s.cur
	m.Minute = sec/60 - 1
	t := float64(s.ticks)
	m.Level, m.Idle = s.levelSum/t, s.idleSum/t
	m.TalkPerAgentHour = s.talkSec / 60 / float64(s.c.Agents) / (t / 3600)
	if m.Resolved > 0 {
		m.AnswerRate = float64(m.Live) / float64(m.Resolved)
	}
	m.Abandon1m, _ = s.res.window(sec, 60)
	m.Abandon24h, _ = s.res.window(sec, 86400)
	m.AbandonAll, _ = s.res.window(sec, sec)
	m.State = s.state
	if s.policy == Progressive {
		m.State = ""
	}
	s.res.Minutes = append(s.res.Minutes, *m)
	s.cur = Minute{}
	s.levelSum, s.idleSum, s.talkSec, s.ticks = 0, 0, 0, 0
}

func (s *sim) totals() {
	r := &s.res
	var talk float64
	for _, m := range r.Minutes {
		talk += m.TalkPerAgentHour
	}
	if len(r.Minutes) > 0 {
		r.TalkPerAgentHour = talk / float64(len(r.Minutes))
	}
	for sec := 1; sec < len(r.cumLive); sec++ {
		if rate, n := r.window(sec, 86400); n >= MinWindowAnswers {
			r.Worst24h = max(r.Worst24h, rate)
		}
		if rate, n := r.window(sec, 3600); n >= MinWindowAnswers {
			r.Worst1h = max(r.Worst1h, rate)
		}
	}
}

// Sweep is n campaigns drawn from seed across the ranges the targets
// name: 20-200 agents, 15-35% live answers, 5-20% machines, 10% fast
// failures, talk medians of 1-3 minutes (σ 0.6-0.9, so means of 1.2-4.5
// minutes), wrap-up medians of 5-30 s (σ 0.5).
func Sweep(n int, seed uint64, d time.Duration) []Campaign {
	out := make([]Campaign, n)
	for i := range out {
		s := &sim{c: Campaign{Seed: seed}}
		u := func(k uint64) float64 { return s.draw(uint64(i), 100+k) }
		out[i] = Campaign{
			Seed:       seed*1000003 + uint64(i),
			Agents:     20 + int(u(0)*181),
			Live:       0.15 + 0.20*u(1),
			Machine:    0.05 + 0.15*u(2),
			Failed:     0.10,
			TalkMedian: time.Duration((60 + 120*u(3)) * float64(time.Second)).Round(time.Second),
			TalkSigma:  0.6 + 0.3*u(4),
			WrapMedian: time.Duration((5 + 25*u(5)) * float64(time.Second)).Round(time.Second),
			WrapSigma:  0.5,
			Duration:   d,
		}
	}
	return out
}
