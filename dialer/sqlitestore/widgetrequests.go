package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.WidgetRequestStore = (*Store)(nil)

const requestCols = `r.id, r.widget_id, w.name, r.source, r.created_at, r.numbers, r.country, r.params, r.announcement, r.operators,
	r.status, r.reason, r.field, r.message, r.attempts, r.max_attempts, r.next_attempt_at, r.manager, r.call_id,
	r.connected_at, r.talk_seconds, r.recording, r.count, coalesce(r.idempotency_key, ''), r.response, r.ip
	FROM widget_requests r JOIN widgets w ON w.id = r.widget_id`

func scanRequest(row interface{ Scan(...any) error }) (dialer.WidgetRequest, error) {
	var r dialer.WidgetRequest
	var created, next, connected sql.NullInt64
	var numbers, params, operators string
	err := row.Scan(&r.ID, &r.WidgetID, &r.WidgetName, &r.Source, &created, &numbers, &r.Country, &params, &r.Announcement, &operators,
		&r.Status, &r.Reason, &r.Field, &r.Message, &r.Attempts, &r.MaxAttempts, &next, &r.Manager, &r.CallID,
		&connected, &r.TalkSeconds, &r.Recording, &r.Count, &r.IdempotencyKey, &r.Response, &r.IP)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.NextAttemptAt, r.ConnectedAt = fromMS(created), fromMS(next), fromMS(connected)
	r.Numbers, r.Params = []string{}, map[string]string{}
	return r, errors.Join(json.Unmarshal([]byte(numbers), &r.Numbers), json.Unmarshal([]byte(params), &r.Params),
		json.Unmarshal([]byte(operators), &r.Operators))
}

