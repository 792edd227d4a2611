package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "tok3n"
	testMG    = "MG0123456789abcdef0123456789abcdef"
)

// twilioServer checks each request against Twilio's documented shape and
// answers as Twilio does; status, when set, is answered instead.
type twilioServer struct {
	*httptest.Server
	mu     sync.Mutex
	forms  []map[string]string
	status int
	body   string
}

func startTwilio(t *testing.T) *twilioServer {
	t.Helper()
	ts := &twilioServer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(ts.handle)}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *twilioServer) handle(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20001, "message": msg, "status": code})
	}
	if r.Method != http.MethodPost {
		fail(405, "method "+r.Method)
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		fail(404, "path "+r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		fail(400, "content type "+ct)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != testSID || p != testToken {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`))
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(400, err.Error())
		return
	}
	form := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) != 1 {
			fail(400, "field "+k+" given twice")
			return
		}
		form[k] = v[0]
	}
	ts.mu.Lock()
	ts.forms = append(ts.forms, form)
	status, body := ts.status, ts.body
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"` + form["To"] + `","body":"` + form["Body"] + `"}`))
}

func (ts *twilioServer) answer(status int, body string) {
	ts.mu.Lock()
	ts.status, ts.body = status, body
	ts.mu.Unlock()
}

func (ts *twilioServer) received() []map[string]string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]map[string]string(nil), ts.forms...)
}

func twilioFor(t *testing.T, ts *twilioServer, mod func(*TwilioConfig)) *Twilio {
	t.Helper()
	cfg := TwilioConfig{BaseURL: ts.URL + "/", AccountSID: testSID, AuthToken: testToken, From: "+14155550100", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	tw, err := NewTwilio(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tw
}

func TestTwilioSendsTheDocumentedRequest(t *testing.T) {
	ts := startTwilio(t)
	if err := twilioFor(t, ts, nil).Send(context.Background(), "+447700900123", "Your code is 123456"); err != nil {
		t.Fatal(err)
	}
	if err := twilioFor(t, ts, func(c *TwilioConfig) { c.From, c.MessagingServiceSID = "", testMG }).Send(context.Background(), "+447700900123", "Thanks for the call & bye"); err != nil {
		t.Fatal(err)
	}
	got := ts.received()
	want := []map[string]string{
		{"To": "+447700900123", "From": "+14155550100", "Body": "Your code is 123456"},
		{"To": "+447700900123", "MessagingServiceSid": testMG, "Body": "Thanks for the call & bye"},
	}
	if len(got) != len(want) {
		t.Fatalf("server got %d requests: %v", len(got), got)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("request %d fields %v, want %v", i, got[i], want[i])
		}
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("request %d %s = %q, want %q", i, k, got[i][k], v)
			}
		}
	}
}

func TestTwilioErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		token     string
		want      string
		temporary bool
	}{
		{"invalid number", 400, `{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`,
			"", "The 'To' number +15005550001 is not a valid phone number. (error 21211, HTTP 400)", false},
		{"wrong token", 0, "", "wrong", "Authenticate (error 20003, HTTP 401)", false},
		{"rate limited", 429, `{"code":20429,"message":"Too Many Requests","status":429}`, "", "Too Many Requests", true},
		{"provider down, no JSON", 503, `<html>busy</html>`, "", "HTTP 503", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startTwilio(t)
			ts.answer(tc.status, tc.body)
			tw := twilioFor(t, ts, func(c *TwilioConfig) {
				if tc.token != "" {
					c.AuthToken = tc.token
				}
			})
			err := tw.Send(context.Background(), "+15005550001", "hello")
			var te *TwilioError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a TwilioError with %q", err, tc.want)
			}
			if Temporary(err) != tc.temporary {
				t.Errorf("Temporary = %v, want %v", Temporary(err), tc.temporary)
			}
		})
	}
}

func TestTwilioUnreachableIsTemporary(t *testing.T) {
	ts := startTwilio(t)
	tw := twilioFor(t, ts, nil)
	ts.Close()
	if err := tw.Send(context.Background(), "+447700900123", "x"); err == nil || !Temporary(err) {
		t.Fatalf("err %v: want a temporary failure", err)
	}
}

func TestCheckSMS(t *testing.T) {
	for _, tc := range []struct {
		name, to, body, field string
	}{
		{"ok", "+447700900123", "Your code is 123456", ""},
		{"longest body", "+447700900123", strings.Repeat("é", MaxSMSBody), ""},
		{"no plus", "447700900123", "x", "to"},
		{"leading zero", "+0447700900123", "x", "to"},
		{"too short", "+12345", "x", "to"},
		{"too long", "+1234567890123456", "x", "to"},
		{"spaces", "+44 7700 900123", "x", "to"},
		{"empty body", "+447700900123", " ", "body"},
		{"long body", "+447700900123", strings.Repeat("a", MaxSMSBody+1), "body"},
		{"bad UTF-8", "+447700900123", "\xff", "body"},
		{"NUL", "+447700900123", "a\x00b", "body"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantField(t, CheckSMS(tc.to, tc.body), tc.field) })
	}
}

func TestTwilioConfigValidate(t *testing.T) {
	ok := TwilioConfig{BaseURL: TwilioBaseURL, AccountSID: testSID, AuthToken: testToken, From: "+14155550100", Timeout: time.Second}
	for _, tc := range []struct {
		name  string
		mod   func(*TwilioConfig)
		field string
	}{
		{"ok", func(*TwilioConfig) {}, ""},
		{"alphanumeric sender", func(c *TwilioConfig) { c.From = "Acme" }, ""},
		{"messaging service only", func(c *TwilioConfig) { c.From, c.MessagingServiceSID = "", testMG }, ""},
		{"bad base url", func(c *TwilioConfig) { c.BaseURL = "api.twilio.com" }, "base-url"},
		{"bad account sid", func(c *TwilioConfig) { c.AccountSID = "AC123" }, "account-sid"},
		{"no token", func(c *TwilioConfig) { c.AuthToken = "" }, "auth-token"},
		{"bad service sid", func(c *TwilioConfig) { c.MessagingServiceSID = "MG1" }, "messaging-service-sid"},
		{"no sender", func(c *TwilioConfig) { c.From = "" }, "from"},
		{"bad sender", func(c *TwilioConfig) { c.From = "Acme Corporation Ltd" }, "from"},
		{"no timeout", func(c *TwilioConfig) { c.Timeout = 0 }, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			wantField(t, c.Validate(), tc.field)
		})
	}
}

func TestLogSMSWritesTheMessageToTheLog(t *testing.T) {
	var buf strings.Builder
	l := LogSMS{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := l.Send(context.Background(), "+447700900123", "Your code is 123456"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `level=WARN`) || !strings.Contains(buf.String(), `to=+447700900123 body="Your code is 123456"`) {
		t.Errorf("log %q", buf.String())
	}
	if err := l.Send(context.Background(), "07700900123", "x"); err == nil || Temporary(err) {
		t.Errorf("bad number: %v, want a permanent error", err)
	}
}
