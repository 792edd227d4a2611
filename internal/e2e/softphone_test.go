//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

const (
	// The browser's fake microphone plays toneBrowser.
	toneBrowser = 700
	chromium    = "/usr/bin/chromium"
)

// TestServiceBrowserSoftphone: an agent in Chromium on the browser phone
// against real FreeSWITCH. The page registers as w<ext> on the agents
// profile over WS with the password the service issued, takes its
// persistent line (answered by itself, ICE and DTLS-SRTP with FreeSWITCH),
// and the lead calls the service puts through to it: the lead hears the
// browser's microphone and the page hears the lead; on hold the lead hears
// the music; a blind transfer takes the lead to a colleague's SIP phone;
// ending the phone session unregisters the browser. Figures: login click
// to registered, and lead's answer to the lead's audio at the browser.
// AGENTSWITCH_E2E_SOFTPHONE_CALLS and _LOGINS set how many calls (5) and
// logins (3: each but the last logged out at once) the figures cover.
func TestServiceBrowserSoftphone(t *testing.T) {
	e := env(t)
	browserTier(t, e)
	calls, logins := 5, 3
	if n, err := strconv.Atoi(os.Getenv("AGENTSWITCH_E2E_SOFTPHONE_CALLS")); err == nil && n > 0 {
		calls = n
	}
	if n, err := strconv.Atoi(os.Getenv("AGENTSWITCH_E2E_SOFTPHONE_LOGINS")); err == nil && n > 0 {
		logins = n
	}
	ctx := ctxFor(t, time.Duration(3+calls/2+logins/2)*time.Minute)
	const ext, user = "2431", "w2431"
	admin := e.svc.admin
	name, password := "agent"+ext, "agent"+ext+"-password"
	// A campaign of its own, dialed by hand: the start screen has nothing to
	// ask whatever campaigns the tier's other tests made, and no dialer call
	// comes between this test's calls.
	var camp struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/campaigns", map[string]any{"name": "e2e browser phone", "dial_mode": "manual", "active": true}, 201, &camp)
	agent := e.browserSeat(t, ext, "persistent", camp.ID)
	bob, bobPhone := e.seat(t, "2432", "agent", "ring", toneAgent2)
	leads := e.leadPhone(t)

	mic := filepath.Join(t.TempDir(), "tone.wav")
	writeMicWAV(t, mic, toneBrowser)

	// Real time: the figures are what an agent would wait.
	var loginClick time.Time
	var regGo, toEvent, toPhone []time.Duration
	leadCalls := map[string]*sipphone.Call{}
	var res struct {
		Calls   []string `json:"calls"`
		Figures struct {
			LoginToReady []float64 `json:"login_to_ready_ms"`
		} `json:"figures"`
	}
	e.runPage(t, ctx, "softphone_e2e.mjs", []string{
		"AS_TRUST_SPKI=" + e.trustSPKI(t), "AS_URL=" + e.svc.URL, "AS_USER=" + name, "AS_PASSWORD=" + password, "AS_MIC_WAV=" + mic,
		fmt.Sprintf("AS_LEAD_HZ=%d", toneLead), fmt.Sprintf("AS_CALLS=%d", calls), fmt.Sprintf("AS_LOGINS=%d", logins),
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "login-clicked":
			loginClick = time.Now()
		case "registered":
			if err := e.waitRegistered(ctx, user, true); err != nil {
				return nil, err
			}
			regGo = append(regGo, time.Since(loginClick))
		case "line-up":
			for !e.phoneConnected(t, agent.ID) {
				select {
				case <-ctx.Done():
					return nil, fmt.Errorf("the persistent line never came up\n%s\n%s", e.svc.LogTail(30), e.logTail(60))
				case <-time.After(50 * time.Millisecond):
				}
			}
		case "call":
			number := "+" + newNumber()
			var v struct{ ID string }
			if st, raw, err := admin.Do(http.MethodPost, "/calls", map[string]any{"number": number, "agent_id": agent.ID}, &v); err != nil || st != 201 {
				return nil, fmt.Errorf("POST /calls: %d %v %s", st, err, raw)
			}
			lc, err := nextCallFor(ctx, leads, number)
			if err != nil {
				return nil, fmt.Errorf("the lead phone never rang: %w", err)
			}
			if err := lc.WaitAnswered(ctx); err != nil {
				return nil, err
			}
			leadCalls[v.ID] = lc
			return map[string]string{"id": v.ID}, nil
		case "lead-hears":
			lc := leadCalls[req["id"]]
			ms, err := strconv.ParseInt(req["heard_at"], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("heard_at: %w", err)
			}
			heard := time.UnixMilli(ms)
			toPhone = append(toPhone, heard.Sub(lc.AnsweredAt()))
			// t0 as P2 takes it: the lead's CHANNEL_ANSWER read on the event socket.
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, at, err := e.rec.wait(wctx, 0, func(ev *esl.Event) bool {
				return ev.Name() == esl.EventChannelAnswer && ev.Var(pbxnames.VarCallID) == req["id"] && ev.Var(pbxnames.VarLegRole) == "lead"
			})
			cancel()
			if err != nil {
				return nil, fmt.Errorf("no CHANNEL_ANSWER of the lead of %s: %w", req["id"], err)
			}
			toEvent = append(toEvent, heard.Sub(at))
			if _, err := lc.WaitTone(ctx, toneBrowser, lc.AnsweredAt()); err != nil {
				return nil, fmt.Errorf("the lead does not hear the browser's microphone: %v (%+v)\n%s", err, lc.Stats(), e.logTail(60))
			}
		case "lead-hangs-up":
			if err := leadCalls[req["id"]].Hangup(ctx); err != nil {
				return nil, err
			}
		case "hold":
			lc := leadCalls[req["id"]]
			m := e.rec.mark()
			if st, raw, err := admin.Do(http.MethodPost, "/calls/"+req["id"]+"/hold", nil, nil); err != nil || st != 204 {
				return nil, fmt.Errorf("hold: %d %v %s", st, err, raw)
			}
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if _, _, err := e.rec.wait(wctx, m, named(esl.EventPlaybackStart, "")); err != nil {
				return nil, fmt.Errorf("no hold music started: %w", err)
			}
			if _, err := lc.WaitTone(ctx, toneHoldMusic, time.Now()); err != nil {
				return nil, fmt.Errorf("the held lead hears no music: %w", err)
			}
			if hears(ctx, lc, toneBrowser, time.Now(), 600*time.Millisecond) {
				return nil, fmt.Errorf("the held lead hears the browser")
			}
		case "unhold":
			lc := leadCalls[req["id"]]
			if st, raw, err := admin.Do(http.MethodPost, "/calls/"+req["id"]+"/unhold", nil, nil); err != nil || st != 204 {
				return nil, fmt.Errorf("unhold: %d %v %s", st, err, raw)
			}
			if _, err := lc.WaitTone(ctx, toneBrowser, time.Now()); err != nil {
				return nil, fmt.Errorf("after unhold the lead does not hear the browser: %w", err)
			}
		case "transfer":
			lc := leadCalls[req["id"]]
			ready(t, bob, "ring")
			if st, raw, err := admin.Do(http.MethodPost, "/calls/"+req["id"]+"/transfer", map[string]any{"agent_id": bob.Seat}, nil); err != nil || st != 204 {
				return nil, fmt.Errorf("transfer: %d %v %s", st, err, raw)
			}
			bc, err := bobPhone.NextCall(ctx)
			if err != nil {
				return nil, fmt.Errorf("the colleague was not rung: %w", err)
			}
			if err := bc.WaitAnswered(ctx); err != nil {
				return nil, err
			}
			since := time.Now()
			if _, err := bc.WaitTone(ctx, toneLead, since); err != nil {
				return nil, fmt.Errorf("the colleague does not hear the lead: %w", err)
			}
			if _, err := lc.WaitTone(ctx, toneAgent2, since); err != nil {
				return nil, fmt.Errorf("the lead does not hear the colleague: %w", err)
			}
		case "logged-out":
			if err := e.waitRegistered(ctx, user, false); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown request %q", req["do"])
		}
		return map[string]string{}, nil
	}, &res)

	ms := func(f []float64) []time.Duration {
		d := make([]time.Duration, len(f))
		for i, v := range f {
			d[i] = time.Duration(v * float64(time.Millisecond))
		}
		return d
	}
	if len(regGo) > 0 {
		t.Logf("figure:\n%s", summary("login click -> registered (sofia reg)", regGo))
	}
	if len(res.Figures.LoginToReady) > 0 {
		t.Logf("figure:\n%s", summary("login click -> page data-reg=ready", ms(res.Figures.LoginToReady)))
	}
	if len(toEvent) > 0 {
		t.Logf("figure (%d calls):\n%s\n%s", len(toEvent), summary("lead's CHANNEL_ANSWER -> lead's audio at the page", toEvent),
			summary("lead phone's 200 OK -> lead's audio at the page", toPhone))
	}
	// The colleague hangs up; its wrap-up is not this test's.
	if len(res.Calls) > 0 {
		bob.Do(http.MethodPost, "/calls/"+res.Calls[len(res.Calls)-1]+"/hangup", nil, nil)
	}
}

