//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// skipMessage is printed by make e2e and given to t.Skip.
const skipMessage = "e2e: SKIPPED: AGENTSWITCH_E2E_FREESWITCH is not set"

const (
	envTarget   = "AGENTSWITCH_E2E_FREESWITCH"
	domain      = "pbx.agentswitch.test"
	agentPass   = "agent-secret-1"
	leadGateway = "leadgw"
)

var (
	sharedMu  sync.Mutex
	shared    *switchEnv
	sharedErr error
)

func TestMain(m *testing.M) {
	if os.Getenv(envTarget) == "" {
		fmt.Println(skipMessage)
	}
	code := m.Run()
	if shared != nil {
		// The service is built with -race: a race it reported fails the run.
		if shared.svc != nil {
			shared.svc.Stop()
			if r := shared.svc.Races(); r != "" {
				fmt.Println("e2e: FAIL: agentswitch reported a data race:\n" + r)
				code = 1
			}
		}
		shared.close()
	}
	os.Exit(code)
}

// switchEnv is one FreeSWITCH with pbx-config/, `agentswitch serve`
// driving it (and serving its xml_curl), and the harness's own ESL client
// that records every event and drives the switch-level scenarios.
type switchEnv struct {
	dir      string
	fs       *exec.Cmd
	fsExited chan struct{}
	fsLog    string
	// how FreeSWITCH was started, to start it again
	fsBin     string
	fsArgs    []string
	fsEnv     []string
	eslAddr   string
	eslPass   string
	agentsSIP string
	// agentsWS and agentsWSS are the agents profile's WebSockets
	// (browsers' SIP); certsDir holds its WSS certificate, wss.pem.
	agentsWS, agentsWSS, certsDir string
	carrSIP                       string
	recDir                        string

	xmlSrv   *http.Server
	xmlCount *xmlLog
	xmlProxy *xmlProxy
	svc      *service

	client *esl.Client
	rec    *recorder
	stop   context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	agents map[string]int64 // extension -> agent id
	leads  *sipphone.Phone
}

// env returns the shared switch, starting it on first use.
func env(t *testing.T) *switchEnv {
	t.Helper()
	target := os.Getenv(envTarget)
	if target == "" {
		t.Skip(skipMessage)
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start(target)
	}
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort finds a loopback port free for both TCP and UDP.
func freePort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}

func start(target string) (*switchEnv, error) {
	dir, err := os.MkdirTemp("", "agentswitch-e2e-")
	if err != nil {
		return nil, err
	}
	e := &switchEnv{dir: dir, agents: map[string]int64{}, xmlCount: &xmlLog{}, xmlProxy: newXMLProxy()}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()

	running := !strings.Contains(target, "/")
	secret, xmlAddr := randomHex(16), "127.0.0.1:0"
	if running {
		// A running FreeSWITCH asks a fixed URL with a fixed secret.
		secret, xmlAddr = os.Getenv("AGENTSWITCH_E2E_XML_CURL_SECRET"), envOr("AGENTSWITCH_E2E_XML_CURL_ADDR", "127.0.0.1:8080")
		if secret == "" {
			return nil, errors.New("e2e: with an ESL address set AGENTSWITCH_E2E_XML_CURL_SECRET (FreeSWITCH's AGENTSWITCH_FS_XML_CURL_SECRET)")
		}
	}
	// FreeSWITCH's xml_curl goes through a logging proxy to the service.
	xl, err := net.Listen("tcp", xmlAddr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(pbxnames.XMLCurlPath, e.xmlCount.wrap(e.xmlProxy))
	e.xmlSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go e.xmlSrv.Serve(xl)
	xmlURL := "http://" + xl.Addr().String() + pbxnames.XMLCurlPath

	if !running {
		if err := e.startFreeSWITCH(target, xmlURL, secret); err != nil {
			return nil, err
		}
	} else {
		// A running FreeSWITCH with pbx-config/: its settings come from the
		// environment, and its xml_curl URL must point at this process.
		e.eslAddr = target
		e.eslPass = os.Getenv("AGENTSWITCH_E2E_ESL_PASSWORD")
		e.agentsSIP = os.Getenv("AGENTSWITCH_E2E_AGENTS_SIP")
		e.carrSIP = os.Getenv("AGENTSWITCH_E2E_CARRIERS_SIP")
		e.agentsWS = os.Getenv("AGENTSWITCH_E2E_AGENTS_WS")
		e.agentsWSS = os.Getenv("AGENTSWITCH_E2E_AGENTS_WSS")
		e.certsDir = os.Getenv("AGENTSWITCH_E2E_CERTS_DIR")
		e.recDir = os.Getenv("AGENTSWITCH_E2E_RECORDINGS")
		if e.eslPass == "" || e.agentsSIP == "" || e.carrSIP == "" || e.recDir == "" {
			return nil, errors.New("e2e: with an ESL address set AGENTSWITCH_E2E_ESL_PASSWORD, _AGENTS_SIP, _CARRIERS_SIP and _RECORDINGS too")
		}
	}
	if err := e.startService(secret); err != nil {
		return nil, err
	}
	if err := e.connect(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.svc.healthy(ctx); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, e.svc.LogTail(40))
	}
	ok = true
	return e, nil
}

