package dialer

import (
	"context"
	"time"
)

// SessionID numbers a stored web session.
type SessionID int64

// Session is a logged-in browser. The token that names it is given to the
// browser once and only its hash is kept, so a copy of the database cannot
// be used to log in.
type Session struct {
	ID         SessionID `json:"id"`
	User       UserID    `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// ExpiresAt slides to LastSeenAt+Idle on use, never past MaxExpiresAt.
	ExpiresAt    time.Time     `json:"expires_at"`
	MaxExpiresAt time.Time     `json:"max_expires_at"`
	Idle         time.Duration `json:"idle"`
	UserAgent    string        `json:"user_agent,omitempty"`
	RemoteAddr   string        `json:"remote_addr,omitempty"`
}

// NewSession asks for a session.
type NewSession struct {
	User UserID
	At   time.Time
	// Idle is how long the session lives without use; MaxAge bounds it
	// whatever the use.
	Idle, MaxAge time.Duration
	UserAgent    string
	RemoteAddr   string
}

// Validate checks the request.
func (n NewSession) Validate() error {
	switch {
	case n.User <= 0:
		return &FieldError{Field: "user_id", Reason: "must be positive"}
	case n.At.IsZero():
		return &FieldError{Field: "at", Reason: "required"}
	case n.Idle <= 0 || n.MaxAge <= 0 || n.Idle > n.MaxAge:
		return &FieldError{Field: "idle", Reason: "need 0 < idle <= max age"}
	}
	return nil
}

// SessionStore keeps web sessions (SQLite in production), so that a login
// survives a page reload and a restart of the service.
type SessionStore interface {
	// CreateSession stores a session and returns it with its token, which
	// is shown once.
	CreateSession(ctx context.Context, n NewSession) (Session, string, error)
	// LookupSession returns the live session of token and slides its
	// expiry: ErrBadCredentials if the token is unknown or expired.
	LookupSession(ctx context.Context, token string, now time.Time) (Session, error)
	// DeleteSession ends the session of token; an unknown token is not an
	// error.
	DeleteSession(ctx context.Context, token string) error
	// DeleteUserSessions ends every session of a user (password change,
	// disabled account) and reports how many there were.
	DeleteUserSessions(ctx context.Context, user UserID) (int, error)
	// DeleteExpiredSessions removes sessions expired at now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}
