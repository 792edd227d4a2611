package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.HTTPAddr != "127.0.0.1:8080" || c.DBPath != filepath.Join(wd, "var/agentswitch.db") || c.RedisURL != "" || len(c.ESL) != 0 ||
		c.Heartbeat != 20*time.Second || c.LogFormat != "text" || c.RecDir != filepath.Join(wd, "var/recordings") ||
		c.TTS != "espeak-ng" || c.TTSDir != filepath.Join(wd, "var/tts") || c.TTSVoice != "en-us" || c.WebhookAllowPrivate {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestConfigEnvAndFlags(t *testing.T) {
	c, err := loadConfig([]string{"-http-addr", "127.0.0.1:9999", "-log-format", "json"}, env(map[string]string{
		"AGENTSWITCH_HTTP_ADDR":         "127.0.0.1:1",
		"AGENTSWITCH_ESL_ADDR":          "a=127.0.0.1:8021, b=127.0.0.2:8021",
		"AGENTSWITCH_ESL_PASSWORD":      "s3cret",
		"AGENTSWITCH_ESL_HEARTBEAT":     "2s",
		"AGENTSWITCH_XML_CURL_SECRET":   testXMLCurlSecret,
		"AGENTSWITCH_VAR_DIR":           "/tmp/x",
		"AGENTSWITCH_AGENT_PHONE_ALLOW": "+4420, +1212555",
		"AGENTSWITCH_MAX_CALL_DURATION": "90m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxCall != 90*time.Minute {
		t.Fatalf("max call duration: %v", c.MaxCall)
	}
	if !slices.Equal(c.AgentPhoneAllow, []string{"+4420", "+1212555"}) {
		t.Fatalf("agent phone allow-list: %q", c.AgentPhoneAllow)
	}
	if c.HTTPAddr != "127.0.0.1:9999" || c.LogFormat != "json" {
		t.Fatalf("flags did not win: %+v", c)
	}
	if len(c.ESL) != 2 || c.ESL[0].Name != "a" || c.ESL[1].Addr != "127.0.0.2:8021" || c.ESL[1].Password != "s3cret" {
		t.Fatalf("nodes: %+v", c.ESL)
	}
	if c.Heartbeat != 2*time.Second || c.DBPath != "/tmp/x/agentswitch.db" {
		t.Fatalf("%+v", c)
	}
}

func TestConfigTrustedProxies(t *testing.T) {
	c, err := loadConfig(nil, env(nil))
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default trusts %v (%v)", c.TrustedProxies, err)
	}
	c, err = loadConfig(nil, env(map[string]string{"AGENTSWITCH_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.TrustedProxies) != "[127.0.0.1/32 10.0.0.0/8 ::1/128]" {
		t.Fatalf("trusted %v", c.TrustedProxies)
	}
	_, err = loadConfig(nil, env(map[string]string{"AGENTSWITCH_TRUSTED_PROXIES": "127.0.0.1,lb.internal"}))
	if err == nil || !strings.Contains(err.Error(), "AGENTSWITCH_TRUSTED_PROXIES") || !strings.Contains(err.Error(), "lb.internal") {
		t.Fatalf("bad proxy: %v", err)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := loadConfig(nil, env(map[string]string{
		"AGENTSWITCH_HTTP_ADDR":             "nonsense",
		"AGENTSWITCH_ESL_ADDR":              "127.0.0.1:8021",
		"AGENTSWITCH_ESL_PASSWORD":          "ClueCon",
		"AGENTSWITCH_ESL_HEARTBEAT":         "-1s",
		"AGENTSWITCH_LOG_FORMAT":            "xml",
		"AGENTSWITCH_REDIS_URL":             "http://x",
		"AGENTSWITCH_AGENT_PHONE_ALLOW":     "+44,0044",
		"AGENTSWITCH_MAX_CALL_DURATION":     "forever",
		"AGENTSWITCH_WEBHOOK_ALLOW_PRIVATE": "yes",
		"AGENTSWITCH_TTS":                   "festival",
	}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"AGENTSWITCH_HTTP_ADDR", "AGENTSWITCH_ESL_PASSWORD", "AGENTSWITCH_ESL_HEARTBEAT", "AGENTSWITCH_LOG_FORMAT", "AGENTSWITCH_REDIS_URL", "AGENTSWITCH_AGENT_PHONE_ALLOW", "AGENTSWITCH_MAX_CALL_DURATION", "AGENTSWITCH_WEBHOOK_ALLOW_PRIVATE", "AGENTSWITCH_TTS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	_, err = loadConfig(nil, env(map[string]string{"AGENTSWITCH_ESL_ADDR": "127.0.0.1:8021"}))
	if err == nil || !strings.Contains(err.Error(), "ESL_PASSWORD: is required") {
		t.Fatalf("missing password: %v", err)
	}
	_, err = loadConfig(nil, env(map[string]string{"AGENTSWITCH_ESL_ADDR": "a=127.0.0.1:1,a=127.0.0.1:2", "AGENTSWITCH_ESL_PASSWORD": "x"}))
	if err == nil || !strings.Contains(err.Error(), "named twice") {
		t.Fatalf("duplicate node: %v", err)
	}
}

// TestConfigPauseCodes: the setting only adds codes at start, so unset
// is none; a code the service reserves is refused by name.
func TestConfigPauseCodes(t *testing.T) {
	for _, tc := range []struct {
		value, bad string
		want       []string
	}{
		{"", "", nil},
		{"BREAK, LONG_BREAK,", "", []string{"BREAK", "LONG_BREAK"}},
		{"break", `"break": codes are 1-32`, nil},
		{"BREAK,RONA", `"RONA" is reserved`, nil},
	} {
		c, err := loadConfig(nil, env(map[string]string{"AGENTSWITCH_PAUSE_CODES": tc.value}))
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), "AGENTSWITCH_PAUSE_CODES") || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q: %v, want %q", tc.value, err, tc.bad)
			}
			continue
		}
		if err != nil || !slices.Equal(c.PauseCodes, tc.want) {
			t.Errorf("%q: %q (%v), want %q", tc.value, c.PauseCodes, err, tc.want)
		}
	}
}

// TestConfigPublicURL: links in e-mails need an address people reach;
// without one, the listen address (a wildcard made loopback) is used.
func TestConfigPublicURL(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
		bad  string
	}{
		{map[string]string{}, "http://127.0.0.1:8080", ""},
		{map[string]string{"AGENTSWITCH_HTTP_ADDR": "0.0.0.0:9000"}, "http://127.0.0.1:9000", ""},
		{map[string]string{"AGENTSWITCH_HTTP_ADDR": ":9000"}, "http://127.0.0.1:9000", ""},
		{map[string]string{"AGENTSWITCH_HTTP_ADDR": "[::1]:9000"}, "http://[::1]:9000", ""},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "https://cc.example.com/"}, "https://cc.example.com", ""},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "https://cc.example.com/agentswitch"}, "https://cc.example.com/agentswitch", ""},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "cc.example.com"}, "", "not an http:// or https:// URL"},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "ftp://cc.example.com"}, "", "not an http:// or https:// URL"},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "https://u:p@cc.example.com"}, "", "credentials"},
		{map[string]string{"AGENTSWITCH_PUBLIC_URL": "https://cc.example.com/?x=1"}, "", "query"},
	} {
		c, err := loadConfig(nil, env(tc.env))
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), "AGENTSWITCH_PUBLIC_URL") || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%v: %v, want %q", tc.env, err, tc.bad)
			}
			continue
		}
		if err != nil || c.PublicURL != tc.want {
			t.Errorf("%v: %q (%v), want %q", tc.env, c.PublicURL, err, tc.want)
		}
	}
}

