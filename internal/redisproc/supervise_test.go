package redisproc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSuperviseRestartsOnTheSamePort: a private redis-server that dies is
// started again where its clients look for it, with its data; Stop ends
// it for good.
func TestSuperviseRestartsOnTheSamePort(t *testing.T) {
	s, err := Supervise(context.Background(), Options{Dir: t.TempDir(), Persist: true}, nil)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("redis-server is not installed (make test installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if st := s.Status(); st["running"] != true || st["restarts"] != 0 {
		t.Fatalf("status at start %v", st)
	}
	first := s.current()
	for round := 1; round <= 2; round++ {
		s.Kill()
		waitFor(t, "redis-server started again", func() bool {
			return s.current() != first && ping(s.Addr) == nil
		})
		first = s.current()
		if st := s.Status(); st["running"] != true || st["restarts"] != round || st["last_error"] != nil {
			t.Fatalf("status after restart %d: %v", round, st)
		}
	}
	if s.URL() != "redis://"+s.Addr+"/0" {
		t.Fatalf("URL %s", s.URL())
	}
	s.Stop()
	select {
	case <-s.current().Done():
	default:
		t.Fatal("Stop left the process running")
	}
	if ping(s.Addr) == nil {
		t.Fatal("something still answers on the address after Stop")
	}
}

// TestSuperviseReportsWhileDown: while it cannot start again, the status
// says it is down and why, and it keeps trying until it can.
func TestSuperviseReportsWhileDown(t *testing.T) {
	s, err := Supervise(context.Background(), Options{Dir: t.TempDir()}, nil)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("redis-server is not installed (make test installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	// A binary that exits at once stands for a redis-server that cannot
	// start (a full disk, a bad file).
	broken := filepath.Join(t.TempDir(), "redis-server")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	good := s.opts.Bin
	s.opts.Bin = broken
	s.mu.Unlock()
	s.Kill()
	waitFor(t, "a failed restart reported", func() bool {
		st := s.Status()
		e, _ := st["last_error"].(string)
		return st["running"] == false && strings.Contains(e, "exited") && !strings.HasPrefix(e, "exited: signal")
	})
	s.mu.Lock()
	s.opts.Bin = good
	s.mu.Unlock()
	waitFor(t, "running again once it can start", func() bool {
		st := s.Status()
		return st["running"] == true && st["restarts"] == 1 && ping(s.Addr) == nil
	})
}
