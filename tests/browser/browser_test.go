// Package browser runs the agent workspace in Chromium against the real
// service on the simulated switch: agent_day.mjs drives the page with
// playwright-core, and this test provisions the data and checks what
// reached the switch and what the call records say.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer/redisstore"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

const (
	chromium    = "/usr/bin/chromium"
	eslPassword = "s3cret"
	leadNumber  = "+12125550142"
	// secondNumber is the lead of the blind-transfer call; the others are
	// the transfer targets.
	secondNumber = "+12125550155"
	warmNumber   = "+12125550199"
	blindNumber  = "+12125550177"
	// did is our inbound number.
	did       = "+18005550100"
	agentExt  = "1001"
	agentUser = "maria"
	agentPass = "maria-pass-1"
	// xss is lead data that must show as text.
	xss = `<img src=x onerror="window.__xss=1">`
	// longPause is a pause code as long as the configuration allows.
	longPause = "COACHING_SESSION_WITH_SUPERVISOR"
)

// missing says what the browser tier needs and how to get it.
func missing(t *testing.T) {
	t.Helper()
	var lacks []string
	if _, err := os.Stat(chromium); err != nil {
		lacks = append(lacks, chromium+" (Debian's chromium)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		lacks = append(lacks, "node")
	}
	if _, err := os.Stat("node_modules/playwright-core/package.json"); err != nil {
		lacks = append(lacks, "tests/browser/node_modules/playwright-core (npm ci)")
	}
	if len(lacks) > 0 {
		t.Fatalf("the browser tests need %s: run `make test`, which installs them (scripts/deps.sh test)", strings.Join(lacks, ", "))
	}
}

// tier skips in -short mode, fails when Chromium or playwright-core is
// missing, and bounds the test.
func tier(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tier skipped in -short mode: it drives Chromium for ~30 s")
	}
	missing(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestAgentDay(t *testing.T) {
	ctx := tier(t)

	sw := startSim(t)
	sw.SetEndpoint(leadNumber, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	sw.SetEndpoint(secondNumber, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	// Callers to our number are parked into the service, as the dialplan does.
	sw.SetExtension(did, "set:agentswitch_did="+did+",answer,park")

	svc := startService(t, sw.Addr())
	checkMounts(t, svc.URL)
	adm, keySecret := signedInAdmin(t, svc)

	user := adm.post(t, "/users", map[string]any{"username": agentUser, "display_name": "Maria Lopez", "role": "agent", "password": agentPass})
	agent := adm.post(t, "/agents", map[string]any{"name": "Maria Lopez", "extension": agentExt, "sip_password": "sip-secret-1001", "user_id": user["id"]})
	camp := adm.post(t, "/campaigns", map[string]any{
		"name": "Spring renewals", "dial_mode": "progressive",
		// The tier runs at any hour and dials the callback at once.
		"settings": map[string]any{"calling_window": map[string]any{"hours": []map[string]string{{"start": "00:00", "end": "24:00"}}}},
		"script": "Hello {{first_name}}, this is {{agent_name}} from ACME Energy.\n\n" +
			"I am calling about your {{custom.plan}} plan, renewing on {{custom.renewal}}.\n" +
			"Account note: {{custom.note}}",
	})
	lead := adm.post(t, "/leads", map[string]any{
		"campaign_id": camp["id"], "phone": leadNumber, "first_name": "Jane", "last_name": "Cooper",
		"email": "jane.cooper@example.com", "time_zone": "America/New_York",
		"custom": map[string]string{"plan": "Gold", "renewal": "1 December", "note": xss},
	})

	var res struct {
		Calls        map[string]string `json:"calls"`
		CallbackDate string            `json:"callbackDate"`
		// Callback is the API's view of it, read before it was dialed.
		Callback callbackView `json:"callback"`
	}
	scenario(t, ctx, svc, "agent_day.mjs", []string{
		"AS_USER=" + agentUser, "AS_PASSWORD=" + agentPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", agent["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"]),
		fmt.Sprintf("AS_LEAD_ID=%v", lead["id"]), "AS_LEAD_NUMBER=" + leadNumber, "AS_SECOND_NUMBER=" + secondNumber,
		"AS_WARM_NUMBER=" + warmNumber, "AS_BLIND_NUMBER=" + blindNumber, "AS_LONG_PAUSE=" + longPause,
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "inbound":
			return map[string]string{"leg": sw.Inbound(sim.InboundCall{From: req["from"], FromName: "Jane Cooper", To: did})}, nil
		case "hangup":
			if !sw.Hangup(req["leg"], "NORMAL_CLEARING") {
				return nil, fmt.Errorf("no channel %s", req["leg"])
			}
			return map[string]string{}, nil
		case "lose-heartbeat":
			return map[string]string{}, loseHeartbeat(ctx, svc.URL, adm, fmt.Sprint(agent["id"]))
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	cmds := commandLines(sw.Commands())
	sent := func(c string) bool { return slices.Contains(cmds, c) }

	// First call: hold, mute, keypad and recording reached the switch on
	// the right legs; the callback was scheduled on the lead's clock.
	first := adm.call(t, sw, res.Calls["first"])
	lead1, agent1 := first.leg(t, "lead"), first.leg(t, "agent")
	for _, c := range []string{
		// Hold plays the lead its music; unhold breaks it.
		"api uuid_broadcast " + lead1 + " ${hold_music} aleg", "api uuid_break " + lead1 + " all",
		"api uuid_audio " + agent1 + " start read mute 1", "api uuid_audio " + agent1 + " stop",
	} {
		if !sent(c) {
			t.Errorf("the switch never got %q", c)
		}
	}
	if got := dtmf(cmds, lead1); got != "123" {
		t.Errorf("keypad tones to the lead %q, want 123 (commands %q)", got, cmds)
	}
	if !hasPrefix(cmds, "api uuid_record "+lead1+" start ") || !hasPrefix(cmds, "api uuid_record "+lead1+" stop ") {
		t.Errorf("recording not started and stopped on the lead leg")
	}
	rec := first.Record
	if rec.Disposition != "CALLBK" || rec.Notes != "Wants the Platinum offer" || rec.Outcome != "answered" || rec.Direction != "outbound" {
		t.Errorf("first call record %+v", rec)
	}
	ny, _ := time.LoadLocation("America/New_York")
	due, _ := time.ParseInLocation("2006-01-02 15:04", res.CallbackDate+" 10:30", ny)
	cb := res.Callback
	if !cb.DueAt.Equal(due) || cb.TimeZone != "America/New_York" || cb.Lead != lead["id"] || cb.Status != "scheduled" {
		t.Errorf("callback %+v, want due %s (10:30 New York)", cb, due.UTC())
	}
	if adm.scheduled(t, cb.ID) {
		t.Errorf("the dialed callback is still scheduled")
	}

	// Second call: the callback, dialed from the Callbacks page, then a
	// warm transfer the agent left.
	second := adm.call(t, sw, res.Calls["callback"])
	if second.Record.Origin != "callback" || second.Record.ToNumber != leadNumber || second.Record.Disposition != "SALE" {
		t.Errorf("callback call record %+v", second.Record)
	}
	room := "call-" + res.Calls["callback"][:8] + res.Calls["callback"][9:13]
	if !hasPrefix(cmds, "api uuid_transfer "+second.leg(t, "lead")+" -both conference:"+room+"@") {
		t.Errorf("warm transfer: lead not moved into conference %s", room)
	}
	if !hasPrefix(cmds, "api conference "+room+" kick ") {
		t.Errorf("Leave did not take the agent out of %s", room)
	}
	if third := findPrefix(cmds, "bgapi originate {origination_uuid="+second.leg(t, "third")); !strings.Contains(third, "}sofia/gateway/carrier/"+warmNumber+" &conference("+room+"@") {
		t.Errorf("warm transfer target originate %q", third)
	}

	// Third: dialed from the History tab.
	hist := adm.call(t, sw, res.Calls["history"])
	if hist.Record.Origin != "manual" || hist.Record.ToNumber != leadNumber || hist.Record.Disposition != "SALE" {
		t.Errorf("history redial record %+v", hist.Record)
	}

	// Dialed by hand, typed in national form.
	manual := adm.call(t, sw, res.Calls["manual"])
	if manual.Record.Origin != "manual" || manual.Record.ToNumber != secondNumber || manual.Record.Disposition != "WN" {
		t.Errorf("manual dial record %+v", manual.Record)
	}

	// An inbound call from the lead's number: the lead was found.
	in := adm.call(t, sw, res.Calls["inbound"])
	if in.Record.Direction != "inbound" || in.Record.FromNumber != leadNumber || in.Record.Lead != lead["id"] || in.Record.Disposition != "NI" {
		t.Errorf("inbound record %+v", in.Record)
	}

	// Last: a blind transfer to an outside number; the agent disposed of
	// it while the lead talked on, and is READY again.
	a := adm.get(t, fmt.Sprintf("/agents/%v", agent["id"]))
	if a["state"] != "READY" {
		t.Errorf("agent ends the day %v, want READY", a["state"])
	}
	blind := adm.call(t, sw, res.Calls["blind"])
	bt := findPrefix(cmds, "api uuid_transfer "+blind.leg(t, "lead")+" m:^:set:continue_on_fail=true^set:transfer_ringback=${agentswitch_ringback}^bridge:{")
	if !strings.HasSuffix(bt, ",instant_ringback=true}sofia/gateway/carrier/"+blindNumber+"^park inline") {
		t.Errorf("blind transfer %q", bt)
	}
	if blind.Record.Disposition != "CALLBK" || blind.Record.Notes != "Transferred to the branch" {
		t.Errorf("blind transfer record %+v, want the agent's wrap-up", blind.Record)
	}
}

// checkMounts: the UI's pages and files are served beside the API, which
// still answers JSON errors of its own.
func checkMounts(t *testing.T, base string) {
	t.Helper()
	for path, want := range map[string]string{
		"/": "text/html", "/callbacks": "text/html", "/login": "text/html", "/assets/js/main.js": "text/javascript",
		"/healthz": "application/json", "/api/v1/no-such-route": "application/json", "/no-such-page": "application/json",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		code := http.StatusOK
		if strings.Contains(path, "no-such") {
			code = http.StatusNotFound
		}
		if resp.StatusCode != code || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %d %s, want %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), code, want)
		}
	}
}

// startSim runs the simulated switch for one test; opts adjust its
// configuration (a hook on the service's commands).
func startSim(t *testing.T, opts ...func(*sim.Config)) *sim.Server {
	t.Helper()
	cfg := sim.Config{Password: eslPassword, AnswerDelay: 80 * time.Millisecond, RecordingsDir: t.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	sw := sim.New(cfg)
	if err := sw.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	simDone := make(chan struct{})
	simCtx, stopSim := context.WithCancel(context.Background())
	go func() { sw.Serve(simCtx); close(simDone) }()
	t.Cleanup(func() { stopSim(); <-simDone })
	return sw
}

// scenario runs a node script against svc with env added to what every
// script gets, answers its requests with act, and reads the result it
// writes at the end into res.
func scenario(t *testing.T, ctx context.Context, svc *svctest.Process, script string, env []string,
	act func(map[string]string) (map[string]string, error), res any) {
	t.Helper()
	artifacts, err := filepath.Abs("artifacts")
	if err != nil {
		t.Fatal(err)
	}
	resultFile := filepath.Join(t.TempDir(), "result.json")
	started := time.Now()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(append(os.Environ(), env...),
		"AS_URL="+svc.URL, "AS_ARTIFACTS="+artifacts, "AS_RESULT="+resultFile, "AS_CHROMIUM="+chromium)
	out, err := svctest.RunScenario(cmd, act)
	t.Logf("%s (%s):\n%s", script, time.Since(started).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("%s: %v (screenshots in %s)\nservice log:\n%s", script, err, artifacts, svc.LogTail(200))
	}
	b, err := os.ReadFile(resultFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, res); err != nil {
		t.Fatal(err)
	}
}

// startService builds agentswitch and runs `serve` against the simulator,
// as an operator would.
// xmlCurlSecret is the service's mod_xml_curl secret: a simulator given
// sim.XMLCurlGateways reads the gateways with it, as FreeSWITCH does.
const xmlCurlSecret = "browser-test-secret-0123456789"

// extra are more `serve` flags (-webrtc-ws-url).
func startService(t *testing.T, eslAddr string, extra ...string) *svctest.Process {
	t.Helper()
	dir := t.TempDir()
	bin, err := svctest.Build(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	// A real switch fetches its directory with this secret; the simulator
	// does not, but the service requires it beside an ESL address.
	p, err := svctest.Start(bin, dir, append([]string{"-esl-addr", eslAddr, "-esl-password", eslPassword,
		"-http-addr", "127.0.0.1:0", "-var-dir", filepath.Join(dir, "var"), "-log-level", "warn",
		"-pause-codes", "BREAK,LUNCH,MEETING,TRAINING,ADMIN," + longPause}, extra...),
		// Webhook receivers in these tests listen on 127.0.0.1.
		[]string{"AGENTSWITCH_XML_CURL_SECRET=" + xmlCurlSecret, "AGENTSWITCH_WEBHOOK_ALLOW_PRIVATE=true"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// loseHeartbeat stands in for 30 s of silence from a page cut off from
// the service: it moves the agent's heartbeat deadline into the past in
// the service's Redis, and waits for the service's own sweep to pause the
// agent.
func loseHeartbeat(ctx context.Context, base string, c *client, agent string) error {
	rdb, err := serviceRedis(base, c)
	if err != nil {
		return err
	}
	defer rdb.Close()
	// The deadlines' key: dialer/redisstore/keys.go.
	if err := rdb.ZAdd(ctx, redisstore.DefaultPrefix+"heartbeats", redis.Z{Score: 0, Member: agent}).Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(8 * time.Second)
	for {
		var a struct {
			State string `json:"state"`
			Pause string `json:"pause_code"`
		}
		if st, _, err := c.Do(http.MethodGet, "/agents/"+agent, nil, &a); err == nil && st == http.StatusOK &&
			a.State == "PAUSED" && a.Pause == "NO_HEARTBEAT" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent %s is %s %s, not paused for its lost heartbeat", agent, a.State, a.Pause)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serviceRedis connects to the service's Redis, found in /healthz (which
// shows addresses to admins only: c is the admin's session).
func serviceRedis(base string, c *client) (*redis.Client, error) {
	var health struct {
		Redis struct {
			Addr string `json:"addr"`
		} `json:"redis"`
	}
	resp, err := c.HTTP.Get(base + "/healthz")
	if err != nil {
		return nil, err
	}
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if err != nil || health.Redis.Addr == "" {
		return nil, fmt.Errorf("no redis address in /healthz: %v", err)
	}
	return redis.NewClient(&redis.Options{Addr: health.Redis.Addr}), nil
}

// ---- the API, as the admin

// client fails the test on any answer but a success.
type client struct{ *svctest.Client }

func newClient(p *svctest.Process) *client { return &client{svctest.NewClient(p.URL)} }

func (c *client) do(t *testing.T, method, path string, body any, into any) {
	t.Helper()
	st, raw, err := c.Do(method, path, body, into)
	if err != nil || st >= 300 {
		t.Fatalf("%s %s: %d %v %s", method, path, st, err, raw)
	}
}

func (c *client) post(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	var m map[string]any
	c.do(t, http.MethodPost, path, body, &m)
	return m
}

func (c *client) get(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	c.do(t, http.MethodGet, path, nil, &m)
	return m
}

// signedInAdmin is the service's first admin, signed in, and an admin
// API key for the scenario's own requests.
func signedInAdmin(t *testing.T, svc *svctest.Process) (*client, string) {
	t.Helper()
	adm := newClient(svc)
	adm.login(t, "admin", svc.AdminPassword)
	return adm, adm.createAdminKey(t)
}

func (c *client) login(t *testing.T, user, pass string) {
	t.Helper()
	c.post(t, "/auth/login", map[string]string{"username": user, "password": pass})
}

func (c *client) createAdminKey(t *testing.T) string {
	t.Helper()
	k := c.post(t, "/api-keys", map[string]string{"name": "browser-test", "role": "admin"})
	s, _ := k["secret"].(string)
	if s == "" {
		t.Fatal("no API key secret")
	}
	return s
}

type callDetail struct {
	Record struct {
		Direction   string  `json:"direction"`
		Origin      string  `json:"origin"`
		ToNumber    string  `json:"to_number"`
		FromNumber  string  `json:"from_number"`
		Campaign    float64 `json:"campaign_id"`
		Lead        float64 `json:"lead_id"`
		Outcome     string  `json:"outcome"`
		Disposition string  `json:"disposition"`
		Notes       string  `json:"notes"`
		Recording   string  `json:"recording_path"`
	} `json:"record"`
	Legs []struct {
		ID       string  `json:"id"`
		Role     string  `json:"role"`
		Agent    float64 `json:"agent_id"`
		Endpoint string  `json:"endpoint"`
	} `json:"legs"`
}

func (d callDetail) leg(t *testing.T, role string) string {
	t.Helper()
	for _, l := range d.Legs {
		if l.Role == role {
			return l.ID
		}
	}
	t.Fatalf("no %s leg in %+v", role, d.Legs)
	return ""
}

// call reads a call's record once it is written down. A transferred call
// talks on without the agent; its remaining parties hang up first.
func (c *client) call(t *testing.T, sw *sim.Server, id string) callDetail {
	t.Helper()
	if id == "" {
		t.Fatal("the scenario reported no call id")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var raw struct {
			Live bool `json:"live"`
			View struct {
				Parties []struct {
					Leg   string `json:"leg_id"`
					State string `json:"state"`
				} `json:"parties"`
			} `json:"view"`
			callDetail
		}
		c.do(t, http.MethodGet, "/calls/"+id, nil, &raw)
		if !raw.Live && raw.Record.Outcome != "" {
			return raw.callDetail
		}
		for _, p := range raw.View.Parties {
			if p.State != "gone" {
				sw.Hangup(p.Leg, "NORMAL_CLEARING")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s has no record yet", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type callbackView struct {
	ID       int64     `json:"id"`
	DueAt    time.Time `json:"due_at"`
	TimeZone string    `json:"time_zone"`
	Status   string    `json:"status"`
	Lead     float64   `json:"lead_id"`
	Notes    string    `json:"notes"`
}

// scheduled reports whether the callback is still in everyone's list of
// scheduled callbacks.
func (c *client) scheduled(t *testing.T, id int64) bool {
	t.Helper()
	var list struct {
		Callbacks []callbackView `json:"callbacks"`
	}
	c.do(t, http.MethodGet, "/callbacks?scope=all", nil, &list)
	return slices.ContainsFunc(list.Callbacks, func(cb callbackView) bool { return cb.ID == id })
}

// ---- switch commands

// commandLines are the simulator's commands, first line only (a bgapi's
// Job-UUID header cut off).
func commandLines(raw []string) []string {
	out := make([]string, 0, len(raw))
	for _, c := range raw {
		line, _, _ := strings.Cut(c, "\n")
		out = append(out, strings.TrimSuffix(line, "\r"))
	}
	return out
}

func hasPrefix(cmds []string, p string) bool { return findPrefix(cmds, p) != "" }

func findPrefix(cmds []string, p string) string {
	for _, c := range cmds {
		if strings.HasPrefix(c, p) {
			return c
		}
	}
	return ""
}

// dtmf is every digit sent to leg, in order.
func dtmf(cmds []string, leg string) string {
	var b strings.Builder
	for _, c := range cmds {
		if d, ok := strings.CutPrefix(c, "api uuid_send_dtmf "+leg+" "); ok {
			b.WriteString(d)
		}
	}
	return b.String()
}
