package dialer

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/hours"
)

func TestWidgetValidateNamesField(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Widget)
		field string
	}{
		{"defaults", func(*Widget) {}, ""},
		{"no name", func(w *Widget) { w.Name = "" }, "name"},
		{"site with path", func(w *Widget) { w.SiteURL = "https://shop.example/cart" }, "site_url"},
		{"site not http", func(w *Widget) { w.SiteURL = "ftp://shop.example" }, "site_url"},
		{"site with port", func(w *Widget) { w.SiteURL = "http://localhost:8080" }, ""},
		{"sequence", func(w *Widget) { w.Settings.Sequence = "zigzag" }, "settings.sequence"},
		{"too fast", func(w *Widget) { w.Settings.CallbackSeconds = 7 }, "settings.callback_seconds"},
		{"too slow", func(w *Widget) { w.Settings.CallbackSeconds = 60 }, "settings.callback_seconds"},
		{"retry without attempts", func(w *Widget) { w.Settings.Retry.Enabled = true }, "settings.retry.intervals"},
		{"retry interval", func(w *Widget) {
			w.Settings.Retry = WidgetRetry{Enabled: true, Intervals: []int{60, 120, 5}, When: "both"}
		}, "settings.retry.intervals[2]"},
		{"eleven attempts", func(w *Widget) {
			w.Settings.Retry = WidgetRetry{Enabled: true, Intervals: make([]int, 11), When: "both"}
		}, "settings.retry.intervals"},
		{"retry when", func(w *Widget) { w.Settings.Retry.When = "never" }, "settings.retry.when"},
		{"recording without warning", func(w *Widget) { w.Settings.Recording = WidgetRecording{Enabled: true} }, "settings.recording.warning"},
		{"confirm", func(w *Widget) { w.Settings.Confirm = "press2" }, "settings.confirm"},
		{"selected none", func(w *Widget) { w.Settings.Countries.Mode = "selected" }, "settings.countries.allowed"},
		{"country code", func(w *Widget) {
			w.Settings.Countries = WidgetCountries{Mode: "selected", Allowed: []string{"DE", "deu"}}
		}, "settings.countries.allowed[1]"},
		{"first not allowed", func(w *Widget) {
			w.Settings.Countries = WidgetCountries{Mode: "selected", Allowed: []string{"DE"}, First: []string{"FR"}}
		}, "settings.countries.first[0]"},
		{"e-mail", func(w *Widget) { w.Settings.Notify.Missed = []string{"ops@example.com", "not mail"} }, "settings.notify.missed_call[1]"},
		{"named e-mail", func(w *Widget) { w.Settings.Notify.Done = []string{"Ops <ops@example.com>"} }, "settings.notify.call_done[0]"},
		{"sms placeholder", func(w *Widget) { w.Settings.SMS.Template = "Hi {{visitor}}" }, "settings.sms.template"},
		{"sms braces", func(w *Widget) { w.Settings.SMS.Template = "Hi {{widget}" }, "settings.sms.template"},
		{"sms known placeholders", func(w *Widget) { w.Settings.SMS.Template = "{{ manager }} of {{site}} at {{call_time}}" }, ""},
		{"sms lead parameter", func(w *Widget) { w.Settings.SMS.Template = "Your order {{param_order_id}} is on its way" }, ""},
		{"sms bad parameter name", func(w *Widget) { w.Settings.SMS.Template = "{{param_Order-Id}}" }, "settings.sms.template"},
		{"title takes no parameter", func(w *Widget) { w.Settings.Design.Texts.Title = "{{param_x}}" }, "settings.design.texts.title"},
		{"sms on, no text", func(w *Widget) { w.Settings.SMS = WidgetSMS{Enabled: true} }, "settings.sms.template"},
		{"colour", func(w *Widget) { w.Settings.Design.ButtonColor = "green" }, "settings.design.button_color"},
		{"position", func(w *Widget) { w.Settings.Design.Position = "top" }, "settings.design.position"},
		{"language", func(w *Widget) { w.Settings.Design.Language = "english" }, "settings.design.language"},
		{"no button text", func(w *Widget) { w.Settings.Design.Texts.Button = "" }, "settings.design.texts.button"},
		{"countdown placeholder", func(w *Widget) { w.Settings.Design.Texts.Countdown = "in {{secs}}" }, "settings.design.texts.countdown"},
	} {
		w := Widget{Name: "Shop", SiteURL: "https://shop.example", Settings: DefaultWidgetSettings()}
		c.edit(&w)
		t.Run(c.name, func(t *testing.T) { checkField(t, w.Validate(), c.field) })
	}
}

