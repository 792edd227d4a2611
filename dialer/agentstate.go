package dialer

import "fmt"

// AgentState is where an agent is in its work cycle. The zero value is not a
// state, so a forgotten field never passes as LOGGED_OUT.
type AgentState uint8

const (
	AgentLoggedOut AgentState = iota + 1
	AgentReady
	AgentReserved
	AgentRinging
	AgentInCall
	AgentDispo
	AgentPaused
)

// AgentStates lists every valid state in display order.
var AgentStates = []AgentState{AgentLoggedOut, AgentReady, AgentReserved, AgentRinging, AgentInCall, AgentDispo, AgentPaused}

var agentStateNames = [...]string{
	AgentLoggedOut: "LOGGED_OUT",
	AgentReady:     "READY",
	AgentReserved:  "RESERVED",
	AgentRinging:   "RINGING",
	AgentInCall:    "INCALL",
	AgentDispo:     "DISPO",
	AgentPaused:    "PAUSED",
}

// Valid reports whether s is one of the defined states.
func (s AgentState) Valid() bool { return s >= AgentLoggedOut && s <= AgentPaused }

func (s AgentState) String() string {
	if s.Valid() {
		return agentStateNames[s]
	}
	return fmt.Sprintf("AgentState(%d)", uint8(s))
}

// HoldsCall reports whether an agent in s is bound to a call: reserved for
// it, ringing for it, talking on it or wrapping it up.
func (s AgentState) HoldsCall() bool {
	return s == AgentReserved || s == AgentRinging || s == AgentInCall || s == AgentDispo
}

// ParseAgentState parses the String form (e.g. "READY").
func ParseAgentState(name string) (AgentState, error) {
	for _, s := range AgentStates {
		if agentStateNames[s] == name {
			return s, nil
		}
	}
	return 0, &FieldError{Field: "state", Reason: fmt.Sprintf("unknown agent state %q", name)}
}

// MarshalText makes the state appear by name in JSON.
func (s AgentState) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("marshal %v: not a valid agent state", s)
	}
	return []byte(agentStateNames[s]), nil
}

