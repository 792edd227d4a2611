package dialer

import "fmt"

// callPhase is where a call is in its life. Only step moves it.
type callPhase uint8

const (
	phaseNew            callPhase = iota // created; nothing dialed or taken yet
	phaseAgentDialing                    // manual dial: the agent's phone rings first
	phaseDialing                         // the lead leg is being originated
	phaseRinging                         // the lead's phone rings
	phaseWaiting                         // the lead answered; looking for an agent
	phaseAgentRinging                    // ring mode: the reserved agent's phone rings
	phaseConnecting                      // a bridge was asked for; waiting for CHANNEL_BRIDGE
	phaseConnected                       // lead and agent talk
	phaseConference                      // in a conference room (warm transfer, three-way)
	phaseAbandoning                      // the abandon message plays, then the lead is hung up
	phaseTransferring                    // a blind transfer dials its target (an agent or a number); the lead hears ringback
	phaseTransferred                     // blind-transferred to a number: the lead talks on without an agent
	phaseReturning                       // the blind transfer failed: the lead hears hold music while its agent is taken back
	phaseTransferFailed                  // nobody took the lead back: its closing message plays, then it is hung up
	phaseHangingUp                       // the other side left; the lead is being hung up, its cause is awaited
	phaseReopened                        // left open by a restart of the service; the switch is asked what is left of it
	phaseEnded
)

var phaseNames = [...]string{
	phaseNew: "new", phaseAgentDialing: "agent_dialing", phaseDialing: "dialing", phaseRinging: "ringing",
	phaseWaiting: "waiting", phaseAgentRinging: "agent_ringing", phaseConnecting: "connecting",
	phaseConnected: "connected", phaseConference: "conference", phaseAbandoning: "abandoning",
	phaseTransferring: "transferring", phaseTransferred: "transferred", phaseReturning: "returning",
	phaseTransferFailed: "transfer_failed", phaseHangingUp: "hanging_up",
	phaseReopened: "reopened", phaseEnded: "ended",
}

func (p callPhase) String() string {
	if p <= phaseEnded {
		return phaseNames[p]
	}
	return fmt.Sprintf("callPhase(%d)", uint8(p))
}

// live maps a phase to what the workspace shows.
func (p callPhase) live() LiveCallState {
	switch p {
	case phaseNew, phaseAgentDialing, phaseDialing:
		return LiveDialing
	case phaseRinging:
		return LiveRinging
	case phaseWaiting, phaseAgentRinging, phaseConnecting, phaseTransferring, phaseReturning:
		return LiveWaiting
	case phaseConnected:
		return LiveConnected
	case phaseConference, phaseTransferred:
		return LiveConference
	case phaseAbandoning, phaseTransferFailed, phaseHangingUp, phaseReopened:
		return LiveEnding
	}
	return LiveEnded
}

// inputKind is something that happened to a call.
type inputKind uint8

const (
	inRinging        inputKind = iota + 1 // a leg's phone rings (CHANNEL_PROGRESS[_MEDIA])
	inAnswered                            // a leg answered (CHANNEL_ANSWER)
	inFailed                              // a leg's originate failed before or without a channel
	inHangup                              // a leg hung up (CHANNEL_HANGUP_COMPLETE)
	inBridged                             // lead and agent were bridged (CHANNEL_BRIDGE)
	inReserved                            // an agent was reserved for the call (persistent: its line is up)
	inNoAgent                             // no agent could be reserved (yet)
	inAbandonTimeout                      // nobody took the answered lead in time
	inLeft                                // a leg left the room alive (kicked; it parks)
	inHangupTimeout                       // the lead we hung up sent no hangup in time
	inDialStart                           // an outbound call starts (manual: the agent first; agentUp: its leg is up already)
	inArrived                             // an inbound caller arrived, answered and parked
	inTransferAgent                       // a blind transfer to an agent, reserved already (persistent: its line is up)
	inTransferNumber                      // a blind transfer to a number
	inConference                          // a third party is being added: the lead and the agent are (now) in a room
	inReopened                            // a call left open by a restart of the service (answered, talked: what its record says)
	inAdopted                             // that call's lead and agent still talk on the switch: it runs on, connected
	inClose                               // that call cannot run on: what is left of it is hung up
	inTransferQueue                       // a blind transfer to an inbound queue
)

