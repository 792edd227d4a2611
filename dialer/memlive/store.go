// Package memlive is dialer.LiveStore in memory, for engine tests: the
// semantics of dialer/redisstore (compare-and-set transitions, longest-idle
// reservation with tags and a node filter, leases, heartbeats, per-state totals, Mark and
// Restore, Subscribe with Seq), proved by the same contract suite
// (dialer/livestoretest), without a redis-server and without I/O, so it
// works inside a testing/synctest bubble. SetDown simulates an outage.
//
// Times are kept in Unix milliseconds, as Redis keeps them, so both stores
// answer the same values. Ties in the idle order go to the smaller id as a
// string, as in a Redis sorted set.
package memlive

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// ErrDown is what every call returns while the store is down (SetDown).
var ErrDown = fmt.Errorf("%w: memlive: store down", dialer.ErrUnavailable)

// Store is an in-memory dialer.LiveStore. The zero value is not usable;
// call New.
type Store struct {
	now func() time.Time

	mu         sync.Mutex
	agents     map[dialer.AgentID]*agent
	heartbeats map[dialer.AgentID]int64
	marker     bool
	subs       map[*sub]struct{}
	down       bool
	lastErr    error
}

var _ dialer.LiveStore = (*Store)(nil)

// agent mirrors the redisstore hash; 0 stands for an empty time.
type agent struct {
	state       dialer.AgentState
	since       int64
	reason      string
	call        dialer.CallID
	pause       string
	mode        dialer.AgentMode
	endpoint    dialer.AgentEndpoint // where the session takes calls
	node        string               // switch node of a persistent agent's line
	idle, lease int64
	login       int64
	calls, seq  int64
	totals      map[dialer.AgentState]int64
	tags        []string // sorted
}

// New returns an empty store; now is the clock for requests with a zero
// time (clock.System if nil).
func New(now func() time.Time) *Store {
	if now == nil {
		now = clock.System()
	}
	return &Store{
		now: now, agents: map[dialer.AgentID]*agent{}, heartbeats: map[dialer.AgentID]int64{},
		subs: map[*sub]struct{}{},
	}
}

// SetDown makes every call fail with ErrDown (dialer.ErrUnavailable) until
// SetDown(false), as when Redis cannot be reached. Data is kept.
func (s *Store) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Flush forgets everything (agents, heartbeats, the marker), as a Redis
// that restarted without its data. Subscriptions stay.
func (s *Store) Flush() {
	s.mu.Lock()
	s.agents = map[dialer.AgentID]*agent{}
	s.heartbeats = map[dialer.AgentID]int64{}
	s.marker = false
	s.mu.Unlock()
}

// Dump is everything kept about one agent, "" when nothing, so a test can
// prove a refused request changed nothing.
func (s *Store) Dump(id dialer.AgentID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.agents[id]
	if !ok {
		return ""
	}
	hb, hasHB := s.heartbeats[id]
	return fmt.Sprintf("%+v hb=%d,%v", *a, hb, hasHB)
}

// Empty reports that the store holds nothing.
func (s *Store) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.agents) == 0 && len(s.heartbeats) == 0 && !s.marker
}

// lock takes the lock, or reports the outage (and then holds no lock).
func (s *Store) lock() error {
	s.mu.Lock()
	if s.down {
		s.lastErr = ErrDown
		s.mu.Unlock()
		return ErrDown
	}
	s.lastErr = nil
	return nil
}

// lockAgent takes the lock and finds agent id; on error no lock is held.
func (s *Store) lockAgent(id dialer.AgentID) (*agent, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	a, ok := s.agents[id]
	if !ok {
		s.mu.Unlock()
		return nil, notFound(id)
	}
	return a, nil
}

