package ring

import (
	"fmt"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// NoAnswer is mod_callcenter's max-no-answer: an agent who misses Max
// offers in a row is paused, so that calls stop ringing an empty desk and
// the agent is never left reserved. Max 0 never pauses.
type NoAnswer struct {
	Max int
}

// MaxNoAnswer bounds NoAnswer.Max; past it the rule would never fire in
// a shift.
const MaxNoAnswer = 100

// ReasonNoAnswer is the pause reason the policy gives.
const ReasonNoAnswer = "no-answer"

// Validate returns a *inputerr.FieldError on "max_no_answer".
func (n NoAnswer) Validate() error {
	if n.Max < 0 || n.Max > MaxNoAnswer {
		return &inputerr.FieldError{Field: "max_no_answer", Reason: fmt.Sprintf("0 (never pause) to %d", MaxNoAnswer)}
	}
	return nil
}

// Streak is an agent's missed offers in a row.
type Streak int

// Verdict is what a missed offer does to the agent.
type Verdict struct {
	Pause  bool
	Reason string
}

// Missed counts a missed offer (no answer, rejected, busy). The verdict
// pauses the agent when the streak reaches Max; the streak returned then
// is zero, so the agent starts afresh when it comes back.
func (n NoAnswer) Missed(s Streak) (Streak, Verdict) {
	s++
	if n.Max > 0 && int(s) >= n.Max {
		return 0, Verdict{Pause: true, Reason: ReasonNoAnswer}
	}
	return s, Verdict{}
}

// Answered ends a streak.
func (NoAnswer) Answered(Streak) Streak { return 0 }
