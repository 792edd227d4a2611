package main

import (
	"context"
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

// BenchmarkLeadCallToManagerLeg: a site's request to the lead-call API,
// over loopback HTTP to the whole service (SQLite, redis-server, the
// switch client over TCP), until the simulator receives the originate
// of the manager's leg: the keys checked, the request recorded, the
// call's record written, the managers' plan and the originate. The
// manager's number fails at once, so no call piles up. One op is one
// request; requests come from many client addresses (behind a trusted
// proxy) at several widgets, so no rate limit refuses them.
func BenchmarkLeadCallToManagerLeg(b *testing.B) {
	const manager = "+15550009999"
	legs := make(chan time.Time, 16)
	sm := sim.New(sim.Config{Password: "s3cret", AnswerDelay: 30 * time.Millisecond, RecordingsDir: b.TempDir(),
		OnCommand: func(raw string) {
			if strings.Contains(raw, "originate") && strings.Contains(raw, strings.TrimPrefix(manager, "+")) {
				select {
				case legs <- time.Now():
				default:
				}
			}
		}})
	if err := sm.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { sm.Serve(sctx); close(simDone) }()
	b.Cleanup(func() { scancel(); <-simDone })
	sm.SetEndpoint(manager, sim.Behavior{Outcome: sim.Fail, Cause: "NO_ROUTE_DESTINATION"})

	ctx, cancel := context.WithCancel(context.Background())
	p := serveUntil(b, ctx, cancel, "-http-addr", "127.0.0.1:0", "-var-dir", b.TempDir(), "-esl-addr", sm.Addr(),
		"-esl-password", "s3cret", "-xml-curl-secret", testXMLCurlSecret, "-trusted-proxies", "127.0.0.1", "-tts", "off",
		"-log-level", "warn")
	admin, err := svctest.Login(p.url, "admin", p.adminPassword(b))
	if err != nil {
		b.Fatal(err)
	}
	type widget struct{ key, secret string }
	var widgets []widget
	// Each widget's bucket takes 60 at once: enough widgets for b.N.
	for i := range b.N/50 + 1 {
		var w struct {
			ID  int64
			Key string `json:"widget_key"`
		}
		admin.Must(b, http.MethodPost, "/widgets", map[string]any{"name": fmt.Sprintf("Shop %d", i), "site_url": "https://shop.example",
			"active": true, "settings": map[string]any{"confirm": "stay"}}, 201, &w)
		var k struct{ Secret string }
		admin.Must(b, http.MethodPost, fmt.Sprintf("/widgets/%d/api-keys", w.ID), map[string]any{"name": "crm"}, 201, &k)
		widgets = append(widgets, widget{w.Key, k.Secret})
	}
	cl := &http.Client{}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		w := widgets[i/50]
		q := url.Values{"widget_key": {w.key}, "api_key": {w.secret}, "lc_number": {fmt.Sprintf("+1202555%04d", i%10000)},
			"lc_param_name": {"Ann"}, "lc_param_agent01phone": {manager}}
		req, _ := http.NewRequest(http.MethodGet, p.url+"/api/v1/lead-calls?"+q.Encode(), nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.1.%d.%d", i>>8&255, i&255))
		start := time.Now()
		resp, err := cl.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		select {
		case at := <-legs:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatalf("request %d: no manager leg", i)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}