var inputNames = [...]string{
	inRinging: "ringing", inAnswered: "answered", inFailed: "failed", inHangup: "hangup",
	inBridged: "bridged", inReserved: "reserved", inNoAgent: "no_agent",
	inAbandonTimeout: "abandon_timeout", inLeft: "left", inHangupTimeout: "hangup_timeout",
	inDialStart: "dial_start", inArrived: "arrived", inTransferAgent: "transfer_agent",
	inTransferNumber: "transfer_number", inConference: "conference", inReopened: "reopened", inAdopted: "adopted", inClose: "close", inTransferQueue: "transfer_queue",
}

// lastInput is the highest inputKind.
const lastInput = inTransferQueue

func (k inputKind) String() string {
	if k >= inRinging && k <= lastInput {
		return inputNames[k]
	}
	return fmt.Sprintf("inputKind(%d)", uint8(k))
}

// callInput is one input to step. Role says which leg it concerns; the
// other fields are the facts some inputs carry.
type callInput struct {
	kind inputKind
	role LegRole
	// persistent: inReserved, inTransferAgent: the agent's nailed-up line
	// is used (no ringing); inDialStart: the agent's line is its
	// persistent one.
	persistent bool
	// manual (inDialStart): the agent's leg comes first, then the lead.
	manual bool
	// agentUp (inDialStart, manual): the agent's leg is answered already
	// (its persistent line, or its own phone that dialed).
	agentUp bool
	// answered, talked (inReopened): the record says the lead answered,
	// and talked to an agent.
	answered, talked bool
	// conference, agentLeft, thirds (inAdopted): the call is taken back in
	// its conference room, without its agent (it left), with that many
	// third parties.
	conference, agentLeft bool
	thirds                int
}

// xferTarget is what a blind transfer in progress dials.
type xferTarget uint8

const (
	xferNone   xferTarget = iota
	xferAgent             // another agent (its phone rings, or its line is bridged)
	xferNumber            // an external number (a third party)
)

// callFlags are the facts step decides from, besides the phase.
type callFlags struct {
	manual       bool // agent first, then the lead (manual dial, callback)
	persistent   bool // the agent's leg stays up between calls
	leadAnswered bool
	connected    bool // lead and agent have talked
	agentHeld    bool // an agent is reserved for or talking on the call
	agentLeg     bool // an agent leg of this call is up (ring mode, or a manual dial's)
	agentLeft    bool // the agent left a conference; the lead talks on with a third party
	thirds       int  // third parties up or ringing
	// xfer is the target of the blind transfer in progress (phaseTransferring).
	xfer xferTarget
	// returning: a blind transfer failed and the agent who made it is
	// being taken back (its phone rings, or its line is being bridged).
	returning bool
	// transferFailed: a blind transfer failed and the lead is not (yet)
	// back with an agent; a call that ends so has the outcome
	// transfer_failed, never abandoned.
	transferFailed bool
}

// callState is the decision state of a call.
type callState struct {
	phase callPhase
	callFlags
}

// effect is a side effect step asks the call's runner to carry out.
type effect uint8

