package browser

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

const (
	reportsDID     = "+18005550133"
	reportsLead    = "+14155550191"
	reportsCaller  = "+14155550192"
	reportsUser    = "remy"
	reportsPass    = "remy-pass-1234"
	reportsSup     = "sam"
	reportsSupPass = "sam-pass-1234"
)

// TestReportsDay: an agent takes an outbound call (recorded, sold) and a
// caller from the sales queue (not interested); a supervisor then reads
// the agent and queue reports with their charts, downloads a report as
// CSV, finds the outbound call by its number and opens its page: the
// timeline in order, and the recording plays. An agent is refused the
// reports.
func TestReportsDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	sw.SetEndpoint(reportsLead, sim.Behavior{AnswerAfter: 120 * time.Millisecond})
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	camp := adm.post(t, "/campaigns", map[string]any{"name": "Spring offer", "dial_mode": "progressive"})
	user := adm.post(t, "/users", map[string]any{"username": reportsUser, "display_name": "Remy Diaz", "role": "agent", "password": reportsPass})
	me := adm.post(t, "/agents", map[string]any{"name": "Remy Diaz", "extension": "2201", "sip_password": "sip-secret-2201", "user_id": user["id"]})
	adm.post(t, "/users", map[string]any{"username": reportsSup, "display_name": "Sam Ortiz", "role": "supervisor", "password": reportsSupPass})
	q := adm.post(t, "/queues", map[string]any{"name": "sales"})
	adm.do(t, http.MethodPut, fmt.Sprintf("/queues/%v/members", q["id"]), map[string]any{"members": []map[string]any{{"agent_id": me["id"]}}}, nil)
	adm.post(t, "/dids", map[string]any{"number": reportsDID, "name": "Sales line", "queue": "sales", "campaign_id": camp["id"]})
	sw.SetExtension(reportsDID, fmt.Sprintf("set:agentswitch_did=%s,set:agentswitch_queue=sales,set:agentswitch_campaign_id=%v,answer,park", reportsDID, camp["id"]))

	var res struct {
		Call string `json:"call"`
		Day  string `json:"day"`
	}
	scenario(t, ctx, svc, "reports_day.mjs", []string{
		"AS_USER=" + reportsUser, "AS_PASSWORD=" + reportsPass, "AS_ADMIN_KEY=" + keySecret,
		"AS_SUP_USER=" + reportsSup, "AS_SUP_PASSWORD=" + reportsSupPass,
		fmt.Sprintf("AS_AGENT_ID=%v", me["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"]),
		"AS_LEAD_NUMBER=" + reportsLead, "AS_CALLER=" + reportsCaller,
	}, func(req map[string]string) (map[string]string, error) {
		if req["do"] == "inbound" {
			return map[string]string{"leg": sw.Inbound(sim.InboundCall{From: req["from"], FromName: "K LEE", To: reportsDID})}, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	checkReportsAPI(t, svc, adm, res.Day)
}

// checkReportsAPI: the day's agent report as CSV names the agent with its
// two calls and their dispositions; the agent itself is refused.
func checkReportsAPI(t *testing.T, svc *svctest.Process, adm *client, day string) {
	t.Helper()
	if day == "" {
		t.Fatal("the scenario reported no day")
	}
	code, raw, err := adm.Do(http.MethodGet, "/reports/agents.csv?tz=Europe/Paris&from="+day+"&to="+day, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || code != http.StatusOK || len(rows) != 2 {
		t.Fatalf("agents csv: %d %q %v", code, rows, err)
	}
	if got := strings.Join([]string{rows[1][1], rows[1][2], rows[1][11]}, " "); got != "Remy Diaz 2 NI=1;SALE=1" {
		t.Errorf("agents csv row %q", rows[1])
	}
	agent := newClient(svc)
	agent.login(t, reportsUser, reportsPass)
	if code, raw, _ := agent.Do(http.MethodGet, "/reports/agents?from="+day+"&to="+day, nil, nil); code != http.StatusForbidden {
		t.Errorf("an agent reads the agent report: %d %s", code, raw)
	}
}
