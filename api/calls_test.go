package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestCallbackDue(t *testing.T) {
	now := t0 // 2026-11-20 15:00 UTC
	for _, c := range []struct {
		date, clock, zone string
		want              string // RFC 3339 UTC, or "field:<name>"
	}{
		{"2026-11-24", "14:30", "America/New_York", "2026-11-24T19:30:00Z"},
		{"2026-11-24", "14:30", "UTC", "2026-11-24T14:30:00Z"},
		{"2026-11-24", "14:30", "Asia/Kolkata", "2026-11-24T09:00:00Z"},
		// Spring forward: 02:30 never happens in New York on 2027-03-14.
		{"2027-03-14", "02:30", "America/New_York", "field:callback.time"},
		{"2027-03-14", "01:59", "America/New_York", "2027-03-14T06:59:00Z"},
		{"2027-03-14", "03:00", "America/New_York", "2027-03-14T07:00:00Z"},
		// Fall back: 01:30 happens twice on 2027-11-07; the first (EDT).
		{"2027-11-07", "01:30", "America/New_York", "2027-11-07T05:30:00Z"},
		{"2027-11-07", "02:30", "America/New_York", "2027-11-07T07:30:00Z"},
		{"2027-03-28", "01:30", "Europe/London", "field:callback.time"},
		{"2027-10-31", "01:30", "Europe/London", "2027-10-31T00:30:00Z"},
		// Lord Howe Island moves its clocks by half an hour.
		{"2027-04-04", "01:45", "Australia/Lord_Howe", "2027-04-03T14:45:00Z"},
		{"2027-10-03", "02:15", "Australia/Lord_Howe", "field:callback.time"},
		// Past and far future.
		{"2026-11-20", "09:59", "America/New_York", "field:callback.time"},
		{"2026-11-20", "10:01", "America/New_York", "2026-11-20T15:01:00Z"},
		{"2026-11-20", "10:00", "America/New_York", "field:callback.time"},
		{"2029-01-01", "10:00", "UTC", "field:callback.date"},
		// Bad input.
		{"2026-11-24", "14:30", "Mars/Olympus", "field:callback.time_zone"},
		{"2026-11-24", "14:30", "Local", "field:callback.time_zone"},
		{"2026-11-24", "14:30", "../../etc/passwd", "field:callback.time_zone"},
		{"2026-02-29", "14:30", "UTC", "field:callback.date"},
		{"24/11/2026", "14:30", "UTC", "field:callback.date"},
		{"2026-11-24", "2:30 PM", "UTC", "field:callback.time"},
		{"2026-11-24", "24:00", "UTC", "field:callback.time"},
		{"2026-11-24", "", "UTC", "field:callback.time"},
	} {
		got, err := callbackDue(c.date, c.clock, c.zone, now)
		if field, ok := strings.CutPrefix(c.want, "field:"); ok {
			fe := statusOf(err)
			if err == nil || fe.Field != field || fe.Code != 400 {
				t.Errorf("%s %s %s: %v, %v; want a 400 on %s", c.date, c.clock, c.zone, got, err, field)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != c.want || got.Location() != time.UTC {
			t.Errorf("%s %s %s: %v, %v; want %s", c.date, c.clock, c.zone, got, err, c.want)
		}
	}
}

// TestDisposeWithCallback: the wall clock is read in the given zone, else
// the lead's, else the service's.
func TestDisposeWithCallback(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		w    who
		call dialer.CallID
		cb   string
		want string
	}{
		{e.agent1, e.live1, `{"date":"2026-11-24","time":"14:30","anyone":true,"notes":"after lunch"}`, "2026-11-24T20:30:00Z"}, // lead1: America/Chicago
		{e.sup, e.live2, `{"date":"2026-11-24","time":"14:30"}`, "2026-11-24T19:30:00Z"},                                        // lead2 has none: the service's New York
		{e.agent1, e.live1, `{"date":"2026-11-24","time":"14:30","time_zone":"Europe/Paris"}`, "2026-11-24T13:30:00Z"},
	} {
		e.eng.reset()
		rec := e.do(c.w, "POST", "/api/v1/calls/"+string(c.call)+"/disposition", `{"code":"CALLBK","notes":"wants a quote","callback":`+c.cb+`}`)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", c.cb, rec.Code, rec.Body)
		}
		got := e.eng.called("Dispose")
		if len(got) != 1 {
			t.Fatalf("engine calls %v", e.eng.Calls())
		}
		r := got[0].Arg.(dialer.DispositionRequest)
		if r.Code != "CALLBK" || r.Notes != "wants a quote" || r.Callback == nil || r.Callback.DueAt.Format(time.RFC3339) != c.want {
			t.Fatalf("%s: engine got %+v %+v, want due %s", c.cb, r, r.Callback, c.want)
		}
		if strings.Contains(c.cb, "anyone") && (!r.Callback.Anyone || r.Callback.Notes != "after lunch") {
			t.Fatalf("callback %+v", r.Callback)
		}
	}
	// A call that has ended and left the engine is disposed from its
	// record (its lead's zone too).
	e.eng.reset()
	rec := e.do(e.agent1, "POST", "/api/v1/calls/"+string(e.rec1)+"/disposition", `{"code":"CALLBK","callback":{"date":"2026-11-24","time":"09:00"}}`)
	if rec.Code != 404 { // the fake engine knows only live calls
		t.Fatalf("record: %d %s", rec.Code, rec.Body)
	}
	if r := e.eng.called("Dispose")[0].Arg.(dialer.DispositionRequest); r.Callback.DueAt.Format(time.RFC3339) != "2026-11-24T15:00:00Z" {
		t.Fatalf("record's lead zone: %+v", r.Callback)
	}
}

