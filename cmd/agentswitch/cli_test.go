package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runCLI runs the command line in process.
func runCLI(env map[string]string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelp(t *testing.T) {
	secret := "do-not-print-me-1234"
	env := map[string]string{"AGENTSWITCH_ESL_PASSWORD": secret, "AGENTSWITCH_XML_CURL_SECRET": secret, "AGENTSWITCH_PHONE_PASSWORD": secret}
	for _, c := range []struct {
		args []string
		want []string // in the usage
		not  []string // never in it
	}{
		{[]string{"-h"}, []string{"usage: agentswitch <command>", "serve ", "sim ", "migrate ", "user ", "phone ", "simulate ", "version "}, nil},
		{[]string{"--help"}, []string{"usage: agentswitch <command>", "user ", "phone "}, nil},
		{[]string{"help"}, []string{"usage: agentswitch <command>"}, nil},
		{[]string{"serve", "-h"}, []string{"usage: agentswitch serve", "-http-addr", "[AGENTSWITCH_HTTP_ADDR]", "-esl-password"}, []string{secret}},
		{[]string{"serve", "--help"}, []string{"usage: agentswitch serve"}, nil},
		{[]string{"serve", "-log-level", "debug", "-h"}, []string{"usage: agentswitch serve"}, nil},
		{[]string{"sim", "-h"}, []string{"usage: agentswitch sim", "-answer-delay"}, []string{secret}},
		{[]string{"migrate", "-h"}, []string{"usage: agentswitch migrate", "-db", "[AGENTSWITCH_DB]", "-var-dir"}, []string{"-esl-addr", "-http-addr", "-log-format"}},
		{[]string{"user", "-h"}, []string{"usage: agentswitch user add", "agentswitch user passwd"}, nil},
		{[]string{"user", "add", "-h"}, []string{"usage: agentswitch user add", "-agent-extension", "-db"}, nil},
		{[]string{"user", "passwd", "-h"}, []string{"usage: agentswitch user passwd", "AGENTSWITCH_NEW_PASSWORD", "-db"}, []string{"-role"}},
		{[]string{"phone", "-h"}, []string{"usage: agentswitch phone agent|lead"}, nil},
		{[]string{"phone", "agent", "-h"}, []string{"usage: agentswitch phone agent", "-registrar"}, []string{secret}},
		{[]string{"phone", "lead", "-h"}, []string{"usage: agentswitch phone lead", "-outcome"}, []string{"-registrar"}},
		{[]string{"version", "-h"}, []string{"usage: agentswitch version"}, nil},
		{[]string{"simulate", "-h"}, []string{"usage: agentswitch simulate", "-campaigns", "-step-at", "-plot"}, nil},
	} {
		out, errOut, err := runCLI(env, c.args...)
		if err != nil || errOut != "" {
			t.Errorf("%v: err %v, stderr %q", c.args, err, errOut)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: usage lacks %q:\n%s", c.args, w, out)
			}
		}
		for _, n := range append(c.not, "Usage of", "help requested") {
			if strings.Contains(out, n) {
				t.Errorf("%v: usage has %q:\n%s", c.args, n, out)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error or on stderr
	}{
		{nil, "usage: agentswitch <command>"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"serve", "-bogus"}, "serve: flag provided but not defined: -bogus (agentswitch serve -h lists the flags)"},
		{[]string{"serve", "extra"}, "serve: unexpected arguments: extra"},
		{[]string{"migrate", "-http-addr", "x"}, "migrate: flag provided but not defined: -http-addr"},
		{[]string{"sim", "-heartbeat", "soon"}, `sim: invalid value "soon" for flag -heartbeat`},
		{[]string{"user"}, "usage: agentswitch user add"},
		{[]string{"user", "remove"}, "usage: agentswitch user add"},
		{[]string{"phone"}, "usage: agentswitch phone"},
		{[]string{"version", "x"}, "version: unexpected arguments: x"},
	} {
		out, errOut, err := runCLI(nil, c.args...)
		if err == nil {
			t.Errorf("%v: accepted; stdout %q", c.args, out)
			continue
		}
		if !strings.Contains(err.Error()+errOut, c.want) {
			t.Errorf("%v: want %q in %v / %q", c.args, c.want, err, errOut)
		}
	}
}

// TestDatabaseNotWritable: a database that cannot be written is reported
// with its path, the settings behind it and the system's reason, before
// SQLite reports it as "no such file or directory".
func TestDatabaseNotWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A path under a regular file cannot be created, even by root.
	underFile := filepath.Join(file, "sub", "agentswitch.db")
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"migrate -db", []string{"migrate", "-db", underFile}, nil,
			[]string{"database " + underFile, "not a directory", "AGENTSWITCH_DB", "AGENTSWITCH_VAR_DIR"}},
		{"migrate AGENTSWITCH_VAR_DIR", []string{"migrate"}, map[string]string{"AGENTSWITCH_VAR_DIR": filepath.Join(file, "var")},
			[]string{"database " + filepath.Join(file, "var", "agentswitch.db"), "not a directory", "AGENTSWITCH_VAR_DIR"}},
		{"user add", []string{"user", "add", "-username", "bob", "-role", "admin", "-db", underFile}, map[string]string{"AGENTSWITCH_NEW_PASSWORD": "bob-pass-123"},
			[]string{"database " + underFile, "not a directory", "AGENTSWITCH_DB"}},
		{"migrate a directory", []string{"migrate", "-db", dir}, nil, []string{"database " + dir, "is a directory"}},
		{"serve", []string{"serve", "-http-addr", "127.0.0.1:0", "-var-dir", filepath.Join(file, "var")}, nil,
			[]string{"AGENTSWITCH_VAR_DIR", filepath.Join(file, "var"), "not a directory"}},
		{"serve -db", []string{"serve", "-http-addr", "127.0.0.1:0", "-var-dir", filepath.Join(dir, "var"), "-redis-url", "redis://127.0.0.1:1", "-db", underFile}, nil,
			[]string{"database " + underFile, "not a directory", "AGENTSWITCH_DB"}},
	} {
		_, _, err := runCLI(c.env, c.args...)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q not in: %v", c.name, w, err)
			}
		}
	}
}

