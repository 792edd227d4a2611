package ring

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// team: b and d idle equally long, b and c have equal calls and rank, c
// and d equal talk time; x is not available and must never ring.
func team() []Candidate {
	return []Candidate{
		{ID: "d", Available: true, Position: 4, IdleSince: t0, Calls: 9, Talk: 10 * time.Minute, Rank: 2},
		{ID: "x", Available: false, Position: 0, Calls: 0, Rank: 9},
		{ID: "b", Available: true, Position: 2, IdleSince: t0, Calls: 2, Talk: 40 * time.Minute, Rank: 3},
		{ID: "a", Available: true, Position: 1, IdleSince: t0.Add(10 * time.Minute), Calls: 5, Talk: 30 * time.Minute, Rank: 1},
		{ID: "c", Available: true, Position: 3, IdleSince: t0.Add(20 * time.Minute), Calls: 2, Talk: 10 * time.Minute, Rank: 3},
	}
}

var now = t0.Add(time.Hour)

// ids renders a plan as "a b|c": waves split by |, agents of a wave by space.
func ids(p Plan) string {
	var ws []string
	for _, w := range p.Waves {
		var as []string
		for _, c := range w.Agents {
			as = append(as, c.ID)
		}
		ws = append(ws, strings.Join(as, " "))
	}
	return strings.Join(ws, "|")
}

func build(t *testing.T, s Settings, cands []Candidate, cur Cursor, rnd Rand) Plan {
	t.Helper()
	p, err := Build(s, cands, cur, now, rnd)
	if err != nil {
		t.Fatalf("%+v: %v", s, err)
	}
	return p
}

func TestBuildOrders(t *testing.T) {
	for _, c := range []struct {
		s    Strategy
		want string
	}{
		{RingAll, "a b c d"},
		{LongestIdle, "b|d|a|c"},   // b and d tie on idle: position
		{RoundRobin, "a|b|c|d"},    // no cursor: from the top
		{TopDown, "a|b|c|d"},       // x (position 0) is unavailable
		{FewestCalls, "b|c|a|d"},   // b and c tie on calls: position
		{LeastTalkTime, "c|d|a|b"}, // c and d tie on talk: position
		{ByRank, "b|c|d|a"},        // b and c tie on rank: b idle longer
	} {
		t.Run(string(c.s), func(t *testing.T) {
			p := build(t, Settings{Strategy: c.s}, team(), Cursor{}, nil)
			if got := ids(p); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			for i, w := range p.Waves {
				if w.Delay != 0 {
					t.Errorf("wave %d delay %s without a gap", i, w.Delay)
				}
			}
			// The candidates' order in does not matter.
			rev := team()
			slices.Reverse(rev)
			if got := ids(build(t, Settings{Strategy: c.s}, rev, Cursor{}, nil)); got != c.want {
				t.Errorf("reversed input: got %s, want %s", got, c.want)
			}
		})
	}
}

// TestTies: with nothing to tell agents apart, every ordered strategy
// falls back to position, then id.
func TestTies(t *testing.T) {
	same := []Candidate{
		{ID: "c", Available: true, IdleSince: t0},
		{ID: "a", Available: true, IdleSince: t0},
		{ID: "z", Available: true, IdleSince: t0, Position: -1},
		{ID: "b", Available: true, IdleSince: t0},
	}
	for _, s := range []Strategy{LongestIdle, RoundRobin, TopDown, FewestCalls, LeastTalkTime, ByRank} {
		if got := ids(build(t, Settings{Strategy: s}, same, Cursor{}, nil)); got != "z|a|b|c" {
			t.Errorf("%s: got %s, want z|a|b|c", s, got)
		}
	}
	if got := ids(build(t, Settings{Strategy: RingAll}, same, Cursor{}, nil)); got != "z a b c" {
		t.Errorf("ring-all: got %s", got)
	}
}

