package dialer_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
)

// TestRingModeCallWithEveryControl: lead first, the agent's phone rings,
// then every in-call control, hangup, wrap-up with a callback.
func TestRingModeCallWithEveryControl(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		agent := w.actor("1001")
		w.sim.SetEndpoint("+15557654321", sim.Behavior{AnswerAfter: 60 * time.Millisecond, EchoDTMF: true})
		w.sim.ResetCommands()

		v := w.start("+15557654321", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		if v.Agent != agent.Agent || v.ConnectedAt.IsZero() || v.AnsweredAt.IsZero() {
			t.Fatalf("view %+v", v)
		}
		w.mustSend("bgapi originate {origination_uuid=" + string(lead.Leg) + ",ignore_early_media=true,originate_timeout=5,origination_caller_id_number=+15551230000,origination_caller_id_name='ACME Sales',agentswitch_call_id=" + string(v.ID) + ",agentswitch_campaign_id=" + v.Campaign.String() + ",agentswitch_leg_role=lead,park_after_bridge=true}sofia/gateway/carrier/+15557654321 &park()")
		if !strings.HasPrefix(w.sentPrefix("bgapi originate {origination_uuid="+string(ag.Leg)), "bgapi originate {origination_uuid="+string(ag.Leg)+",originate_timeout=5,") ||
			!strings.Contains(w.sentPrefix("bgapi originate {origination_uuid="+string(ag.Leg)), "}user/1001 &park()") {
			t.Fatalf("agent originate: %q", w.sentPrefix("bgapi originate {origination_uuid="+string(ag.Leg)))
		}
		w.mustSend("api uuid_bridge " + string(lead.Leg) + " " + string(ag.Leg))
		w.waitState("1001", dialer.AgentInCall)
		w.statesInOrder(agent.Agent, "READY", "RESERVED", "RINGING", "INCALL")

		ctx := w.ctx()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(w.eng.Hold(ctx, agent, v.ID, true))
		w.mustSend("api uuid_broadcast " + string(lead.Leg) + " ${hold_music} aleg")
		waitFor(t, 2*time.Second, "held", func() bool { return w.call(v.ID).Held })
		// The wall times the hold from when it began.
		if at := w.call(v.ID).HeldAt; at.IsZero() || at.Before(v.ConnectedAt) {
			t.Fatalf("held at %v, connected at %v", at, v.ConnectedAt)
		}
		must(w.eng.Hold(ctx, agent, v.ID, false))
		w.mustSend("api uuid_break " + string(lead.Leg) + " all")
		waitFor(t, 2*time.Second, "unheld", func() bool { return !w.call(v.ID).Held })
		if at := w.call(v.ID).HeldAt; !at.IsZero() {
			t.Fatalf("unheld, still held at %v", at)
		}
		must(w.eng.Mute(ctx, agent, v.ID, true))
		w.mustSend("api uuid_audio " + string(ag.Leg) + " start read mute 1")
		if ci, _ := w.sim.Channel(string(ag.Leg)); !ci.MutedRead || !w.call(v.ID).Muted {
			t.Fatal("not muted")
		}
		must(w.eng.Mute(ctx, agent, v.ID, false))
		w.mustSend("api uuid_audio " + string(ag.Leg) + " stop")
		must(w.eng.SendDTMF(ctx, agent, v.ID, "12#"))
		w.mustSend("api uuid_send_dtmf " + string(lead.Leg) + " 12#")
		must(w.eng.Record(ctx, agent, v.ID, true))
		rec := w.sentPrefix("api uuid_record " + string(lead.Leg) + " start ")
		if rec == "" {
			t.Fatal("no recording started")
		}
		path := strings.TrimPrefix(rec, "api uuid_record "+string(lead.Leg)+" start ")
		waitFor(t, 2*time.Second, "recording", func() bool { return w.call(v.ID).Recording })
		must(w.eng.Record(ctx, agent, v.ID, false))
		w.mustSend("api uuid_record " + string(lead.Leg) + " stop " + path)
		waitFor(t, 2*time.Second, "recording stopped", func() bool { return !w.call(v.ID).Recording })
		if st, err := os.Stat(path); err != nil || st.Size() < 44 {
			t.Fatalf("recording file %s: %v", path, err)
		}
		must(w.eng.Hangup(ctx, agent, v.ID))
		w.mustSend("api uuid_kill " + string(lead.Leg) + " NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		waitFor(t, 2*time.Second, "call.ended pushed", func() bool { return w.events.Has(v.ID, dialer.EvCallEnded) })
		inOrder(t, "call events", w.events.CallTypes(v.ID), "call.created", "call.ringing", "call.answered", "call.connected",
			"call.held", "call.unheld", "call.muted", "call.unmuted", "call.dtmf", "call.recording_started", "call.recording_stopped", "call.ended")

		// Wrap-up: a callback disposition, then READY.
		due := w.now().Add(24 * time.Hour).Truncate(time.Second).UTC()
		rec2, err := w.eng.Dispose(ctx, agent, v.ID, dialer.DispositionRequest{Code: "CALLBK", Notes: "call me tomorrow", Callback: &dialer.CallbackRequest{DueAt: due}})
		if err != nil {
			t.Fatal(err)
		}
		if rec2.Disposition != "CALLBK" {
			t.Fatalf("disposition %+v", rec2)
		}
		w.waitState("1001", dialer.AgentReady)
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.Agent != agent.Agent || c.HangupCause != "NORMAL_CLEARING" || c.AnsweredAt.IsZero() || c.BridgedAt.IsZero() || c.Notes != "call me tomorrow" {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "created", "ringing", "answered", "agent_reserved", "bridged", "hold", "unhold", "mute", "unmute", "dtmf", "recording_started", "recording_stopped", "ended", "disposition")
		legs, _ := w.db.CallLegs(ctx, v.ID)
		if len(legs) != 2 {
			t.Fatalf("legs %+v", legs)
		}
		cbs, _ := w.db.DueCallbacks(ctx, due.Add(time.Minute), agent.Agent, 10)
		if len(cbs) != 1 || !cbs[0].DueAt.Equal(due) {
			t.Fatalf("callbacks %+v", cbs)
		}
	})
}

// TestPersistentModeConnectsWithoutRinging: the agent's leg is up before
// the lead answers; the lead is bridged to it at once, and the agent's
// leg survives the lead's hangup.
func TestPersistentModeConnectsWithoutRinging(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1002", dialer.ModePersistent)
		agentLeg := w.sentPrefix("bgapi originate {origination_uuid=")
		if !strings.Contains(agentLeg, "park_after_bridge=true") || !strings.Contains(agentLeg, "}user/1002 &park()") {
			t.Fatalf("persistent leg originate %q", agentLeg)
		}
		w.sim.ResetCommands()
		v := w.start("+15550001111", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.mustSend("api uuid_bridge " + string(lead.Leg) + " " + string(ag.Leg))
		if n := strings.Count(strings.Join(w.commands(), "\n"), "bgapi originate"); n != 1 {
			w.dump()
			t.Fatalf("%d originates: the agent must not be rung in persistent mode", n)
		}
		w.statesInOrder(w.agents["1002"].ID, "READY", "RESERVED", "INCALL")
		if w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING") != true {
			t.Fatal("lead not hung up")
		}
		w.waitState("1002", dialer.AgentDispo)
		waitFor(t, 2*time.Second, "agent leg parked", func() bool {
			ci, ok := w.sim.Channel(string(ag.Leg))
			return ok && !ci.HungUp && ci.Parked
		})
		c, _ := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
		// The next lead goes to the same line, again without ringing.
		if _, err := w.eng.Dispose(w.ctx(), w.actor("1002"), v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1002", dialer.AgentReady)
		v2 := w.start("+15550001112", 0)
		v2 = w.waitCall(v2.ID, dialer.LiveConnected)
		if w.party(v2, dialer.LegAgent).Leg != ag.Leg {
			t.Fatal("second call used another agent leg")
		}
	})
}

