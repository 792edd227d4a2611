package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

func TestStatusOf(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	for _, c := range []struct {
		err   error
		code  int
		field string
	}{
		{&dialer.FieldError{Field: "number", Reason: "bad"}, 400, "number"},
		{wrap(&dialer.FieldError{Field: "callback.time", Reason: "past"}), 400, "callback.time"},
		{&phone.FieldError{Field: "phone2", Reason: "bad"}, 400, "phone2"},
		{wrap(&phone.FieldError{Field: "caller_id", Reason: "bad"}), 400, "caller_id"},
		{dialer.ErrInvalid, 400, ""},
		{dialer.ErrNotFound, 404, ""},
		{wrap(dialer.ErrNotFound), 404, ""},
		{dialer.ErrForbidden, 403, ""},
		{dialer.ErrConflict, 409, ""},
		{wrap(dialer.ErrConflict), 409, ""},
		{dialer.ErrStateMismatch, 409, ""},
		{&dialer.StateMismatchError{Agent: 1, Expected: dialer.AgentReady, Actual: dialer.AgentPaused}, 409, ""},
		{dialer.ErrInvalidTransition, 409, ""},
		{wrap(dialer.ErrInvalidTransition), 409, ""},
		{dialer.ErrInUse, 409, ""},
		{dialer.ErrNoAgent, 409, ""},
		{dialer.ErrUnavailable, 503, ""},
		{wrap(dialer.ErrUnavailable), 503, ""},
		{dialer.ErrSwitchDown, 503, ""},
		{wrap(dialer.ErrSwitchDown), 503, ""},
		{identity.ErrBadCredentials, 401, ""},
		{wrap(identity.ErrBadCredentials), 401, ""},
		{identity.ErrDisabled, 403, ""},
		{wrap(identity.ErrDisabled), 403, ""},
		// identity returns the same field error type and the engine the
		// same disabled sentinel (a disabled agent seat).
		{func() error { _, err := identity.ParseRole("root"); return err }(), 400, "role"},
		{identity.NewWebSession{}.Validate(), 400, "user_id"},
		{wrap(dialer.ErrDisabled), 403, ""},
		{context.DeadlineExceeded, 504, ""},
		{errNoCredentials, 401, ""},
		{errCSRF, 403, ""},
		{&httpError{code: 409, msg: "taken", field: "username"}, 409, "username"},
		{echo.NewHTTPError(http.StatusMethodNotAllowed), 405, ""},
		{echo.ErrNotFound, 404, ""},
		{errors.New("disk on fire at /var/lib/secret"), 500, ""},
	} {
		got := statusOf(c.err)
		if got.Code != c.code || got.Field != c.field {
			t.Errorf("%v: got %d field %q, want %d field %q", c.err, got.Code, got.Field, c.code, c.field)
		}
		if got.Code >= 500 && strings.Contains(got.Message, "secret") {
			t.Errorf("%v: 5xx message leaks %q", c.err, got.Message)
		}
		if errors.Is(c.err, dialer.ErrSwitchDown) && !strings.Contains(got.Message, "switch is not connected") {
			t.Errorf("%v: 503 does not name the switch: %q", c.err, got.Message)
		}
		if got.Code == 401 && got.Message != "bad credentials" && got.Message != "authentication required" {
			t.Errorf("%v: 401 says %q", c.err, got.Message)
		}
	}
}