// TestConfigWebRTC: the browser's WebSocket URL, given or made from the
// switch's host, and the TURN servers with their secret.
func TestConfigWebRTC(t *testing.T) {
	fs := map[string]string{"AGENTSWITCH_ESL_PASSWORD": "s3cret", "AGENTSWITCH_XML_CURL_SECRET": testXMLCurlSecret}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		ws   string
		turn []string
		bad  string
	}{
		{"simulator", map[string]string{}, "wss://127.0.0.1:7443", nil, ""},
		{"simulator behind a public URL", map[string]string{"AGENTSWITCH_PUBLIC_URL": "https://cc.example.com"}, "wss://cc.example.com:7443", nil, ""},
		{"switch host", func() map[string]string {
			m := with(fs)
			m["AGENTSWITCH_ESL_ADDR"] = "pbx.example.com:8021"
			return m
		}(), "wss://pbx.example.com:7443", nil, ""},
		{"switch on loopback", func() map[string]string {
			m := with(fs)
			m["AGENTSWITCH_ESL_ADDR"], m["AGENTSWITCH_PUBLIC_URL"], m["AGENTSWITCH_FS_AGENTS_WSS_PORT"] = "127.0.0.1:8021", "https://cc.example.com", "8443"
			return m
		}(), "wss://cc.example.com:8443", nil, ""},
		{"given", map[string]string{"AGENTSWITCH_WEBRTC_WS_URL": "wss://sip.example.com/ws"}, "wss://sip.example.com/ws", nil, ""},
		{"turn", map[string]string{"AGENTSWITCH_TURN_URLS": "turn:turn.example.com:3478, turns:turn.example.com:5349", "AGENTSWITCH_TURN_SECRET": "0123456789abcdef"},
			"wss://127.0.0.1:7443", []string{"turn:turn.example.com:3478", "turns:turn.example.com:5349"}, ""},
		{"not a ws url", map[string]string{"AGENTSWITCH_WEBRTC_WS_URL": "https://sip.example.com"}, "", nil, "AGENTSWITCH_WEBRTC_WS_URL"},
		{"bad port", map[string]string{"AGENTSWITCH_FS_AGENTS_WSS_PORT": "70000"}, "", nil, "AGENTSWITCH_FS_AGENTS_WSS_PORT"},
		{"turn without secret", map[string]string{"AGENTSWITCH_TURN_URLS": "turn:turn.example.com"}, "", nil, "AGENTSWITCH_TURN_URLS"},
		{"not a turn url", map[string]string{"AGENTSWITCH_TURN_URLS": "https://turn.example.com", "AGENTSWITCH_TURN_SECRET": "x"}, "", nil, "AGENTSWITCH_TURN_URLS"},
		{"secret with a space", map[string]string{"AGENTSWITCH_TURN_URLS": "stun:stun.example.com", "AGENTSWITCH_TURN_SECRET": "a b"}, "", nil, "AGENTSWITCH_TURN_SECRET"},
		{"short ttl", map[string]string{"AGENTSWITCH_WEBRTC_CREDENTIAL_TTL": "30s"}, "", nil, "AGENTSWITCH_WEBRTC_CREDENTIAL_TTL"},
	} {
		c, err := loadConfig(nil, env(tc.env))
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.bad)
			}
			continue
		}
		if err != nil || c.WebRTC.WSURL != tc.ws || !slices.Equal(c.WebRTC.TURNURLs, tc.turn) || c.WebRTCTTL != time.Hour {
			t.Errorf("%s: %+v %v (%v), want %s %v", tc.name, c.WebRTC, c.WebRTCTTL, err, tc.ws, tc.turn)
		}
	}
}
