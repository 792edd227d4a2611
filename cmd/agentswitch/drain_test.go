package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestServeSIGTERMDrains: SIGTERM with a call up makes the service refuse
// new calls and report draining, give the call the drain time, then hang
// it up and write its record before it stops.
func TestServeSIGTERMDrains(t *testing.T) {
	ctx, stop := signalContext(slog.New(slog.DiscardHandler))
	s := startServiceUntil(t, ctx, stop, "-drain-timeout", "5s")
	alice := s.agent("alice", "1001", "ring")
	alice.ready("ring")
	s.sim.SetEndpoint("+15557650001", sim.Behavior{AnswerAfter: 20 * time.Millisecond})
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15557650001"}, 201, &v)
	v = s.admin.WaitCall(t, v.ID, "connected")
	lead := v.Leg("lead")

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	svctest.Eventually(t, "/healthz draining", func() bool {
		resp, err := http.Get(s.url + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var h struct{ Status string }
		return json.NewDecoder(resp.Body).Decode(&h) == nil && resp.StatusCode == http.StatusServiceUnavailable && h.Status == "draining"
	})
	if st := s.admin.do(http.MethodPost, "/calls", map[string]any{"number": "+15557650002"}, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("new call while draining: %d, want 503", st)
	}
	if ci, ok := s.sim.Channel(lead); !ok || ci.HungUp {
		t.Fatal("the call was hung up before the drain time")
	}
	if err := s.proc.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if ci, ok := s.sim.Channel(lead); ok && !ci.HungUp {
		t.Fatal("the lead is still up after the service stopped")
	}
	db, err := sqlitestore.Open(context.Background(), filepath.Join(s.varDir, "agentswitch.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := db.Call(context.Background(), dialer.CallID(v.ID))
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != dialer.CallEnded || rec.EndedAt.IsZero() || rec.HangupCause != "SYSTEM_SHUTDOWN" || rec.Outcome != dialer.OutcomeAnswered {
		t.Fatalf("record after the drain: %+v", rec)
	}
}
