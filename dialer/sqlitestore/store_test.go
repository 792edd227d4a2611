package sqlitestore

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

var t0 = time.UnixMilli(1_700_000_000_000).UTC()

func openStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, Options{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t testing.TB) *Store {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "agentswitch.db"))
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *dialer.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("err = %v, want a FieldError on %q", err, field)
	}
}

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrateFromEmptyAndAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "as.db")
	s := openStore(t, path)
	ctx := t.Context()
	all, err := migrations()
	if err != nil || len(all) < 2 {
		t.Fatalf("migrations: %d, %v", len(all), err)
	}
	n, last := len(all), all[len(all)-1].version
	st, err := s.SchemaVersion(ctx)
	if err != nil || st.Current != 0 || st.Latest != last || len(st.Pending) != n {
		t.Fatalf("empty: %+v, %v", st, err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil || len(applied) != n || applied[0] != "0001_schema.sql" {
		t.Fatalf("migrate: %v, %v", applied, err)
	}
	st, err = s.SchemaVersion(ctx)
	if err != nil || st.Current != last || len(st.Pending) != 0 {
		t.Fatalf("after: %+v, %v", st, err)
	}
	if n := count(t, s, "dispositions"); n != 11 {
		t.Fatalf("%d default dispositions", n)
	}
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: %v, %v", applied, err)
	}
	s.Close()
	s = openStore(t, path)
	if applied, err := s.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("migrate after reopen: %v, %v", applied, err)
	}
	if n := count(t, s, "dispositions"); n != 11 {
		t.Fatalf("seed ran twice: %d dispositions", n)
	}
}

func TestMigrateRefusesForeignHistory(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if _, err := s.w.ExecContext(ctx, `UPDATE schema_migrations SET checksum = 'x' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(ctx)
	wantErr(t, err, ErrMigrationChanged)
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (99, 'future.sql', 'x', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err = s.Migrate(ctx)
	wantErr(t, err, ErrSchemaTooNew)
	_, err = s.SchemaVersion(ctx)
	wantErr(t, err, ErrSchemaTooNew)
}

func TestPragmas(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for name, db := range map[string]*sql.DB{"writer": s.w, "reader": s.r} {
		var mode string
		var fk, busy int
		if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%s journal_mode = %q, %v", name, mode, err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("%s foreign_keys = %d, %v", name, fk, err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 5000 {
			t.Errorf("%s busy_timeout = %d, %v", name, busy, err)
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM dispositions`); err == nil {
		t.Error("the read pool can write")
	}
	if s.w.Stats().MaxOpenConnections != 1 {
		t.Error("more than one writer connection")
	}
	// The writer's savepoint journals stay in memory, also on a
	// connection opened again after the first was closed.
	for range 2 {
		var temp int
		if err := s.w.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp); err != nil || temp != 2 {
			t.Errorf("writer temp_store = %d, %v; want 2 (memory)", temp, err)
		}
		s.w.SetMaxIdleConns(0)
		s.w.SetMaxIdleConns(1)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	_, err := s.w.ExecContext(ctx, `INSERT INTO leads (campaign_id, phone, created_at, updated_at) VALUES (42, '+33612345678', 0, 0)`)
	if err == nil {
		t.Fatal("lead with a missing campaign accepted")
	}
	_, err = s.CreateLead(ctx, dialer.Lead{Campaign: 42, Phone: "+33612345678"})
	wantErr(t, err, dialer.ErrInvalid)
	if count(t, s, "leads") != 0 {
		t.Fatal("row written")
	}
}

