package dialer

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseCampaignSettings(t *testing.T) {
	for _, tc := range []struct {
		name, in, field string
	}{
		{"empty", ``, ""},
		{"empty object", `{}`, ""},
		{"unknown keys ignored", `{"calling_window":{"start":"09:00"}}`, ""},
		{"everything", `{"lines_per_agent":3,"caller_id_pool":["+14155550100","+12125550100"],
			"retry_delays":{"busy":60,"no_answer":0,"failed":86400,"machine":3600,"abandoned":1800},
			"disposition_actions":{"NI":"done","AM":"retry","CALLBK":"callback","DNC":"dnc"},
			"recording":"ask","consent_message":"consent/en.wav","allowed_agents":[1,2],
			"lead_order":"random","preview_timeout_seconds":30,
			"pacing_mode":"tapered","abandon_ceiling_pct":2.5,"min_agents":10,"max_lines_per_agent":2.5}`, ""},
		{"not an object", `[1]`, "settings"},
		{"lines zero", `{"lines_per_agent":0}`, "lines_per_agent"},
		{"lines eleven", `{"lines_per_agent":11}`, "lines_per_agent"},
		{"lines a string", `{"lines_per_agent":"2"}`, "lines_per_agent"},
		{"pool not E.164", `{"caller_id_pool":["+14155550100","0612"]}`, "caller_id_pool[1]"},
		{"pool twice", `{"caller_id_pool":["+14155550100","+14155550100"]}`, "caller_id_pool[1]"},
		{"negative delay", `{"retry_delays":{"busy":-1}}`, "retry_delays.busy"},
		{"delay too long", `{"retry_delays":{"abandoned":2592001}}`, "retry_delays.abandoned"},
		{"delay a string", `{"retry_delays":{"no_answer":"1h"}}`, "retry_delays.no_answer"},
		{"bad action", `{"disposition_actions":{"NI":"ignore"}}`, "disposition_actions.NI"},
		{"bad code", `{"disposition_actions":{"ni":"done"}}`, "disposition_actions"},
		{"bad recording", `{"recording":"sometimes"}`, "recording"},
		{"ask without consent", `{"recording":"ask"}`, "consent_message"},
		{"consent path escapes", `{"recording":"ask","consent_message":"../etc/passwd"}`, "consent_message"},
		{"consent command", `{"consent_message":"a.wav' & hangup"}`, "consent_message"},
		{"agent zero", `{"allowed_agents":[3,0]}`, "allowed_agents[1]"},
		{"agent twice", `{"allowed_agents":[3,3]}`, "allowed_agents[1]"},
		{"bad order", `{"lead_order":"alphabetical"}`, "lead_order"},
		{"preview timeout", `{"preview_timeout_seconds":-5}`, "preview_timeout_seconds"},
		{"pacing mode", `{"pacing_mode":"aggressive"}`, "pacing_mode"},
		{"ceiling over 3%", `{"abandon_ceiling_pct":3.5}`, "abandon_ceiling_pct"},
		{"ceiling zero", `{"abandon_ceiling_pct":0}`, "abandon_ceiling_pct"},
		{"ceiling a string", `{"abandon_ceiling_pct":"3%"}`, "abandon_ceiling_pct"},
		{"ceiling at 3%", `{"abandon_ceiling_pct":3}`, ""},
		{"min agents zero", `{"min_agents":0}`, "min_agents"},
		{"max lines under one", `{"max_lines_per_agent":0.5}`, "max_lines_per_agent"},
		{"max lines eleven", `{"max_lines_per_agent":11}`, "max_lines_per_agent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCampaignSettings(json.RawMessage(tc.in))
			var fe *FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Fatalf("error %v, want one on %s", err, tc.field)
			}
		})
	}
}

