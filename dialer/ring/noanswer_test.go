package ring

import (
	"errors"
	"testing"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

func TestNoAnswer(t *testing.T) {
	// Events: m missed, a answered. want: the streak after each event, and
	// P where the agent is paused.
	for _, c := range []struct {
		max    int
		events string
		want   []string
	}{
		{3, "mm", []string{"1", "2"}},
		{3, "mmm", []string{"1", "2", "P"}},
		{3, "mmamm", []string{"1", "2", "0", "1", "2"}}, // an answer resets the count
		{3, "mmmmmm", []string{"1", "2", "P", "1", "2", "P"}},
		{1, "m", []string{"P"}},
		{0, "mmmmm", []string{"1", "2", "3", "4", "5"}}, // 0: never pause
	} {
		n := NoAnswer{Max: c.max}
		var s Streak
		for i, e := range c.events {
			var v Verdict
			if e == 'a' {
				s = n.Answered(s)
			} else {
				s, v = n.Missed(s)
			}
			got := string(rune('0' + s))
			if v.Pause {
				got = "P"
				if v.Reason != ReasonNoAnswer || s != 0 {
					t.Errorf("max %d %s: pause %+v with streak %d", c.max, c.events[:i+1], v, s)
				}
			}
			if got != c.want[i] {
				t.Errorf("max %d, after %s: %s, want %s", c.max, c.events[:i+1], got, c.want[i])
			}
		}
	}
}

func TestNoAnswerValidate(t *testing.T) {
	for _, c := range []struct {
		max int
		ok  bool
	}{{0, true}, {3, true}, {MaxNoAnswer, true}, {-1, false}, {MaxNoAnswer + 1, false}} {
		err := NoAnswer{Max: c.max}.Validate()
		var fe *inputerr.FieldError
		if c.ok != (err == nil) || !c.ok && (!errors.As(err, &fe) || fe.Field != "max_no_answer") {
			t.Errorf("max %d: %v", c.max, err)
		}
	}
}
