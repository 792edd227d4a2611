package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// RecordAgentState implements dialer.AgentStateLog. The same change
// written twice is one row.
func (s *Store) RecordAgentState(ctx context.Context, c dialer.AgentStateChange) error {
	if c.Agent <= 0 {
		return &dialer.FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if !c.State.Valid() {
		return &dialer.FieldError{Field: "state", Reason: "not a state"}
	}
	_, err := s.wq(ctx).ExecContext(ctx, `INSERT OR IGNORE INTO agent_states (agent_id, at, state, pause_code, call_id, campaign_id)
		VALUES (?, ?, ?, ?, ?, ?)`, c.Agent, c.At.UnixMilli(), c.State.String(), c.PauseCode, nullText(string(c.Call)), nullID(c.Campaign))
	return mapErr(err, fmt.Sprintf("agent %d state", c.Agent), false)
}

// callScope is the WHERE clause of the calls (alias c) a report counts:
// created in the range, and of the campaign, queue and agent asked.
func callScope(f dialer.ReportFilter) (string, []any) {
	w := []string{`c.created_at >= ?`, `c.created_at < ?`}
	args := []any{f.From.UnixMilli(), f.To.UnixMilli()}
	if f.Campaign != 0 {
		w, args = append(w, `c.campaign_id = ?`), append(args, int64(f.Campaign))
	}
	if f.Agent != 0 {
		w, args = append(w, `c.agent_id = ?`), append(args, int64(f.Agent))
	}
	if f.Team != 0 {
		w, args = append(w, `c.agent_id IN (SELECT id FROM agents WHERE team_id = ?)`), append(args, int64(f.Team))
	}
	if f.Queue != 0 {
		w = append(w, `EXISTS (SELECT 1 FROM call_events q WHERE q.call_id = c.id AND q.kind = 'queued'
			AND json_extract(q.data, '$.queue_id') = ?)`)
		args = append(args, int64(f.Queue))
	}
	return strings.Join(w, ` AND `), args
}

// periods cuts [from, to) into days of loc, or hours.
func periods(f dialer.ReportFilter, hourly bool) []time.Time {
	var out []time.Time
	for t := f.From; t.Before(f.To); {
		out = append(out, t)
		if hourly {
			t = t.Add(time.Hour)
		} else {
			y, m, d := t.In(f.Loc).Date()
			t = time.Date(y, m, d+1, 0, 0, 0, 0, f.Loc)
		}
	}
	return out
}

// periodsCTE is a table p(i, s, e) of the periods starting at starts, the
// last one ending at to.
func periodsCTE(starts []time.Time, to time.Time) (string, []any) {
	var b strings.Builder
	b.WriteString(`p(i, s, e) AS (VALUES `)
	args := make([]any, 0, len(starts)*3)
	for i, st := range starts {
		if i > 0 {
			b.WriteString(`, `)
		}
		b.WriteString(`(?, ?, ?)`)
		end := to
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		args = append(args, i, st.UnixMilli(), end.UnixMilli())
	}
	b.WriteString(`)`)
	return b.String(), args
}

// AgentReport implements the agent report: each agent's time per state
// from its recorded changes (a state lasts until the next one, the last
// one until now), its calls and their dispositions.
func (s *Store) AgentReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.AgentReport, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	by := map[dialer.AgentID]*dialer.AgentReport{}
	get := func(id dialer.AgentID) *dialer.AgentReport {
		r := by[id]
		if r == nil {
			r = &dialer.AgentReport{Agent: id, PauseByCode: map[string]int64{}, Dispositions: map[string]int{}}
			by[id] = r
		}
		return r
	}
	end := min(f.To.UnixMilli(), s.now().UnixMilli())
	// The states entered in the range (through agent_states_at), and the
	// one each agent was in when it began, which counts from there: a
	// seek per agent on the primary key (CROSS JOIN keeps the planner
	// from scanning every state instead).
	q := `WITH rows AS (
		SELECT agent_id, at, state, pause_code, campaign_id FROM agent_states WHERE at >= ?1 AND at < ?2
		UNION ALL
		SELECT s.agent_id, s.at, s.state, s.pause_code, s.campaign_id
		FROM (SELECT a.id AS agent_id, (SELECT max(b.at) FROM agent_states b WHERE b.agent_id = a.id AND b.at < ?1) AS at FROM agents a) l
		CROSS JOIN agent_states s ON s.agent_id = l.agent_id AND s.at = l.at
	), st AS (
		SELECT agent_id, at, state, pause_code, campaign_id,
			lead(at) OVER (PARTITION BY agent_id ORDER BY at) AS next
		FROM rows`
	// Every filter is bound, a NULL one matching all: numbered
	// parameters must all be used.
	args := []any{f.From.UnixMilli(), f.To.UnixMilli(), end, nullID(f.Agent), nullID(f.Campaign), nullID(f.Team)}
	q += ` WHERE (?4 IS NULL OR agent_id = ?4)
			AND (?6 IS NULL OR agent_id IN (SELECT id FROM agents WHERE team_id = ?6)))
		SELECT agent_id, state, pause_code, sum(max(0, min(coalesce(next, ?3), ?3) - max(at, ?1))) / 1000
		FROM st WHERE (?5 IS NULL OR campaign_id = ?5)`
	q += ` GROUP BY agent_id, state, pause_code`
	err = eachRow(ctx, tx, q, args, func(r interface{ Scan(...any) error }) error {
		var id dialer.AgentID
		var state, code string
		var sec int64
		if err := r.Scan(&id, &state, &code, &sec); err != nil {
			return err
		}
		a := get(id)
		switch state {
		case "LOGGED_OUT":
			return nil
		case "READY":
			a.ReadySec += sec
		case "INCALL":
			a.TalkSec += sec
		case "DISPO":
			a.WrapupSec += sec
		case "PAUSED":
			a.PauseSec += sec
			a.PauseByCode[code] += sec
		}
		a.LoggedInSec += sec
		return nil
	})
	if err != nil {
		return nil, err
	}
	where, cargs := callScope(f)
	err = eachRow(ctx, tx, `SELECT c.agent_id, count(*) FILTER (WHERE c.bridged_at IS NOT NULL), c.disposition, count(*)
		FROM calls c WHERE c.agent_id IS NOT NULL AND `+where+` GROUP BY c.agent_id, c.disposition`, cargs,
		func(r interface{ Scan(...any) error }) error {
			var id dialer.AgentID
			var talked, n int
			var code sql.NullString
			if err := r.Scan(&id, &talked, &code, &n); err != nil {
				return err
			}
			a := get(id)
			a.Calls += talked
			if code.Valid {
				a.Dispositions[code.String] += n
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Hold is within the call's INCALL time: it is taken out of talk.
	err = eachRow(ctx, tx, `SELECT c.agent_id, coalesce(sum(json_extract(e.data, '$.held_ms')), 0) / 1000
		FROM calls c JOIN call_events e ON e.call_id = c.id AND e.kind = 'unhold'
		WHERE c.agent_id IS NOT NULL AND `+where+` GROUP BY c.agent_id`, cargs,
		func(r interface{ Scan(...any) error }) error {
			var id dialer.AgentID
			var sec int64
			if err := r.Scan(&id, &sec); err != nil {
				return err
			}
			a := get(id)
			a.HoldSec = sec
			return nil
		})
	if err != nil {
		return nil, err
	}
	names, err := names(ctx, tx, `SELECT id, name FROM agents`)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.AgentReport, 0, len(by))
	for id, a := range by {
		a.Name = names[int64(id)]
		a.TalkSec = max(0, a.TalkSec-a.HoldSec)
		if avail := a.LoggedInSec - a.PauseSec; avail > 0 {
			a.Occupancy = float64(a.TalkSec+a.HoldSec+a.WrapupSec) / float64(avail)
		}
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].Agent < out[j].Agent
	})
	return out, nil
}

