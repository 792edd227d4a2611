package sqlitestore

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestCampaignCallStats: each window counts the calls created from its
// start to now, both ends included, and nothing of another campaign.
func TestCampaignCallStats(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	other := must[dialer.Campaign](t)(w.s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	ms := time.Millisecond
	hour, day := t0.Add(-time.Hour), t0.Add(-24*time.Hour)
	for _, c := range []struct {
		camp             dialer.CampaignID
		at               time.Time
		outcome          dialer.CallOutcome // "": still live
		answered, talked bool
		billsec          int
	}{
		{w.campaign.ID, hour, dialer.OutcomeAnswered, true, true, 60},           // both windows
		{w.campaign.ID, hour.Add(-ms), dialer.OutcomeAbandoned, true, false, 0}, // the day only
		{w.campaign.ID, t0, dialer.OutcomeMachine, true, false, 0},              // both; no person
		{w.campaign.ID, t0.Add(ms), dialer.OutcomeAnswered, true, true, 99},     // after now: none
		{w.campaign.ID, day, dialer.OutcomeNoAnswer, false, false, 0},           // the day only
		{w.campaign.ID, day.Add(-ms), dialer.OutcomeAbandoned, true, false, 0},  // none
		{w.campaign.ID, t0.Add(-10 * time.Minute), "", true, true, 0},           // live with an agent: both, no talk yet
		{other.ID, t0.Add(-time.Minute), dialer.OutcomeAbandoned, true, false, 0},
	} {
		state, ended := "ended", any(c.at.Add(time.Minute).UnixMilli())
		if c.outcome == "" {
			state, ended = "bridged", nil
		}
		var answered, bridged any
		if c.answered {
			answered = c.at.Add(5 * time.Second).UnixMilli()
		}
		if c.talked {
			bridged = c.at.Add(6 * time.Second).UnixMilli()
		}
		_, err := w.s.w.ExecContext(ctx, `INSERT INTO calls (id, direction, origin, campaign_id, state, outcome, created_at,
			answered_at, bridged_at, ended_at, billsec) VALUES (?, 'outbound', 'dialer', ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(dialer.NewCallID()), int64(c.camp), state, string(c.outcome), c.at.UnixMilli(), answered, bridged, ended, c.billsec)
		if err != nil {
			t.Fatal(err)
		}
	}
	got := must[[]dialer.CallStats](t)(w.s.CampaignCallStats(ctx, w.campaign.ID, t0, hour, day))
	want := []dialer.CallStats{
		{From: hour, To: t0, Attempts: 3, Answered: 2, Connected: 2, Abandoned: 0, AbandonRate: 0, AvgTalkSeconds: 60},
		{From: day, To: t0, Attempts: 5, Answered: 3, Connected: 2, Abandoned: 1, AbandonRate: 1.0 / 3, AvgTalkSeconds: 60},
	}
	if len(got) != len(want) {
		t.Fatalf("%d windows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("window from %s:\n got %+v\nwant %+v", want[i].From, got[i], want[i])
		}
	}
	empty := must[[]dialer.CallStats](t)(w.s.CampaignCallStats(ctx, other.ID+1, t0, day))
	if empty[0] != (dialer.CallStats{From: day, To: t0}) {
		t.Errorf("a campaign without calls: %+v", empty[0])
	}
}

func TestLeadStatusCounts(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[dialer.Lead](t)(w.s.CreateLead(ctx, dialer.Lead{Campaign: w.campaign.ID, Phone: "+33600000009", Status: dialer.LeadDone}))
	other := must[dialer.Campaign](t)(w.s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	must[dialer.Lead](t)(w.s.CreateLead(ctx, dialer.Lead{Campaign: other.ID, Phone: l.Phone}))
	counts, total, err := w.s.LeadStatusCounts(ctx, w.campaign.ID)
	if err != nil || total != 2 || counts[dialer.LeadNew] != 1 || counts[dialer.LeadDone] != 1 || len(counts) != len(dialer.LeadStatuses) {
		t.Fatalf("counts %v, total %d, %v", counts, total, err)
	}
}

// TestCallStatsPlan: the figures of ended calls read the covering index
// alone, never the calls table (BenchmarkCampaignCallStats1M measures
// what that saves), and those of live calls the partial index of live
// calls.
func TestCallStatsPlan(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct{ query, want string }{
		{callStatsSQL, "SEARCH calls USING COVERING INDEX calls_campaign_stats (campaign_id=? AND created_at>? AND created_at<?)"},
		{liveStatsSQL, "SEARCH calls USING INDEX calls_live (created_at>? AND created_at<?)"},
	} {
		plan := must[[]string](t)(w.s.queryPlan(t.Context(), tc.query, t.Name(), w.campaign.ID, t0.Add(-time.Hour), t0))
		if len(plan) != 1 || plan[0] != tc.want {
			t.Errorf("plan %q, want %q", plan, tc.want)
		}
	}
}
