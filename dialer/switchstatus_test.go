package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

func gatewayOn(eng *dialer.Engine, node, name string) (dialer.GatewayStatus, bool) {
	for _, g := range eng.GatewayStatuses() {
		if g.Node == node && g.Gateway == name {
			return g, true
		}
	}
	return dialer.GatewayStatus{}, false
}

func nodeView(eng *dialer.Engine, name string) dialer.NodeView {
	for _, n := range eng.NodeViews() {
		if n.Name == name {
			return n
		}
	}
	return dialer.NodeView{}
}

// TestSwitchStatus: the engine follows the switch's gateways from its
// sofia::gateway_state events (registering, then failing with the
// carrier's reply), seeds them from `sofia status` (a killed gateway
// goes), reads the node's health, and tells supervisors' streams, in
// the snapshot and live.
func TestSwitchStatus(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.sim.SetGatewaySource(func(context.Context, string) ([]sim.GatewayConfig, error) {
			return []sim.GatewayConfig{{Name: "trunk1", Proxy: "sip.example.net", Username: "acme", Register: true},
				{Name: "peer2", Proxy: "10.0.0.9"}}, nil
		})
		rescan, _ := esl.SofiaRescanCmd("carriers")
		if _, err := w.esl.API(w.ctx(), "sim", rescan); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "trunk1 registered", func() bool {
			g, _ := gatewayOn(w.eng, "sim", "trunk1")
			return g.Registered && g.State == "REGED" && g.PingStatus == "UP"
		})
		if g, _ := gatewayOn(w.eng, "sim", "peer2"); g.State != "NOREG" || g.Registered || g.Since.IsZero() {
			t.Fatalf("peer2 %+v", g)
		}
		waitFor(t, 3*time.Second, "node health read", func() bool { return !nodeView(w.eng, "sim").CheckedAt.IsZero() })
		if n := nodeView(w.eng, "sim"); !n.Up || n.Since.IsZero() || n.MaxSessions != 1000 || n.CoreUUID != w.sim.CoreUUID() {
			t.Fatalf("node %+v", n)
		}

		ctx, cancel := context.WithCancel(w.ctx())
		defer cancel()
		snap, evs, err := w.eng.Subscribe(ctx, dialer.LiveFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Nodes) != 1 || len(snap.Gateways) != 2 || snap.Gateways[0].Gateway != "peer2" {
			t.Fatalf("snapshot nodes %+v gateways %+v", snap.Nodes, snap.Gateways)
		}
		agentSnap, agentEvs, err := w.eng.Subscribe(ctx, dialer.LiveFilter{Agent: w.agents["1001"].ID})
		if err != nil {
			t.Fatal(err)
		}
		if agentSnap.Nodes != nil || agentSnap.Gateways != nil {
			t.Fatal("an agent's snapshot carries the switch's state")
		}

		w.sim.FailGateway("trunk1", 403, "Forbidden")
		for ev := range evs {
			if g := ev.Gateway; ev.Type == dialer.EvGatewayState && g != nil && g.Gateway == "trunk1" {
				if g.State != "FAILED" || g.Registered || g.SIPStatus != 403 || g.Phrase != "Forbidden" || g.Node != "sim" {
					t.Fatalf("gateway.state %+v", g)
				}
				break
			}
		}

		// Published to the supervisors' stream only: the agent's has
		// nothing of it (a send to a subscriber happens within publish).
		select {
		case ev := <-agentEvs:
			t.Fatalf("an agent's stream got %+v", ev)
		default:
		}

		kill, _ := esl.SofiaKillGatewayCmd("carriers", "peer2")
		if _, err := w.esl.API(w.ctx(), "sim", kill); err != nil {
			t.Fatal(err)
		}
		w.eng.RefreshGateways(w.ctx())
		if _, ok := gatewayOn(w.eng, "sim", "peer2"); ok {
			t.Fatal("peer2 still listed after killgw")
		}
		if g, _ := gatewayOn(w.eng, "sim", "trunk1"); g.State != "FAILED" {
			t.Fatalf("trunk1 %+v after the refresh", g)
		}

		// The node is lost and comes back: down, then up once more.
		w.sim.DisconnectAll()
		for ev := range evs {
			if ev.Type == dialer.EvNodeState && !ev.Node.Up {
				break
			}
		}
		waitFor(t, 10*time.Second, "node back", func() bool {
			n := nodeView(w.eng, "sim")
			return n.Up && n.Reconnects == 1
		})
	})
}

func TestParseSofiaGateways(t *testing.T) {
	status := "=====\n\tName\t   Type\t  Data\tState\n=====\n" +
		"\tinternal\tprofile\tsip:mod_sofia@127.0.0.1:5060\tRUNNING (0)\n" +
		"           carriers::trunk1\tgateway\t  sip:acme@sip.example.net\tREGED\n" +
		"            carriers::peer2\tgateway\t  sip:@10.0.0.9\tFAILED (retry: 28s)\n" +
		"=====\n1 profile 0 aliases\n"
	got := dialer.ParseSofiaGateways(status)
	want := map[string]string{"trunk1": "REGED", "peer2": "FAILED"}
	if len(got) != len(want) || got["trunk1"] != want["trunk1"] || got["peer2"] != want["peer2"] {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want dialer.NodeHealth
		ok   bool
	}{
		{"running", "UP 0 years, 1 days, 2 hours, 3 minutes, 4 seconds, 5 milliseconds, 6 microseconds\n" +
			"FreeSWITCH (Version 1.10.12) is ready\n42 session(s) since startup\n7 session(s) - peak 9, last 5min 8 \n" +
			"0 session(s) per Sec out of max 30, peak 1, last 5min 0 \n1000 session(s) max\n",
			dialer.NodeHealth{UptimeSeconds: 86400 + 2*3600 + 3*60 + 4, Sessions: 7, PeakSessions: 9, MaxSessions: 1000}, true},
		{"no max line", "UP 0 years, 0 days, 0 hours, 0 minutes, 9 seconds\n0 session(s) - peak 0, last 5min 0\n",
			dialer.NodeHealth{UptimeSeconds: 9}, true},
		{"not up", "-ERR no reply\n", dialer.NodeHealth{}, false},
		{"no sessions", "UP 0 years, 0 days\n", dialer.NodeHealth{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := dialer.ParseStatus(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