// CampaignReport implements the campaign report: attempts, contacts (a
// person answered), abandons and dispositions per day, and the abandon
// rate today, over 24 hours and over 30 days.
func (s *Store) CampaignReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.CampaignReport, error) {
	starts := periods(f, false)
	cte, pargs := periodsCTE(starts, f.To)
	where, cargs := callScope(f)
	args := append(pargs, cargs...)
	by := map[dialer.CampaignID]*dialer.CampaignReport{}
	get := func(id dialer.CampaignID) *dialer.CampaignReport {
		r := by[id]
		if r == nil {
			r = &dialer.CampaignReport{Campaign: id, Days: make([]dialer.CampaignDay, len(starts))}
			r.Conversions = map[string]int{}
			for i, st := range starts {
				r.Days[i] = dialer.CampaignDay{Start: st, Conversions: map[string]int{}}
			}
			by[id] = r
		}
		return r
	}
	err := eachRow(ctx, s.r, `WITH `+cte+`
		SELECT c.campaign_id, p.i, count(*),
			count(*) FILTER (WHERE c.outcome IN ('answered', 'transfer_failed', 'abandoned')),
			count(*) FILTER (WHERE c.outcome = 'abandoned')
		FROM p JOIN calls c ON c.created_at >= p.s AND c.created_at < p.e
		WHERE c.campaign_id IS NOT NULL AND `+where+` GROUP BY c.campaign_id, p.i`, args,
		func(r interface{ Scan(...any) error }) error {
			var id dialer.CampaignID
			var i, n, contacts, abandoned int
			if err := r.Scan(&id, &i, &n, &contacts, &abandoned); err != nil {
				return err
			}
			d := &get(id).Days[i]
			d.Attempts, d.Contacts, d.Abandoned = n, contacts, abandoned
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, s.r, `WITH `+cte+`
		SELECT c.campaign_id, p.i, c.disposition, count(*)
		FROM p JOIN calls c ON c.created_at >= p.s AND c.created_at < p.e
		WHERE c.campaign_id IS NOT NULL AND c.disposition IS NOT NULL AND `+where+` GROUP BY c.campaign_id, p.i, c.disposition`, args,
		func(r interface{ Scan(...any) error }) error {
			var id dialer.CampaignID
			var i, n int
			var code string
			if err := r.Scan(&id, &i, &code, &n); err != nil {
				return err
			}
			get(id).Days[i].Conversions[code] = n
			return nil
		})
	if err != nil {
		return nil, err
	}
	names, err := names(ctx, s.r, `SELECT id, name FROM campaigns`)
	if err != nil {
		return nil, err
	}
	now := s.now()
	y, m, d := now.In(f.Loc).Date()
	windows := []struct {
		name string
		from time.Time
	}{{"today", time.Date(y, m, d, 0, 0, 0, 0, f.Loc)}, {"24h", now.Add(-24 * time.Hour)}, {"30d", now.AddDate(0, 0, -30)}}
	froms := make([]time.Time, len(windows))
	for i, w := range windows {
		froms[i] = w.from
	}
	out := make([]dialer.CampaignReport, 0, len(by))
	for id, r := range by {
		r.Name, r.Start = names[int64(id)], f.From
		for i := range r.Days {
			d := &r.Days[i]
			d.AbandonRate = rate(d.Abandoned, d.Contacts)
			r.Attempts += d.Attempts
			r.Contacts += d.Contacts
			r.Abandoned += d.Abandoned
			for code, n := range d.Conversions {
				r.Conversions[code] += n
			}
		}
		r.AbandonRate = rate(r.Abandoned, r.Contacts)
		st, err := s.CampaignCallStats(ctx, id, now, froms...)
		if err != nil {
			return nil, err
		}
		for i, w := range windows {
			r.Windows = append(r.Windows, dialer.CampaignWindow{Name: w.name, From: w.from, Attempts: st[i].Attempts,
				Contacts: st[i].Answered, Abandoned: st[i].Abandoned, AbandonRate: st[i].AbandonRate})
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// queueCallsSQL is each call's first entry into each queue (q), with when
// an agent first took it after that, whether it left the queue another
// way (overflow, voicemail, a callback) and whether it has ended.
const queueCallsSQL = `qc AS (
	SELECT e.call_id, CAST(json_extract(e.data, '$.queue_id') AS INTEGER) AS queue_id, min(e.at) AS at
	FROM calls c JOIN call_events e ON e.call_id = c.id AND e.kind = 'queued'
	WHERE %s GROUP BY e.call_id, queue_id
), r AS (
	SELECT qc.queue_id, qc.at,
		(SELECT min(b.at) FROM call_events b WHERE b.call_id = qc.call_id AND b.kind = 'bridged' AND b.at >= qc.at) - qc.at AS wait,
		EXISTS (SELECT 1 FROM call_events o WHERE o.call_id = qc.call_id AND o.at >= qc.at
			AND o.kind IN ('queue_overflow', 'voicemail', 'callback_booked')) AS moved,
		c.state = 'ended' AS ended
	FROM qc JOIN calls c ON c.id = qc.call_id
)`

// QueueReport implements the queue report: callers offered to each queue,
// answered (within its service level or not) and abandoned, and their
// wait, per day or hour. A caller who left the queue for its overflow
// is neither answered there nor abandoned.
func (s *Store) QueueReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.QueueReport, error) {
	starts := periods(f, f.Hourly)
	cte, pargs := periodsCTE(starts, f.To)
	g := f
	g.Queue = 0 // the queue is the grouping, filtered below
	where, cargs := callScope(g)
	args := append(pargs, cargs...)
	q := `WITH ` + cte + `, ` + fmt.Sprintf(queueCallsSQL, where) + `
		SELECT r.queue_id, p.i, count(*), count(r.wait),
			count(*) FILTER (WHERE r.wait <= qu.service_level_seconds * 1000),
			count(*) FILTER (WHERE r.wait IS NULL AND r.ended AND NOT r.moved),
			coalesce(sum(r.wait), 0), coalesce(max(r.wait), 0)
		FROM r JOIN p ON r.at >= p.s AND r.at < p.e JOIN queues qu ON qu.id = r.queue_id`
	if f.Queue != 0 {
		q += ` WHERE r.queue_id = ?`
		args = append(args, int64(f.Queue))
	}
	q += ` GROUP BY r.queue_id, p.i`
	by := map[dialer.QueueID]*dialer.QueueReport{}
	waits := map[dialer.QueueID]int64{}
	err := eachRow(ctx, s.r, q, args, func(r interface{ Scan(...any) error }) error {
		var id dialer.QueueID
		var i int
		var p dialer.QueuePeriod
		var waitMS, maxMS int64
		if err := r.Scan(&id, &i, &p.Offered, &p.Answered, &p.InService, &p.Abandoned, &waitMS, &maxMS); err != nil {
			return err
		}
		rep := by[id]
		if rep == nil {
			rep = &dialer.QueueReport{Queue: id, Periods: make([]dialer.QueuePeriod, len(starts))}
			for j, st := range starts {
				rep.Periods[j].Start = st
			}
			by[id] = rep
		}
		p.Start, p.MaxWaitSec = starts[i], maxMS/1000
		if p.Answered > 0 {
			p.AvgWaitSec = float64(waitMS) / float64(p.Answered) / 1000
		}
		p.ServiceLevel = rate(p.InService, p.Offered)
		rep.Periods[i] = p
		waits[id] += waitMS
		return nil
	})
	if err != nil {
		return nil, err
	}
	qs, err := s.ListQueues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.QueueReport, 0, len(by))
	for _, qu := range qs {
		r := by[qu.ID]
		if r == nil {
			if f.Queue != qu.ID {
				continue
			}
			r = &dialer.QueueReport{Queue: qu.ID, Periods: make([]dialer.QueuePeriod, len(starts))}
			for j, st := range starts {
				r.Periods[j].Start = st
			}
		}
		r.Name, r.ServiceLevelSecond = qu.Name, qu.ServiceLevelSeconds
		r.Start = f.From
		for _, p := range r.Periods {
			r.Offered += p.Offered
			r.Answered += p.Answered
			r.InService += p.InService
			r.Abandoned += p.Abandoned
			r.MaxWaitSec = max(r.MaxWaitSec, p.MaxWaitSec)
		}
		r.ServiceLevel = rate(r.InService, r.Offered)
		if r.Answered > 0 {
			r.AvgWaitSec = float64(waits[qu.ID]) / float64(r.Answered) / 1000
		}
		out = append(out, *r)
	}
	return out, nil
}

// HangupReport implements the hangup report: ended calls by cause and
// direction, the most frequent first.
func (s *Store) HangupReport(ctx context.Context, f dialer.ReportFilter) ([]dialer.HangupCount, error) {
	where, args := callScope(f)
	out := []dialer.HangupCount{}
	err := eachRow(ctx, s.r, `SELECT c.hangup_cause, c.direction, count(*) FROM calls c
		WHERE c.state = 'ended' AND `+where+` GROUP BY c.hangup_cause, c.direction ORDER BY 3 DESC, 1, 2`, args,
		func(r interface{ Scan(...any) error }) error {
			var h dialer.HangupCount
			if err := r.Scan(&h.Cause, &h.Direction, &h.Calls); err != nil {
				return err
			}
			out = append(out, h)
			return nil
		})
	return out, err
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// eachRow runs q and hands each row to fn.
func eachRow(ctx context.Context, db querier, q string, args []any, fn func(interface{ Scan(...any) error }) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// names reads an id -> name table.
func names(ctx context.Context, db querier, q string) (map[int64]string, error) {
	out := map[int64]string{}
	err := eachRow(ctx, db, q, nil, func(r interface{ Scan(...any) error }) error {
		var id int64
		var n string
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		out[id] = n
		return nil
	})
	return out, err
}
