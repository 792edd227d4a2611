// Command agentswitch is the call-center softswitch service.
//
//	agentswitch serve     run the service (HTTP, switch connection, stores)
//	agentswitch sim       run the simulated FreeSWITCH event socket alone
//	agentswitch migrate   apply database migrations and print the schema version
//	agentswitch user      add a user, or set a user's password
//	agentswitch phone     a SIP test phone for checks against a real FreeSWITCH
//	agentswitch simulate  simulated campaigns: the predictive pacer against progressive
//	agentswitch version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "agentswitch:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: agentswitch <command> [flags]

commands:
  serve     run the service (agentswitch serve -h lists every setting)
  sim       run the simulated FreeSWITCH event socket on its own
  migrate   apply database migrations and print the schema version
  user      add a user (user add), or set a user's password (user passwd)
  phone     a SIP test phone (agent or lead) for checks against a real FreeSWITCH
  simulate  simulated campaigns on a virtual clock: the predictive pacer against progressive
  version   print the version

agentswitch <command> -h describes a command.
`

const versionUsage = `usage: agentswitch version

Prints the version.
`

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(args, getenv, stdout, stderr)
	var h *helpRequest
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.usage)
		return nil
	}
	return err
}

func dispatch(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, err := loadConfig(rest, getenv)
		if err != nil {
			return err
		}
		log := newLogger(cfg.LogFormat, cfg.LogLevel, stderr)
		ctx, stop := signalContext(log)
		defer stop()
		return serve(ctx, cfg, log, stdout)
	case "sim":
		return runSim(rest, getenv, stdout, stderr)
	case "phone":
		return runPhone(rest, getenv, stdout, stderr)
	case "simulate":
		return runSimulate(rest, stdout)
	case "user":
		return runUser(rest, getenv, os.Stdin, stdout, stderr)
	case "migrate":
		return runMigrate(context.Background(), rest, getenv, stdout)
	case "version", "-version", "--version":
		fs := newFlagSet("version", versionUsage)
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("version: unexpected arguments: %s", strings.Join(fs.Args(), " "))
		}
		fmt.Fprintln(stdout, "agentswitch", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "agentswitch: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

func newLogger(format, level string, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// errDrain is the context's cause when SIGTERM asks for a drain (live
// calls may go on for the drain timeout); on SIGINT they are ended at once.
var errDrain = errors.New("SIGTERM: draining")

// signalContext ends on SIGINT or SIGTERM, recording which in its cause.
func signalContext(log *slog.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			log.Info("signal received", "signal", s.String())
			if s == syscall.SIGTERM {
				cancel(errDrain)
			} else {
				cancel(errors.New("SIGINT: stopping"))
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}