func (e *switchEnv) startFreeSWITCH(bin, xmlURL, secret string) error {
	ports := map[string]int{}
	for _, name := range []string{"ESL", "AGENTS_SIP", "AGENTS_WS", "AGENTS_WSS", "CARRIERS_SIP"} {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[name] = p
	}
	// RTP ports: a random slice of the ephemeral range per run.
	rtpStart := 20000 + 2*int(time.Now().UnixNano()%5000)
	dirs := map[string]string{}
	for _, d := range []string{"conf", "log", "db", "run", "temp", "storage", "recordings", "cache", "sounds", "certs"} {
		dirs[d] = filepath.Join(e.dir, d)
		if err := os.MkdirAll(dirs[d], 0o755); err != nil {
			return err
		}
	}
	if err := os.CopyFS(dirs["conf"], os.DirFS(filepath.Join(repoRoot(), "pbx-config"))); err != nil {
		return err
	}
	e.eslPass = randomHex(12)
	e.eslAddr = "127.0.0.1:" + strconv.Itoa(ports["ESL"])
	e.agentsSIP = "127.0.0.1:" + strconv.Itoa(ports["AGENTS_SIP"])
	e.agentsWS = "127.0.0.1:" + strconv.Itoa(ports["AGENTS_WS"])
	e.agentsWSS = "127.0.0.1:" + strconv.Itoa(ports["AGENTS_WSS"])
	e.certsDir = dirs["certs"]
	e.carrSIP = "127.0.0.1:" + strconv.Itoa(ports["CARRIERS_SIP"])
	e.recDir = dirs["recordings"]
	e.fsLog = filepath.Join(e.dir, "freeswitch.out")

	args := []string{"-nf", "-nc", "-nonat", "-nonatmap"}
	for _, d := range []string{"conf", "log", "db", "run", "temp", "storage", "recordings", "cache", "sounds", "certs"} {
		args = append(args, "-"+d, dirs[d])
	}
	e.fsBin, e.fsArgs = bin, args
	e.fsEnv = append(os.Environ(),
		"AGENTSWITCH_FS_BIND_IP=127.0.0.1",
		"AGENTSWITCH_FS_ESL_PORT="+strconv.Itoa(ports["ESL"]),
		"AGENTSWITCH_FS_ESL_PASSWORD="+e.eslPass,
		"AGENTSWITCH_FS_AGENTS_SIP_PORT="+strconv.Itoa(ports["AGENTS_SIP"]),
		"AGENTSWITCH_FS_AGENTS_WS_PORT="+strconv.Itoa(ports["AGENTS_WS"]),
		"AGENTSWITCH_FS_AGENTS_WSS_PORT="+strconv.Itoa(ports["AGENTS_WSS"]),
		"AGENTSWITCH_FS_CARRIERS_SIP_PORT="+strconv.Itoa(ports["CARRIERS_SIP"]),
		"AGENTSWITCH_FS_DOMAIN="+domain,
		"AGENTSWITCH_FS_RTP_START="+strconv.Itoa(rtpStart),
		"AGENTSWITCH_FS_RTP_END="+strconv.Itoa(rtpStart+1998),
		"AGENTSWITCH_FS_XML_CURL_URL="+xmlURL,
		"AGENTSWITCH_FS_XML_CURL_SECRET="+secret,
		"AGENTSWITCH_FS_LOG_LEVEL="+envOr("AGENTSWITCH_E2E_FS_LOG_LEVEL", "info"),
		// The test_* far ends TestP3CallsPerSecond dials.
		"AGENTSWITCH_FS_TEST_ANSWER=true",
	)
	return e.runFreeSWITCH()
}