// TestErrorBody checks the shape every error answers with, through the
// router (unknown routes included).
func TestErrorBody(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"12"}`)
	var raw map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || rec.Code != 400 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if raw["error"]["code"] != float64(400) || raw["error"]["field"] != "number" || raw["error"]["message"] == "" {
		t.Fatalf("body %v", raw)
	}
	rec = e.do(e.agent1, "GET", "/api/v1/nope", "")
	if got := errorOf(t, rec); rec.Code != 404 || got.Code != 404 {
		t.Fatalf("unknown route: %d %+v", rec.Code, got)
	}
	// Engine errors map through the same table.
	for method, err := range map[string]error{
		"SetReady": &dialer.StateMismatchError{Agent: 1, Expected: dialer.AgentPaused, Actual: dialer.AgentInCall},
		"Pause":    fmt.Errorf("switch: %w", dialer.ErrSwitchDown),
		"Login":    &dialer.FieldError{Field: "endpoint", Reason: "bad"},
	} {
		e.eng.fail[method] = err
	}
	if rec := e.do(e.agent1, "POST", "/api/v1/agents/1/ready", ""); rec.Code != 409 {
		t.Fatalf("state mismatch: %d", rec.Code)
	}
	if rec := e.do(e.agent1, "POST", "/api/v1/agents/1/pause", `{"code":"BREAK"}`); rec.Code != 503 {
		t.Fatalf("not connected: %d", rec.Code)
	}
	if rec := e.do(e.agent1, "POST", "/api/v1/agents/1/login", `{}`); rec.Code != 400 || errorOf(t, rec).Field != "endpoint" {
		t.Fatalf("engine field error: %d %s", rec.Code, rec.Body)
	}
}

// TestUnconfigured: before the stores are wired the API says so, and
// /healthz and the description still answer.
func TestUnconfigured(t *testing.T) {
	srv := New(Options{Version: "test"})
	for path, want := range map[string]int{"/healthz": 200, "/api/v1/openapi.yaml": 200, "/api/v1/me": 503, "/api/v1/calls/live": 503} {
		rec := httptest.NewRecorder()
		srv.Echo().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d %s, want %d", path, rec.Code, rec.Body, want)
		}
	}
}

// TestHealthzDraining: a stopping service answers 503 "draining", and a
// call refused for it is a 503 saying why.
func TestHealthzDraining(t *testing.T) {
	draining := false
	srv := New(Options{Version: "test", Draining: func() bool { return draining }})
	status := func() (int, string) {
		rec := httptest.NewRecorder()
		srv.Echo().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		s, _ := m["status"].(string)
		return rec.Code, s
	}
	if code, s := status(); code != 200 || s != "ok" {
		t.Fatalf("before: %d %q", code, s)
	}
	draining = true
	if code, s := status(); code != 503 || s != "draining" {
		t.Fatalf("draining: %d %q, want 503 draining", code, s)
	}
	if d := statusOf(dialer.ErrDraining); d.Code != 503 || !strings.Contains(d.Message, "stopping") {
		t.Fatalf("ErrDraining maps to %+v", d)
	}
}

// TestHealthzDetails: the status for anyone, dependencies' statuses and
// the switch mode for a logged-in caller, the details for admins.
func TestHealthzDetails(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Version = "1.2.3"
		o.Checks = map[string]Check{
			"database": func(context.Context) (map[string]any, error) {
				return map[string]any{"path": "/srv/agentswitch/var/agentswitch.db"}, nil
			},
			"switch": func(context.Context) (map[string]any, error) {
				return map[string]any{"mode": "freeswitch", "nodes": []map[string]any{{"addr": "10.0.0.5:8021", "core_uuid": "5d1b0e52-2f9a-4a3b-9d1e-6c7f8a9b0c1d"}}}, nil
			},
		}
	})
	get := func(w who) map[string]any {
		t.Helper()
		rec := e.do(w, "GET", "/healthz", "")
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", w.name, rec.Code, rec.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	secrets := []string{"/srv/agentswitch", "10.0.0.5", "5d1b0e52", "1.2.3"}
	for _, w := range []who{e.anon, {name: "forged cookie", cookie: "x"}} {
		m := get(w)
		if len(m) != 1 || m["status"] != "ok" {
			t.Errorf("%s: %v", w.name, m)
		}
	}
	for _, w := range []who{e.agent1, e.sup, e.keySup} {
		m := get(w)
		b, _ := json.Marshal(m)
		for _, sec := range secrets {
			if strings.Contains(string(b), sec) {
				t.Errorf("%s sees %s: %s", w.name, sec, b)
			}
		}
		if sw, _ := m["switch"].(map[string]any); sw["mode"] != "freeswitch" || sw["status"] != "up" {
			t.Errorf("%s: %s", w.name, b)
		}
	}
	for _, w := range []who{e.admin, e.keyAdmin} {
		b, _ := json.Marshal(get(w))
		for _, sec := range secrets {
			if !strings.Contains(string(b), sec) {
				t.Errorf("%s does not see %s: %s", w.name, sec, b)
			}
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{DefaultCountry: "us", DefaultTimeZone: "Europe/Paris"}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := Options{DefaultCountry: "XX", DefaultTimeZone: "Mars/Olympus"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "XX") || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Fatalf("%v", err)
	}
}
