package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/identity"
)

const userUsage = `usage: agentswitch user add -username NAME -role admin|supervisor|agent [flags]
       agentswitch user passwd [flags] NAME

  add      create a user, with an agent seat if asked
  passwd   set a user's password and end its web sessions (a way back in
           for an admin whose password is lost)

The password is read from AGENTSWITCH_NEW_PASSWORD, else from the first line
of standard input; it is never a flag (flags show in the process list and the
shell history). agentswitch user add -h and user passwd -h list the flags.
`

const userAddUsage = `usage: agentswitch user add -username NAME -role admin|supervisor|agent [flags]

The password is read from AGENTSWITCH_NEW_PASSWORD, else from the first line
of standard input; it is never a flag (flags show in the process list and the
shell history). With -agent-extension the user also gets an agent seat whose
SIP password is read from AGENTSWITCH_NEW_SIP_PASSWORD, else generated and
printed once.
`

const userPasswdUsage = `usage: agentswitch user passwd [flags] NAME

Sets the password of user NAME and ends its web sessions. The new password is
read from AGENTSWITCH_NEW_PASSWORD, else from the first line of standard
input. It works beside a running service.
`

// bcryptCost of passwords set here; 0 is the store's default. Tests lower
// it: bcrypt at full cost takes seconds under the race detector.
var bcryptCost int

// runUser manages users from the command line, for the first admin on a
// server without a browser, for an admin locked out, or for scripts.
func runUser(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && isHelp(args[0]):
		return &helpRequest{usage: userUsage}
	case len(args) > 0 && args[0] == "add":
		return userAdd(args[1:], getenv, stdin, stdout, stderr)
	case len(args) > 0 && args[0] == "passwd":
		return userPasswd(args[1:], getenv, stdin, stdout, stderr)
	}
	fmt.Fprint(stderr, userUsage)
	return errUsage
}

// newPassword reads a new password from AGENTSWITCH_NEW_PASSWORD or the
// first line of stdin, and checks it.
func newPassword(cmd string, getenv func(string) string, stdin io.Reader) (string, error) {
	password := getenv("AGENTSWITCH_NEW_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("%s: read the password: %w", cmd, err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if err := identity.ValidatePassword("password", password); err != nil {
		return "", fmt.Errorf("%s: the password (AGENTSWITCH_NEW_PASSWORD or standard input) must be 8-72 bytes", cmd)
	}
	return password, nil
}

