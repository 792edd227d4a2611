package api

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

type leadHistoryBody struct {
	Calls     []leadHistoryCall     `json:"calls"`
	Callbacks []leadHistoryCallback `json:"callbacks"`
}

// TestLeadHistory: the lead's ended calls (agent, outcome, disposition
// and note) and its callbacks, newest first, to whoever may read the lead;
// a live call is left out.
func TestLeadHistory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	later := e.addRecord(2, e.lead1.ID, t0.Add(-30*time.Minute), dialer.OutcomeNoAnswer, 0)
	if _, err := e.store.DisposeCall(ctx, dialer.Disposal{Call: e.rec1, Code: "NI", Notes: "Asked for the invoice", Agent: 1, At: t0}); err != nil {
		t.Fatal(err)
	}
	// A call still live on the lead.
	if _, err := e.store.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginManual,
		Campaign: e.campaign.ID, Lead: e.lead1.ID, Agent: 1, ToNumber: e.lead1.Phone, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}

	for _, w := range []who{e.sup, e.agent1} {
		rec := e.do(w, http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history", e.lead1.ID), "")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", w.name, rec.Code, rec.Body)
		}
		h := decodeBody[leadHistoryBody](t, rec)
		if len(h.Calls) != 2 || h.Calls[0].ID != later || h.Calls[1].ID != e.rec1 {
			t.Fatalf("%s: calls %+v, want the two ended ones newest first", w.name, h.Calls)
		}
		c := h.Calls[1]
		if c.AgentName != "Ann" || c.Agent != 1 || c.Outcome != dialer.OutcomeAnswered || c.Billsec != 42 ||
			c.Disposition != "NI" || c.Note != "Asked for the invoice" || c.Origin != dialer.OriginAPI || c.Direction != dialer.Outbound {
			t.Fatalf("%s: first call %+v", w.name, c)
		}
		if h.Calls[0].AgentName != "Bob" || h.Calls[0].Outcome != dialer.OutcomeNoAnswer {
			t.Fatalf("%s: later call %+v", w.name, h.Calls[0])
		}
		if len(h.Callbacks) != 2 {
			t.Fatalf("%s: callbacks %+v", w.name, h.Callbacks)
		}
		for _, cb := range h.Callbacks {
			if cb.Lead != e.lead1.ID || cb.Status != dialer.CallbackScheduled || cb.DueLocal != "2026-11-21T09:00:00-06:00" {
				t.Fatalf("%s: callback %+v", w.name, cb)
			}
			if want := map[dialer.AgentID]string{1: "Ann", 0: ""}[cb.Agent]; cb.AgentName != want {
				t.Fatalf("%s: callback %d of agent %d named %q", w.name, cb.ID, cb.Agent, cb.AgentName)
			}
		}
	}
}

// TestLeadHistoryRefusals: bad ids name the field, another agent's lead
// is forbidden, an unknown lead is not found, a lead never called has an
// empty history; the lead an agent previews is open to it.
func TestLeadHistoryRefusals(t *testing.T) {
	e := newEnv(t)
	fresh := must[dialer.Lead](t)(e.store.CreateLead(t.Context(), dialer.Lead{Campaign: e.campaign.ID, Phone: "+12125550177"}))
	path := func(id any) string { return fmt.Sprintf("/api/v1/leads/%v/history", id) }
	for _, tc := range []struct {
		name  string
		w     who
		path  string
		code  int
		field string
	}{
		{"not a number", e.sup, path("x"), 400, "id"},
		{"zero", e.sup, path(0), 400, "id"},
		{"negative", e.sup, path(-3), 400, "id"},
		{"another agent's lead", e.agent2, path(e.lead1.ID), 403, ""},
		{"a lead the agent never called", e.agent1, path(fresh.ID), 403, ""},
		{"signed out", e.anon, path(e.lead1.ID), 401, ""},
		{"unknown lead", e.sup, path(999), 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.w, http.MethodGet, tc.path, "")
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.field != "" {
				if f := errorOf(t, rec).Field; f != tc.field {
					t.Fatalf("field %q, want %q", f, tc.field)
				}
			}
		})
	}

	rec := e.do(e.sup, http.MethodGet, path(fresh.ID), "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"callbacks":[],"calls":[]}`+"\n" {
		t.Fatalf("empty history: %d %q", rec.Code, rec.Body)
	}

	// The lead an agent previews is open to it before any call: it reads
	// the lead and its history to decide whether to dial.
	e.eng.setAgent(dialer.AgentView{ID: 1, State: dialer.AgentPaused, PauseCode: dialer.PausePreview,
		Preview: &dialer.Preview{Lead: fresh, Campaign: e.campaign.ID, OfferedAt: t0}})
	for _, p := range []string{path(fresh.ID), fmt.Sprintf("/api/v1/leads/%d", fresh.ID)} {
		if rec := e.do(e.agent1, http.MethodGet, p, ""); rec.Code != http.StatusOK {
			t.Errorf("%s, previewed by the agent: %d %s", p, rec.Code, rec.Body)
		}
		if rec := e.do(e.agent2, http.MethodGet, p, ""); rec.Code != http.StatusForbidden {
			t.Errorf("%s, previewed by another agent: %d %s", p, rec.Code, rec.Body)
		}
	}
}

