package notify

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// SMS sends a text message to a phone number in E.164 form.
type SMS interface {
	Send(ctx context.Context, to, body string) error
}

// MaxSMSBody is the longest body a provider takes (Twilio's limit, in
// characters: a long text is sent as several segments).
const MaxSMSBody = 1600

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidE164 reports whether n is +<country code><number>, 7-15 digits.
func ValidE164(n string) bool { return e164.MatchString(n) }

// CheckSMS validates a text message before it is sent, naming the field.
func CheckSMS(to, body string) error {
	if !ValidE164(to) {
		return &inputerr.FieldError{Field: "to", Reason: fmt.Sprintf("%q is not an E.164 number (+14155550100)", to)}
	}
	switch {
	case strings.TrimSpace(body) == "":
		return &inputerr.FieldError{Field: "body", Reason: "required"}
	case !utf8.ValidString(body):
		return &inputerr.FieldError{Field: "body", Reason: "not valid UTF-8"}
	case utf8.RuneCountInString(body) > MaxSMSBody:
		return &inputerr.FieldError{Field: "body", Reason: fmt.Sprintf("longer than %d characters", MaxSMSBody)}
	case strings.ContainsRune(body, 0):
		return &inputerr.FieldError{Field: "body", Reason: "contains a NUL character"}
	}
	return nil
}

// LogSMS writes each message to the service's log instead of sending it:
// the default, so that a development setup shows the codes it would
// have sent. At warn: nobody receives it, and a service logging only
// warnings still shows it.
type LogSMS struct {
	Log *slog.Logger
}

// Send logs the message; it fails only on a message no provider would take.
func (l LogSMS) Send(ctx context.Context, to, body string) error {
	if err := CheckSMS(to, body); err != nil {
		return Permanent(err)
	}
	l.Log.WarnContext(ctx, "sms (log provider: not sent)", "to", to, "body", body)
	return nil
}
