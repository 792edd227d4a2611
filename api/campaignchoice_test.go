package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestCampaignChoiceInput: the campaign and preview bodies are checked
// before the engine hears of them, naming the field.
func TestCampaignChoiceInput(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		path, body, field string
	}{
		{"/api/v1/agents/1/login", `{"campaign_id":-1}`, "campaign_id"},
		{"/api/v1/agents/1/campaign", `{}`, "campaign_id"},
		{"/api/v1/agents/1/campaign", `{"campaign_id":0}`, "campaign_id"},
		{"/api/v1/agents/1/preview/skip", `{}`, "reason"},
		{"/api/v1/agents/1/preview/skip", `{"reason":"   "}`, "reason"},
		{"/api/v1/agents/1/preview/skip", `{"reason":"` + strings.Repeat("x", 201) + `"}`, "reason"},
	} {
		before := len(e.eng.calls)
		rec := e.do(e.agent1, http.MethodPost, c.path, c.body)
		if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != c.field {
			t.Errorf("%s %s: %d %s, want 400 naming %s", c.path, c.body, rec.Code, rec.Body, c.field)
		}
		if len(e.eng.calls) != before {
			t.Errorf("%s %s reached the engine", c.path, c.body)
		}
	}
	rec := e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/login", `{"campaign_id":7}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	if got := e.eng.called("Login"); len(got) != 1 || got[0].Arg.(dialer.LoginRequest).Campaign != 7 {
		t.Fatalf("login reached the engine as %+v", got)
	}
	rec = e.do(e.agent1, http.MethodPost, "/api/v1/agents/1/preview/skip", `{"reason":"Wrong time zone"}`)
	if got := e.eng.called("PreviewSkip"); rec.Code != http.StatusOK || len(got) != 1 || got[0].Arg != "Wrong time zone" {
		t.Fatalf("skip: %d %s, engine %+v", rec.Code, rec.Body, got)
	}
}
