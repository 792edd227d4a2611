package esl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every FieldError: a value was refused before it
// could reach a FreeSWITCH command.
var ErrInvalid = errors.New("invalid value")

// FieldError names the field whose value was refused and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap lets callers test errors.Is(err, ErrInvalid).
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// dangerous are the bytes that change the meaning of an ESL command or a dial
// string: variable blocks {} [] <>, leg separators , |, the ^^ separator
// switch, ; (inline dialplans and setvar_multi), quotes and backslash (the
// argument splitter), $ (variable expansion), and every control byte,
// including CR/LF which would start a new ESL header or command.
const dangerous = "{}[]<>,|;^'\"\\$`"

// checkChars refuses control bytes, non-ASCII bytes, the dangerous set, and
// spaces unless allowSpace.
func checkChars(field, v string, allowSpace bool) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\r' || c == '\n':
			return invalid(field, "contains a line break")
		case c == ' ' && allowSpace:
		case c <= ' ' || c == 0x7f:
			return invalid(field, "contains whitespace or a control character")
		case c >= 0x80:
			return invalid(field, "contains a non-ASCII byte")
		case strings.IndexByte(dangerous, c) >= 0:
			return invalid(field, "contains %q, which is not allowed", string(c))
		}
	}
	return nil
}

func checkLen(field, v string, max int) error {
	if v == "" {
		return invalid(field, "is required")
	}
	if len(v) > max {
		return invalid(field, "is longer than %d characters", max)
	}
	return nil
}

// ValidateUUID accepts a canonical lower- or upper-case 8-4-4-4-12 hex UUID.
func ValidateUUID(field, v string) error {
	if err := checkLen(field, v, 36); err != nil {
		return err
	}
	if len(v) != 36 {
		return invalid(field, "is not a UUID")
	}
	for i := 0; i < 36; i++ {
		c := v[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return invalid(field, "is not a UUID")
			}
			continue
		}
		if !isHex(c) {
			return invalid(field, "is not a UUID")
		}
	}
	return nil
}

// ValidateNumber accepts a dialable number: an optional leading +, then
// digits, * and #. Formatting characters must be removed before (the API
// layer normalizes to E.164).
func ValidateNumber(field, v string) error {
	if err := checkLen(field, v, 32); err != nil {
		return err
	}
	if err := checkChars(field, v, false); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '+' && i == 0 && len(v) > 1 {
			continue
		}
		if c >= '0' && c <= '9' || c == '*' || c == '#' {
			continue
		}
		return invalid(field, "must be digits with an optional leading +")
	}
	return nil
}

// ValidateName accepts identifiers: extensions, gateway, profile, context,
// conference and variable names, SIP users. Letters, digits and . _ - + only.
func ValidateName(field, v string) error {
	if err := checkLen(field, v, 64); err != nil {
		return err
	}
	if err := checkChars(field, v, false); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || i > 0 && (c == '.' || c == '_' || c == '-' || c == '+') {
			continue
		}
		return invalid(field, "must start with a letter or digit and contain only letters, digits and . _ - +")
	}
	return nil
}

// ValidateVarName accepts a channel variable name: [A-Za-z_][A-Za-z0-9_]*.
func ValidateVarName(field, v string) error {
	if err := checkLen(field, v, 64); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return invalid(field, "must be letters, digits and _ and not start with a digit")
	}
	return nil
}

// ValidateHost accepts a domain name or IPv4 address with an optional port.
func ValidateHost(field, v string) error {
	if err := checkLen(field, v, 253); err != nil {
		return err
	}
	if err := checkChars(field, v, false); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' {
			continue
		}
		return invalid(field, "is not a host name")
	}
	return nil
}

// ValidateText accepts free text that travels inside a quoted variable
// value, such as a caller ID name: printable ASCII and spaces, without the
// dangerous set.
func ValidateText(field, v string, max int) error {
	if len(v) > max {
		return invalid(field, "is longer than %d characters", max)
	}
	if strings.TrimSpace(v) != v {
		return invalid(field, "has leading or trailing spaces")
	}
	if strings.Contains(v, "  ") {
		return invalid(field, "has repeated spaces")
	}
	return checkChars(field, v, true)
}

// ValidateDigits accepts DTMF: 0-9 * # A-D, and w/W for pauses.
func ValidateDigits(field, v string) error {
	if err := checkLen(field, v, 64); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' || c == '*' || c == '#' || c >= 'A' && c <= 'D' || c >= 'a' && c <= 'd' || c == 'w' || c == 'W' {
			continue
		}
		return invalid(field, "may contain only 0-9 * # A-D and w")
	}
	return nil
}

// ValidatePath accepts an absolute or relative file path or a FreeSWITCH
// stream URL (tone_stream://, local_stream://) made of safe characters,
// without "..".
func ValidatePath(field, v string) error {
	if err := checkLen(field, v, 512); err != nil {
		return err
	}
	if err := checkChars(field, v, false); err != nil {
		return err
	}
	for _, part := range strings.Split(v, "/") {
		if part == ".." {
			return invalid(field, "must not contain ..")
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/._-:+=@", c) >= 0 {
			continue
		}
		return invalid(field, "contains %q, which is not allowed in a path", string(c))
	}
	return nil
}

// ValidateSound accepts what ValidatePath does, or a tone_stream:// tone
// such as tone_stream://%(250,0,880), whose commas and parentheses only
// uuid_broadcast may carry (an inline dialplan would split on them).
func ValidateSound(field, v string) error {
	tone, ok := strings.CutPrefix(v, "tone_stream://")
	if !ok {
		// uuid_broadcast reads "app::args" as an application to run.
		if strings.Contains(v, "::") {
			return invalid(field, "must not contain ::")
		}
		return ValidatePath(field, v)
	}
	if err := checkLen(field, v, 512); err != nil {
		return err
	}
	if tone == "" {
		return invalid(field, "names no tone")
	}
	for i := 0; i < len(tone); i++ {
		c := tone[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("%(),;.=+-", c) >= 0 {
			continue
		}
		return invalid(field, "contains %q, which is not allowed in a tone", string(c))
	}
	return nil
}

// ValidateCause accepts a hangup cause name such as NORMAL_CLEARING.
func ValidateCause(field, v string) error {
	if err := checkLen(field, v, 64); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return invalid(field, "is not a hangup cause name")
	}
	return nil
}

// ValidateVarValue accepts a channel variable value. Spaces are allowed
// (the value is then single-quoted); the dangerous set never is.
func ValidateVarValue(field, v string) error {
	if len(v) > 1024 {
		return invalid(field, "is longer than 1024 characters")
	}
	return ValidateText(field, v, 1024)
}