// webrtcURL is where browsers register: the agents profile's WSS, as in
// production, unless AGENTSWITCH_E2E_WEBRTC=ws asks for plain WS; "" when
// the address is not known.
func (e *switchEnv) webrtcURL() string {
	if os.Getenv("AGENTSWITCH_E2E_WEBRTC") == "ws" {
		if e.agentsWS == "" {
			return ""
		}
		return "ws://" + e.agentsWS
	}
	if e.agentsWSS == "" {
		return ""
	}
	return "wss://" + e.agentsWSS
}

// trustSPKI is the base64 SHA-256 of the public key of FreeSWITCH's WSS
// certificate (wss.pem, self-signed on its first start), for Chromium's
// --ignore-certificate-errors-spki-list: the browser trusts that one
// certificate as an agent's would once its CA is installed. "" on WS.
func (e *switchEnv) trustSPKI(t *testing.T) string {
	t.Helper()
	if !strings.HasPrefix(e.webrtcURL(), "wss:") {
		return ""
	}
	if e.certsDir == "" {
		t.Skip("browser softphone on WSS: FreeSWITCH's certificates directory is unknown (AGENTSWITCH_E2E_CERTS_DIR)")
	}
	b, err := os.ReadFile(filepath.Join(e.certsDir, "wss.pem"))
	if err != nil {
		t.Fatalf("FreeSWITCH's WSS certificate: %v", err)
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			t.Fatal("wss.pem has no certificate")
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("wss.pem: %v", err)
		}
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		return base64.StdEncoding.EncodeToString(sum[:])
	}
}

