package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

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
