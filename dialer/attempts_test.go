package dialer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// TestUnansweredAttemptsCloseTheLead: a lead dialed three times that is
// busy, then does not answer, then is busy again has had its campaign's
// three attempts: each call counts one and records its outcome, the first
// two leave it for a retry after the campaign's delay, the third closes it.
func TestUnansweredAttemptsCloseTheLead(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// A lead that does not answer rings until the lead timeout: short
		// enough for record's wait.
		w := newWorld(t, func(c *dialer.EngineConfig) { c.LeadTimeout = 2 * time.Second })
		ctx := w.ctx()
		camp, err := w.db.CreateCampaign(ctx, dialer.Campaign{Name: "Retries", DialMode: dialer.DialManual, MaxAttempts: 3,
			Settings: []byte(`{"retry_delays":{"busy":600,"no_answer":1200}}`)})
		if err != nil {
			t.Fatal(err)
		}
		const number = "+15550007777"
		lead, err := w.db.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: number})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			behavior sim.Outcome
			outcome  dialer.CallOutcome
			status   dialer.LeadStatus
			delay    time.Duration
		}{
			{sim.Busy, dialer.OutcomeBusy, dialer.LeadRetry, 10 * time.Minute},
			{sim.NoAnswer, dialer.OutcomeNoAnswer, dialer.LeadRetry, 20 * time.Minute},
			{sim.Busy, dialer.OutcomeBusy, dialer.LeadDone, 0},
		}
		for i, st := range steps {
			w.sim.SetEndpoint(number, sim.Behavior{Outcome: st.behavior, AnswerAfter: 20 * time.Millisecond})
			placed := w.now()
			v, err := w.eng.StartCall(ctx, w.admin, dialer.OutboundRequest{Number: number, Campaign: camp.ID, Lead: lead.ID})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := w.record(v.ID)
			if c.Outcome != st.outcome || c.Lead != lead.ID {
				t.Fatalf("attempt %d: record %+v", i+1, c)
			}
			l, err := w.db.Lead(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			if l.Attempts != i+1 || l.LastOutcome != st.outcome || l.Status != st.status || l.LastCallAt.Before(placed) {
				t.Fatalf("attempt %d: lead %+v", i+1, l)
			}
			if want := c.EndedAt.Add(st.delay); st.delay > 0 && !l.NextCallAt.Equal(want) {
				t.Fatalf("attempt %d: next call %s, want %s", i+1, l.NextCallAt, want)
			}
			if st.status == dialer.LeadDone && !l.NextCallAt.IsZero() {
				t.Fatalf("closed lead still due at %s", l.NextCallAt)
			}
		}
	})
}

// TestLocalPresenceCallerID: a campaign's lead is shown the pool's number
// in the lead's area code; a lead elsewhere the campaign's caller ID.
func TestLocalPresenceCallerID(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := w.ctx()
		camp, err := w.db.CreateCampaign(ctx, dialer.Campaign{Name: "Local", DialMode: dialer.DialManual, MaxAttempts: 3,
			CallerID: "+18005550100", Settings: []byte(`{"caller_id_pool":["+12125550100","+14155550100"]}`)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ number, want string }{
			{"+14155550123", "+14155550100"},
			{"+13125550123", "+18005550100"},
		} {
			w.sim.ResetCommands()
			w.sim.SetEndpoint(tc.number, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
			v, err := w.eng.StartCall(ctx, w.admin, dialer.OutboundRequest{Number: tc.number, Campaign: camp.ID})
			if err != nil {
				t.Fatal(err)
			}
			w.record(v.ID)
			if cmd := w.sentPrefix("bgapi originate"); !strings.Contains(cmd, "origination_caller_id_number="+tc.want+",") {
				t.Fatalf("%s: originate %q, want caller ID %s", tc.number, cmd, tc.want)
			}
		}
	})
}

// TestAbandonedLeadQuiet: a lead whose last call was abandoned is not
// called lead-first again within 72 hours, by id or by its number; the
// refusal names the field and records nothing. After the 72 hours it is.
func TestAbandonedLeadQuiet(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := w.ctx()
		camp, err := w.db.CreateCampaign(ctx, dialer.Campaign{Name: "Quiet", DialMode: dialer.DialManual, MaxAttempts: 5})
		if err != nil {
			t.Fatal(err)
		}
		const number, old = "+15550007788", "+15550007799"
		recent, err := w.db.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: number})
		if err != nil {
			t.Fatal(err)
		}
		before, err := w.db.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: old})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []struct {
			lead dialer.Lead
			ago  time.Duration
		}{{recent, time.Hour}, {before, dialer.AbandonQuiet + time.Minute}} {
			if _, err := dialer.UpdateLeadWith(ctx, w.db, l.lead, func(ld *dialer.Lead) error {
				ld.LastOutcome, ld.LastCallAt, ld.Attempts = dialer.OutcomeAbandoned, w.now().Add(-l.ago), 1
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name  string
			req   dialer.OutboundRequest
			field string
		}{
			{"by its id", dialer.OutboundRequest{Number: number, Campaign: camp.ID, Lead: recent.ID}, "lead_id"},
			{"by its number", dialer.OutboundRequest{Number: number, Campaign: camp.ID}, "number"},
		} {
			_, err := w.eng.StartCall(ctx, w.admin, tc.req)
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Reason, "abandoned") {
				t.Fatalf("%s: %v, want a refusal naming %s", tc.name, err, tc.field)
			}
		}
		if calls, err := w.db.ListCalls(ctx, dialer.CallFilter{}); err != nil || len(calls) != 0 {
			t.Fatalf("refused calls recorded: %d (%v)", len(calls), err)
		}
		w.sim.SetEndpoint(old, sim.Behavior{Outcome: sim.Busy, AnswerAfter: 20 * time.Millisecond})
		v, err := w.eng.StartCall(ctx, w.admin, dialer.OutboundRequest{Number: old, Campaign: camp.ID, Lead: before.ID})
		if err != nil {
			t.Fatalf("72 h after the abandon: %v", err)
		}
		if c, _ := w.record(v.ID); c.Lead != before.ID || c.Outcome != dialer.OutcomeBusy {
			t.Fatalf("the call after 72 h: %+v", c)
		}
	})
}
