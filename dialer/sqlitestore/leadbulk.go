package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/agentswitch/agentswitch/dialer"
)

// BulkLeads applies a bulk change to every lead its filter selects (never
// one being dialed), in one transaction, and returns how many changed.
func (s *Store) BulkLeads(ctx context.Context, b dialer.LeadBulk) (int, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	where, args := leadWhere(b.Filter)
	where += ` AND status <> 'dialing'`
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var q string
		switch b.Action {
		case dialer.BulkReset:
			q = `UPDATE leads SET status = 'new', attempts = 0, next_call_at = NULL, last_outcome = '',
				updated_at = ?, version = version + 1 WHERE status <> 'dnc'` + where
			args = append([]any{ms(s.now())}, args...)
		case dialer.BulkMove:
			var camp dialer.CampaignID
			err := tx.QueryRowContext(ctx, `SELECT campaign_id FROM lead_lists WHERE id = ?`, b.List).Scan(&camp)
			if errors.Is(err, sql.ErrNoRows) || err == nil && camp != b.Filter.Campaign {
				return &dialer.FieldError{Field: "list_id", Reason: "no such list in the campaign"}
			}
			if err != nil {
				return err
			}
			q = `UPDATE leads SET list_id = ?, updated_at = ?, version = version + 1 WHERE 1` + where
			args = append([]any{b.List, ms(s.now())}, args...)
		case dialer.BulkDelete:
			q = `DELETE FROM leads WHERE 1` + where
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
