package dialer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// TestDrain: once draining, a new call is refused (an inbound caller is
// hung up); a call that ends within
// the drain time ends on its own; one still up then is hung up by the
// service, its record closed before Drain returns and its agent in
// wrap-up.
func TestDrain(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		w.ready("1001", dialer.ModeRing)
		w.ready("1002", dialer.ModeRing)
		short := w.waitCall(w.start("+15550007001", w.agents["1001"].ID).ID, dialer.LiveConnected)
		long := w.waitCall(w.start("+15550007002", w.agents["1002"].ID).ID, dialer.LiveConnected)

		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		drained := make(chan error, 1)
		go func() { drained <- w.eng.Drain(ctx) }()
		waitFor(t, 2*time.Second, "draining", w.eng.Draining)

		_, err := w.eng.StartCall(w.ctx(), w.admin, dialer.OutboundRequest{Number: "+15550007003"})
		if !errors.Is(err, dialer.ErrDraining) || !errors.Is(err, dialer.ErrUnavailable) {
			t.Fatalf("new call while draining: err %v, want ErrDraining (ErrUnavailable)", err)
		}
		if _, err := w.eng.ManualDial(w.ctx(), w.actor("1003"), w.agents["1003"].ID, dialer.ManualDialRequest{Number: "+15550007004"}); !errors.Is(err, dialer.ErrDraining) {
			t.Fatalf("manual dial while draining: err %v, want ErrDraining", err)
		}

		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,answer,park")
		caller := w.sim.Inbound(sim.InboundCall{From: "+15558887777", To: "+15551110000"})
		w.mustSend("api uuid_kill " + caller + " NORMAL_TEMPORARY_FAILURE")
		if v := w.eng.LiveCalls(w.ctx()); len(v) != 2 {
			t.Fatalf("live calls while draining: %d, want the 2 from before", len(v))
		}

		if !w.sim.Hangup(string(w.party(short, dialer.LegLead).Leg), "NORMAL_CLEARING") {
			t.Fatal("no lead channel to hang up")
		}
		c, _ := w.record(short.ID)
		if c.HangupCause != "NORMAL_CLEARING" || c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("call ended by its lead: record %+v", c)
		}

		select {
		case err := <-drained:
			if err != nil {
				t.Fatalf("Drain: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Drain did not return")
		}
		if ctx.Err() == nil {
			t.Fatal("Drain returned before its time with a call still up")
		}
		// Written before Drain returned, not eventually.
		rec, err := w.db.Call(w.ctx(), long.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != dialer.CallEnded || rec.EndedAt.IsZero() || rec.HangupCause != "SYSTEM_SHUTDOWN" || rec.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("call ended by the drain: record %+v", rec)
		}
		_, kinds := w.record(long.ID)
		contains(t, "timeline", kinds, "bridged", "ended_by_service")
		lead := w.party(long, dialer.LegLead).Leg
		waitFor(t, 3*time.Second, "lead hung up", func() bool { return w.gone(lead) })
		w.waitState("1002", dialer.AgentDispo)
	})
}

// TestMaxCallDuration: a call past EngineConfig.MaxCallDuration is hung up
// and recorded with ALLOTTED_TIMEOUT; its agent goes to wrap-up.
func TestMaxCallDuration(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.MaxCallDuration = time.Second })
		w.ready("1001", dialer.ModeRing)
		v := w.waitCall(w.start("+15550007101", 0).ID, dialer.LiveConnected)
		c, kinds := w.record(v.ID)
		if c.HangupCause != "ALLOTTED_TIMEOUT" || c.Outcome != dialer.OutcomeAnswered {
			t.Fatalf("record %+v", c)
		}
		contains(t, "timeline", kinds, "ended_by_service")
		lead := w.party(v, dialer.LegLead).Leg
		waitFor(t, 3*time.Second, "lead hung up", func() bool { return w.gone(lead) })
		w.waitState("1001", dialer.AgentDispo)
	})
}
