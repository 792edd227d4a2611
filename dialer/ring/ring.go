// Package ring decides whom a waiting call rings, in what order and when:
// the ring strategies of inbound queues and of the callback widget's call
// sequence. It is pure policy: time and randomness are inputs, and it does
// no I/O, holds no clock and starts no goroutines.
//
// A Plan is a list of waves. The agents of a wave ring together; a wave
// starts once everyone of the wave before it has missed the offer, after
// that wave's Delay. Unavailable candidates are left out.
//
// The strategies, each with the mod_callcenter strategy and the widget
// choice it matches:
//
//	ring-all         everyone at once                   ring-all; "at the same time"
//	longest-idle     one at a time, idle longest first  longest-idle-agent
//	round-robin      one at a time, from the position
//	                 after the cursor, wrapping around  round-robin
//	top-down         one at a time, by list position    top-down; "in a sequence", ordered list
//	fewest-calls     one at a time, fewest calls first  agent-with-fewest-calls
//	least-talk-time  one at a time, least talk first    agent-with-least-talk-time
//	random           one at a time, random order        random
//	by-rank          one at a time, highest rank first,
//	                 equal ranks idle longest first     close to sequentially-by-agent-order; "by ranking"
//	random-stagger   random order, 5-10 s between       "in a random sequence"
//
// Ties are broken by list position, then by id, so a plan never depends
// on the order the candidates came in. Rank is higher-first, as the widget
// has it; mod_callcenter's tier level is lower-first, so a level maps to
// a negated rank. mod_callcenter's ring-progressively (earlier agents keep
// ringing as later ones are added) has no counterpart: a wave ends before
// the next starts.
//
// The widget's "ordered, with 5-10 s between" and "by ranking, with 5-10 s
// between" are top-down and by-rank with a Gap setting, not strategies of
// their own: the order rule is the same, and a pause between agents is
// worth having with any one-at-a-time order. random-stagger is random
// whose Gap defaults to Stagger; it keeps a name because the widget offers
// it as a choice of its own.
package ring

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Strategy is how a call picks the agents to ring.
type Strategy string

// The strategies; the package doc gives each one's rule.
const (
	RingAll       Strategy = "ring-all"
	LongestIdle   Strategy = "longest-idle"
	RoundRobin    Strategy = "round-robin"
	TopDown       Strategy = "top-down"
	FewestCalls   Strategy = "fewest-calls"
	LeastTalkTime Strategy = "least-talk-time"
	Random        Strategy = "random"
	ByRank        Strategy = "by-rank"
	RandomStagger Strategy = "random-stagger"
)

// Strategies lists every strategy, in the order the package doc gives them.
var Strategies = []Strategy{RingAll, LongestIdle, RoundRobin, TopDown, FewestCalls, LeastTalkTime, Random, ByRank, RandomStagger}

// Valid reports whether s is one of Strategies.
func (s Strategy) Valid() bool { return slices.Contains(Strategies, s) }

// ParseStrategy reads a strategy name as an admin types it: surrounding
// space and case do not matter. An unknown name is a *inputerr.FieldError
// on "strategy" that lists the known ones.
func ParseStrategy(name string) (Strategy, error) {
	s := Strategy(strings.ToLower(strings.TrimSpace(name)))
	if s.Valid() {
		return s, nil
	}
	return "", strategyError(name)
}

const maxEcho = 32

// strategyError names the field and the strategies there are.
func strategyError(name string) error {
	names := make([]string, len(Strategies))
	for i, k := range Strategies {
		names[i] = string(k)
	}
	reason := "one of " + strings.Join(names, ", ")
	// A name too long to be a strategy is not echoed back whole.
	if name != "" && len(name) <= maxEcho {
		reason = fmt.Sprintf("unknown strategy %q: %s", name, reason)
	}
	return &inputerr.FieldError{Field: "strategy", Reason: reason}
}

