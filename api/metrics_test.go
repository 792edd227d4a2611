package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/metrics"
)

// queuedEngine gives the fake engine a record queue to report.
type queuedEngine struct{ *fakeEngine }

func (queuedEngine) CDRQueueLen() int { return 3 }

var _ metrics.Engine = queuedEngine{}

// TestMetricsEndpoint: a supervisor key scrapes the registry the caller
// built, with the live calls and agents read from the engine at scrape
// time and the requests served before, each under its route's pattern.
func TestMetricsEndpoint(t *testing.T) {
	mx := metrics.New()
	e := newEnv(t, func(o *Options) {
		o.Metrics = mx.Handler()
		o.ObserveRequest = mx.ObserveRequest
	})
	mx.Watch(metrics.Sources{Engine: queuedEngine{e.eng}})
	e.eng.setAgent(dialer.AgentView{ID: 1, State: dialer.AgentInCall})
	e.eng.setAgent(dialer.AgentView{ID: 2, State: dialer.AgentPaused})

	for _, r := range []struct {
		w    who
		path string
		want int
	}{
		{e.sup, "/api/v1/calls/live", http.StatusOK},
		{e.agent1, "/api/v1/calls/live", http.StatusForbidden},
		{e.sup, "/no/such/path/" + strings.Repeat("x", 8), http.StatusNotFound},
	} {
		if rec := e.do(r.w, http.MethodGet, r.path, ""); rec.Code != r.want {
			t.Fatalf("GET %s as %s: %d, want %d", r.path, r.w.name, rec.Code, r.want)
		}
	}
	// A stream's handshake is not timed (its connection lives for hours).
	up := e.request(e.sup, http.MethodGet, "/api/v1/stream", "")
	up.Header.Set("Connection", "Upgrade")
	up.Header.Set("Upgrade", "websocket")
	e.srv.Echo().ServeHTTP(httptest.NewRecorder(), up)

	rec := e.do(e.keySup, http.MethodGet, "/metrics", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, series := range []string{
		`agentswitch_calls{state="connected"} 2`,
		`agentswitch_calls{state="ringing"} 0`,
		`agentswitch_agents{state="INCALL"} 1`,
		`agentswitch_agents{state="PAUSED"} 1`,
		`agentswitch_agents{state="READY"} 0`,
		`agentswitch_cdr_write_queue_length 3`,
		`agentswitch_http_request_duration_seconds_count{method="GET",route="/api/v1/calls/live",status="200"} 1`,
		`agentswitch_http_request_duration_seconds_count{method="GET",route="/api/v1/calls/live",status="403"} 1`,
		`agentswitch_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + `$`).MatchString(body) {
			t.Errorf("no %s in\n%s", series, body)
		}
	}
	// A logged-out agent is not counted: the engine keeps only the
	// logged-in ones in memory.
	if strings.Contains(body, `state="LOGGED_OUT"`) {
		t.Error("LOGGED_OUT reported")
	}
	if strings.Contains(body, `route="/api/v1/stream"`) {
		t.Error("a stream was timed as a request")
	}
	if strings.Contains(body, "xxxxxxxx") {
		t.Error("an unmatched path became a label")
	}
}

// TestMetricsDisabled: without a handler the route answers 404, after
// the gate (an anonymous caller learns nothing).
func TestMetricsDisabled(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Metrics = nil })
	for _, c := range []struct {
		w    who
		want int
	}{
		{e.anon, http.StatusUnauthorized},
		{e.keyAgent, http.StatusForbidden},
		{e.keySup, http.StatusNotFound},
	} {
		if rec := e.do(c.w, http.MethodGet, "/metrics", ""); rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.w.name, rec.Code, c.want)
		}
	}
}