// TestManualDial: the agent's phone first, then the lead dialed from the
// agent's channel (the agent hears the ringback).
func TestManualDial(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		a := w.actor("1001")
		w.login(a)
		w.sim.ResetCommands()
		v, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: "+15550003333"})
		if err != nil {
			t.Fatal(err)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.mustSend("api uuid_transfer " + string(ag.Leg) + " m:^:set:continue_on_fail=true^bridge:{origination_uuid=" + string(lead.Leg) + ",originate_timeout=5,origination_caller_id_number=+15551230000,agentswitch_call_id=" + string(v.ID) + ",agentswitch_campaign_id=" + v.Campaign.String() + ",agentswitch_leg_role=lead,park_after_bridge=true}sofia/gateway/carrier/+15550003333^hangup inline")
		w.mustSend("api uuid_setvar " + string(ag.Leg) + " effective_caller_id_name ACME Sales")
		w.statesInOrder(a.Agent, "PAUSED", "RINGING", "INCALL")
		if st := w.events.AgentStates(a.Agent); slices.Contains(st, "RESERVED") {
			t.Errorf("a manual dial reserved the agent: %v", st)
		}
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		c, _ := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.Origin != dialer.OriginManual {
			t.Fatalf("record %+v", c)
		}
		// A busy lead ends the attempt and the agent wraps it up.
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.sim.SetEndpoint("+15550003334", sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		if _, err := w.eng.Pause(w.ctx(), a, a.Agent, "BREAK"); err != nil {
			t.Fatal(err)
		}
		v, err = w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: "+15550003334"})
		if err != nil {
			t.Fatal(err)
		}
		c, _ = w.record(v.ID)
		if c.Outcome != dialer.OutcomeBusy || c.HangupCause != "USER_BUSY" {
			t.Fatalf("busy record %+v", c)
		}
		w.waitState("1001", dialer.AgentDispo)
	})
}

// TestLostBridgeRingsTheLineAgain: FreeSWITCH answered +OK to a
// uuid_bridge sent on the lead's answer and then hung the persistent
// agent's line up instead (transcript 13). The lead waits; the agent's
// phone is rung again, the agent is READY once it answers, and the lead is
// bridged to the new line.
func TestLostBridgeRingsTheLineAgain(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// The new line needs a ring and an answer: under -race on a loaded
		// machine that took longer than the world's 300 ms abandon time.
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 3 * time.Second })
		w.ready("1002", dialer.ModePersistent)
		agent := w.agents["1002"].ID
		firstLine := w.sentPrefix("bgapi originate {origination_uuid=")
		w.sim.LoseBridges(1)
		v := w.start("+15550008888", 0)
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
				t.Logf("view %+v", w.call(v.ID))
			}
		})
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		if strings.Contains(firstLine, string(ag.Leg)) {
			t.Fatalf("the call is on the dropped line %s", ag.Leg)
		}
		if n := w.count("api uuid_bridge " + string(lead.Leg) + " "); n != 2 {
			t.Fatalf("%d uuid_bridge for the lead, want 2 (the lost one and the one to the new line)", n)
		}
		// Paused (PHONE_DOWN) in between, unless its new line was up before
		// the lead looked for an agent again: either way READY once more.
		w.statesInOrder(agent, "READY", "RESERVED", "READY", "RESERVED", "INCALL")
		if st := w.events.AgentStates(agent); slices.Contains(st, "DISPO") {
			t.Fatalf("the agent wrapped up a call it never had: %v", st)
		}
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		_, kinds := w.record(v.ID)
		inOrder(t, "timeline", kinds, "answered", "agent_reserved", "agent_leg_lost", "agent_reserved", "bridged", "ended")
	})
}

// TestStalledBridgeRingsTheLineAgain: the switch answers +OK to the
// bridge and leaves the agent's persistent line stuck half way, with no
// event. The service asks again, then hangs the line up, rings the
// agent's phone again and connects the lead on the new line.
func TestStalledBridgeRingsTheLineAgain(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 20 * time.Second })
		w.ready("1002", dialer.ModePersistent)
		agent := w.agents["1002"].ID
		firstLine := w.sentPrefix("bgapi originate {origination_uuid=")
		w.sim.StallBridges(1)
		v := w.start("+15550008877", 0)
		// Two watches of 3 s, then the line rung again.
		waitFor(t, w.within(20*time.Second), "connected on a new line", func() bool {
			v = w.call(v.ID)
			return v.State == dialer.LiveConnected
		})
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		if strings.Contains(firstLine, string(ag.Leg)) {
			t.Fatalf("the call is on the stuck line %s", ag.Leg)
		}
		// The stalled one, the one asked again, and the one to the new line.
		if n := w.count("api uuid_bridge " + string(lead.Leg) + " "); n != 3 {
			t.Fatalf("%d uuid_bridge for the lead, want 3", n)
		}
		if n := w.count("api uuid_kill "); n != 1 {
			t.Fatalf("%d uuid_kill, want 1 (the stuck line)", n)
		}
		w.statesInOrder(agent, "READY", "RESERVED", "READY", "RESERVED", "INCALL")
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		_, kinds := w.record(v.ID)
		inOrder(t, "timeline", kinds, "answered", "agent_reserved", "bridge_stalled", "bridge_stalled", "agent_leg_lost", "agent_reserved", "bridged", "ended")
	})
}

// TestStalledBridgeNoHangup: the stuck leg does not even end when
// killed; the service takes it as gone. The agent, who did answer, is not
// paused for it and takes the lead on a new leg.
func TestStalledBridgeNoHangup(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 30 * time.Second })
		w.ready("1001", dialer.ModeRing)
		agent := w.agents["1001"].ID
		w.sim.StallBridges(1)
		w.sim.StuckLegsIgnoreKill(true)
		v := w.start("+15550008866", 0)
		waitFor(t, w.within(20*time.Second), "connected on a new leg", func() bool {
			v = w.call(v.ID)
			return v.State == dialer.LiveConnected
		})
		if n := w.count("api uuid_kill "); n != 1 {
			t.Fatalf("%d uuid_kill, want 1 (the stuck leg)", n)
		}
		w.statesInOrder(agent, "READY", "RESERVED", "RINGING", "READY", "RESERVED", "RINGING", "INCALL")
		if st := w.events.AgentStates(agent); slices.Contains(st[1:], "PAUSED") {
			t.Fatalf("the agent was paused for the switch's fault: %v", st)
		}
		w.sim.Hangup(string(w.party(v, dialer.LegLead).Leg), "NORMAL_CLEARING")
		_, kinds := w.record(v.ID)
		inOrder(t, "timeline", kinds, "answered", "agent_reserved", "bridge_stalled", "bridge_stalled", "bridge_stalled", "agent_leg_lost", "agent_reserved", "bridged", "ended")
	})
}

// TestAgentChangedWhileLoggedIn: an admin moves a logged-in agent to
// another extension; the next call rings the new one. Disabling the seat
// logs the agent out.
func TestAgentChangedWhileLoggedIn(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.sim.SetUser("1009", true)
		a, err := w.db.Agent(w.ctx(), w.agents["1001"].ID)
		if err != nil {
			t.Fatal(err)
		}
		a.Extension = "1009"
		if a, err = w.db.UpdateAgent(w.ctx(), a, "new-sip-secret-1"); err != nil {
			t.Fatal(err)
		}
		admin := dialer.Actor{User: 1, Role: identity.RoleAdmin, Name: "admin"}
		if err := w.eng.AgentChanged(w.ctx(), admin, a); err != nil {
			t.Fatal(err)
		}
		if v, _ := w.eng.AgentView(w.ctx(), a.ID); v.Extension != "1009" || v.Endpoint.Extension != "1009" {
			t.Fatalf("view after the change %+v", v)
		}
		w.sim.ResetCommands()
		v := w.start("+15550007001", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if got := w.sentPrefix("bgapi originate {origination_uuid=" + string(w.party(v, dialer.LegAgent).Leg)); !strings.Contains(got, "}user/1009") {
			t.Fatalf("the agent was rung at %q", got)
		}
		w.sim.Hangup(string(w.party(v, dialer.LegLead).Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), w.actor("1001"), v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		a.Disabled = true
		if err := w.eng.AgentChanged(w.ctx(), admin, a); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentLoggedOut)
	})
}

// TestAgentViewTeam: an agent's view names its team, for the wall to
// filter by, whether logged in or not, and follows a change at once.
func TestAgentViewTeam(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		team, err := w.db.CreateTeam(w.ctx(), dialer.Team{Name: "Closers"})
		if err != nil {
			t.Fatal(err)
		}
		w.ready("1001", dialer.ModeRing)
		admin := dialer.Actor{User: 1, Role: identity.RoleAdmin, Name: "admin"}
		for _, ext := range []string{"1001", "1002"} {
			a, err := w.db.Agent(w.ctx(), w.agents[ext].ID)
			if err != nil {
				t.Fatal(err)
			}
			a.Team = team.ID
			if a, err = w.db.UpdateAgent(w.ctx(), a, ""); err != nil {
				t.Fatal(err)
			}
			if err := w.eng.AgentChanged(w.ctx(), admin, a); err != nil {
				t.Fatal(err)
			}
			v, err := w.eng.AgentView(w.ctx(), a.ID)
			if err != nil && !errors.Is(err, dialer.ErrNotFound) {
				t.Fatal(err)
			}
			if err == nil && (v.Team == nil || *v.Team != (dialer.TeamRef{ID: team.ID, Name: "Closers"})) {
				t.Fatalf("%s: view team %+v", ext, v.Team)
			}
		}
		views, err := w.eng.AgentViews(w.ctx())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			inTeam := v.Extension == "1001" || v.Extension == "1002"
			if inTeam != (v.Team != nil) || inTeam && v.Team.Name != "Closers" {
				t.Fatalf("%s: listed team %+v", v.Extension, v.Team)
			}
		}
	})
}

