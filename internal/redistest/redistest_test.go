package redistest

import (
	"testing"
)

func TestStartRestart(t *testing.T) {
	s := Start(t)
	ctx := t.Context()
	c := s.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("get = %q, %v", v, err)
	}
	addr := s.Addr()
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("address changed: %s -> %s", addr, s.Addr())
	}
	// The pooled connection died with the old process; the client
	// redials on a later attempt.
	var n int64
	var err error
	for range 3 {
		if n, err = c.Exists(ctx, "k").Result(); err == nil {
			break
		}
	}
	if err != nil || n != 0 {
		t.Fatalf("after restart: exists = %d, %v (want 0, data lost)", n, err)
	}
	if s.URL() != "redis://"+addr+"/0" {
		t.Fatal(s.URL())
	}
}

func TestTwoServers(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr() == b.Addr() {
		t.Fatal("same address")
	}
	a.Client().Set(t.Context(), "x", "1", 0)
	if n, _ := b.Client().Exists(t.Context(), "x").Result(); n != 0 {
		t.Fatal("servers share data")
	}
}
