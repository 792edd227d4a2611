// Package redistest runs a private redis-server for tests (through
// internal/redisproc, as `agentswitch serve` does in its embedded mode).
package redistest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/internal/redisproc"
)

// Server is a redis-server process bound to 127.0.0.1, without persistence,
// living in a directory under t.TempDir().
type Server struct {
	t      testing.TB
	client *redis.Client
	mu     sync.Mutex
	p      *redisproc.Proc
}

// Start starts a server and stops it when the test ends. It fails the test
// if redis-server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// StartPersistent is Start with an append-only file: a Stop then Restart
// keeps the data, as the service's private redis-server does.
func StartPersistent(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, persist bool) *Server {
	t.Helper()
	p, err := redisproc.Start(context.Background(), redisproc.Options{Dir: t.TempDir(), Persist: persist})
	if errors.Is(err, redisproc.ErrNotInstalled) {
		t.Fatalf("%v; run `make test`, which installs it", err)
	}
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := &Server{t: t, p: p}
	s.client = s.NewClient()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) proc() *redisproc.Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

// Addr is host:port.
func (s *Server) Addr() string { return s.proc().Addr }

// URL is a redis:// URL for configuration parsing tests.
func (s *Server) URL() string { return s.proc().URL() }

// Client is a client shared by the test, closed at cleanup. It reconnects
// by itself after Restart.
func (s *Server) Client() *redis.Client { return s.client }

// NewClient returns another client (its own pool), closed at cleanup.
func (s *Server) NewClient() *redis.Client {
	c := redis.NewClient(Options(s.Addr()))
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Options are the client options the service uses, for addr.
func Options(addr string) *redis.Options {
	o, _ := redisproc.ClientOptions("redis://" + addr)
	return o
}

// Stop ends the server (data is lost unless it persists). Calling it
// twice is harmless.
func (s *Server) Stop() { s.proc().Stop() }

// Restart stops the server (if running) and starts a new one on the same
// port; all data is lost, as after a crash of a Redis without persistence,
// unless it was started with StartPersistent.
func (s *Server) Restart() {
	s.t.Helper()
	np, err := s.proc().Restart(context.Background())
	if err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
	s.mu.Lock()
	s.p = np
	s.mu.Unlock()
}
