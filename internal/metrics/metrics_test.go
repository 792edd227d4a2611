package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/memlive"
)

// counts gathers m's registry and returns each series of the histogram
// family name as "label=value,..." with its sample count.
func counts(t *testing.T, m *Metrics, name string) map[string]uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			out[labels(s)] = s.GetHistogram().GetSampleCount()
		}
	}
	return out
}

func labels(s *dto.Metric) string {
	var l []string
	for _, p := range s.GetLabel() {
		l = append(l, p.GetName()+"="+p.GetValue())
	}
	slices.Sort(l)
	return strings.Join(l, ",")
}

func TestObserveRequestLabels(t *testing.T) {
	cases := []struct {
		route  string
		status int
		want   string
	}{
		{"/api/v1/calls/:id", 200, "method=GET,route=/api/v1/calls/:id,status=200"},
		{"/metrics", 403, "method=GET,route=/metrics,status=403"},
		// No route matched: the path is not a label.
		{"", 404, "method=GET,route=unmatched,status=404"},
		{"/*", 404, "method=GET,route=unmatched,status=404"},
	}
	for _, c := range cases {
		m := New()
		m.ObserveRequest(http.MethodGet, c.route, c.status, time.Millisecond)
		got := counts(t, m, "agentswitch_http_request_duration_seconds")
		if len(got) != 1 || got[c.want] != 1 {
			t.Errorf("%q %d: %v, want %s", c.route, c.status, got, c.want)
		}
	}
}

func TestObserveCommandResult(t *testing.T) {
	m := New()
	m.ObserveCommand("fs1", "originate", 2*time.Millisecond, nil)
	m.ObserveCommand("fs1", "originate", time.Second, errors.New("timed out"))
	got := counts(t, m, "agentswitch_esl_command_duration_seconds")
	want := map[string]uint64{"command=originate,node=fs1,result=ok": 1, "command=originate,node=fs1,result=error": 1}
	if !maps(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

// TestTimedLive: reservations are timed by kind and result, and reach
// the store they wrap.
func TestTimedLive(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }
	m := New()
	live := m.TimedLive(memlive.New(now))
	req := dialer.ReserveRequest{Call: dialer.NewCallID(), At: now()}
	if _, err := live.Reserve(ctx, req); !errors.Is(err, dialer.ErrNoAgent) {
		t.Fatalf("reserve with nobody: %v", err)
	}
	if err := live.UpsertAgent(ctx, dialer.AgentProfile{ID: 7, Mode: dialer.ModeRing}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []dialer.AgentState{dialer.AgentPaused, dialer.AgentReady} {
		st, err := live.Agent(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := live.Transition(ctx, dialer.Transition{Agent: 7, From: st.State, To: to, At: now()}); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	if _, err := live.ReserveAgent(ctx, 7, req); err != nil {
		t.Fatal(err)
	}
	if _, err := live.ReserveAgent(ctx, 7, dialer.ReserveRequest{Call: dialer.NewCallID(), At: now()}); err == nil {
		t.Fatal("a reserved agent was reserved again")
	}
	got := counts(t, m, "agentswitch_agent_reservation_duration_seconds")
	want := map[string]uint64{"kind=pool,result=no_agent": 1, "kind=named,result=reserved": 1, "kind=named,result=error": 1}
	if !maps(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func maps(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type pendingCount int

func (p pendingCount) PendingWebhookDeliveries(context.Context) (int, error) { return int(p), nil }

func TestWebhookMetrics(t *testing.T) {
	m := New()
	observe := m.Webhooks(pendingCount(3))
	observe("delivered")
	observe("retry")
	observe("retry")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`agentswitch_webhook_deliveries_total{result="delivered"} 1`,
		`agentswitch_webhook_deliveries_total{result="retry"} 2`,
		`agentswitch_webhook_queue_depth 3`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
