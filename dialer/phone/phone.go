// Package phone is the one rule for telephone numbers: what a valid E.164
// number is, how a typed number becomes one, and which ranges an agent's
// phone may never be. The API, the engine and the switch layer all use it.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by every FieldError.
var ErrInvalid = errors.New("invalid phone number")

// FieldError is a refused number, naming the input field it came from.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// Valid reports whether s is an E.164 number: "+", a non-zero digit, then
// 5 to 14 more digits. Nothing else can reach a dial string.
func Valid(s string) bool { return len(s) >= 7 && ValidPrefix(s) }

// ValidPrefix reports whether p is "+" and 1 to 15 digits, the first not
// zero: the start of an E.164 number (an entry of an allow-list).
func ValidPrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// ValidCountry reports whether c (any case) is a region Normalize can
// read national numbers of, such as "US".
func ValidCountry(c string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(c)]
}

// maxInput bounds what a user may type for one number.
const maxInput = 32

// Normalize turns what a user typed into E.164, or a *FieldError on field.
// A number without "+" is read in country (ISO 3166 alpha-2); "" requires
// the "+". Only digits, one leading "+" and the separators people type
// (space, "-", ".", "(", ")") are accepted: phonenumbers alone is lenient
// (it reads letters as keypad digits and skips trailing junk), and none of
// what it would skip may ever be mistaken for part of a number.
func Normalize(field, raw, country string) (string, error) {
	e164, err := normalizeOnce(field, raw, country)
	if err != nil || e164 == raw {
		return e164, err
	}
	// phonenumbers does not always read its own E.164 back (an all-zero
	// national number loses a digit): a number that would change when it
	// is typed again is refused, so one number has one stored form.
	if again, err := normalizeOnce(field, e164, ""); err != nil || again != e164 {
		return "", fieldErr(field, "not a possible phone number")
	}
	return e164, nil
}

// NormalizeOptional is Normalize for a field that may be empty.
func NormalizeOptional(field, raw, country string) (string, error) {
	if raw == "" {
		return "", nil
	}
	return Normalize(field, raw, country)
}

func normalizeOnce(field, raw, country string) (string, error) {
	if raw == "" {
		return "", fieldErr(field, "required")
	}
	if len(raw) > maxInput {
		return "", fieldErr(field, "too long for a phone number")
	}
	digits := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '+' && i == 0:
		case c == ' ' && i > 0 && i < len(raw)-1 && raw[i-1] != ' ':
		case c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", fieldErr(field, "only digits, a leading + and the separators space - . ( ) are allowed")
		}
	}
	if digits == 0 {
		return "", fieldErr(field, "no digits")
	}
	region := strings.ToUpper(country)
	if !strings.HasPrefix(raw, "+") && region == "" {
		return "", fieldErr(field, "give the number with its country code (+...)")
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", fieldErr(field, "not a phone number: "+err.Error())
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return "", fieldErr(field, "too short for its country")
	case phonenumbers.TOO_LONG:
		return "", fieldErr(field, "too long for its country")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", fieldErr(field, "unknown country code")
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", fieldErr(field, "a local number: give the area code")
	default:
		return "", fieldErr(field, "not a possible phone number")
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !Valid(e164) {
		return "", fieldErr(field, "not a possible phone number")
	}
	return e164, nil
}

// premiumRanges are E.164 prefixes an agent's or supervisor's phone may
// never be: dialing them costs the service money (toll fraud) and they
// are where diverted audio would be sold. Leads are not checked here.
var premiumRanges = []struct {
	Prefix string
	What   string
}{
	{"+1900", "NANP premium rate (900)"},
	{"+1976", "NANP pay-per-call (976)"},
	{"+4470", "UK personal numbering (070)"},
	{"+449", "UK premium rate (09)"},
	{"+3389", "France premium rate (089)"},
	{"+49900", "Germany premium rate (0900)"},
	{"+61190", "Australia premium rate (190x)"},
	{"+881", "Global Mobile Satellite System (high cost)"},
	{"+882", "International Networks (high cost)"},
}

// Premium reports whether an E.164 number is in a premium-rate or
// high-cost range (premiumRanges).
func Premium(number string) bool {
	for _, r := range premiumRanges {
		if strings.HasPrefix(number, r.Prefix) {
			return true
		}
	}
	return false
}
