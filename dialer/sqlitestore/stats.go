package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// callStatsSQL counts a campaign's (?1) calls created in [?2, ?3]. An
// ended call was answered by a person when its outcome says so (answered
// and transfer_failed reached an agent, abandoned did not; a machine is
// no person); a live call by its answered_at and bridged_at. Talk is the
// billsec of the ended calls that reached an agent. The
// calls_campaign_stats index covers it: no table row is read.
const callStatsSQL = `SELECT count(*),
	count(*) FILTER (WHERE outcome IN ('answered', 'transfer_failed', 'abandoned') OR (outcome = '' AND answered_at IS NOT NULL)),
	count(*) FILTER (WHERE outcome IN ('answered', 'transfer_failed') OR (outcome = '' AND bridged_at IS NOT NULL)),
	count(*) FILTER (WHERE outcome = 'abandoned'),
	count(*) FILTER (WHERE outcome IN ('answered', 'transfer_failed')),
	coalesce(sum(billsec) FILTER (WHERE outcome IN ('answered', 'transfer_failed')), 0)
	FROM calls WHERE campaign_id = ?1 AND created_at >= ?2 AND created_at <= ?3`

// CampaignCallStats counts the campaign's calls created in [from, now] for
// each from, all windows read in one snapshot. A query per window, each
// over its own range, takes about half the time of one pass counting
// every window at once.
func (s *Store) CampaignCallStats(ctx context.Context, campaign dialer.CampaignID, now time.Time, froms ...time.Time) ([]dialer.CallStats, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]dialer.CallStats, len(froms))
	for i, from := range froms {
		var talked, talk int64
		st := dialer.CallStats{From: from, To: now}
		err := tx.QueryRowContext(ctx, callStatsSQL, int64(campaign), from.UnixMilli(), now.UnixMilli()).
			Scan(&st.Attempts, &st.Answered, &st.Connected, &st.Abandoned, &talked, &talk)
		if err != nil {
			return nil, mapErr(err, fmt.Sprintf("call figures of campaign %d", campaign), false)
		}
		if st.Answered > 0 {
			st.AbandonRate = float64(st.Abandoned) / float64(st.Answered)
		}
		if talked > 0 {
			st.AvgTalkSeconds = float64(talk) / float64(talked)
		}
		out[i] = st
	}
	return out, nil
}

// LeadStatusCounts counts the campaign's leads by status, every status
// present, and their total.
func (s *Store) LeadStatusCounts(ctx context.Context, campaign dialer.CampaignID) (map[dialer.LeadStatus]int, int, error) {
	return s.leadCounts(ctx, `campaign_id = ?`, campaign)
}