// Gap is the range a pause between two one-at-a-time waves is drawn from.
// The zero Gap is no pause.
type Gap struct {
	Min, Max time.Duration
}

// Stagger is the widget's "5-10 seconds" between managers.
var Stagger = Gap{Min: 5 * time.Second, Max: 10 * time.Second}

// MaxGap bounds a Gap: a longer pause keeps a caller waiting with free
// agents, which no admin means to set.
const MaxGap = time.Minute

// Settings are a queue's (or a widget's) ring settings.
type Settings struct {
	Strategy Strategy
	// Gap is the pause before each wave after the first. It is ignored
	// by ring-all, which has one wave; random-stagger uses Stagger when
	// it is zero.
	Gap Gap
}

// Validate returns a *inputerr.FieldError naming the first bad field.
func (s Settings) Validate() error {
	if !s.Strategy.Valid() {
		return strategyError(string(s.Strategy))
	}
	switch {
	case s.Gap.Min < 0:
		return &inputerr.FieldError{Field: "gap.min", Reason: "must not be negative"}
	case s.Gap.Max < s.Gap.Min:
		return &inputerr.FieldError{Field: "gap.max", Reason: "must not be less than gap.min"}
	case s.Gap.Max > MaxGap:
		return &inputerr.FieldError{Field: "gap.max", Reason: fmt.Sprintf("at most %s", MaxGap)}
	}
	return nil
}

// gap is the range the pauses are drawn from, once defaults apply.
func (s Settings) gap() Gap {
	if s.Strategy == RandomStagger && s.Gap == (Gap{}) {
		return Stagger
	}
	return s.Gap
}

// Candidate is what the policy needs to know of an agent (or a widget's
// manager) who may be offered the call.
type Candidate struct {
	// ID is unique among the candidates of a call.
	ID string
	// Available: the agent may be offered a call now (READY, logged in,
	// within working hours). The others are left out of a plan.
	Available bool
	// IdleSince is when the agent last became free; the zero time is
	// "never had a call" and counts as idle longest.
	IdleSince time.Time
	// Calls and Talk are the calls the agent answered and the time it
	// talked, over whatever period the caller counts (a shift, a day).
	Calls int
	Talk  time.Duration
	// Rank orders by-rank, higher first.
	Rank int
	// Position is the place in the admin's ordered list, lower first.
	Position int
}

// Cursor is where round-robin left off: the agent it last offered a call
// to. Position is kept so the turn passes on even when that agent has
// since left the queue. The zero Cursor starts at the top.
type Cursor struct {
	ID       string
	Position int
}

// CursorOf is the cursor after an offer to c.
func CursorOf(c Candidate) Cursor { return Cursor{ID: c.ID, Position: c.Position} }

// Rand is the randomness a plan draws from; *math/rand/v2.Rand is one.
type Rand interface {
	IntN(n int) int
	Int64N(n int64) int64
}

// Wave is a set of agents to ring together, after Delay.
type Wave struct {
	// Delay is the pause between the previous wave being missed and this
	// one starting; zero for the first wave.
	Delay  time.Duration
	Agents []Candidate
}

// Plan is the order a call rings agents in.
type Plan struct {
	Waves []Wave
	// Cursor is round-robin's cursor once the first wave is offered; the
	// caller stores it (or CursorOf the agent who answered) for the next
	// call. Other strategies return the cursor they were given.
	Cursor Cursor
}

// Empty reports whether there is no one to ring.
func (p Plan) Empty() bool { return len(p.Waves) == 0 }

