package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/svctest"
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

// inProcess is `serve` run on the test's own goroutines.
type inProcess struct {
	url  string // no trailing slash
	out  *syncBuffer
	stop func() error // cancel, wait; serve's own error
}

// serveInProcess runs serve with args (and no environment but the clock
// offset of a run on another date, make test-ahead) until stop or
// the end of the test, and returns once it has printed its URL.
func serveInProcess(t *testing.T, args ...string) *inProcess {
	t.Helper()
	cfg, err := loadConfig(args, func(k string) string {
		if k == clock.EnvOffset {
			return os.Getenv(k)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{out: &syncBuffer{}}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), p.out) }()
	var once sync.Once
	var serr error
	p.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(20 * time.Second):
				serr = errors.New("serve did not stop")
			}
		})
		return serr
	}
	t.Cleanup(func() { p.stop() })
	up := regexp.MustCompile(`is up: (http://127\.0\.0\.1:\d+)/`)
	svctest.Eventually(t, "the service up", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\n%s", err, p.out.String())
		default:
		}
		if m := up.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
		}
		return p.url != ""
	})
	return p
}

// TestServeEmbedded starts the service as `make run` does (private
// redis-server, SQLite file, simulated switch) and reads /healthz.
func TestServeEmbedded(t *testing.T) {
	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir())
	url := p.url + "/"
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
	if err := p.stop(); err != nil {
		t.Fatal(err)
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