func TestCheckConstraintsNameTheField(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "c", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	cases := map[string]string{
		"phone":     `INSERT INTO leads (campaign_id, phone, created_at, updated_at) VALUES (?, '+1 555 {x}', 0, 0)`,
		"custom":    `INSERT INTO leads (campaign_id, phone, custom, created_at, updated_at) VALUES (?, '+15551234567', '[1]', 0, 0)`,
		"status":    `INSERT INTO leads (campaign_id, phone, status, created_at, updated_at) VALUES (?, '+15551234567', 'odd', 0, 0)`,
		"dial_mode": `UPDATE campaigns SET dial_mode = 'blast' WHERE id = ?`,
	}
	for field, q := range cases {
		_, err := s.w.ExecContext(ctx, q, c.ID)
		wantField(t, mapErr(err, "raw", false), field)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('x', 'plaintext', 'agent', 0, 0)`)
	wantField(t, mapErr(err, "raw", false), "password")
}

func TestUsers(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "Alice", DisplayName: "Alice A", Role: identity.RoleSupervisor}, "correct horse"))
	if u.ID == 0 || !u.CreatedAt.Equal(t0) || u.Role != identity.RoleSupervisor {
		t.Fatalf("%+v", u)
	}
	_, err := s.CreateUser(ctx, identity.User{Username: "alice", Role: identity.RoleAgent}, "another pw")
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.CreateUser(ctx, identity.User{Username: "bob", Role: "root"}, "another pw")
	wantField(t, err, "role")
	_, err = s.CreateUser(ctx, identity.User{Username: "bob", Role: identity.RoleAgent}, "short")
	wantField(t, err, "password")
	_, err = s.CreateUser(ctx, identity.User{Username: "bob", Role: identity.RoleAgent}, string(make([]byte, 73)))
	wantField(t, err, "password")
	_, err = s.CreateUser(ctx, identity.User{Username: "bad name", Role: identity.RoleAgent}, "long enough")
	wantField(t, err, "username")

	got := must[identity.User](t)(s.UserByUsername(ctx, "ALICE"))
	if got.ID != u.ID {
		t.Fatalf("by username: %+v", got)
	}
	if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(ctx, "alice", "wrong")
	wantErr(t, err, identity.ErrBadCredentials)
	_, err = s.Authenticate(ctx, "nobody", "wrong")
	wantErr(t, err, identity.ErrBadCredentials)

	var hash string
	s.r.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")) != nil {
		t.Fatal("stored hash does not verify")
	}

	u.Disabled, u.Role, u.DisplayName = true, identity.RoleAdmin, "A."
	u = must[identity.User](t)(s.UpdateUser(ctx, u))
	if !u.Disabled || u.Role != identity.RoleAdmin || u.DisplayName != "A." {
		t.Fatalf("update: %+v", u)
	}
	_, err = s.Authenticate(ctx, "alice", "correct horse")
	wantErr(t, err, identity.ErrDisabled)
	_, err = s.Authenticate(ctx, "alice", "wrong")
	wantErr(t, err, identity.ErrBadCredentials)

	if err := s.SetPassword(ctx, u.ID, "new password"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.SetPassword(ctx, 999, "new password"), dialer.ErrNotFound)
	if l := must[[]identity.User](t)(s.ListUsers(ctx)); len(l) != 1 {
		t.Fatalf("list: %+v", l)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.User(ctx, u.ID)
	wantErr(t, err, dialer.ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, u.ID), dialer.ErrNotFound)
}

// TestAuthenticateSameCost: an unknown username costs one bcrypt
// comparison at the cost of the stored passwords, as a known one does,
// so that timing does not tell which usernames exist.
func TestAuthenticateSameCost(t *testing.T) {
	const cost = bcrypt.MinCost + 2
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "agentswitch.db"), Options{BcryptCost: cost, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "alice", Role: identity.RoleAgent}, "correct horse"))
	var costs []int
	s.compareHash = func(hash, pw []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Fatal(err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	for _, name := range []string{"alice", "nobody", "nobody2"} {
		costs = nil
		_, err := s.Authenticate(ctx, name, "wrong")
		wantErr(t, err, identity.ErrBadCredentials)
		if len(costs) != 1 || costs[0] != cost {
			t.Errorf("%s: bcrypt comparisons at costs %v, want [%d]", name, costs, cost)
		}
	}
}

func TestAgents(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "ann", Role: identity.RoleAgent}, "ann's login pw"))
	c1 := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "one", DialMode: dialer.DialPredictive, MaxAttempts: 3}))
	c2 := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "two", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	const sipPW = "sip-Secret-9271"
	a := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{
		User: u.ID, Name: "Ann", Extension: "1001", Realm: "pbx.example.com", ExternalPhone: "+33612345678",
		Mode: dialer.ModePersistent, Skills: []string{"spanish", "sales", "sales"}, Campaigns: []dialer.CampaignID{c2.ID, c1.ID},
	}, sipPW))
	if a.SIPA1Hash != dialer.SIPA1("1001", "pbx.example.com", sipPW) || len(a.SIPA1Hash) != 32 {
		t.Fatalf("a1 = %q", a.SIPA1Hash)
	}
	if len(a.Skills) != 2 || a.Skills[0] != "sales" || len(a.Campaigns) != 2 || a.Campaigns[0] != c1.ID {
		t.Fatalf("links: %+v", a)
	}
	p := a.Profile()
	if p.Mode != dialer.ModePersistent || len(p.Tags) != 4 || p.Tags[0] != "skill:sales" || p.Tags[2] != dialer.CampaignTag(c1.ID) {
		t.Fatalf("profile %+v", p)
	}
	for _, get := range []func() (dialer.Agent, error){
		func() (dialer.Agent, error) { return s.Agent(ctx, a.ID) },
		func() (dialer.Agent, error) { return s.AgentByExtension(ctx, "1001") },
		func() (dialer.Agent, error) { return s.AgentByUser(ctx, u.ID) },
	} {
		if g := must[dialer.Agent](t)(get()); g.ID != a.ID || len(g.Skills) != 2 || len(g.Campaigns) != 2 {
			t.Fatalf("lookup: %+v", g)
		}
	}
	_, err := s.CreateAgent(ctx, dialer.Agent{Name: "Dup", Extension: "1001", Realm: "pbx.example.com", Mode: dialer.ModeRing}, sipPW)
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.CreateAgent(ctx, dialer.Agent{User: u.ID, Name: "Second seat", Extension: "1002", Realm: "pbx.example.com", Mode: dialer.ModeRing}, sipPW)
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.CreateAgent(ctx, dialer.Agent{Name: "X", Extension: "10a", Realm: "pbx.example.com", Mode: dialer.ModeRing}, sipPW)
	wantField(t, err, "extension")
	_, err = s.CreateAgent(ctx, dialer.Agent{Name: "X", Extension: "1003", Realm: "pbx.example.com", Mode: dialer.ModeRing, Campaigns: []dialer.CampaignID{99}}, sipPW)
	wantErr(t, err, dialer.ErrInvalid)
	if count(t, s, "agents") != 1 {
		t.Fatal("failed create left a row")
	}

	// The A1 hash covers extension and realm: changing them needs the password.
	a.Extension = "2001"
	_, err = s.UpdateAgent(ctx, a, "")
	wantField(t, err, "sip_password")
	a.Skills, a.Campaigns = []string{"french"}, nil
	a = must[dialer.Agent](t)(s.UpdateAgent(ctx, a, "new-sip-pw-123"))
	if a.SIPA1Hash != dialer.SIPA1("2001", "pbx.example.com", "new-sip-pw-123") || len(a.Skills) != 1 || len(a.Campaigns) != 0 {
		t.Fatalf("update: %+v", a)
	}
	a.Name = "Ann B."
	hash := a.SIPA1Hash
	a = must[dialer.Agent](t)(s.UpdateAgent(ctx, a, ""))
	if a.SIPA1Hash != hash || a.Name != "Ann B." {
		t.Fatalf("update keeping password: %+v", a)
	}

	// Deleting the login keeps the seat.
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if g := must[dialer.Agent](t)(s.Agent(ctx, a.ID)); g.User != 0 {
		t.Fatalf("user not unset: %+v", g)
	}
	if l := must[[]dialer.Agent](t)(s.ListAgents(ctx)); len(l) != 1 || l[0].Skills[0] != "french" {
		t.Fatalf("list: %+v", l)
	}
	if err := s.DeleteAgent(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if count(t, s, "agent_skills") != 0 {
		t.Fatal("skills not cascaded")
	}

	// No SIP or login password reaches the database files.
	s.Close()
	for _, pw := range []string{sipPW, "new-sip-pw-123", "ann's login pw"} {
		assertNotInFiles(t, s, pw)
	}
}

// assertNotInFiles greps the database and its WAL for a secret.
func assertNotInFiles(t *testing.T, s *Store, secret string) {
	t.Helper()
	for _, p := range []string{s.file, s.file + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("%s contains %q", filepath.Base(p), secret)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	k, secret, err := s.CreateAPIKey(ctx, "crm", identity.RoleSupervisor, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != keyLen || secret[:keyPrefixLen] != k.Prefix || k.Role != identity.RoleSupervisor {
		t.Fatalf("key %+v secret %q", k, secret)
	}
	var stored string
	s.r.QueryRowContext(ctx, `SELECT hash FROM api_keys WHERE id = ?`, k.ID).Scan(&stored)
	if stored == secret || stored != hashKey(secret) {
		t.Fatal("stored value is not the hash")
	}
	got, err := s.VerifyAPIKey(ctx, secret, t0.Add(time.Second))
	if err != nil || got.ID != k.ID || !got.LastUsedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("verify: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "ask_", secret[:len(secret)-1] + "x", "xxx" + secret[3:], secret + "a"} {
		_, err := s.VerifyAPIKey(ctx, bad, t0)
		wantErr(t, err, identity.ErrBadCredentials)
	}
	wantErr(t, s.RevokeAPIKey(ctx, k.ID, t0.Add(time.Hour)), nil)
	_, err = s.VerifyAPIKey(ctx, secret, t0.Add(2*time.Hour))
	wantErr(t, err, identity.ErrDisabled)
	wantErr(t, s.RevokeAPIKey(ctx, k.ID, t0.Add(3*time.Hour)), nil)
	l := must[[]identity.APIKey](t)(s.ListAPIKeys(ctx))
	if len(l) != 1 || !l[0].RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("list: %+v", l)
	}
	wantErr(t, s.RevokeAPIKey(ctx, 999, t0), dialer.ErrNotFound)

	_, secret2, err := s.CreateAPIKey(ctx, "short-lived", identity.RoleAgent, 0, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyAPIKey(ctx, secret2, t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifyAPIKey(ctx, secret2, t0.Add(time.Minute))
	wantErr(t, err, identity.ErrDisabled)
	_, _, err = s.CreateAPIKey(ctx, "", identity.RoleAgent, 0, time.Time{})
	wantField(t, err, "name")
	_, _, err = s.CreateAPIKey(ctx, "x", "god", 0, time.Time{})
	wantField(t, err, "role")
	assertNotInFiles(t, s, secret)
}

// TestAPIKeysOfUser: a key stops with its user (disabled: until enabled
// again; deleted: for good).
func TestAPIKeysOfUser(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "ops", Role: identity.RoleAdmin}, "password-123"))
	k, secret, err := s.CreateAPIKey(ctx, "ops", identity.RoleAdmin, u.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	u = must[identity.User](t)(s.UpdateUser(ctx, u))
	_, err = s.VerifyAPIKey(ctx, secret, t0)
	wantErr(t, err, identity.ErrDisabled)
	u.Disabled = false
	u = must[identity.User](t)(s.UpdateUser(ctx, u))
	if _, err := s.VerifyAPIKey(ctx, secret, t0); err != nil {
		t.Fatal(err)
	}
	// Demoted: the key acts with the owner's new role, and gets its own
	// back when the owner does.
	for _, c := range []struct{ owner, want identity.Role }{
		{identity.RoleSupervisor, identity.RoleSupervisor},
		{identity.RoleAgent, identity.RoleAgent},
		{identity.RoleAdmin, identity.RoleAdmin},
	} {
		u.Role = c.owner
		u = must[identity.User](t)(s.UpdateUser(ctx, u))
		got := must[identity.APIKey](t)(s.VerifyAPIKey(ctx, secret, t0))
		if got.Role != c.want {
			t.Fatalf("owner %s: key acts as %s, want %s", c.owner, got.Role, c.want)
		}
	}
	sup, supSecret, err := s.CreateAPIKey(ctx, "ops-read", identity.RoleSupervisor, u.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := must[identity.APIKey](t)(s.VerifyAPIKey(ctx, supSecret, t0)); got.Role != identity.RoleSupervisor {
		t.Fatalf("a supervisor key of an admin acts as %s", got.Role)
	}
	wantErr(t, s.RevokeAPIKey(ctx, sup.ID, t0), nil)
	wantErr(t, s.DeleteUser(ctx, u.ID), nil)
	_, err = s.VerifyAPIKey(ctx, secret, t0)
	wantErr(t, err, identity.ErrDisabled)
	l := must[[]identity.APIKey](t)(s.ListAPIKeys(ctx))
	if len(l) != 2 || l[0].ID != k.ID || l[0].RevokedAt.IsZero() {
		t.Fatalf("list: %+v", l)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i, action := range []string{"user.create", "agent.update", "apikey.revoke"} {
		e := must[dialer.AuditEntry](t)(s.AppendAudit(ctx, dialer.AuditEntry{
			At: t0.Add(time.Duration(i) * time.Second), Actor: "user:1", Action: action, Target: "x", Data: []byte(`{"n":1}`),
		}))
		if e.ID != int64(i+1) {
			t.Fatalf("%+v", e)
		}
	}
	l := must[[]dialer.AuditEntry](t)(s.ListAudit(ctx, dialer.AuditFilter{Limit: 2}))
	if len(l) != 2 || l[0].Action != "apikey.revoke" || string(l[0].Data) != `{"n":1}` {
		t.Fatalf("list: %+v", l)
	}
	if l = must[[]dialer.AuditEntry](t)(s.ListAudit(ctx, dialer.AuditFilter{BeforeID: l[1].ID, Limit: 10})); len(l) != 1 || l[0].Action != "user.create" {
		t.Fatalf("page 2: %+v", l)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE audit_log SET actor = 'mallory'`)
	wantErr(t, mapErr(err, "raw", false), dialer.ErrConflict)
	_, err = s.w.ExecContext(ctx, `DELETE FROM audit_log`)
	if err == nil {
		t.Fatal("audit log deletable")
	}
	_, err = s.AppendAudit(ctx, dialer.AuditEntry{Actor: "user:1", Action: "Bad Action"})
	wantField(t, err, "action")
	_, err = s.AppendAudit(ctx, dialer.AuditEntry{Actor: "user:1", Action: "x", Data: []byte("{")})
	wantField(t, err, "data")
}

