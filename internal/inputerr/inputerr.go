// Package inputerr is the refused-input error that the domain packages
// share: dialer and identity both return a *FieldError, and the API maps
// that one type to 400 with the field named. It imports nothing of the
// module, so any package may use it.
package inputerr

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalid means an input failed validation; the error is a *FieldError
// naming the field.
var ErrInvalid = errors.New("invalid input")

// FieldError is a validation failure of one named input field. It matches
// ErrInvalid with errors.Is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// CheckText returns a FieldError when s is not valid UTF-8, longer than max
// bytes, or (when required) empty.
func CheckText(field, s string, max int, required bool) error {
	switch {
	case required && s == "":
		return &FieldError{Field: field, Reason: "required"}
	case len(s) > max:
		return &FieldError{Field: field, Reason: fmt.Sprintf("longer than %d bytes", max)}
	case !utf8.ValidString(s):
		return &FieldError{Field: field, Reason: "not valid UTF-8"}
	}
	return nil
}
