package dialer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/dialertest"
	"github.com/agentswitch/agentswitch/dialer/redisstore"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// allDay is a calling window open at every hour, in UTC (a bubble's
// clock starts at midnight).
const allDay = `"calling_window":{"hours":[{"start":"00:00","end":"23:59"}]}`

// dialerCampaign makes a campaign of mode with the settings given (a JSON
// object's members) and n leads in UTC, each scripted on the switch to
// behave as b; its hopper is filled.
func (w *world) dialerCampaign(mode dialer.DialMode, settings string, n int, b sim.Behavior) (dialer.Campaign, []dialer.Lead) {
	w.t.Helper()
	ctx := w.ctx()
	campaignSeq++
	c, err := w.db.CreateCampaign(ctx, dialer.Campaign{Name: fmt.Sprintf("%s %d", mode, campaignSeq), DialMode: mode,
		MaxAttempts: 3, Active: true, AbandonMessage: "ivr/campaign-abandon.wav", Settings: json.RawMessage("{" + settings + "}")})
	if err != nil {
		w.t.Fatal(err)
	}
	leads := make([]dialer.Lead, n)
	for i := range leads {
		phone := fmt.Sprintf("+1555%03d%04d", c.ID%1000, i)
		if leads[i], err = w.db.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: phone, FirstName: fmt.Sprintf("Lead %d", i), TimeZone: "UTC"}); err != nil {
			w.t.Fatal(err)
		}
		w.sim.SetEndpoint(phone, b)
	}
	w.fill()
	return c, leads
}

var campaignSeq int

// fill tops up every dialer campaign's hopper once, as the service's
// filler does when one falls under half its size.
func (w *world) fill() {
	dialer.NewHopperFiller(dialer.HopperFillConfig{}, w.db, w.hopper, w.now, nil).FillAll(w.ctx())
}

// work logs the agent in on campaign and makes it READY.
func (w *world) work(ext string, campaign dialer.CampaignID) {
	w.t.Helper()
	v := w.loginWith(ext, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing, Campaign: campaign})
	if v.Campaign == nil || v.Campaign.ID != campaign {
		w.t.Fatalf("agent %s works on %+v, want campaign %d", ext, v.Campaign, campaign)
	}
	w.setReady(ext)
}

// dialing counts the dialer's calls not ended.
func (w *world) dialing() int {
	n := 0
	for _, c := range w.eng.LiveCalls(w.ctx()) {
		if c.Origin == dialer.OriginDialer && c.State != dialer.LiveEnded {
			n++
		}
	}
	return n
}

