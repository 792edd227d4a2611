package dialer_test

import (
	"errors"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestTransferToUnknownQueueRefused: a transfer to a queue that does not
// exist, and a conference with a queue, are refused by their field, and
// the call goes on with its agent as before.
func TestTransferToUnknownQueueRefused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.waitCall(w.start("+15550006161", 0).ID, dialer.LiveConnected)
		w.sim.ResetCommands()
		target := dialer.TransferTarget{Queue: 3}
		_, partyErr := w.eng.AddParty(w.ctx(), a, v.ID, target)
		for what, err := range map[string]error{
			"blind transfer": w.eng.BlindTransfer(w.ctx(), a, v.ID, target),
			"conference":     partyErr,
		} {
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != "queue_id" {
				t.Errorf("%s to a queue: %v, want a queue_id field error", what, err)
			}
		}
		if st := w.state("1001"); st != dialer.AgentInCall {
			t.Errorf("agent %s after the refusals, want INCALL", st)
		}
		if c := w.call(v.ID); c.State != dialer.LiveConnected || c.Agent != a.Agent {
			t.Errorf("call after the refusals %+v", c)
		}
		if cmds := w.commands(); len(cmds) != 0 {
			t.Errorf("the refusals reached the switch: %q", cmds)
		}
	})
}

// TestLiveAgents: the views in memory follow logins, states and logouts.
func TestLiveAgents(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		find := func(id dialer.AgentID) (dialer.AgentView, bool) {
			for _, v := range w.eng.LiveAgents() {
				if v.ID == id {
					return v, true
				}
			}
			return dialer.AgentView{}, false
		}
		ann := w.agents["1001"].ID
		if v, ok := find(ann); ok {
			t.Fatalf("an agent never logged in is live: %+v", v)
		}
		w.ready("1001", dialer.ModeRing)
		if v, ok := find(ann); !ok || v.State != dialer.AgentReady || v.Extension != "1001" || v.Name == "" {
			t.Fatalf("after ready: %+v %v", v, ok)
		}
		if err := w.eng.Logout(w.ctx(), w.actor("1001"), ann); err != nil {
			t.Fatal(err)
		}
		if v, ok := find(ann); ok {
			t.Fatalf("after logout: %+v", v)
		}
	})
}
