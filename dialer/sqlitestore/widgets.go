package sqlitestore

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.WidgetStore = (*Store)(nil)

const widgetCols = `w.id, w.name, w.site_url, w.widget_key, w.campaign_id, w.active, w.settings, w.created_at, w.updated_at,
	(SELECT count(*) FROM widget_managers m WHERE m.widget_id = w.id)`

func scanWidget(row interface{ Scan(...any) error }) (dialer.Widget, error) {
	var w dialer.Widget
	var settings string
	var created, updated sql.NullInt64
	if err := row.Scan(&w.ID, &w.Name, &w.SiteURL, &w.Key, &w.CampaignID, &w.Active, &settings, &created, &updated, &w.Managers); err != nil {
		return w, err
	}
	w.CreatedAt, w.UpdatedAt = fromMS(created), fromMS(updated)
	// Defaults first: a setting added later reads as its default.
	w.Settings = dialer.DefaultWidgetSettings()
	return w, json.Unmarshal([]byte(settings), &w.Settings)
}

// newWidgetKey is 120 random bits as 24 base32 characters.
func newWidgetKey() string {
	b := make([]byte, 15)
	rand.Read(b)
	return "wk_" + strings.ToLower(keyEncoding.EncodeToString(b))
}

// ListWidgets implements dialer.WidgetStore.
func (s *Store) ListWidgets(ctx context.Context) ([]dialer.Widget, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+widgetCols+` FROM widgets w ORDER BY w.name COLLATE NOCASE, w.id`)
	out, err := collect(rows, err, scanWidget)
	if out == nil && err == nil {
		out = []dialer.Widget{}
	}
	return out, err
}

// GetWidget implements dialer.WidgetStore.
func (s *Store) GetWidget(ctx context.Context, id dialer.WidgetID) (dialer.Widget, error) {
	w, err := scanWidget(s.r.QueryRowContext(ctx, `SELECT `+widgetCols+` FROM widgets w WHERE w.id = ?`, id))
	return w, mapErr(err, fmt.Sprintf("widget %d", id), false)
}

// WidgetByKey implements dialer.WidgetStore.
func (s *Store) WidgetByKey(ctx context.Context, key string) (dialer.Widget, error) {
	w, err := scanWidget(s.r.QueryRowContext(ctx, `SELECT `+widgetCols+` FROM widgets w WHERE w.widget_key = ?`, key))
	return w, mapErr(err, "widget by key", false)
}

// CreateWidget implements dialer.WidgetStore. The widget and its campaign
// are written together or not at all.
func (s *Store) CreateWidget(ctx context.Context, w dialer.Widget) (dialer.Widget, error) {
	if err := w.Validate(); err != nil {
		return dialer.Widget{}, err
	}
	settings, err := json.Marshal(w.Settings)
	if err != nil {
		return dialer.Widget{}, err
	}
	var id dialer.WidgetID
	err = s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		campaign := w.CampaignID
		if campaign == 0 {
			// The id makes the name unique among widgets of one site.
			var next int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM widgets`).Scan(&next); err != nil {
				return err
			}
			name := fmt.Sprintf("Widget %d: %s", next, w.Name)
			if len(name) > 128 {
				name = name[:128]
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (name, dial_mode, max_attempts, active, settings, created_at, updated_at)
				VALUES (?, ?, 1, 1, '{}', ?, ?) RETURNING id`, name, string(dialer.DialManual), now, now).Scan(&campaign); err != nil {
				return mapErr(err, "create the widget's campaign", false)
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO widgets (name, site_url, widget_key, campaign_id, active, settings, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			w.Name, w.SiteURL, newWidgetKey(), campaign, boolInt(w.Active), string(settings), now, now).Scan(&id)
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return &dialer.FieldError{Field: "campaign_id", Reason: "no such campaign"}
		}
		return mapErr(err, "create widget", false)
	})
	if err != nil {
		return dialer.Widget{}, err
	}
	return s.GetWidget(ctx, id)
}

