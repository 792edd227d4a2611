package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

const callCols = `id, direction, origin, campaign_id, lead_id, agent_id, from_number, to_number, state, hangup_cause,
	outcome, billsec, created_at, answered_at, bridged_at, ended_at, recording_path, disposition, notes, switch_lost, billsec_estimated`

// collect scans every row a query returned (err is the query's own).
func collect[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanCall(row interface{ Scan(...any) error }) (dialer.Call, error) {
	var c dialer.Call
	var campaign, lead, agent, created, answered, bridged, ended sql.NullInt64
	var dispo sql.NullString
	err := row.Scan(&c.ID, &c.Direction, &c.Origin, &campaign, &lead, &agent, &c.FromNumber, &c.ToNumber, &c.State,
		&c.HangupCause, &c.Outcome, &c.Billsec, &created, &answered, &bridged, &ended, &c.RecordingPath, &dispo, &c.Notes,
		&c.SwitchLost, &c.BillsecEstimated)
	c.Campaign, c.Lead, c.Agent = dialer.CampaignID(campaign.Int64), dialer.LeadID(lead.Int64), dialer.AgentID(agent.Int64)
	c.CreatedAt, c.AnsweredAt, c.BridgedAt, c.EndedAt = fromMS(created), fromMS(answered), fromMS(bridged), fromMS(ended)
	c.Disposition = dispo.String
	return c, err
}

func getCall(ctx context.Context, q dbtx, id dialer.CallID) (dialer.Call, error) {
	c, err := scanCall(q.QueryRowContext(ctx, `SELECT `+callCols+` FROM calls WHERE id = ?`, id))
	return c, mapErr(err, "call "+string(id), false)
}

// appendEvent adds the next event of a call's timeline. An Exec, not a
// query returning the number: that costs a third more on the records'
// hot path, and nothing needs it.
func appendEvent(ctx context.Context, tx *sql.Tx, ev dialer.CallEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO call_events (call_id, seq, at, kind, leg_id, data)
		SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ? FROM call_events WHERE call_id = ?`,
		ev.Call, ev.At.UnixMilli(), ev.Kind, nullText(string(ev.Leg)), jsonOr(ev.Data, "{}"), ev.Call)
	return mapErr(err, "call "+string(ev.Call)+" event "+ev.Kind, false)
}

func eventData(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func insertLeg(ctx context.Context, tx *sql.Tx, l dialer.CallLeg) error {
	if err := insertLegRow(ctx, tx, l); err != nil {
		return err
	}
	return appendEvent(ctx, tx, legAdded(l))
}

// insertLegRow writes a leg without its timeline entry.
func insertLegRow(ctx context.Context, tx *sql.Tx, l dialer.CallLeg) error {
	if err := l.Validate(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO call_legs (id, call_id, role, endpoint, node, agent_id, created_at, answered_at, ended_at, hangup_cause)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.Call, string(l.Role), l.Endpoint, l.Node, nullID(l.Agent), l.CreatedAt.UnixMilli(), ms(l.AnsweredAt),
		ms(l.EndedAt), l.HangupCause)
	return mapErr(err, "call "+string(l.Call)+" leg "+string(l.ID), false)
}

func legAdded(l dialer.CallLeg) dialer.CallEvent {
	return dialer.CallEvent{Call: l.Call, At: l.CreatedAt, Kind: dialer.EventLegAdded, Leg: l.ID,
		Data: eventData(map[string]any{"role": l.Role, "endpoint": l.Endpoint, "agent_id": l.Agent})}
}

// insertFirstEvents writes a new call's first timeline entries, numbered
// from 1, in one statement: the call has none yet, so no number is read.
func insertFirstEvents(ctx context.Context, tx *sql.Tx, evs []dialer.CallEvent) error {
	q := make([]byte, 0, 80+len(evs)*20)
	q = append(q, "INSERT INTO call_events (call_id, seq, at, kind, leg_id, data) VALUES "...)
	args := make([]any, 0, len(evs)*6)
	for i, ev := range evs {
		if i > 0 {
			q = append(q, ',')
		}
		q = append(q, "(?, ?, ?, ?, ?, ?)"...)
		args = append(args, ev.Call, i+1, ev.At.UnixMilli(), ev.Kind, nullText(string(ev.Leg)), jsonOr(ev.Data, "{}"))
	}
	_, err := tx.ExecContext(ctx, string(q), args...)
	return mapErr(err, "call "+string(evs[0].Call)+" events", false)
}

// CreateCall implements dialer.CallLog. Legs with no call id get c.ID.
func (s *Store) CreateCall(ctx context.Context, c dialer.Call, legs ...dialer.CallLeg) (dialer.Call, error) {
	if c.State == "" {
		c.State = dialer.CallCreated
	}
	if err := c.Validate(); err != nil {
		return dialer.Call{}, err
	}
	// Grouped: a dialer creates calls many at a time, each waiting for
	// its commit before the switch is asked to dial.
	err := s.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO calls (id, direction, origin, campaign_id, lead_id, agent_id, from_number,
			to_number, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, string(c.Direction), string(c.Origin), nullID(c.Campaign), nullID(c.Lead), nullID(c.Agent),
			c.FromNumber, c.ToNumber, string(c.State), c.CreatedAt.UnixMilli())
		if err != nil {
			return mapErr(err, "create call "+string(c.ID), false)
		}
		// A call placed to a lead is one of its attempts (a call from the
		// lead is not); counted here so that no lead edit can lose it.
		// A lead new or due for a retry is "dialing" until the call's
		// outcome or disposition says what next, so no refill takes it
		// meanwhile. The dialer's own call takes only such a lead: two
		// processes never both dial it.
		if c.Lead != 0 && c.Direction == dialer.Outbound {
			only := ""
			if c.Origin == dialer.OriginDialer {
				only = ` AND status IN ('new', 'retry')`
			}
			r, err := tx.ExecContext(ctx, `UPDATE leads SET attempts = attempts + 1,
				status = CASE WHEN status IN ('new', 'retry') THEN 'dialing' ELSE status END,
				last_call_at = max(coalesce(last_call_at, 0), ?), updated_at = ?, version = version + 1 WHERE id = ?`+only,
				c.CreatedAt.UnixMilli(), s.now().UnixMilli(), c.Lead)
			if err != nil {
				return mapErr(err, fmt.Sprintf("count an attempt on lead %d", c.Lead), false)
			}
			if n, err := r.RowsAffected(); err == nil && n == 0 && only != "" {
				return fmt.Errorf("lead %d is not waiting to be dialed: %w", c.Lead, dialer.ErrStateMismatch)
			}
		}
		evs := []dialer.CallEvent{{Call: c.ID, At: c.CreatedAt, Kind: dialer.EventCallCreated,
			Data: eventData(map[string]any{"direction": c.Direction, "origin": c.Origin, "to": c.ToNumber})}}
		for _, l := range legs {
			if l.Call == "" {
				l.Call = c.ID
			}
			if l.Call != c.ID {
				return &dialer.FieldError{Field: "legs.call_id", Reason: "leg belongs to another call"}
			}
			if err := insertLegRow(ctx, tx, l); err != nil {
				return err
			}
			evs = append(evs, legAdded(l))
		}
		return insertFirstEvents(ctx, tx, evs)
	})
	if err != nil {
		return dialer.Call{}, err
	}
	// The row as inserted, without reading it back.
	c.CreatedAt = time.UnixMilli(c.CreatedAt.UnixMilli()).UTC()
	c.AnsweredAt, c.BridgedAt, c.EndedAt = time.Time{}, time.Time{}, time.Time{}
	c.HangupCause, c.Outcome, c.Billsec, c.RecordingPath, c.Disposition, c.Notes = "", "", 0, "", "", ""
	c.SwitchLost, c.BillsecEstimated = false, false
	return c, nil
}

// AddCallLeg implements dialer.CallLog; an ended call takes no new leg.
func (s *Store) AddCallLeg(ctx context.Context, l dialer.CallLeg) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		c, err := getCall(ctx, tx, l.Call)
		if err != nil {
			return err
		}
		if c.State == dialer.CallEnded {
			return fmt.Errorf("call %s has ended: %w", c.ID, dialer.ErrConflict)
		}
		return insertLeg(ctx, tx, l)
	})
}

// RecordCallProgress implements dialer.CallLog. The state only moves
// forward (bridged may repeat, after a transfer); after the end, events are
// still recorded but the state is frozen.
func (s *Store) RecordCallProgress(ctx context.Context, p dialer.CallProgress) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		at := p.At.UnixMilli()
		rank := p.State.Rank()
		// The state only moves forward and never after the end: checked by
		// the update itself, the call read only to say why it was refused.
		if p.State != "" || p.Agent != 0 || p.RecordingPath != "" {
			res, err := tx.ExecContext(ctx, `UPDATE calls SET
				state = CASE WHEN ?1 = '' THEN state ELSE ?1 END,
				answered_at = CASE WHEN ?2 >= 3 AND answered_at IS NULL THEN ?3 ELSE answered_at END,
				bridged_at = CASE WHEN ?2 >= 4 AND bridged_at IS NULL THEN ?3 ELSE bridged_at END,
				agent_id = coalesce(?4, agent_id),
				recording_path = CASE WHEN ?5 = '' THEN recording_path ELSE ?5 END
				WHERE id = ?6 AND (?1 = '' OR (state <> 'ended' AND `+stateRankSQL+` <= ?2))`,
				string(p.State), rank, at, nullID(p.Agent), p.RecordingPath, p.Call)
			if err != nil {
				return mapErr(err, "call "+string(p.Call), false)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return progressRefused(ctx, tx, p)
			}
		}
		if p.LegAnswered || p.LegEnded {
			res, err := tx.ExecContext(ctx, `UPDATE call_legs SET
				answered_at = CASE WHEN ?1 THEN coalesce(answered_at, ?3) ELSE answered_at END,
				ended_at = CASE WHEN ?2 THEN coalesce(ended_at, ?3) ELSE ended_at END,
				hangup_cause = CASE WHEN ?2 AND hangup_cause = '' THEN ?4 ELSE hangup_cause END
				WHERE id = ?5 AND call_id = ?6`,
				p.LegAnswered, p.LegEnded, at, p.LegCause, p.Leg, p.Call)
			if err != nil {
				return mapErr(err, "leg "+string(p.Leg), false)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := getCall(ctx, tx, p.Call); err != nil {
					return err
				}
				return &dialer.FieldError{Field: "leg_id", Reason: "not a leg of this call"}
			}
		}
		err := appendEvent(ctx, tx, dialer.CallEvent{Call: p.Call, At: p.At, Kind: p.Kind, Leg: p.Leg, Data: p.Data})
		if errors.Is(err, dialer.ErrInvalid) {
			// The event names a call that does not exist.
			if _, gerr := getCall(ctx, tx, p.Call); gerr != nil {
				return gerr
			}
		}
		return err
	})
}

// stateRankSQL is CallState.Rank in SQL, over calls.state.
const stateRankSQL = `CASE state WHEN 'created' THEN 1 WHEN 'ringing' THEN 2 WHEN 'answered' THEN 3 WHEN 'bridged' THEN 4 WHEN 'ended' THEN 5 ELSE 0 END`

// progressRefused says why a call's progress was not applied.
func progressRefused(ctx context.Context, tx *sql.Tx, p dialer.CallProgress) error {
	c, err := getCall(ctx, tx, p.Call)
	switch {
	case err != nil:
		return err
	case c.State == dialer.CallEnded:
		return fmt.Errorf("call %s has ended: %w", c.ID, dialer.ErrConflict)
	default:
		return fmt.Errorf("call %s is %s, cannot go back to %s: %w", c.ID, c.State, p.State, dialer.ErrConflict)
	}
}

// FinishCall implements dialer.CallLog.
func (s *Store) FinishCall(ctx context.Context, e dialer.CallEnd) (dialer.Call, error) {
	if err := e.Validate(); err != nil {
		return dialer.Call{}, err
	}
	var out dialer.Call
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := getCall(ctx, tx, e.Call)
		if err != nil {
			return err
		}
		if c.State == dialer.CallEnded {
			return fmt.Errorf("call %s has already ended: %w", c.ID, dialer.ErrConflict)
		}
		at := e.At.UnixMilli()
		_, err = tx.ExecContext(ctx, `UPDATE calls SET state = 'ended', ended_at = ?, hangup_cause = ?, outcome = ?,
			billsec = ?, recording_path = CASE WHEN ? = '' THEN recording_path ELSE ? END,
			switch_lost = ?, billsec_estimated = ? WHERE id = ?`,
			at, e.HangupCause, string(e.Outcome), e.Billsec, e.RecordingPath, e.RecordingPath, e.SwitchLost, e.BillsecEstimated, e.Call)
		if err != nil {
			return mapErr(err, "finish call "+string(e.Call), false)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE call_legs SET ended_at = ?,
			hangup_cause = CASE WHEN hangup_cause = '' THEN ? ELSE hangup_cause END
			WHERE call_id = ? AND ended_at IS NULL`, at, e.HangupCause, e.Call); err != nil {
			return mapErr(err, "finish call legs", false)
		}
		if c.Lead != 0 && c.Direction == dialer.Outbound {
			// last_call_at was set when the attempt was placed.
			r, err := s.readLeadRules(ctx, tx, c.Lead)
			if err != nil {
				return err
			}
			next, ok := dialer.LeadAfterCall(e.Outcome, e.HangupCause, r.attempts, r.maxAttempts, r.settings.RetryDelays, e.At)
			if err := setLeadAfter(ctx, tx, c.Lead, lastOutcome, string(e.Outcome), next, ok, s.now()); err != nil {
				return err
			}
		} else if c.Lead != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET last_call_at = ?, last_outcome = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
				at, string(e.Outcome), s.now().UnixMilli(), c.Lead); err != nil {
				return mapErr(err, "finish call lead", false)
			}
		}
		data := map[string]any{"cause": e.HangupCause, "outcome": e.Outcome, "billsec": e.Billsec}
		if e.SwitchLost {
			data["switch_lost"] = true
		}
		if e.BillsecEstimated {
			data["billsec_estimated"] = true
		}
		if err := appendEvent(ctx, tx, dialer.CallEvent{Call: e.Call, At: e.At, Kind: dialer.EventCallEnded,
			Data: eventData(data)}); err != nil {
			return err
		}
		// The row as updated, without reading it back.
		c.State, c.EndedAt, c.HangupCause, c.Outcome, c.Billsec = dialer.CallEnded, time.UnixMilli(at).UTC(), e.HangupCause, e.Outcome, e.Billsec
		if e.RecordingPath != "" {
			c.RecordingPath = e.RecordingPath
		}
		c.SwitchLost, c.BillsecEstimated = e.SwitchLost, e.BillsecEstimated
		out = c
		return nil
	})
	return out, err
}