const (
	effRecordRinging   effect = iota + 1 // timeline: ringing; push call.ringing
	effRecordAnswered                    // timeline: answered; push call.answered
	effRecordConnected                   // timeline: bridged; push call.connected
	effReserve                           // reserve an agent (the named one, or the longest idle)
	effRetryReserve                      // try to reserve again shortly
	effAbandonTimer                      // start the no-agent timer
	effOriginateAgent                    // ring mode: ring the reserved agent's phone
	effBridge                            // uuid_bridge the lead with the agent's leg
	effDialLead                          // manual dial: the agent's leg dials the lead (bridge out)
	effAgentRinging                      // agent RESERVED -> RINGING
	effAgentInCall                       // agent -> INCALL
	effAgentNoAnswer                     // agent RINGING -> PAUSED (RONA)
	effAgentRelease                      // agent RESERVED/RINGING -> READY (not its fault)
	effAgentLost                         // the agent answered, its leg ended before the bridge: READY again, no miss counted
	effAgentWrapUp                       // agent INCALL -> DISPO
	effPlayAbandon                       // play the abandon message, then hang up the lead
	effKillLead                          // hang up the lead; its hangup (or the timer) finishes the call
	effHangupTimer                       // bound the wait for the lead's hangup
	effKillAgentLeg                      // hang up the agent's leg (ring mode; a persistent leg is parked instead)
	effParkAgentLeg                      // persistent: take the agent's leg out of the room, keep it
	effKillThirds
	effRecordConference   // timeline: the lead and the agent moved to a conference room
	effRetireAgent        // blind transfer: the transferring agent leaves the call (its ring-mode leg hung up, its line kept) and wraps up; the target takes its place
	effTransferOut        // blind transfer: the lead dials the target (an agent's phone, a number) itself, hearing ringback
	effTransferFailed     // timeline: transfer_failed; push call.transfer_failed; the lead hears hold music
	effReclaim            // take back the agent who made the failed transfer, if it is still there: inReserved or inNoAgent follows
	effPlayTransferFailed // play the transfer-failed message (or nothing), then hang up the lead
	effRequeue            // transfer to a queue: the agent leaves and wraps up, the lead waits in the queue
	effFinish             // write the call's end; the outcome follows from the flags and the lead's cause
)

var effectNames = [...]string{
	effRecordRinging: "record_ringing", effRecordAnswered: "record_answered", effRecordConnected: "record_connected",
	effReserve: "reserve", effRetryReserve: "retry_reserve", effAbandonTimer: "abandon_timer",
	effOriginateAgent: "originate_agent", effBridge: "bridge", effDialLead: "dial_lead",
	effAgentRinging: "agent_ringing", effAgentInCall: "agent_incall", effAgentNoAnswer: "agent_no_answer",
	effAgentRelease: "agent_release", effAgentLost: "agent_lost", effAgentWrapUp: "agent_wrapup", effPlayAbandon: "play_abandon",
	effKillLead: "kill_lead", effHangupTimer: "hangup_timer", effKillAgentLeg: "kill_agent_leg", effParkAgentLeg: "park_agent_leg",
	effKillThirds: "kill_thirds", effRecordConference: "record_conference", effRetireAgent: "retire_agent",
	effTransferOut: "transfer_out", effTransferFailed: "transfer_failed", effReclaim: "reclaim",
	effPlayTransferFailed: "play_transfer_failed", effRequeue: "requeue", effFinish: "finish",
}

func (e effect) String() string {
	if e >= effRecordRinging && e <= effFinish {
		return effectNames[e]
	}
	return fmt.Sprintf("effect(%d)", uint8(e))
}

