package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

const testXMLCurlSecret = "xml-curl-test-secret-0123456789"

func TestConfigXMLCurlSecret(t *testing.T) {
	withESL := func(m map[string]string) map[string]string {
		m["AGENTSWITCH_ESL_ADDR"] = "127.0.0.1:8021"
		m["AGENTSWITCH_ESL_PASSWORD"] = "s3cret"
		return m
	}
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string // "" accepts
	}{
		"FreeSWITCH without a secret":  {withESL(map[string]string{}), nil, "AGENTSWITCH_XML_CURL_SECRET: is required"},
		"FreeSWITCH with a secret":     {withESL(map[string]string{"AGENTSWITCH_XML_CURL_SECRET": testXMLCurlSecret}), nil, ""},
		"secret by flag":               {withESL(map[string]string{}), []string{"-xml-curl-secret", testXMLCurlSecret}, ""},
		"short secret":                 {withESL(map[string]string{"AGENTSWITCH_XML_CURL_SECRET": "short"}), nil, "AGENTSWITCH_XML_CURL_SECRET: must be 16-128"},
		"secret that breaks vars.xml":  {withESL(map[string]string{"AGENTSWITCH_XML_CURL_SECRET": `0123456789abcdef"/>`}), nil, "AGENTSWITCH_XML_CURL_SECRET"},
		"secret with a space":          {withESL(map[string]string{"AGENTSWITCH_XML_CURL_SECRET": "0123456789 abcdef"}), nil, "AGENTSWITCH_XML_CURL_SECRET"},
		"simulated switch, no secret":  {map[string]string{}, nil, ""},
		"simulated switch, bad secret": {map[string]string{"AGENTSWITCH_XML_CURL_SECRET": "x"}, nil, "AGENTSWITCH_XML_CURL_SECRET"},
	} {
		cfg, err := loadConfig(c.args, env(c.env))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want == "" && cfg.XMLCurlSecret != c.env["AGENTSWITCH_XML_CURL_SECRET"] && len(c.args) == 0:
			t.Errorf("%s: secret %q", name, cfg.XMLCurlSecret)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	// Reported with the other problems, not alone.
	_, err := loadConfig(nil, env(map[string]string{"AGENTSWITCH_ESL_ADDR": "127.0.0.1:8021", "AGENTSWITCH_LOG_LEVEL": "loud"}))
	if err == nil || !strings.Contains(err.Error(), "ESL_PASSWORD") || !strings.Contains(err.Error(), "XML_CURL_SECRET") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Fatalf("%v", err)
	}
}

// postXMLCurl sends a captured mod_xml_curl request to the service.
func postXMLCurl(t *testing.T, base, form, user, pass string) (int, string) {
	t.Helper()
	return postXMLCurlWith(t, base, form, nil, user, pass)
}