// TestPhoneDial: an agent dials a number on its own SIP phone; the
// dialplan answers and parks the leg with the number, and the engine makes
// it a manual call from that leg. Calls the agent may not make are hung up.
func TestPhoneDial(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.Country = "US" })
		a := w.actor("1001")
		dialFromPhone := func(typed string) string {
			w.sim.SetExtension(typed, "set:agentswitch_leg_role=agent_dial,set:agentswitch_dialed="+typed+
				",set:agentswitch_agent_id="+a.Agent.String()+",answer,park")
			return w.sim.Inbound(sim.InboundCall{From: "1001", To: typed, Authorized: true})
		}
		killed := func(leg string) {
			t.Helper()
			w.mustSend("api uuid_kill " + leg + " CALL_REJECTED")
		}
		// Not logged in: refused.
		killed(dialFromPhone("5550001212"))

		w.login(a)
		// Not a number: refused, nothing recorded.
		killed(dialFromPhone("12"))
		if calls, _ := w.db.ListCalls(w.ctx(), dialer.CallFilter{}); len(calls) != 0 {
			t.Fatalf("a refused phone call was recorded: %+v", calls)
		}

		w.sim.ResetCommands()
		phone := dialFromPhone("5550003333")
		v := w.liveCall("the phone's call taken", func(c dialer.CallView) bool { return c.Agent == a.Agent })
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		if string(ag.Leg) != phone || v.Number != "+15550003333" {
			t.Fatalf("call %+v from phone leg %s", v, phone)
		}
		w.mustSend("api uuid_transfer " + phone + " m:^:set:continue_on_fail=true^bridge:{origination_uuid=" + string(lead.Leg) + ",originate_timeout=5,origination_caller_id_number=+15551230000,agentswitch_call_id=" +
			string(v.ID) + ",agentswitch_campaign_id=" + v.Campaign.String() + ",agentswitch_leg_role=lead,park_after_bridge=true}sofia/gateway/carrier/+15550003333^hangup inline")
		w.statesInOrder(a.Agent, "PAUSED", "INCALL")
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		c, _ := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.Origin != dialer.OriginManual || c.Agent != a.Agent || c.ToNumber != "+15550003333" {
			t.Fatalf("record %+v", c)
		}
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWarmTransferAgentLeaves: conference the target in, then Leave; the
// lead and the target talk on; the agent wraps up.
func TestWarmTransferAgentLeaves(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.start("+15550004444", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.sim.ResetCommands()
		p, err := w.eng.AddParty(w.ctx(), a, v.ID, dialer.TransferTarget{Number: "+15550005555"})
		if err != nil {
			t.Fatal(err)
		}
		room := roomOf(v.ID)
		w.mustSend("api uuid_transfer " + string(lead.Leg) + " -both conference:" + room + "@agentswitch,park inline")
		third := w.sentPrefix("bgapi originate {origination_uuid=" + string(p.Leg))
		if !strings.HasSuffix(third, "}sofia/gateway/carrier/+15550005555 &conference("+room+"@agentswitch)") {
			t.Fatalf("third party originate %q", third)
		}
		waitFor(t, 3*time.Second, "three in the room", func() bool { return len(w.sim.Conferences()[room]) == 3 })
		// Leave is refused until the target is in the room, then accepted.
		w.leave(a, v.ID)
		if w.sentPrefix("api conference "+room+" kick ") == "" {
			t.Fatal("agent not kicked")
		}
		w.waitState("1001", dialer.AgentDispo)
		waitFor(t, 2*time.Second, "agent leg gone", func() bool { return w.gone(ag.Leg) })
		waitFor(t, 2*time.Second, "agent left in the view", func() bool { v = w.call(v.ID); return v.AgentLeft })
		if v.State != dialer.LiveConference {
			t.Fatalf("after leave %+v", v)
		}
		if n := len(w.sim.Conferences()[room]); n != 2 {
			t.Fatalf("%d in the room after leave, want the lead and the target", n)
		}
		// The agent disposes while the lead and the target still talk.
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)
		w.sim.Hangup(string(p.Leg), "NORMAL_CLEARING")
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.Disposition != "SALE" {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "bridged", "conference", "party_added", "conference_join", "agent_left", "ended")
		inOrder(t, "events", w.events.CallTypes(v.ID), "call.connected", "call.party_added", "call.agent_left", "call.ended")
	})
}

func TestBlindTransfer(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.start("+15550006666", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead := w.party(v, dialer.LegLead)
		w.sim.ResetCommands()
		if err := w.eng.BlindTransfer(w.ctx(), a, v.ID, dialer.TransferTarget{Number: "+15550007777"}); err != nil {
			t.Fatal(err)
		}
		// The lead dials the number itself, hearing ringback, and stays up
		// (parked) if the number fails.
		bridge := "api uuid_transfer " + string(lead.Leg) + " m:^:set:continue_on_fail=true^set:transfer_ringback=${agentswitch_ringback}^bridge:{"
		if !strings.HasSuffix(w.sentPrefix(bridge), ",instant_ringback=true}sofia/gateway/carrier/+15550007777^park inline") {
			t.Fatalf("transfer %q", w.sim.Commands())
		}
		w.waitState("1001", dialer.AgentDispo)
		// Waiting while the number rings; with the lead once it answered.
		v = w.waitCall(v.ID, dialer.LiveConference)
		if v.Agent != 0 {
			t.Fatalf("after transfer %+v", v)
		}
		// Then to another agent.
		w.ready("1002", dialer.ModeRing)
		w.ready("1003", dialer.ModeRing)
		v2 := w.start("+15550008888", w.agents["1002"].ID)
		v2 = w.waitCall(v2.ID, dialer.LiveConnected)
		if err := w.eng.BlindTransfer(w.ctx(), w.actor("1002"), v2.ID, dialer.TransferTarget{Agent: w.agents["1003"].ID}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1002", dialer.AgentDispo)
		w.waitState("1003", dialer.AgentInCall)
		v2 = w.waitCall(v2.ID, dialer.LiveConnected)
		if v2.Agent != w.agents["1003"].ID {
			t.Fatalf("call agent %d", v2.Agent)
		}
	})
}

// TestAgentDisappears: the agent's phone drops mid-call; the lead is not
// left in silence.
func TestAgentDisappears(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550009999", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, ag := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.sim.Hangup(string(ag.Leg), "NORMAL_CLEARING")
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
			}
		})
		waitFor(t, 3*time.Second, "lead hung up", func() bool { return w.gone(lead.Leg) })
		w.waitState("1001", dialer.AgentDispo)
		c, _ := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
	})
}

// TestOwnershipAndBadInput: an agent cannot act on another agent's call;
// bad numbers are refused naming the field, with nothing written.
func TestOwnershipAndBadInput(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550001234", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		other := w.actor("1002")
		for name, err := range map[string]error{
			"hold":     w.eng.Hold(w.ctx(), other, v.ID, true),
			"hangup":   w.eng.Hangup(w.ctx(), other, v.ID),
			"dtmf":     w.eng.SendDTMF(w.ctx(), other, v.ID, "1"),
			"transfer": w.eng.BlindTransfer(w.ctx(), other, v.ID, dialer.TransferTarget{Number: "+15550001111"}),
			"ready":    func() error { _, err := w.eng.SetReady(w.ctx(), other, w.agents["1001"].ID); return err }(),
			"start": func() error {
				_, err := w.eng.StartCall(w.ctx(), other, dialer.OutboundRequest{Number: "+15550001111"})
				return err
			}(),
		} {
			if !errors.Is(err, dialer.ErrForbidden) {
				t.Errorf("%s by another agent: %v", name, err)
			}
		}
		calls, _ := w.db.ListCalls(w.ctx(), dialer.CallFilter{})
		before := len(calls)
		w.sim.ResetCommands()
		for _, n := range []string{"1001,user/1002", "+1555{x}", "+1555|2", "+1555;1", "^^:a", "+1555\n1", "+1555 1", "abc", "", "+"} {
			_, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: n})
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != "number" {
				t.Errorf("number %q: %v", n, err)
			}
		}
		_, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: "+15550001111", CallerIDName: "Evil, Inc"})
		var fe *dialer.FieldError
		if !errors.As(err, &fe) || fe.Field != "caller_id_name" {
			t.Errorf("caller id name with a comma: %v", err)
		}
		if err := w.eng.SendDTMF(w.ctx(), w.actor("1001"), v.ID, "1;uuid_kill"); !errors.As(err, &fe) || fe.Field != "digits" {
			t.Errorf("dtmf injection: %v", err)
		}
		calls, _ = w.db.ListCalls(w.ctx(), dialer.CallFilter{})
		if len(calls) != before {
			t.Errorf("%d calls written by refused requests", len(calls)-before)
		}
		if cmds := w.sim.Commands(); len(cmds) != 0 {
			t.Errorf("refused requests reached the switch: %q", cmds)
		}
		_ = fmt.Sprint()
	})
}

