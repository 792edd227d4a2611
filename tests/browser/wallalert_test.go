package browser

import (
	"fmt"
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
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	adm.post(t, "/users", map[string]any{"username": wallUser, "display_name": "Sara Lind", "role": "supervisor", "password": wallPass})
	camp := adm.post(t, "/campaigns", map[string]any{
		"name": "Spring renewals", "dial_mode": "progressive",
		"settings": map[string]any{"lines_per_agent": 3, "calling_window": map[string]any{"hours": []map[string]string{{"start": "00:00", "end": "24:00"}}}},
	})
	for i := range 3 {
		phone := fmt.Sprintf("+1212555%04d", 300+i)
		adm.post(t, "/leads", map[string]any{"campaign_id": camp["id"], "phone": phone, "first_name": fmt.Sprintf("Lead %d", i), "time_zone": "UTC"})
		sw.SetEndpoint(phone, sim.Behavior{AnswerAfter: 200 * time.Millisecond})
	}
	ana := adm.post(t, "/agents", map[string]any{"name": "Ana Berg", "extension": "3201", "sip_password": "sip-secret-3201"})

	var res struct {
		Alert string `json:"alert"`
	}
	scenario(t, ctx, svc, "wall_alert.mjs", []string{
		"AS_USER=" + wallUser, "AS_PASSWORD=" + wallPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", ana["id"]), fmt.Sprintf("AS_CAMPAIGN_ID=%v", camp["id"]),
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	if res.Alert == "" {
		t.Fatalf("result %+v", res)
	}
	// What the alert said is what the service counts.
	var stats struct {
		Last24h struct {
			Answered  int `json:"answered"`
			Abandoned int `json:"abandoned"`
		} `json:"last_24h"`
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/campaigns/%v/stats", camp["id"]), nil, &stats)
	if want := fmt.Sprintf("%d of %d", stats.Last24h.Abandoned, stats.Last24h.Answered); stats.Last24h.Abandoned == 0 || !strings.Contains(res.Alert, want) {
		t.Errorf("alert %q, stats %+v", res.Alert, stats.Last24h)
	}
}
