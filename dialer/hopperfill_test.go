package dialer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/memlive"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
)

// TestHopperFiller: an active dialer campaign's hopper is topped up to its
// size from the store, in lead order, leaving out a lead outside its
// calling window (03:00 in New York while the others' Tokyo is at 17:00); a lead claimed is not pushed again until its claim lapses; a
// manual campaign has no hopper; a paused one's hopper is emptied.
func TestHopperFiller(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	db, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"), sqlitestore.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var outside dialer.LeadID // the progressive campaign's New York lead
	camp := func(name string, mode dialer.DialMode) dialer.Campaign {
		c, err := db.CreateCampaign(ctx, dialer.Campaign{Name: name, DialMode: mode, MaxAttempts: 3, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			zone := "Asia/Tokyo"
			if i == 0 {
				zone = "America/New_York"
			}
			l, err := db.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: fmt.Sprintf("+1555%03d%04d", c.ID, i), TimeZone: zone})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && outside == 0 {
				outside = l.ID
			}
		}
		return c
	}
	prog := camp("Progressive", dialer.DialProgressive)
	manual := camp("Manual", dialer.DialManual)
	h := memlive.NewHopper()
	f := dialer.NewHopperFiller(dialer.HopperFillConfig{Size: 6, MaxSize: 6}, db, h, func() time.Time { return now }, nil)

	f.FillAll(ctx)
	if n, _ := h.Len(ctx, prog.ID); n != 6 {
		t.Fatalf("progressive hopper holds %d, want 6 (the refused lead's place taken by the next)", n)
	}
	if in, _ := h.Remove(ctx, prog.ID, outside); in {
		t.Fatal("a lead outside its calling window went into the hopper")
	}
	if n, _ := h.Len(ctx, manual.ID); n != 0 {
		t.Fatalf("manual campaign's hopper holds %d", n)
	}
	first, ok, err := h.Claim(ctx, prog.ID, time.Second, now)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	// The next refill tops up to 6 waiting, but not with the claimed lead.
	f.FillAll(ctx)
	var claimed []dialer.LeadID
	for {
		id, ok, _ := h.Claim(ctx, prog.ID, time.Second, now)
		if !ok {
			break
		}
		claimed = append(claimed, id)
	}
	if len(claimed) != 6 || slices.Contains(claimed, first) {
		t.Fatalf("after a refill: claimed %v (first claim %d); want 6 others", claimed, first)
	}
	// Every claim lapses unrecorded: the next refill takes the leads back.
	now = now.Add(2 * time.Second)
	f.FillAll(ctx)
	if n, _ := h.Len(ctx, prog.ID); n != 6 {
		t.Fatalf("after the claims lapsed the hopper holds %d, want 6", n)
	}
	// Paused: its hopper is emptied.
	prog.Active = false
	if _, err := db.UpdateCampaign(ctx, prog); err != nil {
		t.Fatal(err)
	}
	f.FillAll(ctx)
	if n, _ := h.Len(ctx, prog.ID); n != 0 {
		t.Fatalf("paused campaign's hopper holds %d", n)
	}
}

// leadList is a LeadSource of one campaign whose leads are dialable, in
// id order, until marked dialed; it counts the reads.
type leadList struct {
	camp   dialer.Campaign
	n      int
	dialed map[dialer.LeadID]bool
	reads  int
}

func newLeadList(n int) *leadList {
	return &leadList{n: n, dialed: map[dialer.LeadID]bool{},
		camp: dialer.Campaign{ID: 1, Name: "Fast", DialMode: dialer.DialProgressive, MaxAttempts: 1, Active: true}}
}

func (s *leadList) ListCampaigns(context.Context) ([]dialer.Campaign, error) {
	return []dialer.Campaign{s.camp}, nil
}

func (s *leadList) DialableLeads(_ context.Context, _ dialer.CampaignID, _ time.Time, _ dialer.LeadOrder, offset, limit int) ([]dialer.DialableLead, error) {
	s.reads++
	var out []dialer.DialableLead
	for id, i := dialer.LeadID(1), 0; int(id) <= s.n && len(out) < limit; id++ {
		if s.dialed[id] {
			continue
		}
		if i >= offset {
			out = append(out, dialer.DialableLead{Lead: id, Phone: "+15550000000", TimeZone: "UTC", Rank: float64(i)})
		}
		i++
	}
	return out, nil
}

