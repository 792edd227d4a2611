package dialer

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
)

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		s    AgentState
		want paceRole
	}{
		{AgentReady, roleReady},
		{AgentReserved, roleTalking},
		{AgentRinging, roleTalking},
		{AgentInCall, roleTalking},
		{AgentDispo, roleWrapUp},
		{AgentPaused, roleNone},
		{AgentLoggedOut, roleNone},
	} {
		if got := roleOf(tc.s); got != tc.want {
			t.Errorf("%s: role %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestAgentsOf(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name    string
		views   []AgentView
		ready   int
		talking []time.Duration
		wrap    []time.Duration
	}{
		{"nobody", nil, 0, nil, nil},
		{"ready whatever their time", []AgentView{{State: AgentReady, Since: ago(time.Hour)}, {State: AgentReady, Since: now}}, 2, nil, nil},
		{"in call: since connected", []AgentView{{State: AgentInCall, Since: ago(90 * time.Second)}}, 0, []time.Duration{90 * time.Second}, nil},
		{"reserved and ringing: a whole talk ahead", []AgentView{{State: AgentReserved, Since: ago(3 * time.Second)},
			{State: AgentRinging, Since: ago(5 * time.Second)}}, 0, []time.Duration{0, 0}, nil},
		{"wrap-up: since the call ended", []AgentView{{State: AgentDispo, Since: ago(12 * time.Second)}}, 0, nil, []time.Duration{12 * time.Second}},
		{"paused is not staffed", []AgentView{{State: AgentPaused, Since: ago(time.Minute)}}, 0, nil, nil},
		{"a clock step back counts 0", []AgentView{{State: AgentDispo, Since: now.Add(time.Second)}}, 0, nil, []time.Duration{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := agentsOf(tc.views, now)
			if a.ready != tc.ready || !slices.Equal(a.talking, tc.talking) || !slices.Equal(a.wrapUp, tc.wrap) {
				t.Fatalf("got ready %d talking %v wrap %v; want %d %v %v", a.ready, a.talking, a.wrapUp, tc.ready, tc.talking, tc.wrap)
			}
		})
	}
}

// TestHistorySnapshot: what the calls' events make of the pacer's
// snapshot: attempts, live answers (an answer is live, an unanswered end
// is not), calls still ringing and their ages, the windows.
func TestHistorySnapshot(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type ev func(h *campHistory)
	dial := func(l LeadID, s int) ev { return func(h *campHistory) { h.dialed(l, at(s)) } }
	answer := func(l LeadID, s int) ev { return func(h *campHistory) { h.answered(l, at(s)) } }
	end := func(l LeadID, o CallOutcome, connected, s int) ev {
		return func(h *campHistory) {
			var c time.Time
			if connected >= 0 {
				c = at(connected)
			}
			h.ended(l, o, c, at(s))
		}
	}
	void := func(l LeadID) ev { return func(h *campHistory) { h.notPlaced(l) } }
	seat := func(l LeadID) ev { return func(h *campHistory) { h.seated(l) } }
	secs := func(s ...int) []time.Duration {
		var d []time.Duration
		for _, x := range s {
			d = append(d, time.Duration(x)*time.Second)
		}
		return d
	}
	for _, tc := range []struct {
		name           string
		events         []ev
		now            int
		recent, latest pacing.Outcomes
		ringing        []time.Duration
		dialed         []time.Duration // youngest first
		waiting        int
		minute, hour   pacing.Window
		talks, rings   int
	}{
		{name: "nothing", now: 10},
		{name: "dialed: ringing", events: []ev{dial(1, 0), dial(2, 5)}, now: 10,
			recent: pacing.Outcomes{Attempts: 2}, latest: pacing.Outcomes{Attempts: 2},
			ringing: secs(5, 10), dialed: secs(5, 10)},
		{name: "answered: live, not ringing, ring time kept, counted answered at once, waits for an agent", events: []ev{dial(1, 0), answer(1, 8)}, now: 10,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, latest: pacing.Outcomes{Attempts: 1, Live: 1}, dialed: secs(10), waiting: 1,
			minute: pacing.Window{Answered: 1}, hour: pacing.Window{Answered: 1}, rings: 1},
		{name: "answered and an agent reserved: no longer waiting", events: []ev{dial(1, 0), answer(1, 8), seat(1)}, now: 10,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, latest: pacing.Outcomes{Attempts: 1, Live: 1}, dialed: secs(10),
			minute: pacing.Window{Answered: 1}, hour: pacing.Window{Answered: 1}, rings: 1},
		{name: "no answer: an attempt, not live", events: []ev{dial(1, 0), end(1, OutcomeNoAnswer, -1, 25)}, now: 30,
			recent: pacing.Outcomes{Attempts: 1}, latest: pacing.Outcomes{Attempts: 1}, dialed: secs(30)},
		{name: "not placed: no attempt", events: []ev{dial(1, 0), void(1)}, now: 1},
		{name: "talked: a live answer (when answered), a talk", events: []ev{dial(1, 0), answer(1, 5), end(1, OutcomeAnswered, 6, 66)}, now: 70,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, hour: pacing.Window{Answered: 1}, talks: 1, rings: 1},
		{name: "abandoned: answered, abandoned, no talk", events: []ev{dial(1, 0), answer(1, 5), end(1, OutcomeAbandoned, -1, 9)}, now: 20,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, latest: pacing.Outcomes{Attempts: 1, Live: 1}, dialed: secs(20),
			minute: pacing.Window{Answered: 1, Abandoned: 1}, hour: pacing.Window{Answered: 1, Abandoned: 1}, rings: 1},
		{name: "older than the minute: in the hour; older than 30 s: not latest",
			events: []ev{dial(1, 0), answer(1, 5), end(1, OutcomeAbandoned, -1, 9)}, now: 600,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, hour: pacing.Window{Answered: 1, Abandoned: 1}, rings: 1},
		{name: "older than the hour: gone from the windows",
			events: []ev{dial(1, 0), answer(1, 5), end(1, OutcomeAbandoned, -1, 9)}, now: 3700,
			recent: pacing.Outcomes{Attempts: 1, Live: 1}, rings: 1},
		{name: "a call not dialed by the pacer changes nothing", events: []ev{answer(9, 5), end(9, OutcomeAnswered, 6, 20)}, now: 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCampHistory()
			for _, e := range tc.events {
				e(h)
			}
			s := h.snapshot(agents{}, pacing.LogStats{}, at(tc.now))
			slices.Sort(s.Ringing)
			if s.Recent != tc.recent || s.Latest != tc.latest || !slices.Equal(s.Ringing, tc.ringing) {
				t.Errorf("recent %+v latest %+v ringing %v; want %+v %+v %v", s.Recent, s.Latest, s.Ringing, tc.recent, tc.latest, tc.ringing)
			}
			if !slices.Equal(s.Dialed, tc.dialed) || s.Waiting != tc.waiting {
				t.Errorf("dialed %v waiting %d; want %v %d", s.Dialed, s.Waiting, tc.dialed, tc.waiting)
			}
			if s.Minute != tc.minute || s.Hour != tc.hour {
				t.Errorf("minute %+v hour %+v; want %+v %+v", s.Minute, s.Hour, tc.minute, tc.hour)
			}
			if s.Talk.N != tc.talks || s.Ring.N != tc.rings {
				t.Errorf("%d talks %d rings; want %d %d", s.Talk.N, s.Ring.N, tc.talks, tc.rings)
			}
		})
	}
}

