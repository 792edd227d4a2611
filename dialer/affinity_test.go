package dialer_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

func (w *world) simOn(node string) *sim.Server {
	if node == "sim2" {
		return w.sim2
	}
	return w.sim
}

// nodeOf is the switch node a channel was created on ("" if neither).
func (w *world) nodeOf(leg dialer.LegID) string {
	if _, ok := w.sim.Channel(string(leg)); ok {
		return "sim"
	}
	if _, ok := w.sim2.Channel(string(leg)); ok {
		return "sim2"
	}
	return ""
}

// lineNode waits for a persistent agent's line and returns its node.
func (w *world) lineNode(ext string) string {
	w.t.Helper()
	node := ""
	waitFor(w.t, 3*time.Second, "line of "+ext, func() bool {
		for name, s := range map[string]*sim.Server{"sim": w.sim, "sim2": w.sim2} {
			for _, c := range s.Commands() {
				if strings.Contains(c, "}user/"+ext+" &park()") && strings.Contains(c, "agentswitch_agent_id=") {
					node = name
				}
			}
		}
		return node != ""
	})
	return node
}

// bridges lists the uuid_bridge commands both nodes received.
func (w *world) bridges() []string {
	var out []string
	for _, s := range []*sim.Server{w.sim, w.sim2} {
		for _, c := range s.Commands() {
			if strings.HasPrefix(c, "api uuid_bridge ") {
				line, _, _ := strings.Cut(c, "\n")
				out = append(out, line)
			}
		}
	}
	return out
}

// settle waits until node holds only want channels (the client sends a
// new call to the node with the fewest).
func (w *world) settle(node string, want int) {
	w.t.Helper()
	waitFor(w.t, 3*time.Second, "channels on "+node, func() bool {
		for _, n := range w.esl.Nodes() {
			if n.Name == node {
				return n.Channels == want
			}
		}
		return false
	})
}

// leadNode waits for a call's lead channel and returns its node.
func (w *world) leadNode(v dialer.CallView) string {
	w.t.Helper()
	lead := w.party(v, dialer.LegLead).Leg
	node := ""
	waitFor(w.t, 3*time.Second, "lead channel", func() bool { node = w.nodeOf(lead); return node != "" })
	return node
}

