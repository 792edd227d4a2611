package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/notify/webhooks"
)

var _ webhooks.Store = (*Store)(nil)

const webhookCols = `id, url, secret, events, active, widget_id, description, disabled_reason, created_at, updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (webhooks.Endpoint, error) {
	var e webhooks.Endpoint
	var events string
	var created, updated sql.NullInt64
	err := row.Scan(&e.ID, &e.URL, &e.Secret, &events, &e.Active, &e.WidgetID, &e.Description, &e.DisabledReason, &created, &updated)
	if err == nil {
		err = json.Unmarshal([]byte(events), &e.Events)
	}
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return e, err
}

func eventsJSON(events []string) string {
	b, _ := json.Marshal(events)
	return string(b)
}

// CreateWebhook implements webhooks.Store.
func (s *Store) CreateWebhook(ctx context.Context, e webhooks.Endpoint) (webhooks.Endpoint, error) {
	now := s.now().UnixMilli()
	out, err := scanWebhook(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO webhook_endpoints (url, secret, events, active,
		widget_id, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+webhookCols,
		e.URL, e.Secret, eventsJSON(e.Events), boolInt(e.Active), e.WidgetID, e.Description, now, now))
	return out, mapErr(err, "create webhook", false)
}

// UpdateWebhook implements webhooks.Store. Turning an endpoint on clears
// why it was turned off.
func (s *Store) UpdateWebhook(ctx context.Context, e webhooks.Endpoint) (webhooks.Endpoint, error) {
	out, err := scanWebhook(s.wq(ctx).QueryRowContext(ctx, `UPDATE webhook_endpoints SET url = ?, events = ?, active = ?,
		widget_id = ?, description = ?, disabled_reason = CASE WHEN ? THEN '' ELSE disabled_reason END, updated_at = ?
		WHERE id = ? RETURNING `+webhookCols,
		e.URL, eventsJSON(e.Events), boolInt(e.Active), e.WidgetID, e.Description, boolInt(e.Active), s.now().UnixMilli(), e.ID))
	return out, mapErr(err, fmt.Sprintf("update webhook %d", e.ID), false)
}

// SetWebhookSecret implements webhooks.Store.
func (s *Store) SetWebhookSecret(ctx context.Context, id int64, secret string) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE webhook_endpoints SET secret = ?, updated_at = ? WHERE id = ?`,
		secret, s.now().UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("rotate webhook %d secret", id))
}

// DeleteWebhook implements webhooks.Store; its deliveries go with it.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete webhook %d", id))
}

