package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/agentswitch/agentswitch/notify"
)

// sentLog records what the test senders were asked to send, and fails
// when err is set.
type sentLog struct {
	mu   sync.Mutex
	mail []notify.Message
	sms  []string
	err  error
}

func (s *sentLog) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail = append(s.mail, m)
	return s.err
}

type sentSMS struct{ *sentLog }

func (s sentSMS) Send(_ context.Context, to, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sms = append(s.sms, to+" "+body)
	return s.err
}

func notifyEnv(t *testing.T, log *sentLog, withMail bool) *testEnv {
	return newEnv(t, func(o *Options) {
		o.Notify = &notify.Notifier{Direct: notify.Senders{SMS: sentSMS{log}}}
		if withMail {
			o.Notify.Direct.Mail = log
		}
	})
}

func TestNotifyTestSendsAndAudits(t *testing.T) {
	log := &sentLog{}
	e := notifyEnv(t, log, true)
	for _, body := range []string{`{"channel":"email","to":"ops@example.com"}`, `{"channel":"sms","to":"+14155550100"}`} {
		rec := e.do(e.admin, "POST", "/api/v1/notify/test", body)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"sent":true`) {
			t.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
	if len(log.mail) != 1 || log.mail[0].To[0] != "ops@example.com" || !strings.Contains(log.mail[0].Text, "by admin") {
		t.Errorf("mail %+v", log.mail)
	}
	if len(log.sms) != 1 || !strings.HasPrefix(log.sms[0], "+14155550100 agentswitch test message") {
		t.Errorf("sms %q", log.sms)
	}
	p := decodeBody[auditPage](t, e.do(e.admin, "GET", "/api/v1/audit?action=notify.test", ""))
	if len(p.Entries) != 2 || p.Entries[0].Target != "sms:+14155550100" || p.Entries[1].Target != "email:ops@example.com" {
		t.Fatalf("audit %+v", p.Entries)
	}
}

// A refusal comes back with the server's words, and is audited too.
func TestNotifyTestReportsTheRefusal(t *testing.T) {
	log := &sentLog{err: errors.New("smtp 127.0.0.1:25: 535 5.7.8 authentication failed")}
	e := notifyEnv(t, log, true)
	rec := e.do(e.admin, "POST", "/api/v1/notify/test", `{"channel":"email","to":"ops@example.com"}`)
	if rec.Code != 502 || !strings.Contains(rec.Body.String(), "not sent: smtp 127.0.0.1:25: 535 5.7.8 authentication failed") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	p := decodeBody[auditPage](t, e.do(e.admin, "GET", "/api/v1/audit?action=notify.test", ""))
	if len(p.Entries) != 1 {
		t.Fatalf("audit %+v", p.Entries)
	}
	var d map[string]any
	if err := json.Unmarshal(p.Entries[0].Details, &d); err != nil || d["sent"] != false || !strings.Contains(d["error"].(string), "535") {
		t.Fatalf("details %s", p.Entries[0].Details)
	}
}

func TestNotifyTestRefusesBadInput(t *testing.T) {
	e := notifyEnv(t, &sentLog{}, false)
	for _, tc := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"channel":"fax","to":"+14155550100"}`, 400, "channel"},
		{`{"channel":"sms","to":"4155550100"}`, 400, "to"},
		{`{"channel":"email","to":"ops@example.com\r\nBcc: x@example.com"}`, 400, "to"},
		{`{"channel":"email","to":"Ops <ops@example.com>"}`, 400, "to"},
		// No SMTP server in this service.
		{`{"channel":"email","to":"ops@example.com"}`, 409, "channel"},
	} {
		rec := e.do(e.admin, "POST", "/api/v1/notify/test", tc.body)
		var got errorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &got)
		if rec.Code != tc.code || got.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.body, rec.Code, rec.Body, tc.code, tc.field)
		}
	}
}