func requestJSON(r dialer.WidgetRequest) (numbers, params, operators string, err error) {
	n, err1 := json.Marshal(orEmpty(r.Numbers))
	p, err2 := json.Marshal(r.Params)
	if r.Params == nil {
		p = []byte("{}")
	}
	o, err3 := json.Marshal(orEmpty(r.Operators))
	return string(n), string(p), string(o), errors.Join(err1, err2, err3)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreateWidgetRequest implements dialer.WidgetRequestStore. The repeat
// and idempotency checks run in the insert's transaction, so two
// concurrent requests cannot both pass them. A request the switch failed
// to place is no repeat: the lead was never rung.
func (s *Store) CreateWidgetRequest(ctx context.Context, r dialer.WidgetRequest) (dialer.WidgetRequest, bool, error) {
	numbers, params, operators, err := requestJSON(r)
	if err != nil {
		return dialer.WidgetRequest{}, false, err
	}
	first := ""
	if len(r.Numbers) > 0 {
		first = r.Numbers[0]
	}
	var id dialer.WidgetRequestID
	created := true
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if r.Status != dialer.RequestRefused {
			if r.IdempotencyKey != "" {
				var at int64
				err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM widget_requests WHERE widget_id = ? AND idempotency_key = ?`,
					r.WidgetID, r.IdempotencyKey).Scan(&id, &at)
				switch {
				case err == nil && at > r.CreatedAt.Add(-dialer.IdempotencyTTL).UnixMilli():
					created = false
					return nil
				case err == nil:
					// Expired: the key passes to the new request.
					if _, err := tx.ExecContext(ctx, `UPDATE widget_requests SET idempotency_key = NULL WHERE id = ?`, id); err != nil {
						return err
					}
				case !errors.Is(err, sql.ErrNoRows):
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM widget_requests WHERE widget_id = ? AND first_number = ?
				AND created_at > ? AND status <> 'refused' AND NOT (status = 'missed' AND reason = 'failed')`, r.WidgetID, first, r.CreatedAt.Add(-dialer.RequestRepeatWindow).UnixMilli()).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return dialer.ErrRepeat
			}
		}
		next, attempts := ms(r.NextAttemptAt), 0
		if r.Status == dialer.RequestCalling {
			next, attempts = nil, 1
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO widget_requests (widget_id, source, created_at, numbers, first_number, country, params,
			announcement, operators, status, reason, field, message, attempts, max_attempts, next_attempt_at, idempotency_key, ip)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.WidgetID, r.Source, r.CreatedAt.UnixMilli(), numbers, first, r.Country, params, r.Announcement, operators,
			r.Status, r.Reason, r.Field, r.Message, attempts, r.MaxAttempts, next, nullText(r.IdempotencyKey), r.IP).Scan(&id)
		if err != nil || attempts == 0 {
			return mapErr(err, "create widget request", false)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO widget_request_attempts (request_id, n, started_at) VALUES (?, 1, ?)`, id, r.CreatedAt.UnixMilli())
		return mapErr(err, "start widget attempt", false)
	})
	if err != nil {
		return dialer.WidgetRequest{}, false, err
	}
	got, _, err := s.GetWidgetRequest(ctx, id)
	return got, created, err
}

// RefuseRateLimited implements dialer.WidgetRequestStore.
func (s *Store) RefuseRateLimited(ctx context.Context, r dialer.WidgetRequest, n int) error {
	if n < 1 {
		return &dialer.FieldError{Field: "count", Reason: "at least 1"}
	}
	numbers, params, operators, err := requestJSON(r)
	if err != nil {
		return err
	}
	first := ""
	if len(r.Numbers) > 0 {
		first = r.Numbers[0]
	}
	// Per minute, not per address: a spray of addresses must not become
	// a spray of rows. The row keeps the first request's details.
	key := strconv.FormatInt(r.CreatedAt.Unix()/60, 10)
	_, err = s.wq(ctx).ExecContext(ctx, `INSERT INTO widget_requests (widget_id, source, created_at, numbers, first_number, country, params,
		operators, status, reason, field, message, ip, coalesce_key, count)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'refused', 'rate_limited', ?, ?, ?, ?, ?)
		ON CONFLICT (widget_id, coalesce_key) WHERE coalesce_key IS NOT NULL DO UPDATE SET count = count + excluded.count`,
		r.WidgetID, r.Source, r.CreatedAt.UnixMilli(), numbers, first, r.Country, params, operators, r.Field, r.Message, r.IP, key, n)
	return mapErr(err, "refuse widget request", false)
}

// SetWidgetRequestResponse implements dialer.WidgetRequestStore.
func (s *Store) SetWidgetRequestResponse(ctx context.Context, id dialer.WidgetRequestID, body []byte) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_requests SET response = ? WHERE id = ?`, body, id)
	return affected(res, err, fmt.Sprintf("widget request %d", id))
}

