package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/redistest"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// svc is the whole service as `agentswitch serve` runs it, pointed at a
// simulator the test controls, reached over HTTP and the event stream.
type svc struct {
	t     *testing.T
	url   string
	sim   *sim.Server
	admin *user
	proc  *inProcess
	// varDir holds the service's database.
	varDir string
}

// user is a logged-in session, bound to the test for terse calls.
type user struct {
	*svctest.Client
	s *svc
}

func (s *svc) login(name, password string) *user {
	s.t.Helper()
	c, err := svctest.Login(s.url, name, password)
	if err != nil {
		s.t.Fatal(err)
	}
	return &user{Client: c, s: s}
}

// do sends a JSON request and returns the status, the body decoded into out.
func (u *user) do(method, path string, body any, out any) int {
	u.s.t.Helper()
	st, _, err := u.Do(method, path, body, out)
	if err != nil {
		u.s.t.Fatal(err)
	}
	return st
}

func (u *user) must(method, path string, body any, status int, out any) {
	u.s.t.Helper()
	u.Must(u.s.t, method, path, body, status, out)
}

func startService(t *testing.T, extra ...string) *svc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	return startServiceUntil(t, ctx, cancel, extra...)
}

// startSim runs a simulator the test controls, password s3cret.
func startSim(t *testing.T) *sim.Server {
	t.Helper()
	sm := sim.New(sim.Config{Password: "s3cret", AnswerDelay: 30 * time.Millisecond, RecordingsDir: t.TempDir()})
	if err := sm.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { sm.Serve(ctx); close(simDone) }()
	t.Cleanup(func() { cancel(); <-simDone })
	return sm
}

// startServiceUntil is startService stopped by sctx (cancel when the test
// stops it).
func startServiceUntil(t *testing.T, sctx context.Context, scancel func(), extra ...string) *svc {
	t.Helper()
	sm := startSim(t)
	varDir := t.TempDir()
	p := serveUntil(t, sctx, scancel, append([]string{"-http-addr", "127.0.0.1:0", "-var-dir", varDir, "-esl-addr", sm.Addr(), "-esl-password", "s3cret",
		"-xml-curl-secret", testXMLCurlSecret, "-abandon-message", "/usr/share/agentswitch/abandon.wav", "-caller-id", "+15551230000"}, extra...)...)
	s := &svc{t: t, sim: sm, url: p.url, proc: p, varDir: varDir}
	s.admin = s.login("admin", p.adminPassword(t))
	return s
}

// agent creates a user with a seat (as the admin) and logs it in.
func (s *svc) agent(name, ext, mode string) *user {
	s.t.Helper()
	var created struct{ ID int64 }
	s.admin.must(http.MethodPost, "/users", map[string]any{"username": name, "password": name + "-password", "role": "agent", "display_name": name}, 201, &created)
	s.admin.must(http.MethodPost, "/agents", map[string]any{"name": name, "extension": ext, "sip_password": "sip-" + name + "-1", "user_id": created.ID, "mode": mode}, 201, nil)
	return s.login(name, name+"-password")
}

func (u *user) ready(mode string) {
	u.s.t.Helper()
	u.must(http.MethodPost, fmt.Sprintf("/agents/%d/login", u.Seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": mode}, 200, nil)
	u.must(http.MethodPost, fmt.Sprintf("/agents/%d/ready", u.Seat), nil, 200, nil)
}

type view = svctest.CallView

// stream is a WebSocket subscription that records every message.
type stream struct {
	mu   sync.Mutex
	msgs []map[string]any
	conn *websocket.Conn
}

func (u *user) stream() *stream {
	u.s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := http.Header{}
	for _, c := range u.Cookies() {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	conn, _, err := websocket.Dial(ctx, strings.Replace(u.s.url, "http", "ws", 1)+"/api/v1/stream", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		cancel()
		u.s.t.Fatal(err)
	}
	conn.SetReadLimit(1 << 22)
	st := &stream{conn: conn}
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				st.mu.Lock()
				st.msgs = append(st.msgs, m)
				st.mu.Unlock()
			}
		}
	}()
	u.s.t.Cleanup(func() { cancel(); conn.CloseNow() })
	return st
}

