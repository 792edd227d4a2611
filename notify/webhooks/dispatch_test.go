package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/notify/webhooks"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// received is one request a receiver saw.
type received struct {
	event, delivery, ctype, agent string
	body                          []byte
	verify                        error
}

// receiver is a local endpoint answering the statuses given in turn (the
// last repeats), checking each request's signature at the test's clock.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	clk    *clock.Manual

	mu       sync.Mutex
	statuses []int
	got      []received
	arrived  chan struct{}
}

func newReceiver(t *testing.T, clk *clock.Manual, statuses ...int) *receiver {
	r := &receiver{t: t, clk: clk, statuses: statuses, arrived: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		rc := received{event: req.Header.Get(webhooks.HeaderEvent), delivery: req.Header.Get(webhooks.HeaderDelivery),
			ctype: req.Header.Get("Content-Type"), agent: req.UserAgent(), body: body,
			verify: webhooks.Verify(r.secret, req.Header.Get(webhooks.HeaderSignature), body, r.clk.Now())}
		r.got = append(r.got, rc)
		status := r.statuses[min(len(r.got)-1, len(r.statuses)-1)]
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status))
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type fixture struct {
	t     *testing.T
	path  string
	clk   *clock.Manual
	store *sqlitestore.Store
	svc   *webhooks.Service
}

func newFixture(t *testing.T, mods ...func(*webhooks.Config)) *fixture {
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "agentswitch.db"), clk: clock.NewManual(t0)}
	f.open(mods...)
	return f
}

// open (re)opens the database and builds a service on it, as a start of
// the service does.
func (f *fixture) open(mods ...func(*webhooks.Config)) {
	st, err := sqlitestore.Open(f.t.Context(), f.path, sqlitestore.Options{Now: f.clk.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(f.t.Context()); err != nil {
		f.t.Fatal(err)
	}
	cfg := webhooks.Config{Store: st, Now: f.clk.Now, AllowPrivate: true, Timeout: 5 * time.Second,
		Jitter: func(d time.Duration) time.Duration { return d }}
	for _, m := range mods {
		m(&cfg)
	}
	f.store, f.svc = st, webhooks.New(cfg)
}

func (f *fixture) endpoint(r *receiver, events ...string) webhooks.Endpoint {
	f.t.Helper()
	e := webhooks.Endpoint{URL: r.srv.URL + "/hook", Secret: webhooks.NewSecret(), Events: events, Active: true}
	if err := e.Validate(true); err != nil {
		f.t.Fatal(err)
	}
	out, err := f.store.CreateWebhook(f.t.Context(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	r.secret = out.Secret
	return out
}

// tick runs one round of the dispatcher and waits for its attempts.
func (f *fixture) tick() { f.svc.Tick(f.t.Context())() }

func (f *fixture) deliveries(e webhooks.Endpoint) []webhooks.Delivery {
	f.t.Helper()
	ds, _, err := f.store.WebhookDeliveries(f.t.Context(), e.ID, webhooks.Page{Limit: 50})
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

func TestRetriesAtBackoffThenDelivers(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, f.clk, 500, 503, 200)
	e := f.endpoint(r, "call.ended")
	other := f.endpoint(newReceiver(t, f.clk, 200), "call.started")
	ctx := t.Context()
	if err := f.svc.Emit(ctx, "call.ended", 0, map[string]any{"id": "c1", "outcome": "answered"}); err != nil {
		t.Fatal(err)
	}
	if ds := f.deliveries(other); len(ds) != 0 {
		t.Fatalf("an endpoint not wanting call.ended got %v", ds)
	}
	// Attempt 1 at t0, 2 ten seconds later, 3 thirty seconds after that.
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {9 * time.Second, 1}, {time.Second, 2}, {29 * time.Second, 2}, {time.Second, 3}, {time.Hour, 3}} {
		f.clk.Advance(step.advance)
		f.tick()
		if n := len(r.requests()); n != step.want {
			t.Fatalf("at +%s: %d requests, want %d", f.clk.Now().Sub(t0), n, step.want)
		}
	}
	reqs := r.requests()
	for i, rc := range reqs {
		if rc.verify != nil || rc.event != "call.ended" || rc.ctype != "application/json" || rc.agent != webhooks.UserAgent || rc.delivery != reqs[0].delivery {
			t.Fatalf("request %d: %+v", i, rc)
		}
	}
	var env struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].body, &env); err != nil || env.Event != "call.ended" || env.Data["id"] != "c1" {
		t.Fatalf("body %s: %v", reqs[0].body, err)
	}
	ds := f.deliveries(e)
	if len(ds) != 1 || ds[0].State != webhooks.StateDelivered || ds[0].Attempts != 3 || len(ds[0].Log) != 3 {
		t.Fatalf("deliveries %+v", ds)
	}
	for i, want := range []struct {
		at     time.Duration
		status int
	}{{0, 500}, {10 * time.Second, 503}, {40 * time.Second, 200}} {
		a := ds[0].Log[i]
		if !a.At.Equal(t0.Add(want.at)) || a.Status != want.status || a.N != i+1 || a.Response != http.StatusText(want.status) {
			t.Fatalf("attempt %d: %+v, want at +%s status %d", i+1, a, want.at, want.status)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t, func(c *webhooks.Config) { c.MaxAttempts = 2 })
	r := newReceiver(t, f.clk, 500)
	e := f.endpoint(r, "*")
	if err := f.svc.Emit(t.Context(), "call.answered", 0, map[string]string{"id": "c1"}); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.clk.Advance(10 * time.Second)
	f.tick()
	f.clk.Advance(time.Hour)
	f.tick()
	if ds := f.deliveries(e); len(r.requests()) != 2 || ds[0].State != webhooks.StateFailed || !ds[0].NextAt.IsZero() {
		t.Fatalf("%d requests, deliveries %+v", len(r.requests()), ds)
	}
}

func TestHangingReceiverDelaysNothingElse(t *testing.T) {
	f := newFixture(t, func(c *webhooks.Config) { c.Timeout = 300 * time.Millisecond })
	hung := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The server notices the client gone only once the body is read.
		io.ReadAll(req.Body)
		close(hung)
		<-req.Context().Done()
	}))
	t.Cleanup(hang.Close)
	slow := f.endpoint(&receiver{srv: hang}, "call.ended")
	r := newReceiver(t, f.clk, 200)
	fast := f.endpoint(r, "call.ended")
	if err := f.svc.Emit(t.Context(), "call.ended", 0, map[string]string{"id": "c1"}); err != nil {
		t.Fatal(err)
	}
	wait := f.svc.Tick(t.Context())
	<-hung
	// While one receiver hangs, the other is delivered and events are
	// still enqueued.
	select {
	case <-r.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the healthy receiver got nothing while the other hung")
	}
	if err := f.svc.Emit(t.Context(), "call.ended", 0, map[string]string{"id": "c2"}); err != nil {
		t.Fatal(err)
	}
	wait()
	ds := f.deliveries(slow)
	if len(ds) != 2 {
		t.Fatalf("slow endpoint deliveries %+v", ds)
	}
	timedOut := ds[1]
	if timedOut.State != webhooks.StatePending || timedOut.Attempts != 1 || !strings.Contains(timedOut.LastError, "no answer within 300ms") {
		t.Fatalf("hung delivery %+v", timedOut)
	}
	if ds := f.deliveries(fast); ds[1].State != webhooks.StateDelivered {
		t.Fatalf("fast endpoint deliveries %+v", ds)
	}
}

