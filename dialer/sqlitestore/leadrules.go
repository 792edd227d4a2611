package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
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

func (s *Store) readLeadRules(ctx context.Context, tx *sql.Tx, lead dialer.LeadID) (leadRules, error) {
	var r leadRules
	var settings string
	err := tx.QueryRowContext(ctx, `SELECT l.attempts, l.status, l.campaign_id, c.max_attempts, c.settings
		FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = ?`, lead).
		Scan(&r.attempts, &r.status, &r.campaign, &r.maxAttempts, &settings)
	if err != nil {
		return r, mapErr(err, fmt.Sprintf("lead %d", lead), false)
	}
	r.settings = s.settings.parse(r.campaign, settings)
	return r, nil
}

// settingsCache keeps each campaign's parsed settings with the text they
// came from: every call's end reads them, and they rarely change.
type settingsCache struct {
	mu sync.Mutex
	m  map[dialer.CampaignID]parsedSettings
}

type parsedSettings struct {
	raw string
	set dialer.CampaignSettings
}

func (c *settingsCache) parse(campaign dialer.CampaignID, raw string) dialer.CampaignSettings {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[campaign]; ok && p.raw == raw {
		return p.set
	}
	// Settings are validated when written; a row from before that rule
	// still dials by the defaults rather than failing the call's record.
	set, err := dialer.ParseCampaignSettings(json.RawMessage(raw))
	if err != nil {
		set = dialer.DefaultCampaignSettings()
	}
	if c.m == nil {
		c.m = map[dialer.CampaignID]parsedSettings{}
	}
	c.m[campaign] = parsedSettings{raw: raw, set: set}
	return set
}

// setLeadAfter records what a call did on its lead (column, one of
// last_outcome or last_disposition, gets value) and, when apply, the
// lead's next step, in one update. A lead on the DNC list stays there
// whatever the call did, and a number found not to exist is not retried
// (the wrap-up of its call would otherwise say retry).
func setLeadAfter(ctx context.Context, tx *sql.Tx, lead dialer.LeadID, column leadResultColumn, value string, next dialer.LeadNext, apply bool, now time.Time) error {
	const allowed = `?6 AND status <> 'dnc' AND NOT (status = 'invalid' AND ?1 = 'retry')`
	_, err := tx.ExecContext(ctx, `UPDATE leads SET `+string(column)+` = ?5, updated_at = ?3, version = version + 1,
		status = CASE WHEN `+allowed+` THEN ?1 ELSE status END,
		next_call_at = CASE WHEN `+allowed+` THEN ?2 ELSE next_call_at END
		WHERE id = ?4`,
		string(next.Status), ms(next.NextCallAt), now.UnixMilli(), lead, value, apply)
	return mapErr(err, fmt.Sprintf("lead %d %s", lead, column), false)
}

// leadResultColumn is where setLeadAfter records the call's result.
type leadResultColumn string

const (
	lastOutcome     leadResultColumn = "last_outcome"
	lastDisposition leadResultColumn = "last_disposition"
)
