package livestoretest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// RunHopper runs the dialer.Hopper contract. newHoppers returns two
// hoppers on the same, empty data: two service processes sharing one
// live store.
func RunHopper(t *testing.T, newHoppers func(t *testing.T) (dialer.Hopper, dialer.Hopper)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b dialer.Hopper)
	}{
		{"RankOrder", testHopperRankOrder},
		{"PushKeepsPlaceAndSkipsClaimed", testHopperPushKeepsPlace},
		{"DoneRemoveClear", testHopperDoneRemoveClear},
		{"Lapsed", testHopperLapsed},
		{"CampaignsApart", testHopperCampaignsApart},
		{"BadInput", testHopperBadInput},
		{"TwoProcessesClaimEachLeadOnce", testHopperRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newHoppers(t)
			tc.fn(t, a, b)
		})
	}
}

const hc = dialer.CampaignID(7)

func push(t *testing.T, h dialer.Hopper, c dialer.CampaignID, es ...dialer.HopperEntry) int {
	t.Helper()
	n, err := h.Push(context.Background(), c, es)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func claim(t *testing.T, h dialer.Hopper, c dialer.CampaignID, now time.Time) (dialer.LeadID, bool) {
	t.Helper()
	id, ok, err := h.Claim(context.Background(), c, time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	return id, ok
}

func drain(t *testing.T, h dialer.Hopper, c dialer.CampaignID) []dialer.LeadID {
	t.Helper()
	var out []dialer.LeadID
	for {
		id, ok := claim(t, h, c, t0)
		if !ok {
			return out
		}
		out = append(out, id)
	}
}

func hlen(t *testing.T, h dialer.Hopper, c dialer.CampaignID) int {
	t.Helper()
	n, err := h.Len(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testHopperRankOrder(t *testing.T, a, _ dialer.Hopper) {
	if n := push(t, a, hc, dialer.HopperEntry{Lead: 3, Rank: 30}, dialer.HopperEntry{Lead: 1, Rank: -5},
		dialer.HopperEntry{Lead: 2, Rank: 10.5}, dialer.HopperEntry{Lead: 4, Rank: 1e12}); n != 4 {
		t.Fatalf("added %d, want 4", n)
	}
	if n := hlen(t, a, hc); n != 4 {
		t.Fatalf("Len = %d, want 4", n)
	}
	if got := drain(t, a, hc); !slices.Equal(got, []dialer.LeadID{1, 2, 3, 4}) {
		t.Fatalf("claimed %v, want by rank 1 2 3 4", got)
	}
	if n := hlen(t, a, hc); n != 0 {
		t.Fatalf("Len after claiming all = %d", n)
	}
}

func testHopperPushKeepsPlace(t *testing.T, a, _ dialer.Hopper) {
	push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 1}, dialer.HopperEntry{Lead: 2, Rank: 2}, dialer.HopperEntry{Lead: 3, Rank: 3})
	id, _ := claim(t, a, hc, t0)
	if id != 1 {
		t.Fatalf("claimed %d, want 1", id)
	}
	// 1 is claimed, 3 waits: neither is added; 3 keeps its rank.
	if n := push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 0}, dialer.HopperEntry{Lead: 3, Rank: 0}, dialer.HopperEntry{Lead: 5, Rank: 2.5}); n != 1 {
		t.Fatalf("added %d, want only lead 5", n)
	}
	if got := drain(t, a, hc); !slices.Equal(got, []dialer.LeadID{2, 5, 3}) {
		t.Fatalf("claimed %v, want 2 5 3", got)
	}
}

func testHopperDoneRemoveClear(t *testing.T, a, _ dialer.Hopper) {
	ctx := context.Background()
	push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 1}, dialer.HopperEntry{Lead: 2, Rank: 2}, dialer.HopperEntry{Lead: 3, Rank: 3})
	claim(t, a, hc, t0) // 1
	if err := a.Done(ctx, hc, 1); err != nil {
		t.Fatal(err)
	}
	// Done: the claim is over, so a refill may push it again.
	if n := push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 9}); n != 1 {
		t.Fatalf("after Done, push added %d, want 1", n)
	}
	claim(t, a, hc, t0) // 2
	for _, c := range []struct {
		lead dialer.LeadID
		want bool
	}{{2, true}, {3, true}, {3, false}, {42, false}} {
		if ok, err := a.Remove(ctx, hc, c.lead); err != nil || ok != c.want {
			t.Fatalf("Remove(%d) = %v, %v; want %v", c.lead, ok, err, c.want)
		}
	}
	// 2 was claimed and removed: it may be pushed again.
	if n := push(t, a, hc, dialer.HopperEntry{Lead: 2, Rank: 0}); n != 1 {
		t.Fatalf("after Remove of a claim, push added %d", n)
	}
	if err := a.Clear(ctx, hc); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim(t, a, hc, t0); ok || hlen(t, a, hc) != 0 {
		t.Fatal("hopper not empty after Clear")
	}
}

