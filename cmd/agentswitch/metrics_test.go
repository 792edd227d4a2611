package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// scrape GETs /metrics with a bearer key ("" for none) and returns the
// status and the body.
func scrape(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// sample returns the value of the series named exactly (labels included,
// as the text format writes them), and whether it is there.
func sample(body, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// TestMetricsScrape: after a call connects to an agent, a scraper with a
// supervisor key reads the switch, the calls, the agents, the record
// queue and the latencies; an agent key and no key are refused.
func TestMetricsScrape(t *testing.T) {
	s := startService(t)
	alice := s.agent("alice", "1001", "ring")
	alice.ready("ring")
	s.sim.SetEndpoint("+15557654321", sim.Behavior{AnswerAfter: 50 * time.Millisecond})
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+1 (555) 765-4321"}, 201, &v)
	s.admin.WaitCall(t, v.ID, "connected")

	keys := map[string]string{}
	for _, role := range []string{"supervisor", "agent"} {
		var k struct{ Secret string }
		s.admin.must(http.MethodPost, "/api-keys", map[string]any{"name": "scraper " + role, "role": role}, 201, &k)
		keys[role] = k.Secret
	}
	if st, _ := scrape(t, s.url, ""); st != http.StatusUnauthorized {
		t.Fatalf("no key: %d, want 401", st)
	}
	if st, _ := scrape(t, s.url, keys["agent"]); st != http.StatusForbidden {
		t.Fatalf("agent key: %d, want 403", st)
	}

	var body string
	want := map[string]float64{
		`agentswitch_esl_node_up{node="fs1"}`:                                                 1,
		`agentswitch_calls{state="connected"}`:                                                1,
		`agentswitch_calls{state="ringing"}`:                                                  0,
		`agentswitch_agents{state="INCALL"}`:                                                  1,
		`agentswitch_agents{state="READY"}`:                                                   0,
		`agentswitch_agent_reservation_duration_seconds_count{kind="pool",result="reserved"}`: 1,
	}
	// The call's state reaches the views a moment after the API says
	// connected; wait for the figures rather than sleep.
	svctest.Eventually(t, "metrics after the call", func() bool {
		var st int
		st, body = scrape(t, s.url, keys["supervisor"])
		if st != http.StatusOK {
			t.Fatalf("supervisor key: %d %s", st, body)
		}
		for series, w := range want {
			if got, ok := sample(body, series); !ok || got != w {
				return false
			}
		}
		return true
	})
	for _, series := range []string{
		`agentswitch_cdr_write_queue_length`,
		`agentswitch_esl_command_duration_seconds_count{command="originate",node="fs1",result="ok"}`,
		`agentswitch_esl_command_duration_seconds_count{command="uuid_bridge",node="fs1",result="ok"}`,
		`agentswitch_http_request_duration_seconds_count{method="POST",route="/api/v1/calls",status="201"}`,
		`agentswitch_http_request_duration_seconds_count{method="GET",route="/metrics",status="403"}`,
	} {
		if got, ok := sample(body, series); !ok || (!strings.HasSuffix(series, "_length") && got < 1) {
			t.Errorf("%s = %v (present %v)\n%s", series, got, ok, relevant(body))
		}
	}
	events, ok := sample(body, "agentswitch_esl_events_received_total")
	if !ok || events < 4 {
		t.Errorf("events received %v (present %v): a call's create, answer and bridge came in", events, ok)
	}
	// The admin's session is accepted too.
	resp, err := s.admin.HTTP.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin session: %d", resp.StatusCode)
	}
}

// relevant keeps the service's own series of a scrape for a failure's
// message.
func relevant(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "agentswitch_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
