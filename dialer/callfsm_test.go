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
	xferRing := callFlags{leadAnswered: true, connected: true, agentHeld: true, xfer: xferAgent}
	xferNum := callFlags{leadAnswered: true, connected: true, thirds: 1, xfer: xferNumber}
	failed := callFlags{leadAnswered: true, connected: true, transferFailed: true}

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

		// Inbound queues.
		{"overflow to a number", st(phaseWaiting, answered), any(inTransferNumber), phaseTransferring,
			func(f callFlags) bool { return f.xfer == xferNumber && f.thirds == 1 && !f.agentHeld }, fx(effTransferOut)},
		{"transfer to a queue", st(phaseConnected, talking), any(inTransferQueue), phaseWaiting,
			func(f callFlags) bool { return !f.agentHeld && !f.agentLeg && f.connected }, fx(effRequeue)},
		{"transfer to a queue, persistent", st(phaseConnected, talkingP), any(inTransferQueue), phaseWaiting,
			func(f callFlags) bool { return !f.agentHeld && !f.persistent }, fx(effRequeue)},

		// Ring mode.
		{"ring: agent reserved", st(phaseWaiting, answered), any(inReserved), phaseAgentRinging, func(f callFlags) bool { return f.agentHeld }, fx(effOriginateAgent, effAgentRinging)},
		{"ring: agent answers", st(phaseAgentRinging, held), agent(inAnswered), phaseConnecting, func(f callFlags) bool { return f.agentLeg }, fx(effBridge)},
		{"ring: agent does not answer", st(phaseAgentRinging, held), agent(inFailed), phaseWaiting, func(f callFlags) bool { return !f.agentHeld }, fx(effAgentNoAnswer, effReserve)},
		{"ring: agent rejects", st(phaseAgentRinging, held), agent(inHangup), phaseWaiting, nil, fx(effAgentNoAnswer, effReserve)},
		{"ring: lead hangs up while agent rings", st(phaseAgentRinging, held), lead(inHangup), phaseEnded, nil, fx(effKillAgentLeg, effAgentRelease, effFinish)},
		{"ring: bridged", st(phaseConnecting, heldLeg), any(inBridged), phaseConnected, func(f callFlags) bool { return f.connected }, fx(effAgentInCall, effRecordConnected)},
		{"ring: agent leg dies before bridge", st(phaseConnecting, heldLeg), agent(inHangup), phaseWaiting, nil, fx(effAgentLost, effReserve)},
		{"ring: lead hangs up before bridge", st(phaseConnecting, heldLeg), lead(inHangup), phaseEnded, nil, fx(effAgentRelease, effFinish)},
		{"ring: duplicate bridge", st(phaseConnected, talking), any(inBridged), phaseConnected, nil, nil},
		{"ring: lead hangs up in talk", st(phaseConnected, talking), lead(inHangup), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"ring: agent hangs up in talk", st(phaseConnected, talking), agent(inHangup), phaseHangingUp, nil, fx(effKillLead, effAgentWrapUp, effHangupTimer)},
		{"late answer of a dead agent leg", st(phaseWaiting, answered), agent(inAnswered), phaseWaiting, nil, nil},

		// Persistent mode.
		{"persistent: reserved means bridge at once", st(phaseWaiting, callFlags{leadAnswered: true}), callInput{kind: inReserved, persistent: true}, phaseConnecting, func(f callFlags) bool { return f.persistent && f.agentHeld }, fx(effBridge)},
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

		// Starts: every call begins with an input, not a write of its state.
		{"start: lead first", st(phaseNew, ring), any(inDialStart), phaseDialing, func(f callFlags) bool { return f == callFlags{} }, nil},
		{"start: manual, the agent's phone first", st(phaseNew, ring), callInput{kind: inDialStart, manual: true}, phaseAgentDialing, func(f callFlags) bool { return f == manual }, nil},
		{"start: manual from the agent's own phone", st(phaseNew, ring), callInput{kind: inDialStart, manual: true, agentUp: true}, phaseDialing, func(f callFlags) bool { return f == manualUp }, nil},
		{"start: manual on a persistent line", st(phaseNew, ring), callInput{kind: inDialStart, manual: true, persistent: true, agentUp: true}, phaseDialing, func(f callFlags) bool { return f.manual && f.persistent && f.agentHeld && f.agentLeg }, nil},
		{"start: inbound caller parked", st(phaseNew, ring), any(inArrived), phaseWaiting, func(f callFlags) bool { return f == answered }, nil},
		// A call left open by a restart: reopened as being hung up, then
		// adopted if its lead and agent still talk.
		{"restart: reopened", st(phaseNew, ring), callInput{kind: inReopened, answered: true, talked: true}, phaseReopened,
			func(f callFlags) bool { return f == callFlags{leadAnswered: true, connected: true} }, nil},
		{"restart: reopened manual, never answered", st(phaseNew, ring), callInput{kind: inReopened, manual: true}, phaseReopened,
			func(f callFlags) bool { return f == callFlags{manual: true} }, nil},
		{"restart: adopted", st(phaseReopened, answered), any(inAdopted), phaseConnected, func(f callFlags) bool { return f == talking }, nil},
		{"restart: adopted on a line", st(phaseReopened, answered), callInput{kind: inAdopted, persistent: true}, phaseConnected,
			func(f callFlags) bool {
				return f == callFlags{persistent: true, leadAnswered: true, agentHeld: true, agentLeg: true, connected: true}
			}, nil},
		{"restart: closed", st(phaseReopened, callFlags{leadAnswered: true, connected: true}), any(inClose), phaseHangingUp,
			func(f callFlags) bool { return f.connected && !f.agentHeld }, fx(effKillLead, effHangupTimer)},
		{"restart: the lead hangs up before it is settled", st(phaseReopened, answered), lead(inHangup), phaseEnded, nil, fx(effFinish)},
		{"start: a second start is ignored", st(phaseDialing, ring), any(inDialStart), phaseDialing, nil, nil},
		{"start: the lead fails before anything", st(phaseNew, ring), lead(inFailed), phaseEnded, nil, fx(effFinish)},

		// Persistent manual dial: a busy, unanswered or invalid number leaves the line up.
		{"manual persistent: lead busy, line kept", st(phaseRinging, callFlags{manual: true, persistent: true, agentHeld: true, agentLeg: true}), lead(inHangup), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"manual persistent: number invalid, line kept", st(phaseDialing, callFlags{manual: true, persistent: true, agentHeld: true, agentLeg: true}), lead(inFailed), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},
		{"manual persistent: no answer, line kept", st(phaseRinging, callFlags{manual: true, persistent: true, agentHeld: true, agentLeg: true}), lead(inFailed), phaseEnded, nil, fx(effAgentWrapUp, effFinish)},

		// Conference: adding a party is an input.
		{"conf: first party moves the call to a room", st(phaseConnected, talking), any(inConference), phaseConference, func(f callFlags) bool { return f.thirds == 1 }, fx(effRecordConference)},
		{"conf: another party", st(phaseConference, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, thirds: 1}), any(inConference), phaseConference, func(f callFlags) bool { return f.thirds == 2 }, nil},
		{"conf: no party before the lead talks", st(phaseWaiting, answered), any(inConference), phaseWaiting, nil, nil},

		// Blind transfer to an agent: ringing it, then its answer.
		{"xfer agent: starts (ring)", st(phaseConnected, talking), any(inTransferAgent), phaseTransferring,
			func(f callFlags) bool { return f.xfer == xferAgent && f.agentHeld && !f.agentLeg && f.connected }, fx(effRetireAgent, effAgentRinging, effTransferOut)},
		{"xfer agent: starts (persistent line)", st(phaseConnected, talking), callInput{kind: inTransferAgent, persistent: true}, phaseTransferring,
			func(f callFlags) bool { return f.xfer == xferAgent && f.persistent && f.agentHeld }, fx(effRetireAgent, effBridge)},
		{"xfer agent: a manual call becomes an ordinary one", st(phaseConnected, callFlags{manual: true, leadAnswered: true, agentHeld: true, agentLeg: true, connected: true}), any(inTransferAgent), phaseTransferring,
			func(f callFlags) bool { return !f.manual }, fx(effRetireAgent, effAgentRinging, effTransferOut)},
		{"xfer agent: not while still waiting", st(phaseWaiting, answered), any(inTransferAgent), phaseWaiting, nil, nil},
		{"xfer agent: target answers", st(phaseTransferring, xferRing), agent(inAnswered), phaseTransferring, func(f callFlags) bool { return f.agentLeg }, nil},
		{"xfer agent: bridged to the target", st(phaseTransferring, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, xfer: xferAgent}), any(inBridged), phaseConnected,
			func(f callFlags) bool { return f.xfer == xferNone && f.connected && f.agentHeld }, fx(effAgentInCall, effRecordConnected)},
		// ... or it fails, and the lead stays.
		{"xfer agent: target rejects (486)", st(phaseTransferring, xferRing), agent(inHangup), phaseReturning,
			func(f callFlags) bool { return f.transferFailed && !f.agentHeld && !f.agentLeg && f.xfer == xferNone }, fx(effAgentNoAnswer, effTransferFailed, effReclaim)},
		{"xfer agent: target does not answer", st(phaseTransferring, xferRing), agent(inFailed), phaseReturning,
			func(f callFlags) bool { return f.transferFailed }, fx(effAgentNoAnswer, effTransferFailed, effReclaim)},
		{"xfer agent: originate error", st(phaseTransferring, xferRing), agent(inFailed), phaseReturning, nil, fx(effAgentNoAnswer, effTransferFailed, effReclaim)},
		{"xfer agent: target's line lost before the bridge", st(phaseTransferring, callFlags{persistent: true, leadAnswered: true, connected: true, agentHeld: true, xfer: xferAgent}), agent(inHangup), phaseReturning,
			func(f callFlags) bool { return f.transferFailed }, fx(effAgentNoAnswer, effTransferFailed, effReclaim)},
		{"xfer agent: a third's input is not the target's", st(phaseTransferring, xferRing), third(inHangup), phaseTransferring, nil, nil},
		{"xfer agent: lead hangs up while the target rings", st(phaseTransferring, xferRing), lead(inHangup), phaseEnded, nil, fx(effKillAgentLeg, effAgentRelease, effFinish)},
		{"xfer agent: lead hangs up while the target's line is bridged", st(phaseTransferring, callFlags{persistent: true, leadAnswered: true, connected: true, agentHeld: true, xfer: xferAgent}), lead(inHangup), phaseEnded, nil, fx(effAgentRelease, effFinish)},

		// Back to the agent who transferred, or transfer_failed.
		{"return: the agent is still there (ring)", st(phaseReturning, failed), any(inReserved), phaseAgentRinging,
			func(f callFlags) bool { return f.returning && f.agentHeld && f.transferFailed }, fx(effOriginateAgent, effAgentRinging)},
		{"return: the agent is still there (persistent line)", st(phaseReturning, failed), callInput{kind: inReserved, persistent: true}, phaseConnecting,
			func(f callFlags) bool { return f.returning && f.persistent && f.agentHeld }, fx(effBridge)},
		{"return: back with the agent", st(phaseConnecting, callFlags{leadAnswered: true, connected: true, agentHeld: true, agentLeg: true, returning: true, transferFailed: true}), any(inBridged), phaseConnected,
			func(f callFlags) bool { return !f.returning && !f.transferFailed && f.connected }, fx(effAgentInCall, effRecordConnected)},
		{"return: the agent has gone", st(phaseReturning, failed), any(inNoAgent), phaseTransferFailed, func(f callFlags) bool { return f.transferFailed }, fx(effPlayTransferFailed)},
		{"return: the agent does not answer its phone", st(phaseAgentRinging, callFlags{leadAnswered: true, connected: true, agentHeld: true, returning: true, transferFailed: true}), agent(inFailed), phaseTransferFailed,
			func(f callFlags) bool { return f.transferFailed && !f.returning && !f.agentHeld }, fx(effAgentNoAnswer, effPlayTransferFailed)},
		{"return: the agent's line drops before the bridge", st(phaseConnecting, callFlags{persistent: true, leadAnswered: true, connected: true, agentHeld: true, returning: true, transferFailed: true}), agent(inHangup), phaseTransferFailed,
			func(f callFlags) bool { return f.transferFailed && !f.agentHeld }, fx(effAgentNoAnswer, effPlayTransferFailed)},
		{"return: lead hangs up while the agent's phone rings", st(phaseAgentRinging, callFlags{leadAnswered: true, connected: true, agentHeld: true, returning: true, transferFailed: true}), lead(inHangup), phaseEnded,
			func(f callFlags) bool { return f.transferFailed }, fx(effKillAgentLeg, effAgentRelease, effFinish)},
		{"return: lead hangs up on the hold music", st(phaseReturning, failed), lead(inHangup), phaseEnded, func(f callFlags) bool { return f.transferFailed }, fx(effFinish)},
		{"return: late failure of the target", st(phaseReturning, failed), agent(inFailed), phaseReturning, nil, nil},
		{"transfer failed: only the lead's hangup ends it", st(phaseTransferFailed, failed), any(inHangupTimeout), phaseTransferFailed, nil, nil},
		{"transfer failed: the lead's hangup", st(phaseTransferFailed, failed), lead(inHangup), phaseEnded, func(f callFlags) bool { return f.transferFailed }, fx(effFinish)},

		// Blind transfer to a number.
		{"xfer number: starts", st(phaseConnected, talking), any(inTransferNumber), phaseTransferring,
			func(f callFlags) bool { return f.xfer == xferNumber && f.thirds == 1 && !f.agentHeld && !f.agentLeg }, fx(effRetireAgent, effTransferOut)},
		{"xfer number: answered, the lead talks on", st(phaseTransferring, xferNum), any(inBridged), phaseTransferred, func(f callFlags) bool { return f.xfer == xferNone && f.thirds == 1 }, nil},
		{"xfer number: busy", st(phaseTransferring, xferNum), third(inHangup), phaseReturning,
			func(f callFlags) bool { return f.transferFailed && f.thirds == 0 }, fx(effTransferFailed, effReclaim)},
		{"xfer number: no answer", st(phaseTransferring, xferNum), third(inFailed), phaseReturning, nil, fx(effTransferFailed, effReclaim)},
		{"xfer number: an agent input is not the target's", st(phaseTransferring, xferNum), agent(inHangup), phaseTransferring, nil, nil},
		{"xfer number: lead hangs up while it rings", st(phaseTransferring, xferNum), lead(inHangup), phaseEnded, nil, fx(effKillThirds, effFinish)},

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
	flags := []callFlags{{}, {persistent: true}, {manual: true, agentHeld: true}, {leadAnswered: true, agentHeld: true, connected: true, agentLeg: true, thirds: 1},
		{leadAnswered: true, connected: true, agentHeld: true, xfer: xferAgent}, {leadAnswered: true, connected: true, thirds: 1, xfer: xferNumber},
		{leadAnswered: true, connected: true, agentHeld: true, returning: true, transferFailed: true}, {leadAnswered: true, connected: true, transferFailed: true}}
	for p := phaseNew; p <= phaseEnded; p++ {
		for k := inRinging; k <= lastInput; k++ {
			for _, r := range roles {
				for _, f := range flags {
					for _, extra := range []callInput{{}, {persistent: true}, {manual: true, agentUp: true}} {
						in := callInput{kind: k, role: r, persistent: extra.persistent, manual: extra.manual, agentUp: extra.agentUp}
						s, effects := step(callState{phase: p, callFlags: f}, in)
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
						// A lead that talked to an agent is never abandoned:
						// once connected, the call stays connected.
						if f.connected && !s.connected {
							t.Errorf("%s + %s/%s: lost the connected flag", p, r, k)
						}
						// A failed transfer never kills the lead: it waits
						// for an agent or plays its closing message.
						if (p == phaseTransferring || p == phaseReturning) && slices.Contains(effects, effKillLead) {
							t.Errorf("%s + %s/%s: a failed transfer hung the lead up", p, r, k)
						}
					}
				}
			}
		}
	}
}
