package redisstore

import (
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestReserveRace has 8 dispatchers reserving from one pool while other
// goroutines give agents back by every route (release, full call cycle,
// lapsed lease). A holder table proves no agent is ever booked twice at
// once; at the end every agent is READY and indexed again.
// AGENTSWITCH_RACE_OPS sets the number of reservations (P10 uses 1000000).
func TestReserveRace(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const agents, dispatchers, returners = 24, 8, 4
	total := int64(8000)
	if testing.Short() {
		total = 2000
	}
	if v, err := strconv.ParseInt(os.Getenv("AGENTSWITCH_RACE_OPS"), 10, 64); err == nil && v > 0 {
		total = v
	}
	even := dialer.SkillTag("even")
	for i := 1; i <= agents; i++ {
		id := dialer.AgentID(i)
		var tags []string
		if i%2 == 0 {
			tags = []string{even}
		}
		f.register(id, dialer.ModeRing, tags...)
		f.ready(id, time.Now())
	}

	type booking struct {
		id    dialer.AgentID
		call  dialer.CallID
		owner int32
	}
	var (
		holders   [agents + 1]atomic.Int32
		reserved  atomic.Int64
		noAgent   atomic.Int64
		expired   atomic.Int64
		abandoned atomic.Int64
		returned  = make(chan booking, agents)
		fail      = func(format string, args ...any) { t.Errorf(format, args...) }
	)

	var disp sync.WaitGroup
	for d := range dispatchers {
		owner := int32(d + 1)
		disp.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(owner), 1))
			for reserved.Load() < total && !t.Failed() {
				req := dialer.ReserveRequest{Call: dialer.NewCallID(), Lease: time.Hour, At: time.Now()}
				var st dialer.Reservation
				var err error
				switch rng.IntN(8) {
				case 0:
					st, err = f.s.ReserveAgent(ctx, dialer.AgentID(1+rng.IntN(agents)), req)
				case 1, 2:
					req.Tags = []string{even}
					st, err = f.s.Reserve(ctx, req)
				default:
					st, err = f.s.Reserve(ctx, req)
				}
				switch {
				case errors.Is(err, dialer.ErrNoAgent), errors.Is(err, dialer.ErrStateMismatch):
					noAgent.Add(1)
					runtime.Gosched()
					continue
				case err != nil:
					fail("reserve: %v", err)
					return
				}
				if st.Call != req.Call {
					fail("reservation %+v for %s", st, req.Call)
				}
				if req.Tags != nil && st.Agent%2 != 0 {
					fail("agent %d lacks tag %s", st.Agent, even)
				}
				if prev := holders[st.Agent].Swap(owner); prev != 0 {
					fail("agent %d booked by dispatcher %d while dispatcher %d held it", st.Agent, owner, prev)
				}
				reserved.Add(1)
				returned <- booking{st.Agent, st.Call, owner}
			}
		})
	}

	// Returners clear the holder first: the agent is still RESERVED in
	// Redis then, so nobody can take it in between.
	var ret sync.WaitGroup
	for r := range returners {
		ret.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for b := range returned {
				if !holders[b.id].CompareAndSwap(b.owner, 0) {
					fail("agent %d: holder changed under dispatcher %d", b.id, b.owner)
				}
				var err error
				switch rng.IntN(10) {
				case 0: // the whole call
					for _, step := range [][2]dialer.AgentState{
						{dialer.AgentReserved, dialer.AgentRinging},
						{dialer.AgentRinging, dialer.AgentInCall},
						{dialer.AgentInCall, dialer.AgentDispo},
						{dialer.AgentDispo, dialer.AgentReady},
					} {
						if _, err = f.s.Transition(ctx, dialer.Transition{Agent: b.id, From: step[0], To: step[1], Call: b.call, At: time.Now()}); err != nil {
							break
						}
					}
				case 1: // the dispatcher vanished: its lease lapses
					abandoned.Add(1)
					err = f.s.RenewLease(ctx, b.id, b.call, time.Millisecond, time.Now().Add(-time.Hour))
				default:
					_, err = f.s.Release(ctx, b.id, b.call, "race", time.Now())
				}
				if err != nil {
					fail("return agent %d: %v", b.id, err)
				}
			}
		})
	}

	// The sweeper, as the service runs it.
	sweepDone := make(chan struct{})
	var sweep sync.WaitGroup
	sweep.Go(func() {
		for {
			ids, err := f.s.ExpireLeases(ctx, time.Now())
			if err != nil {
				fail("sweep: %v", err)
				return
			}
			expired.Add(int64(len(ids)))
			select {
			case <-sweepDone:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})

	start := time.Now()
	disp.Wait()
	close(returned)
	ret.Wait()
	close(sweepDone)
	sweep.Wait()
	ids, err := f.s.ExpireLeases(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expired.Add(int64(len(ids)))
	elapsed := time.Since(start)

	if expired.Load() != abandoned.Load() {
		t.Errorf("%d leases expired, %d abandoned", expired.Load(), abandoned.Load())
	}
	all, err := f.s.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != agents {
		t.Fatalf("%d agents, want %d", len(all), agents)
	}
	for _, a := range all {
		if a.State != dialer.AgentReady {
			t.Errorf("agent %d ended %s", a.Agent, a.State)
		}
	}
	if n := f.rdb.ZCard(ctx, f.s.k.ready()).Val(); n != agents {
		t.Errorf("ready index holds %d agents, want %d", n, agents)
	}
	f.checkIndices()
	t.Logf("%d reservations (%d lapsed), %d misses, %v: %.0f reservations/s",
		reserved.Load(), abandoned.Load(), noAgent.Load(), elapsed.Round(time.Millisecond), float64(reserved.Load())/elapsed.Seconds())
}
