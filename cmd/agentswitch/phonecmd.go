package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/sipphone"
)

const phoneUsage = `usage: agentswitch phone agent|lead [flags]

  agent   register as an agent's SIP phone and answer every call
  lead    answer calls as a lead would (late, busy, never...) on a fixed port

Both send a tone on answered calls and print what happens (hold, DTMF, BYE).
`

// runPhone runs a SIP test phone for manual checks against FreeSWITCH.
func runPhone(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return &helpRequest{usage: phoneUsage}
	}
	if len(args) == 0 || (args[0] != "agent" && args[0] != "lead") {
		fmt.Fprint(stderr, phoneUsage)
		return errUsage
	}
	role := args[0]
	fs := newFlagSet("phone "+role, "usage: agentswitch phone "+role+" [flags]\n")
	cfg := sipphone.Config{}
	listen := fs.String("listen", "127.0.0.1:0", "SIP address (loopback)")
	transport := fs.String("transport", "udp", "udp or tcp")
	tone := fs.Float64("tone", 440, "tone sent on answered calls, Hz (0: silence)")
	ring := fs.Duration("ring", 0, "ring this long before the final response")
	hangup := fs.Duration("hangup-after", 0, "hang up answered calls after this long (0: never)")
	outcome := fs.String("outcome", "answer", "answer, busy, reject, unavailable, notfound or noanswer")
	var user, domain, registrar *string
	if role == "agent" {
		user = fs.String("user", "", "extension (SIP user)")
		domain = fs.String("domain", "", "SIP domain and realm (default: the registrar's host)")
		registrar = fs.String("registrar", "127.0.0.1:5060", "FreeSWITCH agents' profile host:port")
		fs.StringVar(&cfg.Password, "password", "", "SIP password [AGENTSWITCH_PHONE_PASSWORD]")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("phone %s: unexpected arguments: %s", role, strings.Join(fs.Args(), " "))
	}
	o, err := sipphone.ParseOutcome(*outcome)
	if err != nil {
		return err
	}
	cfg.ListenAddr, cfg.Transport, cfg.Tone = *listen, *transport, *tone
	cfg.Behavior = sipphone.Behavior{Outcome: o, Ring: *ring, HangupAfter: *hangup}
	cfg.User = "lead"
	if role == "agent" {
		if cfg.Password == "" {
			// Not the flag's default: -h would print it.
			cfg.Password = getenv("AGENTSWITCH_PHONE_PASSWORD")
		}
		if *user == "" || cfg.Password == "" {
			return errors.New("phone agent: -user and a password are required")
		}
		cfg.User, cfg.Domain, cfg.Registrar = *user, *domain, *registrar
	}
	log := newLogger("text", "info", stderr)
	ctx, stop := signalContext(log)
	defer stop()
	p, err := sipphone.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	if role == "agent" {
		fmt.Fprintf(stdout, "agent %s registered at %s; listening on %s\n", cfg.User, cfg.Registrar, p.Addr())
	} else {
		fmt.Fprintf(stdout, "lead phone on %s (%s); dial sip:<number>@%s\n", p.Addr(), o, p.Addr())
	}
	for {
		c, err := p.NextCall(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go reportCall(ctx, c, stdout)
	}
}

// reportCall prints a call's changes until it ends.
func reportCall(ctx context.Context, c *sipphone.Call, w io.Writer) {
	fmt.Fprintf(w, "call %s: incoming for %s\n", c.ID, c.User)
	if err := c.WaitAnswered(ctx); err != nil {
		fmt.Fprintf(w, "call %s: not answered (%s)\n", c.ID, c.EndReason())
		return
	}
	fmt.Fprintf(w, "call %s: answered\n", c.ID)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	held, digits, audio := false, "", time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			st := c.Stats()
			fmt.Fprintf(w, "call %s: ended (%s); RTP sent %d, received %d\n", c.ID, c.EndReason(), st.Sent, st.Received)
			return
		case <-tick.C:
		}
		if h := c.Held(); h != held {
			held = h
			fmt.Fprintf(w, "call %s: held=%v\n", c.ID, h)
		}
		if d := c.Digits(); d != digits {
			fmt.Fprintf(w, "call %s: DTMF %q\n", c.ID, d[len(digits):])
			digits = d
		}
		if st := c.Stats(); audio.IsZero() && !st.LastAudible.IsZero() {
			audio = st.LastAudible
			fmt.Fprintf(w, "call %s: hearing audio\n", c.ID)
		}
	}
}
