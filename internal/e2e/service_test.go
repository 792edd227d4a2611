//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// service is `agentswitch serve` (built with -race) run against the
// switch: FreeSWITCH's xml_curl reaches it through the harness's logging
// proxy, and the scenarios drive it over HTTP as the workspace does.
type service struct {
	cmd    *exec.Cmd
	exited chan struct{}
	logf   string
	url    string
	admin  *apiUser
}

// xmlProxy forwards FreeSWITCH's xml_curl requests to the service once it
// is up (503 before: FreeSWITCH then falls back to its own files).
type xmlProxy struct {
	target atomic.Pointer[url.URL]
	rp     *httputil.ReverseProxy
}

func newXMLProxy() *xmlProxy {
	p := &xmlProxy{}
	p.rp = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(p.target.Load())
	}}
	return p
}

func (p *xmlProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.target.Load() == nil {
		http.Error(w, "service not up yet", http.StatusServiceUnavailable)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// buildService compiles cmd/agentswitch with the race detector, so races
// under real FreeSWITCH traffic fail the run; AGENTSWITCH_E2E_RACE=0
// builds it as `make build` does (for timings such as P2).
func buildService(dir string) (string, error) {
	bin := filepath.Join(dir, "agentswitch")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	args := []string{"build", "-race", "-o", bin, "./cmd/agentswitch"}
	if os.Getenv("AGENTSWITCH_E2E_RACE") == "0" {
		args = slices.Delete(args, 1, 2)
	}
	cmd := exec.Command(gobin, args...)
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("e2e: building agentswitch: %v\n%s", err, out)
	}
	return bin, nil
}

var (
	upLine    = regexp.MustCompile(`is up: (http://127\.0\.0\.1:\d+)/`)
	adminLine = regexp.MustCompile(`user "admin" \(admin\) with password (\S+)`)
)

// startService runs the service against e's FreeSWITCH with a fresh
// database and private Redis under e.dir/service.
func (e *switchEnv) startService(secret string) error {
	bin, err := buildService(e.dir)
	if err != nil {
		return err
	}
	s := &service{logf: filepath.Join(e.dir, "agentswitch.log"), exited: make(chan struct{})}
	out, err := os.Create(s.logf)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(),
		"AGENTSWITCH_HTTP_ADDR=127.0.0.1:0",
		"AGENTSWITCH_VAR_DIR="+filepath.Join(e.dir, "service"),
		"AGENTSWITCH_RECORDINGS_DIR="+e.recDir,
		"AGENTSWITCH_ESL_ADDR="+e.eslAddr,
		"AGENTSWITCH_ESL_PASSWORD="+e.eslPass,
		"AGENTSWITCH_XML_CURL_SECRET="+secret,
		"AGENTSWITCH_SIP_REALM="+domain,
		"AGENTSWITCH_AGENT_DOMAIN="+domain,
		"AGENTSWITCH_GATEWAY="+leadGateway,
		"AGENTSWITCH_CALLER_ID=+15550001111",
		"AGENTSWITCH_LOG_LEVEL=debug",
		"AGENTSWITCH_DRAIN_TIMEOUT=2s",
		"GORACE=halt_on_error=0",
	)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	s.cmd = cmd
	go func() {
		cmd.Wait()
		out.Close()
		close(s.exited)
	}()
	e.svc = s

	deadline := time.Now().Add(60 * time.Second)
	var password string
	for s.url == "" || password == "" {
		b, _ := os.ReadFile(s.logf)
		if m := upLine.FindSubmatch(b); m != nil {
			s.url = string(m[1])
		}
		if m := adminLine.FindSubmatch(b); m != nil {
			password = string(m[1])
		}
		select {
		case <-s.exited:
			return fmt.Errorf("e2e: agentswitch exited:\n%s", tail(b, 40))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("e2e: agentswitch did not come up:\n%s", tail(b, 40))
		}
	}
	u, _ := url.Parse(s.url)
	e.xmlProxy.target.Store(u)
	s.admin, err = s.login("admin", password)
	return err
}

