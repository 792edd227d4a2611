// Package livestoretest is the contract every dialer.LiveStore keeps: one
// suite of behaviour tests, run against Redis (dialer/redisstore) and
// against memory (dialer/memlive), so that engine tests on the memory
// store prove something about the service on Redis.
package livestoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// Backend is one store under test with what the suite needs to look into
// it and to break it.
type Backend struct {
	// Store is empty; when a request has a zero time it reads a clock
	// fixed at T0.
	Store dialer.LiveStore
	// Raw is everything the store keeps about one agent, indices included
	// ("" when nothing): a refused request must leave it unchanged.
	Raw func(id dialer.AgentID) string
	// Empty reports that the store holds nothing at all.
	Empty func() bool
	// CheckIndices asserts the store's own index invariants against its
	// Agents snapshot; nil when it keeps none.
	CheckIndices func(t *testing.T)
	// LoseData empties the store as a Redis that restarted without its
	// data; the Store goes on working.
	LoseData func()
	// Outage returns a store on the same data that gives up quickly, and
	// a function that makes it unreachable.
	Outage func(t *testing.T) (dialer.LiveStore, func())
}

// T0 is the suite's epoch: Backend.Store's clock reads it.
var T0 = time.UnixMilli(1_700_000_000_000)

var t0 = T0

func at(d time.Duration) time.Time { return t0.Add(d) }

// Run runs the whole contract, each test on a fresh backend.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"EveryTransition", testEveryTransition},
		{"SessionCycleAccounting", testSessionCycleAccounting},
		{"PersistentAndManualPaths", testPersistentAndManualPaths},
		{"CASMismatchChangesNothing", testCASMismatchChangesNothing},
		{"LongestIdleFirstAndReleaseKeepsPlace", testLongestIdleFirstAndReleaseKeepsPlace},
		{"TagFiltering", testTagFiltering},
		{"NamedReservation", testNamedReservation},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseSweepBatches", testLeaseSweepBatches},
		{"EventsInOrder", testEventsInOrder},
		{"SubscribeClosesOnCancel", testSubscribeClosesOnCancel},
		{"SnapshotAndRestore", testSnapshotAndRestore},
		{"Heartbeats", testHeartbeats},
		{"RemoveAgent", testRemoveAgent},
		{"ValidationBeforeStore", testValidationBeforeStore},
		{"UnreachableIsUnavailable", testUnreachableIsUnavailable},
		{"NodeFilteredReservation", testNodeFilteredReservation},
		{"SessionEndpoint", testSessionEndpoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			tc.fn(t, &fixture{t: t, b: b, s: b.Store})
		})
	}
}

type fixture struct {
	t *testing.T
	b Backend
	s dialer.LiveStore
}

func (f *fixture) checkIndices() {
	f.t.Helper()
	if f.b.CheckIndices != nil {
		f.b.CheckIndices(f.t)
	}
}

func (f *fixture) register(id dialer.AgentID, mode dialer.AgentMode, tags ...string) {
	f.t.Helper()
	Register(f.t, f.s, id, mode, tags...)
}

func (f *fixture) move(id dialer.AgentID, from, to dialer.AgentState, call dialer.CallID, when time.Time) dialer.AgentStatus {
	f.t.Helper()
	return Move(f.t, f.s, id, from, to, call, when)
}

// Register registers an agent or fails the test.
func Register(t testing.TB, s dialer.LiveStore, id dialer.AgentID, mode dialer.AgentMode, tags ...string) {
	t.Helper()
	if err := s.UpsertAgent(context.Background(), dialer.AgentProfile{ID: id, Mode: mode, Tags: tags}); err != nil {
		t.Fatal(err)
	}
}

// Move makes one transition at when or fails the test.
func Move(t testing.TB, s dialer.LiveStore, id dialer.AgentID, from, to dialer.AgentState, call dialer.CallID, when time.Time) dialer.AgentStatus {
	t.Helper()
	st, err := s.Transition(context.Background(), dialer.Transition{Agent: id, From: from, To: to, Call: call, Reason: "test", At: when})
	if err != nil {
		t.Fatalf("%s -> %s: %v", from, to, err)
	}
	if st.State != to || st.Agent != id {
		t.Fatalf("%s -> %s: got %+v", from, to, st)
	}
	return st
}

// Ready logs an agent in and makes it READY at when.
func Ready(t testing.TB, s dialer.LiveStore, id dialer.AgentID, when time.Time) {
	t.Helper()
	Move(t, s, id, dialer.AgentLoggedOut, dialer.AgentPaused, "", when)
	Move(t, s, id, dialer.AgentPaused, dialer.AgentReady, "", when)
}

func (f *fixture) reserve(id dialer.AgentID, call dialer.CallID, when time.Time) dialer.Reservation {
	f.t.Helper()
	st, err := f.s.ReserveAgent(f.t.Context(), id, dialer.ReserveRequest{Call: call, At: when})
	if err != nil {
		f.t.Fatalf("reserve %d: %v", id, err)
	}
	return st
}

func (f *fixture) ready(id dialer.AgentID, when time.Time) {
	f.t.Helper()
	Ready(f.t, f.s, id, when)
}

