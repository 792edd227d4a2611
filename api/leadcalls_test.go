package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/hours"
	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/notify/webhooks"
)

// leadWidget is a widget with an API key and one verified manager open
// around the clock.
type leadWidget struct {
	w      dialer.Widget
	secret string
	m      dialer.Manager
}

var allWeek = hours.Week{"mon": {"00:00-23:59"}, "tue": {"00:00-23:59"}, "wed": {"00:00-23:59"},
	"thu": {"00:00-23:59"}, "fri": {"00:00-23:59"}, "sat": {"00:00-23:59"}, "sun": {"00:00-23:59"}}

func (e *testEnv) addLeadWidget(n int, week hours.Week, edit func(*dialer.Widget)) leadWidget {
	e.t.Helper()
	ctx := e.t.Context()
	w := dialer.Widget{Name: fmt.Sprintf("Site %d", n), SiteURL: fmt.Sprintf("https://lead%d.example", n),
		Active: true, Settings: dialer.DefaultWidgetSettings()}
	if edit != nil {
		edit(&w)
	}
	w = must[dialer.Widget](e.t)(e.store.CreateWidget(ctx, w))
	_, secret, err := e.store.CreateWidgetAPIKey(ctx, w.ID, "crm")
	if err != nil {
		e.t.Fatal(err)
	}
	m := must[dialer.Manager](e.t)(e.store.CreateManager(ctx, dialer.Manager{WidgetID: w.ID, Name: "Max",
		Phone: fmt.Sprintf("+4930555%04d", n), TimeZone: "UTC", Hours: hours.Schedule{Week: week}, Active: true}))
	code, stored := dialer.NewVerifyCode()
	if err := e.store.SetManagerCode(ctx, w.ID, m.ID, stored, e.clock.Now().Add(time.Minute)); err != nil {
		e.t.Fatal(err)
	}
	m = must[dialer.Manager](e.t)(e.store.ConfirmManagerCode(ctx, w.ID, m.ID, code, e.clock.Now()))
	return leadWidget{w: w, secret: secret, m: m}
}

// fields are a lead-call request's fields for lw.
func (lw leadWidget) fields(extra ...string) map[string]string {
	f := map[string]string{"widget_key": lw.w.Key, "api_key": lw.secret}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = extra[i+1]
	}
	return f
}