func userAdd(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("user add", userAddUsage)
	dbPath := dbFlags(fs, getenv)
	username := fs.String("username", "", "login name (required)")
	roleFlag := fs.String("role", "", "admin, supervisor or agent (required)")
	display := fs.String("display-name", "", "name shown in the UI")
	ext := fs.String("agent-extension", "", "also create an agent seat with this SIP extension (2-10 digits)")
	agentName := fs.String("agent-name", "", "the seat's name (default: display name, else username)")
	phone := fs.String("external-phone", "", "the seat's external phone, E.164 (+12125550100)")
	mode := fs.String("agent-mode", "ring", "ring or persistent")
	realm := fs.String("realm", "agentswitch", "SIP digest realm of the seat")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("user add: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	// Check everything before touching the database.
	role, err := identity.ParseRole(*roleFlag)
	if err != nil {
		return fmt.Errorf("user add: -role: %w", err)
	}
	u := identity.User{Username: *username, DisplayName: *display, Role: role}
	if err := u.Validate(); err != nil {
		return fmt.Errorf("user add: -%s", strings.Replace(err.Error(), "invalid ", "", 1))
	}
	password, err := newPassword("user add", getenv, stdin)
	if err != nil {
		return err
	}
	var seat *dialer.Agent
	sipPassword, sipGenerated := "", false
	if *ext != "" {
		name := *agentName
		if name == "" {
			name = *display
		}
		if name == "" {
			name = *username
		}
		seat = &dialer.Agent{Name: name, Extension: *ext, Realm: *realm, ExternalPhone: *phone,
			Mode: dialer.AgentMode(*mode), Skills: []string{}, Campaigns: []dialer.CampaignID{}}
		if err := seat.Validate(); err != nil {
			return fmt.Errorf("user add: agent seat: %w", err)
		}
		sipPassword = getenv("AGENTSWITCH_NEW_SIP_PASSWORD")
		if sipPassword == "" {
			sipPassword, sipGenerated = randomSecret(), true
		}
		if err := identity.ValidatePassword("sip_password", sipPassword); err != nil {
			return fmt.Errorf("user add: AGENTSWITCH_NEW_SIP_PASSWORD must be 8-72 bytes")
		}
	} else if *phone != "" || *agentName != "" {
		return errors.New("user add: -external-phone and -agent-name need -agent-extension")
	}

	ctx := context.Background()
	st, err := openUserDB(ctx, "user add", dbPath())
	if err != nil {
		return err
	}
	defer st.Close()
	created, err := st.CreateUser(ctx, u, password)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return fmt.Errorf("user add: user %q already exists", *username)
		}
		return fmt.Errorf("user add: %w", err)
	}
	audit := dialer.AuditEntry{Actor: "cli", Action: "user.create", Target: "user:" + created.ID.String(),
		Data: []byte(fmt.Sprintf(`{"username":%q,"role":%q}`, created.Username, created.Role))}
	fmt.Fprintf(stdout, "created user %s (%s), id %d\n", created.Username, created.Role, created.ID)
	if seat != nil {
		seat.User = created.ID
		a, err := st.CreateAgent(ctx, *seat, sipPassword)
		if err != nil {
			// No user without the seat that was asked for.
			if derr := st.DeleteUser(ctx, created.ID); derr != nil {
				err = errors.Join(err, derr)
			}
			if errors.Is(err, dialer.ErrConflict) {
				return fmt.Errorf("user add: extension %s is taken; nothing was created", *ext)
			}
			return fmt.Errorf("user add: agent seat: %w; nothing was created", err)
		}
		fmt.Fprintf(stdout, "created agent seat %d: extension %s@%s\n", a.ID, a.Extension, a.Realm)
		if sipGenerated {
			fmt.Fprintf(stdout, "SIP password (shown once): %s\n", sipPassword)
		}
	}
	if _, err := st.AppendAudit(ctx, audit); err != nil {
		fmt.Fprintln(stderr, "agentswitch: audit entry not written:", err)
	}
	return nil
}

// userPasswd sets a user's password, for an admin who lost theirs (the
// first admin's is printed only once), and ends the user's web sessions as
// a change over the API does.
func userPasswd(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("user passwd", userPasswdUsage)
	dbPath := dbFlags(fs, getenv)
	// Flags may come before or after the name.
	var names []string
	for rest := args; ; {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(names) != 1 {
		return errors.New("user passwd: give one user name (agentswitch user passwd NAME)")
	}
	username := names[0]
	password, err := newPassword("user passwd", getenv, stdin)
	if err != nil {
		return err
	}

	db := dbPath()
	// Opening a missing file would create an empty database.
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("user passwd: no database at %s (%v); set %s", db, reason(err), dbVars)
	}
	ctx := context.Background()
	st, err := openUserDB(ctx, "user passwd", db)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByUsername(ctx, username)
	if errors.Is(err, dialer.ErrNotFound) {
		return fmt.Errorf("user passwd: no user %q in %s", username, db)
	}
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if err := st.SetPassword(ctx, u.ID, password); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	// The old password may be known to someone else: their web sessions go
	// too.
	ended, err := st.DeleteUserWebSessions(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("user passwd: password changed, but the web sessions were not ended: %w", err)
	}
	fmt.Fprintf(stdout, "password of user %s (%s) changed; %d web session(s) ended\n", u.Username, u.Role, ended)
	if u.Disabled {
		fmt.Fprintf(stdout, "note: user %s is disabled and cannot log in until an admin enables it\n", u.Username)
	}
	audit := dialer.AuditEntry{Actor: "cli", Action: "user.update", Target: "user:" + u.ID.String(),
		Data: []byte(fmt.Sprintf(`{"password_changed":true,"sessions_ended":%d}`, ended))}
	if _, err := st.AppendAudit(ctx, audit); err != nil {
		fmt.Fprintln(stderr, "agentswitch: audit entry not written:", err)
	}
	return nil
}

// openUserDB opens the database the user commands change, migrated to
// this binary's schema.
func openUserDB(ctx context.Context, cmd, db string) (*sqlitestore.Store, error) {
	if err := prepareDB(db); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{BcryptCost: bcryptCost})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
