package dialer

import (
	"errors"
	"fmt"
	"testing"

	"github.com/agentswitch/agentswitch/esl"
)

// TestSwitchErr: what the switch client returns reaches the engine's
// callers as the engine's own errors, so they need not know package esl.
func TestSwitchErr(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("uuid_send_dtmf: %w", err) }
	for _, c := range []struct {
		in    error
		is    error
		field string // "" no field error
		msg   string // the field error's message
	}{
		{nil, nil, "", ""},
		{&esl.FieldError{Field: "digits", Reason: "0-9 * #"}, ErrInvalid, "digits", "invalid digits: 0-9 * #"},
		{wrap(&esl.FieldError{Field: "uuid", Reason: "not a UUID"}), ErrInvalid, "uuid", "invalid uuid: not a UUID"},
		{esl.ErrInvalid, ErrInvalid, "", ""},
		{esl.ErrNotConnected, ErrUnavailable, "", ""},
		{wrap(esl.ErrCommandTimeout), ErrUnavailable, "", ""},
		{esl.ErrNoSuchChannel, ErrConflict, "", ""},
	} {
		got := switchErr(c.in)
		if c.in == nil {
			if got != nil {
				t.Errorf("nil: %v", got)
			}
			continue
		}
		if !errors.Is(got, c.is) || errors.Is(got, esl.ErrInvalid) {
			t.Errorf("%v: %v is not %v alone", c.in, got, c.is)
		}
		var fe *FieldError
		if errors.As(got, &fe) != (c.field != "") || c.field != "" && (fe.Field != c.field || got.Error() != c.msg) {
			t.Errorf("%v: %v, want a field error on %q", c.in, got, c.field)
		}
	}
}
