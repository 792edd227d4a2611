package dialer_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// These tests run the engine in a bubble on the service's own durations
// (worldOpts.serviceDurations): its real timers, on virtual time, in
// milliseconds of wall time.

// TestAbandonAtTwoSeconds: an answered lead with no agent hears the
// abandon message AbandonAfter (2 s) after it answered, not before.
func TestAbandonAtTwoSeconds(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		v := w.start("+15550002222", 0)
		v = w.waitCall(v.ID, dialer.LiveWaiting)
		answered := v.AnsweredAt
		lead := v.Parties[0].Leg
		abandon := "api uuid_transfer " + string(lead) + " playback:" + abandonFile + ",hangup inline"
		time.Sleep(time.Until(answered.Add(2*time.Second - time.Millisecond)))
		synctest.Wait()
		if w.sent(abandon) {
			t.Fatal("abandoned before AbandonAfter")
		}
		w.mustSend(abandon)
		if d := time.Since(answered); d < 2*time.Second || d > 2*time.Second+10*time.Millisecond {
			t.Fatalf("abandoned %s after the answer", d)
		}
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("outcome %s", c.Outcome)
		}
		contains(t, "timeline", kinds, "answered", "abandon", "ended")
	})
}

// TestAutomaticWrapUp: after a call the agent is in DISPO for the
// configured wrap-up and then READY again, without a disposition.
func TestAutomaticWrapUp(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const wrap = 20 * time.Second
		w := newWorldWith(t, worldOpts{serviceDurations: true, engine: func(c *dialer.EngineConfig) { c.WrapUp = wrap }})
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15557654321", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		w.sim.Hangup(string(w.party(v, dialer.LegLead).Leg), "NORMAL_CLEARING")
		w.waitState("1001", dialer.AgentDispo)
		dispo := w.view("1001").Since
		time.Sleep(time.Until(dispo.Add(wrap - time.Millisecond)))
		synctest.Wait()
		if st := w.state("1001"); st != dialer.AgentDispo {
			t.Fatalf("%s before the wrap-up ended", st)
		}
		w.waitState("1001", dialer.AgentReady)
		if d := w.view("1001").Since.Sub(dispo); d < wrap || d > wrap+100*time.Millisecond {
			t.Fatalf("READY %s after DISPO, want %s", d, wrap)
		}
	})
}

// TestLeaseLapses: an agent reserved for a call nobody confirms is READY
// again when the lease (DefaultLease, 10 s) ends, at the next sweep.
func TestLeaseLapses(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		w.ready("1001", dialer.ModeRing)
		id := w.agents["1001"].ID
		r, err := w.live.ReserveAgent(w.ctx(), id, dialer.ReserveRequest{Call: dialer.NewCallID(), Reason: "test"})
		if err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentReserved)
		time.Sleep(time.Until(r.LeaseUntil) - time.Millisecond)
		synctest.Wait()
		if st := w.state("1001"); st != dialer.AgentReserved {
			t.Fatalf("%s before the lease ended", st)
		}
		w.waitState("1001", dialer.AgentReady)
		v := w.view("1001")
		if d := v.Since.Sub(r.LeaseUntil); d < 0 || d > 250*time.Millisecond || v.Reason != "lease expired" {
			t.Fatalf("READY %s after the lease, reason %q", d, v.Reason)
		}
	})
}

// TestHeartbeatLostPausesAgent: a READY agent whose workspace falls
// silent is paused once the grace (30 s) has passed; one that keeps
// beating stays READY.
func TestHeartbeatLostPausesAgent(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const grace = 30 * time.Second
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModeRing)
		silentSince := w.view("1001").Since
		beating := w.actor("1002")
		beat := func() {
			if err := w.eng.Heartbeat(w.ctx(), beating, beating.Agent); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			beat()
			time.Sleep(grace / 2)
		}
		beat()
		waitFor(t, time.Second, "the silent agent paused", func() bool { return w.state("1001") == dialer.AgentPaused })
		if v := w.view("1001"); v.PauseCode != dialer.PauseNoHeartbeat || v.Since.Sub(silentSince) < grace || v.Since.Sub(silentSince) > grace+250*time.Millisecond {
			t.Fatalf("paused %s after its last beat, code %q", v.Since.Sub(silentSince), v.PauseCode)
		}
		if st := w.state("1002"); st != dialer.AgentReady {
			t.Fatalf("beating agent is %s", st)
		}
	})
}