func TestApplySettingsIsPartial(t *testing.T) {
	s := DefaultCampaignSettings()
	s.DispositionActions = map[string]DispositionAction{"NI": ActionRetry, "AM": ActionDone}
	if err := ApplySettings(&s, json.RawMessage(`{"retry_delays":{"busy":60},"disposition_actions":{"NI":null,"WN":"dnc"}}`)); err != nil {
		t.Fatal(err)
	}
	want := DefaultCampaignSettings().RetryDelays
	want.Busy = 60
	if s.RetryDelays != want {
		t.Fatalf("retry delays %+v, want %+v", s.RetryDelays, want)
	}
	if len(s.DispositionActions) != 2 || s.DispositionActions["AM"] != ActionDone || s.DispositionActions["WN"] != ActionDNC {
		t.Fatalf("actions %v", s.DispositionActions)
	}
}

func TestMergeSettingsKeepsOtherKeys(t *testing.T) {
	s := DefaultCampaignSettings()
	s.LinesPerAgent = 4
	out, err := MergeSettings(json.RawMessage(`{"calling_window":{"start":"09:00","end":"20:00"},"lines_per_agent":1}`), s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["calling_window"]) != `{"start":"09:00","end":"20:00"}` || string(m["lines_per_agent"]) != `4` ||
		string(m["caller_id_pool"]) != `[]` {
		t.Fatalf("merged %s", out)
	}
	if len(m) != len(SettingsKeys)+1 {
		t.Fatalf("merged has %d keys, want the %d settings and calling_window: %s", len(m), len(SettingsKeys), out)
	}
	if _, err := MergeSettings(json.RawMessage(`[]`), s); err == nil {
		t.Fatal("merged into an array")
	}
}

func TestCallerIDFor(t *testing.T) {
	pool := []string{"+12125550100", "+14155550100", "+33140000000"}
	for _, tc := range []struct {
		name, lead, callerID string
		pool                 []string
		want                 string
	}{
		{"same area in the pool", "+14155559999", "+18005550100", pool, "+14155550100"},
		{"other US area", "+13125559999", "+18005550100", pool, "+18005550100"},
		{"Paris landline", "+33145678901", "", pool, "+33140000000"},
		{"mobile has no area", "+33612345678", "+18005550100", pool, "+18005550100"},
		{"no match, no caller ID", "+13125559999", "", pool, "+12125550100"},
		{"no pool", "+14155559999", "+18005550100", nil, "+18005550100"},
		{"nothing", "+14155559999", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CallerIDFor(tc.lead, tc.callerID, tc.pool); got != tc.want {
				t.Fatalf("CallerIDFor(%s) = %q, want %q", tc.lead, got, tc.want)
			}
		})
	}
}