// UpdateWidget implements dialer.WidgetStore; the key stays.
func (s *Store) UpdateWidget(ctx context.Context, w dialer.Widget) (dialer.Widget, error) {
	if err := w.Validate(); err != nil {
		return dialer.Widget{}, err
	}
	settings, err := json.Marshal(w.Settings)
	if err != nil {
		return dialer.Widget{}, err
	}
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widgets SET name = ?, site_url = ?, campaign_id = ?, active = ?, settings = ?,
		updated_at = ? WHERE id = ?`, w.Name, w.SiteURL, w.CampaignID, boolInt(w.Active), string(settings), s.now().UnixMilli(), w.ID)
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return dialer.Widget{}, &dialer.FieldError{Field: "campaign_id", Reason: "no such campaign"}
	}
	if err := affected(res, err, fmt.Sprintf("update widget %d", w.ID)); err != nil {
		return dialer.Widget{}, err
	}
	return s.GetWidget(ctx, w.ID)
}

// DeleteWidget implements dialer.WidgetStore: its managers and keys go
// with it; its campaign stays with the calls recorded under it.
func (s *Store) DeleteWidget(ctx context.Context, id dialer.WidgetID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM widgets WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete widget %d", id))
}

// ---- managers

const managerCols = `id, widget_id, name, agent_id, phone, time_zone, hours, rank, position, active, verified_at, created_at, updated_at`

func scanManager(row interface{ Scan(...any) error }) (dialer.Manager, error) {
	var m dialer.Manager
	var agent, verified, created, updated sql.NullInt64
	var hoursJSON string
	if err := row.Scan(&m.ID, &m.WidgetID, &m.Name, &agent, &m.Phone, &m.TimeZone, &hoursJSON, &m.Rank, &m.Position,
		&m.Active, &verified, &created, &updated); err != nil {
		return m, err
	}
	m.AgentID = dialer.AgentID(agent.Int64)
	m.VerifiedAt, m.CreatedAt, m.UpdatedAt = fromMS(verified), fromMS(created), fromMS(updated)
	return m, json.Unmarshal([]byte(hoursJSON), &m.Hours)
}

// managerHours is what is stored of the hours: the zone is its own column.
func managerHours(m dialer.Manager) (string, error) {
	h := m.Hours
	h.TimeZone = ""
	b, err := json.Marshal(h)
	return string(b), err
}

// ListManagers implements dialer.WidgetStore, in call order.
func (s *Store) ListManagers(ctx context.Context, w dialer.WidgetID) ([]dialer.Manager, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+managerCols+` FROM widget_managers WHERE widget_id = ? ORDER BY position, id`, w)
	out, err := collect(rows, err, scanManager)
	if out == nil && err == nil {
		out = []dialer.Manager{}
	}
	return out, err
}

// GetManager implements dialer.WidgetStore.
func (s *Store) GetManager(ctx context.Context, w dialer.WidgetID, id dialer.ManagerID) (dialer.Manager, error) {
	m, err := scanManager(s.r.QueryRowContext(ctx, `SELECT `+managerCols+` FROM widget_managers WHERE widget_id = ? AND id = ?`, w, id))
	return m, mapErr(err, fmt.Sprintf("manager %d of widget %d", id, w), false)
}

// managerFK names the field a failed foreign key is about.
func managerFK(err error, what string) error {
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return &dialer.FieldError{Field: "agent_id", Reason: "no such agent"}
	}
	return mapErr(err, what, false)
}

// CreateManager implements dialer.WidgetStore. A new manager is unverified.
func (s *Store) CreateManager(ctx context.Context, m dialer.Manager) (dialer.Manager, error) {
	if err := m.Validate(); err != nil {
		return dialer.Manager{}, err
	}
	if _, err := s.GetWidget(ctx, m.WidgetID); err != nil {
		return dialer.Manager{}, err
	}
	h, err := managerHours(m)
	if err != nil {
		return dialer.Manager{}, err
	}
	now := s.now().UnixMilli()
	out, err := scanManager(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO widget_managers (widget_id, name, agent_id, phone, time_zone, hours,
		rank, position, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+managerCols,
		m.WidgetID, m.Name, nullID(m.AgentID), m.Phone, m.TimeZone, h, m.Rank, m.Position, boolInt(m.Active), now, now))
	return out, managerFK(err, "create manager")
}

// UpdateManager implements dialer.WidgetStore.
func (s *Store) UpdateManager(ctx context.Context, m dialer.Manager) (dialer.Manager, error) {
	if err := m.Validate(); err != nil {
		return dialer.Manager{}, err
	}
	h, err := managerHours(m)
	if err != nil {
		return dialer.Manager{}, err
	}
	// A changed number (or a seat turned into a number) must be verified
	// again, and a code sent to the old number no longer counts.
	out, err := scanManager(s.wq(ctx).QueryRowContext(ctx, `UPDATE widget_managers SET
		verified_at = CASE WHEN phone = ?3 AND agent_id IS ?2 THEN verified_at END,
		code_hash = CASE WHEN phone = ?3 THEN code_hash END,
		name = ?1, agent_id = ?2, phone = ?3, time_zone = ?4, hours = ?5, rank = ?6, position = ?7, active = ?8, updated_at = ?9
		WHERE widget_id = ?10 AND id = ?11 RETURNING `+managerCols,
		m.Name, nullID(m.AgentID), m.Phone, m.TimeZone, h, m.Rank, m.Position, boolInt(m.Active), s.now().UnixMilli(), m.WidgetID, m.ID))
	return out, managerFK(err, fmt.Sprintf("update manager %d", m.ID))
}

// DeleteManager implements dialer.WidgetStore.
func (s *Store) DeleteManager(ctx context.Context, w dialer.WidgetID, id dialer.ManagerID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM widget_managers WHERE widget_id = ? AND id = ?`, w, id)
	return affected(res, err, fmt.Sprintf("delete manager %d", id))
}

