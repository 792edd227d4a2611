package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/identity"
)

func (e *testEnv) loginWith(username, password string) int {
	return e.do(who{name: "login"}, "POST", "/api/v1/auth/login", `{"username":"`+username+`","password":"`+password+`"}`).Code
}

// TestChangeOwnPassword: the current password is needed; once changed
// the user's other sessions end and this one goes on under a new token.
func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	other := who{name: "ann elsewhere", role: identity.RoleAgent, cookie: e.login("ann"), agent: 1}
	const newPassword = "a-new-password-1"
	for _, c := range []struct {
		name, body, field string
	}{
		{"wrong current", `{"current_password":"not-my-password","new_password":"` + newPassword + `"}`, "current_password"},
		{"no current", `{"new_password":"` + newPassword + `"}`, "current_password"},
		{"short new", `{"current_password":"` + testPassword + `","new_password":"short"}`, "new_password"},
		{"same", `{"current_password":"` + testPassword + `","new_password":"` + testPassword + `"}`, "new_password"},
		{"unknown field", `{"current_password":"` + testPassword + `","password":"x"}`, "password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantStatus(t, e.do(e.agent1, "POST", "/api/v1/auth/password", c.body), http.StatusBadRequest, c.field)
		})
	}
	if e.loginWith("ann", testPassword) != http.StatusOK {
		t.Fatal("a refused change changed the password")
	}

	rec := e.do(e.agent1, "POST", "/api/v1/auth/password", `{"current_password":"`+testPassword+`","new_password":"`+newPassword+`"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("change: %d %s", rec.Code, rec.Body)
	}
	token := sessionCookieOf(t, rec).Value
	if token == e.agent1.cookie {
		t.Fatalf("no new session token: %q", token)
	}
	wantStatus(t, e.do(other, "GET", "/api/v1/me", ""), http.StatusUnauthorized, "")
	wantStatus(t, e.do(e.agent1, "GET", "/api/v1/me", ""), http.StatusUnauthorized, "")
	fresh := e.agent1
	fresh.cookie = token
	if rec := e.do(fresh, "GET", "/api/v1/me", ""); rec.Code != http.StatusOK {
		t.Fatalf("the changing session ended: %d %s", rec.Code, rec.Body)
	}
	if e.loginWith("ann", testPassword) != http.StatusUnauthorized || e.loginWith("ann", newPassword) != http.StatusOK {
		t.Fatal("the password did not change")
	}
	// Other users keep their sessions.
	if rec := e.do(e.agent2, "GET", "/api/v1/me", ""); rec.Code != http.StatusOK {
		t.Fatalf("another user's session: %d", rec.Code)
	}
	wantAudited(t, e, "auth.password_change_failed", "auth.password_change")
}

// wantAudited checks that each action is in the audit log.
func wantAudited(t *testing.T, e *testEnv, actions ...string) {
	t.Helper()
	acts := e.auditActions()
	for _, a := range actions {
		if !slices.Contains(acts, a) {
			t.Fatalf("audit %v lacks %s", acts, a)
		}
	}
}

// TestResetPassword: an admin sets another user's password, or has one
// generated and shown once; the user's sessions end.
func TestResetPassword(t *testing.T) {
	e := newEnv(t)
	bob := e.users["bob"]
	path := "/api/v1/users/" + bob.ID.String() + "/password"
	for _, c := range []struct {
		name, path, body string
		code             int
		field            string
	}{
		{"short", path, `{"password":"short"}`, 400, "password"},
		{"unknown field", path, `{"pasword":"long-enough-1"}`, 400, "pasword"},
		{"oneself", "/api/v1/users/" + e.users["admin"].ID.String() + "/password", `{"password":"long-enough-1"}`, 400, "id"},
		{"no user", "/api/v1/users/999/password", `{"password":"long-enough-1"}`, 404, ""},
		{"bad id", "/api/v1/users/x/password", "", 400, "id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.fingerprint()
			wantStatus(t, e.do(e.admin, "POST", c.path, c.body), c.code, c.field)
			if e.fingerprint() != before {
				t.Fatal("refused, yet the database changed")
			}
		})
	}

	rec := e.do(e.admin, "POST", path, "")
	out := decodeJSON[struct {
		User          identity.User
		Password      string
		SessionsEnded int `json:"sessions_ended"`
	}](t, rec.Body.Bytes())
	if rec.Code != http.StatusOK || out.User.ID != bob.ID || len(out.Password) < 16 || out.SessionsEnded != 1 {
		t.Fatalf("generated: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.agent2, "GET", "/api/v1/me", ""), http.StatusUnauthorized, "")
	if e.loginWith("bob", testPassword) != http.StatusUnauthorized || e.loginWith("bob", out.Password) != http.StatusOK {
		t.Fatal("the generated password is not bob's")
	}

	rec = e.do(e.admin, "POST", path, `{"password":"chosen-password-2"}`)
	if rec.Code != http.StatusOK || decodeJSON[map[string]any](t, rec.Body.Bytes())["password"] != nil {
		t.Fatalf("set: %d %s", rec.Code, rec.Body)
	}
	if e.loginWith("bob", "chosen-password-2") != http.StatusOK {
		t.Fatal("the password given is not bob's")
	}
	resets := 0
	for _, a := range e.auditActions() {
		if a == "user.password_reset" {
			resets++
		}
	}
	if resets != 2 {
		t.Fatalf("audit %v, want two user.password_reset", e.auditActions())
	}
}
