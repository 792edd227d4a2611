package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer/redisstore"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// The floor the wall benchmark plays (BENCHMARKS.md derives the rates).
const (
	floorAgents = 2000
	floorCalls  = 500
	// floorTalk is the mean talk time: exponential, so calls end at
	// floorCalls/floorTalk per second from the start, as on a floor that
	// has been busy for a while.
	floorTalk = 180 * time.Second
	// floorToggles is agent state changes per second outside calls
	// (pauses and readies), beyond what the calls cause.
	floorToggles = 60
	// floorSpan is how long events flow while the page is measured.
	floorSpan = 60 * time.Second
)

var floorPauses = []string{"BREAK", "LUNCH", "MEETING", "TRAINING", "ADMIN"}

// TestWallFloorBench: the supervisor's wall with 2,000 agents logged in
// (ready, paused, talking, wrapping up) and 500 live calls: the time to
// the grid's first full paint, then the browser's long frames and CPU
// while events flow at a busy floor's rate (wall_bench.mjs). Opt-in
// (AGENTSWITCH_WALL_BENCH=1, `make bench`): it takes ~3 minutes.
func TestWallFloorBench(t *testing.T) {
	if os.Getenv("AGENTSWITCH_WALL_BENCH") == "" {
		t.Skip("the wall benchmark runs with AGENTSWITCH_WALL_BENCH=1 (make bench)")
	}
	missing(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	adm.post(t, "/users", map[string]any{"username": wallUser, "display_name": "Sara Lind", "role": "supervisor", "password": wallPass})

	started := time.Now()
	f := newFloor(t, adm, sw)
	f.provision(ctx)
	t.Logf("provisioned %d agents in %s", floorAgents, time.Since(started).Round(time.Millisecond))
	stopKeepalive := f.keepalive(ctx, svc.URL)
	defer stopKeepalive()
	f.placeCalls(floorCalls)
	callersCtx, stopCallers := context.WithCancel(ctx)
	callersDone := make(chan struct{})
	go func() { f.callers(callersCtx); close(callersDone) }()
	defer func() { stopCallers(); <-callersDone }()
	live := f.waitLive(ctx, floorCalls*9/10)
	t.Logf("%d live calls after %s", live, time.Since(started).Round(time.Millisecond))

	var churn struct {
		stop    context.CancelFunc
		done    chan struct{}
		started time.Time
		placed  int64
	}
	var res wallBenchResult
	scenario(t, ctx, svc, "wall_bench.mjs", []string{
		"AS_USER=" + wallUser, "AS_PASSWORD=" + wallPass, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_AGENTS=%d", floorAgents), fmt.Sprintf("AS_SPAN_MS=%d", floorSpan.Milliseconds()),
	}, func(req map[string]string) (map[string]string, error) {
		switch req["do"] {
		case "churn-start":
			cctx, stop := context.WithCancel(ctx)
			churn.stop, churn.done, churn.started, churn.placed = stop, make(chan struct{}), time.Now(), f.placed.Load()
			go func() { f.churn(cctx); close(churn.done) }()
			return map[string]string{}, nil
		case "churn-stop":
			if churn.stop == nil {
				return nil, fmt.Errorf("churn-stop before churn-start")
			}
			churn.stop()
			<-churn.done
			s := time.Since(churn.started).Seconds()
			return map[string]string{
				"calls_placed": strconv.FormatInt(f.placed.Load()-churn.placed, 10),
				"toggles":      strconv.FormatInt(f.toggles.Load(), 10), "refused": strconv.FormatInt(f.refused.Load(), 10),
				"seconds": strconv.FormatFloat(s, 'f', 1, 64),
			}, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("wall benchmark:\n%s", b)
	if res.FirstPaintMS <= 0 || res.Frames == 0 || res.Events == 0 {
		t.Fatalf("the page measured nothing: %s", b)
	}
}

// wallBenchResult is what wall_bench.mjs measured.
type wallBenchResult struct {
	FirstPaintMS  float64            `json:"first_paint_ms"`
	Rows          int                `json:"rows_in_dom"`
	Events        int                `json:"events"`
	EventsPerSec  float64            `json:"events_per_sec"`
	Frames        int                `json:"frames"`
	FramesOver50  int                `json:"frames_over_50ms"`
	MaxFrameMS    float64            `json:"max_frame_ms"`
	FrameP99MS    float64            `json:"frame_p99_ms"`
	FrameHist     map[string]int     `json:"frame_histogram"`
	LongTasks     int                `json:"long_tasks"`
	LongTaskMaxMS float64            `json:"long_task_max_ms"`
	CPU           map[string]float64 `json:"cpu"`
	FilterMS      float64            `json:"filter_ms"`
	FilterAt      float64            `json:"filter_at_s"`
	Slow          []string           `json:"slow"`
	Churn         map[string]string  `json:"churn"`
}

// floor provisions and drives the agents and callers.
type floor struct {
	t      *testing.T
	adm    *client
	sw     *sim.Server
	agents []int64
	dids   []string
	rng    *rand.Rand
	rngMu  sync.Mutex

	placed, toggles, refused atomic.Int64
}

func newFloor(t *testing.T, adm *client, sw *sim.Server) *floor {
	return &floor{t: t, adm: adm, sw: sw, rng: rand.New(rand.NewPCG(1, 2))}
}

// parallel runs fn(i) for i in [0, n) on 8 workers.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// provision creates two campaigns and two queues of 1,000 agents each
// (a queue's limit) behind their numbers, logs every agent in, and
// spreads them: 1,300 ready, 700 paused on assorted codes.
func (f *floor) provision(ctx context.Context) {
	t := f.t
	f.agents = make([]int64, floorAgents)
	var failed atomic.Value
	parallel(floorAgents, func(i int) {
		var a struct {
			ID int64 `json:"id"`
		}
		ext := strconv.Itoa(20000 + i)
		st, raw, err := f.adm.Do(http.MethodPost, "/agents", map[string]any{
			"name":      fmt.Sprintf("%s %s", floorFirst[i%len(floorFirst)], floorLast[(i/len(floorFirst))%len(floorLast)]) + fmt.Sprintf(" %d", i),
			"extension": ext, "sip_password": "sip-secret-" + ext,
		}, &a)
		if err != nil || st != http.StatusCreated {
			failed.Store(fmt.Sprintf("agent %d: %d %v %s", i, st, err, raw))
			return
		}
		f.agents[i] = a.ID
	})
	if v := failed.Load(); v != nil {
		t.Fatal(v)
	}
	for q, name := range []string{"east", "west"} {
		camp := f.adm.post(t, "/campaigns", map[string]any{"name": "Support " + name, "dial_mode": "manual"})
		// A short wrap-up: the agent is ready again by itself, as a floor
		// with auto-ready wrap-up runs.
		made := f.adm.post(t, "/queues", map[string]any{"name": name, "wrapup_seconds": 20})
		members := make([]map[string]any, 0, floorAgents/2)
		for _, id := range f.agents[q*floorAgents/2 : (q+1)*floorAgents/2] {
			members = append(members, map[string]any{"agent_id": id})
		}
		f.adm.do(t, http.MethodPut, fmt.Sprintf("/queues/%v/members", made["id"]), map[string]any{"members": members}, nil)
		did := fmt.Sprintf("+1800555%04d", 300+q)
		f.adm.post(t, "/dids", map[string]any{"number": did, "name": name + " line", "queue": name, "campaign_id": camp["id"]})
		f.sw.SetExtension(did, fmt.Sprintf("set:agentswitch_did=%s,set:agentswitch_queue=%s,set:agentswitch_campaign_id=%v,answer,park", did, name, camp["id"]))
		f.dids = append(f.dids, did)
	}
	parallel(floorAgents, func(i int) {
		id := f.agents[i]
		path := fmt.Sprintf("/agents/%d/", id)
		if st, raw, err := f.adm.Do(http.MethodPost, path+"login", map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": "ring"}, nil); err != nil || st >= 300 {
			failed.Store(fmt.Sprintf("login %d: %d %v %s", id, st, err, raw))
			return
		}
		var st int
		var raw []byte
		var err error
		if i%20 < 13 {
			st, raw, err = f.adm.Do(http.MethodPost, path+"ready", nil, nil)
		} else {
			st, raw, err = f.adm.Do(http.MethodPost, path+"pause", map[string]any{"code": floorPauses[i%len(floorPauses)]}, nil)
		}
		if err != nil || st >= 300 {
			failed.Store(fmt.Sprintf("spread %d: %d %v %s", id, st, err, raw))
		}
	})
	if v := failed.Load(); v != nil {
		t.Fatal(v)
	}
}

// keepalive stands in for 2,000 workspaces' heartbeats: it moves the
// deadlines of the agents being watched far ahead in the service's Redis
// every few seconds, instead of 2,000 requests every 10 s.
func (f *floor) keepalive(ctx context.Context, base string) func() {
	rdb, err := serviceRedis(base, f.adm)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	far := float64(time.Now().Add(time.Hour).UnixMilli())
	zs := make([]redis.Z, 0, len(f.agents))
	for _, id := range f.agents {
		zs = append(zs, redis.Z{Score: far, Member: strconv.FormatInt(id, 10)})
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for {
			// XX: only the deadlines already watched (ready agents).
			_ = rdb.ZAddXX(ctx, redisstore.DefaultPrefix+"heartbeats", zs...).Err()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { stop(); <-done; rdb.Close() }
}

func (f *floor) talk() time.Duration {
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	d := time.Duration(f.rng.ExpFloat64() * float64(floorTalk))
	return max(d, 5*time.Second)
}

func (f *floor) intn(n int) int {
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.IntN(n)
}

// placeCalls places n callers on the two numbers; each hangs up after
// its talk time.
func (f *floor) placeCalls(n int) {
	for i := range n {
		f.sw.Inbound(sim.InboundCall{From: fmt.Sprintf("+1415555%04d", f.placed.Load()%10000), FromName: "FLOOR CALLER",
			To: f.dids[i%len(f.dids)], HangupAfter: f.talk()})
		f.placed.Add(1)
	}
}

// waitLive waits until n calls are talking to agents, and says how many
// calls are live.
func (f *floor) waitLive(ctx context.Context, n int) int {
	for {
		var calls struct {
			Calls []struct {
				State string `json:"state"`
			} `json:"calls"`
		}
		f.adm.do(f.t, http.MethodGet, "/calls/live", nil, &calls)
		up := 0
		for _, c := range calls.Calls {
			if c.State == "connected" {
				up++
			}
		}
		if up >= n {
			return len(calls.Calls)
		}
		select {
		case <-ctx.Done():
			f.t.Fatalf("%d of %d calls connected", up, n)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// every calls fn every period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

// callers keeps ~floorCalls callers talking until ctx ends: a new one
// every floorTalk/floorCalls (~2.8 a second), as fast as they hang up.
func (f *floor) callers(ctx context.Context) {
	every(ctx, floorTalk/floorCalls, func() { f.placeCalls(1) })
}

// churn pauses and readies floorToggles agents a second until ctx ends.
func (f *floor) churn(ctx context.Context) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	defer wg.Wait()
	every(ctx, time.Second/floorToggles, func() {
		select {
		case sem <- struct{}{}:
		default:
			return // the service is behind: skip, do not pile up
		}
		wg.Go(func() {
			defer func() { <-sem }()
			f.toggle()
		})
	})
}

// toggle pauses a random agent or makes one ready (70% of agents off
// calls are ready); an agent on a call refuses, and is counted.
func (f *floor) toggle() {
	id := f.agents[f.intn(len(f.agents))]
	path := fmt.Sprintf("/agents/%d/", id)
	var st int
	var err error
	if f.intn(10) < 3 {
		st, _, err = f.adm.Do(http.MethodPost, path+"pause", map[string]any{"code": floorPauses[f.intn(len(floorPauses))]}, nil)
	} else {
		st, _, err = f.adm.Do(http.MethodPost, path+"ready", nil, nil)
	}
	if err != nil || st >= 300 {
		f.refused.Add(1)
		return
	}
	f.toggles.Add(1)
}

var (
	floorFirst = []string{"Ada", "Ben", "Cleo", "Dev", "Elin", "Farid", "Gia", "Hugo", "Ines", "Jon", "Kira", "Luis", "Mona", "Nils", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tove"}
	floorLast  = []string{"Park", "Stone", "Lind", "Okafor", "Silva", "Berg", "Ito", "Novak", "Reyes", "Haas"}
)
