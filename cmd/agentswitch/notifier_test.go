package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestServeNotifyTestThroughTwilio: the service built from its settings
// sends an admin's test text message to a Twilio-compatible API, and
// answers its refusal with the provider's words.
func TestServeNotifyTestThroughTwilio(t *testing.T) {
	var mu sync.Mutex
	var got []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	provider := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		_ = r.ParseForm()
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+user+":"+pass+" "+r.PostForm.Encode())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("To") == "+15005550001" {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","status":400}`))
			return
		}
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}`))
	})}}
	provider.Start()
	defer provider.Close()

	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir(), "-sms-provider", "twilio", "-sms-base-url", provider.URL,
		"-sms-account-sid", testAccountSID, "-sms-auth-token", "tok3n", "-sms-from", "+14155550100")
	admin, err := svctest.Login(p.url, "admin", p.adminPassword(t))
	if err != nil {
		t.Fatal(err)
	}
	admin.Must(t, http.MethodPost, "/notify/test", map[string]string{"channel": "sms", "to": "+447700900123"}, 200, nil)
	var refused struct{ Error struct{ Message string } }
	admin.Must(t, http.MethodPost, "/notify/test", map[string]string{"channel": "sms", "to": "+15005550001"}, 502, &refused)
	if !strings.Contains(refused.Error.Message, "is not a valid phone number. (error 21211, HTTP 400)") {
		t.Errorf("refusal %q", refused.Error.Message)
	}
	// No SMTP server set: e-mail is refused, naming the setting.
	var none struct {
		Error struct{ Message, Field string }
	}
	admin.Must(t, http.MethodPost, "/notify/test", map[string]string{"channel": "email", "to": "ops@example.com"}, 409, &none)
	if none.Error.Field != "channel" || !strings.Contains(none.Error.Message, "AGENTSWITCH_SMTP_HOST") {
		t.Errorf("e-mail without SMTP: %+v", none.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "POST /2010-04-01/Accounts/" + testAccountSID + "/Messages.json " + testAccountSID + ":tok3n Body=agentswitch+test+message%3A+the+SMS+settings+work.&From=%2B14155550100&To=%2B447700900123"
	if len(got) != 2 || got[0] != want {
		t.Fatalf("provider got %q\nwant first %q", got, want)
	}
}