// DisposeCall implements dialer.CallLog. Disposing again replaces the
// code and notes (a supervisor's correction) and applies the new code.
func (s *Store) DisposeCall(ctx context.Context, d dialer.Disposal) (dialer.Call, error) {
	if err := d.Validate(); err != nil {
		return dialer.Call{}, err
	}
	var out dialer.Call
	err := s.tx(ctx, func(tx *sql.Tx) error {
		code, err := scanDisposition(tx.QueryRowContext(ctx, `SELECT `+dispositionCols+` FROM dispositions WHERE code = ?`, d.Code))
		if errors.Is(err, sql.ErrNoRows) {
			return &dialer.FieldError{Field: "code", Reason: "unknown disposition " + d.Code}
		}
		if err != nil {
			return err
		}
		switch {
		case code.SchedulesCallback && d.Callback == nil:
			return &dialer.FieldError{Field: "callback.due_at", Reason: d.Code + " schedules a callback"}
		case !code.SchedulesCallback && d.Callback != nil:
			return &dialer.FieldError{Field: "callback", Reason: d.Code + " does not schedule callbacks"}
		}
		c, err := getCall(ctx, tx, d.Call)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calls SET disposition = ?, notes = ? WHERE id = ?`, d.Code, d.Notes, d.Call); err != nil {
			return mapErr(err, "dispose call "+string(d.Call), false)
		}
		now := s.now()
		action := dialer.ActionFor(code)
		if c.Lead != 0 {
			r, err := s.readLeadRules(ctx, tx, c.Lead)
			if err != nil {
				return err
			}
			action = r.settings.ActionFor(code)
			var due time.Time
			if d.Callback != nil {
				due = d.Callback.DueAt
			}
			next := dialer.LeadAfterDisposition(action, r.attempts, r.maxAttempts, r.settings.RetryDelays.Delay(c.Outcome), due, d.At)
			if err := setLeadAfter(ctx, tx, c.Lead, lastDisposition, d.Code, next, true, now); err != nil {
				return err
			}
		}
		if action == dialer.ActionDNC {
			phone := c.ToNumber
			if c.Direction == dialer.Inbound {
				phone = c.FromNumber
			}
			if c.Lead != 0 {
				if err := tx.QueryRowContext(ctx, `SELECT phone FROM leads WHERE id = ?`, c.Lead).Scan(&phone); err != nil {
					return err
				}
			}
			if dialer.ValidPhone(phone) {
				// A code that marks DNC blocks everywhere; a campaign that
				// made another code do so blocks only itself.
				scope := c.Campaign
				if code.MarksDNC {
					scope = 0
				}
				if err := addDNC(ctx, tx, phone, scope, "disposition "+d.Code+" on call "+string(c.ID), d.At); err != nil {
					return err
				}
			}
		}
		var cbID dialer.CallbackID
		if d.Callback != nil {
			if c.Lead == 0 {
				return &dialer.FieldError{Field: "callback", Reason: "the call has no lead to call back"}
			}
			cb := dialer.Callback{Lead: c.Lead, Call: c.ID, DueAt: d.Callback.DueAt, Notes: d.Callback.Notes}
			if !d.Callback.Anyone {
				cb.Agent = d.Agent
			}
			created, err := createCallback(ctx, tx, cb, now)
			if err != nil {
				return err
			}
			cbID = created.ID
		}
		if err := appendEvent(ctx, tx, dialer.CallEvent{Call: d.Call, At: d.At, Kind: dialer.EventDisposition,
			Data: eventData(map[string]any{"code": d.Code, "agent_id": d.Agent, "callback_id": cbID})}); err != nil {
			return err
		}
		c.Disposition, c.Notes = d.Code, d.Notes
		out = c
		return nil
	})
	return out, err
}

// Call implements dialer.CallLog.
func (s *Store) Call(ctx context.Context, id dialer.CallID) (dialer.Call, error) {
	return getCall(ctx, s.r, id)
}

// CallLegs implements dialer.CallLog, in creation order.
func (s *Store) CallLegs(ctx context.Context, id dialer.CallID) ([]dialer.CallLeg, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, call_id, role, endpoint, node, agent_id, created_at, answered_at, ended_at,
		hangup_cause FROM call_legs WHERE call_id = ? ORDER BY created_at, rowid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dialer.CallLeg
	for rows.Next() {
		var l dialer.CallLeg
		var agent, created, answered, ended sql.NullInt64
		if err := rows.Scan(&l.ID, &l.Call, &l.Role, &l.Endpoint, &l.Node, &agent, &created, &answered, &ended, &l.HangupCause); err != nil {
			return nil, err
		}
		l.Agent = dialer.AgentID(agent.Int64)
		l.CreatedAt, l.AnsweredAt, l.EndedAt = fromMS(created), fromMS(answered), fromMS(ended)
		out = append(out, l)
	}
	return out, rows.Err()
}

// CallEvents implements dialer.CallLog, in order.
func (s *Store) CallEvents(ctx context.Context, id dialer.CallID) ([]dialer.CallEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT call_id, seq, at, kind, leg_id, data FROM call_events WHERE call_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dialer.CallEvent
	for rows.Next() {
		var e dialer.CallEvent
		var at sql.NullInt64
		var leg sql.NullString
		var data string
		if err := rows.Scan(&e.Call, &e.Seq, &at, &e.Kind, &leg, &data); err != nil {
			return nil, err
		}
		e.At, e.Leg, e.Data = fromMS(at), dialer.LegID(leg.String), json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListCalls implements dialer.CallLog: newest first, paged with Before.
func (s *Store) ListCalls(ctx context.Context, f dialer.CallFilter) ([]dialer.Call, error) {
	q := `SELECT ` + callCols + ` FROM calls WHERE 1`
	var args []any
	add := func(cond string, v any) {
		q += ` AND ` + cond
		args = append(args, v)
	}
	if f.Agent != 0 {
		add(`agent_id = ?`, f.Agent)
	}
	if f.Campaign != 0 {
		add(`campaign_id = ?`, f.Campaign)
	}
	if f.Lead != 0 {
		add(`lead_id = ?`, f.Lead)
	}
	if f.Direction != "" {
		add(`direction = ?`, string(f.Direction))
	}
	if f.Live {
		q += ` AND state <> 'ended'`
	}
	if f.Number != "" {
		like := "%" + likeEscaper.Replace(f.Number) + "%"
		q += ` AND (from_number LIKE ? ESCAPE '\' OR to_number LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	if f.Queue != 0 {
		add(`EXISTS (SELECT 1 FROM call_events q WHERE q.call_id = calls.id AND q.kind = 'queued'
			AND json_extract(q.data, '$.queue_id') = ?)`, int64(f.Queue))
	}
	if f.Outcome != "" {
		add(`outcome = ?`, string(f.Outcome))
	}
	if f.Disposition != "" {
		add(`disposition = ?`, f.Disposition)
	}
	if f.MinBillsec > 0 {
		add(`billsec >= ?`, f.MinBillsec)
	}
	if f.HasRecording {
		q += ` AND recording_path <> ''`
	}
	if !f.Since.IsZero() {
		add(`created_at >= ?`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`created_at < ?`, f.Until.UnixMilli())
	}
	if f.Before != "" {
		q += ` AND (created_at, id) < (SELECT created_at, id FROM calls WHERE id = ?)`
		args = append(args, f.Before)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collect(rows, err, scanCall)
}

// ---- audit

// AppendAudit implements dialer.AuditLog. A zero At is now.
func (s *Store) AppendAudit(ctx context.Context, e dialer.AuditEntry) (dialer.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return dialer.AuditEntry{}, err
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = time.UnixMilli(e.At.UnixMilli()).UTC()
	err := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO audit_log (at, actor, action, target, data, role, remote) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.At.UnixMilli(), e.Actor, e.Action, e.Target, jsonOr(e.Data, "{}"), e.Role, e.Remote).Scan(&e.ID)
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	return e, mapErr(err, "audit "+e.Action, false)
}

// ListAudit implements dialer.AuditLog. An action ending in "." matches
// as a prefix, through a range so that the action index serves it.
func (s *Store) ListAudit(ctx context.Context, f dialer.AuditFilter) ([]dialer.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if f.Actor != "" {
		add(`actor = ?`, f.Actor)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// '.' + 1 is '/': every action with the prefix sorts in [a., a/).
		add(`action >= ? AND action < ?`, f.Action, strings.TrimSuffix(f.Action, ".")+"/")
	case f.Action != "":
		add(`action = ?`, f.Action)
	}
	if f.Target != "" {
		add(`target = ?`, f.Target)
	}
	if !f.Since.IsZero() {
		add(`at >= ?`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`at < ?`, f.Until.UnixMilli())
	}
	if f.BeforeID > 0 {
		add(`id < ?`, f.BeforeID)
	}
	q := `SELECT id, at, actor, action, target, data, role, remote FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dialer.AuditEntry
	for rows.Next() {
		var e dialer.AuditEntry
		var at sql.NullInt64
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &data, &e.Role, &e.Remote); err != nil {
			return nil, err
		}
		e.At, e.Data = fromMS(at), json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
