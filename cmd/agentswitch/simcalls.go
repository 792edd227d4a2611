package main

import (
	"fmt"
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
// "app:data,app".
func inlineDialplan(actions []pbx.Action) (string, error) {
	parts := make([]string, len(actions))
	for i, a := range actions {
		// The DID's fields are validated when stored; a comma would split
		// an action in two.
		if strings.Contains(a.Data, ",") {
			return "", fmt.Errorf("dialplan action %s: %q has a comma", a.App, a.Data)
		}
		parts[i] = a.App
		if a.Data != "" {
			parts[i] += ":" + a.Data
		}
	}
	return strings.Join(parts, ","), nil
}