func TestLeadAfterCall(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	d := DefaultCampaignSettings().RetryDelays
	retryIn := func(d time.Duration) LeadNext { return LeadNext{Status: LeadRetry, NextCallAt: now.Add(d)} }
	done := LeadNext{Status: LeadDone}
	for _, tc := range []struct {
		outcome       CallOutcome
		cause         string
		attempts, max int
		want          LeadNext
		decided       bool
	}{
		{OutcomeBusy, "USER_BUSY", 1, 3, retryIn(time.Hour), true},
		{OutcomeNoAnswer, "NO_ANSWER", 2, 3, retryIn(2 * time.Hour), true},
		{OutcomeNoAnswer, "NO_ANSWER", 3, 3, done, true},
		{OutcomeBusy, "USER_BUSY", 4, 3, done, true},
		{OutcomeFailed, "NORMAL_TEMPORARY_FAILURE", 1, 3, retryIn(4 * time.Hour), true},
		{OutcomeUnreachable, "GATEWAY_DOWN", 1, 3, retryIn(4 * time.Hour), true},
		{OutcomeRejected, "CALL_REJECTED", 1, 3, retryIn(4 * time.Hour), true},
		{OutcomeMachine, "NORMAL_CLEARING", 1, 3, retryIn(4 * time.Hour), true},
		{OutcomeAbandoned, "NORMAL_CLEARING", 1, 3, retryIn(AbandonQuiet), true},
		{OutcomeAbandoned, "NORMAL_CLEARING", 3, 3, done, true},
		{OutcomeCancelled, "ORIGINATOR_CANCEL", 1, 3, retryIn(0), true},
		{OutcomeFailed, "UNALLOCATED_NUMBER", 1, 3, LeadNext{Status: LeadInvalid}, true},
		{OutcomeFailed, "INVALID_NUMBER_FORMAT", 1, 3, LeadNext{Status: LeadInvalid}, true},
		{OutcomeFailed, "NO_ROUTE_DESTINATION", 3, 3, LeadNext{Status: LeadInvalid}, true},
		{OutcomeAnswered, "NORMAL_CLEARING", 1, 3, LeadNext{}, false},
		{OutcomeAnswered, "NORMAL_CLEARING", 3, 3, LeadNext{}, false},
		{OutcomeTransferFailed, "NORMAL_CLEARING", 1, 3, LeadNext{}, false},
	} {
		got, ok := LeadAfterCall(tc.outcome, tc.cause, tc.attempts, tc.max, d, now)
		if got != tc.want || ok != tc.decided {
			t.Errorf("%s/%s attempt %d of %d: %+v %v, want %+v %v", tc.outcome, tc.cause, tc.attempts, tc.max, got, ok, tc.want, tc.decided)
		}
	}
}

func TestLeadAfterDisposition(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	due := now.Add(24 * time.Hour)
	for _, tc := range []struct {
		action        DispositionAction
		attempts, max int
		callbackAt    time.Time
		want          LeadNext
	}{
		{ActionRetry, 1, 3, time.Time{}, LeadNext{Status: LeadRetry, NextCallAt: now.Add(time.Hour)}},
		{ActionRetry, 3, 3, time.Time{}, LeadNext{Status: LeadDone}},
		{ActionCallback, 3, 3, due, LeadNext{Status: LeadCallback, NextCallAt: due}},
		{ActionCallback, 1, 3, time.Time{}, LeadNext{Status: LeadRetry, NextCallAt: now.Add(time.Hour)}},
		{ActionDone, 1, 3, time.Time{}, LeadNext{Status: LeadDone}},
		{ActionDNC, 1, 3, time.Time{}, LeadNext{Status: LeadDNC}},
	} {
		if got := LeadAfterDisposition(tc.action, tc.attempts, tc.max, time.Hour, tc.callbackAt, now); got != tc.want {
			t.Errorf("%s attempt %d of %d: %+v, want %+v", tc.action, tc.attempts, tc.max, got, tc.want)
		}
	}
}

func TestActionFor(t *testing.T) {
	s := CampaignSettings{DispositionActions: map[string]DispositionAction{"AM": ActionDone}}
	for _, tc := range []struct {
		d    Disposition
		want DispositionAction
	}{
		{Disposition{Code: "SALE", Final: true}, ActionDone},
		{Disposition{Code: "DNC", MarksDNC: true, Final: true}, ActionDNC},
		{Disposition{Code: "CALLBK", SchedulesCallback: true}, ActionCallback},
		{Disposition{Code: "NA"}, ActionRetry},
		{Disposition{Code: "AM"}, ActionDone},
	} {
		if got := s.ActionFor(tc.d); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.d.Code, got, tc.want)
		}
	}
}

func FuzzParseCampaignSettings(f *testing.F) {
	f.Add(`{"lines_per_agent":3,"retry_delays":{"busy":60},"disposition_actions":{"NI":"done"}}`)
	f.Add(`{"caller_id_pool":["+14155550100"],"recording":"ask","consent_message":"a.wav"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseCampaignSettings(json.RawMessage(in))
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		// What parses writes back and parses to the same settings.
		out, err := MergeSettings(nil, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCampaignSettings(out); err != nil {
			t.Fatalf("%s written as %s does not parse: %v", in, out, err)
		}
	})
}