// events subscribes and returns a function that waits for the next event.
func (f *fixture) events() func() dialer.AgentEvent {
	ch, err := f.s.Subscribe(f.t.Context())
	if err != nil {
		f.t.Fatal(err)
	}
	return func() dialer.AgentEvent {
		f.t.Helper()
		select {
		case ev := <-ch:
			return ev
		case <-time.After(5 * time.Second):
			f.t.Fatal("no event within 5s")
			return dialer.AgentEvent{}
		}
	}
}

// pathTo drives a fresh agent from LOGGED_OUT into state st.
func (f *fixture) pathTo(id dialer.AgentID, st dialer.AgentState, call dialer.CallID) {
	f.t.Helper()
	if st == dialer.AgentLoggedOut {
		return
	}
	f.move(id, dialer.AgentLoggedOut, dialer.AgentPaused, "", at(0))
	if st == dialer.AgentPaused {
		return
	}
	f.move(id, dialer.AgentPaused, dialer.AgentReady, "", at(time.Second))
	if st == dialer.AgentReady {
		return
	}
	f.reserve(id, call, at(2*time.Second))
	if st == dialer.AgentReserved {
		return
	}
	f.move(id, dialer.AgentReserved, dialer.AgentRinging, call, at(3*time.Second))
	if st == dialer.AgentRinging {
		return
	}
	f.move(id, dialer.AgentRinging, dialer.AgentInCall, call, at(4*time.Second))
	if st == dialer.AgentInCall {
		return
	}
	f.move(id, dialer.AgentInCall, dialer.AgentDispo, call, at(5*time.Second))
}

// TestEveryTransition drives an agent into each state, applies every allowed
// change, and checks the new state, held call, indices and the event; every
// forbidden change must be refused before reaching Redis.
func testEveryTransition(t *testing.T, f *fixture) {
	next := f.events()
	id := dialer.AgentID(0)
	for _, from := range dialer.AgentStates {
		for _, to := range dialer.AgentStates {
			id++
			f.register(id, dialer.ModeRing, "skill:x")
			call := dialer.NewCallID()
			f.pathTo(id, from, call)
			st, err := f.s.Agent(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			for range st.Seq { // the path's own events
				next()
			}
			before := f.b.Raw(id)
			if !dialer.CanTransition(from, to) {
				_, err := f.s.Transition(t.Context(), dialer.Transition{Agent: id, From: from, To: to, Call: call, At: at(time.Minute)})
				if !errors.Is(err, dialer.ErrInvalidTransition) {
					t.Errorf("%s -> %s: err = %v, want ErrInvalidTransition", from, to, err)
				}
				if f.b.Raw(id) != before {
					t.Errorf("%s -> %s: refused change modified Redis", from, to)
				}
				continue
			}
			var got dialer.AgentStatus
			if to == dialer.AgentReserved {
				r := f.reserve(id, call, at(time.Minute))
				if got, err = f.s.Agent(t.Context(), id); err != nil {
					t.Fatal(err)
				}
				if r.Agent != id || r.Call != call || r.Seq != got.Seq || r.Mode != dialer.ModeRing ||
					!r.LeaseUntil.Equal(at(time.Minute+dialer.DefaultLease)) || !r.IdleSince.Equal(at(time.Second)) ||
					!slices.Equal(r.Tags, []string{"skill:x"}) {
					t.Errorf("reservation %+v", r)
				}
			} else {
				got, err = f.s.Transition(t.Context(), dialer.Transition{
					Agent: id, From: from, To: to, Call: call, Reason: "pair", PauseCode: "BRK", At: at(time.Minute),
				})
				if err != nil {
					t.Fatalf("%s -> %s: %v", from, to, err)
				}
			}
			if got.State != to || !got.Since.Equal(at(time.Minute)) || got.Seq != st.Seq+1 {
				t.Errorf("%s -> %s: status %+v", from, to, got)
			}
			wantCall := dialer.CallID("")
			if to.HoldsCall() {
				wantCall = call
			}
			if got.Call != wantCall {
				t.Errorf("%s -> %s: call = %q, want %q", from, to, got.Call, wantCall)
			}
			if (to == dialer.AgentPaused) != (got.PauseCode == "BRK") {
				t.Errorf("%s -> %s: pause code %q", from, to, got.PauseCode)
			}
			ev := next()
			if ev.Agent != id || ev.From != from || ev.To != to || ev.Seq != got.Seq || !ev.At.Equal(at(time.Minute)) {
				t.Errorf("%s -> %s: event %+v", from, to, ev)
			}
			if from.HoldsCall() || to.HoldsCall() {
				if ev.Call != call {
					t.Errorf("%s -> %s: event call %q", from, to, ev.Call)
				}
			}
			f.checkIndices()
		}
	}
}

func testSessionCycleAccounting(t *testing.T, f *fixture) {
	ctx := t.Context()
	const a = dialer.AgentID(7)
	f.register(a, dialer.ModeRing)
	call := dialer.NewCallID()
	s := time.Second
	f.move(a, dialer.AgentLoggedOut, dialer.AgentPaused, "", at(0))
	f.move(a, dialer.AgentPaused, dialer.AgentReady, "", at(1*s))
	r, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: call, At: at(3 * s), Lease: 5 * s})
	if err != nil || r.Agent != a || !r.LeaseUntil.Equal(at(8*s)) {
		t.Fatalf("reserve = %+v, %v", r, err)
	}
	f.move(a, dialer.AgentReserved, dialer.AgentRinging, call, at(3500*time.Millisecond))
	f.move(a, dialer.AgentRinging, dialer.AgentInCall, call, at(5*s))
	f.move(a, dialer.AgentInCall, dialer.AgentDispo, call, at(65*s))
	f.move(a, dialer.AgentDispo, dialer.AgentReady, "", at(75*s))
	f.move(a, dialer.AgentReady, dialer.AgentPaused, "", at(80*s))
	// A clock step backwards never makes a total negative.
	f.move(a, dialer.AgentPaused, dialer.AgentPaused, "", at(70*s))
	end := f.move(a, dialer.AgentPaused, dialer.AgentLoggedOut, "", at(100*s))

	want := dialer.StateTotals{
		Ready: 7 * s, Reserved: 500 * time.Millisecond, Ringing: 1500 * time.Millisecond,
		InCall: 60 * s, Dispo: 10 * s, Paused: 1*s + 30*s,
	}
	if end.Totals != want || end.Calls != 1 || !end.LoginAt.Equal(t0) {
		t.Fatalf("totals %+v calls %d login %v\nwant %+v", end.Totals, end.Calls, end.LoginAt, want)
	}
	// The next login starts a new session.
	st := f.move(a, dialer.AgentLoggedOut, dialer.AgentPaused, "", at(200*s))
	if st.Totals != (dialer.StateTotals{}) || st.Calls != 0 || !st.LoginAt.Equal(at(200*s)) {
		t.Fatalf("new session: %+v", st)
	}
	if got := st.TotalsAt(at(230 * s)); got.Paused != 30*s {
		t.Fatalf("TotalsAt = %+v", got)
	}
}