// gone reports whether the simulator's channel has hung up (or is gone).
func (w *world) gone(leg dialer.LegID) bool {
	ci, ok := w.sim.Channel(string(leg))
	return !ok || ci.HungUp
}

func (w *world) dump() {
	for _, c := range w.commands() {
		w.t.Log("cmd:", c)
	}
	for _, ev := range w.events.All() {
		w.t.Log("ev:", ev.Seq, ev.Type, ev.Agent, ev.Call)
	}
}

// TestInboundCallReachesAgent: a caller on one of our numbers is parked by
// the dialplan, hears music while waiting, and is connected to the
// longest-idle agent; the caller's lead is found by number.
func TestInboundCallReachesAgent(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		lead, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: w.defaultCampaign(), Phone: "+15558889999", FirstName: "Ada", Status: dialer.LeadNew})
		if err != nil {
			t.Fatal(err)
		}
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		caller := w.sim.Inbound(sim.InboundCall{From: "+15558889999", FromName: "Ada", To: "+15551110000"})
		v := w.liveCall("inbound call registered", func(c dialer.CallView) bool { return c.Direction == dialer.Inbound })
		w.mustSend("api uuid_broadcast " + caller + " ${hold_music} aleg")
		if v.Number != "+15558889999" || v.Lead != lead.ID {
			t.Fatalf("inbound view %+v", v)
		}
		// The agent becomes READY and is taken by the waiting caller at once.
		a := w.actor("1001")
		w.login(a)
		if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
			t.Fatal(err)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		ag := w.party(v, dialer.LegAgent)
		w.mustSend("api uuid_break " + caller + " all")
		w.mustSend("api uuid_bridge " + caller + " " + string(ag.Leg))
		w.sim.Hangup(caller, "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		c, kinds := w.record(v.ID)
		if c.Direction != dialer.Inbound || c.Outcome != dialer.OutcomeAnswered || c.FromNumber != "+15558889999" || c.ToNumber != "+15551110000" || c.Lead != lead.ID {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "created", "answered", "agent_reserved", "bridged", "ended")
		// A call from the lead is not a dialing attempt.
		if l, err := w.db.Lead(w.ctx(), lead.ID); err != nil || l.Attempts != 0 {
			t.Fatalf("lead after its own call: %+v, %v", l, err)
		}
	})
}

// TestSupervisorMonitor: listen, then whisper, then barge on a live call.
func TestSupervisorMonitor(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550007777", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		ag := w.party(v, dialer.LegAgent)
		sup := dialer.Actor{User: 50, Role: identity.RoleSupervisor, Name: "sup"}
		if _, err := w.eng.Monitor(w.ctx(), w.actor("1002"), v.ID, dialer.MonitorRequest{Endpoint: dialer.AgentEndpoint{Extension: "1003"}}); !errors.Is(err, dialer.ErrForbidden) {
			t.Fatalf("an agent monitored: %v", err)
		}
		p, err := w.eng.Monitor(w.ctx(), sup, v.ID, dialer.MonitorRequest{Mode: dialer.MonitorListen, Endpoint: dialer.AgentEndpoint{Extension: "1003"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := w.sentPrefix("bgapi originate {origination_uuid=" + string(p.Leg)); !strings.HasSuffix(got, "}user/1003 &eavesdrop("+string(ag.Leg)+")") {
			t.Fatalf("supervisor originate %q", got)
		}
		waitFor(t, 3*time.Second, "eavesdropping", func() bool {
			ci, ok := w.sim.Channel(string(p.Leg))
			return ok && ci.Eavesdrop == string(ag.Leg)
		})
		waitFor(t, 3*time.Second, "supervisor leg up in the call", func() bool {
			for _, q := range w.call(v.ID).Parties {
				if q.Leg == p.Leg && q.State == "up" {
					return true
				}
			}
			return false
		})
		for _, m := range []struct {
			mode  dialer.MonitorMode
			digit string
		}{{dialer.MonitorWhisper, "2"}, {dialer.MonitorBarge, "3"}, {dialer.MonitorListen, "0"}} {
			if err := w.eng.MonitorMode(w.ctx(), sup, v.ID, p.Leg, m.mode); err != nil {
				t.Fatal(err)
			}
			w.mustSend("api uuid_recv_dtmf " + string(p.Leg) + " " + m.digit)
		}
		if err := w.eng.StopMonitor(w.ctx(), sup, v.ID, p.Leg); err != nil {
			t.Fatal(err)
		}
		w.mustSend("api uuid_kill " + string(p.Leg) + " NORMAL_CLEARING")
		if w.call(v.ID).State != dialer.LiveConnected {
			t.Fatal("stopping the monitor disturbed the call")
		}
		waitFor(t, 3*time.Second, "monitor ended pushed", func() bool { return w.events.Has(v.ID, dialer.EvMonitorEnded) })
		inOrder(t, "events", w.events.CallTypes(v.ID), "call.connected", "call.monitor_answered",
			"call.monitor_mode", "call.monitor_mode", "call.monitor_mode", "call.monitor_ended")
		// The wall shows what each event carries: the leg, its mode, who
		// started it and whether its phone is up.
		var got []dialer.MonitorView
		for _, ev := range w.events.All() {
			if ev.Call != v.ID || ev.Monitor == nil {
				continue
			}
			got = append(got, *ev.Monitor)
			i := slices.IndexFunc(ev.CallView.Parties, func(q dialer.PartyView) bool { return q.Leg == p.Leg })
			if i < 0 || ev.CallView.Parties[i].State != ev.Monitor.State {
				t.Fatalf("%s: the call's parties %+v, the event's leg %s", ev.Type, ev.CallView.Parties, ev.Monitor.State)
			}
		}
		want := []dialer.MonitorView{
			{Leg: p.Leg, Mode: dialer.MonitorListen, User: 50, State: dialer.LegUp},
			{Leg: p.Leg, Mode: dialer.MonitorWhisper, User: 50, State: dialer.LegUp},
			{Leg: p.Leg, Mode: dialer.MonitorBarge, User: 50, State: dialer.LegUp},
			{Leg: p.Leg, Mode: dialer.MonitorListen, User: 50, State: dialer.LegUp},
			{Leg: p.Leg, Mode: dialer.MonitorListen, User: 50, State: dialer.LegGone},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("monitor events\n got %+v\nwant %+v", got, want)
		}
	})
}

func (w *world) defaultCampaign() dialer.CampaignID {
	w.t.Helper()
	list, err := w.db.ListCampaigns(w.ctx())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range list {
		if c.Name == "Default" {
			return c.ID
		}
	}
	c, err := w.db.CreateCampaign(w.ctx(), dialer.Campaign{Name: "Default", DialMode: dialer.DialPreview, MaxAttempts: 3, Active: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return c.ID
}

// TestSwitchReconnectAndRestart: a dropped connection to the same switch
// leaves the call alone; a restarted switch (new Core-UUID) ends its calls
// as failed and frees their agents (R2).
func TestSwitchReconnectAndRestart(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550008080", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		w.sim.DropAll()
		waitFor(t, 5*time.Second, "reconnected", func() bool {
			n := w.esl.Nodes()
			return n[0].Up && w.esl.Stats().Reconnects.Load() >= 1
		})
		// The call is still there, and still controllable.
		if err := w.eng.Mute(w.ctx(), w.actor("1001"), v.ID, true); err != nil {
			t.Fatalf("after reconnect: %v", err)
		}
		if w.call(v.ID).State != dialer.LiveConnected {
			t.Fatalf("reconnect ended the call: %+v", w.call(v.ID))
		}
		w.sim.Restart()
		waitFor(t, 5*time.Second, "call ended after the restart", func() bool { return w.call(v.ID).State == dialer.LiveEnded })
		w.waitState("1001", dialer.AgentDispo)
		c, _ := w.record(v.ID)
		if c.HangupCause != "SYSTEM_SHUTDOWN" {
			t.Fatalf("record %+v", c)
		}
	})
}

// TestBlindTransferAgentDisposes: the agent who transferred the call away
// still sees it and disposes it.
func TestBlindTransferAgentDisposes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.start("+15550006161", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if err := w.eng.BlindTransfer(w.ctx(), a, v.ID, dialer.TransferTarget{Number: "+15550006262"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		waitFor(t, 2*time.Second, "old agent listed as gone", func() bool {
			for _, p := range w.call(v.ID).Parties {
				if p.Agent == a.Agent && p.State == "gone" {
					return true
				}
			}
			return false
		})
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)
	})
}

