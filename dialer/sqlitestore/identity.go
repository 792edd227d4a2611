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
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// The identity records: users and API keys (web sessions are in
// websessions.go). They live in this database beside the agents: an agent
// seat refers to its user, and a key's owner is read at each use.

// ---- users

const userCols = `id, username, display_name, role, disabled, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var created, updated sql.NullInt64
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Disabled, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

func (s *Store) hashPassword(field, pw string) (string, error) {
	if err := identity.ValidatePassword(field, pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cost)
	return string(h), err
}

// CreateUser implements api.UserStore.
func (s *Store) CreateUser(ctx context.Context, u identity.User, password string) (identity.User, error) {
	if err := u.Validate(); err != nil {
		return identity.User{}, err
	}
	hash, err := s.hashPassword("password", password)
	if err != nil {
		return identity.User{}, err
	}
	now := s.now().UnixMilli()
	row := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+userCols,
		u.Username, u.DisplayName, hash, string(u.Role), boolInt(u.Disabled), now, now)
	out, err := scanUser(row)
	return out, mapErr(err, "create user "+u.Username, false)
}

// User implements api.UserStore.
func (s *Store) User(ctx context.Context, id identity.UserID) (identity.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, mapErr(err, fmt.Sprintf("user %d", id), false)
}

// UserByUsername implements api.UserStore; the match is
// case-insensitive.
func (s *Store) UserByUsername(ctx context.Context, username string) (identity.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, mapErr(err, "user "+username, false)
}

// ListUsers implements api.UserStore.
func (s *Store) ListUsers(ctx context.Context) ([]identity.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	return collect(rows, err, scanUser)
}

// UpdateUser implements api.UserStore. The username is not changed.
func (s *Store) UpdateUser(ctx context.Context, u identity.User) (identity.User, error) {
	if err := u.Validate(); err != nil {
		return identity.User{}, err
	}
	row := s.wq(ctx).QueryRowContext(ctx, `UPDATE users SET display_name = ?, role = ?, disabled = ?, updated_at = ?
		WHERE id = ? RETURNING `+userCols,
		u.DisplayName, string(u.Role), boolInt(u.Disabled), s.now().UnixMilli(), u.ID)
	out, err := scanUser(row)
	return out, mapErr(err, fmt.Sprintf("update user %d", u.ID), false)
}

// SetPassword implements api.UserStore.
func (s *Store) SetPassword(ctx context.Context, id identity.UserID, password string) error {
	hash, err := s.hashPassword("password", password)
	if err != nil {
		return err
	}
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, s.now().UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("set password of user %d", id))
}

// DeleteUser implements api.UserStore. The user's agent seat stays,
// unassigned; the user's API keys are revoked, since the foreign key only
// forgets who made them.
func (s *Store) DeleteUser(ctx context.Context, id identity.UserID) error {
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

// Authenticate implements api.UserStore. A disabled user is reported
// only to someone who knows the password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (identity.User, error) {
	var hash string
	var u identity.User
	var created, updated sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, username).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Disabled, &created, &updated, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		s.compareHash(s.dummyHash(), []byte(password))
		return identity.User{}, identity.ErrBadCredentials
	}
	if err != nil {
		return identity.User{}, err
	}
	if s.compareHash([]byte(hash), []byte(password)) != nil {
		return identity.User{}, identity.ErrBadCredentials
	}
	if u.Disabled {
		return identity.User{}, fmt.Errorf("user %s: %w", u.Username, identity.ErrDisabled)
	}
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, nil
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

func scanAPIKey(row interface{ Scan(...any) error }) (identity.APIKey, error) {
	var k identity.APIKey
	var by, created, expires, used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &by, &created, &expires, &used, &revoked)
	k.CreatedBy = identity.UserID(by.Int64)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	return k, err
}

// CreateAPIKey implements api.APIKeyStore.
func (s *Store) CreateAPIKey(ctx context.Context, name string, role identity.Role, createdBy identity.UserID, expiresAt time.Time) (identity.APIKey, string, error) {
	if name == "" || len(name) > 64 {
		return identity.APIKey{}, "", &dialer.FieldError{Field: "name", Reason: "1-64 bytes"}
	}
	if !role.Valid() {
		return identity.APIKey{}, "", &dialer.FieldError{Field: "role", Reason: fmt.Sprintf("unknown role %q", role)}
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
			return identity.APIKey{}, "", err
		}
		return k, key, nil
	}
}

// VerifyAPIKey implements api.APIKeyStore.
func (s *Store) VerifyAPIKey(ctx context.Context, key string, now time.Time) (identity.APIKey, error) {
	if len(key) != keyLen || !strings.HasPrefix(key, keyScheme) || key[keyPrefixLen] != '_' {
		return identity.APIKey{}, identity.ErrBadCredentials
	}
	var hash string
	// The owner is read at each use, so that disabling a user stops its
	// keys at once and enabling it again brings them back, and a user moved
	// to a lesser role takes its keys down with it.
	row := s.r.QueryRowContext(ctx, `SELECT k.id, k.name, k.prefix, k.role, k.created_by, k.created_at, k.expires_at,
		k.last_used_at, k.revoked_at, k.hash, coalesce(u.disabled, 0), coalesce(u.role, k.role)
		FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.prefix = ?`, key[:keyPrefixLen])
	var k identity.APIKey
	var by, created, expires, used, revoked sql.NullInt64
	var ownerDisabled bool
	var ownerRole identity.Role
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &by, &created, &expires, &used, &revoked, &hash, &ownerDisabled, &ownerRole)
	if errors.Is(err, sql.ErrNoRows) {
		return identity.APIKey{}, identity.ErrBadCredentials
	}
	if err != nil {
		return identity.APIKey{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(hashKey(key))) != 1 {
		return identity.APIKey{}, identity.ErrBadCredentials
	}
	k.CreatedBy = identity.UserID(by.Int64)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	if !k.RevokedAt.IsZero() {
		return identity.APIKey{}, fmt.Errorf("API key %s: revoked: %w", k.Prefix, identity.ErrDisabled)
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return identity.APIKey{}, fmt.Errorf("API key %s: expired: %w", k.Prefix, identity.ErrDisabled)
	}
	if ownerDisabled {
		return identity.APIKey{}, fmt.Errorf("API key %s: its user is disabled: %w", k.Prefix, identity.ErrDisabled)
	}
	k.Role = k.Role.Min(ownerRole)
	if k.LastUsedAt.IsZero() || now.Sub(k.LastUsedAt) >= lastUsedEvery {
		if _, err := s.wq(ctx).ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now.UnixMilli(), k.ID); err != nil {
			return identity.APIKey{}, err
		}
		k.LastUsedAt = time.UnixMilli(now.UnixMilli()).UTC()
	}
	return k, nil
}

// RevokeAPIKey implements api.APIKeyStore. Revoking twice keeps the first
// time.
func (s *Store) RevokeAPIKey(ctx context.Context, id identity.APIKeyID, at time.Time) error {
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, at.UnixMilli(), id)
	return affected(res, err, fmt.Sprintf("revoke API key %d", id))
}

// ListAPIKeys implements api.APIKeyStore.
func (s *Store) ListAPIKeys(ctx context.Context) ([]identity.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY id`)
	return collect(rows, err, scanAPIKey)
}
