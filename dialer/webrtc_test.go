package dialer_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// TestWebRTCLogin: a browser session is on the agent's own extension,
// whoever opens it; its calls ring user/w<ext>, never the desk phone.
func TestWebRTCLogin(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		agent := w.actor("1001")
		sup := dialer.Actor{User: 2, Role: identity.RoleSupervisor, Name: "sup"}
		browser := func(ext, phone string, mode dialer.AgentMode) dialer.LoginRequest {
			return dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC, Extension: ext, Phone: phone}, Mode: mode}
		}
		for _, tc := range []struct {
			name  string
			actor dialer.Actor
			req   dialer.LoginRequest
			field string // "" accepted
		}{
			{"agent, another extension", agent, browser("1002", "", dialer.ModeRing), "endpoint.extension"},
			{"supervisor, another extension", sup, browser("1002", "", dialer.ModeRing), "endpoint.extension"},
			{"with a phone", agent, browser("", "+12125550142", dialer.ModeRing), "endpoint.phone"},
			{"unknown kind", agent, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: "browser"}}, "endpoint.kind"},
			{"agent, own extension named", agent, browser("1001", "", dialer.ModeRing), ""},
			{"supervisor, the seat's default", sup, browser("", "", dialer.ModeRing), ""},
		} {
			v, err := w.eng.Login(w.ctx(), tc.actor, agent.Agent, tc.req)
			if tc.field == "" {
				want := dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC, Extension: "1001"}
				if err != nil || v.Endpoint != want {
					t.Errorf("%s: Login = %+v, %v; want on %+v", tc.name, v.Endpoint, err, want)
				}
				continue
			}
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%s: Login err = %v, want a FieldError on %s", tc.name, err, tc.field)
			}
		}

		// Ring mode: the lead call rings the browser.
		w.setReady("1001")
		w.waitState("1001", dialer.AgentReady)
		v := w.start("+15557654321", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if p := w.party(v, dialer.LegAgent); p.Agent != agent.Agent {
			t.Fatalf("agent party %+v", p)
		}
		rang := func(dest string) bool {
			return slices.ContainsFunc(w.commands(), func(c string) bool {
				return strings.HasPrefix(c, "bgapi originate") && strings.Contains(c, dest)
			})
		}
		if !rang("user/w1001") || rang("user/1001") {
			t.Fatalf("the browser was not rung alone: %q", w.commands())
		}
		if err := w.eng.Hangup(w.ctx(), agent, v.ID); err != nil {
			t.Fatal(err)
		}

		// Persistent mode: the line is opened to the browser once it has
		// registered, not before (it would find nobody there).
		w.sim.SetUser("w1002", false)
		w.loginWith("1002", browser("", "", dialer.ModePersistent))
		synctest.Wait()
		if rang("user/w1002") {
			t.Fatalf("the browser's line was rung before it registered: %q", w.commands())
		}
		w.sim.Register("w1001", "agents") // another seat's browser: not this line
		w.sim.Register("w1002", "internal")
		synctest.Wait()
		if rang("user/w1002") {
			t.Fatalf("rung on a registration that is not the browser's on the agents profile: %q", w.commands())
		}
		w.sim.Register("w1002", "agents")
		waitFor(t, w.within(3*time.Second), "browser line opened", func() bool { return rang("user/w1002") })
		if rang("user/1002") {
			t.Fatalf("the desk phone was rung: %q", w.commands())
		}
		waitFor(t, w.within(3*time.Second), "line up", func() bool { return w.view("1002").PhoneConnected })
		if v := w.view("1002"); v.Endpoint.Kind != dialer.EndpointWebRTC || v.Mode != dialer.ModePersistent {
			t.Fatalf("view %+v", v)
		}
	})
}

