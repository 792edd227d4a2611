package dialer

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer/window"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// HopperFillConfig tunes the filler. Zero values take the defaults shown.
type HopperFillConfig struct {
	// Size is the least each campaign's hopper is filled to; a campaign
	// dialing faster gets Ahead of its dialing.
	Size int // 200
	// Ahead is how much of a campaign's dialing its hopper holds once
	// filled, at the rate its leads were last taken.
	Ahead time.Duration // 10s
	// MaxSize bounds a hopper however fast its campaign dials.
	MaxSize int // 20000
	// Every is how often hoppers are checked; one under half its size
	// is refilled.
	Every time.Duration // 250ms
}

// rateHalfLife is how fast a campaign's measured dialing rate fades once
// it dials more slowly: the fastest recent rate sizes the hopper, so a
// burst does not find it short.
const rateHalfLife = time.Minute

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

	mu    sync.Mutex
	rates map[CampaignID]*fillRate
}

// fillRate is how fast a campaign's hopper is emptied, from its length at
// each check.
type fillRate struct {
	left    int       // leads waiting after the last check or refill
	at      time.Time // when
	perSec  float64   // the fastest recent rate, fading by rateHalfLife
	checked bool
	// dryUntil: the last refill found too few leads to reach half the
	// size; checks read the store again only after it.
	dryUntil time.Time
}

// dryWait is how long a campaign whose leads ran short (all dialed, or
// outside their window) waits before the store is read again: a lead
// due for a retry or a window opening is seen within it, and the store
// is not read at every check for nothing.
const dryWait = 2 * time.Second

// NewHopperFiller returns a filler; Run starts it.
func NewHopperFiller(cfg HopperFillConfig, src LeadSource, h Hopper, now func() time.Time, log *slog.Logger) *HopperFiller {
	if cfg.Size <= 0 {
		cfg.Size = 200
	}
	if cfg.Ahead <= 0 {
		cfg.Ahead = 10 * time.Second
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = 20000
	}
	cfg.MaxSize = max(cfg.MaxSize, cfg.Size)
	if cfg.Every <= 0 {
		cfg.Every = 250 * time.Millisecond
	}
	if now == nil {
		now = clock.System()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &HopperFiller{cfg: cfg, src: src, h: h, now: now, log: log, rates: map[CampaignID]*fillRate{}}
}

// Run checks every campaign's hopper every Every until ctx ends, and
// refills those under half their size: a check is two round trips to the
// live store, a refill reads the durable one.
func (f *HopperFiller) Run(ctx context.Context) {
	t := time.NewTicker(f.cfg.Every)
	defer t.Stop()
	f.FillAll(ctx)
	for {
		f.CheckAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// FillAll tops up each active dialer campaign's hopper to its size once;
// a paused or archived campaign's hopper is emptied.
func (f *HopperFiller) FillAll(ctx context.Context) { f.each(ctx, false) }

// CheckAll refills each active dialer campaign's hopper that is under
// half its size (the low-water mark), so a refill adds many leads at once
// rather than a few at every check; a paused or archived campaign's
// hopper is emptied.
func (f *HopperFiller) CheckAll(ctx context.Context) { f.each(ctx, true) }

func (f *HopperFiller) each(ctx context.Context, lowWater bool) {
	camps, err := f.src.ListCampaigns(ctx)
	if err != nil {
		f.log.Warn("hopper refill: campaigns not read", "err", err)
		return
	}
	for _, c := range camps {
		if !c.DialMode.Dials() {
			f.forget(c.ID)
			continue
		}
		if !c.Active || !c.ArchivedAt.IsZero() {
			// Its rate starts again when it resumes, from an empty hopper.
			f.forget(c.ID)
			// Idempotent: one round trip, whether or not it holds leads.
			if err := f.h.Clear(ctx, c.ID); err != nil {
				f.log.Warn("hopper of a paused campaign not emptied", "campaign_id", c.ID, "err", err)
			}
			continue
		}
		if _, err := f.fill(ctx, c, lowWater); err != nil {
			f.log.Warn("hopper refill failed", "campaign_id", c.ID, "err", err)
		}
	}
}

// Fill tops up one campaign's hopper and returns how many leads it added.
// Claims whose caller died without recording the attempt end first, so
// their leads may come back.
func (f *HopperFiller) Fill(ctx context.Context, c Campaign) (int, error) {
	return f.fill(ctx, c, false)
}

func (f *HopperFiller) fill(ctx context.Context, c Campaign, lowWater bool) (int, error) {
	now := f.now()
	if lapsed, err := f.h.Lapsed(ctx, c.ID, now); err != nil {
		return 0, err
	} else if len(lapsed) > 0 {
		f.log.Info("hopper claims lapsed", "campaign_id", c.ID, "leads", lapsed)
	}
	n, err := f.h.Len(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	size := f.size(c.ID, n, now)
	if n >= size || lowWater && (n >= size/2 || f.dry(c.ID, now)) {
		return 0, nil
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
	want := size - n
	added := 0
	defer func() { f.refilled(c.ID, n+added, n+added < size/2, now) }()
	for page := 0; page < maxFillPages && added < want; page++ {
		leads, err := f.src.DialableLeads(ctx, c.ID, now, set.LeadOrder, page*size, size)
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
		if len(leads) < size {
			break // the order is exhausted
		}
	}
	return added, nil
}

// maxFillPages bounds one refill's reading: a hopper's size a page.
const maxFillPages = 20

// size notes that the campaign's hopper holds n leads at now and returns
// the size it is filled to: Ahead of the fastest rate its leads were
// taken at lately, within Size and MaxSize. The rate is what went between
// two looks at the hopper (by any process), so it needs no word from the
// dialer.
func (f *HopperFiller) size(id CampaignID, n int, now time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rates[id]
	if r == nil {
		r = &fillRate{}
		f.rates[id] = r
	}
	if dt := now.Sub(r.at).Seconds(); r.checked && dt > 0 {
		fade := math.Exp2(-dt / rateHalfLife.Seconds())
		r.perSec = max(float64(max(r.left-n, 0))/dt, r.perSec*fade)
	}
	r.left, r.at, r.checked = n, now, true
	return min(max(f.cfg.Size, int(math.Ceil(r.perSec*f.cfg.Ahead.Seconds()))), f.cfg.MaxSize)
}

func (f *HopperFiller) forget(id CampaignID) {
	f.mu.Lock()
	delete(f.rates, id)
	f.mu.Unlock()
}

// refilled notes how many leads the campaign's hopper holds after a
// refill, so the next look counts only what was taken since, and
// whether the store ran short of leads.
func (f *HopperFiller) refilled(id CampaignID, n int, short bool, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.rates[id]; r != nil {
		r.left = n
		r.dryUntil = time.Time{}
		if short {
			r.dryUntil = now.Add(dryWait)
		}
	}
}

// dry reports whether the campaign's last refill ran short less than
// dryWait ago.
func (f *HopperFiller) dry(id CampaignID, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rates[id]
	return r != nil && now.Before(r.dryUntil)
}
