//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// killService ends the service with SIGKILL, as a crash would, and starts
// it again on the same data and HTTP address (web sessions stay valid).
// It returns when the new process is up.
func (e *switchEnv) killService(t *testing.T) {
	t.Helper()
	if r := e.svc.Races(); r != "" {
		t.Fatalf("agentswitch reported a data race:\n%s", r)
	}
	e.svc.Kill()
	e.serviceAgain(t)
}

// serviceAgain starts the stopped service again on the same data and HTTP
// address, with its first environment plus extra.
func (e *switchEnv) serviceAgain(t *testing.T, extra ...string) {
	t.Helper()
	u, err := url.Parse(e.svc.URL)
	if err != nil {
		t.Fatal(err)
	}
	env := append(append(append([]string(nil), e.svc.env...), extra...), "AGENTSWITCH_HTTP_ADDR="+u.Host)
	p, err := svctest.StartAgain(e.svc.bin, e.dir, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Process = p
}

// SIGKILL of the service while an agent talks to a lead, on a FreeSWITCH
// that keeps the call up: started again, the service takes the call back
// within 2 s (live, the agent INCALL, the controls working), the two
// still hear each other, and the lead's hangup ends the record with
// FreeSWITCH's talk time.
func TestServiceKilledMidCall(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	alice, ph := e.seat(t, "2416", "agent", "ring", toneAgent)
	ready(t, alice, "ring")
	c := e.leadCallTo(t, ctx, 0, ph, nil)
	c.talking(t, ctx, toneAgent)
	lead := c.view.Leg("lead")
	// Redis writes its log to disk every second: what is older survives.
	svctest.Eventually(t, "the agent's state on disk", func() bool { return time.Since(c.started) > 1500*time.Millisecond })

	e.killService(t)
	up := time.Now()
	if ok, err := e.client.Exists(ctx, lead); err != nil || !ok {
		t.Fatalf("the lead's channel went with the service: %v %v", ok, err)
	}
	svctest.Eventually(t, "the call taken back", func() bool {
		st, _, err := e.svc.admin.Do(http.MethodGet, "/calls/"+c.id, nil, nil)
		return err == nil && st == http.StatusOK && e.svc.admin.View(t, c.id).State == "connected" && alice.AgentState(t, alice.Seat) == "INCALL"
	})
	if d := time.Since(up); d > 2*time.Second {
		t.Errorf("state rebuilt %s after the service was up, want <= 2s", d)
	}
	c.talking(t, ctx, toneAgent)

	path := "/calls/" + c.id
	mark := e.rec.mark()
	alice.Must(t, http.MethodPost, path+"/hold", nil, 204, nil)
	e.rec.must(t, ctx, mark, "hold music playing on the lead", named(esl.EventPlaybackStart, lead))
	alice.Must(t, http.MethodPost, path+"/unhold", nil, 204, nil)
	e.rec.must(t, ctx, mark, "hold music stopped", named(esl.EventPlaybackStop, lead))
	c.talking(t, ctx, toneAgent)

	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.dispose(t, alice, c.id, "SALE")
	talked := int(time.Since(c.leadCall.AnsweredAt()) / time.Second)
	if r.Call.Outcome != "answered" || r.Call.Billsec < 1 || r.Call.Billsec > talked+1 || r.Call.BillsecEstimated || r.Call.SwitchLost {
		t.Fatalf("record %+v (talked about %d s)", r.Call, talked)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "adopted", "hold", "unhold", "ended", "disposition")
}

// SIGKILL of the service while a persistent agent waits READY on its
// idle line: started again, the service finds the line parked on
// FreeSWITCH and gives it back to the agent (READY, phone connected), and
// the next lead is bridged to that same line without ringing the phone.
func TestServiceKilledWithIdleLine(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	bob, ph, line := e.persistentSeat(t, ctx, "2417")
	first := e.leadCallTo(t, ctx, bob.Seat, ph, line)
	first.talking(t, ctx, toneAgent)
	if err := first.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	bob.WaitState(t, "DISPO")
	bob.Must(t, http.MethodPost, "/calls/"+first.id+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
	bob.WaitState(t, "READY")
	// Redis writes its log to disk every second: what is older survives.
	ready := time.Now()
	svctest.Eventually(t, "the agent's state on disk", func() bool { return time.Since(ready) > 1500*time.Millisecond })

	e.killService(t)
	up := time.Now()
	svctest.Eventually(t, "the line given back", func() bool {
		var v struct {
			State          string `json:"state"`
			PhoneConnected bool   `json:"phone_connected"`
		}
		st, _, err := bob.Do(http.MethodGet, fmt.Sprintf("/agents/%d", bob.Seat), nil, &v)
		return err == nil && st == http.StatusOK && v.State == "READY" && v.PhoneConnected
	})
	if d := time.Since(up); d > 2*time.Second {
		t.Errorf("line adopted %s after the service was up, want <= 2s", d)
	}
	if line.Ended() {
		t.Fatalf("the line ended with the service: %s", line.EndReason())
	}
	c := e.leadCallTo(t, ctx, bob.Seat, ph, line)
	c.talking(t, ctx, toneAgent)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if extra, err := ph.NextCall(short); err == nil {
		t.Fatalf("the agent's phone was rung again after the restart (%s)", extra.User)
	}
	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	bob.WaitState(t, "DISPO")
	if line.Ended() {
		t.Fatalf("the adopted line ended with the call: %s", line.EndReason())
	}
}

// SIGKILL of the service during a three-way call (the lead, an agent, a
// number): started again, the service takes the call back in its room
// within 2 s; all three still hear one another, the number can be
// removed (its member id is known again), and the lead and the agent talk
// on to a recorded end.
func TestServiceKilledMidConference(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	alice, c, tc, partyLeg := e.threeWay(t, ctx, "2418")
	since := time.Now()
	hearEachOther(t, ctx, since, tc, toneAgent, tc, toneLead)
	// Redis writes its log to disk every second: what is older survives.
	svctest.Eventually(t, "the agent's state on disk", func() bool { return time.Since(since) > 1500*time.Millisecond })

	e.killService(t)
	up := time.Now()
	svctest.Eventually(t, "the conference taken back", func() bool {
		st, _, err := e.svc.admin.Do(http.MethodGet, "/calls/"+c.id, nil, nil)
		return err == nil && st == http.StatusOK && e.svc.admin.View(t, c.id).State == "conference" && alice.AgentState(t, alice.Seat) == "INCALL"
	})
	if d := time.Since(up); d > 2*time.Second {
		t.Errorf("state rebuilt %s after the service was up, want <= 2s", d)
	}
	since = time.Now()
	hearEachOther(t, ctx, since, tc, toneAgent, tc, toneLead)
	if _, err := c.leadCall.WaitTone(ctx, toneAgent, since); err != nil {
		t.Fatalf("the lead does not hear the agent after the restart: %v", err)
	}
	alice.Must(t, http.MethodDelete, "/calls/"+c.id+"/parties/"+partyLeg, nil, 204, nil)
	if err := tc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	c.talking(t, ctx, toneAgent)
	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.dispose(t, alice, c.id, "SALE")
	if r.Call.Outcome != "answered" || r.Call.BillsecEstimated || r.Call.SwitchLost {
		t.Fatalf("record %+v", r.Call)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "conference", "party_added", "adopted", "party_removed", "ended", "disposition")
}
