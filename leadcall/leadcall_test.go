package leadcall

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/hours"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
)

// fakeEngine starts speed calls that end when the test says.
type fakeEngine struct {
	mu    sync.Mutex
	calls []dialer.SpeedCall
	ids   []dialer.CallID
}

func (f *fakeEngine) StartSpeedCall(_ context.Context, _ dialer.Actor, r dialer.SpeedCall) (dialer.CallView, error) {
	if err := r.Validate(); err != nil {
		return dialer.CallView{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := dialer.NewCallID()
	f.calls, f.ids = append(f.calls, r), append(f.ids, id)
	return dialer.CallView{ID: id, CreatedAt: time.Now()}, nil
}

// numbers are the lead's numbers of call i.
func (f *fakeEngine) numbers(i int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[i].Numbers
}

func (f *fakeEngine) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// end ends the newest call with result.
func (f *fakeEngine) end(result string, manager, talk int) {
	f.mu.Lock()
	i := len(f.calls) - 1
	c, id := f.calls[i], f.ids[i]
	f.mu.Unlock()
	c.Done(dialer.SpeedOutcome{Call: id, Manager: manager, Number: c.Numbers[0], Result: result, TalkSeconds: talk})
}

// recorder keeps the webhook events and the OnEvent calls.
type recorder struct {
	mu     sync.Mutex
	hooks  []string
	events []string
}

func (r *recorder) Emit(_ context.Context, event string, _ int64, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := payload.(map[string]any)
	s := fmt.Sprintf("%s#%v", event, d["attempt"])
	if f, ok := d["final"]; ok {
		s += fmt.Sprintf(" final=%v", f)
	}
	r.hooks = append(r.hooks, s)
	return nil
}

func (r *recorder) onEvent(event string, _ dialer.Widget, req dialer.WidgetRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event+":"+req.Status)
}

func (r *recorder) got() (hooks, events string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.hooks, ","), strings.Join(r.events, ",")
}

type env struct {
	t    *testing.T
	st   *sqlitestore.Store
	eng  *fakeEngine
	rec  *recorder
	svc  *Service
	path string
}

var allWeek = hours.Week{"mon": {"00:00-23:59"}, "tue": {"00:00-23:59"}, "wed": {"00:00-23:59"},
	"thu": {"00:00-23:59"}, "fri": {"00:00-23:59"}, "sat": {"00:00-23:59"}, "sun": {"00:00-23:59"}}

// newEnv opens a store and a started service; inside a bubble, the
// bubble's clock is the service's.
func newEnv(t *testing.T) *env {
	path := filepath.Join(t.TempDir(), "agentswitch.db")
	st, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, eng: &fakeEngine{}, rec: &recorder{}, path: path}
	e.start()
	t.Cleanup(func() { e.svc.Stop(); st.Close() })
	return e
}

