//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
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
	root := repoRoot()
	for _, need := range []string{chromium, filepath.Join(root, "tests", "browser", "node_modules", "playwright-core")} {
		if _, err := os.Stat(need); err != nil {
			t.Skipf("browser softphone: %s is missing (npm ci in tests/browser): %v", need, err)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("browser softphone: node is not installed")
	}
	if e.agentsWS == "" {
		t.Skip("browser softphone: the agents profile's WebSocket address is unknown (AGENTSWITCH_E2E_AGENTS_WS)")
	}
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
	var u struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/users", map[string]any{"username": name, "password": password, "role": "agent", "display_name": "Browser " + ext}, 201, &u)
	// A campaign of its own, dialed by hand: the start screen has nothing to
	// ask whatever campaigns the tier's other tests made, and no dialer call
	// comes between this test's calls.
	var camp struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/campaigns", map[string]any{"name": "e2e browser phone", "dial_mode": "manual", "active": true}, 201, &camp)
	var agent struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/agents", map[string]any{"name": "Browser " + ext, "extension": ext, "sip_password": agentPass, "user_id": u.ID,
		"mode": "persistent", "campaigns": []any{camp.ID}}, 201, &agent)
	t.Cleanup(func() { admin.Do(http.MethodPost, fmt.Sprintf("/agents/%d/logout", agent.ID), nil, nil) })
	bob, bobPhone := e.seat(t, "2432", "agent", "ring", toneAgent2)
	leads := e.leadPhone(t)

	mic := filepath.Join(t.TempDir(), "tone.wav")
	writeToneWAV(t, mic, toneBrowser)

	registered := func() (bool, error) {
		cmd, err := esl.SofiaRegistrationsCmd("agents")
		if err != nil {
			return false, err
		}
		out, err := e.client.API(ctx, "", cmd)
		return strings.Contains(out, user+"@"), err
	}
	waitReg := func(want bool) error {
		for {
			ok, err := registered()
			if err == nil && ok == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s registered %v, want %v: %v\n%s", user, ok, want, err, e.logTail(40))
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
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
		"AS_URL=" + e.svc.URL, "AS_USER=" + name, "AS_PASSWORD=" + password, "AS_MIC_WAV=" + mic,
		fmt.Sprintf("AS_LEAD_HZ=%d", toneLead), fmt.Sprintf("AS_CALLS=%d", calls), fmt.Sprintf("AS_LOGINS=%d", logins),
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "login-clicked":
			loginClick = time.Now()
		case "registered":
			if err := waitReg(true); err != nil {
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
			if err := waitReg(false); err != nil {
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

// writeToneWAV writes the fake microphone's WAV: a steady sine at hz.
func writeToneWAV(t *testing.T, path string, hz float64) {
	t.Helper()
	if err := svctest.WriteToneWAV(path, hz); err != nil {
		t.Fatal(err)
	}
}
