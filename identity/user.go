package identity

import (
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// User is a person who logs in to the web UI.
type User struct {
	ID          UserID    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate checks the fields a store writes.
func (u User) Validate() error {
	if !validUsername(u.Username) {
		return &inputerr.FieldError{Field: "username", Reason: "1-64 of [A-Za-z0-9_.-]"}
	}
	if !u.Role.Valid() {
		return roleError(string(u.Role))
	}
	return inputerr.CheckText("display_name", u.DisplayName, 128, false)
}

// validUsername: 1-64 characters of [A-Za-z0-9_.-] once lowercased.
func validUsername(s string) bool {
	l := strings.ToLower(s)
	if len(l) == 0 || len(l) > 64 || strings.Contains(s, ":") {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ValidatePassword enforces the rules for user and SIP passwords: 8 to 72
// bytes (bcrypt reads no further, so a longer one would be silently cut).
// field names the input in the error ("password", "sip_password").
func ValidatePassword(field, pw string) error {
	if len(pw) < 8 || len(pw) > 72 {
		return &inputerr.FieldError{Field: field, Reason: "must be 8-72 bytes"}
	}
	return nil
}
