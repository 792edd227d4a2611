package sqlitestore

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

func TestWebSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "as.db")
	s := openStore(t, path)
	ctx := t.Context()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "ann", Role: identity.RoleAgent}, "password1"))
	other := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "bob", Role: identity.RoleAgent}, "password1"))

	_, _, err := s.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: t0, Idle: time.Hour, MaxAge: time.Minute})
	wantField(t, err, "idle")
	_, _, err = s.CreateWebSession(ctx, identity.NewWebSession{User: 999, At: t0, Idle: time.Hour, MaxAge: 2 * time.Hour})
	wantErr(t, err, dialer.ErrInvalid)
	if n := count(t, s, "sessions"); n != 0 {
		t.Fatalf("%d sessions after refused creates", n)
	}

	ua := strings.Repeat("é", 200) // 400 bytes: clipped on a rune boundary
	sess, token, err := s.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour, UserAgent: ua, RemoteAddr: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !sess.ExpiresAt.Equal(t0.Add(time.Hour)) || !sess.MaxExpiresAt.Equal(t0.Add(3*time.Hour)) || len(sess.UserAgent) != 256 {
		t.Fatalf("created %+v", sess)
	}
	assertNotInFiles(t, s, token)

	// Used within the minute: no write, same expiry.
	got, err := s.LookupWebSession(ctx, token, t0.Add(30*time.Second))
	if err != nil || got.ID != sess.ID || got.User != u.ID || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	// Used later: the expiry slides.
	got, err = s.LookupWebSession(ctx, token, t0.Add(50*time.Minute))
	if err != nil || !got.ExpiresAt.Equal(t0.Add(110*time.Minute)) {
		t.Fatalf("slide: %+v, %v", got, err)
	}
	// ...and survives reopening the database (a service restart).
	s.Close()
	s = openStore(t, path)
	got, err = s.LookupWebSession(ctx, token, t0.Add(100*time.Minute))
	if err != nil || !got.ExpiresAt.Equal(t0.Add(160*time.Minute)) {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	// Sliding never passes the absolute limit.
	got, err = s.LookupWebSession(ctx, token, t0.Add(150*time.Minute))
	if err != nil || !got.ExpiresAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("capped: %+v, %v", got, err)
	}
	_, err = s.LookupWebSession(ctx, token, t0.Add(3*time.Hour))
	wantErr(t, err, identity.ErrBadCredentials)
	if n := count(t, s, "sessions"); n != 0 {
		t.Fatalf("expired session kept: %d", n)
	}

	// Idle expiry, unknown and malformed tokens.
	_, token, _ = s.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour})
	_, err = s.LookupWebSession(ctx, token, t0.Add(time.Hour))
	wantErr(t, err, identity.ErrBadCredentials)
	for _, bad := range []string{"", "x", newWebSessionToken(), strings.Repeat("!", webSessionTokenLen), "ask_abc"} {
		if _, err := s.LookupWebSession(ctx, bad, t0); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}

	// Delete one, delete all of a user, delete expired.
	_, t1, _ := s.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour})
	_, t2, _ := s.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour})
	_, t3, _ := s.CreateWebSession(ctx, identity.NewWebSession{User: other.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour})
	if err := s.DeleteWebSession(ctx, t1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebSession(ctx, t1); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.LookupWebSession(ctx, t1, t0); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("deleted session: %v", err)
	}
	if n, err := s.DeleteUserWebSessions(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("delete user sessions: %d, %v", n, err)
	}
	if _, err := s.LookupWebSession(ctx, t2, t0); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("session of logged-out user: %v", err)
	}
	if _, err := s.LookupWebSession(ctx, t3, t0); err != nil {
		t.Fatalf("other user's session: %v", err)
	}
	if n, err := s.DeleteExpiredWebSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("delete expired: %d, %v", n, err)
	}
	// Deleting a user ends the user's sessions.
	_, t4, _ := s.CreateWebSession(ctx, identity.NewWebSession{User: other.ID, At: t0, Idle: time.Hour, MaxAge: 3 * time.Hour})
	if err := s.DeleteUser(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupWebSession(ctx, t4, t0); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("session of deleted user: %v", err)
	}
}
