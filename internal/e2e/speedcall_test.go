//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// The speed-to-lead call as a customer uses it: an admin sets up a widget,
// its manager and an API key over the admin API, the site's server asks
// with POST /api/v1/lead-calls, and the manager's phone, the lead's phone
// and a webhook receiver see what follows.

// toneManager is what a seat manager's phone sends.
const toneManager = toneAgent2

// speedWarning is the recording warning the lead hears.
const speedWarning = "This call is recorded so that we can serve you better."

// allDay opens a manager around the clock.
var allDay = func() map[string][]string {
	w := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		w[d] = []string{"00:00-24:00"}
	}
	return w
}()

// speedNumber is a fresh lead or manager number the number check accepts
// (newNumber's exchange 000 is not a possible number).
func speedNumber() string {
	numberSeq.Lock()
	defer numberSeq.Unlock()
	numberSeq.n++
	return fmt.Sprintf("+15557%06d", numberSeq.n)
}

// speedWidget is a widget set up for lead calls, and the receiver of its
// webhooks.
type speedWidget struct {
	id          int64
	key, apiKey string
	hooks       *hookReceiver
}

// newSpeedWidget creates a widget (confirm: press1 or stay; recording on
// with speedWarning), an API key and an end_call webhook to a receiver.
func (e *switchEnv) newSpeedWidget(t *testing.T, name, confirm string) *speedWidget {
	t.Helper()
	admin := e.svc.admin
	var w struct {
		ID       int64          `json:"id"`
		Key      string         `json:"widget_key"`
		Settings map[string]any `json:"settings"`
	}
	admin.Must(t, http.MethodPost, "/widgets", map[string]any{"name": name, "site_url": "https://" + name + ".example", "active": true}, 201, &w)
	w.Settings["confirm"] = confirm
	w.Settings["recording"] = map[string]any{"enabled": true, "warning": speedWarning}
	admin.Must(t, http.MethodPatch, fmt.Sprintf("/widgets/%d", w.ID), map[string]any{"settings": w.Settings}, 200, nil)
	var k struct{ Secret string }
	admin.Must(t, http.MethodPost, fmt.Sprintf("/widgets/%d/api-keys", w.ID), map[string]any{"name": "crm"}, 201, &k)
	sw := &speedWidget{id: w.ID, key: w.Key, apiKey: k.Secret, hooks: newHookReceiver(t)}
	var h struct{ Secret string }
	admin.Must(t, http.MethodPost, "/webhooks", map[string]any{"url": sw.hooks.url, "events": []string{"end_call"}, "widget_id": w.ID}, 201, &h)
	sw.hooks.secret = h.Secret
	return sw
}

// seatWidget seats a READY ring-mode agent on ext (its phone sends
// toneManager) and makes it the manager of a new widget.
func (e *switchEnv) seatWidget(t *testing.T, ext, widget, confirm, manager string) (*svctest.Client, *sipphone.Phone, *speedWidget) {
	t.Helper()
	mgr, mph := e.seat(t, ext, "agent", "ring", toneManager)
	ready(t, mgr, "ring")
	w := e.newSpeedWidget(t, widget, confirm)
	e.seatManager(t, w, manager, mgr.Seat)
	return mgr, mph, w
}