// SetManagerCode implements dialer.WidgetStore. A code sent less than
// dialer.VerifyCodeResend ago is kept, so that nobody can text a number
// over and over.
func (s *Store) SetManagerCode(ctx context.Context, w dialer.WidgetID, id dialer.ManagerID, stored string, expires time.Time) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_managers SET code_hash = ?, code_expires = ?, code_attempts = 0
		WHERE widget_id = ? AND id = ? AND phone <> '' AND (code_hash IS NULL OR code_expires <= ?)`,
		stored, expires.UnixMilli(), w, id, expires.Add(-dialer.VerifyCodeResend).UnixMilli())
	err = affected(res, err, fmt.Sprintf("code for manager %d", id))
	if errors.Is(err, dialer.ErrNotFound) {
		if m, gerr := s.GetManager(ctx, w, id); gerr == nil && m.Phone != "" {
			return &dialer.FieldError{Field: "code", Reason: fmt.Sprintf("a code was sent less than %s ago; wait before asking for another", dialer.VerifyCodeResend)}
		}
	}
	return err
}

// ConfirmManagerCode implements dialer.WidgetStore. The attempt is
// counted even when the code is wrong, so the count survives the error.
func (s *Store) ConfirmManagerCode(ctx context.Context, w dialer.WidgetID, id dialer.ManagerID, code string, now time.Time) (dialer.Manager, error) {
	var refused error
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var stored sql.NullString
		var expires sql.NullInt64
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT code_hash, code_expires, code_attempts FROM widget_managers WHERE widget_id = ? AND id = ?`,
			w, id).Scan(&stored, &expires, &attempts)
		if err != nil {
			return mapErr(err, fmt.Sprintf("manager %d of widget %d", id, w), false)
		}
		switch {
		case !stored.Valid:
			refused = &dialer.FieldError{Field: "code", Reason: "no code was sent; press Verify first"}
			return nil
		case now.UnixMilli() >= expires.Int64:
			refused = &dialer.FieldError{Field: "code", Reason: "the code has expired; send a new one"}
			return nil
		case attempts >= dialer.VerifyCodeAttempts:
			refused = &dialer.FieldError{Field: "code", Reason: "too many wrong codes; send a new one"}
			return nil
		}
		if !dialer.VerifyCodeMatches(stored.String, code) {
			refused = &dialer.FieldError{Field: "code", Reason: "wrong code"}
			_, err := tx.ExecContext(ctx, `UPDATE widget_managers SET code_attempts = code_attempts + 1 WHERE id = ?`, id)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE widget_managers SET verified_at = ?, code_hash = NULL, code_expires = NULL,
			code_attempts = 0, updated_at = ? WHERE id = ?`, now.UnixMilli(), s.now().UnixMilli(), id)
		return err
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return dialer.Manager{}, err
	}
	return s.GetManager(ctx, w, id)
}

// ---- widget API keys: the secrets of api_keys (newKey, hashKey), in a
// table of their own so that a widget's key can act for nothing else.

const widgetKeyCols = `id, widget_id, name, prefix, created_at, last_used_at, revoked_at`

func scanWidgetKey(row interface{ Scan(...any) error }) (dialer.WidgetAPIKey, error) {
	var k dialer.WidgetAPIKey
	var created, used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.WidgetID, &k.Name, &k.Prefix, &created, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return k, err
}

// CreateWidgetAPIKey implements dialer.WidgetStore; the secret is
// returned once and only its hash kept.
func (s *Store) CreateWidgetAPIKey(ctx context.Context, w dialer.WidgetID, name string) (dialer.WidgetAPIKey, string, error) {
	if name == "" || len(name) > 64 {
		return dialer.WidgetAPIKey{}, "", &dialer.FieldError{Field: "name", Reason: "1-64 bytes"}
	}
	if _, err := s.GetWidget(ctx, w); err != nil {
		return dialer.WidgetAPIKey{}, "", err
	}
	for attempt := 0; ; attempt++ {
		prefix, key := newKey()
		k, err := scanWidgetKey(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO widget_api_keys (widget_id, name, prefix, hash, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING `+widgetKeyCols, w, name, prefix, hashKey(key), s.now().UnixMilli()))
		err = mapErr(err, "create widget API key", false)
		if errors.Is(err, dialer.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return dialer.WidgetAPIKey{}, "", err
		}
		return k, key, nil
	}
}