// types lists the message types received, in order, for one call ("" =
// all), agent states included as "state:<STATE>".
func (st *stream) types(call string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, m := range st.msgs {
		typ, _ := m["type"].(string)
		if typ == "agent.state" {
			if a, ok := m["agent"].(map[string]any); ok {
				out = append(out, "state:"+fmt.Sprint(a["state"]))
			}
			continue
		}
		if call == "" || m["call_id"] == call {
			out = append(out, typ)
		}
	}
	return out
}

func (st *stream) first() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.msgs) == 0 {
		return ""
	}
	t, _ := st.msgs[0]["type"].(string)
	return t
}

func (s *svc) commands() []string {
	var out []string
	for _, c := range s.sim.Commands() {
		line, _, _ := strings.Cut(c, "\n")
		out = append(out, strings.TrimSuffix(line, "\r"))
	}
	return out
}

func (s *svc) sent(t *testing.T, cmd string) {
	t.Helper()
	svctest.Eventually(t, "command "+cmd, func() bool { return slices.Contains(s.commands(), cmd) })
}

// TestFullStackLeadCall: the lead-call API, the ring-mode agent, every
// in-call control over HTTP, the exact switch commands, the agent's and
// the supervisor's event streams, wrap-up with a callback, the record.
func TestFullStackLeadCall(t *testing.T) {
	s := startService(t)
	alice := s.agent("alice", "1001", "ring")
	ws := alice.stream()
	sup := s.admin.stream()
	alice.ready("ring")
	s.sim.SetEndpoint("+15557654321", sim.Behavior{AnswerAfter: 50 * time.Millisecond})

	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+1 (555) 765-4321", "fields": map[string]string{"plan": "gold"}}, 201, &v)
	v = s.admin.WaitCall(t, v.ID, "connected")
	lead, agentLeg := v.Leg("lead"), v.Leg("agent")
	s.sent(t, "api uuid_bridge "+lead+" "+agentLeg)
	if v.Agent != alice.Seat {
		t.Fatalf("call agent %d", v.Agent)
	}
	controls := []struct{ path, cmd string }{
		{"hold", "api uuid_broadcast " + lead + " ${hold_music} aleg"},
		{"unhold", "api uuid_break " + lead + " all"},
		{"mute", "api uuid_audio " + agentLeg + " start read mute 1"},
		{"unmute", "api uuid_audio " + agentLeg + " stop"},
	}
	for _, c := range controls {
		alice.must(http.MethodPost, "/calls/"+v.ID+"/"+c.path, nil, 204, nil)
		s.sent(t, c.cmd)
	}
	svctest.Eventually(t, "unheld", func() bool { return !alice.View(t, v.ID).Held })
	alice.must(http.MethodPost, "/calls/"+v.ID+"/dtmf", map[string]any{"digits": "12#"}, 204, nil)
	s.sent(t, "api uuid_send_dtmf "+lead+" 12#")
	alice.must(http.MethodPost, "/calls/"+v.ID+"/recording", map[string]any{"on": true}, 204, nil)
	svctest.Eventually(t, "recording", func() bool { return alice.View(t, v.ID).Recording })
	alice.must(http.MethodPost, "/calls/"+v.ID+"/recording", map[string]any{"on": false}, 204, nil)
	svctest.Eventually(t, "recording stopped", func() bool { return !alice.View(t, v.ID).Recording })
	alice.must(http.MethodPost, "/calls/"+v.ID+"/hangup", nil, 204, nil)
	s.sent(t, "api uuid_kill "+lead+" NORMAL_CLEARING")
	alice.WaitState(t, "DISPO")

	// Two days ahead on the service's clock (moved in a run on another
	// date), which decides what is in the past.
	due := clock.System()().Add(48 * time.Hour).In(time.UTC)
	alice.must(http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "CALLBK", "notes": "after lunch",
		"callback": map[string]any{"date": due.Format("2006-01-02"), "time": "14:30", "time_zone": "America/New_York"}}, 200, nil)
	alice.WaitState(t, "READY")

	if ws.first() != "snapshot" || sup.first() != "snapshot" {
		t.Fatalf("streams did not start with a snapshot: %q %q", ws.first(), sup.first())
	}
	svctest.Eventually(t, "call.ended pushed", func() bool { return slices.Contains(ws.types(v.ID), "call.ended") })
	// The API answers READY before the stream has carried it.
	svctest.Eventually(t, "READY pushed after the call", func() bool {
		all := ws.types("")
		return slices.Contains(all[slices.Index(all, "call.ended"):], "state:READY")
	})
	svctest.Subsequence(t, "alice's stream", ws.types(""), "state:READY", "state:RESERVED", "state:RINGING", "state:INCALL",
		"call.held", "call.unheld", "call.muted", "call.unmuted", "call.dtmf", "call.recording_started", "call.recording_stopped",
		"state:DISPO", "call.ended", "state:READY")
	// The supervisor's is another connection: it may trail alice's.
	svctest.Eventually(t, "call.disposed pushed to the supervisor", func() bool { return slices.Contains(sup.types(v.ID), "call.disposed") })
	svctest.Subsequence(t, "supervisor's stream", sup.types(v.ID), "call.created", "call.ringing", "call.answered", "call.connected", "call.ended", "call.disposed")

	r := alice.Record(t, v.ID)
	if r.Call.Outcome != "answered" || r.Call.Disposition != "CALLBK" || r.Call.HangupCause != "NORMAL_CLEARING" || len(r.Legs) != 2 {
		t.Fatalf("record %+v", r)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "created", "ringing", "answered", "agent_reserved", "bridged", "hold", "unhold", "mute", "unmute", "dtmf", "recording_started", "recording_stopped", "ended", "disposition")
	var list struct {
		Callbacks []struct {
			Status string
			DueAt  time.Time `json:"due_at"`
		}
	}
	alice.must(http.MethodGet, "/callbacks?scope=mine", nil, 200, &list)
	cbs := list.Callbacks
	ny, _ := time.LoadLocation("America/New_York")
	want := time.Date(due.Year(), due.Month(), due.Day(), 14, 30, 0, 0, ny)
	if len(cbs) != 1 || !cbs[0].DueAt.Equal(want) {
		t.Fatalf("callbacks %+v, want one due %s", cbs, want)
	}
}

