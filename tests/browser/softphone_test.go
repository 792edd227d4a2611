package browser

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/svctest"
	"github.com/agentswitch/agentswitch/internal/webrtcpeer"
)

const (
	softphoneUser = "sam"
	softphonePass = "sam-pass-1234"
	softphoneExt  = "2401"
	softphoneLead = "+14155550123"
	// sipRealm is the service's default -sip-realm: the domain of the
	// browser's SIP URI and the realm its a1-hash is computed over.
	sipRealm = "agentswitch"
	// The browser's fake microphone plays micHz; the peer plays peerHz.
	micHz  = 700
	peerHz = 1000
)

// TestSoftphoneDay: an agent works a call with the browser phone, in
// Chromium with a fake microphone, against the test peer standing in for
// FreeSWITCH's WebSocket SIP side. The browser registers with the
// password the service issued (the peer checks it against the a1-hash the
// service's directory serves, as FreeSWITCH does), the call the engine
// puts through to user/w<ext> is answered by itself, each end hears the
// other's tone, a microphone unplugged mid-call is said while the call
// goes on and, plugged back in, is heard at the peer again, the keypad's
// digit reaches the lead from the service, hanging up ends the browser's
// call (the wrap-up shows the phone's strip), and logging out unregisters
// it and withdraws the credentials.
func TestSoftphoneDay(t *testing.T) {
	ctx := tier(t)
	user := "w" + softphoneExt

	legs := &agentLegs{user: user, found: make(chan string, 16)}
	sw := startSim(t, func(c *sim.Config) { c.OnCommand = legs.see })
	sw.SetEndpoint(softphoneLead, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	peer, svcURL := startPeer(t, ctx)
	svc := startService(t, sw.Addr(), "-webrtc-ws-url", peer.URL())
	svcURL.Store(&svc.URL)
	adm, keySecret := signedInAdmin(t, svc)
	u := adm.post(t, "/users", map[string]any{"username": softphoneUser, "display_name": "Sam Reyes", "role": "agent", "password": softphonePass})
	agent := adm.post(t, "/agents", map[string]any{"name": "Sam Reyes", "extension": softphoneExt, "sip_password": "sip-secret-2401", "user_id": u["id"]})

	// The switch's side: each originate to user/w<ext> INVITEs the
	// browser; the call ends when the switch's agent leg does.
	legsCtx, stopLegs := context.WithCancel(ctx)
	legs.wg.Go(func() { legs.serve(legsCtx, t, sw, peer) })
	t.Cleanup(func() { stopLegs(); legs.wg.Wait() })

	mic := filepath.Join(t.TempDir(), "tone.wav")
	writeToneWAV(t, mic, micHz)

	// Real time: the figures are what an agent would wait.
	var loginClick time.Time
	var res struct {
		Calls   map[string]string `json:"calls"`
		Figures map[string]any    `json:"figures"`
	}
	scenario(t, ctx, svc, "softphone_day.mjs", []string{
		"AS_USER=" + softphoneUser, "AS_PASSWORD=" + softphonePass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", agent["id"]), "AS_LEAD_NUMBER=" + softphoneLead,
		"AS_MIC_WAV=" + mic, fmt.Sprintf("AS_PEER_HZ=%d", peerHz),
	}, func(req map[string]string) (map[string]string, error) {
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		switch req["do"] {
		case "login-clicked":
			loginClick = time.Now()
			return map[string]string{}, nil
		case "registered":
			if err := peer.WaitRegistered(wait, user); err != nil {
				return nil, err
			}
			t.Logf("figure: login click to registered at the peer: %s", time.Since(loginClick).Round(time.Millisecond))
			if body, err := directory(svc.URL, user); err != nil || a1Of(body, user) == "" {
				return nil, fmt.Errorf("the directory serves no a1-hash for %s while registered: %v %s", user, err, body)
			}
			return map[string]string{}, nil
		case "audio":
			c, err := legs.call(wait)
			if err != nil {
				return nil, err
			}
			if err := c.WaitAnswered(wait); err != nil {
				return nil, err
			}
			if err := c.HeardTone(wait, micHz); err != nil {
				return nil, fmt.Errorf("the peer never heard the browser's microphone: %w (%d packets)", err, c.AudioPackets())
			}
			return map[string]string{}, nil
		case "ended":
			c, err := legs.call(wait)
			if err != nil {
				return nil, err
			}
			if err := c.WaitEnded(wait); err != nil {
				return nil, err
			}
			return map[string]string{"reason": c.Reason()}, nil
		case "logged-out":
			if err := peer.WaitUnregistered(wait, user); err != nil {
				return nil, err
			}
			if body, err := directory(svc.URL, user); err != nil || !strings.Contains(body, `status="not found"`) {
				return nil, fmt.Errorf("the directory after logout, for %s: %v %s", user, err, body)
			}
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	t.Logf("figures in the page: %v", res.Figures)
	c, err := legs.call(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := legs.answerTime(); d > 0 {
		t.Logf("figure: peer's INVITE to the browser's answer: %s", d.Round(time.Millisecond))
	}
	// The page never sends tones of its own: the keypad is the service's.
	if c.Digits() != "" || c.InfoDigits() != "" {
		t.Errorf("the browser sent DTMF itself: RTP %q, INFO %q", c.Digits(), c.InfoDigits())
	}
	call := adm.call(t, sw, res.Calls["first"])
	if got := dtmf(commandLines(sw.Commands()), call.leg(t, "lead")); got != "5" {
		t.Errorf("keypad tones to the lead %q, want 5", got)
	}
	if a := call.leg(t, "agent"); a != legs.first() {
		t.Errorf("the browser was called for leg %s, the call's agent leg is %s", legs.first(), a)
	}
	if r := call.Record; r.Outcome != "answered" || r.Disposition != "SALE" {
		t.Errorf("call record %+v", r)
	}
}

// TestSoftphoneBadPaths: what the agent is told when the browser phone
// cannot work: the microphone refused (said on the start screen, and the
// login goes through once it is allowed), a second tab taking the phone
// over (the first says so), and the phone server going away (the panel
// reconnects, and says why).
func TestSoftphoneBadPaths(t *testing.T) {
	ctx := tier(t)
	user := "w" + softphoneExt
	sw := startSim(t)
	peer, svcURL := startPeer(t, ctx)
	svc := startService(t, sw.Addr(), "-webrtc-ws-url", peer.URL())
	svcURL.Store(&svc.URL)
	adm, keySecret := signedInAdmin(t, svc)
	u := adm.post(t, "/users", map[string]any{"username": softphoneUser, "display_name": "Sam Reyes", "role": "agent", "password": softphonePass})
	agent := adm.post(t, "/agents", map[string]any{"name": "Sam Reyes", "extension": softphoneExt, "sip_password": "sip-secret-2401", "user_id": u["id"]})
	mic := filepath.Join(t.TempDir(), "tone.wav")
	writeToneWAV(t, mic, micHz)

	var res struct{}
	scenario(t, ctx, svc, "softphone_bad.mjs", []string{
		"AS_USER=" + softphoneUser, "AS_PASSWORD=" + softphonePass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", agent["id"]), "AS_MIC_WAV=" + mic, "AS_WS_URL=" + peer.URL(),
	}, func(req map[string]string) (map[string]string, error) {
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		switch req["do"] {
		case "registered":
			return map[string]string{}, peer.WaitRegistered(wait, user)
		case "peer-down":
			// The phone server goes away: its port is closed from now on.
			return map[string]string{}, peer.Close()
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
}

var quietSIP sync.Once

// startPeer starts the test peer on the service's realm. It authenticates
// REGISTERs with what the service's directory serves for the user, read as
// FreeSWITCH reads it, from the service at the URL stored (once started).
func startPeer(t *testing.T, ctx context.Context) (*webrtcpeer.Peer, *atomic.Pointer[string]) {
	t.Helper()
	quietSIP.Do(func() {
		// sipgo logs connection reference counts on its package logger, a
		// global read by every peer's goroutines: set once, before any.
		sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	})
	var base atomic.Pointer[string]
	peer, err := webrtcpeer.Start(ctx, webrtcpeer.Config{Domain: sipRealm, A1: func(user string) (string, bool) {
		b := base.Load()
		if b == nil {
			return "", false
		}
		body, err := directory(*b, user)
		if err != nil {
			return "", false
		}
		a1 := a1Of(body, user)
		return a1, a1 != ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return peer, &base
}

var a1Hash = regexp.MustCompile(`<param name="a1-hash" value="([0-9a-fA-F]{32})"`)

// directory asks the service's mod_xml_curl directory for user, as
// FreeSWITCH's sofia does on a REGISTER (pbx/testdata's form, with the
// shared secret), and answers the document served.
func directory(base, user string) (string, error) {
	body, err := os.ReadFile("../../pbx/testdata/directory-sip_auth.form")
	if err != nil {
		return "", err
	}
	fields, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil {
		return "", err
	}
	fields.Set("user", user)
	fields.Set("domain", sipRealm)
	req, err := http.NewRequest(http.MethodPost, base+pbxnames.XMLCurlPath, strings.NewReader(fields.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(pbxnames.XMLCurlUser, xmlCurlSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("xml_curl directory: %d %s", resp.StatusCode, b)
	}
	return string(b), nil
}

// a1Of is the a1-hash of user in a directory document, or "".
func a1Of(doc, user string) string {
	if !strings.Contains(doc, `<user id="`+user+`">`) {
		return ""
	}
	if m := a1Hash.FindStringSubmatch(doc); m != nil {
		return m[1]
	}
	return ""
}

// agentLegs plays FreeSWITCH's part for the browser's calls: the engine's
// originate to user/w<ext> becomes the peer's INVITE to the browser.
type agentLegs struct {
	user  string
	found chan string // agent leg uuids, from OnCommand
	wg    sync.WaitGroup

	mu       sync.Mutex
	legs     []string
	calls    []*webrtcpeer.Call
	answered time.Duration // the first call's, from its INVITE
	sig      chan struct{} // closed and replaced on each new call
}

var originationUUID = regexp.MustCompile(`origination_uuid=([0-9a-fA-F-]{36})`)

// see is sim.Config.OnCommand: it must not block.
func (l *agentLegs) see(raw string) {
	line, _, _ := strings.Cut(raw, "\n")
	if !strings.Contains(line, "originate") || !strings.Contains(line, "user/"+l.user) {
		return
	}
	if m := originationUUID.FindStringSubmatch(line); m != nil {
		select {
		case l.found <- m[1]:
		default:
		}
	}
}

// serve INVITEs the browser for each agent leg, with the peer's tone, and
// ends the browser's call when the switch's leg is gone.
func (l *agentLegs) serve(ctx context.Context, t *testing.T, sw *sim.Server, peer *webrtcpeer.Peer) {
	for {
		select {
		case <-ctx.Done():
			return
		case leg := <-l.found:
			invited := time.Now() // real time: a figure of the browser's answer
			c, err := peer.Call(ctx, l.user, webrtcpeer.CallOptions{ToneHz: peerHz, FromNumber: "agentswitch"})
			if err != nil {
				t.Logf("INVITE to the browser for leg %s: %v", leg, err)
				continue
			}
			first := l.add(leg, c)
			l.wg.Go(func() {
				if err := c.WaitAnswered(ctx); err == nil && first {
					l.mu.Lock()
					l.answered = time.Since(invited)
					l.mu.Unlock()
				}
			})
			l.wg.Go(func() { l.follow(ctx, sw, leg, c) })
		}
	}
}

// follow hangs the browser's call up once the switch's leg has hung up,
// however the service ended it (uuid_kill, the far end's hangup): the
// simulator tells no one, so its channel is polled.
func (l *agentLegs) follow(ctx context.Context, sw *sim.Server, leg string, c *webrtcpeer.Call) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if c.Ended() {
			return
		}
		if ch, ok := sw.Channel(leg); !ok || ch.HungUp {
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = c.Hangup(hctx)
			cancel()
			return
		}
	}
}

// add keeps a new call; true for the first.
func (l *agentLegs) add(leg string, c *webrtcpeer.Call) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.legs = append(l.legs, leg)
	l.calls = append(l.calls, c)
	if l.sig != nil {
		close(l.sig)
		l.sig = nil
	}
	return len(l.calls) == 1
}

func (l *agentLegs) answerTime() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answered
}

// call waits for the first call to the browser.
func (l *agentLegs) call(ctx context.Context) (*webrtcpeer.Call, error) {
	for {
		l.mu.Lock()
		if len(l.calls) > 0 {
			c := l.calls[0]
			l.mu.Unlock()
			return c, nil
		}
		if l.sig == nil {
			l.sig = make(chan struct{})
		}
		sig := l.sig
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no call to the browser (no originate to user/%s): %w", l.user, ctx.Err())
		case <-sig:
		}
	}
}

func (l *agentLegs) first() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.legs) == 0 {
		return ""
	}
	return l.legs[0]
}

// writeToneWAV writes the fake microphone's WAV: a steady sine at hz.
func writeToneWAV(t *testing.T, path string, hz float64) {
	t.Helper()
	if err := svctest.WriteToneWAV(path, hz); err != nil {
		t.Fatal(err)
	}
}