func (s *Store) ms(t time.Time) int64 {
	if t.IsZero() {
		t = s.now()
	}
	return t.UnixMilli()
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func notFound(id dialer.AgentID) error { return fmt.Errorf("agent %d: %w", id, dialer.ErrNotFound) }

func mismatch(id dialer.AgentID, expected dialer.AgentState, a *agent) error {
	return &dialer.StateMismatchError{Agent: id, Expected: expected, Actual: a.state, Call: a.call}
}

// UpsertAgent implements dialer.LiveStore.
func (s *Store) UpsertAgent(ctx context.Context, p dialer.AgentProfile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a, ok := s.agents[p.ID]
	if !ok {
		a = &agent{state: dialer.AgentLoggedOut, since: s.ms(time.Time{}), reason: "registered", totals: map[dialer.AgentState]int64{}}
		s.agents[p.ID] = a
	}
	a.mode, a.endpoint = p.Mode, p.Endpoint
	if p.Mode != dialer.ModePersistent {
		a.node = "" // only a persistent agent has a line
	}
	a.tags = slices.Compact(slices.Sorted(slices.Values(p.Tags)))
	return nil
}

// RemoveAgent implements dialer.LiveStore.
func (s *Store) RemoveAgent(ctx context.Context, id dialer.AgentID) error {
	a, err := s.lockAgent(id)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if a.state != dialer.AgentLoggedOut {
		return mismatch(id, dialer.AgentLoggedOut, a)
	}
	delete(s.agents, id)
	delete(s.heartbeats, id)
	return nil
}

// Transition implements dialer.LiveStore.
func (s *Store) Transition(ctx context.Context, t dialer.Transition) (dialer.AgentStatus, error) {
	if err := t.Validate(); err != nil {
		return dialer.AgentStatus{}, err
	}
	a, err := s.lockAgent(t.Agent)
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	defer s.mu.Unlock()
	if a.state != t.From || (t.Call != "" && a.call != "" && a.call != t.Call) {
		return dialer.AgentStatus{}, mismatch(t.Agent, t.From, a)
	}
	call := dialer.CallID("")
	if t.To == dialer.AgentRinging || t.To == dialer.AgentInCall || t.To == dialer.AgentDispo {
		call = cmp.Or(a.call, t.Call)
	}
	pause := ""
	if t.To == dialer.AgentPaused {
		pause = t.PauseCode
	}
	s.apply(t.Agent, a, t.To, call, t.Reason, pause, s.ms(t.At), 0)
	return status(t.Agent, a), nil
}

// apply moves a (state already checked) to state to at now, keeping
// totals, the idle order, the lease and the heartbeat as redisstore's Lua
// apply does, and publishes the event.
func (s *Store) apply(id dialer.AgentID, a *agent, to dialer.AgentState, call dialer.CallID, reason, pause string, now, leaseTo int64) {
	frm := a.state
	el := max(now-a.since, 0)
	a.seq++
	if frm == dialer.AgentLoggedOut {
		a.totals = map[dialer.AgentState]int64{}
		a.login = now
	} else {
		a.totals[frm] += el
	}
	if to == dialer.AgentInCall {
		a.calls++
	} else if frm == dialer.AgentLoggedOut {
		a.calls = 0
	}
	switch {
	case to == dialer.AgentReady:
		if !(frm == dialer.AgentReserved || frm == dialer.AgentRinging) || a.idle == 0 {
			a.idle = now
		}
	case to == dialer.AgentReserved || to == dialer.AgentRinging:
	default:
		a.idle = 0
	}
	a.lease = 0
	if to == dialer.AgentReserved {
		a.lease = leaseTo
	}
	if to == dialer.AgentLoggedOut {
		delete(s.heartbeats, id)
	}
	evCall := cmp.Or(call, a.call)
	a.state, a.since, a.reason, a.call, a.pause = to, now, reason, call, pause
	s.publish(dialer.AgentEvent{Agent: id, From: frm, To: to, Reason: reason, At: msTime(now), Call: evCall, PauseCode: pause, Seq: a.seq})
}

// Reserve implements dialer.LiveStore.
func (s *Store) Reserve(ctx context.Context, r dialer.ReserveRequest) (dialer.Reservation, error) {
	return s.reserve(0, r)
}

// ReserveAgent implements dialer.LiveStore.
func (s *Store) ReserveAgent(ctx context.Context, id dialer.AgentID, r dialer.ReserveRequest) (dialer.Reservation, error) {
	if id <= 0 {
		return dialer.Reservation{}, &dialer.FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	r.Tags = nil
	return s.reserve(id, r)
}

func (s *Store) reserve(named dialer.AgentID, r dialer.ReserveRequest) (dialer.Reservation, error) {
	if err := r.Validate(); err != nil {
		return dialer.Reservation{}, err
	}
	lease := cmp.Or(r.Lease, dialer.DefaultLease)
	if err := s.lock(); err != nil {
		return dialer.Reservation{}, err
	}
	defer s.mu.Unlock()
	id := named
	if named > 0 {
		a, ok := s.agents[named]
		if !ok {
			return dialer.Reservation{}, notFound(named)
		}
		if a.state != dialer.AgentReady {
			return dialer.Reservation{}, mismatch(named, dialer.AgentReady, a)
		}
		if r.Node != "" && a.node != "" && a.node != r.Node {
			return dialer.Reservation{}, fmt.Errorf("agent %d: %w (line on %s)", named, dialer.ErrOtherNode, a.node)
		}
	} else if id = s.longestIdle(r.Tags, r.Node); id == 0 {
		return dialer.Reservation{}, dialer.ErrNoAgent
	}
	a := s.agents[id]
	now := s.ms(r.At)
	s.apply(id, a, dialer.AgentReserved, r.Call, r.Reason, "", now, now+lease.Milliseconds())
	return dialer.Reservation{
		Agent: id, Call: r.Call, Mode: a.mode, LeaseUntil: msTime(a.lease), IdleSince: msTime(a.idle),
		Tags: slices.Clone(a.tags), Seq: a.seq,
	}, nil
}

// longestIdle is the READY agent with every tag, whose line is on node
// or who has none (any agent when node is ""), with the smallest idle
// time; 0 when none.
func (s *Store) longestIdle(tags []string, node string) dialer.AgentID {
	var best dialer.AgentID
	var bestIdle int64
	for id, a := range s.agents {
		if a.state != dialer.AgentReady || !hasAll(a.tags, tags) || node != "" && a.node != "" && a.node != node {
			continue
		}
		if best == 0 || a.idle < bestIdle || a.idle == bestIdle && id.String() < best.String() {
			best, bestIdle = id, a.idle
		}
	}
	return best
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if _, ok := slices.BinarySearch(have, t); !ok {
			return false
		}
	}
	return true
}

// SetLineNode implements dialer.LiveStore.
func (s *Store) SetLineNode(ctx context.Context, id dialer.AgentID, node string) error {
	if err := dialer.ValidateLineNode(id, node); err != nil {
		return err
	}
	a, err := s.lockAgent(id)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	a.node = node
	return nil
}

// Release implements dialer.LiveStore.
func (s *Store) Release(ctx context.Context, id dialer.AgentID, call dialer.CallID, reason string, at time.Time) (dialer.AgentStatus, error) {
	t, err := dialer.ReleaseTransition(id, call, reason, at)
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	return s.Transition(ctx, t)
}

// RenewLease implements dialer.LiveStore.
func (s *Store) RenewLease(ctx context.Context, id dialer.AgentID, call dialer.CallID, ttl time.Duration, at time.Time) error {
	if err := dialer.ValidateRenewal(call, ttl); err != nil {
		return err
	}
	a, err := s.lockAgent(id)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if a.state != dialer.AgentReserved || a.call != call {
		return mismatch(id, dialer.AgentReserved, a)
	}
	a.lease = s.ms(at) + ttl.Milliseconds()
	return nil
}

// due lists the ids whose deadline is at or before now, earliest first
// (ties by id as a string, as a sorted set orders them).
func due[T any](m map[dialer.AgentID]T, deadline func(T) (int64, bool), now int64) []dialer.AgentID {
	type entry struct {
		id dialer.AgentID
		at int64
	}
	var es []entry
	for id, v := range m {
		if at, ok := deadline(v); ok && at <= now {
			es = append(es, entry{id, at})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id.String(), b.id.String()))
	})
	out := make([]dialer.AgentID, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

// ExpireLeases implements dialer.LiveStore.
func (s *Store) ExpireLeases(ctx context.Context, now time.Time) ([]dialer.AgentID, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	n := s.ms(now)
	ids := due(s.agents, func(a *agent) (int64, bool) { return a.lease, a.state == dialer.AgentReserved }, n)
	for _, id := range ids {
		s.apply(id, s.agents[id], dialer.AgentReady, "", "lease expired", "", n, 0)
	}
	return ids, nil
}

// Heartbeat implements dialer.LiveStore.
func (s *Store) Heartbeat(ctx context.Context, id dialer.AgentID, deadline time.Time) error {
	if id <= 0 {
		return &dialer.FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.heartbeats[id] = deadline.UnixMilli()
	return nil
}

// LostHeartbeats implements dialer.LiveStore.
func (s *Store) LostHeartbeats(ctx context.Context, now time.Time) ([]dialer.AgentID, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	ids := due(s.heartbeats, func(d int64) (int64, bool) { return d, true }, s.ms(now))
	for _, id := range ids {
		delete(s.heartbeats, id)
	}
	return ids, nil
}

func status(id dialer.AgentID, a *agent) dialer.AgentStatus {
	st := dialer.AgentStatus{
		Agent: id, State: a.state, Since: msTime(a.since), Reason: a.reason, Call: a.call, PauseCode: a.pause,
		Mode: a.mode, Endpoint: a.endpoint, Tags: append([]string{}, a.tags...), LeaseUntil: msTime(a.lease), LoginAt: msTime(a.login),
		Calls: a.calls, Seq: a.seq,
	}
	if a.state == dialer.AgentReady || a.state == dialer.AgentReserved || a.state == dialer.AgentRinging {
		st.IdleSince = msTime(a.idle)
	}
	for state, ms := range a.totals {
		st.Totals.Add(state, time.Duration(ms)*time.Millisecond)
	}
	return st
}

// Agent implements dialer.LiveStore.
func (s *Store) Agent(ctx context.Context, id dialer.AgentID) (dialer.AgentStatus, error) {
	a, err := s.lockAgent(id)
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	defer s.mu.Unlock()
	return status(id, a), nil
}

// Agents implements dialer.LiveStore.
func (s *Store) Agents(ctx context.Context) ([]dialer.AgentStatus, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]dialer.AgentStatus, 0, len(s.agents))
	for id, a := range s.agents {
		out = append(out, status(id, a))
	}
	slices.SortFunc(out, func(a, b dialer.AgentStatus) int { return cmp.Compare(a.Agent, b.Agent) })
	return out, nil
}

