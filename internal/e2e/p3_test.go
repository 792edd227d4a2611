//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// P3's far ends are FreeSWITCH's own test_* extensions (pbx-config's
// agentswitch_inbound, on with AGENTSWITCH_FS_TEST_ANSWER): the service
// dials through p3gw, a gateway to the carriers profile, so a lead answers at once
// and hangs up after 1 s, and an agent's line answers and stays up. Go
// SIP phones would send and read RTP for every call in this process.
const (
	p3LeadPrefix = "+155588" // + 5 digits: extension test_lead
	p3LinePrefix = "+155589" // + 5 digits: extension test_agent_line
	// p3FirstExt is the first agent extension; 2600-2799 is used by no
	// other e2e test.
	p3FirstExt = 2600
	p3Window   = 10 * time.Second
	// p3GatewayName is the service's gateway during the run.
	p3GatewayName = "p3gw"
)

// TestP3CallsPerSecond measures target P3's second half (>= 100 calls/s
// on real FreeSWITCH, 0 stuck channels) through the service as the other
// service tests run it: `agentswitch serve` dials a progressive campaign
// over ESL. The service is restarted for the run with a 200 ms automatic
// wrap-up (no workspace disposes 100 calls a second), info logs and
// gateway p3gw, and restarted as it was after. Persistent agents, logged in on an external
// phone, so each call is one originate (the lead's) bridged to a line
// already up.
//
// The rate is counted from FreeSWITCH's events on the harness's own ESL
// connection: lead channels created per 10 s window, and their answers,
// bridges and originate results. After the run the campaign is paused and
// the calls drain; then every lead originate must have a result, no call
// may be open in the service's database, and, once the agents log out,
// `show channels count` and `show calls count` must be back to what they
// were before the run.
//
// It needs a service built without the race detector
// (AGENTSWITCH_E2E_RACE=0): the detector costs several times the CPU, so
// the rate would be its, not the service's. AGENTSWITCH_E2E_P3_SECONDS
// (default 60) and AGENTSWITCH_E2E_P3_AGENTS (default 200) size the run.
func TestP3CallsPerSecond(t *testing.T) {
	if os.Getenv("AGENTSWITCH_E2E_RACE") != "0" {
		t.Skip("P3 measures a rate: run it with AGENTSWITCH_E2E_RACE=0")
	}
	e := env(t)
	seconds := envInt("AGENTSWITCH_E2E_P3_SECONDS", 60)
	agents := envInt("AGENTSWITCH_E2E_P3_AGENTS", 200)
	if agents > 200 {
		t.Fatalf("AGENTSWITCH_E2E_P3_AGENTS=%d: at most 200 (extensions 2600-2799)", agents)
	}
	ctx := ctxFor(t, time.Duration(seconds)*time.Second+10*time.Minute)

	e.p3Gateway(t)
	e.restartService(t, "AGENTSWITCH_WRAPUP=200ms", "AGENTSWITCH_LOG_LEVEL=info", "AGENTSWITCH_GATEWAY="+p3GatewayName)
	t.Cleanup(func() { e.restartService(t) })
	admin := e.svc.admin

	baseChannels, baseCalls := channelCounts(t, ctx, e.client)
	var camp struct{ ID int64 }
	admin.Must(t, http.MethodPost, "/campaigns", map[string]any{"name": "e2e P3", "dial_mode": "progressive", "max_attempts": 1,
		"settings": map[string]any{"lines_per_agent": 1, "calling_window": map[string]any{"hours": []any{map[string]string{"start": "00:00", "end": "23:59"}}}}}, 201, &camp)
	// More leads than the run can dial at 200/s, so the hopper never
	// runs dry; the run ends by time, not by leads.
	p3ImportLeads(t, admin, camp.ID, seconds*200+2000)

	seats := make([]int64, agents)
	for i := range agents {
		ext := strconv.Itoa(p3FirstExt + i)
		var a struct{ ID int64 }
		admin.Must(t, http.MethodPost, "/agents", map[string]any{"name": "P3 " + ext, "extension": ext, "sip_password": agentPass,
			"mode": "persistent", "external_phone": fmt.Sprintf("%s%05d", p3LinePrefix, i)}, 201, &a)
		seats[i] = a.ID
		admin.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/login", a.ID), map[string]any{"endpoint": map[string]any{"kind": "phone",
			"phone": fmt.Sprintf("%s%05d", p3LinePrefix, i)}, "mode": "persistent", "campaign_id": camp.ID}, 200, nil)
	}
	// No workspace is open for these agents: the test is their workspace,
	// or the service pauses them (NO_HEARTBEAT) 30 s after they log in.
	beatCtx, stopBeats := context.WithCancel(ctx)
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-beatCtx.Done():
				return
			case <-tick.C:
			}
			for _, id := range seats {
				admin.Do(http.MethodPost, fmt.Sprintf("/agents/%d/heartbeat", id), nil, nil)
			}
		}
	}()
	loggedIn := true
	logout := func() {
		stopBeats()
		<-beats
		for _, id := range seats {
			admin.Do(http.MethodPost, fmt.Sprintf("/agents/%d/logout", id), nil, nil)
		}
		loggedIn = false
	}
	t.Cleanup(func() {
		if loggedIn {
			logout()
		}
	})
	for _, id := range seats {
		admin.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/ready", id), nil, 200, nil)
	}
	p3Eventually(t, ctx, time.Minute, "every agent READY on its line", func() bool {
		return p3AgentsIn(t, admin, seats, "READY") == agents
	})
	lineChannels, _ := channelCounts(t, ctx, e.client)
	st := newP3Stats()
	counter := e.countingClient(t, st.event)
	// What the agents' idle lines alone cost FreeSWITCH.
	fsPid, svcPid := 0, e.svc.Pid()
	if e.fs != nil {
		fsPid = e.fs.Process.Pid
	}
	idleFS := cpuSeconds(fsPid)
	time.Sleep(5 * time.Second)
	idleFS = (cpuSeconds(fsPid) - idleFS) / 5
	runFS, runSvc := cpuSeconds(fsPid), cpuSeconds(svcPid)

	st.start(time.Now())
	admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/resume", camp.ID), nil, 200, nil)
	load := []string{loadAverage()}
	var states []string
	run := time.NewTimer(time.Duration(seconds) * time.Second)
	tick := time.NewTicker(p3Window)
	for running := true; running; {
		select {
		case <-run.C:
			running = false
			// The run's end and its last tick come together: one sample.
			if len(states) < seconds/10 {
				states = append(states, p3States(t, admin, seats))
			}
		case <-tick.C:
			load = append(load, loadAverage())
			states = append(states, p3States(t, admin, seats))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	tick.Stop()
	st.stop(time.Now())
	runFS, runSvc = (cpuSeconds(fsPid)-runFS)/float64(seconds), (cpuSeconds(svcPid)-runSvc)/float64(seconds)
	admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/pause", camp.ID), nil, 200, nil)

	// Drain: the pacer reads the pause within a moment; each call then
	// ends with its lead's 1 s of talk.
	db := openServiceDB(t, e)
	open := func() int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM calls WHERE ended_at IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	p3Eventually(t, ctx, 2*time.Minute, "the calls to drain", func() bool { return open() == 0 && st.settled() })
	// A lead's hangup reaches the service before FreeSWITCH has destroyed
	// both of its channels: give them a moment, then count.
	var afterChannels int
	settle := time.Now().Add(30 * time.Second)
	for afterChannels, _ = channelCounts(t, ctx, counter); afterChannels != lineChannels && time.Now().Before(settle); afterChannels, _ = channelCounts(t, ctx, counter) {
		time.Sleep(200 * time.Millisecond)
	}
	logout()
	var endChannels, endCalls int
	p3Eventually(t, ctx, time.Minute, "FreeSWITCH back to its channels before the run", func() bool {
		endChannels, endCalls = channelCounts(t, ctx, counter)
		return endChannels == baseChannels && endCalls == baseCalls
	})

	r := st.report()
	t.Logf("P3 on FreeSWITCH: %d agents, %d s, load average (1 min) every 10 s: %s", agents, seconds, strings.Join(load, " "))
	whole := int(r.elapsed / p3Window)
	for i, w := range r.windows {
		part := ""
		if i >= whole {
			part = " (the run's last fraction of a window, per 10 s, not checked)"
		}
		t.Logf("window %2d (%3d-%3d s): %6.1f calls/s (lead originates), %6.1f answered/s, %6.1f bridged/s%s",
			i+1, i*10, i*10+10, float64(w.created)/p3Window.Seconds(), float64(w.answered)/p3Window.Seconds(), float64(w.bridged)/p3Window.Seconds(), part)
	}
	t.Logf("the agents by state at the end of each window: %s", strings.Join(states, "; "))
	t.Logf("totals: %d lead originates in %.1f s (%.1f/s), %d answered, %d bridged to an agent, %d results (%d +OK), hangup causes %v",
		r.created, r.elapsed.Seconds(), float64(r.created)/r.elapsed.Seconds(), r.answered, r.bridged, r.results, r.ok, r.causes)
	t.Logf("CPU in cores: FreeSWITCH %.2f with only the agents' lines up (5 s), %.2f during the run; the service %.2f during the run (0: not read)", idleFS, runFS, runSvc)
	t.Logf("channels: %d before, %d with the agents' lines up, %d after the drain, %d after logout; calls: %d before, %d after; open call records: %d",
		baseChannels, lineChannels, afterChannels, endChannels, baseCalls, endCalls, open())

	if r.results != r.created {
		t.Errorf("%d lead originates, %d results", r.created, r.results)
	}
	if r.bridged != r.answered {
		t.Errorf("%d leads answered, %d bridged to an agent", r.answered, r.bridged)
	}
	// Fewer is an agent's line gone (its agent PAUSED), not a stuck
	// channel; the count after logout checks those lines too.
	if afterChannels > lineChannels {
		t.Errorf("after the drain %d channels, %d with only the agents' lines up: %d stuck", afterChannels, lineChannels, afterChannels-lineChannels)
	}
	// Only whole windows count: events after the stop are not counted.
	full := r.windows[:min(len(r.windows), whole)]
	var slow []string
	for i, w := range full {
		if rate := float64(w.created) / p3Window.Seconds(); rate < 100 {
			slow = append(slow, fmt.Sprintf("window %d: %.1f/s", i+1, rate))
		}
	}
	if len(full) == 0 || len(slow) > 0 {
		t.Errorf("P3 needs >= 100 calls/s in every 10 s window: %v", slow)
	}
}

// p3Window is one 10 s window's lead counts.
type p3Counts struct{ created, answered, bridged int }

type p3Report struct {
	windows                                 []p3Counts
	elapsed                                 time.Duration
	created, answered, bridged, results, ok int
	causes                                  map[string]int
}

// p3Stats counts the leads' channels from the events, by window of the
// moment the handler read them.
type p3Stats struct {
	mu      sync.Mutex
	t0, t1  time.Time
	leads   map[string]bool
	windows []p3Counts
	r       p3Report
	jobs    int
	jobsOK  int
}

func newP3Stats() *p3Stats {
	return &p3Stats{leads: map[string]bool{}, r: p3Report{causes: map[string]int{}}}
}

func (s *p3Stats) start(t time.Time) { s.mu.Lock(); s.t0 = t; s.mu.Unlock() }
func (s *p3Stats) stop(t time.Time)  { s.mu.Lock(); s.t1 = t; s.mu.Unlock() }

// window is the run's window at at, or -1 outside the run.
func (s *p3Stats) window(at time.Time) int {
	if s.t0.IsZero() || at.Before(s.t0) || (!s.t1.IsZero() && !at.Before(s.t1)) {
		return -1
	}
	i := int(at.Sub(s.t0) / p3Window)
	for len(s.windows) <= i {
		s.windows = append(s.windows, p3Counts{})
	}
	return i
}

func (s *p3Stats) event(ev *esl.Event, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := ev.UniqueID()
	switch ev.Name() {
	case esl.EventChannelCreate:
		if ev.Var(pbxnames.VarLegRole) != "lead" {
			return
		}
		s.leads[id] = true
		s.r.created++
		if w := s.window(at); w >= 0 {
			s.windows[w].created++
		}
	case esl.EventChannelAnswer:
		if !s.leads[id] {
			return
		}
		s.r.answered++
		if w := s.window(at); w >= 0 {
			s.windows[w].answered++
		}
	case esl.EventChannelBridge:
		if !s.leads[ev.Get("Bridge-A-Unique-ID")] && !s.leads[ev.Get("Bridge-B-Unique-ID")] {
			return
		}
		s.r.bridged++
		if w := s.window(at); w >= 0 {
			s.windows[w].bridged++
		}
	case esl.EventChannelHangupComplete:
		if s.leads[id] {
			s.r.causes[ev.HangupCause()]++
		}
	case esl.EventBackgroundJob:
		if ev.Get("Job-Command") != "originate" || !strings.Contains(ev.Get("Job-Command-Arg"), pbxnames.VarLegRole+"=lead") {
			return
		}
		s.r.results++
		if strings.HasPrefix(string(ev.Body), "+OK") {
			s.r.ok++
		}
	}
}

// settled: every lead's originate has its result.
func (s *p3Stats) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.results == s.r.created
}

