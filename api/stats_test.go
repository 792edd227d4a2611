package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// TestCampaignStatsWindows: each window counts the calls created from its
// start (included) to now (included), "today" starting at midnight in the
// service's zone, or UTC without one; the windows move with the clock.
func TestCampaignStatsWindows(t *testing.T) {
	ny := must[*time.Location](t)(time.LoadLocation("America/New_York"))
	nyMidnight := time.Date(2026, 11, 20, 0, 0, 0, 0, ny) // t0 is 10:00 there
	ms := time.Millisecond
	type counts struct{ attempts, answered, connected, abandoned int }
	for _, tc := range []struct {
		zone                 string
		today                time.Time
		wantToday            counts
		rateToday, talkToday float64
		// Calls in the 24 hours before the next midnight.
		next24h int
	}{
		// rec1 and rec2 (answered, 42 s and 17 s, an hour ago) and the
		// abandon at New York's midnight.
		{"America/New_York", nyMidnight, counts{3, 3, 2, 1}, 1.0 / 3, 29.5, 4},
		// UTC's midnight is five hours earlier: the abandon a moment before
		// New York's midnight counts too.
		{"", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), counts{4, 4, 2, 2}, 0.5, 29.5, 5},
	} {
		t.Run("zone "+tc.zone, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.DefaultTimeZone = tc.zone })
			for _, r := range []struct {
				at      time.Time
				outcome dialer.CallOutcome
				billsec int
			}{
				{nyMidnight, dialer.OutcomeAbandoned, 0},
				{nyMidnight.Add(-ms), dialer.OutcomeAbandoned, 0},
				{t0.Add(-24 * time.Hour), dialer.OutcomeNoAnswer, 0},
				{t0.Add(-24*time.Hour - ms), dialer.OutcomeMachine, 0},
				{t0.Add(-30 * 24 * time.Hour), dialer.OutcomeAnswered, 100},
				{t0.Add(-30*24*time.Hour - ms), dialer.OutcomeAbandoned, 0},
				{t0.Add(ms), dialer.OutcomeAnswered, 500}, // after now
			} {
				e.addRecord(1, e.lead2.ID, r.at, r.outcome, r.billsec)
			}
			got := e.stats(t, e.campaign.ID)
			if !got.Today.From.Equal(tc.today) || !got.Last24h.From.Equal(t0.Add(-24*time.Hour)) ||
				!got.Last30d.From.Equal(t0.Add(-30*24*time.Hour)) || !got.At.Equal(t0) || !got.Today.To.Equal(t0) {
				t.Fatalf("windows today %s, 24h %s, 30d %s, at %s", got.Today.From, got.Last24h.From, got.Last30d.From, got.At)
			}
			if want := map[string]string{"": "UTC"}[tc.zone]; got.TimeZone != tc.zone && got.TimeZone != want {
				t.Errorf("time_zone %q", got.TimeZone)
			}
			for _, w := range []struct {
				name      string
				st        dialer.CallStats
				want      counts
				rate, avg float64
			}{
				{"today", got.Today, tc.wantToday, tc.rateToday, tc.talkToday},
				// + the abandon before New York's midnight, the no answer at 24 h.
				{"last 24 h", got.Last24h, counts{5, 4, 2, 2}, 0.5, 29.5},
				// + the machine just before 24 h, the answered call at 30 days.
				{"last 30 days", got.Last30d, counts{7, 5, 3, 2}, 0.4, 53},
			} {
				c := counts{w.st.Attempts, w.st.Answered, w.st.Connected, w.st.Abandoned}
				if c != w.want || w.st.AbandonRate != w.rate || w.st.AvgTalkSeconds != w.avg {
					t.Errorf("%s: %+v, want %+v, rate %v, talk %v", w.name, w.st, w.want, w.rate, w.avg)
				}
			}

			// At the next midnight today starts again, empty.
			next := tc.today.AddDate(0, 0, 1)
			e.clock.Advance(next.Sub(t0))
			if got := e.stats(t, e.campaign.ID); !got.Today.From.Equal(next) || got.Today.Attempts != 0 || got.Last24h.Attempts != tc.next24h {
				t.Errorf("at the next midnight: today %+v, last 24 h %+v", got.Today, got.Last24h)
			}
		})
	}
}

// stats reads a campaign's figures with a supervisor's key (a web
// session would expire as the clock moves on a day).
func (e *testEnv) stats(t *testing.T, campaign dialer.CampaignID) campaignStats {
	t.Helper()
	rec := e.do(e.keySup, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d/stats", campaign), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("stats: %d %s", rec.Code, rec.Body)
	}
	return decodeBody[campaignStats](t, rec)
}

// TestCampaignStatsLeads: the lead counts and the dialable count are the
// campaign's own, and a list switched off leaves the dialable count.
func TestCampaignStatsLeads(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	camp := must[dialer.Campaign](t)(e.store.CreateCampaign(ctx, dialer.Campaign{Name: "Winter", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	list := must[leadimport.List](t)(e.store.CreateLeadList(ctx, leadimport.List{Campaign: camp.ID, Name: "March"}))
	e.importInto(list.ID, "212 555 0301", "212 555 0302", "212 555 0303")
	done := must[dialer.Lead](t)(e.store.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: "+12125550304", Status: dialer.LeadDone}))
	// The same number in the harness's campaign counts there only.
	must[dialer.Lead](t)(e.store.CreateLead(ctx, dialer.Lead{Campaign: e.campaign.ID, Phone: done.Phone}))

	got := e.stats(t, camp.ID)
	if got.LeadsTotal != 4 || got.Leads[dialer.LeadNew] != 3 || got.Leads[dialer.LeadDone] != 1 || len(got.Leads) != len(dialer.LeadStatuses) {
		t.Fatalf("leads %v, total %d", got.Leads, got.LeadsTotal)
	}
	if got.DialableNow != 3 {
		t.Fatalf("dialable %d, want 3", got.DialableNow)
	}
	if rec := e.do(e.sup, http.MethodPatch, fmt.Sprintf("/api/v1/lists/%d", list.ID), `{"active":false}`); rec.Code != http.StatusOK {
		t.Fatalf("switch the list off: %d %s", rec.Code, rec.Body)
	}
	if got := e.stats(t, camp.ID); got.DialableNow != 0 || got.LeadsTotal != 4 {
		t.Fatalf("with the list off: dialable %d, total %d; want 0 and 4", got.DialableNow, got.LeadsTotal)
	}
}

func TestCampaignStatsErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path  string
		code  int
		field string
	}{
		{"/api/v1/campaigns/999/stats", http.StatusNotFound, ""},
		{"/api/v1/campaigns/abc/stats", http.StatusBadRequest, "id"},
	} {
		rec := e.do(e.sup, http.MethodGet, tc.path, "")
		if d := errorOf(t, rec); rec.Code != tc.code || d.Field != tc.field {
			t.Errorf("%s: %d %s, want %d on %q", tc.path, rec.Code, rec.Body, tc.code, tc.field)
		}
	}
	e = newEnv(t, func(o *Options) { o.Stats = nil })
	if rec := e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d/stats", e.campaign.ID), ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without a stats store: %d %s", rec.Code, rec.Body)
	}
}