// TestLeadNotBridgedToALineOnAnotherNode: a persistent agent's line is on
// one node, the lead is answered on the other. The lead is never bridged
// to that line: it is abandoned, or goes to a ring-mode agent whose phone
// is rung from the lead's node. A reservation the store let through (it
// did not know the line's node) is released without pausing the agent.
func TestLeadNotBridgedToALineOnAnotherNode(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{twoNodes: true})
		ctx := w.ctx()
		persistent := w.agents["1002"].ID
		w.ready("1002", dialer.ModePersistent)
		lineNode := w.lineNode("1002")

		// Only the line on the other node: the lead waits, then is abandoned.
		v := w.start("+15550007001", 0)
		if n := w.leadNode(v); n == lineNode {
			t.Fatalf("the lead went to the line's node %s: the switch client places a new call on the least loaded node", n)
		}
		waitFor(t, 5*time.Second, "call ended", func() bool { return w.call(v.ID).State == dialer.LiveEnded })
		if c, _ := w.record(v.ID); c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("outcome %s, want abandoned", c.Outcome)
		}
		if b := w.bridges(); len(b) != 0 {
			t.Fatalf("bridged across nodes: %v", b)
		}
		if st := w.events.AgentStates(persistent); slices.Contains(st, "RESERVED") {
			t.Fatalf("the agent on the other node was reserved: %v", st)
		}

		// A ring-mode agent takes the next lead, rung from the lead's node.
		w.ready("1001", dialer.ModeRing)
		other := "sim"
		if lineNode == "sim" {
			other = "sim2"
		}
		w.settle(other, 0)
		v = w.start("+15550007002", 0)
		leadNode := w.leadNode(v)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		ag := w.party(v, dialer.LegAgent)
		if v.Agent != w.agents["1001"].ID || w.nodeOf(ag.Leg) != leadNode || leadNode == lineNode {
			t.Fatalf("agent %d, agent leg on %q, lead on %q, line on %q", v.Agent, w.nodeOf(ag.Leg), leadNode, lineNode)
		}
		if st := w.events.AgentStates(persistent); slices.Contains(st, "RESERVED") {
			t.Fatalf("the agent on the other node was reserved: %v", st)
		}
		w.simOn(leadNode).Hangup(string(w.party(v, dialer.LegLead).Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(ctx, w.actor("1001"), v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)

		// The store forgot where the line is: the engine releases the agent
		// it was given (READY, not paused) and the lead goes to 1001.
		if err := w.live.SetLineNode(ctx, persistent, ""); err != nil {
			t.Fatal(err)
		}
		w.settle(other, 0)
		seen := len(w.events.AgentStates(persistent))
		before, err := w.live.Agent(ctx, persistent)
		if err != nil {
			t.Fatal(err)
		}
		v = w.start("+15550007003", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != w.agents["1001"].ID {
			t.Fatalf("lead went to agent %d", v.Agent)
		}
		// Reserved and released: two transitions, and READY in its place.
		if after, err := w.live.Agent(ctx, persistent); err != nil || after.Seq != before.Seq+2 || after.State != dialer.AgentReady || !after.IdleSince.Equal(before.IdleSince) {
			t.Fatalf("agent 1002 before %+v, after %+v, %v", before, after, err)
		}
		if st := w.events.AgentStates(persistent)[seen:]; slices.Contains(st, "PAUSED") || slices.Contains(st, "INCALL") {
			t.Fatalf("the agent on the other node was paused or bridged: %v", st)
		}
		if w.state("1002") != dialer.AgentReady {
			t.Fatalf("agent 1002 is %s", w.state("1002"))
		}
		for _, b := range w.bridges() {
			if strings.Contains(b, string(w.party(v, dialer.LegLead).Leg)) && !strings.Contains(b, string(w.party(v, dialer.LegAgent).Leg)) {
				t.Fatalf("lead bridged to another leg: %s", b)
			}
		}
	})
}

// TestEachLeadGoesToALineOnItsNode: persistent agents on both nodes; the
// one on the other node has waited longer, yet each lead goes to the line
// on its own node.
func TestEachLeadGoesToALineOnItsNode(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{twoNodes: true})
		ctx := w.ctx()
		for _, ext := range []string{"1002", "1003"} {
			if _, err := w.eng.Login(ctx, w.actor(ext), w.agents[ext].ID, dialer.LoginRequest{Mode: dialer.ModePersistent}); err != nil {
				t.Fatal(err)
			}
			w.lineNode(ext)
		}
		lines := map[string]string{w.lineNode("1002"): "1002", w.lineNode("1003"): "1003"}
		if len(lines) != 2 {
			t.Fatalf("both lines on one node: %v", lines)
		}
		// The lead rings long enough to make the agents READY in an order
		// that puts the other node's agent first in line.
		for _, s := range []*sim.Server{w.sim, w.sim2} {
			s.SetEndpoint("+15550007101", sim.Behavior{AnswerAfter: time.Second})
		}
		v1 := w.start("+15550007101", 0)
		n1 := w.leadNode(v1)
		n2 := "sim"
		if n1 == "sim" {
			n2 = "sim2"
		}
		for _, ext := range []string{lines[n2], lines[n1]} {
			if _, err := w.eng.SetReady(ctx, w.actor(ext), w.agents[ext].ID); err != nil {
				t.Fatal(err)
			}
			w.waitState(ext, dialer.AgentReady)
		}
		v1 = w.waitCall(v1.ID, dialer.LiveConnected)
		if v1.Agent != w.agents[lines[n1]].ID {
			t.Fatalf("lead on %s went to agent %d, want %s (its line is on %s)", n1, v1.Agent, lines[n1], n1)
		}
		// The second lead goes to the less loaded node, and to its line.
		v2 := w.start("+15550007102", 0)
		if n := w.leadNode(v2); n != n2 {
			t.Fatalf("second lead on %s, want %s", n, n2)
		}
		v2 = w.waitCall(v2.ID, dialer.LiveConnected)
		if v2.Agent != w.agents[lines[n2]].ID {
			t.Fatalf("lead on %s went to agent %d, want %s", n2, v2.Agent, lines[n2])
		}
		for _, v := range []dialer.CallView{v1, v2} {
			if w.nodeOf(w.party(v, dialer.LegAgent).Leg) != w.nodeOf(w.party(v, dialer.LegLead).Leg) {
				t.Fatalf("call %s bridged across nodes", v.ID)
			}
		}
	})
}

