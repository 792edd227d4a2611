package browser

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	widgetLead     = "+4930123456"
	widgetOperator = "+4930999888"
)

// TestWidgetCallsDay: an admin works through the widgets' Calls and
// Dashboard. On the real backend: lead calls made through the API (one
// connected, one refused for its country, two scheduled outside the
// managers' hours, one of them cancelled from its dialog, the other
// refused a cancel with a 409) and today's figures. On fixtures: every
// status at once, filters in the URL, paging, the detail by keyboard, a
// live refresh that keeps the dialog and the scroll, the dashboard's
// chart, table, CSV and ranges. A supervisor reads both and is offered
// no cancel. Screenshots go to artifacts/.
func TestWidgetCallsDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	sw.SetEndpoint(widgetLead, sim.Behavior{AnswerAfter: 100 * time.Millisecond, HangupAfter: 8 * time.Second})
	sw.SetEndpoint(widgetOperator, sim.Behavior{AnswerAfter: 100 * time.Millisecond})
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	shop := adm.post(t, "/widgets", map[string]any{"name": "Solar shop", "site_url": "https://solar.example", "active": true})
	shopID := shop["id"]
	// The shop calls German numbers only and records; a manager who stays
	// on the line takes the call (the simulated phone presses nothing).
	adm.do(t, http.MethodPatch, fmt.Sprintf("/widgets/%v", shopID), map[string]any{"settings": map[string]any{
		"confirm": "stay", "countries": map[string]any{"mode": "selected", "allowed": []string{"DE"}},
		"recording": map[string]any{"enabled": true, "warning": "This call is recorded."},
	}}, nil)
	shopKey := adm.post(t, fmt.Sprintf("/widgets/%v/api-keys", shopID), map[string]any{"name": "crm"})

	// The night desk's one manager works an hour on another weekday only.
	night := adm.post(t, "/widgets", map[string]any{"name": "Night desk", "site_url": "https://night.example", "active": true})
	seat := adm.post(t, "/agents", map[string]any{"name": "Nina Nacht", "extension": "2101", "sip_password": "sip-secret-2101"})
	other := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[(time.Now().UTC().Weekday()+3)%7]
	adm.post(t, fmt.Sprintf("/widgets/%v/managers", night["id"]), map[string]any{
		"name": "Nina Nacht", "agent_id": seat["id"], "time_zone": "UTC", "active": true,
		"hours": map[string]any{"time_zone": "UTC", "week": map[string]any{other: []string{"09:00-10:00"}}},
	})
	nightKey := adm.post(t, fmt.Sprintf("/widgets/%v/api-keys", night["id"]), map[string]any{"name": "crm"})
	adm.post(t, "/users", map[string]any{"username": "sofia", "display_name": "Sofia Berg", "role": "supervisor", "password": "sofia-pass-1234"})

	var res struct {
		Connected          int64  `json:"connected"`
		Refused            int64  `json:"refused"`
		Cancelled          int64  `json:"cancelled"`
		CancelledElsewhere int64  `json:"cancelledElsewhere"`
		Scroller           string `json:"scroller"`
		DashboardQuery     string `json:"dashboardQuery"`
	}
	scenario(t, ctx, svc, "widget_calls_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_WIDGET_ID=%v", shopID), "AS_WIDGET_NAME=Solar shop",
		fmt.Sprintf("AS_WIDGET_KEY=%v", shop["widget_key"]), fmt.Sprintf("AS_WIDGET_API_KEY=%v", shopKey["secret"]),
		fmt.Sprintf("AS_NIGHT_KEY=%v", night["widget_key"]), fmt.Sprintf("AS_NIGHT_API_KEY=%v", nightKey["secret"]),
		"AS_LEAD=" + widgetLead, "AS_OPERATOR=" + widgetOperator, "AS_SUPERVISOR=sofia", "AS_SUPERVISOR_PASSWORD=sofia-pass-1234",
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	if res.Scroller == "" || res.DashboardQuery == "" {
		t.Fatalf("result %+v", res)
	}

	// What the screens showed is what the store holds.
	for _, c := range []struct {
		id     int64
		status string
	}{{res.Connected, "connected"}, {res.Refused, "refused"}, {res.Cancelled, "cancelled"}, {res.CancelledElsewhere, "cancelled"}} {
		r := adm.get(t, fmt.Sprintf("/widget-requests/%d", c.id))
		if r["status"] != c.status {
			t.Errorf("request %d: %v, want %s", c.id, r["status"], c.status)
		}
	}
	if r := adm.get(t, fmt.Sprintf("/widget-requests/%d", res.Connected)); r["manager"] != "Mia Sommer" || r["talk_seconds"].(float64) < 1 {
		t.Errorf("connected request %v", r)
	}
}
