package dialer_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/identity"
)

// Speed calls in a bubble: the managers' race by sequence, confirmation,
// the lead's two numbers, recording, busy agents and Done.

// speedDone keeps every outcome a speed call's Done was given.
type speedDone struct {
	mu   sync.Mutex
	outs []dialer.SpeedOutcome
}

func (d *speedDone) done(o dialer.SpeedOutcome) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.outs = append(d.outs, o)
}

func (d *speedDone) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.outs)
}

// wait waits for the outcome, lets everything still in flight settle,
// and checks Done was called exactly once.
func (d *speedDone) wait(t *testing.T) dialer.SpeedOutcome {
	t.Helper()
	waitFor(t, 2*time.Minute, "speed call done", func() bool { return d.count() > 0 })
	synctest.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.outs) != 1 {
		t.Fatalf("Done called %d times: %+v", len(d.outs), d.outs)
	}
	return d.outs[0]
}

// speedRequest is a request with external managers at numbers (positions
// in that order), for the lead's numbers.
func speedRequest(seq ring.Strategy, managers []string, lead ...string) (dialer.SpeedCall, *speedDone) {
	d := &speedDone{}
	r := dialer.SpeedCall{Sequence: seq, Numbers: lead, CallerID: "+15550009999", RingSeconds: 5,
		Announcement: "A lead from the pricing page", Done: d.done}
	for i, n := range managers {
		r.Managers = append(r.Managers, dialer.SpeedManager{Name: "Manager " + n[len(n)-1:], Number: n, Position: i})
	}
	return r, d
}

// speedEnd waits for the call's outcome and its ended record.
func (w *world) speedEnd(id dialer.CallID, d *speedDone) (dialer.SpeedOutcome, dialer.Call, []string) {
	w.t.Helper()
	out := d.wait(w.t.(*testing.T))
	c, kinds := w.record(id)
	return out, c, kinds
}