// ListWidgetAPIKeys implements dialer.WidgetStore.
func (s *Store) ListWidgetAPIKeys(ctx context.Context, w dialer.WidgetID) ([]dialer.WidgetAPIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+widgetKeyCols+` FROM widget_api_keys WHERE widget_id = ? ORDER BY id`, w)
	out, err := collect(rows, err, scanWidgetKey)
	if out == nil && err == nil {
		out = []dialer.WidgetAPIKey{}
	}
	return out, err
}

// RevokeWidgetAPIKey implements dialer.WidgetStore; revoking twice keeps
// the first time.
func (s *Store) RevokeWidgetAPIKey(ctx context.Context, w dialer.WidgetID, id dialer.WidgetKeyID, at time.Time) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE widget_id = ? AND id = ?`,
		at.UnixMilli(), w, id)
	return affected(res, err, fmt.Sprintf("revoke widget API key %d", id))
}

// VerifyWidgetAPIKey implements dialer.WidgetStore.
func (s *Store) VerifyWidgetAPIKey(ctx context.Context, secret string, now time.Time) (dialer.WidgetAPIKey, error) {
	bad := fmt.Errorf("widget API key: %w", dialer.ErrNotFound)
	if len(secret) != keyLen || !strings.HasPrefix(secret, keyScheme) || secret[keyPrefixLen] != '_' {
		return dialer.WidgetAPIKey{}, bad
	}
	var hash string
	row := s.r.QueryRowContext(ctx, `SELECT `+widgetKeyCols+`, hash FROM widget_api_keys WHERE prefix = ?`, secret[:keyPrefixLen])
	var k dialer.WidgetAPIKey
	var created, used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.WidgetID, &k.Name, &k.Prefix, &created, &used, &revoked, &hash)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare([]byte(hash), []byte(hashKey(secret))) != 1) {
		return dialer.WidgetAPIKey{}, bad
	}
	if err != nil {
		return dialer.WidgetAPIKey{}, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	if !k.RevokedAt.IsZero() {
		return dialer.WidgetAPIKey{}, bad
	}
	if k.LastUsedAt.IsZero() || now.Sub(k.LastUsedAt) >= lastUsedEvery {
		if _, err := s.wq(ctx).ExecContext(ctx, `UPDATE widget_api_keys SET last_used_at = ? WHERE id = ?`, now.UnixMilli(), k.ID); err != nil {
			return dialer.WidgetAPIKey{}, err
		}
		k.LastUsedAt = time.UnixMilli(now.UnixMilli()).UTC()
	}
	return k, nil
}
