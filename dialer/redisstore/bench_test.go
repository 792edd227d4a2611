package redisstore

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/redistest"
)

func benchStore(b *testing.B, agents int) *Store {
	b.Helper()
	srv := redistest.Start(b)
	s := New(srv.Client(), Options{})
	ctx := b.Context()
	for i := 1; i <= agents; i++ {
		id := dialer.AgentID(i)
		if err := s.UpsertAgent(ctx, dialer.AgentProfile{ID: id, Mode: dialer.ModeRing, Tags: []string{"campaign:1"}}); err != nil {
			b.Fatal(err)
		}
		for _, tr := range [][2]dialer.AgentState{{dialer.AgentLoggedOut, dialer.AgentPaused}, {dialer.AgentPaused, dialer.AgentReady}} {
			if _, err := s.Transition(ctx, dialer.Transition{Agent: id, From: tr[0], To: tr[1]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s
}

// roundTrip reserves the longest-idle agent and releases it; it returns
// the reserve latency and the whole round trip.
func roundTrip(b *testing.B, s *Store, call dialer.CallID, tags []string) (time.Duration, time.Duration) {
	ctx := b.Context()
	start := time.Now()
	st, err := s.Reserve(ctx, dialer.ReserveRequest{Call: call, Tags: tags})
	if err != nil {
		b.Error(err)
		return 0, 0
	}
	mid := time.Now()
	if _, err := s.Release(ctx, st.Agent, call, "bench", time.Time{}); err != nil {
		b.Error(err)
	}
	return mid.Sub(start), time.Since(start)
}

func report(b *testing.B, elapsed time.Duration, reserve, trip []time.Duration) {
	pct := func(d []time.Duration, p float64) float64 {
		if len(d) == 0 {
			return 0
		}
		slices.Sort(d)
		return float64(d[int(float64(len(d)-1)*p)].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(trip, 0.50), "p50-µs")
	b.ReportMetric(pct(trip, 0.99), "p99-µs")
	if reserve != nil {
		b.ReportMetric(pct(reserve, 0.50), "reserve-p50-µs")
		b.ReportMetric(pct(reserve, 0.99), "reserve-p99-µs")
	}
	b.ReportMetric(float64(len(trip))/elapsed.Seconds(), "ops/s")
}

// BenchmarkReserve is one dispatcher: reserve the longest-idle agent with a
// campaign tag, then release it (two script round trips to redis-server on
// loopback). ops/s counts reserve+release pairs.
func BenchmarkReserve(b *testing.B) {
	s := benchStore(b, 64)
	tags := []string{"campaign:1"}
	call := dialer.NewCallID()
	reserve := make([]time.Duration, 0, b.N)
	trip := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		r, t := roundTrip(b, s, call, tags)
		reserve, trip = append(reserve, r), append(trip, t)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, reserve, trip)
}

// BenchmarkReserveParallel8 is the same with 8 concurrent dispatchers
// sharing the pool; latency includes queueing behind the others.
func BenchmarkReserveParallel8(b *testing.B) {
	const dispatchers = 8
	s := benchStore(b, 64)
	tags := []string{"campaign:1"}
	var next atomic.Int64
	var mu sync.Mutex
	reserve := make([]time.Duration, 0, b.N)
	trip := make([]time.Duration, 0, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range dispatchers {
		wg.Go(func() {
			call := dialer.NewCallID()
			var r, t []time.Duration
			for next.Add(1) <= int64(b.N) {
				a, c := roundTrip(b, s, call, tags)
				r, t = append(r, a), append(t, c)
			}
			mu.Lock()
			reserve, trip = append(reserve, r...), append(trip, t...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, reserve, trip)
}

// BenchmarkPingBaseline is one go-redis PING on the same loopback server: the
// floor under any single round trip, to compare the others with.
func BenchmarkPingBaseline(b *testing.B) {
	srv := redistest.Start(b)
	c := srv.Client()
	ctx := b.Context()
	if err := c.Ping(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		t := time.Now()
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, nil, lat)
}