func TestGoneDisablesEndpoint(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, f.clk, http.StatusGone)
	e := f.endpoint(r, "*")
	ctx := t.Context()
	if err := f.svc.Emit(ctx, "call.ended", 0, nil); err != nil {
		t.Fatal(err)
	}
	f.tick()
	got, err := f.store.Webhook(ctx, e.ID)
	if err != nil || got.Active || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("endpoint %+v, %v", got, err)
	}
	if ds := f.deliveries(e); ds[0].State != webhooks.StateFailed || ds[0].LastStatus != http.StatusGone {
		t.Fatalf("delivery %+v", ds[0])
	}
	if err := f.svc.Emit(ctx, "call.ended", 0, nil); err != nil {
		t.Fatal(err)
	}
	if ds := f.deliveries(e); len(ds) != 1 {
		t.Fatalf("a disabled endpoint was given %d deliveries", len(ds))
	}
}

func TestRestartResumesPending(t *testing.T) {
	f := newFixture(t)
	hung := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body)
		hung <- struct{}{}
		<-req.Context().Done()
	}))
	t.Cleanup(hang.Close)
	r := &receiver{srv: hang}
	e := f.endpoint(r, "*")
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	if err := f.svc.Emit(t.Context(), "call.started", 0, map[string]string{"id": "c1"}); err != nil {
		t.Fatal(err)
	}
	<-hung
	// Stopping mid-attempt leaves the delivery pending, no attempt counted.
	stop()
	<-done
	if ds := f.deliveries(e); ds[0].State != webhooks.StatePending || ds[0].Attempts != 0 {
		t.Fatalf("after stop: %+v", ds[0])
	}
	f.store.Close()

	f.open()
	up := newReceiver(t, f.clk, 200)
	up.secret = r.secret
	// The same endpoint, now answering.
	e.URL = up.srv.URL
	if _, err := f.store.UpdateWebhook(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	ctx2, stop2 := context.WithCancel(t.Context())
	defer stop2()
	go f.svc.Run(ctx2)
	select {
	case <-up.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the restarted service did not deliver the pending event")
	}
	if reqs := up.requests(); len(reqs) != 1 || reqs[0].verify != nil {
		t.Fatalf("after restart: %+v", reqs)
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, f.clk, 200)
	e := f.endpoint(r, "*")
	if err := f.svc.Emit(t.Context(), "call.disposed", 0, map[string]string{"disposition": "SALE"}); err != nil {
		t.Fatal(err)
	}
	f.tick()
	first := f.deliveries(e)[0]
	d, err := f.svc.Replay(t.Context(), first.ID)
	if err != nil || d.ReplayOf != first.ID || d.State != webhooks.StatePending {
		t.Fatalf("replay %+v, %v", d, err)
	}
	f.tick()
	reqs := r.requests()
	if len(reqs) != 2 || string(reqs[1].body) != string(reqs[0].body) || reqs[1].delivery == reqs[0].delivery || reqs[1].verify != nil {
		t.Fatalf("requests %+v", reqs)
	}
	if _, err := f.svc.Replay(t.Context(), 999); err == nil {
		t.Fatal("replaying a missing delivery succeeded")
	}
}

