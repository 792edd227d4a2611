package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// syncBuffer is written by serve and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeEmbedded starts the service as `make run` does (private
// redis-server, SQLite file, simulated switch) and reads /healthz.
func TestServeEmbedded(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig([]string{"-http-addr", "127.0.0.1:0", "-var-dir", dir}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), out) }()
	re := regexp.MustCompile(`is up: (http://127\.0\.0\.1:\d+/)`)
	var url string
	deadline := time.Now().Add(20 * time.Second)
	for url == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("service did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Status   string
		Database struct {
			Status        string
			SchemaVersion int `json:"schema_version"`
		}
		Redis struct {
			Status   string
			Embedded bool
			Addr     string
		}
		Switch struct {
			Status, Mode string
			Nodes        []struct {
				Name     string
				Up       bool
				CoreUUID string `json:"core_uuid"`
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || h.Database.Status != "up" || h.Database.SchemaVersion < 1 ||
		h.Redis.Status != "up" || !h.Redis.Embedded || h.Switch.Mode != "simulated" || len(h.Switch.Nodes) != 1 ||
		!h.Switch.Nodes[0].Up || len(h.Switch.Nodes[0].CoreUUID) != 36 {
		t.Fatalf("healthz %d: %+v", resp.StatusCode, h)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(url + "healthz"); err == nil {
		t.Fatal("still answering after shutdown")
	}
}

func TestRunUsageAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"version"}, func(string) string { return "" }, &out, &errb); err != nil || !bytes.Contains(out.Bytes(), []byte("agentswitch")) {
		t.Fatalf("version: %v %q", err, out.String())
	}
	if err := run([]string{"nope"}, func(string) string { return "" }, &out, &errb); err == nil {
		t.Fatal("unknown command accepted")
	}
}