// TestDatabaseDirReadOnly: a directory the service's user may not write.
// Root writes to any directory, so as root the command runs in a child
// process as the user nobody.
func TestDatabaseDirReadOnly(t *testing.T) {
	base, err := os.MkdirTemp("", "agentswitch-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(base, "ro"), 0o755); os.RemoveAll(base) })
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(ro, "agentswitch.db")
	var msg string
	if os.Geteuid() != 0 {
		_, _, err := runCLI(nil, "migrate", "-db", db)
		if err == nil {
			t.Fatal("migrate into a read-only directory succeeded")
		}
		msg = err.Error()
	} else {
		msg = readOnlyChild(t, base, db)
	}
	for _, w := range []string{"database " + db, "directory " + ro + " is not writable", "permission denied", "AGENTSWITCH_DB", "AGENTSWITCH_VAR_DIR"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q not in: %s", w, msg)
		}
	}
	if strings.Contains(msg, "no such file") {
		t.Errorf("SQLite's misleading error: %s", msg)
	}
}

// readOnlyChild runs `migrate -db db` as nobody in a copy of the test
// binary under base (the build's own directory is root's alone) and
// returns what it printed.
func readOnlyChild(t *testing.T, base, db string) string {
	t.Helper()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "agentswitch.test")
	if err := copyFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyChild$", "-test.v")
	cmd.Dir = base
	cmd.Env = []string{"AGENTSWITCH_TEST_READONLY_DB=" + db, "HOME=" + base, "TMPDIR=" + base}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil && errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot run a child as nobody: %v", err)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "READONLY-RESULT:") {
		t.Fatalf("child printed no result:\n%s", out)
	}
	return string(out)
}

// TestReadOnlyChild is the child of TestDatabaseDirReadOnly.
func TestReadOnlyChild(t *testing.T) {
	db := os.Getenv("AGENTSWITCH_TEST_READONLY_DB")
	if db == "" {
		t.Skip("only as the child of TestDatabaseDirReadOnly")
	}
	if _, err := os.Stat(filepath.Dir(db)); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(nil, "migrate", "-db", db)
	if err == nil {
		t.Fatal("migrate into a read-only directory succeeded")
	}
	t.Logf("READONLY-RESULT: %v", err)
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
