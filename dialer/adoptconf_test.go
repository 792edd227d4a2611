package dialer_test

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestRestartAdoptsConference: a three-way call (the lead, agent 1001, a
// number, and agent 1002 on its persistent line) when the service
// restarts is taken back in its room: live in conference with every
// party, both agents INCALL on it, a party can be removed and the agent
// can leave (their member ids are known again), and the end is recorded.
func TestRestartAdoptsConference(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModePersistent)
		line := w.lineLeg("1002")
		a := w.actor("1001")
		v := w.waitCall(w.start("+15550009191", w.agents["1001"].ID).ID, dialer.LiveConnected)
		lead := w.party(v, dialer.LegLead).Leg
		num := w.addParty(a, v.ID, dialer.TransferTarget{Number: "+15550009192"})
		w.addParty(a, v.ID, dialer.TransferTarget{Agent: w.agents["1002"].ID})
		room := roomOf(v.ID)
		waitFor(t, 3*time.Second, "four in the room", func() bool { return len(w.sim.Conferences()[room]) == 4 })
		w.waitState("1002", dialer.AgentInCall)

		w.restartEngine()

		for _, ext := range []string{"1001", "1002"} {
			if st, err := w.eng.AgentView(w.ctx(), w.agents[ext].ID); err != nil || st.State != dialer.AgentInCall || st.Call != v.ID {
				t.Fatalf("agent %s after restart: %+v %v, want INCALL on %s", ext, st, err, v.ID)
			}
		}
		got := w.call(v.ID)
		if got.State != dialer.LiveConference || got.Agent != a.Agent {
			t.Fatalf("adopted call %+v, want in conference with agent 1001", got)
		}
		legs := map[dialer.LegID]bool{}
		for _, p := range got.Parties {
			legs[p.Leg] = true
		}
		if !legs[lead] || !legs[num.Leg] || !legs[line] {
			t.Fatalf("parties after restart %+v; want the lead, the number and 1002's line", got.Parties)
		}
		w.sim.ResetCommands()
		if err := w.eng.RemoveParty(w.ctx(), a, v.ID, num.Leg); err != nil {
			t.Fatal(err)
		}
		if w.sentPrefix("api conference "+room+" kick ") == "" {
			t.Fatal("the number was not kicked")
		}
		waitFor(t, 3*time.Second, "the number gone", func() bool { return w.gone(num.Leg) })
		w.sim.ResetCommands()
		if err := w.eng.Leave(w.ctx(), a, v.ID); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		// The lead talks on with 1002; its hangup ends the call.
		w.sim.Hangup(string(lead), "NORMAL_CLEARING")
		w.waitState("1002", dialer.AgentDispo)
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.HangupCause != "NORMAL_CLEARING" || c.BillsecEstimated {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "conference", "adopted", "party_removed", "agent_left", "ended")
		waitFor(t, 3*time.Second, "1002's line parked", func() bool {
			ci, ok := w.sim.Channel(string(line))
			return ok && !ci.HungUp
		})
	})
}

// TestRestartAdoptsConferenceAgentLeft: after a warm transfer (the agent
// left the lead with a number) the call is taken back with the two of
// them; the agent stays in wrap-up, and the number's hangup ends the call.
func TestRestartAdoptsConferenceAgentLeft(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.waitCall(w.start("+15550009291", 0).ID, dialer.LiveConnected)
		num := w.addParty(a, v.ID, dialer.TransferTarget{Number: "+15550009292"})
		w.leave(a, v.ID)
		w.waitState("1001", dialer.AgentDispo)

		w.restartEngine()

		if st := w.state("1001"); st != dialer.AgentDispo {
			t.Fatalf("agent after restart: %s, want DISPO", st)
		}
		got := w.call(v.ID)
		if got.State != dialer.LiveConference || !got.AgentLeft {
			t.Fatalf("adopted call %+v, want in conference without its agent", got)
		}
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)
		// The number hangs up: nobody is left for the lead, which is hung up.
		w.sim.Hangup(string(num.Leg), "NORMAL_CLEARING")
		waitFor(t, 3*time.Second, "call ended", func() bool { return w.call(v.ID).State == dialer.LiveEnded })
		if c, _ := w.record(v.ID); c.Outcome != dialer.OutcomeAnswered || c.Disposition != "SALE" || c.EndedAt.IsZero() {
			t.Fatalf("record %+v", c)
		}
	})
}