func (w *world) startSpeed(r dialer.SpeedCall) dialer.CallView {
	w.t.Helper()
	v, err := w.eng.StartSpeedCall(w.ctx(), w.admin, r)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// timeline is the call's recorded events so far.
func (w *world) timeline(id dialer.CallID) []dialer.CallEvent {
	w.t.Helper()
	evs, err := w.db.CallEvents(w.ctx(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

// eventsOf are the call's events of kind.
func (w *world) eventsOf(id dialer.CallID, kind string) []dialer.CallEvent {
	var out []dialer.CallEvent
	for _, e := range w.timeline(id) {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// waitEvent waits for the call's nth (from 1) event of kind.
func (w *world) waitEvent(id dialer.CallID, kind string, nth int) dialer.CallEvent {
	w.t.Helper()
	var ev dialer.CallEvent
	waitFor(w.t, time.Minute, kind, func() bool {
		evs := w.eventsOf(id, kind)
		if len(evs) < nth {
			return false
		}
		ev = evs[nth-1]
		return true
	})
	return ev
}

// managersRung is which managers rang, in order, and when (from the first).
func (w *world) managersRung(id dialer.CallID) (idx []string, at []time.Duration) {
	evs := w.eventsOf(id, "manager_ringing")
	for _, e := range evs {
		var m struct{ Manager int }
		_ = json.Unmarshal(e.Data, &m)
		idx = append(idx, string(rune('0'+m.Manager)))
		at = append(at, e.At.Sub(evs[0].At))
	}
	return idx, at
}

func TestSpeedCallRingAllFirstAnswerWins(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.sim.SetEndpoint("+15550001001", sim.Behavior{Outcome: sim.NoAnswer})
		w.sim.SetEndpoint("+15550001002", sim.Behavior{AnswerAfter: 300 * time.Millisecond})
		w.sim.SetEndpoint("+15550001003", sim.Behavior{AnswerAfter: 2 * time.Second})
		w.sim.SetEndpoint("+15550002001", sim.Behavior{AnswerAfter: time.Second, HangupAfter: 3 * time.Second})
		r, d := speedRequest(ring.RingAll, []string{"+15550001001", "+15550001002", "+15550001003"}, "+15550002001")
		v := w.startSpeed(r)
		if v.Origin != dialer.OriginWidget || v.ID == "" {
			t.Fatalf("view %+v", v)
		}
		out, c, kinds := w.speedEnd(v.ID, d)
		if out.Result != dialer.SpeedConnected || out.Manager != 1 || out.Number != "+15550002001" || out.TalkSeconds < 2 {
			t.Fatalf("outcome %+v", out)
		}
		idx, at := w.managersRung(v.ID)
		if !slices.Equal(idx, []string{"0", "1", "2"}) || at[1] != 0 || at[2] != 0 {
			t.Errorf("ring-all rang %v at %v, want everyone at once", idx, at)
		}
		inOrder(t, "timeline", kinds, "speed_call", "manager_ringing", "manager_answered", "announcement",
			"manager_confirmed", "lead_dialing", "lead_answered", "connected", "speed_outcome")
		if c.Outcome != dialer.OutcomeAnswered || c.Origin != dialer.OriginWidget || c.ToNumber != "+15550002001" {
			t.Errorf("record %+v", c)
		}
		// The slower manager lost the race: its phone was hung up.
		lost := w.eventsOf(v.ID, "manager_ringing")[2].Leg
		w.mustSend("api uuid_kill " + string(lost) + " LOSE_RACE")
		// Without an Announcer the manager hears a beep, never the text.
		for _, cmd := range w.commands() {
			if strings.Contains(cmd, "pricing") {
				t.Errorf("the announcement's text reached the switch: %s", cmd)
			}
		}
		contains(t, "events", w.events.CallTypes(v.ID), "call.created", "call.connected", "call.ended")
	})
}

// The sequences: who rings when, nobody answering.
func TestSpeedCallSequences(t *testing.T) {
	nums := []string{"+15550001101", "+15550001102", "+15550001103"}
	tests := []struct {
		seq   ring.Strategy
		ranks []int
		order []string
		// gapMin, gapMax bound the time from one manager ringing out to
		// the next one ringing (the ring lasts 5 s).
		gapMin, gapMax time.Duration
	}{
		{seq: ring.RingAll, order: []string{"0", "1", "2"}},
		{seq: ring.TopDown, order: []string{"0", "1", "2"}, gapMin: 0, gapMax: time.Second},
		{seq: ring.ByRank, ranks: []int{1, 3, 2}, order: []string{"1", "2", "0"}, gapMin: 0, gapMax: time.Second},
		{seq: ring.RandomStagger, gapMin: 5 * time.Second, gapMax: 11 * time.Second},
	}
	for _, tc := range tests {
		t.Run(string(tc.seq), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				w := newWorld(t)
				for _, n := range nums {
					w.sim.SetEndpoint(n, sim.Behavior{Outcome: sim.NoAnswer})
				}
				r, d := speedRequest(tc.seq, nums, "+15550002101")
				for i := range tc.ranks {
					r.Managers[i].Rank = tc.ranks[i]
				}
				v := w.startSpeed(r)
				out, _, _ := w.speedEnd(v.ID, d)
				if out.Result != dialer.SpeedNoManager || out.Manager != -1 {
					t.Fatalf("outcome %+v", out)
				}
				idx, at := w.managersRung(v.ID)
				if len(idx) != 3 {
					t.Fatalf("rang %v", idx)
				}
				if tc.order != nil && !slices.Equal(idx, tc.order) {
					t.Errorf("order %v, want %v", idx, tc.order)
				}
				if n := w.count("bgapi originate"); n != 3 {
					t.Errorf("%d originates, want one per manager", n)
				}
				for i := 1; i < len(at); i++ {
					if tc.seq == ring.RingAll {
						if at[i] != 0 {
							t.Errorf("manager %s rang at %v", idx[i], at[i])
						}
						continue
					}
					gap := at[i] - at[i-1] - 5*time.Second
					if gap < tc.gapMin || gap > tc.gapMax {
						t.Errorf("manager %s rang %v after the one before rang out, want %v-%v", idx[i], gap, tc.gapMin, tc.gapMax)
					}
				}
				if len(w.eventsOf(v.ID, "manager_no_answer")) != 3 {
					t.Errorf("no-answers %v", w.eventsOf(v.ID, "manager_no_answer"))
				}
			})
		})
	}
}

// Confirmation: 1 connects; another key or silence passes to the next
// manager.
func TestSpeedCallConfirm(t *testing.T) {
	tests := []struct {
		name    string
		seq     ring.Strategy
		digit   string
		manager int
	}{
		{"pressed 1", ring.TopDown, "1", 0},
		{"pressed 2", ring.TopDown, "2", 1},
		{"pressed nothing", ring.TopDown, "", 1},
		// The one who lost the race is rung again.
		{"ring-all, pressed 2", ring.RingAll, "2", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				w := newWorld(t)
				w.sim.SetEndpoint("+15550001201", sim.Behavior{AnswerAfter: 100 * time.Millisecond})
				w.sim.SetEndpoint("+15550001202", sim.Behavior{AnswerAfter: time.Second})
				w.sim.SetEndpoint("+15550002201", sim.Behavior{HangupAfter: 2 * time.Second})
				r, d := speedRequest(tc.seq, []string{"+15550001201", "+15550001202"}, "+15550002201")
				r.Confirm = true
				v := w.startSpeed(r)
				first := w.waitEvent(v.ID, "manager_prompted", 1)
				if tc.digit != "" {
					if !w.sim.SendDTMF(string(first.Leg), tc.digit) {
						t.Fatal("manager's leg gone")
					}
				}
				if tc.manager == 1 {
					second := w.waitEvent(v.ID, "manager_prompted", 2)
					w.sim.SendDTMF(string(second.Leg), "1")
					if tc.digit == "" && second.At.Sub(first.At) < 10*time.Second {
						t.Errorf("the next manager was asked %v after the first, before its 10 s", second.At.Sub(first.At))
					}
				}
				out, _, kinds := w.speedEnd(v.ID, d)
				if out.Result != dialer.SpeedConnected || out.Manager != tc.manager {
					t.Fatalf("outcome %+v", out)
				}
				if tc.manager == 1 {
					inOrder(t, "timeline", kinds, "manager_answered", "manager_prompted", "manager_declined",
						"manager_ringing", "manager_answered", "manager_prompted", "manager_pressed", "manager_confirmed", "lead_dialing", "connected")
				} else {
					inOrder(t, "timeline", kinds, "manager_prompted", "manager_pressed", "manager_confirmed", "lead_dialing", "connected")
				}
			})
		})
	}
}