func testPersistentAndManualPaths(t *testing.T, f *fixture) {
	s := time.Second
	// Persistent: READY -> RESERVED -> INCALL without RINGING.
	f.register(1, dialer.ModePersistent)
	f.ready(1, at(0))
	c1 := dialer.NewCallID()
	f.reserve(1, c1, at(s))
	st := f.move(1, dialer.AgentReserved, dialer.AgentInCall, c1, at(1200*time.Millisecond))
	if st.Calls != 1 || st.Call != c1 {
		t.Fatalf("%+v", st)
	}
	// Manual dial from PAUSED needs the new call id.
	f.register(2, dialer.ModeRing)
	f.move(2, dialer.AgentLoggedOut, dialer.AgentPaused, "", at(0))
	if _, err := f.s.Transition(t.Context(), dialer.Transition{Agent: 2, From: dialer.AgentPaused, To: dialer.AgentRinging, At: at(s)}); !errors.Is(err, dialer.ErrInvalid) {
		t.Fatalf("dial without call: %v", err)
	}
	c2 := dialer.NewCallID()
	f.move(2, dialer.AgentPaused, dialer.AgentRinging, c2, at(s))
	// Ring no answer pauses with a code.
	st, err := f.s.Transition(t.Context(), dialer.Transition{Agent: 2, From: dialer.AgentRinging, To: dialer.AgentPaused, Call: c2, PauseCode: "RONA", At: at(20 * s)})
	if err != nil || st.PauseCode != "RONA" || st.Call != "" {
		t.Fatalf("RONA: %+v %v", st, err)
	}
}

func testCASMismatchChangesNothing(t *testing.T, f *fixture) {
	ctx := t.Context()
	next := f.events()
	f.register(1, dialer.ModeRing)
	f.ready(1, at(0))
	next()
	next()
	before := f.b.Raw(1)

	_, err := f.s.Transition(ctx, dialer.Transition{Agent: 1, From: dialer.AgentPaused, To: dialer.AgentReady, At: at(time.Second)})
	var sm *dialer.StateMismatchError
	if !errors.As(err, &sm) || !errors.Is(err, dialer.ErrStateMismatch) || sm.Actual != dialer.AgentReady || sm.Expected != dialer.AgentPaused {
		t.Fatalf("err = %v", err)
	}
	// Reserved for one call, a late request about another call is refused.
	callA, callB := dialer.NewCallID(), dialer.NewCallID()
	f.reserve(1, callA, at(2*time.Second))
	next()
	before = f.b.Raw(1)
	if _, err := f.s.Release(ctx, 1, callB, "late", at(3*time.Second)); !errors.As(err, &sm) || sm.Call != callA {
		t.Fatalf("release other call: %v", err)
	}
	if err := f.s.RenewLease(ctx, 1, callB, time.Second, at(3*time.Second)); !errors.Is(err, dialer.ErrStateMismatch) {
		t.Fatalf("renew other call: %v", err)
	}
	if _, err := f.s.ReserveAgent(ctx, 1, dialer.ReserveRequest{Call: callB, At: at(3 * time.Second)}); !errors.Is(err, dialer.ErrStateMismatch) {
		t.Fatalf("double named reservation: %v", err)
	}
	if f.b.Raw(1) != before {
		t.Fatal("refused requests modified Redis")
	}
	if _, err := f.s.Transition(ctx, dialer.Transition{Agent: 99, From: dialer.AgentPaused, To: dialer.AgentReady, At: at(0)}); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
	// No event was published for any refused request.
	f.move(1, dialer.AgentReserved, dialer.AgentRinging, callA, at(4*time.Second))
	if ev := next(); ev.To != dialer.AgentRinging {
		t.Fatalf("unexpected event %+v", ev)
	}
	f.checkIndices()
}

