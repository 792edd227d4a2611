package dialer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestExplain(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	noon := time.Date(2026, 7, 1, 12, 0, 0, 0, la)
	late := time.Date(2026, 7, 1, 21, 30, 0, 0, la)
	tomorrow8 := time.Date(2026, 7, 2, 8, 0, 0, 0, la)
	camp := dialer.Campaign{ID: 7, Name: "Renewals", MaxAttempts: 3, Active: true}
	lead := dialer.Lead{ID: 1, Campaign: 7, Phone: "+14155550100", Status: dialer.LeadNew}
	with := func(f func(*dialer.Lead, *dialer.Campaign)) (dialer.Lead, dialer.Campaign) {
		l, c := lead, camp
		f(&l, &c)
		return l, c
	}
	global := dialer.DNCEntry{Phone: lead.Phone, Reason: "asked"}
	for _, tc := range []struct {
		name     string
		mod      func(*dialer.Lead, *dialer.Campaign)
		dnc      []dialer.DNCEntry
		now      time.Time
		dialable bool
		next     time.Time
		reasons  []string
	}{
		{"dialable", nil, nil, noon, true, noon, nil},
		{"window closed: opens tomorrow 08:00", nil, nil, late, false, tomorrow8, []string{"calling window closed: outside calling hours 08:00-21:00"}},
		{"system-wide DNC", nil, []dialer.DNCEntry{global}, noon, false, time.Time{}, []string{"on the system-wide do-not-call list (asked)"}},
		{"campaign DNC", nil, []dialer.DNCEntry{{Phone: lead.Phone, Campaign: 7}}, noon, false, time.Time{}, []string{"on the do-not-call list of campaign 7"}},
		{"attempts used", func(l *dialer.Lead, _ *dialer.Campaign) { l.Attempts = 3 }, nil, noon, false, time.Time{}, []string{"all 3 attempts used"}},
		{"retry delay", func(l *dialer.Lead, _ *dialer.Campaign) { l.Attempts, l.NextCallAt = 1, noon.Add(time.Hour) }, nil, noon, false,
			noon.Add(time.Hour), []string{"retry delay: not before 2026-07-01T20:00:00Z"}},
		{"retry delay ends after hours: next window", func(l *dialer.Lead, _ *dialer.Campaign) { l.NextCallAt = late }, nil, noon, false,
			tomorrow8, []string{"retry delay"}},
		{"abandoned 71 h ago: quiet until 72 h", func(l *dialer.Lead, _ *dialer.Campaign) {
			l.LastOutcome, l.LastCallAt = dialer.OutcomeAbandoned, noon.Add(-71*time.Hour)
		}, nil, noon, false, noon.Add(time.Hour), []string{"abandoned at its last call: not before 2026-07-01T20:00:00Z"}},
		{"abandoned 72 h ago: dialable", func(l *dialer.Lead, _ *dialer.Campaign) {
			l.LastOutcome, l.LastCallAt = dialer.OutcomeAbandoned, noon.Add(-72*time.Hour)
		}, nil, noon, true, noon, nil},
		{"no answer 1 h ago: no quiet", func(l *dialer.Lead, _ *dialer.Campaign) {
			l.LastOutcome, l.LastCallAt = dialer.OutcomeNoAnswer, noon.Add(-time.Hour)
		}, nil, noon, true, noon, nil},
		{"done", func(l *dialer.Lead, _ *dialer.Campaign) { l.Status = dialer.LeadDone }, nil, noon, false, time.Time{}, []string{"the lead is done"}},
		{"marked dnc", func(l *dialer.Lead, _ *dialer.Campaign) { l.Status = dialer.LeadDNC }, nil, noon, false, time.Time{}, []string{"marked do-not-call"}},
		{"invalid", func(l *dialer.Lead, _ *dialer.Campaign) { l.Status = dialer.LeadInvalid }, nil, noon, false, time.Time{}, []string{"invalid"}},
		{"being dialed", func(l *dialer.Lead, _ *dialer.Campaign) { l.Status = dialer.LeadDialing }, nil, noon, false, time.Time{}, []string{"being dialed"}},
		{"campaign inactive", func(_ *dialer.Lead, c *dialer.Campaign) { c.Active = false }, nil, noon, false, time.Time{}, []string{`campaign "Renewals" is not active`}},
		{"campaign archived", func(_ *dialer.Lead, c *dialer.Campaign) { c.ArchivedAt = noon.Add(-time.Hour) }, nil, noon, false, time.Time{}, []string{`campaign "Renewals" is archived`}},
		{"lead zone: 21:30 in LA is 12:30 in Honolulu", func(l *dialer.Lead, _ *dialer.Campaign) { l.TimeZone = "Pacific/Honolulu" }, nil, late, true, late, nil},
		{"campaign window rules", func(_ *dialer.Lead, c *dialer.Campaign) {
			c.Settings = json.RawMessage(`{"calling_window":{"hours":[{"start":"13:00","end":"17:00"}]}}`)
		}, nil, noon, false, noon.Add(time.Hour), []string{"outside calling hours 13:00-17:00"}},
		{"unreadable window rules: the default applies", func(_ *dialer.Lead, c *dialer.Campaign) {
			c.Settings = json.RawMessage(`{"calling_window":{"hours":7}}`)
		}, nil, late, false, tomorrow8, []string{"outside calling hours 08:00-21:00"}},
		{"several blocks, all said", func(l *dialer.Lead, c *dialer.Campaign) { l.Attempts, c.Active = 5, false }, []dialer.DNCEntry{global}, late, false, time.Time{},
			[]string{"system-wide", "attempts used", "not active", "calling window closed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, c := lead, camp
			if tc.mod != nil {
				l, c = with(tc.mod)
			}
			d := dialer.Explain(l, c, tc.dnc, tc.now)
			if d.Dialable != tc.dialable || !d.NextAt.Equal(tc.next) || len(d.Reasons) != len(tc.reasons) && tc.reasons == nil {
				t.Fatalf("dialable %v next %v reasons %q; want %v %v", d.Dialable, d.NextAt, d.Reasons, tc.dialable, tc.next)
			}
			all := strings.Join(d.Reasons, "; ")
			for _, want := range tc.reasons {
				if !strings.Contains(all, want) {
					t.Errorf("reasons %q lack %q", d.Reasons, want)
				}
			}
			if d.Window.TimeZone == "" || d.Window.LocalTime == "" || d.Window.Open != (d.Window.Reason == "") {
				t.Errorf("window %+v", d.Window)
			}
		})
	}
	d := dialer.Explain(lead, camp, nil, late)
	if d.Window.TimeZone != "America/Los_Angeles" || d.Window.ZoneSource != "number" || d.Window.LocalTime != "Wed 2026-07-01 21:30 PDT" ||
		!d.Window.NextOpen.Equal(tomorrow8) {
		t.Errorf("window seen from the lead: %+v", d.Window)
	}
	l, c := with(func(_ *dialer.Lead, c *dialer.Campaign) {
		c.Settings = json.RawMessage(`{"calling_window":{"hours":7}}`)
	})
	if d := dialer.Explain(l, c, nil, noon); !strings.Contains(d.Window.RulesError, "calling_window.hours") || !d.Dialable {
		t.Errorf("unreadable rules: %+v", d)
	}
}

// TestExplainHeld: a lasting reason from outside the lead and campaign
// (its list switched off) blocks the lead with no time to give, and is
// said before the passing ones.
func TestExplainHeld(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	late := time.Date(2026, 7, 1, 21, 30, 0, 0, la)
	camp := dialer.Campaign{ID: 7, Name: "Renewals", MaxAttempts: 3, Active: true}
	lead := dialer.Lead{ID: 1, Campaign: 7, Phone: "+14155550100", Status: dialer.LeadNew}
	d := dialer.Explain(lead, camp, nil, late, `list "March" is switched off`)
	if d.Dialable || !d.NextAt.IsZero() || len(d.Reasons) != 2 || d.Reasons[0] != `list "March" is switched off` ||
		!strings.HasPrefix(d.Reasons[1], "calling window closed") {
		t.Fatalf("dialable %v, next %v, reasons %q", d.Dialable, d.NextAt, d.Reasons)
	}
}
