package dialer_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
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

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// rssMB is this process's resident set, from /proc.
func rssMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkMemoryChurn is P6: P6_AGENTS persistent agents (2,000) logged
// in and P6_CALLS live calls (10,000) kept up for P6_SECONDS (200) with
// calls starting and ending all the time: each lead rings for
// P6_RING_SECONDS (120, so about 100 calls start each second), one in five
// answers after 2 s and talks to an agent for 15 s, ended calls linger 30 s
// (the default). The simulator runs in its own process. It samples
// this process's RSS and goroutines every second and reports the peak and
// the last sample. One op is the whole run.
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
		loginAll(b, w, exts)
		var peakRSS, lastRSS float64
		var peakG, peakCalls int
		var series []string
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sample := func(at time.Duration) {
			r, g, n := rssMB(), runtime.NumGoroutine(), len(w.eng.LiveCalls(w.ctx()))
			peakRSS, lastRSS, peakG, peakCalls = max(peakRSS, r), r, max(peakG, g), max(peakCalls, n)
			if int(at.Seconds())%10 == 0 {
				series = append(series, fmt.Sprintf("%3.0fs rss=%.0fMB goroutines=%d live_calls=%d", at.Seconds(), r, g, n))
			}
		}
		start := time.Now()
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
					if _, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: p6Number(i)}); err != nil {
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
		b.ReportMetric(float64(peakG), "peak-goroutines")
		b.ReportMetric(float64(peakCalls), "peak-live-calls")
		b.ReportMetric(float64(started.Load()), "calls")
		if f := failed.Load(); f > 0 {
			b.Fatalf("%d of %d calls refused, the first: %v", f, started.Load(), firstErr.Load())
		}
	}
}

// loginAll logs the agents in, persistent, and makes them READY, a few
// dozen at a time.
func loginAll(b *testing.B, w *world, exts []string) {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var errs atomic.Int64
	for _, ext := range exts {
		a := w.actor(ext)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := w.eng.Login(w.ctx(), a, a.Agent, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModePersistent}); err != nil {
				errs.Add(1)
				return
			}
			if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
				errs.Add(1)
			}
		})
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		b.Fatalf("%d of %d agents could not log in", n, len(exts))
	}
	waitFor(b, 2*time.Minute, "every agent READY", func() bool {
		vs, err := w.eng.AgentViews(w.ctx())
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