func TestHistory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Agent 1: rec1 (answered, an hour ago) plus these, newer.
	e.addRecord(1, e.lead1.ID, t0.Add(-50*time.Minute), dialer.OutcomeNoAnswer, 0)
	e.addRecord(1, e.lead1.ID, t0.Add(-40*time.Minute), dialer.OutcomeFailed, 0)
	e.addRecord(1, 0, t0.Add(-30*time.Minute), dialer.OutcomeBusy, 0)
	in := dialer.NewCallID()
	must[dialer.Call](t)(e.store.CreateCall(ctx, dialer.Call{ID: in, Direction: dialer.Inbound, Origin: dialer.OriginInbound, Agent: 1,
		FromNumber: "+16465550111", ToNumber: "+18005550100", CreatedAt: t0.Add(-20 * time.Minute)}))
	must[dialer.Call](t)(e.store.FinishCall(ctx, dialer.CallEnd{Call: in, At: t0.Add(-18 * time.Minute), Outcome: dialer.OutcomeAnswered, Billsec: 95}))
	// Live: not in the history.
	must[dialer.Call](t)(e.store.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginManual, Agent: 1,
		ToNumber: "+12125550100", CreatedAt: t0.Add(-time.Minute)}))

	rec := e.do(e.agent1, "GET", "/api/v1/agents/1/history", "")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := decodeBody[struct{ Calls []historyItem }](t, rec).Calls
	var lines []string
	for _, h := range got {
		lines = append(lines, fmt.Sprintf("%s %s %s %ds %s", h.Time.Format("15:04"), h.Direction, h.Number, h.DurationSec, h.Status))
	}
	want := []string{
		"14:40 inbound +16465550111 95s answered",
		"14:30 outbound +12125550101 0s missed",
		"14:20 outbound +12125550101 0s failed",
		"14:10 outbound +12125550101 0s missed",
		"14:00 outbound +12125550101 42s answered",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for o, want := range map[dialer.CallOutcome]string{
		dialer.OutcomeAnswered: "answered", dialer.OutcomeFailed: "failed", dialer.OutcomeNoAnswer: "missed",
		dialer.OutcomeBusy: "missed", dialer.OutcomeRejected: "missed", dialer.OutcomeAbandoned: "missed",
		dialer.OutcomeMachine: "missed", dialer.OutcomeCancelled: "missed",
	} {
		if got := historyStatus(o); got != want {
			t.Errorf("%s: %s, want %s", o, got, want)
		}
	}
}

