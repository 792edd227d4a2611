package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/api"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/svctest"
	"github.com/agentswitch/agentswitch/pbx"
)

// apiError is the body of an error answer.
type apiError struct {
	Error struct {
		Message, Field string
	}
}

// TestServeSimulatedCaller: on the built-in simulated switch an admin
// places callers on a DID: one waits in the DID's queue and abandons when
// hung up, one reaches the queue's READY member.
func TestServeSimulatedCaller(t *testing.T) {
	p := serveInProcess(t, "-http-addr", "127.0.0.1:0", "-var-dir", t.TempDir())
	s := &svc{t: t, url: p.url, proc: p}
	s.admin = s.login("admin", p.adminPassword(t))
	alice := s.agent("alice", "1001", "ring")
	var q struct{ ID int64 }
	s.admin.must(http.MethodPost, "/queues", map[string]any{"name": "sales", "strategy": "ring-all"}, http.StatusCreated, &q)
	s.admin.must(http.MethodPut, fmt.Sprintf("/queues/%d/members", q.ID), map[string]any{"members": []map[string]any{{"agent_id": alice.Seat}}}, http.StatusOK, nil)
	s.admin.must(http.MethodPost, "/dids", map[string]any{"number": "+15551110000", "queue": "sales"}, http.StatusCreated, nil)
	s.admin.must(http.MethodPost, "/dids", map[string]any{"number": "+15551110001", "queue": "sales", "enabled": false}, http.StatusCreated, nil)

	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"to": "+15559990000", "from": "+15558889999"}, http.StatusNotFound, "to"},
		{map[string]any{"to": "+15551110001", "from": "+15558889999"}, http.StatusBadRequest, "to"},
		{map[string]any{"to": "sales", "from": "+15558889999"}, http.StatusBadRequest, "to"},
		{map[string]any{"to": "+15551110000", "from": "1001,user/1002"}, http.StatusBadRequest, "from"},
		{map[string]any{"to": "+15551110000", "from": "+15558889999", "name": "Ada}{x"}, http.StatusBadRequest, "name"},
		{map[string]any{"to": "+15551110000", "from": "+15558889999", "hangup_after_seconds": 3601}, http.StatusBadRequest, "hangup_after_seconds"},
	} {
		var e apiError
		if st := s.admin.do(http.MethodPost, "/sim/calls", c.body, &e); st != c.status || e.Error.Field != c.field {
			t.Errorf("%v: %d %+v, want %d naming %s", c.body, st, e, c.status, c.field)
		}
	}

	// With nobody READY the caller waits in the queue; hung up, it has
	// abandoned.
	queue := func() (v struct{ Waiting, Abandoned int }) {
		var live struct {
			Queues []struct {
				Name               string
				Waiting, Abandoned int
			}
		}
		s.admin.must(http.MethodGet, "/queues/live", nil, http.StatusOK, &live)
		for _, q := range live.Queues {
			if q.Name == "sales" {
				v.Waiting, v.Abandoned = q.Waiting, q.Abandoned
			}
		}
		return v
	}
	var waiting struct{ Leg string }
	s.admin.must(http.MethodPost, "/sim/calls", map[string]any{"to": "+15551110000", "from": "+15558880000"}, http.StatusCreated, &waiting)
	svctest.Eventually(t, "the caller waiting", func() bool { return queue().Waiting == 1 })
	s.admin.must(http.MethodDelete, "/sim/calls/"+waiting.Leg, nil, http.StatusNoContent, nil)
	svctest.Eventually(t, "the caller abandoned", func() bool { q := queue(); return q.Waiting == 0 && q.Abandoned == 1 })

	alice.ready("ring")
	var placed struct{ Leg string }
	s.admin.must(http.MethodPost, "/sim/calls", map[string]any{"to": "15551110000", "from": "+15558889999", "name": "Ada Lovelace"}, http.StatusCreated, &placed)
	var call view
	svctest.Eventually(t, "the caller connected to alice", func() bool {
		var live struct{ Calls []view }
		s.admin.must(http.MethodGet, "/calls/live", nil, http.StatusOK, &live)
		i := slices.IndexFunc(live.Calls, func(v view) bool {
			return v.Agent == alice.Seat && v.State == "connected" && slices.ContainsFunc(v.Parties, func(p svctest.Party) bool { return p.Leg == placed.Leg })
		})
		if i >= 0 {
			call = live.Calls[i]
		}
		return i >= 0
	})
	// Only callers: the agent's own leg is not the route's to end.
	if leg := call.Leg("agent"); leg == "" || s.admin.do(http.MethodDelete, "/sim/calls/"+leg, nil, nil) != http.StatusNotFound {
		t.Fatalf("agent leg %q of %+v ended as a caller", leg, call)
	}
	s.admin.must(http.MethodDelete, "/sim/calls/"+placed.Leg, nil, http.StatusNoContent, nil)
	alice.WaitState(t, "DISPO")
	if r := s.admin.Record(t, call.ID); r.Call.Outcome != "answered" {
		t.Fatalf("record %+v", r.Call)
	}
	var e apiError
	if st := s.admin.do(http.MethodDelete, "/sim/calls/"+placed.Leg, nil, &e); st != http.StatusNotFound || e.Error.Field != "leg" {
		t.Fatalf("second hangup %d %+v", st, e)
	}
}

