package sqlitestore

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestAgentDueCallbacksPages: an agent's own due callbacks come page by
// page in due order; anyone's, other agents', later and finished ones
// never do.
func TestAgentDueCallbacksPages(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	camp := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Spring", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	ann := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	bob := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Bob", Extension: "1002", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	n := 0
	schedule := func(agent dialer.AgentID, due time.Time) dialer.Callback {
		n++
		lead := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: fmt.Sprintf("+1555200%04d", n)}))
		return must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: lead.ID, Agent: agent, DueAt: due}))
	}
	var want []dialer.CallbackID
	// Two share a due time across a page break: the id breaks the tie.
	for _, d := range []time.Duration{-5, -4, -3, -2, -2, 0} {
		want = append(want, schedule(ann.ID, t0.Add(d*time.Minute)).ID)
	}
	schedule(0, t0.Add(-4*time.Minute))
	schedule(bob.ID, t0.Add(-4*time.Minute))
	schedule(ann.ID, t0.Add(time.Minute))
	done := schedule(ann.ID, t0.Add(-4*time.Minute))
	if err := s.SetCallbackStatus(ctx, done.ID, dialer.CallbackScheduled, dialer.CallbackDone, t0); err != nil {
		t.Fatal(err)
	}

	var got []dialer.CallbackID
	var after dialer.CallbackCursor
	for pages := 0; ; pages++ {
		page, err := s.AgentDueCallbacks(ctx, t0, ann.ID, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, cb := range page {
			got = append(got, cb.ID)
			after = dialer.CallbackCursor{DueAt: cb.DueAt, ID: cb.ID}
		}
		if len(page) < 4 {
			if pages != 1 {
				t.Errorf("read in %d full pages and a short one, want 1 and 1", pages)
			}
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
