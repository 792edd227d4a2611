package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

type campaignBody struct {
	dialer.Campaign
	Settings dialer.CampaignSettings `json:"settings"`
}

func TestPatchCampaign(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Another rule's key in the settings, which a PATCH must keep.
	c := e.campaign
	c.Settings = json.RawMessage(`{"calling_window":{"hours":[{"start":"09:00","end":"20:00"}]}}`)
	must[dialer.Campaign](t)(e.store.UpdateCampaign(ctx, c))
	path := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)

	// Reading fills the defaults in.
	rec := e.do(e.agent1, "GET", path, "")
	got := decodeBody[campaignBody](t, rec)
	if rec.Code != http.StatusOK || got.Settings.LinesPerAgent != 1 || got.Settings.RetryDelays.Abandoned != 1800 ||
		got.Settings.LeadOrder != dialer.OrderNewFirst {
		t.Fatalf("get: %d %s", rec.Code, rec.Body)
	}

	rec = e.do(e.sup, "PATCH", path, `{"dial_mode":"manual","max_attempts":5,"caller_id":"(212) 555-0100",
		"lines_per_agent":3,"retry_delays":{"busy":60},"caller_id_pool":["415 555 0100"],
		"disposition_actions":{"NI":"retry"},"recording":"ask","consent_message":"consent/en.wav",
		"allowed_agents":[1,2],"lead_order":"random","preview_timeout_seconds":20}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	got = decodeBody[campaignBody](t, rec)
	want := dialer.DefaultCampaignSettings()
	want.RetryDelays.Busy = 60
	if got.DialMode != dialer.DialManual || got.MaxAttempts != 5 || got.CallerID != "+12125550100" || got.Name != "Autumn" ||
		got.Script != "Hello {first_name}" || got.Settings.LinesPerAgent != 3 || got.Settings.RetryDelays != want.RetryDelays ||
		!slices.Equal(got.Settings.CallerIDPool, []string{"+14155550100"}) || got.Settings.DispositionActions["NI"] != dialer.ActionRetry ||
		got.Settings.Recording != dialer.RecordAsk || !slices.Equal(got.Settings.AllowedAgents, []dialer.AgentID{1, 2}) ||
		got.Settings.LeadOrder != dialer.OrderRandom || got.Settings.PreviewTimeoutSeconds != 20 {
		t.Fatalf("patched %s", rec.Body)
	}
	// A second patch changes only what it names.
	rec = e.do(e.sup, "PATCH", path, `{"retry_delays":{"no_answer":600},"disposition_actions":{"NI":null,"WN":"dnc"}}`)
	got = decodeBody[campaignBody](t, rec)
	if rec.Code != http.StatusOK || got.Settings.RetryDelays.Busy != 60 || got.Settings.RetryDelays.NoAnswer != 600 ||
		got.Settings.LinesPerAgent != 3 || len(got.Settings.DispositionActions) != 1 || got.Settings.DispositionActions["WN"] != dialer.ActionDNC {
		t.Fatalf("second patch: %d %s", rec.Code, rec.Body)
	}
	stored := must[dialer.Campaign](t)(e.store.Campaign(ctx, c.ID))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(stored.Settings, &m); err != nil || string(m["calling_window"]) != `{"hours":[{"start":"09:00","end":"20:00"}]}` {
		t.Fatalf("calling_window lost: %s", stored.Settings)
	}
	if a := e.auditActions(); len(a) < 2 || a[len(a)-1] != "campaign.update" || a[len(a)-2] != "campaign.update" {
		t.Fatalf("audit %v", a)
	}

	before := e.fingerprint()
	for _, tc := range []struct{ body, field string }{
		{`{"retry_delays":{"busy":-5}}`, "retry_delays.busy"},
		{`{"retry_delays":{"busy":"1h"}}`, "retry_delays.busy"},
		{`{"retry_delays":{"sometimes":60}}`, "sometimes"},
		{`{"lines_per_agent":11}`, "lines_per_agent"},
		{`{"dial_mode":"telepathic"}`, "dial_mode"},
		{`{"max_attempts":0}`, "max_attempts"},
		{`{"name":""}`, "name"},
		{`{"caller_id":"12"}`, "caller_id"},
		{`{"caller_id_pool":["+14155550100","nope"]}`, "caller_id_pool[1]"},
		{`{"abandon_message":"../x.wav"}`, "abandon_message"},
		{`{"recording":"ask","consent_message":""}`, "consent_message"},
		{`{"consent_message":"a.wav; hangup"}`, "consent_message"},
		{`{"disposition_actions":{"NI":"forget"}}`, "disposition_actions.NI"},
		{`{"allowed_agents":[0]}`, "allowed_agents[0]"},
		{`{"lead_order":"alphabetical"}`, "lead_order"},
		{`{"preview_timeout_seconds":-1}`, "preview_timeout_seconds"},
		{`{"calling_window":{"hours":[]}}`, "calling_window.hours"},
		{`{"calling_window":{"start":"09:00"}}`, "calling_window"},
		{`{"active":true}`, "active"},
		{`{"country":"XX"}`, "country"},
		{`{"country":44}`, "country"},
		{`[]`, "body"},
	} {
		rec := e.do(e.sup, "PATCH", path, tc.body)
		if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != tc.field {
			t.Errorf("%s: %d %s, want 400 on %s", tc.body, rec.Code, rec.Body, tc.field)
		}
	}
	if e.fingerprint() != before {
		t.Fatal("a refused patch wrote")
	}
	if rec := e.do(e.agent1, "PATCH", path, `{"lines_per_agent":2}`); rec.Code != http.StatusForbidden {
		t.Fatalf("agent patch: %d", rec.Code)
	}
	if rec := e.do(e.sup, "PATCH", "/api/v1/campaigns/999", `{"lines_per_agent":2}`); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown campaign: %d", rec.Code)
	}
}

// TestPatchCampaignCountry: the country numbers without "+" are read in
// is set, upper-cased, beside the other settings, and removed by "".
func TestPatchCampaignCountry(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID)
	country := func() string {
		t.Helper()
		var m struct {
			Country *string `json:"country"`
			Lines   int     `json:"lines_per_agent"`
		}
		stored := must[dialer.Campaign](t)(e.store.Campaign(t.Context(), e.campaign.ID))
		if err := json.Unmarshal(stored.Settings, &m); err != nil {
			t.Fatalf("settings %s: %v", stored.Settings, err)
		}
		if m.Country == nil {
			return ""
		}
		return *m.Country
	}
	if rec := e.do(e.sup, "PATCH", path, `{"country":"gb","lines_per_agent":2}`); rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if got := country(); got != "GB" {
		t.Fatalf("country %q, want GB", got)
	}
	// Only the country changes: the other settings stay.
	rec := e.do(e.sup, "PATCH", path, `{"country":""}`)
	if got := decodeBody[campaignBody](t, rec); rec.Code != http.StatusOK || got.Settings.LinesPerAgent != 2 {
		t.Fatalf("clear: %d %s", rec.Code, rec.Body)
	}
	if got := country(); got != "" {
		t.Fatalf("country %q after clearing", got)
	}
}

func TestCampaignArchivePauseResume(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID)
	names := func(query string) []string {
		t.Helper()
		rec := e.do(e.sup, "GET", "/api/v1/campaigns"+query, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("list%s: %d %s", query, rec.Code, rec.Body)
		}
		var out []string
		for _, c := range decodeBody[struct{ Campaigns []campaignBody }](t, rec).Campaigns {
			out = append(out, c.Name)
		}
		return out
	}
	step := func(action string, wantCode int) campaignBody {
		t.Helper()
		rec := e.do(e.sup, "POST", path+"/"+action, "")
		if rec.Code != wantCode {
			t.Fatalf("%s: %d %s", action, rec.Code, rec.Body)
		}
		return decodeBody[campaignBody](t, rec)
	}
	if c := step("resume", http.StatusOK); !c.Active {
		t.Fatalf("resumed %+v", c)
	}
	if c := step("pause", http.StatusOK); c.Active {
		t.Fatalf("paused %+v", c)
	}
	step("resume", http.StatusOK)
	if c := step("archive", http.StatusOK); c.Active || !c.ArchivedAt.Equal(e.clock.Now()) {
		t.Fatalf("archived %+v", c)
	}
	if got := names(""); len(got) != 0 {
		t.Fatalf("listed by default: %v", got)
	}
	if got := names("?archived=true"); !slices.Equal(got, []string{"Autumn"}) {
		t.Fatalf("archived list: %v", got)
	}
	if got := names("?archived=all"); !slices.Equal(got, []string{"Autumn"}) {
		t.Fatalf("all: %v", got)
	}
	if rec := e.do(e.sup, "GET", "/api/v1/campaigns?archived=maybe", ""); rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != "archived" {
		t.Fatalf("bad filter: %d %s", rec.Code, rec.Body)
	}
	// An archived campaign does not dial.
	step("resume", http.StatusConflict)
	if c := step("unarchive", http.StatusOK); !c.ArchivedAt.IsZero() || c.Active {
		t.Fatalf("unarchived %+v", c)
	}
	if got := names("?archived=false"); !slices.Equal(got, []string{"Autumn"}) {
		t.Fatalf("in use: %v", got)
	}
	want := []string{"campaign.resume", "campaign.pause", "campaign.resume", "campaign.archive", "campaign.unarchive"}
	if a := e.auditActions(); len(a) < len(want) || !slices.Equal(a[len(a)-len(want):], want) {
		t.Fatalf("audit %v", a)
	}
	for _, action := range []string{"archive", "unarchive", "pause", "resume"} {
		if rec := e.do(e.agent1, "POST", path+"/"+action, ""); rec.Code != http.StatusForbidden {
			t.Fatalf("agent %s: %d", action, rec.Code)
		}
	}
}

func TestCreateCampaignWithSettings(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/campaigns", `{"name":"Winter","dial_mode":"manual","settings":{"lines_per_agent":2,"calling_window":{"hours":[{"start":"10:00","end":"18:00"}]}}}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	got := decodeBody[campaignBody](t, rec)
	if got.DialMode != dialer.DialManual || got.Settings.LinesPerAgent != 2 || got.Settings.RetryDelays.Busy != 3600 {
		t.Fatalf("created %s", rec.Body)
	}
	rec = e.do(e.admin, "POST", "/api/v1/campaigns", `{"name":"Spring","dial_mode":"preview","settings":{"retry_delays":{"busy":-1}}}`)
	if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != "retry_delays.busy" {
		t.Fatalf("bad settings: %d %s", rec.Code, rec.Body)
	}
}
