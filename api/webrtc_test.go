package api

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// fakeWebRTCExpiry is when the fake engine's browser accounts end.
var fakeWebRTCExpiry = t0.Add(time.Hour)

// TestWebRTCCredentials: the browser's SIP account, the WebSocket to
// reach and the ICE servers, with coturn's REST credential when a TURN
// secret is set; none cached.
func TestWebRTCCredentials(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.WebRTC = WebRTCOptions{WSURL: "wss://pbx.example.com:7443",
			TURNURLs: []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"}, TURNSecret: "coturn-secret"}
	})
	rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/webrtc/credentials", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	got := decodeBody[map[string]any](t, rec)
	for k, want := range map[string]any{
		"ws_url": "wss://pbx.example.com:7443", "sip_uri": "sip:w2401@pbx.example.com", "authorization_user": "w2401",
		"password": "pw-1", "display_name": "Agent 1", "expires_at": fakeWebRTCExpiry.Format(time.RFC3339),
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	ice := decodeBody[webrtcCredentials](t, rec).ICEServers
	if len(ice) != 1 || len(ice[0].URLs) != 2 || ice[0].URLs[0] != "turn:turn.example.com:3478?transport=udp" {
		t.Fatalf("ice servers %+v", ice)
	}
	wantUser := strconv.FormatInt(fakeWebRTCExpiry.Unix(), 10) + ":1"
	if ice[0].Username != wantUser {
		t.Errorf("TURN username %q, want %q", ice[0].Username, wantUser)
	}
	mac := hmac.New(sha1.New, []byte("coturn-secret"))
	mac.Write([]byte(wantUser))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); ice[0].Credential != want {
		t.Errorf("TURN credential %q, want %q", ice[0].Credential, want)
	}

	// A supervisor may issue for an agent, another agent may not.
	if rec := e.do(e.sup, http.MethodPost, "/api/v1/agents/1/webrtc/credentials", ""); rec.Code != http.StatusOK {
		t.Errorf("supervisor: %d", rec.Code)
	}
	if rec := e.do(e.agent2, http.MethodPost, "/api/v1/agents/1/webrtc/credentials", ""); rec.Code != http.StatusForbidden {
		t.Errorf("another agent: %d", rec.Code)
	}
	if rec := e.do(e.agent1, http.MethodDelete, "/api/v1/agents/1/webrtc/credentials", ""); rec.Code != http.StatusNoContent {
		t.Errorf("revoke: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.agent2, http.MethodDelete, "/api/v1/agents/1/webrtc/credentials", ""); rec.Code != http.StatusForbidden {
		t.Errorf("another agent's revoke: %d", rec.Code)
	}
}

