package dialer

import (
	"context"
	"time"
)

// CallStatsReader counts a campaign's calls over windows; with a call log
// that has it, the engine pushes each dialer campaign's abandon rate.
type CallStatsReader interface {
	CampaignCallStats(ctx context.Context, campaign CampaignID, now time.Time, froms ...time.Time) ([]CallStats, error)
}

// abandonWindow is what the pushed abandon rate covers.
const abandonWindow = 24 * time.Hour

// abandonLoop publishes the dialer campaigns' abandon figures every
// CampaignStatsEvery, each only when it changed: the wall is told, it
// does not poll.
func (e *Engine) abandonLoop(ctx context.Context, st CallStatsReader) {
	t := time.NewTicker(e.cfg.CampaignStatsEvery)
	defer t.Stop()
	for {
		e.pushAbandonRates(ctx, st)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) pushAbandonRates(ctx context.Context, st CallStatsReader) {
	list, err := e.camp.ListCampaigns(ctx)
	if err != nil {
		e.log.Warn("abandon rates: campaigns not read", "err", err)
		return
	}
	now := e.now()
	for _, c := range list {
		if !c.Active || !c.ArchivedAt.IsZero() || c.DialMode != DialProgressive && c.DialMode != DialPredictive {
			continue
		}
		if c.DialMode == DialPredictive && e.pacerCounts(c.ID, now) {
			continue // the pacer reads these records every few seconds and publishes them
		}
		figs, err := st.CampaignCallStats(ctx, c.ID, now, now.Add(-abandonWindow))
		if err != nil || len(figs) != 1 {
			e.log.Warn("abandon rates: calls not counted", "campaign_id", c.ID, "err", err)
			continue
		}
		f := figs[0]
		v := CampaignLive{ID: c.ID, Name: c.Name, DialMode: c.DialMode, Answered: f.Answered, Abandoned: f.Abandoned,
			AbandonRate: f.AbandonRate, From: f.From}
		if old, ok := e.hub.campaignView(c.ID); ok {
			v.Pacing = old.Pacing
		}
		if e.hub.campaignChanged(v) {
			e.publish(LiveEvent{Type: EvCampaignStats, CampaignView: &v})
		}
	}
}
