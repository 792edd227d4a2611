package dialer

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestWebRTCSessionEndpoint: a browser endpoint is an extension and no
// phone, as a SIP phone's.
func TestWebRTCSessionEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ep    AgentEndpoint
		field string // "" valid
	}{
		{"extension", AgentEndpoint{Kind: EndpointWebRTC, Extension: "2401"}, ""},
		{"no extension", AgentEndpoint{Kind: EndpointWebRTC}, "endpoint.extension"},
		{"extension not digits", AgentEndpoint{Kind: EndpointWebRTC, Extension: "w2401"}, "endpoint.extension"},
		{"dial string in extension", AgentEndpoint{Kind: EndpointWebRTC, Extension: "2401,user/1"}, "endpoint.extension"},
		{"with a phone", AgentEndpoint{Kind: EndpointWebRTC, Extension: "2401", Phone: "+12125550142"}, "endpoint.phone"},
		{"unknown kind", AgentEndpoint{Kind: "WebRTC", Extension: "2401"}, "endpoint.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkField(t, validateSessionEndpoint(tc.ep), tc.field) })
	}
}

// TestAgentDialString: a browser is the directory's user w<ext>, a SIP
// phone user <ext>, an external phone the gateway.
func TestAgentDialString(t *testing.T) {
	e := &Engine{cfg: EngineConfig{Gateway: "carrier", AgentDomain: "pbx.test"}}
	for _, tc := range []struct {
		ep   AgentEndpoint
		want string
	}{
		{AgentEndpoint{Kind: EndpointSIP, Extension: "2401"}, "user/2401@pbx.test"},
		{AgentEndpoint{Kind: EndpointWebRTC, Extension: "2401"}, "user/w2401@pbx.test"},
		{AgentEndpoint{Kind: EndpointPhone, Phone: "+12125550142"}, "sofia/gateway/carrier/+12125550142"},
	} {
		if got := endpointLabel(e.agentEndpoint(tc.ep)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.ep, got, tc.want)
		}
	}
	e.cfg.AgentDomain = ""
	if got := endpointLabel(e.agentEndpoint(AgentEndpoint{Kind: EndpointWebRTC, Extension: "2401"})); got != "user/w2401" {
		t.Errorf("without a domain: %s", got)
	}
}