// GetWidgetRequest implements dialer.WidgetRequestStore.
func (s *Store) GetWidgetRequest(ctx context.Context, id dialer.WidgetRequestID) (dialer.WidgetRequest, []dialer.WidgetAttempt, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, `SELECT `+requestCols+` WHERE r.id = ?`, id))
	if err != nil {
		return r, nil, mapErr(err, fmt.Sprintf("widget request %d", id), false)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT n, call_id, started_at, ended_at, result, manager, talk_seconds, recording
		FROM widget_request_attempts WHERE request_id = ? ORDER BY n`, id)
	attempts, err := collect(rows, err, func(row interface{ Scan(...any) error }) (dialer.WidgetAttempt, error) {
		var a dialer.WidgetAttempt
		var started, ended sql.NullInt64
		err := row.Scan(&a.N, &a.CallID, &started, &ended, &a.Result, &a.Manager, &a.TalkSeconds, &a.Recording)
		a.StartedAt, a.EndedAt = fromMS(started), fromMS(ended)
		return a, err
	})
	return r, orEmpty(attempts), err
}

// WidgetRequestByKey implements dialer.WidgetRequestStore.
func (s *Store) WidgetRequestByKey(ctx context.Context, w dialer.WidgetID, key string) (dialer.WidgetRequest, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, `SELECT `+requestCols+` WHERE r.widget_id = ? AND r.idempotency_key = ?`, w, key))
	return r, mapErr(err, "widget request by key", false)
}

// ListWidgetRequests implements dialer.WidgetRequestStore.
func (s *Store) ListWidgetRequests(ctx context.Context, f dialer.WidgetRequestFilter) ([]dialer.WidgetRequest, error) {
	var where []string
	var args []any
	if f.Widget != 0 {
		where, args = append(where, "r.widget_id = ?"), append(args, f.Widget)
	}
	if f.Status != "" {
		where, args = append(where, "r.status = ?"), append(args, f.Status)
	}
	if f.Q != "" {
		// Matched in the JSON text: the numbers and the parameter values
		// (and names, which is harmless for a search box).
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Q) + "%"
		where = append(where, `(r.numbers LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM json_each(r.params) p WHERE p.value LIKE ? ESCAPE '\'))`)
		args = append(args, like, like)
	}
	if !f.From.IsZero() {
		where, args = append(where, "r.created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "r.created_at < ?"), append(args, f.To.UnixMilli())
	}
	if f.Before != 0 {
		where, args = append(where, "r.id < ?"), append(args, f.Before)
	}
	q := `SELECT ` + requestCols
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > dialer.MaxRequestPage {
		limit = dialer.DefaultRequestPage
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY r.id DESC LIMIT ?`, append(args, limit)...)
	out, err := collect(rows, err, scanRequest)
	return orEmpty(out), err
}

// RequestsWithStatus implements dialer.WidgetRequestStore.
func (s *Store) RequestsWithStatus(ctx context.Context, status string) ([]dialer.WidgetRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+requestCols+` WHERE r.status = ? ORDER BY r.id`, status)
	return collect(rows, err, scanRequest)
}

// NextRequestDue implements dialer.WidgetRequestStore.
func (s *Store) NextRequestDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM widget_requests WHERE status = 'scheduled'`).Scan(&next)
	return fromMS(next), next.Valid, err
}

// DueWidgetRequests implements dialer.WidgetRequestStore.
func (s *Store) DueWidgetRequests(ctx context.Context, t time.Time, limit int) ([]dialer.WidgetRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+requestCols+` WHERE r.status = 'scheduled' AND r.next_attempt_at <= ?
		ORDER BY r.next_attempt_at, r.id LIMIT ?`, t.UnixMilli(), limit)
	return collect(rows, err, scanRequest)
}

// StartWidgetAttempt implements dialer.WidgetRequestStore.
func (s *Store) StartWidgetAttempt(ctx context.Context, id dialer.WidgetRequestID, n int, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE widget_requests SET status = 'calling', attempts = ?, next_attempt_at = NULL
			WHERE id = ? AND status = 'scheduled'`, n, id)
		if err := affected(res, err, fmt.Sprintf("widget request %d", id)); errors.Is(err, dialer.ErrNotFound) {
			return fmt.Errorf("widget request %d is not scheduled: %w", id, dialer.ErrConflict)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO widget_request_attempts (request_id, n, started_at) VALUES (?, ?, ?)`, id, n, at.UnixMilli())
		return mapErr(err, "start widget attempt", false)
	})
}

// SetWidgetAttemptCall implements dialer.WidgetRequestStore.
func (s *Store) SetWidgetAttemptCall(ctx context.Context, id dialer.WidgetRequestID, n int, call dialer.CallID) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE widget_request_attempts SET call_id = ? WHERE request_id = ? AND n = ?`, call, id, n)
		if err := affected(res, err, fmt.Sprintf("widget request %d attempt %d", id, n)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE widget_requests SET call_id = ? WHERE id = ? AND attempts = ? AND status = 'calling'`, call, id, n)
		return err
	})
}

