package dialer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// eventTap notes when each event key picks was read off the socket, by
// that key, then passes every event on.
type eventTap struct {
	next esl.Handler
	key  func(*esl.Event) (string, bool)
	seen sync.Map // key -> time.Time
}

func (t *eventTap) HandleEvent(node string, ev *esl.Event) {
	if k, ok := t.key(ev); ok {
		t.seen.Store(k, ev.Received())
	}
	t.next.HandleEvent(node, ev)
}

func (t *eventTap) HandleNode(st esl.NodeState) { t.next.HandleNode(st) }

// latencies gathers, for each command a benchmark times, the time since
// the tap saw its key.
type latencies struct {
	tap *eventTap
	mu  sync.Mutex
	lat []time.Duration
}

// since records the time since key was seen, if it was; forget drops
// the key (one measure per key).
func (l *latencies) since(key string, forget bool) bool {
	now := time.Now()
	t, ok := l.tap.seen.Load(key)
	if forget {
		t, ok = l.tap.seen.LoadAndDelete(key)
	}
	if ok {
		l.mu.Lock()
		l.lat = append(l.lat, now.Sub(t.(time.Time)))
		l.mu.Unlock()
	}
	return ok
}

// report puts the p50 and p99 (and the max when withMax) in µs.
func (l *latencies) report(b *testing.B, withMax bool) {
	l.mu.Lock()
	lat := slices.Clone(l.lat)
	l.mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no latency measured")
	}
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	if withMax {
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	}
}

// answerTap taps each CHANNEL_ANSWER, by channel uuid.
func answerTap() *eventTap {
	return &eventTap{key: func(ev *esl.Event) (string, bool) {
		return ev.UniqueID(), ev.Name() == esl.EventChannelAnswer
	}}
}

// bridgeTimer measures, for every uuid_bridge, the time since its lead's
// answer was read: the moment the engine hands the command to the client,
// which writes it at once on an idle command connection.
type bridgeTimer struct {
	dialer.Switch
	latencies
	count atomic.Int64
}

func (b *bridgeTimer) Bridge(ctx context.Context, a, c string) error {
	b.since(a, false)
	b.count.Add(1)
	return b.Switch.Bridge(ctx, a, c)
}

// TestMain can run this test binary as a simulated switch in its own
// process, so a benchmark measures the service's work and not the
// simulator's: with DIALER_SIM_CHILD set it serves until stdin closes.
// Otherwise it runs the tests and fails them if goroutines outlive them.
func TestMain(m *testing.M) {
	if os.Getenv("DIALER_SIM_CHILD") == "" {
		goleak.VerifyTestMain(m)
		return
	}
	s := sim.New(sim.Config{Password: "s3cret", AnswerDelay: 20 * time.Millisecond, RecordingsDir: os.TempDir()})
	for i := 0; i < benchNumbers; i++ {
		s.SetEndpoint(benchNumber(i), sim.Behavior{AnswerAfter: 20 * time.Millisecond, HangupAfter: 150 * time.Millisecond})
	}
	if os.Getenv("DIALER_SIM_P6") != "" {
		p6Behaviors(s)
	}
	if n, err := strconv.Atoi(os.Getenv("DIALER_SIM_P3")); err == nil {
		p3Behaviors(s, n)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if path := os.Getenv("DIALER_SIM_CPUPROFILE"); path != "" {
		// The simulator's own profile, to see what it costs the machine.
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Println(s.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { simCommands(s, os.Stdin); cancel() }()
	rate, _ := strconv.Atoi(os.Getenv("DIALER_SIM_BG_RATE"))
	go background(ctx, s, rate, nil)
	s.Serve(ctx)
	pprof.StopCPUProfile()
	os.Exit(0)
}

// simCommands reads the parent's orders, one a line, until stdin closes:
// "inbound <n> <did> <from> <hangup ms>" places n inbound calls to did
// (queue "sales"), from benchNumber(from+i), each hanging up that long
// after the answer (0: never).
func simCommands(s *sim.Server, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var n, from, hangup int
		var did string
		if _, err := fmt.Sscanf(sc.Text(), "inbound %d %s %d %d", &n, &did, &from, &hangup); err == nil {
			s.SetExtension(did, "set:agentswitch_did="+did+",set:agentswitch_queue=sales,answer,park")
			for i := from; i < from+n; i++ {
				s.Inbound(sim.InboundCall{From: benchNumber(i), To: did, HangupAfter: time.Duration(hangup) * time.Millisecond})
			}
		}
	}
}

// background emits channel events of calls the service does not know, as
// on a switch shared with other traffic, at rate events per second.
func background(ctx context.Context, s *sim.Server, rate int, sent *atomic.Int64) {
	if rate <= 0 {
		return
	}
	if sent == nil {
		sent = &atomic.Int64{}
	}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	start := time.Now()
	other := uuid.NewString()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int64(time.Since(start).Seconds()*float64(rate)) - sent.Load()
		for i := int64(0); i < due; i++ {
			s.EmitEvent(esl.EventChannelExecuteComplete, "", []esl.Field{
				{Name: "Unique-ID", Value: other}, {Name: "Application", Value: "playback"},
			}, "")
		}
		sent.Add(due)
	}
}

const benchNumbers = 20000

func benchNumber(i int) string { return fmt.Sprintf("+1555%07d", i) }

// startSimProcess runs the simulator in a child process emitting bgRate
// background events per second, and returns its address.
func startSimProcess(b *testing.B, bgRate int) string {
	return startSimChild(b, "DIALER_SIM_BG_RATE="+strconv.Itoa(bgRate))
}

// startSimChild runs the simulator in a child process with the extra
// environment given, and returns its address.
func startSimChild(b *testing.B, env ...string) string {
	addr, _ := startSimOrders(b, env...)
	return addr
}

// startSimOrders is startSimChild that also returns where to write the
// simulator's orders (simCommands).
func startSimOrders(b *testing.B, env ...string) (string, io.Writer) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "DIALER_SIM_CHILD=1"), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return addr[:len(addr)-1], stdin
}

