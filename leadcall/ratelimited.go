package leadcall

import (
	"context"
	"errors"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// Rate-limited refusals are counted in memory and written once per
// flush, one row per widget and minute: a flood costs the database
// nothing per request, and still shows in the widget's Calls.
const (
	rateFlushEvery = 2 * time.Second
	// maxRatePending bounds the keys counted between two flushes (a
	// spray of made-up widget keys); beyond it refusals go uncounted.
	maxRatePending = 10_000
)

type rateKey struct {
	widgetKey string
	minute    int64
}

type ratePending struct {
	first dialer.WidgetRequest
	n     int
}

// RateLimited counts a refused request of the widget whose public key is
// widgetKey (as sent: an unknown key is dropped at the flush).
func (s *Service) RateLimited(widgetKey string, r dialer.WidgetRequest) {
	if widgetKey == "" {
		return
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.cfg.Now()
	}
	k := rateKey{widgetKey, r.CreatedAt.Unix() / 60}
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if p := s.ratePending[k]; p != nil {
		p.n++
		return
	}
	if s.ratePending == nil {
		s.ratePending = map[rateKey]*ratePending{}
	}
	if len(s.ratePending) >= maxRatePending {
		s.rateDropped++
		return
	}
	r.Status, r.Reason = dialer.RequestRefused, dialer.RefusedRateLimited
	r.Field, r.Message = "widget_key", "too many lead calls"
	s.ratePending[k] = &ratePending{first: r, n: 1}
}

// FlushRateLimited writes the counted refusals.
func (s *Service) FlushRateLimited(ctx context.Context) {
	s.rateMu.Lock()
	pending, dropped := s.ratePending, s.rateDropped
	s.ratePending, s.rateDropped = nil, 0
	s.rateMu.Unlock()
	if dropped > 0 {
		s.log.Warn("lead requests: rate-limited refusals not counted (too many widget keys)", "dropped", dropped)
	}
	widgets := map[string]dialer.WidgetID{}
	for k, p := range pending {
		id, ok := widgets[k.widgetKey]
		if !ok {
			w, err := s.cfg.Widgets.WidgetByKey(ctx, k.widgetKey)
			if errors.Is(err, dialer.ErrNotFound) {
				widgets[k.widgetKey] = 0
				continue
			} else if err != nil {
				s.log.Warn("lead requests: rate-limited refusals not recorded", "err", err, "count", p.n)
				continue
			}
			id, widgets[k.widgetKey] = w.ID, w.ID
		}
		if id == 0 {
			continue
		}
		p.first.WidgetID = id
		if err := s.cfg.Store.RefuseRateLimited(ctx, p.first, p.n); err != nil {
			s.log.Warn("lead requests: rate-limited refusals not recorded", "widget", id, "count", p.n, "err", err)
		}
	}
}

// flushLoop writes the counts every rateFlushEvery, and once more when
// the service stops.
func (s *Service) flushLoop() {
	t := time.NewTicker(rateFlushEvery)
	defer t.Stop()
	// Not cancelled by Stop: what is counted is written.
	ctx := context.WithoutCancel(s.ctx)
	for {
		select {
		case <-s.ctx.Done():
			s.FlushRateLimited(ctx)
			return
		case <-t.C:
			s.FlushRateLimited(ctx)
		}
	}
}
