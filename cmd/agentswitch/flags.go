package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// helpRequest is -h or -help on a command: its usage goes to standard
// output and the command succeeds.
type helpRequest struct{ usage string }

func (h *helpRequest) Error() string { return "help requested" }

// isHelp reports whether arg asks for help where a subcommand is expected.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// newFlagSet is a command's flag set whose usage starts with header.
func newFlagSet(name, header string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), header)
		if hasFlags(fs) {
			fmt.Fprint(fs.Output(), "\nflags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args. -h comes back as a *helpRequest with the usage;
// any other problem as one line rather than the whole usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(io.Discard)
	if errors.Is(err, flag.ErrHelp) {
		return &helpRequest{usage: buf.String()}
	}
	if err != nil {
		return fmt.Errorf("%s: %v (agentswitch %s -h lists the flags)", fs.Name(), err, fs.Name())
	}
	return nil
}

// dbFlags adds -var-dir and -db to a command that only needs the
// database, with serve's defaults and variables; the returned function
// gives the database's absolute path after parsing.
func dbFlags(fs *flag.FlagSet, getenv func(string) string) func() string {
	varDir := fs.String("var-dir", envOr(getenv, "AGENTSWITCH_VAR_DIR", "var"), "directory of the database when -db is not given [AGENTSWITCH_VAR_DIR]")
	db := fs.String("db", getenv("AGENTSWITCH_DB"), "SQLite database file (default <var-dir>/agentswitch.db) [AGENTSWITCH_DB]")
	return func() string {
		p := *db
		if p == "" {
			p = filepath.Join(*varDir, "agentswitch.db")
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p
	}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// dbVars names where the database path comes from, for error messages.
const dbVars = "AGENTSWITCH_DB or AGENTSWITCH_VAR_DIR (-db, -var-dir)"

// prepareDB creates the database's directory and checks that the database
// can be written there before SQLite opens it: SQLite reports a read-only
// directory as "unable to open database file: no such file or directory".
func prepareDB(path string) error {
	if err := writableDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("database %s: %w; set %s to a writable place", path, err, dbVars)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("database %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("database %s: is a directory; set %s to a file", path, dbVars)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("database %s: cannot be written (%v); set %s to a writable file", path, reason(err), dbVars)
	}
	return f.Close()
}

// writableDir creates dir if needed and proves it writable by creating a
// file in it. Asking the file system beats reading mode bits: root, ACLs
// and read-only mounts all answer for themselves.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("cannot create directory %s (%v)", dir, reason(err))
	}
	f, err := os.CreateTemp(dir, ".agentswitch-probe-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable (%v)", dir, reason(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// reason is the system's word for err ("permission denied") without the
// operation and path, which the caller names.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