// TestRingNoAnswerPausesAgent: an agent whose phone rings out
// (AgentRingTimeout, 15 s) is paused with RONA and is offered no more
// calls.
func TestRingNoAnswerPausesAgent(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// The lead waits longer than the agent's phone rings.
		w := newWorldWith(t, worldOpts{serviceDurations: true, engine: func(c *dialer.EngineConfig) { c.AbandonAfter = 30 * time.Second }})
		w.sim.SetEndpoint("1001", sim.Behavior{Outcome: sim.NoAnswer})
		w.ready("1001", dialer.ModeRing)
		v := w.start("+15557654321", 0)
		w.waitState("1001", dialer.AgentRinging)
		ringing := w.view("1001").Since
		w.waitState("1001", dialer.AgentPaused)
		p := w.view("1001")
		if d := p.Since.Sub(ringing); p.PauseCode != dialer.PauseRONA || d < 15*time.Second || d > 15*time.Second+100*time.Millisecond {
			t.Fatalf("paused %s after ringing, code %q", d, p.PauseCode)
		}
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("outcome %s", c.Outcome)
		}
		inOrder(t, "timeline", kinds, "answered", "agent_reserved", "agent_no_answer", "abandon", "ended")
	})
}

// TestInboundMaxWait: an inbound caller with no agent hears music for
// InboundMaxWait (2 min), then the call is given up.
func TestInboundMaxWait(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const maxWait = 2 * time.Minute
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		caller := w.sim.Inbound(sim.InboundCall{From: "+15558889999", FromName: "Ada", To: "+15551110000"})
		v := w.liveCall("inbound call registered", func(c dialer.CallView) bool { return c.Direction == dialer.Inbound })
		w.mustSend("api uuid_broadcast " + caller + " ${hold_music} aleg")
		abandon := "api uuid_transfer " + caller + " playback:" + abandonFile + ",hangup inline"
		time.Sleep(time.Until(v.AnsweredAt.Add(maxWait - time.Millisecond)))
		synctest.Wait()
		if w.sent(abandon) {
			t.Fatal("given up before InboundMaxWait")
		}
		w.mustSend(abandon)
		if d := time.Since(v.AnsweredAt); d > maxWait+10*time.Millisecond {
			t.Fatalf("given up %s after the answer", d)
		}
		c, _ := w.record(v.ID)
		if c.Direction != dialer.Inbound || c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("record %+v", c)
		}
	})
}

// TestReadyAfterLapsedHeartbeatIsWatched: a paused agent's heartbeat may
// lapse harmlessly; going READY watches it again, so a workspace that
// then falls silent is paused instead of left READY for calls.
func TestReadyAfterLapsedHeartbeatIsWatched(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const grace = 30 * time.Second
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		// Paused and silent past the grace: the sweep drops the lapsed
		// heartbeat and leaves the agent as it is.
		time.Sleep(grace + time.Second)
		if v := w.view("1001"); v.State != dialer.AgentPaused || v.PauseCode == dialer.PauseNoHeartbeat {
			t.Fatalf("state %s, code %q", v.State, v.PauseCode)
		}
		w.setReady("1001")
		w.waitState("1001", dialer.AgentReady)
		ready := w.view("1001").Since
		waitFor(t, grace+time.Second, "the silent READY agent paused", func() bool {
			v := w.view("1001")
			return v.State == dialer.AgentPaused && v.PauseCode == dialer.PauseNoHeartbeat
		})
		if d := w.view("1001").Since.Sub(ready); d < grace {
			t.Fatalf("paused %s after going READY, grace %s", d, grace)
		}
	})
}

// TestLiveStoreOutage: with the live store down, heartbeats are still
// taken and the sweeps wait; when it is back, an agent whose workspace
// kept beating is still READY, and one that fell silent meanwhile is
// paused. (TestRedisOutage runs the same on a real redis-server.)
func TestLiveStoreOutage(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const grace = 30 * time.Second
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModeRing)
		beating := w.actor("1001")

		w.mem.SetDown(true)
		time.Sleep(20 * time.Second)
		beatAt := time.Now()
		if err := w.eng.Heartbeat(w.ctx(), beating, beating.Agent); err != nil {
			t.Fatalf("heartbeat during the outage: %v", err)
		}
		if _, err := w.eng.AgentView(w.ctx(), beating.Agent); !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("agent view during the outage: %v", err)
		}
		if _, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: "+15550002121"}); !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("call during the outage: %v", err)
		}
		if n := w.count("bgapi originate"); n != 0 {
			t.Fatalf("%d originates during the outage", n)
		}
		// Past the last beat written before the outage, not past the one
		// taken during it.
		time.Sleep(25 * time.Second)
		w.mem.SetDown(false)
		waitFor(t, time.Second, "the silent agent paused", func() bool {
			v := w.view("1002")
			return v.State == dialer.AgentPaused && v.PauseCode == dialer.PauseNoHeartbeat
		})
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("the agent that kept beating is %s", st)
		}
		// Its beat still counts: silent from now on, it is paused after
		// the grace, not before.
		time.Sleep(time.Until(beatAt.Add(grace - time.Millisecond)))
		synctest.Wait()
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("the beating agent is %s before its grace ended", st)
		}
		waitFor(t, time.Second, "the beating agent paused once silent", func() bool { return w.state("1001") == dialer.AgentPaused })
	})
}
