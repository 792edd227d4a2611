package dialer

import (
	"errors"
	"fmt"

	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// ErrNotFound means the agent, call or record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict means the write collides with existing data: a duplicate
// unique value (username, extension, lead phone in a campaign...) or a record
// that is already in a final state.
var ErrConflict = errors.New("conflict")

// ErrStale means a record changed between its read and the write that
// relied on it; nothing was written. Read again and reapply the change
// (UpdateLeadWith does).
var ErrStale = fmt.Errorf("%w: changed since it was read", ErrConflict)

// ErrStateMismatch means a compare-and-set failed: the agent (or callback) is
// not in the state, or not holding the call, the caller expected. Nothing was
// changed; re-read and decide again.
var ErrStateMismatch = errors.New("state mismatch")

// ErrInvalidTransition means the requested state change is never allowed
// (see NextAgentState), whatever the current state is.
var ErrInvalidTransition = errors.New("invalid state transition")

// ErrNoAgent means no READY agent matches a reservation request.
var ErrNoAgent = errors.New("no agent available")

// ErrOtherNode means a named agent's persistent line is on another switch
// node than the call: the two cannot be bridged.
var ErrOtherNode = errors.New("the agent's line is on another switch node")

// ErrInvalid means an input failed validation; the error is a *FieldError
// naming the field. It is inputerr's, the one identity's errors match too.
var ErrInvalid = inputerr.ErrInvalid

// ErrInUse means a record cannot be deleted because other records refer to
// it, or because the system relies on it (system dispositions).
var ErrInUse = errors.New("in use")

// ErrDisabled means the agent seat is disabled. It is identity's value (a
// disabled user, a revoked or expired key), so that one mapping answers all.
var ErrDisabled = identity.ErrDisabled

// FieldError is a validation failure of one named input field. It matches
// ErrInvalid with errors.Is. It is inputerr's type, which identity returns
// too.
type FieldError = inputerr.FieldError

// StateMismatchError reports what the agent actually was when a
// compare-and-set failed. It matches ErrStateMismatch with errors.Is.
type StateMismatchError struct {
	Agent    AgentID
	Expected AgentState
	Actual   AgentState
	// Call is the call the agent actually holds, if any.
	Call CallID
}

func (e *StateMismatchError) Error() string {
	s := fmt.Sprintf("agent %d is %s, expected %s", e.Agent, e.Actual, e.Expected)
	if e.Call != "" {
		s += " (call " + string(e.Call) + ")"
	}
	return s
}

// Unwrap makes errors.Is(err, ErrStateMismatch) true.
func (e *StateMismatchError) Unwrap() error { return ErrStateMismatch }
