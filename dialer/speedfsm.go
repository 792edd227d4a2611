package dialer

import "fmt"

// A speed call's decisions once a manager is found: the managers' race
// itself (who rings when, who lost) is the runner's, from dialer/ring's
// plan; speedStep decides what follows an answer, a digit, the lead.

// speedPhase is where a speed call is.
type speedPhase uint8

const (
	spRinging     speedPhase = iota // managers ring (or wait for their turn)
	spAnnouncing                    // a manager answered and hears who the lead is
	spConfirming                    // that manager is asked to press 1
	spLeadDialing                   // the lead's number rings; the manager waits on hold
	spWarning                       // the lead answered and hears the recording warning
	spBridging                      // a bridge was asked for
	spConnected                     // manager and lead talk
	spEnded
)

var speedPhaseNames = [...]string{
	spRinging: "managers_ringing", spAnnouncing: "announcing", spConfirming: "confirming",
	spLeadDialing: "lead_dialing", spWarning: "warning", spBridging: "bridging",
	spConnected: "connected", spEnded: "ended",
}

func (p speedPhase) String() string {
	if p <= spEnded {
		return speedPhaseNames[p]
	}
	return fmt.Sprintf("speedPhase(%d)", uint8(p))
}

// callPhase is the phase a speed call shows as in the call views.
func (p speedPhase) callPhase() callPhase {
	switch p {
	case spRinging, spAnnouncing, spConfirming:
		return phaseAgentDialing
	case spLeadDialing:
		return phaseRinging
	case spWarning, spBridging:
		return phaseConnecting
	case spConnected:
		return phaseConnected
	}
	return phaseEnded
}

// speedInputKind is what happened to a speed call.
type speedInputKind uint8

const (
	siManagerAnswered speedInputKind = iota + 1 // the first manager answered (the others are hung up)
	siNoManager                                 // the plan is spent: nobody answered, or every one declined
	siAnnounced                                 // the announcement to the manager finished
	siDigit                                     // the manager pressed a key
	siConfirmTimeout                            // the manager pressed nothing in time
	siManagerGone                               // the chosen manager's leg ended
	siLeadAnswered
	siLeadFailed // the lead's number was busy, did not answer or could not be reached
	siWarned     // the recording warning finished
	siBridged
	siLeadGone // the answered lead hung up
	siCancel   // the service ends the call (drain, maximum duration, the switch lost)
)

// Speed call results (SpeedOutcome.Result).
const (
	SpeedConnected       = "connected"
	SpeedNoManager       = "no_manager"
	SpeedManagerDeclined = "manager_declined"
	SpeedLeadNoAnswer    = "lead_no_answer"
	SpeedLeadBusy        = "lead_busy"
	SpeedFailed          = "failed"
	SpeedCancelled       = "cancelled"
)

type speedInput struct {
	kind  speedInputKind
	digit string // siDigit
	more  bool   // siLeadFailed: another number is left to try
	cause string // siLeadFailed: the hangup cause
}

type speedState struct {
	phase    speedPhase
	confirm  bool // the manager must press 1
	record   bool // the lead hears the warning, then the call is recorded
	declined bool // a manager answered and did not take the call
	result   string
}

// speedEffect is what speedStep asks the runner to do.
type speedEffect uint8

const (
	sfAnnounce    speedEffect = iota + 1 // tell the manager who the lead is
	sfStopSaying                         // cut the announcement short
	sfPrompt                             // wait for the manager's key (the confirm timer)
	sfConfirmed                          // timeline: manager_confirmed; an agent manager is INCALL
	sfDialLead                           // dial the lead's current number
	sfDialNext                           // dial the lead's next number
	sfWarn                               // play the recording warning to the lead
	sfBridge                             // start the recording if asked, and bridge
	sfConnected                          // timeline and hub: connected
	sfDropManager                        // hang up the chosen manager; it is out of the race
	sfNextManager                        // ring the plan's next managers
	sfKillManager                        // hang up the chosen manager's leg
	sfKillLead                           // hang up the lead's leg
	sfKillAll                            // hang up every leg still up or ringing
	sfFinish                             // close the record; Done gets the result
)

