package webhooks

import (
	"errors"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

func TestValidate(t *testing.T) {
	ok := Endpoint{URL: "https://hooks.example.com/in", Events: []string{"call.ended"}}
	for _, c := range []struct {
		name         string
		mod          func(*Endpoint)
		allowPrivate bool
		field        string
	}{
		{"valid", func(*Endpoint) {}, false, ""},
		{"every event", func(e *Endpoint) { e.Events = []string{"*"} }, false, ""},
		{"no url", func(e *Endpoint) { e.URL = "" }, false, "url"},
		{"ftp", func(e *Endpoint) { e.URL = "ftp://example.com/x" }, false, "url"},
		{"relative", func(e *Endpoint) { e.URL = "/hook" }, false, "url"},
		{"credentials", func(e *Endpoint) { e.URL = "https://u:p@example.com/" }, false, "url"},
		{"loopback", func(e *Endpoint) { e.URL = "http://127.0.0.1:8080/" }, false, "url"},
		{"localhost", func(e *Endpoint) { e.URL = "http://localhost/" }, false, "url"},
		{"private", func(e *Endpoint) { e.URL = "http://10.1.2.3/" }, false, "url"},
		{"link-local", func(e *Endpoint) { e.URL = "http://169.254.169.254/latest" }, false, "url"},
		{"ipv6 loopback", func(e *Endpoint) { e.URL = "http://[::1]/" }, false, "url"},
		{"loopback allowed", func(e *Endpoint) { e.URL = "http://127.0.0.1:8080/" }, true, ""},
		{"no events", func(e *Endpoint) { e.Events = nil }, false, "events"},
		{"bad event", func(e *Endpoint) { e.Events = []string{"Call Ended"} }, false, "events"},
		{"negative widget", func(e *Endpoint) { e.WidgetID = -1 }, false, "widget_id"},
		{"long description", func(e *Endpoint) { e.Description = string(make([]byte, 501)) }, false, "description"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := ok
			c.mod(&e)
			err := e.Validate(c.allowPrivate)
			var fe *inputerr.FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("got %v, want a refusal of %s", err, c.field)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	body := []byte(`{"event":"call.ended"}`)
	sig := Sign("s3cret-s3cret-s3cret", at, body)
	for _, c := range []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		want                 error
	}{
		{"good", "s3cret-s3cret-s3cret", sig, body, at.Add(time.Minute), nil},
		{"four minutes late", "s3cret-s3cret-s3cret", sig, body, at.Add(4 * time.Minute), nil},
		{"replayed after five minutes", "s3cret-s3cret-s3cret", sig, body, at.Add(5*time.Minute + time.Second), ErrStale},
		{"other secret", "other-secret-other", sig, body, at, ErrBadSignature},
		{"body changed", "s3cret-s3cret-s3cret", sig, []byte(`{"event":"call.started"}`), at, ErrBadSignature},
		{"no timestamp", "s3cret-s3cret-s3cret", "v1=00", body, at, ErrBadSignature},
		{"empty", "s3cret-s3cret-s3cret", "", body, at, ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := Verify(c.secret, c.header, c.body, c.now); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}
