//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// An agent that exists only in the database registers with digest auth:
// FreeSWITCH fetched the a1-hash over xml_curl.
func TestProvisionedAgentRegisters(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	before := e.xmlCount.count(func(r xmlRequest) bool { return r.Section == "directory" && r.User == "2101" })
	mark := e.rec.mark()
	p := e.agent(t, "2101", 0)
	if on, _, err := p.Registered(); !on || err != nil {
		t.Fatalf("registered %v %v", on, err)
	}
	ev := e.rec.must(t, ctx, mark, "sofia::register", func(ev *esl.Event) bool {
		return ev.Subclass() == esl.SubclassRegister && ev.Get("from-user") == "2101"
	})
	if ev.Get("profile-name") != pbxnames.ProfileAgents || ev.Get("realm") != domain {
		t.Fatalf("register event profile %q realm %q", ev.Get("profile-name"), ev.Get("realm"))
	}
	if n := e.xmlCount.count(func(r xmlRequest) bool { return r.Section == "directory" && r.User == "2101" }); n <= before {
		t.Fatal("FreeSWITCH did not ask the service for the user")
	}
	cmd, _ := esl.SofiaRegistrationsCmd(pbxnames.ProfileAgents)
	out, err := e.client.API(ctx, "", cmd)
	if err != nil || !strings.Contains(out, "2101@"+domain) {
		t.Fatalf("sofia status reg: %v\n%s", err, out)
	}

	// The wrong password is refused.
	if _, err := sipphone.Start(ctx, sipphone.Config{User: "2101", Password: "not-the-password", Domain: domain, Registrar: e.agentsSIP}); err == nil {
		t.Fatal("wrong password registered")
	}
	// A disabled agent is not served, so it cannot register.
	e.mu.Lock()
	id := e.agents["2101"]
	e.mu.Unlock()
	var patched struct {
		Reload struct{ Status, Error string }
	}
	e.svc.admin.Must(t, http.MethodPatch, fmt.Sprintf("/agents/%d", id), map[string]any{"disabled": true}, 200, &patched)
	reloadOK(t, "disable 2101", patched.Reload)
	if err := p.Register(ctx); err == nil {
		t.Fatal("disabled agent registered")
	}
}

// A gateway served from the database appears in sofia status after a
// reload, and leaves after it is deleted.
func TestGatewayFromDatabase(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	var g struct {
		ID     int64
		Reload struct{ Status, Error string }
	}
	e.svc.admin.Must(t, http.MethodPost, "/gateways", map[string]any{"name": "carrier-x", "proxy": "127.0.0.1:5999", "username": "acct", "password": "pw", "ping_seconds": 0}, 201, &g)
	reloadOK(t, "create carrier-x", g.Reload)
	path := fmt.Sprintf("/gateways/%d", g.ID)
	var status string
	svctest.Eventually(t, "gateway carrier-x up", func() bool {
		status, _ = e.client.API(ctx, "", esl.SofiaStatusCmd())
		return strings.Contains(status, pbxnames.ProfileCarriers+"::carrier-x")
	})
	t.Logf("sofia status:\n%s", status)
	out, err := e.client.API(ctx, "", esl.SofiaStatusCmd())
	if err != nil || !strings.Contains(out, pbxnames.ProfileCarriers+"::carrier-x") {
		t.Fatalf("sofia status: %v\n%s", err, out)
	}
	cmd, _ := esl.SofiaGatewayStatusCmd("carrier-x")
	out, err = e.client.API(ctx, "", cmd)
	if err != nil || !strings.Contains(out, "127.0.0.1:5999") || !strings.Contains(out, "acct") {
		t.Fatalf("sofia status gateway: %v\n%s", err, out)
	}
	t.Logf("sofia status gateway carrier-x:\n%s", out)

	// The service knows the gateway's registration from the switch: one
	// without registration is NOREG; one that registers to a carrier
	// that never answers goes on trying (sofia::gateway_state events).
	gwState := func(path string) string {
		var v struct{ Status []struct{ State string } }
		e.svc.admin.Must(t, http.MethodGet, path, nil, 200, &v)
		if len(v.Status) == 0 {
			return ""
		}
		return v.Status[0].State
	}
	svctest.Eventually(t, "carrier-x state NOREG", func() bool { return gwState(path) == "NOREG" })
	var reg struct {
		ID     int64
		Reload struct{ Status, Error string }
	}
	e.svc.admin.Must(t, http.MethodPost, "/gateways", map[string]any{"name": "carrier-reg", "proxy": "127.0.0.1:5997", "username": "acct", "password": "pw", "register": true, "ping_seconds": 0}, 201, &reg)
	reloadOK(t, "create carrier-reg", reg.Reload)
	regPath := fmt.Sprintf("/gateways/%d", reg.ID)
	var st string
	svctest.Eventually(t, "carrier-reg trying or failed", func() bool {
		st = gwState(regPath)
		return st == "TRYING" || st == "FAILED" || st == "FAIL_WAIT" || st == "REGISTER" || st == "TIMEOUT"
	})
	t.Logf("carrier-reg: %s", st)
	e.svc.admin.Must(t, http.MethodDelete, regPath, nil, 200, &reg)

	// A change is read back: kill, then rescan.
	e.svc.admin.Must(t, http.MethodPatch, path, map[string]any{"proxy": "127.0.0.1:5998"}, 200, &g)
	reloadOK(t, "move carrier-x", g.Reload)
	svctest.Eventually(t, "gateway proxy updated", func() bool {
		out, _ := e.client.API(ctx, "", cmd)
		return strings.Contains(out, "127.0.0.1:5998")
	})

	e.svc.admin.Must(t, http.MethodDelete, path, nil, 200, &g)
	reloadOK(t, "delete carrier-x", g.Reload)
	svctest.Eventually(t, "gateway removed", func() bool {
		out, _ := e.client.API(ctx, "", esl.SofiaStatusCmd())
		return !strings.Contains(out, "carrier-x")
	})
}
