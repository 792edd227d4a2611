package dialer_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// parkTap taps each inbound caller's CHANNEL_PARK, by caller number.
func parkTap() *eventTap {
	return &eventTap{key: func(ev *esl.Event) (string, bool) {
		return ev.Get("Caller-Caller-ID-Number"), ev.Name() == esl.EventChannelPark && ev.Get("Call-Direction") == "inbound"
	}}
}

// originateTimer measures, for each agent leg originated, the time since
// its caller's park was read: the agent leg carries the caller's number.
type originateTimer struct {
	dialer.Switch
	latencies
	count atomic.Int64
}

func (o *originateTimer) Originate(ctx context.Context, orig esl.Originate, node string) (*esl.Call, error) {
	if o.since("+"+orig.CallerIDNumber, true) {
		o.count.Add(1)
	}
	return o.Switch.Originate(ctx, orig, node)
}

// BenchmarkQueueEntryToOriginate is P9: from an inbound caller's
// CHANNEL_PARK read off the socket to its agent's leg handed to the switch
// client, the caller entering a longest-idle queue of 40 ring-mode agents
// with idle ones among them, at 50 callers/s (QUEUE_RATE). The simulator
// runs in its own process and places the callers on order (QUEUE_SIM=
// inprocess runs it in this one). One op is one caller.
func BenchmarkQueueEntryToOriginate(b *testing.B) {
	rate := 50
	if v, err := strconv.Atoi(os.Getenv("QUEUE_RATE")); err == nil && v > 0 {
		rate = v
	}
	inProcess := os.Getenv("QUEUE_SIM") == "inprocess"
	tap := parkTap()
	ot := &originateTimer{latencies: latencies{tap: tap}}
	exts := make([]string, 40)
	for i := range exts {
		exts[i] = strconv.Itoa(2000 + i)
	}
	o := worldOpts{
		extensions: exts,
		engine: func(c *dialer.EngineConfig) {
			c.WrapUp = 20 * time.Millisecond
			c.Linger = time.Second
		},
		tap:  func(h esl.Handler) esl.Handler { tap.next = h; return tap },
		wrap: func(s dialer.Switch) dialer.Switch { ot.Switch = s; return ot },
	}
	var orders io.Writer
	if !inProcess {
		o.simAddr, orders = startSimOrders(b)
	}
	w := newWorldWith(b, o)
	w.addQueue(queueSettings(ring.LongestIdle), exts...)
	if inProcess {
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		for _, ext := range exts {
			w.sim.SetEndpoint(ext, sim.Behavior{AnswerAfter: 20 * time.Millisecond})
		}
	}
	for _, ext := range exts {
		w.ready(ext, dialer.ModeRing)
	}
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := 0; i < b.N; i++ {
		<-tick.C
		if inProcess {
			w.sim.Inbound(sim.InboundCall{From: benchNumber(i), To: "+15551110000", HangupAfter: 200 * time.Millisecond})
		} else {
			fmt.Fprintf(orders, "inbound 1 +15551110000 %d 200\n", i)
		}
	}
	tick.Stop()
	waitFor(b, time.Minute, "every caller's agent rung", func() bool { return ot.count.Load() >= int64(b.N) })
	elapsed := time.Since(start)
	b.StopTimer()
	ot.report(b, true)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "callers/s")
}

// BenchmarkQueueWaitingCallers is the cost of callers waiting with no
// agent to take them: the heap the service holds for each, and the CPU
// it spends over an idle 10 s (QUEUE_IDLE_SECONDS) with all of them
// waiting. The simulator runs in its own process, so neither counts its
// share. Half the callers come first and the heap is read, then the
// other half: the difference per caller leaves out what the first
// callers grew once (buffers, caches). One op is one caller.
func BenchmarkQueueWaitingCallers(b *testing.B) {
	if b.N < 2 {
		return // the harness's first probe; the figures need two halves
	}
	idle := 10 * time.Second
	if v, err := strconv.Atoi(os.Getenv("QUEUE_IDLE_SECONDS")); err == nil && v > 0 {
		idle = time.Duration(v) * time.Second
	}
	addr, orders := startSimOrders(b)
	w := newWorldWith(b, worldOpts{extensions: []string{"2000"}, simAddr: addr})
	q := w.addQueue(queueSettings(ring.LongestIdle), "2000")
	w.loginWith("2000", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
	read := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	// heap is the live heap once it has settled: the callers' records
	// written, their events handled (two readings a second apart within
	// 64 KiB, for at most 20 s).
	heap := func() int64 {
		prev := read()
		for range 20 {
			time.Sleep(time.Second)
			h := read()
			if d := h - prev; d > -64<<10 && d < 64<<10 {
				return h
			}
			prev = h
		}
		return prev
	}
	place := func(n, from int) {
		fmt.Fprintf(orders, "inbound %d +15551110000 %d 0\n", n, from)
		want := from + n
		waitFor(b, 2*time.Minute, fmt.Sprintf("%d callers waiting", want), func() bool { return w.queueView(q.ID).Waiting == want })
	}
	half := b.N / 2
	b.ResetTimer()
	place(half, 0)
	h1 := heap()
	place(b.N-half, half)
	h2 := heap()
	b.StopTimer()
	if path := os.Getenv("QUEUE_IDLE_CPUPROFILE"); path != "" {
		// What the idle seconds are spent on.
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	// The heap readings' collections leave pages for the runtime's
	// scavenger to return, work that is not the service's: done now.
	debug.FreeOSMemory()
	cpu0 := procmem.CPU()
	time.Sleep(idle)
	cpu := procmem.CPU() - cpu0
	pprof.StopCPUProfile()
	b.ReportMetric(float64(h2-h1)/float64(b.N-half), "heap-B/caller")
	b.ReportMetric(float64(cpu.Microseconds())/1000/idle.Seconds(), "idle-cpu-ms/s")
	b.ReportMetric(float64(b.N), "callers")
}