// The lead's first number fails: the second is dialed; both fail: the
// outcome says how the last one did.
func TestSpeedCallLeadNumbers(t *testing.T) {
	tests := []struct {
		name   string
		first  sim.Behavior
		second *sim.Behavior
		result string
		number string
	}{
		{"busy then answered", sim.Behavior{Outcome: sim.Busy}, &sim.Behavior{HangupAfter: time.Second}, dialer.SpeedConnected, "+15550002302"},
		{"unreachable then answered", sim.Behavior{Outcome: sim.Unreachable}, &sim.Behavior{HangupAfter: time.Second}, dialer.SpeedConnected, "+15550002302"},
		{"no answer twice", sim.Behavior{Outcome: sim.NoAnswer}, &sim.Behavior{Outcome: sim.NoAnswer}, dialer.SpeedLeadNoAnswer, "+15550002302"},
		{"one number, no answer", sim.Behavior{Outcome: sim.NoAnswer}, nil, dialer.SpeedLeadNoAnswer, "+15550002301"},
		{"one number, busy", sim.Behavior{Outcome: sim.Busy}, nil, dialer.SpeedLeadBusy, "+15550002301"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				w := newWorld(t)
				lead := []string{"+15550002301"}
				w.sim.SetEndpoint(lead[0], tc.first)
				if tc.second != nil {
					lead = append(lead, "+15550002302")
					w.sim.SetEndpoint(lead[1], *tc.second)
				}
				r, d := speedRequest(ring.RingAll, []string{"+15550001301"}, lead...)
				v := w.startSpeed(r)
				out, _, _ := w.speedEnd(v.ID, d)
				if out.Result != tc.result || out.Number != tc.number || out.Manager != 0 {
					t.Fatalf("outcome %+v", out)
				}
				if got := len(w.eventsOf(v.ID, "lead_dialing")); got != len(lead) {
					t.Errorf("%d lead dials, want %d", got, len(lead))
				}
				if tc.result != dialer.SpeedConnected {
					// The manager waiting for the lead is let go.
					mgr := w.eventsOf(v.ID, "manager_answered")[0].Leg
					w.mustSend("api uuid_kill " + string(mgr) + " NORMAL_CLEARING")
				}
			})
		})
	}
}

