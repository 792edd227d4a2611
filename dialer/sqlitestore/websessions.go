package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/agentswitch/agentswitch/identity"
)

// Web session tokens are 32 random bytes in unpadded base64url (43
// characters); like API keys they are hashed with SHA-256, a slow hash
// adding nothing to 256 random bits. They are rows of the sessions table.
const (
	webSessionTokenLen = 43
	// webSessionTouchEvery limits the write that slides a session's expiry
	// to one a minute per session, not one per request.
	webSessionTouchEvery = time.Minute
)

func newWebSessionToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func validWebSessionToken(t string) bool {
	if len(t) != webSessionTokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

// clip cuts s to at most n bytes on a rune boundary; user agents are
// informational and may be anything.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

const webSessionCols = `id, user_id, created_at, last_seen_at, expires_at, max_expires_at, idle_ms, user_agent, remote_addr`

func scanWebSession(row interface{ Scan(...any) error }) (identity.WebSession, error) {
	var s identity.WebSession
	var created, seen, expires, maxExp sql.NullInt64
	var idle int64
	err := row.Scan(&s.ID, &s.User, &created, &seen, &expires, &maxExp, &idle, &s.UserAgent, &s.RemoteAddr)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.MaxExpiresAt = fromMS(created), fromMS(seen), fromMS(expires), fromMS(maxExp)
	s.Idle = time.Duration(idle) * time.Millisecond
	return s, err
}

// CreateWebSession implements api.WebSessionStore.
func (s *Store) CreateWebSession(ctx context.Context, n identity.NewWebSession) (identity.WebSession, string, error) {
	if err := n.Validate(); err != nil {
		return identity.WebSession{}, "", err
	}
	token := newWebSessionToken()
	at := n.At.UnixMilli()
	maxExp := n.At.Add(n.MaxAge).UnixMilli()
	exp := min(n.At.Add(n.Idle).UnixMilli(), maxExp)
	out, err := scanWebSession(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at,
		expires_at, max_expires_at, idle_ms, user_agent, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+webSessionCols,
		hashKey(token), n.User, at, at, exp, maxExp, n.Idle.Milliseconds(), clip(n.UserAgent, 256), clip(n.RemoteAddr, 64)))
	if err != nil {
		return identity.WebSession{}, "", mapErr(err, fmt.Sprintf("create web session for user %d", n.User), false)
	}
	return out, token, nil
}

// LookupWebSession implements api.WebSessionStore. An expired session is
// deleted when found.
func (s *Store) LookupWebSession(ctx context.Context, token string, now time.Time) (identity.WebSession, error) {
	if !validWebSessionToken(token) {
		return identity.WebSession{}, identity.ErrBadCredentials
	}
	h := hashKey(token)
	sess, err := scanWebSession(s.r.QueryRowContext(ctx, `SELECT `+webSessionCols+` FROM sessions WHERE token_hash = ?`, h))
	if errors.Is(err, sql.ErrNoRows) {
		return identity.WebSession{}, identity.ErrBadCredentials
	}
	if err != nil {
		return identity.WebSession{}, err
	}
	if !now.Before(sess.ExpiresAt) {
		if _, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, sess.ID); err != nil {
			return identity.WebSession{}, err
		}
		return identity.WebSession{}, fmt.Errorf("web session expired: %w", identity.ErrBadCredentials)
	}
	if now.Sub(sess.LastSeenAt) >= webSessionTouchEvery {
		exp := now.Add(sess.Idle)
		if exp.After(sess.MaxExpiresAt) {
			exp = sess.MaxExpiresAt
		}
		// The WHERE keeps a concurrent logout deleted and never moves the
		// expiry backwards.
		if _, err := s.wq(ctx).ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = max(expires_at, ?)
			WHERE id = ?`, now.UnixMilli(), exp.UnixMilli(), sess.ID); err != nil {
			return identity.WebSession{}, mapErr(err, "touch web session", false)
		}
		sess.LastSeenAt = time.UnixMilli(now.UnixMilli()).UTC()
		if e := time.UnixMilli(exp.UnixMilli()).UTC(); e.After(sess.ExpiresAt) {
			sess.ExpiresAt = e
		}
	}
	return sess, nil
}

// DeleteWebSession implements api.WebSessionStore.
func (s *Store) DeleteWebSession(ctx context.Context, token string) error {
	if !validWebSessionToken(token) {
		return nil
	}
	_, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashKey(token))
	return mapErr(err, "delete web session", true)
}

// DeleteUserWebSessions implements api.WebSessionStore.
func (s *Store) DeleteUserWebSessions(ctx context.Context, user identity.UserID) (int, error) {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, user)
	if err != nil {
		return 0, mapErr(err, fmt.Sprintf("delete web sessions of user %d", user), true)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteExpiredWebSessions implements api.WebSessionStore.
func (s *Store) DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, mapErr(err, "delete expired web sessions", true)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
