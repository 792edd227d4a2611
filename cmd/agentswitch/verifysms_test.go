package main

import (
	"context"
	"testing"

	"github.com/agentswitch/agentswitch/notify"
)

type sentSMS struct{ to, body []string }

func (s *sentSMS) Send(_ context.Context, to, body string) error {
	s.to, s.body = append(s.to, to), append(s.body, body)
	return nil
}

// TestVerificationSMS: managers' codes go through the notifier's SMS.
func TestVerificationSMS(t *testing.T) {
	got := &sentSMS{}
	s := smsSender{&notify.Notifier{SMS: got}}
	if err := s.SendSMS(t.Context(), "+14155550100", "Your code: 123456"); err != nil {
		t.Fatal(err)
	}
	if len(got.to) != 1 || got.to[0] != "+14155550100" || got.body[0] != "Your code: 123456" {
		t.Fatalf("sent %+v", got)
	}
}
