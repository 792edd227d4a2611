package redisproc

import (
	"context"
	"errors"
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

// TestSuperviseReportsWhileDown: while it cannot start again (the port is
// taken), the status says it is down and why, and it keeps trying.
func TestSuperviseReportsWhileDown(t *testing.T) {
	s, err := Supervise(context.Background(), Options{Dir: t.TempDir()}, nil)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("redis-server is not installed (make test installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	s.Kill()
	// Another server takes the port before the restart does.
	var squatter *Proc
	waitFor(t, "the port taken by another redis-server", func() bool {
		p, err := start(context.Background(), s.opts, s.port)
		if err == nil {
			squatter = p
		}
		return err == nil || s.Status()["restarts"] == 1
	})
	if squatter == nil {
		t.Skip("the supervisor restarted first; nothing to observe")
	}
	waitFor(t, "a failed restart reported", func() bool {
		st := s.Status()
		e, _ := st["last_error"].(string)
		return st["running"] == false && e != "" && e != "exited: signal: killed"
	})
	squatter.Stop()
	waitFor(t, "running again once the port is free", func() bool {
		return s.Status()["running"] == true && ping(s.Addr) == nil
	})
}
