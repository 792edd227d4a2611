package sqlitestore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// seedCalls writes n ended calls of the campaign, one every 30 days / n
// back from now: per ten, four unanswered, a busy, a machine, an abandon
// and three that reached an agent.
func seedCalls(tb testing.TB, s *Store, campaign dialer.CampaignID, n int, now time.Time) {
	tb.Helper()
	step := (30 * 24 * time.Hour).Milliseconds() / int64(n)
	_, err := s.w.ExecContext(tb.Context(), `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?1 - 1),
		c(i, at) AS (SELECT i, ?3 - 1 - i * ?4 FROM k)
		INSERT INTO calls (id, direction, origin, campaign_id, state, outcome, created_at, answered_at, bridged_at, ended_at, billsec)
		SELECT printf('%08x-0000-4000-8000-%012x', ?2, i), 'outbound', 'dialer', ?2, 'ended',
			CASE i % 10 WHEN 4 THEN 'busy' WHEN 5 THEN 'machine' WHEN 6 THEN 'abandoned' WHEN 7 THEN 'answered'
				WHEN 8 THEN 'answered' WHEN 9 THEN 'answered' ELSE 'no_answer' END,
			at, CASE WHEN i % 10 >= 5 THEN at + 5000 END, CASE WHEN i % 10 >= 7 THEN at + 6000 END, at + 60000,
			CASE WHEN i % 10 >= 7 THEN 30 + i % 120 ELSE 0 END
		FROM c`, n, int64(campaign), now.UnixMilli(), step)
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkCampaignCallStats1M: the three windows of GET
// /campaigns/{id}/stats over a campaign with 1,000,000 calls in 30 days,
// beside another campaign's 200,000; with the covering index and, for
// comparison, with the (campaign_id, created_at) index it replaced.
func BenchmarkCampaignCallStats1M(b *testing.B) {
	s := newStore(b)
	ctx := b.Context()
	now := t0
	camp := must[dialer.Campaign](b)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Big", DialMode: dialer.DialPredictive, MaxAttempts: 3}))
	other := must[dialer.Campaign](b)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPredictive, MaxAttempts: 3}))
	start := time.Now()
	seedCalls(b, s, camp.ID, 1_000_000, now)
	seedCalls(b, s, other.ID, 200_000, now)
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 1,200,000 calls in %s", time.Since(start).Round(time.Millisecond))
	froms := []time.Time{now.Add(-10 * time.Hour), now.Add(-24 * time.Hour), now.Add(-30 * 24 * time.Hour)}
	run := func(b *testing.B) {
		plan := must[[]string](b)(s.queryPlan(ctx, callStatsSQL, b.Name(), camp.ID, froms[2], now))
		b.Logf("plan: %s", strings.Join(plan, "; "))
		var st []dialer.CallStats
		for b.Loop() {
			st = must[[]dialer.CallStats](b)(s.CampaignCallStats(ctx, camp.ID, now, froms...))
		}
		if st[2].Attempts != 1_000_000 || st[2].Abandoned != 100_000 || st[2].Answered != 400_000 || st[2].Connected != 300_000 {
			b.Fatalf("30 days: %+v", st[2])
		}
		b.Logf("30 days: %+v", st[2])
	}
	b.Run("covering_index", run)
	if _, err := s.w.ExecContext(ctx, `CREATE INDEX calls_campaign ON calls (campaign_id, created_at); DROP INDEX calls_campaign_stats`); err != nil {
		b.Fatal(err)
	}
	b.Run("campaign_created_index", run)
}

// queryPlan is SQLite's plan for one of CampaignCallStats' queries, a
// line per step. tag makes the text unique: a cached EXPLAIN keeps the
// plan it was prepared with, whatever the schema has become since.
func (s *Store) queryPlan(ctx context.Context, query, tag string, campaign dialer.CampaignID, from, now time.Time) ([]string, error) {
	rows, err := s.w.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query+` -- `+tag, int64(campaign), from.UnixMilli(), now.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

// BenchmarkCallRecordWrites: what the covering index costs the call
// records' writes. A call's records as the engine writes them (created,
// answered, bridged, ended: four transactions) on a table of 200,000
// calls, in stores with the covering index, with the index it replaced
// and with a wider one, taking turns in batches of 100 calls so that other
// load on the machine falls on all alike; reported as ms per call of each.
func BenchmarkCallRecordWrites(b *testing.B) {
	type variant struct {
		name, swap string
		s          *Store
		camp       dialer.CampaignID
		spent      time.Duration
	}
	vs := []*variant{
		{name: "covering_index"},
		{name: "campaign_created_index", swap: `CREATE INDEX calls_campaign ON calls (campaign_id, created_at); DROP INDEX calls_campaign_stats`},
		// A covering index with answered_at and bridged_at too, as live
		// calls would need: each progress write then moves its entry.
		{name: "wider_index", swap: `CREATE INDEX calls_wide ON calls (campaign_id, created_at, outcome, answered_at, bridged_at, billsec);
			DROP INDEX calls_campaign_stats`},
	}
	ctx := b.Context()
	for _, v := range vs {
		v.s = newStore(b)
		v.camp = must[dialer.Campaign](b)(v.s.CreateCampaign(ctx, dialer.Campaign{Name: "Big", DialMode: dialer.DialPredictive, MaxAttempts: 3})).ID
		seedCalls(b, v.s, v.camp, 200_000, t0)
		if v.swap != "" {
			if _, err := v.s.w.ExecContext(ctx, v.swap); err != nil {
				b.Fatal(err)
			}
		}
	}
	at := t0
	record := func(v *variant) {
		at = at.Add(time.Second)
		id := dialer.NewCallID()
		must[dialer.Call](b)(v.s.CreateCall(ctx, dialer.Call{ID: id, Direction: dialer.Outbound, Origin: dialer.OriginDialer,
			Campaign: v.camp, ToNumber: "+12125550101", CreatedAt: at}))
		for _, st := range []dialer.CallState{dialer.CallAnswered, dialer.CallBridged} {
			if err := v.s.RecordCallProgress(ctx, dialer.CallProgress{Call: id, At: at.Add(time.Second), Kind: string(st), State: st}); err != nil {
				b.Fatal(err)
			}
		}
		must[dialer.Call](b)(v.s.FinishCall(ctx, dialer.CallEnd{Call: id, At: at.Add(time.Minute), HangupCause: "NORMAL_CLEARING",
			Outcome: dialer.OutcomeAnswered, Billsec: 58}))
	}
	const batch = 100
	calls := 0
	for b.Loop() {
		for _, v := range vs {
			start := time.Now()
			for range batch {
				record(v)
			}
			v.spent += time.Since(start)
		}
		calls += batch
	}
	for _, v := range vs {
		b.ReportMetric(float64(v.spent.Microseconds())/1000/float64(calls), "ms/call_"+v.name)
	}
}