func TestPrivateTargetsRefusedAtConnection(t *testing.T) {
	f := newFixture(t, func(c *webhooks.Config) { c.AllowPrivate = false })
	r := newReceiver(t, f.clk, 200)
	// Written past the API's check, as a name resolving inside would be.
	e := f.endpoint(r, "*")
	if err := f.svc.Emit(t.Context(), "call.ended", 0, nil); err != nil {
		t.Fatal(err)
	}
	f.tick()
	if ds := f.deliveries(e); len(r.requests()) != 0 || !strings.Contains(ds[0].LastError, "not a public address") {
		t.Fatalf("%d requests, delivery %+v", len(r.requests()), ds[0])
	}
}

func TestEnqueueMatchesEventsAndWidgets(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	add := func(widget int64, events ...string) webhooks.Endpoint {
		out, err := f.store.CreateWebhook(ctx, webhooks.Endpoint{URL: "https://hooks.example.com/x", Secret: webhooks.NewSecret(), Events: events, Active: true, WidgetID: widget})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	every, widget5, ended := add(0, "*"), add(5, "start_call", "end_call"), add(0, "call.ended")
	for _, e := range []struct {
		event  string
		widget int64
	}{{"start_call", 5}, {"start_call", 6}, {"call.ended", 0}, {"end_call", 5}} {
		if err := f.svc.Emit(ctx, e.event, e.widget, map[string]int64{"widget": e.widget}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		e    webhooks.Endpoint
		want int
	}{{every, 4}, {widget5, 2}, {ended, 1}} {
		if ds := f.deliveries(c.e); len(ds) != c.want {
			t.Errorf("endpoint %d (widget %d, %v): %d deliveries, want %d", c.e.ID, c.e.WidgetID, c.e.Events, len(ds), c.want)
		}
	}
	page, total, err := f.store.WebhookDeliveries(ctx, every.ID, webhooks.Page{Limit: 2, Offset: 2})
	if err != nil || total != 4 || len(page) != 2 || page[0].Event != "start_call" || page[1].Event != "start_call" {
		t.Fatalf("second page %+v, total %d, %v", page, total, err)
	}
	list, err := f.store.ListWebhooks(ctx)
	if err != nil || len(list) != 3 || list[0].Last == nil || list[0].Last.Event != "end_call" || list[2].Last.Event != "call.ended" {
		t.Fatalf("list %+v, %v", list, err)
	}
	if err := f.svc.Emit(ctx, "Bad Name", 0, nil); err == nil {
		t.Fatal("emitted a bad event name")
	}
	if n, err := f.store.PendingWebhookDeliveries(ctx); err != nil || n != 7 {
		t.Fatalf("pending %d, %v", n, err)
	}
}

func TestEmitInsideBatchCommitsWithIt(t *testing.T) {
	f := newFixture(t)
	e := f.endpoint(newReceiver(t, f.clk, 200), "*")
	err := f.store.Batch(t.Context(), func(ctx context.Context) error {
		if err := f.svc.Emit(ctx, "start_call", 0, nil); err != nil {
			return err
		}
		// Not yet committed: the readers see nothing.
		if ds := f.deliveries(e); len(ds) != 0 {
			t.Errorf("visible before the batch committed: %+v", ds)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ds := f.deliveries(e); len(ds) != 1 {
		t.Fatalf("after the batch: %+v", ds)
	}
}

func TestOldDeliveriesPruned(t *testing.T) {
	f := newFixture(t, func(c *webhooks.Config) { c.Retention = 48 * time.Hour })
	r := newReceiver(t, f.clk, 200, 500)
	e := f.endpoint(r, "*")
	ctx := t.Context()
	if err := f.svc.Emit(ctx, "call.ended", 0, nil); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.clk.Advance(47 * time.Hour)
	// Still being retried when the first is pruned: kept.
	if err := f.svc.Emit(ctx, "call.ended", 0, nil); err != nil {
		t.Fatal(err)
	}
	f.tick()
	if ds := f.deliveries(e); len(ds) != 2 {
		t.Fatalf("within the retention: %+v", ds)
	}
	f.clk.Advance(2 * time.Hour)
	f.tick()
	ds := f.deliveries(e)
	if len(ds) != 1 || ds[0].State != webhooks.StatePending {
		t.Fatalf("after the retention: %+v", ds)
	}
}
