package identity

import (
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// WebSessionID numbers a stored web session.
type WebSessionID int64

// WebSession is a logged-in browser. The token that names it is given to
// the browser once (in the session cookie) and only its hash is kept, so a
// copy of the database cannot be used to log in.
type WebSession struct {
	ID         WebSessionID `json:"id"`
	User       UserID       `json:"user_id"`
	CreatedAt  time.Time    `json:"created_at"`
	LastSeenAt time.Time    `json:"last_seen_at"`
	// ExpiresAt slides to LastSeenAt+Idle on use, never past MaxExpiresAt.
	ExpiresAt    time.Time     `json:"expires_at"`
	MaxExpiresAt time.Time     `json:"max_expires_at"`
	Idle         time.Duration `json:"idle"`
	UserAgent    string        `json:"user_agent,omitempty"`
	RemoteAddr   string        `json:"remote_addr,omitempty"`
}

// NewWebSession asks for a web session.
type NewWebSession struct {
	User UserID
	At   time.Time
	// Idle is how long the session lives without use; MaxAge bounds it
	// whatever the use.
	Idle, MaxAge time.Duration
	UserAgent    string
	RemoteAddr   string
}

// Validate checks the request.
func (n NewWebSession) Validate() error {
	switch {
	case n.User <= 0:
		return &inputerr.FieldError{Field: "user_id", Reason: "must be positive"}
	case n.At.IsZero():
		return &inputerr.FieldError{Field: "at", Reason: "required"}
	case n.Idle <= 0 || n.MaxAge <= 0 || n.Idle > n.MaxAge:
		return &inputerr.FieldError{Field: "idle", Reason: "need 0 < idle <= max age"}
	}
	return nil
}
