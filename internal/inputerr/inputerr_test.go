package inputerr

import (
	"errors"
	"strings"
	"testing"
)

func TestFieldError(t *testing.T) {
	var err error = &FieldError{Field: "role", Reason: "unknown"}
	var fe *FieldError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != "role" || err.Error() != "invalid role: unknown" {
		t.Fatal(err)
	}
}

func TestCheckText(t *testing.T) {
	for _, c := range []struct {
		s        string
		required bool
		reason   string
	}{
		{"", false, ""},
		{"", true, "required"},
		{"abcd", false, ""},
		{"abcde", false, "longer than 4 bytes"},
		{"a\xffb", false, "not valid UTF-8"},
	} {
		err := CheckText("name", c.s, 4, c.required)
		var fe *FieldError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%q: %v", c.s, err)
		case c.reason != "" && (!errors.As(err, &fe) || fe.Field != "name" || !strings.Contains(fe.Reason, c.reason)):
			t.Errorf("%q: %v, want %q", c.s, err, c.reason)
		}
	}
}
