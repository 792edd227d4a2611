package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

var testDate = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

func mailerFor(t *testing.T, s *smtpServer, mod func(*SMTPConfig)) *SMTP {
	t.Helper()
	cfg := SMTPConfig{
		Host: "127.0.0.1", Port: s.port, TLS: TLSStartTLS, Auth: AuthPlain,
		Username: "widget", Password: "s3cret", From: "noreply@example.com", FromName: "Callback Widget",
		Timeout: 5 * time.Second, TLSConfig: s.clientTLS, Now: func() time.Time { return testDate },
	}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPStartTLSAuthPlainDelivers(t *testing.T) {
	s := startSMTP(t, serverOpts{tls: true, user: "widget", pass: "s3cret"})
	m := mailerFor(t, s, nil)
	err := m.Send(context.Background(), Message{
		To:      []string{"sales@example.com", "boss@example.org"},
		Subject: "New callback request: +1 415 555 0100",
		Text:    "Call them back now.\nPage: /pricing",
		HTML:    "<p>Call them back <b>now</b>.</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "noreply@example.com" {
		t.Errorf("MAIL FROM %q", got.From)
	}
	if strings.Join(got.To, ",") != "sales@example.com,boss@example.org" {
		t.Errorf("RCPT TO %q", got.To)
	}
	if !got.TLS || got.User != "widget" {
		t.Errorf("tls %v, authenticated as %q: want STARTTLS and AUTH as widget", got.TLS, got.User)
	}
	head, body, _ := strings.Cut(got.Data, "\r\n\r\n")
	for _, want := range []string{
		`From: "Callback Widget" <noreply@example.com>`,
		"To: <sales@example.com>, <boss@example.org>",
		"Subject: New callback request: +1 415 555 0100",
		"Date: Mon, 07 Dec 2026 09:30:00 +0000",
		"Message-ID: <",
		"MIME-Version: 1.0",
		"Content-Type: multipart/alternative;",
	} {
		if !strings.Contains(head+"\r\n", want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	if strings.Contains(head, "s3cret") || strings.Contains(body, "s3cret") {
		t.Error("the password is in the message")
	}
	for _, want := range []string{"Content-Type: text/plain; charset=UTF-8", "Call them back now.", "Content-Type: text/html; charset=UTF-8", "<b>now</b>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// Each AUTH mechanism the settings offer logs in to a real server.
func TestSMTPAuthMechanisms(t *testing.T) {
	for mode, mech := range map[AuthMode]string{AuthPlain: "PLAIN", AuthLogin: "LOGIN", AuthCramMD5: "CRAM-MD5"} {
		t.Run(string(mode), func(t *testing.T) {
			s := startSMTP(t, serverOpts{tls: true, user: "widget", pass: "s3cret"})
			if err := mailerFor(t, s, func(c *SMTPConfig) { c.Auth = mode }).Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}); err != nil {
				t.Fatal(err)
			}
			bad := mailerFor(t, s, func(c *SMTPConfig) { c.Auth, c.Password = mode, "wrong" })
			if err := bad.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}); err == nil || Temporary(err) {
				t.Errorf("wrong password: %v, want a permanent error", err)
			}
			if msgs := s.messages(); len(msgs) != 1 || msgs[0].User != "widget" || msgs[0].Mech != mech {
				t.Fatalf("messages %+v, want one after AUTH %s", msgs, mech)
			}
		})
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	s := startSMTP(t, serverOpts{implicit: true, user: "widget", pass: "s3cret"})
	m := mailerFor(t, s, func(c *SMTPConfig) { c.TLS = TLSImplicit })
	if err := m.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if msgs := s.messages(); len(msgs) != 1 || msgs[0].User != "widget" {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestSMTPOpportunisticWithoutTLSSendsInClear(t *testing.T) {
	s := startSMTP(t, serverOpts{})
	m := mailerFor(t, s, func(c *SMTPConfig) { c.TLS, c.Auth = TLSStartTLSOpportunistic, AuthNone })
	if err := m.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if msgs := s.messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("messages %+v: want one, in clear", msgs)
	}
}

// Each refusal is an error that says what went wrong, and whether a
// retry could help.
func TestSMTPRefusals(t *testing.T) {
	msg := Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
	for _, tc := range []struct {
		name      string
		server    serverOpts
		mod       func(*SMTPConfig)
		want      string
		temporary bool
	}{
		{"auth required, none configured", serverOpts{tls: true, user: "widget", pass: "s3cret"},
			func(c *SMTPConfig) { c.Auth = AuthNone }, "Please authenticate", false},
		{"wrong password", serverOpts{tls: true, user: "widget", pass: "s3cret"},
			func(c *SMTPConfig) { c.Password = "wrong" }, "535", false},
		{"starttls required, not offered", serverOpts{user: "widget", pass: "s3cret"},
			nil, "STARTTLS", false},
		{"recipient refused", serverOpts{tls: true, user: "widget", pass: "s3cret", rcptErr: errMailboxUnavailable},
			nil, "no such user", false},
		{"recipient deferred", serverOpts{tls: true, user: "widget", pass: "s3cret", rcptErr: errTryLater},
			nil, "try again later", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSMTP(t, tc.server)
			err := mailerFor(t, s, tc.mod).Send(context.Background(), msg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one with %q", err, tc.want)
			}
			if Temporary(err) != tc.temporary {
				t.Errorf("Temporary(%v) = %v, want %v", err, Temporary(err), tc.temporary)
			}
			if n := len(s.messages()); n != 0 {
				t.Errorf("server took %d messages", n)
			}
		})
	}
}

func TestSMTPConnectionRefusedIsTemporary(t *testing.T) {
	s := startSMTP(t, serverOpts{})
	m := mailerFor(t, s, func(c *SMTPConfig) { c.Port = 1; c.TLS, c.Auth = TLSNone, AuthNone })
	err := m.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"})
	if err == nil || !Temporary(err) {
		t.Fatalf("err %v: want a temporary failure", err)
	}
}

// A message with a header injection never reaches the server.
func TestSMTPRefusesBadMessagesBeforeDialling(t *testing.T) {
	s := startSMTP(t, serverOpts{tls: true, user: "widget", pass: "s3cret"})
	m := mailerFor(t, s, nil)
	err := m.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "Hi\r\nBcc: victim@example.net", Text: "t"})
	var fe *inputerr.FieldError
	if !errors.As(err, &fe) || fe.Field != "subject" || Temporary(err) {
		t.Fatalf("err %v: want a permanent subject error", err)
	}
	if s.sessions() != 0 {
		t.Error("the mailer connected for a refused message")
	}
}

func TestMessageValidate(t *testing.T) {
	ok := Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
	long := make([]string, MaxRecipients+1)
	for i := range long {
		long[i] = "a@example.com"
	}
	for _, tc := range []struct {
		name  string
		mod   func(*Message)
		field string
	}{
		{"ok", func(*Message) {}, ""},
		{"no recipient", func(m *Message) { m.To = nil }, "to"},
		{"too many recipients", func(m *Message) { m.To = long }, "to"},
		{"not an address", func(m *Message) { m.To = []string{"sales"} }, "to"},
		{"display name", func(m *Message) { m.To = []string{"Sales <s@example.com>"} }, "to"},
		{"two addresses in one", func(m *Message) { m.To = []string{"a@example.com,b@example.com"} }, "to"},
		{"line break in address", func(m *Message) { m.To = []string{"a@example.com\r\nBcc: b@example.com"} }, "to"},
		{"empty subject", func(m *Message) { m.Subject = "" }, "subject"},
		{"LF in subject", func(m *Message) { m.Subject = "a\nBcc: b@example.com" }, "subject"},
		{"CR in subject", func(m *Message) { m.Subject = "a\rb" }, "subject"},
		{"long subject", func(m *Message) { m.Subject = strings.Repeat("x", MaxSubject+1) }, "subject"},
		{"no text", func(m *Message) { m.Text = "" }, "text"},
		{"bad UTF-8 html", func(m *Message) { m.HTML = "\xff" }, "html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.mod(&m)
			wantField(t, m.Validate(), tc.field)
		})
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, Auth: AuthPlain, Username: "u", Password: "p",
		From: "noreply@example.com", Timeout: time.Second}
	for _, tc := range []struct {
		name  string
		mod   func(*SMTPConfig)
		field string
	}{
		{"ok", func(*SMTPConfig) {}, ""},
		{"no auth, no user", func(c *SMTPConfig) { c.Auth, c.Username, c.Password = AuthNone, "", "" }, ""},
		{"cram-md5 in clear", func(c *SMTPConfig) { c.Auth, c.TLS = AuthCramMD5, TLSNone }, ""},
		{"no host", func(c *SMTPConfig) { c.Host = "" }, "host"},
		{"host with port", func(c *SMTPConfig) { c.Host = "smtp.example.com:587" }, "host"},
		{"port 0", func(c *SMTPConfig) { c.Port = 0 }, "port"},
		{"port too big", func(c *SMTPConfig) { c.Port = 70000 }, "port"},
		{"unknown tls", func(c *SMTPConfig) { c.TLS = "ssl" }, "tls"},
		{"unknown auth", func(c *SMTPConfig) { c.Auth = "xoauth2" }, "auth"},
		{"auth without user", func(c *SMTPConfig) { c.Username = "" }, "username"},
		{"auth without password", func(c *SMTPConfig) { c.Password = "" }, "password"},
		{"plain password in clear", func(c *SMTPConfig) { c.TLS = TLSNone }, "tls"},
		{"bad from", func(c *SMTPConfig) { c.From = "noreply" }, "from"},
		{"from name with line break", func(c *SMTPConfig) { c.FromName = "a\r\nBcc: x@example.com" }, "from-name"},
		{"no timeout", func(c *SMTPConfig) { c.Timeout = 0 }, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			wantField(t, c.Validate(), tc.field)
		})
	}
}

// wantField fails t unless err is nil (field "") or a FieldError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *inputerr.FieldError
	switch {
	case field == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case field != "" && (!errors.As(err, &fe) || fe.Field != field):
		t.Fatalf("err %v, want one naming %s", err, field)
	}
}

// A certificate the service does not trust is refused, for good.
func TestSMTPUntrustedCertificateIsPermanent(t *testing.T) {
	s := startSMTP(t, serverOpts{tls: true, user: "widget", pass: "s3cret"})
	m := mailerFor(t, s, func(c *SMTPConfig) { c.TLSConfig = &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12} })
	err := m.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"})
	if err == nil || Temporary(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err %v: want a permanent certificate error", err)
	}
	if len(s.messages()) != 0 {
		t.Error("a message went to an untrusted server")
	}
}
