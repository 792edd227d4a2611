package browser

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	// The preview campaign's leads, each called once before, and
	// the progressive campaign's lead.
	previewNumberA  = "+13125550111"
	previewNumberB  = "+13125550122"
	progressiveLead = "+13125550133"
	previewUser     = "pat"
	previewPass     = "pat-pass-1234"
)

// TestPreviewDay: an agent picks a preview campaign, reads the previewed
// lead with its history, skips it with a reason, dials the next one, which
// answers, and wraps it up; then switches to a progressive campaign and
// takes the dialer's call. The records say which campaign, lead and origin
// each call had, and the skipped lead is back in its campaign.
func TestPreviewDay(t *testing.T) {
	ctx := tier(t)

	sw := startSim(t)
	// The earlier attempt each preview lead has in its history fails.
	for _, n := range []string{previewNumberA, previewNumberB} {
		sw.SetEndpoint(n, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 50 * time.Millisecond})
	}
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	settings := map[string]any{
		// Any hour; a busy lead may be called again at once.
		"calling_window": map[string]any{"hours": []map[string]string{{"start": "00:00", "end": "24:00"}}},
		"retry_delays":   map[string]int{"busy": 0},
	}
	preview := adm.post(t, "/campaigns", map[string]any{
		"name": "Winter preview", "dial_mode": "preview", "active": true, "max_attempts": 5,
		"settings": map[string]any{"calling_window": settings["calling_window"], "retry_delays": settings["retry_delays"],
			// Dialed by itself after 10 min: long enough to read, then skip or dial.
			"preview_timeout_seconds": 600},
		"script": "Hello {{first_name}}, this is {{agent_name}} about your {{custom.plan}} plan.",
	})
	progressive := adm.post(t, "/campaigns", map[string]any{
		"name": "Spring progressive", "dial_mode": "progressive", "active": true, "max_attempts": 5, "settings": settings,
	})
	leadA := adm.post(t, "/leads", map[string]any{
		"campaign_id": preview["id"], "phone": previewNumberA, "first_name": "Ada", "last_name": "Moreno",
		"time_zone": "America/Chicago", "custom": map[string]string{"plan": "Silver", "source": "Winter fair"},
	})
	leadB := adm.post(t, "/leads", map[string]any{
		"campaign_id": preview["id"], "phone": previewNumberB, "first_name": "Ben", "last_name": "Okafor",
		"time_zone": "America/Los_Angeles", "custom": map[string]string{"plan": "Gold", "source": "Website"},
	})
	for _, l := range []map[string]any{leadA, leadB} {
		c := adm.post(t, "/calls", map[string]any{"number": l["phone"], "campaign_id": preview["id"], "lead_id": l["id"]})
		// No agent is on the phone yet: the call is given up (cancelled) or
		// refused (busy); either way it is an attempt in the lead's history.
		if r := adm.call(t, sw, fmt.Sprint(c["id"])).Record; r.Outcome != "busy" && r.Outcome != "cancelled" {
			t.Fatalf("the earlier attempt on lead %v: %+v", l["id"], r)
		}
	}
	for _, n := range []string{previewNumberA, previewNumberB, progressiveLead} {
		sw.SetEndpoint(n, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	}
	leadC := adm.post(t, "/leads", map[string]any{
		"campaign_id": progressive["id"], "phone": progressiveLead, "first_name": "Cleo", "last_name": "Park", "time_zone": "America/New_York",
	})
	user := adm.post(t, "/users", map[string]any{"username": previewUser, "display_name": "Pat Quinn", "role": "agent", "password": previewPass})
	agent := adm.post(t, "/agents", map[string]any{
		"name": "Pat Quinn", "extension": "1002", "sip_password": "sip-secret-1002", "user_id": user["id"],
		"campaigns": []any{preview["id"], progressive["id"]},
	})

	var res struct {
		Skipped float64           `json:"skipped"`
		Dialed  float64           `json:"dialed"`
		Calls   map[string]string `json:"calls"`
	}
	scenario(t, ctx, svc, "preview_day.mjs", []string{
		"AS_USER=" + previewUser, "AS_PASSWORD=" + previewPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", agent["id"]),
		fmt.Sprintf("AS_LEADS=%v:Ada Moreno:Silver,%v:Ben Okafor:Gold", leadA["id"], leadB["id"]),
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	ids := []float64{leadA["id"].(float64), leadB["id"].(float64)}
	if !slices.Contains(ids, res.Skipped) || !slices.Contains(ids, res.Dialed) || res.Skipped == res.Dialed {
		t.Fatalf("skipped lead %v and dialed lead %v, want one each of %v", res.Skipped, res.Dialed, ids)
	}
	// The dialed lead: a dialer call on the preview campaign.
	dialed := adm.call(t, sw, res.Calls["preview"]).Record
	if dialed.Campaign != preview["id"] || dialed.Lead != res.Dialed || dialed.Origin != "dialer" || dialed.Direction != "outbound" ||
		dialed.Outcome != "answered" || dialed.Disposition != "NI" || dialed.Notes != "Renewed with another supplier" {
		t.Errorf("the previewed lead's call %+v", dialed)
	}
	if l := adm.lead(t, res.Dialed); l.Attempts != 2 || l.LastDisposition != "NI" {
		t.Errorf("dialed lead %+v, want 2 attempts (the earlier one and this), last NI", l)
	}
	// The skipped lead went back to its campaign, not dialed, for later:
	// after the campaign's no-answer delay (2 h by default).
	if l := adm.lead(t, res.Skipped); l.Attempts != 1 || l.Campaign != preview["id"] || (l.Status != "new" && l.Status != "retry") ||
		time.Until(l.NextCallAt) < time.Hour {
		t.Errorf("skipped lead %+v, want it back in campaign %v with its 1 attempt, for later", l, preview["id"])
	}
	// The progressive campaign's dialer call, put through to the agent.
	dc := adm.call(t, sw, res.Calls["dialer"]).Record
	if dc.Origin != "dialer" || dc.Campaign != progressive["id"] || dc.Lead != leadC["id"] || dc.Disposition != "SALE" {
		t.Errorf("dialer call %+v", dc)
	}
}

type leadView struct {
	Campaign        float64   `json:"campaign_id"`
	Status          string    `json:"status"`
	Attempts        int       `json:"attempts"`
	LastDisposition string    `json:"last_disposition"`
	NextCallAt      time.Time `json:"next_call_at"`
}

func (c *client) lead(t *testing.T, id float64) leadView {
	t.Helper()
	var l leadView
	c.do(t, "GET", fmt.Sprintf("/leads/%v", id), nil, &l)
	return l
}
