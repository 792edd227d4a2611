package sqlitestore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
)

// dbtx is what both the pools and a transaction offer.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---- users

const userCols = `id, username, display_name, role, disabled, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (dialer.User, error) {
	var u dialer.User
	var created, updated sql.NullInt64
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Disabled, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

func (s *Store) hashPassword(field, pw string) (string, error) {
	if err := dialer.ValidatePassword(field, pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cost)
	return string(h), err
}

// CreateUser implements dialer.Directory.
func (s *Store) CreateUser(ctx context.Context, u dialer.User, password string) (dialer.User, error) {
	if err := u.Validate(); err != nil {
		return dialer.User{}, err
	}
	hash, err := s.hashPassword("password", password)
	if err != nil {
		return dialer.User{}, err
	}
	now := s.now().UnixMilli()
	row := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+userCols,
		u.Username, u.DisplayName, hash, string(u.Role), boolInt(u.Disabled), now, now)
	out, err := scanUser(row)
	return out, mapErr(err, "create user "+u.Username, false)
}

// User implements dialer.Directory.
func (s *Store) User(ctx context.Context, id dialer.UserID) (dialer.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, mapErr(err, fmt.Sprintf("user %d", id), false)
}

// UserByUsername implements dialer.Directory; the match is case-insensitive.
func (s *Store) UserByUsername(ctx context.Context, username string) (dialer.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, mapErr(err, "user "+username, false)
}

// ListUsers implements dialer.Directory.
func (s *Store) ListUsers(ctx context.Context) ([]dialer.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	return collect(rows, err, scanUser)
}

// UpdateUser implements dialer.Directory. The username is not changed.
func (s *Store) UpdateUser(ctx context.Context, u dialer.User) (dialer.User, error) {
	if err := u.Validate(); err != nil {
		return dialer.User{}, err
	}
	row := s.wq(ctx).QueryRowContext(ctx, `UPDATE users SET display_name = ?, role = ?, disabled = ?, updated_at = ?
		WHERE id = ? RETURNING `+userCols,
		u.DisplayName, string(u.Role), boolInt(u.Disabled), s.now().UnixMilli(), u.ID)
	out, err := scanUser(row)
	return out, mapErr(err, fmt.Sprintf("update user %d", u.ID), false)
}

// SetPassword implements dialer.Directory.
func (s *Store) SetPassword(ctx context.Context, id dialer.UserID, password string) error {
	hash, err := s.hashPassword("password", password)
	if err != nil {
		return err
	}
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, s.now().UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("set password of user %d", id))
}

// DeleteUser implements dialer.Directory. The user's agent seat stays,
// unassigned; the user's API keys are revoked, since the foreign key only
// forgets who made them.
func (s *Store) DeleteUser(ctx context.Context, id dialer.UserID) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE created_by = ?`,
			s.now().UnixMilli(), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return affected(res, err, fmt.Sprintf("delete user %d", id))
	})
}

// dummyHash is compared against when the user does not exist, so that a
// wrong username costs as much time as a wrong password: its cost is the
// one passwords are hashed with.
func (s *Store) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte("no such user"), s.cost)
		if err != nil {
			// Only an invalid cost fails, and then CreateUser does too.
			h, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)
		}
		s.dummy = h
	})
	return s.dummy
}

// Authenticate implements dialer.Directory. A disabled user is reported
// only to someone who knows the password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (dialer.User, error) {
	var hash string
	var u dialer.User
	var created, updated sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, username).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Disabled, &created, &updated, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		s.compareHash(s.dummyHash(), []byte(password))
		return dialer.User{}, dialer.ErrBadCredentials
	}
	if err != nil {
		return dialer.User{}, err
	}
	if s.compareHash([]byte(hash), []byte(password)) != nil {
		return dialer.User{}, dialer.ErrBadCredentials
	}
	if u.Disabled {
		return dialer.User{}, fmt.Errorf("user %s: %w", u.Username, dialer.ErrDisabled)
	}
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, nil
}

// ---- agents