// TestAuditFilters: the role and address round-trip; the action prefix
// is a range that stops at the dot; the filters are served by indexes.
func TestAuditFilters(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for i, a := range []string{"queue", "queue.create", "queue.members", "queue-x.y", "queuex.z", "queue0"} {
		must[dialer.AuditEntry](t)(s.AppendAudit(ctx, dialer.AuditEntry{
			At: t0.Add(time.Duration(i) * time.Second), Actor: "user:1", Role: identity.RoleSupervisor, Remote: "203.0.113.9", Action: a,
		}))
	}
	l := must[[]dialer.AuditEntry](t)(s.ListAudit(ctx, dialer.AuditFilter{Action: "queue."}))
	if len(l) != 2 || l[0].Action != "queue.members" || l[1].Action != "queue.create" {
		t.Fatalf("prefix: %+v", l)
	}
	if l[0].Role != identity.RoleSupervisor || l[0].Remote != "203.0.113.9" {
		t.Fatalf("role and address: %+v", l[0])
	}
	if l = must[[]dialer.AuditEntry](t)(s.ListAudit(ctx, dialer.AuditFilter{Action: "queue", Since: t0, Until: t0.Add(time.Second)})); len(l) != 1 {
		t.Fatalf("exact with times: %+v", l)
	}
	_, err := s.AppendAudit(ctx, dialer.AuditEntry{Actor: "user:1", Action: "x", Role: "root"})
	wantField(t, err, "role")
	for _, c := range []struct{ where, index string }{
		{"actor = 'user:1'", "audit_log_actor"},
		{"action >= 'queue.' AND action < 'queue/'", "audit_log_action"},
		{"target = 'queue:1'", "audit_log_target"},
	} {
		var plan strings.Builder
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE "+c.where+" ORDER BY id DESC LIMIT 10")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "; ")
		}
		rows.Close()
		if !strings.Contains(plan.String(), c.index) {
			t.Errorf("%s: plan %q does not use %s", c.where, plan.String(), c.index)
		}
	}
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Open(t.Context(), "var/x.db", Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a file in a directory that does not exist")
	}
	if err := os.Mkdir("var", 0o755); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), "var/x.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("var/x.db"); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateRebuildsCallsKeepingReferences: 0007 rebuilds the calls table