// TestRestartPausesAgentsOnLostCalls: after a restart of the service an
// agent bound to a call the new process does not hold (one that ended
// meanwhile, ringing, reserved) is PAUSED at once with CALL_LOST and may
// go READY; READY,
// PAUSED and DISPO agents keep their state.
func TestRestartPausesAgentsOnLostCalls(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{extensions: []string{"1001", "1002", "1003", "1004", "1005"}})
		// 1001 talks on a real call, which ends while no engine runs.
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550007070", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		w.waitState("1001", dialer.AgentInCall)
		lead := w.party(v, dialer.LegLead).Leg
		for _, ext := range []string{"1002", "1003", "1004", "1005"} {
			w.ready(ext, dialer.ModeRing)
		}
		// The others are booked, ringing or wrapping up in the live store, as
		// a process killed at that moment would leave them; their leases are
		// long, so nothing but the restart may free them.
		book := func(ext string, call dialer.CallID) {
			if _, err := w.live.ReserveAgent(w.ctx(), w.agents[ext].ID, dialer.ReserveRequest{Call: call, Lease: time.Hour, Reason: "test", At: w.now()}); err != nil {
				t.Fatal(err)
			}
		}
		move := func(ext string, from, to dialer.AgentState, call dialer.CallID) {
			if _, err := w.live.Transition(w.ctx(), dialer.Transition{Agent: w.agents[ext].ID, From: from, To: to, Call: call, At: w.now()}); err != nil {
				t.Fatalf("%s %s->%s: %v", ext, from, to, err)
			}
		}
		reserved, ringing, dispo := dialer.NewCallID(), dialer.NewCallID(), dialer.NewCallID()
		book("1002", reserved)
		book("1003", ringing)
		move("1003", dialer.AgentReserved, dialer.AgentRinging, ringing)
		book("1004", dispo)
		move("1004", dialer.AgentReserved, dialer.AgentRinging, dispo)
		move("1004", dialer.AgentRinging, dialer.AgentInCall, dispo)
		move("1004", dialer.AgentInCall, dialer.AgentDispo, dispo)

		w.restartEngine(func() {
			w.sim.Hangup(string(lead), "NORMAL_CLEARING")
			waitFor(t, 3*time.Second, "call gone", func() bool { return w.gone(lead) })
		})

		want := map[string]dialer.AgentState{
			"1001": dialer.AgentPaused, "1002": dialer.AgentPaused, "1003": dialer.AgentPaused,
			"1004": dialer.AgentDispo, "1005": dialer.AgentReady,
		}
		for ext, st := range want {
			// At once: the engine answers only once its start-up is done.
			got, err := w.eng.AgentView(w.ctx(), w.agents[ext].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != st {
				t.Errorf("agent %s after restart: %s, want %s", ext, got.State, st)
			}
			if st == dialer.AgentPaused && (got.PauseCode != dialer.PauseCallLost || got.Reason == "" || got.Call != "") {
				t.Errorf("agent %s paused with %q (%q), call %q; want %s", ext, got.PauseCode, got.Reason, got.Call, dialer.PauseCallLost)
			}
		}
		// The paused agents take calls again as soon as they ask.
		for _, ext := range []string{"1001", "1002", "1003"} {
			a := w.actor(ext)
			if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
				t.Fatalf("agent %s ready after restart: %v", ext, err)
			}
		}
	})
}

// outageTap lets the engine see a node go down, then moves the engine's
// clock by the length of the outage before anything else is delivered.
type outageTap struct {
	next   esl.Handler
	clock  *clock.Manual
	outage time.Duration
}

func (o *outageTap) HandleEvent(node string, ev *esl.Event) { o.next.HandleEvent(node, ev) }

func (o *outageTap) HandleNode(st esl.NodeState) {
	o.next.HandleNode(st)
	if !st.Up {
		o.clock.Advance(o.outage)
	}
}

// TestSwitchDiesMidCall: a switch that dies under a call (and returns
// with a new Core-UUID) ends it at the last moment it was known alive, not
// when it came back: billsec counts the talk, not the outage, and the
// record says the switch was lost and billsec is an estimate.
func TestSwitchDiesMidCall(t *testing.T) {
	bubble(t, func(t *testing.T) {
		clk := clock.NewManual(time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC))
		w := newWorldWith(t, worldOpts{now: clk.Now, tap: func(h esl.Handler) esl.Handler {
			return &outageTap{next: h, clock: clk, outage: 6 * time.Second}
		}})
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550009191", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		answered := v.AnsweredAt
		clk.Advance(3 * time.Second) // they talk
		w.sim.Restart()              // it dies and comes back at once; the tap makes it 6 s
		w.waitCall(v.ID, dialer.LiveEnded)
		c, kinds := w.record(v.ID)
		if !c.SwitchLost || !c.BillsecEstimated || c.Billsec != 3 || c.HangupCause != "SYSTEM_SHUTDOWN" {
			t.Fatalf("record %+v", c)
		}
		if !c.AnsweredAt.Equal(answered) || !c.EndedAt.Equal(answered.Add(3*time.Second)) {
			t.Fatalf("answered %s ended %s; want the end 3 s after the answer %s", c.AnsweredAt, c.EndedAt, answered)
		}
		inOrder(t, "timeline", kinds, "answered", "bridged", "ended")
		evs, err := w.db.CallEvents(w.ctx(), v.ID)
		if err != nil {
			t.Fatal(err)
		}
		ended := evs[len(evs)-1]
		if ended.Kind != dialer.EventCallEnded || !strings.Contains(string(ended.Data), `"switch_lost":true`) || !strings.Contains(string(ended.Data), `"billsec_estimated":true`) {
			t.Fatalf("ended event %s %s", ended.Kind, ended.Data)
		}
		// A call on a switch that stayed up is billed by the switch, not
		// estimated.
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), w.actor("1001"), v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReady)
		v2 := w.start("+15550009192", 0)
		w.waitCall(v2.ID, dialer.LiveConnected)
		if err := w.eng.Hangup(w.ctx(), w.actor("1001"), v2.ID); err != nil {
			t.Fatal(err)
		}
		c2, _ := w.record(v2.ID)
		if c2.SwitchLost || c2.BillsecEstimated || c2.HangupCause != "NORMAL_CLEARING" {
			t.Fatalf("second record %+v", c2)
		}
	})
}

// TestLateDispositionLeavesNoPhantom: a disposition that comes after the
// call left memory (a long wrap-up, a supervisor's correction) is pushed
// as an ended call and adds nothing to the live calls.
func TestLateDispositionLeavesNoPhantom(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.Linger = 20 * time.Millisecond })
		w.ready("1001", dialer.ModeRing)
		a := w.actor("1001")
		v := w.start("+15550004141", 0)
		w.waitCall(v.ID, dialer.LiveConnected)
		if err := w.eng.Hangup(w.ctx(), a, v.ID); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		waitFor(t, 5*time.Second, "the call to leave memory", func() bool {
			_, err := w.eng.CallView(w.ctx(), v.ID)
			return errors.Is(err, dialer.ErrNotFound)
		})
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
		// A supervisor corrects it later.
		if _, err := w.eng.Dispose(w.ctx(), w.admin, v.ID, dialer.DispositionRequest{Code: "NI"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "two dispositions pushed", func() bool {
			n := 0
			for _, ev := range w.events.All() {
				if ev.Type == dialer.EvCallDisposed && ev.Call == v.ID {
					n++
					if ev.CallView.State != dialer.LiveEnded || ev.CallView.CreatedAt.IsZero() || ev.CallView.Number != "+15550004141" {
						t.Fatalf("disposition pushed with the view %+v", ev.CallView)
					}
				}
			}
			return n == 2
		})
		if live := w.eng.LiveCalls(w.ctx()); len(live) != 0 {
			t.Fatalf("live calls after the disposition: %+v", live)
		}
		snap, _, err := w.eng.Subscribe(w.ctx(), dialer.LiveFilter{})
		if err != nil || len(snap.Calls) != 0 {
			t.Fatalf("snapshot calls %+v %v", snap.Calls, err)
		}
	})
}

