package dialer

import (
	"context"
	"fmt"
	"time"
)

// LiveStore holds the live state of every agent (Redis in production). Every
// state change is one atomic compare-and-set that also keeps the READY index,
// the lease index and the per-state time totals, and publishes an AgentEvent.
//
// Times: each request carries At, the service's clock (zero means now). One
// clock for Redis and SQLite keeps CDR and agent timelines comparable, and
// tests control time.
type LiveStore interface {
	// UpsertAgent registers an agent (LOGGED_OUT when new) or updates its
	// mode, endpoint and routing tags; a READY agent's index entries follow
	// at once.
	UpsertAgent(ctx context.Context, p AgentProfile) error
	// RemoveAgent forgets a LOGGED_OUT agent (ErrStateMismatch otherwise).
	RemoveAgent(ctx context.Context, id AgentID) error

	// Transition moves an agent from t.From to t.To if it is still in
	// t.From (and holds t.Call when given). Reservations go through Reserve
	// or ReserveAgent, never through Transition.
	Transition(ctx context.Context, t Transition) (AgentStatus, error)
	// Reserve books the longest-idle READY agent having all r.Tags for
	// r.Call, with a lease; with r.Node, only an agent whose line is on
	// that node or who has none. ErrNoAgent when none matches.
	Reserve(ctx context.Context, r ReserveRequest) (Reservation, error)
	// ReserveAgent books one named agent (transfers, manual dial from
	// READY, directed inbound); r.Tags are ignored. ErrStateMismatch when it
	// is not READY, ErrOtherNode when its line is on another node than
	// r.Node.
	ReserveAgent(ctx context.Context, id AgentID, r ReserveRequest) (Reservation, error)
	// SetLineNode records the switch node of a persistent agent's line
	// ("" for none); UpsertAgent in ring mode clears it.
	SetLineNode(ctx context.Context, id AgentID, node string) error
	// Release returns an agent reserved for call to READY, keeping its
	// place in the idle order.
	Release(ctx context.Context, id AgentID, call CallID, reason string, at time.Time) (AgentStatus, error)
	// RenewLease pushes the lease of an agent reserved for call to at+ttl.
	RenewLease(ctx context.Context, id AgentID, call CallID, ttl time.Duration, at time.Time) error
	// ExpireLeases returns every agent whose lease ended at or before now
	// to READY (publishing each change) and reports who it freed. The
	// service calls it on a ticker (see redisstore.SweepInterval).
	ExpireLeases(ctx context.Context, now time.Time) ([]AgentID, error)

	// Agent returns one agent's live state.
	Agent(ctx context.Context, id AgentID) (AgentStatus, error)
	// Agents returns every registered agent, ordered by id. Each entry is
	// consistent in itself; use Seq to merge with a subscription started
	// before the snapshot.
	Agents(ctx context.Context) ([]AgentStatus, error)
	// Subscribe delivers every agent event published after it returns, in
	// order, until ctx ends; then the channel is closed. Events are
	// notifications: after a gap in an agent's Seq, re-read the snapshot.
	Subscribe(ctx context.Context) (<-chan AgentEvent, error)

	// Heartbeat records that the agent's workspace is alive until deadline.
	Heartbeat(ctx context.Context, id AgentID, deadline time.Time) error
	// LostHeartbeats removes and returns agents whose heartbeat deadline is
	// at or before now; the service pauses them (it never ends their call).
	LostHeartbeats(ctx context.Context, now time.Time) ([]AgentID, error)

	// Restore writes states unconditionally, rebuilding indices; it is only
	// for rebuilding live state after Redis lost its data.
	Restore(ctx context.Context, agents []AgentStatus) error

	// Mark leaves a marker in the store and reports whether one was
	// already there: a store that lost its data (restarted empty,
	// flushed) has none, and its agents must be rebuilt.
	Mark(ctx context.Context) (kept bool, err error)

	// Unreachable is the error (ErrUnavailable) of the store's last
	// command if it could not reach the store, nil once one got through:
	// a check without I/O for hot paths, kept current by the sweeps.
	Unreachable() error
}

// AgentProfile is what routing needs to know about an agent.
type AgentProfile struct {
	ID   AgentID
	Mode AgentMode
	// Endpoint is where the session takes calls, as login settled it
	// (zero outside a session): a restart of the service rings the same
	// phone.
	Endpoint AgentEndpoint
	// Tags are routing tags (SkillTag, CampaignTag); a
	// reservation can require several.
	Tags []string
}