// managerCall takes the next call of a seat manager's phone.
func (e *switchEnv) managerCall(t *testing.T, ctx context.Context, ph *sipphone.Phone) *sipphone.Call {
	t.Helper()
	c, err := ph.NextCall(ctx)
	if err != nil {
		t.Fatalf("the manager's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	return c
}

// seatManager adds the agent on seat as the widget's manager.
func (e *switchEnv) seatManager(t *testing.T, w *speedWidget, name string, seat int64) {
	t.Helper()
	e.svc.admin.Must(t, http.MethodPost, fmt.Sprintf("/widgets/%d/managers", w.id),
		map[string]any{"name": name, "agent_id": seat, "time_zone": "UTC", "hours": map[string]any{"week": allDay}}, 201, nil)
}

var verifyCode = regexp.MustCompile(`verification code for manager (\d+): (\d{6})`)

// numberManager adds an outside number as the widget's manager and
// verifies it with the code the service texts (its log provider writes
// the SMS to the service's log).
func (e *switchEnv) numberManager(t *testing.T, w *speedWidget, name, number string) {
	t.Helper()
	admin := e.svc.admin
	var m struct{ ID int64 }
	base := fmt.Sprintf("/widgets/%d/managers", w.id)
	admin.Must(t, http.MethodPost, base, map[string]any{"name": name, "phone": number, "time_zone": "UTC", "hours": map[string]any{"week": allDay}}, 201, &m)
	admin.Must(t, http.MethodPost, fmt.Sprintf("%s/%d/verify", base, m.ID), nil, 200, nil)
	var code string
	svctest.Eventually(t, "the verification SMS in the service's log", func() bool {
		b, _ := os.ReadFile(e.svc.LogPath)
		for _, x := range verifyCode.FindAllSubmatch(b, -1) {
			if string(x[1]) == strconv.FormatInt(m.ID, 10) {
				code = string(x[2])
			}
		}
		return code != ""
	})
	var out struct {
		VerifiedAt string `json:"verified_at"`
	}
	admin.Must(t, http.MethodPost, fmt.Sprintf("%s/%d/verify/confirm", base, m.ID), map[string]any{"code": code}, 200, &out)
	if out.VerifiedAt == "" {
		t.Fatalf("manager %d not verified", m.ID)
	}
}

// ask posts a lead call as a site's server does, with the widget's keys
// and fields (lc_number, lc_param_name...); it returns the call id.
func (w *speedWidget) ask(t *testing.T, e *switchEnv, fields map[string]string) string {
	t.Helper()
	body := map[string]string{"widget_key": w.key, "api_key": w.apiKey}
	for k, v := range fields {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.svc.URL+"/api/v1/lead-calls", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		CallID string `json:"call_id"`
		Status string `json:"status"`
	}
	json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusCreated || out.CallID == "" || out.Status != "dialing" {
		t.Fatalf("lead call: %d %s", resp.StatusCode, raw)
	}
	return out.CallID
}

// hookReceiver is a site's webhook endpoint on loopback.
type hookReceiver struct {
	url    string
	secret string
	mu     sync.Mutex
	got    []hookDelivery
	ch     chan struct{}
}

type hookDelivery struct {
	event, signature string
	body             []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &hookReceiver{url: "http://" + l.Addr().String() + "/hooks", ch: make(chan struct{}, 16)}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookDelivery{event: req.Header.Get("X-Agentswitch-Event"), signature: req.Header.Get("X-Agentswitch-Signature"), body: body})
		r.mu.Unlock()
		select {
		case r.ch <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return r
}

// endCall waits for the end_call delivery of call id, checks its
// signature as a receiver would and returns its data.
func (r *hookReceiver) endCall(t *testing.T, ctx context.Context, id string) map[string]any {
	t.Helper()
	for {
		r.mu.Lock()
		got := append([]hookDelivery(nil), r.got...)
		r.mu.Unlock()
		for _, d := range got {
			var env struct {
				Event string         `json:"event"`
				Data  map[string]any `json:"data"`
			}
			if json.Unmarshal(d.body, &env) != nil || env.Event != "end_call" || env.Data["call_id"] != id {
				continue
			}
			if d.event != "end_call" {
				t.Errorf("event header %q", d.event)
			}
			if err := verifySignature(r.secret, d.signature, d.body, time.Now()); err != nil {
				t.Fatalf("end_call signature %q: %v", d.signature, err)
			}
			return env.Data
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no end_call webhook for %s (%d deliveries)", id, len(got))
		case <-r.ch:
		}
	}
}

// verifySignature checks X-Agentswitch-Signature (t=<unix>,v1=<hex
// HMAC-SHA256(secret, "<t>.<body>")>) as a site's receiver does.
func verifySignature(secret, header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("malformed")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return fmt.Errorf("signed %v ago", age)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	if !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil)))) {
		return fmt.Errorf("does not match")
	}
	return nil
}