// TestAgentHangsUpFirstKeepsLeadCause: when the agent's phone hangs up
// first, the call waits for the lead's hangup, so the record and the
// timeline's end carry the lead's cause.
func TestAgentHangsUpFirstKeepsLeadCause(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15550005151", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		ag := w.party(v, dialer.LegAgent)
		if !w.sim.Hangup(string(ag.Leg), "NORMAL_CLEARING") {
			t.Fatal("no agent channel to hang up")
		}
		c, _ := w.record(v.ID)
		if c.HangupCause != "NORMAL_CLEARING" || c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
		evs, err := w.db.CallEvents(w.ctx(), v.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Kind == dialer.EventCallEnded && !strings.Contains(string(ev.Data), `"cause":"NORMAL_CLEARING"`) {
				t.Fatalf("ended event %s", ev.Data)
			}
		}
		w.waitState("1001", dialer.AgentDispo)
	})
}

// TestLeadAttemptsCounted: the lead-call API, a manual dial and a
// callback each count one attempt on the lead.
func TestLeadAttemptsCounted(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		const number = "+15550007777"
		w.sim.SetEndpoint(number, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		var leadID dialer.LeadID
		attempts := func() int {
			t.Helper()
			l, err := w.db.Lead(w.ctx(), leadID)
			if err != nil {
				t.Fatal(err)
			}
			return l.Attempts
		}
		check := func(what string, id dialer.CallID, want int) {
			t.Helper()
			c, _ := w.record(id)
			leadID = c.Lead
			if got := attempts(); got != want {
				t.Fatalf("after %s: %d attempts, want %d", what, got, want)
			}
		}
		for i := range 2 {
			v, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: number})
			if err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("lead call %d", i+1), v.ID, i+1)
		}
		a := w.actor("1001")
		w.login(a)
		v, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: number})
		if err != nil {
			t.Fatal(err)
		}
		check("a manual dial", v.ID, 3)
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "CALLBK",
			Callback: &dialer.CallbackRequest{DueAt: w.now().Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		cbs, err := w.db.DueCallbacks(w.ctx(), w.now().Add(2*time.Hour), a.Agent, 10)
		if err != nil || len(cbs) != 1 {
			t.Fatalf("callbacks %+v, %v", cbs, err)
		}
		if v, err = w.eng.DialCallback(w.ctx(), a, cbs[0].ID); err != nil {
			t.Fatal(err)
		}
		check("a callback", v.ID, 4)
	})
}

// TestDNCDispositionCancelsCallbacks: the lead's scheduled callback goes
// with a DNC disposition, and is no longer offered or dialable.
func TestDNCDispositionCancelsCallbacks(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		const number = "+15550008888"
		w.sim.SetEndpoint(number, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		lead, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: w.defaultCampaign(), Phone: number})
		if err != nil {
			t.Fatal(err)
		}
		cb, err := w.db.CreateCallback(w.ctx(), dialer.Callback{Lead: lead.ID, DueAt: w.now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		a := w.actor("1001")
		w.login(a)
		v, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: number})
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := w.record(v.ID); c.Lead != lead.ID {
			t.Fatalf("call to lead %d, want %d", c.Lead, lead.ID)
		}
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "DNC"}); err != nil {
			t.Fatal(err)
		}
		got, err := w.db.Callback(w.ctx(), cb.ID)
		if err != nil || got.Status != dialer.CallbackCancelled {
			t.Fatalf("callback after DNC: %+v, %v", got, err)
		}
		if due, _ := w.db.DueCallbacks(w.ctx(), w.now(), 0, 10); len(due) != 0 {
			t.Fatalf("still due: %+v", due)
		}
		if _, err := w.eng.DialCallback(w.ctx(), a, cb.ID); !errors.Is(err, dialer.ErrConflict) {
			t.Fatalf("dialing the cancelled callback: %v", err)
		}
	})
}

// TestConcurrentFirstCallsShareDefaultCampaign: on a fresh database, first
// calls arriving together without a campaign all land in the one Default
// campaign; none is refused for a campaign it did not name.
func TestConcurrentFirstCallsShareDefaultCampaign(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		const n = 20
		numbers := make([]string, n)
		for i := range numbers {
			numbers[i] = fmt.Sprintf("+1555000%04d", i)
			w.sim.SetEndpoint(numbers[i], sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		}
		ids := make([]dialer.CallID, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				v, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: numbers[i]})
				if err != nil {
					t.Errorf("call %d: %v", i, err)
					return
				}
				ids[i] = v.ID
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		camps, err := w.db.ListCampaigns(w.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(camps) != 1 || camps[0].Name != "Default" {
			t.Fatalf("campaigns %+v, want the one Default", camps)
		}
		for i, id := range ids {
			if c, _ := w.record(id); c.Campaign != camps[0].ID {
				t.Errorf("call %d is in campaign %d, want %d", i, c.Campaign, camps[0].ID)
			}
		}
	})
}

// TestRedisOutage: with Redis down, heartbeats are still taken and the
// sweeps wait; when it is back, an agent whose workspace kept beating is
// still READY, and one that fell silent meanwhile is paused.
func TestRedisOutage(t *testing.T) {
	onFullStack(t, func(t *testing.T) {
		clk := clock.NewManual(time.Date(2031, 3, 14, 9, 0, 0, 0, time.UTC))
		grace := 30 * time.Second
		w := newWorldWith(t, worldOpts{now: clk.Now, persistRedis: true, engine: func(c *dialer.EngineConfig) { c.HeartbeatGrace = grace }})
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModeRing)
		beating, silent := w.actor("1001"), w.actor("1002")

		w.redis.Stop()
		clk.Advance(20 * time.Second)
		if err := w.eng.Heartbeat(w.ctx(), beating, beating.Agent); err != nil {
			t.Fatalf("heartbeat during the outage: %v", err)
		}
		if _, err := w.eng.AgentView(w.ctx(), beating.Agent); !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("agent view during the outage: %v", err)
		}
		// A lead call is refused before anything is dialed: no agent could
		// be found for it when it answers.
		before := w.count("bgapi originate")
		if _, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: "+15550002121"}); !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("call during the outage: %v", err)
		}
		if n := w.count("bgapi originate"); n != before {
			t.Fatalf("%d originates during the outage", n-before)
		}
		// Past the last beat written before the outage, not past the one
		// taken during it.
		clk.Advance(25 * time.Second)
		w.redis.Restart()
		waitFor(t, 10*time.Second, "the silent agent paused", func() bool {
			v, err := w.eng.AgentView(w.ctx(), silent.Agent)
			return err == nil && v.State == dialer.AgentPaused && v.PauseCode == dialer.PauseNoHeartbeat
		})
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("the agent that kept beating is %s", st)
		}
		// Its beat still counts: silent from now on, it is paused after the
		// grace.
		clk.Advance(grace)
		waitFor(t, 10*time.Second, "the beating agent paused once silent", func() bool {
			v, err := w.eng.AgentView(w.ctx(), beating.Agent)
			return err == nil && v.State == dialer.AgentPaused
		})
	})
}

// TestRedisComesBackEmpty: a Redis that lost its data (restarted without
// it) gets the agents back as they were: READY and PAUSED keep their
// state, logged-out agents are registered again.
func TestRedisComesBackEmpty(t *testing.T) {
	onBothTiers(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModeRing)
		lunch := w.actor("1002")
		if _, err := w.eng.Pause(w.ctx(), lunch, lunch.Agent, "LUNCH"); err != nil {
			t.Fatal(err)
		}
		w.loseLiveData() // no persistence: empty
		waitFor(t, 10*time.Second, "agents rebuilt", func() bool {
			a, err1 := w.eng.AgentView(w.ctx(), w.agents["1001"].ID)
			b, err2 := w.eng.AgentView(w.ctx(), lunch.Agent)
			c, err3 := w.live.Agent(w.ctx(), w.agents["1003"].ID)
			return err1 == nil && err2 == nil && err3 == nil && a.State == dialer.AgentReady &&
				b.State == dialer.AgentPaused && b.PauseCode == "LUNCH" && c.State == dialer.AgentLoggedOut
		})
		// The rebuilt READY agent takes the next call.
		v := w.start("+15550003131", 0)
		w.waitCall(v.ID, dialer.LiveConnected)
		w.waitState("1001", dialer.AgentInCall)
	})
}

