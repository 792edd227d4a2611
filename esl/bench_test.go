package esl_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
	"go.uber.org/goleak"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/internal/blaster"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// blast serves b.N events of the captured mix, as fast as they go; it
// closes with the benchmark.
func blast(b *testing.B) string {
	srv, err := blaster.New(b.N, 0)
	if err != nil {
		b.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return addr
}

// BenchmarkIngest compares events/s through this package's event path
// (own framing and parse, ordered delivery from one goroutine) with
// eslgo's listener path, on the same captured event mix. "esl" runs the
// client as the service does, reusing the memory of handled events (its
// handler keeps nothing of an event, as the engine keeps only copies);
// "esl-kept" does not, as for a handler that keeps events. Besides
// events/s each reports this process's CPU per event (client and event
// source together, from getrusage), which a busy shared machine disturbs
// less than the rate.
func BenchmarkIngest(b *testing.B) {
	b.Run("esl", func(b *testing.B) { ingestESL(b, true) })
	b.Run("esl-kept", func(b *testing.B) { ingestESL(b, false) })
	b.Run("eslgo", func(b *testing.B) {
		addr := blast(b)
		var n atomic.Int64
		done := make(chan struct{})
		opts := eslgo.DefaultInboundOptions
		opts.Password = "x"
		opts.Logger = eslgo.NilLogger{}
		b.ResetTimer()
		start, cpu0 := time.Now(), procmem.CPU()
		conn, err := opts.Dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		sink := 0
		conn.RegisterEventListener(eslgo.EventListenAll, func(ev *eslgo.Event) {
			sink += eslgoReads(ev)
			if n.Add(1) == int64(b.N) {
				close(done)
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := conn.SendCommand(ctx, command.Event{Format: "plain", Listen: []string{"ALL"}}); err != nil {
			b.Fatal(err)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d events", n.Load(), b.N)
		}
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
		b.ReportMetric(float64((procmem.CPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/event")
	})
}

func ingestESL(b *testing.B, recycle bool) {
	addr := blast(b)
	h := newSeqChecker(int64(b.N))
	cl, err := esl.New(esl.Config{Nodes: []esl.Node{{Name: "bench", Addr: addr, Password: "x"}}, Events: []string{"ALL"}, RecycleEvents: recycle}, h)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	start, cpu0 := time.Now(), procmem.CPU()
	go func() { cl.Run(ctx); close(done) }()
	select {
	case <-h.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d events", h.n.Load(), b.N)
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	b.ReportMetric(float64((procmem.CPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/event")
	if s := cl.Stats(); s.Duplicates.Load() != 0 || s.Malformed.Load() != 0 {
		b.Fatalf("dups=%d malformed=%d", s.Duplicates.Load(), s.Malformed.Load())
	}
	h.check(b)
	cancel()
	<-done
}

// eslgoReads reads through eslgo what engineReads reads, for the same
// work on both sides of BenchmarkIngest.
func eslgoReads(ev *eslgo.Event) int {
	n := len(ev.GetName()) + len(ev.GetHeader("Unique-ID"))
	switch ev.GetName() {
	case esl.EventChannelAnswer:
		n += len(ev.GetHeader("Event-Date-Timestamp"))
	case esl.EventChannelBridge:
		n += len(ev.GetHeader("Bridge-B-Unique-ID"))
	case esl.EventChannelHangup, esl.EventChannelHangupComplete:
		n += len(ev.GetHeader("Event-Date-Timestamp")) + len(ev.GetHeader("Caller-Channel-Answered-Time")) + len(ev.GetHeader("Hangup-Cause"))
	case esl.EventChannelPark:
		n += len(ev.GetHeader("Event-Date-Timestamp")) + len(ev.GetHeader("Caller-Channel-Answered-Time"))
		if ev.GetHeader("Call-Direction") == "inbound" {
			n += len(ev.GetHeader("variable_agentswitch_leg_role")) + len(ev.GetHeader("variable_agentswitch_did")) + len(ev.GetHeader("variable_agentswitch_dialed"))
		}
	case esl.EventChannelExecuteComplete:
		if ev.GetHeader("Application") == "bridge" {
			n += len(ev.GetHeader("variable_originate_disposition"))
		}
	case esl.EventCustom:
		n += len(ev.GetHeader("Event-Subclass")) + len(ev.GetHeader("Action")) + len(ev.GetHeader("Member-ID"))
	}
	return n
}

// TestMain lets the benchmark below start this test binary as a separate
// event source, so the CPU it measures is the client's alone. Otherwise it
// runs the tests and fails them if goroutines outlive them.
func TestMain(m *testing.M) {
	if rate := os.Getenv("ESL_BLASTER_RATE"); rate != "" {
		r, _ := strconv.Atoi(rate)
		srv, err := blaster.New(0, r)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		addr, err := srv.Listen()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(addr)
		// Runs until the parent closes our stdin.
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// BenchmarkIngestPaced20k feeds 20,000 captured events/s from another
// process and reports the share of one core this process spent taking them
// in (parse, order, deliver). One op is one event.
func BenchmarkIngestPaced20k(b *testing.B) {
	const rate = 20000
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ESL_BLASTER_RATE="+strconv.Itoa(rate))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	var addr string
	if _, err := fmt.Fscanln(out, &addr); err != nil {
		b.Fatal(err)
	}
	h := newSeqChecker(int64(b.N))
	cl, err := esl.New(esl.Config{Nodes: []esl.Node{{Name: "bench", Addr: addr, Password: "x"}}, Events: []string{"ALL"}, RecycleEvents: true}, h)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cl.Run(ctx); close(done) }()
	<-h.up
	cpu0 := procmem.CPU()
	start := time.Now()
	b.ResetTimer()
	select {
	case <-h.done:
	case <-time.After(time.Duration(b.N)*time.Second/rate + time.Minute):
		b.Fatalf("only %d of %d events", h.n.Load(), b.N)
	}
	b.StopTimer()
	wall := time.Since(start)
	cpu := procmem.CPU() - cpu0
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "events/s")
	cancel()
	<-done
	h.check(b)
}

// BenchmarkParse is framing plus parsing of the captured mix from memory:
// the work per event with no socket and no delivery.
func BenchmarkParse(b *testing.B) {
	mix, err := blaster.Frames()
	if err != nil {
		b.Fatal(err)
	}
	var stream []byte
	for _, f := range mix {
		stream = append(stream, f...)
	}
	b.SetBytes(int64(len(stream) / len(mix)))
	b.ResetTimer()
	n := 0
	for n < b.N {
		rd := esl.NewReader(bytes.NewReader(stream))
		for n < b.N {
			f, err := rd.ReadFrame()
			if err != nil {
				break
			}
			ev, err := esl.ParseEvent(f.ContentType(), f.Body)
			if err != nil {
				b.Fatal(err)
			}
			_ = ev.Sequence()
			_ = ev.UniqueID()
			n++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