// fileAnnouncer renders every text to one file and notes the texts.
type fileAnnouncer struct {
	file  string
	mu    sync.Mutex
	texts []string
	at    []time.Time
}

func (a *fileAnnouncer) Render(_ context.Context, text string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.texts = append(a.texts, text)
	a.at = append(a.at, time.Now())
	return a.file, nil
}

func (a *fileAnnouncer) rendered() ([]string, []time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.texts), slices.Clone(a.at)
}

// Recording: the lead hears the warning, then the recording starts, then
// the bridge; the Announcer renders both texts.
func TestSpeedCallRecordingWarning(t *testing.T) {
	bubble(t, func(t *testing.T) {
		ann := &fileAnnouncer{}
		w := newWorld(t, func(c *dialer.EngineConfig) { c.Announcer = ann })
		ann.file = filepath.Join(w.recDir, "speech.wav")
		w.sim.SetEndpoint("+15550002401", sim.Behavior{HangupAfter: 3 * time.Second})
		r, d := speedRequest(ring.RingAll, []string{"+15550001401"}, "+15550002401")
		r.Record, r.RecordWarning = true, "This call is recorded"
		v := w.startSpeed(r)
		out, c, kinds := w.speedEnd(v.ID, d)
		// The lead hangs up 3 s after its answer, the warning (1 s) and
		// the bridge in between: the talk is the rest.
		if out.Result != dialer.SpeedConnected || out.Recording == "" || out.TalkSeconds != 1 {
			t.Fatalf("outcome %+v", out)
		}
		lead := string(w.eventsOf(v.ID, "lead_dialing")[0].Leg)
		mgr := string(w.eventsOf(v.ID, "manager_answered")[0].Leg)
		cmds := w.commands()
		at := func(prefix string) int {
			return slices.IndexFunc(cmds, func(c string) bool { return strings.HasPrefix(c, prefix) })
		}
		steps := []int{
			at("api uuid_broadcast " + mgr + " " + ann.file),          // the announcement
			at("api uuid_broadcast " + mgr + " tone_stream://%(2000"), // ringback while the lead rings
			at("api uuid_broadcast " + lead + " " + ann.file),         // the warning
			at("api uuid_record " + lead + " start " + out.Recording),
			at("api uuid_break " + mgr + " all"), // the ringback stops
			at("api uuid_bridge " + lead + " " + mgr),
		}
		if steps[0] < 0 || !slices.IsSorted(steps) {
			t.Errorf("announcement, ringback, warning, recording, break, bridge at %v: want them in this order in %v", steps, cmds)
		}
		// Both ahead, while the manager rings, then each when it is said.
		texts, _ := ann.rendered()
		ahead := slices.Sorted(slices.Values(texts[:min(2, len(texts))]))
		if len(texts) != 4 || !slices.Equal(ahead, []string{r.Announcement, r.RecordWarning}) || !slices.Equal(texts[2:], []string{r.Announcement, r.RecordWarning}) {
			t.Errorf("rendered %q", texts)
		}
		inOrder(t, "timeline", kinds, "lead_answered", "record_warning", "recording_started", "connected")
		if c.RecordingPath != out.Recording {
			t.Errorf("record's recording %q, outcome's %q", c.RecordingPath, out.Recording)
		}
	})
}

