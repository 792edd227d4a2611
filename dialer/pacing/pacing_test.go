package pacing

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// stats is n durations whose log has mean log(median) and deviation sigma.
func stats(n int, median time.Duration, sigma float64) LogStats {
	mu := math.Log(median.Seconds())
	nf := float64(n)
	return LogStats{N: n, Sum: nf * mu, SumSq: nf*mu*mu + (nf-1)*sigma*sigma}
}

func secs(xs ...float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Second))
	}
	return out
}

// spread is n elapsed times evenly from 0 to top seconds.
func spread(n int, top float64) []time.Duration {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = top * float64(i) / float64(max(n-1, 1))
	}
	return secs(xs...)
}

// steady is a campaign of 50 agents well into its day: 25% live answers,
// talk around 2 minutes, wrap-up around 12 s, live answers after ~7 s.
func steady() Snapshot {
	return Snapshot{
		Ready:   3,
		Talking: spread(40, 240),
		WrapUp:  spread(7, 20),
		Ringing: spread(12, 20),
		Recent:  Outcomes{Attempts: 400, Live: 100},
		Talk:    stats(2000, 110*time.Second, 0.7),
		Wrap:    stats(2000, 12*time.Second, 0.6),
		Ring:    stats(2000, 7*time.Second, 0.5),
		Minute:  Window{Answered: 20},
		Hour:    Window{Answered: 1000, Abandoned: 15},
		Day:     Window{Answered: 5000, Abandoned: 75},
		Month:   Window{Answered: 50000, Abandoned: 750},
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		field string
		cfg   Config
	}{
		{"mode", Config{Mode: "fast"}},
		{"ceiling", Config{Ceiling: -0.01}},
		{"ceiling", Config{Ceiling: 0.5}},
		{"ceiling", Config{Ceiling: math.NaN()}},
		{"lines_per_agent", Config{LinesPerAgent: -1}},
		{"lines_per_agent", Config{LinesPerAgent: 21}},
		{"max_lines_per_agent", Config{MaxLinesPerAgent: 100}},
		{"max_lines", Config{MaxLines: -1}},
		{"min_agents", Config{MinAgents: -2}},
		{"wait", Config{Wait: 2 * time.Minute}},
		{"min_attempts", Config{MinAttempts: -1}},
		{"min_answers", Config{MinAnswers: -1}},
	} {
		err := c.cfg.Validate()
		var fe *inputerr.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: got %v, want a FieldError on %s", c.cfg, err, c.field)
		}
	}
	for _, ok := range []Config{{}, {Mode: Tapered, Ceiling: 0.05}, {Mode: Average, MaxLines: 30, Wait: time.Second}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestDecide(t *testing.T) {
	base := Decide(Config{}, steady())
	if base.State != Predictive || base.Dial <= 0 {
		t.Fatalf("steady campaign: %+v, want predictive with lines to dial", base)
	}
	allReady := steady()
	allReady.Ready += len(allReady.Talking) + len(allReady.WrapUp)
	allReady.Talking, allReady.WrapUp = nil, nil
	type check func(t *testing.T, d Decision)
	state := func(want State) check {
		return func(t *testing.T, d Decision) {
			if d.State != want {
				t.Errorf("state %s, want %s (%s)", d.State, want, d.Reason)
			}
		}
	}
	dial := func(want int) check {
		return func(t *testing.T, d Decision) {
			if d.Dial != want {
				t.Errorf("dial %d, want %d (%s)", d.Dial, want, d.Reason)
			}
		}
	}
	fewer := func(than int) check {
		return func(t *testing.T, d Decision) {
			if d.Dial >= than {
				t.Errorf("dial %d, want fewer than %d (%s)", d.Dial, than, d.Reason)
			}
		}
	}
	more := func(than int) check {
		return func(t *testing.T, d Decision) {
			if d.Dial <= than {
				t.Errorf("dial %d, want more than %d (%s)", d.Dial, than, d.Reason)
			}
		}
	}
	reason := func(part string) check {
		return func(t *testing.T, d Decision) {
			if !strings.Contains(d.Reason, part) {
				t.Errorf("reason %q does not say %q", d.Reason, part)
			}
		}
	}
	// With lines to dial the estimate is within the target; with none the
	// lines already in flight may be over it.
	underTarget := func(t *testing.T, d Decision) {
		if d.Dial > 0 && d.Abandon > d.Target+1e-12 {
			t.Errorf("estimated abandon %.4f over the target %.4f", d.Abandon, d.Target)
		}
	}
	for _, c := range []struct {
		name   string
		cfg    Config
		snap   func(s *Snapshot)
		checks []check
	}{
		{"no history: one line per READY agent", Config{},
			func(s *Snapshot) { *s = Snapshot{Ready: 10, Talking: spread(5, 60)} },
			[]check{state(Warming), dial(10), reason("learning")}},
		{"no history, lines already ringing", Config{LinesPerAgent: 2},
			func(s *Snapshot) { *s = Snapshot{Ready: 10, Ringing: spread(4, 10)} },
			[]check{state(Warming), dial(16)}},
		{"history too short", Config{},
			func(s *Snapshot) { s.Recent = Outcomes{Attempts: 150, Live: 40} },
			[]check{state(Warming), dial(0)}},
		{"steady: estimate under target", Config{}, func(*Snapshot) {},
			[]check{state(Predictive), underTarget, reason("predictive")}},
		{"a burst of answers: the answer rate up", Config{},
			func(s *Snapshot) { s.Recent = Outcomes{Attempts: 400, Live: 180} },
			[]check{state(Predictive), fewer(base.Dial), underTarget}},
		{"answers waiting for an agent take the next ones freed: fewer lines", Config{},
			func(s *Snapshot) { s.Waiting = 2 },
			[]check{state(Predictive), fewer(base.Dial), underTarget}},
		{"hundreds READY: the rise is spread over seconds", Config{},
			func(s *Snapshot) {
				s.Ready, s.Talking, s.WrapUp, s.Ringing = 600, spread(1400, 240), nil, spread(600, 20)
				s.Talk.N, s.Wrap.N = 10000, 10000
			},
			[]check{state(Predictive), more(0), func(t *testing.T, d Decision) {
				// 10% of the 2000 staffed and 2, less the one dialed this second.
				if d.Dial > 201 {
					t.Errorf("dial %d in one second, want at most 201", d.Dial)
				}
			}}},
		{"the second's rise already dialed: progressive's share only", Config{},
			func(s *Snapshot) {
				s.Ready, s.Talking, s.WrapUp = 600, spread(1400, 240), nil
				s.Ringing = append(spread(500, 20), spread(202, 0.9)...)
				s.Talk.N, s.Wrap.N = 10000, 10000
			},
			[]check{state(Predictive), dial(0)}},
		{"a burst of abandons in the last minute halves the target", Config{},
			func(s *Snapshot) { s.Minute = Window{Answered: 20, Abandoned: 3} },
			[]check{state(Predictive), fewer(base.Dial), reason("halves")}},
		{"all agents in wrap-up just begun", Config{},
			func(s *Snapshot) {
				s.WrapUp = spread(s.Ready+len(s.Talking)+len(s.WrapUp), 1)
				s.Ready, s.Talking = 0, nil
			},
			[]check{state(Predictive), fewer(Decide(Config{}, allReady).Dial), underTarget}},
		{"all agents in wrap-up, no ringing: some lines for those about to finish", Config{},
			func(s *Snapshot) {
				s.WrapUp = spread(s.Ready+len(s.Talking)+len(s.WrapUp), 20)
				s.Ready, s.Talking, s.Ringing = 0, nil, nil
			},
			[]check{state(Predictive), more(0), underTarget}},
		{"ceiling near, strict: hard stop", Config{},
			func(s *Snapshot) { s.Ready = 8; s.Day = Window{Answered: 5000, Abandoned: 130} },
			[]check{state(Fallback), dial(0), reason("strict stop")}},
		{"ceiling near, tapered: a lower aim", Config{Mode: Tapered},
			func(s *Snapshot) { s.Day = Window{Answered: 5000, Abandoned: 120} },
			[]check{state(Predictive), fewer(Decide(Config{Mode: Tapered}, steady()).Dial)}},
		{"ceiling reached, tapered: progressive", Config{Mode: Tapered},
			func(s *Snapshot) { s.Ready = 20; s.Day = Window{Answered: 5000, Abandoned: 145} },
			[]check{state(Fallback), dial(20 - 12)}},
		{"average: a low month lets it aim above the ceiling", Config{Mode: Average},
			func(s *Snapshot) {
				s.Month = Window{Answered: 50000, Abandoned: 250}
				s.Hour = Window{Answered: 1000, Abandoned: 30}
			},
			[]check{state(Predictive), func(t *testing.T, d Decision) {
				if d.Target <= DefaultCeiling {
					t.Errorf("target %.4f, want above the ceiling", d.Target)
				}
			}}},
		{"just out of warming: half the ceiling until the hour has abandons", Config{Mode: Tapered},
			func(s *Snapshot) { s.Hour = Window{Answered: 300, Abandoned: 1} },
			[]check{state(Predictive), reason("starting at half"), func(t *testing.T, d Decision) {
				if d.Target > DefaultCeiling/2 {
					t.Errorf("target %.4f, want at most half the ceiling", d.Target)
				}
			}}},
		{"average: month near the ceiling", Config{Mode: Average},
			func(s *Snapshot) { s.Month = Window{Answered: 50000, Abandoned: 1450} },
			[]check{state(Fallback), reason("30-day")}},
		{"last hour far over the ceiling", Config{Mode: Tapered},
			func(s *Snapshot) { s.Hour = Window{Answered: 100, Abandoned: 5} },
			[]check{state(Fallback), reason("last hour")}},
		{"minimum team", Config{MinAgents: 10},
			func(s *Snapshot) { *s = steady(); s.Ready, s.Talking, s.WrapUp, s.Ringing = 2, spread(7, 30), nil, nil },
			[]check{state(Fallback), dial(2), reason("minimum of 10")}},
		{"lines cap", Config{MaxLines: 14},
			func(s *Snapshot) { s.Ready = 30 },
			[]check{state(Predictive), dial(2)}},
		{"invalid settings: no lines, the field named", Config{Ceiling: 2},
			func(s *Snapshot) { s.Ready = 20 },
			[]check{state(Fallback), dial(0), reason("ceiling")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := steady()
			c.snap(&s)
			d := Decide(c.cfg, s)
			for _, ch := range c.checks {
				ch(t, d)
			}
		})
	}
}

// TestFallbackRecovers: at the strict stop the campaign dials
// progressive; its progressive calls abandon none, the 24 h rate falls,
// and it is predictive again.
func TestFallbackRecovers(t *testing.T) {
	s := steady()
	s.Day = Window{Answered: 4000, Abandoned: 104}
	if d := Decide(Config{}, s); d.State != Fallback {
		t.Fatalf("at 2.6%%: %+v, want fallback", d)
	}
	s.Day.Answered += 400
	if d := Decide(Config{}, s); d.State != Predictive || d.Dial == 0 {
		t.Fatalf("at 2.36%%: %+v, want predictive again", d)
	}
}

// TestMoreReadyNeverFewerLines: from warming through fallback to
// predictive, another READY agent never lowers the lines dialed.
func TestMoreReadyNeverFewerLines(t *testing.T) {
	warm := steady()
	warm.Recent = Outcomes{}
	small := steady()
	small.Talking, small.WrapUp = spread(2, 60), nil
	busy := steady()
	busy.Ringing = spread(60, 24)
	for name, s := range map[string]Snapshot{"steady": steady(), "warming": warm, "small team": small, "many ringing": busy} {
		for _, cfg := range []Config{{}, {Mode: Tapered}, {Mode: Average, MaxLines: 80}} {
			prev := -1
			for ready := range 120 {
				s.Ready = ready
				d := Decide(cfg, s)
				if d.Dial < prev {
					t.Fatalf("%s %s: %d READY dial %d, %d READY dialed %d (%s)", name, cfg.Mode, ready, d.Dial, ready-1, prev, d.Reason)
				}
				prev = d.Dial
			}
		}
	}
}

// TestDeterministic: the same snapshot, the same decision.
func TestDeterministic(t *testing.T) {
	a, b := Decide(Config{Mode: Tapered}, steady()), Decide(Config{Mode: Tapered}, steady())
	if a != b {
		t.Fatalf("%+v != %+v", a, b)
	}
}

func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   float64
		lo, hi float64
	}{
		{0, 10, 0.15, 0.25},
		{25, 100, 0.25, 0.33},
		{2500, 10000, 0.25, 0.258},
		{10, 10, 1, 1},
		{10, 0, 1, 1},
	} {
		if u := wilson(c.k, c.n, z); u < c.lo || u > c.hi {
			t.Errorf("wilson(%v, %v) = %.4f, want in [%.3f, %.3f]", c.k, c.n, u, c.lo, c.hi)
		}
		if l := wilson(c.k, c.n, -z); c.n > 0 && l > c.k/c.n {
			t.Errorf("lower bound %.4f above %v/%v", l, c.k, c.n)
		}
	}
}