// playback is one file the switch played to a leg of a call.
type playback struct {
	uuid, file  string
	start, stop time.Time
	// when the harness saw the leg's answer and park
	answered, parked time.Time
}

// played waits for the switch to finish playing a file to the call's leg
// of role (after mark).
func (e *switchEnv) played(t *testing.T, ctx context.Context, mark int, id, role string) playback {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ofCall := func(name string, uuid string) func(*esl.Event) bool {
		return func(ev *esl.Event) bool {
			return ev.Name() == name && ev.Var(pbxnames.VarCallID) == id && ev.Var(pbxnames.VarLegRole) == role &&
				(uuid == "" || ev.UniqueID() == uuid)
		}
	}
	ev, start, err := e.rec.wait(wctx, mark, ofCall(esl.EventPlaybackStart, ""))
	if err != nil {
		t.Fatalf("nothing played to the %s: %v\n%s", role, err, e.svc.LogTail(30))
	}
	p := playback{uuid: ev.UniqueID(), file: ev.Get("Playback-File-Path"), start: start}
	if _, p.stop, err = e.rec.wait(wctx, mark, ofCall(esl.EventPlaybackStop, p.uuid)); err != nil {
		t.Fatalf("the %s's playback of %s never stopped: %v", role, p.file, err)
	}
	_, p.answered, _ = e.rec.wait(wctx, mark, ofCall(esl.EventChannelAnswer, p.uuid))
	_, p.parked, _ = e.rec.wait(wctx, mark, ofCall(esl.EventChannelPark, p.uuid))
	return p
}

// heardSpeech checks that c heard speech, not a beep or a tone, from
// since until the playback stopped, for about the rendered file's length.
func heardSpeech(t *testing.T, ctx context.Context, c *sipphone.Call, since time.Time, p playback, who string) sipphone.Sound {
	t.Helper()
	if !strings.HasSuffix(p.file, ".wav") {
		t.Fatalf("the %s heard %q, not a rendered file (no speech)", who, p.file)
	}
	want, err := wavDuration(p.file)
	if err != nil {
		t.Fatal(err)
	}
	// The last frames arrive a moment after the switch says it stopped,
	// and then it may send nothing at all (a parked leg).
	svctest.Eventually(t, "the "+who+"'s last frames of the playback", func() bool {
		f := c.Frames(since, time.Now())
		return len(f) > 0 && (f[len(f)-1].At.After(p.stop.Add(100*time.Millisecond)) || time.Since(f[len(f)-1].At) > 300*time.Millisecond)
	})
	s := sipphone.Summarize(c.Frames(since, p.stop.Add(100*time.Millisecond)))
	t.Logf("%s heard %v of audio (%d audible frames, level spread %.2f, crossing spread %.1f); %s lasts %v",
		who, s.Duration(), s.Audible, s.LevelSpread, s.CrossingSpread, p.file, want)
	if !s.Speech() {
		t.Errorf("what the %s heard is not speech: %+v", who, s)
	}
	// espeak-ng pads its files with a little silence at both ends.
	if d := s.Duration(); d < want-700*time.Millisecond || d > want+300*time.Millisecond {
		t.Errorf("the %s heard %v of audio; the file lasts %v", who, d, want)
	}
	return s
}

