package dialer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestRemovedPartyCountedOnce: with two third parties in the room, one is
// removed (kicked, then its channel hangs up) and the agent leaves: the
// lead talks on with the other; it is not hung up as if nobody were left.
func TestRemovedPartyCountedOnce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.waitCall(w.start("+15550009391", 0).ID, dialer.LiveConnected)
		lead := w.party(v, dialer.LegLead).Leg
		one := w.addParty(a, v.ID, dialer.TransferTarget{Number: "+15550009392"})
		two := w.addParty(a, v.ID, dialer.TransferTarget{Number: "+15550009393"})
		room := roomOf(v.ID)
		waitFor(t, 3*time.Second, "four in the room", func() bool { return len(w.sim.Conferences()[room]) == 4 })
		waitFor(t, 3*time.Second, "the parties joined", func() bool {
			joined := 0
			for _, p := range w.call(v.ID).Parties {
				if p.Role == dialer.LegThird && p.State == dialer.LegUp {
					joined++
				}
			}
			return joined == 2
		})
		if err := w.eng.RemoveParty(w.ctx(), a, v.ID, one.Leg); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "the removed party gone", func() bool { return w.gone(one.Leg) })
		w.leave(a, v.ID)
		w.waitState("1001", dialer.AgentDispo)
		time.Sleep(5 * time.Second) // virtual: anything that would drop the lead has happened
		if w.gone(lead) || w.gone(two.Leg) || w.call(v.ID).State != dialer.LiveConference {
			t.Fatalf("after the agent left: lead gone %v, second party gone %v, call %+v", w.gone(lead), w.gone(two.Leg), w.call(v.ID))
		}
		w.sim.Hangup(string(two.Leg), "NORMAL_CLEARING")
		waitFor(t, 3*time.Second, "the lead hung up after the last party", func() bool { return w.gone(lead) })
	})
}

// addParty brings target into the call's room.
func (w *world) addParty(a dialer.Actor, id dialer.CallID, target dialer.TransferTarget) dialer.PartyView {
	w.t.Helper()
	p, err := w.eng.AddParty(w.ctx(), a, id, target)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// leave takes the agent out of the room once someone else is in it (Leave
// is refused until then).
func (w *world) leave(a dialer.Actor, id dialer.CallID) {
	w.t.Helper()
	waitFor(w.t, 3*time.Second, "leave accepted", func() bool {
		err := w.eng.Leave(w.ctx(), a, id)
		if err != nil && !errors.Is(err, dialer.ErrConflict) {
			w.t.Fatal(err)
		}
		return err == nil
	})
}

// roomOf is the call's conference room on the switch.
func roomOf(id dialer.CallID) string { return "call-" + string(id)[:8] + string(id)[9:13] }