// EndWidgetAttempt implements dialer.WidgetRequestStore.
func (s *Store) EndWidgetAttempt(ctx context.Context, id dialer.WidgetRequestID, e dialer.AttemptEnd) (dialer.WidgetRequest, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE widget_request_attempts SET call_id = CASE WHEN ? = '' THEN call_id ELSE ? END,
			ended_at = ?, result = ?, manager = ?, talk_seconds = ?, recording = ? WHERE request_id = ? AND n = ? AND ended_at IS NULL`,
			e.Call, e.Call, e.At.UnixMilli(), e.Result, e.Manager, e.TalkSeconds, boolInt(e.Recording), id, e.N)
		if err := affected(res, err, fmt.Sprintf("widget request %d attempt %d", id, e.N)); errors.Is(err, dialer.ErrNotFound) {
			return fmt.Errorf("widget request %d attempt %d is not running: %w", id, e.N, dialer.ErrConflict)
		} else if err != nil {
			return err
		}
		var connected any
		recording, reason := "", ""
		switch e.Status {
		case dialer.RequestConnected:
			connected = e.At.Add(-time.Duration(e.TalkSeconds) * time.Second).UnixMilli()
			if e.Recording && e.Call != "" {
				recording = "/api/v1/calls/" + string(e.Call) + "/recording"
			}
		case dialer.RequestMissed:
			reason = e.Result
		}
		res, err = tx.ExecContext(ctx, `UPDATE widget_requests SET status = ?, reason = ?, next_attempt_at = ?,
			manager = ?, call_id = CASE WHEN ? = '' THEN call_id ELSE ? END, connected_at = ?, talk_seconds = ?, recording = ?
			WHERE id = ? AND status = 'calling' AND attempts = ?`,
			e.Status, reason, ms(e.Next), e.Manager, e.Call, e.Call, connected, e.TalkSeconds, recording, id, e.N)
		return affected(res, err, fmt.Sprintf("widget request %d", id))
	})
	if err != nil {
		return dialer.WidgetRequest{}, err
	}
	r, _, err := s.GetWidgetRequest(ctx, id)
	return r, err
}

// RescheduleWidgetRequest implements dialer.WidgetRequestStore.
func (s *Store) RescheduleWidgetRequest(ctx context.Context, id dialer.WidgetRequestID, next time.Time) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_requests SET next_attempt_at = ? WHERE id = ? AND status = 'scheduled'`,
		next.UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("scheduled widget request %d", id))
}

// FinishWidgetRequest implements dialer.WidgetRequestStore.
func (s *Store) FinishWidgetRequest(ctx context.Context, id dialer.WidgetRequestID, status, reason string) (dialer.WidgetRequest, error) {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_requests SET status = ?, reason = ?, next_attempt_at = NULL
		WHERE id = ? AND status = 'scheduled'`, status, reason, id)
	if err := affected(res, err, fmt.Sprintf("widget request %d", id)); errors.Is(err, dialer.ErrNotFound) {
		if _, _, gerr := s.GetWidgetRequest(ctx, id); gerr != nil {
			return dialer.WidgetRequest{}, gerr
		}
		return dialer.WidgetRequest{}, fmt.Errorf("widget request %d is not scheduled: %w", id, dialer.ErrConflict)
	} else if err != nil {
		return dialer.WidgetRequest{}, err
	}
	r, _, err := s.GetWidgetRequest(ctx, id)
	return r, err
}

// WidgetRequestFacts implements dialer.WidgetRequestStore.
func (s *Store) WidgetRequestFacts(ctx context.Context, w dialer.WidgetID, from, to time.Time) ([]dialer.RequestFact, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT created_at, status, connected_at, talk_seconds, count FROM widget_requests
		WHERE (? = 0 OR widget_id = ?) AND created_at >= ? AND created_at < ?`, w, w, from.UnixMilli(), to.UnixMilli())
	return collect(rows, err, func(row interface{ Scan(...any) error }) (dialer.RequestFact, error) {
		var f dialer.RequestFact
		var created, connected sql.NullInt64
		err := row.Scan(&created, &f.Status, &connected, &f.TalkSeconds, &f.Count)
		f.CreatedAt, f.ConnectedAt = fromMS(created), fromMS(connected)
		return f, err
	})
}
