package browser

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestAdminDay: an admin signs in and provisions from the admin console
// alone: a user (a bad username refused on its field), a password reset
// with a generated password, a pause code an agent then sees. Each
// section's screenshot goes to artifacts/.
func TestAdminDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	pbxAgents := preparePBX(t, sw, svc, adm)

	var res struct {
		User     float64   `json:"user"`
		Password string    `json:"password"`
		PBX      pbxResult `json:"pbx"`
	}
	scenario(t, ctx, svc, "admin_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
	}, func(req map[string]string) (map[string]string, error) {
		if out, ok, err := pbxRequest(sw, req); ok {
			return out, err
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	checkPBX(t, adm, pbxAgents, res.PBX)

	// The password the console showed once signs the user in.
	if res.User == 0 || res.Password == "" {
		t.Fatalf("result %+v", res)
	}
	nora := newClient(svc)
	nora.login(t, "nora", res.Password)
	if me := nora.get(t, "/me"); me["role"] != "supervisor" {
		t.Fatalf("nora signed in as %v", me["role"])
	}
	if got := adm.get(t, "/pause-codes"); !hasPauseCode(got, "QA_REVIEW") {
		t.Fatalf("pause codes %v", got)
	}
}

func hasPauseCode(r map[string]any, code string) bool {
	l, _ := r["pause_codes"].([]any)
	for _, p := range l {
		if m, _ := p.(map[string]any); m["code"] == code && m["label"] == "Quality review" {
			return true
		}
	}
	return false
}

// The PBX part of the admin's day: gateways, queues with members, DIDs
// and the switch nodes.

// pbxResult is what admin_day.mjs reports of its PBX steps.
type pbxResult struct {
	Gateway float64 `json:"gateway"`
	Queue   float64 `json:"queue"`
	DID     string  `json:"did"`
	// Alerted: the wall showed the failed gateway, and stopped once it
	// registered again.
	Alerted bool `json:"alerted"`
}

// preparePBX has the simulator read its gateways from the service over
// mod_xml_curl, as FreeSWITCH does, and adds the two agents the queue's
// members are picked from; it returns their ids.
func preparePBX(t *testing.T, sw *sim.Server, svc *svctest.Process, adm *client) []float64 {
	t.Helper()
	sw.SetGatewaySource(sim.XMLCurlGateways(svc.URL+pbxnames.XMLCurlPath, pbxnames.XMLCurlUser, xmlCurlSecret, "carriers"))
	var ids []float64
	for _, a := range []struct{ name, ext string }{{"Ana Ortiz", "4001"}, {"Ben Cole", "4002"}} {
		v := adm.post(t, "/agents", map[string]any{"name": a.name, "extension": a.ext, "sip_password": "sip-secret-" + a.ext})
		ids = append(ids, v["id"].(float64))
	}
	return ids
}

// pbxRequest acts on the simulated switch for admin_day.mjs: a gateway's
// registration fails (the carrier answers 403) or succeeds again.
func pbxRequest(sw *sim.Server, req map[string]string) (map[string]string, bool, error) {
	var ok bool
	switch req["do"] {
	case "fail-gateway":
		ok = sw.FailGateway(req["name"], 403, "Forbidden")
	case "register-gateway":
		ok = sw.RegisterGateway(req["name"])
	default:
		return nil, false, nil
	}
	if !ok {
		return nil, true, fmt.Errorf("the switch runs no gateway %q", req["name"])
	}
	return map[string]string{}, true, nil
}

// checkPBX checks through the API what the PBX pages made: the gateway,
// registered on the node; the queue with its two members in the order
// the editor left them (Ben first); the DID routed to it.
func checkPBX(t *testing.T, adm *client, agents []float64, res pbxResult) {
	t.Helper()
	if res.Gateway == 0 || res.Queue == 0 || res.DID == "" || !res.Alerted {
		t.Fatalf("pbx result %+v", res)
	}
	var gw struct {
		Name, Username string
		Register       bool
		HasPassword    bool `json:"has_password"`
		Status         []struct {
			Node, State string
			Registered  bool
		}
	}
	adm.do(t, "GET", fmt.Sprintf("/gateways/%v", res.Gateway), nil, &gw)
	if gw.Name != "carrier1" || !gw.Register || !gw.HasPassword || len(gw.Status) != 1 || !gw.Status[0].Registered || gw.Status[0].Node != "fs1" {
		t.Fatalf("gateway %+v", gw)
	}
	var q struct {
		Name, Strategy     string
		RingTimeoutSeconds int `json:"ring_timeout_seconds"`
		WrapUpSeconds      int `json:"wrapup_seconds"`
	}
	adm.do(t, "GET", fmt.Sprintf("/queues/%v", res.Queue), nil, &q)
	if q.Name != "support" || q.Strategy != "top-down" || q.RingTimeoutSeconds != 25 || q.WrapUpSeconds != 10 {
		t.Fatalf("queue %+v", q)
	}
	type member struct {
		Agent    float64  `json:"agent_id"`
		Position int      `json:"position"`
		Rank     int      `json:"rank"`
		Skills   []string `json:"skills"`
	}
	var m struct{ Members []member }
	adm.do(t, "GET", fmt.Sprintf("/queues/%v/members", res.Queue), nil, &m)
	if len(m.Members) != 2 {
		t.Fatalf("members %+v", m)
	}
	slices.SortFunc(m.Members, func(a, b member) int { return a.Position - b.Position })
	if m.Members[0].Agent != agents[1] || m.Members[1].Agent != agents[0] || m.Members[0].Rank != 5 ||
		!slices.Equal(m.Members[0].Skills, []string{"spanish"}) {
		t.Fatalf("members %+v, want Ben (%v, rank 5, spanish) then Ana (%v)", m.Members, agents[1], agents[0])
	}
	var dids struct {
		DIDs []struct {
			Number, Name, Queue string
			Priority            int
		} `json:"dids"`
	}
	adm.do(t, "GET", "/dids", nil, &dids)
	if len(dids.DIDs) != 1 || dids.DIDs[0].Number != res.DID || dids.DIDs[0].Queue != "support" || dids.DIDs[0].Priority != 5 {
		t.Fatalf("dids %+v", dids)
	}
}
