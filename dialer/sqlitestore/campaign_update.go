package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// UpdateCampaignWith implements dialer.CampaignStore: the read, fn and the
// write are one write transaction, so two changes made at once (a PATCH
// of the retry delays, another of the calling window) both stay.
func (s *Store) UpdateCampaignWith(ctx context.Context, id dialer.CampaignID, fn func(*dialer.Campaign) error) (dialer.Campaign, error) {
	var out dialer.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = ?`, id))
		if err != nil {
			return mapErr(err, fmt.Sprintf("campaign %d", id), false)
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.ID = id
		if err := c.Validate(); err != nil {
			return err
		}
		out, err = writeCampaign(ctx, tx, c, s.now())
		return err
	})
	return out, err
}

// writeCampaign writes every field of c over campaign c.ID.
func writeCampaign(ctx context.Context, q dbtx, c dialer.Campaign, now time.Time) (dialer.Campaign, error) {
	out, err := scanCampaign(q.QueryRowContext(ctx, `UPDATE campaigns SET name = ?, dial_mode = ?, caller_id = ?,
		abandon_message = ?, script = ?, wrapup_seconds = ?, max_attempts = ?, active = ?, settings = ?, archived_at = ?,
		updated_at = ? WHERE id = ? RETURNING `+campaignCols,
		c.Name, string(c.DialMode), c.CallerID, c.AbandonMessage, c.Script, c.WrapUpSeconds, c.MaxAttempts,
		boolInt(c.Active), jsonOr(c.Settings, "{}"), ms(c.ArchivedAt), now.UnixMilli(), c.ID))
	return out, mapErr(err, fmt.Sprintf("update campaign %d", c.ID), false)
}
