package api

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLeadCallFlood: the public lead-call endpoint flooded over
// loopback HTTP once its buckets are spent (the harness's clock stands
// still, so none refills). one-ip: every request from one address,
// refused by the per-IP bucket before any lookup. many-ips: each request
// from a new address behind a trusted proxy, so it passes the per-IP
// bucket, has its widget and API key checked in SQLite and is refused by
// the per-widget bucket. Every answer must be a 429 with Retry-After;
// it reports requests/s and p50/p99.
func BenchmarkLeadCallFlood(b *testing.B) {
	for _, c := range []struct {
		name    string
		manyIPs bool
	}{{"one-ip", false}, {"many-ips", true}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, func(o *Options) {
				if c.manyIPs {
					o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
				}
			})
			lw := e.addLeadWidget(1, allWeek, nil)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(e.srv.Echo())
			srv.Listener.Close()
			srv.Listener = ln
			srv.Start()
			b.Cleanup(srv.Close)
			var ipSeq atomic.Uint32
			send := func(cl *http.Client, n int) (int, string, error) {
				q := url.Values{"widget_key": {lw.w.Key}, "api_key": {lw.secret}, "lc_number": {fmt.Sprintf("+4930%07d", n%10_000_000)}}
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/lead-calls?"+q.Encode(), nil)
				if c.manyIPs {
					i := ipSeq.Add(1)
					req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
				}
				resp, err := cl.Do(req)
				if err != nil {
					return 0, "", err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode, resp.Header.Get("Retry-After"), nil
			}
			// Spend the buckets: the first requests are served.
			warm := &http.Client{}
			for i := 0; ; i++ {
				code, _, err := send(warm, i)
				if err != nil {
					b.Fatal(err)
				}
				if code == http.StatusTooManyRequests {
					break
				}
				if i > 1000 {
					b.Fatalf("no refusal after %d requests (last %d)", i, code)
				}
			}
			var mu sync.Mutex
			var lat []time.Duration
			var seq atomic.Int64
			b.SetParallelism(8) // 16 clients on 2 cores: more than a browser's or a form's worth
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer cl.CloseIdleConnections()
				local := make([]time.Duration, 0, 1024)
				for pb.Next() {
					t0 := time.Now()
					code, retry, err := send(cl, int(seq.Add(1)))
					local = append(local, time.Since(t0))
					if err != nil || code != http.StatusTooManyRequests || retry == "" {
						b.Errorf("answer %d, Retry-After %q, %v", code, retry, err)
						return
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(e.speedCalls()) > 1000 {
				b.Fatalf("%d calls started", len(e.speedCalls()))
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}
