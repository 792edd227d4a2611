package identity

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

func TestRoles(t *testing.T) {
	if !RoleAdmin.AtLeast(RoleSupervisor) || !RoleSupervisor.AtLeast(RoleAgent) || RoleAgent.AtLeast(RoleSupervisor) || Role("root").AtLeast(RoleAgent) {
		t.Fatal("role order")
	}
	if RoleAdmin.Min(RoleAgent) != RoleAgent || RoleAgent.Min(RoleAdmin) != RoleAgent {
		t.Fatal("Min")
	}
	var r Role
	if err := r.UnmarshalText([]byte("root")); !errors.Is(err, inputerr.ErrInvalid) {
		t.Fatal(err)
	}
	if err := r.UnmarshalText([]byte("supervisor")); err != nil || r != RoleSupervisor {
		t.Fatal(r, err)
	}
	var fe *inputerr.FieldError
	if _, err := ParseRole("root"); !errors.As(err, &fe) || fe.Field != "role" {
		t.Fatal(err)
	}
}

func TestUserValidate(t *testing.T) {
	for _, c := range []struct {
		u     User
		field string
	}{
		{User{Username: "ann.b-c_1", Role: RoleAgent}, ""},
		{User{Username: "Ann", Role: RoleAdmin, DisplayName: "Ann B."}, ""},
		{User{Username: "", Role: RoleAgent}, "username"},
		{User{Username: "a:b", Role: RoleAgent}, "username"},
		{User{Username: "a b", Role: RoleAgent}, "username"},
		{User{Username: strings.Repeat("a", 65), Role: RoleAgent}, "username"},
		{User{Username: "ann", Role: "root"}, "role"},
		{User{Username: "ann", Role: RoleAgent, DisplayName: strings.Repeat("x", 129)}, "display_name"},
	} {
		err := c.u.Validate()
		var fe *inputerr.FieldError
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field) {
			t.Errorf("%+v: %v, want field %q", c.u, err, c.field)
		}
	}
	if err := ValidatePassword("sip_password", "short"); !errors.Is(err, inputerr.ErrInvalid) || !strings.Contains(err.Error(), "sip_password") {
		t.Fatal(err)
	}
	if ValidatePassword("password", strings.Repeat("p", 72)) != nil || ValidatePassword("password", strings.Repeat("p", 73)) == nil {
		t.Fatal("72 bytes is the limit")
	}
}

func TestNewWebSessionValidate(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := NewWebSession{User: 1, At: at, Idle: time.Hour, MaxAge: 2 * time.Hour}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []NewWebSession{
		{At: at, Idle: time.Hour, MaxAge: time.Hour},
		{User: 1, Idle: time.Hour, MaxAge: time.Hour},
		{User: 1, At: at, Idle: 2 * time.Hour, MaxAge: time.Hour},
		{User: 1, At: at, MaxAge: time.Hour},
	} {
		if err := n.Validate(); !errors.Is(err, inputerr.ErrInvalid) {
			t.Errorf("%+v: %v", n, err)
		}
	}
}

// TestJSONNames: the wire names of what the API answers with (the OpenAPI
// spec's User, APIKey and the me view's role).
func TestJSONNames(t *testing.T) {
	b, err := json.Marshal(User{ID: 3, Username: "ann", Role: RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"id":3`, `"username":"ann"`, `"display_name":""`, `"role":"agent"`, `"disabled":false`, `"created_at"`, `"updated_at"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("user %s: no %s", b, k)
		}
	}
	b, err = json.Marshal(APIKey{ID: 2, Name: "crm", Prefix: "ask_abcdefgh", Role: RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":2,"name":"crm","prefix":"ask_abcdefgh","role":"supervisor","created_at":"0001-01-01T00:00:00Z"}`; string(b) != want {
		t.Errorf("api key %s, want %s", b, want)
	}
}