const agentCols = `id, user_id, name, extension, realm, sip_a1_hash, external_phone, mode, disabled, created_at, updated_at`

func scanAgent(row interface{ Scan(...any) error }) (dialer.Agent, error) {
	var a dialer.Agent
	var user sql.NullInt64
	var phone sql.NullString
	var created, updated sql.NullInt64
	err := row.Scan(&a.ID, &user, &a.Name, &a.Extension, &a.Realm, &a.SIPA1Hash, &phone, &a.Mode, &a.Disabled, &created, &updated)
	a.User = dialer.UserID(user.Int64)
	a.ExternalPhone = phone.String
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	a.Skills, a.Campaigns = []string{}, []dialer.CampaignID{}
	return a, err
}

// loadAgents reads agents matching where (with args) and their skills and
// campaigns.
func loadAgents(ctx context.Context, q dbtx, where string, args ...any) ([]dialer.Agent, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+agentCols+` FROM agents `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []dialer.Agent
	byID := map[dialer.AgentID]int{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	// Few agents (thousands at most): read the link tables whole when
	// listing, per agent otherwise.
	linkWhere, linkArgs := "", []any(nil)
	if len(out) == 1 {
		linkWhere, linkArgs = " WHERE agent_id = ?", []any{out[0].ID}
	}
	rows, err = q.QueryContext(ctx, `SELECT agent_id, skill FROM agent_skills`+linkWhere+` ORDER BY agent_id, skill`, linkArgs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id dialer.AgentID
		var skill string
		if err := rows.Scan(&id, &skill); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Skills = append(out[i].Skills, skill)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT agent_id, campaign_id FROM campaign_agents`+linkWhere+` ORDER BY agent_id, campaign_id`, linkArgs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id dialer.AgentID
		var c dialer.CampaignID
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Campaigns = append(out[i].Campaigns, c)
		}
	}
	return out, rows.Err()
}

func loadAgent(ctx context.Context, q dbtx, what, where string, args ...any) (dialer.Agent, error) {
	l, err := loadAgents(ctx, q, where, args...)
	if err != nil {
		return dialer.Agent{}, mapErr(err, what, false)
	}
	if len(l) == 0 {
		return dialer.Agent{}, fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
	}
	return l[0], nil
}

// writeAgentLinks replaces the agent's skills and campaigns.
func writeAgentLinks(ctx context.Context, tx *sql.Tx, a dialer.Agent) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_skills WHERE agent_id = ?`, a.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_agents WHERE agent_id = ?`, a.ID); err != nil {
		return err
	}
	for _, sk := range dedupe(a.Skills) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_skills (agent_id, skill) VALUES (?, ?)`, a.ID, sk); err != nil {
			return mapErr(err, "agent skill "+sk, false)
		}
	}
	for _, c := range dedupe(a.Campaigns) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_agents (campaign_id, agent_id) VALUES (?, ?)`, c, a.ID); err != nil {
			return mapErr(err, fmt.Sprintf("agent campaign %d", c), false)
		}
	}
	return nil
}

func dedupe[T interface{ ~string | ~int64 }](l []T) []T {
	out := slices.Clone(l)
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateAgent implements dialer.Directory.
func (s *Store) CreateAgent(ctx context.Context, a dialer.Agent, sipPassword string) (dialer.Agent, error) {
	if err := a.Validate(); err != nil {
		return dialer.Agent{}, err
	}
	if err := dialer.ValidatePassword("sip_password", sipPassword); err != nil {
		return dialer.Agent{}, err
	}
	a.SIPA1Hash = dialer.SIPA1(a.Extension, a.Realm, sipPassword)
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		err := tx.QueryRowContext(ctx, `INSERT INTO agents (user_id, name, extension, realm, sip_a1_hash, external_phone, mode, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			nullID(a.User), a.Name, a.Extension, a.Realm, a.SIPA1Hash, nullText(a.ExternalPhone), string(a.Mode), boolInt(a.Disabled), now, now).
			Scan(&a.ID)
		if err != nil {
			return mapErr(err, "create agent "+a.Extension, false)
		}
		if err := writeAgentLinks(ctx, tx, a); err != nil {
			return err
		}
		out, err = loadAgent(ctx, tx, "agent", `WHERE id = ?`, a.ID)
		return err
	})
	return out, err
}

