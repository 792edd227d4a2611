package identity

import (
	"fmt"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Role is what a user or API key may do. Roles are ordered: an admin may do
// what a supervisor may, a supervisor what an agent may.
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a defined role.
func (r Role) Valid() bool { return r.rank() > 0 }

func (r Role) String() string { return string(r) }

// AtLeast reports whether r grants everything min grants. An invalid role
// grants nothing.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// Min returns the lesser of r and o: what a key may do when its owner's role
// is below the key's.
func (r Role) Min(o Role) Role {
	if o.rank() < r.rank() {
		return o
	}
	return r
}

// ParseRole parses "admin", "supervisor" or "agent".
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", roleError(s)
	}
	return r, nil
}

func roleError(s string) error {
	return &inputerr.FieldError{Field: "role", Reason: fmt.Sprintf("unknown role %q", s)}
}

// UnmarshalText rejects unknown roles at the JSON boundary.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