// TestIdleSinceAhead: an IdleSince past now (another node's clock ahead)
// counts as idle since now, not as idle for less than nothing.
func TestIdleSinceAhead(t *testing.T) {
	cands := []Candidate{
		{ID: "ahead", Available: true, Position: 1, IdleSince: now.Add(time.Hour)},
		{ID: "now", Available: true, Position: 2, IdleSince: now},
	}
	if got := ids(build(t, Settings{Strategy: LongestIdle}, cands, Cursor{}, nil)); got != "ahead|now" {
		t.Errorf("got %s, want ahead|now (a tie, by position)", got)
	}
	if cands[0].IdleSince != now.Add(time.Hour) {
		t.Error("Build changed its input")
	}
}

func TestRoundRobin(t *testing.T) {
	for _, c := range []struct {
		name       string
		cur        Cursor
		want, next string
	}{
		{"no cursor", Cursor{}, "a|b|c|d", "a"},
		{"after a", Cursor{ID: "a", Position: 1}, "b|c|d|a", "b"},
		{"wraps after the last", Cursor{ID: "d", Position: 4}, "a|b|c|d", "a"},
		{"cursor agent left", Cursor{ID: "gone", Position: 2}, "c|d|a|b", "c"}, // "gone" sorts after b at position 2
		{"cursor agent left, between positions", Cursor{ID: "gone", Position: 3}, "d|a|b|c", "d"},
		{"cursor agent left, past the end", Cursor{ID: "gone", Position: 99}, "a|b|c|d", "a"},
		{"cursor agent unavailable", Cursor{ID: "x", Position: 0}, "a|b|c|d", "a"},
		{"cursor agent moved in the list", Cursor{ID: "c", Position: 1}, "b|c|d|a", "b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := build(t, Settings{Strategy: RoundRobin}, team(), c.cur, nil)
			if got := ids(p); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if p.Cursor.ID != c.next {
				t.Errorf("next cursor %+v, want %s", p.Cursor, c.next)
			}
		})
	}
	// Four calls in a row go round the team once.
	var cur Cursor
	var firsts []string
	for range 5 {
		p := build(t, Settings{Strategy: RoundRobin}, team(), cur, nil)
		firsts = append(firsts, p.Waves[0].Agents[0].ID)
		cur = p.Cursor
	}
	if got := strings.Join(firsts, " "); got != "a b c d a" {
		t.Errorf("first agents of five calls: %s", got)
	}
}

// TestOtherStrategiesKeepCursor: only round-robin moves the cursor.
func TestOtherStrategiesKeepCursor(t *testing.T) {
	cur := Cursor{ID: "b", Position: 2}
	for _, s := range Strategies {
		p := build(t, Settings{Strategy: s}, team(), cur, rand.New(rand.NewPCG(1, 2)))
		want := cur
		if s == RoundRobin {
			want = Cursor{ID: "c", Position: 3}
		}
		if p.Cursor != want {
			t.Errorf("%s: cursor %+v, want %+v", s, p.Cursor, want)
		}
	}
}

func TestRandom(t *testing.T) {
	for _, s := range []Strategy{Random, RandomStagger} {
		orders := map[string]bool{}
		for seed := range uint64(200) {
			p := build(t, Settings{Strategy: s}, team(), Cursor{}, rand.New(rand.NewPCG(seed, 7)))
			got := ids(p)
			again := build(t, Settings{Strategy: s}, team(), Cursor{}, rand.New(rand.NewPCG(seed, 7)))
			if ids(again) != got || !slices.EqualFunc(p.Waves, again.Waves, func(a, b Wave) bool { return a.Delay == b.Delay }) {
				t.Fatalf("%s seed %d: %s, then %s", s, seed, got, ids(again))
			}
			sorted := strings.Split(got, "|")
			slices.Sort(sorted)
			if strings.Join(sorted, " ") != "a b c d" {
				t.Fatalf("%s seed %d: %s is not one wave each for a, b, c and d", s, seed, got)
			}
			orders[got] = true
		}
		// The seeds are fixed: this checks the shuffle reaches all 4! orders.
		if len(orders) != 24 {
			t.Errorf("%s: %d of 24 orders in 200 seeds", s, len(orders))
		}
	}
}