// campaignCalls are the campaign's call records, oldest first.
func (w *world) campaignCalls(id dialer.CampaignID) []dialer.Call {
	w.t.Helper()
	calls, err := w.db.ListCalls(w.ctx(), dialer.CallFilter{Campaign: id, Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	slices.Reverse(calls)
	return calls
}

// onceEach checks no lead was called twice and returns the leads called.
func onceEach(t *testing.T, calls []dialer.Call) map[dialer.LeadID]bool {
	t.Helper()
	seen := map[dialer.LeadID]bool{}
	for _, c := range calls {
		if seen[c.Lead] {
			t.Fatalf("lead %d dialed twice", c.Lead)
		}
		seen[c.Lead] = true
	}
	return seen
}

// TestProgressiveKeepsLinesPerReadyAgent: progressive dialing keeps
// lines-per-agent leads ringing per READY agent, no more; fewer when an
// agent pauses; none once the calling window closes. Every attempt is
// counted on its lead and no lead is dialed twice.
func TestProgressiveKeepsLinesPerReadyAgent(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		start := w.now().UTC()
		// The window closes at the second minute boundary from now.
		closes := start.Truncate(time.Minute).Add(2 * time.Minute)
		settings := fmt.Sprintf(`"lines_per_agent":2,"calling_window":{"time_zone":"UTC","hours":[{"start":"00:00","end":%q}]}`, closes.Format("15:04"))
		camp, leads := w.dialerCampaign(dialer.DialProgressive, settings, 100, sim.Behavior{Outcome: sim.NoAnswer})
		w.work("1001", camp.ID)
		w.work("1002", camp.ID)
		time.Sleep(time.Second)
		synctest.Wait()
		if n := w.dialing(); n != 4 {
			t.Fatalf("%d leads ringing for 2 READY agents at 2 lines each, want 4", n)
		}
		paused := false
		for w.now().Before(closes.Add(10 * time.Second)) {
			time.Sleep(time.Second)
			synctest.Wait()
			limit := 4
			if paused {
				// Calls placed before the pause ring out (lead timeout 5s).
				if w.now().Sub(closes) > -time.Minute {
					limit = 2
				}
			}
			if n := w.dialing(); n > limit {
				t.Fatalf("%d leads ringing at %s, want at most %d", n, w.now().Format(time.TimeOnly), limit)
			}
			if !paused && w.now().After(closes.Add(-90*time.Second)) {
				a := w.actor("1002")
				if _, err := w.eng.Pause(w.ctx(), a, a.Agent, "BREAK"); err != nil {
					t.Fatal(err)
				}
				paused = true
			}
			if w.now().Second()%2 == 0 {
				w.fill()
			}
		}
		if n := w.dialing(); n != 0 {
			t.Fatalf("%d leads still ringing after the window closed", n)
		}
		calls := w.campaignCalls(camp.ID)
		called := onceEach(t, calls)
		if len(calls) < 8 || len(calls) >= len(leads) {
			t.Fatalf("%d calls placed, want several and fewer than the %d leads", len(calls), len(leads))
		}
		for _, c := range calls {
			if !c.CreatedAt.Before(closes) {
				t.Fatalf("call %s placed at %s, after the window closed at %s", c.ID, c.CreatedAt, closes)
			}
			if c.Origin != dialer.OriginDialer || c.Outcome != dialer.OutcomeNoAnswer {
				t.Fatalf("call %+v: want a dialer call, no answer", c)
			}
		}
		for _, l := range leads {
			got, err := w.db.Lead(w.ctx(), l.ID)
			if err != nil {
				t.Fatal(err)
			}
			want, status := 0, dialer.LeadNew
			if called[l.ID] {
				want, status = 1, dialer.LeadRetry
			}
			if got.Attempts != want || got.Status != status {
				t.Fatalf("lead %d: %d attempts, %s; want %d, %s", l.ID, got.Attempts, got.Status, want, status)
			}
		}
	})
}

// abandonedWithin checks the call's lead heard the abandon message
// within limit of answering.
func (w *world) abandonedWithin(id dialer.CallID, limit time.Duration) {
	w.t.Helper()
	evs, err := w.db.CallEvents(w.ctx(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	var answered, abandon time.Time
	for _, ev := range evs {
		switch ev.Kind {
		case "answered":
			answered = ev.At
		case "abandon":
			abandon = ev.At
		}
	}
	if answered.IsZero() || abandon.IsZero() || abandon.Sub(answered) > limit {
		w.t.Fatalf("call %s: answered %s, abandon message %s: want within %s", id, answered, abandon, limit)
	}
}

// overDial has one agent work a campaign of the mode that dials three
// lines for it (extra settings first): three leads answer, two beyond the
// agent are abandoned, each within 2 s of its answer. It returns the
// campaign and its two abandoned calls.
func (w *world) overDial(mode dialer.DialMode, extra string) (dialer.Campaign, []dialer.Call) {
	w.t.Helper()
	camp, _ := w.dialerCampaign(mode, `"lines_per_agent":3,`+extra+allDay, 3, sim.Behavior{AnswerAfter: 200 * time.Millisecond})
	w.work("1001", camp.ID)
	time.Sleep(10 * time.Second)
	synctest.Wait()
	calls := w.campaignCalls(camp.ID)
	if len(calls) != 3 {
		w.t.Fatalf("%d calls, want 3", len(calls))
	}
	var abandoned []dialer.Call
	for _, c := range calls {
		if c.Outcome == dialer.OutcomeAbandoned {
			abandoned = append(abandoned, c)
			w.abandonedWithin(c.ID, 2*time.Second)
		}
	}
	if len(abandoned) != 2 {
		w.t.Fatalf("%d calls abandoned, want 2", len(abandoned))
	}
	return camp, abandoned
}

// TestProgressiveAbandonWithinTwoSeconds: three leads answer for one
// agent; the first is connected (the agent hears the delivery tone), the
// two others hear the campaign's abandon message within 2 s of answering
// and are recorded abandoned.
func TestProgressiveAbandonWithinTwoSeconds(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 2 * time.Second })
		w.overDial(dialer.DialProgressive, "")
		if n := strings.Count(strings.Join(w.commands(), "\n"), "playback:ivr/campaign-abandon.wav,hangup"); n != 2 {
			t.Fatalf("the campaign's abandon message was not played: %v", w.commands())
		}
		if !strings.Contains(w.sentPrefix("api uuid_broadcast"), "tone_stream://%(250,0,880) aleg") {
			t.Fatalf("no delivery tone to the agent: %v", w.commands())
		}
	})
}

