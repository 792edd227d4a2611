package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/redis/go-redis/v9"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// inProcess is `serve` run on the test's own goroutines.
type inProcess struct {
	url  string // no trailing slash
	out  *svctest.SyncBuffer
	stop func() error // cancel, wait; serve's own error
}

// offsetOnly is an environment with nothing but the clock offset of a
// run on another date (make test-ahead).
func offsetOnly(k string) string {
	if k == clock.EnvOffset {
		return os.Getenv(k)
	}
	return ""
}

// serveInProcess runs serve with args (and no environment but the clock
// offset of a run on another date, make test-ahead) until stop or
// the end of the test, and returns once it has printed its URL.
func serveInProcess(t *testing.T, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	return serveUntil(t, ctx, cancel, args...)
}

// serveUntil is serveInProcess stopped by ctx (cancel when the test stops
// it).
func serveUntil(t testing.TB, ctx context.Context, cancel func(), args ...string) *inProcess {
	t.Helper()
	cfg, err := loadConfig(args, offsetOnly)
	if err != nil {
		t.Fatal(err)
	}
	p := &inProcess{out: &svctest.SyncBuffer{}}
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

// adminPassword is the password the first start printed for admin.
func (p *inProcess) adminPassword(t testing.TB) string {
	t.Helper()
	m := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no first-start admin password in %q", p.out.String())
	}
	return m[1]
}

