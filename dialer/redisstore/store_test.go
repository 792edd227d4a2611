package redisstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/livestoretest"
	"github.com/agentswitch/agentswitch/internal/redistest"
)

var t0 = livestoretest.T0

func at(d time.Duration) time.Time { return t0.Add(d) }

type fixture struct {
	t   *testing.T
	srv *redistest.Server
	rdb *redis.Client
	s   *Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	// Requests pass their own times; only registration reads the clock.
	clock := func() time.Time { return t0 }
	return &fixture{t: t, srv: srv, rdb: srv.Client(), s: New(srv.Client(), Options{Prefix: "t:", Now: clock})}
}

func (f *fixture) register(id dialer.AgentID, mode dialer.AgentMode, tags ...string) {
	f.t.Helper()
	livestoretest.Register(f.t, f.s, id, mode, tags...)
}

func (f *fixture) ready(id dialer.AgentID, when time.Time) {
	f.t.Helper()
	livestoretest.Ready(f.t, f.s, id, when)
}

// raw returns everything stored about an agent, to prove a failed call
// changed nothing.
func (f *fixture) raw(id dialer.AgentID) string {
	f.t.Helper()
	ctx := f.t.Context()
	h := f.rdb.HGetAll(ctx, f.s.k.agent(id)).Val()
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k+"="+h[k])
	}
	slices.Sort(keys)
	ready := f.rdb.ZRangeWithScores(ctx, f.s.k.ready(), 0, -1).Val()
	leases := f.rdb.ZRangeWithScores(ctx, f.s.k.leases(), 0, -1).Val()
	return fmt.Sprint(keys, ready, leases)
}

