package sqlitestore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.DNCStore = (*Store)(nil)

// insertDNC blocks the number and cancels the scheduled callbacks of its
// leads in that scope: they could no longer be dialed, yet would be
// offered for ever. A callback being dialed ends with its call. It
// reports whether the entry is new.
func insertDNC(ctx context.Context, tx *sql.Tx, phone string, campaign dialer.CampaignID, reason string, at time.Time) (bool, error) {
	if !dialer.ValidPhone(phone) {
		return false, &dialer.FieldError{Field: "phone", Reason: "E.164 (+ and digits)"}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO dnc (phone, campaign_id, reason, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, phone, nullID(campaign), reason, at.UnixMilli())
	if err != nil {
		return false, mapErr(err, "add "+phone+" to DNC", false)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE callbacks SET status = 'cancelled', updated_at = ?1 WHERE status = 'scheduled'
		AND lead_id IN (SELECT id FROM leads WHERE phone = ?2 AND (?3 IS NULL OR campaign_id = ?3))`,
		at.UnixMilli(), phone, nullID(campaign))
	return n > 0, mapErr(err, "cancel the callbacks of "+phone, false)
}

// AddDNCNumbers implements dialer.DNCStore.
func (s *Store) AddDNCNumbers(ctx context.Context, phones []string, campaign dialer.CampaignID, reason string, at time.Time) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, p := range phones {
			n, err := insertDNC(ctx, tx, p, campaign, reason, at)
			if err != nil {
				return err
			}
			if n {
				added++
			}
		}
		return nil
	})
	return added, err
}

// RemoveDNC implements dialer.DNCStore.
func (s *Store) RemoveDNC(ctx context.Context, phone string, campaign dialer.CampaignID) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM dnc WHERE phone = ? AND coalesce(campaign_id, 0) = ?`, phone, int64(campaign))
		if err != nil {
			return mapErr(err, "remove "+phone+" from DNC", true)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return mapErr(sql.ErrNoRows, phone+" on that do-not-call list", false)
		}
		return nil
	})
}

const dncCols = `id, phone, coalesce(campaign_id, 0), reason, created_at`

func scanDNC(row interface{ Scan(...any) error }) (dialer.DNCEntry, error) {
	var d dialer.DNCEntry
	var created sql.NullInt64
	err := row.Scan(&d.ID, &d.Phone, &d.Campaign, &d.Reason, &created)
	d.CreatedAt = fromMS(created)
	return d, err
}

// DNCHits implements dialer.DNCStore.
func (s *Store) DNCHits(ctx context.Context, phone string, campaign dialer.CampaignID) ([]dialer.DNCEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+dncCols+` FROM dnc WHERE phone = ?1
		AND (?2 = 0 OR campaign_id IS NULL OR campaign_id = ?2) ORDER BY coalesce(campaign_id, 0), id`, phone, int64(campaign))
	return collect(rows, err, scanDNC)
}

// ListDNC implements dialer.DNCStore.
func (s *Store) ListDNC(ctx context.Context, f dialer.DNCFilter) ([]dialer.DNCEntry, error) {
	q := `SELECT ` + dncCols + ` FROM dnc WHERE coalesce(campaign_id, 0) = ? AND id > ?`
	args := []any{int64(f.Campaign), f.After}
	if f.Query != "" {
		if prefix, ok := numberPrefix(f.Query); ok {
			// Digits only, so GLOB needs no escaping.
			q += ` AND phone GLOB ?`
			args = append(args, prefix+"*")
		} else {
			q += ` AND instr(lower(reason), lower(?)) > 0`
			args = append(args, f.Query)
		}
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collect(rows, err, scanDNC)
}

// numberPrefix reads "+1415" or "1415" as the start of an E.164 number.
func numberPrefix(q string) (string, bool) {
	d := strings.TrimPrefix(q, "+")
	if d == "" || len(d) > 15 {
		return "", false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return "+" + d, true
}
