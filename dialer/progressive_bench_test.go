package dialer_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// P3's leads, by number: six in ten answer after p3Ring and talk for
// p3Talk, two are busy after p3Ring, two ring until the lead timeout
// (p3NoAnswer).
const (
	p3Ring     = 300 * time.Millisecond
	p3Talk     = time.Second
	p3NoAnswer = time.Second
)

func p3Number(i int) string { return fmt.Sprintf("+1777%07d", i) }

func p3Behavior(i int) sim.Behavior {
	switch i % 10 {
	case 6, 7:
		return sim.Behavior{Outcome: sim.Busy, AnswerAfter: p3Ring}
	case 8, 9:
		return sim.Behavior{Outcome: sim.NoAnswer}
	}
	return sim.Behavior{AnswerAfter: p3Ring, HangupAfter: p3Talk}
}

func p3Behaviors(s *sim.Server, n int) {
	for i := range n {
		s.SetEndpoint(p3Number(i), p3Behavior(i))
	}
}

// originateCounter counts the leads' originates handed to the switch
// client and the results that came back for them.
type originateCounter struct {
	dialer.Switch
	sent, results, refused atomic.Int64
	bridgeFailed           atomic.Int64
	log                    *log.Logger
}

func (o *originateCounter) Originate(ctx context.Context, req esl.Originate, node string) (*esl.Call, error) {
	c, err := o.Switch.Originate(ctx, req, node)
	if _, lead := req.Endpoint.(esl.GatewayEndpoint); !lead {
		return c, err // an agent's line
	}
	if err != nil {
		o.refused.Add(1)
		return c, err
	}
	o.sent.Add(1)
	c.OnDone(func(error) { o.results.Add(1) })
	return c, err
}

// Bridge counts the bridges the switch refused, and logs the first few
// with whether the lead's channel was still there.
func (o *originateCounter) Bridge(ctx context.Context, a, b string) error {
	err := o.Switch.Bridge(ctx, a, b)
	if err != nil && o.bridgeFailed.Add(1) <= 5 {
		exists, xerr := o.Switch.Exists(ctx, a)
		o.log.Printf("bridge %s to %s refused: %v (lead's channel exists: %v %v)", a, b, err, exists, xerr)
	}
	return err
}