// TestWebRTCCredentialsUnconfigured: no TURN servers, no ICE servers;
// no WebSocket URL, 503.
func TestWebRTCCredentialsUnconfigured(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/webrtc/credentials", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ice_servers":[]`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	e = newEnv(t, func(o *Options) { o.WebRTC = WebRTCOptions{} })
	if rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/webrtc/credentials", ""); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("without a ws url: %d %s", rec.Code, rec.Body)
	}
	if got := e.eng.called("IssueWebRTC"); len(got) != 0 {
		t.Fatalf("engine asked: %+v", got)
	}
}

func TestMediaQualityReport(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/media-quality",
		`{"registered":true,"packet_loss_pct":0.4,"jitter_ms":3.1,"rtt_ms":42,"audio_input":"Built-in Microphone","error":""}`)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	calls := e.eng.called("ReportMediaQuality")
	want := dialer.MediaQuality{Registered: true, PacketLossPct: 0.4, JitterMs: 3.1, RTTMs: 42, AudioInput: "Built-in Microphone"}
	if len(calls) != 1 || calls[0].Arg != want || calls[0].Agent != 1 {
		t.Fatalf("engine got %+v", calls)
	}
	for _, tc := range []struct {
		body, field string
	}{
		{`{"packet_loss_pct":101}`, "packet_loss_pct"},
		{`{"packet_loss_pct":-0.1}`, "packet_loss_pct"},
		{`{"packet_loss_pct":1e400}`, "packet_loss_pct"},
		{`{"packet_loss_pct":"1"}`, "packet_loss_pct"},
		{`{"jitter_ms":60000.5}`, "jitter_ms"},
		{`{"rtt_ms":-1}`, "rtt_ms"},
		{`{"rtt_ms":null,"registered":"yes"}`, "registered"},
		{`{"audio_input":"` + strings.Repeat("m", 257) + `"}`, "audio_input"},
		{`{"audio_input":"mic\u0007"}`, "audio_input"},
		{`{"error":"line\nbreak"}`, "error"},
		{`{"codec":"opus"}`, "codec"},
	} {
		rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/media-quality", tc.body)
		if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != tc.field {
			t.Errorf("%s: %d %s, want 400 on %s", tc.body, rec.Code, rec.Body, tc.field)
		}
	}
	if rec := e.do(e.agent2, http.MethodPost, "/api/v1/agents/1/media-quality", `{"registered":true}`); rec.Code != http.StatusForbidden {
		t.Errorf("another agent: %d", rec.Code)
	}
	if n := len(e.eng.called("ReportMediaQuality")); n != 1 {
		t.Errorf("%d reports reached the engine, want 1", n)
	}
}

// TestLoginWebRTC: the browser endpoint at login, on the user's own seat.
func TestLoginWebRTC(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		who   who
		body  string
		field string // "" accepted
	}{
		{e.agent1, `{"endpoint":{"kind":"webrtc"}}`, ""},
		{e.agent1, `{"endpoint":{"kind":"webrtc","extension":"1001"}}`, ""},
		{e.agent1, `{"endpoint":{"kind":"webrtc","extension":"1002"}}`, "endpoint.extension"},
		{e.agent1, `{"endpoint":{"kind":"webrtc","extension":"w1001"}}`, "endpoint.extension"},
		{e.agent1, `{"endpoint":{"kind":"webrtc","phone":"+12125550142"}}`, "endpoint.phone"},
		{e.agent1, `{"endpoint":{"kind":"WebRTC"}}`, "endpoint.kind"},
	} {
		e.eng.reset()
		rec := e.do(tc.who, http.MethodPost, "/api/v1/agents/1/login", tc.body)
		if tc.field != "" {
			if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != tc.field {
				t.Errorf("%s: %d %s, want 400 on %s", tc.body, rec.Code, rec.Body, tc.field)
			}
			continue
		}
		calls := e.eng.called("Login")
		if rec.Code != http.StatusOK || len(calls) != 1 || calls[0].Arg.(dialer.LoginRequest).Endpoint.Kind != dialer.EndpointWebRTC {
			t.Errorf("%s: %d %+v", tc.body, rec.Code, calls)
		}
	}
}

func TestWebRTCOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		o  WebRTCOptions
		ok bool
	}{
		{WebRTCOptions{}, true},
		{WebRTCOptions{WSURL: "wss://pbx.example.com:7443"}, true},
		{WebRTCOptions{WSURL: "ws://127.0.0.1:5066"}, true},
		{WebRTCOptions{WSURL: "https://pbx.example.com"}, false},
		{WebRTCOptions{WSURL: "wss://u:p@pbx.example.com"}, false},
		{WebRTCOptions{WSURL: "wss://pbx.example.com/?x=1"}, false},
		{WebRTCOptions{TURNURLs: []string{"stun:stun.example.com:3478"}}, true},
		{WebRTCOptions{TURNURLs: []string{"turn:turn.example.com"}, TURNSecret: "s"}, true},
		{WebRTCOptions{TURNURLs: []string{"turns:[2001:db8::1]:5349?transport=tcp"}, TURNSecret: "s"}, true},
		{WebRTCOptions{TURNURLs: []string{"turn:turn.example.com"}}, false},
		{WebRTCOptions{TURNURLs: []string{"http://turn.example.com"}, TURNSecret: "s"}, false},
		{WebRTCOptions{TURNURLs: []string{"turn:turn.example.com?transport=sctp"}, TURNSecret: "s"}, false},
		{WebRTCOptions{TURNURLs: []string{"turn:a b"}, TURNSecret: "s"}, false},
	} {
		if err := tc.o.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.o, err)
		}
	}
}

// TestUIPolicyAllowsTheSoftphone: the workspace's Content-Security-Policy
// lets the page open the configured softphone WebSocket, and no other.
func TestUIPolicyAllowsTheSoftphone(t *testing.T) {
	for _, tc := range []struct {
		name, ws, want string
	}{
		{"configured", "wss://pbx.example.com:7443", "wss://pbx.example.com:7443"},
		{"none", "", ""},
	} {
		e := newEnv(t, func(o *Options) { o.WebRTC = WebRTCOptions{WSURL: tc.ws} })
		rec := e.do(e.anon, http.MethodGet, "/", "")
		policy := rec.Header().Get("Content-Security-Policy")
		var connect string
		for _, d := range strings.Split(policy, ";") {
			if f := strings.Fields(d); len(f) > 0 && f[0] == "connect-src" {
				connect = d
			}
		}
		if rec.Code != http.StatusOK || connect == "" {
			t.Fatalf("%s: %d, policy %q", tc.name, rec.Code, policy)
		}
		if has := tc.want != "" && strings.Contains(connect, tc.want); has != (tc.want != "") || strings.Contains(connect, "wss://") != (tc.want != "") {
			t.Errorf("%s: connect-src %q, want it to allow %q only", tc.name, connect, tc.want)
		}
	}
}