// TestHistoryRingIsBounded: the live-answer rate reads the last few
// hundred attempts, or the last minute's when more (a large campaign
// rings more lines at once than a few hundred).
func TestHistoryRingIsBounded(t *testing.T) {
	t.Run("the last minute's when more", func(t *testing.T) {
		t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
		h := newCampHistory()
		for i := range 3 * recentAttempts {
			h.dialed(LeadID(i+1), t0.Add(time.Duration(i)*100*time.Millisecond)) // 10 a second for 90 s
		}
		now := t0.Add(90 * time.Second)
		s := h.snapshot(agents{}, pacing.LogStats{}, now)
		// Dialed from 30 s on: those within the minute.
		if want := 3*recentAttempts - 300; s.Recent.Attempts != want || len(s.Dialed) != want || len(s.Ringing) != 3*recentAttempts {
			t.Fatalf("recent %+v, %d ages, %d ringing; want %d attempts and ages, %d ringing", s.Recent, len(s.Dialed), len(s.Ringing), want, 3*recentAttempts)
		}
		if s.Dialed[0] != 100*time.Millisecond || s.Dialed[len(s.Dialed)-1] != time.Minute {
			t.Fatalf("ages from %v to %v; want youngest first, 100ms to 1m", s.Dialed[0], s.Dialed[len(s.Dialed)-1])
		}
		s = h.snapshot(agents{}, pacing.LogStats{}, now.Add(time.Hour))
		if s.Recent.Attempts != recentAttempts || len(s.Dialed) != 0 {
			t.Fatalf("an hour later: recent %+v, %d ages; want %d attempts, no ages", s.Recent, len(s.Dialed), recentAttempts)
		}
	})
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	h := newCampHistory()
	for i := range 2 * recentAttempts {
		l := LeadID(i + 1)
		h.dialed(l, t0)
		if i < recentAttempts {
			h.answered(l, t0.Add(time.Second)) // the older half all live
		}
		h.ended(l, OutcomeNoAnswer, time.Time{}, t0.Add(2*time.Second))
	}
	s := h.snapshot(agents{}, pacing.LogStats{}, t0.Add(time.Hour))
	if s.Recent.Attempts != recentAttempts || s.Recent.Live != 0 || len(h.open) != 0 {
		t.Fatalf("recent %+v, %d open; want %d attempts, none live, none open", s.Recent, len(h.open), recentAttempts)
	}
}