// TestServeEmbedded starts the service as `make run` does (private
// redis-server, SQLite file, simulated switch) and reads /healthz.
func TestServeEmbedded(t *testing.T) {
	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir())
	url := p.url + "/"
	// Anonymous: the status alone.
	resp, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(raw) != `{"status":"ok"}`+"\n" {
		t.Fatalf("anonymous healthz %d: %s", resp.StatusCode, raw)
	}
	admin, err := svctest.Login(p.url, "admin", p.adminPassword(t))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = admin.HTTP.Get(url + "healthz")
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
	// The queue routes reach the service's database.
	var q struct {
		ID      int64
		Name    string
		Version int64
	}
	admin.Must(t, "POST", "/queues", map[string]any{"name": "sales", "strategy": "ring-all"}, http.StatusCreated, &q)
	var got struct{ Queues []struct{ ID int64 } }
	admin.Must(t, "GET", "/queues", nil, http.StatusOK, &got)
	if q.Name != "sales" || q.Version != 1 || len(got.Queues) != 1 || got.Queues[0].ID != q.ID {
		t.Fatalf("queue %+v, list %+v", q, got)
	}
	// The built-in switch starts a gateway created over the API, which
	// registers; its state and the node's are pushed into the API.
	var gw struct {
		ID     int64
		Reload struct{ Status string }
	}
	admin.Must(t, "POST", "/gateways", map[string]any{"name": "carrier1", "proxy": "sip.example.net",
		"username": "acme", "password": "pw", "register": true}, http.StatusCreated, &gw)
	if gw.Reload.Status != "applied" {
		t.Fatalf("gateway %+v", gw)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var g struct {
			Status []struct{ Node, State string }
		}
		admin.Must(t, "GET", fmt.Sprintf("/gateways/%d", gw.ID), nil, http.StatusOK, &g)
		if len(g.Status) == 1 && g.Status[0].Node == "sim" && g.Status[0].State == "REGED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway status %+v", g.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var nodes struct {
		Nodes []struct {
			Name string
			Up   bool
		}
	}
	admin.Must(t, "GET", "/nodes", nil, http.StatusOK, &nodes)
	if len(nodes.Nodes) != 1 || !nodes.Nodes[0].Up || nodes.Nodes[0].Name != "sim" {
		t.Fatalf("nodes %+v", nodes)
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

// TestServeBusyHTTPAddr: a busy address fails at once, names its setting,
// and nothing is created, migrated or started before.
func TestServeBusyHTTPAddr(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	varDir := filepath.Join(t.TempDir(), "var")
	cfg, err := loadConfig([]string{"-http-addr", busy.Addr().String(), "-var-dir", varDir}, offsetOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out, logs svctest.SyncBuffer
	err = serve(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), &out)
	if err == nil || !strings.Contains(err.Error(), "AGENTSWITCH_HTTP_ADDR (-http-addr) "+busy.Addr().String()) ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(varDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created (no database may be): %v", varDir, err)
	}
	if out.String() != "" || logs.String() != "" {
		t.Errorf("printed %q, logged %q", out.String(), logs.String())
	}
}

// TestServeAdminOnceUp: a start that fails after the database is ready
// creates no admin (its password would be printed and lost); the next
// start that comes up does, and that password logs in.
func TestServeAdminOnceUp(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	varDir := t.TempDir()
	cfg, err := loadConfig([]string{"-http-addr", "127.0.0.1:0", "-var-dir", varDir, "-sim-addr", busy.Addr().String()}, offsetOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out, logs svctest.SyncBuffer
	err = serve(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), &out)
	if err == nil || !strings.Contains(err.Error(), "AGENTSWITCH_SIM_ADDR") {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(out.String(), "password") || strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("printed %q, logged %q", out.String(), logs.String())
	}
	st, err := sqlitestore.Open(context.Background(), cfg.DBPath, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, err := st.ListUsers(context.Background())
	st.Close()
	if err != nil || len(users) != 0 {
		t.Fatalf("users after a failed start: %v %v", users, err)
	}

	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", varDir)
	printed := p.out.String()
	m := regexp.MustCompile(`created user "admin" \(admin\) with password ([a-z2-7]+)\n`).FindStringSubmatchIndex(printed)
	if m == nil || m[0] > strings.Index(printed, "is up") {
		t.Fatalf("no admin password before the URL:\n%s", printed)
	}
	body := `{"username":"admin","password":"` + printed[m[2]:m[3]] + `"}`
	req, _ := http.NewRequest("POST", p.url+"/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "agentswitch")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with the printed password: %d", resp.StatusCode)
	}
}

// TestServeStoppedBeforeUp: stopped while it waits for an unreachable
// switch, serve ends without error, creates no admin and logs no error.
func TestServeStoppedBeforeUp(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	eslAddr := dead.Addr().String()
	dead.Close() // nothing listens there now
	cfg, err := loadConfig([]string{"-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir(), "-esl-addr", eslAddr,
		"-esl-password", "s3cret", "-xml-curl-secret", testXMLCurlSecret}, offsetOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out, logs svctest.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), &out) }()
	// Stop once it tries the switch.
	svctest.Eventually(t, "a connection to the switch tried", func() bool {
		return strings.Contains(logs.String(), "switch node down") || strings.Contains(logs.String(), "component=esl")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if o := out.String(); strings.Contains(o, "password") || strings.Contains(o, "is up") {
		t.Errorf("printed %q", o)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("logged an error:\n%s", logs.String())
	}
}

// TestServeRestartsItsRedis: the private redis-server, gone (here it is
// told to shut down), is started again on the same address, and /healthz
// says how often.
func TestServeRestartsItsRedis(t *testing.T) {
	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir())
	type health struct {
		Redis struct {
			Status  string
			Addr    string
			Process struct {
				Running  bool
				Restarts int
			}
		}
	}
	// The details are for admins.
	admin, err := svctest.Login(p.url, "admin", p.adminPassword(t))
	if err != nil {
		t.Fatal(err)
	}
	read := func() (health, int) {
		var h health
		resp, err := admin.HTTP.Get(p.url + "/healthz")
		if err != nil {
			return h, 0
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&h)
		return h, resp.StatusCode
	}
	h, code := read()
	if code != 200 || h.Redis.Status != "up" || !h.Redis.Process.Running || h.Redis.Process.Restarts != 0 || h.Redis.Addr == "" {
		t.Fatalf("healthz %d %+v", code, h)
	}
	// No retries: a retried SHUTDOWN would stop the restarted one too.
	rdb := redis.NewClient(&redis.Options{Addr: h.Redis.Addr, MaxRetries: -1})
	defer rdb.Close()
	_ = rdb.Shutdown(t.Context()).Err() // the connection closes under the answer
	svctest.Eventually(t, "redis running again on "+h.Redis.Addr, func() bool {
		h2, code := read()
		return code == 200 && h2.Redis.Status == "up" && h2.Redis.Process.Running && h2.Redis.Process.Restarts == 1 && h2.Redis.Addr == h.Redis.Addr
	})
}
