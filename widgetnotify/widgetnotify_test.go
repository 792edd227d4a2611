package widgetnotify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/notify"
)

func widget() dialer.Widget {
	w := dialer.Widget{ID: 7, Name: "Shop", SiteURL: "https://shop.example", Settings: dialer.DefaultWidgetSettings()}
	w.Settings.Notify = dialer.WidgetNotify{
		NewRequest: []string{"sales@shop.example"},
		Missed:     []string{"boss@shop.example", "sales@shop.example"},
		Done:       []string{"crm@shop.example"},
	}
	w.Settings.SMS = dialer.WidgetSMS{Enabled: true, Template: "Thanks, {{ manager }} of {{site}} ({{call_time}}). Order {{param_order}}."}
	return w
}

var (
	at     = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // Berlin moves to summer time at 01:00 UTC that day
	berlin = mustZone("Europe/Berlin")
)

func mustZone(n string) *time.Location {
	z, err := time.LoadLocation(n)
	if err != nil {
		panic(err)
	}
	return z
}

func TestMailPerEvent(t *testing.T) {
	base := Event{Widget: widget(), RequestID: 42, Numbers: []string{"+4930123456", "+4915112345678"},
		Params: map[string]string{"order": "A-17", "name": "Ann\r\nBcc: x@evil.example"}, CreatedAt: at, At: at.Add(time.Hour), Zone: berlin}
	for _, c := range []struct {
		name    string
		edit    func(*Event)
		to      []string
		subject string
		body    []string
		absent  []string
	}{
		{"new now", func(e *Event) { e.Kind = NewRequest }, []string{"sales@shop.example"},
			"New callback request from +4930123456 (Shop)",
			[]string{"Visitor:     +4930123456, +4915112345678", "Requested:   Sun 29 Mar 2026 01:30 CET", "Status:      calling now",
				"order:     A-17", "Open the request: https://cc.example/admin/widget-calls?id=42"},
			[]string{"Call at"}},
		{"new scheduled", func(e *Event) { e.Kind = NewRequest; e.Scheduled = at.Add(8 * time.Hour) }, []string{"sales@shop.example"},
			"New callback request from +4930123456 (Shop)", []string{"Call at:     Sun 29 Mar 2026 10:30 CEST"}, []string{"calling now"}},
		{"missed", func(e *Event) {
			e.Kind, e.Reason, e.Attempts, e.MaxAttempts = MissedCall, dialer.SpeedLeadNoAnswer, 3, 3
		}, []string{"boss@shop.example", "sales@shop.example"}, "Missed callback: +4930123456 (Shop)",
			[]string{"Reason:      the visitor did not answer", "Attempts:    3 of 3"}, nil},
		{"done", func(e *Event) {
			e.Kind, e.Manager, e.TalkSeconds, e.Attempts, e.Recording = CallDone, "Anna", 192, 1, "/api/v1/calls/c1/recording"
		}, []string{"crm@shop.example"}, "Call done: +4930123456 talked with Anna for 3 min 12 s (Shop)",
			[]string{"Manager:     Anna", "Talked:      3 min 12 s", "Recording:   https://cc.example/api/v1/calls/c1/recording"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := base
			c.edit(&ev)
			m, ok := Mail(ev, "https://cc.example/")
			if !ok {
				t.Fatal("no e-mail")
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(m.To, ",") != strings.Join(c.to, ",") || m.Subject != c.subject {
				t.Fatalf("to %v subject %q", m.To, m.Subject)
			}
			for _, s := range c.body {
				if !strings.Contains(m.Text, s) {
					t.Errorf("body lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(m.Text, s) {
					t.Errorf("body has %q:\n%s", s, m.Text)
				}
			}
			// A visitor's line break never starts a line of its own.
			if strings.Contains(m.Text, "\nBcc:") || !strings.Contains(m.Text, "Ann Bcc: x@evil.example") {
				t.Errorf("parameter not kept on one line:\n%s", m.Text)
			}
		})
	}
}

func TestNoMailWithoutAddresses(t *testing.T) {
	w := widget()
	w.Settings.Notify.Done = nil
	if _, ok := Mail(Event{Kind: CallDone, Widget: w, Numbers: []string{"+4930123456"}}, ""); ok {
		t.Fatal("an e-mail with no addresses")
	}
	if _, ok := Mail(Event{Kind: "other", Widget: widget()}, ""); ok {
		t.Fatal("an e-mail for an unknown event")
	}
}

func TestAfterCallSMS(t *testing.T) {
	ev := Event{Kind: CallDone, Widget: widget(), Numbers: []string{"+4930123456", "+4915112345678"}, Reached: "+4915112345678",
		Manager: "Anna", At: at.Add(2 * time.Hour), Zone: berlin, Params: map[string]string{"Order": "A-17"}}
	to, body, ok := SMS(ev)
	if !ok || to != "+4915112345678" || body != "Thanks, Anna of shop.example (Sun 29 Mar 2026 04:30 CEST). Order A-17." {
		t.Fatalf("%v %q %q", ok, to, body)
	}
	for _, c := range []struct {
		name string
		edit func(*Event)
	}{
		{"missed", func(e *Event) { e.Kind = MissedCall }},
		{"new", func(e *Event) { e.Kind = NewRequest }},
		{"off", func(e *Event) { e.Widget.Settings.SMS.Enabled = false }},
		{"no number", func(e *Event) { e.Reached, e.Numbers = "", nil }},
	} {
		e := ev
		c.edit(&e)
		if _, _, ok := SMS(e); ok {
			t.Errorf("%s: an SMS", c.name)
		}
	}
	ev.Params = nil
	if _, body, _ := SMS(ev); !strings.HasSuffix(body, "Order .") {
		t.Fatalf("a parameter not sent is left empty: %q", body)
	}
}

type recMail struct {
	got []notify.Message
	err error
}

func (r *recMail) Send(_ context.Context, m notify.Message) error {
	r.got = append(r.got, m)
	return r.err
}

type recSMS struct{ to, body []string }

func (r *recSMS) Send(_ context.Context, to, body string) error {
	r.to, r.body = append(r.to, to), append(r.body, body)
	return nil
}

func TestSenderSendsBoth(t *testing.T) {
	m, s := &recMail{}, &recSMS{}
	snd := Sender{Mail: m, SMS: s, BaseURL: "https://cc.example", Log: slog.New(slog.DiscardHandler)}
	snd.Send(context.Background(), Event{Kind: CallDone, Widget: widget(), Numbers: []string{"+4930123456"}, Manager: "Anna"})
	if len(m.got) != 1 || len(s.to) != 1 || s.to[0] != "+4930123456" {
		t.Fatalf("mail %d sms %v", len(m.got), s.to)
	}
	// A mail failure does not keep the SMS from going; no mailer skips mail.
	m.err = errors.New("queue full")
	snd.Send(context.Background(), Event{Kind: CallDone, Widget: widget(), Numbers: []string{"+4930123456"}})
	snd.Mail = nil
	snd.Send(context.Background(), Event{Kind: CallDone, Widget: widget(), Numbers: []string{"+4930123456"}})
	if len(s.to) != 3 {
		t.Fatalf("sms sent %d times", len(s.to))
	}
}