func (e *env) start() {
	e.svc = New(Config{Store: e.st, Widgets: e.st, Engine: e.eng, Webhooks: e.rec, OnEvent: e.rec.onEvent})
	if err := e.svc.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// widget is a widget with one verified manager open in week (UTC).
func (e *env) widget(week hours.Week, retry dialer.WidgetRetry) dialer.Widget {
	ctx := context.Background()
	w := dialer.Widget{Name: "Shop", SiteURL: "https://shop.example", Active: true, Settings: dialer.DefaultWidgetSettings()}
	w.Settings.Retry = retry
	w, err := e.st.CreateWidget(ctx, w)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.st.CreateManager(ctx, dialer.Manager{WidgetID: w.ID, Name: "Max", Phone: "+4930555000" + fmt.Sprint(w.ID),
		TimeZone: "UTC", Hours: hours.Schedule{Week: week}, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	code, stored := dialer.NewVerifyCode()
	if err := e.st.SetManagerCode(ctx, w.ID, m.ID, stored, time.Now().Add(time.Minute)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.ConfirmManagerCode(ctx, w.ID, m.ID, code, time.Now()); err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *env) submit(w dialer.Widget, at time.Time, numbers ...string) Submission {
	e.t.Helper()
	sub, err := e.svc.Submit(context.Background(), w, dialer.WidgetRequest{Source: "widget", CreatedAt: time.Now(),
		Numbers: numbers, Params: map[string]string{"name": "Ada"}, NextAttemptAt: at})
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

func (e *env) get(id dialer.WidgetRequestID) (dialer.WidgetRequest, []dialer.WidgetAttempt) {
	e.t.Helper()
	r, a, err := e.st.GetWidgetRequest(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r, a
}

// The visitor does not answer: each retry comes after its interval, and
// after the last attempt the request is missed.
func TestRetriesUpToTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{Enabled: true, Intervals: []int{60, 120}, When: "visitor"})
		start := time.Now()
		sub := e.submit(w, time.Time{}, "+12025550143", "+12025550144")
		if sub.Call.ID == "" || sub.Managers != 1 || sub.Request.Status != "calling" || sub.Request.MaxAttempts != 3 {
			t.Fatalf("submitted %+v", sub)
		}
		// One attempt rings both numbers: the second is the engine's.
		e.eng.mu.Lock()
		c := e.eng.calls[0]
		e.eng.mu.Unlock()
		if len(c.Numbers) != 2 || c.Managers[0].Name != "Max" || c.Announcement != "A lead from shop.example: name Ada." {
			t.Fatalf("speed call %+v", c)
		}
		id := sub.Request.ID
		for i, tc := range []struct {
			result string
			wait   time.Duration
		}{{dialer.SpeedLeadNoAnswer, 60 * time.Second}, {dialer.SpeedLeadBusy, 120 * time.Second}} {
			e.eng.end(tc.result, -1, 0)
			synctest.Wait()
			r, _ := e.get(id)
			if r.Status != "scheduled" || !r.NextAttemptAt.Equal(time.Now().Add(tc.wait)) || r.Attempts != i+1 {
				t.Fatalf("after attempt %d: %+v", i+1, r)
			}
			time.Sleep(tc.wait - time.Second)
			synctest.Wait()
			if n := e.eng.count(); n != i+1 {
				t.Fatalf("attempt %d started early: %d calls", i+2, n)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if n := e.eng.count(); n != i+2 {
				t.Fatalf("attempt %d not started: %d calls", i+2, n)
			}
		}
		e.eng.end(dialer.SpeedLeadNoAnswer, -1, 0)
		synctest.Wait()
		r, attempts := e.get(id)
		if r.Status != "missed" || r.Reason != "lead_no_answer" || len(attempts) != 3 || !r.NextAttemptAt.IsZero() ||
			time.Since(start) != 180*time.Second {
			t.Fatalf("final %+v %+v", r, attempts)
		}
		hooks, events := e.rec.got()
		if hooks != "start_call#1,end_call#1 final=false,start_call#2,end_call#2 final=false,start_call#3,end_call#3 final=true" ||
			events != "new_request:calling,missed_call:missed" {
			t.Fatalf("hooks %s\nevents %s", hooks, events)
		}
	})
}

// Which results are retried under each setting.
func TestRetriesPerWhen(t *testing.T) {
	results := []string{dialer.SpeedLeadNoAnswer, dialer.SpeedLeadBusy, dialer.SpeedNoManager, dialer.SpeedManagerDeclined,
		dialer.SpeedFailed, dialer.SpeedCancelled, dialer.SpeedConnected}
	for _, tc := range []struct {
		rt   dialer.WidgetRetry
		want string // per result above
	}{
		{dialer.WidgetRetry{Enabled: true, When: "visitor"}, "yynnynn"},
		{dialer.WidgetRetry{Enabled: true, When: "managers"}, "nnyyynn"},
		{dialer.WidgetRetry{Enabled: true, When: "both"}, "yyyyynn"},
		{dialer.WidgetRetry{Enabled: false, When: "both"}, "nnnnnnn"},
	} {
		for i, r := range results {
			if got := retries(tc.rt, r); got != (tc.want[i] == 'y') {
				t.Errorf("%+v %s: %v", tc.rt, r, got)
			}
		}
	}
	for _, tc := range []struct {
		rt   dialer.WidgetRetry
		want int
	}{
		{dialer.WidgetRetry{Intervals: []int{60}}, 1},
		{dialer.WidgetRetry{Enabled: true, Intervals: []int{60, 60}}, 3},
		{dialer.WidgetRetry{Enabled: true, Intervals: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, 10},
	} {
		if got := maxAttempts(tc.rt); got != tc.want {
			t.Errorf("%+v: %d attempts, want %d", tc.rt, got, tc.want)
		}
	}
}

// When = managers: nobody answering is retried, the visitor not
// answering ends it.
func TestManagersRetryOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{Enabled: true, Intervals: []int{30, 30}, When: "managers"})
		id := e.submit(w, time.Time{}, "+12025550143").Request.ID
		e.eng.end(dialer.SpeedNoManager, -1, 0)
		synctest.Wait()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if n := e.eng.count(); n != 2 {
			t.Fatalf("%d calls", n)
		}
		e.eng.end(dialer.SpeedLeadNoAnswer, -1, 0)
		synctest.Wait()
		if r, _ := e.get(id); r.Status != "missed" || r.Reason != "lead_no_answer" || r.Attempts != 2 {
			t.Fatalf("final %+v", r)
		}
		// A connected call is final at once.
		id = e.submit(w, time.Time{}, "+12025550199").Request.ID
		e.eng.end(dialer.SpeedConnected, 0, 42)
		synctest.Wait()
		r, _ := e.get(id)
		if r.Status != "connected" || r.Manager != "Max" || r.TalkSeconds != 42 || !r.ConnectedAt.Equal(time.Now().Add(-42*time.Second)) {
			t.Fatalf("connected %+v", r)
		}
		if _, events := e.rec.got(); !strings.HasSuffix(events, "new_request:calling,call_done:connected") {
			t.Fatalf("events %s", events)
		}
	})
}

