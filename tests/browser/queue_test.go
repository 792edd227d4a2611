package browser

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	queueDID    = "+18005550177"
	queueCaller = "+14155550188"
	queueUser   = "quinn"
	queuePass   = "quinn-pass-1234"
)

// TestInboundQueue: a caller dials a DID routed to the "support" queue;
// the agent, its only member, takes the call and sees the queue, the
// wait and the caller's lead; it blind-transfers the caller to the
// "billing" queue, picked in the transfer panel, and wraps up while
// billing's member takes the caller.
func TestInboundQueue(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	camp := adm.post(t, "/campaigns", map[string]any{"name": "Support", "dial_mode": "manual"})
	adm.post(t, "/leads", map[string]any{"campaign_id": camp["id"], "phone": queueCaller, "first_name": "Jane", "last_name": "Cooper"})
	user := adm.post(t, "/users", map[string]any{"username": queueUser, "display_name": "Quinn Park", "role": "agent", "password": queuePass})
	me := adm.post(t, "/agents", map[string]any{"name": "Quinn Park", "extension": "3001", "sip_password": "sip-secret-3001", "user_id": user["id"]})
	bob := adm.post(t, "/agents", map[string]any{"name": "Bob Stone", "extension": "3002", "sip_password": "sip-secret-3002"})
	for _, q := range []struct {
		name   string
		member any
	}{{"support", me["id"]}, {"billing", bob["id"]}} {
		made := adm.post(t, "/queues", map[string]any{"name": q.name})
		adm.do(t, http.MethodPut, fmt.Sprintf("/queues/%v/members", made["id"]), map[string]any{"members": []map[string]any{{"agent_id": q.member}}}, nil)
	}
	adm.post(t, "/dids", map[string]any{"number": queueDID, "name": "Support line", "queue": "support", "campaign_id": camp["id"]})
	// What the service's dialplan has FreeSWITCH do for the DID.
	sw.SetExtension(queueDID, fmt.Sprintf("set:agentswitch_did=%s,set:agentswitch_queue=support,set:agentswitch_campaign_id=%v,answer,park", queueDID, camp["id"]))
	adm.post(t, fmt.Sprintf("/agents/%v/login", bob["id"]), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": "ring"})
	adm.post(t, fmt.Sprintf("/agents/%v/ready", bob["id"]), nil)

	var res struct {
		Call string `json:"call"`
	}
	scenario(t, ctx, svc, "queue_day.mjs", []string{
		"AS_USER=" + queueUser, "AS_PASSWORD=" + queuePass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", me["id"]), fmt.Sprintf("AS_BOB=%v", bob["id"]), "AS_LEAD_NUMBER=" + queueCaller,
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "inbound":
			return map[string]string{"leg": sw.Inbound(sim.InboundCall{From: req["from"], FromName: "J COOPER", To: queueDID})}, nil
		case "hangup":
			if !sw.Hangup(req["leg"], "NORMAL_CLEARING") {
				return nil, fmt.Errorf("no channel %s", req["leg"])
			}
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	d := adm.call(t, sw, res.Call)
	if d.Record.Direction != "inbound" || d.Record.FromNumber != queueCaller || d.Record.Disposition != "SALE" {
		t.Errorf("record %+v", d.Record)
	}
	var agents []float64
	for _, l := range d.Legs {
		if l.Role == "agent" {
			agents = append(agents, l.Agent)
		}
	}
	if !slices.Equal(agents, []float64{me["id"].(float64), bob["id"].(float64)}) {
		t.Errorf("agent legs %v, want Quinn's then Bob's", agents)
	}
}