// TestSwitchDownRefusesCalls: with no switch connected, a lead call and a
// manual dial are refused as ErrSwitchDown before anything is recorded or
// an agent leaves the queue, instead of a call that can only end
// unreachable.
func TestSwitchDownRefusesCalls(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.sim.Close()
		waitFor(t, 5*time.Second, "switch down", func() bool { return !w.esl.Nodes()[0].Up })
		calls, err := w.db.ListCalls(w.ctx(), dialer.CallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		leads, err := w.db.ListLeads(w.ctx(), dialer.LeadFilter{})
		if err != nil {
			t.Fatal(err)
		}

		_, err = w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: "+15550007070", Agent: w.agents["1001"].ID})
		if !errors.Is(err, dialer.ErrSwitchDown) || !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("StartCall with the switch down: %v", err)
		}
		a := w.actor("1001")
		if _, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: "+15550007071"}); !errors.Is(err, dialer.ErrSwitchDown) {
			t.Fatalf("ManualDial with the switch down: %v", err)
		}
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Errorf("agent left the queue for a refused dial: %s", st)
		}
		if n := len(w.eng.LiveCalls(w.ctx())); n != 0 {
			t.Errorf("%d live calls", n)
		}
		after, _ := w.db.ListCalls(w.ctx(), dialer.CallFilter{})
		afterLeads, _ := w.db.ListLeads(w.ctx(), dialer.LeadFilter{})
		if len(after) != len(calls) || len(afterLeads) != len(leads) {
			t.Errorf("refused dials wrote %d calls and %d leads", len(after)-len(calls), len(afterLeads)-len(leads))
		}
	})
}

// TestRestartReschedulesDialingCallback: a callback being dialed when the
// service stops is scheduled again by the next start-up, due and dialable,
// not left dialing for ever.
func TestRestartReschedulesDialingCallback(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		const number = "+15550006666"
		// The lead rings past the restart.
		w.sim.SetEndpoint(number, sim.Behavior{Outcome: sim.NoAnswer})
		lead, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: w.defaultCampaign(), Phone: number})
		if err != nil {
			t.Fatal(err)
		}
		cb, err := w.db.CreateCallback(w.ctx(), dialer.Callback{Lead: lead.ID, DueAt: w.now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		other, err := w.db.CreateCallback(w.ctx(), dialer.Callback{Lead: lead.ID, DueAt: w.now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		a := w.actor("1001")
		w.login(a)
		if _, err := w.eng.DialCallback(w.ctx(), a, cb.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := w.db.Callback(w.ctx(), cb.ID); got.Status != dialer.CallbackDialing {
			t.Fatalf("callback while dialed: %s", got.Status)
		}

		w.restartEngine()

		// At once: the engine answers only once its start-up is done.
		if _, err := w.eng.AgentView(w.ctx(), a.Agent); err != nil {
			t.Fatal(err)
		}
		got, err := w.db.Callback(w.ctx(), cb.ID)
		if err != nil || got.Status != dialer.CallbackScheduled {
			t.Fatalf("callback after restart: %+v, %v", got, err)
		}
		if got, _ := w.db.Callback(w.ctx(), other.ID); got.Status != dialer.CallbackScheduled {
			t.Errorf("untouched callback after restart: %s", got.Status)
		}
		due, err := w.db.DueCallbacks(w.ctx(), w.now(), 0, 10)
		if err != nil || len(due) != 1 || due[0].ID != cb.ID {
			t.Fatalf("due after restart: %+v, %v", due, err)
		}
		// And it can be dialed again.
		if _, err := w.eng.DialCallback(w.ctx(), a, cb.ID); err != nil {
			t.Fatalf("redial after restart: %v", err)
		}
	})
}

// alive reports whether the simulator's channel is up.
func (w *world) alive(leg dialer.LegID) bool {
	ci, ok := w.sim.Channel(string(leg))
	return ok && !ci.HungUp
}

// TestBlindTransferToAgentRejectedGoesBack: the target agent's phone
// rejects (486); the lead is not dropped: it hears hold music, the agent
// who transferred it (in wrap-up) is rung again and takes it back; the
// target is paused (RONA). The call is not abandoned.
func TestBlindTransferToAgentRejectedGoesBack(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		alice, bob := w.agents["1001"].ID, w.agents["1002"].ID
		v := w.start("+15550007101", alice)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, first := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.ready("1002", dialer.ModeRing)
		w.sim.SetEndpoint("1002", sim.Behavior{Outcome: sim.Busy, AnswerAfter: 80 * time.Millisecond})
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
			}
		})
		w.sim.ResetCommands()
		if err := w.eng.BlindTransfer(w.ctx(), w.actor("1001"), v.ID, dialer.TransferTarget{Agent: bob}); err != nil {
			t.Fatal(err)
		}
		// The lead dials the target itself, hearing ringback, and stays up
		// (parked) if the target fails.
		bridge := w.sentPrefix("api uuid_transfer " + string(lead.Leg) + " m:^:set:continue_on_fail=true^set:transfer_ringback=${agentswitch_ringback}^bridge:{")
		if !strings.HasSuffix(bridge, ",instant_ringback=true}user/1002^park inline") {
			t.Fatalf("transfer %q", bridge)
		}
		w.mustSend("api uuid_broadcast " + string(lead.Leg) + " ${hold_music} aleg")
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != alice || !w.alive(lead.Leg) {
			t.Fatalf("after the failed transfer %+v (lead up: %v)", v, w.alive(lead.Leg))
		}
		back := w.party(v, dialer.LegAgent)
		if back.Leg == first.Leg || back.Agent != alice {
			t.Fatalf("the lead is with %+v, want a new leg of agent %d", back, alice)
		}
		ci, _ := w.sim.Channel(string(lead.Leg))
		if ci.BridgedTo != string(back.Leg) {
			t.Fatalf("the lead is bridged to %q, want %s", ci.BridgedTo, back.Leg)
		}
		w.mustSend("api uuid_break " + string(lead.Leg) + " all")
		w.statesInOrder(alice, "INCALL", "DISPO", "RESERVED", "RINGING", "INCALL")
		if got, _ := w.eng.AgentView(w.ctx(), bob); got.State != dialer.AgentPaused || got.PauseCode != dialer.PauseRONA {
			t.Fatalf("the target that rejected is %s %q, want PAUSED RONA", got.State, got.PauseCode)
		}
		if !w.events.Has(v.ID, dialer.EvCallTransferFailed) {
			t.Errorf("no %s in %v", dialer.EvCallTransferFailed, w.events.CallTypes(v.ID))
		}
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered || c.HangupCause != "NORMAL_CLEARING" {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "bridged", "transfer", "transfer_failed", "transfer_returned", "bridged", "ended")
		if _, err := w.eng.Dispose(w.ctx(), w.actor("1001"), v.ID, dialer.DispositionRequest{Code: "SALE"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBlindTransferToAgentNoAnswerAgentGone: the target does not answer
// and the agent who transferred the call has paused meanwhile (gone): the
// lead hears the transfer-failed message after the ringback, and is hung
// up; the outcome is transfer_failed, not abandoned.
func TestBlindTransferToAgentNoAnswerAgentGone(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const message = "/usr/share/agentswitch/sounds/transfer-failed.wav"
		w := newWorld(t, func(c *dialer.EngineConfig) {
			c.AgentRingTimeout = time.Second
			c.TransferFailedMessage = message
		})
		w.ready("1001", dialer.ModeRing)
		alice, bob := w.agents["1001"].ID, w.agents["1002"].ID
		v := w.start("+15550007102", alice)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead := w.party(v, dialer.LegLead)
		w.ready("1002", dialer.ModeRing)
		w.sim.SetEndpoint("1002", sim.Behavior{Outcome: sim.NoAnswer})
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
			}
		})
		if err := w.eng.BlindTransfer(w.ctx(), w.actor("1001"), v.ID, dialer.TransferTarget{Agent: bob}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		if _, err := w.eng.Dispose(w.ctx(), w.actor("1001"), v.ID, dialer.DispositionRequest{Code: "NI"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.eng.Pause(w.ctx(), w.actor("1001"), alice, "BREAK"); err != nil {
			t.Fatal(err)
		}
		w.mustSend("api uuid_transfer " + string(lead.Leg) + " playback:" + message + ",hangup inline")
		if w.sent("api uuid_kill " + string(lead.Leg) + " NORMAL_CLEARING") {
			t.Error("the lead was hung up instead of hearing the message")
		}
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeTransferFailed {
			t.Fatalf("outcome %s, want %s: %+v", c.Outcome, dialer.OutcomeTransferFailed, c)
		}
		inOrder(t, "timeline", kinds, "bridged", "transfer", "transfer_failed", "transfer_failed_hangup", "ended")
		if slices.Contains(kinds, "transfer_returned") {
			t.Errorf("a paused agent was given the call back: %v", kinds)
		}
		if got, _ := w.eng.AgentView(w.ctx(), bob); got.State != dialer.AgentPaused || got.PauseCode != dialer.PauseRONA {
			t.Fatalf("the target that did not answer is %s %q, want PAUSED RONA", got.State, got.PauseCode)
		}
		if got := w.state("1001"); got != dialer.AgentPaused {
			t.Fatalf("the agent who paused is %s", got)
		}
		if v := w.call(v.ID); v.Outcome != dialer.OutcomeTransferFailed {
			t.Fatalf("view outcome %s", v.Outcome)
		}
	})
}