// UnmarshalText accepts the names produced by MarshalText.
func (s *AgentState) UnmarshalText(b []byte) error {
	v, err := ParseAgentState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// AgentMode is how an agent's phone is connected to calls.
type AgentMode string

const (
	// ModeRing rings the agent's phone for every call.
	ModeRing AgentMode = "ring"
	// ModePersistent keeps the agent's leg up between calls (nailed-up), so a
	// lead is connected without ringing.
	ModePersistent AgentMode = "persistent"
)

// Valid reports whether m is a defined mode.
func (m AgentMode) Valid() bool { return m == ModeRing || m == ModePersistent }

// AgentTrigger is what happened to an agent; NextAgentState turns it into
// the next state.
type AgentTrigger uint8

const (
	// TriggerLogin: the agent logged in. Agents start PAUSED and choose READY.
	TriggerLogin AgentTrigger = iota + 1
	// TriggerReady: the agent (or auto-ready after wrap-up) asks for calls.
	TriggerReady
	// TriggerPause: the agent, a supervisor or a lost heartbeat pauses.
	TriggerPause
	// TriggerReserve: a dispatcher booked the agent for a call.
	TriggerReserve
	// TriggerRelease: the booked call went away before the agent talked
	// (lead hung up, originate failed); the agent did nothing wrong.
	TriggerRelease
	// TriggerLeaseExpired: nobody confirmed the reservation in time.
	TriggerLeaseExpired
	// TriggerRing: the agent's phone is being rung for the reserved call.
	TriggerRing
	// TriggerConnect: the agent is in audio with the call.
	TriggerConnect
	// TriggerNoAnswer: the agent's phone rang out or rejected (RONA); the
	// agent is paused so the next call does not ring an empty desk.
	TriggerNoAnswer
	// TriggerDial: a paused agent dials by hand from the workspace.
	TriggerDial
	// TriggerHangup: the agent's call ended; wrap-up starts.
	TriggerHangup
	// TriggerLogout: the agent leaves; only outside a call.
	TriggerLogout
	// TriggerCallLost: the agent is bound to a call the service no longer
	// holds (it restarted, or the switch lost the call); the agent is
	// paused at once rather than left waiting on a call that is gone.
	TriggerCallLost
)

// AgentTriggers lists every trigger.
var AgentTriggers = []AgentTrigger{
	TriggerLogin, TriggerReady, TriggerPause, TriggerReserve, TriggerRelease, TriggerLeaseExpired,
	TriggerRing, TriggerConnect, TriggerNoAnswer, TriggerDial, TriggerHangup, TriggerLogout, TriggerCallLost,
}

var agentTriggerNames = [...]string{
	TriggerLogin:        "login",
	TriggerReady:        "ready",
	TriggerPause:        "pause",
	TriggerReserve:      "reserve",
	TriggerRelease:      "release",
	TriggerLeaseExpired: "lease_expired",
	TriggerRing:         "ring",
	TriggerConnect:      "connect",
	TriggerNoAnswer:     "no_answer",
	TriggerDial:         "dial",
	TriggerHangup:       "hangup",
	TriggerLogout:       "logout",
	TriggerCallLost:     "call_lost",
}

func (t AgentTrigger) String() string {
	if t >= TriggerLogin && t <= TriggerCallLost {
		return agentTriggerNames[t]
	}
	return fmt.Sprintf("AgentTrigger(%d)", uint8(t))
}

// NextAgentState is the one place that decides agent state changes. mode
// matters only for connecting a reserved agent: a persistent agent goes from
// RESERVED straight to INCALL, a ring agent goes through RINGING. Pass
// ModeRing for a persistent agent whose leg is currently down.
//
// The cycle is READY -> RESERVED -> RINGING -> INCALL -> DISPO -> READY, with
// PAUSED beside READY and LOGGED_OUT reachable only outside a call.
func NextAgentState(from AgentState, t AgentTrigger, mode AgentMode) (AgentState, error) {
	persistent := mode == ModePersistent
	switch t {
	case TriggerLogin:
		if from == AgentLoggedOut {
			return AgentPaused, nil
		}
	case TriggerReady:
		if from == AgentPaused || from == AgentDispo {
			return AgentReady, nil
		}
	case TriggerPause:
		// PAUSED -> PAUSED changes the pause code.
		if from == AgentReady || from == AgentDispo || from == AgentPaused {
			return AgentPaused, nil
		}
	case TriggerReserve:
		if from == AgentReady {
			return AgentReserved, nil
		}
	case TriggerRelease:
		if from == AgentReserved || from == AgentRinging {
			return AgentReady, nil
		}
	case TriggerLeaseExpired:
		if from == AgentReserved {
			return AgentReady, nil
		}
	case TriggerRing:
		if from == AgentReserved && !persistent {
			return AgentRinging, nil
		}
	case TriggerConnect:
		if from == AgentRinging || from == AgentReserved && persistent {
			return AgentInCall, nil
		}
	case TriggerNoAnswer:
		if from == AgentRinging {
			return AgentPaused, nil
		}
	case TriggerDial:
		if from == AgentPaused {
			if persistent {
				return AgentInCall, nil
			}
			return AgentRinging, nil
		}
	case TriggerHangup:
		if from == AgentInCall {
			return AgentDispo, nil
		}
	case TriggerLogout:
		if from == AgentReady || from == AgentPaused || from == AgentDispo {
			return AgentLoggedOut, nil
		}
	case TriggerCallLost:
		// DISPO keeps its wrap-up: the call ended and its record is kept.
		if from == AgentReserved || from == AgentRinging || from == AgentInCall {
			return AgentPaused, nil
		}
	}
	return 0, fmt.Errorf("%w: %s on %s (%s mode)", ErrInvalidTransition, t, from, mode)
}

// transitions[from][to] is true when some trigger in some mode leads from
// one to the other; it is derived from NextAgentState so the two never differ.
var transitions = func() (tab [AgentPaused + 1][AgentPaused + 1]bool) {
	for _, from := range AgentStates {
		for _, t := range AgentTriggers {
			for _, m := range []AgentMode{ModeRing, ModePersistent} {
				if to, err := NextAgentState(from, t, m); err == nil {
					tab[from][to] = true
				}
			}
		}
	}
	return tab
}()

// CanTransition reports whether a store may move an agent from one state to
// another. Stores check it before their compare-and-set; callers compute the
// target with NextAgentState.
func CanTransition(from, to AgentState) bool {
	return from.Valid() && to.Valid() && transitions[from][to]
}