func TestGaps(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Settings
		gap  Gap
	}{
		{"random-stagger defaults to 5-10 s", Settings{Strategy: RandomStagger}, Stagger},
		{"random-stagger with its own gap", Settings{Strategy: RandomStagger, Gap: Gap{Min: time.Second, Max: 2 * time.Second}}, Gap{Min: time.Second, Max: 2 * time.Second}},
		{"ordered with stagger", Settings{Strategy: TopDown, Gap: Stagger}, Stagger},
		{"by rank with stagger", Settings{Strategy: ByRank, Gap: Stagger}, Stagger},
		{"random without a gap", Settings{Strategy: Random}, Gap{}},
		{"a fixed gap", Settings{Strategy: LongestIdle, Gap: Gap{Min: 3 * time.Second, Max: 3 * time.Second}}, Gap{Min: 3 * time.Second, Max: 3 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for seed := range uint64(500) {
				p := build(t, c.s, team(), Cursor{}, rand.New(rand.NewPCG(seed, 1)))
				if len(p.Waves) != 4 || p.Waves[0].Delay != 0 {
					t.Fatalf("seed %d: %d waves, first delay %s", seed, len(p.Waves), p.Waves[0].Delay)
				}
				for _, w := range p.Waves[1:] {
					if w.Delay < c.gap.Min || w.Delay > c.gap.Max {
						t.Fatalf("seed %d: delay %s outside [%s, %s]", seed, w.Delay, c.gap.Min, c.gap.Max)
					}
					seen[w.Delay] = true
				}
			}
			// The draws spread over the range rather than sit on one value.
			if c.gap.Max > c.gap.Min && len(seen) < 1000 {
				t.Errorf("%d distinct delays in 1500 draws", len(seen))
			}
		})
	}
	// ring-all has one wave: nothing to space out.
	p := build(t, Settings{Strategy: RingAll, Gap: Stagger}, team(), Cursor{}, rand.New(rand.NewPCG(1, 1)))
	if len(p.Waves) != 1 || p.Waves[0].Delay != 0 {
		t.Errorf("ring-all with a gap: %+v", p.Waves)
	}
}

func TestNobodyAvailable(t *testing.T) {
	away := team()
	for i := range away {
		away[i].Available = false
	}
	cur := Cursor{ID: "b", Position: 2}
	for _, s := range Strategies {
		for name, cands := range map[string][]Candidate{"all unavailable": away, "none": nil} {
			p := build(t, Settings{Strategy: s}, cands, cur, nil)
			if !p.Empty() || p.Cursor != cur {
				t.Errorf("%s, %s: %+v", s, name, p)
			}
			if w, ok := p.Next(nil); ok {
				t.Errorf("%s, %s: next wave %+v", s, name, w)
			}
		}
	}
}

func TestSingleCandidate(t *testing.T) {
	one := []Candidate{{ID: "solo", Available: true, Position: 7, IdleSince: t0}}
	for _, s := range Strategies {
		p := build(t, Settings{Strategy: s, Gap: Stagger}, one, Cursor{ID: "solo", Position: 7}, rand.New(rand.NewPCG(3, 3)))
		if ids(p) != "solo" || p.Waves[0].Delay != 0 {
			t.Errorf("%s: %s, first delay %s", s, ids(p), p.Waves[0].Delay)
		}
	}
}