// TestTalkPerAgentHour: an hour of 10 agents staffed, talking 40 minutes
// each, is 40 talk minutes per agent-hour.
func TestTalkPerAgentHour(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	h := newCampHistory()
	for s := 0; s < 3600; s++ {
		h.staff(10, t0.Add(time.Duration(s)*time.Second))
	}
	for i := range 10 {
		l := LeadID(i + 1)
		h.dialed(l, t0)
		h.answered(l, t0.Add(time.Second))
		h.ended(l, OutcomeAnswered, t0.Add(1800*time.Second), t0.Add(3600*time.Second-time.Nanosecond))
		for k := range 2 {
			l := LeadID(100 + 2*i + k)
			h.dialed(l, t0)
			h.answered(l, t0.Add(time.Second))
			h.ended(l, OutcomeAnswered, t0.Add(time.Duration(600*k)*time.Second), t0.Add(time.Duration(600*k+300)*time.Second))
		}
	}
	s := h.snapshot(agents{ready: 10}, pacing.LogStats{}, t0.Add(3599*time.Second))
	v := h.figures(7, pacing.Decision{State: pacing.Predictive}, s)
	if math.Abs(v.TalkPerAgentHour-40) > 0.5 {
		t.Fatalf("talk %.1f min per agent-hour, want 40", v.TalkPerAgentHour)
	}
	if v.Staffed != 10 || v.LiveAnswerRate != 1 {
		t.Fatalf("figures %+v", v)
	}
}

func TestProgressiveBaseline(t *testing.T) {
	for _, tc := range []struct {
		name       string
		p, a, t, u float64
		want       float64
	}{
		// 1/0.25 attempts of 20 s, 120 s talk, 30 s wrap-up: 120 of 230 s.
		{"a quarter answer", 0.25, 20, 120, 30, 60 * 120.0 / 230},
		{"every call answers", 1, 20, 120, 30, 60 * 120.0 / 170},
		{"no answer rate yet", 0, 20, 120, 30, 0},
		{"no talk yet", 0.25, 20, 0, 30, 0},
	} {
		if got := progressiveBaseline(tc.p, tc.a, tc.t, tc.u); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %.3f, want %.3f", tc.name, got, tc.want)
		}
	}
}

// TestHubWrapStats: a wrap-up ends when the agent leaves DISPO; its
// length is kept for the campaign it was on.
func TestHubWrapStats(t *testing.T) {
	h := newHub(8)
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	camp := &CampaignRef{ID: 4}
	for _, v := range []AgentView{
		{ID: 1, State: AgentInCall, Since: t0, Campaign: camp},
		{ID: 1, State: AgentDispo, Since: t0.Add(time.Minute), Campaign: camp},
		{ID: 1, State: AgentDispo, Since: t0.Add(time.Minute), Campaign: camp}, // a refresh, not an end
		{ID: 1, State: AgentReady, Since: t0.Add(time.Minute + 20*time.Second), Campaign: camp},
		{ID: 2, State: AgentPaused, Since: t0, Campaign: camp},
	} {
		h.publish(LiveEvent{Type: EvAgentState, AgentView: &v})
	}
	w := h.wrapStats(4)
	if w.N != 1 || math.Abs(w.Sum-math.Log(20)) > 1e-9 {
		t.Fatalf("wrap stats %+v, want one of 20 s", w)
	}
	if got := len(h.campaignAgents(4)); got != 2 || !h.staffed(4) {
		t.Fatalf("%d agents on the campaign, want 2", got)
	}
	h.publish(LiveEvent{Type: EvAgentState, AgentView: &AgentView{ID: 1, State: AgentLoggedOut, Campaign: camp}})
	h.publish(LiveEvent{Type: EvAgentState, AgentView: &AgentView{ID: 2, State: AgentLoggedOut, Campaign: camp}})
	if h.staffed(4) {
		t.Fatal("logged-out agents still staff the campaign")
	}
}