func TestManagerValidateNamesField(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Manager)
		field string
	}{
		{"agent", func(*Manager) {}, ""},
		{"phone", func(m *Manager) { m.AgentID, m.Phone = 0, "+4930123456" }, ""},
		{"neither", func(m *Manager) { m.AgentID = 0 }, "phone"},
		{"both", func(m *Manager) { m.Phone = "+4930123456" }, "phone"},
		{"bad phone", func(m *Manager) { m.AgentID, m.Phone = 0, "030 123" }, "phone"},
		{"zone", func(m *Manager) { m.TimeZone = "Berlin" }, "time_zone"},
		{"hours", func(m *Manager) { m.Hours.Week = hours.Week{"fri": {"18:00-09:00"}} }, "hours.week.fri[0]"},
		{"exception", func(m *Manager) { m.Hours.Exceptions = []hours.Exception{{Date: "tomorrow"}} }, "hours.exceptions[0].date"},
		{"rank", func(m *Manager) { m.Rank = 101 }, "rank"},
		{"name", func(m *Manager) { m.Name = "" }, "name"},
	} {
		m := Manager{Name: "Ann", AgentID: 1, TimeZone: "Europe/Berlin", Active: true}
		c.edit(&m)
		t.Run(c.name, func(t *testing.T) { checkField(t, m.Validate(), c.field) })
	}
}

func TestOpenManagers(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	monday10 := time.Date(2026, 12, 7, 10, 0, 0, 0, ber)
	day := hours.Schedule{Week: hours.Week{"mon": {"09:00-17:00"}}}
	late := hours.Schedule{Week: hours.Week{"mon": {"12:00-17:00"}}}
	ms := []Manager{
		{ID: 1, AgentID: 1, TimeZone: "Europe/Berlin", Hours: day, Active: true},
		{ID: 2, Phone: "+4930123456", TimeZone: "Europe/Berlin", Hours: day, Active: true}, // not verified
		{ID: 3, AgentID: 3, TimeZone: "Europe/Berlin", Hours: day},                         // inactive
		{ID: 4, Phone: "+4930123457", TimeZone: "Europe/Berlin", Hours: late, Active: true, VerifiedAt: monday10},
	}
	got := OpenManagers(ms, monday10)
	if !got.Open || len(got.Now) != 1 || got.Now[0] != 1 || !got.Next.Equal(monday10) {
		t.Fatalf("at 10:00 %+v", got)
	}
	got = OpenManagers(ms[1:], monday10)
	if got.Open || len(got.Now) != 0 || !got.Next.Equal(monday10.Add(2*time.Hour)) {
		t.Fatalf("without the seat %+v", got)
	}
	if got := OpenManagers(ms[1:3], monday10); got.Open || !got.Next.IsZero() {
		t.Fatalf("nobody callable %+v", got)
	}
}

func TestVerifyCode(t *testing.T) {
	code, stored := NewVerifyCode()
	_, other := NewVerifyCode()
	if len(code) != 6 || !VerifyCodeMatches(stored, code) || VerifyCodeMatches(other, code) && other != stored ||
		VerifyCodeMatches(stored, "") || VerifyCodeMatches("junk", code) {
		t.Fatalf("code %q stored %q", code, stored)
	}
}

func TestCountryAllowed(t *testing.T) {
	all := WidgetCountries{Mode: "all"}
	sel := WidgetCountries{Mode: "selected", Allowed: []string{"DE", "AT"}}
	if !all.CountryAllowed("US") || !sel.CountryAllowed("de") || sel.CountryAllowed("US") {
		t.Fatal("country rules")
	}
}
