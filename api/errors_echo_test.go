package api

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorsCutEchoedInput: a refused 10 kB value is not sent back whole.
func TestErrorsCutEchoedInput(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("Z", 10_000)
	lead := fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID)
	for _, c := range []struct {
		w            who
		method, path string
		body         string
	}{
		{e.admin, "POST", "/api/v1/api-keys", `{"name":"k","role":"` + big + `"}`},
		{e.admin, "POST", "/api/v1/users", `{"username":"u","role":"` + big + `","password":"password-123"}`},
		{e.admin, "POST", "/api/v1/users", `{"username":"` + big + `","role":"agent","password":"password-123"}`},
		{e.admin, "POST", "/api/v1/calls", `{"number":"` + big + `"}`},
		{e.sup, "POST", "/api/v1/calls", `{"number":"+12125550100","caller_id":"` + big + `"}`},
		{e.agent1, "PATCH", lead, `{"time_zone":"` + big + `"}`},
		{e.agent1, "PATCH", lead, `{"phone":"` + big + `"}`},
		{e.agent1, "POST", "/api/v1/agents/1/pause", `{"code":"` + big + `"}`},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"` + big + `"}`},
		{e.agent1, "GET", "/api/v1/calls?since=" + big, ``},
		{e.agent1, "GET", "/api/v1/calls?limit=" + big, ``},
		{e.agent1, "GET", "/api/v1/calls?agent=" + big, ``},
		{e.agent1, "GET", "/api/v1/leads/" + big, ``},
		{e.agent1, "POST", "/api/v1/calls/" + big + "/hangup", ``},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"` + big + `"}}`},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"` + big + `":1}`},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"` + big + `"}`},
		{e.admin, "POST", "/api/v1/dids", `{"number":"` + big + `"}`},
		{e.admin, "POST", "/api/v1/campaigns", `{"name":"c","dial_mode":"` + big + `"}`},
		{e.admin, "POST", "/api/v1/dispositions", `{"code":"` + big + `","label":"x"}`},
	} {
		rec := e.do(c.w, c.method, c.path, c.body)
		if rec.Code < 400 {
			t.Errorf("%s %s: %d", c.method, c.path[:min(len(c.path), 40)], rec.Code)
			continue
		}
		if rec.Body.Len() > 600 {
			t.Errorf("%s %s %.60s: %d answered %d bytes: %.200s", c.method, c.path[:min(len(c.path), 40)], c.body, rec.Code, rec.Body.Len(), rec.Body)
		}
	}
	// What is kept still says what was wrong.
	rec := e.do(e.admin, "POST", "/api/v1/api-keys", `{"name":"k","role":"`+big+`"}`)
	msg := decodeBody[errorBody](t, rec).Error.Message
	if want := `unknown role "` + strings.Repeat("Z", 63) + `…" (10000 bytes)`; !strings.Contains(msg, want) {
		t.Errorf("message %q, want it to contain %q", msg, want)
	}
	for _, s := range []string{"", `short "x"`, "é" + strings.Repeat("é", 400)} {
		if got := cutEcho(s); len(got) > maxMessage+len("…") || !utf8.ValidString(got) {
			t.Errorf("cutEcho(%.20q) = %.20q (%d bytes)", s, got, len(got))
		}
	}
}