// leadSend sends fields as kind: "get", "json", "form" or "multipart".
func (e *testEnv) leadSend(kind string, f map[string]string, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var req *http.Request
	vals := url.Values{}
	for k, v := range f {
		vals.Set(k, v)
	}
	switch kind {
	case "get":
		req = httptest.NewRequest(http.MethodGet, "/api/v1/lead-calls?"+vals.Encode(), nil)
	case "json":
		b, _ := json.Marshal(f)
		req = httptest.NewRequest(http.MethodPost, "/api/v1/lead-calls", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	case "form":
		req = httptest.NewRequest(http.MethodPost, "/api/v1/lead-calls", strings.NewReader(vals.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case "multipart":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range f {
			mw.WriteField(k, v)
		}
		mw.Close()
		req = httptest.NewRequest(http.MethodPost, "/api/v1/lead-calls", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	return rec
}

func (e *testEnv) speedCalls() []dialer.SpeedCall {
	var out []dialer.SpeedCall
	for _, c := range e.eng.called("StartSpeedCall") {
		out = append(out, c.Arg.(dialer.SpeedCall))
	}
	return out
}

func TestLeadCallEveryEncodingGivesTheSameCall(t *testing.T) {
	e := newEnv(t)
	var first dialer.SpeedCall
	for i, kind := range []string{"get", "json", "form", "multipart"} {
		lw := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) {
			w.Settings.Recording = dialer.WidgetRecording{Enabled: true, Warning: "This call is recorded."}
			w.Settings.Sequence = "ordered"
		})
		e.eng.reset()
		// A form's other inputs (here "consent") are not lead-call fields:
		// left aside, not refused.
		rec := e.leadSend(kind, lw.fields("lc_number", "(202) 555-0143", "lc_number_2", "+4930123456",
			"lc_param_Name", "John Doe", "lc_param_email", "john@example.com", "consent", "on"))
		if rec.Code != http.StatusCreated {
			t.Fatalf("%s: %d %s", kind, rec.Code, rec.Body)
		}
		got := decodeBody[leadCallResponse](t, rec)
		if got.CallID == "" || got.Status != "dialing" {
			t.Fatalf("%s: answer %+v", kind, got)
		}
		calls := e.speedCalls()
		if len(calls) != 1 {
			t.Fatalf("%s: %d speed calls", kind, len(calls))
		}
		sc := calls[0]
		if sc.Widget != int64(lw.w.ID) || sc.Campaign != lw.w.CampaignID {
			t.Fatalf("%s: widget %d campaign %d", kind, sc.Widget, sc.Campaign)
		}
		if sc.Done == nil {
			t.Fatalf("%s: no Done (the end_call webhook)", kind)
		}
		// The widget and campaign differ per request; the rest must not.
		sc.Widget, sc.Campaign, sc.Done = 0, 0, nil
		want := dialer.SpeedCall{
			Managers: []dialer.SpeedManager{{Name: "Max", Number: lw.m.Phone}},
			Sequence: ring.TopDown, Numbers: []string{"+12025550143", "+4930123456"},
			Announcement: "A lead from lead1.example: email john@example.com, name John Doe.",
			Confirm:      true, Record: true, RecordWarning: "This call is recorded.",
			Params: map[string]string{"name": "John Doe", "email": "john@example.com"},
		}
		if i == 0 {
			first = sc
			want.Managers[0].Number = sc.Managers[0].Number
			if !reflect.DeepEqual(sc, want) {
				t.Fatalf("speed call\n got %+v\nwant %+v", sc, want)
			}
			continue
		}
		sc.Managers[0].Number = first.Managers[0].Number
		if !reflect.DeepEqual(sc, first) {
			t.Errorf("%s: speed call\n got %+v\nwant %+v", kind, sc, first)
		}
	}
}

func TestLeadCallRefusalsNameTheField(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) {
		w.Settings.Countries = dialer.WidgetCountries{Mode: "selected", Allowed: []string{"US", "DE"}, First: []string{}}
	})
	other := e.addLeadWidget(2, allWeek, nil)
	for _, tc := range []struct {
		name   string
		f      map[string]string
		status int
		field  string
	}{
		{"no widget key", map[string]string{"lc_number": "+12025550143"}, 400, "widget_key"},
		{"unknown widget", map[string]string{"widget_key": "nope", "api_key": lw.secret, "lc_number": "+12025550143"}, 404, "widget_key"},
		{"no api key", map[string]string{"widget_key": lw.w.Key, "lc_number": "+12025550143"}, 401, "api_key"},
		{"wrong api key", lw.fields("api_key", "ask_wrong", "lc_number", "+12025550143"), 401, "api_key"},
		{"another widget's key", lw.fields("api_key", other.secret, "lc_number", "+12025550143"), 401, "api_key"},
		{"no number", lw.fields(), 400, "lc_number"},
		{"bad number", lw.fields("lc_number", "call me"), 400, "lc_number"},
		{"bad second number", lw.fields("lc_number", "+12025550143", "lc_number_2", "12"), 400, "lc_number_2"},
		{"premium", lw.fields("lc_number", "+19005550143"), 400, "lc_number"},
		{"country not allowed", lw.fields("lc_number", "+442079460000"), 400, "lc_number"},
		{"bad country", lw.fields("lc_number", "2025550143", "country", "ZZ"), 400, "country"},
		{"bad param name", lw.fields("lc_number", "+12025550143", "lc_param_bad-name", "x"), 400, "lc_param_bad-name"},
		{"param name too long", lw.fields("lc_number", "+12025550143", "lc_param_"+strings.Repeat("a", 21), "x"), 400, "lc_param_" + strings.Repeat("a", 21)},
		{"message too long", lw.fields("lc_number", "+12025550143", "lc_message", strings.Repeat("a", 501)), 400, "lc_message"},
		{"bad operator phone", lw.fields("lc_number", "+12025550143", "lc_param_agent01name", "Ann"), 400, "lc_param_agent01phone"},
	} {
		e.eng.reset()
		rec := e.leadSend("json", tc.f)
		if rec.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.status)
			continue
		}
		if got := errorOf(t, rec); got.Field != tc.field {
			t.Errorf("%s: field %q (%s), want %q", tc.name, got.Field, got.Message, tc.field)
		}
		if n := len(e.speedCalls()); n != 0 && tc.field != "lc_message" {
			t.Errorf("%s: %d calls started", tc.name, n)
		}
	}
	// A national number in the default country (US) and in a given one.
	for _, tc := range []struct{ country, number, want string }{
		{"", "202-555-0101", "+12025550101"},
		{"de", "030 1234567", "+49301234567"},
	} {
		e.eng.reset()
		rec := e.leadSend("json", lw.fields("lc_number", tc.number, "country", tc.country))
		if rec.Code != http.StatusCreated || e.speedCalls()[0].Numbers[0] != tc.want {
			t.Errorf("%s %s: %d %s", tc.country, tc.number, rec.Code, rec.Body)
		}
	}
}

