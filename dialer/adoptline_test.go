package dialer_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestRestartAdoptsIdleLine: a persistent agent READY on an idle line
// when the service restarts keeps the line: still READY, its phone shown
// connected, and the next call is bridged to the same leg without ringing
// the phone again.
func TestRestartAdoptsIdleLine(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		a := w.actor("1002")
		line := w.lineAfterACall("1002", "+15550008181")

		w.restartEngine()

		v, err := w.eng.AgentView(w.ctx(), a.Agent)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != dialer.AgentReady || !v.PhoneConnected {
			t.Fatalf("agent after restart: %s, phone connected %v; want READY on its line", v.State, v.PhoneConnected)
		}
		w.sim.ResetCommands()
		next := w.waitCall(w.start("+15550008182", 0).ID, dialer.LiveConnected)
		if w.party(next, dialer.LegAgent).Leg != line || w.count("bgapi originate") != 1 {
			w.dump()
			t.Fatalf("next call %+v; the line %s must carry it without ringing the agent again (%d originates)", next, line, w.count("bgapi originate"))
		}
		// The adopted line is followed: the agent hanging up its phone pauses it.
		w.sim.Hangup(string(next.Parties[0].Leg), "NORMAL_CLEARING")
		w.waitState("1002", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), a, next.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1002", dialer.AgentReady)
		w.sim.Hangup(string(line), "NORMAL_CLEARING")
		w.waitState("1002", dialer.AgentPaused)
		if v, _ := w.eng.AgentView(w.ctx(), a.Agent); v.PauseCode != dialer.PausePhoneDown || v.PhoneConnected {
			t.Fatalf("after the line hung up: %+v, want PAUSED %s", v, dialer.PausePhoneDown)
		}
	})
}

// TestRestartLineGoneMeanwhile: the agent hung its phone up while the
// service was down; after the restart the agent is paused PHONE_DOWN, not
// left READY on a dead line, and an orphan line of a logged-out agent is
// hung up.
func TestRestartLineGoneMeanwhile(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1002", dialer.ModePersistent)
		w.ready("1003", dialer.ModePersistent)
		l2 := w.lineLeg("1002")
		l3 := w.lineLeg("1003")
		w.restartEngine(func() {
			w.sim.Hangup(string(l2), "NORMAL_CLEARING")
			waitFor(t, 3*time.Second, "line hung up", func() bool { return w.gone(l2) })
			// 1003 logged out meanwhile (as far as the live store knows).
			if _, err := w.live.Transition(w.ctx(), dialer.Transition{Agent: w.agents["1003"].ID, From: dialer.AgentReady,
				To: dialer.AgentLoggedOut, Reason: "test", At: time.Now()}); err != nil {
				t.Fatal(err)
			}
		})
		v, err := w.eng.AgentView(w.ctx(), w.agents["1002"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != dialer.AgentPaused || v.PauseCode != dialer.PausePhoneDown || v.PhoneConnected {
			t.Fatalf("agent after restart: %+v, want PAUSED %s", v, dialer.PausePhoneDown)
		}
		waitFor(t, 3*time.Second, "the logged-out agent's line hung up", func() bool { return w.gone(l3) })
	})
}

// lineLeg waits for a persistent agent's line to be up and returns its leg.
func (w *world) lineLeg(ext string) dialer.LegID {
	w.t.Helper()
	re := regexp.MustCompile(`origination_uuid=([0-9a-f-]{36})`)
	var leg dialer.LegID
	waitFor(w.t, 3*time.Second, "line of "+ext, func() bool {
		for _, c := range w.sim.Commands() {
			if m := re.FindStringSubmatch(c); m != nil && strings.Contains(c, "}user/"+ext+" &park()") {
				leg = dialer.LegID(m[1])
			}
		}
		ci, ok := w.sim.Channel(string(leg))
		return ok && ci.Answered && !ci.HungUp
	})
	return leg
}

// lineAfterACall logs ext in persistent READY, has it take and dispose a
// call to number, and returns its line, idle again.
func (w *world) lineAfterACall(ext, number string) dialer.LegID {
	w.t.Helper()
	w.ready(ext, dialer.ModePersistent)
	first := w.waitCall(w.start(number, 0).ID, dialer.LiveConnected)
	line := w.party(first, dialer.LegAgent).Leg
	w.sim.Hangup(string(w.party(first, dialer.LegLead).Leg), "NORMAL_CLEARING")
	w.waitState(ext, dialer.AgentDispo)
	if _, err := w.eng.Dispose(w.ctx(), w.actor(ext), first.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
		w.t.Fatal(err)
	}
	w.waitState(ext, dialer.AgentReady)
	return line
}
