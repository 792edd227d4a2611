package identity

import "time"

// APIKey is a credential for integrators; only a hash of the secret is kept.
type APIKey struct {
	ID   APIKeyID `json:"id"`
	Name string   `json:"name"`
	// Prefix is the public part of the key, shown to tell keys apart.
	Prefix     string    `json:"prefix"`
	Role       Role      `json:"role"`
	CreatedBy  UserID    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}