func TestNext(t *testing.T) {
	topDown := build(t, Settings{Strategy: TopDown, Gap: Gap{Min: 2 * time.Second, Max: 2 * time.Second}}, team(), Cursor{}, nil)
	ringAll := build(t, Settings{Strategy: RingAll}, team(), Cursor{}, nil)
	for _, c := range []struct {
		name   string
		p      Plan
		missed []string
		want   string // "" when the plan is spent
		delay  time.Duration
	}{
		{"first wave", topDown, nil, "a", 0},
		{"a missed", topDown, []string{"a"}, "b", 2 * time.Second},
		{"a and b missed", topDown, []string{"b", "a"}, "c", 2 * time.Second},
		{"c left before its turn", topDown, []string{"a", "b", "c"}, "d", 2 * time.Second},
		{"everyone missed", topDown, []string{"a", "b", "c", "d"}, "", 0},
		{"an agent not in the plan", topDown, []string{"x", "a"}, "b", 2 * time.Second},
		{"ring-all, one declined", ringAll, []string{"b"}, "a c d", 0},
		{"ring-all, everyone missed", ringAll, []string{"a", "b", "c", "d"}, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, ok := c.p.Next(c.missed)
			got := ids(Plan{Waves: []Wave{w}})
			if !ok {
				got = ""
			}
			if got != c.want || w.Delay != c.delay {
				t.Errorf("got %q after %s, want %q after %s", got, w.Delay, c.want, c.delay)
			}
		})
	}
	if ids(ringAll) != "a b c d" {
		t.Errorf("Next changed the plan: %s", ids(ringAll))
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, c := range []struct {
		s     Settings
		field string
	}{
		{Settings{Strategy: RingAll}, ""},
		{Settings{Strategy: TopDown, Gap: Stagger}, ""},
		{Settings{Strategy: RandomStagger, Gap: Gap{Max: MaxGap}}, ""},
		{Settings{}, "strategy"},
		{Settings{Strategy: "ringall"}, "strategy"},
		{Settings{Strategy: "Ring-All"}, "strategy"}, // parse first; settings hold the canonical name
		{Settings{Strategy: TopDown, Gap: Gap{Min: -time.Second}}, "gap.min"},
		{Settings{Strategy: TopDown, Gap: Gap{Min: 10 * time.Second, Max: 5 * time.Second}}, "gap.max"},
		{Settings{Strategy: TopDown, Gap: Gap{Max: MaxGap + 1}}, "gap.max"},
	} {
		err := c.s.Validate()
		var fe *inputerr.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v", c.s, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, inputerr.ErrInvalid)):
			t.Errorf("%+v: %v, want a field error on %s", c.s, err, c.field)
		}
		if _, berr := Build(c.s, team(), Cursor{}, now, rand.New(rand.NewPCG(1, 1))); (berr == nil) != (err == nil) {
			t.Errorf("%+v: Build gave %v, Validate %v", c.s, berr, err)
		}
	}
}

func TestParseStrategy(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   Strategy
		reason string
	}{
		{"ring-all", RingAll, ""},
		{" Longest-Idle ", LongestIdle, ""},
		{"ROUND-ROBIN", RoundRobin, ""},
		{"top-down", TopDown, ""},
		{"fewest-calls", FewestCalls, ""},
		{"least-talk-time", LeastTalkTime, ""},
		{"random", Random, ""},
		{"by-rank", ByRank, ""},
		{"random-stagger", RandomStagger, ""},
		{"", "", "one of ring-all, longest-idle,"},
		{"longest-idle-agent", "", `unknown strategy "longest-idle-agent": one of`},
		{"ring all", "", `unknown strategy "ring all"`},
	} {
		got, err := ParseStrategy(c.in)
		var fe *inputerr.FieldError
		switch {
		case c.reason == "" && (err != nil || got != c.want):
			t.Errorf("%q: %q, %v", c.in, got, err)
		case c.reason != "" && (!errors.As(err, &fe) || fe.Field != "strategy" || !strings.Contains(fe.Reason, c.reason) || got != ""):
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.reason)
		}
	}
}

// TestParseStrategyLongName: a long name is refused without being echoed.
func TestParseStrategyLongName(t *testing.T) {
	long := strings.Repeat("x", 1000)
	_, err := ParseStrategy(long)
	if err == nil || strings.Contains(err.Error(), "xxx") || !strings.Contains(err.Error(), "invalid strategy: one of ring-all,") {
		t.Errorf("%v", err)
	}
}

func FuzzParseStrategy(f *testing.F) {
	for _, s := range Strategies {
		f.Add(string(s))
	}
	for _, s := range []string{"", " Ring-All\t", "ring_all", "random-stagger ", "\xff", "İ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseStrategy(in)
		if err != nil {
			var fe *inputerr.FieldError
			if !errors.As(err, &fe) || fe.Field != "strategy" || s != "" {
				t.Fatalf("%q: %q, %v", in, s, err)
			}
			return
		}
		if !s.Valid() || !strings.EqualFold(strings.TrimSpace(in), string(s)) {
			t.Fatalf("%q parsed as %q", in, s)
		}
		if again, err := ParseStrategy(string(s)); err != nil || again != s {
			t.Fatalf("%q: round trip %q, %v", s, again, err)
		}
	})
}
