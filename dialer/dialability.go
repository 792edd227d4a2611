package dialer

import (
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer/window"
)

// Dialability explains whether a lead can be dialed now and, if not,
// why and when next. NextAt is zero when no time can be given: only a
// person can make it dialable (DNC, attempts used up, a final status, a
// paused campaign), or it waits on a call or a callback.
type Dialability struct {
	Dialable bool      `json:"dialable"`
	Now      time.Time `json:"now"`
	NextAt   time.Time `json:"next_at,omitzero"`
	// Reasons says in words what stops the lead now, first the lasting ones.
	Reasons        []string     `json:"reasons"`
	Window         WindowStatus `json:"window"`
	DNC            []DNCEntry   `json:"dnc"`
	Status         LeadStatus   `json:"status"`
	Attempts       int          `json:"attempts"`
	MaxAttempts    int          `json:"max_attempts"`
	NextCallAt     time.Time    `json:"next_call_at,omitzero"`
	CampaignActive bool         `json:"campaign_active"`
}

// WindowStatus is the calling window seen from the lead.
type WindowStatus struct {
	Open bool `json:"open"`
	// TimeZone is the zone the window was judged in; ZoneSource says
	// where it came from: lead, number, campaign or default.
	TimeZone   string    `json:"time_zone"`
	ZoneSource string    `json:"zone_source"`
	LocalTime  string    `json:"local_time"`
	NextOpen   time.Time `json:"next_open,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	// RulesError is set when the campaign's calling_window cannot be
	// read; the default 08:00-21:00 was applied.
	RulesError string `json:"rules_error,omitempty"`
}

// Explain computes the dialability of lead in camp at now, given the
// do-not-call entries blocking its number; held are other lasting
// reasons, from outside the lead and its campaign (its list switched off).
func Explain(lead Lead, camp Campaign, dnc []DNCEntry, now time.Time, held ...string) Dialability {
	d := Dialability{Now: now, Status: lead.Status, Attempts: lead.Attempts, MaxAttempts: camp.MaxAttempts,
		NextCallAt: lead.NextCallAt, CampaignActive: camp.Active, DNC: dnc, Reasons: []string{}}
	if d.DNC == nil {
		d.DNC = []DNCEntry{}
	}
	never := false
	block := func(lasting bool, format string, args ...any) {
		d.Reasons = append(d.Reasons, fmt.Sprintf(format, args...))
		never = never || lasting
	}
	switch lead.Status {
	case LeadDone:
		block(true, "the lead is done")
	case LeadDNC:
		block(true, "the lead is marked do-not-call")
	case LeadInvalid:
		block(true, "the lead's number is invalid")
	case LeadDialing:
		block(false, "the lead is being dialed now")
	case LeadCallback:
		block(false, "the lead waits for its scheduled callback")
	}
	for _, e := range dnc {
		why := ""
		if e.Reason != "" {
			why = " (" + e.Reason + ")"
		}
		block(true, "%s is on the %s%s", e.Phone, e.Scope(), why)
	}
	if camp.MaxAttempts > 0 && lead.Attempts >= camp.MaxAttempts {
		block(true, "all %d attempts used (%d made)", camp.MaxAttempts, lead.Attempts)
	}
	switch {
	case !camp.ArchivedAt.IsZero():
		block(true, "campaign %q is archived", camp.Name)
	case !camp.Active:
		block(true, "campaign %q is not active", camp.Name)
	}
	for _, h := range held {
		block(true, "%s", h)
	}
	from := now
	if lead.NextCallAt.After(now) {
		block(false, "retry delay: not before %s", lead.NextCallAt.UTC().Format(time.RFC3339))
		from = lead.NextCallAt
	}
	// The retry delay already keeps an abandoned number 72 h; this holds
	// when the lead was rescheduled by hand meanwhile.
	if quiet := lead.LastCallAt.Add(AbandonQuiet); lead.LastOutcome == OutcomeAbandoned && quiet.After(now) {
		block(false, "abandoned at its last call: not before %s", quiet.UTC().Format(time.RFC3339))
		if quiet.After(from) {
			from = quiet
		}
	}

	rules, err := CallingWindow(camp)
	if err != nil {
		d.Window.RulesError = err.Error()
		rules = window.Default()
	}
	locs, src := window.Zones(rules, lead.TimeZone, lead.Phone)
	d.Window.TimeZone, d.Window.ZoneSource = locs[0].String(), src
	d.Window.LocalTime = now.In(locs[0]).Format("Mon 2006-01-02 15:04 MST")
	next, why := window.Next(rules, lead.TimeZone, lead.Phone, now)
	d.Window.Open, d.Window.Reason = why == "", why
	if why != "" {
		d.Window.NextOpen = next
		block(next.IsZero(), "calling window closed: %s", why)
	}
	d.Dialable = len(d.Reasons) == 0
	switch {
	case d.Dialable:
		d.NextAt = now
	case !never && lead.Status != LeadDialing && lead.Status != LeadCallback:
		// The first moment past the retry delay that the window allows.
		d.NextAt, _ = window.Next(rules, lead.TimeZone, lead.Phone, from)
	}
	return d
}