func testLongestIdleFirstAndReleaseKeepsPlace(t *testing.T, f *fixture) {
	ctx := t.Context()
	order := []dialer.AgentID{4, 2, 5, 1, 3}
	for i, id := range order {
		f.register(id, dialer.ModeRing)
		f.ready(id, at(time.Duration(i)*time.Second))
	}
	// Agent 4 was reserved and released: it keeps the head of the line.
	c := dialer.NewCallID()
	r, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: c, At: at(10 * time.Second)})
	if err != nil || r.Agent != 4 {
		t.Fatalf("first = %+v, %v", r, err)
	}
	if st, err := f.s.Release(ctx, 4, c, "lead gone", at(11*time.Second)); err != nil || !st.IdleSince.Equal(t0) {
		t.Fatalf("release = %+v, %v", st, err)
	}
	f.checkIndices()
	var got []dialer.AgentID
	for i := range order {
		r, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), At: at(time.Duration(20+i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Agent)
	}
	if !slices.Equal(got, order) {
		t.Fatalf("reservation order %v, want %v", got, order)
	}
	if _, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), At: at(time.Minute)}); !errors.Is(err, dialer.ErrNoAgent) {
		t.Fatalf("empty pool: %v", err)
	}
	// An agent back from a call queues behind those already waiting.
	f.checkIndices()
}

func testTagFiltering(t *testing.T, f *fixture) {
	ctx := t.Context()
	es, c1, c2 := dialer.SkillTag("es"), dialer.CampaignTag(1), dialer.CampaignTag(2)
	f.register(1, dialer.ModeRing, c1)     // idle longest
	f.register(2, dialer.ModeRing, es)     //
	f.register(3, dialer.ModeRing, es, c1) //
	f.register(4, dialer.ModeRing, es, c2) //
	for i := dialer.AgentID(1); i <= 4; i++ {
		f.ready(i, at(time.Duration(i)*time.Second))
	}
	f.checkIndices()
	reserve := func(tags ...string) dialer.AgentID {
		t.Helper()
		r, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), Tags: tags, At: at(time.Minute)})
		if errors.Is(err, dialer.ErrNoAgent) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return r.Agent
	}
	if got := reserve(es, c1); got != 3 {
		t.Fatalf("es+campaign1 = %d, want 3", got)
	}
	if got := reserve(es, c1); got != 0 {
		t.Fatalf("es+campaign1 again = %d, want none", got)
	}
	if got := reserve(dialer.SkillTag("fr")); got != 0 {
		t.Fatalf("unknown skill = %d", got)
	}
	if got := reserve(es); got != 2 {
		t.Fatalf("es = %d, want 2", got)
	}
	// Tags change while READY: agent 1 gains es, and is the longest idle.
	f.register(1, dialer.ModeRing, es)
	f.checkIndices()
	if got := reserve(c1); got != 0 {
		t.Fatalf("campaign1 after removal = %d", got)
	}
	if got := reserve(es); got != 1 {
		t.Fatalf("es after change = %d, want 1", got)
	}
	if got := reserve(); got != 4 {
		t.Fatalf("any = %d, want 4", got)
	}
	f.checkIndices()
}

func testNamedReservation(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.register(1, dialer.ModeRing)
	f.register(2, dialer.ModeRing)
	f.ready(1, at(0))
	f.ready(2, at(time.Second))
	c := dialer.NewCallID()
	st, err := f.s.ReserveAgent(ctx, 2, dialer.ReserveRequest{Call: c, Tags: []string{"skill:none"}, At: at(2 * time.Second)})
	if err != nil || st.Agent != 2 || st.Call != c {
		t.Fatalf("named = %+v, %v", st, err)
	}
	f.move(1, dialer.AgentReady, dialer.AgentPaused, "", at(3*time.Second))
	if _, err := f.s.ReserveAgent(ctx, 1, dialer.ReserveRequest{Call: c, At: at(4 * time.Second)}); !errors.Is(err, dialer.ErrStateMismatch) {
		t.Fatalf("paused agent: %v", err)
	}
	if _, err := f.s.ReserveAgent(ctx, 9, dialer.ReserveRequest{Call: c, At: at(4 * time.Second)}); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := f.s.ReserveAgent(ctx, 1, dialer.ReserveRequest{Call: "x", At: at(4 * time.Second)}); !errors.Is(err, dialer.ErrInvalid) {
		t.Fatalf("bad call id: %v", err)
	}
	f.checkIndices()
}

