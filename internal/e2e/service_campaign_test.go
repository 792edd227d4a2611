//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// toneDelivery is the dialer's delivery tone (dialer.deliveryTone).
const toneDelivery = 880

// A progressive campaign on FreeSWITCH: the service dials the imported
// lead by itself, connects it to the READY agent working on the campaign,
// and the agent hears the delivery tone, then the lead (the bridge goes
// on after the tone); the attempt is on the lead.
func TestServiceProgressiveCampaign(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	alice, ph := e.seat(t, "2419", "agent", "ring", toneAgent)
	leads := e.leadPhone(t)
	admin := e.svc.admin
	var camp struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/campaigns", map[string]any{"name": "e2e progressive", "dial_mode": "progressive", "max_attempts": 1,
		"settings": map[string]any{"lines_per_agent": 1, "calling_window": map[string]any{"hours": []any{map[string]string{"start": "00:00", "end": "23:59"}}}}}, 201, &camp)
	number := "+" + newNumber()
	var lead struct {
		ID       int64
		Attempts int
		Status   string
	}
	admin.Must(t, http.MethodPost, "/leads", map[string]any{"campaign_id": camp.ID, "phone": number, "first_name": "Dora"}, 201, &lead)
	alice.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/login", alice.Seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": "ring", "campaign_id": camp.ID}, 200, nil)
	alice.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/ready", alice.Seat), nil, 200, nil)
	admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/resume", camp.ID), nil, 200, nil)

	leadCall, err := nextCallFor(ctx, leads, number)
	if err != nil {
		t.Fatalf("the dialer never rang the lead: %v\n%s", err, e.svc.LogTail(30))
	}
	agentCall, err := ph.NextCall(ctx)
	if err != nil {
		t.Fatalf("the agent's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := agentCall.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := agentCall.WaitTone(ctx, toneDelivery, time.Time{}); err != nil {
		t.Fatalf("the agent heard no delivery tone: %v", err)
	}
	hearEachOther(t, ctx, time.Now(), agentCall, toneLead, leadCall, toneAgent)

	var v struct {
		Call string `json:"call_id"`
	}
	alice.Must(t, http.MethodGet, fmt.Sprintf("/agents/%d", alice.Seat), nil, 200, &v)
	alice.Must(t, http.MethodPost, "/calls/"+v.Call+"/hangup", nil, 204, nil)
	r := e.dispose(t, alice, v.Call, "SALE")
	if r.Call.Outcome != "answered" || r.Call.Agent != alice.Seat || r.Call.ToNumber != number {
		t.Fatalf("record %+v", r.Call)
	}
	admin.Must(t, http.MethodGet, fmt.Sprintf("/leads/%d", lead.ID), nil, 200, &lead)
	if lead.Attempts != 1 || lead.Status != "done" {
		t.Fatalf("lead after the call: %d attempts, %s", lead.Attempts, lead.Status)
	}
}
