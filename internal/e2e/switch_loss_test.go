//go:build e2e

package e2e

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/svctest"
)

// A FreeSWITCH that dies mid-call (SIGKILL, as a crash: no hangups, no
// goodbye on the event socket) and is started again (a new Core-UUID):
// the service ends the call at the moment the switch died, not when it
// came back, so billsec counts the talk and not the outage, and the
// record says the switch was lost and billsec is an estimate.
func TestServiceSwitchDiesMidCall(t *testing.T) {
	target := os.Getenv(envTarget)
	if target == "" {
		t.Skip(skipMessage)
	}
	if !strings.Contains(target, "/") {
		t.Skip("SKIPPED: kills and restarts FreeSWITCH, so it needs a binary in " + envTarget + ", not a running switch's address")
	}
	// Its own FreeSWITCH: the shared one must outlive this test.
	e, err := start(target)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	ctx := ctxFor(t, 3*time.Minute)
	alice, ph := e.seat(t, "2491", "agent", "ring", toneAgent)
	ready(t, alice, "ring")
	c := e.leadCallTo(t, ctx, alice.Seat, ph, nil)
	// A few seconds of talk, checked all along: each side keeps hearing
	// the other.
	for time.Since(c.started) < 4*time.Second {
		c.talking(t, ctx, toneAgent)
	}

	killed := time.Now()
	e.killFreeSWITCH()
	switchUp := func() bool {
		resp, err := http.Get(e.svc.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	svctest.Eventually(t, "the service to see the switch down", func() bool { return !switchUp() })
	if err := e.runFreeSWITCH(); err != nil {
		t.Fatal(err)
	}
	alice.WaitState(t, "DISPO")
	back := time.Now()
	r := e.dispose(t, alice, c.id, "SALE")
	talk := killed.Sub(r.Call.AnsweredAt)
	t.Logf("record: cause %s billsec %d (estimated %v, switch lost %v); talk %v until the kill, back after %v",
		r.Call.HangupCause, r.Call.Billsec, r.Call.BillsecEstimated, r.Call.SwitchLost, talk.Round(time.Millisecond), back.Sub(killed).Round(time.Millisecond))
	if !r.Call.SwitchLost || !r.Call.BillsecEstimated || r.Call.HangupCause != "SYSTEM_SHUTDOWN" {
		t.Fatalf("record %+v", r.Call)
	}
	if d := time.Duration(r.Call.Billsec)*time.Second - talk; d > time.Second || d < -time.Second {
		t.Errorf("billsec %d for %v of talk until the switch died", r.Call.Billsec, talk)
	}
	if end := r.Call.EndedAt.Sub(killed); end > time.Second || end < -time.Second {
		t.Errorf("ended %v after the kill, want at the kill (the switch was back %v after it)", end, back.Sub(killed))
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "ended", "disposition")
}
