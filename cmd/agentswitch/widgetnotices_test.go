package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// mailbox is a plain SMTP server on 127.0.0.1 that keeps what it gets.
type mailbox struct {
	mu   sync.Mutex
	msgs []string // "to1,to2|data"
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

type mailSession struct {
	m  *mailbox
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, strings.Join(s.to, ",")+"|"+string(b))
	s.m.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func (m *mailbox) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...)
}

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	mb := &mailbox{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(mb)
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Error(err)
		}
	})
	return mb, ln.Addr().(*net.TCPAddr).Port
}

// TestFullStackWidgetNotices: a lead request through the API on the
// simulator e-mails the widget's "new request" addresses at once and its
// "call done" addresses when the call ends, and the visitor gets the
// after-call SMS with the lead's parameter, through a Twilio-compatible
// API.
func TestFullStackWidgetNotices(t *testing.T) {
	mb, smtpPort := startMailbox(t)
	var mu sync.Mutex
	var sms []url.Values
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	provider := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		sms = append(sms, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}`))
	})}}
	provider.Start()
	defer provider.Close()

	s := startService(t, "-smtp-host", "127.0.0.1", "-smtp-port", strconv.Itoa(smtpPort), "-smtp-tls", "none",
		"-smtp-from", "cc@shop.example", "-sms-provider", "twilio", "-sms-base-url", provider.URL,
		"-sms-account-sid", testAccountSID, "-sms-auth-token", "tok3n", "-sms-from", "+14155550100",
		"-public-url", "https://cc.shop.example")
	var w struct {
		ID  int64
		Key string `json:"widget_key"`
	}
	s.admin.must(http.MethodPost, "/widgets", map[string]any{"name": "Shop", "site_url": "https://shop.example", "active": true,
		"settings": map[string]any{"confirm": "stay",
			"notify": map[string]any{"new_request": []string{"sales@shop.example"}, "missed_call": []string{}, "call_done": []string{"crm@shop.example"}},
			"sms":    map[string]any{"enabled": true, "template": "Thanks for talking to {{widget}}, {{param_name}}."}}}, 201, &w)
	var k struct{ Secret string }
	s.admin.must(http.MethodPost, fmt.Sprintf("/widgets/%d/api-keys", w.ID), map[string]any{"name": "crm"}, 201, &k)
	s.sim.SetEndpoint("+15557654321", sim.Behavior{AnswerAfter: 50 * time.Millisecond, HangupAfter: 1500 * time.Millisecond})

	q := url.Values{"widget_key": {w.Key}, "api_key": {k.Secret}, "lc_number": {"+15557654321"},
		"lc_param_name": {"John"}, "lc_param_agent01name": {"Anna"}, "lc_param_agent01phone": {"+15550001111"}}
	resp, err := http.Get(s.url + "/api/v1/lead-calls?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("lead call %d", resp.StatusCode)
	}
	svctest.Eventually(t, "the two e-mails", func() bool { return len(mb.all()) == 2 })
	svctest.Eventually(t, "the after-call SMS", func() bool { mu.Lock(); defer mu.Unlock(); return len(sms) == 1 })
	msgs := mb.all()
	for i, want := range [][]string{
		{"sales@shop.example|", "Subject: New callback request from +15557654321 (Shop)", "name:      John",
			"https://cc.shop.example/admin/widget-calls?id="},
		{"crm@shop.example|", "Subject: Call done: +15557654321 talked with Anna for", "Manager:     Anna"},
	} {
		// Long lines may be folded (quoted-printable): compare unfolded.
		body := strings.NewReplacer("=\r\n", "", "=3D", "=").Replace(msgs[i])
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("e-mail %d lacks %q:\n%s", i, s, body)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if sms[0].Get("To") != "+15557654321" || sms[0].Get("Body") != "Thanks for talking to Shop, John." {
		t.Fatalf("sms %v", sms[0])
	}
}
