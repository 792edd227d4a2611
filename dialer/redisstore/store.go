// Package redisstore keeps agents' live state in Redis: one Lua
// compare-and-set per transition, longest-idle reservation with leases,
// per-state time totals and published events. keys.go documents every key.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// DefaultPrefix starts every key unless Options.Prefix says otherwise.
const DefaultPrefix = "as:"

// SweepInterval is how often the service should call ExpireLeases and
// LostHeartbeats: a lapsed lease frees its agent at most this late.
const SweepInterval = 250 * time.Millisecond

// sweepBatch bounds one script run so a backlog never blocks Redis long.
const sweepBatch = 200

// Options configure a Store.
type Options struct {
	// Prefix of every key and channel (DefaultPrefix if empty).
	Prefix string
	// Now is the clock used when a request has a zero time (clock.System if
	// nil).
	Now func() time.Time
	// Logger reports dropped malformed events and subscription trouble.
	Logger *slog.Logger
}

// Store is the Redis implementation of dialer.LiveStore.
type Store struct {
	c   redis.UniversalClient
	k   keys
	now func() time.Time
	log *slog.Logger
	// down is the last command's error when it could not reach Redis,
	// nil once one got through (set by unavailableHook).
	down atomic.Pointer[error]
}

var _ dialer.LiveStore = (*Store)(nil)