// Agent managers ring their seats: a busy one is skipped, and a manager
// rung for one call is never rung for another meanwhile.
func TestSpeedCallAgentManagers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.login(w.actor("1002")) // logged in, PAUSED: busy
		w.ready("1003", dialer.ModeRing)
		w.sim.SetEndpoint("1001", sim.Behavior{AnswerAfter: 2 * time.Second})
		w.sim.SetEndpoint("1003", sim.Behavior{Outcome: sim.NoAnswer})
		w.sim.SetEndpoint("+15550002501", sim.Behavior{HangupAfter: 2 * time.Second})
		mgr := func(ext string) dialer.SpeedManager {
			return dialer.SpeedManager{Name: ext, Agent: w.agents[ext].ID}
		}
		first, d1 := speedRequest(ring.RingAll, nil, "+15550002501")
		first.Managers = []dialer.SpeedManager{mgr("1001"), mgr("1002"), mgr("1003")}
		v1 := w.startSpeed(first)
		w.waitState("1001", dialer.AgentRinging)
		// A second call for 1001 while its phone rings for the first.
		second, d2 := speedRequest(ring.TopDown, nil, "+15550002502")
		second.Managers = []dialer.SpeedManager{mgr("1001")}
		v2 := w.startSpeed(second)
		if out, _, _ := w.speedEnd(v2.ID, d2); out.Result != dialer.SpeedNoManager {
			t.Errorf("second call %+v", out)
		}
		if len(w.eventsOf(v2.ID, "manager_ringing")) != 0 {
			t.Errorf("the busy agent was rung for the second call")
		}
		w.waitState("1001", dialer.AgentInCall)
		out, _, _ := w.speedEnd(v1.ID, d1)
		if out.Result != dialer.SpeedConnected || out.Manager != 0 {
			t.Fatalf("first call %+v", out)
		}
		idx, _ := w.managersRung(v1.ID)
		if !slices.Equal(idx, []string{"0", "2"}) {
			t.Errorf("rang managers %v, want 0 and 2 (1002 is paused)", idx)
		}
		if n := countWith(w.commands(), "bgapi originate", "user/1001"); n != 1 {
			t.Errorf("agent 1001's phone rung %d times", n)
		}
		// The manager who talked wraps up; the one who lost is READY again.
		w.waitState("1001", dialer.AgentDispo)
		w.waitState("1003", dialer.AgentReady)
		if st := w.state("1002"); st != dialer.AgentPaused {
			t.Errorf("1002 is %s", st)
		}
	})
}

// countWith counts the commands that start with prefix and hold s.
func countWith(cmds []string, prefix, s string) int {
	n := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, prefix) && strings.Contains(c, s) {
			n++
		}
	}
	return n
}

// Bad input is refused with the field named, and nothing reaches the switch.
func TestSpeedCallRefused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		good, _ := speedRequest(ring.RingAll, []string{"+15550001601"}, "+15550002601")
		tests := []struct {
			field  string
			actor  dialer.Actor
			mutate func(*dialer.SpeedCall)
		}{
			{"numbers[0]", w.admin, func(r *dialer.SpeedCall) { r.Numbers = []string{"+1555000&bridge"} }},
			{"managers[0].number", w.admin, func(r *dialer.SpeedCall) { r.Managers[0].Number = "sofia/gateway/x/1" }},
			{"managers[0].agent_id", w.admin, func(r *dialer.SpeedCall) { r.Managers = []dialer.SpeedManager{{Agent: 999}} }},
			{"params", w.admin, func(r *dialer.SpeedCall) { r.Params = map[string]string{"a b}": "1"} }},
			{"caller_id", w.admin, func(r *dialer.SpeedCall) { r.CallerID = "1,origination_uuid=x" }},
			{"sequence", w.admin, func(r *dialer.SpeedCall) { r.Sequence = "round-robin" }},
			{"", dialer.Actor{User: 7, Role: identity.RoleAgent, Agent: w.agents["1001"].ID}, func(*dialer.SpeedCall) {}},
		}
		for _, tc := range tests {
			r := good
			r.Managers = slices.Clone(good.Managers)
			tc.mutate(&r)
			_, err := w.eng.StartSpeedCall(w.ctx(), tc.actor, r)
			var fe *dialer.FieldError
			switch {
			case tc.field == "" && !errors.Is(err, dialer.ErrForbidden):
				t.Errorf("an agent started a speed call: %v", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Errorf("%s: got %v", tc.field, err)
			}
		}
		if n := w.count("bgapi originate"); n != 0 {
			t.Errorf("%d originates for refused requests", n)
		}
	})
}