func TestLeadCallInactiveWidget(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, func(w *dialer.Widget) { w.Active = false })
	rec := e.leadSend("get", lw.fields("lc_number", "+12025550143"))
	if rec.Code != http.StatusForbidden || errorOf(t, rec).Field != "widget_key" || len(e.speedCalls()) != 0 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestLeadCallOutsideHours(t *testing.T) {
	e := newEnv(t)
	// t0 is a Friday at 15:00 UTC: the manager next opens Monday 09:00.
	lw := e.addLeadWidget(1, hours.Week{"mon": {"09:00-10:00"}}, nil)
	rec := e.leadSend("json", lw.fields("lc_number", "+12025550143"))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := decodeBody[leadCallResponse](t, rec)
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if body.Status != "scheduled" || body.NextAttemptAt == nil || !body.NextAttemptAt.Equal(monday) || body.RequestID == 0 || body.CallID != "" {
		t.Fatalf("%s", rec.Body)
	}
	e.opts.LeadCalls.RunDue(t.Context())
	if len(e.speedCalls()) != 0 {
		t.Fatal("a call started outside hours")
	}
	// At the opening the scheduler starts it.
	e.clock.Advance(monday.Sub(e.clock.Now()))
	e.opts.LeadCalls.RunDue(t.Context())
	if calls := e.speedCalls(); len(calls) != 1 || calls[0].Numbers[0] != "+12025550143" || calls[0].Managers[0].Name != "Max" {
		t.Fatalf("at the opening %+v", calls)
	}
	e.eng.reset()
	// A widget whose managers never open refuses, and says so.
	never := e.addLeadWidget(2, hours.Week{}, nil)
	rec = e.leadSend("json", never.fields("lc_number", "+12025550143"))
	if rec.Code != http.StatusConflict || errorOf(t, rec).Field != "widget_key" || !strings.Contains(rec.Body.String(), `"scheduled":false`) {
		t.Fatalf("never open: %d %s", rec.Code, rec.Body)
	}
	// Operators named in the request replace the closed managers.
	rec = e.leadSend("form", lw.fields("lc_number", "+12025550144", "country", "DE",
		"lc_param_agent02name", "Ann", "lc_param_agent02phone", "030 7654321", "lc_param_AGENT01PHONE", "+4930111222"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	sc := e.speedCalls()[0]
	want := []dialer.SpeedManager{{Name: "Agent 01", Number: "+4930111222"}, {Name: "Ann", Number: "+49307654321", Position: 1}}
	if !reflect.DeepEqual(sc.Managers, want) || len(sc.Params) != 0 {
		t.Fatalf("managers %+v params %v", sc.Managers, sc.Params)
	}
}

func TestLeadCallIdempotencyAndRepeats(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, nil)
	f := lw.fields("lc_number", "+12025550143")
	first := e.leadSend("json", f, "Idempotency-Key", "order-77")
	if first.Code != http.StatusCreated {
		t.Fatalf("%d %s", first.Code, first.Body)
	}
	again := e.leadSend("get", f, "Idempotency-Key", "order-77")
	if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() || len(e.speedCalls()) != 1 {
		t.Fatalf("replay %d %s (first %s), %d calls", again.Code, again.Body, first.Body, len(e.speedCalls()))
	}
	// Without the key (or with another), the same lead within the window
	// is not called again.
	rec := e.leadSend("json", f, "Idempotency-Key", "order-78")
	if rec.Code != http.StatusConflict || errorOf(t, rec).Field != "lc_number" || len(e.speedCalls()) != 1 {
		t.Fatalf("repeat %d %s", rec.Code, rec.Body)
	}
	e.clock.Advance(dialer.RequestRepeatWindow)
	if rec := e.leadSend("json", f); rec.Code != http.StatusCreated || len(e.speedCalls()) != 2 {
		t.Fatalf("after the window %d %s", rec.Code, rec.Body)
	}
	// The key still answers the first call within 24 hours, and no more.
	if rec := e.leadSend("json", f, "Idempotency-Key", "order-77"); rec.Body.String() != first.Body.String() {
		t.Fatalf("replay after the window %s", rec.Body)
	}
	e.clock.Advance(dialer.IdempotencyTTL)
	if rec := e.leadSend("json", f, "Idempotency-Key", "order-77"); rec.Code != http.StatusCreated || rec.Body.String() == first.Body.String() {
		t.Fatalf("after 24 h %d %s", rec.Code, rec.Body)
	}
}

func TestLeadCallRateLimit(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, nil)
	var last *httptest.ResponseRecorder
	for i := range int(leadPerIP.burst) + 1 {
		last = e.leadSend("json", lw.fields("lc_number", fmt.Sprintf("+1202555%04d", i)))
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") != "2" {
		t.Fatalf("%d %s Retry-After %q", last.Code, last.Body, last.Header().Get("Retry-After"))
	}
	if n := len(e.speedCalls()); n != int(leadPerIP.burst) {
		t.Fatalf("%d calls", n)
	}
	e.clock.Advance(2 * time.Second)
	if rec := e.leadSend("json", lw.fields("lc_number", "+12025559999")); rec.Code != http.StatusCreated {
		t.Fatalf("after the wait %d %s", rec.Code, rec.Body)
	}
}