// dial claims k leads and records their attempts, as the pacer does; it
// returns how many it found.
func (s *leadList) dial(t *testing.T, h dialer.Hopper, k int, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	for i := range k {
		id, ok, err := h.Claim(ctx, s.camp.ID, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return i
		}
		s.dialed[id] = true
		if err := h.Done(ctx, s.camp.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// TestHopperFillerSizeFollowsDialing: a refill fills the hopper with
// Ahead (10 s) of the fastest rate its leads were taken at lately, never
// less than Size nor more than MaxSize; a rate fades by half each minute.
func TestHopperFillerSizeFollowsDialing(t *testing.T) {
	type step struct {
		taken int
		in    time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
		want  int
	}{
		{"idle", []step{{0, time.Second}}, 50},
		{"slow: Size", []step{{4, time.Second}}, 50},
		{"40 a second", []step{{40, time.Second}}, 400},
		{"fast: MaxSize", []step{{50, 100 * time.Millisecond}}, 3000},
		{"fast, then 40 a second: the fast rate holds", []step{{50, 100 * time.Millisecond}, {200, 5 * time.Second}}, 3000},
		{"fast an hour ago: faded", []step{{50, 100 * time.Millisecond}, {2990, time.Hour}}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
			src, h := newLeadList(10000), memlive.NewHopper()
			f := dialer.NewHopperFiller(dialer.HopperFillConfig{Size: 50, MaxSize: 3000}, src, h, func() time.Time { return now }, nil)
			f.FillAll(ctx)
			for _, s := range tc.steps {
				if n := src.dial(t, h, s.taken, now); n != s.taken {
					t.Fatalf("dialed %d of %d", n, s.taken)
				}
				now = now.Add(s.in)
				f.FillAll(ctx)
			}
			if n, _ := h.Len(ctx, src.camp.ID); n != tc.want {
				t.Fatalf("hopper holds %d, want %d", n, tc.want)
			}
		})
	}
}

// TestHopperFillerKeepsUpWithDialing: a campaign dialing 500 leads a
// second, checked every 250 ms as Run does, never finds its hopper empty
// once its rate is known (the first second), and the store is read only
// when the hopper falls under half its size, not at every check.
func TestHopperFillerKeepsUpWithDialing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	src, h := newLeadList(30000), memlive.NewHopper()
	f := dialer.NewHopperFiller(dialer.HopperFillConfig{}, src, h, func() time.Time { return now }, nil)
	f.FillAll(ctx)
	const perTick, tick = 125, 250 * time.Millisecond // 500 a second
	short, checks := 0, 0
	for i := range 120 { // 30 s
		if n := src.dial(t, h, perTick, now); n < perTick && i >= 4 {
			short++
		}
		now = now.Add(tick)
		f.CheckAll(ctx)
		checks++
		if n, _ := h.Len(ctx, src.camp.ID); n > 20000 {
			t.Fatalf("hopper holds %d, over MaxSize", n)
		}
	}
	if short > 0 {
		t.Fatalf("the hopper ran dry at %d of %d checks while dialing 500 a second", short, checks)
	}
	if src.reads*5 > checks {
		t.Fatalf("the store was read %d times in %d checks: refills are not batched", src.reads, checks)
	}
	if n, _ := h.Len(ctx, src.camp.ID); n < 2000 {
		t.Fatalf("hopper holds %d at 500 a second, want about 10 s of dialing", n)
	}
}

// TestHopperFillerWaitsOnADryCampaign: a campaign with fewer dialable
// leads than half its hopper is read from the store once per dryWait
// (2 s), not at every check (250 ms); a lead that becomes dialable is in
// the hopper within it.
func TestHopperFillerWaitsOnADryCampaign(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	src, h := newLeadList(5), memlive.NewHopper()
	f := dialer.NewHopperFiller(dialer.HopperFillConfig{}, src, h, func() time.Time { return now }, nil)
	for range 16 { // 4 s of checks
		f.CheckAll(ctx)
		now = now.Add(250 * time.Millisecond)
	}
	if src.reads < 2 || src.reads > 3 {
		t.Fatalf("the store was read %d times in 4 s of checks of a dry campaign, want 2 or 3", src.reads)
	}
	src.n = 6 // a lead becomes dialable
	for range 8 {
		f.CheckAll(ctx)
		now = now.Add(250 * time.Millisecond)
	}
	if n, _ := h.Len(ctx, src.camp.ID); n != 6 {
		t.Fatalf("hopper holds %d leads 2 s after a sixth became dialable, want 6", n)
	}
}
