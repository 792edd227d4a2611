package pacing

import (
	"fmt"
	"math"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Mode is how a campaign spends its abandon allowance.
type Mode string

const (
	// Strict never plans above 60% of the ceiling and stops near it.
	Strict Mode = "strict"
	// Tapered plans at the ceiling and lowers its aim as the 24 h rate
	// nears it.
	Tapered Mode = "tapered"
	// Average aims the 30-day average at the ceiling.
	Average Mode = "average"
)

// State is what the pacer is doing.
type State string

const (
	// Warming: progressive until the estimates can be trusted.
	Warming State = "warming"
	// Predictive: the model sets the dial level.
	Predictive State = "predictive"
	// Fallback: progressive because the ceiling is at risk or the team
	// is below the minimum.
	Fallback State = "fallback"
)

// Config is a campaign's pacing settings. Zero fields take the defaults.
type Config struct {
	Mode    Mode
	Ceiling float64 // the abandon rate never to exceed (0.03)
	// LinesPerAgent is lines per READY agent when progressive (1).
	LinesPerAgent int
	// MaxLinesPerAgent caps the lines in flight per staffed agent (3).
	MaxLinesPerAgent float64
	// MaxLines caps the lines in flight (trunks); 0 is no cap beyond
	// MaxLinesPerAgent.
	MaxLines int
	// MinAgents: below this many staffed agents the pacer is progressive (5).
	MinAgents int
	// Wait is how long an answered call may wait for an agent (2 s).
	Wait time.Duration
	// MinAttempts and MinAnswers: the history needed before predictive
	// (200 attempts, 30 live answers, 30 wrap-up and ring durations, and
	// the larger of 30 and three per staffed agent ended talks).
	MinAttempts, MinAnswers int
}

// Defaults of Config.
const (
	DefaultCeiling          = 0.03
	DefaultMaxLinesPerAgent = 3
	DefaultMinAgents        = 5
	DefaultWait             = 2 * time.Second
	DefaultMinAttempts      = 200
	DefaultMinAnswers       = 30
)

// maxLinesPerAgent bounds MaxLinesPerAgent: more lines than this per
// agent is a typing error, not a campaign.
const maxLinesPerAgent = 20

// Validate names the first setting out of range.
func (c Config) Validate() error {
	bad := func(field, reason string) error { return &inputerr.FieldError{Field: field, Reason: reason} }
	switch {
	case c.Mode != "" && c.Mode != Strict && c.Mode != Tapered && c.Mode != Average:
		return bad("mode", fmt.Sprintf("%q is not strict, tapered or average", c.Mode))
	case c.Ceiling < 0 || c.Ceiling > 0.2 || math.IsNaN(c.Ceiling):
		return bad("ceiling", "must be between 0 and 0.2 (0 is the default 0.03)")
	case c.LinesPerAgent < 0 || c.LinesPerAgent > maxLinesPerAgent:
		return bad("lines_per_agent", fmt.Sprintf("must be between 0 and %d", maxLinesPerAgent))
	case c.MaxLinesPerAgent < 0 || c.MaxLinesPerAgent > maxLinesPerAgent || math.IsNaN(c.MaxLinesPerAgent):
		return bad("max_lines_per_agent", fmt.Sprintf("must be between 0 and %d", maxLinesPerAgent))
	case c.MaxLines < 0:
		return bad("max_lines", "must not be negative")
	case c.MinAgents < 0:
		return bad("min_agents", "must not be negative")
	case c.Wait < 0 || c.Wait > time.Minute:
		return bad("wait", "must be between 0 and 1 minute")
	case c.MinAttempts < 0:
		return bad("min_attempts", "must not be negative")
	case c.MinAnswers < 0:
		return bad("min_answers", "must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = Strict
	}
	if c.Ceiling == 0 {
		c.Ceiling = DefaultCeiling
	}
	if c.LinesPerAgent == 0 {
		c.LinesPerAgent = 1
	}
	if c.MaxLinesPerAgent == 0 {
		c.MaxLinesPerAgent = DefaultMaxLinesPerAgent
	}
	if c.MinAgents == 0 {
		c.MinAgents = DefaultMinAgents
	}
	if c.Wait == 0 {
		c.Wait = DefaultWait
	}
	if c.MinAttempts == 0 {
		c.MinAttempts = DefaultMinAttempts
	}
	if c.MinAnswers == 0 {
		c.MinAnswers = DefaultMinAnswers
	}
	return c
}

// Snapshot is what the dialer knows about one campaign now. Durations
// are elapsed times: the pacer reads no clock.
type Snapshot struct {
	Ready   int             // agents READY for the campaign
	Talking []time.Duration // each agent on a call: time since it was connected
	WrapUp  []time.Duration // each agent in wrap-up: time since the call ended
	Ringing []time.Duration // each call dialed and not yet answered: time since dialed
	// Waiting is the live answers waiting for an agent now: the next
	// agents freed are theirs.
	Waiting int

	// Recent is the last calls dialed (a few hundred, or the last minute's
	// when more), those still ringing included, for the live-answer rate;
	// Latest the same for the last half-minute or so, to see a rise in the
	// rate before Recent does (zero: not used).
	Recent, Latest Outcomes
	// Dialed is the age of each of the youngest of those calls, ended or
	// not, youngest first: at least those dialed in the last minute
	// (older ones count as calls whose answer, if any, has come).
	Dialed []time.Duration
	// Talk, Wrap and Ring are the durations seen: talk, wrap-up, and
	// dial-to-live-answer.
	Talk, Wrap, Ring LogStats

	// Live answers and abandons in the windows the modes and the
	// feedback read.
	Minute, Hour, Day, Month Window
}

// Outcomes counts the last calls dialed and the live answers among them so
// far. A young call may yet be a live answer: it counts as the share of
// live answers that come by its age (Snapshot.Dialed), ended or not, so
// that the rate is a fair estimate from the first seconds of a call.
type Outcomes struct{ Attempts, Live int }

// Window counts live-answered calls and the abandoned ones among them.
type Window struct{ Answered, Abandoned int }

// Rate is Abandoned/Answered, 0 with no answers.
func (w Window) Rate() float64 {
	if w.Answered <= 0 || w.Abandoned <= 0 {
		return 0
	}
	return float64(w.Abandoned) / float64(w.Answered)
}

// LogStats summarises durations by the logarithm of their seconds, what
// a lognormal fit needs; the dialer keeps one with Add.
type LogStats struct {
	N          int
	Sum, SumSq float64
}

// minSeconds keeps a zero duration (no wrap-up) from being log(0).
const minSeconds = 0.1

// Add counts one duration.
func (s *LogStats) Add(d time.Duration) {
	x := math.Log(max(d.Seconds(), minSeconds))
	s.N++
	s.Sum += x
	s.SumSq += x * x
}

// fit is μ and σ of the log-durations; ok is false with fewer than two
// samples or sums that are not numbers.
func (s LogStats) fit() (mu, sigma float64, ok bool) {
	if s.N < 2 {
		return 0, 0, false
	}
	n := float64(s.N)
	mu = s.Sum / n
	v := (s.SumSq - n*mu*mu) / (n - 1)
	if math.IsNaN(mu) || math.IsInf(mu, 0) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, 0, false
	}
	// A floor on σ: identical durations would make the survival a step.
	return mu, math.Sqrt(max(v, 0.01)), true
}

// Decision is the pacer's answer.
type Decision struct {
	Dial  int   // new lines to dial now
	State State // warming, predictive or fallback
	// Level is lines in flight per staffed agent once Dial are dialed.
	Level float64
	// Abandon is the estimated share of the live answers expected from
	// the lines in flight that find no agent within Wait.
	Abandon float64
	// Target is the abandon share the decision was planned for (0 when
	// progressive).
	Target float64
	Reason string // one line for the supervisor
}

// z is the one-sided 95% normal quantile of the conservative bounds.
const z = 1.645

// bounds are the edges of the time slices the pacer looks ahead by, in
// seconds: fine where answers come soon, coarser further on.
var bounds = [...]float64{0, 2, 4, 6, 8, 11, 15, 20, 30, 40}

const nSlices = len(bounds) - 1

// Decide is how many lines to dial now.
func Decide(cfg Config, s Snapshot) Decision {
	staffed := max(s.Ready, 0) + len(s.Talking) + len(s.WrapUp)
	inFlight := len(s.Ringing)
	if err := cfg.Validate(); err != nil {
		// Settings are checked where they are saved; these never were.
		return Decision{State: Fallback, Level: level(inFlight, staffed), Reason: "not dialing: " + err.Error()}
	}
	cfg = cfg.withDefaults()
	room := lineRoom(cfg, staffed, inFlight)

	if staffed < cfg.MinAgents {
		d := progressive(cfg, s, staffed, inFlight)
		d.State = Fallback
		d.Reason = fmt.Sprintf("progressive: %d staffed agents, below the minimum of %d", staffed, cfg.MinAgents)
		return d
	}
	if why := atRisk(cfg, s); why != "" {
		d := progressive(cfg, s, staffed, inFlight)
		d.State, d.Reason = Fallback, "progressive: "+why
		return d
	}
	m, ok := estimate(cfg, s)
	if !ok {
		d := progressive(cfg, s, staffed, inFlight)
		d.State = Warming
		d.Reason = fmt.Sprintf("progressive while learning: %d/%d attempts, %d/%d live answers, %d/%d talks ended",
			s.Recent.Attempts, cfg.MinAttempts, s.Recent.Live, cfg.MinAnswers, s.Talk.N, talksNeeded(cfg, s))
		return d
	}
	t, why := target(cfg, s)
	n, est := m.largest(t, min(room, riseRoom(cfg, s, staffed, inFlight)))
	d := Decision{Dial: n, State: Predictive, Abandon: est, Target: t, Level: level(inFlight+n, staffed)}
	d.Reason = fmt.Sprintf("predictive: answer rate ≤ %.1f%%, %d lines for an estimated %.2f%% abandon (target %.2f%%%s)",
		100*m.p, inFlight+n, 100*est, 100*t, why)
	return d
}

func level(lines, staffed int) float64 {
	if staffed == 0 {
		return 0
	}
	return float64(lines) / float64(staffed)
}

// lineRoom is how many more lines the caps allow.
func lineRoom(cfg Config, staffed, inFlight int) int {
	limit := int(math.Floor(cfg.MaxLinesPerAgent * float64(staffed)))
	if cfg.MaxLines > 0 {
		limit = min(limit, cfg.MaxLines)
	}
	return max(limit-inFlight, 0)
}

// Rise bounds: at most riseAgents lines per staffed agent, plus riseLines,
// dialed in any second.
const (
	riseAgents = 0.1
	riseLines  = 2
)

// riseRoom is how many new lines the rise bound allows now: the model is
// an estimate, and a jump in lines (leaving warming with hundreds of
// agents READY) would answer all at once, before any answer could
// correct it. Spread over seconds, the first answers arrive while the
// rest are still to be dialed. Never less than progressive would dial.
func riseRoom(cfg Config, s Snapshot, staffed, inFlight int) int {
	young := 0
	for _, e := range s.Ringing {
		if e < time.Second {
			young++
		}
	}
	limit := int(math.Ceil(riseAgents*float64(staffed))) + riseLines - young
	return max(limit, progressive(cfg, s, staffed, inFlight).Dial)
}

// progressive is LinesPerAgent lines per READY agent, less those in flight.
func progressive(cfg Config, s Snapshot, staffed, inFlight int) Decision {
	n := min(max(cfg.LinesPerAgent*max(s.Ready, 0)-inFlight, 0), lineRoom(cfg, staffed, inFlight))
	return Decision{Dial: n, Level: level(inFlight+n, staffed)}
}

// Fallback thresholds, as shares of the ceiling.
const (
	strictStop = 0.85
	otherStop  = 0.95
	hourStop   = 1.5
	// Windows with fewer live answers than these say too little to act on.
	hourMinAnswers   = 50
	hourMinAbandons  = 5
	minuteMinAnswers = 10
)

// atRisk says why the ceiling is at risk, or "".
func atRisk(cfg Config, s Snapshot) string {
	c := cfg.Ceiling
	if s.Hour.Answered >= hourMinAnswers && s.Hour.Rate() >= hourStop*c {
		return fmt.Sprintf("last hour's abandon rate %.2f%% is over %.2f%%", 100*s.Hour.Rate(), 100*hourStop*c)
	}
	switch cfg.Mode {
	case Strict:
		if r := s.Day.Rate(); r >= strictStop*c {
			return fmt.Sprintf("24 h abandon rate %.2f%% is at the strict stop %.2f%%", 100*r, 100*strictStop*c)
		}
	case Tapered:
		if r := s.Day.Rate(); r >= otherStop*c {
			return fmt.Sprintf("24 h abandon rate %.2f%% is near the ceiling %.2f%%", 100*r, 100*c)
		}
	case Average:
		if r := s.Month.Rate(); r >= otherStop*c {
			return fmt.Sprintf("30-day abandon rate %.2f%% is near the ceiling %.2f%%", 100*r, 100*c)
		}
	}
	return ""
}

// target is the planning target of the mode with the feedback applied,
// and a note of the feedback for the reason.
func target(cfg Config, s Snapshot) (float64, string) {
	c := cfg.Ceiling
	var t, hi float64
	switch cfg.Mode {
	case Strict:
		t, hi = 0.6*c, 1
	case Tapered:
		t, hi = c*min(1, 2*(1-s.Day.Rate()/c)), 1.5
	case Average:
		t, hi = c*min(max(2-s.Month.Rate()/c, 0.25), 1.5), 1.5
	}
	note := ""
	if r := s.Hour.Rate(); s.Hour.Answered >= hourMinAnswers {
		f := 1.0
		switch {
		case r > t:
			f = max(t/r, 0.25)
		case s.Hour.Abandoned >= hourMinAbandons:
			// Fewer abandons than planned: let it out, but only on
			// evidence (an hour spent progressive abandons none).
			f = min(t/r, hi)
		}
		t *= f
		note = fmt.Sprintf(", hour %.2f%% ×%.2f", 100*r, f)
	}
	if s.Hour.Abandoned < hourMinAbandons {
		// No evidence yet of how the model fares on this campaign (it
		// has just left warming or fallback): start at half the ceiling.
		t = min(t, c/2)
		note += ", starting at half the ceiling"
	}
	if s.Minute.Answered >= minuteMinAnswers && s.Minute.Rate() > c {
		t /= 2
		note += fmt.Sprintf(", minute %.1f%% halves it", 100*s.Minute.Rate())
	}
	if cfg.Mode == Strict {
		t = min(t, 0.6*c)
	}
	return max(t, 0), note
}

// model is the estimates and the per-slice sums a decision needs.
type model struct {
	p float64 // live-answer rate, upper bound
	// Agents free at the start (READY, or free within the wait), mean and
	// variance; per slice, agents freed (shifted by the wait: an agent
	// free by t+w can take a call answered at t), live answers from the
	// calls in flight, and a new call's chance of a live answer in it.
	free0M, free0V                  float64
	supM, supV, demM, demV, perCall [nSlices]float64
}

func estimate(cfg Config, s Snapshot) (model, bool) {
	var m model
	o := s.Recent
	if o.Attempts < cfg.MinAttempts || o.Live < cfg.MinAnswers || o.Live > o.Attempts ||
		s.Talk.N < talksNeeded(cfg, s) || s.Wrap.N < cfg.MinAnswers || s.Ring.N < cfg.MinAnswers {
		return m, false
	}
	tMu, tSig, ok1 := s.Talk.fit()
	uMu, uSig, ok2 := s.Wrap.fit()
	rMu, rSig, ok3 := s.Ring.fit()
	if !ok1 || !ok2 || !ok3 {
		return m, false
	}
	tMu += z * tSig / math.Sqrt(float64(s.Talk.N))
	uMu += z * uSig / math.Sqrt(float64(s.Wrap.N))
	talk, wrap, ring := logn{tMu, tSig}, logn{uMu, uSig}, logn{rMu, rSig}
	m.p = liveRate(s, ring)
	w := cfg.Wait.Seconds()
	// An agent on a call is free when the rest of the call and a whole
	// wrap-up are over; the wrap-up counts as its mean (longer than the
	// median: the later side).
	wrapMean := math.Exp(uMu + uSig*uSig/2)

	m.free0M = float64(max(s.Ready, 0))
	// Calls answered and waiting for an agent are demand now, certain:
	// the next agents freed are theirs.
	m.demM[0] = float64(max(s.Waiting, 0))
	// add spreads one agent's chance of being free over the slices:
	// cdf(t) is its probability of being free by t from now.
	add := func(cdf func(t float64) float64) {
		prev := cdf(w)
		m.free0M += prev
		m.free0V += prev * (1 - prev)
		for k := range nSlices {
			c := cdf(bounds[k+1] + w)
			q := min(max(c-prev, 0), 1)
			m.supM[k] += q
			m.supV[k] += q * (1 - q)
			prev = c
		}
	}
	for _, e := range s.WrapUp {
		x := e.Seconds()
		fe := wrap.cdf(x)
		add(func(t float64) float64 { return wrap.after(x, fe, t) })
	}
	for _, e := range s.Talking {
		x := e.Seconds()
		fe := talk.cdf(x)
		add(func(t float64) float64 { return talk.after(x, fe, t-wrapMean) })
	}
	for _, e := range s.Ringing {
		x := max(e.Seconds(), 0)
		fe := ring.cdf(x)
		// Calls that have rung long are less likely live: the live ones
		// among them are the p·(1-F(x)) still ringing, out of those and
		// all the others.
		den := m.p*(1-fe) + 1 - m.p
		if den <= 0 {
			continue
		}
		prev := fe
		for k := range nSlices {
			c := ring.cdf(x + bounds[k+1])
			r := min(max(m.p*(c-prev)/den, 0), 1)
			m.demM[k] += r
			m.demV[k] += r * (1 - r)
			prev = c
		}
	}
	for k := range nSlices {
		m.perCall[k] = m.p * (ring.cdf(bounds[k+1]) - ring.cdf(bounds[k]))
	}
	return m, true
}

// talksNeeded is how many ended talks the estimate needs: MinAnswers,
// and three per staffed agent. The first talks to end are the short ones;
// until the team has turned over, the talk time measured is too short and
// agents would be expected free too soon.
func talksNeeded(cfg Config, s Snapshot) int {
	return max(cfg.MinAnswers, 3*(max(s.Ready, 0)+len(s.Talking)+len(s.WrapUp)))
}

// abandon is the estimated abandon share with n new lines. Slice by
// slice, the free agents carried over plus those freed meet the live
// answers; answers beyond them are abandoned (they cannot wait for an
// agent freed later), agents beyond them carry over. Each quantity is
// kept as a normal mean and variance (the moments of max(X, 0) carry the
// surplus over).
func (m *model) abandon(n int) float64 {
	nf := float64(n)
	carryM, carryV := m.free0M, m.free0V
	var lost, answered float64
	for k := range nSlices {
		pc := m.perCall[k]
		aM := m.demM[k] + nf*pc
		aV := m.demV[k] + nf*pc*(1-pc)
		answered += aM
		// Surplus: agents available less answers.
		yM := carryM + m.supM[k] - aM
		yV := max(carryV+m.supV[k]+aV, 0)
		lost += positivePart(-yM, math.Sqrt(yV))
		carryM, carryV = positiveMoments(yM, math.Sqrt(yV))
	}
	if answered <= 1e-9 {
		return 0
	}
	// The normal approximation and rounding can leave [0, 1].
	return min(max(lost/answered, 0), 1)
}

// largest is the most new lines, up to room, whose estimated abandon share
// is at most t, and that share. The share grows with n, so a binary
// search finds it.
func (m *model) largest(t float64, room int) (int, float64) {
	lo, hi := 0, room
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if m.abandon(mid) <= t {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, m.abandon(lo)
}

// positiveMoments is the mean and variance of max(X, 0), X normal.
func positiveMoments(mean, sd float64) (float64, float64) {
	if sd <= 1e-9 {
		x := max(mean, 0)
		return x, 0
	}
	k := mean / sd
	phi := math.Exp(-k*k/2) / math.Sqrt(2*math.Pi)
	cdf := normCDF(k)
	m1 := sd*phi + mean*cdf
	m2 := (mean*mean+sd*sd)*cdf + mean*sd*phi
	return m1, max(m2-m1*m1, 0)
}

// positivePart is E[max(X,0)] for X normal with this mean and sd.
func positivePart(mean, sd float64) float64 {
	if sd <= 1e-9 {
		return max(mean, 0)
	}
	k := mean / sd
	return sd*math.Exp(-k*k/2)/math.Sqrt(2*math.Pi) + mean*normCDF(k)
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// liveRate is the live-answer rate the pacer plans with: the upper bound
// from Recent, or from Latest when Latest's lower bound is above it (the
// rate has risen: react now, not when Recent has filled with it).
func liveRate(s Snapshot, ring logn) float64 {
	p := wilson(float64(s.Recent.Live), exposure(s.Recent, s.Dialed, ring), z)
	if s.Latest.Attempts >= latestMinAttempts {
		n := exposure(s.Latest, s.Dialed, ring)
		if wilson(float64(s.Latest.Live), n, -z) > p {
			p = wilson(float64(s.Latest.Live), n, z)
		}
	}
	return p
}

// latestMinAttempts: fewer calls than this say nothing of a change.
const latestMinAttempts = 30

// exposure is how many calls' worth of live answers o has seen: a call
// dialed e seconds ago counts F(e), the share of live answers that come
// by that age, whether it has ended or not. (Counting an ended call as 1
// would be biased: a young call that failed fast is known not live, but
// had it been live it would most likely still be ringing; in a burst of
// dials the fast failures would pull the rate down.) Calls older than
// Dialed reaches count 1.
func exposure(o Outcomes, youngestFirst []time.Duration, ring logn) float64 {
	k := min(len(youngestFirst), max(o.Attempts, 0))
	n := float64(max(o.Attempts, 0) - k)
	for _, e := range youngestFirst[:k] {
		n += ring.cdf(e.Seconds())
	}
	return n
}

// wilson is the Wilson score bound of k successes in n trials: upper
// with zz > 0, lower with zz < 0.
func wilson(k, n, zz float64) float64 {
	if n <= 0 {
		return 1
	}
	p := min(max(k/n, 0), 1)
	z2 := zz * zz
	c := p + z2/(2*n) + zz*math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return min(max(c/(1+z2/n), 0), 1)
}

// logn is a lognormal distribution of seconds.
type logn struct{ mu, sigma float64 }

func (l logn) cdf(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return fastNormCDF((math.Log(x) - l.mu) / l.sigma)
}

// The lognormal CDFs are most of a decision's work (a dozen per agent
// and per call in flight): they read Φ from a table, linearly
// interpolated, within 1e-5 of exact, which no decision can tell apart.
const (
	phiSpan  = 8.0 // Φ is 0 or 1 to 1e-15 beyond ±8
	phiSteps = 64  // per unit of z
)

var phiTable = func() []float64 {
	t := make([]float64, 2*phiSpan*phiSteps+2)
	for i := range t {
		t[i] = normCDF(float64(i)/phiSteps - phiSpan)
	}
	return t
}()

func fastNormCDF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0.5
	case x <= -phiSpan:
		return 0
	case x >= phiSpan:
		return 1
	}
	f := (x + phiSpan) * phiSteps
	i := int(f)
	frac := f - float64(i)
	return phiTable[i] + frac*(phiTable[i+1]-phiTable[i])
}

// after is P(X ≤ e+d | X > e), given fe = P(X ≤ e).
func (l logn) after(e, fe, d float64) float64 {
	if fe >= 1 {
		return 1
	}
	// Rounding near the tail can leave [0, 1].
	return min(max((l.cdf(e+d)-fe)/(1-fe), 0), 1)
}
