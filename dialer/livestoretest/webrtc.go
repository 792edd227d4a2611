package livestoretest

import (
	"errors"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// RunWebRTCCredentials runs the dialer.WebRTCCredentials contract;
// newStore returns an empty store.
func RunWebRTCCredentials(t *testing.T, newStore func(t *testing.T) dialer.WebRTCCredentials) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s dialer.WebRTCCredentials)
	}{
		{"IssueLookupRevoke", testWebRTCIssueLookupRevoke},
		{"IssueRotates", testWebRTCIssueRotates},
		{"ExpiresAt", testWebRTCExpires},
		{"AgentsApart", testWebRTCAgentsApart},
		{"BadInput", testWebRTCBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func cred(agent dialer.AgentID, ext, password string) dialer.WebRTCCredential {
	user := dialer.WebRTCUser(ext)
	return dialer.WebRTCCredential{Agent: agent, User: user, A1Hash: dialer.SIPA1(user, "agents.example", password),
		ExpiresAt: at(time.Hour)}
}

func issue(t *testing.T, s dialer.WebRTCCredentials, c dialer.WebRTCCredential) {
	t.Helper()
	if err := s.Issue(t.Context(), c, time.Hour); err != nil {
		t.Fatalf("issue %+v: %v", c, err)
	}
}

func lookup(t *testing.T, s dialer.WebRTCCredentials, agent dialer.AgentID, now time.Time) (dialer.WebRTCCredential, bool) {
	t.Helper()
	c, err := s.Lookup(t.Context(), agent, now)
	if errors.Is(err, dialer.ErrNotFound) {
		return c, false
	}
	if err != nil {
		t.Fatalf("lookup %d: %v", agent, err)
	}
	return c, true
}

func testWebRTCIssueLookupRevoke(t *testing.T, s dialer.WebRTCCredentials) {
	if _, ok := lookup(t, s, 1, at(0)); ok {
		t.Fatal("found a credential in an empty store")
	}
	want := cred(1, "2401", "secret")
	issue(t, s, want)
	got, ok := lookup(t, s, 1, at(0))
	if !ok || got.Agent != want.Agent || got.User != want.User || got.A1Hash != want.A1Hash || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("lookup = %+v %v, want %+v", got, ok, want)
	}
	if err := s.Revoke(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, s, 1, at(0)); ok {
		t.Fatal("found after revoke")
	}
	if err := s.Revoke(t.Context(), 1); err != nil {
		t.Fatalf("revoking none: %v", err)
	}
}

func testWebRTCIssueRotates(t *testing.T, s dialer.WebRTCCredentials) {
	issue(t, s, cred(1, "2401", "first"))
	second := cred(1, "2401", "second")
	second.ExpiresAt = at(2 * time.Hour)
	issue(t, s, second)
	got, ok := lookup(t, s, 1, at(90*time.Minute))
	if !ok || got.A1Hash != second.A1Hash || !got.ExpiresAt.Equal(second.ExpiresAt) {
		t.Fatalf("after rotation: %+v %v, want %+v", got, ok, second)
	}
}

func testWebRTCExpires(t *testing.T, s dialer.WebRTCCredentials) {
	issue(t, s, cred(1, "2401", "secret"))
	for _, tc := range []struct {
		now  time.Duration
		want bool
	}{
		{0, true},
		{time.Hour - time.Millisecond, true},
		{time.Hour, false},
		{2 * time.Hour, false},
	} {
		if _, ok := lookup(t, s, 1, at(tc.now)); ok != tc.want {
			t.Errorf("at T0+%v: found %v, want %v", tc.now, ok, tc.want)
		}
	}
}

func testWebRTCAgentsApart(t *testing.T, s dialer.WebRTCCredentials) {
	issue(t, s, cred(1, "2401", "one"))
	issue(t, s, cred(2, "2402", "two"))
	if err := s.Revoke(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if got, ok := lookup(t, s, 2, at(0)); !ok || got.User != "w2402" {
		t.Fatalf("agent 2 after revoking agent 1: %+v %v", got, ok)
	}
}

func testWebRTCBadInput(t *testing.T, s dialer.WebRTCCredentials) {
	good := cred(1, "2401", "secret")
	for _, tc := range []struct {
		name  string
		edit  func(*dialer.WebRTCCredential)
		ttl   time.Duration
		field string
	}{
		{"agent", func(c *dialer.WebRTCCredential) { c.Agent = 0 }, time.Hour, "agent_id"},
		{"plain extension", func(c *dialer.WebRTCCredential) { c.User = "2401" }, time.Hour, "user"},
		{"user with a domain", func(c *dialer.WebRTCCredential) { c.User = "w2401@x" }, time.Hour, "user"},
		{"short hash", func(c *dialer.WebRTCCredential) { c.A1Hash = "abc" }, time.Hour, "a1_hash"},
		{"upper-case hash", func(c *dialer.WebRTCCredential) { c.A1Hash = "ABCDEF0123456789ABCDEF0123456789" }, time.Hour, "a1_hash"},
		{"no expiry", func(c *dialer.WebRTCCredential) { c.ExpiresAt = time.Time{} }, time.Hour, "expires_at"},
		{"ttl", func(*dialer.WebRTCCredential) {}, 0, "ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := s.Issue(t.Context(), c, tc.ttl)
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a FieldError on %s", err, tc.field)
			}
			if _, ok := lookup(t, s, c.Agent, at(0)); ok {
				t.Fatal("a refused credential was stored")
			}
		})
	}
}