// TestBlindTransferToNumberFailsBackToLine: a persistent agent's transfer
// to a busy number: the lead stays and is bridged back to the agent's
// line, which never went down.
func TestBlindTransferToNumberFailsBackToLine(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1002", dialer.ModePersistent)
		bob := w.agents["1002"].ID
		v := w.start("+15550007103", bob)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, line := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.sim.SetEndpoint("+15550007104", sim.Behavior{Outcome: sim.Busy, AnswerAfter: 60 * time.Millisecond})
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
			}
		})
		w.sim.ResetCommands()
		if err := w.eng.BlindTransfer(w.ctx(), w.actor("1002"), v.ID, dialer.TransferTarget{Number: "+15550007104"}); err != nil {
			t.Fatal(err)
		}
		w.mustSend("api uuid_bridge " + string(lead.Leg) + " " + string(line.Leg))
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != bob || !w.alive(lead.Leg) || !w.alive(line.Leg) || w.party(v, dialer.LegAgent).Leg != line.Leg {
			t.Fatalf("after the failed transfer %+v (lead up %v, line up %v)", v, w.alive(lead.Leg), w.alive(line.Leg))
		}
		w.statesInOrder(bob, "INCALL", "DISPO", "RESERVED", "INCALL")
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		w.waitState("1002", dialer.AgentDispo)
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "transfer", "transfer_failed", "transfer_returned", "bridged", "ended")
		waitFor(t, 2*time.Second, "line parked", func() bool {
			ci, ok := w.sim.Channel(string(line.Leg))
			return ok && !ci.HungUp && ci.Parked
		})
	})
}

// TestPersistentLineSurvivesFailedManualDial: a persistent agent dials a
// busy number, one that does not answer and one that does not exist; its
// nailed-up line stays up each time and it wraps up the attempt.
func TestPersistentLineSurvivesFailedManualDial(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.LeadTimeout = time.Second })
		a := w.actor("1002")
		w.ready("1002", dialer.ModePersistent)
		w.waitState("1002", dialer.AgentReady)
		line := w.sentPrefix("bgapi originate {origination_uuid=")
		line = strings.TrimPrefix(line, "bgapi originate {origination_uuid=")
		line, _, _ = strings.Cut(line, ",")
		w.sim.SetEndpoint("+15550007201", sim.Behavior{Outcome: sim.Busy, AnswerAfter: 40 * time.Millisecond})
		w.sim.SetEndpoint("+15550007202", sim.Behavior{Outcome: sim.NoAnswer})
		w.sim.SetEndpoint("+15550007203", sim.Behavior{Outcome: sim.Fail, Cause: "UNALLOCATED_NUMBER", AnswerAfter: 40 * time.Millisecond})
		for number, want := range map[string]dialer.CallOutcome{"+15550007201": dialer.OutcomeBusy, "+15550007202": dialer.OutcomeNoAnswer, "+15550007203": dialer.OutcomeFailed} {
			v, err := w.eng.ManualDial(w.ctx(), a, a.Agent, dialer.ManualDialRequest{Number: number})
			if err != nil {
				t.Fatal(err)
			}
			if ag := w.party(v, dialer.LegAgent); string(ag.Leg) != line {
				t.Fatalf("%s dialed from %s, not the line %s", number, ag.Leg, line)
			}
			c, _ := w.record(v.ID)
			if c.Outcome != want {
				t.Errorf("%s: outcome %s, want %s (%+v)", number, c.Outcome, want, c)
			}
			w.waitState("1002", dialer.AgentDispo)
			waitFor(t, 2*time.Second, "line parked again", func() bool {
				ci, ok := w.sim.Channel(line)
				return ok && !ci.HungUp && ci.Parked
			})
			if av, _ := w.eng.AgentView(w.ctx(), a.Agent); !av.PhoneConnected {
				t.Fatalf("%s: the agent's line is reported down", number)
			}
			if _, err := w.eng.Dispose(w.ctx(), a, v.ID, dialer.DispositionRequest{Code: "NI"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.eng.Pause(w.ctx(), a, a.Agent, "BREAK"); err != nil {
				t.Fatal(err)
			}
		}
		// The line still takes calls.
		if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
			t.Fatal(err)
		}
		v := w.start("+15550007204", a.Agent)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if string(w.party(v, dialer.LegAgent).Leg) != line {
			t.Fatal("the next call did not use the same line")
		}
	})
}

// TestBlindTransferToUnregisteredAgentGoesBack: the target agent's phone
// is not registered, so the lead's dial fails at once (no channel); the
// persistent agent who transferred the call gets it back on its line.
func TestBlindTransferToUnregisteredAgentGoesBack(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1002", dialer.ModePersistent)
		bob, carol := w.agents["1002"].ID, w.agents["1003"].ID
		v := w.start("+15550007105", bob)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		lead, line := w.party(v, dialer.LegLead), w.party(v, dialer.LegAgent)
		w.ready("1003", dialer.ModeRing)
		w.sim.SetUser("1003", false)
		t.Cleanup(func() {
			if t.Failed() {
				w.dump()
			}
		})
		w.sim.ResetCommands()
		if err := w.eng.BlindTransfer(w.ctx(), w.actor("1002"), v.ID, dialer.TransferTarget{Agent: carol}); err != nil {
			t.Fatal(err)
		}
		w.mustSend("api uuid_bridge " + string(lead.Leg) + " " + string(line.Leg))
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != bob || !w.alive(lead.Leg) || !w.alive(line.Leg) {
			t.Fatalf("after the failed transfer %+v", v)
		}
		if got, _ := w.eng.AgentView(w.ctx(), carol); got.State != dialer.AgentPaused || got.PauseCode != dialer.PauseRONA {
			t.Fatalf("the unreachable target is %s %q, want PAUSED RONA", got.State, got.PauseCode)
		}
		w.sim.Hangup(string(lead.Leg), "NORMAL_CLEARING")
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
		inOrder(t, "timeline", kinds, "transfer", "transfer_failed", "transfer_returned", "bridged", "ended")
	})
}

// TestEndedCallLingersWithoutGoroutine: a call that ended is still shown
// and answers controls while it lingers, with no goroutine of its own.
func TestEndedCallLingersWithoutGoroutine(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		var ids []dialer.CallID
		for i := range 20 {
			w.sim.SetEndpoint(fmt.Sprintf("+1555444%04d", i), sim.Behavior{Outcome: sim.Busy})
			v, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: fmt.Sprintf("+1555444%04d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
		}
		for _, id := range ids {
			w.waitCall(id, dialer.LiveEnded)
		}
		// Lingering (a minute here), each still answers, and none runs a
		// goroutine.
		callGoroutines := func() int {
			buf := make([]byte, 8<<20)
			return strings.Count(string(buf[:runtime.Stack(buf, true)]), "dialer.(*call).")
		}
		waitFor(t, 10*time.Second, "no goroutine of an ended call", func() bool { return callGoroutines() == 0 })
		for _, id := range ids {
			if err := w.eng.Hold(w.ctx(), w.admin, id, true); !errors.Is(err, dialer.ErrConflict) && !errors.Is(err, dialer.ErrNotFound) {
				t.Fatalf("hold on an ended call: %v", err)
			}
			if v := w.call(id); v.State != dialer.LiveEnded {
				t.Fatalf("lingering call %s: %s", id, v.State)
			}
		}
	})
}
