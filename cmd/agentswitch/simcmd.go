package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const simUsage = `usage: agentswitch sim [flags]

Serves the simulated FreeSWITCH event socket on its own, for a separately
started agentswitch serve (AGENTSWITCH_ESL_ADDR) or any ESL client.
`

// runSim serves the simulated FreeSWITCH event socket on its own, for
// pointing a separately started `agentswitch serve` (or any ESL client) at it.
func runSim(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sim", simUsage)
	addr := fs.String("addr", "127.0.0.1:8021", "listen address (loopback)")
	password := fs.String("password", "", "event socket password [AGENTSWITCH_ESL_PASSWORD]; empty generates one")
	heartbeat := fs.Duration("heartbeat", 20*time.Second, "HEARTBEAT interval")
	answer := fs.Duration("answer-delay", time.Second, "how long an unscripted destination rings before it answers")
	rec := fs.String("recordings-dir", os.TempDir(), "where recordings with a relative path are written")
	logFormat := fs.String("log-format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *password == "" {
		// Not the flag's default: -h would print it.
		*password = getenv("AGENTSWITCH_ESL_PASSWORD")
	}
	if *password == "" {
		*password = randomSecret()
	}
	log := newLogger(*logFormat, "info", stderr)
	s := sim.New(sim.Config{Password: *password, HeartbeatInterval: *heartbeat, AnswerDelay: *answer, RecordingsDir: *rec, Logger: log})
	if err := s.Listen(*addr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "simulated FreeSWITCH event socket on %s (password %s, Core-UUID %s)\n", s.Addr(), *password, s.CoreUUID())
	ctx, stop := signalContext(log)
	defer stop()
	return s.Serve(ctx)
}