func TestCallsCSV(t *testing.T) {
	e := newEnv(t)
	defer func(n int) { csvPage = n }(csvPage)
	csvPage = 2
	ctx := t.Context()
	var ids []dialer.CallID
	for i := range 5 {
		ids = append(ids, e.addRecord(1, e.lead1.ID, t0.Add(time.Duration(i-30)*time.Minute), dialer.OutcomeAnswered, i))
	}
	if _, err := e.store.DisposeCall(ctx, dialer.Disposal{Call: ids[4], Code: "SALE", Notes: `=HYPERLINK("http://x","y"), "quoted"`, Agent: 1, At: t0}); err != nil {
		t.Fatal(err)
	}
	read := func(w who, q string) [][]string {
		t.Helper()
		rec := e.do(w, "GET", "/api/v1/calls.csv"+q, "")
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %s", q, rec.Code, rec.Body)
		}
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(csvColumns, ",") {
			t.Fatalf("header %v", rows[0])
		}
		return rows[1:]
	}
	// Supervisor: everyone's 7 calls (5 + rec1 + rec2), newest first,
	// across pages of 2.
	rows := read(e.sup, "")
	if len(rows) != 7 || rows[0][0] != string(ids[4]) || rows[4][0] != string(ids[0]) {
		t.Fatalf("rows %v", rows)
	}
	first := rows[0]
	if first[2] != "outbound" || first[5] != "+12125550101" || first[6] != "1" || first[10] != "answered" || first[12] != "4" ||
		first[16] != "SALE" || first[17] != `'=HYPERLINK("http://x","y"), "quoted"` {
		t.Fatalf("first row %q", first)
	}
	// Filters and limit.
	if rows := read(e.sup, "?agent=2"); len(rows) != 1 || rows[0][0] != string(e.rec2) {
		t.Fatalf("agent 2: %v", rows)
	}
	if rows := read(e.sup, "?limit=3"); len(rows) != 3 {
		t.Fatalf("limit 3: %d rows", len(rows))
	}
	since := t0.Add(-28 * time.Minute).Format(time.RFC3339)
	if rows := read(e.sup, "?agent=1&since="+since); len(rows) != 3 {
		t.Fatalf("since: %d rows", len(rows))
	}
	// An agent gets its own only, and a seatless key nothing.
	if rows := read(e.agent1, ""); len(rows) != 6 {
		t.Fatalf("agent 1: %d rows", len(rows))
	}
	if rows := read(e.keyAgent, ""); len(rows) != 0 {
		t.Fatalf("agent key: %d rows", len(rows))
	}
}

