package dialer_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// P6's lead numbers: most ring until the lead timeout, one in answerEvery
// answers after 2 s and talks for p6Talk.
const (
	p6Numbers     = 60000
	p6AnswerEvery = 5
	p6Talk        = 15 * time.Second
)

func p6Number(i int) string { return fmt.Sprintf("+1666%07d", i) }

func p6Behaviors(s *sim.Server) {
	for i := 0; i < p6Numbers; i++ {
		b := sim.Behavior{Outcome: sim.NoAnswer}
		if i%p6AnswerEvery == 0 {
			b = sim.Behavior{AnswerAfter: 2 * time.Second, HangupAfter: p6Talk}
		}
		s.SetEndpoint(p6Number(i), b)
	}
}

// request runs fn with a context that ends when fn returns, as an API
// request's does. (w.ctx's contexts live until the benchmark ends: one
// per call started, agent logged in and sample taken held ~12 MB of this
// process's live heap, memory the service does not keep.)
func request[T any](fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return fn(ctx)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// rssMB is this process's resident set, from /proc.
func rssMB() float64 { return float64(procmem.RSS()) / (1 << 20) }

// memSample is where this process's memory goes, from runtime/metrics
// (which, unlike runtime.ReadMemStats, does not stop the world).
type memSample struct {
	rss float64 // resident set, from /proc (MB, as all below)
	// liveHeap is the heap the last GC found reachable; objects the heap
	// objects now (live and not yet collected).
	liveHeap, objects float64
	// unused is free room inside spans holding objects; free is heap
	// memory with no objects that the runtime has not returned to the
	// OS (still resident); released was returned (not resident).
	unused, free, released float64
	stacks                 float64 // goroutine stacks (StackInuse)
	other                  float64 // the runtime's own: span and GC metadata, caches, profiling, OS thread stacks
	goal                   float64 // the heap size at which the next GC starts
	limit                  float64 // the soft memory limit (debug.SetMemoryLimit; math.MaxInt64 when unset)
	gcs                    uint64  // GC cycles so far
	goroutines             int
}

var memMetrics = []string{
	"/gc/heap/live:bytes", "/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes", "/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes", "/gc/heap/goal:bytes", "/gc/gomemlimit:bytes", "/gc/cycles/total:gc-cycles",
	"/sched/goroutines:goroutines",
}

func readMem() memSample {
	ms := make([]metrics.Sample, len(memMetrics))
	for i, n := range memMetrics {
		ms[i].Name = n
	}
	metrics.Read(ms)
	mb := func(i int) float64 { return float64(ms[i].Value.Uint64()) / (1 << 20) }
	s := memSample{rss: rssMB(), liveHeap: mb(0), objects: mb(1), unused: mb(2), free: mb(3), released: mb(4), stacks: mb(5),
		goal: mb(7), limit: mb(8), gcs: ms[9].Value.Uint64(), goroutines: int(ms[10].Value.Uint64())}
	s.other = mb(6) - s.objects - s.unused - s.free - s.released - s.stacks
	return s
}

func (s memSample) String() string {
	out := fmt.Sprintf("rss=%.0fMB heap_live=%.0f objects=%.0f unused=%.0f free_unreleased=%.0f stacks=%.0f runtime_other=%.0f gc_goal=%.0f gcs=%d goroutines=%d",
		s.rss, s.liveHeap, s.objects, s.unused, s.free, s.stacks, s.other, s.goal, s.gcs, s.goroutines)
	if s.limit < math.MaxInt64/(1<<20) {
		out += fmt.Sprintf(" memory_limit=%.0f", s.limit)
	}
	return out
}

// BenchmarkMemoryChurn is P6: P6_AGENTS persistent agents (2,000) logged
// in and P6_CALLS live calls (10,000) kept up for P6_SECONDS (200) with
// calls starting and ending all the time: each lead rings for
// P6_RING_SECONDS (120, so about 100 calls start each second), one in five
// answers after 2 s and talks to an agent for 15 s, ended calls linger 30 s
// (the default). The simulator runs in its own process. It samples
// this process's RSS and goroutines every second and reports the peak and
// the last sample. Every ten seconds it logs where the memory goes
// (memSample): the heap the last GC found live, what the heap holds
// beyond it, goroutine stacks, and what the runtime keeps unreturned;
// the end's breakdown is reported too. One op is the whole run.
func BenchmarkMemoryChurn(b *testing.B) {
	agents := envInt("P6_AGENTS", 2000)
	target := envInt("P6_CALLS", 10000)
	seconds := envInt("P6_SECONDS", 200)
	lifetime := time.Duration(envInt("P6_RING_SECONDS", 120)) * time.Second
	// Live calls in the steady state: the ringing ones for the whole
	// lifetime, the answered ones for their 2 s of ringing and their talk.
	answered := 1 / float64(p6AnswerEvery)
	rate := float64(target) / ((1-answered)*lifetime.Seconds() + answered*(2*time.Second+p6Talk).Seconds())
	if need := int(rate * float64(seconds)); need > p6Numbers {
		b.Fatalf("%d calls needed, %d numbers scripted", need, p6Numbers)
	}
	exts := make([]string, agents)
	for i := range exts {
		exts[i] = strconv.Itoa(10000 + i)
	}
	o := worldOpts{
		extensions:    exts,
		simAddr:       startSimChild(b, "DIALER_SIM_P6=1"),
		discardEvents: true,
		engine: func(c *dialer.EngineConfig) {
			c.LeadTimeout = lifetime
			c.AbandonAfter = 5 * time.Second
			c.WrapUp = 100 * time.Millisecond
			c.Linger = 30 * time.Second
			c.HeartbeatGrace = time.Hour
		},
	}
	for b.Loop() {
		w := newWorldWith(b, o)
		loginAll(b, w, exts, 0)
		var peakRSS, lastRSS float64
		var peakG, peakCalls int
		var last memSample
		var series []string
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sample := func(at time.Duration) {
			live, _ := request(func(ctx context.Context) ([]dialer.CallView, error) { return w.eng.LiveCalls(ctx), nil })
			n := len(live)
			m := readMem()
			r, g := m.rss, m.goroutines
			peakRSS, lastRSS, peakG, peakCalls, last = max(peakRSS, r), r, max(peakG, g), max(peakCalls, n), m
			if int(at.Seconds())%10 == 0 {
				series = append(series, fmt.Sprintf("%3.0fs live_calls=%d %s", at.Seconds(), n, m))
			}
		}
		start := time.Now()
		cpu0 := procmem.CPU()
		sampler.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					sample(time.Since(start))
				}
			}
		})
		var started, failed atomic.Int64
		var firstErr atomic.Value
		tick := time.NewTicker(10 * time.Millisecond)
		end := start.Add(time.Duration(seconds) * time.Second)
		var inflight sync.WaitGroup
		for now := range tick.C {
			if now.After(end) {
				break
			}
			due := int64(now.Sub(start).Seconds()*rate) - started.Load()
			for ; due > 0; due-- {
				i := int(started.Add(1) - 1)
				inflight.Go(func() {
					if _, err := request(func(ctx context.Context) (dialer.CallView, error) {
						return w.eng.StartCall(ctx, w.admin, dialer.OutboundRequest{Number: p6Number(i)})
					}); err != nil {
						if failed.Add(1) == 1 {
							firstErr.Store(err.Error())
						}
					}
				})
			}
		}
		tick.Stop()
		inflight.Wait()
		if dir := os.Getenv("P6_PROFILE_DIR"); dir != "" {
			// The live heap and goroutines at the end of the churn, for
			// `go tool pprof`.
			runtime.GC()
			for _, name := range []string{"heap", "goroutine"} {
				if f, err := os.Create(filepath.Join(dir, "p6-"+name+".pprof")); err == nil {
					_ = pprof.Lookup(name).WriteTo(f, 0)
					f.Close()
				}
			}
		}
		close(stop)
		sampler.Wait()
		for _, s := range series {
			b.Log(s)
		}
		b.ReportMetric(peakRSS, "peak-rss-MB")
		b.ReportMetric(lastRSS, "end-rss-MB")
		b.ReportMetric(last.liveHeap, "end-heap-live-MB")
		b.ReportMetric(last.stacks, "end-stacks-MB")
		b.ReportMetric(last.free+last.unused, "end-heap-idle-MB")
		b.ReportMetric(last.goal, "end-gc-goal-MB")
		b.ReportMetric(float64(peakG), "peak-goroutines")
		b.ReportMetric(float64(peakCalls), "peak-live-calls")
		b.ReportMetric(float64(started.Load()), "calls")
		// This process's CPU over the churn (the simulator's is its own):
		// what the GC's pace costs shows here.
		b.ReportMetric((procmem.CPU() - cpu0).Seconds(), "cpu-s")
		b.ReportMetric(float64(last.gcs), "gc-cycles")
		if f := failed.Load(); f > 0 {
			b.Fatalf("%d of %d calls refused, the first: %v", f, started.Load(), firstErr.Load())
		}
	}
}

// loginAll logs the agents in, persistent, working on campaign (0: none
// chosen), and makes them READY, a few dozen at a time.
func loginAll(b *testing.B, w *world, exts []string, campaign dialer.CampaignID) {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var errs atomic.Int64
	for _, ext := range exts {
		a := w.actor(ext)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := request(func(ctx context.Context) (dialer.AgentView, error) {
				return w.eng.Login(ctx, a, a.Agent, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModePersistent, Campaign: campaign})
			}); err != nil {
				errs.Add(1)
				return
			}
			if _, err := request(func(ctx context.Context) (dialer.AgentView, error) { return w.eng.SetReady(ctx, a, a.Agent) }); err != nil {
				errs.Add(1)
			}
		})
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		b.Fatalf("%d of %d agents could not log in", n, len(exts))
	}
	waitFor(b, 2*time.Minute, "every agent READY", func() bool {
		vs, err := request(w.eng.AgentViews)
		if err != nil {
			return false
		}
		ready := 0
		for _, v := range vs {
			if v.State == dialer.AgentReady {
				ready++
			}
		}
		return ready == len(exts)
	})
}
