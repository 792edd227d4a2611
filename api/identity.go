package api

import (
	"context"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// The stores of identity's records that the API uses (*sqlitestore.Store
// provides all three). Like dialer's stores they validate at their
// boundary and report dialer.ErrConflict for a duplicate, dialer.ErrNotFound
// and *dialer.FieldError; a credential that does not verify is
// identity.ErrBadCredentials, a disabled one identity.ErrDisabled.

// UserStore holds who may log in.
type UserStore interface {
	// CreateUser stores u with a hash of password.
	CreateUser(ctx context.Context, u identity.User, password string) (identity.User, error)
	User(ctx context.Context, id identity.UserID) (identity.User, error)
	ListUsers(ctx context.Context) ([]identity.User, error)
	// UpdateUser replaces display name, role and disabled.
	UpdateUser(ctx context.Context, u identity.User) (identity.User, error)
	SetPassword(ctx context.Context, id identity.UserID, password string) error
	// Authenticate returns the user if the password matches:
	// ErrBadCredentials otherwise, ErrDisabled for a disabled user.
	Authenticate(ctx context.Context, username, password string) (identity.User, error)
}

// APIKeyStore holds the integrators' keys.
type APIKeyStore interface {
	// CreateAPIKey returns the key and its secret; the secret is shown
	// once and only its hash is kept.
	CreateAPIKey(ctx context.Context, name string, role identity.Role, createdBy identity.UserID, expiresAt time.Time) (identity.APIKey, string, error)
	// VerifyAPIKey returns the key the secret belongs to: ErrBadCredentials
	// if none, ErrDisabled if revoked, expired or its user is disabled.
	VerifyAPIKey(ctx context.Context, secret string, now time.Time) (identity.APIKey, error)
	RevokeAPIKey(ctx context.Context, id identity.APIKeyID, at time.Time) error
	ListAPIKeys(ctx context.Context) ([]identity.APIKey, error)
}

// WebSessionStore keeps web sessions, so that a login survives a page
// reload and a restart of the service.
type WebSessionStore interface {
	// CreateWebSession stores a web session and returns it with its token,
	// which is shown once.
	CreateWebSession(ctx context.Context, n identity.NewWebSession) (identity.WebSession, string, error)
	// LookupWebSession returns the live web session of token and slides its
	// expiry: ErrBadCredentials if the token is unknown or expired.
	LookupWebSession(ctx context.Context, token string, now time.Time) (identity.WebSession, error)
	// DeleteWebSession ends the web session of token; an unknown token is
	// not an error.
	DeleteWebSession(ctx context.Context, token string) error
	// DeleteUserWebSessions ends every web session of a user (password
	// change, disabled account) and reports how many there were.
	DeleteUserWebSessions(ctx context.Context, user identity.UserID) (int, error)
	// DeleteExpiredWebSessions removes web sessions expired at now.
	DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error)
}
