package dialer_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// pacingPushed are the pacing figures pushed for the campaign, oldest
// first.
func (w *world) pacingPushed(id dialer.CampaignID) []dialer.PacingView {
	var out []dialer.PacingView
	for _, ev := range w.events.All() {
		if ev.Type == dialer.EvCampaignStats && ev.CampaignView.ID == id && ev.CampaignView.Pacing.State != "" {
			out = append(out, ev.CampaignView.Pacing)
		}
	}
	return out
}

// TestPredictiveBelowMinimumTeamIsProgressive: two agents on a
// predictive campaign whose minimum is five: it dials one line per READY
// agent, and the supervisors are told it is in fallback and why, once a
// second at most and only when a figure changed.
func TestPredictiveBelowMinimumTeamIsProgressive(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		camp, _ := w.dialerCampaign(dialer.DialPredictive, `"min_agents":5,`+allDay, 100, sim.Behavior{Outcome: sim.NoAnswer})
		w.work("1001", camp.ID)
		w.work("1002", camp.ID)
		for range 20 {
			time.Sleep(time.Second)
			synctest.Wait()
			if n := w.dialing(); n > 2 {
				t.Fatalf("%d lines for 2 READY agents below the minimum team, want at most 2", n)
			}
		}
		if n := w.dialing(); n != 2 {
			t.Fatalf("%d lines, want 2", n)
		}
		pushed := w.pacingPushed(camp.ID)
		if len(pushed) == 0 {
			t.Fatal("no pacing figures pushed")
		}
		last := pushed[len(pushed)-1]
		if last.State != "fallback" || !strings.Contains(last.Reason, "below the minimum of 5") || last.Staffed != 2 {
			t.Fatalf("pushed %+v, want fallback below the minimum team", last)
		}
		if len(pushed) > 20 {
			t.Fatalf("%d pushes in 20 s: more than one a second", len(pushed))
		}
		for i := 1; i < len(pushed); i++ {
			if pushed[i] == pushed[i-1] {
				t.Fatalf("pushed again unchanged: %+v", pushed[i])
			}
		}
		got, err := w.eng.CampaignPacing(w.ctx(), camp.ID)
		if err != nil || got.State != "fallback" {
			t.Fatalf("campaign pacing %+v (%v)", got, err)
		}
	})
}

// TestPredictiveAbandonWithinTwoSeconds: a predictive campaign warming up
// dials three lines for its one agent (lines_per_agent); the two answers
// beyond the agent hear the abandon message within 2 s, are recorded
// abandoned, and count in the pacer's last minute; their numbers are not
// called again for 72 h, and the campaign falls back to progressive.
func TestPredictiveAbandonWithinTwoSeconds(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 2 * time.Second })
		camp, abandoned := w.overDial(dialer.DialPredictive, `"min_agents":1,`)
		for _, c := range abandoned {
			l, err := w.db.Lead(w.ctx(), c.Lead)
			if err != nil {
				t.Fatal(err)
			}
			if l.NextCallAt.Before(c.CreatedAt.Add(dialer.AbandonQuiet)) {
				t.Fatalf("abandoned lead %d due again at %s, within 72 h of %s", l.ID, l.NextCallAt, c.CreatedAt)
			}
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		p, err := w.eng.CampaignPacing(w.ctx(), camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != "fallback" || !strings.Contains(p.Reason, "24 h abandon rate 66.67%") || p.Abandon.Minute != 0.6667 ||
			p.Abandon.Hour != 0.6667 || p.Abandon.Day != 0.6667 {
			t.Fatalf("pacing %+v, want fallback, 2 of 3 live answers abandoned in each window", p)
		}
	})
}