// firstLegTimer notes when each manager leg's originate is handed to the
// switch client.
type firstLegTimer struct {
	dialer.Switch
	legs chan time.Time
}

func (f *firstLegTimer) Originate(ctx context.Context, o esl.Originate, node string) (*esl.Call, error) {
	if o.Vars[dialer.VarLegRole] == string(dialer.LegAgent) {
		select {
		case f.legs <- time.Now():
		default:
		}
	}
	return f.Switch.Originate(ctx, o, node)
}

// BenchmarkSpeedCallFirstManagerLeg: from StartSpeedCall being called to
// the first manager leg's originate handed to the switch client (the
// request checked, the lead found, the call recorded, the plan built), on
// the full stack with the simulator in this process. The manager's number
// is unreachable, so each call ends at once. One op is one call.
func BenchmarkSpeedCallFirstManagerLeg(b *testing.B) {
	ft := &firstLegTimer{legs: make(chan time.Time, 1)}
	w := newWorldWith(b, worldOpts{
		engine: func(c *dialer.EngineConfig) { c.Linger = time.Second },
		wrap:   func(s dialer.Switch) dialer.Switch { ft.Switch = s; return ft },
	})
	w.sim.SetEndpoint("+15550009001", sim.Behavior{Outcome: sim.Unreachable})
	r, _ := speedRequest(ring.RingAll, []string{"+15550009001"}, "+15550009002")
	r.Done = nil
	var lat latencies
	ctx := w.ctx()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := w.eng.StartSpeedCall(ctx, w.admin, r); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-ft.legs:
			lat.lat = append(lat.lat, at.Sub(start))
		case <-time.After(5 * time.Second):
			b.Fatal("no manager leg originated")
		}
	}
	b.StopTimer()
	lat.report(b, true)
}

// Hung up by a supervisor while the managers ring: cancelled, every phone
// stops ringing and the agent manager is READY again.
func TestSpeedCallHangupWhileRinging(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.sim.SetEndpoint("1001", sim.Behavior{Outcome: sim.NoAnswer})
		w.sim.SetEndpoint("+15550001701", sim.Behavior{Outcome: sim.NoAnswer})
		r, d := speedRequest(ring.RingAll, []string{"+15550001701"}, "+15550002701")
		r.Managers = append(r.Managers, dialer.SpeedManager{Name: "1001", Agent: w.agents["1001"].ID})
		r.RingSeconds = 30
		v := w.startSpeed(r)
		w.waitState("1001", dialer.AgentRinging)
		legs := w.eventsOf(v.ID, "manager_ringing")
		if err := w.eng.Hangup(w.ctx(), w.admin, v.ID); err != nil {
			t.Fatal(err)
		}
		out, c, _ := w.speedEnd(v.ID, d)
		if out.Result != dialer.SpeedCancelled || out.Manager != -1 || out.Number != "" {
			t.Fatalf("outcome %+v", out)
		}
		for _, l := range legs {
			w.mustSend("api uuid_kill " + string(l.Leg) + " NORMAL_CLEARING")
		}
		w.waitState("1001", dialer.AgentReady)
		if c.AnsweredAt != (time.Time{}) {
			t.Errorf("record %+v", c)
		}
	})
}

// failingOriginate refuses at once the originates whose command would
// hold one of the numbers, as a switch client with no node up does.
type failingOriginate struct {
	dialer.Switch
	numbers []string
}

func (f *failingOriginate) Originate(ctx context.Context, o esl.Originate, node string) (*esl.Call, error) {
	if gw, ok := o.Endpoint.(esl.GatewayEndpoint); ok && slices.Contains(f.numbers, gw.Number) {
		return nil, esl.ErrNotConnected
	}
	return f.Switch.Originate(ctx, o, node)
}