// runFreeSWITCH starts the FreeSWITCH process startFreeSWITCH set up (again
// after killFreeSWITCH: same ports, files and Core-UUID-changing restart).
func (e *switchEnv) runFreeSWITCH() error {
	cmd := exec.Command(e.fsBin, e.fsArgs...)
	cmd.Dir = e.dir
	cmd.Env = e.fsEnv
	out, err := os.OpenFile(e.fsLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a stop reaches nothing else; and it dies
	// with the test binary if that is killed (go test's timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("e2e: starting %s: %w", e.fsBin, err)
	}
	e.fs = cmd
	e.fsExited = make(chan struct{})
	go func() {
		cmd.Wait()
		out.Close()
		close(e.fsExited)
	}()
	return nil
}

// killFreeSWITCH kills FreeSWITCH as a crash would (SIGKILL: no hangups,
// no goodbye on the event socket) and waits for it to be gone.
func (e *switchEnv) killFreeSWITCH() {
	e.fs.Process.Kill()
	<-e.fsExited
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// logTail is the end of FreeSWITCH's log file, for failure messages.
func (e *switchEnv) logTail(n int) string {
	if e.dir == "" {
		return ""
	}
	return svctest.Tail(filepath.Join(e.dir, "log", "freeswitch.log"), n)
}

// logCount is how many lines of FreeSWITCH's log contain s (0 for a
// FreeSWITCH this run did not start).
func (e *switchEnv) logCount(s string) int {
	if e.fs == nil {
		return 0
	}
	b, _ := os.ReadFile(filepath.Join(e.dir, "log", "freeswitch.log"))
	return strings.Count(string(b), s)
}

// e2eEvents adds what the scenarios assert to the controller's list (the
// client puts CUSTOM subclasses last).
var e2eEvents = append(slices.Clone(esl.DefaultEvents),
	esl.EventChannelExecute, esl.EventChannelUnpark, esl.EventPlaybackStart, "CHANNEL_CALLSTATE")

// connect starts the ESL client and waits for FreeSWITCH to come up with
// both SIP profiles running.
func (e *switchEnv) connect() error {
	e.rec = newRecorder()
	c, err := esl.New(esl.Config{
		Nodes:          []esl.Node{{Name: "fs1", Addr: e.eslAddr, Password: e.eslPass}},
		Events:         e2eEvents,
		CommandTimeout: 15 * time.Second,
		BackoffMax:     500 * time.Millisecond,
	}, e.rec)
	if err != nil {
		return err
	}
	e.client = c
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	e.done = make(chan struct{})
	go func() {
		c.Run(ctx)
		close(e.done)
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if err := e.rec.waitNode(wctx, e.fsExited); err != nil {
		return fmt.Errorf("e2e: FreeSWITCH event socket %s: %w\n%s", e.eslAddr, err, e.logTail(40))
	}
	for {
		out, err := c.API(wctx, "", esl.SofiaStatusCmd())
		if err == nil && strings.Contains(out, pbxnames.ProfileAgents) && strings.Contains(out, pbxnames.ProfileCarriers) &&
			strings.Count(out, "RUNNING") >= 2 {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("e2e: SIP profiles not running: %v\n%s\n%s", err, out, e.logTail(40))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (e *switchEnv) close() {
	if e.leads != nil {
		e.leads.Close()
	}
	if e.stop != nil {
		e.stop()
		<-e.done
	}
	if e.svc != nil {
		e.svc.Stop()
	}
	if e.fs != nil && e.fs.Process != nil {
		e.fs.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.fsExited:
		case <-time.After(15 * time.Second):
			e.fs.Process.Kill()
			<-e.fsExited
		}
	}
	if e.xmlSrv != nil {
		e.xmlSrv.Close()
	}
	if os.Getenv("AGENTSWITCH_E2E_KEEP") != "" {
		fmt.Println("e2e: kept", e.dir)
		return
	}
	os.RemoveAll(e.dir)
}

// ---- provisioning and phones

// agent provisions an agent without a user (once) through the admin API
// and returns a registered phone for it.
func (e *switchEnv) agent(t *testing.T, ext string, tone float64) *sipphone.Phone {
	t.Helper()
	e.mu.Lock()
	if e.agents[ext] == 0 {
		var a struct{ ID int64 }
		e.svc.admin.Must(t, http.MethodPost, "/agents", map[string]any{"name": "Agent " + ext, "extension": ext, "sip_password": agentPass, "mode": "ring"}, 201, &a)
		e.agents[ext] = a.ID
	}
	e.mu.Unlock()
	return e.phone(t, ext, tone)
}

// phone registers a SIP phone for a provisioned extension.
func (e *switchEnv) phone(t *testing.T, ext string, tone float64, opts ...func(*sipphone.Config)) *sipphone.Phone {
	t.Helper()
	cfg := sipphone.Config{User: ext, Password: agentPass, Domain: domain, Registrar: e.agentsSIP, Tone: tone, Expires: 120 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := sipphone.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("agent %s: %v\n%s", ext, err, e.logTail(20))
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// leadPhone is one phone that answers for every lead number, reached
// through the gateway leadgw, created through the admin API.
func (e *switchEnv) leadPhone(t *testing.T) *sipphone.Phone {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leads != nil {
		return e.leads
	}
	p, err := sipphone.Start(context.Background(), sipphone.Config{User: "lead", Tone: toneLead, Behavior: sipphone.Behavior{Ring: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Reload struct{ Status, Error string }
	}
	st, raw, err := e.svc.admin.Do(http.MethodPost, "/gateways", map[string]any{"name": leadGateway, "proxy": p.Addr().String()}, &g)
	if err != nil || st != 201 || g.Reload.Status != "applied" {
		p.Close()
		t.Fatalf("gateway %s: %d %v %s", leadGateway, st, err, raw)
	}
	// sofia starts the gateway a moment after the rescan.
	svctest.Eventually(t, "gateway "+leadGateway+" up", func() bool {
		cmd, _ := esl.SofiaGatewayStatusCmd(leadGateway)
		out, err := e.client.API(t.Context(), "", cmd)
		return err == nil && strings.Contains(out, p.Addr().String())
	})
	e.leads = p
	return p
}

// uniqueNumber returns a fresh lead number, so behaviors never collide.
var numberSeq struct {
	sync.Mutex
	n int
}

func newNumber() string {
	numberSeq.Lock()
	defer numberSeq.Unlock()
	numberSeq.n++
	return fmt.Sprintf("1555%07d", numberSeq.n)
}

// leg is one originated channel.
type leg struct {
	UUID   string
	CallID string
	call   *esl.Call
}

// originateLead dials number through leadgw with the service's variables.
func (e *switchEnv) originateLead(t *testing.T, number, callID string) *leg {
	t.Helper()
	return e.originate(t, esl.GatewayEndpoint{Gateway: leadGateway, Number: number}, callID, "lead", map[string]string{"park_after_bridge": "true"})
}

// originateAgent rings a registered agent's phone (user/<ext>@domain).
func (e *switchEnv) originateAgent(t *testing.T, ext, callID string) *leg {
	t.Helper()
	return e.originate(t, esl.UserEndpoint{User: ext, Domain: domain}, callID, "agent", nil)
}

func (e *switchEnv) originate(t *testing.T, ep esl.Endpoint, callID, role string, vars map[string]string) *leg {
	t.Helper()
	if callID == "" {
		callID = uuid.NewString()
	}
	v := map[string]string{pbxnames.VarCallID: callID, pbxnames.VarLegRole: role}
	for k, val := range vars {
		v[k] = val
	}
	l := &leg{UUID: uuid.NewString(), CallID: callID}
	c, err := e.client.Originate(t.Context(), esl.Originate{
		UUID: l.UUID, Endpoint: ep, IgnoreEarlyMedia: true, Timeout: 20 * time.Second,
		CallerIDNumber: "15550001111", CallerIDName: "agentswitch e2e", Vars: v,
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	l.call = c
	return l
}

func (l *leg) wait(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := l.call.Wait(ctx); err != nil {
		t.Fatalf("originate %s: %v", l.UUID, err)
	}
}

// answeredPair originates a lead and an agent and bridges them, returning
// both legs and both phones' calls.
type pair struct {
	lead, agent         *leg
	leadCall, agentCall *sipphone.Call
	number              string
}

func (e *switchEnv) bridgedPair(t *testing.T, agentPhone *sipphone.Phone) *pair {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	leads := e.leadPhone(t)
	p := &pair{number: newNumber()}
	mark := e.rec.mark()
	p.lead = e.originateLead(t, p.number, "")
	p.lead.wait(t)
	p.agent = e.originateAgent(t, agentPhone.User(), p.lead.CallID)
	p.agent.wait(t)
	var err error
	if p.leadCall, err = nextCallFor(ctx, leads, p.number); err != nil {
		t.Fatal(err)
	}
	if p.agentCall, err = agentPhone.NextCall(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Bridge(ctx, p.lead.UUID, p.agent.UUID); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "CHANNEL_BRIDGE lead", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventChannelBridge && ev.Get("Bridge-A-Unique-ID") == p.lead.UUID && ev.Get("Bridge-B-Unique-ID") == p.agent.UUID
	})
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.client.Kill(c, p.lead.UUID, "")
		e.client.Kill(c, p.agent.UUID, "")
	})
	return p
}

// toneNames say who sends a tone, for failure messages.
var toneNames = map[float64]string{toneLead: "the lead", toneAgent: "the agent", toneAgent2: "the second agent",
	toneSupervisor: "the supervisor", toneHoldMusic: "the hold music", toneRingback: "the ringback"}

// hearEachOther fails the test unless a hears tone fa and b hears tone
// fb, each from since.
func hearEachOther(t *testing.T, ctx context.Context, since time.Time, a *sipphone.Call, fa float64, b *sipphone.Call, fb float64) {
	t.Helper()
	for _, x := range []struct {
		c *sipphone.Call
		f float64
	}{{a, fa}, {b, fb}} {
		if _, err := x.c.WaitTone(ctx, x.f, since); err != nil {
			t.Fatalf("%s is not heard: %v (%+v)", toneNames[x.f], err, x.c.Stats())
		}
	}
}

// hears reports whether c hears tone f, from since, within d.
func hears(ctx context.Context, c *sipphone.Call, f float64, since time.Time, d time.Duration) bool {
	short, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, err := c.WaitTone(short, f, since)
	return err == nil
}

// nextCallFor takes the lead phone's next call to number. Calls to other
// numbers stay queued for whoever waits for them.
var leadCalls struct {
	sync.Mutex
	pending map[string][]*sipphone.Call
}

func nextCallFor(ctx context.Context, p *sipphone.Phone, number string) (*sipphone.Call, error) {
	for {
		leadCalls.Lock()
		if leadCalls.pending == nil {
			leadCalls.pending = map[string][]*sipphone.Call{}
		}
		if q := leadCalls.pending[number]; len(q) > 0 {
			c := q[0]
			leadCalls.pending[number] = q[1:]
			leadCalls.Unlock()
			return c, nil
		}
		leadCalls.Unlock()
		c, err := p.NextCall(ctx)
		if err != nil {
			return nil, err
		}
		if c.User == number {
			return c, nil
		}
		leadCalls.Lock()
		leadCalls.pending[c.User] = append(leadCalls.pending[c.User], c)
		leadCalls.Unlock()
	}
}

// ---- xml_curl request log

type xmlLog struct {
	mu       sync.Mutex
	requests []xmlRequest
}

type xmlRequest struct {
	Section, Purpose, Action, User, Context string
	Status                                  int
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (l *xmlLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		r.PostForm = nil
		r.ParseForm()
		if dir := os.Getenv("AGENTSWITCH_E2E_XMLCURL_DUMP"); dir != "" {
			name := r.PostForm.Get("section") + "-" + firstNonEmpty(r.PostForm.Get("purpose"), r.PostForm.Get("action"), r.PostForm.Get("Hunt-Context"), "other") + ".form"
			os.WriteFile(filepath.Join(dir, name), body, 0o644)
		}
		l.mu.Lock()
		l.requests = append(l.requests, xmlRequest{
			Section: r.PostForm.Get("section"), Purpose: r.PostForm.Get("purpose"), Action: r.PostForm.Get("action"),
			User: r.PostForm.Get("user"), Context: r.PostForm.Get("Hunt-Context"), Status: sw.status,
		})
		l.mu.Unlock()
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (l *xmlLog) count(match func(xmlRequest) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.requests {
		if match(r) {
			n++
		}
	}
	return n
}

// ---- events

type seenEvent struct {
	ev *esl.Event
	at time.Time
}

// recorder keeps every event with the time the handler got it.
type recorder struct {
	mu      sync.Mutex
	events  []seenEvent
	up      bool
	changed chan struct{}
	// hook, if set, runs in the delivery goroutine for every event.
	hook func(ev *esl.Event, at time.Time)
	// unkept: events go to the hook only (a load run would keep
	// hundreds of thousands).
	unkept bool
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) HandleEvent(node string, ev *esl.Event) {
	at := time.Now()
	r.mu.Lock()
	hook := r.hook
	if !r.unkept {
		r.events = append(r.events, seenEvent{ev: ev, at: at})
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if hook != nil {
		hook(ev, at)
	}
}

func (r *recorder) HandleNode(st esl.NodeState) {
	r.mu.Lock()
	r.up = st.Up
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) setHook(h func(*esl.Event, time.Time)) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

// setHookOnly is setHook that, while h is set, keeps no events.
func (r *recorder) setHookOnly(h func(*esl.Event, time.Time)) {
	r.mu.Lock()
	r.hook, r.unkept = h, h != nil
	r.mu.Unlock()
}

func (r *recorder) waitNode(ctx context.Context, exited <-chan struct{}) error {
	for {
		r.mu.Lock()
		up, ch := r.up, r.changed
		r.mu.Unlock()
		if up {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("FreeSWITCH exited")
		case <-ch:
		}
	}
}

// mark is a position in the event log to search from.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// wait returns the first event at or after from that matches.
func (r *recorder) wait(ctx context.Context, from int, match func(*esl.Event) bool) (*esl.Event, time.Time, error) {
	for {
		r.mu.Lock()
		for i := from; i < len(r.events); i++ {
			if match(r.events[i].ev) {
				s := r.events[i]
				r.mu.Unlock()
				return s.ev, s.at, nil
			}
		}
		from = len(r.events)
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		case <-ch:
		}
	}
}

func (r *recorder) must(t *testing.T, ctx context.Context, from int, what string, match func(*esl.Event) bool) *esl.Event {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ev, _, err := r.wait(wctx, from, match)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return ev
}

// since lists the events from a mark that match.
func (r *recorder) since(from int, match func(*esl.Event) bool) []*esl.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*esl.Event
	for i := from; i < len(r.events); i++ {
		if match(r.events[i].ev) {
			out = append(out, r.events[i].ev)
		}
	}
	return out
}

func named(name, uuid string) func(*esl.Event) bool {
	return func(ev *esl.Event) bool { return ev.Name() == name && (uuid == "" || ev.UniqueID() == uuid) }
}

func conference(action, room, uuid string) func(*esl.Event) bool {
	return func(ev *esl.Event) bool {
		return ev.Name() == esl.EventCustom && ev.Subclass() == esl.SubclassConference && ev.Get("Action") == action &&
			ev.Get("Conference-Name") == room && (uuid == "" || ev.UniqueID() == uuid)
	}
}

// addr is a SIP address helper for URIs to FreeSWITCH.
func (e *switchEnv) carriersURI(user string) string { return "sip:" + user + "@" + e.carrSIP }
func (e *switchEnv) agentsURI(user string) string   { return "sip:" + user + "@" + e.agentsSIP }