// TestAbandonRatePushed: a progressive campaign's abandons are pushed to
// the supervisors' streams with its rate (two abandoned of three
// answered), once per change, and a new wall finds them in its snapshot;
// an agent's stream gets none.
func TestAbandonRatePushed(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 2 * time.Second; c.CampaignStatsEvery = 5 * time.Second })
		camp, _ := w.dialerCampaign(dialer.DialProgressive, `"lines_per_agent":3,`+allDay, 3, sim.Behavior{AnswerAfter: 200 * time.Millisecond})
		agentCtx, stop := context.WithCancel(w.ctx())
		defer stop()
		_, agentStream, err := w.eng.Subscribe(agentCtx, dialer.LiveFilter{Agent: w.actor("1001").Agent})
		if err != nil {
			t.Fatal(err)
		}
		w.work("1001", camp.ID)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		var pushed []dialer.CampaignLive
		for _, ev := range w.events.All() {
			if ev.Type == dialer.EvCampaignStats && ev.CampaignView.ID == camp.ID {
				pushed = append(pushed, *ev.CampaignView)
			}
		}
		if len(pushed) == 0 {
			t.Fatal("no campaign.stats pushed")
		}
		last := pushed[len(pushed)-1]
		if last.Answered != 3 || last.Abandoned != 2 || math.Abs(last.AbandonRate-2.0/3) > 1e-9 || last.Name != camp.Name || last.DialMode != dialer.DialProgressive {
			t.Fatalf("pushed %+v, want 2 abandoned of 3 answered", last)
		}
		for i := 1; i < len(pushed); i++ {
			if pushed[i].Answered == pushed[i-1].Answered && pushed[i].Abandoned == pushed[i-1].Abandoned {
				t.Fatalf("pushed again unchanged: %+v", pushed)
			}
		}
		snap, _, err := w.eng.Subscribe(w.ctx(), dialer.LiveFilter{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(snap.Campaigns, func(c dialer.CampaignLive) bool { return c.ID == camp.ID })
		if i < 0 || snap.Campaigns[i].Abandoned != 2 {
			t.Fatalf("snapshot campaigns %+v", snap.Campaigns)
		}
	drain:
		for {
			select {
			case ev, ok := <-agentStream:
				if !ok {
					break drain
				}
				if ev.Type == dialer.EvCampaignStats {
					t.Fatalf("an agent's stream got %+v", ev)
				}
			default:
				break drain
			}
		}
	})
}

// TestDialerHonoursDNCAtHopperAndAtDial: a number on the do-not-call list
// never enters the hopper; one added while its lead waits in the hopper
// is not dialed either.
func TestDialerHonoursDNCAtHopperAndAtDial(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := w.ctx()
		camp, leads := w.dialerCampaign(dialer.DialProgressive, `"lines_per_agent":3,`+allDay, 0, sim.Behavior{})
		for i := range 3 {
			phone := fmt.Sprintf("+1555777%04d", i)
			l, err := w.db.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: phone, TimeZone: "UTC"})
			if err != nil {
				t.Fatal(err)
			}
			w.sim.SetEndpoint(phone, sim.Behavior{Outcome: sim.NoAnswer})
			leads = append(leads, l)
		}
		if err := w.db.AddDNC(ctx, leads[0].Phone, 0, "asked not to be called", w.now()); err != nil {
			t.Fatal(err)
		}
		w.fill()
		if n, err := w.hopper.Len(ctx, camp.ID); err != nil || n != 2 {
			t.Fatalf("hopper holds %d (%v), want 2: the DNC number is left out", n, err)
		}
		if err := w.db.AddDNC(ctx, leads[1].Phone, camp.ID, "complaint", w.now()); err != nil {
			t.Fatal(err)
		}
		w.work("1001", camp.ID)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := w.campaignCalls(camp.ID)
		if len(calls) != 1 || calls[0].Lead != leads[2].ID {
			t.Fatalf("calls %+v, want one, to lead %d", calls, leads[2].ID)
		}
		for _, l := range leads[:2] {
			if got, _ := w.db.Lead(ctx, l.ID); got.Attempts != 0 {
				t.Fatalf("lead %d on the DNC list was attempted", l.ID)
			}
		}
	})
}