// Restore implements dialer.LiveStore.
func (s *Store) Restore(ctx context.Context, agents []dialer.AgentStatus) error {
	for _, a := range agents {
		if err := a.Profile().Validate(); err != nil {
			return err
		}
		if !a.State.Valid() {
			return &dialer.FieldError{Field: "state", Reason: "not a state"}
		}
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	now := s.ms(time.Time{})
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	for _, in := range agents {
		prev, node := dialer.AgentLoggedOut, ""
		if a, ok := s.agents[in.Agent]; ok {
			prev, node = a.state, a.node
		}
		if in.Mode != dialer.ModePersistent {
			node = ""
		}
		a := &agent{
			state: in.State, since: ms(in.Since), reason: in.Reason, pause: in.PauseCode, mode: in.Mode, endpoint: in.Endpoint, node: node,
			login: ms(in.LoginAt), calls: in.Calls, seq: in.Seq + 1, totals: map[dialer.AgentState]int64{},
			tags: slices.Compact(slices.Sorted(slices.Values(in.Tags))),
		}
		if in.State.HoldsCall() {
			a.call = in.Call
		}
		if in.State == dialer.AgentReady || in.State == dialer.AgentReserved || in.State == dialer.AgentRinging {
			a.idle = ms(in.IdleSince)
			if a.idle == 0 && in.State == dialer.AgentReady {
				a.idle = ms(in.Since)
			}
		}
		if in.State == dialer.AgentReserved {
			a.lease = cmp.Or(ms(in.LeaseUntil), now+dialer.DefaultLease.Milliseconds())
		}
		for _, st := range dialer.AgentStates {
			if d := in.Totals.Get(st); d != 0 {
				a.totals[st] = d.Milliseconds()
			}
		}
		s.agents[in.Agent] = a
		s.publish(dialer.AgentEvent{Agent: in.Agent, From: prev, To: in.State, Reason: "restore", At: msTime(now), Call: a.call, PauseCode: a.pause, Seq: a.seq})
	}
	return nil
}

// Mark implements dialer.LiveStore.
func (s *Store) Mark(ctx context.Context) (bool, error) {
	if err := s.lock(); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	kept := s.marker
	s.marker = true
	return kept, nil
}

// Unreachable implements dialer.LiveStore: the outage error of the last
// call, nil once one got through.
func (s *Store) Unreachable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// sub is one subscription: an unbounded queue, so that publishing never
// blocks a transition, drained in order by the subscription's goroutine.
type sub struct {
	mu   sync.Mutex
	q    []dialer.AgentEvent
	wake chan struct{}
}

// publish queues ev for every subscriber. Callers hold s.mu, which orders
// the events of all agents.
func (s *Store) publish(ev dialer.AgentEvent) {
	for sb := range s.subs {
		sb.mu.Lock()
		sb.q = append(sb.q, ev)
		sb.mu.Unlock()
		select {
		case sb.wake <- struct{}{}:
		default:
		}
	}
}

// Subscribe implements dialer.LiveStore.
func (s *Store) Subscribe(ctx context.Context) (<-chan dialer.AgentEvent, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	sb := &sub{wake: make(chan struct{}, 1)}
	s.subs[sb] = struct{}{}
	s.mu.Unlock()
	out := make(chan dialer.AgentEvent, 256)
	go func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			delete(s.subs, sb)
			s.mu.Unlock()
		}()
		for {
			sb.mu.Lock()
			q := sb.q
			sb.q = nil
			sb.mu.Unlock()
			for _, ev := range q {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-sb.wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
