package dialer_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

func TestCallingWindowSetting(t *testing.T) {
	for _, tc := range []struct {
		settings, field string
		hours           int
	}{
		{``, "", 1},
		{`{}`, "", 1},
		{`{"pacing":3}`, "", 1},
		{`{"calling_window":{"hours":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}]}}`, "", 2},
		{`{"calling_window":{"hours":[{"start":"9","end":"12:00"}]}}`, "calling_window.hours[0].start", 0},
		{`{"calling_window":{"regions":[{"name":"CA","prefixes":["x"]}]}}`, "calling_window.regions[0].prefixes[0]", 0},
		{`[]`, "settings", 0},
	} {
		// A campaign's window is kept with the settings it was read from:
		// campaign 7's settings changing at each case, then read again,
		// must never give the window of the ones before.
		for _, id := range []dialer.CampaignID{0, 7, 7} {
			r, err := dialer.CallingWindow(dialer.Campaign{ID: id, Settings: json.RawMessage(tc.settings)})
			var fe *dialer.FieldError
			switch {
			case tc.field == "" && (err != nil || len(r.Hours) != tc.hours):
				t.Errorf("campaign %d, %s: %+v %v", id, tc.settings, r, err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Errorf("campaign %d, %s: %v, want a field error on %s", id, tc.settings, err, tc.field)
			}
		}
	}
}

// TestCallbackHeldOutsideWindow: a due callback outside its lead's calling
// window is neither offered nor dialable; it is once the window opens.
func TestCallbackHeldOutsideWindow(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		log := newEventLog(t, w.eng, false)
		const number = "+15550004444"
		w.sim.SetEndpoint(number, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		opens := w.now().UTC().Truncate(time.Minute).Add(3 * time.Minute)
		settings := fmt.Sprintf(`{"calling_window":{"hours":[{"start":%q,"end":"23:59"}]}}`, opens.Format("15:04"))
		camp, err := w.db.CreateCampaign(w.ctx(), dialer.Campaign{Name: "Windowed", DialMode: dialer.DialPreview,
			MaxAttempts: 3, Active: true, Settings: json.RawMessage(settings)})
		if err != nil {
			t.Fatal(err)
		}
		lead, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: camp.ID, Phone: number, TimeZone: "UTC"})
		if err != nil {
			t.Fatal(err)
		}
		a := w.actor("1001")
		cb, err := w.db.CreateCallback(w.ctx(), dialer.Callback{Lead: lead.ID, Agent: a.Agent, DueAt: w.now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		w.ready("1001", dialer.ModeRing)
		offered := func() bool {
			for _, ev := range log.All() {
				if ev.Type == dialer.EvCallbackOffered && ev.Callback != nil && ev.Callback.ID == cb.ID {
					return true
				}
			}
			return false
		}
		// wait sleeps in virtual time, keeping the agent's workspace alive.
		wait := func(until time.Time) {
			for w.now().Before(until) {
				if err := w.eng.Heartbeat(w.ctx(), a, a.Agent); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Second)
			}
		}

		_, err = w.eng.DialCallback(w.ctx(), a, cb.ID)
		var fe *dialer.FieldError
		if !errors.As(err, &fe) || fe.Field != "callback" || !strings.Contains(fe.Reason, "opens at "+opens.Format(time.RFC3339)) {
			t.Fatalf("dialing before the window opens: %v", err)
		}
		if got, _ := w.db.Callback(w.ctx(), cb.ID); got.Status != dialer.CallbackScheduled {
			t.Fatalf("refused callback left %s", got.Status)
		}
		wait(opens.Add(-10 * time.Second))
		if offered() {
			t.Fatal("offered before its window opened")
		}
		wait(opens.Add(5 * time.Second))
		if !offered() {
			t.Fatal("not offered once its window opened")
		}
		if _, err := w.eng.DialCallback(w.ctx(), a, cb.ID); err != nil {
			t.Fatalf("dialing in the window: %v", err)
		}
	})
}

// TestCallbackBehindHeldOnesOffered: due callbacks held outside their
// window, however many, do not keep the ones behind them from being
// offered (a sweep reads a bounded page and the next goes on from there).
func TestCallbackBehindHeldOnesOffered(t *testing.T) {
	for _, held := range []int{5, 120} {
		t.Run(fmt.Sprint(held), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				w := newWorld(t)
				log := newEventLog(t, w.eng, false)
				now := w.now().UTC()
				shut := fmt.Sprintf(`{"calling_window":{"hours":[{"start":%q,"end":%q}]}}`,
					now.Add(6*time.Hour).Format("15:04"), now.Add(7*time.Hour).Format("15:04"))
				closed, err := w.db.CreateCampaign(w.ctx(), dialer.Campaign{Name: "Closed", DialMode: dialer.DialPreview,
					MaxAttempts: 3, Settings: json.RawMessage(shut)})
				if err != nil {
					t.Fatal(err)
				}
				open, err := w.db.CreateCampaign(w.ctx(), dialer.Campaign{Name: "Open", DialMode: dialer.DialPreview, MaxAttempts: 3,
					Settings: json.RawMessage(`{"calling_window":{"hours":[{"start":"00:00","end":"23:59"}]}}`)})
				if err != nil {
					t.Fatal(err)
				}
				a := w.actor("1001")
				schedule := func(camp dialer.CampaignID, i int, due time.Time) dialer.Callback {
					lead, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: camp, Phone: fmt.Sprintf("+1555100%04d", i), TimeZone: "UTC"})
					if err != nil {
						t.Fatal(err)
					}
					cb, err := w.db.CreateCallback(w.ctx(), dialer.Callback{Lead: lead.ID, Agent: a.Agent, DueAt: due})
					if err != nil {
						t.Fatal(err)
					}
					return cb
				}
				for i := range held {
					schedule(closed.ID, i, now.Add(-time.Hour+time.Duration(i)*time.Second))
				}
				behind := schedule(open.ID, held, now.Add(-time.Minute))
				w.ready("1001", dialer.ModeRing)
				var offered []dialer.CallbackID
				for range 10 {
					time.Sleep(time.Second)
					offered = offered[:0]
					for _, ev := range log.All() {
						if ev.Type == dialer.EvCallbackOffered && ev.Callback != nil {
							offered = append(offered, ev.Callback.ID)
						}
					}
					if len(offered) > 0 {
						break
					}
				}
				if len(offered) != 1 || offered[0] != behind.ID {
					t.Fatalf("offered %v, want only the callback behind the %d held ones (%d)", offered, held, behind.ID)
				}
			})
		})
	}
}
