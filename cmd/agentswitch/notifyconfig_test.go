package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/svctest"
	"github.com/agentswitch/agentswitch/notify"
)

const testAccountSID = "AC0123456789abcdef0123456789abcdef"

func TestConfigNotifyDefaults(t *testing.T) {
	c, err := loadConfig(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Notify.SMTP != nil || c.Notify.SMSProvider != "log" {
		t.Fatalf("notify defaults: %+v", c.Notify)
	}
}

func TestConfigNotifySMTPAndTwilio(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	tokFile := filepath.Join(dir, "sms-token")
	if err := os.WriteFile(pwFile, []byte("mail-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, []byte("tw-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig([]string{"-smtp-port", "2525"}, env(map[string]string{
		"AGENTSWITCH_SMTP_HOST":           "smtp.example.com",
		"AGENTSWITCH_SMTP_USERNAME":       "widget",
		"AGENTSWITCH_SMTP_PASSWORD_FILE":  pwFile,
		"AGENTSWITCH_SMTP_FROM":           "noreply@example.com",
		"AGENTSWITCH_SMS_PROVIDER":        "twilio",
		"AGENTSWITCH_SMS_ACCOUNT_SID":     testAccountSID,
		"AGENTSWITCH_SMS_AUTH_TOKEN_FILE": tokFile,
		"AGENTSWITCH_SMS_FROM":            "+14155550100",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := notify.SMTPConfig{Host: "smtp.example.com", Port: 2525, TLS: notify.TLSStartTLS, Auth: notify.AuthPlain,
		Username: "widget", From: "noreply@example.com"}
	if got := c.Notify.SMTP.LogValue().String() + " " + c.Notify.SMTP.Password + " " + c.Notify.SMTP.FromName + " " + c.Notify.SMTP.Timeout.String(); got != want.LogValue().String()+" mail-s3cret agentswitch 15s" {
		t.Errorf("smtp %s", got)
	}
	tw := c.Notify.Twilio
	if tw.BaseURL != notify.TwilioBaseURL || tw.AccountSID != testAccountSID || tw.AuthToken != "tw-t0ken" || tw.From != "+14155550100" {
		t.Errorf("twilio %+v", tw)
	}
}

func TestConfigNotifySMTPPortFollowsTLS(t *testing.T) {
	for mode, port := range map[string]int{"starttls": 587, "starttls-opportunistic": 587, "tls": 465, "none": 25} {
		c, err := loadConfig(nil, env(map[string]string{
			"AGENTSWITCH_SMTP_HOST": "smtp.example.com", "AGENTSWITCH_SMTP_FROM": "n@example.com", "AGENTSWITCH_SMTP_TLS": mode,
		}))
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if c.Notify.SMTP.Port != port || c.Notify.SMTP.Auth != notify.AuthNone {
			t.Errorf("%s: port %d auth %s, want %d and none", mode, c.Notify.SMTP.Port, c.Notify.SMTP.Auth, port)
		}
	}
}

// Each bad setting is refused at start, named by its variable.
func TestConfigNotifyErrorsNameTheSetting(t *testing.T) {
	smtp := map[string]string{"AGENTSWITCH_SMTP_HOST": "smtp.example.com", "AGENTSWITCH_SMTP_FROM": "n@example.com"}
	twilio := map[string]string{"AGENTSWITCH_SMS_PROVIDER": "twilio", "AGENTSWITCH_SMS_ACCOUNT_SID": testAccountSID,
		"AGENTSWITCH_SMS_AUTH_TOKEN": "t", "AGENTSWITCH_SMS_FROM": "+14155550100"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"from without host", map[string]string{"AGENTSWITCH_SMTP_FROM": "n@example.com"}, "AGENTSWITCH_SMTP_HOST: is required"},
		{"no from", with(smtp, "AGENTSWITCH_SMTP_FROM", ""), "AGENTSWITCH_SMTP_FROM: required"},
		{"bad from", with(smtp, "AGENTSWITCH_SMTP_FROM", "noreply"), "AGENTSWITCH_SMTP_FROM: \"noreply\" is not an e-mail address"},
		{"bad port", with(smtp, "AGENTSWITCH_SMTP_PORT", "smtp"), "AGENTSWITCH_SMTP_PORT: \"smtp\" is not a port"},
		{"port out of range", with(smtp, "AGENTSWITCH_SMTP_PORT", "0"), "AGENTSWITCH_SMTP_PORT: 0 is not a port"},
		{"bad tls", with(smtp, "AGENTSWITCH_SMTP_TLS", "ssl"), "AGENTSWITCH_SMTP_TLS: \"ssl\" is not one of none, starttls"},
		{"bad auth", with(smtp, "AGENTSWITCH_SMTP_AUTH", "xoauth2"), "AGENTSWITCH_SMTP_AUTH: \"xoauth2\" is not one of"},
		{"user without password", with(smtp, "AGENTSWITCH_SMTP_USERNAME", "u"), "AGENTSWITCH_SMTP_PASSWORD: is required with auth plain"},
		{"password in clear", with(smtp, "AGENTSWITCH_SMTP_USERNAME", "u", "AGENTSWITCH_SMTP_PASSWORD", "p", "AGENTSWITCH_SMTP_TLS", "none"), "AGENTSWITCH_SMTP_TLS: none would send the plain password in clear text"},
		{"password twice", with(smtp, "AGENTSWITCH_SMTP_USERNAME", "u", "AGENTSWITCH_SMTP_PASSWORD", "p", "AGENTSWITCH_SMTP_PASSWORD_FILE", "/x"), "AGENTSWITCH_SMTP_PASSWORD: set either it or SMTP_PASSWORD_FILE"},
		{"password file missing", with(smtp, "AGENTSWITCH_SMTP_USERNAME", "u", "AGENTSWITCH_SMTP_PASSWORD_FILE", "/nonexistent/pw"), "AGENTSWITCH_SMTP_PASSWORD_FILE: cannot read /nonexistent/pw"},
		{"bad timeout", with(smtp, "AGENTSWITCH_SMTP_TIMEOUT", "soon"), "AGENTSWITCH_SMTP_TIMEOUT: \"soon\" is not a positive duration"},
		{"unknown provider", map[string]string{"AGENTSWITCH_SMS_PROVIDER": "nexmo"}, "AGENTSWITCH_SMS_PROVIDER: \"nexmo\" is not log or twilio"},
		{"bad account", with(twilio, "AGENTSWITCH_SMS_ACCOUNT_SID", "AC1"), "AGENTSWITCH_SMS_ACCOUNT_SID: must be AC and 32 hex digits"},
		{"no token", with(twilio, "AGENTSWITCH_SMS_AUTH_TOKEN", ""), "AGENTSWITCH_SMS_AUTH_TOKEN: is required"},
		{"no sender", with(twilio, "AGENTSWITCH_SMS_FROM", ""), "AGENTSWITCH_SMS_FROM: is required unless"},
		{"bad service", with(twilio, "AGENTSWITCH_SMS_MESSAGING_SERVICE_SID", "MG1"), "AGENTSWITCH_SMS_MESSAGING_SERVICE_SID: must be MG"},
		{"bad base url", with(twilio, "AGENTSWITCH_SMS_BASE_URL", "api.twilio.com"), "AGENTSWITCH_SMS_BASE_URL: \"api.twilio.com\" is not an http(s) URL"},
		{"bad sms timeout", with(twilio, "AGENTSWITCH_SMS_TIMEOUT", "0s"), "AGENTSWITCH_SMS_TIMEOUT: \"0s\" is not a positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(nil, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Error("a secret is in the error")
			}
		})
	}
}

// Building the senders logs where mail and texts go, never a secret.
func TestNotifySendersLogNoSecret(t *testing.T) {
	c, err := loadConfig(nil, env(map[string]string{
		"AGENTSWITCH_SMTP_HOST": "smtp.example.com", "AGENTSWITCH_SMTP_USERNAME": "widget", "AGENTSWITCH_SMTP_PASSWORD": "mail-s3cret",
		"AGENTSWITCH_SMTP_FROM": "noreply@example.com", "AGENTSWITCH_SMS_PROVIDER": "twilio", "AGENTSWITCH_SMS_ACCOUNT_SID": testAccountSID,
		"AGENTSWITCH_SMS_AUTH_TOKEN": "tw-t0ken", "AGENTSWITCH_SMS_FROM": "+14155550100",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logs svctest.SyncBuffer
	s, err := c.Notify.senders(slog.New(slog.NewTextHandler(&logs, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mail == nil || s.SMS == nil {
		t.Fatalf("senders %+v", s)
	}
	out := logs.String()
	if !strings.Contains(out, "smtp.host=smtp.example.com") || !strings.Contains(out, "account_sid="+testAccountSID) {
		t.Errorf("log %q", out)
	}
	if strings.Contains(out, "mail-s3cret") || strings.Contains(out, "tw-t0ken") {
		t.Errorf("a secret is in the log: %q", out)
	}
}
