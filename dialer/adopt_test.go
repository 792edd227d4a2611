package dialer_test

import (
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// TestRestartAdoptsBridgedCall: a call still talking on the switch when
// the service restarts is taken back: it is live again at once, its agent
// stays INCALL with it, every control works, and its end is recorded with
// the switch's talk time (the engine's clock moved a minute meanwhile, the
// switch's a second).
func TestRestartAdoptsBridgedCall(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		clk := clock.NewManual(time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC))
		w := newWorldWith(t, worldOpts{now: clk.Now})
		a := w.actor("1001")
		started := time.Now() // before the switch's answer
		v := w.talk("1001", "+15550006161")
		talking := time.Now() // after it
		lead, agentLeg := w.party(v, dialer.LegLead).Leg, w.party(v, dialer.LegAgent).Leg
		if err := w.eng.Hold(w.ctx(), a, v.ID, true); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)

		w.restartEngine()

		got, err := w.eng.AgentView(w.ctx(), a.Agent) // answers once start-up is done
		if err != nil {
			t.Fatal(err)
		}
		if got.State != dialer.AgentInCall || got.Call != v.ID {
			t.Fatalf("agent after restart: %s on %q, want INCALL on %s", got.State, got.Call, v.ID)
		}
		i := slices.IndexFunc(w.eng.LiveCalls(w.ctx()), func(c dialer.CallView) bool { return c.ID == v.ID })
		if i < 0 {
			t.Fatalf("call %s not live after restart: %+v", v.ID, w.eng.LiveCalls(w.ctx()))
		}
		av := w.eng.LiveCalls(w.ctx())[i]
		if av.State != dialer.LiveConnected || av.Agent != a.Agent || !av.Held || w.party(av, dialer.LegLead).Leg != lead || w.party(av, dialer.LegAgent).Leg != agentLeg {
			t.Fatalf("adopted call %+v", av)
		}
		w.sim.ResetCommands()
		if err := w.eng.Hold(w.ctx(), a, v.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.Mute(w.ctx(), a, v.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.SendDTMF(w.ctx(), a, v.ID, "12"); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.Record(w.ctx(), a, v.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"api uuid_break " + string(lead) + " all", "api uuid_audio " + string(agentLeg) + " start read mute 1",
			"api uuid_send_dtmf " + string(lead) + " 12"} {
			w.mustSend(cmd)
		}
		waitFor(t, 3*time.Second, "recording", func() bool { return w.call(v.ID).Recording })
		waitFor(t, 3*time.Second, "a second of talk", func() bool { return time.Since(talking) > 1100*time.Millisecond })

		// The lead hangs up: the end is recorded from the switch's times.
		w.sim.Hangup(string(lead), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.HangupCause != "NORMAL_CLEARING" || c.BillsecEstimated || c.SwitchLost {
			t.Fatalf("record %+v", c)
		}
		if talked := int(time.Since(started)/time.Second) + 1; c.Billsec < 1 || c.Billsec > talked {
			t.Fatalf("billsec %d, want the switch's talk time (1..%d s), not the engine's minute", c.Billsec, talked)
		}
		inOrder(t, "timeline", kinds, "bridged", "hold", "adopted", "unhold", "mute", "dtmf", "recording_started", "ended")
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)

		// A disposition accepted before a restart is kept.
		w.restartEngine()
		if c, _ := w.record(v.ID); c.Disposition != "SALE" {
			t.Fatalf("disposition after restart: %+v", c)
		}
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("agent after second restart: %s", st)
		}
	})
}

// TestRestartAdoptedCallAgentHangsUp: the agent of an adopted call hangs
// up; the lead is hung up and the agent wraps up, as on any call.
func TestRestartAdoptedCallAgentHangsUp(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		v := w.talk("1001", "+15550006262")
		lead := w.party(v, dialer.LegLead).Leg
		w.restartEngine()
		w.waitState("1001", dialer.AgentInCall)
		if err := w.eng.Hangup(w.ctx(), w.actor("1001"), v.ID); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		c, _ := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.BillsecEstimated {
			t.Fatalf("record %+v", c)
		}
		waitFor(t, 3*time.Second, "lead hung up", func() bool { return w.gone(lead) })
	})
}

// TestRestartAdoptsPersistentLine: a persistent agent's call is taken
// back with the agent's line (recorded with an earlier call, found on the
// switch through the lead's bridge), which carries the next call too.
func TestRestartAdoptsPersistentLine(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		a := w.actor("1002")
		line := w.lineAfterACall("1002", "+15550006363")
		v := w.waitCall(w.start("+15550006364", 0).ID, dialer.LiveConnected)
		lead := w.party(v, dialer.LegLead).Leg

		w.restartEngine()

		if st := w.state("1002"); st != dialer.AgentInCall {
			t.Fatalf("agent after restart: %s", st)
		}
		if got := w.call(v.ID); got.State != dialer.LiveConnected || w.party(got, dialer.LegAgent).Leg != line {
			t.Fatalf("adopted call %+v, want connected on line %s", got, line)
		}
		if err := w.eng.Mute(w.ctx(), a, v.ID, true); err != nil {
			t.Fatal(err)
		}
		w.mustSend("api uuid_audio " + string(line) + " start read mute 1")
		w.sim.Hangup(string(lead), "NORMAL_CLEARING")
		w.waitState("1002", dialer.AgentDispo)
		waitFor(t, 3*time.Second, "line parked", func() bool {
			ci, ok := w.sim.Channel(string(line))
			return ok && !ci.HungUp && ci.Parked
		})
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1002", dialer.AgentReady)
		w.sim.ResetCommands()
		next := w.waitCall(w.start("+15550006365", 0).ID, dialer.LiveConnected)
		if w.party(next, dialer.LegAgent).Leg != line || w.count("bgapi originate") != 1 {
			w.dump()
			t.Fatalf("next call %+v; the line must carry it without ringing the agent again (%d originates)", next, w.count("bgapi originate"))
		}
	})
}

