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
