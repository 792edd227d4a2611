// Package widgetnotify tells people what happened to a callback widget's
// lead requests: e-mails to the addresses the widget lists for each kind
// of event, and the after-call text message to the visitor. It composes
// messages and hands them to notify's queue; it never waits on a server.
package widgetnotify

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/notify"
)

// Kinds of event, as the lead-request lifecycle names them.
const (
	NewRequest = "new_request"
	MissedCall = "missed_call"
	CallDone   = "call_done"
)

// Event is one thing that happened to a lead request.
type Event struct {
	Kind        string
	Widget      dialer.Widget
	RequestID   int64
	Numbers     []string // the visitor's numbers; the first is the main one
	Reached     string   // the number that talked, when one did
	Params      map[string]string
	Reason      string // why a request was missed
	Attempts    int
	MaxAttempts int
	Manager     string
	TalkSeconds int
	CreatedAt   time.Time
	At          time.Time // when it happened
	// Scheduled is when the first attempt is due, for a request that
	// waits for the next opening.
	Scheduled time.Time
	// Recording is a path on the service ("/api/v1/calls/…/recording").
	Recording string
	// Zone shows times on the manager's or the widget's wall clock.
	Zone *time.Location
}

// Sender sends a widget's notifications.
type Sender struct {
	Mail notify.Mailer // nil: no SMTP server is configured, e-mails are skipped
	SMS  notify.SMS    // nil: text messages are skipped
	// BaseURL is the service's address as people reach it, for links.
	BaseURL string
	Log     *slog.Logger
}

// Send queues what ev calls for; what cannot be queued is logged, since
// the call it tells of is over or under way either way.
func (s Sender) Send(ctx context.Context, ev Event) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	if m, ok := Mail(ev, s.BaseURL); ok {
		if s.Mail == nil {
			log.Warn("widget e-mail not sent: no SMTP server is configured", "widget", ev.Widget.ID, "event", ev.Kind)
		} else if err := s.Mail.Send(ctx, m); err != nil {
			log.Warn("widget e-mail not queued", "widget", ev.Widget.ID, "event", ev.Kind, "err", err)
		}
	}
	if to, body, ok := SMS(ev); ok && s.SMS != nil {
		if err := s.SMS.Send(ctx, to, body); err != nil {
			log.Warn("after-call SMS not queued", "widget", ev.Widget.ID, "request", ev.RequestID, "err", err)
		}
	}
}

// Mail is the e-mail for ev, when the widget lists addresses for its kind.
func Mail(ev Event, baseURL string) (notify.Message, bool) {
	n := ev.Widget.Settings.Notify
	var to []string
	var subject string
	lead := first(ev.Numbers)
	switch ev.Kind {
	case NewRequest:
		to, subject = n.NewRequest, "New callback request from "+lead
	case MissedCall:
		to, subject = n.Missed, "Missed callback: "+lead
	case CallDone:
		to, subject = n.Done, fmt.Sprintf("Call done: %s talked with %s for %s", lead, orNobody(ev.Manager), duration(ev.TalkSeconds))
	default:
		return notify.Message{}, false
	}
	if len(to) == 0 {
		return notify.Message{}, false
	}
	subject = oneLine(subject + " (" + ev.Widget.Name + ")")
	if len(subject) > notify.MaxSubject {
		subject = subject[:notify.MaxSubject]
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", k+":", oneLine(v))
		}
	}
	line("Widget", ev.Widget.Name)
	line("Site", ev.Widget.SiteURL)
	line("Visitor", strings.Join(ev.Numbers, ", "))
	line("Requested", stamp(ev.CreatedAt, ev.Zone))
	switch ev.Kind {
	case NewRequest:
		if !ev.Scheduled.IsZero() && ev.Scheduled.After(ev.CreatedAt) {
			line("Call at", stamp(ev.Scheduled, ev.Zone))
		} else {
			line("Status", "calling now")
		}
	case MissedCall:
		line("Reason", Reason(ev.Reason))
		line("Attempts", attempts(ev))
	case CallDone:
		line("Manager", ev.Manager)
		line("Talked", duration(ev.TalkSeconds))
		line("Attempts", attempts(ev))
		if ev.Recording != "" {
			line("Recording", link(baseURL, ev.Recording))
		}
	}
	if len(ev.Params) > 0 {
		b.WriteString("\nParameters\n")
		for _, k := range sortedKeys(ev.Params) {
			line("  "+k, ev.Params[k])
		}
	}
	if ev.RequestID > 0 {
		fmt.Fprintf(&b, "\nOpen the request: %s\n", link(baseURL, "/admin/widget-calls?id="+strconv.FormatInt(ev.RequestID, 10)))
	}
	return notify.Message{To: to, Subject: subject, Text: b.String()}, true
}

// SMS is the after-call text to the visitor, when the widget sends one
// and the visitor talked to a manager.
func SMS(ev Event) (to, body string, ok bool) {
	s := ev.Widget.Settings.SMS
	if ev.Kind != CallDone || !s.Enabled || s.Template == "" {
		return "", "", false
	}
	to = ev.Reached
	if to == "" {
		to = first(ev.Numbers)
	}
	if !notify.ValidE164(to) {
		return "", "", false
	}
	site := ev.Widget.SiteURL
	if u, err := url.Parse(site); err == nil && u.Host != "" {
		site = u.Host
	}
	vals := map[string]string{
		"widget": ev.Widget.Name, "site": site, "manager": ev.Manager,
		"visitor_phone": to, "call_time": stamp(ev.At, ev.Zone),
	}
	for k, v := range ev.Params {
		vals[dialer.SMSParamPrefix+strings.ToLower(k)] = v
	}
	body = placeholder.ReplaceAllStringFunc(s.Template, func(m string) string {
		return vals[strings.TrimSpace(m[2:len(m)-2])] // validated names only; a parameter not sent is empty
	})
	return to, strings.TrimSpace(body), strings.TrimSpace(body) != ""
}

var placeholder = regexp.MustCompile(`\{\{\s*[^{}]*?\s*\}\}`)

// Reason says a missed request's last result in words.
func Reason(r string) string {
	switch r {
	case dialer.SpeedNoManager:
		return "no manager answered"
	case dialer.SpeedManagerDeclined:
		return "the manager did not take the call"
	case dialer.SpeedLeadNoAnswer:
		return "the visitor did not answer"
	case dialer.SpeedLeadBusy:
		return "the visitor's line was busy"
	case dialer.SpeedFailed:
		return "the call failed"
	case dialer.SpeedCancelled:
		return "cancelled"
	case "":
		return "unknown"
	}
	return strings.ReplaceAll(r, "_", " ")
}

func attempts(ev Event) string {
	if ev.MaxAttempts > 0 {
		return fmt.Sprintf("%d of %d", ev.Attempts, ev.MaxAttempts)
	}
	return strconv.Itoa(ev.Attempts)
}

func duration(s int) string {
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %02d s", s/60, s%60)
}

func stamp(t time.Time, z *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if z == nil {
		z = time.UTC
	}
	return t.In(z).Format("Mon 2 Jan 2006 15:04 MST")
}

func link(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func orNobody(s string) string {
	if s == "" {
		return "a manager"
	}
	return s
}

// oneLine keeps a visitor's text from starting a line (or a header) of its own.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