// TestRestartClosesHalfBuiltCalls: a call that cannot go on after a
// restart (the lead rings or waits, the agent rings or left, nothing is
// left of it) is closed: what is left is hung up, the record gets an end
// and an outcome, and an agent bound to it is paused with CALL_LOST.
func TestRestartClosesHalfBuiltCalls(t *testing.T) {
	cases := []struct {
		name string
		// setUp starts the call and returns it; between runs while no
		// engine runs.
		setUp     func(w *world) (v dialer.CallView, between func())
		agent     bool // 1001 was bound to the call
		outcome   dialer.CallOutcome
		estimated bool
	}{
		{name: "lead ringing", outcome: dialer.OutcomeCancelled, setUp: func(w *world) (dialer.CallView, func()) {
			w.sim.SetEndpoint("+15550007171", sim.Behavior{AnswerAfter: time.Minute})
			v := w.start("+15550007171", 0)
			w.waitCall(v.ID, dialer.LiveRinging)
			return v, nil
		}},
		{name: "lead waiting for an agent", outcome: dialer.OutcomeAbandoned, setUp: func(w *world) (dialer.CallView, func()) {
			v := w.start("+15550007272", 0)
			w.waitCall(v.ID, dialer.LiveWaiting)
			return v, nil
		}},
		{name: "agent ringing", agent: true, outcome: dialer.OutcomeAbandoned, setUp: func(w *world) (dialer.CallView, func()) {
			w.sim.SetEndpoint("1001", sim.Behavior{AnswerAfter: time.Minute})
			w.ready("1001", dialer.ModeRing)
			v := w.start("+15550007373", 0)
			w.waitState("1001", dialer.AgentRinging)
			return v, nil
		}},
		{name: "agent left", agent: true, outcome: dialer.OutcomeAnswered, setUp: func(w *world) (dialer.CallView, func()) {
			v := w.talk("1001", "+15550007474")
			leg := w.party(v, dialer.LegAgent).Leg
			return v, func() {
				w.sim.Hangup(string(leg), "NORMAL_CLEARING")
				waitFor(w.t, 3*time.Second, "agent leg gone", func() bool { return w.gone(leg) })
			}
		}},
		{name: "nothing left", agent: true, outcome: dialer.OutcomeAnswered, estimated: true, setUp: func(w *world) (dialer.CallView, func()) {
			v := w.talk("1001", "+15550007575")
			lead, leg := w.party(v, dialer.LegLead).Leg, w.party(v, dialer.LegAgent).Leg
			return v, func() {
				w.sim.Hangup(string(lead), "NORMAL_CLEARING")
				waitFor(w.t, 3*time.Second, "legs gone", func() bool { return w.gone(lead) && w.gone(leg) })
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = time.Minute })
				v, between := tc.setUp(w)
				var legs []dialer.LegID
				for _, p := range w.call(v.ID).Parties {
					legs = append(legs, p.Leg)
				}
				if between == nil {
					between = func() {}
				}
				w.restartEngine(between)

				got, err := w.eng.AgentView(w.ctx(), w.agents["1001"].ID)
				if err != nil {
					t.Fatal(err)
				}
				if tc.agent && (got.State != dialer.AgentPaused || got.PauseCode != dialer.PauseCallLost || got.Reason == "" || got.Call != "") {
					t.Fatalf("agent after restart: %+v, want PAUSED %s", got, dialer.PauseCallLost)
				}
				c, _ := w.record(v.ID)
				if c.Outcome != tc.outcome || c.BillsecEstimated != tc.estimated || c.EndedAt.IsZero() {
					t.Fatalf("record %+v, want outcome %s, estimated %v", c, tc.outcome, tc.estimated)
				}
				for _, l := range legs {
					waitFor(t, 3*time.Second, "leg "+string(l)+" hung up", func() bool { return w.gone(l) })
				}
				waitFor(t, 3*time.Second, "no live call", func() bool { return len(w.eng.LiveCalls(w.ctx())) == 0 })
			})
		})
	}
}

// talk has the agent READY in ring mode take a call to number.
func (w *world) talk(ext, number string) dialer.CallView {
	w.t.Helper()
	w.ready(ext, dialer.ModeRing)
	v := w.start(number, 0)
	return w.waitCall(v.ID, dialer.LiveConnected)
}
