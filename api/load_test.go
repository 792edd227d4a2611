package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// BenchmarkLeadCallAPI is P11's lead-call API: POST /api/v1/calls with an
// API key, through authentication (SQLite), validation and number
// normalization, against the fake engine. It reports p50 and p99.
func BenchmarkLeadCallAPI(b *testing.B) {
	e := newEnv(b)
	h := e.srv.Echo()
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/v1/calls", strings.NewReader(`{"number":"(212) 555-0100","campaign_id":1,"fields":{"source":"web"}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.keySup.key)
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			local = append(local, time.Since(start))
			if rec.Code != http.StatusCreated {
				b.Errorf("%d %s", rec.Code, rec.Body)
				return
			}
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// TestStreamThousandClients: 1,000 connected streams (P11), each filtered
// to one agent; one event per agent reaches exactly its client.
func TestStreamThousandClients(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 WebSocket connections; skipped with -short")
	}
	const n = 1000
	// One supervisor login stands for a thousand clients here.
	e := newEnv(t, func(o *Options) { o.Stream.MaxPerLogin = n })
	// The engine hands each subscriber only its events, as the real one does.
	e.eng.filterEvents = true
	url := startServer(t, e)
	clients := make([]*streamClient, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			w := e.sup
			c, _, err := dialStream(t, url, w, nil, fmt.Sprintf("?agent=%d", i+1))
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range clients {
		if m := c.next(); m["type"] != "snapshot" {
			t.Fatalf("first message %v", m)
		}
	}
	waitFor(t, "1,000 subscriptions", func() bool { return len(e.eng.subscribers()) == n })

	start := time.Now()
	got := make([]time.Duration, n)
	for i, c := range clients {
		wg.Go(func() {
			m := c.next()
			got[i] = time.Since(start)
			if m["agent_id"] != float64(i+1) {
				t.Errorf("client %d got agent %v's event", i+1, m["agent_id"])
			}
		})
	}
	for i := range n {
		e.eng.publish(dialer.LiveEvent{Seq: uint64(i + 1), Type: dialer.EvAgentState, Agent: dialer.AgentID(i + 1),
			AgentView: &dialer.AgentView{ID: dialer.AgentID(i + 1), State: dialer.AgentReady}})
	}
	published := time.Since(start)
	wg.Wait()
	slices.Sort(got)
	t.Logf("%d clients: 1,000 events published in %v; delivered p50 %v, p99 %v, last %v", n, published, got[n/2], got[n*99/100], got[n-1])
}
