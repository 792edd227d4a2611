package sqlitestore

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// reportWorld is two days of a contact center (2023-11-13 and -14 UTC,
// "now" being t0, 2023-11-14 22:13:20): an outbound campaign worked by
// Ann, a queue, and Bob who was READY when the range began.
type reportWorld struct {
	world
	bob   dialer.Agent
	queue dialer.Queue
	day1  time.Time
	day2  time.Time
	// ids of the calls seeded, by name
	calls map[string]dialer.CallID
}

type seedCall struct {
	name        string
	dir         dialer.CallDirection
	campaign    bool
	agent       dialer.AgentID
	at          time.Time
	outcome     dialer.CallOutcome
	bridged     bool
	billsec     int
	disposition string
	cause       string
	to          string
	recording   string
	// events after created, as (offset, kind, data)
	events []seedEvent
}

type seedEvent struct {
	after time.Duration
	kind  string
	data  string
}

func newReportWorld(t *testing.T) reportWorld {
	t.Helper()
	w := reportWorld{world: newWorld(t), calls: map[string]dialer.CallID{}}
	ctx := t.Context()
	s := w.s
	w.bob = must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Bob", Extension: "1002", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	w.queue = must[dialer.Queue](t)(s.CreateQueue(ctx, newQueue("sales")))
	w.day1 = time.Date(2023, 11, 13, 0, 0, 0, 0, time.UTC)
	w.day2 = w.day1.AddDate(0, 0, 1)
	ann := w.agent.ID
	d2 := func(h, m, sec int) time.Time {
		return w.day2.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}

	states := []dialer.AgentStateChange{
		{Agent: ann, At: d2(8, 0, 0), State: dialer.AgentPaused, PauseCode: "LOGIN"},
		{Agent: ann, At: d2(8, 5, 0), State: dialer.AgentReady},
		{Agent: ann, At: d2(8, 20, 0), State: dialer.AgentReserved},
		{Agent: ann, At: d2(8, 20, 10), State: dialer.AgentInCall, Campaign: w.campaign.ID},
		{Agent: ann, At: d2(8, 30, 0), State: dialer.AgentDispo},
		{Agent: ann, At: d2(8, 31, 0), State: dialer.AgentReady},
		{Agent: ann, At: d2(9, 0, 0), State: dialer.AgentPaused, PauseCode: "BREAK"},
		{Agent: ann, At: d2(9, 15, 0), State: dialer.AgentLoggedOut},
		// Bob: READY since before the range, out half an hour into it,
		// back after it.
		{Agent: w.bob.ID, At: w.day1.Add(-30 * time.Minute), State: dialer.AgentReady},
		{Agent: w.bob.ID, At: w.day1.Add(30 * time.Minute), State: dialer.AgentLoggedOut},
		{Agent: w.bob.ID, At: w.day2.Add(25 * time.Hour), State: dialer.AgentReady},
	}
	for _, st := range states {
		if err := s.RecordAgentState(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	// Recorded twice (a refresh of the same view): still one row.
	if err := s.RecordAgentState(ctx, states[1]); err != nil {
		t.Fatal(err)
	}

	queued := `{"queue":"sales","queue_id":` + strconv.FormatInt(int64(w.queue.ID), 10) + `}`
	for _, c := range []seedCall{
		{name: "d1-answered", dir: dialer.Outbound, campaign: true, agent: w.bob.ID, at: w.day1.Add(10 * time.Hour), outcome: dialer.OutcomeAnswered, bridged: true, billsec: 60, cause: "NORMAL_CLEARING", to: "+33611111111"},
		{name: "d1-abandoned", dir: dialer.Outbound, campaign: true, at: w.day1.Add(11 * time.Hour), outcome: dialer.OutcomeAbandoned, cause: "NORMAL_CLEARING", to: "+33622222222"},
		{name: "d1-noanswer", dir: dialer.Outbound, campaign: true, at: w.day1.Add(12 * time.Hour), outcome: dialer.OutcomeNoAnswer, cause: "NO_ANSWER", to: "+33633333333"},
		{name: "A", dir: dialer.Outbound, campaign: true, agent: ann, at: d2(8, 20, 0), outcome: dialer.OutcomeAnswered, bridged: true, billsec: 590, disposition: "SALE", cause: "NORMAL_CLEARING", to: "+33612345678", recording: "/rec/a.wav",
			events: []seedEvent{{2 * time.Minute, "hold", `{}`}, {2*time.Minute + 30*time.Second, "unhold", `{"held_ms":30000}`}}},
		{name: "B", dir: dialer.Outbound, campaign: true, agent: ann, at: d2(8, 40, 0), outcome: dialer.OutcomeAnswered, bridged: true, billsec: 20, disposition: "NI", cause: "NORMAL_CLEARING", to: "+33644444444"},
		{name: "C", dir: dialer.Outbound, campaign: true, at: d2(8, 50, 0), outcome: dialer.OutcomeMachine, cause: "NORMAL_CLEARING", to: "+33655555555"},
		{name: "Q1", dir: dialer.Inbound, agent: w.bob.ID, at: d2(10, 0, 0), outcome: dialer.OutcomeAnswered, bridged: true, billsec: 100, cause: "NORMAL_CLEARING",
			events: []seedEvent{{0, "queued", queued}, {15 * time.Second, "bridged", `{}`}}},
		{name: "Q2", dir: dialer.Inbound, agent: w.bob.ID, at: d2(10, 5, 0), outcome: dialer.OutcomeAnswered, bridged: true, billsec: 50, cause: "NORMAL_CLEARING",
			events: []seedEvent{{0, "queued", queued}, {40 * time.Second, "bridged", `{}`}}},
		{name: "Q3", dir: dialer.Inbound, at: d2(11, 0, 0), outcome: dialer.OutcomeAbandoned, cause: "ORIGINATOR_CANCEL",
			events: []seedEvent{{0, "queued", queued}}},
		{name: "Q4", dir: dialer.Inbound, at: d2(11, 10, 0), outcome: dialer.OutcomeAnswered, cause: "NORMAL_CLEARING",
			events: []seedEvent{{0, "queued", queued}, {time.Minute, "queue_overflow", `{"to":"voicemail"}`}}},
		// Outside the range: counted nowhere.
		{name: "late", dir: dialer.Outbound, campaign: true, agent: ann, at: w.day2.Add(25 * time.Hour), outcome: dialer.OutcomeAnswered, bridged: true, disposition: "SALE", cause: "NORMAL_CLEARING", to: "+33666666666"},
	} {
		w.calls[c.name] = w.seed(t, c)
	}
	return w
}

func (w reportWorld) seed(t *testing.T, c seedCall) dialer.CallID {
	t.Helper()
	ctx := t.Context()
	id := dialer.NewCallID()
	var campaign, agent, bridged, dispo any
	if c.campaign {
		campaign = int64(w.campaign.ID)
	}
	if c.agent != 0 {
		agent = int64(c.agent)
	}
	if c.bridged {
		bridged = c.at.Add(10 * time.Second).UnixMilli()
	}
	if c.disposition != "" {
		dispo = c.disposition
	}
	from, to := "+33100000000", c.to
	if c.dir == dialer.Inbound {
		from, to = "+33677777777", "+33199999999"
	}
	_, err := w.s.w.ExecContext(ctx, `INSERT INTO calls (id, direction, origin, campaign_id, agent_id, from_number, to_number,
		state, outcome, hangup_cause, billsec, created_at, answered_at, bridged_at, ended_at, recording_path, disposition)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'ended', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(id), string(c.dir), map[dialer.CallDirection]string{dialer.Inbound: "inbound", dialer.Outbound: "dialer"}[c.dir],
		campaign, agent, from, to, string(c.outcome), c.cause, c.billsec, c.at.UnixMilli(), c.at.Add(5*time.Second).UnixMilli(),
		bridged, c.at.Add(20*time.Minute).UnixMilli(), c.recording, dispo)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range c.events {
		if _, err := w.s.w.ExecContext(ctx, `INSERT INTO call_events (call_id, seq, at, kind, data) VALUES (?, ?, ?, ?, ?)`,
			string(id), i+1, c.at.Add(e.after).UnixMilli(), e.kind, e.data); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func (w reportWorld) filter() dialer.ReportFilter {
	return dialer.ReportFilter{From: w.day1, To: w.day2.AddDate(0, 0, 1), Loc: time.UTC}
}

func TestAgentReport(t *testing.T) {
	w := newReportWorld(t)
	got := must[[]dialer.AgentReport](t)(w.s.AgentReport(t.Context(), w.filter()))
	ann := dialer.AgentReport{
		Agent: w.agent.ID, Name: "Ann", Calls: 2,
		// INCALL 590 s, of which 30 on hold.
		TalkSec: 560, HoldSec: 30, WrapupSec: 60, ReadySec: 900 + 1740, PauseSec: 300 + 900,
		LoggedInSec: 300 + 900 + 10 + 590 + 60 + 1740 + 900,
		PauseByCode: map[string]int64{"LOGIN": 300, "BREAK": 900},
		Occupancy:   650.0 / 3300, Dispositions: map[string]int{"SALE": 1, "NI": 1},
	}
	bob := dialer.AgentReport{
		Agent: w.bob.ID, Name: "Bob", Calls: 3, ReadySec: 1800, LoggedInSec: 1800,
		PauseByCode: map[string]int64{}, Dispositions: map[string]int{},
	}
	if want := []dialer.AgentReport{ann, bob}; !reflect.DeepEqual(got, want) {
		t.Fatalf("agent report:\n got %+v\nwant %+v", got, want)
	}

	f := w.filter()
	f.Agent = w.bob.ID
	f.From = w.day2 // Bob logged out on day 1: his calls of day 2 only
	got = must[[]dialer.AgentReport](t)(w.s.AgentReport(t.Context(), f))
	bob.Calls, bob.ReadySec, bob.LoggedInSec = 2, 0, 0
	if want := []dialer.AgentReport{bob}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Bob on day 2:\n got %+v\nwant %+v", got, want)
	}

	f = w.filter()
	f.Campaign = w.campaign.ID
	got = must[[]dialer.AgentReport](t)(w.s.AgentReport(t.Context(), f))
	if len(got) != 2 || got[0].Calls != 2 || got[0].TalkSec != 560 || got[0].ReadySec != 0 || got[1].Calls != 1 {
		t.Fatalf("on the campaign: %+v", got)
	}

	// A team keeps its agents' states and calls.
	team := must[dialer.Team](t)(w.s.CreateTeam(t.Context(), dialer.Team{Name: "Night shift"}))
	b := w.bob
	b.Team = team.ID
	must[dialer.Agent](t)(w.s.UpdateAgent(t.Context(), b, ""))
	f = w.filter()
	f.Team = team.ID
	got = must[[]dialer.AgentReport](t)(w.s.AgentReport(t.Context(), f))
	bob.Calls, bob.ReadySec, bob.LoggedInSec = 3, 1800, 1800
	if want := []dialer.AgentReport{bob}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the team:\n got %+v\nwant %+v", got, want)
	}
}

func TestCampaignReport(t *testing.T) {
	w := newReportWorld(t)
	got := must[[]dialer.CampaignReport](t)(w.s.CampaignReport(t.Context(), w.filter()))
	if len(got) != 1 {
		t.Fatalf("%d campaigns, want 1: %+v", len(got), got)
	}
	r := got[0]
	want := dialer.CampaignReport{
		Campaign: w.campaign.ID, Name: "Spring",
		CampaignDay: dialer.CampaignDay{Start: w.day1, Attempts: 6, Contacts: 4, Abandoned: 1, AbandonRate: 0.25,
			Conversions: map[string]int{"SALE": 1, "NI": 1}},
		Days: []dialer.CampaignDay{
			{Start: w.day1, Attempts: 3, Contacts: 2, Abandoned: 1, AbandonRate: 0.5, Conversions: map[string]int{}},
			{Start: w.day2, Attempts: 3, Contacts: 2, Conversions: map[string]int{"SALE": 1, "NI": 1}},
		},
		Windows: []dialer.CampaignWindow{
			{Name: "today", From: w.day2, Attempts: 3, Contacts: 2},
			{Name: "24h", From: t0.Add(-24 * time.Hour), Attempts: 3, Contacts: 2},
			{Name: "30d", From: t0.AddDate(0, 0, -30), Attempts: 6, Contacts: 4, Abandoned: 1, AbandonRate: 0.25},
		},
	}
	r.Start = r.Start.UTC()
	for i := range r.Days {
		r.Days[i].Start = r.Days[i].Start.UTC()
	}
	for i := range r.Windows {
		r.Windows[i].From = r.Windows[i].From.UTC()
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("campaign report:\n got %+v\nwant %+v", r, want)
	}
}

func TestQueueReport(t *testing.T) {
	w := newReportWorld(t)
	got := must[[]dialer.QueueReport](t)(w.s.QueueReport(t.Context(), w.filter()))
	day2 := dialer.QueuePeriod{Start: w.day2, Offered: 4, Answered: 2, InService: 1, ServiceLevel: 0.25, Abandoned: 1,
		AvgWaitSec: 27.5, MaxWaitSec: 40}
	total := day2
	total.Start = w.day1
	want := []dialer.QueueReport{{Queue: w.queue.ID, Name: "sales", ServiceLevelSecond: 20, QueuePeriod: total,
		Periods: []dialer.QueuePeriod{{Start: w.day1}, day2}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("queue report:\n got %+v\nwant %+v", got, want)
	}

	f := w.filter()
	f.From, f.To, f.Hourly, f.Queue = w.day2.Add(10*time.Hour), w.day2.Add(12*time.Hour), true, w.queue.ID
	got = must[[]dialer.QueueReport](t)(w.s.QueueReport(t.Context(), f))
	if len(got) != 1 || len(got[0].Periods) != 2 {
		t.Fatalf("by hour: %+v", got)
	}
	h10, h11 := got[0].Periods[0], got[0].Periods[1]
	if h10.Offered != 2 || h10.Answered != 2 || h10.InService != 1 || h10.Abandoned != 0 ||
		h11.Offered != 2 || h11.Answered != 0 || h11.Abandoned != 1 || h11.MaxWaitSec != 0 {
		t.Fatalf("by hour: 10h %+v, 11h %+v", h10, h11)
	}

	f.Queue = w.queue.ID + 1 // no such queue: nothing
	if got = must[[]dialer.QueueReport](t)(w.s.QueueReport(t.Context(), f)); len(got) != 0 {
		t.Fatalf("another queue: %+v", got)
	}
}

func TestHangupReport(t *testing.T) {
	w := newReportWorld(t)
	got := must[[]dialer.HangupCount](t)(w.s.HangupReport(t.Context(), w.filter()))
	want := []dialer.HangupCount{
		{Cause: "NORMAL_CLEARING", Direction: dialer.Outbound, Calls: 5},
		{Cause: "NORMAL_CLEARING", Direction: dialer.Inbound, Calls: 3},
		{Cause: "NO_ANSWER", Direction: dialer.Outbound, Calls: 1},
		{Cause: "ORIGINATOR_CANCEL", Direction: dialer.Inbound, Calls: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hangups:\n got %+v\nwant %+v", got, want)
	}
}

func TestListCallsSearch(t *testing.T) {
	w := newReportWorld(t)
	for _, tc := range []struct {
		name string
		f    dialer.CallFilter
		want []string
	}{
		{"number part", dialer.CallFilter{Number: "612345"}, []string{"A"}},
		{"number wildcard is literal", dialer.CallFilter{Number: "%"}, nil},
		{"queue", dialer.CallFilter{Queue: w.queue.ID}, []string{"Q4", "Q3", "Q2", "Q1"}},
		{"outcome", dialer.CallFilter{Outcome: dialer.OutcomeAbandoned}, []string{"Q3", "d1-abandoned"}},
		{"disposition", dialer.CallFilter{Disposition: "SALE"}, []string{"late", "A"}},
		{"min billsec", dialer.CallFilter{MinBillsec: 100}, []string{"Q1", "A"}},
		{"recorded", dialer.CallFilter{HasRecording: true}, []string{"A"}},
		{"inbound answered", dialer.CallFilter{Direction: dialer.Inbound, Outcome: dialer.OutcomeAnswered, MinBillsec: 1}, []string{"Q2", "Q1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := must[[]dialer.Call](t)(w.s.ListCalls(t.Context(), tc.f))
			var got []string
			for _, c := range calls {
				for name, id := range w.calls {
					if id == c.ID {
						got = append(got, name)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