// leadWarned takes the lead's call to number, has it answered, and
// checks the recording warning it hears; it returns the call, when it
// rang, and the warning's playback.
func (e *switchEnv) leadWarned(t *testing.T, ctx context.Context, leads *sipphone.Phone, number string, mark int, id string) (*sipphone.Call, time.Time, playback) {
	t.Helper()
	lc, err := nextCallFor(ctx, leads, number)
	if err != nil {
		t.Fatalf("the lead's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	rang := time.Now()
	if err := lc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	warn := e.played(t, ctx, mark, id, "lead")
	heardSpeech(t, ctx, lc, lc.AnsweredAt(), warn, "lead")
	logAnswer(t, "lead", lc, warn)
	return lc, rang, warn
}

// logAnswer logs what followed a phone's answer until p started, and
// until the phone heard it.
func logAnswer(t *testing.T, who string, c *sipphone.Call, p playback) {
	t.Helper()
	ms := func(x time.Time) time.Duration { return x.Sub(c.AnsweredAt()).Round(time.Millisecond) }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	heard, _ := c.WaitAudio(ctx, c.AnsweredAt())
	t.Logf("the %s's answer: phone's 200 OK to CHANNEL_ANSWER %v, to CHANNEL_PARK %v, to PLAYBACK_START %v, to the first audible frame %v",
		who, ms(p.answered), ms(p.parked), ms(p.start), ms(heard))
}

// hangUpConnected hangs up by, waits for other to end too, and checks
// the call ended as connected.
func (e *switchEnv) hangUpConnected(t *testing.T, ctx context.Context, by, other *sipphone.Call, id string) {
	t.Helper()
	if err := by.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if _, result := e.speedResult(t, id); result != "connected" {
		t.Errorf("result %s", result)
	}
}

// speedRecord is the call's record with its timeline's data.
type speedRecord struct {
	Call struct {
		State   string `json:"state"`
		Outcome string `json:"outcome"`
	} `json:"record"`
	Timeline []struct {
		Kind string          `json:"kind"`
		At   time.Time       `json:"at"`
		Data json.RawMessage `json:"data"`
	} `json:"timeline"`
}

// speedResult waits for the call's record to close and returns it with
// the result its speed_outcome names.
func (e *switchEnv) speedResult(t *testing.T, id string) (speedRecord, string) {
	t.Helper()
	var r speedRecord
	svctest.Eventually(t, "call record "+id+" ended", func() bool {
		r = speedRecord{}
		st, _, err := e.svc.admin.Do(http.MethodGet, "/calls/"+id, nil, &r)
		return err == nil && st == http.StatusOK && r.Call.State == "ended"
	})
	for _, x := range r.Timeline {
		if x.Kind == "speed_outcome" {
			var d struct{ Result string }
			json.Unmarshal(x.Data, &d)
			return r, d.Result
		}
	}
	t.Fatalf("no speed_outcome in the timeline of %s", id)
	return r, ""
}

func (r speedRecord) kinds() []string {
	var out []string
	for _, x := range r.Timeline {
		out = append(out, x.Kind)
	}
	return out
}

// A seat manager and press 1: the manager's phone rings and answers and
// hears the announcement spoken (espeak-ng's file, for its length); it
// presses 1, the lead's phone rings and answers and hears the recording
// warning spoken, and then the two are bridged and hear each other. The
// lead hangs up; the record, its timeline and the signed end_call webhook
// say connected.
func TestSpeedCallPress1(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	mgr, mph, w := e.seatWidget(t, "2422", "press1", "press1", "Ann")
	leads := e.leadPhone(t)
	number := speedNumber()

	mark := e.rec.mark()
	asked := time.Now()
	id := w.ask(t, e, map[string]string{"lc_number": number, "lc_param_name": "John Doe", "lc_param_product": "solar panels"})
	mc := e.managerCall(t, ctx, mph)
	rang := time.Now()
	if err := mc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	answered := mc.AnsweredAt()
	spoke, err := mc.WaitAudio(ctx, answered)
	if err != nil {
		t.Fatalf("the manager hears nothing: %v", err)
	}
	ann := e.played(t, ctx, mark, id, "agent")
	heardSpeech(t, ctx, mc, answered, ann, "manager")

	// Nobody dials the lead before the manager presses 1.
	if e.svc.admin.View(t, id).Leg("lead") != "" {
		t.Fatal("the lead was dialed before the manager pressed 1")
	}
	// What the manager hears from now: watched from before it can come.
	ringback, lead := mc.WatchTone(toneRingback), mc.WatchTone(toneLead)
	pressed := time.Now()
	if err := mc.SendDTMF("1"); err != nil {
		t.Fatal(err)
	}
	lc, leadRang, warn := e.leadWarned(t, ctx, leads, number, mark, id)
	// Meanwhile the manager hears ringback, not silence, and not the
	// lead before the warning is over.
	if at, err := ringback(ctx); err != nil || at.After(warn.stop) {
		t.Errorf("the manager heard no ringback while the lead rang and was warned (%v, %v)", at, err)
	}
	if at, err := lead(ctx); err != nil {
		t.Fatalf("the manager never hears the lead: %v", err)
	} else if at.Before(warn.stop) {
		t.Errorf("the manager heard the lead %v before the warning ended", warn.stop.Sub(at))
	}
	hearEachOther(t, ctx, time.Now(), mc, toneLead, lc, toneManager)
	v := e.svc.admin.WaitCall(t, id, "connected")
	if v.Agent != mgr.Seat || !v.Recording {
		t.Errorf("call view %+v", v)
	}
	t.Logf("timings: request to manager's ring %v, answer to announcement %v, press 1 to lead ringing %v",
		rang.Sub(asked).Round(time.Millisecond), spoke.Sub(answered).Round(time.Millisecond), leadRang.Sub(pressed).Round(time.Millisecond))
	logAnswer(t, "seat manager", mc, ann)

	if err := lc.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	r, result := e.speedResult(t, id)
	if result != "connected" || r.Call.Outcome != "answered" {
		t.Errorf("result %s, outcome %s", result, r.Call.Outcome)
	}
	svctest.Subsequence(t, "timeline", r.kinds(), "speed_call", "manager_ringing", "manager_answered", "announcement",
		"manager_prompted", "manager_pressed", "manager_confirmed", "lead_dialing", "lead_answered", "record_warning", "connected", "speed_outcome")
	d := w.hooks.endCall(t, ctx, id)
	if d["status"] != "connected" || d["manager"] != "Ann" || d["lc_number"] != number || d["recording"] == nil {
		t.Errorf("end_call %v", d)
	}
	mgr.WaitState(t, "DISPO")
	mgr.Must(t, http.MethodPost, "/calls/"+id+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
}

// A seat manager who does not answer (the phone rings out): the call
// ends without dialing the lead, as no_manager in the record's timeline
// and the end_call webhook.
func TestSpeedCallManagerNoAnswer(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	mgr, mph := e.seat(t, "2423", "agent", "ring", toneManager)
	ready(t, mgr, "ring")
	mph.SetBehavior("", sipphone.Behavior{Outcome: sipphone.NoAnswer})
	w := e.newSpeedWidget(t, "noanswer", "press1")
	e.seatManager(t, w, "Bob", mgr.Seat)
	id := w.ask(t, e, map[string]string{"lc_number": speedNumber(), "lc_param_name": "Jane Roe"})
	mc := e.managerCall(t, ctx, mph)
	rang := time.Now()
	if err := mc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	r, result := e.speedResult(t, id)
	t.Logf("manager rang for %v; record outcome %s", time.Since(rang).Round(time.Millisecond), r.Call.Outcome)
	if result != "no_manager" {
		t.Errorf("result %s (timeline %v)", result, r.kinds())
	}
	for _, k := range r.kinds() {
		if k == "lead_dialing" {
			t.Fatal("the lead was dialed with no manager on the line")
		}
	}
	if d := w.hooks.endCall(t, ctx, id); d["status"] != "no_manager" || d["manager"] != "" {
		t.Errorf("end_call %v", d)
	}
	// The manager is READY again, not left RINGING.
	mgr.WaitState(t, "READY")
}

// An outside-number manager (verified by the SMS code, reached through
// the carriers' gateway as the lead is) and confirm "stay": staying on
// the line after the announcement connects the lead.
func TestSpeedCallStay(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	leads := e.leadPhone(t)
	w := e.newSpeedWidget(t, "stay", "stay")
	mnum := speedNumber()
	e.numberManager(t, w, "Carl", mnum)
	number := speedNumber()

	mark := e.rec.mark()
	asked := time.Now()
	id := w.ask(t, e, map[string]string{"lc_number": number, "lc_param_name": "Max Mustermann"})
	mc, err := nextCallFor(ctx, leads, mnum)
	if err != nil {
		t.Fatalf("the manager's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	rang := time.Now()
	if err := mc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	ann := e.played(t, ctx, mark, id, "agent")
	heardSpeech(t, ctx, mc, mc.AnsweredAt(), ann, "manager")
	logAnswer(t, "outside manager", mc, ann)
	lc, leadRang, _ := e.leadWarned(t, ctx, leads, number, mark, id)
	// Both ends are the gateway's phone, which sends one tone.
	hearEachOther(t, ctx, time.Now(), mc, toneLead, lc, toneLead)
	e.svc.admin.WaitCall(t, id, "connected")
	t.Logf("timings: request to manager's ring %v, announcement end to lead ringing %v",
		rang.Sub(asked).Round(time.Millisecond), leadRang.Sub(ann.stop).Round(time.Millisecond))
	// The manager hangs up this time.
	e.hangUpConnected(t, ctx, mc, lc, id)
	if d := w.hooks.endCall(t, ctx, id); d["status"] != "connected" || d["manager"] != "Carl" {
		t.Errorf("end_call %v", d)
	}
}

// A lead who does not answer (rings, then 480): the manager, who stayed
// on the line, is hung up; lead_no_answer in the timeline and the webhook.
func TestSpeedCallLeadNoAnswer(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	_, mph, w := e.seatWidget(t, "2424", "leadnoanswer", "stay", "Dana")
	leads := e.leadPhone(t)
	number := speedNumber()
	leads.SetBehavior(number, sipphone.Behavior{Outcome: sipphone.Unavailable, Ring: 2 * time.Second})
	id := w.ask(t, e, map[string]string{"lc_number": number})
	mc := e.managerCall(t, ctx, mph)
	lc, err := nextCallFor(ctx, leads, number)
	if err != nil {
		t.Fatalf("the lead's phone never rang: %v", err)
	}
	if err := lc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mc.WaitEnded(ctx); err != nil {
		t.Fatalf("the manager was left on the line: %v", err)
	}
	r, result := e.speedResult(t, id)
	t.Logf("record outcome %s", r.Call.Outcome)
	if result != "lead_no_answer" {
		t.Errorf("result %s (timeline %v)", result, r.kinds())
	}
	if d := w.hooks.endCall(t, ctx, id); d["status"] != "lead_no_answer" || d["manager"] != "Dana" || d["lc_number"] != number {
		t.Errorf("end_call %v", d)
	}
}

// A manager who presses another key than 1 declines: with nobody else to
// ring the call ends as manager_declined, the lead never dialed, and the
// manager is READY again.
func TestSpeedCallDeclined(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	mgr, mph, w := e.seatWidget(t, "2425", "declined", "press1", "Eve")
	mark := e.rec.mark()
	id := w.ask(t, e, map[string]string{"lc_number": speedNumber(), "lc_param_name": "Sam Poe"})
	mc := e.managerCall(t, ctx, mph)
	if err := mc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	e.played(t, ctx, mark, id, "agent")
	if err := mc.SendDTMF("2"); err != nil {
		t.Fatal(err)
	}
	if err := mc.WaitEnded(ctx); err != nil {
		t.Fatalf("the manager who declined is still on the line: %v", err)
	}
	r, result := e.speedResult(t, id)
	if result != "manager_declined" || slices.Contains(r.kinds(), "lead_dialing") {
		t.Errorf("result %s, timeline %v", result, r.kinds())
	}
	if d := w.hooks.endCall(t, ctx, id); d["status"] != "manager_declined" {
		t.Errorf("end_call %v", d)
	}
	mgr.WaitState(t, "READY")
}

// The lead's first number is busy: its second number (lc_number_2) is
// dialed, answers, hears the warning and talks to the manager.
func TestSpeedCallSecondNumber(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	_, mph, w := e.seatWidget(t, "2426", "second", "stay", "Finn")
	leads := e.leadPhone(t)
	first, second := speedNumber(), speedNumber()
	leads.SetBehavior(first, sipphone.Behavior{Outcome: sipphone.Busy})
	mark := e.rec.mark()
	id := w.ask(t, e, map[string]string{"lc_number": first, "lc_number_2": second})
	mc := e.managerCall(t, ctx, mph)
	busy, err := nextCallFor(ctx, leads, first)
	if err != nil {
		t.Fatalf("the first number never rang: %v", err)
	}
	if err := busy.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	lc, _, _ := e.leadWarned(t, ctx, leads, second, mark, id)
	hearEachOther(t, ctx, time.Now(), mc, toneLead, lc, toneManager)
	e.hangUpConnected(t, ctx, mc, lc, id)
	if d := w.hooks.endCall(t, ctx, id); d["status"] != "connected" || d["lc_number"] != second {
		t.Errorf("end_call %v", d)
	}
}

// A visitor's request from the widget on the site's page (the same
// request the embedded widget.js sends, with the site's Origin): the
// outside manager is rung, stays on the line, and the visitor is
// connected; the request's row in the widget's Calls ends connected.
func TestSpeedCallFromWidget(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	leads := e.leadPhone(t)
	w := e.newSpeedWidget(t, "visitor", "stay")
	mnum := speedNumber()
	e.numberManager(t, w, "Vera", mnum)
	number := speedNumber()

	b, _ := json.Marshal(map[string]string{"number": number, "page": "https://visitor.example/pricing"})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/widget/%s/requests", e.svc.URL, w.key), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://visitor.example")
	req.Header.Set("X-Requested-With", "agentswitch")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != "https://visitor.example" {
		t.Fatalf("widget request: %d %v %s", resp.StatusCode, resp.Header, raw)
	}
	mc, err := nextCallFor(ctx, leads, mnum)
	if err != nil {
		t.Fatalf("the manager's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := mc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	lc, err := nextCallFor(ctx, leads, number)
	if err != nil {
		t.Fatalf("the visitor's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := lc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	hearEachOther(t, ctx, time.Now(), mc, toneLead, lc, toneLead)
	var page struct {
		Requests []struct {
			ID     int64             `json:"id"`
			Source string            `json:"source"`
			Status string            `json:"status"`
			CallID string            `json:"call_id"`
			Params map[string]string `json:"params"`
		} `json:"requests"`
	}
	e.svc.admin.Must(t, http.MethodGet, fmt.Sprintf("/widget-requests?widget_id=%d", w.id), nil, 200, &page)
	if len(page.Requests) != 1 || page.Requests[0].Source != "widget" || page.Requests[0].CallID == "" {
		t.Fatalf("requests %+v", page.Requests)
	}
	id := page.Requests[0].CallID
	e.svc.admin.WaitCall(t, id, "connected")
	e.hangUpConnected(t, ctx, lc, mc, id)
	e.svc.admin.Must(t, http.MethodGet, fmt.Sprintf("/widget-requests?widget_id=%d", w.id), nil, 200, &page)
	if r := page.Requests[0]; r.Status != "connected" || r.Params["page"] == "" {
		t.Fatalf("request after the call %+v", r)
	}
}
