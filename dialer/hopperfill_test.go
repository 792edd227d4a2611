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
// size from the store, in lead order, leaving out leads the window hook
// refuses; a lead claimed is not pushed again until its claim lapses; a
// manual campaign has no hopper; a paused one's hopper is emptied.
func TestHopperFiller(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	db, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"), sqlitestore.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	camp := func(name string, mode dialer.DialMode) dialer.Campaign {
		c, err := db.CreateCampaign(ctx, dialer.Campaign{Name: name, DialMode: mode, MaxAttempts: 3, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := db.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: fmt.Sprintf("+1555%03d%04d", c.ID, i)}); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	prog := camp("Progressive", dialer.DialProgressive)
	manual := camp("Manual", dialer.DialManual)
	h := memlive.NewHopper()
	refused := fmt.Sprintf("+1555%03d%04d", prog.ID, 0) // outside its window, say
	f := dialer.NewHopperFiller(dialer.HopperFillConfig{Size: 6, Allowed: func(_ dialer.Campaign, l dialer.DialableLead, _ time.Time) bool {
		return l.Phone != refused
	}}, db, h, func() time.Time { return now }, nil)

	f.FillAll(ctx)
	if n, _ := h.Len(ctx, prog.ID); n != 6 {
		t.Fatalf("progressive hopper holds %d, want 6 (the refused lead's place taken by the next)", n)
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
