package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// leadRules is what decides a lead's next step after a call: its attempts
// and its campaign's limit and settings.
type leadRules struct {
	attempts    int
	maxAttempts int
	status      dialer.LeadStatus
	campaign    dialer.CampaignID
	settings    dialer.CampaignSettings
}

func readLeadRules(ctx context.Context, tx *sql.Tx, lead dialer.LeadID) (leadRules, error) {
	var r leadRules
	var settings string
	err := tx.QueryRowContext(ctx, `SELECT l.attempts, l.status, l.campaign_id, c.max_attempts, c.settings
		FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = ?`, lead).
		Scan(&r.attempts, &r.status, &r.campaign, &r.maxAttempts, &settings)
	if err != nil {
		return r, mapErr(err, fmt.Sprintf("lead %d", lead), false)
	}
	// Settings are validated when written; a row from before that rule
	// still dials by the defaults rather than failing the call's record.
	if r.settings, err = dialer.ParseCampaignSettings(json.RawMessage(settings)); err != nil {
		r.settings = dialer.DefaultCampaignSettings()
	}
	return r, nil
}

// setLeadNext writes a lead's status and due time. A lead on the DNC list
// stays there whatever the call did, and a number found not to exist is
// not retried (the wrap-up of its call would otherwise say retry).
func setLeadNext(ctx context.Context, tx *sql.Tx, lead dialer.LeadID, next dialer.LeadNext, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE leads SET status = ?1, next_call_at = ?2, updated_at = ?3, version = version + 1
		WHERE id = ?4 AND status <> 'dnc' AND NOT (status = 'invalid' AND ?1 = 'retry')`,
		string(next.Status), ms(next.NextCallAt), now.UnixMilli(), lead)
	return mapErr(err, fmt.Sprintf("lead %d next call", lead), false)
}