func testLeaseExpiry(t *testing.T, f *fixture) {
	ctx := t.Context()
	next := f.events()
	s := time.Second
	for id := dialer.AgentID(1); id <= 3; id++ {
		f.register(id, dialer.ModeRing)
		f.ready(id, at(time.Duration(id)*s))
	}
	for range 6 {
		next()
	}
	c1, c2, c3 := dialer.NewCallID(), dialer.NewCallID(), dialer.NewCallID()
	mustReserve := func(c dialer.CallID, when time.Time) dialer.Reservation {
		st, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: c, Lease: 5 * s, At: when})
		if err != nil {
			t.Fatal(err)
		}
		next()
		return st
	}
	mustReserve(c1, at(10*s)) // agent 1, lease to 15s
	mustReserve(c2, at(11*s)) // agent 2, lease to 16s, confirmed below
	mustReserve(c3, at(12*s)) // agent 3, lease to 17s, renewed to 30s
	f.move(2, dialer.AgentReserved, dialer.AgentRinging, c2, at(12*s))
	next()
	if err := f.s.RenewLease(ctx, 3, c3, 18*s, at(12*s)); err != nil {
		t.Fatal(err)
	}
	if ids, err := f.s.ExpireLeases(ctx, at(15*s-time.Millisecond)); err != nil || len(ids) != 0 {
		t.Fatalf("early sweep freed %v, %v", ids, err)
	}
	ids, err := f.s.ExpireLeases(ctx, at(20*s))
	if err != nil || !slices.Equal(ids, []dialer.AgentID{1}) {
		t.Fatalf("sweep at 20s freed %v, %v; want [1]", ids, err)
	}
	ev := next()
	if ev.Agent != 1 || ev.From != dialer.AgentReserved || ev.To != dialer.AgentReady || ev.Reason != "lease expired" || ev.Call != c1 || !ev.At.Equal(at(20*s)) {
		t.Fatalf("expiry event %+v", ev)
	}
	st, _ := f.s.Agent(ctx, 1)
	if st.State != dialer.AgentReady || st.Call != "" || !st.IdleSince.Equal(at(s)) || st.Totals.Reserved != 10*s {
		t.Fatalf("after expiry %+v", st)
	}
	if ids, _ := f.s.ExpireLeases(ctx, at(29*s)); len(ids) != 0 {
		t.Fatalf("renewed lease expired early: %v", ids)
	}
	if ids, _ := f.s.ExpireLeases(ctx, at(30*s)); !slices.Equal(ids, []dialer.AgentID{3}) {
		t.Fatalf("renewed lease: %v", ids)
	}
	f.checkIndices()
	// Nobody stays RESERVED.
	all, _ := f.s.Agents(ctx)
	for _, a := range all {
		if a.State == dialer.AgentReserved {
			t.Fatalf("agent %d still reserved", a.Agent)
		}
	}
}

func testLeaseSweepBatches(t *testing.T, f *fixture) {
	ctx := t.Context()
	n := 2*200 + 17 // over two of redisstore's sweep batches
	for i := 1; i <= n; i++ {
		id := dialer.AgentID(i)
		f.register(id, dialer.ModeRing)
		f.ready(id, at(0))
		f.reserve(id, dialer.NewCallID(), at(time.Second))
	}
	ids, err := f.s.ExpireLeases(ctx, at(time.Hour))
	if err != nil || len(ids) != n {
		t.Fatalf("freed %d, %v; want %d", len(ids), err, n)
	}
	f.checkIndices()
}

func testEventsInOrder(t *testing.T, f *fixture) {
	ctx := t.Context()
	next := f.events()
	const agents, rounds = 4, 25
	for id := dialer.AgentID(1); id <= agents; id++ {
		f.register(id, dialer.ModeRing)
	}
	type want struct {
		agent    dialer.AgentID
		from, to dialer.AgentState
	}
	var expected []want
	step := time.Duration(0)
	mv := func(id dialer.AgentID, from, to dialer.AgentState, c dialer.CallID) {
		step += time.Millisecond
		f.move(id, from, to, c, at(step))
		expected = append(expected, want{id, from, to})
	}
	for id := dialer.AgentID(1); id <= agents; id++ {
		mv(id, dialer.AgentLoggedOut, dialer.AgentPaused, "")
		mv(id, dialer.AgentPaused, dialer.AgentReady, "")
	}
	for range rounds {
		for id := dialer.AgentID(1); id <= agents; id++ {
			c := dialer.NewCallID()
			step += time.Millisecond
			f.reserve(id, c, at(step))
			expected = append(expected, want{id, dialer.AgentReady, dialer.AgentReserved})
			mv(id, dialer.AgentReserved, dialer.AgentRinging, c)
			mv(id, dialer.AgentRinging, dialer.AgentInCall, c)
			mv(id, dialer.AgentInCall, dialer.AgentDispo, c)
			mv(id, dialer.AgentDispo, dialer.AgentReady, "")
		}
	}
	lastSeq := map[dialer.AgentID]int64{}
	var lastAt time.Time
	for i, w := range expected {
		ev := next()
		if ev.Agent != w.agent || ev.From != w.from || ev.To != w.to {
			t.Fatalf("event %d = %+v, want %+v", i, ev, w)
		}
		if ev.Seq != lastSeq[ev.Agent]+1 || ev.At.Before(lastAt) {
			t.Fatalf("event %d out of order: %+v", i, ev)
		}
		lastSeq[ev.Agent], lastAt = ev.Seq, ev.At
	}
	_ = ctx
}

