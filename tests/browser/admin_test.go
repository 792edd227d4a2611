package browser

import (
	"fmt"
	"testing"
)

// TestAdminDay: an admin signs in and provisions from the admin console
// alone: a user (a bad username refused on its field), a password reset
// with a generated password, a pause code an agent then sees. Each
// section's screenshot goes to artifacts/.
func TestAdminDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	var res struct {
		User     float64 `json:"user"`
		Password string  `json:"password"`
	}
	scenario(t, ctx, svc, "admin_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	// The password the console showed once signs the user in.
	if res.User == 0 || res.Password == "" {
		t.Fatalf("result %+v", res)
	}
	nora := newClient(svc)
	nora.login(t, "nora", res.Password)
	if me := nora.get(t, "/me"); me["role"] != "supervisor" {
		t.Fatalf("nora signed in as %v", me["role"])
	}
	if got := adm.get(t, "/pause-codes"); !hasPauseCode(got, "QA_REVIEW") {
		t.Fatalf("pause codes %v", got)
	}
}

func hasPauseCode(r map[string]any, code string) bool {
	l, _ := r["pause_codes"].([]any)
	for _, p := range l {
		if m, _ := p.(map[string]any); m["code"] == code && m["label"] == "Quality review" {
			return true
		}
	}
	return false
}