// speedStep decides a speed call's next state. It is pure; inputs that do
// not fit the phase change nothing.
func speedStep(s speedState, in speedInput) (speedState, []speedEffect) {
	if s.phase == spEnded {
		return s, nil
	}
	end := func(result string, fx ...speedEffect) (speedState, []speedEffect) {
		s.phase, s.result = spEnded, result
		return s, append(fx, sfFinish)
	}
	if in.kind == siCancel {
		if s.phase == spConnected {
			return end(SpeedConnected, sfKillAll) // they talked: that is the outcome
		}
		return end(SpeedCancelled, sfKillAll)
	}
	declined := func() (speedState, []speedEffect) {
		s.declined = true
		s.phase = spRinging
		return s, []speedEffect{sfDropManager, sfNextManager}
	}
	switch s.phase {
	case spRinging:
		switch in.kind {
		case siManagerAnswered:
			s.phase = spAnnouncing
			return s, []speedEffect{sfAnnounce}
		case siNoManager:
			if s.declined {
				return end(SpeedManagerDeclined)
			}
			return end(SpeedNoManager)
		}
	case spAnnouncing:
		switch in.kind {
		case siDigit:
			// A manager who knows the drill presses 1 without waiting for
			// the prompt; other keys wait for it (the name is still heard).
			if s.confirm && in.digit == "1" {
				s.phase = spLeadDialing
				return s, []speedEffect{sfStopSaying, sfConfirmed, sfDialLead}
			}
		case siAnnounced:
			if s.confirm {
				s.phase = spConfirming
				return s, []speedEffect{sfPrompt}
			}
			s.phase = spLeadDialing
			return s, []speedEffect{sfConfirmed, sfDialLead}
		case siManagerGone:
			return declined()
		}
	case spConfirming:
		switch in.kind {
		case siDigit:
			if in.digit != "1" {
				return declined()
			}
			s.phase = spLeadDialing
			return s, []speedEffect{sfConfirmed, sfDialLead}
		case siConfirmTimeout, siManagerGone:
			return declined()
		}
	case spLeadDialing:
		switch in.kind {
		case siLeadAnswered:
			if s.record {
				s.phase = spWarning
				return s, []speedEffect{sfWarn}
			}
			s.phase = spBridging
			return s, []speedEffect{sfBridge}
		case siLeadFailed:
			if in.more {
				return s, []speedEffect{sfDialNext}
			}
			return end(leadResult(in.cause), sfKillManager)
		case siManagerGone:
			// The manager gave up before the lead answered.
			return end(SpeedManagerDeclined, sfKillLead)
		}
	case spWarning, spBridging:
		switch in.kind {
		case siWarned:
			if s.phase == spWarning {
				s.phase = spBridging
				return s, []speedEffect{sfBridge}
			}
		case siBridged:
			if s.phase == spBridging {
				s.phase = spConnected
				return s, []speedEffect{sfConnected}
			}
		case siLeadGone:
			return end(SpeedFailed, sfKillManager)
		case siManagerGone:
			return end(SpeedFailed, sfKillLead)
		}
	case spConnected:
		switch in.kind {
		case siLeadGone:
			return end(SpeedConnected, sfKillManager)
		case siManagerGone:
			return end(SpeedConnected, sfKillLead)
		}
	}
	return s, nil
}

// leadResult names how the lead's last number failed.
func leadResult(cause string) string {
	switch OutcomeFor(cause, false, false) {
	case OutcomeBusy:
		return SpeedLeadBusy
	case OutcomeNoAnswer:
		return SpeedLeadNoAnswer
	}
	return SpeedFailed
}
