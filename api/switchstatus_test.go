package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
)

// TestGatewayStatusShown: a gateway's list and get carry its registration
// on each node, from the engine's record of the switch; a change applied
// on the switch has the engine read the gateways again, a change the
// switch was not told of does not.
func TestGatewayStatusShown(t *testing.T) {
	sw := newRecordingSwitch("fs1", "fs2")
	e := newEnv(t, withSwitch(sw))
	since := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	e.eng.mu.Lock()
	e.eng.gateways = []dialer.GatewayStatus{
		{Gateway: "carrier1", Node: "fs1", State: "REGED", Registered: true, Since: since},
		{Gateway: "carrier1", Node: "fs2", State: "FAILED", SIPStatus: 403, Phrase: "Forbidden", Since: since},
		{Gateway: "other", Node: "fs1", State: "NOREG", Since: since},
	}
	e.eng.mu.Unlock()

	rec := e.do(e.admin, "POST", "/api/v1/gateways", `{"name":"carrier1","proxy":"sip.carrier.example","username":"acct","password":"pw","register":true}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if e.eng.gatewayRefreshes != 1 {
		t.Fatalf("%d refreshes after an applied create, want 1", e.eng.gatewayRefreshes)
	}
	var created gatewayView
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	want := []gatewayNodeStatus{
		{Node: "fs1", Registered: true, State: "REGED", Since: since},
		{Node: "fs2", State: "FAILED", Since: since, SIPStatus: 403, Phrase: "Forbidden"},
	}
	check := func(what string, got []gatewayNodeStatus) {
		t.Helper()
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("%s: status %+v, want %+v", what, got, want)
		}
	}
	check("create", created.Status)

	var list struct{ Gateways []gatewayView }
	if rec := e.do(e.admin, "GET", "/api/v1/gateways", ""); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Gateways) != 1 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	check("list", list.Gateways[0].Status)
	var one gatewayView
	if rec := e.do(e.admin, "GET", "/api/v1/gateways/"+created.ID.String(), ""); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &one) != nil {
		t.Fatalf("get: %d %s", rec.Code, rec.Body)
	}
	check("get", one.Status)

	// A failed reload: the switch was not told, nothing to read again.
	sw.mu.Lock()
	sw.fail = esl.ErrNotConnected
	sw.mu.Unlock()
	if rec := e.do(e.admin, "DELETE", "/api/v1/gateways/"+created.ID.String(), ""); rec.Code != 200 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if e.eng.gatewayRefreshes != 1 {
		t.Fatalf("%d refreshes after a failed reload, want still 1", e.eng.gatewayRefreshes)
	}
}

// TestNodesListed: GET /nodes is the engine's nodes, for supervisors.
func TestNodesListed(t *testing.T) {
	e := newEnv(t)
	up := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	e.eng.mu.Lock()
	e.eng.nodes = []dialer.NodeView{{Name: "fs1", Up: true, Since: up, Reconnects: 2, UptimeSeconds: 3600, Sessions: 12, PeakSessions: 40, MaxSessions: 1000},
		{Name: "fs2", Since: up, Error: "connection refused"}}
	e.eng.mu.Unlock()
	rec := e.do(e.sup, "GET", "/api/v1/nodes", "")
	if rec.Code != 200 {
		t.Fatalf("nodes: %d %s", rec.Code, rec.Body)
	}
	var got struct{ Nodes []dialer.NodeView }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != 2 || got.Nodes[0].Sessions != 12 || !got.Nodes[0].Up || got.Nodes[0].Reconnects != 2 ||
		got.Nodes[1].Up || got.Nodes[1].Error != "connection refused" {
		t.Fatalf("nodes %s", rec.Body)
	}
	if rec := e.do(e.agent1, "GET", "/api/v1/nodes", ""); rec.Code != 403 {
		t.Fatalf("an agent: %d", rec.Code)
	}
}
