package api

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

func (e *testEnv) addPauseCode(n int) dialer.PauseCode {
	e.t.Helper()
	return must[dialer.PauseCode](e.t)(e.store.CreatePauseCode(e.t.Context(),
		dialer.PauseCode{Code: fmt.Sprintf("CODE_%d", n), Label: fmt.Sprintf("Code %d", n), Active: true}))
}

type pauseCodeList struct {
	Codes      []string
	PauseCodes []dialer.PauseCode `json:"pause_codes"`
}

func listedCodes(l []dialer.PauseCode) []string {
	var out []string
	for _, p := range l {
		out = append(out, p.Code)
	}
	return out
}

func TestPauseCodeLifecycle(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/pause-codes", `{"code":"COACHING","label":"Coaching","productive":true,"sort":15}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	p := decodeJSON[dialer.PauseCode](t, rec.Body.Bytes())
	if p.Code != "COACHING" || !p.Active || !p.Productive || p.Sort != 15 {
		t.Fatalf("created %+v", p)
	}
	l := decodeJSON[pauseCodeList](t, e.do(e.agent1, "GET", "/api/v1/pause-codes", "").Body.Bytes())
	if got := listedCodes(l.PauseCodes); !slices.Equal(got, []string{"BREAK", "COACHING", "LUNCH", "MEETING", "TRAINING", "ADMIN"}) {
		t.Fatalf("agent's list %v", got)
	}

	// A deactivated code leaves the agents' list, not the admin's.
	rec = e.do(e.admin, "PATCH", "/api/v1/pause-codes/COACHING", `{"active":false,"label":"One to one"}`)
	up := decodeJSON[dialer.PauseCode](t, rec.Body.Bytes())
	if rec.Code != 200 || up.Active || up.Label != "One to one" || !up.Productive || up.Sort != 15 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	l = decodeJSON[pauseCodeList](t, e.do(e.agent1, "GET", "/api/v1/pause-codes", "").Body.Bytes())
	if slices.Contains(listedCodes(l.PauseCodes), "COACHING") {
		t.Fatalf("agent lists the inactive code: %v", listedCodes(l.PauseCodes))
	}
	l = decodeJSON[pauseCodeList](t, e.do(e.admin, "GET", "/api/v1/pause-codes", "").Body.Bytes())
	if !slices.Contains(listedCodes(l.PauseCodes), "COACHING") {
		t.Fatalf("admin lacks the inactive code: %v", listedCodes(l.PauseCodes))
	}

	if rec := e.do(e.admin, "DELETE", "/api/v1/pause-codes/COACHING", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.admin, "DELETE", "/api/v1/pause-codes/COACHING", ""), http.StatusNotFound, "")
	if want := []string{"pause_code.create", "pause_code.update", "pause_code.delete"}; !slices.Equal(changeAudit(e), want) {
		t.Fatalf("audit %v, want %v", changeAudit(e), want)
	}
	e.eng.mu.Lock()
	reloads := e.eng.pauseReloads
	e.eng.mu.Unlock()
	if reloads != 3 {
		t.Fatalf("the engine reloaded the codes %d times, want 3", reloads)
	}
}

// Bad input names the field; nothing is written.
func TestPauseCodeRefusals(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"POST", "/api/v1/pause-codes", `{"label":"Nap"}`, 400, "code"},
		{"POST", "/api/v1/pause-codes", `{"code":"nap","label":"Nap"}`, 400, "code"},
		{"POST", "/api/v1/pause-codes", `{"code":"RONA","label":"Rang out"}`, 400, "code"},
		{"POST", "/api/v1/pause-codes", `{"code":"NO_HEARTBEAT","label":"Gone"}`, 400, "code"},
		{"POST", "/api/v1/pause-codes", `{"code":"BREAK","label":"Break"}`, 409, "code"},
		{"POST", "/api/v1/pause-codes", `{"code":"NAP"}`, 400, "label"},
		{"POST", "/api/v1/pause-codes", `{"code":"NAP","label":"Nap","sort":-1}`, 400, "sort"},
		{"POST", "/api/v1/pause-codes", `{"code":"NAP","label":"Nap","active":"yes"}`, 400, "active"},
		{"POST", "/api/v1/pause-codes", `{"code":"NAP","label":"Nap","system":true}`, 400, "system"},
		{"PATCH", "/api/v1/pause-codes/BREAK", `{"label":""}`, 400, "label"},
		{"PATCH", "/api/v1/pause-codes/BREAK", `{"code":"LONG_BREAK"}`, 400, "code"},
		{"PATCH", "/api/v1/pause-codes/NOPE", `{"active":false}`, 404, ""},
		{"PATCH", "/api/v1/pause-codes/RONA", `{"active":false}`, 404, ""},
	} {
		t.Run(c.method+" "+c.body, func(t *testing.T) {
			before := e.fingerprint()
			wantStatus(t, e.do(e.admin, c.method, c.path, c.body), c.code, c.field)
			if e.fingerprint() != before {
				t.Fatal("refused, yet the database changed")
			}
		})
	}
}

// Without a pause code store the engine's codes are listed and changes
// answer 503.
func TestPauseCodesNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PauseCodes = nil })
	l := decodeJSON[pauseCodeList](t, e.do(e.agent1, "GET", "/api/v1/pause-codes", "").Body.Bytes())
	if !slices.Equal(l.Codes, []string{"BREAK", "LUNCH"}) || !slices.Equal(listedCodes(l.PauseCodes), l.Codes) {
		t.Fatalf("listed %+v", l)
	}
	wantStatus(t, e.do(e.admin, "POST", "/api/v1/pause-codes", `{"code":"NAP","label":"Nap"}`), http.StatusServiceUnavailable, "")
}
