package dialer

import (
	"slices"
	"testing"
)

func fx(e ...effect) []effect { return e }

// TestStep pins every transition of the call state machine, including late
// and duplicate inputs, which must change nothing.
func TestStep(t *testing.T) {
	lead := func(k inputKind) callInput { return callInput{kind: k, role: LegLead} }
	agent := func(k inputKind) callInput { return callInput{kind: k, role: LegAgent} }
	third := func(k inputKind) callInput { return callInput{kind: k, role: LegThird} }
	any := func(k inputKind) callInput { return callInput{kind: k} }
	st := func(p callPhase, f callFlags) callState { return callState{phase: p, callFlags: f} }
	ring := callFlags{}
	pers := callFlags{persistent: true}
	answered := callFlags{leadAnswered: true}
	held := callFlags{leadAnswered: true, agentHeld: true}
	heldLeg := callFlags{leadAnswered: true, agentHeld: true, agentLeg: true}
	talking := callFlags{leadAnswered: true, agentHeld: true, agentLeg: true, connected: true}
	talkingP := callFlags{persistent: true, leadAnswered: true, agentHeld: true, connected: true}
	manual := callFlags{manual: true, agentHeld: true}
	manualUp := callFlags{manual: true, agentHeld: true, agentLeg: true}

	for _, tc := range []struct {
		name   string
		from   callState
		in     callInput
		to     callPhase
		flags  func(callFlags) bool // extra check on the new flags
		effect []effect
	}{
		// Outbound, lead first.
		{"lead rings", st(phaseDialing, ring), lead(inRinging), phaseRinging, nil, fx(effRecordRinging)},
		{"lead rings twice", st(phaseRinging, ring), lead(inRinging), phaseRinging, nil, nil},
		{"lead answers without ringing", st(phaseDialing, ring), lead(inAnswered), phaseWaiting, func(f callFlags) bool { return f.leadAnswered }, fx(effRecordAnswered, effAbandonTimer, effReserve)},
		{"lead answers", st(phaseRinging, ring), lead(inAnswered), phaseWaiting, nil, fx(effRecordAnswered, effAbandonTimer, effReserve)},
		{"duplicate answer while waiting", st(phaseWaiting, answered), lead(inAnswered), phaseWaiting, nil, nil},
		{"lead busy", st(phaseRinging, ring), lead(inHangup), phaseEnded, nil, fx(effFinish)},
		{"originate refused", st(phaseDialing, ring), lead(inFailed), phaseEnded, nil, fx(effFinish)},
		{"no agent yet", st(phaseWaiting, answered), any(inNoAgent), phaseWaiting, nil, fx(effRetryReserve)},
		{"no agent in time", st(phaseWaiting, answered), any(inAbandonTimeout), phaseAbandoning, nil, fx(effPlayAbandon)},
		{"abandoned lead hung up", st(phaseAbandoning, answered), lead(inHangup), phaseEnded, nil, fx(effFinish)},
		{"late reservation after abandon", st(phaseAbandoning, answered), any(inReserved), phaseAbandoning, nil, nil},
		{"lead hangs up while waiting", st(phaseWaiting, answered), lead(inHangup), phaseEnded, nil, fx(effFinish)},
		{"abandon timer after connect is late", st(phaseConnected, talking), any(inAbandonTimeout), phaseConnected, nil, nil},

		// Ring mode.
		{"ring: agent reserved", st(phaseWaiting, answered), any(inReserved), phaseAgentRinging, func(f callFlags) bool { return f.agentHeld }, fx(effAgentRinging, effOriginateAgent)},
		{"ring: agent answers", st(phaseAgentRinging, held), agent(inAnswered), phaseConnecting, func(f callFlags) bool { return f.agentLeg }, fx(effBridge)},
		{"ring: agent does not answer", st(phaseAgentRinging, held), agent(inFailed), phaseWaiting, func(f callFlags) bool { return !f.agentHeld }, fx(effAgentNoAnswer, effReserve)},
		{"ring: agent rejects", st(phaseAgentRinging, held), agent(inHangup), phaseWaiting, nil, fx(effAgentNoAnswer, effReserve)},
		{"ring: lead hangs up while agent rings", st(phaseAgentRinging, held), lead(inHangup), phaseEnded, nil, fx(effKillAgentLeg, effAgentRelease, effFinish)},
		{"ring: bridged", st(phaseConnecting, heldLeg), any(inBridged), phaseConnected, func(f callFlags) bool { return f.connected }, fx(effAgentInCall, effRecordConnected)},
		{"ring: agent leg dies before bridge", st(phaseConnecting, heldLeg), agent(inHangup), phaseWaiting, nil, fx(effAgentNoAnswer, effReserve)},
		{"ring: lead hangs up before bridge", st(phaseConnecting, heldLeg), lead(inHangup), phaseEnded, nil, fx(effAgentRelease, effFinish)},
		{"ring: duplicate bridge", st(phaseConnected, talking), any(inBridged), phaseConnected, nil, nil},
		{"ring: lead hangs up in talk", st(phaseConnected, talking), lead(inHangup), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"ring: agent hangs up in talk", st(phaseConnected, talking), agent(inHangup), phaseHangingUp, nil, fx(effKillLead, effAgentWrapUp, effHangupTimer)},
		{"late answer of a dead agent leg", st(phaseWaiting, answered), agent(inAnswered), phaseWaiting, nil, nil},

		// Persistent mode.
		{"persistent: reserved means bridge at once", st(phaseWaiting, callFlags{persistent: true, leadAnswered: true}), any(inReserved), phaseConnecting, nil, fx(effBridge)},
		{"persistent: bridged", st(phaseConnecting, callFlags{persistent: true, leadAnswered: true, agentHeld: true}), any(inBridged), phaseConnected, nil, fx(effAgentInCall, effRecordConnected)},
		{"persistent: lead hangs up, agent leg parks by itself", st(phaseConnected, talkingP), lead(inHangup), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"persistent: agent's phone drops in talk", st(phaseConnected, talkingP), agent(inHangup), phaseHangingUp, nil, fx(effKillLead, effAgentWrapUp, effHangupTimer)},
		{"persistent: reserved before the lead answered is ignored", st(phaseRinging, pers), any(inReserved), phaseRinging, nil, nil},

		// Manual dial: the agent first.
		{"manual: agent answers, dial the lead", st(phaseAgentDialing, manual), agent(inAnswered), phaseDialing, func(f callFlags) bool { return f.agentLeg }, fx(effDialLead, effAgentInCall)},
		{"manual: agent does not answer", st(phaseAgentDialing, manual), agent(inFailed), phaseEnded, nil, fx(effAgentNoAnswer, effFinish)},
		{"manual: lead rings", st(phaseDialing, manualUp), lead(inRinging), phaseRinging, nil, fx(effRecordRinging)},
		{"manual: lead answers, bridge follows", st(phaseRinging, manualUp), lead(inAnswered), phaseConnecting, nil, fx(effRecordAnswered)},
		{"manual: bridged", st(phaseConnecting, callFlags{manual: true, agentHeld: true, agentLeg: true, leadAnswered: true}), any(inBridged), phaseConnected, nil, fx(effAgentInCall, effRecordConnected)},
		{"manual: lead busy, agent leg hangs up", st(phaseRinging, manualUp), lead(inHangup), phaseEnded, nil, fx(effKillAgentLeg, effAgentWrapUp, effFinish)},
		{"manual: persistent lead busy keeps the leg", st(phaseRinging, callFlags{manual: true, persistent: true, agentHeld: true}), lead(inFailed), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"manual: agent hangs up while lead rings", st(phaseRinging, manualUp), agent(inHangup), phaseHangingUp, nil, fx(effKillLead, effAgentWrapUp, effHangupTimer)},
		{"manual: no abandon timer", st(phaseConnecting, callFlags{manual: true, agentHeld: true, agentLeg: true, leadAnswered: true}), any(inAbandonTimeout), phaseConnecting, nil, nil},

		// Conference and warm transfer.
		{"conf: third hangs up, agent still there", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, thirds: 1}), third(inHangup), phaseConference, func(f callFlags) bool { return f.thirds == 0 }, nil},
		{"conf: agent leaves (ring mode)", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, thirds: 1}), agent(inLeft), phaseConference, func(f callFlags) bool { return f.agentLeft && !f.agentHeld }, fx(effAgentWrapUp, effKillAgentLeg)},
		{"conf: persistent agent leaves, leg kept", st(phaseConference, callFlags{persistent: true, leadAnswered: true, connected: true, agentHeld: true, thirds: 1}), agent(inLeft), phaseConference, nil, fx(effAgentWrapUp)},
		{"conf: agent's leg hangs up after leaving", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentLeft: true, thirds: 1}), agent(inHangup), phaseConference, nil, nil},
		{"conf: third hangs up after agent left", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentLeft: true, thirds: 1}), third(inHangup), phaseHangingUp, nil, fx(effKillLead, effHangupTimer)},
		{"conf: lead hangs up after agent left", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentLeft: true, thirds: 1}), lead(inHangup), phaseEnded, nil, fx(effKillThirds, effFinish)},
		{"conf: lead hangs up, ring agent still in", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, thirds: 1}), lead(inHangup), phaseEnded, nil, fx(effKillThirds, effKillAgentLeg, effAgentWrapUp, effFinish)},
		{"conf: lead hangs up, persistent agent parks", st(phaseConference, callFlags{persistent: true, leadAnswered: true, connected: true, agentHeld: true, thirds: 1}), lead(inHangup), phaseEnded, nil, fx(effKillThirds, effParkAgentLeg, effAgentWrapUp, effFinish)},
		{"conf: agent leaves with nobody else", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true}), agent(inLeft), phaseHangingUp, nil, fx(effAgentWrapUp, effKillAgentLeg, effKillLead, effHangupTimer)},

		// Blind transfer to a number.
		{"transferred: target hangs up", st(phaseTransferred, callFlags{leadAnswered: true, connected: true, thirds: 1}), third(inHangup), phaseHangingUp, nil, fx(effKillLead, effHangupTimer)},
		{"transferred: lead hangs up", st(phaseTransferred, callFlags{leadAnswered: true, connected: true, thirds: 1}), lead(inHangup), phaseEnded, nil, fx(effKillThirds, effFinish)},
		{"transferred: old agent leg's late hangup", st(phaseTransferred, callFlags{leadAnswered: true, connected: true, thirds: 1}), agent(inHangup), phaseTransferred, nil, nil},

		// Hanging up: the lead's hangup brings its cause, or the timer ends it.
		{"hanging up: the lead's hangup finishes", st(phaseHangingUp, callFlags{leadAnswered: true, connected: true}), lead(inHangup), phaseEnded, nil, fx(effFinish)},
		{"hanging up: the lead's failure finishes", st(phaseHangingUp, callFlags{manual: true}), lead(inFailed), phaseEnded, nil, fx(effFinish)},
		{"hanging up: no hangup in time", st(phaseHangingUp, callFlags{leadAnswered: true, connected: true}), any(inHangupTimeout), phaseEnded, nil, fx(effFinish)},
		{"hanging up: the agent's late hangup", st(phaseHangingUp, callFlags{leadAnswered: true, connected: true}), agent(inHangup), phaseHangingUp, nil, nil},
		{"hanging up: a late bridge", st(phaseHangingUp, callFlags{leadAnswered: true, connected: true}), any(inBridged), phaseHangingUp, nil, nil},
		{"hangup timer after the end is late", st(phaseEnded, talking), any(inHangupTimeout), phaseEnded, nil, nil},
		{"hangup timer in talk is late", st(phaseConnected, talking), any(inHangupTimeout), phaseConnected, nil, nil},

		// After the end, nothing.
		{"ended: late hangup", st(phaseEnded, talking), lead(inHangup), phaseEnded, nil, nil},
		{"ended: late answer", st(phaseEnded, answered), agent(inAnswered), phaseEnded, nil, nil},
		{"ended: late reservation", st(phaseEnded, answered), any(inReserved), phaseEnded, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, effects := step(tc.from, tc.in)
			if got.phase != tc.to {
				t.Errorf("phase %s, want %s", got.phase, tc.to)
			}
			if !slices.Equal(effects, tc.effect) {
				t.Errorf("effects %v, want %v", effects, tc.effect)
			}
			if tc.flags != nil && !tc.flags(got.callFlags) {
				t.Errorf("flags %+v", got.callFlags)
			}
			if tc.effect == nil && tc.flags == nil && got != tc.from {
				t.Errorf("an ignored input changed the state: %+v -> %+v", tc.from, got)
			}
		})
	}
}

