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
	f := dialer.NewHopperFiller(dialer.HopperFillConfig{Size: 6}, db, h, func() time.Time { return now }, nil)

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
