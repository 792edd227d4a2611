package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestFullStackLeadCallAPI: a site's server asks by the lead-call API,
// with the widget's keys and no session; the engine rings the operator it
// names on the simulator, and the same Idempotency-Key starts nothing more.
func TestFullStackLeadCallAPI(t *testing.T) {
	s := startService(t)
	var w struct {
		ID  int64
		Key string `json:"widget_key"`
	}
	s.admin.must(http.MethodPost, "/widgets", map[string]any{"name": "Shop", "site_url": "https://shop.example", "active": true}, 201, &w)
	var k struct{ Secret string }
	s.admin.must(http.MethodPost, fmt.Sprintf("/widgets/%d/api-keys", w.ID), map[string]any{"name": "crm"}, 201, &k)

	q := url.Values{"widget_key": {w.Key}, "api_key": {k.Secret}, "lc_number": {"+15557654321"},
		"lc_param_name": {"John Doe"}, "lc_param_agent01phone": {"+15550001111"}}
	ask := func() (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/lead-calls?"+q.Encode(), nil)
		req.Header.Set("Idempotency-Key", "order-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	st, out := ask()
	id, _ := out["call_id"].(string)
	if st != http.StatusCreated || id == "" || out["status"] != "dialing" {
		t.Fatalf("%d %v", st, out)
	}
	svctest.Eventually(t, "the operator rung", func() bool {
		return slices.ContainsFunc(s.commands(), func(c string) bool { return strings.Contains(c, "originate") && strings.Contains(c, "15550001111") })
	})
	if v := s.admin.View(t, id); v.ID != id {
		t.Fatalf("live view %+v", v)
	}
	if st, again := ask(); st != http.StatusCreated || again["call_id"] != id {
		t.Fatalf("replay %d %v", st, again)
	}
}

// TestFullStackLeadRequestRetried: the visitor does not answer; the
// request is tried again after the widget's interval and then missed,
// each attempt a call on the simulator.
func TestFullStackLeadRequestRetried(t *testing.T) {
	s := startService(t)
	var w struct {
		ID  int64
		Key string `json:"widget_key"`
	}
	s.admin.must(http.MethodPost, "/widgets", map[string]any{"name": "Shop", "site_url": "https://shop.example", "active": true,
		"settings": map[string]any{"confirm": "stay", "retry": map[string]any{"enabled": true, "intervals": []int{10}, "when": "visitor"}}}, 201, &w)
	var k struct{ Secret string }
	s.admin.must(http.MethodPost, fmt.Sprintf("/widgets/%d/api-keys", w.ID), map[string]any{"name": "crm"}, 201, &k)
	s.sim.SetEndpoint("+15557654321", sim.Behavior{Outcome: sim.Fail, Cause: "NO_ANSWER", AnswerAfter: 50 * time.Millisecond})

	q := url.Values{"widget_key": {w.Key}, "api_key": {k.Secret}, "lc_number": {"+15557654321"}, "lc_param_agent01phone": {"+15550001111"}}
	resp, err := http.Get(s.url + "/api/v1/lead-calls?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		RequestID int64 `json:"request_id"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || out.RequestID == 0 {
		t.Fatalf("%d %+v", resp.StatusCode, out)
	}
	type attempt struct {
		CallID    string    `json:"call_id"`
		StartedAt time.Time `json:"started_at"`
		Result    string
	}
	var r struct {
		Status, Reason string
		Attempts       int
		Log            []attempt `json:"attempts_log"`
	}
	get := func() { s.admin.must(http.MethodGet, fmt.Sprintf("/widget-requests/%d", out.RequestID), nil, 200, &r) }
	svctest.Eventually(t, "the first attempt ended", func() bool { get(); return r.Status == "scheduled" })
	if len(r.Log) != 1 || r.Log[0].Result != "lead_no_answer" {
		t.Fatalf("after the first attempt %+v", r)
	}
	svctest.Eventually(t, "the request missed", func() bool { get(); return r.Status == "missed" })
	if r.Reason != "lead_no_answer" || r.Attempts != 2 || len(r.Log) != 2 || r.Log[0].CallID == r.Log[1].CallID ||
		r.Log[1].StartedAt.Sub(r.Log[0].StartedAt) < 10*time.Second {
		t.Fatalf("missed %+v", r)
	}
	leadDials := 0
	for _, c := range s.commands() {
		if strings.Contains(c, "originate") && strings.Contains(c, "carrier/+15557654321") {
			leadDials++
		}
	}
	if leadDials != 2 {
		t.Fatalf("the lead was dialled %d times", leadDials)
	}
}