// healthy waits until /healthz reports the switch connected.
func (s *service) healthy(ctx context.Context) error {
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service not healthy: %v (status %v)", ctx.Err(), resp)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *service) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// races lists the data races the race detector reported in the log.
func (s *service) races() string {
	b, _ := os.ReadFile(s.logf)
	if i := bytes.Index(b, []byte("WARNING: DATA RACE")); i >= 0 {
		return string(b[i:min(len(b), i+6000)])
	}
	return ""
}

func (s *service) logTail(n int) string {
	b, _ := os.ReadFile(s.logf)
	return tail(b, n)
}

func tail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// ---- the HTTP API as a user

// apiUser is a logged-in session (cookie jar) on the service.
type apiUser struct {
	s    *service
	name string
	c    *http.Client
	id   int64 // user id
	seat int64 // agent id, if the user has a seat
}

func (s *service) login(name, password string) (*apiUser, error) {
	jar, _ := cookiejar.New(nil)
	u := &apiUser{s: s, name: name, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var me struct {
		User  struct{ ID int64 }
		Agent *struct{ ID int64 }
	}
	if st, raw, err := u.call(http.MethodPost, "/auth/login", map[string]any{"username": name, "password": password}, &me); err != nil || st != 200 {
		return nil, fmt.Errorf("login %s: %d %v %s", name, st, err, raw)
	}
	u.id = me.User.ID
	if me.Agent != nil {
		u.seat = me.Agent.ID
	}
	return u, nil
}

// call sends a JSON request and decodes a JSON answer into out.
func (u *apiUser) call(method, path string, body, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u.s.url+"/api/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "agentswitch")
	resp, err := u.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, raw, err
	}
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw, nil
}

// must fails the test unless the answer has the status.
func (u *apiUser) must(t *testing.T, method, path string, body any, status int, out any) {
	t.Helper()
	st, raw, err := u.call(method, path, body, out)
	if err != nil || st != status {
		t.Fatalf("%s %s as %s: %d %v, want %d: %s", method, path, u.name, st, err, status, raw)
	}
}

// reloadOK checks the reload an admin change reports.
func reloadOK(t *testing.T, what string, r struct{ Status, Error string }) {
	t.Helper()
	if r.Status != "applied" {
		t.Fatalf("%s: reload %s %s", what, r.Status, r.Error)
	}
}

// ---- calls and agents as the API shows them

type callView struct {
	ID        string
	State     string
	Agent     int64 `json:"agent_id"`
	Held      bool
	Muted     bool
	Recording bool
	AgentLeft bool `json:"agent_left"`
	Parties   []struct {
		Leg   string `json:"leg_id"`
		Role  string
		State string
	}
}

func (v callView) leg(role string) string {
	for _, p := range v.Parties {
		if p.Role == role && p.State != "gone" {
			return p.Leg
		}
	}
	return ""
}

// view is the live view of a call (zero once it has ended).
func (u *apiUser) view(t *testing.T, id string) callView {
	t.Helper()
	var d struct{ View *callView }
	u.must(t, http.MethodGet, "/calls/"+id, nil, 200, &d)
	if d.View == nil {
		return callView{}
	}
	return *d.View
}

// until polls the API (the service's state has no push to a test other
// than the stream) until cond holds.
func until(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-wctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func (u *apiUser) waitCall(t *testing.T, ctx context.Context, id, state string) callView {
	t.Helper()
	var v callView
	until(t, ctx, "call "+id+" "+state, func() bool { v = u.view(t, id); return v.State == state })
	return v
}

func (u *apiUser) agentState(t *testing.T, seat int64) string {
	t.Helper()
	var a struct{ State string }
	u.must(t, http.MethodGet, fmt.Sprintf("/agents/%d", seat), nil, 200, &a)
	return a.State
}

func (u *apiUser) waitState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	until(t, ctx, u.name+" "+state, func() bool { return u.agentState(t, u.seat) == state })
}

// callRecord is the stored record of an ended call.
type callRecord struct {
	Call struct {
		State       string
		Outcome     string
		HangupCause string `json:"hangup_cause"`
		Disposition string
		Agent       int64 `json:"agent_id"`
		Billsec     int
		Recording   string    `json:"recording_path"`
		AnsweredAt  time.Time `json:"answered_at"`
		BridgedAt   time.Time `json:"bridged_at"`
		EndedAt     time.Time `json:"ended_at"`
	} `json:"record"`
	Legs     []map[string]any
	Timeline []struct{ Kind string }
}

func (r callRecord) kinds() []string {
	var out []string
	for _, e := range r.Timeline {
		out = append(out, e.Kind)
	}
	return out
}

func (u *apiUser) record(t *testing.T, ctx context.Context, id string) callRecord {
	t.Helper()
	var r callRecord
	until(t, ctx, "call record "+id+" ended", func() bool {
		r = callRecord{}
		st, _, err := u.call(http.MethodGet, "/calls/"+id, nil, &r)
		return err == nil && st == 200 && r.Call.State == "ended"
	})
	return r
}

// subsequence checks want appears in list in order.
func subsequence(t *testing.T, what string, list []string, want ...string) {
	t.Helper()
	i := 0
	for _, x := range list {
		if i < len(want) && x == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s %v lacks %v in order (stopped at %q)", what, list, want, want[i])
	}
}

// ---- provisioning through the admin API

var seatsMu sync.Mutex

// seat provisions, through the admin API, a user of the role with an
// agent seat on extension ext, registers its phone, and logs the user in
// over HTTP. The seat is logged out of the dialer when the test ends.
func (e *switchEnv) seat(t *testing.T, ext, role, mode string, tone float64) (*apiUser, *sipphone.Phone) {
	t.Helper()
	seatsMu.Lock()
	defer seatsMu.Unlock()
	admin := e.svc.admin
	name := role + ext
	password := name + "-password"
	var user struct{ ID int64 }
	admin.must(t, http.MethodPost, "/users", map[string]any{"username": name, "password": password, "role": role, "display_name": role + " " + ext}, 201, &user)
	// A new agent needs no reload: FreeSWITCH asks for it on REGISTER.
	var a struct{ ID int64 }
	admin.must(t, http.MethodPost, "/agents", map[string]any{"name": role + " " + ext, "extension": ext, "sip_password": agentPass, "user_id": user.ID, "mode": mode}, 201, &a)
	ph := e.phone(t, ext, tone)
	u, err := e.svc.login(name, password)
	if err != nil {
		t.Fatal(err)
	}
	if u.seat != a.ID {
		t.Fatalf("%s logged in with seat %d, want %d", name, u.seat, a.ID)
	}
	t.Cleanup(func() { u.call(http.MethodPost, fmt.Sprintf("/agents/%d/logout", u.seat), nil, nil) })
	return u, ph
}

// ready logs the agent into the dialer on its own SIP phone and makes it
// READY.
func (u *apiUser) ready(t *testing.T, mode string) {
	t.Helper()
	u.must(t, http.MethodPost, fmt.Sprintf("/agents/%d/login", u.seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": mode}, 200, nil)
	u.must(t, http.MethodPost, fmt.Sprintf("/agents/%d/ready", u.seat), nil, 200, nil)
}