func TestTokenBucketPerWidget(t *testing.T) {
	var b buckets
	now := t0
	r := bucketRate{perSecond: 1, burst: 2}
	for i, want := range []time.Duration{0, 0, time.Second} {
		if got := b.take("widget:1", now, r); got != want {
			t.Errorf("take %d: %v, want %v", i, got, want)
		}
	}
	if got := b.take("widget:2", now, r); got != 0 {
		t.Errorf("another widget waits %v", got)
	}
	if got := b.take("widget:1", now.Add(time.Second), r); got != 0 {
		t.Errorf("after a second: %v", got)
	}
}

// Requests with one Idempotency-Key at the same time start one call and
// all answer its id.
func TestLeadCallIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, nil)
	bodies := make([]string, 8)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := e.leadSend("json", lw.fields("lc_number", "+12025550143"), "Idempotency-Key", "same")
			bodies[i] = fmt.Sprint(rec.Code, rec.Body.String())
		}()
	}
	wg.Wait()
	if n := len(e.speedCalls()); n != 1 {
		t.Fatalf("%d calls started", n)
	}
	for _, b := range bodies {
		if b != bodies[0] || !strings.HasPrefix(b, "201") {
			t.Fatalf("answers differ: %q", bodies)
		}
	}
}

// TestLeadCallWebhooks: a lead call queues Convolo's start_call for the
// widget's webhook endpoints at once, and end_call with the outcome when
// the engine says the call ended.
func TestLeadCallWebhooks(t *testing.T) {
	e := newEnv(t)
	lw := e.addLeadWidget(1, allWeek, nil)
	ctx := t.Context()
	ep := must[webhooks.Endpoint](t)(e.store.CreateWebhook(ctx, webhooks.Endpoint{URL: "https://crm.example/hooks",
		Secret: webhooks.NewSecret(), Events: []string{"start_call", "end_call"}, Active: true, WidgetID: int64(lw.w.ID)}))
	rec := e.leadSend("json", lw.fields("lc_number", "+12025550143", "lc_param_name", "John Doe"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	id := decodeBody[leadCallResponse](t, rec).CallID
	payloads := func() map[string]map[string]any {
		ds, _, err := e.store.WebhookDeliveries(ctx, ep.ID, webhooks.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]any{}
		for _, d := range ds {
			var env struct{ Data map[string]any }
			if err := json.Unmarshal(d.Payload, &env); err != nil {
				t.Fatal(err)
			}
			out[d.Event] = env.Data
		}
		return out
	}
	start := payloads()["start_call"]
	if start == nil || start["call_id"] != string(id) || start["lc_number"] != "+12025550143" || start["widget_key"] != lw.w.Key ||
		start["params"].(map[string]any)["name"] != "John Doe" || start["status"] != "dialing" {
		t.Fatalf("start_call %v", start)
	}

	call := e.speedCalls()[0]
	call.Done(dialer.SpeedOutcome{Call: id, Manager: 0, Number: "+12025550143", Result: "connected", TalkSeconds: 42, Recording: "/rec/x.wav"})
	var end map[string]any
	waitFor(t, "end_call queued", func() bool { end = payloads()["end_call"]; return end != nil })
	if end["status"] != "connected" || end["manager"] != "Max" || end["duration"] != 42.0 ||
		end["recording"] != "/api/v1/calls/"+string(id)+"/recording" || end["call_id"] != string(id) {
		t.Fatalf("end_call %v", end)
	}
}