// (its outcome check takes transfer_failed) with foreign keys off. A
// database at 0006 with calls, legs, a timeline and a callback keeps them
// all, still referencing their calls, and has foreign keys on afterwards.
func TestMigrateRebuildsCallsKeepingReferences(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "as.db"))
	if _, err := s.migrate(ctx, 6); err != nil {
		t.Fatal(err)
	}
	// Raw SQL: the store's campaign and lead columns are those of the
	// latest schema.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO campaigns (id, name, dial_mode, created_at, updated_at) VALUES (1, 'Old', 'preview', 0, 0);
		INSERT INTO leads (id, campaign_id, phone, created_at, updated_at) VALUES (1, 1, '+33612345678', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	camp := dialer.Campaign{ID: 1}
	lead := dialer.Lead{ID: 1, Campaign: camp.ID, Phone: "+33612345678"}
	leg := dialer.NewLegID()
	c := must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer,
		Campaign: camp.ID, Lead: lead.ID, ToNumber: lead.Phone, CreatedAt: t0},
		dialer.CallLeg{ID: leg, Role: dialer.LegLead, Endpoint: "sofia/gateway/carrier/+33612345678", CreatedAt: t0}))
	if err := s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(time.Second), Kind: "answered", Leg: leg,
		State: dialer.CallAnswered, LegAnswered: true}); err != nil {
		t.Fatal(err)
	}
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(time.Minute), HangupCause: "NORMAL_CLEARING",
		Outcome: dialer.OutcomeAbandoned, SwitchLost: true}))
	var cb dialer.Callback
	if err := s.w.QueryRowContext(ctx, `INSERT INTO callbacks (lead_id, campaign_id, call_id, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 0, 0) RETURNING id`, lead.ID, camp.ID, string(c.ID), t0.Add(time.Hour).UnixMilli()).Scan(&cb.ID); err != nil {
		t.Fatal(err)
	}
	legsBefore := count(t, s, "call_legs")
	eventsBefore := count(t, s, "call_events")

	applied, err := s.migrate(ctx, 7)
	if err != nil || len(applied) != 1 || applied[0] != "0007_transfer_failed_outcome.sql" {
		t.Fatalf("migrate to 0007: %v, %v", applied, err)
	}
	if got := must[dialer.Call](t)(s.Call(ctx, c.ID)); got.Outcome != dialer.OutcomeAbandoned || !got.SwitchLost || got.Lead != lead.ID {
		t.Fatalf("call after the rebuild %+v", got)
	}
	if n := count(t, s, "call_legs"); n != legsBefore || n == 0 {
		t.Fatalf("%d legs after the rebuild, %d before", n, legsBefore)
	}
	if n := count(t, s, "call_events"); n != eventsBefore || n == 0 {
		t.Fatalf("%d events after the rebuild, %d before", n, eventsBefore)
	}
	if got := must[dialer.Callback](t)(s.Callback(ctx, cb.ID)); got.Call != c.ID {
		t.Fatalf("callback after the rebuild %+v", got)
	}
	var fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys %d after the migration (%v)", fk, err)
	}
	var idx int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'calls' AND name LIKE 'calls_%'`).Scan(&idx); err != nil || idx != 5 {
		t.Fatalf("%d indexes on calls (%v)", idx, err)
	}
	// References still hold: a leg of an unknown call is refused, and
	// deleting the call cascades to its legs and timeline.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO call_legs (id, call_id, role, endpoint, created_at) VALUES (?, ?, 'lead', 'x', 0)`,
		string(dialer.NewLegID()), string(dialer.NewCallID())); err == nil {
		t.Fatal("a leg of no call was accepted")
	}
	// The new outcome is accepted.
	c2 := must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginAPI,
		Campaign: camp.ID, Lead: lead.ID, ToNumber: lead.Phone, CreatedAt: t0}))
	if got := must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c2.ID, At: t0.Add(time.Minute), HangupCause: "NORMAL_CLEARING",
		Outcome: dialer.OutcomeTransferFailed})); got.Outcome != dialer.OutcomeTransferFailed {
		t.Fatalf("transfer_failed call %+v", got)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM calls WHERE id = ?`, string(c.ID)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "call_legs"); n != legsBefore-1 {
		t.Fatalf("%d legs after deleting a call, want %d", n, legsBefore-1)
	}
}
