package browser

import (
	"fmt"
	"testing"
)

// TestAuditLog: an admin signs in, opens the audit log, makes a change
// through the API, finds it in the log and filters by action; an agent
// sees no link to the log. The screenshot goes to artifacts/.
func TestAuditLog(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	user := adm.post(t, "/users", map[string]any{"username": "alma", "display_name": "Alma Diaz", "role": "agent", "password": "alma-pass-1234"})
	adm.post(t, "/agents", map[string]any{"name": "Alma Diaz", "extension": "2101", "sip_password": "sip-secret-2101", "user_id": user["id"]})

	var res struct {
		Queue float64 `json:"queue"`
	}
	scenario(t, ctx, svc, "audit_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
		"AS_AGENT_USER=alma", "AS_AGENT_PASSWORD=alma-pass-1234",
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	if res.Queue == 0 {
		t.Fatal("the scenario made no queue")
	}
}
