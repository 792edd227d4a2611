package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// callStatsSQL counts a campaign's (?1) calls created in [?2, ?3] and,
// among the ended ones, what their outcome says: answered by a person
// (answered and transfer_failed reached an agent, abandoned did not; a
// machine is no person), and the billsec of those that reached an agent.
// The calls_campaign_stats index covers it: no table row is read.
const callStatsSQL = `SELECT count(*),
	count(*) FILTER (WHERE outcome IN ('answered', 'transfer_failed', 'abandoned')),
	count(*) FILTER (WHERE outcome IN ('answered', 'transfer_failed')),
	count(*) FILTER (WHERE outcome = 'abandoned'),
	coalesce(sum(billsec) FILTER (WHERE outcome IN ('answered', 'transfer_failed')), 0)
	FROM calls WHERE campaign_id = ?1 AND created_at >= ?2 AND created_at <= ?3`

// liveStatsSQL counts the same window's live calls answered and bridged
// so far: few rows, found through the partial index of live calls.
const liveStatsSQL = `SELECT count(answered_at), count(bridged_at) FROM calls INDEXED BY calls_live
	WHERE state <> 'ended' AND campaign_id = ?1 AND created_at >= ?2 AND created_at <= ?3`

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
		var talked, talk, liveAnswered, liveBridged int64
		st := dialer.CallStats{From: from, To: now}
		args := []any{int64(campaign), from.UnixMilli(), now.UnixMilli()}
		err := tx.QueryRowContext(ctx, callStatsSQL, args...).Scan(&st.Attempts, &st.Answered, &talked, &st.Abandoned, &talk)
		if err == nil {
			err = tx.QueryRowContext(ctx, liveStatsSQL, args...).Scan(&liveAnswered, &liveBridged)
		}
		if err != nil {
			return nil, mapErr(err, fmt.Sprintf("call figures of campaign %d", campaign), false)
		}
		st.Answered += int(liveAnswered)
		st.Connected = int(talked + liveBridged)
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