// Outside the managers' hours the request waits for the next opening, and
// a retry falling outside them moves to the opening after.
func TestScheduledForTheNextOpening(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		// The bubble starts on Saturday 2000-01-01 at midnight UTC.
		w := e.widget(hours.Week{"mon": {"09:00-10:00"}}, dialer.WidgetRetry{Enabled: true, Intervals: []int{3600}, When: "both"})
		monday := time.Date(2000, 1, 3, 9, 0, 0, 0, time.UTC)
		sub := e.submit(w, time.Time{}, "+12025550143")
		if sub.Call.ID != "" || sub.Request.Status != "scheduled" || !sub.Request.NextAttemptAt.Equal(monday) {
			t.Fatalf("submitted %+v", sub)
		}
		time.Sleep(time.Until(monday) - time.Second)
		synctest.Wait()
		if n := e.eng.count(); n != 0 {
			t.Fatalf("%d calls before the opening", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := e.eng.count(); n != 1 {
			t.Fatalf("%d calls at the opening", n)
		}
		e.eng.end(dialer.SpeedLeadNoAnswer, -1, 0)
		synctest.Wait()
		if r, _ := e.get(sub.Request.ID); r.Status != "scheduled" || !r.NextAttemptAt.Equal(monday.AddDate(0, 0, 7)) {
			t.Fatalf("retry %+v, want the next Monday", r)
		}
	})
}

// A visitor's time is kept; a cancelled request is never dialed.
func TestVisitorTimeAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{When: "both", Intervals: []int{}})
		at := time.Now().Add(2 * time.Hour)
		a := e.submit(w, at, "+12025550143")
		b := e.submit(w, at, "+12025550144")
		if !a.Request.NextAttemptAt.Equal(at) || a.Call.ID != "" {
			t.Fatalf("submitted %+v", a)
		}
		got, err := e.svc.Cancel(context.Background(), b.Request.ID)
		if err != nil || got.Status != "cancelled" {
			t.Fatalf("cancel %+v %v", got, err)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if n := e.eng.count(); n != 1 || e.eng.numbers(0)[0] != "+12025550143" {
			t.Fatalf("%d calls", n)
		}
		if _, err := e.svc.Cancel(context.Background(), a.Request.ID); err == nil {
			t.Fatal("a calling request was cancelled")
		}
	})
}