// TestWebRTCLogoutDropsRegistration: the logout of a browser agent, by
// itself or by a supervisor, has the switch drop the browser's
// registration; a desk phone's is left alone.
func TestWebRTCLogoutDropsRegistration(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		sup := dialer.Actor{User: 2, Role: identity.RoleSupervisor, Name: "sup"}
		flushes := func() []string {
			var out []string
			for _, c := range w.commands() {
				if strings.Contains(c, "flush_inbound_reg") {
					out = append(out, c)
				}
			}
			return out
		}
		for _, tc := range []struct {
			ext  string
			kind dialer.EndpointKind
			by   func(ext string) dialer.Actor
			want string // "" none
		}{
			{"1001", dialer.EndpointWebRTC, func(string) dialer.Actor { return sup }, "api sofia profile agents flush_inbound_reg w1001@" + w.agents["1001"].Realm + " reboot"},
			{"1002", dialer.EndpointWebRTC, w.actor, "api sofia profile agents flush_inbound_reg w1002@" + w.agents["1002"].Realm + " reboot"},
			{"1001", dialer.EndpointSIP, func(string) dialer.Actor { return sup }, ""},
		} {
			before := len(flushes())
			w.loginWith(tc.ext, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: tc.kind}})
			if err := w.eng.Logout(w.ctx(), tc.by(tc.ext), w.actor(tc.ext).Agent); err != nil {
				t.Fatal(err)
			}
			got := flushes()[before:]
			if tc.want == "" && len(got) != 0 || tc.want != "" && !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%s on %s: flushes %q, want %q", tc.ext, tc.kind, got, tc.want)
			}
		}
	})
}

// TestWebRTCCredentials: each issue rotates the agent's password, only
// its A1 is kept, and logout or a revoke ends it.
func TestWebRTCCredentials(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		agent, other := w.actor("1001"), w.actor("1002")
		ag := w.agents["1001"]
		sup := dialer.Actor{User: 2, Role: identity.RoleSupervisor, Name: "sup"}

		if _, err := w.eng.IssueWebRTC(w.ctx(), other, agent.Agent); !errors.Is(err, dialer.ErrForbidden) {
			t.Fatalf("another agent's credentials: %v", err)
		}
		first, err := w.eng.IssueWebRTC(w.ctx(), agent, agent.Agent)
		if err != nil {
			t.Fatal(err)
		}
		if first.User != "w1001" || first.Domain != ag.Realm || len(first.Password) < 20 || first.DisplayName != ag.Name {
			t.Fatalf("login %+v", first)
		}
		if d := first.ExpiresAt.Sub(w.now()); d <= 59*time.Minute || d > time.Hour {
			t.Fatalf("expires in %v, want an hour", d)
		}
		c, err := w.webrtc.Lookup(w.ctx(), agent.Agent, w.now())
		if err != nil || c.User != "w1001" || c.A1Hash != dialer.SIPA1("w1001", ag.Realm, first.Password) {
			t.Fatalf("stored %+v, %v", c, err)
		}

		second, err := w.eng.IssueWebRTC(w.ctx(), sup, agent.Agent)
		if err != nil || second.Password == first.Password {
			t.Fatalf("rotation: %+v, %v", second, err)
		}
		if c, err := w.webrtc.Lookup(w.ctx(), agent.Agent, w.now()); err != nil || c.A1Hash != dialer.SIPA1("w1001", ag.Realm, second.Password) {
			t.Fatalf("after rotation %+v, %v", c, err)
		}

		gone := func(what string) {
			t.Helper()
			if _, err := w.webrtc.Lookup(w.ctx(), agent.Agent, w.now()); !errors.Is(err, dialer.ErrNotFound) {
				t.Fatalf("%s: credential still there (%v)", what, err)
			}
		}
		if err := w.eng.RevokeWebRTC(w.ctx(), other, agent.Agent); !errors.Is(err, dialer.ErrForbidden) {
			t.Fatalf("another agent's revoke: %v", err)
		}
		if err := w.eng.RevokeWebRTC(w.ctx(), agent, agent.Agent); err != nil {
			t.Fatal(err)
		}
		gone("revoked")

		// A session's logout revokes it.
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC}})
		if _, err := w.eng.IssueWebRTC(w.ctx(), agent, agent.Agent); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.Logout(w.ctx(), agent, agent.Agent); err != nil {
			t.Fatal(err)
		}
		gone("logged out")

		// A disabled seat gets none.
		ag.Disabled = true
		if _, err := w.db.UpdateAgent(w.ctx(), ag, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.eng.IssueWebRTC(w.ctx(), sup, agent.Agent); !errors.Is(err, dialer.ErrDisabled) {
			t.Fatalf("disabled seat: %v", err)
		}
	})
}