// TestPredictiveFallsBackNearTheCeiling: a campaign whose call records
// hold a 24 h abandon rate at its ceiling dials progressive, and says so.
func TestPredictiveFallsBackNearTheCeiling(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		camp, _ := w.dialerCampaign(dialer.DialPredictive, `"min_agents":1,"pacing_mode":"tapered","abandon_ceiling_pct":2,`+allDay, 20,
			sim.Behavior{Outcome: sim.NoAnswer})
		ctx := w.ctx()
		for i := range 50 {
			c, err := w.db.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer,
				Campaign: camp.ID, ToNumber: "+15550000000", CreatedAt: w.now().Add(-time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			o := dialer.OutcomeAnswered
			if i == 0 {
				o = dialer.OutcomeAbandoned // 1 of 50: 2%, the ceiling
			}
			if _, err := w.db.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: w.now().Add(-time.Hour + time.Minute), Outcome: o}); err != nil {
				t.Fatal(err)
			}
		}
		w.work("1001", camp.ID)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		p, err := w.eng.CampaignPacing(ctx, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != "fallback" || !strings.Contains(p.Reason, "24 h abandon rate 2.00%") || p.Abandon.Day != 0.02 {
			t.Fatalf("pacing %+v, want fallback at the 24 h ceiling", p)
		}
		if n := w.dialing(); n != 1 {
			t.Fatalf("%d lines for one READY agent in fallback, want 1", n)
		}
	})
}

// TestPredictiveKeepsLinesWithinThePacersAnswer: five agents on a
// predictive campaign whose history is warm (a quarter of the calls
// answer, talks of a minute): the pacer is predictive and the lines
// ringing never exceed what it decided, nor three per agent; it dials
// more lines than agents are READY, which progressive would not.
func TestPredictiveKeepsLinesWithinThePacersAnswer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{extensions: []string{"1001", "1002", "1003", "1004", "1005"}})
		camp, _ := w.dialerCampaign(dialer.DialPredictive, `"min_agents":5,"max_lines_per_agent":3,`+allDay, 300,
			sim.Behavior{Outcome: sim.NoAnswer})
		w.eng.SeedPacing(camp.ID, 300, 75, time.Minute, 10*time.Second, 3*time.Second)
		for _, ext := range []string{"1001", "1002", "1003", "1004", "1005"} {
			w.work(ext, camp.ID)
		}
		most := 0
		for range 20 {
			time.Sleep(time.Second)
			synctest.Wait()
			p, err := w.eng.CampaignPacing(w.ctx(), camp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.State != "predictive" {
				t.Fatalf("pacing %+v, want predictive", p)
			}
			n := w.dialing()
			if n > p.LinesInFlight || n > 15 {
				t.Fatalf("%d lines ringing; the pacer decided %d (%s), at most 3 per agent", n, p.LinesInFlight, p.Reason)
			}
			most = max(most, n)
			w.fill()
		}
		if most <= 5 {
			t.Fatalf("at most %d lines for 5 READY agents: not predictive", most)
		}
	})
}

// TestPredictiveFullStack: over TCP, Redis and SQLite on wall time, a
// predictive campaign warming up dials three lines for its one agent;
// the two answers beyond it hear the abandon message 2 s after they answer and are
// recorded abandoned; the stream shows the campaign fall back with them
// counted in its windows.
func TestPredictiveFullStack(t *testing.T) {
	onFullStack(t, func(t *testing.T) {
		w := newWorld(t, func(c *dialer.EngineConfig) { c.AbandonAfter = 2 * time.Second })
		camp, _ := w.dialerCampaign(dialer.DialPredictive, `"lines_per_agent":3,"min_agents":1,`+allDay, 3,
			sim.Behavior{AnswerAfter: 100 * time.Millisecond})
		w.work("1001", camp.ID)
		waitFor(t, 15*time.Second, "two calls abandoned", func() bool {
			n := 0
			for _, c := range w.campaignCalls(camp.ID) {
				if c.Outcome == dialer.OutcomeAbandoned {
					n++
				}
			}
			return n == 2
		})
		for _, c := range w.campaignCalls(camp.ID) {
			if c.Outcome == dialer.OutcomeAbandoned {
				// The timer runs 2 s from the answer; the rule counts from
				// the end of the greeting, later still. On wall time the
				// command reaches the switch a few milliseconds after.
				w.abandonedWithin(c.ID, 2*time.Second+100*time.Millisecond)
			}
		}
		waitFor(t, 15*time.Second, "the fallback on the stream", func() bool {
			p := w.pacingPushed(camp.ID)
			return len(p) > 0 && p[len(p)-1].State == "fallback" && p[len(p)-1].Abandon.Minute > 0 && p[len(p)-1].Abandon.Day > 0
		})
	})
}
