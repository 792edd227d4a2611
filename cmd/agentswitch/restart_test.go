package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestFullStackKilledMidCall: the service, a process of its own, is
// killed (SIGKILL) while an agent talks to a lead on a switch that keeps
// running; started again on the same data, within 2 s of coming up it
// shows the call live and the agent INCALL, the call's controls work, and
// the lead's hangup ends the record with the switch's talk time.
func TestFullStackKilledMidCall(t *testing.T) {
	sm := startSim(t) // in this process: it outlives the service's
	dir := t.TempDir()
	bin, err := svctest.Build(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-http-addr", "127.0.0.1:0", "-var-dir", filepath.Join(dir, "var"), "-esl-password", "s3cret",
		"-xml-curl-secret", testXMLCurlSecret, "-caller-id", "+15551230000"}
	env := []string{"AGENTSWITCH_ESL_ADDR=" + sm.Addr()}
	p, err := svctest.Start(bin, dir, args, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	s := &svc{t: t, sim: sm, url: p.URL}
	adminPW := p.AdminPassword
	s.admin = s.login("admin", adminPW)
	alice := s.agent("alice", "1001", "ring")
	alice.ready("ring")
	var v view
	s.admin.must(http.MethodPost, "/calls", map[string]any{"number": "+15550008181"}, 201, &v)
	v = s.admin.WaitCall(t, v.ID, "connected")
	lead := v.Leg("lead")
	talkFrom := time.Now()
	// Redis writes its log to disk every second: what is older survives.
	svctest.Eventually(t, "the agent's state on disk", func() bool { return time.Since(talkFrom) > 1200*time.Millisecond })

	p.Kill()
	if _, ok := sm.Channel(lead); !ok {
		t.Fatal("the lead's channel went with the service")
	}
	p, err = svctest.StartAgain(bin, dir, args, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	up := time.Now()
	s.url = p.URL
	admin := s.login("admin", adminPW)
	alice = s.login("alice", "alice-password")
	var live []view
	svctest.Eventually(t, "the call live again", func() bool {
		var out struct{ Calls []view }
		admin.must(http.MethodGet, "/calls/live", nil, 200, &out)
		live = out.Calls
		return len(live) == 1 && live[0].ID == v.ID && live[0].State == "connected" && alice.AgentState(t, alice.Seat) == "INCALL"
	})
	if d := time.Since(up); d > 2*time.Second {
		t.Fatalf("state rebuilt %s after the service was up, want <= 2s", d)
	}
	if live[0].Leg("lead") != lead || live[0].Agent != alice.Seat {
		t.Fatalf("adopted call %+v", live[0])
	}
	alice.must(http.MethodPost, "/calls/"+v.ID+"/hold", nil, 204, nil)
	alice.must(http.MethodPost, "/calls/"+v.ID+"/unhold", nil, 204, nil)
	alice.must(http.MethodPost, "/calls/"+v.ID+"/mute", nil, 204, nil)
	alice.must(http.MethodPost, "/calls/"+v.ID+"/dtmf", map[string]any{"digits": "5"}, 204, nil)
	s.sent(t, "api uuid_break "+lead+" all")
	s.sent(t, "api uuid_send_dtmf "+lead+" 5")

	sm.Hangup(lead, "NORMAL_CLEARING")
	alice.WaitState(t, "DISPO")
	r := admin.Record(t, v.ID)
	if r.Call.Outcome != "answered" || r.Call.Billsec < 1 || r.Call.BillsecEstimated || r.Call.HangupCause != "NORMAL_CLEARING" {
		t.Fatalf("record %+v", r.Call)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "adopted", "hold", "unhold", "mute", "dtmf", "ended")
	alice.must(http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
	alice.WaitState(t, "READY")
	if race := p.Races(); race != "" {
		t.Fatal(race)
	}
}