// An originate refused at once is a manager (or a lead's number) that
// failed: the call goes on to the next.
func TestSpeedCallOriginateRefused(t *testing.T) {
	for _, seq := range []ring.Strategy{ring.RingAll, ring.TopDown} {
		t.Run(string(seq), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				fo := &failingOriginate{numbers: []string{"+15550001801", "+15550001802", "+15550002801"}}
				w := newWorldWith(t, worldOpts{wrap: func(s dialer.Switch) dialer.Switch { fo.Switch = s; return fo }})
				w.sim.SetEndpoint("+15550002802", sim.Behavior{HangupAfter: time.Second})
				r, d := speedRequest(seq, []string{"+15550001801", "+15550001802", "+15550001803"}, "+15550002801", "+15550002802")
				v := w.startSpeed(r)
				out, _, _ := w.speedEnd(v.ID, d)
				if out.Result != dialer.SpeedConnected || out.Manager != 2 || out.Number != "+15550002802" {
					t.Fatalf("outcome %+v", out)
				}
				idx, _ := w.managersRung(v.ID)
				if !slices.Equal(idx, []string{"0", "1", "2"}) {
					t.Errorf("managers rung %v: each once", idx)
				}
			})
		})
	}
}

// A connected speed call takes no transfer; a supervisor's hangup ends it,
// connected, with both legs hung up.
func TestSpeedCallConnectedControls(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		r, d := speedRequest(ring.RingAll, []string{"+15550001901"}, "+15550002901")
		v := w.startSpeed(r)
		w.waitEvent(v.ID, "connected", 1)
		if cv := w.call(v.ID); cv.State != dialer.LiveConnected {
			t.Errorf("view %s", cv.State)
		}
		err := w.eng.BlindTransfer(w.ctx(), w.admin, v.ID, dialer.TransferTarget{Number: "+15550003901"})
		if !errors.Is(err, dialer.ErrConflict) {
			t.Errorf("transfer: %v", err)
		}
		if err := w.eng.Hangup(w.ctx(), w.admin, v.ID); err != nil {
			t.Fatal(err)
		}
		out, c, _ := w.speedEnd(v.ID, d)
		if out.Result != dialer.SpeedConnected || c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("outcome %+v, record %s", out, c.Outcome)
		}
		for _, kind := range []string{"manager_answered", "lead_dialing"} {
			w.mustSend("api uuid_kill " + string(w.eventsOf(v.ID, kind)[0].Leg) + " NORMAL_CLEARING")
		}
	})
}

// A manager who does not answer: the next one rings once its phone has
// rung out.
func TestSpeedCallNextManagerAfterNoAnswer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.sim.SetEndpoint("+15550001951", sim.Behavior{Outcome: sim.NoAnswer})
		w.sim.SetEndpoint("+15550002951", sim.Behavior{HangupAfter: time.Second})
		r, d := speedRequest(ring.TopDown, []string{"+15550001951", "+15550001952"}, "+15550002951")
		v := w.startSpeed(r)
		out, _, kinds := w.speedEnd(v.ID, d)
		if out.Result != dialer.SpeedConnected || out.Manager != 1 {
			t.Fatalf("outcome %+v", out)
		}
		inOrder(t, "timeline", kinds, "manager_ringing", "manager_no_answer", "manager_ringing", "manager_answered", "connected")
		if _, at := w.managersRung(v.ID); at[1] < 5*time.Second || at[1] > 6*time.Second {
			t.Errorf("the second manager rang %v after the first, want after its 5 s", at[1])
		}
	})
}

// FreeSWITCH reports a leg's answer before its originate notices and
// runs the park; a uuid_broadcast in between is lost, and the call would
// wait for its playback's end for ever. The announcement and the warning
// wait for their leg's park.
func TestSpeedCallPlaysAfterPark(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const poll = 800 * time.Millisecond
		ann := &fileAnnouncer{}
		w := newWorldWith(t, worldOpts{
			engine: func(c *dialer.EngineConfig) { c.Announcer = ann },
			sim:    func(c *sim.Config) { c.OriginatePoll = poll },
		})
		ann.file = filepath.Join(w.recDir, "speech.wav")
		w.sim.SetEndpoint("+15550002601", sim.Behavior{HangupAfter: 4 * time.Second})
		r, d := speedRequest(ring.RingAll, []string{"+15550001601"}, "+15550002601")
		r.Record, r.RecordWarning = true, "This call is recorded"
		v := w.startSpeed(r)
		out, _, _ := w.speedEnd(v.ID, d)
		if out.Result != dialer.SpeedConnected {
			t.Fatalf("outcome %+v", out)
		}
		for _, x := range []struct{ answered, played string }{
			{"manager_answered", "announcement"},
			{"lead_answered", "record_warning"},
		} {
			a, p := w.eventsOf(v.ID, x.answered), w.eventsOf(v.ID, x.played)
			if len(a) != 1 || len(p) != 1 {
				t.Fatalf("%d %s, %d %s", len(a), x.answered, len(p), x.played)
			}
			if gap := p[0].At.Sub(a[0].At); gap < poll {
				t.Errorf("%s %v after %s, before the leg's park (%v)", x.played, gap, x.answered, poll)
			}
		}
	})
}