// TestTransferToALineOnAnotherNodeRefused: a transfer or a party to a
// persistent agent whose line is on another node is refused with a field
// error; the call goes on with its agent.
func TestTransferToALineOnAnotherNodeRefused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{twoNodes: true})
		ctx := w.ctx()
		w.ready("1002", dialer.ModePersistent)
		lineNode := w.lineNode("1002")
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550007201", w.agents["1001"].ID)
		if n := w.leadNode(v); n == lineNode {
			t.Fatalf("lead on the line's node %s", n)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		w.waitState("1001", dialer.AgentInCall)
		a := w.actor("1001")
		target := dialer.TransferTarget{Agent: w.agents["1002"].ID}
		var fe *dialer.FieldError
		err := w.eng.BlindTransfer(ctx, a, v.ID, target)
		if !errors.As(err, &fe) || fe.Field != "agent_id" || fe.Reason != "that agent's line is on another switch node" {
			t.Fatalf("blind transfer: %v", err)
		}
		_, err = w.eng.AddParty(ctx, a, v.ID, target)
		if !errors.As(err, &fe) || fe.Field != "agent_id" || fe.Reason != "that agent's line is on another switch node" {
			t.Fatalf("add party: %v", err)
		}
		if got := w.call(v.ID); got.State != dialer.LiveConnected || got.Agent != a.Agent {
			t.Fatalf("call after the refusals: %+v", got)
		}
		if w.state("1002") != dialer.AgentReady {
			t.Fatalf("agent 1002 is %s", w.state("1002"))
		}
		if b := w.bridges(); len(b) != 1 {
			t.Fatalf("bridges %v, want the lead's with 1001 only", b)
		}
	})
}

// TestPersistentManualDialStaysOnItsNode: a manual dial on a persistent
// line is a call on the line's node: a party added to it is dialed there.
func TestPersistentManualDialStaysOnItsNode(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{twoNodes: true})
		ctx := w.ctx()
		a := w.actor("1002")
		if _, err := w.eng.Login(ctx, a, a.Agent, dialer.LoginRequest{Mode: dialer.ModePersistent}); err != nil {
			t.Fatal(err)
		}
		lineNode := w.lineNode("1002")
		waitFor(t, 3*time.Second, "line up", func() bool {
			v, err := w.eng.AgentView(ctx, a.Agent)
			return err == nil && v.PhoneConnected
		})
		v, err := w.eng.ManualDial(ctx, a, a.Agent, dialer.ManualDialRequest{Number: "+15550007301"})
		if err != nil {
			t.Fatal(err)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		p, err := w.eng.AddParty(ctx, a, v.ID, dialer.TransferTarget{Number: "+15550007302"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "party dialed", func() bool { return w.nodeOf(p.Leg) != "" })
		if n := w.nodeOf(p.Leg); n != lineNode {
			t.Fatalf("party dialed on %s, the call is on %s", n, lineNode)
		}
	})
}
