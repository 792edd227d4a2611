package browser

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	directoryLead = "+14155550123"
	// conferenceLead is the second call's, where a colleague is added.
	conferenceLead = "+14155550145"
	directoryUser  = "dana"
	directoryPass  = "dana-pass-1234"
)

// TestDirectoryTransfer: on a call, an agent opens the transfer panel,
// finds colleagues by name with their presence (a paused one shown but
// not pickable, a logged-out one coming online while the panel is open),
// picks a READY colleague with the keyboard and transfers the call, which
// the colleague then carries; on another call, adds a colleague picked
// the same way to a conference. Screenshots of the picker at 1440 and
// 1024 px go to artifacts/.
func TestDirectoryTransfer(t *testing.T) {
	ctx := tier(t)

	sw := startSim(t)
	for _, n := range []string{directoryLead, conferenceLead} {
		sw.SetEndpoint(n, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	}
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	camp := adm.post(t, "/campaigns", map[string]any{"name": "Directory day", "dial_mode": "progressive"})
	user := adm.post(t, "/users", map[string]any{"username": directoryUser, "display_name": "Dana Wu", "role": "agent", "password": directoryPass})
	me := adm.post(t, "/agents", map[string]any{"name": "Dana Wu", "extension": "2001", "sip_password": "sip-secret-2001", "user_id": user["id"]})
	seat := func(name, ext string) float64 {
		a := adm.post(t, "/agents", map[string]any{"name": name, "extension": ext, "sip_password": "sip-secret-" + ext})
		return a["id"].(float64)
	}
	bob, bea, bill := seat("Bob Stone", "2002"), seat("Bea Lang", "2003"), seat("Bill Orr", "2004")
	adm.post(t, "/queues", map[string]any{"name": "sales", "active": true})
	adm.post(t, "/queues", map[string]any{"name": "closed-at-night", "active": false})
	// Bob waits for calls, Bea is on a break, Bill is not on the phone.
	sip := map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": "ring"}
	for _, id := range []float64{bob, bea} {
		adm.post(t, fmt.Sprintf("/agents/%v/login", id), sip)
	}
	adm.post(t, fmt.Sprintf("/agents/%v/ready", bob), nil)
	adm.post(t, fmt.Sprintf("/agents/%v/pause", bea), map[string]any{"code": "BREAK"})

	var res struct {
		Call       string `json:"call"`
		Conference string `json:"conference"`
	}
	scenario(t, ctx, svc, "directory_day.mjs", []string{
		"AS_USER=" + directoryUser, "AS_PASSWORD=" + directoryPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", me["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"]), "AS_LEAD_NUMBER=" + directoryLead, "AS_SECOND_NUMBER=" + conferenceLead,
		fmt.Sprintf("AS_BOB=%v", bob), fmt.Sprintf("AS_BEA=%v", bea), fmt.Sprintf("AS_BILL=%v", bill),
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	// The first call went to Bob's phone, the second brought Bill's in;
	// Dana wrapped up both.
	for _, c := range []struct {
		what, id string
		agent    float64
		ext      string
	}{{"transferred", res.Call, bob, "2002"}, {"conference", res.Conference, bill, "2004"}} {
		d := adm.call(t, sw, c.id)
		var rang bool
		for _, l := range d.Legs {
			rang = rang || l.Agent == c.agent && l.Endpoint == "user/"+c.ext
		}
		if !rang {
			t.Errorf("%s call: no leg to agent %v (user/%s) in %+v", c.what, c.agent, c.ext, d.Legs)
		}
		if d.Record.Outcome != "answered" || d.Record.Disposition != "SALE" {
			t.Errorf("%s call record %+v", c.what, d.Record)
		}
	}
}