func (s *p3Stats) report() p3Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.r
	r.windows = slices.Clone(s.windows)
	r.elapsed = s.t1.Sub(s.t0)
	r.causes = map[string]int{}
	for k, v := range s.r.causes {
		r.causes[k] = v
	}
	return r
}

// restartService stops the service and starts it again on the same data
// and HTTP address with its first environment plus extra.
func (e *switchEnv) restartService(t *testing.T, extra ...string) {
	t.Helper()
	e.svc.Stop()
	e.serviceAgain(t, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.svc.healthy(ctx); err != nil {
		t.Fatalf("%v\n%s", err, e.svc.LogTail(40))
	}
}

// p3Gateway makes sure gateway p3gw exists, sending calls to FreeSWITCH's
// own carriers profile. It is a new gateway, not leadgw moved: sofia
// deletes a killed gateway a moment after `killgw`, so a rescan right
// after it skips the gateway as a duplicate and it is then gone.
func (e *switchEnv) p3Gateway(t *testing.T) {
	t.Helper()
	var list struct{ Gateways []struct{ Name string } }
	e.svc.admin.Must(t, http.MethodGet, "/gateways", nil, 200, &list)
	if !slices.ContainsFunc(list.Gateways, func(g struct{ Name string }) bool { return g.Name == p3GatewayName }) {
		var g struct {
			Reload struct{ Status, Error string }
		}
		e.svc.admin.Must(t, http.MethodPost, "/gateways", map[string]any{"name": p3GatewayName, "proxy": e.carrSIP}, 201, &g)
		reloadOK(t, "gateway "+p3GatewayName, g.Reload)
	}
	svctest.Eventually(t, "gateway "+p3GatewayName+" up", func() bool {
		cmd, _ := esl.SofiaGatewayStatusCmd(p3GatewayName)
		out, err := e.client.API(t.Context(), "", cmd)
		return err == nil && strings.Contains(out, e.carrSIP)
	})
}

var countRE = regexp.MustCompile(`(?m)^(\d+) total\.`)

// channelCounts reads `show channels count` and `show calls count`.
func channelCounts(t *testing.T, ctx context.Context, c *esl.Client) (channels, calls int) {
	t.Helper()
	read := func(what string) int {
		cmd := esl.Command{Name: "show", Args: what + " count"}
		out, err := c.API(ctx, "", cmd)
		m := countRE.FindStringSubmatch(strings.TrimSpace(out))
		if err != nil || m == nil {
			t.Fatalf("%s: %v %q", cmd, err, out)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return read("channels"), read("calls")
}

// p3Events are the events the run counts (BACKGROUND_JOB comes always).
var p3Events = []string{esl.EventChannelCreate, esl.EventChannelAnswer, esl.EventChannelBridge, esl.EventChannelHangupComplete}

// countingClient closes the harness's event socket connection, which
// takes every event the scenarios look at (FreeSWITCH copies and
// serializes each one for each connection that asked for it), and opens
// one for p3Events only, handed to count. The harness's connection is
// opened again when the test ends.
func (e *switchEnv) countingClient(t *testing.T, count func(*esl.Event, time.Time)) *esl.Client {
	t.Helper()
	e.stop()
	<-e.done
	rec := newRecorder()
	rec.setHookOnly(count)
	c, err := esl.New(esl.Config{
		Nodes:          []esl.Node{{Name: "fs1", Addr: e.eslAddr, Password: e.eslPass}},
		Events:         p3Events,
		CommandTimeout: 15 * time.Second,
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := e.connect(); err != nil {
			t.Error(err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := rec.waitNode(wctx, e.fsExited); err != nil {
		t.Fatalf("the counting connection: %v", err)
	}
	return c
}

// p3ImportLeads imports n lead numbers into a new list of the campaign.
func p3ImportLeads(t *testing.T, admin *svctest.Client, campaign int64, n int) {
	t.Helper()
	var list struct{ ID int64 }
	admin.Must(t, http.MethodPost, fmt.Sprintf("/campaigns/%d/lists", campaign), map[string]any{"name": "P3 leads"}, 201, &list)
	var csv strings.Builder
	csv.WriteString("phone\n")
	for i := range n {
		fmt.Fprintf(&csv, "%s%05d\n", p3LeadPrefix, i)
	}
	mapping := url.QueryEscape(`{"phone":"phone"}`)
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/lists/%d/import?mapping=%s", admin.Base, list.ID, mapping), strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("X-Requested-With", "agentswitch")
	resp, err := admin.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %s", resp.Status)
	}
}

// p3AgentStates counts the seats by state.
func p3AgentStates(t *testing.T, admin *svctest.Client, seats []int64) map[string]int {
	t.Helper()
	var v struct {
		Agents []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"agents"`
	}
	admin.Must(t, http.MethodGet, "/agents", nil, 200, &v)
	n := map[string]int{}
	for _, a := range v.Agents {
		if slices.Contains(seats, a.ID) {
			n[a.State]++
		}
	}
	return n
}

// p3AgentsIn is how many of the seats are in state.
func p3AgentsIn(t *testing.T, admin *svctest.Client, seats []int64, state string) int {
	return p3AgentStates(t, admin, seats)[state]
}

// p3States is p3AgentStates on one line, states in order.
func p3States(t *testing.T, admin *svctest.Client, seats []int64) string {
	n := p3AgentStates(t, admin, seats)
	var out []string
	for _, st := range slices.Sorted(maps.Keys(n)) {
		out = append(out, fmt.Sprintf("%s %d", st, n[st]))
	}
	return strings.Join(out, ", ")
}

// p3Eventually polls cond every 200 ms for up to d.
func p3Eventually(t *testing.T, ctx context.Context, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// openServiceDB opens the service's database read-only.
func openServiceDB(t *testing.T, e *switchEnv) *sql.DB {
	t.Helper()
	path := filepath.Join(e.dir, "service", "agentswitch.db")
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: path}).String()+"?_query_only=on&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// cpuSeconds is a process's user and system CPU time from /proc (0 if
// it cannot be read: a FreeSWITCH this run did not start).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if pid == 0 || err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// loadAverage is the machine's 1-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
