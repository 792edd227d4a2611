package redisstore

import (
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/redistest"
)

// BenchmarkHopperClaim: callers claim leads from a campaign's hopper of
// 100,000 (one script round trip to redis-server on loopback each, then
// Done); with -cpu=1,8 one or eight callers at once. p50/p99 are per
// claim.
func BenchmarkHopperClaim(b *testing.B) {
	srv := redistest.Start(b)
	h := New(srv.Client(), Options{}).Hopper()
	ctx := b.Context()
	const camp, leads = dialer.CampaignID(1), 100_000
	fill := func() {
		es := make([]dialer.HopperEntry, leads)
		for i := range es {
			es[i] = dialer.HopperEntry{Lead: dialer.LeadID(i + 1), Rank: float64(i)}
		}
		if err := h.Clear(ctx, camp); err != nil {
			b.Fatal(err)
		}
		if _, err := h.Push(ctx, camp, es); err != nil {
			b.Fatal(err)
		}
	}
	fill()
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t := time.Now()
			id, ok, err := h.Claim(ctx, camp, time.Minute, t)
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
			if !ok {
				b.Error("hopper ran dry: raise leads")
				return
			}
			if err := h.Done(ctx, camp, id); err != nil {
				b.Error(err)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	report(b, time.Since(start), nil, lat)
}