// registeredAs reads whether user is registered on the agents profile,
// and over which transport (ws, wss, udp...).
func (e *switchEnv) registeredAs(ctx context.Context, user string) (bool, string, error) {
	cmd, err := esl.SofiaRegistrationsCmd("agents")
	if err != nil {
		return false, "", err
	}
	out, err := e.client.API(ctx, "", cmd)
	if err != nil {
		return false, "", err
	}
	for _, blk := range strings.Split(out, "\n\n") {
		if strings.Contains(blk, "User:") && strings.Contains(blk, user+"@") {
			// "Status: Registered(WSS-NAT)": JsSIP's Contact says ws
			// whatever the socket, sofia's status names the real one.
			tr := ""
			if i := strings.Index(blk, "Registered("); i >= 0 {
				tr, _, _ = strings.Cut(blk[i+len("Registered("):], ")")
				tr, _, _ = strings.Cut(strings.ToLower(tr), "-")
			}
			return true, tr, nil
		}
	}
	return false, "", nil
}

// waitRegistered waits until user is registered on the agents profile
// (over the transport browsers are given) or, want false, is not.
func (e *switchEnv) waitRegistered(ctx context.Context, user string, want bool) error {
	wantTr := strings.SplitN(e.webrtcURL(), ":", 2)[0]
	for {
		ok, tr, err := e.registeredAs(ctx, user)
		if err == nil && ok == want {
			if ok && tr != wantTr {
				return fmt.Errorf("%s registered over %q, want %q", user, tr, wantTr)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s registered %v, want %v: %v\n%s", user, ok, want, err, e.logTail(40))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// phoneConnected reads whether an agent's persistent line is up.
func (e *switchEnv) phoneConnected(t *testing.T, id int64) bool {
	var a struct {
		PhoneConnected bool `json:"phone_connected"`
	}
	st, _, err := e.svc.admin.Do(http.MethodGet, fmt.Sprintf("/agents/%d", id), nil, &a)
	return err == nil && st == 200 && a.PhoneConnected
}

// runPage runs a node scenario of testdata/ (tests/browser's harness),
// answering its requests ("@@ask {json}" lines) with act, and decodes its
// result into res.
func (e *switchEnv) runPage(t *testing.T, ctx context.Context, script string, env []string, act func(map[string]string) (map[string]string, error), res any) {
	t.Helper()
	dir := t.TempDir()
	resultFile := filepath.Join(dir, "result.json")
	artifacts := filepath.Join(repoRoot(), "tests", "browser", "artifacts")
	cmd := exec.CommandContext(ctx, "node", filepath.Join(repoRoot(), "internal", "e2e", "testdata", script))
	cmd.Env = append(append(os.Environ(), env...), "AS_ARTIFACTS="+artifacts, "AS_RESULT="+resultFile, "AS_CHROMIUM="+chromium)
	started := time.Now()
	out, err := svctest.RunScenario(cmd, act)
	t.Logf("%s (%s):\n%s", script, time.Since(started).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("%s: %v (screenshots in %s)\nservice log:\n%s\nFreeSWITCH log:\n%s", script, err, artifacts, e.svc.LogTail(60), e.logTail(120))
	}
	b, err := os.ReadFile(resultFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, res); err != nil {
		t.Fatal(err)
	}
}

// writeMicWAV writes the fake microphone's WAV: a sine at hz, cut for
// 150 ms in every 500 (see svctest.WritePulsedToneWAV).
func writeMicWAV(t *testing.T, path string, hz float64) {
	t.Helper()
	if err := svctest.WritePulsedToneWAV(path, hz, 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// TestServiceBrowserSoftphoneDialer: an agent on the browser phone in ring
// mode, over the transport production uses (WSS), works a progressive
// campaign with the page's own controls against real FreeSWITCH: the
// dialer's call is put through to the tab, answered by itself (the
// delivery tone, then the lead, each hearing the other); the page's Hold
// plays the music to the lead, its Mute silences the browser, its keypad
// reaches the lead as DTMF; the page's Hang up leaves the agent
// wrapping up; a number the agent dials from the page rings the tab first,
// then the lead; the page's conference panel adds a colleague (all three
// talk, and the two go on when the agent leaves); the page's transfer
// panel hands the lead to a colleague.
func TestServiceBrowserSoftphoneDialer(t *testing.T) {
	e := env(t)
	browserTier(t, e)
	ctx := ctxFor(t, 4*time.Minute)
	const ext, user = "2433", "w2433"
	admin := e.svc.admin
	name, password := "agent"+ext, "agent"+ext+"-password"
	var camp struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/campaigns", map[string]any{"name": "e2e browser progressive", "dial_mode": "progressive", "max_attempts": 1,
		"settings": map[string]any{"lines_per_agent": 1, "calling_window": map[string]any{"hours": []any{map[string]string{"start": "00:00", "end": "23:59"}}}}}, 201, &camp)
	// Paused until the page is READY: the lead is dialed when the test says.
	admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/pause", camp.ID), nil, 200, nil)
	number := "+" + newNumber()
	admin.Must(t, http.MethodPost, "/leads", map[string]any{"campaign_id": camp.ID, "phone": number, "first_name": "Dora"}, 201, nil)
	agent := e.browserSeat(t, ext, "ring", camp.ID)
	bob, bobPhone := e.seat(t, "2434", "agent", "ring", toneAgent2)
	leads := e.leadPhone(t)
	mic := filepath.Join(t.TempDir(), "tone.wav")
	writeMicWAV(t, mic, toneBrowser)

	var lead, bobCall *sipphone.Call
	callOf := func() (string, error) {
		var v struct {
			Call string `json:"call_id"`
		}
		if st, raw, err := admin.Do(http.MethodGet, fmt.Sprintf("/agents/%d", agent.ID), nil, &v); err != nil || st != 200 || v.Call == "" {
			return "", fmt.Errorf("the agent's call: %d %v %s", st, err, raw)
		}
		return v.Call, nil
	}
	// answerLead takes the lead phone's call to n, answered, and checks the
	// lead hears the browser.
	answerLead := func(n string) error {
		lc, err := nextCallFor(ctx, leads, n)
		if err != nil {
			return fmt.Errorf("the lead phone never rang: %w\n%s", err, e.svc.LogTail(30))
		}
		if err := lc.WaitAnswered(ctx); err != nil {
			return err
		}
		lead = lc
		if _, err := lc.WaitTone(ctx, toneBrowser, lc.AnsweredAt()); err != nil {
			return fmt.Errorf("the lead does not hear the browser: %v (%+v)\n%s", err, lc.Stats(), e.logTail(60))
		}
		return nil
	}
	// done answers a request with an empty reply, or the error.
	done := func(err error) (map[string]string, error) {
		if err != nil {
			return nil, err
		}
		return map[string]string{}, nil
	}
	var res struct{}
	e.runPage(t, ctx, "softphone_dialer_e2e.mjs", []string{
		"AS_TRUST_SPKI=" + e.trustSPKI(t), "AS_URL=" + e.svc.URL, "AS_USER=" + name, "AS_PASSWORD=" + password, "AS_MIC_WAV=" + mic,
		fmt.Sprintf("AS_LEAD_HZ=%d", toneLead), fmt.Sprintf("AS_DELIVERY_HZ=%d", toneDelivery),
		fmt.Sprintf("AS_COLLEAGUE=%d", bob.Seat),
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "registered":
			return done(e.waitRegistered(ctx, user, true))
		case "dial":
			admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/resume", camp.ID), nil, 200, nil)
			if err := answerLead(number); err != nil {
				return nil, err
			}
			id, err := callOf()
			return map[string]string{"id": id}, err
		case "held":
			if _, err := lead.WaitTone(ctx, toneHoldMusic, time.Now()); err != nil {
				return nil, fmt.Errorf("the held lead hears no music: %w", err)
			}
			if hears(ctx, lead, toneBrowser, time.Now(), 600*time.Millisecond) {
				return nil, fmt.Errorf("the held lead hears the browser")
			}
		case "unheld":
			if _, err := lead.WaitTone(ctx, toneBrowser, time.Now()); err != nil {
				return nil, fmt.Errorf("after unhold the lead does not hear the browser: %w", err)
			}
		case "muted":
			// The lead's line falls silent: no more of the browser's tone.
			deadline := time.Now().Add(5 * time.Second)
			for hears(ctx, lead, toneBrowser, time.Now(), 600*time.Millisecond) {
				if time.Now().After(deadline) {
					return nil, fmt.Errorf("the lead still hears the muted browser")
				}
			}
		case "digits":
			got, err := lead.WaitDigits(ctx, len(req["want"]))
			if err != nil || got != req["want"] {
				return nil, fmt.Errorf("the lead got DTMF %q, %v; want %q", got, err, req["want"])
			}
		case "lead-hung-up":
			if err := lead.WaitEnded(ctx); err != nil {
				return nil, fmt.Errorf("the page's hang-up did not end the lead's call: %w", err)
			}
		case "manual-number":
			return map[string]string{"number": "+" + newNumber()}, nil
		case "manual-lead":
			if err := answerLead(req["number"]); err != nil {
				return nil, err
			}
		case "colleague-ready":
			ready(t, bob, "ring")
		case "conferenced":
			bc, err := bobPhone.NextCall(ctx)
			if err != nil {
				return nil, fmt.Errorf("the colleague was not rung: %w", err)
			}
			if err := bc.WaitAnswered(ctx); err != nil {
				return nil, err
			}
			bobCall = bc
			// All three talk: the colleague hears the lead and the browser,
			// the lead the colleague.
			since := time.Now()
			for _, c := range []struct {
				call *sipphone.Call
				hz   float64
				who  string
			}{{bc, toneLead, "the colleague hears the lead"}, {bc, toneBrowser, "the colleague hears the browser"}, {lead, toneAgent2, "the lead hears the colleague"}} {
				wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				_, err := c.call.WaitTone(wctx, c.hz, since)
				cancel()
				if err != nil {
					return nil, fmt.Errorf("conference: %s: %w (%+v)\n%s", c.who, err, c.call.Stats(), e.logTail(40))
				}
			}
		case "left":
			// The agent left: the colleague and the lead talk on, the
			// browser is gone from the room.
			hearEachOther(t, ctx, time.Now(), bobCall, toneLead, lead, toneAgent2)
			if hears(ctx, bobCall, toneBrowser, time.Now().Add(300*time.Millisecond), 800*time.Millisecond) {
				return nil, fmt.Errorf("the colleague still hears the browser after it left")
			}
			if err := bobCall.Hangup(ctx); err != nil {
				return nil, err
			}
			// The colleague wraps up its part, READY for the transfer.
			var v struct {
				Call string `json:"call_id"`
			}
			bob.Must(t, http.MethodGet, fmt.Sprintf("/agents/%d", bob.Seat), nil, 200, &v)
			if v.Call != "" {
				e.dispose(t, bob, v.Call, "SALE")
			}
		case "transferred":
			bc, err := bobPhone.NextCall(ctx)
			if err != nil {
				return nil, fmt.Errorf("the colleague was not rung: %w", err)
			}
			if err := bc.WaitAnswered(ctx); err != nil {
				return nil, err
			}
			hearEachOther(t, ctx, time.Now(), bc, toneLead, lead, toneAgent2)
			return done(bc.Hangup(ctx))
		case "logged-out":
			return done(e.waitRegistered(ctx, user, false))
		default:
			return nil, fmt.Errorf("unknown request %q", req["do"])
		}
		return map[string]string{}, nil
	}, &res)
}

// browserSeat makes the user agent<ext> (password agent<ext>-password)
// and its seat, working campaign in mode, logged out at the end.
func (e *switchEnv) browserSeat(t *testing.T, ext, mode string, campaign int64) (agent struct{ ID int64 }) {
	t.Helper()
	admin := e.svc.admin
	name := "agent" + ext
	var u struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/users", map[string]any{"username": name, "password": name + "-password", "role": "agent", "display_name": "Browser " + ext}, 201, &u)
	admin.Must(t, http.MethodPost, "/agents", map[string]any{"name": "Browser " + ext, "extension": ext, "sip_password": agentPass, "user_id": u.ID,
		"mode": mode, "campaigns": []any{campaign}}, 201, &agent)
	t.Cleanup(func() { admin.Do(http.MethodPost, fmt.Sprintf("/agents/%d/logout", agent.ID), nil, nil) })
	return agent
}

// browserTier skips a browser softphone test when Chromium, playwright-core
// or node is missing, or the agents profile's WebSocket is unknown.
func browserTier(t *testing.T, e *switchEnv) {
	t.Helper()
	for _, need := range []string{chromium, filepath.Join(repoRoot(), "tests", "browser", "node_modules", "playwright-core")} {
		if _, err := os.Stat(need); err != nil {
			t.Skipf("browser softphone: %s is missing (npm ci in tests/browser): %v", need, err)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("browser softphone: node is not installed")
	}
	if e.webrtcURL() == "" {
		t.Skip("browser softphone: the agents profile's WebSocket address is unknown (AGENTSWITCH_E2E_AGENTS_WSS or _WS)")
	}
}