// checkIndices asserts the invariants documented in keys.go.
func (f *fixture) checkIndices() {
	f.t.Helper()
	ctx := f.t.Context()
	agents, err := f.s.Agents(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	wantReady := map[string]float64{}
	wantTag := map[string]map[string]float64{}
	wantLease := map[string]float64{}
	wantNode := map[string]map[string]float64{}
	for _, a := range agents {
		id := a.Agent.String()
		if a.State == dialer.AgentReady {
			wantReady[id] = float64(a.IdleSince.UnixMilli())
			nk := f.s.k.p + "readyany"
			if n := f.rdb.HGet(ctx, f.s.k.agent(a.Agent), fNode).Val(); n != "" {
				nk = f.s.k.p + "readynode:" + n
			}
			if wantNode[nk] == nil {
				wantNode[nk] = map[string]float64{}
			}
			wantNode[nk][id] = wantReady[id]
			for _, t := range a.Tags {
				if wantTag[t] == nil {
					wantTag[t] = map[string]float64{}
				}
				wantTag[t][id] = wantReady[id]
			}
		}
		if a.State == dialer.AgentReserved {
			wantLease[id] = float64(a.LeaseUntil.UnixMilli())
		}
	}
	zmap := func(key string) map[string]float64 {
		m := map[string]float64{}
		for _, z := range f.rdb.ZRangeWithScores(ctx, key, 0, -1).Val() {
			m[z.Member.(string)] = z.Score
		}
		return m
	}
	if got := zmap(f.s.k.ready()); !mapsEqual(got, wantReady) {
		f.t.Errorf("ready index = %v, want %v", got, wantReady)
	}
	if got := zmap(f.s.k.leases()); !mapsEqual(got, wantLease) {
		f.t.Errorf("lease index = %v, want %v", got, wantLease)
	}
	nodeKeys := append(f.rdb.Keys(ctx, f.s.k.p+"readynode:*").Val(), f.s.k.p+"readyany")
	for k := range wantNode {
		if !slices.Contains(nodeKeys, k) {
			nodeKeys = append(nodeKeys, k)
		}
	}
	for _, k := range nodeKeys {
		if got := zmap(k); !mapsEqual(got, wantNode[k]) {
			f.t.Errorf("node index %s = %v, want %v", k, got, wantNode[k])
		}
	}
	tagKeys := f.rdb.Keys(ctx, f.s.k.p+keyReady+":*").Val()
	for _, k := range tagKeys {
		tag := strings.TrimPrefix(k, f.s.k.p+keyReady+":")
		if got := zmap(k); !mapsEqual(got, wantTag[tag]) {
			f.t.Errorf("tag index %s = %v, want %v", tag, got, wantTag[tag])
		}
	}
	for tag, want := range wantTag {
		if !slices.Contains(tagKeys, f.s.k.p+keyReady+":"+tag) && len(want) > 0 {
			f.t.Errorf("tag index %s missing", tag)
		}
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestContract runs the LiveStore contract on a real redis-server; the
// memory store (dialer/memlive) runs the same suite.
func TestContract(t *testing.T) {
	livestoretest.Run(t, func(t *testing.T) livestoretest.Backend {
		f := newFixture(t)
		return livestoretest.Backend{
			Store: f.s,
			Raw: func(id dialer.AgentID) string {
				if f.rdb.Exists(t.Context(), f.s.k.agent(id), f.s.k.tags(id)).Val() == 0 {
					return ""
				}
				return f.raw(id)
			},
			Empty:        func() bool { return f.rdb.DBSize(t.Context()).Val() == 0 },
			CheckIndices: func(*testing.T) { f.checkIndices() },
			LoseData:     f.srv.Restart,
			Outage: func(t *testing.T) (dialer.LiveStore, func()) {
				// A client that gives up at the first refusal, so the test is quick.
				o := redistest.Options(f.srv.Addr())
				o.MaxRetries, o.DialerRetries = -1, 1
				c := redis.NewClient(o)
				t.Cleanup(func() { c.Close() })
				return New(c, Options{Prefix: "t:", Now: func() time.Time { return t0 }}), f.srv.Stop
			},
		}
	})
}

func TestSubscribeSurvivesRedisRestart(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ch, err := f.s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Restart()
	f.register(1, dialer.ModeRing)
	// The subscriber reconnects by itself; publish until it hears one.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		from, to := dialer.AgentLoggedOut, dialer.AgentPaused
		if i%2 == 1 {
			from, to = to, from
		}
		if _, err := f.s.Transition(ctx, dialer.Transition{Agent: 1, From: from, To: to, At: at(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-ch:
			if ev.Agent != 1 {
				t.Fatalf("%+v", ev)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("subscription did not recover after restart")
		}
	}
}

// TestHopperContract runs the hopper suite on a real redis-server, the
// two hoppers on separate clients as two service processes would be.
func TestHopperContract(t *testing.T) {
	livestoretest.RunHopper(t, func(t *testing.T) (dialer.Hopper, dialer.Hopper) {
		f := newFixture(t)
		c := f.srv.NewClient()
		t.Cleanup(func() { c.Close() })
		return f.s.Hopper(), New(c, Options{Prefix: f.s.k.p}).Hopper()
	})
}

// TestWebRTCCredentialsContract runs the browser credentials' suite on a
// real redis-server; the key also carries the credential's lifetime.
func TestWebRTCCredentialsContract(t *testing.T) {
	livestoretest.RunWebRTCCredentials(t, func(t *testing.T) dialer.WebRTCCredentials {
		return newFixture(t).s.WebRTCCredentials()
	})
	t.Run("KeyExpires", func(t *testing.T) {
		f := newFixture(t)
		w := f.s.WebRTCCredentials()
		c := dialer.WebRTCCredential{Agent: 3, User: "w2403", A1Hash: dialer.SIPA1("w2403", "d", "p"), ExpiresAt: t0.Add(time.Minute)}
		if err := w.Issue(t.Context(), c, time.Minute); err != nil {
			t.Fatal(err)
		}
		ttl := f.rdb.PTTL(t.Context(), w.key(3)).Val()
		if ttl <= 0 || ttl > time.Minute {
			t.Fatalf("PTTL = %v, want (0, 1m]", ttl)
		}
	})
}
