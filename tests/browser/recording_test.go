package browser

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	recordingLead = "+14155550177"
	recordingUser = "rita"
	recordingPass = "rita-pass-1234"
)

// TestRecordingPlayback: an agent's call is recorded; once wrapped up, the
// History tab offers its recording, which the browser's player loads with
// range requests.
func TestRecordingPlayback(t *testing.T) {
	ctx := tier(t)

	sw := startSim(t)
	sw.SetEndpoint(recordingLead, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	camp := adm.post(t, "/campaigns", map[string]any{"name": "Recorded day", "dial_mode": "progressive"})
	user := adm.post(t, "/users", map[string]any{"username": recordingUser, "display_name": "Rita Vance", "role": "agent", "password": recordingPass})
	me := adm.post(t, "/agents", map[string]any{"name": "Rita Vance", "extension": "2101", "sip_password": "sip-secret-2101", "user_id": user["id"]})

	var res struct {
		Call string `json:"call"`
	}
	scenario(t, ctx, svc, "recording_day.mjs", []string{
		"AS_USER=" + recordingUser, "AS_PASSWORD=" + recordingPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", me["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"]), "AS_LEAD_NUMBER=" + recordingLead,
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	if d := adm.call(t, sw, res.Call); d.Record.Recording == "" {
		t.Fatalf("the call's record names no recording: %+v", d.Record)
	}
}