// TestStepNeverLeavesEnded feeds every input in every phase and checks the
// properties that hold whatever the table says.
func TestStepProperties(t *testing.T) {
	roles := []LegRole{LegLead, LegAgent, LegThird}
	for p := phaseAgentDialing; p <= phaseEnded; p++ {
		for k := inRinging; k <= inHangupTimeout; k++ {
			for _, r := range roles {
				for _, f := range []callFlags{{}, {persistent: true}, {manual: true, agentHeld: true}, {leadAnswered: true, agentHeld: true, connected: true, agentLeg: true, thirds: 1}} {
					s, effects := step(callState{phase: p, callFlags: f}, callInput{kind: k, role: r})
					finished := slices.Contains(effects, effFinish)
					if finished != (s.phase == phaseEnded && p != phaseEnded) {
						t.Errorf("%s + %s/%s: phase %s but finish=%v", p, r, k, s.phase, finished)
					}
					if p == phaseEnded && (len(effects) > 0 || s.phase != phaseEnded) {
						t.Errorf("ended call reacted to %s/%s", r, k)
					}
					if p != phaseEnded && s.phase == phaseEnded && s.agentHeld {
						t.Errorf("%s + %s/%s: ended with an agent held", p, r, k)
					}
					// Whoever hangs up the lead waits for its hangup, and
					// that wait is bounded.
					if slices.Contains(effects, effKillLead) != (s.phase == phaseHangingUp && p != phaseHangingUp) ||
						slices.Contains(effects, effKillLead) != slices.Contains(effects, effHangupTimer) {
						t.Errorf("%s + %s/%s: phase %s with effects %v", p, r, k, s.phase, effects)
					}
					if p != phaseEnded && r == LegLead && (k == inHangup || k == inFailed) && s.phase != phaseEnded {
						t.Errorf("%s: the lead's hangup did not end the call", p)
					}
					wrap := slices.Contains(effects, effAgentWrapUp)
					release := slices.Contains(effects, effAgentRelease)
					if wrap && release {
						t.Errorf("%s + %s/%s: both wrap-up and release", p, r, k)
					}
				}
			}
		}
	}
}