// TestLeadOfTheCallWrappedUp: an agent who blind-transferred a call
// still reads its call and lead while wrapping it up, though the live call
// is a colleague's now; the colleague's other calls stay closed to it.
func TestLeadOfTheCallWrappedUp(t *testing.T) {
	e := newEnv(t)
	lead := must[dialer.Lead](t)(e.store.CreateLead(t.Context(), dialer.Lead{Campaign: e.campaign.ID, Phone: "+12125550178"}))
	other := must[dialer.Lead](t)(e.store.CreateLead(t.Context(), dialer.Lead{Campaign: e.campaign.ID, Phone: "+12125550179"}))
	e.eng.setCall(dialer.CallView{ID: "0190a1b2-0000-7000-8000-000000000001", State: dialer.LiveConnected, Agent: 2, Lead: lead.ID, Campaign: e.campaign.ID})
	e.eng.setCall(dialer.CallView{ID: "0190a1b2-0000-7000-8000-000000000002", State: dialer.LiveConnected, Agent: 2, Lead: other.ID, Campaign: e.campaign.ID})
	e.eng.setAgent(dialer.AgentView{ID: 1, State: dialer.AgentDispo, Call: "0190a1b2-0000-7000-8000-000000000001"})
	for _, tc := range []struct {
		path string
		code int
	}{
		{fmt.Sprintf("/api/v1/leads/%d", lead.ID), 200},
		{fmt.Sprintf("/api/v1/leads/%d/history", lead.ID), 200},
		{"/api/v1/calls/0190a1b2-0000-7000-8000-000000000001", 200},
		{fmt.Sprintf("/api/v1/leads/%d", other.ID), 403},
		{"/api/v1/calls/0190a1b2-0000-7000-8000-000000000002", 403},
	} {
		if rec := e.do(e.agent1, http.MethodGet, tc.path, ""); rec.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.path, rec.Code, rec.Body, tc.code)
		}
	}
}

// TestLeadHistoryRecordings: a call is marked as having a recording only
// for whoever may play it, the route's own rule.
func TestLeadHistoryRecordings(t *testing.T) {
	e := newEnv(t)
	own, other := e.recordingOf(1, testWAV(10)), e.recordingOf(2, testWAV(10))
	for _, c := range []struct {
		w    who
		want map[dialer.CallID]bool
	}{
		{e.agent1, map[dialer.CallID]bool{own: true, other: false, e.rec1: false}},
		{e.sup, map[dialer.CallID]bool{own: true, other: true, e.rec1: false}},
	} {
		rec := e.do(c.w, http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/history", e.lead1.ID), "")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.w.name, rec.Code, rec.Body)
		}
		got := map[dialer.CallID]bool{}
		for _, hc := range decodeBody[leadHistoryBody](t, rec).Calls {
			got[hc.ID] = hc.Recording
		}
		if !maps.Equal(got, c.want) {
			t.Fatalf("%s: recordings %v, want %v", c.w.name, got, c.want)
		}
		// What the list offers, the route serves.
		for id, ok := range got {
			if code := e.do(c.w, http.MethodGet, "/api/v1/calls/"+string(id)+"/recording", "").Code; ok != (code == http.StatusOK) {
				t.Fatalf("%s: call %s marked %v, served %d", c.w.name, id, ok, code)
			}
		}
	}
}
