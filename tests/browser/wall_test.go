package browser

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	wallDID    = "+18005550166"
	wallCaller = "+14155550199"
	wallUser   = "sara"
	wallPass   = "sara-pass-1234"
)

// TestSupervisorWall: a supervisor signs in to the wall; an agent driven
// through the API logs in, a caller waits in the agent's queue, the agent
// goes ready and takes the call, and the wall follows each step live; the
// supervisor listens (the wall shows its phone connecting, then
// listening), whispers, then barges; a long hold and the agent's wrap-up
// raise alerts; the supervisor forces the agent into a pause.
// An agent who types the wall's address gets the workspace.
func TestSupervisorWall(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	camp := adm.post(t, "/campaigns", map[string]any{"name": "Support", "dial_mode": "manual"})
	sara := adm.post(t, "/users", map[string]any{"username": wallUser, "display_name": "Sara Lind", "role": "supervisor", "password": wallPass})
	team := adm.post(t, "/teams", map[string]any{"name": "Support team", "supervisors": []any{sara["id"]}})
	quinn := adm.post(t, "/agents", map[string]any{"name": "Quinn Park", "extension": "3001", "sip_password": "sip-secret-3001", "team_id": team["id"]})
	bobUser := adm.post(t, "/users", map[string]any{"username": "bob", "display_name": "Bob Stone", "role": "agent", "password": "bob-pass-1234"})
	adm.post(t, "/agents", map[string]any{"name": "Bob Stone", "extension": "3002", "sip_password": "sip-secret-3002", "user_id": bobUser["id"]})
	q := adm.post(t, "/queues", map[string]any{"name": "support"})
	adm.do(t, http.MethodPut, fmt.Sprintf("/queues/%v/members", q["id"]), map[string]any{"members": []map[string]any{{"agent_id": quinn["id"]}}}, nil)
	adm.post(t, "/dids", map[string]any{"number": wallDID, "name": "Support line", "queue": "support", "campaign_id": camp["id"]})
	sw.SetExtension(wallDID, fmt.Sprintf("set:agentswitch_did=%s,set:agentswitch_queue=support,set:agentswitch_campaign_id=%v,answer,park", wallDID, camp["id"]))

	// The supervisor's phone takes a while to answer: the wall shows it
	// connecting meanwhile.
	sw.SetEndpoint("user/3100", sim.Behavior{AnswerAfter: 3 * time.Second})

	var res struct {
		Call        string `json:"call"`
		MonitorLeg  string `json:"monitor_leg"`
		WhisperMode string `json:"whisper_mode"`
		BargeMode   string `json:"barge_mode"`
	}
	scenario(t, ctx, svc, "wall_day.mjs", []string{
		"AS_USER=" + wallUser, "AS_PASSWORD=" + wallPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", quinn["id"]), "AS_CALLER=" + wallCaller,
		"AS_AGENT_USER=bob", "AS_AGENT_PASSWORD=bob-pass-1234",
	}, func(req map[string]string) (map[string]string, error) {
		if req["do"] == "inbound" {
			return map[string]string{"leg": sw.Inbound(sim.InboundCall{From: req["from"], FromName: "J COOPER", To: wallDID})}, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	if res.Call == "" || res.MonitorLeg == "" || res.WhisperMode != "whisper" || res.BargeMode != "barge" {
		t.Fatalf("result %+v", res)
	}
	// Barge reached the switch on the supervisor's leg.
	if !slices.Contains(commandLines(sw.Commands()), "api uuid_recv_dtmf "+res.MonitorLeg+" 3") {
		t.Errorf("no barge (digit 3) sent to the supervisor's leg %s", res.MonitorLeg)
	}

}