func testSubscribeClosesOnCancel(t *testing.T, f *fixture) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := f.s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
}

func testSnapshotAndRestore(t *testing.T, f *fixture) {
	ctx := t.Context()
	s := time.Second
	f.register(1, dialer.ModeRing, dialer.SkillTag("es"))
	if err := f.s.UpsertAgent(ctx, dialer.AgentProfile{ID: 2, Mode: dialer.ModePersistent, Tags: []string{dialer.CampaignTag(3)},
		Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: "+12125550142"}}); err != nil {
		t.Fatal(err)
	}
	f.register(3, dialer.ModeRing)
	f.register(4, dialer.ModeRing)
	f.ready(1, at(s))
	f.ready(2, at(2*s))
	c := dialer.NewCallID()
	f.reserve(2, c, at(3*s))
	f.move(2, dialer.AgentReserved, dialer.AgentInCall, c, at(4*s))
	f.move(3, dialer.AgentLoggedOut, dialer.AgentPaused, "", at(5*s))
	before, err := f.s.Agents(ctx)
	if err != nil || len(before) != 4 {
		t.Fatalf("snapshot: %d agents, %v", len(before), err)
	}
	if before[0].Agent != 1 || before[0].State != dialer.AgentReady || before[1].State != dialer.AgentInCall ||
		before[1].Call != c || before[1].Mode != dialer.ModePersistent || before[1].Endpoint.Phone != "+12125550142" || before[2].State != dialer.AgentPaused ||
		before[3].State != dialer.AgentLoggedOut || !slices.Equal(before[0].Tags, []string{"skill:es"}) {
		t.Fatalf("snapshot %+v", before)
	}

	// Redis loses everything; the service writes back what it knows.
	f.b.LoseData()
	var after []dialer.AgentStatus
	for range 3 { // the pool's dead connections fail once each
		if after, err = f.s.Agents(ctx); err == nil {
			break
		}
	}
	if err != nil || len(after) != 0 {
		t.Fatalf("after restart: %v, %v", after, err)
	}
	if err := f.s.Restore(ctx, before); err != nil {
		t.Fatal(err)
	}
	after, err = f.s.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		before[i].Seq++ // a restore is a transition of its own
	}
	if fmt.Sprintf("%+v", after) != fmt.Sprintf("%+v", before) {
		t.Fatalf("restored\n%+v\nwant\n%+v", after, before)
	}
	f.checkIndices()
	r, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), Tags: []string{"skill:es"}, At: at(time.Minute)})
	if err != nil || r.Agent != 1 {
		t.Fatalf("reserve after restore: %+v, %v", r, err)
	}
}