func testHopperLapsed(t *testing.T, a, _ dialer.Hopper) {
	ctx := context.Background()
	push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 1}, dialer.HopperEntry{Lead: 2, Rank: 2})
	if _, _, err := a.Claim(ctx, hc, 10*time.Second, t0); err != nil { // 1, until t0+10s
		t.Fatal(err)
	}
	if _, _, err := a.Claim(ctx, hc, time.Minute, t0); err != nil { // 2, until t0+1m
		t.Fatal(err)
	}
	if got, err := a.Lapsed(ctx, hc, at(9*time.Second)); err != nil || len(got) != 0 {
		t.Fatalf("Lapsed before any deadline = %v, %v", got, err)
	}
	if got, err := a.Lapsed(ctx, hc, at(10*time.Second)); err != nil || !slices.Equal(got, []dialer.LeadID{1}) {
		t.Fatalf("Lapsed at the first deadline = %v, %v; want [1]", got, err)
	}
	if got, _ := a.Lapsed(ctx, hc, at(11*time.Second)); len(got) != 0 {
		t.Fatalf("a lapsed claim reported twice: %v", got)
	}
	// 1's claim is over: pushed again, it is claimable; 2 is still claimed.
	if n := push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 1}, dialer.HopperEntry{Lead: 2, Rank: 1}); n != 1 {
		t.Fatalf("push after lapse added %d, want 1", n)
	}
}

func testHopperCampaignsApart(t *testing.T, a, _ dialer.Hopper) {
	push(t, a, hc, dialer.HopperEntry{Lead: 1, Rank: 1})
	push(t, a, hc+1, dialer.HopperEntry{Lead: 1, Rank: 1}, dialer.HopperEntry{Lead: 2, Rank: 2})
	if got := drain(t, a, hc); !slices.Equal(got, []dialer.LeadID{1}) {
		t.Fatalf("campaign %d gave %v", hc, got)
	}
	if n := hlen(t, a, hc+1); n != 2 {
		t.Fatalf("the other campaign's hopper has %d, want 2", n)
	}
}

func testHopperBadInput(t *testing.T, a, _ dialer.Hopper) {
	ctx := context.Background()
	var fe *dialer.FieldError
	if _, err := a.Push(ctx, 0, []dialer.HopperEntry{{Lead: 1}}); !errors.As(err, &fe) || fe.Field != "campaign_id" {
		t.Errorf("push to campaign 0: %v", err)
	}
	if _, err := a.Push(ctx, hc, []dialer.HopperEntry{{Lead: 1}, {Lead: 0}}); !errors.As(err, &fe) || fe.Field != "lead_id" {
		t.Errorf("push of lead 0: %v", err)
	}
	if n := hlen(t, a, hc); n != 0 {
		t.Errorf("a refused push added %d leads", n)
	}
	if _, _, err := a.Claim(ctx, hc, 0, t0); !errors.As(err, &fe) || fe.Field != "lease" {
		t.Errorf("claim with no lease: %v", err)
	}
}

// testHopperRace: two processes, eight callers each, claim 3,000 leads:
// every lead is claimed exactly once.
func testHopperRace(t *testing.T, a, b dialer.Hopper) {
	const n = 3000
	es := make([]dialer.HopperEntry, n)
	for i := range es {
		es[i] = dialer.HopperEntry{Lead: dialer.LeadID(i + 1), Rank: float64(i % 97)}
	}
	push(t, a, hc, es...)
	var mu sync.Mutex
	got := map[dialer.LeadID]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		h := a
		if i%2 == 1 {
			h = b
		}
		wg.Go(func() {
			for {
				id, ok, err := h.Claim(context.Background(), hc, time.Minute, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				got[id]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct leads claimed, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 {
			t.Fatalf("lead %d claimed %d times", id, c)
		}
	}
}