// New returns a store on client c. The client is not closed by the store;
// its errors for an unreachable Redis become dialer.ErrUnavailable.
func New(c redis.UniversalClient, o Options) *Store {
	s := &Store{c: c, k: keys{p: o.Prefix}, now: o.Now, log: o.Logger}
	c.AddHook(unavailableHook{down: &s.down})
	if s.k.p == "" {
		s.k.p = DefaultPrefix
	}
	if s.now == nil {
		s.now = clock.System()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

func (s *Store) ms(t time.Time) int64 {
	if t.IsZero() {
		t = s.now()
	}
	return t.UnixMilli()
}

// UpsertAgent implements dialer.LiveStore.
func (s *Store) UpsertAgent(ctx context.Context, p dialer.AgentProfile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	args := []any{s.k.p, p.ID.String(), string(p.Mode), s.ms(time.Time{}),
		string(p.Endpoint.Kind), p.Endpoint.Extension, p.Endpoint.Phone}
	for _, t := range p.Tags {
		args = append(args, t)
	}
	_, err := s.run(ctx, upsertScript, p.ID, 0, args)
	return err
}

// RemoveAgent implements dialer.LiveStore.
func (s *Store) RemoveAgent(ctx context.Context, id dialer.AgentID) error {
	_, err := s.run(ctx, removeScript, id, dialer.AgentLoggedOut, []any{s.k.p, id.String()})
	return err
}

// Transition implements dialer.LiveStore.
func (s *Store) Transition(ctx context.Context, t dialer.Transition) (dialer.AgentStatus, error) {
	if err := t.Validate(); err != nil {
		return dialer.AgentStatus{}, err
	}
	return s.status(s.run(ctx, transitionScript, t.Agent, t.From, []any{
		s.k.p, t.Agent.String(), t.From.String(), t.To.String(), string(t.Call),
		t.Reason, t.PauseCode, s.ms(t.At),
	}))
}

// Reserve implements dialer.LiveStore.
func (s *Store) Reserve(ctx context.Context, r dialer.ReserveRequest) (dialer.Reservation, error) {
	return s.reserve(ctx, 0, r)
}

// ReserveAgent implements dialer.LiveStore.
func (s *Store) ReserveAgent(ctx context.Context, id dialer.AgentID, r dialer.ReserveRequest) (dialer.Reservation, error) {
	if id <= 0 {
		return dialer.Reservation{}, &dialer.FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	r.Tags = nil
	return s.reserve(ctx, id, r)
}

func (s *Store) reserve(ctx context.Context, id dialer.AgentID, r dialer.ReserveRequest) (dialer.Reservation, error) {
	if err := r.Validate(); err != nil {
		return dialer.Reservation{}, err
	}
	lease := r.Lease
	if lease == 0 {
		lease = dialer.DefaultLease
	}
	named := ""
	if id > 0 {
		named = id.String()
	}
	args := make([]any, 0, 7+len(r.Tags))
	args = append(args, s.k.p, s.ms(r.At), lease.Milliseconds(), string(r.Call), r.Reason, named, r.Node)
	for _, t := range r.Tags {
		args = append(args, t)
	}
	v, err := s.run(ctx, reserveScript, id, dialer.AgentReady, args)
	if err != nil {
		return dialer.Reservation{}, err
	}
	// {'OK', id, seq, lease, idle, mode, tags}
	if len(v) != 7 {
		return dialer.Reservation{}, fmt.Errorf("redisstore: reserve reply has %d parts", len(v))
	}
	got, err := dialer.ParseAgentID(fmt.Sprint(v[1]))
	if err != nil {
		return dialer.Reservation{}, err
	}
	seq, _ := v[2].(int64)
	res := dialer.Reservation{
		Agent:      got,
		Call:       r.Call,
		Mode:       dialer.AgentMode(fmt.Sprint(v[5])),
		LeaseUntil: msTime(fmt.Sprint(v[3])),
		IdleSince:  msTime(fmt.Sprint(v[4])),
		Tags:       strs(v[6]),
		Seq:        seq,
	}
	return res, nil
}

// SetLineNode implements dialer.LiveStore.
func (s *Store) SetLineNode(ctx context.Context, id dialer.AgentID, node string) error {
	if err := dialer.ValidateLineNode(id, node); err != nil {
		return err
	}
	_, err := s.run(ctx, setNodeScript, id, 0, []any{s.k.p, id.String(), node})
	return err
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	slices.Sort(out)
	return out
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
	_, err := s.run(ctx, renewScript, id, dialer.AgentReserved,
		[]any{s.k.p, id.String(), string(call), s.ms(at) + ttl.Milliseconds()})
	return err
}

// ExpireLeases implements dialer.LiveStore. It runs in batches until no
// lapsed lease is left; concurrent callers are safe (each lease is expired
// once, atomically).
func (s *Store) ExpireLeases(ctx context.Context, now time.Time) ([]dialer.AgentID, error) {
	return s.sweep(ctx, expireScript, s.k.leases(), now)
}

// Heartbeat implements dialer.LiveStore.
func (s *Store) Heartbeat(ctx context.Context, id dialer.AgentID, deadline time.Time) error {
	if id <= 0 {
		return &dialer.FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	return s.c.ZAdd(ctx, s.k.heartbeats(), redis.Z{Score: float64(deadline.UnixMilli()), Member: id.String()}).Err()
}

// LostHeartbeats implements dialer.LiveStore.
func (s *Store) LostHeartbeats(ctx context.Context, now time.Time) ([]dialer.AgentID, error) {
	return s.sweep(ctx, lostHeartbeatsScript, s.k.heartbeats(), now)
}

func (s *Store) sweep(ctx context.Context, script *redis.Script, key string, now time.Time) ([]dialer.AgentID, error) {
	var out []dialer.AgentID
	for {
		ids, err := script.Run(ctx, s.c, []string{key}, s.k.p, s.ms(now), sweepBatch).StringSlice()
		if err != nil {
			return out, err
		}
		for _, v := range ids {
			id, err := dialer.ParseAgentID(v)
			if err != nil {
				return out, fmt.Errorf("redisstore: bad agent id in index: %w", err)
			}
			out = append(out, id)
		}
		if len(ids) < sweepBatch {
			return out, nil
		}
	}
}

// Agent implements dialer.LiveStore.
func (s *Store) Agent(ctx context.Context, id dialer.AgentID) (dialer.AgentStatus, error) {
	var h *redis.MapStringStringCmd
	var tags *redis.StringSliceCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, s.k.agent(id))
		tags = p.SMembers(ctx, s.k.tags(id))
		return nil
	})
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	if len(h.Val()) == 0 {
		return dialer.AgentStatus{}, fmt.Errorf("agent %d: %w", id, dialer.ErrNotFound)
	}
	return parseStatus(id, h.Val(), tags.Val())
}

// Agents implements dialer.LiveStore.
func (s *Store) Agents(ctx context.Context) ([]dialer.AgentStatus, error) {
	members, err := s.c.SMembers(ctx, s.k.agents()).Result()
	if err != nil {
		return nil, err
	}
	ids := make([]dialer.AgentID, 0, len(members))
	for _, m := range members {
		id, err := dialer.ParseAgentID(m)
		if err != nil {
			return nil, fmt.Errorf("redisstore: bad agent id in %s: %w", s.k.agents(), err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	hs := make([]*redis.MapStringStringCmd, len(ids))
	ts := make([]*redis.StringSliceCmd, len(ids))
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			hs[i] = p.HGetAll(ctx, s.k.agent(id))
			ts[i] = p.SMembers(ctx, s.k.tags(id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]dialer.AgentStatus, 0, len(ids))
	for i, id := range ids {
		if len(hs[i].Val()) == 0 {
			continue // removed between the two reads
		}
		st, err := parseStatus(id, hs[i].Val(), ts[i].Val())
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Unreachable implements dialer.LiveStore.
func (s *Store) Unreachable() error {
	if err := s.down.Load(); err != nil {
		return *err
	}
	return nil
}

// Mark implements dialer.LiveStore.
func (s *Store) Mark(ctx context.Context) (bool, error) {
	set, err := s.c.SetNX(ctx, s.k.marker(), "1", 0).Result()
	return !set, err
}

// Restore implements dialer.LiveStore.
func (s *Store) Restore(ctx context.Context, agents []dialer.AgentStatus) error {
	now := s.ms(time.Time{})
	for _, a := range agents {
		if err := a.Profile().Validate(); err != nil {
			return err
		}
		if !a.State.Valid() {
			return &dialer.FieldError{Field: "state", Reason: "not a state"}
		}
		idle, lease := "", ""
		if a.State == dialer.AgentReady || a.State == dialer.AgentReserved || a.State == dialer.AgentRinging {
			idle = msString(a.IdleSince)
			if idle == "" && a.State == dialer.AgentReady {
				idle = msString(a.Since)
			}
		}
		if a.State == dialer.AgentReserved {
			lease = msString(a.LeaseUntil)
			if lease == "" {
				lease = strconv.FormatInt(now+dialer.DefaultLease.Milliseconds(), 10)
			}
		}
		call := ""
		if a.State.HoldsCall() {
			call = string(a.Call)
		}
		args := []any{
			s.k.p, a.Agent.String(), a.State.String(), msString(a.Since), a.Reason, call, a.PauseCode,
			idle, lease, msString(a.LoginAt), a.Calls, a.Seq + 1, now, string(a.Mode),
		}
		for _, st := range stateOrder {
			args = append(args, a.Totals.Get(st).Milliseconds())
		}
		args = append(args, string(a.Endpoint.Kind), a.Endpoint.Extension, a.Endpoint.Phone)
		for _, t := range a.Tags {
			args = append(args, t)
		}
		if _, err := s.run(ctx, restoreScript, a.Agent, 0, args); err != nil {
			return err
		}
	}
	return nil
}

var stateOrder = []dialer.AgentState{
	dialer.AgentReady, dialer.AgentReserved, dialer.AgentRinging,
	dialer.AgentInCall, dialer.AgentDispo, dialer.AgentPaused,
}

func msString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// Subscribe implements dialer.LiveStore. It returns once Redis has
// confirmed the subscription, so every event published afterwards is seen.
// The channel is buffered; a consumer that stops reading stalls only its
// own subscription (Redis drops it past its pubsub output limit, after which
// the subscription reconnects and the consumer sees a gap in Seq).
func (s *Store) Subscribe(ctx context.Context) (<-chan dialer.AgentEvent, error) {
	ps := s.c.Subscribe(ctx, s.k.events())
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("redisstore: subscribe: %w", err)
	}
	out := make(chan dialer.AgentEvent, 256)
	go func() {
		defer close(out)
		// Closing the PubSub is what unblocks a pending Receive.
		stop := context.AfterFunc(ctx, func() { ps.Close() })
		defer stop()
		defer ps.Close()
		backoff := 10 * time.Millisecond
		failures := 0
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				// go-redis redials and resubscribes on the next Receive.
				if failures%20 == 0 {
					s.log.Warn("agent event subscription failing", "err", err, "failures", failures+1)
				}
				failures++
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, time.Second)
				continue
			}
			failures, backoff = 0, 10*time.Millisecond
			m, ok := msg.(*redis.Message)
			if !ok {
				continue
			}
			ev, err := decodeEvent(m.Payload)
			if err != nil {
				s.log.Warn("dropping malformed agent event", "err", err, "payload", m.Payload)
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func decodeEvent(payload string) (dialer.AgentEvent, error) {
	var w wireEvent
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		return dialer.AgentEvent{}, err
	}
	return dialer.AgentEvent{
		Agent: w.Agent, From: w.From, To: w.To, Reason: w.Reason, At: time.UnixMilli(w.At),
		Call: w.Call, PauseCode: w.Pause, Seq: w.Seq,
	}, nil
}

// run executes a script and turns its status reply into an error: NOTFOUND,
// MISMATCH (with the actual state and call), NOAGENT.
func (s *Store) run(ctx context.Context, script *redis.Script, id dialer.AgentID, expected dialer.AgentState, args []any) ([]any, error) {
	v, err := script.Run(ctx, s.c, []string{s.k.agent(id)}, args...).Slice()
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, errors.New("redisstore: empty script reply")
	}
	switch v[0] {
	case "OK":
		return v, nil
	case "NOTFOUND":
		return nil, fmt.Errorf("agent %d: %w", id, dialer.ErrNotFound)
	case "NOAGENT":
		return nil, dialer.ErrNoAgent
	case "ELSEWHERE":
		return nil, fmt.Errorf("agent %d: %w (%v)", id, dialer.ErrOtherNode, v[1:])
	case "MISMATCH":
		e := &dialer.StateMismatchError{Agent: id, Expected: expected}
		if len(v) >= 3 {
			e.Actual, _ = dialer.ParseAgentState(fmt.Sprint(v[1]))
			e.Call = dialer.CallID(fmt.Sprint(v[2]))
		}
		return nil, e
	}
	return nil, fmt.Errorf("redisstore: unexpected script reply %v", v[0])
}

// status parses an {'OK', HGETALL, SMEMBERS, id} reply.
func (s *Store) status(v []any, err error) (dialer.AgentStatus, error) {
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	if len(v) != 4 {
		return dialer.AgentStatus{}, fmt.Errorf("redisstore: reply has %d parts", len(v))
	}
	h, err := flatMap(v[1])
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	id, err := dialer.ParseAgentID(fmt.Sprint(v[3]))
	if err != nil {
		return dialer.AgentStatus{}, err
	}
	return parseStatus(id, h, strs(v[2]))
}

// flatMap reads HGETALL as Lua returns it: a flat field/value array (RESP2)
// or a map (RESP3 keeps arrays from Lua, but accept both).
func flatMap(v any) (map[string]string, error) {
	switch x := v.(type) {
	case []any:
		m := make(map[string]string, len(x)/2)
		for i := 0; i+1 < len(x); i += 2 {
			m[fmt.Sprint(x[i])] = fmt.Sprint(x[i+1])
		}
		return m, nil
	case map[any]any:
		m := make(map[string]string, len(x))
		for k, v := range x {
			m[fmt.Sprint(k)] = fmt.Sprint(v)
		}
		return m, nil
	}
	return nil, fmt.Errorf("redisstore: unexpected hash reply %T", v)
}

func parseStatus(id dialer.AgentID, h map[string]string, tags []string) (dialer.AgentStatus, error) {
	st, err := dialer.ParseAgentState(h[fState])
	if err != nil {
		return dialer.AgentStatus{}, fmt.Errorf("redisstore: agent %d: %w", id, err)
	}
	slices.Sort(tags)
	a := dialer.AgentStatus{
		Agent:      id,
		State:      st,
		Since:      msTime(h[fSince]),
		Reason:     h[fReason],
		Call:       dialer.CallID(h[fCall]),
		PauseCode:  h[fPause],
		Mode:       dialer.AgentMode(h[fMode]),
		Endpoint:   dialer.AgentEndpoint{Kind: dialer.EndpointKind(h[fEndpoint]), Extension: h[fEndpointExt], Phone: h[fEndpointPhone]},
		Tags:       tags,
		IdleSince:  msTime(h[fIdle]),
		LeaseUntil: msTime(h[fLease]),
		LoginAt:    msTime(h[fLogin]),
		Calls:      msInt(h[fCalls]),
		Seq:        msInt(h[fSeq]),
	}
	if st != dialer.AgentReady && st != dialer.AgentReserved && st != dialer.AgentRinging {
		a.IdleSince = time.Time{}
	}
	for _, s := range stateOrder {
		a.Totals.Add(s, time.Duration(msInt(h[fTotal+s.String()]))*time.Millisecond)
	}
	return a, nil
}

func msInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func msTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return time.UnixMilli(msInt(s))
}