// TestHistoryAnswersBounded: a campaign whose history is never read for
// a snapshot (progressive) keeps only the last hour's answers.
func TestHistoryAnswersBounded(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	h := newCampHistory()
	for i := range 240 {
		at := t0.Add(time.Duration(i) * time.Minute)
		h.dialed(LeadID(i+1), at)
		h.answered(LeadID(i+1), at.Add(time.Second))
		h.ended(LeadID(i+1), OutcomeAnswered, at.Add(time.Second), at.Add(time.Minute))
	}
	if n := len(h.answers); n > 61 {
		t.Fatalf("%d answers kept over 4 hours, want the last hour's", n)
	}
}

// BenchmarkPacingPass: one predictive pass's own work for a campaign of
// 200 agents with 300 attempts in memory and 150 lines ringing: the
// agents sorted, the snapshot, the decision and the figures.
func BenchmarkPacingPass(b *testing.B) {
	// 200 agents, 150 lines ringing; 2,000 agents, 1,500 ringing and the
	// last minute's 4,000 attempts.
	for _, sz := range []struct{ agents, ringing, perSec int }{{200, 150, 0}, {2000, 1500, 66}} {
		b.Run(fmt.Sprintf("agents=%d", sz.agents), func(b *testing.B) { benchPacingPass(b, sz.agents, sz.ringing, sz.perSec) })
	}
}

func benchPacingPass(b *testing.B, agents, ringing, perSec int) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	h := newCampHistory()
	for i := range recentAttempts {
		l := LeadID(i + 1)
		h.dialed(l, now.Add(-time.Duration(600-i)*time.Second))
		if i%4 == 0 {
			h.answered(l, now.Add(-time.Duration(590-i)*time.Second))
			h.ended(l, OutcomeAnswered, now.Add(-time.Duration(590-i)*time.Second), now.Add(-time.Duration(400-i)*time.Second))
		} else {
			h.ended(l, OutcomeNoAnswer, time.Time{}, now.Add(-time.Duration(575-i)*time.Second))
		}
	}
	// The last minute's calls that have ended (a quarter of them live).
	for i := range 60 * perSec {
		l := LeadID(100000 + i)
		at := now.Add(-time.Minute + time.Duration(i)*time.Minute/time.Duration(60*perSec))
		h.dialed(l, at)
		if i%4 == 0 {
			h.answered(l, at.Add(8*time.Second))
		}
		h.ended(l, OutcomeNoAnswer, time.Time{}, at.Add(time.Second))
	}
	for i := range ringing {
		h.dialed(LeadID(10000+i), now.Add(-time.Duration(i%25)*time.Second))
	}
	// Three ended talks per agent, as a warm campaign has.
	for i := range 3 * agents {
		h.talk.Add(time.Duration(60+i%240) * time.Second)
	}
	views := make([]AgentView, agents)
	var wrap pacing.LogStats
	for i := range views {
		views[i] = AgentView{State: []AgentState{AgentReady, AgentInCall, AgentInCall, AgentDispo}[i%4], Since: now.Add(-time.Duration(i%300) * time.Second)}
		wrap.Add(time.Duration(5+i%20) * time.Second)
	}
	cfg := DefaultCampaignSettings().PacingConfig()
	b.ReportAllocs()
	for b.Loop() {
		ag := agentsOf(views, now)
		h.staff(agents, now)
		s := h.snapshot(ag, wrap, now)
		d := pacing.Decide(cfg, s)
		h.fig = h.figures(1, d, s)
	}
	if h.fig.State != string(pacing.Predictive) {
		b.Fatalf("pacing %+v, want predictive", h.fig)
	}
}