// Validate checks the profile before it reaches the store.
func (p AgentProfile) Validate() error {
	if p.ID <= 0 {
		return &FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if !p.Mode.Valid() {
		return &FieldError{Field: "mode", Reason: fmt.Sprintf("unknown agent mode %q", p.Mode)}
	}
	if err := validateSessionEndpoint(p.Endpoint); err != nil {
		return err
	}
	return validateTags(p.Tags)
}

// validateSessionEndpoint checks an endpoint as Login leaves it: a SIP
// extension (a phone's or a browser's) or an E.164 number, never both, or
// nothing at all.
func validateSessionEndpoint(ep AgentEndpoint) error {
	switch ep.Kind {
	case "":
		if ep.Extension != "" || ep.Phone != "" {
			return &FieldError{Field: "endpoint.kind", Reason: "required with an extension or a phone"}
		}
	case EndpointSIP, EndpointWebRTC:
		if !ValidExtension(ep.Extension) {
			return &FieldError{Field: "endpoint.extension", Reason: "2-10 digits"}
		}
		if ep.Phone != "" {
			return &FieldError{Field: "endpoint.phone", Reason: fmt.Sprintf("none on a %s endpoint", ep.Kind)}
		}
	case EndpointPhone:
		if !ValidPhone(ep.Phone) {
			return &FieldError{Field: "endpoint.phone", Reason: "E.164 (+ and digits)"}
		}
		if ep.Extension != "" {
			return &FieldError{Field: "endpoint.extension", Reason: "none on a phone endpoint"}
		}
	default:
		return &FieldError{Field: "endpoint.kind", Reason: "sip, webrtc or phone"}
	}
	return nil
}

func validateTags(tags []string) error {
	if len(tags) > 64 {
		return &FieldError{Field: "tags", Reason: "more than 64 tags"}
	}
	for _, t := range tags {
		if !ValidTag(t) {
			return &FieldError{Field: "tags", Reason: fmt.Sprintf("bad tag %q", t)}
		}
	}
	return nil
}

// Transition is one compare-and-set request on an agent's state.
type Transition struct {
	Agent AgentID
	// From is the state the caller believes the agent is in.
	From AgentState
	To   AgentState
	// Call, when From holds a call, must be that call (guards against a
	// late request hitting a newer reservation). When entering RINGING or
	// INCALL from PAUSED (manual dial) it is the new call and required.
	Call CallID
	// Reason is free text kept with the state and in the event ("agent",
	// "supervisor:7", "lead hangup", ...).
	Reason string
	// PauseCode is kept while PAUSED ("BREAK", "LUNCH", "RONA"...).
	PauseCode string
	At        time.Time
}

// Validate checks the request itself; the store checks the current state.
func (t Transition) Validate() error {
	switch {
	case t.Agent <= 0:
		return &FieldError{Field: "agent_id", Reason: "must be positive"}
	case !t.From.Valid():
		return &FieldError{Field: "from", Reason: "not a state"}
	case !t.To.Valid():
		return &FieldError{Field: "to", Reason: "not a state"}
	case t.To == AgentReserved:
		return fmt.Errorf("%w: reservations go through Reserve", ErrInvalidTransition)
	case !CanTransition(t.From, t.To):
		return fmt.Errorf("%w: %s -> %s", ErrInvalidTransition, t.From, t.To)
	case t.Call != "" && !t.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case !t.From.HoldsCall() && t.To.HoldsCall() && t.Call == "":
		return &FieldError{Field: "call_id", Reason: "required to enter " + t.To.String()}
	}
	if err := checkText("reason", t.Reason, 200, false); err != nil {
		return err
	}
	if t.PauseCode != "" && !validToken(t.PauseCode, 32, true) {
		return &FieldError{Field: "pause_code", Reason: "1-32 of [A-Za-z0-9_:.-]"}
	}
	return nil
}

// ReleaseTransition is the compare-and-set a LiveStore's Release makes.
func ReleaseTransition(id AgentID, call CallID, reason string, at time.Time) (Transition, error) {
	if call == "" {
		return Transition{}, &FieldError{Field: "call_id", Reason: "required"}
	}
	to, err := NextAgentState(AgentReserved, TriggerRelease, "")
	if err != nil {
		return Transition{}, err
	}
	return Transition{Agent: id, From: AgentReserved, To: to, Call: call, Reason: reason, At: at}, nil
}

// ValidateLineNode checks SetLineNode's arguments before they reach a
// store.
func ValidateLineNode(id AgentID, node string) error {
	if id <= 0 {
		return &FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if len(node) > 64 {
		return &FieldError{Field: "node", Reason: "up to 64 characters"}
	}
	return nil
}

// ValidateRenewal checks a LiveStore.RenewLease request.
func ValidateRenewal(call CallID, ttl time.Duration) error {
	if !call.Valid() {
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	}
	if ttl <= 0 || ttl > time.Hour {
		return &FieldError{Field: "lease", Reason: "must be between 0 and 1h"}
	}
	return nil
}

// DefaultLease is how long a reservation lasts when the request gives none:
// long enough to originate the agent leg, short enough that a crashed
// dispatcher does not hide an agent for long.
const DefaultLease = 10 * time.Second

// ReserveRequest books an agent for a call.
type ReserveRequest struct {
	Call CallID
	// Tags the agent must all have (AND); none means any READY agent.
	Tags []string
	// Node is the switch node of the call ("" for any): an agent whose
	// persistent line is on another node cannot be bridged to it, a
	// ring-mode agent's phone is rung from the call's node.
	Node string
	// Lease is how long the reservation lasts unconfirmed (DefaultLease if
	// zero).
	Lease  time.Duration
	Reason string
	At     time.Time
}

// Validate checks the request.
func (r ReserveRequest) Validate() error {
	if !r.Call.Valid() {
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	}
	if r.Lease < 0 || r.Lease > time.Hour {
		return &FieldError{Field: "lease", Reason: "must be between 0 and 1h"}
	}
	if err := checkText("reason", r.Reason, 200, false); err != nil {
		return err
	}
	if err := checkText("node", r.Node, 64, false); err != nil {
		return err
	}
	return validateTags(r.Tags)
}

// Reservation is what a dispatcher needs after booking an agent: who, in
// which mode (ring or bridge at once), until when. It is small on purpose;
// reserving is the hot path.
type Reservation struct {
	Agent AgentID
	Call  CallID
	Mode  AgentMode
	// LeaseUntil is when the reservation lapses unless confirmed (moved
	// to RINGING or INCALL), renewed or released.
	LeaseUntil time.Time
	// IdleSince is the agent's place in line, kept if the reservation is
	// released or lapses.
	IdleSince time.Time
	Tags      []string
	// Seq is the agent's transition count after the reservation.
	Seq int64
}

// AgentStatus is one agent's live state.
type AgentStatus struct {
	Agent     AgentID    `json:"agent_id"`
	State     AgentState `json:"state"`
	Since     time.Time  `json:"since"`
	Reason    string     `json:"reason,omitempty"`
	Call      CallID     `json:"call_id,omitempty"`
	PauseCode string     `json:"pause_code,omitempty"`
	Mode      AgentMode  `json:"mode"`
	// Endpoint is where the session takes calls (zero outside one).
	Endpoint AgentEndpoint `json:"endpoint"`
	Tags     []string      `json:"tags"`
	// IdleSince orders READY agents (longest idle first). It is kept
	// while RESERVED or RINGING, so a released or lapsed reservation
	// returns the agent to its place.
	IdleSince time.Time `json:"idle_since,omitzero"`
	// LeaseUntil is when a reservation lapses (RESERVED only).
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// LoginAt starts the session that Totals and Calls count.
	LoginAt time.Time `json:"login_at,omitzero"`
	// Calls is how many times the agent entered INCALL this session.
	Calls int64 `json:"calls"`
	// Totals is time spent per state this session, excluding the current
	// state's running interval (see TotalsAt).
	Totals StateTotals `json:"totals"`
	// Seq counts the agent's transitions; events carry the same number.
	Seq int64 `json:"seq"`
}

// Profile is the part of the status UpsertAgent writes.
func (s AgentStatus) Profile() AgentProfile {
	return AgentProfile{ID: s.Agent, Mode: s.Mode, Endpoint: s.Endpoint, Tags: s.Tags}
}

// TotalsAt adds the running interval of the current state up to now.
func (s AgentStatus) TotalsAt(now time.Time) StateTotals {
	t := s.Totals
	if d := now.Sub(s.Since); d > 0 && s.State != AgentLoggedOut {
		t.Add(s.State, d)
	}
	return t
}

// StateTotals is time spent in each state.
type StateTotals struct {
	Ready    time.Duration `json:"ready"`
	Reserved time.Duration `json:"reserved"`
	Ringing  time.Duration `json:"ringing"`
	InCall   time.Duration `json:"incall"`
	Dispo    time.Duration `json:"dispo"`
	Paused   time.Duration `json:"paused"`
}

func (t *StateTotals) field(s AgentState) *time.Duration {
	switch s {
	case AgentReady:
		return &t.Ready
	case AgentReserved:
		return &t.Reserved
	case AgentRinging:
		return &t.Ringing
	case AgentInCall:
		return &t.InCall
	case AgentDispo:
		return &t.Dispo
	case AgentPaused:
		return &t.Paused
	}
	return nil
}

// Add accounts d to state s (LOGGED_OUT is not accounted).
func (t *StateTotals) Add(s AgentState, d time.Duration) {
	if f := t.field(s); f != nil {
		*f += d
	}
}

// Get returns the total of state s.
func (t StateTotals) Get(s AgentState) time.Duration {
	if f := t.field(s); f != nil {
		return *f
	}
	return 0
}

// AgentEvent is one published agent state change.
type AgentEvent struct {
	Agent     AgentID    `json:"agent_id"`
	From      AgentState `json:"from"`
	To        AgentState `json:"to"`
	Reason    string     `json:"reason,omitempty"`
	At        time.Time  `json:"at"`
	Call      CallID     `json:"call_id,omitempty"`
	PauseCode string     `json:"pause_code,omitempty"`
	Seq       int64      `json:"seq"`
}
