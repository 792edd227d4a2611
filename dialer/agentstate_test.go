package dialer

import (
	"encoding/json"
	"errors"
	"testing"
)

const (
	lo  = AgentLoggedOut
	rdy = AgentReady
	res = AgentReserved
	rng = AgentRinging
	inc = AgentInCall
	dsp = AgentDispo
	pau = AgentPaused
)

// Every (state, trigger, mode) not listed here must be rejected.
var allowedTriggers = []struct {
	from AgentState
	t    AgentTrigger
	mode AgentMode // "" = both modes
	to   AgentState
}{
	{lo, TriggerLogin, "", pau},
	{pau, TriggerReady, "", rdy},
	{dsp, TriggerReady, "", rdy},
	{rdy, TriggerPause, "", pau},
	{dsp, TriggerPause, "", pau},
	{pau, TriggerPause, "", pau},
	{rdy, TriggerReserve, "", res},
	{res, TriggerRelease, "", rdy},
	{rng, TriggerRelease, "", rdy},
	{res, TriggerLeaseExpired, "", rdy},
	{res, TriggerRing, ModeRing, rng},
	{res, TriggerConnect, ModePersistent, inc},
	{rng, TriggerConnect, "", inc},
	{rng, TriggerNoAnswer, "", pau},
	{pau, TriggerDial, ModeRing, rng},
	{pau, TriggerDial, ModePersistent, inc},
	{inc, TriggerHangup, "", dsp},
	{rdy, TriggerLogout, "", lo},
	{pau, TriggerLogout, "", lo},
	{dsp, TriggerLogout, "", lo},
	{res, TriggerCallLost, "", pau},
	{rng, TriggerCallLost, "", pau},
	{inc, TriggerCallLost, "", pau},
}

func TestNextAgentState(t *testing.T) {
	type key struct {
		from AgentState
		t    AgentTrigger
		mode AgentMode
	}
	want := map[key]AgentState{}
	for _, a := range allowedTriggers {
		for _, m := range []AgentMode{ModeRing, ModePersistent} {
			if a.mode == "" || a.mode == m {
				want[key{a.from, a.t, m}] = a.to
			}
		}
	}
	for _, from := range append([]AgentState{0}, AgentStates...) {
		for _, tr := range append([]AgentTrigger{0}, AgentTriggers...) {
			for _, m := range []AgentMode{ModeRing, ModePersistent} {
				got, err := NextAgentState(from, tr, m)
				exp, ok := want[key{from, tr, m}]
				switch {
				case ok && (err != nil || got != exp):
					t.Errorf("%s + %s (%s) = %s, %v; want %s", from, tr, m, got, err, exp)
				case !ok && !errors.Is(err, ErrInvalidTransition):
					t.Errorf("%s + %s (%s) = %s, %v; want ErrInvalidTransition", from, tr, m, got, err)
				}
			}
		}
	}
}

func TestCanTransitionEveryPair(t *testing.T) {
	// Rows: from; columns: to, in AgentStates order
	// LO RDY RES RNG INC DSP PAU.
	table := map[AgentState][7]bool{
		lo:  {false, false, false, false, false, false, true},
		rdy: {true, false, true, false, false, false, true},
		res: {false, true, false, true, true, false, true},
		rng: {false, true, false, false, true, false, true},
		inc: {false, false, false, false, false, true, true},
		dsp: {true, true, false, false, false, false, true},
		pau: {true, true, false, true, true, false, true},
	}
	for _, from := range AgentStates {
		for i, to := range AgentStates {
			if got, want := CanTransition(from, to), table[from][i]; got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		if CanTransition(from, 0) || CanTransition(0, from) {
			t.Errorf("CanTransition accepts the zero state with %s", from)
		}
	}
}

func TestAgentStateText(t *testing.T) {
	for _, s := range AgentStates {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back AgentState
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s round trip: %s -> %v, %v", s, b, back, err)
		}
	}
	if _, err := ParseAgentState("ready"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseAgentState is case-insensitive: %v", err)
	}
	if _, err := json.Marshal(AgentState(0)); err == nil {
		t.Error("zero state marshalled")
	}
	if AgentState(0).String() != "AgentState(0)" || AgentInCall.String() != "INCALL" {
		t.Error("String")
	}
}

func TestHoldsCall(t *testing.T) {
	want := map[AgentState]bool{res: true, rng: true, inc: true, dsp: true}
	for _, s := range AgentStates {
		if s.HoldsCall() != want[s] {
			t.Errorf("%s.HoldsCall() = %v", s, s.HoldsCall())
		}
	}
}