// TestFullStackModesAbandonManualWarm covers persistent mode, the abandon
// path, manual dial and a warm transfer where the agent leaves.
func TestFullStackModesAbandonManualWarm(t *testing.T) {
	s := startService(t)
	alice := s.agent("alice", "1001", "ring")
	bob := s.agent("bob", "1002", "persistent")

	// Abandon: nobody is READY.
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15550002222"}, 201, &v)
	r := s.admin.Record(t, v.ID)
	if r.Call.Outcome != "abandoned" {
		t.Fatalf("abandon record %+v", r.Call)
	}
	leadLeg := r.Legs[0]["id"].(string)
	s.sent(t, "api uuid_transfer "+leadLeg+" playback:/usr/share/agentswitch/abandon.wav,hangup inline")

	// Persistent: bob's line is up before the lead answers; no ringing.
	bob.ready("persistent")
	s.sim.ResetCommands()
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15550003333", "agent_id": bob.Seat}, 201, &v)
	v = s.admin.WaitCall(t, v.ID, "connected")
	s.sent(t, "api uuid_bridge "+v.Leg("lead")+" "+v.Leg("agent"))
	for _, c := range s.commands() {
		if strings.HasPrefix(c, "bgapi originate") && strings.Contains(c, "user/1002") {
			t.Fatalf("persistent agent rung per call: %q", c)
		}
	}
	s.sim.Hangup(v.Leg("lead"), "NORMAL_CLEARING")
	bob.WaitState(t, "DISPO")
	bob.must(http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
	bob.WaitState(t, "READY")

	// Manual dial: alice's phone first, then the lead from her channel.
	alice.must(http.MethodPost, fmt.Sprintf("/agents/%d/login", alice.Seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}}, 200, nil)
	alice.must(http.MethodPost, fmt.Sprintf("/agents/%d/dial", alice.Seat), map[string]any{"number": "(555) 000-4444"}, 201, &v)
	v = s.admin.WaitCall(t, v.ID, "connected")
	s.sent(t, "api uuid_transfer "+v.Leg("agent")+" m:^:set:continue_on_fail=true^bridge:{origination_uuid="+v.Leg("lead")+",originate_timeout=30,origination_caller_id_number=+15551230000,agentswitch_call_id="+v.ID+",agentswitch_campaign_id="+fmt.Sprint(v.Campaign)+",agentswitch_leg_role=lead,park_after_bridge=true}sofia/gateway/carrier/+15550004444^hangup inline")

	// Warm transfer on the manual call: conference the target, then leave.
	var p struct {
		Leg string `json:"leg_id"`
	}
	alice.must(http.MethodPost, "/calls/"+v.ID+"/parties", map[string]any{"number": "+15550005555"}, 201, &p)
	svctest.Eventually(t, "leave accepted", func() bool {
		return alice.do(http.MethodPost, "/calls/"+v.ID+"/leave", nil, nil) == 204
	})
	alice.WaitState(t, "DISPO")
	svctest.Eventually(t, "agent left", func() bool { return alice.View(t, v.ID).AgentLeft })
	if got := alice.View(t, v.ID).State; got != "conference" {
		t.Fatalf("after leave the call is %s", got)
	}
	alice.must(http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
	s.sim.Hangup(p.Leg, "NORMAL_CLEARING")
	r = alice.Record(t, v.ID)
	svctest.Subsequence(t, "warm transfer timeline", r.Kinds(), "bridged", "conference", "party_added", "agent_left", "ended")
}

// TestFullStackForbiddenAndBadInput: role and ownership pairs answered
// 403 (401 anonymous), bad numbers and injections 400 naming the field,
// with nothing written and nothing sent to the switch.
func TestFullStackForbiddenAndBadInput(t *testing.T) {
	s := startService(t)
	alice := s.agent("alice", "1001", "ring")
	bob := s.agent("bob", "1002", "ring")
	alice.ready("ring")
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15550006666"}, 201, &v)
	s.admin.WaitCall(t, v.ID, "connected")

	anon := &user{Client: svctest.NewClient(s.url), s: s}
	for _, c := range []struct {
		u            *user
		method, path string
		body         any
		want         int
	}{
		{bob, http.MethodPost, "/calls/" + v.ID + "/hold", nil, 403},
		{bob, http.MethodPost, "/calls/" + v.ID + "/hangup", nil, 403},
		{bob, http.MethodPost, "/calls/" + v.ID + "/dtmf", map[string]any{"digits": "1"}, 403},
		{bob, http.MethodPost, "/calls/" + v.ID + "/transfer", map[string]any{"number": "+15550001111"}, 403},
		{bob, http.MethodPost, fmt.Sprintf("/agents/%d/ready", alice.Seat), nil, 403},
		{bob, http.MethodPost, fmt.Sprintf("/agents/%d/dial", alice.Seat), map[string]any{"number": "+15550001111"}, 403},
		{bob, http.MethodGet, fmt.Sprintf("/agents/%d", alice.Seat), nil, 403},
		{alice, http.MethodPost, "/calls", map[string]any{"number": "+15550001111"}, 403},
		{alice, http.MethodGet, "/calls/live", nil, 403},
		{alice, http.MethodPost, "/users", map[string]any{"username": "x", "password": "xxxxxxxxxx", "role": "admin"}, 403},
		{anon, http.MethodGet, "/calls/live", nil, 401},
		{anon, http.MethodPost, "/calls", map[string]any{"number": "+15550001111"}, 401},
	} {
		if got := c.u.do(c.method, c.path, c.body, nil); got != c.want {
			t.Errorf("%s %s as %s: %d, want %d", c.method, c.path, c.u.Name, got, c.want)
		}
	}

	var before struct{ Calls []map[string]any }
	s.admin.must(http.MethodGet, "/calls", nil, 200, &before)
	// The switch's node, read once when it came up (gateways, then its
	// health), is not a refused request: wait for that read to end.
	s.sent(t, "api status")
	s.sim.ResetCommands()
	for _, n := range []string{"1001,user/1002", "+1555{x}1234", "+1555|1234567", "+15551234;1", "^^:a=b", "+1555[1]234", "+1555<1>234", "+1555\n1234567", "+1555 user/1", "abc", "", "+", "12"} {
		var e struct{ Error struct{ Field string } }
		if got := s.admin.do(http.MethodPost, "/calls", map[string]any{"number": n}, &e); got != 400 || e.Error.Field != "number" {
			t.Errorf("number %q: %d field %q", n, got, e.Error.Field)
		}
	}
	for _, c := range []struct {
		u     *user
		path  string
		body  map[string]any
		field string
	}{
		{s.admin, "/calls", map[string]any{"number": "+15550001111", "caller_id_name": "Evil, Inc"}, "caller_id_name"},
		{s.admin, "/calls", map[string]any{"number": "+15550001111", "caller_id_number": "1;2"}, "caller_id_number"},
		{alice, "/calls/" + v.ID + "/dtmf", map[string]any{"digits": "1\nbgapi originate"}, "digits"},
		{alice, "/calls/" + v.ID + "/transfer", map[string]any{"number": "1001|user/1002"}, "number"},
		{alice, "/calls/" + v.ID + "/parties", map[string]any{"number": "+1555{a}"}, "number"},
		{alice, fmt.Sprintf("/agents/%d/pause", alice.Seat), map[string]any{"code": "BREAK\nX"}, "code"},
		{alice, fmt.Sprintf("/agents/%d/login", alice.Seat), map[string]any{"endpoint": map[string]any{"kind": "phone", "phone": "+1 900 555 0199"}}, "endpoint.phone"},
		{alice, fmt.Sprintf("/agents/%d/login", alice.Seat), map[string]any{"endpoint": map[string]any{"kind": "phone", "phone": "+1 212 555 0100"}}, "endpoint.phone"},
	} {
		var e struct{ Error struct{ Field string } }
		if got := c.u.do(http.MethodPost, c.path, c.body, &e); got != 400 || e.Error.Field != c.field {
			t.Errorf("%s %v: %d field %q, want 400 %q", c.path, c.body, got, e.Error.Field, c.field)
		}
	}
	var after struct{ Calls []map[string]any }
	s.admin.must(http.MethodGet, "/calls", nil, 200, &after)
	if len(after.Calls) != len(before.Calls) {
		t.Errorf("refused requests wrote %d calls", len(after.Calls)-len(before.Calls))
	}
	// The service reads the switch's state on its own (the gateways once
	// more 5 s after the node came up): those reads are not the refused
	// requests'.
	cmds := slices.DeleteFunc(s.commands(), func(c string) bool { return c == "api sofia status" || c == "api status" })
	if len(cmds) != 0 {
		t.Errorf("refused requests reached the switch: %q", cmds)
	}
}

// TestFullStackSwitchDown: with the switch gone, POST /calls and a manual
// dial answer 503 naming the switch, and no call is recorded.
func TestFullStackSwitchDown(t *testing.T) {
	s := startService(t)
	alice := s.agent("alice", "1001", "ring")
	alice.ready("ring")
	s.sim.Close()
	svctest.Eventually(t, "switch reported down", func() bool {
		resp, err := http.Get(s.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	for _, c := range []struct {
		u    *user
		path string
		body map[string]any
	}{
		{s.admin, "/calls", map[string]any{"number": "+15557654321", "agent_id": alice.Seat}},
		{alice, fmt.Sprintf("/agents/%d/dial", alice.Seat), map[string]any{"number": "+15557654322"}},
	} {
		var e struct{ Error struct{ Message string } }
		if got := c.u.do(http.MethodPost, c.path, c.body, &e); got != http.StatusServiceUnavailable || !strings.Contains(e.Error.Message, "switch") {
			t.Errorf("%s with the switch down: %d %q, want 503 naming the switch", c.path, got, e.Error.Message)
		}
	}
	var calls struct{ Calls []map[string]any }
	s.admin.must(http.MethodGet, "/calls", nil, 200, &calls)
	if len(calls.Calls) != 0 {
		t.Errorf("refused dials recorded calls: %v", calls.Calls)
	}
}

// TestFullStackRedisOutage: with its Redis gone mid-call the service
// keeps the call, refuses new calls with 503 before dialing anything and
// answers reads with 503; when Redis is back the agents are as they were
// and calls flow again.
func TestFullStackRedisOutage(t *testing.T) {
	rs := redistest.StartPersistent(t)
	s := startService(t, "-redis-url", rs.URL())
	alice := s.agent("alice", "1001", "ring")
	bob := s.agent("bob", "1002", "ring")
	alice.ready("ring")
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15557654321", "agent_id": alice.Seat}, 201, &v)
	s.admin.WaitCall(t, v.ID, "connected")
	bob.ready("ring")
	originates := func() int {
		n := 0
		for _, c := range s.sim.Commands() {
			if strings.Contains(c, "originate") {
				n++
			}
		}
		return n
	}

	rs.Stop()
	before := originates()
	if got := bob.do(http.MethodGet, fmt.Sprintf("/agents/%d", bob.Seat), nil, nil); got != http.StatusServiceUnavailable {
		t.Fatalf("an agent read with Redis down: %d, want 503", got)
	}
	// Calls are refused from the moment the service has seen Redis fail
	// (a read, as here, or its sweeps within a quarter second), without a
	// round trip of their own.
	var e struct{ Error struct{ Message string } }
	if got := s.admin.do(http.MethodPost, "/calls", map[string]any{"number": "+15557654322"}, &e); got != http.StatusServiceUnavailable {
		t.Fatalf("a call with Redis down: %d %q, want 503", got, e.Error.Message)
	}
	if n := originates() - before; n != 0 {
		t.Fatalf("%d originates while Redis was down", n)
	}
	// The call in progress is the switch's: it is still there.
	var live struct{ View *view }
	if got := alice.do(http.MethodGet, "/calls/"+v.ID, nil, &live); got != http.StatusOK || live.View == nil || live.View.State != "connected" {
		t.Fatalf("the call during the outage: %d %+v", got, live.View)
	}

	rs.Restart()
	state := func(u *user) string {
		var a struct{ State string }
		if u.do(http.MethodGet, fmt.Sprintf("/agents/%d", u.Seat), nil, &a) != http.StatusOK {
			return ""
		}
		return a.State
	}
	svctest.Eventually(t, "agents as they were", func() bool {
		return state(alice) == "INCALL" && state(bob) == "READY"
	})
	var v2 view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15557654323", "agent_id": bob.Seat}, 201, &v2)
	s.admin.WaitCall(t, v2.ID, "connected")
}