// TestLiveRate: young calls count as the share of live answers their
// age has seen, ended or not, and a rise shows in Latest before Recent.
func TestLiveRate(t *testing.T) {
	ring := logn{math.Log(7), 0.5}
	s := Snapshot{Recent: Outcomes{Attempts: 400, Live: 80}, Dialed: spread(40, 0.5)}
	// 40 calls of under a second have seen no answers: 80 in 360.
	if p := liveRate(s, ring); math.Abs(p-wilson(80, 360, z)) > 0.002 {
		t.Errorf("young calls: %.4f, want about %.4f", p, wilson(80, 360, z))
	}
	// A burst of 300 dials 2 s ago whose fast failures have ended: had
	// any been live it would still ring, so they count as young calls,
	// and the rate stays that of the 100 older calls (not 20 in 400).
	burst := Snapshot{Recent: Outcomes{Attempts: 400, Live: 20}, Dialed: spread(300, 2)}
	if p := liveRate(burst, ring); p < 0.18 {
		t.Errorf("a burst's fast failures pull the rate down: %.4f, want about 20/100", p)
	}
	s.Dialed = spread(40, 300)
	if p := liveRate(s, ring); p > wilson(80, 380, z) {
		t.Errorf("old calls count almost fully: %.4f", p)
	}
	calm := liveRate(s, ring)
	s.Latest = Outcomes{Attempts: 60, Live: 30}
	if p := liveRate(s, ring); p <= calm || p < 0.4 {
		t.Errorf("a rise in the last calls: %.4f, Recent alone %.4f", p, calm)
	}
	s.Latest = Outcomes{Attempts: 60, Live: 14}
	if p := liveRate(s, ring); p != calm {
		t.Errorf("no rise: %.4f, want Recent's %.4f", p, calm)
	}
}