// BenchmarkAnswerToBridge is P1: from the lead's CHANNEL_ANSWER read off
// the socket to the uuid_bridge command handed to the switch client,
// including the Redis reservation of the longest-idle agent, with calls
// arriving at 100/s, persistent agents, and background events flowing.
// The simulator runs in its own process, as FreeSWITCH would
// (P1_SIM=inprocess runs it in this one). One op is one call.
func BenchmarkAnswerToBridge(b *testing.B) {
	if b.N > benchNumbers {
		b.Fatalf("at most %d calls", benchNumbers)
	}
	rate := 100
	bgRate := 20000
	if v, err := strconv.Atoi(os.Getenv("P1_BACKGROUND_EVENTS")); err == nil {
		bgRate = v
	}
	inProcess := os.Getenv("P1_SIM") == "inprocess"
	tap := answerTap()
	bt := &bridgeTimer{latencies: latencies{tap: tap}}
	exts := make([]string, 40)
	for i := range exts {
		exts[i] = strconv.Itoa(2000 + i)
	}
	o := worldOpts{
		extensions: exts,
		engine: func(c *dialer.EngineConfig) {
			c.WrapUp = 20 * time.Millisecond
			c.AbandonAfter = 5 * time.Second
			c.Linger = time.Second
		},
		sim:  func(c *sim.Config) { c.AnswerDelay = 20 * time.Millisecond },
		tap:  func(h esl.Handler) esl.Handler { tap.next = h; return tap },
		wrap: func(s dialer.Switch) dialer.Switch { bt.Switch = s; return bt },
	}
	if !inProcess {
		o.simAddr = startSimProcess(b, bgRate)
	}
	w := newWorldWith(b, o)
	for _, ext := range exts {
		w.ready(ext, dialer.ModePersistent)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bgSent atomic.Int64
	if inProcess {
		for i := 0; i < b.N; i++ {
			w.sim.SetEndpoint(benchNumber(i), sim.Behavior{AnswerAfter: 20 * time.Millisecond, HangupAfter: 150 * time.Millisecond})
		}
		go background(ctx, w.sim, bgRate, &bgSent)
	}
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := 0; i < b.N; i++ {
		<-tick.C
		go func() {
			if _, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: benchNumber(i)}); err != nil {
				b.Error(err)
			}
		}()
	}
	tick.Stop()
	waitFor(b, time.Minute, "every call bridged", func() bool { return bt.count.Load() >= int64(b.N) })
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	bt.report(b, false)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if inProcess {
		b.ReportMetric(float64(bgSent.Load())/elapsed.Seconds(), "bg-events/s")
	} else {
		b.ReportMetric(float64(bgRate), "bg-events/s")
	}
}
