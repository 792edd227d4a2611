package browser

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

// TestWallAbandonAlert: a progressive campaign dials three leads for its
// one agent; all three answer, two are abandoned, and the abandon rate
// the service pushes puts the campaign on the supervisor's alerts strip,
// which shows the campaign's agents when clicked.
func TestWallAbandonAlert(t *testing.T) {
	res, stats, _ := wallCampaign(t, "progressive", "Spring renewals", nil, 300)
	if res.Alert == "" {
		t.Fatalf("result %+v", res)
	}
	// What the alert said is what the service counts.
	if want := fmt.Sprintf("%d of %d", stats.Last24h.Abandoned, stats.Last24h.Answered); stats.Last24h.Abandoned == 0 || !strings.Contains(res.Alert, want) {
		t.Errorf("alert %q, stats %+v", res.Alert, stats.Last24h)
	}
}

// wallResult is what wall_alert.mjs saw.
type wallResult struct {
	Alert  string `json:"alert"`
	Reason string `json:"reason"`
	Day    string `json:"day"`
}

// wallStats are a campaign's figures from the API after the scenario.
type wallStats struct {
	Last24h struct {
		Answered  int `json:"answered"`
		Abandoned int `json:"abandoned"`
	} `json:"last_24h"`
}

// wallPacing is a predictive campaign's pacing from the API.
type wallPacing struct {
	State   string `json:"state"`
	Abandon struct {
		Day float64 `json:"day"`
	} `json:"abandon"`
}

// wallCampaign makes a campaign of mode dialing three leads that answer
// (phones from firstPhone) for one agent, with settings over three lines
// per agent, runs wall_alert.mjs on it, and returns what the wall showed,
// then the campaign's stats and (predictive) pacing from the API.
func wallCampaign(t *testing.T, mode, name string, settings map[string]any, firstPhone int) (wallResult, wallStats, wallPacing) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	adm.post(t, "/users", map[string]any{"username": wallUser, "display_name": "Sara Lind", "role": "supervisor", "password": wallPass})
	set := map[string]any{"lines_per_agent": 3, "calling_window": map[string]any{"hours": []map[string]string{{"start": "00:00", "end": "24:00"}}}}
	maps.Copy(set, settings)
	camp := adm.post(t, "/campaigns", map[string]any{"name": name, "dial_mode": mode, "settings": set})
	for i := range 3 {
		phone := fmt.Sprintf("+1212555%04d", firstPhone+i)
		adm.post(t, "/leads", map[string]any{"campaign_id": camp["id"], "phone": phone, "first_name": fmt.Sprintf("Lead %d", i), "time_zone": "UTC"})
		sw.SetEndpoint(phone, sim.Behavior{AnswerAfter: 200 * time.Millisecond})
	}
	ana := adm.post(t, "/agents", map[string]any{"name": "Ana Berg", "extension": "3201", "sip_password": "sip-secret-3201"})
	envs := []string{"AS_USER=" + wallUser, "AS_PASSWORD=" + wallPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", ana["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"])}
	if mode == "predictive" {
		envs = append(envs, "AS_PACING_NAME="+name)
	}
	var res wallResult
	scenario(t, ctx, svc, "wall_alert.mjs", envs, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	var stats wallStats
	adm.do(t, http.MethodGet, fmt.Sprintf("/campaigns/%v/stats", camp["id"]), nil, &stats)
	var p wallPacing
	if mode == "predictive" {
		adm.do(t, http.MethodGet, fmt.Sprintf("/campaigns/%v/pacing", camp["id"]), nil, &p)
	}
	return res, stats, p
}