// postXMLCurlWith sends a captured request with the fields of set changed.
func postXMLCurlWith(t *testing.T, base, form string, set url.Values, user, pass string) (int, string) {
	t.Helper()
	body, err := os.ReadFile("../../pbx/testdata/" + form)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		fields[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, base+pbxnames.XMLCurlPath, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeXMLCurl: with FreeSWITCH configured the service answers
// mod_xml_curl on its own listener, only with the secret; a gateway
// created over the API is served at once and the switch is told.
func TestServeXMLCurl(t *testing.T) {
	s := startService(t)
	for _, c := range []struct{ user, pass string }{
		{"", ""}, {pbxnames.XMLCurlUser, ""}, {pbxnames.XMLCurlUser, "wrong-secret-0123456789"},
		{"admin", testXMLCurlSecret}, {pbxnames.XMLCurlUser, testXMLCurlSecret + "x"}, {pbxnames.XMLCurlUser, testXMLCurlSecret[:20]},
	} {
		if code, body := postXMLCurl(t, s.url, "directory-gateways.form", c.user, c.pass); code != http.StatusUnauthorized || strings.Contains(body, "<document") {
			t.Errorf("as %q/%q: %d %s", c.user, c.pass, code, body)
		}
	}
	resp, err := http.Get(s.url + pbxnames.XMLCurlPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}

	// The carriers' gateways were rescanned when the switch connected.
	s.sent(t, "api sofia profile carriers rescan")
	s.sim.ResetCommands()

	var gw struct {
		Name   string
		Reload struct{ Status, Error string }
	}
	s.admin.must(http.MethodPost, "/gateways", map[string]any{"name": "carrier-x", "proxy": "sip.carrier.example:5060", "username": "acct", "password": "pw-1234", "register": true}, 201, &gw)
	s.sent(t, "api sofia profile carriers killgw carrier-x")
	s.sent(t, "api sofia profile carriers rescan")
	if gw.Reload.Status != "applied" {
		t.Errorf("reload: %+v, want applied", gw.Reload)
	}
	code, body := postXMLCurl(t, s.url, "directory-gateways.form", pbxnames.XMLCurlUser, testXMLCurlSecret)
	if code != 200 || !regexp.MustCompile(`<gateway name="carrier-x">`).MatchString(body) || !strings.Contains(body, `name="password" value="pw-1234"`) {
		t.Fatalf("served: %d %s", code, body)
	}
}

// TestServeSimulatedWithoutXMLCurl: on the simulated switch with no
// secret the xml_curl path is not served at all.
func TestServeSimulatedWithoutXMLCurl(t *testing.T) {
	url := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir()).url
	for _, pass := range []string{"", testXMLCurlSecret} {
		if code, body := postXMLCurl(t, url, "directory-gateways.form", pbxnames.XMLCurlUser, pass); code != http.StatusNotFound || strings.Contains(body, "<document") {
			t.Errorf("with %q: %d %s", pass, code, body)
		}
	}
}

// TestServeWebRTCDirectory: the browser's password issued over the API
// is what FreeSWITCH's directory serves for user w<ext> (Redis between
// them), a new one replaces it, and logout ends it.
func TestServeWebRTCDirectory(t *testing.T) {
	s := startService(t, "-webrtc-ws-url", "wss://pbx.example.com:7443")
	ann := s.agent("ann", "2401", "ring")
	auth := url.Values{"user": {"w2401"}, "domain": {"agentswitch"}}
	lookup := func() string {
		t.Helper()
		code, body := postXMLCurlWith(t, s.url, "directory-sip_auth.form", auth, pbxnames.XMLCurlUser, testXMLCurlSecret)
		if code != 200 {
			t.Fatalf("xml_curl: %d %s", code, body)
		}
		return body
	}
	if body := lookup(); !strings.Contains(body, `status="not found"`) {
		t.Fatalf("served before any credential: %s", body)
	}
	ann.must(http.MethodPost, fmt.Sprintf("/agents/%d/login", ann.Seat), map[string]any{"endpoint": map[string]any{"kind": "webrtc"}}, 200, nil)
	var cred struct {
		WSURL             string `json:"ws_url"`
		SIPURI            string `json:"sip_uri"`
		AuthorizationUser string `json:"authorization_user"`
		Password          string `json:"password"`
	}
	path := fmt.Sprintf("/agents/%d/webrtc/credentials", ann.Seat)
	ann.must(http.MethodPost, path, nil, 200, &cred)
	if cred.WSURL != "wss://pbx.example.com:7443" || cred.SIPURI != "sip:w2401@agentswitch" || cred.AuthorizationUser != "w2401" {
		t.Fatalf("credentials %+v", cred)
	}
	hash := func(password string) string {
		return `name="a1-hash" value="` + dialer.SIPA1("w2401", "agentswitch", password) + `"`
	}
	if body := lookup(); !strings.Contains(body, hash(cred.Password)) || !strings.Contains(body, `<user id="w2401">`) {
		t.Fatalf("served: %s", body)
	}
	first := cred.Password
	ann.must(http.MethodPost, path, nil, 200, &cred)
	if body := lookup(); cred.Password == first || strings.Contains(body, hash(first)) || !strings.Contains(body, hash(cred.Password)) {
		t.Fatalf("after a new password: %s", body)
	}
	ann.must(http.MethodPost, fmt.Sprintf("/agents/%d/logout", ann.Seat), nil, 204, nil)
	if body := lookup(); !strings.Contains(body, `status="not found"`) {
		t.Fatalf("served after logout: %s", body)
	}
}
