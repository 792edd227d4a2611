package dialer_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/dialertest"
)

// These tests run the engine on virtual time (dialer/dialertest): the
// service's real durations, milliseconds of wall time.

// TestAbandonAtTwoSeconds: an answered lead with no agent hears the
// abandon message AbandonAfter (2 s) after it answered, not before.
func TestAbandonAtTwoSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := dialertest.New(t, dialertest.Options{})
		v := w.Start("+15550002222", 0)
		v = w.WaitCall(v.ID, dialer.LiveWaiting)
		answered := v.AnsweredAt
		lead := v.Parties[0].Leg
		abandon := "api uuid_transfer " + string(lead) + " playback:" + dialertest.AbandonFile + ",hangup inline"
		time.Sleep(time.Until(answered.Add(2*time.Second - time.Millisecond)))
		synctest.Wait()
		if w.Sent(abandon) {
			t.Fatal("abandoned before AbandonAfter")
		}
		w.MustSend(abandon)
		if d := time.Since(answered); d < 2*time.Second || d > 2*time.Second+10*time.Millisecond {
			t.Fatalf("abandoned %s after the answer", d)
		}
		c, kinds := w.Record(v.ID)
		if c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("outcome %s", c.Outcome)
		}
		contains(t, "timeline", kinds, "answered", "abandon", "ended")
	})
}