// TestMediaQuality: a logged-in agent's softphone report is in its view
// for supervisors, published again only when its figures change, and
// gone at logout.
func TestMediaQuality(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		agent, other := w.actor("1001"), w.actor("1002")
		report := dialer.MediaQuality{Registered: true, PacketLossPct: 0.4, JitterMs: 3.1, RTTMs: 42, AudioInput: "Mic"}
		if err := w.eng.ReportMediaQuality(w.ctx(), agent, agent.Agent, report); !errors.Is(err, dialer.ErrConflict) {
			t.Fatalf("report before login: %v", err)
		}
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC}})
		if err := w.eng.ReportMediaQuality(w.ctx(), other, agent.Agent, report); !errors.Is(err, dialer.ErrForbidden) {
			t.Fatalf("another agent's report: %v", err)
		}
		var fe *dialer.FieldError
		bad := report
		bad.JitterMs = -1
		if err := w.eng.ReportMediaQuality(w.ctx(), agent, agent.Agent, bad); !errors.As(err, &fe) || fe.Field != "jitter_ms" {
			t.Fatalf("bad report: %v", err)
		}

		mediaViews := func() []dialer.MediaQuality {
			var out []dialer.MediaQuality
			for _, ev := range w.events.All() {
				if ev.Type == dialer.EvAgentState && ev.Agent == agent.Agent && ev.AgentView.Media != nil {
					out = append(out, *ev.AgentView.Media)
				}
			}
			return out
		}
		if err := w.eng.ReportMediaQuality(w.ctx(), agent, agent.Agent, report); err != nil {
			t.Fatal(err)
		}
		waitFor(t, w.within(3*time.Second), "report published", func() bool { return len(mediaViews()) == 1 })
		got := mediaViews()[0]
		if !got.Registered || got.PacketLossPct != 0.4 || got.JitterMs != 3.1 || got.RTTMs != 42 || got.AudioInput != "Mic" || got.At.IsZero() {
			t.Fatalf("published %+v", got)
		}
		send := func(q dialer.MediaQuality) {
			t.Helper()
			if err := w.eng.ReportMediaQuality(w.ctx(), agent, agent.Agent, q); err != nil {
				t.Fatal(err)
			}
		}
		// The same figures, then a wobble: nothing new to show yet, though
		// the view has the latest.
		send(report)
		wobble := report
		wobble.JitterMs = 4
		send(wobble)
		if m := w.view("1001").Media; m == nil || m.JitterMs != 4 {
			t.Fatalf("view's media %+v", m)
		}
		report.Registered, report.Error = false, "registration lost"
		send(report)
		waitFor(t, w.within(3*time.Second), "change published", func() bool { return len(mediaViews()) >= 2 })
		if n := len(mediaViews()); n != 2 {
			t.Fatalf("%d views with a report, want 2: an unchanged or wobbling report was published", n)
		}
		if m := w.view("1001").Media; m == nil || m.Registered || m.Error != "registration lost" {
			t.Fatalf("view's media %+v", m)
		}
		// A wobble waits for the next half minute.
		report.RTTMs = 50
		send(report)
		time.Sleep(31 * time.Second)
		report.RTTMs = 51
		send(report)
		waitFor(t, w.within(3*time.Second), "late wobble published", func() bool { return len(mediaViews()) == 3 })
		if m := mediaViews()[2]; m.RTTMs != 51 {
			t.Fatalf("published %+v", m)
		}

		if err := w.eng.Logout(w.ctx(), agent, agent.Agent); err != nil {
			t.Fatal(err)
		}
		if m := w.view("1001").Media; m != nil {
			t.Fatalf("after logout: %+v", m)
		}
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC}})
		if m := w.view("1001").Media; m != nil {
			t.Fatalf("a new session shows the last one's report: %+v", m)
		}
	})
}