// TestWebRTCSessionEndpointAfterRestart: a browser session follows the
// seat's extension.
func TestWebRTCSessionEndpointAfterRestart(t *testing.T) {
	a := Agent{ID: 7, Extension: "1001"}
	for _, tc := range []struct {
		name string
		kept AgentEndpoint
		want AgentEndpoint
	}{
		{"own extension", AgentEndpoint{Kind: EndpointWebRTC, Extension: "1001"}, AgentEndpoint{Kind: EndpointWebRTC, Extension: "1001"}},
		{"extension changed since", AgentEndpoint{Kind: EndpointWebRTC, Extension: "2001"}, AgentEndpoint{Kind: EndpointWebRTC, Extension: "1001"}},
		{"no extension", AgentEndpoint{Kind: EndpointWebRTC}, AgentEndpoint{Kind: EndpointSIP, Extension: "1001"}},
	} {
		if got := sessionEndpoint(a, AgentStatus{Agent: a.ID, State: AgentReady, Endpoint: tc.kept}); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestWebRTCUser(t *testing.T) {
	for _, tc := range []struct {
		user string
		ext  string
		ok   bool
	}{
		{"w2401", "2401", true},
		{"w12", "12", true},
		{"2401", "", false},
		{"w", "", false},
		{"W2401", "", false},
		{"w2401x", "", false},
		{"ww2401", "", false},
		{"w12345678901", "", false},
	} {
		ext, ok := WebRTCExtension(tc.user)
		if ext != tc.ext || ok != tc.ok {
			t.Errorf("WebRTCExtension(%q) = %q %v, want %q %v", tc.user, ext, ok, tc.ext, tc.ok)
		}
		if ok && WebRTCUser(ext) != tc.user {
			t.Errorf("WebRTCUser(%q) = %q", ext, WebRTCUser(ext))
		}
	}
}

// TestWebRTCFlushCmd: the command that drops a browser's registration,
// and the names it refuses before they reach the switch.
func TestWebRTCFlushCmd(t *testing.T) {
	for _, tc := range []struct {
		ext, realm string
		want       string // "" refused
	}{
		{"2401", "pbx.example.com", "sofia profile agents flush_inbound_reg w2401@pbx.example.com reboot"},
		{"12", "agentswitch", "sofia profile agents flush_inbound_reg w12@agentswitch reboot"},
		{"24 01", "pbx.example.com", ""},
		{"w2401", "pbx.example.com", ""},
		{"", "pbx.example.com", ""},
		{"2401", "", ""},
		{"2401", "pbx.example.com reboot", ""},
		{"2401", "pbx.example.com\nevent", ""},
		{"2401", "a;b", ""},
	} {
		c, err := webrtcFlushCmd(tc.ext, tc.realm)
		got := ""
		if err == nil {
			got = c.Name + " " + c.Args
		}
		if got != tc.want {
			t.Errorf("webrtcFlushCmd(%q, %q) = %q, %v; want %q", tc.ext, tc.realm, got, err, tc.want)
		}
	}
}

func TestMediaQualityValidate(t *testing.T) {
	good := MediaQuality{Registered: true, PacketLossPct: 0.4, JitterMs: 3.1, RTTMs: 42, AudioInput: "Built-in Microphone"}
	for _, tc := range []struct {
		name  string
		edit  func(*MediaQuality)
		field string
	}{
		{"good", func(*MediaQuality) {}, ""},
		{"zeros", func(q *MediaQuality) { *q = MediaQuality{} }, ""},
		{"bounds", func(q *MediaQuality) { q.PacketLossPct, q.JitterMs, q.RTTMs = 100, MaxMediaMs, MaxMediaMs }, ""},
		{"loss NaN", func(q *MediaQuality) { q.PacketLossPct = math.NaN() }, "packet_loss_pct"},
		{"loss over 100", func(q *MediaQuality) { q.PacketLossPct = 100.01 }, "packet_loss_pct"},
		{"loss negative", func(q *MediaQuality) { q.PacketLossPct = -1 }, "packet_loss_pct"},
		{"jitter infinite", func(q *MediaQuality) { q.JitterMs = math.Inf(1) }, "jitter_ms"},
		{"jitter over a minute", func(q *MediaQuality) { q.JitterMs = 60001 }, "jitter_ms"},
		{"rtt negative", func(q *MediaQuality) { q.RTTMs = -0.5 }, "rtt_ms"},
		{"rtt -Inf", func(q *MediaQuality) { q.RTTMs = math.Inf(-1) }, "rtt_ms"},
		{"label too long", func(q *MediaQuality) { q.AudioInput = strings.Repeat("m", MaxAudioInputLabel+1) }, "audio_input"},
		{"label control", func(q *MediaQuality) { q.AudioInput = "mic\x00" }, "audio_input"},
		{"label not UTF-8", func(q *MediaQuality) { q.AudioInput = "\xff" }, "audio_input"},
		{"error newline", func(q *MediaQuality) { q.Error = "a\nb" }, "error"},
		{"error too long", func(q *MediaQuality) { q.Error = strings.Repeat("e", MaxMediaError+1) }, "error"},
	} {
		q := good
		tc.edit(&q)
		t.Run(tc.name, func(t *testing.T) { checkField(t, q.Validate(), tc.field) })
	}
}

// TestMediaNews: what a report must change for supervisors to be shown it
// at once.
func TestMediaNews(t *testing.T) {
	shown := MediaQuality{Registered: true, PacketLossPct: 0.5, JitterMs: 10, RTTMs: 100, AudioInput: "Mic"}
	for _, tc := range []struct {
		name string
		edit func(*MediaQuality)
		news bool
	}{
		{"same", func(*MediaQuality) {}, false},
		{"time only", func(q *MediaQuality) { q.At = q.At.Add(time.Hour) }, false},
		{"registration lost", func(q *MediaQuality) { q.Registered = false }, true},
		{"trouble", func(q *MediaQuality) { q.Error = "microphone unplugged" }, true},
		{"other microphone", func(q *MediaQuality) { q.AudioInput = "Headset" }, true},
		{"loss wobble", func(q *MediaQuality) { q.PacketLossPct = 1.4 }, false},
		{"loss up a point", func(q *MediaQuality) { q.PacketLossPct = 1.5 }, true},
		{"jitter wobble", func(q *MediaQuality) { q.JitterMs = 14 }, false},
		{"jitter up 5 ms", func(q *MediaQuality) { q.JitterMs = 15 }, true},
		{"rtt wobble", func(q *MediaQuality) { q.RTTMs = 124 }, false},
		{"rtt up a quarter", func(q *MediaQuality) { q.RTTMs = 125 }, true},
		{"rtt down a quarter", func(q *MediaQuality) { q.RTTMs = 75 }, true},
	} {
		q := shown
		tc.edit(&q)
		if got := q.newsFor(shown); got != tc.news {
			t.Errorf("%s: news %v, want %v", tc.name, got, tc.news)
		}
	}
}
