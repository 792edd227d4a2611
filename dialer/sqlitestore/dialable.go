package sqlitestore

import (
	"context"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// leadOrderSQL is each lead order's ORDER BY. priority reads the lead's
// custom field "priority" (a CSV column mapped to custom:priority),
// highest first.
var leadOrderSQL = map[dialer.LeadOrder]string{
	dialer.OrderNewFirst:    `l.status = 'new' DESC, l.id`,
	dialer.OrderOldestFirst: `l.created_at, l.id`,
	dialer.OrderPriority:    `coalesce(json_extract(l.custom, '$.priority'), 0) DESC, l.id`,
	dialer.OrderRandom:      `random()`,
}

// dialableSQL is the FROM and WHERE of a campaign's (?1) leads dialable at
// ?2: new leads and retries that are due, with attempts left under the
// campaign's maximum, committed (not of an import still running), in no
// list switched off, whose number is on neither the global nor the
// campaign's do-not-call list.
var dialableSQL = ` FROM leads l JOIN campaigns c ON c.id = l.campaign_id
		WHERE l.campaign_id = ?1 AND ` + visibleLead("l.import_id") + ` AND l.status IN ('new', 'retry') AND (l.next_call_at IS NULL OR l.next_call_at <= ?2)
		  AND l.attempts < c.max_attempts
		  AND NOT EXISTS (SELECT 1 FROM lead_lists ll WHERE ll.id = l.list_id AND ll.active = 0)
		  AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone = l.phone AND coalesce(d.campaign_id, l.campaign_id) = l.campaign_id)`

// DialableLeads implements dialer.LeadSource (see dialableSQL).
func (s *Store) DialableLeads(ctx context.Context, campaign dialer.CampaignID, now time.Time, order dialer.LeadOrder, offset, limit int) ([]dialer.DialableLead, error) {
	by, ok := leadOrderSQL[order]
	if !ok {
		by = leadOrderSQL[dialer.OrderNewFirst]
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT l.id, l.phone, l.time_zone`+dialableSQL+`
		ORDER BY `+by+` LIMIT ?3 OFFSET ?4`, campaign, ms(now), limit, max(offset, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dialer.DialableLead
	for rows.Next() {
		var l dialer.DialableLead
		if err := rows.Scan(&l.Lead, &l.Phone, &l.TimeZone); err != nil {
			return nil, err
		}
		l.Rank = float64(max(offset, 0) + len(out))
		out = append(out, l)
	}
	return out, rows.Err()
}

// CountDialable counts the campaign's leads DialableLeads would give at
// now.
func (s *Store) CountDialable(ctx context.Context, campaign dialer.CampaignID, now time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*)`+dialableSQL, campaign, ms(now)).Scan(&n)
	return n, err
}
