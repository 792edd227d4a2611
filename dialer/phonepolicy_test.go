package dialer_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// TestAgentPhoneLogin: an agent's session rings its seat's external phone
// only; a supervisor may choose a number the allow-list covers; premium
// ranges never.
func TestAgentPhoneLogin(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AgentPhoneAllow = []string{"+4420", "+1900"} })
		ag := w.agents["1001"]
		ag.ExternalPhone = "+12125550142"
		if _, err := w.db.UpdateAgent(w.ctx(), ag, ""); err != nil {
			t.Fatal(err)
		}
		agent := w.actor("1001")
		sup := dialer.Actor{User: 2, Role: identity.RoleSupervisor, Name: "sup"}
		phone := func(n string) dialer.LoginRequest {
			return dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: n}, Mode: dialer.ModeRing}
		}
		for _, tc := range []struct {
			name   string
			actor  dialer.Actor
			number string
			reason string // "" accepted
		}{
			{"agent premium", agent, "+19005550199", "premium"},
			{"agent other number", agent, "+12125550100", "seat's external phone"},
			{"agent allowed prefix", agent, "+442071234567", "seat's external phone"},
			{"agent own seat", agent, "+12125550142", ""},
			{"agent seat by default", agent, "", ""},
			{"supervisor premium though allowed", sup, "+19005550199", "premium"},
			{"supervisor not allowed", sup, "+12125550100", "allowed prefixes"},
			{"supervisor allowed", sup, "+442071234567", ""},
		} {
			v, err := w.eng.Login(w.ctx(), tc.actor, ag.ID, phone(tc.number))
			if tc.reason == "" {
				want := tc.number
				if want == "" {
					want = ag.ExternalPhone
				}
				if err != nil || v.Endpoint.Phone != want {
					t.Errorf("%s: Login = %+v, %v; want on %s", tc.name, v.Endpoint, err, want)
				}
				continue
			}
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != "endpoint.phone" || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("%s: Login err = %v, want endpoint.phone %q", tc.name, err, tc.reason)
			}
		}
		// A seat without an external phone has nothing to default to.
		a2 := w.actor("1002")
		if _, err := w.eng.Login(w.ctx(), a2, a2.Agent, phone("")); err == nil || !strings.Contains(err.Error(), "endpoint.phone") {
			t.Errorf("login on phone without a seat number: %v", err)
		}
		// Persistent: the switch rings the seat's phone, never the premium one.
		if err := w.eng.Logout(w.ctx(), agent, ag.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.eng.Login(w.ctx(), agent, ag.ID, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointPhone}, Mode: dialer.ModePersistent}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "seat phone rung", func() bool {
			return slices.ContainsFunc(w.commands(), func(c string) bool { return strings.Contains(c, "sofia/gateway/carrier/+12125550142") })
		})
		for _, c := range w.commands() {
			if strings.Contains(c, "+1900") {
				t.Errorf("premium number reached the switch: %s", c)
			}
		}
		// An admin cannot give a seat a premium number either.
		ag.ExternalPhone = "+19005550199"
		var fe *dialer.FieldError
		if _, err := w.db.UpdateAgent(w.ctx(), ag, ""); !errors.As(err, &fe) || fe.Field != "external_phone" {
			t.Errorf("premium external_phone: %v", err)
		}
	})
}

// TestRestartKeepsPhoneEndpoint: an agent logged in on its external phone
// is still on it after a restart of the service: the next lead call rings
// that phone through the gateway, not the agent's SIP extension.
func TestRestartKeepsPhoneEndpoint(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ag := w.agents["1001"]
		ag.ExternalPhone = "+12125550142"
		if _, err := w.db.UpdateAgent(w.ctx(), ag, ""); err != nil {
			t.Fatal(err)
		}
		onPhone := dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: ag.ExternalPhone}
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointPhone}, Mode: dialer.ModeRing})
		w.setReady("1001")
		w.waitState("1001", dialer.AgentReady)

		w.restartEngine()
		if v := w.view("1001"); v.State != dialer.AgentReady || v.Endpoint != onPhone {
			t.Fatalf("after the restart the agent is %s on %+v, want READY on %+v", v.State, v.Endpoint, onPhone)
		}
		v := w.start("+15557654321", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if p := w.party(v, dialer.LegAgent); p.Agent != ag.ID {
			t.Fatalf("agent party %+v, want agent %d", p, ag.ID)
		}
		if w.count("bgapi originate") != 2 || !slices.ContainsFunc(w.commands(), func(c string) bool {
			return strings.HasPrefix(c, "bgapi originate") && strings.Contains(c, "sofia/gateway/carrier/"+ag.ExternalPhone)
		}) {
			t.Fatalf("the agent's phone was not dialed through the gateway: %q", w.commands())
		}
		for _, c := range w.commands() {
			if strings.Contains(c, "user/1001") {
				t.Fatalf("the agent's SIP extension was rung: %s", c)
			}
		}

		// A login on the SIP phone during the call is refused, and the
		// live store still holds the phone the session is on.
		a := w.actor("1001")
		if _, err := w.eng.Login(w.ctx(), a, a.Agent, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}}); !errors.Is(err, dialer.ErrConflict) {
			t.Fatalf("login on another phone during a call: %v", err)
		}
		if st, err := w.live.Agent(w.ctx(), a.Agent); err != nil || st.Endpoint != onPhone {
			t.Fatalf("live store endpoint %+v, %v after the refused login, want %+v", st.Endpoint, err, onPhone)
		}
	})
}