func testHeartbeats(t *testing.T, f *fixture) {
	ctx := t.Context()
	for id := dialer.AgentID(1); id <= 3; id++ {
		if err := f.s.Heartbeat(ctx, id, at(time.Duration(id)*10*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.Heartbeat(ctx, 1, at(40*time.Second)); err != nil { // 1 is still alive
		t.Fatal(err)
	}
	lost, err := f.s.LostHeartbeats(ctx, at(25*time.Second))
	if err != nil || !slices.Equal(lost, []dialer.AgentID{2}) {
		t.Fatalf("lost = %v, %v", lost, err)
	}
	if lost, _ := f.s.LostHeartbeats(ctx, at(25*time.Second)); len(lost) != 0 {
		t.Fatalf("reported twice: %v", lost)
	}
	// Logging out forgets the heartbeat.
	f.register(3, dialer.ModeRing)
	f.ready(3, at(0))
	f.move(3, dialer.AgentReady, dialer.AgentLoggedOut, "", at(time.Second))
	if lost, _ := f.s.LostHeartbeats(ctx, at(time.Hour)); !slices.Equal(lost, []dialer.AgentID{1}) {
		t.Fatalf("after logout: %v", lost)
	}
}

func testRemoveAgent(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.register(1, dialer.ModeRing, "skill:x")
	f.ready(1, at(0))
	if err := f.s.RemoveAgent(ctx, 1); !errors.Is(err, dialer.ErrStateMismatch) {
		t.Fatalf("remove READY agent: %v", err)
	}
	f.move(1, dialer.AgentReady, dialer.AgentLoggedOut, "", at(time.Second))
	if err := f.s.RemoveAgent(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Agent(ctx, 1); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
	if raw := f.b.Raw(1); raw != "" {
		t.Fatalf("left after remove: %s", raw)
	}
}

func testValidationBeforeStore(t *testing.T, f *fixture) {
	ctx := t.Context()
	cases := []error{
		f.s.UpsertAgent(ctx, dialer.AgentProfile{ID: 1, Mode: "x"}),
		f.s.UpsertAgent(ctx, dialer.AgentProfile{ID: 1, Mode: dialer.ModeRing, Tags: []string{"Bad Tag"}}),
		f.s.UpsertAgent(ctx, dialer.AgentProfile{ID: 0, Mode: dialer.ModeRing}),
		func() error {
			_, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), Tags: []string{"a b"}})
			return err
		}(),
		func() error {
			_, err := f.s.Transition(ctx, dialer.Transition{Agent: 1, From: dialer.AgentPaused, To: dialer.AgentPaused, PauseCode: "has space", At: t0})
			return err
		}(),
	}
	for i, err := range cases {
		if !errors.Is(err, dialer.ErrInvalid) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	if _, err := f.s.Transition(ctx, dialer.Transition{Agent: 1, From: dialer.AgentReady, To: dialer.AgentReserved, Call: dialer.NewCallID(), At: t0}); !errors.Is(err, dialer.ErrInvalidTransition) {
		t.Errorf("reserve through Transition: %v", err)
	}
	if !f.b.Empty() {
		t.Error("refused requests wrote to the store")
	}
}

// testUnreachableIsUnavailable: with Redis gone every call of the store
// fails as dialer.ErrUnavailable (a 503, retry), and a Redis error reply
// (a state mismatch, an unknown agent) stays what it is.
func testUnreachableIsUnavailable(t *testing.T, f *fixture) {
	f.register(1, dialer.ModeRing)
	ctx := f.t.Context()
	var stop func()
	f.s, stop = f.b.Outage(t)
	if _, err := f.s.Agent(ctx, 99); !errors.Is(err, dialer.ErrNotFound) || errors.Is(err, dialer.ErrUnavailable) {
		t.Fatalf("unknown agent with Redis up: %v", err)
	}
	if err := f.s.Unreachable(); err != nil {
		t.Fatalf("Unreachable with Redis up: %v", err)
	}
	stop()
	for name, call := range map[string]func() error{
		"agent":  func() error { _, err := f.s.Agent(ctx, 1); return err },
		"agents": func() error { _, err := f.s.Agents(ctx); return err },
		"transition": func() error {
			_, err := f.s.Transition(ctx, dialer.Transition{Agent: 1, From: dialer.AgentLoggedOut, To: dialer.AgentPaused, At: t0})
			return err
		},
		"reserve": func() error {
			_, err := f.s.Reserve(ctx, dialer.ReserveRequest{Call: dialer.NewCallID(), At: t0})
			return err
		},
		"heartbeat": func() error { return f.s.Heartbeat(ctx, 1, t0) },
		"sweep":     func() error { _, err := f.s.ExpireLeases(ctx, t0); return err },
	} {
		if err := call(); !errors.Is(err, dialer.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", name, err)
		}
	}
	if err := f.s.Unreachable(); !errors.Is(err, dialer.ErrUnavailable) {
		t.Fatalf("Unreachable with Redis down: %v", err)
	}
}

// testNodeFilteredReservation: a call on a switch node gets the
// longest-idle READY agent whose persistent line is on that node or who
// has no line (ring mode); a named agent on another node is refused.
func testNodeFilteredReservation(t *testing.T, f *fixture) {
	ctx := t.Context()
	es := dialer.SkillTag("es")
	// In idle order: 1 persistent on fs2, 2 ring, 3 persistent on fs1,
	// 4 persistent on fs2 with es, 5 ring with es.
	agents := []struct {
		mode dialer.AgentMode
		node string
		tags []string
	}{
		{dialer.ModePersistent, "fs2", nil},
		{dialer.ModeRing, "", nil},
		{dialer.ModePersistent, "fs1", nil},
		{dialer.ModePersistent, "fs2", []string{es}},
		{dialer.ModeRing, "", []string{es}},
	}
	for i, a := range agents {
		id := dialer.AgentID(i + 1)
		f.register(id, a.mode, a.tags...)
		if a.node != "" {
			if err := f.s.SetLineNode(ctx, id, a.node); err != nil {
				t.Fatal(err)
			}
		}
		f.ready(id, at(time.Duration(i)*time.Second))
	}
	f.checkIndices()
	tests := []struct {
		name  string
		setup func()
		named dialer.AgentID
		node  string
		tags  []string
		want  dialer.AgentID
		err   error
	}{
		{name: "no node: longest idle", want: 1},
		{name: "fs2: its line", node: "fs2", want: 1},
		{name: "fs1: ring agent idle longer than the fs1 line", node: "fs1", want: 2},
		{name: "fs1 with es: ring agent, not the fs2 line", node: "fs1", tags: []string{es}, want: 5},
		{name: "fs2 with es: its line", node: "fs2", tags: []string{es}, want: 4},
		{name: "node without lines: ring agent", node: "fs9", want: 2},
		{name: "no match", node: "fs1", tags: []string{dialer.SkillTag("fr")}, err: dialer.ErrNoAgent},
		{name: "named on another node", named: 1, node: "fs1", err: dialer.ErrOtherNode},
		{name: "named on its node", named: 1, node: "fs2", want: 1},
		{name: "named without node filter", named: 1, want: 1},
		{name: "named ring agent on any node", named: 2, node: "fs1", want: 2},
		{name: "line moved to fs1 while READY", setup: func() {
			if err := f.s.SetLineNode(ctx, 1, "fs1"); err != nil {
				t.Fatal(err)
			}
		}, node: "fs1", want: 1},
		{name: "after the move fs2 has only agent 4", node: "fs2", want: 2},
		{name: "ring-mode login clears the line node", setup: func() { f.register(1, dialer.ModeRing) }, node: "fs2", want: 1},
		{name: "fs1 line, ring agents busy", setup: func() {
			f.register(1, dialer.ModePersistent)
			if err := f.s.SetLineNode(ctx, 1, "fs2"); err != nil {
				t.Fatal(err)
			}
			f.move(2, dialer.AgentReady, dialer.AgentPaused, "", at(time.Minute))
			f.move(5, dialer.AgentReady, dialer.AgentPaused, "", at(time.Minute))
		}, node: "fs1", want: 3},
		{name: "no line on the node, no ring agent", node: "fs9", err: dialer.ErrNoAgent},
	}
	for i, tc := range tests {
		if tc.setup != nil {
			tc.setup()
		}
		call := dialer.NewCallID()
		req := dialer.ReserveRequest{Call: call, Node: tc.node, Tags: tc.tags, At: at(time.Hour + time.Duration(i)*time.Second)}
		var r dialer.Reservation
		var err error
		if tc.named != 0 {
			r, err = f.s.ReserveAgent(ctx, tc.named, req)
		} else {
			r, err = f.s.Reserve(ctx, req)
		}
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case r.Agent != tc.want:
			t.Errorf("%s: reserved %d, want %d", tc.name, r.Agent, tc.want)
		default:
			// Back to READY in its place for the next case.
			if _, err := f.s.Release(ctx, r.Agent, call, "test", req.At); err != nil {
				t.Fatal(err)
			}
		}
		f.checkIndices()
	}
	if err := f.s.SetLineNode(ctx, 99, "fs1"); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

// testSessionEndpoint: UpsertAgent keeps the session's endpoint with the
// agent's status, through transitions, replaced by the next upsert and
// cleared by one without; an endpoint no login would settle is refused,
// naming the field, before it reaches the store.
func testSessionEndpoint(t *testing.T, f *fixture) {
	ctx := t.Context()
	phone := dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: "+12125550142"}
	sip := dialer.AgentEndpoint{Kind: dialer.EndpointSIP, Extension: "1001"}
	upsert := func(ep dialer.AgentEndpoint) error {
		return f.s.UpsertAgent(ctx, dialer.AgentProfile{ID: 1, Mode: dialer.ModeRing, Endpoint: ep, Tags: []string{"skill:es"}})
	}
	endpoint := func() dialer.AgentEndpoint {
		t.Helper()
		st, err := f.s.Agent(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return st.Endpoint
	}
	if err := upsert(phone); err != nil {
		t.Fatal(err)
	}
	f.ready(1, at(time.Second))
	if got := endpoint(); got != phone {
		t.Fatalf("endpoint %+v after login, want %+v", got, phone)
	}
	if all, err := f.s.Agents(ctx); err != nil || len(all) != 1 || all[0].Endpoint != phone {
		t.Fatalf("snapshot %+v, %v: want the phone endpoint", all, err)
	}
	if err := upsert(sip); err != nil {
		t.Fatal(err)
	}
	if got := endpoint(); got != sip {
		t.Fatalf("endpoint %+v after a second login, want %+v", got, sip)
	}
	if err := upsert(dialer.AgentEndpoint{}); err != nil {
		t.Fatal(err)
	}
	if got := endpoint(); got != (dialer.AgentEndpoint{}) {
		t.Fatalf("endpoint %+v after an upsert without one, want none", got)
	}
	f.checkIndices()
	raw := f.b.Raw(1)
	for _, tc := range []struct {
		ep    dialer.AgentEndpoint
		field string
	}{
		{dialer.AgentEndpoint{Kind: "fax", Phone: "+12125550142"}, "endpoint.kind"},
		{dialer.AgentEndpoint{Extension: "1001"}, "endpoint.kind"},
		{dialer.AgentEndpoint{Kind: dialer.EndpointSIP, Extension: "x1"}, "endpoint.extension"},
		{dialer.AgentEndpoint{Kind: dialer.EndpointSIP, Extension: "1001", Phone: "+12125550142"}, "endpoint.phone"},
		{dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: "12125550142"}, "endpoint.phone"},
		{dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: "+12125550142", Extension: "1001"}, "endpoint.extension"},
	} {
		var fe *dialer.FieldError
		if err := upsert(tc.ep); !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, dialer.ErrInvalid) {
			t.Errorf("upsert %+v: %v, want an invalid %s", tc.ep, err, tc.field)
		}
	}
	if got := f.b.Raw(1); got != raw {
		t.Errorf("refused upserts changed the store:\n%s\nwant\n%s", got, raw)
	}
}
