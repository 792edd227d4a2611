package api

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/agentswitch/agentswitch/dialer"
)

// maxPhoneInput bounds what a user may type for one number.
const maxPhoneInput = 32

// normalizePhone turns what a user typed into E.164, or a FieldError on
// field. Only digits, one leading "+" and the separators people type
// (space, "-", ".", "(", ")") are accepted: phonenumbers alone is lenient
// (it reads letters as keypad digits and skips trailing junk), and none of
// what it would skip may ever be mistaken for part of a number.
func normalizePhone(field, raw, defaultCountry string) (string, error) {
	e164, err := normalizeOnce(field, raw, defaultCountry)
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

func normalizeOnce(field, raw, defaultCountry string) (string, error) {
	if raw == "" {
		return "", fieldErr(field, "required")
	}
	if len(raw) > maxPhoneInput {
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
	region := strings.ToUpper(defaultCountry)
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
	if !dialer.ValidPhone(e164) {
		return "", fieldErr(field, "not a possible phone number")
	}
	return e164, nil
}

// NormalizeNumber normalizes a number typed somewhere other than the API
// (an agent's phone keypad) as the API would.
func NormalizeNumber(raw, defaultCountry string) (string, error) {
	return normalizePhone("number", raw, defaultCountry)
}

// normalizeOptionalPhone is normalizePhone for a field that may be empty.
func normalizeOptionalPhone(field, raw, defaultCountry string) (string, error) {
	if raw == "" {
		return "", nil
	}
	return normalizePhone(field, raw, defaultCountry)
}