// After a restart the scheduled request still starts on time, and the
// one left calling counts that attempt failed and is retried.
func TestRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{Enabled: true, Intervals: []int{30}, When: "visitor"})
		later := e.submit(w, time.Now().Add(time.Hour), "+12025550143").Request.ID
		calling := e.submit(w, time.Time{}, "+12025550144").Request.ID
		e.svc.Stop()
		e.eng.end(dialer.SpeedConnected, 0, 10) // lost with the old process
		synctest.Wait()
		if r, _ := e.get(calling); r.Status != "calling" {
			t.Fatalf("recorded after stop: %+v", r)
		}
		e.start()
		synctest.Wait()
		r, attempts := e.get(calling)
		if r.Status != "scheduled" || attempts[0].Result != "failed" || !r.NextAttemptAt.Equal(time.Now().Add(30*time.Second)) {
			t.Fatalf("restarted %+v %+v", r, attempts)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if n := e.eng.count(); n != 2 || e.eng.numbers(1)[0] != "+12025550144" {
			t.Fatalf("%d calls", n)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := e.eng.count(); n != 3 || e.eng.numbers(2)[0] != "+12025550143" {
			t.Fatalf("%d calls", n)
		}
		if r, _ := e.get(later); r.Status != "calling" || r.Attempts != 1 {
			t.Fatalf("later %+v", r)
		}
	})
}

// Refusals are recorded with the field; the repeat is read from the table.
func TestRefusals(t *testing.T) {
	e := newEnv(t)
	w := e.widget(allWeek, dialer.WidgetRetry{When: "both", Intervals: []int{}})
	never := e.widget(hours.Week{}, dialer.WidgetRetry{When: "both", Intervals: []int{}})
	e.submit(w, time.Time{}, "+12025550143")
	ctx := context.Background()
	for _, tc := range []struct {
		w      dialer.Widget
		r      dialer.WidgetRequest
		reason string
		field  string
	}{
		{w, dialer.WidgetRequest{Numbers: []string{"+12025550143"}}, dialer.RefusedRepeat, "lc_number"},
		{never, dialer.WidgetRequest{Numbers: []string{"+12025550145"}}, dialer.RefusedNoneOpen, "widget_key"},
		{w, dialer.WidgetRequest{Numbers: []string{"+12025550146"}, Announcement: strings.Repeat("a", 501)}, dialer.RefusedInvalid, "lc_message"},
	} {
		tc.r.Source, tc.r.CreatedAt = "api", time.Now()
		_, err := e.svc.Submit(ctx, tc.w, tc.r)
		re, ok := err.(*RefusalError)
		if !ok || re.Request.Reason != tc.reason || re.Request.Field != tc.field || re.Request.ID == 0 {
			t.Errorf("%s: %v", tc.reason, err)
		}
	}
	if n := e.eng.count(); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

func TestAnnouncementFitsTheEngine(t *testing.T) {
	w := dialer.Widget{Name: "Shop", SiteURL: "https://shop.example"}
	for _, tc := range []struct {
		params map[string]string
		want   string
	}{
		{nil, "A lead from shop.example."},
		{map[string]string{"name": "Jo", "project_name": "Roof", "empty": ""}, "A lead from shop.example: name Jo, project name Roof."},
	} {
		if got := Announcement(w, tc.params); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.params, got, tc.want)
		}
	}
	long := Announcement(w, map[string]string{"note": strings.Repeat("ü", 400)})
	if len(long) > dialer.MaxSpeedText || !utf8.ValidString(long) {
		t.Errorf("%d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}