// Agent implements dialer.Directory.
func (s *Store) Agent(ctx context.Context, id dialer.AgentID) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, fmt.Sprintf("agent %d", id), `WHERE id = ?`, id)
}

// AgentByExtension implements dialer.Directory.
func (s *Store) AgentByExtension(ctx context.Context, ext string) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, "agent with extension "+ext, `WHERE extension = ?`, ext)
}

// AgentByUser implements dialer.Directory.
func (s *Store) AgentByUser(ctx context.Context, id dialer.UserID) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, fmt.Sprintf("agent of user %d", id), `WHERE user_id = ?`, id)
}

// ListAgents implements dialer.Directory.
func (s *Store) ListAgents(ctx context.Context) ([]dialer.Agent, error) {
	return loadAgents(ctx, s.r, "")
}

// UpdateAgent implements dialer.Directory.
func (s *Store) UpdateAgent(ctx context.Context, a dialer.Agent, sipPassword string) (dialer.Agent, error) {
	if err := a.Validate(); err != nil {
		return dialer.Agent{}, err
	}
	if sipPassword != "" {
		if err := dialer.ValidatePassword("sip_password", sipPassword); err != nil {
			return dialer.Agent{}, err
		}
	}
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := loadAgent(ctx, tx, fmt.Sprintf("agent %d", a.ID), `WHERE id = ?`, a.ID)
		if err != nil {
			return err
		}
		hash := cur.SIPA1Hash
		switch {
		case sipPassword != "":
			hash = dialer.SIPA1(a.Extension, a.Realm, sipPassword)
		case cur.Extension != a.Extension || cur.Realm != a.Realm:
			return &dialer.FieldError{Field: "sip_password", Reason: "required when extension or realm change"}
		}
		_, err = tx.ExecContext(ctx, `UPDATE agents SET user_id = ?, name = ?, extension = ?, realm = ?, sip_a1_hash = ?,
			external_phone = ?, mode = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			nullID(a.User), a.Name, a.Extension, a.Realm, hash, nullText(a.ExternalPhone), string(a.Mode),
			boolInt(a.Disabled), s.now().UnixMilli(), a.ID)
		if err != nil {
			return mapErr(err, fmt.Sprintf("update agent %d", a.ID), false)
		}
		if err := writeAgentLinks(ctx, tx, a); err != nil {
			return err
		}
		out, err = loadAgent(ctx, tx, "agent", `WHERE id = ?`, a.ID)
		return err
	})
	return out, err
}

// DeleteAgent implements dialer.Directory. Call records keep their rows
// with the agent unset.
func (s *Store) DeleteAgent(ctx context.Context, id dialer.AgentID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM agents WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete agent %d", id))
}

// ---- API keys

// API keys look like ask_<8 chars>_<52 chars>: the first 12 characters are
// the stored, displayable prefix; the whole key is hashed with SHA-256 (it
// carries 256 random bits, so a slow hash adds nothing).
const (
	keyScheme    = "ask_"
	keyPrefixLen = len(keyScheme) + 8
	keyLen       = keyPrefixLen + 1 + 52
	// lastUsedEvery limits the write that records key use.
	lastUsedEvery = time.Minute
)

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func newKey() (prefix, key string) {
	p := make([]byte, 5)
	sec := make([]byte, 32)
	rand.Read(p)
	rand.Read(sec)
	prefix = keyScheme + strings.ToLower(keyEncoding.EncodeToString(p))
	return prefix, prefix + "_" + strings.ToLower(keyEncoding.EncodeToString(sec))
}

const apiKeyCols = `id, name, prefix, role, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (dialer.APIKey, error) {
	var k dialer.APIKey
	var by, created, expires, used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &by, &created, &expires, &used, &revoked)
	k.CreatedBy = dialer.UserID(by.Int64)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	return k, err
}

// CreateAPIKey implements dialer.Directory.
func (s *Store) CreateAPIKey(ctx context.Context, name string, role dialer.Role, createdBy dialer.UserID, expiresAt time.Time) (dialer.APIKey, string, error) {
	if name == "" || len(name) > 64 {
		return dialer.APIKey{}, "", &dialer.FieldError{Field: "name", Reason: "1-64 bytes"}
	}
	if !role.Valid() {
		return dialer.APIKey{}, "", &dialer.FieldError{Field: "role", Reason: fmt.Sprintf("unknown role %q", role)}
	}
	for attempt := 0; ; attempt++ {
		prefix, key := newKey()
		k, err := scanAPIKey(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO api_keys (name, prefix, hash, role, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+apiKeyCols,
			name, prefix, hashKey(key), string(role), nullID(createdBy), s.now().UnixMilli(), ms(expiresAt)))
		err = mapErr(err, "create API key", false)
		if errors.Is(err, dialer.ErrConflict) && attempt < 3 {
			continue // prefix collision: 40 random bits, so rare
		}
		if err != nil {
			return dialer.APIKey{}, "", err
		}
		return k, key, nil
	}
}

// VerifyAPIKey implements dialer.Directory.
func (s *Store) VerifyAPIKey(ctx context.Context, key string, now time.Time) (dialer.APIKey, error) {
	if len(key) != keyLen || !strings.HasPrefix(key, keyScheme) || key[keyPrefixLen] != '_' {
		return dialer.APIKey{}, dialer.ErrBadCredentials
	}
	var hash string
	// The owner is read at each use, so that disabling a user stops its
	// keys at once and enabling it again brings them back, and a user moved
	// to a lesser role takes its keys down with it.
	row := s.r.QueryRowContext(ctx, `SELECT k.id, k.name, k.prefix, k.role, k.created_by, k.created_at, k.expires_at,
		k.last_used_at, k.revoked_at, k.hash, coalesce(u.disabled, 0), coalesce(u.role, k.role)
		FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.prefix = ?`, key[:keyPrefixLen])
	var k dialer.APIKey
	var by, created, expires, used, revoked sql.NullInt64
	var ownerDisabled bool
	var ownerRole dialer.Role
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &by, &created, &expires, &used, &revoked, &hash, &ownerDisabled, &ownerRole)
	if errors.Is(err, sql.ErrNoRows) {
		return dialer.APIKey{}, dialer.ErrBadCredentials
	}
	if err != nil {
		return dialer.APIKey{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(hashKey(key))) != 1 {
		return dialer.APIKey{}, dialer.ErrBadCredentials
	}
	k.CreatedBy = dialer.UserID(by.Int64)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	if !k.RevokedAt.IsZero() {
		return dialer.APIKey{}, fmt.Errorf("API key %s: revoked: %w", k.Prefix, dialer.ErrDisabled)
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return dialer.APIKey{}, fmt.Errorf("API key %s: expired: %w", k.Prefix, dialer.ErrDisabled)
	}
	if ownerDisabled {
		return dialer.APIKey{}, fmt.Errorf("API key %s: its user is disabled: %w", k.Prefix, dialer.ErrDisabled)
	}
	k.Role = k.Role.Min(ownerRole)
	if k.LastUsedAt.IsZero() || now.Sub(k.LastUsedAt) >= lastUsedEvery {
		if _, err := s.wq(ctx).ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now.UnixMilli(), k.ID); err != nil {
			return dialer.APIKey{}, err
		}
		k.LastUsedAt = time.UnixMilli(now.UnixMilli()).UTC()
	}
	return k, nil
}

// RevokeAPIKey implements dialer.Directory. Revoking twice keeps the first
// time.
func (s *Store) RevokeAPIKey(ctx context.Context, id dialer.APIKeyID, at time.Time) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, at.UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("revoke API key %d", id))
}

// ListAPIKeys implements dialer.Directory.
func (s *Store) ListAPIKeys(ctx context.Context) ([]dialer.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY id`)
	return collect(rows, err, scanAPIKey)
}