func TestGetCall(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.agent1, "GET", "/api/v1/calls/"+string(e.live1), "")
	d := decodeBody[callDetail](t, rec)
	if rec.Code != 200 || !d.Live || d.View == nil || d.View.ID != e.live1 {
		t.Fatalf("live: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.agent1, "GET", "/api/v1/calls/"+strings.ToUpper(string(e.rec1)), "")
	d = decodeBody[callDetail](t, rec)
	if rec.Code != 200 || d.Live || d.Record == nil || d.Record.ID != e.rec1 || len(d.Legs) != 1 || len(d.Timeline) < 3 {
		t.Fatalf("record: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.agent1, "GET", "/api/v1/calls/"+string(dialer.NewCallID()), ""); rec.Code != 404 {
		t.Fatalf("unknown: %d", rec.Code)
	}
	rec = e.do(e.sup, "GET", "/api/v1/calls/live", "")
	if lc := decodeBody[struct{ Calls []dialer.CallView }](t, rec).Calls; len(lc) != 2 {
		t.Fatalf("live calls %v", lc)
	}
}

func TestCallbacksPage(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.agent1, "GET", "/api/v1/callbacks", "")
	items := decodeBody[struct{ Callbacks []callbackItem }](t, rec).Callbacks
	// Agent 1's own and anyone's, with the lead joined.
	if rec.Code != 200 || len(items) != 2 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for _, it := range items {
		if it.Agent == 2 || it.Lead == nil || it.Lead.Phone != e.lead1.Phone || it.Lead.Custom["plan"] != "gold" || it.Lead.TimeZone != "America/Chicago" {
			t.Fatalf("item %+v lead %+v", it, it.Lead)
		}
		if it.DueLocal != "2026-11-21T09:00:00-06:00" {
			t.Fatalf("due local %s", it.DueLocal)
		}
	}
	rec = e.do(e.sup, "GET", "/api/v1/callbacks?scope=all&due_before=2026-11-22T00:00:00Z", "")
	if items := decodeBody[struct{ Callbacks []callbackItem }](t, rec).Callbacks; len(items) != 3 {
		t.Fatalf("all: %s", rec.Body)
	}
	rec = e.do(e.sup, "GET", "/api/v1/callbacks?scope=all&due_before=2026-11-21T00:00:00Z", "")
	if items := decodeBody[struct{ Callbacks []callbackItem }](t, rec).Callbacks; len(items) != 0 {
		t.Fatalf("none due yet: %s", rec.Body)
	}
	// Done is a compare-and-set: the second time is a conflict.
	path := fmt.Sprintf("/api/v1/callbacks/%d/done", e.cbAny)
	if rec := e.do(e.agent1, "POST", path, ""); rec.Code != 200 || decodeBody[dialer.Callback](t, rec).Status != dialer.CallbackDone {
		t.Fatalf("done: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.agent2, "POST", path, ""); rec.Code != 409 {
		t.Fatalf("done again: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.agent1, "POST", fmt.Sprintf("/api/v1/callbacks/%d/dial", e.cb1), ""); rec.Code != 201 {
		t.Fatalf("dial: %d %s", rec.Code, rec.Body)
	}
	if got := e.eng.called("DialCallback"); len(got) != 1 || got[0].Arg.(dialer.CallbackID) != e.cb1 || got[0].Actor.Agent != 1 {
		t.Fatalf("engine %v", got)
	}
}

// TestLeadShowsAttempts: the lead panel counts the calls placed to the
// lead, not the calls it made, and an edit keeps the count.
func TestLeadShowsAttempts(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID)
	// The workspace reads the field by this name.
	get := func() int {
		t.Helper()
		rec := e.do(e.agent1, "GET", path, "")
		if rec.Code != 200 {
			t.Fatalf("GET lead: %d %s", rec.Code, rec.Body)
		}
		l := decodeBody[struct {
			Attempts *int `json:"attempts"`
		}](t, rec)
		if l.Attempts == nil {
			t.Fatalf("no attempts in %s", rec.Body)
		}
		return *l.Attempts
	}
	if n := get(); n != 1 {
		t.Fatalf("%d attempts after one call, want 1", n)
	}
	e.addRecord(1, e.lead1.ID, t0.Add(-30*time.Minute), dialer.OutcomeBusy, 0)
	if n := get(); n != 2 {
		t.Fatalf("%d attempts after two calls, want 2", n)
	}
	in := dialer.NewCallID()
	must[dialer.Call](t)(e.store.CreateCall(t.Context(), dialer.Call{ID: in, Direction: dialer.Inbound, Origin: dialer.OriginInbound,
		Campaign: e.campaign.ID, Lead: e.lead1.ID, FromNumber: e.lead1.Phone, CreatedAt: t0.Add(-10 * time.Minute)}))
	if n := get(); n != 2 {
		t.Fatalf("%d attempts after the lead called in, want 2", n)
	}
	if rec := e.do(e.agent1, "PATCH", path, `{"first_name":"Leo"}`); rec.Code != 200 {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	if n := get(); n != 2 {
		t.Fatalf("%d attempts after an edit, want 2", n)
	}
}

// TestStartCallSaysWhenNoAgentIsReady: "dialing" alone hid that the lead
// would be abandoned on answer for want of a READY agent.
func TestStartCallSaysWhenNoAgentIsReady(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		ready   []dialer.AgentID
		body    string
		want    int
		warning string // "" : none
	}{
		{nil, `{"number":"+12125550100"}`, 0, "no agent is READY: if none is READY when the lead answers, the call is abandoned"},
		{[]dialer.AgentID{1, 2}, `{"number":"+12125550100"}`, 2, ""},
		{[]dialer.AgentID{1}, `{"number":"+12125550100","agent_id":2}`, 0, "agent 2 is not READY: if it is not READY when the lead answers, the call is abandoned"},
		{[]dialer.AgentID{2}, `{"number":"+12125550100","agent_id":2}`, 1, ""},
	} {
		e.eng.mu.Lock()
		e.eng.ready = c.ready
		e.eng.mu.Unlock()
		rec := e.do(e.admin, "POST", "/api/v1/calls", c.body)
		if rec.Code != 201 {
			t.Fatalf("%s: %d %s", c.body, rec.Code, rec.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		w, hasWarning := got["warning"]
		if got["ready_agents"] != float64(c.want) || hasWarning != (c.warning != "") || c.warning != "" && w != c.warning {
			t.Errorf("%s with READY %v: %s", c.body, c.ready, rec.Body)
		}
		// Still the call view.
		if got["state"] != "dialing" || got["number"] != "+12125550100" || got["id"] == "" {
			t.Errorf("%s: not the call: %s", c.body, rec.Body)
		}
	}
}
