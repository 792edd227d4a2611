package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agentswitch/agentswitch/api"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/pbx"
)

// simCallers places the API's simulated callers on the built-in switch.
type simCallers struct {
	sim *sim.Server
}

var _ api.SimSwitch = (*simCallers)(nil)

// Call gives the simulator the DID's dialplan as xml_curl would give
// FreeSWITCH, then has the caller dial the DID.
func (s *simCallers) Call(d dialer.DID, c api.SimCall) (string, error) {
	apps, err := inlineDialplan(pbx.DIDActions(d))
	if err != nil {
		return "", err
	}
	// Set on every call: the DID may have changed since the last.
	s.sim.SetExtension(d.Number, apps)
	return s.sim.Inbound(sim.InboundCall{From: c.From, FromName: c.Name, To: d.Number,
		Context: pbxnames.ContextInbound, HangupAfter: c.HangupAfter}), nil
}

// Hangup ends a caller on one of the DIDs, never another channel.
func (s *simCallers) Hangup(leg string) bool {
	ch, ok := s.sim.Channel(leg)
	if !ok || ch.HungUp || ch.Direction != "inbound" || ch.Vars[pbxnames.VarDID] == "" {
		return false
	}
	return s.sim.Hangup(leg, "NORMAL_CLEARING")
}

// inlineDialplan writes actions as the simulator's inline dialplan,
// "app:data,app"; when data has a comma (a DID's skills), the separator is
// ^ instead, declared by a leading "m:^:" as FreeSWITCH reads it.
func inlineDialplan(actions []pbx.Action) (string, error) {
	sep := ","
	if slices.ContainsFunc(actions, func(a pbx.Action) bool { return strings.Contains(a.Data, ",") }) {
		sep = "^"
	}
	parts := make([]string, len(actions))
	for i, a := range actions {
		// The DID's fields are validated when stored; a separator would
		// split an action in two.
		if strings.Contains(a.Data, sep) {
			return "", fmt.Errorf("dialplan action %s: %q has a %s", a.App, a.Data, sep)
		}
		parts[i] = a.App
		if a.Data != "" {
			parts[i] += ":" + a.Data
		}
	}
	out := strings.Join(parts, sep)
	if sep != "," {
		out = "m:" + sep + ":" + out
	}
	return out, nil
}