// step is the one place that decides a call's next state from what
// happened. It is pure: the runner feeds it switch events, reservation
// results, timers and the controls' requests (a dial, a transfer, a party
// added), and carries out the effects. An input that does not fit the phase
// (late, duplicated, or about a leg already gone) changes nothing.
//
// A blind transfer never drops the lead: while its target rings the lead
// hears ringback; when the target rejects, does not answer or cannot be
// reached, the lead hears hold music and goes back to the agent who
// transferred it if that agent is still there (logged in, wrapping up this
// call or READY, its line up in persistent mode): its line is bridged
// again, or its phone rung. Otherwise, or if it does not answer, the call
// ends with the outcome transfer_failed (a closing message, then the lead
// is hung up), never abandoned. There is no queue to put the lead in: a
// campaign's inbound queue does not exist yet. The target that failed is
// paused (RONA) as after any ring-no-answer.
func step(s callState, in callInput) (callState, []effect) {
	if s.phase == phaseEnded {
		return s, nil
	}
	var fx []effect
	add := func(e ...effect) { fx = append(fx, e...) }

	// The lead hanging up ends the call, whatever the phase.
	if in.role == LegLead && (in.kind == inHangup || in.kind == inFailed) {
		switch {
		case s.phase == phaseTransferred, s.phase == phaseConference && s.agentLeft,
			s.phase == phaseTransferring && s.xfer == xferNumber:
			add(effKillThirds)
		case s.phase == phaseConference:
			add(effKillThirds)
			if s.agentLeg && !s.persistent {
				add(effKillAgentLeg)
			} else if s.persistent {
				add(effParkAgentLeg)
			}
		case s.phase == phaseAgentDialing, s.phase == phaseDialing, s.phase == phaseRinging:
			if s.manual && s.agentLeg && !s.persistent {
				add(effKillAgentLeg)
			}
		case s.phase == phaseAgentRinging, s.phase == phaseTransferring && s.xfer == xferAgent && !s.persistent:
			add(effKillAgentLeg)
		}
		if s.agentHeld && !s.agentLeft {
			switch {
			case s.phase == phaseConnected, s.phase == phaseConference, s.phase == phaseHangingUp:
				add(effAgentWrapUp) // it talked to the lead
			case s.manual:
				// A manual dial the lead never took: the agent wraps it up too.
				add(effAgentWrapUp)
			default:
				// Reserved, ringing or being bridged (a transfer's target,
				// or the agent taken back): it never talked on this leg.
				add(effAgentRelease)
			}
		}
		s.agentHeld = false
		s.phase = phaseEnded
		add(effFinish)
		return s, fx
	}

	switch s.phase {
	case phaseNew:
		switch in.kind {
		case inDialStart:
			s.phase = phaseDialing
			if in.manual {
				// The agent first: it is on the call from the start.
				s.manual, s.agentHeld, s.persistent = true, true, in.persistent
				if in.agentUp {
					s.agentLeg = true
				} else {
					s.phase = phaseAgentDialing
				}
			}
		case inArrived:
			s.leadAnswered = true
			s.phase = phaseWaiting
		case inReopened:
			s.manual = s.manual || in.manual
			s.leadAnswered = s.leadAnswered || in.answered
			s.connected = s.connected || in.talked
			s.phase = phaseReopened
		}

	case phaseAgentDialing:
		switch {
		case in.role == LegAgent && in.kind == inAnswered:
			// The agent took its own phone: it is on the call from now on,
			// hearing the lead ring.
			s.agentLeg = true
			s.phase = phaseDialing
			add(effDialLead, effAgentInCall)
		case in.role == LegAgent && (in.kind == inFailed || in.kind == inHangup):
			// The agent did not pick up its own phone: nothing was dialed.
			s.agentLeg = false
			s.agentHeld = false
			s.phase = phaseEnded
			add(effAgentNoAnswer, effFinish)
		}

	case phaseDialing, phaseRinging:
		switch {
		case in.role == LegLead && in.kind == inRinging && s.phase == phaseDialing:
			s.phase = phaseRinging
			add(effRecordRinging)
		case in.role == LegLead && in.kind == inAnswered:
			s.leadAnswered = true
			if s.manual {
				// The agent's bridge connects the moment the lead answers.
				s.phase = phaseConnecting
				add(effRecordAnswered)
				return s, fx
			}
			s.phase = phaseWaiting
			add(effRecordAnswered, effAbandonTimer, effReserve)
		case in.role == LegAgent && (in.kind == inHangup || in.kind == inFailed) && s.manual:
			// The agent hung up while the lead was ringing.
			s.agentLeg = false
			s.agentHeld = false
			s.phase = phaseHangingUp
			add(effKillLead, effAgentWrapUp, effHangupTimer)
		}

	case phaseWaiting:
		switch in.kind {
		case inReserved:
			s.agentHeld = true
			s.persistent = in.persistent
			fx = toReserved(&s, fx)
		case inNoAgent:
			add(effRetryReserve)
		case inAbandonTimeout:
			s.phase = phaseAbandoning
			add(effPlayAbandon)
		case inTransferNumber:
			// A queue's overflow to a number: the caller dials it itself.
			s.phase = phaseTransferring
			s.xfer = xferNumber
			s.thirds = 1
			add(effTransferOut)
		}

	case phaseAgentRinging:
		switch {
		case in.role == LegAgent && in.kind == inAnswered:
			s.agentLeg = true
			s.phase = phaseConnecting
			add(effBridge)
		case in.role == LegAgent && (in.kind == inFailed || in.kind == inHangup):
			// Ring-no-answer: pause that agent and look for another.
			s.agentLeg = false
			s.agentHeld = false
			if s.returning {
				// The agent who made the failed transfer did not take the
				// lead back: nobody else is asked.
				s.returning = false
				s.phase = phaseTransferFailed
				add(effAgentNoAnswer, effPlayTransferFailed)
				break
			}
			s.phase = phaseWaiting
			add(effAgentNoAnswer, effReserve)
		}

	case phaseConnecting:
		switch {
		case in.kind == inBridged:
			s.connected = true
			s.returning, s.transferFailed = false, false
			s.phase = phaseConnected
			add(effAgentInCall, effRecordConnected)
		case in.role == LegAgent && (in.kind == inHangup || in.kind == inFailed):
			// The agent's leg died before the bridge: the lead must not wait
			// in silence for nobody.
			s.agentLeg = false
			s.agentHeld = false
			switch {
			case s.manual:
				s.phase = phaseHangingUp
				add(effKillLead, effAgentWrapUp, effHangupTimer)
			case s.returning:
				s.returning = false
				s.phase = phaseTransferFailed
				add(effAgentNoAnswer, effPlayTransferFailed)
			default:
				// The agent had answered: the switch lost the bridge.
				s.phase = phaseWaiting
				add(effAgentLost, effReserve)
			}
		}

	case phaseConnected:
		switch {
		case in.role == LegAgent && in.kind == inHangup:
			// The agent hung up (or its phone died): the lead is parked by
			// park_after_bridge; end the call cleanly.
			s.agentLeg = false
			s.agentHeld = false
			s.phase = phaseHangingUp
			add(effKillLead, effAgentWrapUp, effHangupTimer)
		case in.kind == inTransferAgent:
			// The target is reserved; the transferring agent leaves (to
			// wrap-up) and the target takes its place: its line is bridged
			// at once, or the lead dials its phone, hearing ringback.
			s.phase = phaseTransferring
			s.xfer = xferAgent
			s.manual = false
			s.persistent = in.persistent
			s.agentLeg = false
			s.agentHeld = true
			add(effRetireAgent)
			if s.persistent {
				add(effBridge)
			} else {
				add(effAgentRinging, effTransferOut)
			}
		case in.kind == inTransferQueue:
			// The caller waits again, for the queue's agents.
			s.phase = phaseWaiting
			s.manual, s.persistent, s.agentLeg, s.agentHeld = false, false, false, false
			add(effRequeue)
		case in.kind == inTransferNumber:
			s.phase = phaseTransferring
			s.xfer = xferNumber
			s.manual, s.persistent, s.agentLeg, s.agentHeld = false, false, false, false
			s.thirds = 1
			add(effRetireAgent, effTransferOut)
		case in.kind == inConference:
			s.phase = phaseConference
			s.thirds++
			add(effRecordConference)
		}

	case phaseTransferring:
		target := LegAgent
		if s.xfer == xferNumber {
			target = LegThird
		}
		switch {
		case in.kind == inBridged && s.xfer == xferNumber:
			// The number answered: the lead talks on with it.
			s.xfer = xferNone
			s.phase = phaseTransferred
		case in.kind == inBridged:
			s.xfer = xferNone
			s.connected = true
			s.phase = phaseConnected
			add(effAgentInCall, effRecordConnected)
		case in.role == LegAgent && in.kind == inAnswered && s.xfer == xferAgent && !s.persistent:
			// The target took its phone; the bridge follows.
			s.agentLeg = true
		case in.role == target && (in.kind == inHangup || in.kind == inFailed):
			// Rejected, not answered, or not reachable: the lead stays.
			if s.xfer == xferAgent {
				add(effAgentNoAnswer)
			}
			s.xfer = xferNone
			s.agentLeg, s.agentHeld, s.thirds = false, false, 0
			s.transferFailed = true
			s.phase = phaseReturning
			add(effTransferFailed, effReclaim)
		}

	case phaseReturning:
		switch in.kind {
		case inReserved:
			// The agent who made the transfer is still there: back to it.
			s.agentHeld, s.returning, s.persistent = true, true, in.persistent
			fx = toReserved(&s, fx)
		case inNoAgent:
			s.phase = phaseTransferFailed
			add(effPlayTransferFailed)
		}

	case phaseTransferred:
		if in.role == LegThird && (in.kind == inHangup || in.kind == inFailed) {
			// The transfer target hung up after talking.
			s.thirds = 0
			s.phase = phaseHangingUp
			add(effKillLead)
			if s.agentHeld {
				s.agentHeld = false
				add(effAgentWrapUp)
			}
			add(effHangupTimer)
		}

	case phaseConference:
		switch {
		case in.kind == inConference && !s.agentLeft:
			s.thirds++
		case in.role == LegThird && (in.kind == inHangup || in.kind == inFailed || in.kind == inLeft):
			if s.thirds > 0 {
				s.thirds--
			}
			if s.agentLeft && s.thirds == 0 {
				// Nobody left for the lead to talk to.
				s.phase = phaseHangingUp
				add(effKillLead, effHangupTimer)
			}
		case in.role == LegAgent && (in.kind == inHangup || in.kind == inLeft):
			if in.kind == inHangup {
				s.agentLeg = false
			}
			if !s.agentLeft {
				s.agentLeft = true
				if s.agentHeld {
					s.agentHeld = false
					add(effAgentWrapUp)
				}
				if in.kind == inLeft && !s.persistent {
					add(effKillAgentLeg)
				}
			}
			if s.thirds == 0 {
				s.phase = phaseHangingUp
				add(effKillLead, effHangupTimer)
			}
		}

	case phaseAbandoning, phaseTransferFailed:
		// Only the lead's hangup (handled above) ends it.

	case phaseReopened:
		switch {
		case in.kind == inAdopted && in.conference:
			s.leadAnswered, s.connected = true, true
			s.agentLeft = in.agentLeft
			s.agentHeld, s.agentLeg = !in.agentLeft, !in.agentLeft
			s.persistent = !in.agentLeft && in.persistent
			s.thirds = in.thirds
			s.phase = phaseConference
		case in.kind == inAdopted:
			s.leadAnswered, s.connected, s.agentHeld, s.agentLeg = true, true, true, true
			s.persistent = s.persistent || in.persistent
			s.phase = phaseConnected
		case in.kind == inClose:
			// Its agent was let go already; the lead's hangup (or the
			// timer) closes the record.
			s.agentHeld = false
			s.phase = phaseHangingUp
			add(effKillLead, effHangupTimer)
		}

	case phaseHangingUp:
		// The lead's hangup (handled above) brings its cause; without it in
		// time the call ends all the same.
		if in.kind == inHangupTimeout {
			if s.agentHeld {
				s.agentHeld = false
				add(effAgentWrapUp)
			}
			s.phase = phaseEnded
			add(effFinish)
		}
	}
	return s, fx
}

// toReserved connects the lead to the agent just reserved: its line is
// bridged, or its phone rung.
func toReserved(s *callState, fx []effect) []effect {
	if s.persistent {
		s.phase = phaseConnecting
		return append(fx, effBridge)
	}
	s.phase = phaseAgentRinging
	// The phone is rung first: the agent's state follows a round trip later.
	return append(fx, effOriginateAgent, effAgentRinging)
}
