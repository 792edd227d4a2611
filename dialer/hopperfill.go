package dialer

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentswitch/agentswitch/dialer/window"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// HopperFillConfig tunes the filler. Zero values take the defaults shown.
type HopperFillConfig struct {
	// Size is how many leads each campaign's hopper holds.
	Size int // 200
	// Every is how often hoppers are refilled.
	Every time.Duration // 2s
}

// HopperFiller keeps the hopper of every active dialer campaign full from
// the durable store, in the campaign's lead order: leads new or due for a
// retry, with attempts left, not on a do-not-call list, inside the
// campaign's calling window in their local time. It owns nothing
// but its loop: the hopper's claims make it safe to run in every service
// process at once.
type HopperFiller struct {
	cfg HopperFillConfig
	src LeadSource
	h   Hopper
	now func() time.Time
	log *slog.Logger
}

// NewHopperFiller returns a filler; Run starts it.
func NewHopperFiller(cfg HopperFillConfig, src LeadSource, h Hopper, now func() time.Time, log *slog.Logger) *HopperFiller {
	if cfg.Size <= 0 {
		cfg.Size = 200
	}
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if now == nil {
		now = clock.System()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &HopperFiller{cfg: cfg, src: src, h: h, now: now, log: log}
}

// Run refills every campaign's hopper until ctx ends.
func (f *HopperFiller) Run(ctx context.Context) {
	t := time.NewTicker(f.cfg.Every)
	defer t.Stop()
	for {
		f.FillAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// FillAll refills each active dialer campaign's hopper once; a paused or
// archived campaign's hopper is emptied.
func (f *HopperFiller) FillAll(ctx context.Context) {
	camps, err := f.src.ListCampaigns(ctx)
	if err != nil {
		f.log.Warn("hopper refill: campaigns not read", "err", err)
		return
	}
	for _, c := range camps {
		if !c.DialMode.Dials() {
			continue
		}
		if !c.Active || !c.ArchivedAt.IsZero() {
			// Idempotent: one round trip, whether or not it holds leads.
			if err := f.h.Clear(ctx, c.ID); err != nil {
				f.log.Warn("hopper of a paused campaign not emptied", "campaign_id", c.ID, "err", err)
			}
			continue
		}
		if _, err := f.Fill(ctx, c); err != nil {
			f.log.Warn("hopper refill failed", "campaign_id", c.ID, "err", err)
		}
	}
}

// Fill tops up one campaign's hopper and returns how many leads it added.
// Claims whose caller died without recording the attempt end first, so
// their leads may come back.
func (f *HopperFiller) Fill(ctx context.Context, c Campaign) (int, error) {
	now := f.now()
	if lapsed, err := f.h.Lapsed(ctx, c.ID, now); err != nil {
		return 0, err
	} else if len(lapsed) > 0 {
		f.log.Info("hopper claims lapsed", "campaign_id", c.ID, "leads", lapsed)
	}
	n, err := f.h.Len(ctx, c.ID)
	if err != nil || n >= f.cfg.Size {
		return 0, err
	}
	set, err := ParseCampaignSettings(c.Settings)
	if err != nil {
		return 0, err
	}
	rules, err := CallingWindow(c)
	if err != nil {
		// Unreadable rules: the legal limits, never none.
		f.log.Warn("campaign calling window unreadable; using 08:00-21:00", "campaign_id", c.ID, "err", err)
		rules = window.Default()
	}
	// Page through the order from its top: leads already waiting keep
	// their place and claimed ones are skipped (Push), so pages go on
	// until the gap is filled, or a bounded number of them (a campaign
	// whose leads are mostly outside their window is not read whole each
	// time).
	want := f.cfg.Size - n
	added := 0
	for page := 0; page < maxFillPages && added < want; page++ {
		leads, err := f.src.DialableLeads(ctx, c.ID, now, set.LeadOrder, page*f.cfg.Size, f.cfg.Size)
		if err != nil {
			return added, err
		}
		entries := make([]HopperEntry, 0, len(leads))
		for _, l := range leads {
			if !window.Allowed(rules, l.TimeZone, l.Phone, now) {
				continue
			}
			entries = append(entries, HopperEntry{Lead: l.Lead, Rank: l.Rank})
		}
		// In chunks no larger than the gap, so the hopper never grows
		// past Size (a chunk's leads may be waiting already).
		for len(entries) > 0 && added < want {
			k := min(len(entries), want-added)
			n, err := f.h.Push(ctx, c.ID, entries[:k])
			added += n
			if err != nil {
				return added, err
			}
			entries = entries[k:]
		}
		if len(leads) < f.cfg.Size {
			break // the order is exhausted
		}
	}
	return added, nil
}

// maxFillPages bounds one refill's reading: Size leads a page.
const maxFillPages = 20
