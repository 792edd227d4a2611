package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// addScheduledRequest is a request of a new widget waiting for tomorrow.
func (e *testEnv) addScheduledRequest(n int) dialer.WidgetRequest {
	e.t.Helper()
	w := e.addWidget(9000 + n)
	r, _, err := e.store.CreateWidgetRequest(e.t.Context(), dialer.WidgetRequest{WidgetID: w.ID, Source: "api",
		CreatedAt: e.clock.Now(), Numbers: []string{fmt.Sprintf("+1202555%04d", n)}, Status: dialer.RequestScheduled,
		MaxAttempts: 1, NextAttemptAt: e.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

type requestPage struct {
	Requests   []map[string]any `json:"requests"`
	NextBefore *int64           `json:"next_before"`
}

func TestWidgetRequestsListRefusals(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) {
		w.Settings.Countries = dialer.WidgetCountries{Mode: "selected", Allowed: []string{"US"}, First: []string{}}
	})
	for _, f := range []map[string]string{
		lw.fields("lc_number", "+12025550143", "lc_param_city", "Boston"), // accepted
		lw.fields("lc_number", "+12025550143"),                            // repeat
		lw.fields("lc_number", "+19005550143"),                            // premium
		lw.fields("lc_number", "+442079460000"),                           // country
		lw.fields("lc_number", "call me"),                                 // invalid
	} {
		e.leadSend("json", f)
	}
	// A flood past the widget's bucket is one row with a count.
	now := e.clock.Now()
	for range int(leadPerWidget.burst) {
		e.srv.leadLimits.take(fmt.Sprintf("widget:%d", lw.w.ID), now, leadPerWidget)
	}
	for range 3 {
		if rec := e.leadSend("json", lw.fields("lc_number", "+12025550199")); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("flood %d %s", rec.Code, rec.Body)
		}
	}

	// Past the client's own bucket too (before the widget is looked up):
	// counted for the widget the request names, in the same row.
	for range int(leadPerIP.burst) {
		e.srv.leadLimits.take("ip:192.0.2.1", now, leadPerIP)
	}
	for range 2 {
		if rec := e.leadSend("json", lw.fields("lc_number", "+12025550199")); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("client flood %d %s", rec.Code, rec.Body)
		}
	}
	e.opts.LeadCalls.FlushRateLimited(t.Context())

	rec := e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widget-requests?widget_id=%d", lw.w.ID), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	page := decodeBody[requestPage](t, rec)
	type row struct{ status, reason, field string }
	var got []row
	for _, r := range page.Requests {
		got = append(got, row{r["status"].(string), r["reason"].(string), r["field"].(string)})
	}
	want := []row{{"refused", "rate_limited", "widget_key"}, {"refused", "invalid", "lc_number"}, {"refused", "country", "lc_number"},
		{"refused", "premium", "lc_number"}, {"refused", "repeat", "lc_number"}, {"calling", "", ""}}
	if fmt.Sprint(got) != fmt.Sprint(want) || page.NextBefore != nil {
		t.Fatalf("rows %v\nwant %v", got, want)
	}
	if c := page.Requests[0]["count"]; c != 5.0 {
		t.Fatalf("coalesced count %v", c)
	}
	accepted := page.Requests[5]
	if accepted["widget_name"] != lw.w.Name || accepted["source"] != "api" || accepted["attempts"] != 1.0 ||
		accepted["call_id"] == "" || accepted["next_attempt_at"] != nil || accepted["connected_at"] != nil {
		t.Fatalf("accepted %v", accepted)
	}

	for _, tc := range []struct {
		query string
		n     int
	}{
		{"status=refused", 5},
		{"q=boston", 1},
		{"q=19005550143", 1},
		{"limit=2", 2},
		{"from=" + url.QueryEscape(now.Add(time.Second).Format(time.RFC3339)), 0},
		{"to=" + url.QueryEscape(now.Add(time.Second).Format(time.RFC3339)), 6},
	} {
		p := decodeBody[requestPage](t, e.do(e.sup, "GET", "/api/v1/widget-requests?"+tc.query, ""))
		if len(p.Requests) != tc.n {
			t.Errorf("%s: %d rows, want %d", tc.query, len(p.Requests), tc.n)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"status=lost", "status"},
		{"limit=201", "limit"},
		{"widget_id=x", "widget_id"},
		{"from=yesterday", "from"},
		{"from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "to"},
		{"before=-1", "before"},
	} {
		rec := e.do(e.sup, "GET", "/api/v1/widget-requests?"+tc.query, "")
		if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != tc.field {
			t.Errorf("%s: %d %s, want field %s", tc.query, rec.Code, rec.Body, tc.field)
		}
	}
	// Paging goes on from next_before.
	p1 := decodeBody[requestPage](t, e.do(e.sup, "GET", "/api/v1/widget-requests?limit=4", ""))
	if p1.NextBefore == nil {
		t.Fatal("no next page")
	}
	p2 := decodeBody[requestPage](t, e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widget-requests?limit=4&before=%d", *p1.NextBefore), ""))
	if len(p2.Requests) != 2 || p2.Requests[0]["id"].(float64) >= float64(*p1.NextBefore) {
		t.Fatalf("second page %v", p2)
	}
}

// A request's detail lists its attempts; cancel ends a scheduled one only.
func TestWidgetRequestDetailAndCancel(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) {
		w.Settings.Retry = dialer.WidgetRetry{Enabled: true, Intervals: []int{120}, When: "visitor"}
		w.Settings.Recording.Enabled = true
	})
	rec := e.leadSend("json", lw.fields("lc_number", "+12025550143"))
	id := decodeBody[leadCallResponse](t, rec).RequestID
	e.speedCalls()[0].Done(dialer.SpeedOutcome{Call: "c1", Manager: -1, Number: "+12025550143", Result: dialer.SpeedLeadNoAnswer})
	path := fmt.Sprintf("/api/v1/widget-requests/%d", id)
	var d map[string]any
	waitFor(t, "the retry scheduled", func() bool {
		d = decodeBody[map[string]any](t, e.do(e.sup, "GET", path, ""))
		return d["status"] == "scheduled"
	})
	log := d["attempts_log"].([]any)
	if len(log) != 1 || d["max_attempts"] != 2.0 || d["next_attempt_at"] != e.clock.Now().Add(2*time.Minute).Format(time.RFC3339) {
		t.Fatalf("after attempt 1 %v", d)
	}
	if a := log[0].(map[string]any); a["n"] != 1.0 || a["result"] != "lead_no_answer" || a["call_id"] == "" || a["ended_at"] == nil {
		t.Fatalf("attempt %v", a)
	}
	if rec := e.do(e.sup, "POST", path+"/cancel", ""); rec.Code != http.StatusForbidden {
		t.Fatalf("supervisor cancels: %d", rec.Code)
	}
	rec = e.do(e.admin, "POST", path+"/cancel", "")
	if rec.Code != http.StatusOK || decodeBody[map[string]any](t, rec)["status"] != "cancelled" {
		t.Fatalf("cancel %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.admin, "POST", path+"/cancel", "")
	if rec.Code != http.StatusConflict || errorOf(t, rec).Field != "status" {
		t.Fatalf("cancel twice %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "POST", "/api/v1/widget-requests/999/cancel", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("cancel unknown %d %s", rec.Code, rec.Body)
	}
	// The scheduler does not start a cancelled request.
	e.clock.Advance(time.Hour)
	e.opts.LeadCalls.RunDue(t.Context())
	if n := len(e.speedCalls()); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

// The same Idempotency-Key after a restart (a new server on the same
// store) answers the first body again and rings nobody.
func TestLeadCallIdempotencyAcrossRestart(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, nil)
	f := lw.fields("lc_number", "+12025550143")
	first := e.leadSend("json", f, "Idempotency-Key", "order-1")
	if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("%d %s", first.Code, first.Body)
	}
	e.srv = New(e.opts)
	var wg sync.WaitGroup
	answers := make([]string, 4)
	for i := range answers {
		wg.Go(func() {
			rec := e.leadSend("json", f, "Idempotency-Key", "order-1")
			answers[i] = fmt.Sprint(rec.Code, rec.Header().Get("Idempotent-Replayed"), rec.Body.String())
		})
	}
	wg.Wait()
	for _, a := range answers {
		if a != fmt.Sprint(201, "true", first.Body.String()) {
			t.Fatalf("answers %q, first %s", answers, first.Body)
		}
	}
	if n := len(e.speedCalls()); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

func TestWidgetDashboardCutsDaysInTheZone(t *testing.T) {
	e := newEnv(t)
	w := e.addWidget(1)
	other := e.addWidget(2)
	ctx := t.Context()
	add := func(w dialer.WidgetID, number string, at time.Time, end func(dialer.WidgetRequest)) {
		r, _, err := e.store.CreateWidgetRequest(ctx, dialer.WidgetRequest{WidgetID: w, Source: "widget", CreatedAt: at,
			Numbers: []string{number}, Status: dialer.RequestScheduled, MaxAttempts: 1, NextAttemptAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if end != nil {
			end(r)
		}
	}
	connect := func(wait, talk int) func(dialer.WidgetRequest) {
		return func(r dialer.WidgetRequest) {
			if err := e.store.StartWidgetAttempt(ctx, r.ID, 1, r.CreatedAt); err != nil {
				t.Fatal(err)
			}
			at := r.CreatedAt.Add(time.Duration(wait+talk) * time.Second)
			if _, err := e.store.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 1, At: at, Result: dialer.SpeedConnected,
				TalkSeconds: talk, Status: dialer.RequestConnected}); err != nil {
				t.Fatal(err)
			}
		}
	}
	missed := func(r dialer.WidgetRequest) {
		if err := e.store.StartWidgetAttempt(ctx, r.ID, 1, r.CreatedAt); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 1, At: r.CreatedAt, Result: dialer.SpeedNoManager,
			Status: dialer.RequestMissed}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
	add(w.ID, "+12025550101", day(6, 23, 30), connect(20, 100)) // 00:30 on 7 Dec in Berlin
	add(w.ID, "+12025550102", day(7, 10, 0), connect(40, 200))
	add(w.ID, "+12025550103", day(7, 11, 0), missed)
	add(w.ID, "+12025550104", day(7, 12, 0), nil) // scheduled
	add(w.ID, "+12025550105", day(6, 12, 0), missed)
	add(other.ID, "+12025550106", day(7, 12, 0), nil)
	if _, _, err := e.store.CreateWidgetRequest(ctx, dialer.WidgetRequest{WidgetID: w.ID, Source: "widget", CreatedAt: day(7, 13, 0),
		Status: dialer.RequestRefused, Reason: dialer.RefusedHoneypot}); err != nil {
		t.Fatal(err)
	}
	// A flood's row stands for its count.
	if err := e.store.RefuseRateLimited(ctx, dialer.WidgetRequest{WidgetID: w.ID, Source: "api", CreatedAt: day(7, 14, 0)}, 4); err != nil {
		t.Fatal(err)
	}

	q := url.Values{"widget_id": {fmt.Sprint(w.ID)}, "tz": {"Europe/Berlin"},
		"from": {"2026-12-05T23:00:00Z"}, "to": {"2026-12-07T23:00:00Z"}}
	rec := e.do(e.sup, "GET", "/api/v1/widget-dashboard?"+q.Encode(), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	want := `{"totals":{"requests":10,"connected":2,"missed":2,"refused":5,"scheduled":1,"avg_connect_seconds":30,"avg_talk_seconds":150},` +
		`"days":[{"day":"2026-12-06","requests":1,"connected":0,"missed":1,"refused":0,"scheduled":0,"avg_connect_seconds":null,"avg_talk_seconds":null},` +
		`{"day":"2026-12-07","requests":9,"connected":2,"missed":1,"refused":5,"scheduled":1,"avg_connect_seconds":30,"avg_talk_seconds":150}]}`
	if strings.TrimSpace(body) != want {
		t.Fatalf("dashboard\n got %s\nwant %s", body, want)
	}
	// In UTC the late request of the 6th stays on the 6th.
	q.Set("tz", "UTC")
	q.Set("from", "2026-12-06T00:00:00Z")
	q.Set("to", "2026-12-08T00:00:00Z")
	d := decodeBody[dialer.RequestDashboard](t, e.do(e.sup, "GET", "/api/v1/widget-dashboard?"+q.Encode(), ""))
	if len(d.Days) != 2 || d.Days[0].Requests != 2 || d.Days[1].Requests != 8 || d.Totals.Requests != 10 {
		t.Fatalf("UTC %+v", d)
	}
	for _, tc := range []struct{ query, field string }{
		{"tz=Mars/Olympus", "tz"},
		{"tz=Local", "tz"},
		{"from=2025-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", "from"},
		{"widget_id=0", "widget_id"},
		{"from=2030-01-01T00:00:00Z", "from"},
	} {
		rec := e.do(e.sup, "GET", "/api/v1/widget-dashboard?"+tc.query, "")
		if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != tc.field {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
		}
	}
}

// When the switch does not take the first attempt, a widget that retries
// answers scheduled; one that does not answers the error, and the same
// number may be asked for again at once (nobody was rung).
func TestLeadCallSwitchDown(t *testing.T) {
	e := newEnv(t)
	retrying := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) {
		w.Settings.Retry = dialer.WidgetRetry{Enabled: true, Intervals: []int{30}, When: "visitor"}
	})
	once := e.addLeadWidget(2, allWeek, nil)
	e.eng.mu.Lock()
	e.eng.fail["StartSpeedCall"] = dialer.ErrSwitchDown
	e.eng.mu.Unlock()
	rec := e.leadSend("json", retrying.fields("lc_number", "+12025550143"))
	body := decodeBody[leadCallResponse](t, rec)
	if rec.Code != http.StatusAccepted || body.Status != "scheduled" || body.NextAttemptAt == nil ||
		!body.NextAttemptAt.Equal(e.clock.Now().Add(30*time.Second)) {
		t.Fatalf("retrying: %d %s", rec.Code, rec.Body)
	}
	if rec := e.leadSend("json", once.fields("lc_number", "+12025550143")); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("once: %d %s", rec.Code, rec.Body)
	}
	e.eng.mu.Lock()
	delete(e.eng.fail, "StartSpeedCall")
	e.eng.mu.Unlock()
	if rec := e.leadSend("json", once.fields("lc_number", "+12025550143")); rec.Code != http.StatusCreated {
		t.Fatalf("asked again: %d %s", rec.Code, rec.Body)
	}
}

// The widget's endpoint records its own refusals (a filled honeypot) with
// what the visitor sent.
func TestRefuseLeadRecordsTheRawRequest(t *testing.T) {
	e := newEnv(t)
	w := e.addWidget(1)
	e.srv.refuseLead(t.Context(), w, map[string]string{"lc_number": "030 123", "country": "de", "lc_param_Name": "Bot",
		"source": "widget"}, "widget", dialer.RefusedHoneypot, "website", "must be empty")
	p := decodeBody[requestPage](t, e.do(e.sup, "GET", "/api/v1/widget-requests?status=refused", ""))
	if len(p.Requests) != 1 {
		t.Fatalf("%+v", p)
	}
	r := p.Requests[0]
	if r["reason"] != "honeypot" || r["field"] != "website" || r["message"] != "must be empty" || r["source"] != "widget" ||
		r["country"] != "DE" || r["numbers"].([]any)[0] != "030 123" || r["params"].(map[string]any)["name"] != "Bot" {
		t.Fatalf("refusal %v", r)
	}
}