// Webhook implements webhooks.Store.
func (s *Store) Webhook(ctx context.Context, id int64) (webhooks.Endpoint, error) {
	out, err := scanWebhook(s.r.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE id = ?`, id))
	return out, mapErr(err, fmt.Sprintf("webhook %d", id), false)
}

// ListWebhooks implements webhooks.Store.
func (s *Store) ListWebhooks(ctx context.Context) ([]webhooks.Endpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints ORDER BY id`)
	out, err := collect(rows, err, scanWebhook)
	if err != nil {
		return nil, err
	}
	for i := range out {
		d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
			JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT 1`, out[i].ID))
		if err == nil {
			out[i].Last = &d
		} else if err != sql.ErrNoRows {
			return nil, err
		}
	}
	if out == nil {
		out = []webhooks.Endpoint{}
	}
	return out, nil
}

const deliveryCols = `d.id, d.endpoint_id, d.event, d.payload, d.state, d.attempts, d.next_at, d.last_status, d.last_error,
	d.replay_of, d.created_at, d.updated_at, e.url, e.secret`

func scanDelivery(row interface{ Scan(...any) error }) (webhooks.Delivery, error) {
	var d webhooks.Delivery
	var payload string
	var next, replay, created, updated sql.NullInt64
	err := row.Scan(&d.ID, &d.Endpoint, &d.Event, &payload, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError,
		&replay, &created, &updated, &d.URL, &d.Secret)
	d.Payload = json.RawMessage(payload)
	d.ReplayOf = replay.Int64
	d.NextAt, d.CreatedAt, d.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return d, err
}

// EnqueueWebhook implements webhooks.Store: one statement, so it is as
// cheap as an insert and inside a batch joins the batch's transaction.
func (s *Store) EnqueueWebhook(ctx context.Context, event string, widget int64, payload []byte, at time.Time) (int, error) {
	t := at.UnixMilli()
	res, err := s.wq(ctx).ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event, payload, next_at, created_at, updated_at)
		SELECT id, ?, ?, ?, ?, ? FROM webhook_endpoints
		WHERE active = 1 AND (widget_id = 0 OR widget_id = ?)
		AND EXISTS (SELECT 1 FROM json_each(events) WHERE value IN ('*', ?))`,
		event, string(payload), t, t, t, widget, event)
	if err != nil {
		return 0, mapErr(err, "enqueue webhook "+event, false)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DueWebhookDeliveries implements webhooks.Store.
func (s *Store) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int, skip []int64) ([]webhooks.Delivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.state = 'pending' AND d.next_at <= ? AND e.active = 1`
	args := []any{now.UnixMilli()}
	if len(skip) > 0 {
		q += ` AND d.id NOT IN (` + strings.TrimSuffix(strings.Repeat("?,", len(skip)), ",") + `)`
		for _, id := range skip {
			args = append(args, id)
		}
	}
	q += ` ORDER BY d.next_at, d.id LIMIT ?`
	rows, err := s.r.QueryContext(ctx, q, append(args, limit)...)
	return collect(rows, err, scanDelivery)
}

// RecordWebhookAttempt implements webhooks.Store.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a webhooks.Attempt, o webhooks.Outcome) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status, duration_ms, error, response)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Delivery, a.N, a.At.UnixMilli(), a.Status, a.Duration.Milliseconds(), a.Error, a.Response); err != nil {
			return mapErr(err, fmt.Sprintf("record webhook delivery %d attempt", a.Delivery), false)
		}
		var endpoint int64
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?, last_status = ?,
			last_error = ?, updated_at = ? WHERE id = ? RETURNING endpoint_id`,
			o.State, a.N, ms(o.NextAt), a.Status, a.Error, now, a.Delivery).Scan(&endpoint)
		if err != nil {
			return mapErr(err, fmt.Sprintf("webhook delivery %d", a.Delivery), false)
		}
		if o.Disable != "" {
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET active = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`,
				o.Disable, now, endpoint)
		}
		return err
	})
}

// WebhookDeliveries implements webhooks.Store: newest first, with their
// attempts, and how many there are in all.
func (s *Store) WebhookDeliveries(ctx context.Context, endpoint int64, p webhooks.Page) ([]webhooks.Delivery, int, error) {
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?`, endpoint).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT ? OFFSET ?`, endpoint, p.Limit, p.Offset)
	out, err := collect(rows, err, scanDelivery)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		if out[i].Log, err = s.webhookAttempts(ctx, out[i].ID); err != nil {
			return nil, 0, err
		}
	}
	if out == nil {
		out = []webhooks.Delivery{}
	}
	return out, total, nil
}

func (s *Store) webhookAttempts(ctx context.Context, delivery int64) ([]webhooks.Attempt, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT delivery_id, n, at, status, duration_ms, error, response FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY n`, delivery)
	return collect(rows, err, func(row interface{ Scan(...any) error }) (webhooks.Attempt, error) {
		var a webhooks.Attempt
		var at sql.NullInt64
		var took int64
		err := row.Scan(&a.Delivery, &a.N, &at, &a.Status, &took, &a.Error, &a.Response)
		a.At, a.Duration = fromMS(at), time.Duration(took)*time.Millisecond
		return a, err
	})
}

// WebhookDelivery implements webhooks.Store.
func (s *Store) WebhookDelivery(ctx context.Context, id int64) (webhooks.Delivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?`, id))
	if err != nil {
		return d, mapErr(err, fmt.Sprintf("webhook delivery %d", id), false)
	}
	d.Log, err = s.webhookAttempts(ctx, id)
	return d, err
}

// ReplayWebhookDelivery implements webhooks.Store.
func (s *Store) ReplayWebhookDelivery(ctx context.Context, id int64, at time.Time) (webhooks.Delivery, error) {
	t := at.UnixMilli()
	var nid int64
	err := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event, payload, next_at, replay_of, created_at, updated_at)
		SELECT endpoint_id, event, payload, ?, id, ?, ? FROM webhook_deliveries WHERE id = ? RETURNING id`, t, t, t, id).Scan(&nid)
	if err != nil {
		return webhooks.Delivery{}, mapErr(err, fmt.Sprintf("replay webhook delivery %d", id), false)
	}
	return s.WebhookDelivery(ctx, nid)
}

// PendingWebhookDeliveries implements webhooks.Store.
func (s *Store) PendingWebhookDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`).Scan(&n)
	return n, err
}

// PruneWebhookDeliveries implements webhooks.Store.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE state IN ('delivered', 'failed') AND updated_at < ?`,
		before.UnixMilli())
	if err != nil {
		return 0, mapErr(err, "prune webhook deliveries", true)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
