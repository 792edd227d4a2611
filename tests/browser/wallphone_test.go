package browser

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestWallBrowserPhone: an agent on the browser phone reports its network
// and the supervisor's wall shows it turn from Good to Poor, then the
// phone offline with its error; a desk-phone agent shows no indicator.
// The supervisor logs the browser agent out from the wall, and the switch
// is told to drop the browser's registration.
func TestWallBrowserPhone(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	adm.post(t, "/users", map[string]any{"username": wallUser, "display_name": "Sara Lind", "role": "supervisor", "password": wallPass})
	webUser := adm.post(t, "/users", map[string]any{"username": "wendy", "display_name": "Wendy Hale", "role": "agent", "password": "wendy-pass-1234"})
	web := adm.post(t, "/agents", map[string]any{"name": "Wendy Hale", "extension": "3401", "sip_password": "sip-secret-3401", "user_id": webUser["id"]})
	desk := adm.post(t, "/agents", map[string]any{"name": "Dan Desk", "extension": "3402", "sip_password": "sip-secret-3402"})
	adm.post(t, fmt.Sprintf("/agents/%v/login", desk["id"]), map[string]any{"endpoint": map[string]any{"kind": "sip"}})

	// The agent acts on itself: its session on the browser endpoint, then
	// its phone's reports (no browser phone registers in this test).
	wendy := newClient(svc)
	wendy.login(t, "wendy", "wendy-pass-1234")
	wendy.post(t, fmt.Sprintf("/agents/%v/login", web["id"]), map[string]any{"endpoint": map[string]any{"kind": "webrtc"}})

	var res struct {
		Good, Poor, Offline string
	}
	scenario(t, ctx, svc, "wall_phone.mjs", []string{
		"AS_USER=" + wallUser, "AS_PASSWORD=" + wallPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENT_ID=%v", web["id"]), fmt.Sprintf("AS_DESK_ID=%v", desk["id"]),
	}, func(req map[string]string) (map[string]string, error) {
		if req["do"] != "media" {
			return nil, fmt.Errorf("unknown request %q", req["do"])
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(req["report"]), &body); err != nil {
			return nil, err
		}
		st, raw, err := wendy.Do(http.MethodPost, fmt.Sprintf("/agents/%v/media-quality", web["id"]), body, nil)
		if err != nil || st != http.StatusNoContent {
			return nil, fmt.Errorf("media-quality: %d %v %s", st, err, raw)
		}
		return map[string]string{}, nil
	}, &res)
	t.Logf("wall: %+v", res)

	realm, _ := web["realm"].(string)
	want := "api sofia profile agents flush_inbound_reg w3401@" + realm + " reboot"
	if !slices.Contains(commandLines(sw.Commands()), want) {
		t.Errorf("no %q sent to the switch: %q", want, commandLines(sw.Commands()))
	}
}
