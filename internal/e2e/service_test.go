//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// service is `agentswitch serve` (built with -race) run against the
// switch: FreeSWITCH's xml_curl reaches it through the harness's logging
// proxy, and the scenarios drive it over HTTP as the workspace does.
type service struct {
	*svctest.Process
	admin *svctest.Client
	// how it was started, to start it again
	bin string
	env []string
}

// xmlProxy forwards FreeSWITCH's xml_curl requests to the service once it
// is up (503 before: FreeSWITCH then falls back to its own files).
type xmlProxy struct {
	target atomic.Pointer[url.URL]
	rp     *httputil.ReverseProxy
}

func newXMLProxy() *xmlProxy {
	p := &xmlProxy{}
	p.rp = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(p.target.Load())
	}}
	return p
}

func (p *xmlProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.target.Load() == nil {
		http.Error(w, "service not up yet", http.StatusServiceUnavailable)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// startService runs the service against e's FreeSWITCH with a fresh
// database and private Redis under e.dir/service. It is built with the
// race detector, so races under real FreeSWITCH traffic fail the run;
// AGENTSWITCH_E2E_RACE=0 builds it as `make build` does (for timings).
func (e *switchEnv) startService(secret string) error {
	bin, err := svctest.Build(e.dir, os.Getenv("AGENTSWITCH_E2E_RACE") != "0")
	if err != nil {
		return err
	}
	env := []string{
		"AGENTSWITCH_HTTP_ADDR=127.0.0.1:0",
		"AGENTSWITCH_VAR_DIR=" + filepath.Join(e.dir, "service"),
		"AGENTSWITCH_RECORDINGS_DIR=" + e.recDir,
		"AGENTSWITCH_ESL_ADDR=" + e.eslAddr,
		"AGENTSWITCH_ESL_PASSWORD=" + e.eslPass,
		"AGENTSWITCH_XML_CURL_SECRET=" + secret,
		"AGENTSWITCH_SIP_REALM=" + domain,
		"AGENTSWITCH_AGENT_DOMAIN=" + domain,
		"AGENTSWITCH_GATEWAY=" + leadGateway,
		"AGENTSWITCH_CALLER_ID=+15550001111",
		"AGENTSWITCH_LOG_LEVEL=debug",
		// The lead-call tests receive their webhooks on loopback.
		"AGENTSWITCH_WEBHOOK_ALLOW_PRIVATE=true",
		"GORACE=halt_on_error=0",
	}
	if u := e.webrtcURL(); u != "" {
		env = append(env, "AGENTSWITCH_WEBRTC_WS_URL="+u)
	}
	p, err := svctest.Start(bin, e.dir, nil, env)
	if err != nil {
		return err
	}
	e.svc = &service{Process: p, bin: bin, env: env}
	u, _ := url.Parse(p.URL)
	e.xmlProxy.target.Store(u)
	e.svc.admin, err = svctest.Login(p.URL, "admin", p.AdminPassword)
	return err
}

// healthy waits until /healthz reports the switch connected.
func (s *service) healthy(ctx context.Context) error {
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service not healthy: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// reloadOK checks the reload an admin change reports.
func reloadOK(t *testing.T, what string, r struct{ Status, Error string }) {
	t.Helper()
	if r.Status != "applied" {
		t.Fatalf("%s: reload %s %s", what, r.Status, r.Error)
	}
}

// seat provisions, through the admin API, a user of the role with an
// agent seat on extension ext, registers its phone, and logs the user in
// over HTTP. The seat is logged out of the dialer when the test ends.
func (e *switchEnv) seat(t *testing.T, ext, role, mode string, tone float64, opts ...func(*sipphone.Config)) (*svctest.Client, *sipphone.Phone) {
	t.Helper()
	admin := e.svc.admin
	name := role + ext
	password := name + "-password"
	var user struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/users", map[string]any{"username": name, "password": password, "role": role, "display_name": role + " " + ext}, 201, &user)
	// A new agent needs no reload: FreeSWITCH asks for it on REGISTER.
	var a struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/agents", map[string]any{"name": role + " " + ext, "extension": ext, "sip_password": agentPass, "user_id": user.ID, "mode": mode}, 201, &a)
	ph := e.phone(t, ext, tone, opts...)
	u, err := svctest.Login(e.svc.URL, name, password)
	if err != nil {
		t.Fatal(err)
	}
	if u.Seat != a.ID {
		t.Fatalf("%s logged in with seat %d, want %d", name, u.Seat, a.ID)
	}
	t.Cleanup(func() { u.Do(http.MethodPost, fmt.Sprintf("/agents/%d/logout", u.Seat), nil, nil) })
	return u, ph
}

// ready logs the agent into the dialer on its own SIP phone and makes it
// READY.
func ready(t *testing.T, u *svctest.Client, mode string) {
	t.Helper()
	u.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/login", u.Seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": mode}, 200, nil)
	u.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/ready", u.Seat), nil, 200, nil)
}

// persistentSeat logs a persistent agent in READY and answers the line
// the service rings on its phone.
func (e *switchEnv) persistentSeat(t *testing.T, ctx context.Context, ext string) (*svctest.Client, *sipphone.Phone, *sipphone.Call) {
	t.Helper()
	u, ph := e.seat(t, ext, "agent", "persistent", toneAgent)
	ready(t, u, "persistent")
	line, err := ph.NextCall(ctx)
	if err != nil {
		t.Fatalf("the persistent line never rang: %v", err)
	}
	if err := line.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	return u, ph, line
}
