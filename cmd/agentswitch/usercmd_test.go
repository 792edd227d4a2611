package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// TestMain fails the tests if goroutines outlive them: serve must stop
// everything it started.
func TestMain(m *testing.M) {
	bcryptCost = bcrypt.MinCost
	goleak.VerifyTestMain(m)
}

// userCommand runs `agentswitch user` on a fresh database, with env as
// its environment, and returns what it printed.
func userCommand(t *testing.T) (db string, env map[string]string, run func(stdin string, args ...string) (string, error)) {
	db = filepath.Join(t.TempDir(), "as.db")
	env = map[string]string{"AGENTSWITCH_DB": db}
	getenv := func(k string) string { return env[k] }
	run = func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := runUser(args, getenv, strings.NewReader(stdin), &out, &errb)
		return out.String() + errb.String(), err
	}
	return db, env, run
}

func TestUserAdd(t *testing.T) {
	db, env, run := userCommand(t)

	// The password from standard input.
	out, err := run("s3cret-pass\n", "add", "-username", "root", "-role", "admin")
	if err != nil || !strings.Contains(out, "created user root (admin)") {
		t.Fatalf("%v: %s", err, out)
	}
	// From the environment, with a seat and a generated SIP password.
	env["AGENTSWITCH_NEW_PASSWORD"] = "agent-pass-1"
	out, err = run("", "add", "-username", "ann", "-role", "agent", "-display-name", "Ann", "-agent-extension", "1001", "-external-phone", "+12125550100")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`SIP password \(shown once\): ([0-9a-f]{32})`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "extension 1001@agentswitch") {
		t.Fatalf("output %s", out)
	}

	// Refusals write nothing.
	for _, c := range []struct {
		stdin string
		env   string
		args  []string
		want  string
	}{
		{"", "short", []string{"add", "-username", "bob", "-role", "agent"}, "8-72 bytes"},
		{"", "agent-pass-1", []string{"add", "-username", "bob", "-role", "root"}, "role"},
		{"", "agent-pass-1", []string{"add", "-username", "b o b", "-role", "agent"}, "username"},
		{"", "agent-pass-1", []string{"add", "-username", "ann", "-role", "agent"}, "already exists"},
		{"", "agent-pass-1", []string{"add", "-username", "bob", "-role", "agent", "-agent-extension", "10a1"}, "extension"},
		{"", "agent-pass-1", []string{"add", "-username", "bob", "-role", "agent", "-agent-extension", "1001"}, "taken"},
		{"", "agent-pass-1", []string{"add", "-username", "bob", "-role", "agent", "-agent-extension", "1002", "-external-phone", "2125550100"}, "external_phone"},
		{"", "agent-pass-1", []string{"add", "-username", "bob", "-role", "agent", "-password", "x"}, ""},
		{"", "agent-pass-1", []string{"remove", "-username", "bob"}, ""},
	} {
		env["AGENTSWITCH_NEW_PASSWORD"] = c.env
		out, err := run(c.stdin, c.args...)
		if err == nil || !strings.Contains(out+err.Error(), c.want) {
			t.Errorf("%v: %v %s", c.args, err, out)
		}
	}

	st, err := sqlitestore.Open(context.Background(), db, sqlitestore.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	users, _ := st.ListUsers(ctx)
	if len(users) != 2 {
		t.Fatalf("users %v", users)
	}
	if _, err := st.Authenticate(ctx, "root", "s3cret-pass"); err != nil {
		t.Fatal(err)
	}
	ann, err := st.Authenticate(ctx, "ann", "agent-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	seat, err := st.AgentByUser(ctx, ann.ID)
	if err != nil || seat.Extension != "1001" || seat.SIPA1Hash != dialer.SIPA1("1001", "agentswitch", m[1]) || seat.ExternalPhone != "+12125550100" {
		t.Fatalf("seat %+v %v", seat, err)
	}
	if _, err := st.UserByUsername(ctx, "bob"); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("bob was half-created: %v", err)
	}
	if entries, _ := st.ListAudit(ctx, dialer.AuditFilter{Limit: 10}); len(entries) != 2 || entries[0].Action != "user.create" {
		t.Fatalf("audit %v", entries)
	}
}

func TestUserPasswd(t *testing.T) {
	db, env, run := userCommand(t)
	ctx := context.Background()

	// No database yet: an error, and no empty database left behind.
	if out, err := run("new-pass-12\n", "passwd", "admin"); err == nil || !strings.Contains(err.Error(), "no database at "+db) {
		t.Fatalf("no database: %v %s", err, out)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("passwd created %s: %v", db, err)
	}

	if out, err := run("old-pass-12\n", "add", "-username", "admin", "-role", "admin"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.Authenticate(ctx, "admin", "old-pass-12")
	if err != nil {
		t.Fatal(err)
	}
	now := clock.System()() // the store's clock
	_, token, err := st.CreateWebSession(ctx, identity.NewWebSession{User: u.ID, At: now, Idle: time.Hour, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	// Refusals change nothing.
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"new-pass-12\n", []string{"passwd", "nobody"}, `no user "nobody"`},
		{"short\n", []string{"passwd", "admin"}, "8-72 bytes"},
		{"", []string{"passwd", "admin"}, "8-72 bytes"},
		{"new-pass-12\n", []string{"passwd"}, "one user name"},
		{"new-pass-12\n", []string{"passwd", "admin", "bob"}, "one user name"},
		{"new-pass-12\n", []string{"passwd", "-password", "x", "admin"}, "not defined"},
	} {
		if out, err := run(c.stdin, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v %s", c.args, err, out)
		}
	}
	if _, err := st.Authenticate(ctx, "admin", "old-pass-12"); err != nil {
		t.Fatalf("a refused passwd changed the password: %v", err)
	}

	// From standard input, the flag after the name.
	out, err := run("new-pass-12\n", "passwd", "admin", "-db", db)
	if err != nil || !strings.Contains(out, "password of user admin (admin) changed; 1 web session(s) ended") {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := st.Authenticate(ctx, "admin", "old-pass-12"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("the old password still works: %v", err)
	}
	if _, err := st.Authenticate(ctx, "admin", "new-pass-12"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if _, err := st.LookupWebSession(ctx, token, now); err == nil {
		t.Fatal("the session of the old password lives on")
	}

	// From the environment.
	env["AGENTSWITCH_NEW_PASSWORD"] = "env-pass-123"
	if out, err := run("", "passwd", "admin"); err != nil || !strings.Contains(out, "0 web session(s) ended") {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := st.Authenticate(ctx, "admin", "env-pass-123"); err != nil {
		t.Fatal(err)
	}
	entries, _ := st.ListAudit(ctx, dialer.AuditFilter{Limit: 10})
	if len(entries) != 3 || entries[0].Action != "user.update" || entries[0].Actor != "cli" {
		t.Fatalf("audit %+v", entries)
	}
}