// With confirm, the manager is told to press 1 after who the lead is; the
// text is rendered while the manager's phone rings, not on the answer.
func TestSpeedCallPressOnePrompt(t *testing.T) {
	bubble(t, func(t *testing.T) {
		ann := &fileAnnouncer{}
		w := newWorld(t, func(c *dialer.EngineConfig) { c.Announcer = ann })
		ann.file = filepath.Join(w.recDir, "speech.wav")
		w.sim.SetEndpoint("+15550001701", sim.Behavior{AnswerAfter: 2 * time.Second})
		w.sim.SetEndpoint("+15550002701", sim.Behavior{HangupAfter: time.Second})
		r, d := speedRequest(ring.RingAll, []string{"+15550001701"}, "+15550002701")
		r.Confirm = true
		v := w.startSpeed(r)
		p := w.waitEvent(v.ID, "manager_prompted", 1)
		w.sim.SendDTMF(string(p.Leg), "1")
		if out, _, _ := w.speedEnd(v.ID, d); out.Result != dialer.SpeedConnected {
			t.Fatalf("outcome %+v", out)
		}
		want := r.Announcement + " Press 1 to call the lead now."
		texts, at := ann.rendered()
		if len(texts) != 2 || texts[0] != want || texts[1] != want {
			t.Fatalf("rendered %q, want %q ahead and on the answer", texts, want)
		}
		if answered := w.eventsOf(v.ID, "manager_answered")[0].At; !at[0].Before(answered) {
			t.Errorf("rendered at %v, the manager answered at %v", at[0], answered)
		}
	})
}

// A manager who presses 1 during the announcement is not made to wait
// for the prompt: the announcement stops and the lead is dialed.
func TestSpeedCallPressOneDuringAnnouncement(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// The announcement plays for a minute: the key comes well within it.
		w := newWorldWith(t, worldOpts{sim: func(c *sim.Config) { c.PlaybackDuration = time.Minute }})
		w.sim.SetEndpoint("+15550002702", sim.Behavior{HangupAfter: time.Second})
		r, d := speedRequest(ring.RingAll, []string{"+15550001702"}, "+15550002702")
		r.Confirm = true
		v := w.startSpeed(r)
		a := w.waitEvent(v.ID, "manager_answered", 1)
		playing := func() bool {
			return slices.ContainsFunc(w.commands(), func(c string) bool { return strings.HasPrefix(c, "api uuid_broadcast "+string(a.Leg)) })
		}
		for deadline := time.Now().Add(time.Minute); !playing(); time.Sleep(10 * time.Millisecond) { // the bubble's clock
			if time.Now().After(deadline) {
				t.Fatal("the announcement was never played")
			}
		}
		w.sim.SendDTMF(string(a.Leg), "1")
		if out, _, _ := w.speedEnd(v.ID, d); out.Result != dialer.SpeedConnected {
			t.Fatalf("outcome %+v", out)
		}
		if n := len(w.eventsOf(v.ID, "manager_prompted")); n != 0 {
			t.Fatalf("prompted %d times", n)
		}
		var seq []string
		for _, c := range w.commands() {
			for _, p := range []string{"api uuid_broadcast " + string(a.Leg), "api uuid_break " + string(a.Leg), "api originate", "bgapi originate"} {
				if strings.HasPrefix(c, p) && !strings.Contains(c, "+15550001702") {
					seq = append(seq, strings.Fields(p)[1])
				}
			}
		}
		inOrder(t, "commands to the manager, then the lead's originate", seq, "uuid_broadcast", "uuid_break", "originate")
	})
}