// TestPreviewDialAndSkip: a READY agent on a preview campaign is shown a
// lead (PAUSED, PREVIEW); a skip counts no attempt, puts the lead off and
// shows the next; Dial calls it (origin dialer) and counts the attempt;
// after the call's disposition the next lead is shown. A preview timeout
// dials by itself.
func TestPreviewDialAndSkip(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := w.ctx()
		camp, leads := w.dialerCampaign(dialer.DialPreview, allDay, 3, sim.Behavior{})
		a := w.actor("1001")
		w.work("1001", camp.ID)
		synctest.Wait()
		v := w.view("1001")
		if v.State != dialer.AgentPaused || v.PauseCode != dialer.PausePreview || v.Preview == nil || v.Preview.Lead.ID != leads[0].ID {
			t.Fatalf("agent %+v, want PAUSED previewing lead %d", v, leads[0].ID)
		}
		if _, err := w.eng.PreviewSkip(ctx, a, a.Agent, ""); err == nil {
			t.Fatal("a skip without a reason was taken")
		}
		// The entry says where the request came from, as the API passes it.
		if _, err := w.eng.PreviewSkip(dialer.WithRemote(ctx, "198.51.100.4"), a, a.Agent, "Wrong time zone"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, _ := w.db.Lead(ctx, leads[0].ID); got.Attempts != 0 || !got.NextCallAt.After(w.now()) {
			t.Fatalf("skipped lead %+v: want no attempt and a later next call", got)
		}
		if audit, _ := w.db.ListAudit(ctx, dialer.AuditFilter{Limit: 5}); len(audit) == 0 || audit[0].Action != "lead.skip" ||
			audit[0].Remote != "198.51.100.4" || audit[0].Role != a.Role {
			t.Fatalf("audit %+v, want lead.skip first, from 198.51.100.4 in the agent's role", audit)
		}
		v = w.view("1001")
		if v.Preview == nil || v.Preview.Lead.ID != leads[1].ID {
			t.Fatalf("after the skip %+v, want lead %d", v.Preview, leads[1].ID)
		}
		cv, err := w.eng.PreviewDial(ctx, a, a.Agent)
		if err != nil {
			t.Fatal(err)
		}
		if cv.Origin != dialer.OriginDialer || cv.Lead != leads[1].ID {
			t.Fatalf("call %+v", cv)
		}
		w.waitCall(cv.ID, dialer.LiveConnected)
		if err := w.eng.Hangup(ctx, a, cv.ID); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(ctx, a, cv.ID, dialer.DispositionRequest{Code: "NI"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.eng.SetReady(ctx, a, a.Agent); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, _ := w.db.Lead(ctx, leads[1].ID); got.Attempts != 1 || got.LastDisposition != "NI" {
			t.Fatalf("dialed lead %+v", got)
		}
		if v = w.view("1001"); v.Preview == nil || v.Preview.Lead.ID != leads[2].ID {
			t.Fatalf("after the call %+v, want lead %d", v.Preview, leads[2].ID)
		}
	})
}

func TestPreviewTimeoutDials(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		camp, leads := w.dialerCampaign(dialer.DialPreview, `"preview_timeout_seconds":5,`+allDay, 1, sim.Behavior{})
		a := w.actor("1001")
		w.work("1001", camp.ID)
		synctest.Wait()
		v := w.view("1001")
		if v.Preview == nil || !v.Preview.DialAt.Equal(v.Preview.OfferedAt.Add(5*time.Second)) {
			t.Fatalf("preview %+v, want dial_at 5s after the offer", v.Preview)
		}
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if calls := w.campaignCalls(camp.ID); len(calls) != 0 {
			t.Fatal("dialed before the timeout")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := w.campaignCalls(camp.ID)
		if len(calls) != 1 || calls[0].Lead != leads[0].ID || calls[0].Agent != a.Agent {
			t.Fatalf("calls %+v, want the previewed lead dialed for the agent", calls)
		}
	})
}