// BenchmarkProgressiveDialing is P3: one progressive campaign dialed by
// the engine as the service runs it (the esl client over TCP to the
// simulator in its own process, redis-server, SQLite on a file, the
// hopper filler running) for P3_SECONDS (60; the recorded run is 600).
// P3_AGENTS (800) persistent agents work on it at P3_LINES (1) lines
// each, with an automatic 200 ms wrap-up. Persistent, because then each
// call is one originate (the lead's) and a lead's answer is bridged to a
// line already up: ring mode would add an originate and a ringing phone
// per answered call, so the rate measured would be neither the leads'
// nor the agents'. Leads are P3_LEADS (enough for 900/s) imported in one
// transaction; six in ten answer after 300 ms and talk for 1 s, two are
// busy, two ring out (lead timeout 1 s). One op is the whole run.
//
// It reports the leads' originates a second in each 10 s window (the
// first, the ramp, apart), the CPU this process used over the run in
// cores (the simulator and redis-server are other processes), RSS, the
// seconds the campaign's hopper was found empty (the filler behind); and,
// after the campaign is paused and its calls drained: calls created
// without an end (lost), leads dialed twice, leads whose attempts differ
// from their calls, and originates whose result never came. It fails if
// any of those is not 0. With P3_PIN set the service gets one core and
// the simulator and redis-server the other (p3Pin).
func BenchmarkProgressiveDialing(b *testing.B) {
	seconds := envInt("P3_SECONDS", 60)
	agents := envInt("P3_AGENTS", 800)
	lines := envInt("P3_LINES", 1)
	leads := envInt("P3_LEADS", 900*seconds+20000)
	exts := make([]string, agents)
	for i := range exts {
		exts[i] = strconv.Itoa(10000 + i)
	}
	oc := &originateCounter{log: log.New(os.Stderr, "P3 ", log.Ltime|log.Lmicroseconds)}
	o := worldOpts{
		extensions:    exts,
		simAddr:       startSimChild(b, "DIALER_SIM_P3="+strconv.Itoa(leads)),
		discardEvents: true,
		wrap:          func(s dialer.Switch) dialer.Switch { oc.Switch = s; return oc },
		engine: func(c *dialer.EngineConfig) {
			c.LeadTimeout = p3NoAnswer
			c.AbandonAfter = 2 * time.Second
			c.WrapUp = 200 * time.Millisecond
			c.Linger = 30 * time.Second
			c.HeartbeatGrace = time.Hour
		},
	}
	for b.Loop() {
		w := newWorldWith(b, o)
		ctx, cancel := context.WithCancel(context.Background())
		camp := p3Campaign(b, w, lines, leads)
		filler := dialer.NewHopperFiller(dialer.HopperFillConfig{}, w.db, w.hopper, w.now, nil)
		var bg sync.WaitGroup
		bg.Go(func() { filler.Run(ctx) })
		// The campaign is started once every agent is READY, so the run
		// does not count the logins.
		loginAll(b, w, exts, camp.ID)
		if os.Getenv("P3_PIN") != "" {
			restore := p3Pin(b)
			defer restore()
		}
		camp.Active = true
		camp = p3Update(b, w, camp)

		if path := os.Getenv("P3_CPUPROFILE"); path != "" {
			// The run only, without the setup and the drain.
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			defer f.Close()
		}
		start := time.Now()
		cpu0, sent0 := procmem.CPU(), oc.sent.Load()
		var windows []float64
		var states []string
		var peakRSS float64
		minHopper, emptyHopper := math.MaxInt, 0
		stop := make(chan struct{})
		bg.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			last, lastAt := sent0, start
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				case now := <-t.C:
					peakRSS = max(peakRSS, rssMB())
					// An empty hopper means the filler fell behind the
					// pacer (the first seconds fill it).
					if n, err := w.hopper.Len(ctx, camp.ID); err == nil && i > 5 {
						minHopper = min(minHopper, n)
						if n == 0 {
							emptyHopper++
						}
					}
					if i%10 != 0 {
						continue
					}
					n := oc.sent.Load()
					windows = append(windows, float64(n-last)/now.Sub(lastAt).Seconds())
					last, lastAt = n, now
					states = append(states, p3States(w))
				}
			}
		})
		time.Sleep(time.Duration(seconds) * time.Second)
		pprof.StopCPUProfile()
		close(stop)
		elapsed, cpu, sent := time.Since(start), procmem.CPU()-cpu0, oc.sent.Load()-sent0
		endRSS := rssMB()
		// Wait for the sampler before reading what it wrote.
		cancel()
		bg.Wait()

		// Drain: the campaign paused (the pacer reads it within PaceEvery)
		// and every call ended and recorded.
		camp.Active = false
		p3Update(b, w, camp)
		db := openReadOnly(b, w.dbPath)
		open := func() int {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM calls WHERE origin = 'dialer' AND ended_at IS NULL`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			return n
		}
		drained := poll(time.Minute, func() bool { return open() == 0 && oc.results.Load() == oc.sent.Load() })
		q := p3Check(b, db)
		q.lost, q.noResult = open(), oc.sent.Load()-oc.results.Load()

		// A benchmark's log is cut at ten lines: one line each.
		rates := make([]string, len(windows))
		for i, r := range windows {
			rates[i] = strconv.FormatFloat(r, 'f', 0, 64)
		}
		b.Logf("originates/s in each 10 s window: %s", strings.Join(rates, " "))
		var minute []string
		for i := 5; i < len(states); i += 6 {
			minute = append(minute, fmt.Sprintf("%ds %s", i*10+10, states[i]))
		}
		b.Logf("agents by state each minute: %s", strings.Join(minute, "; "))
		b.Logf("calls by outcome: %v; timeline entries by kind: %s", q.outcomes, q.events)
		steady := windows
		if len(steady) > 1 {
			steady = steady[1:]
		}
		b.ReportMetric(float64(sent)/elapsed.Seconds(), "originates/s")
		if len(steady) > 0 {
			mean := 0.0
			for _, r := range steady {
				mean += r / float64(len(steady))
			}
			b.ReportMetric(slices.Min(steady), "min-10s-originates/s")
			b.ReportMetric(mean, "mean-10s-originates/s")
		}
		if len(windows) > 0 {
			b.ReportMetric(windows[0], "first-10s-originates/s")
		}
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")
		b.ReportMetric(peakRSS, "peak-rss-MB")
		b.ReportMetric(endRSS, "end-rss-MB")
		b.ReportMetric(float64(q.calls), "calls")
		b.ReportMetric(float64(q.lost), "lost")
		b.ReportMetric(float64(q.twice+q.mismatched+int(q.noResult)), "mismatched")
		b.ReportMetric(float64(oc.refused.Load()), "refused")
		b.ReportMetric(float64(emptyHopper), "hopper-empty-s")
		b.ReportMetric(float64(oc.bridgeFailed.Load()), "bridges-refused")
		b.Logf("%d originates in %s (%.1f/s), %.2f cores (%.2f ms of CPU per originate), peak RSS %.0f MB; "+
			"hopper after the first 5 s: at least %d leads, empty at %d of the 1 s samples",
			sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), cpu.Seconds()/elapsed.Seconds(),
			float64(cpu.Milliseconds())/float64(max(sent, 1)), peakRSS, minHopper, emptyHopper)
		if q.lost > 0 {
			p3LogOpen(b, db)
		}
		if !drained || q.lost+q.twice+q.mismatched > 0 || q.noResult != 0 {
			b.Fatalf("after the drain: %d calls not ended, %d leads dialed twice, %d leads whose attempts are not their calls, %d originates without a result",
				q.lost, q.twice, q.mismatched, q.noResult)
		}
		if r := q.outcomes["answered"]; r == 0 {
			b.Fatal("no call was answered")
		}
	}
}

// p3States counts the agents in each state.
func p3States(w *world) string {
	vs, err := request(w.eng.AgentViews)
	if err != nil {
		return err.Error()
	}
	n := map[dialer.AgentState]int{}
	for _, v := range vs {
		n[v.State]++
	}
	return fmt.Sprint(n)
}

func p3Update(b *testing.B, w *world, c dialer.Campaign) dialer.Campaign {
	c, err := w.db.UpdateCampaign(w.ctx(), c)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// p3Campaign creates the progressive campaign, paused, and its leads,
// imported as a list is (one insert each would take minutes).
func p3Campaign(b *testing.B, w *world, lines, n int) dialer.Campaign {
	ctx := context.Background()
	settings, _ := json.Marshal(map[string]any{"lines_per_agent": lines,
		"calling_window": map[string]any{"hours": []map[string]string{{"start": "00:00", "end": "23:59"}}}})
	c, err := w.db.CreateCampaign(ctx, dialer.Campaign{Name: "P3", DialMode: dialer.DialProgressive, MaxAttempts: 1, AbandonMessage: "ivr/campaign-abandon.wav", Settings: settings})
	if err != nil {
		b.Fatal(err)
	}
	list, err := w.db.CreateLeadList(ctx, leadimport.List{Campaign: c.ID, Name: "P3"})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	im, err := w.db.StartImport(ctx, list.ID, "p3.csv")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.db.ImportLeads(ctx, im, func(s leadimport.Sink) (leadimport.Report, error) {
		for i := range n {
			if _, err := s.Insert(ctx, dialer.Lead{Phone: p3Number(i), TimeZone: "UTC"}); err != nil {
				return leadimport.Report{}, err
			}
		}
		return leadimport.Report{Read: int64(n), Imported: int64(n)}, nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d leads imported in %s", n, time.Since(t0).Round(time.Millisecond))
	return c
}

// p3LogOpen logs the calls not ended, with their timelines.
func p3LogOpen(b *testing.B, db *sql.DB) {
	rows, err := db.Query(`SELECT c.id, c.state, c.outcome, c.created_at, coalesce(group_concat(e.kind, ','), '')
		FROM calls c LEFT JOIN call_events e ON e.call_id = c.id WHERE c.origin = 'dialer' AND c.ended_at IS NULL
		GROUP BY c.id LIMIT 3`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, state, outcome, events string
		var created int64
		if err := rows.Scan(&id, &state, &outcome, &created, &events); err != nil {
			b.Fatal(err)
		}
		if len(events) > 300 {
			events = events[:300] + "..."
		}
		b.Logf("not ended: call %s %s %q created %s, events %s", id, state, outcome, time.UnixMilli(created).UTC().Format(time.StampMilli), events)
	}
}

func openReadOnly(b *testing.B, path string) *sql.DB {
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: path}).String()+"?_query_only=on&_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// p3Counts is what the records say after a run.
type p3Counts struct {
	calls, lost, twice, mismatched int
	noResult                       int64
	outcomes                       map[string]int
	events                         string
}

// p3Check counts the campaign's records: leads with more than one call
// (the campaign allows one attempt), and leads whose attempts are not
// their calls.
func p3Check(b *testing.B, db *sql.DB) p3Counts {
	q := p3Counts{outcomes: map[string]int{}}
	scan := func(query string, dst ...any) {
		if err := db.QueryRow(query).Scan(dst...); err != nil {
			b.Fatal(err)
		}
	}
	scan(`SELECT count(*) FROM calls WHERE origin = 'dialer'`, &q.calls)
	scan(`SELECT coalesce(group_concat(kind || '=' || n, ' '), '') FROM (SELECT kind, count(*) n FROM call_events GROUP BY kind ORDER BY n DESC)`, &q.events)
	scan(`SELECT count(*) FROM (SELECT lead_id FROM calls WHERE lead_id IS NOT NULL GROUP BY lead_id HAVING count(*) > 1)`, &q.twice)
	scan(`SELECT count(*) FROM leads l LEFT JOIN (SELECT lead_id, count(*) n FROM calls GROUP BY lead_id) c ON c.lead_id = l.id
		WHERE l.attempts != coalesce(c.n, 0)`, &q.mismatched)
	rows, err := db.Query(`SELECT outcome, count(*) FROM calls GROUP BY outcome`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			b.Fatal(err)
		}
		q.outcomes[k] = n
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return q
}

// p3Pin (P3_PIN set) gives the service one core: this process runs on CPU
// 0 alone, with GOMAXPROCS 1 as on a one-core machine, and its children
// (the simulator and redis-server) on CPU 1, so that neither competes with
// the other for a core and the service's share is measured on its own.
// It returns what puts this process back.
func p3Pin(b *testing.B) func() {
	var own, other unix.CPUSet
	own.Set(0)
	other.Set(1)
	self := os.Getpid()
	pin := func(pid int, set *unix.CPUSet) {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tasks {
			tid, _ := strconv.Atoi(t.Name())
			if err := unix.SchedSetaffinity(tid, set); err != nil {
				b.Fatalf("pin task %d of %d: %v", tid, pid, err)
			}
		}
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	children := 0
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so after ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(self) {
			pin(pid, &other)
			children++
		}
	}
	if children < 2 {
		b.Fatalf("P3_PIN: %d child processes found, want the simulator and redis-server", children)
	}
	pin(self, &own)
	prev := runtime.GOMAXPROCS(1)
	b.Logf("pinned: this process on CPU 0 (GOMAXPROCS 1), its %d children on CPU 1", children)
	return func() {
		var all unix.CPUSet
		all.Set(0)
		all.Set(1)
		pin(self, &all)
		runtime.GOMAXPROCS(prev)
	}
}
