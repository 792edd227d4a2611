package dialer_test

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestAgentStatesRecorded: the states an agent goes through reach the
// store, so the agent report adds up its time in each.
func TestAgentStatesRecorded(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		from := time.Now().Truncate(time.Second)
		a := w.actor("1001")
		w.login(a)
		// All within the heartbeat's grace (a minute): no heartbeat pause.
		time.Sleep(10 * time.Second)
		w.setReady("1001")
		time.Sleep(20 * time.Second)
		if _, err := w.eng.Pause(w.ctx(), a, a.Agent, "BREAK"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Second)
		if err := w.eng.Logout(w.ctx(), a, a.Agent); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		f := dialer.ReportFilter{From: from, To: time.Now(), Loc: time.UTC, Agent: a.Agent}
		var got dialer.AgentReport
		waitFor(t, 5*time.Second, "the states written", func() bool {
			r, err := w.db.AgentReport(w.ctx(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(r) == 1 {
				got = r[0]
			}
			return got.LoggedInSec == 45
		})
		if got.ReadySec != 20 || got.PauseSec != 25 || got.PauseByCode["BREAK"] != 15 || got.PauseByCode[dialer.PauseLogin] != 10 {
			t.Fatalf("agent report %+v", got)
		}
	})
}
