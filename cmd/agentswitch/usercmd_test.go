package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
)

func TestUserAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "as.db")
	env := map[string]string{"AGENTSWITCH_DB": db}
	getenv := func(k string) string { return env[k] }
	run := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := runUser(args, getenv, strings.NewReader(stdin), &out, &errb)
		return out.String() + errb.String(), err
	}

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

	st, err := sqlitestore.Open(context.Background(), db, sqlitestore.Options{})
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
	if entries, _ := st.ListAudit(ctx, 0, 10); len(entries) != 2 || entries[0].Action != "user.create" {
		t.Fatalf("audit %v", entries)
	}
}