// TestAgentCampaignChoice: an agent may work only on the campaigns it is
// allowed on; the choice decides which dialer calls reach it.
func TestAgentCampaignChoice(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := w.ctx()
		a := w.actor("1001")
		open, _ := w.dialerCampaign(dialer.DialManual, allDay, 0, sim.Behavior{})
		closed, _ := w.dialerCampaign(dialer.DialManual, fmt.Sprintf(`"allowed_agents":[%d],`, w.agents["1002"].ID)+allDay, 0, sim.Behavior{})
		list, err := w.eng.AgentCampaigns(ctx, a, a.Agent)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list, func(c dialer.Campaign) bool { return c.ID == open.ID }) ||
			slices.ContainsFunc(list, func(c dialer.Campaign) bool { return c.ID == closed.ID }) {
			t.Fatalf("agent 1001 may work on %+v", list)
		}
		_, err = w.eng.Login(ctx, a, a.Agent, dialer.LoginRequest{Campaign: closed.ID})
		if fe := (*dialer.FieldError)(nil); !errors.As(err, &fe) || fe.Field != "campaign_id" {
			t.Fatalf("login on a campaign not allowed: %v", err)
		}
		if _, err := w.eng.Login(ctx, a, a.Agent, dialer.LoginRequest{Campaign: open.ID}); err != nil {
			t.Fatal(err)
		}
		b := w.actor("1002")
		if _, err := w.eng.Login(ctx, b, b.Agent, dialer.LoginRequest{Campaign: open.ID}); err != nil {
			t.Fatal(err)
		}
		v, err := w.eng.SetCampaign(ctx, b, b.Agent, closed.ID)
		if err != nil || v.Campaign == nil || v.Campaign.ID != closed.ID {
			t.Fatalf("switch: %+v, %v", v.Campaign, err)
		}
		st, err := w.live.Agent(ctx, b.Agent)
		if err != nil || !slices.Contains(st.Tags, dialer.CampaignTag(closed.ID)) || slices.Contains(st.Tags, dialer.CampaignTag(open.ID)) {
			t.Fatalf("routing tags %v after the switch, %v", st.Tags, err)
		}
	})
}

// TestTwoEnginesShareOneHopper: two service processes on one Redis and
// one database dial the same campaign at once; each lead is dialed once.
func TestTwoEnginesShareOneHopper(t *testing.T) {
	onFullStack(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.PaceEvery = 50 * time.Millisecond })
		camp, leads := w.dialerCampaign(dialer.DialProgressive, `"lines_per_agent":5,`+allDay, 80, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 30 * time.Millisecond})
		second := w.secondEngine()
		w.work("1001", camp.ID)
		a := w.actor("1002")
		if _, err := second.Login(w.ctx(), a, a.Agent, dialer.LoginRequest{Campaign: camp.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := second.SetReady(w.ctx(), a, a.Agent); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "every lead dialed", func() bool {
			w.fill()
			return len(w.campaignCalls(camp.ID)) >= len(leads)
		})
		time.Sleep(300 * time.Millisecond) // a second dial of a lead would show by now
		calls := w.campaignCalls(camp.ID)
		onceEach(t, calls)
		if len(calls) != len(leads) {
			t.Fatalf("%d calls for %d leads", len(calls), len(leads))
		}
		byEngine := map[bool]int{}
		for _, c := range calls {
			_, err := second.CallView(w.ctx(), c.ID)
			byEngine[err == nil]++
		}
		if byEngine[true] == 0 || byEngine[false] == 0 {
			t.Fatalf("calls per engine %v: both should have dialed", byEngine)
		}
	})
}

// secondEngine starts another engine, as another service process would,
// on the world's switch, Redis and database.
func (w *world) secondEngine() *dialer.Engine {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &esl.Deferred{}
	client, err := esl.New(esl.Config{Nodes: []esl.Node{{Name: "sim", Addr: w.sim.Addr(), Password: "s3cret"}}, BackoffMin: 10 * time.Millisecond}, h)
	if err != nil {
		w.t.Fatal(err)
	}
	live := redisstore.New(w.redis.Client(), redisstore.Options{})
	cfg := dialer.EngineConfig{AbandonMessage: abandonFile, RecordingsDir: w.recDir}
	engineConfig(func(c *dialer.EngineConfig) { c.PaceEvery = 50 * time.Millisecond })(&cfg)
	eng, stop := dialertest.RunEngine(w.t, ctx, cfg, dialer.EngineDeps{Live: live, Directory: w.db, Campaigns: w.db, Calls: w.db, Audit: w.db,
		Hopper: live.Hopper(), Switch: client}, h, nil)
	go client.Run(ctx)
	w.t.Cleanup(func() { cancel(); stop() })
	dialertest.WaitSwitchUp(w.t, client, 1)
	return eng
}

