package pbx

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
)

// TestAgentChanged: which changes of a seat FreeSWITCH is told about, and
// how.
func TestAgentChanged(t *testing.T) {
	seat := dialer.Agent{Extension: "1001", Realm: "pbx.example.com"}
	moved, disabled, renamed := seat, seat, seat
	moved.Extension = "1002"
	disabled.Disabled = true
	renamed.Name = "Ann B."
	flush := func(ext string) string { return "fs1: xml_flush_cache id " + ext + " pbx.example.com" }
	unreg := "fs1: sofia profile agents flush_inbound_reg 1001@pbx.example.com reboot"
	for _, c := range []struct {
		name     string
		after    dialer.Agent
		password bool
		status   string
		sent     []string
	}{
		{"name only", renamed, false, dialer.ReloadNotNeeded, nil},
		{"password", seat, true, dialer.ReloadApplied, []string{flush("1001"), unreg}},
		{"disabled", disabled, false, dialer.ReloadApplied, []string{flush("1001"), unreg}},
		{"extension", moved, true, dialer.ReloadApplied, []string{flush("1001"), unreg, flush("1002")}},
	} {
		sw := &fakeSwitch{nodes: []esl.NodeStatus{{Name: "fs1", Up: true}}}
		r := NewService(ServiceConfig{Switch: sw}).AgentChanged(t.Context(), seat, c.after, c.password)
		if r.Status != c.status || !slices.Equal(sw.sent, c.sent) {
			t.Errorf("%s: %+v sent %q, want %s %q", c.name, r, sw.sent, c.status, c.sent)
		}
	}
	if r := NewService(ServiceConfig{}).AgentChanged(t.Context(), seat, disabled, false); r.Status != dialer.ReloadSkipped {
		t.Errorf("no switch: %+v", r)
	}
	down := &fakeSwitch{nodes: []esl.NodeStatus{{Name: "fs1"}}}
	if r := NewService(ServiceConfig{Switch: down}).AgentChanged(t.Context(), seat, disabled, false); r.Status != dialer.ReloadFailed || !strings.Contains(r.Error, "fs1 is down") {
		t.Errorf("node down: %+v", r)
	}
}

// TestCheckGateway: what the switch cannot take in a gateway is refused
// naming the field.
func TestCheckGateway(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name  string
		patch dialer.GatewayPatch
		field string // "" accepted
	}{
		{"plain", dialer.GatewayPatch{Password: str("s3cret")}, ""},
		{"no password change", dialer.GatewayPatch{}, ""},
		{"bad name", dialer.GatewayPatch{Name: str("-gw")}, "name"},
		{"space in password", dialer.GatewayPatch{Password: str("a b")}, "password"},
		{"variable syntax in password", dialer.GatewayPatch{Password: str("x${y}")}, "password"},
		{"separator in password", dialer.GatewayPatch{Password: str("a,b")}, "password"},
		{"non-ASCII password", dialer.GatewayPatch{Password: str("pässword")}, "password"},
		{"bad proxy", dialer.GatewayPatch{Proxy: str("sip carrier")}, "proxy"},
	} {
		g := dialer.Gateway{Name: "carrier1", Proxy: "sip.carrier.example", Transport: "udp", ExpireSeconds: 600}
		c.patch.Apply(&g)
		err := checkGateway(g, c.patch)
		var fe *dialer.FieldError
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}