// TestServeRealSwitchHasNoSimulatedCallers: pointed at a FreeSWITCH (here
// a simulator the service does not own) the routes answer 404 saying why.
func TestServeRealSwitchHasNoSimulatedCallers(t *testing.T) {
	s := startService(t)
	s.admin.must(http.MethodPost, "/dids", map[string]any{"number": "+15551110000"}, http.StatusCreated, nil)
	for _, r := range []struct{ method, path string }{{http.MethodPost, "/sim/calls"}, {http.MethodDelete, "/sim/calls/0c0ffee0-0000-4000-8000-000000000000"}} {
		var e apiError
		st := s.admin.do(r.method, r.path, map[string]any{"to": "+15551110000", "from": "+15558889999"}, &e)
		if st != http.StatusNotFound || !strings.Contains(e.Error.Message, "built-in simulated switch") {
			t.Fatalf("%s %s: %d %+v", r.method, r.path, st, e)
		}
	}
	if n := len(s.sim.Channels()); n != 0 {
		t.Fatalf("%d channels on the switch", n)
	}
}

// TestInlineDialplan: a DID's whole dialplan, as the simulator reads it.
func TestInlineDialplan(t *testing.T) {
	got, err := inlineDialplan(pbx.DIDActions(dialer.DID{Number: "+15551110000", Queue: "sales", Campaign: 7, Priority: -3, Enabled: true}))
	want := "set:agentswitch_leg_role=inbound,set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,set:agentswitch_campaign_id=7,set:agentswitch_priority=-3,answer,park"
	if err != nil || got != want {
		t.Fatalf("%q, %v; want %q", got, err, want)
	}
	// The skills' commas switch the separator.
	got, err = inlineDialplan(pbx.DIDActions(dialer.DID{Number: "+15551110000", Skills: []string{"vip", "billing"}, Enabled: true}))
	want = "m:^:set:agentswitch_leg_role=inbound^set:agentswitch_did=+15551110000^set:agentswitch_skills=billing,vip^answer^park"
	if err != nil || got != want {
		t.Fatalf("%q, %v; want %q", got, err, want)
	}
	if _, err := inlineDialplan([]pbx.Action{{App: "set", Data: "a=b,c^d"}}); err == nil {
		t.Fatal("a separator was let through")
	}
}

// TestSimCallerSkills: a simulated caller of a DID with skills runs the
// whole dialplan (the skills' comma does not split it) and parks with them
// set, as FreeSWITCH would.
func TestSimCallerSkills(t *testing.T) {
	sw := sim.New(sim.Config{})
	t.Cleanup(func() { sw.Close() })
	leg, err := (&simCallers{sim: sw}).Call(dialer.DID{Number: "+15551110000", Queue: "sales", Skills: []string{"vip", "billing"},
		Enabled: true}, api.SimCall{From: "+15558889999"})
	if err != nil {
		t.Fatal(err)
	}
	svctest.Eventually(t, "the caller parked", func() bool { ch, ok := sw.Channel(leg); return ok && ch.Parked })
	ch, _ := sw.Channel(leg)
	if ch.Vars[pbxnames.VarSkills] != "billing,vip" || ch.Vars[pbxnames.VarQueue] != "sales" || !ch.Answered {
		t.Fatalf("parked caller %+v", ch)
	}
}