func FuzzDecide(f *testing.F) {
	f.Add(3, 40, 7, 12, 400, 100, 2000, 4.7, 0.7, 20, 1, 1000, 15, 0.0, 0, uint8(0), int64(7))
	f.Add(0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0.03, 10, uint8(1), int64(0))
	f.Add(-5, 3, 2, 900, 10, 20, 3, -1e308, 1e308, -3, 7, 5, 9, 0.2, -1, uint8(2), int64(-1))
	f.Fuzz(func(t *testing.T, ready, talking, wrap, ringing, attempts, live, n int, mu, sigma float64,
		minAns, minAb, hourAns, hourAb int, ceiling float64, maxLines int, mode uint8, elapsed int64) {
		clamp := func(x int) int { return min(max(x, 0), 2000) }
		s := Snapshot{
			Ready:   ready,
			Talking: make([]time.Duration, clamp(talking)),
			WrapUp:  make([]time.Duration, clamp(wrap)),
			Ringing: make([]time.Duration, clamp(ringing)),
			Recent:  Outcomes{Attempts: attempts, Live: live},
			Waiting: minAb - hourAb,
			Minute:  Window{Answered: minAns, Abandoned: minAb},
			Hour:    Window{Answered: hourAns, Abandoned: hourAb},
			Day:     Window{Answered: hourAns * 3, Abandoned: minAb},
			Month:   Window{Answered: hourAns, Abandoned: hourAb * 2},
		}
		for i := range s.Talking {
			s.Talking[i] = time.Duration(elapsed * int64(i+1))
		}
		for i := range s.WrapUp {
			s.WrapUp[i] = time.Duration(elapsed / int64(i+1))
		}
		for i := range s.Ringing {
			s.Ringing[i] = time.Duration(elapsed ^ int64(i))
		}
		s.Dialed = s.Ringing
		nf := float64(n)
		ls := LogStats{N: n, Sum: nf * mu, SumSq: nf*mu*mu + nf*sigma*sigma}
		s.Talk, s.Wrap, s.Ring = ls, ls, ls
		cfg := Config{Mode: []Mode{"", Strict, Tapered, Average, "other"}[mode%5], Ceiling: ceiling, MaxLines: maxLines}
		d := Decide(cfg, s)
		staffed := max(ready, 0) + len(s.Talking) + len(s.WrapUp)
		limit := int(DefaultMaxLinesPerAgent * float64(staffed))
		if maxLines > 0 {
			limit = min(limit, maxLines)
		}
		if d.Dial < 0 || d.Dial > max(limit-len(s.Ringing), 0) {
			t.Fatalf("dial %d with %d staffed, %d ringing, cap %d: %+v", d.Dial, staffed, len(s.Ringing), limit, d)
		}
		for _, x := range []float64{d.Level, d.Abandon, d.Target} {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				t.Fatalf("a figure is not a finite non-negative number: %+v", d)
			}
		}
		if d.Reason == "" || (d.State != Warming && d.State != Predictive && d.State != Fallback) {
			t.Fatalf("no reason or no state: %+v", d)
		}
	})
}

// BenchmarkDecide is one decision for a campaign of 200 agents with 150
// lines in flight: the pacer runs it at least once a second.
func BenchmarkDecide(b *testing.B) {
	s := steady()
	s.Ready, s.Talking, s.WrapUp, s.Ringing = 5, spread(170, 300), spread(25, 20), spread(150, 25)
	for b.Loop() {
		Decide(Config{}, s)
	}
}

func TestFastNormCDF(t *testing.T) {
	for x := -9.0; x <= 9; x += 0.001 {
		if d := math.Abs(fastNormCDF(x) - normCDF(x)); d > 1e-5 {
			t.Fatalf("Φ(%.3f): %.8f, exact %.8f", x, fastNormCDF(x), normCDF(x))
		}
	}
	if fastNormCDF(math.NaN()) != 0.5 || fastNormCDF(math.Inf(1)) != 1 || fastNormCDF(math.Inf(-1)) != 0 {
		t.Fatal("NaN or infinities")
	}
}
