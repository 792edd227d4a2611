package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
)

const userAddUsage = `usage: agentswitch user add -username NAME -role admin|supervisor|agent [flags]

The password is read from AGENTSWITCH_NEW_PASSWORD, else from the first line
of standard input; it is never a flag (flags show in the process list and the
shell history). With -agent-extension the user also gets an agent seat whose
SIP password is read from AGENTSWITCH_NEW_SIP_PASSWORD, else generated and
printed once.
`

// runUser manages users from the command line, for the first admin on a
// server without a browser, or for scripts.
func runUser(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && isHelp(args[0]):
		return &helpRequest{usage: userAddUsage}
	case len(args) > 0 && args[0] == "add":
		return userAdd(args[1:], getenv, stdin, stdout, stderr)
	}
	fmt.Fprint(stderr, userAddUsage)
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
	if err := dialer.ValidatePassword("password", password); err != nil {
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
	role, err := dialer.ParseRole(*roleFlag)
	if err != nil {
		return fmt.Errorf("user add: -role: %w", err)
	}
	u := dialer.User{Username: *username, DisplayName: *display, Role: role}
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
		if err := dialer.ValidatePassword("sip_password", sipPassword); err != nil {
			return fmt.Errorf("user add: AGENTSWITCH_NEW_SIP_PASSWORD must be 8-72 bytes")
		}
	} else if *phone != "" || *agentName != "" {
		return errors.New("user add: -external-phone and -agent-name need -agent-extension")
	}

	ctx := context.Background()
	db := dbPath()
	if err := prepareDB(db); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
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