// Build makes the plan for one call. now stands for the policy's clock
// (an IdleSince after it, from a clock ahead of ours, counts as idle since
// now). rnd is drawn from only by random, random-stagger and a Gap wider
// than a point, so the plan is the same for the same source; it may be nil
// otherwise. Bad settings are a *inputerr.FieldError.
func Build(s Settings, cands []Candidate, cur Cursor, now time.Time, rnd Rand) (Plan, error) {
	if err := s.Validate(); err != nil {
		return Plan{}, err
	}
	av := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if c.Available {
			if c.IdleSince.After(now) {
				c.IdleSince = now
			}
			av = append(av, c)
		}
	}
	p := Plan{Cursor: cur}
	if len(av) == 0 {
		return p, nil
	}
	// Each ordered strategy has its key; ties fall to position, then id.
	var key func(a, b Candidate) int
	switch s.Strategy {
	case LongestIdle:
		key = func(a, b Candidate) int { return a.IdleSince.Compare(b.IdleSince) }
	case FewestCalls:
		key = func(a, b Candidate) int { return cmp.Compare(a.Calls, b.Calls) }
	case LeastTalkTime:
		key = func(a, b Candidate) int { return cmp.Compare(a.Talk, b.Talk) }
	case ByRank:
		key = func(a, b Candidate) int {
			return cmp.Or(cmp.Compare(b.Rank, a.Rank), a.IdleSince.Compare(b.IdleSince))
		}
	}
	if key == nil {
		slices.SortFunc(av, byPosition)
	} else {
		slices.SortFunc(av, func(a, b Candidate) int { return cmp.Or(key(a, b), byPosition(a, b)) })
	}
	switch s.Strategy {
	case RingAll:
		p.Waves = []Wave{{Agents: av}}
		return p, nil
	case RoundRobin:
		av = rotate(av, cur)
		p.Cursor = CursorOf(av[0])
	case Random, RandomStagger:
		// Fisher-Yates over the position order, so the source alone decides.
		for i := len(av) - 1; i > 0; i-- {
			j := rnd.IntN(i + 1)
			av[i], av[j] = av[j], av[i]
		}
	}
	g := s.gap()
	p.Waves = make([]Wave, len(av))
	for i := range av {
		// Each wave is a one-agent window on av: no allocation per agent.
		p.Waves[i] = Wave{Agents: av[i : i+1 : i+1]}
		if i > 0 {
			p.Waves[i].Delay = g.draw(rnd)
		}
	}
	return p, nil
}

func byPosition(a, b Candidate) int {
	return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.ID, b.ID))
}

// rotate returns av (in base order) starting after the cursor: after the
// cursor's agent if it is still there, else at the first agent placed
// after where it was, wrapping around to the top.
func rotate(av []Candidate, cur Cursor) []Candidate {
	if cur == (Cursor{}) {
		return av
	}
	at := Candidate{ID: cur.ID, Position: cur.Position}
	i, _ := slices.BinarySearchFunc(av, at, byPosition)
	if i < len(av) && av[i].ID == cur.ID {
		i++
	}
	return append(av[i:len(av):len(av)], av[:i]...)
}

// Pause draws the pause before the next one-at-a-time offer after a
// missed one (zero for ring-all, which has no next wave).
func (s Settings) Pause(rnd Rand) time.Duration {
	if s.Strategy == RingAll {
		return 0
	}
	return s.gap().draw(rnd)
}

// draw is a pause in [g.Min, g.Max].
func (g Gap) draw(rnd Rand) time.Duration {
	if g.Max <= g.Min {
		return g.Min
	}
	return g.Min + time.Duration(rnd.Int64N(int64(g.Max-g.Min)+1))
}

// Next is the wave to start once everyone ringing has missed the offer:
// the plan's first wave with an agent not in missed, less those in
// missed, with that wave's Delay. missed holds every agent who did not
// answer this call or can no longer be offered it. ok is false when the
// plan is spent; the caller then waits (mod_callcenter's
// no-answer-delay-time) and builds a new plan.
func (p Plan) Next(missed []string) (w Wave, ok bool) {
	for _, pw := range p.Waves {
		left := slices.DeleteFunc(slices.Clone(pw.Agents), func(c Candidate) bool { return slices.Contains(missed, c.ID) })
		if len(left) > 0 {
			return Wave{Delay: pw.Delay, Agents: left}, true
		}
	}
	return Wave{}, false
}