// TestRestartKeepsSessionCampaign: after a restart of the service an agent
// still works on the campaign it chose; one that was reading a lead is
// offered one again.
func TestRestartKeepsSessionCampaign(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		camp, _ := w.dialerCampaign(dialer.DialPreview, allDay, 2, sim.Behavior{})
		other, _ := w.dialerCampaign(dialer.DialManual, allDay, 0, sim.Behavior{})
		a := w.actor("1001")
		w.work("1001", camp.ID)
		synctest.Wait()
		if v := w.view("1001"); v.Preview == nil {
			t.Fatal("no lead offered before the restart")
		}
		w.restartEngine()
		synctest.Wait()
		v := w.view("1001")
		if v.Campaign == nil || v.Campaign.ID != camp.ID {
			t.Fatalf("after the restart the agent works on %+v, want campaign %d", v.Campaign, camp.ID)
		}
		if v.State != dialer.AgentPaused || v.PauseCode != dialer.PausePreview || v.Preview == nil {
			t.Fatalf("after the restart %+v: want a lead offered again", v)
		}
		st, err := w.live.Agent(w.ctx(), a.Agent)
		if err != nil || slices.Contains(st.Tags, dialer.CampaignTag(other.ID)) || !slices.Contains(st.Tags, dialer.CampaignTag(camp.ID)) {
			t.Fatalf("routing tags %v after the restart, %v", st.Tags, err)
		}
	})
}

// TestManualDialOnSessionCampaign: a manual dial with no campaign goes to
// the campaign the agent works on.
func TestManualDialOnSessionCampaign(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		camp, _ := w.dialerCampaign(dialer.DialManual, allDay, 0, sim.Behavior{})
		a := w.actor("1001")
		if _, err := w.eng.Login(w.ctx(), a, a.Agent, dialer.LoginRequest{Campaign: camp.ID}); err != nil {
			t.Fatal(err)
		}
		v, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: "+15550001234"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Campaign != camp.ID || v.Origin != dialer.OriginManual {
			t.Fatalf("manual dial %+v, want campaign %d", v, camp.ID)
		}
	})
}

// TestDialerWindowEdgeOnFullStack: on Redis and SQLite, with the engine's
// clock at 20:59 in the leads' zone a lead is dialed; at 21:00 the next
// one is not, though it sits in the hopper.
func TestDialerWindowEdgeOnFullStack(t *testing.T) {
	onFullStack(t, func(t *testing.T) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		var clock atomic.Pointer[time.Time]
		set := func(s string) {
			at, err := time.ParseInLocation("2006-01-02 15:04:05", s, ny)
			if err != nil {
				t.Fatal(err)
			}
			clock.Store(&at)
		}
		// 30 s before the window closes: less than the heartbeat grace, so
		// the jump pauses nobody.
		set("2026-07-01 20:59:30")
		w := newWorldWith(t, worldOpts{now: func() time.Time { return *clock.Load() },
			engine: func(c *dialer.EngineConfig) { c.PaceEvery = 50 * time.Millisecond }})
		camp, _ := w.dialerCampaign(dialer.DialProgressive, `"lines_per_agent":1`, 0, sim.Behavior{})
		var leads []dialer.Lead
		for i := range 3 {
			phone := fmt.Sprintf("+1212555%04d", 7000+i)
			l, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: camp.ID, Phone: phone, TimeZone: "America/New_York"})
			if err != nil {
				t.Fatal(err)
			}
			w.sim.SetEndpoint(phone, sim.Behavior{Outcome: sim.NoAnswer})
			leads = append(leads, l)
		}
		w.fill()
		if n, _ := w.hopper.Len(w.ctx(), camp.ID); n != 3 {
			t.Fatalf("hopper holds %d at 20:59, want 3", n)
		}
		w.work("1001", camp.ID)
		waitFor(t, 5*time.Second, "a lead dialed at 20:59", func() bool { return len(w.campaignCalls(camp.ID)) == 1 })
		set("2026-07-01 21:00:00")
		// The first lead rings out (lead timeout 5 s); the line is free
		// again, and the next leads are claimed and let go, not dialed.
		waitFor(t, 15*time.Second, "the first call ended", func() bool { return w.dialing() == 0 })
		waitFor(t, 5*time.Second, "the hopper drained", func() bool {
			n, err := w.hopper.Len(w.ctx(), camp.ID)
			return err == nil && n == 0
		})
		if calls := w.campaignCalls(camp.ID); len(calls) != 1 || calls[0].Lead != leads[0].ID {
			t.Fatalf("calls %+v: want only the lead dialed at 20:59", calls)
		}
		w.fill()
		if n, _ := w.hopper.Len(w.ctx(), camp.ID); n != 0 {
			t.Fatalf("hopper refilled with %d at 21:00", n)
		}
	})
}
