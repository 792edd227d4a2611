//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// The scenarios below drive `agentswitch serve` over its HTTP API, as the
// workspace and the lead-call API do, and check what FreeSWITCH and the
// SIP phones saw: signalling from the harness's own event socket, media
// by the tone each phone sends.

// svcCall is a call the service connected, with both phones' ends.
type svcCall struct {
	id                  string
	view                svctest.CallView
	number              string
	leadCall, agentCall *sipphone.Call
	started             time.Time
}

// leadCallTo starts a lead call over the lead-call API (as the admin, to
// agent when non-zero) and waits until the service reports it connected.
// agentPhone answers for the agent; with persistent, its line is already
// up (agentCall is passed in).
func (e *switchEnv) leadCallTo(t *testing.T, ctx context.Context, seat int64, agentPhone *sipphone.Phone, line *sipphone.Call) *svcCall {
	t.Helper()
	leads := e.leadPhone(t)
	c := &svcCall{number: "+" + newNumber(), started: time.Now()}
	body := map[string]any{"number": c.number, "fields": map[string]string{"source": "e2e"}}
	if seat != 0 {
		body["agent_id"] = seat
	}
	var v svctest.CallView
	e.svc.admin.Must(t, http.MethodPost, "/calls", body, 201, &v)
	c.id = v.ID
	var err error
	if c.leadCall, err = nextCallFor(ctx, leads, c.number); err != nil {
		t.Fatalf("the lead phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	if line != nil {
		c.agentCall = line
	} else if c.agentCall, err = agentPhone.NextCall(ctx); err != nil {
		t.Fatalf("the agent's phone never rang: %v\n%s", err, e.svc.LogTail(30))
	}
	c.view = e.svc.admin.WaitCall(t, c.id, "connected")
	return c
}

// talking checks lead and agent hear each other.
func (c *svcCall) talking(t *testing.T, ctx context.Context, agentTone float64) {
	t.Helper()
	hearEachOther(t, ctx, time.Now(), c.agentCall, toneLead, c.leadCall, agentTone)
}

// dispose waits for u's wrap-up of the call, disposes it with code and
// returns the call's record.
func (e *switchEnv) dispose(t *testing.T, u *svctest.Client, id, code string) svctest.Record {
	t.Helper()
	u.WaitState(t, "DISPO")
	u.Must(t, http.MethodPost, "/calls/"+id+"/disposition", map[string]any{"code": code}, 200, nil)
	return e.svc.admin.Record(t, id)
}

// talkingSeat seats a ring-mode agent on ext (its phone sends toneAgent),
// makes it READY and has it talk to a lead.
func (e *switchEnv) talkingSeat(t *testing.T, ctx context.Context, ext string) (*svctest.Client, *sipphone.Phone, *svcCall) {
	t.Helper()
	u, ph := e.seat(t, ext, "agent", "ring", toneAgent)
	ready(t, u, "ring")
	c := e.leadCallTo(t, ctx, u.Seat, ph, nil)
	c.talking(t, ctx, toneAgent)
	return u, ph, c
}

// handover is where every transfer starts: an agent (from, on fromExt)
// talks to a lead, and a second ring-mode agent (to, on toExt, its phone
// sending toneAgent2) is READY to take the call.
type handover struct {
	from, to           *svctest.Client
	fromPhone, toPhone *sipphone.Phone
	call               *svcCall
}

func (e *switchEnv) handover(t *testing.T, ctx context.Context, fromExt, toExt string) handover {
	t.Helper()
	var h handover
	h.to, h.toPhone = e.seat(t, toExt, "agent", "ring", toneAgent2)
	h.from, h.fromPhone, h.call = e.talkingSeat(t, ctx, fromExt)
	ready(t, h.to, "ring")
	return h
}

// Ring mode, end to end through the service: the lead-call API rings the
// lead, the READY agent's phone rings when the lead answers, the two are
// bridged; then every in-call control the workspace has, each checked on
// FreeSWITCH and on the phones; the agent hangs up, wraps up and the call
// record holds billsec and the recording.
func TestServiceRingModeCall(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 3*time.Minute)
	alice, ph := e.seat(t, "2401", "agent", "ring", toneAgent)
	ready(t, alice, "ring")
	mark := e.rec.mark()
	c := e.leadCallTo(t, ctx, 0, ph, nil)
	lead, agentLeg := c.view.Leg("lead"), c.view.Leg("agent")
	if c.view.Agent != alice.Seat || lead == "" || agentLeg == "" {
		t.Fatalf("call view %+v", c.view)
	}
	br := e.rec.must(t, ctx, mark, "CHANNEL_BRIDGE lead-agent", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventChannelBridge && ev.Get("Bridge-A-Unique-ID") == lead && ev.Get("Bridge-B-Unique-ID") == agentLeg
	})
	if got := br.Var("agentswitch_call_id"); got != c.id {
		t.Errorf("bridged lead carries call id %q, want %q", got, c.id)
	}
	// The agent's phone rang only after the lead answered.
	if c.agentCall.AnsweredAt().Before(c.leadCall.AnsweredAt()) {
		t.Errorf("agent answered %v before the lead", c.leadCall.AnsweredAt().Sub(c.agentCall.AnsweredAt()))
	}
	c.talking(t, ctx, toneAgent)
	bridged := time.Now()
	if st := alice.AgentState(t, alice.Seat); st != "INCALL" {
		t.Fatalf("agent state %s", st)
	}
	path := "/calls/" + c.id

	// Hold: the lead hears the hold music (FreeSWITCH plays it on the
	// lead's leg), neither hears the other; unhold restores both ways.
	mark = e.rec.mark()
	alice.Must(t, http.MethodPost, path+"/hold", nil, 204, nil)
	e.rec.must(t, ctx, mark, "hold music playing on the lead", named(esl.EventPlaybackStart, lead))
	if _, err := c.leadCall.WaitTone(ctx, toneHoldMusic, time.Now()); err != nil {
		t.Fatalf("held lead hears no music: %v", err)
	}
	if !alice.View(t, c.id).Held {
		t.Error("the view does not show the hold")
	}
	if hears(ctx, c.agentCall, toneLead, time.Now(), 600*time.Millisecond) || hears(ctx, c.leadCall, toneAgent, time.Now(), 600*time.Millisecond) {
		t.Fatal("agent and lead hear each other on hold")
	}
	alice.Must(t, http.MethodPost, path+"/unhold", nil, 204, nil)
	e.rec.must(t, ctx, mark, "hold music stopped", named(esl.EventPlaybackStop, lead))
	c.talking(t, ctx, toneAgent)
	if alice.View(t, c.id).Held {
		t.Error("the view still shows the hold")
	}

	// Mute: FreeSWITCH mutes what the agent's leg reads; the lead keeps
	// getting packets but no tone, until unmute.
	mark = e.rec.mark()
	alice.Must(t, http.MethodPost, path+"/mute", nil, 204, nil)
	e.rec.must(t, ctx, mark, "mute media bug", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventMediaBugStart && ev.UniqueID() == agentLeg && ev.Get("Media-Bug-Function") == "audio"
	})
	muted := time.Now()
	if err := c.leadCall.WaitPackets(ctx, c.leadCall.Stats().Received+60); err != nil {
		t.Fatal(err)
	}
	if last := c.leadCall.Stats().LastAudible; last.After(muted.Add(100 * time.Millisecond)) {
		t.Fatalf("the lead heard the muted agent %v after mute", last.Sub(muted))
	}
	if !alice.View(t, c.id).Muted {
		t.Error("the view does not show the mute")
	}
	alice.Must(t, http.MethodPost, path+"/unmute", nil, 204, nil)
	if _, err := c.leadCall.WaitTone(ctx, toneAgent, time.Now()); err != nil {
		t.Fatalf("the lead does not hear the agent after unmute: %v", err)
	}

	// DTMF typed in the workspace reaches the lead's phone as RFC 2833.
	alice.Must(t, http.MethodPost, path+"/dtmf", map[string]any{"digits": "12#9"}, 204, nil)
	if got, err := c.leadCall.WaitDigits(ctx, 4); err != nil || got != "12#9" {
		t.Fatalf("the lead's phone got %q, %v", got, err)
	}

	// Recording: on for about 3 s of media, then off; the file lasts as
	// long as FreeSWITCH recorded.
	mark = e.rec.mark()
	alice.Must(t, http.MethodPost, path+"/recording", map[string]any{"on": true}, 204, nil)
	_, recStart, err := e.rec.wait(ctx, mark, func(ev *esl.Event) bool { return ev.Name() == esl.EventRecordStart })
	if err != nil {
		t.Fatal(err)
	}
	svctest.Eventually(t, "view shows recording", func() bool { return alice.View(t, c.id).Recording })
	if err := c.leadCall.WaitPackets(ctx, c.leadCall.Stats().Received+150); err != nil {
		t.Fatal(err)
	}
	alice.Must(t, http.MethodPost, path+"/recording", map[string]any{"on": false}, 204, nil)
	recStop, recStopped, err := e.rec.wait(ctx, mark, func(ev *esl.Event) bool { return ev.Name() == esl.EventRecordStop })
	if err != nil {
		t.Fatal(err)
	}
	file := recStop.Get("Record-File-Path")

	// The agent hangs up: the lead gets a BYE, the agent wraps up.
	mark = e.rec.mark()
	talk := time.Since(bridged)
	alice.Must(t, http.MethodPost, path+"/hangup", nil, 204, nil)
	if err := c.leadCall.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	hc := e.rec.must(t, ctx, mark, "lead hangup complete", named(esl.EventChannelHangupComplete, lead))
	alice.WaitState(t, "DISPO")
	alice.Must(t, http.MethodPost, path+"/disposition", map[string]any{"code": "SALE", "notes": "e2e"}, 200, nil)
	alice.WaitState(t, "READY")

	r := e.svc.admin.Record(t, c.id)
	t.Logf("record: outcome %s cause %s billsec %d (FreeSWITCH billsec %s), recording %s", r.Call.Outcome, r.Call.HangupCause, r.Call.Billsec, hc.Var("billsec"), r.Call.Recording)
	if r.Call.Outcome != "answered" || r.Call.Disposition != "SALE" || r.Call.Agent != alice.Seat {
		t.Fatalf("record %+v", r.Call)
	}
	// Billed from the lead's answer, as the carrier bills, in whole
	// seconds: FreeSWITCH's billmsec on the lead's leg, less the tens of
	// milliseconds between CHANNEL_HANGUP (the service's end) and the end
	// of the hangup (FreeSWITCH's).
	billmsec, _ := strconv.Atoi(hc.Var("billmsec"))
	if d := billmsec - r.Call.Billsec*1000; d < 0 || d >= 1100 || r.Call.Billsec < int(talk.Seconds()) {
		t.Errorf("billsec %d; FreeSWITCH billmsec %d; %v of talk after the bridge", r.Call.Billsec, billmsec, talk)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "created", "ringing", "answered", "agent_reserved", "bridged", "hold", "unhold", "mute", "unmute", "dtmf",
		"recording_started", "recording_stopped", "ended", "disposition")
	if r.Call.Recording == "" || r.Call.Recording != file {
		t.Errorf("record's recording %q, FreeSWITCH recorded %q", r.Call.Recording, file)
	}
	got, err := wavDuration(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := recStopped.Sub(recStart); math.Abs(got.Seconds()-want.Seconds()) > 0.3 {
		t.Fatalf("the recording lasts %v; FreeSWITCH recorded for %v", got, want)
	}
}

// Persistent mode: the agent's phone is called once, at login, and stays
// up; lead calls are bridged to that line and the agent waits on it
// between calls.
func TestServicePersistentMode(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	bob, ph, line := e.persistentSeat(t, ctx, "2402")
	for i := range 2 {
		c := e.leadCallTo(t, ctx, bob.Seat, ph, line)
		c.talking(t, ctx, toneAgent)
		// The lead hangs up; the line stays, the agent wraps up.
		if err := c.leadCall.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		bob.WaitState(t, "DISPO")
		bob.Must(t, http.MethodPost, "/calls/"+c.id+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
		bob.WaitState(t, "READY")
		if line.Ended() {
			t.Fatalf("call %d: the persistent line ended: %s", i, line.EndReason())
		}
		r := e.svc.admin.Record(t, c.id)
		if r.Call.Outcome != "answered" || r.Call.HangupCause != "NORMAL_CLEARING" {
			t.Fatalf("call %d record %+v", i, r.Call)
		}
	}
	// No second INVITE reached the agent's phone.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if extra, err := ph.NextCall(short); err == nil {
		t.Fatalf("the persistent agent was rung again (%s)", extra.User)
	}
	// Logging out hangs the line up.
	bob.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/logout", bob.Seat), nil, 204, nil)
	if err := line.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
}

// Blind transfer to another agent: the first agent is released into
// wrap-up, the second agent's phone rings and talks to the lead.
func TestServiceBlindTransfer(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	h := e.handover(t, ctx, "2403", "2404")
	alice, bob, ph2, c := h.from, h.to, h.toPhone, h.call

	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/transfer", map[string]any{"agent_id": bob.Seat}, 204, nil)
	if err := c.agentCall.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	alice.WaitState(t, "DISPO")
	bc, err := ph2.NextCall(ctx)
	if err != nil {
		t.Fatalf("the second agent was not rung: %v", err)
	}
	if err := bc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	hearEachOther(t, ctx, since, bc, toneLead, c.leadCall, toneAgent2)
	v := bob.WaitCall(t, c.id, "connected")
	if v.Agent != bob.Seat {
		t.Fatalf("after the transfer the call is with agent %d", v.Agent)
	}
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/disposition", map[string]any{"code": "NI", "notes": "passed to a colleague"}, 200, nil)
	bob.Must(t, http.MethodPost, "/calls/"+c.id+"/hangup", nil, 204, nil)
	r := e.dispose(t, bob, c.id, "SALE")
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "transfer", "bridged", "ended")
}

// Blind transfer to an agent whose phone rejects it (486 after ringing):
// the lead hears ringback while the target rings, is never hung up, hears
// hold music, and goes back to the first agent, whose phone rings again;
// the two talk, and the target is paused (RONA). The record is a normal
// answered call, not an abandoned one.
func TestServiceBlindTransferRejected(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	h := e.handover(t, ctx, "2413", "2414")
	alice, bob, ph1, ph2, c := h.from, h.to, h.fromPhone, h.toPhone, h.call
	ph2.SetBehavior("", sipphone.Behavior{Outcome: sipphone.Busy, Ring: 2 * time.Second})

	mark := e.rec.mark()
	// When it is rung again, the first agent takes a moment to answer: the
	// lead hears the hold music meanwhile.
	ph1.SetBehavior("", sipphone.Behavior{Ring: 2 * time.Second})
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/transfer", map[string]any{"agent_id": bob.Seat}, 204, nil)
	if err := c.agentCall.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	alice.WaitState(t, "DISPO")
	bc, err := ph2.NextCall(ctx)
	if err != nil {
		t.Fatalf("the second agent was not rung: %v", err)
	}
	// While the target rings the lead hears ringback (440+480 Hz), not
	// silence.
	if err := bc.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.leadCall.WaitTone(ctx, toneRingback, time.Now()); err != nil {
		t.Fatalf("the lead hears no ringback while the target rings: %v", err)
	}
	if err := bc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	rejected := time.Now()
	e.rec.must(t, ctx, mark, "the bridge to the target failed with USER_BUSY", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventChannelExecuteComplete && ev.UniqueID() == c.view.Leg("lead") &&
			ev.Get("Application") == "bridge" && ev.Var("originate_disposition") == "USER_BUSY"
	})
	// The lead stays, with hold music, and the first agent's phone rings
	// again.
	short, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.leadCall.WaitTone(short, toneHoldMusic, rejected); err != nil {
		t.Fatalf("the lead hears no hold music after the rejection: %v (lead ended: %v %s)\n%s", err, c.leadCall.Ended(), c.leadCall.EndReason(), e.svc.LogTail(40))
	}
	ac, err := ph1.NextCall(ctx)
	if err != nil {
		t.Fatalf("the first agent was not rung again: %v\n%s", err, e.svc.LogTail(40))
	}
	if err := ac.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	v := alice.WaitCall(t, c.id, "connected")
	if v.Agent != alice.Seat {
		t.Fatalf("after the failed transfer the call is with agent %d, want %d", v.Agent, alice.Seat)
	}
	if c.leadCall.Ended() {
		t.Fatalf("the lead was hung up: %s", c.leadCall.EndReason())
	}
	hearEachOther(t, ctx, time.Now(), ac, toneLead, c.leadCall, toneAgent)
	if st := alice.AgentState(t, alice.Seat); st != "INCALL" {
		t.Fatalf("first agent %s", st)
	}
	var target struct {
		State     string `json:"state"`
		PauseCode string `json:"pause_code"`
	}
	bob.Must(t, http.MethodGet, fmt.Sprintf("/agents/%d", bob.Seat), nil, 200, &target)
	if target.State != "PAUSED" || target.PauseCode != "RONA" {
		t.Fatalf("the target that rejected is %+v, want PAUSED RONA", target)
	}
	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ac.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.dispose(t, alice, c.id, "SALE")
	if r.Call.Outcome != "answered" || r.Call.Agent != alice.Seat {
		t.Fatalf("record %+v", r.Call)
	}
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "transfer", "transfer_failed", "transfer_returned", "bridged", "ended")
}

// A persistent agent dials a busy number from the workspace: FreeSWITCH's
// bridge fails with USER_BUSY, the agent's nailed-up line stays up (it
// used to get a BYE with the failure's cause), the agent wraps the attempt
// up and its next call uses the same line.
func TestServicePersistentManualDialBusy(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	bob, ph, line := e.persistentSeat(t, ctx, "2415")
	leads := e.leadPhone(t)
	number := "+" + newNumber()
	leads.SetBehavior(number, sipphone.Behavior{Outcome: sipphone.Busy, Ring: 300 * time.Millisecond})
	var v svctest.CallView
	bob.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/dial", bob.Seat), map[string]any{"number": number}, 201, &v)
	r := e.svc.admin.Record(t, v.ID)
	if r.Call.Outcome != "busy" || r.Call.HangupCause != "USER_BUSY" {
		t.Fatalf("record %+v", r.Call)
	}
	bob.WaitState(t, "DISPO")
	// FreeSWITCH hung the line up 0.15 s after the 486 when it did.
	time.Sleep(time.Second)
	if line.Ended() {
		t.Fatalf("the persistent line ended after a busy number: %s", line.EndReason())
	}
	bob.Must(t, http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "NI"}, 200, nil)
	bob.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/ready", bob.Seat), nil, 200, nil)
	c := e.leadCallTo(t, ctx, bob.Seat, ph, line)
	c.talking(t, ctx, toneAgent)
	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r = e.dispose(t, bob, c.id, "SALE")
	if r.Call.Outcome != "answered" || line.Ended() {
		t.Fatalf("next call on the line: record %+v, line ended %v", r.Call, line.Ended())
	}
}

// Warm transfer: the agent conferences a second agent in, all three
// talk, the first agent leaves; lead and second agent stay together.
func TestServiceWarmTransfer(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	h := e.handover(t, ctx, "2405", "2406")
	alice, bob, ph2, c := h.from, h.to, h.toPhone, h.call

	mark := e.rec.mark()
	var party struct {
		Leg string `json:"leg_id"`
	}
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/parties", map[string]any{"agent_id": bob.Seat}, 201, &party)
	bc, err := ph2.NextCall(ctx)
	if err != nil {
		t.Fatalf("the second agent was not rung: %v", err)
	}
	e.rec.must(t, ctx, mark, "second agent in the conference", func(ev *esl.Event) bool {
		return ev.Subclass() == esl.SubclassConference && ev.Get("Action") == "add-member" && ev.UniqueID() == party.Leg
	})
	since := time.Now()
	hearEachOther(t, ctx, since, bc, toneLead, bc, toneAgent)
	if _, err := c.agentCall.WaitTone(ctx, toneAgent2, since); err != nil {
		t.Fatalf("the first agent does not hear the second: %v", err)
	}
	// The first agent leaves.
	svctest.Eventually(t, "leave accepted", func() bool {
		st, _, _ := alice.Do(http.MethodPost, "/calls/"+c.id+"/leave", nil, nil)
		return st == 204
	})
	alice.WaitState(t, "DISPO")
	if err := c.agentCall.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	since = time.Now()
	hearEachOther(t, ctx, since, c.leadCall, toneAgent2, bc, toneLead)
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/disposition", map[string]any{"code": "NI", "notes": "passed to a colleague"}, 200, nil)
	if err := c.leadCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bc.WaitEnded(ctx); err != nil {
		t.Fatalf("the second agent's leg outlived the call: %v", err)
	}
	r := e.svc.admin.Record(t, c.id)
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "conference", "party_added", "agent_left", "ended")
}

// threeWay has a ring-mode agent on ext talk to a lead, then add a third
// party by number, and waits until the three are up. It returns the
// agent, the call, the third party's phone call and its leg.
func (e *switchEnv) threeWay(t *testing.T, ctx context.Context, ext string) (*svctest.Client, *svcCall, *sipphone.Call, string) {
	t.Helper()
	alice, _, c := e.talkingSeat(t, ctx, ext)
	third := "+" + newNumber()
	leads := e.leadPhone(t)
	var party struct {
		Leg string `json:"leg_id"`
	}
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/parties", map[string]any{"number": third}, 201, &party)
	tc, err := nextCallFor(ctx, leads, third)
	if err != nil {
		t.Fatal(err)
	}
	svctest.Eventually(t, "three parties up", func() bool {
		n := 0
		for _, p := range alice.View(t, c.id).Parties {
			if p.State == "up" {
				n++
			}
		}
		return n == 3
	})
	return alice, c, tc, party.Leg
}

// Three-way: the agent adds a third party by number; lead, agent and
// third hear one another; the third is removed and the two talk on.
func TestServiceThreeWay(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	alice, c, tc, partyLeg := e.threeWay(t, ctx, "2407")
	since := time.Now()
	// The lead phone sends the same tone on every call, so the third
	// party is told apart by what it hears: the lead and the agent.
	hearEachOther(t, ctx, since, tc, toneAgent, tc, toneLead)
	if _, err := c.leadCall.WaitTone(ctx, toneAgent, since); err != nil {
		t.Fatalf("the lead does not hear the agent: %v", err)
	}
	alice.Must(t, http.MethodDelete, "/calls/"+c.id+"/parties/"+partyLeg, nil, 204, nil)
	if err := tc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	c.talking(t, ctx, toneAgent)
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/hangup", nil, 204, nil)
	r := e.dispose(t, alice, c.id, "SALE")
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "conference", "party_added", "party_removed", "ended")
	// Every member joined with the profile's caller controls (none), not
	// a missing default group.
	if n := e.logCount("Can't find caller-controls"); n > 0 {
		t.Fatalf("FreeSWITCH looked for caller-controls %d times", n)
	}
}

// An inbound number provisioned over the admin API: FreeSWITCH asks the
// service for the dialplan, answers and parks the caller, the service
// offers the call to the READY agent; an unknown number gets 503.
func TestServiceInboundDID(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	var did struct {
		Reload struct{ Status, Error string }
	}
	alice, ph := e.seat(t, "2408", "agent", "ring", toneAgent)
	// A DID names an existing queue, which the agent is a member of.
	var q struct{ ID int64 }
	e.svc.admin.Must(t, http.MethodPost, "/queues", map[string]any{"name": "e2e-did-sales"}, 201, &q)
	e.svc.admin.Must(t, http.MethodPut, fmt.Sprintf("/queues/%d/members", q.ID), map[string]any{"members": []map[string]any{{"agent_id": alice.Seat}}}, 200, nil)
	e.svc.admin.Must(t, http.MethodPost, "/dids", map[string]any{"number": "+15557770002", "name": "Sales line", "queue": "e2e-did-sales"}, 201, &did)
	// FreeSWITCH asks for the dialplan per call: nothing to reload.
	if did.Reload.Status != "not_needed" {
		t.Fatalf("did: reload %+v", did.Reload)
	}
	ready(t, alice, "ring")

	carrier, err := sipphone.Start(ctx, sipphone.Config{User: "carrier", Tone: toneLead})
	if err != nil {
		t.Fatal(err)
	}
	defer carrier.Close()
	// The carrier sends the number without +.
	in, err := carrier.Dial(ctx, e.carriersURI("15557770002"), sipphone.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := ph.NextCall(ctx)
	if err != nil {
		t.Fatalf("the agent was not offered the call: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := ac.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	hearEachOther(t, ctx, since, ac, toneLead, in, toneAgent)
	var live struct {
		Calls []svctest.CallView
	}
	e.svc.admin.Must(t, http.MethodGet, "/calls/live", nil, 200, &live)
	var id string
	for _, v := range live.Calls {
		if v.Agent == alice.Seat {
			id = v.ID
		}
	}
	if id == "" {
		t.Fatalf("no live call for the agent: %+v", live.Calls)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.dispose(t, alice, id, "SALE")
	if r.Call.Outcome != "answered" || r.Call.Direction != "inbound" || r.Call.ToNumber != "+15557770002" {
		t.Fatalf("record %+v", r.Call)
	}

	// A number nobody provisioned: FreeSWITCH refuses it.
	_, err = carrier.Dial(ctx, e.carriersURI("15550009999"), sipphone.DialOptions{})
	var de *sipgo.ErrDialogResponse
	if !errors.As(err, &de) || de.Res.StatusCode != 503 {
		t.Fatalf("unknown DID: %v", err)
	}
}

// A supervisor monitors an agent's call from their own phone: listens
// (hears both sides, nobody hears the supervisor), whispers (the agent
// hears), barges (the lead hears too), and stops.
func TestServiceSupervisorMonitor(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	alice, ph := e.seat(t, "2409", "agent", "ring", toneAgent)
	sup, sph := e.seat(t, "2410", "supervisor", "ring", toneSupervisor)
	ready(t, alice, "ring")
	c := e.leadCallTo(t, ctx, alice.Seat, ph, nil)
	c.talking(t, ctx, toneAgent)
	agentLeg := c.view.Leg("agent")

	mark := e.rec.mark()
	var mon struct {
		Leg string `json:"leg_id"`
	}
	sup.Must(t, http.MethodPost, "/calls/"+c.id+"/monitor", map[string]any{"mode": "listen"}, 201, &mon)
	sc, err := sph.NextCall(ctx)
	if err != nil {
		t.Fatalf("the supervisor's phone was not rung: %v", err)
	}
	e.rec.must(t, ctx, mark, "eavesdrop on the agent's leg", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventMediaBugStart && ev.UniqueID() == agentLeg && ev.Get("Media-Bug-Function") == "eavesdrop"
	})
	since := time.Now()
	for name, f := range map[string]float64{"agent": toneAgent, "lead": toneLead} {
		if _, err := sc.WaitTone(ctx, f, since); err != nil {
			t.Fatalf("the supervisor does not hear the %s: %v", name, err)
		}
	}
	if hears(ctx, c.agentCall, toneSupervisor, time.Now(), 800*time.Millisecond) || hears(ctx, c.leadCall, toneSupervisor, time.Now(), 800*time.Millisecond) {
		t.Fatal("someone hears a listening supervisor")
	}
	modePath := "/calls/" + c.id + "/monitor/" + mon.Leg
	sup.Must(t, http.MethodPost, modePath, map[string]any{"mode": "whisper"}, 204, nil)
	if _, err := c.agentCall.WaitTone(ctx, toneSupervisor, time.Now()); err != nil {
		t.Fatalf("whisper: the agent does not hear the supervisor: %v", err)
	}
	if hears(ctx, c.leadCall, toneSupervisor, time.Now(), 800*time.Millisecond) {
		t.Fatal("whisper: the lead hears the supervisor")
	}
	sup.Must(t, http.MethodPost, modePath, map[string]any{"mode": "barge"}, 204, nil)
	if _, err := c.leadCall.WaitTone(ctx, toneSupervisor, time.Now()); err != nil {
		t.Fatalf("barge: the lead does not hear the supervisor: %v", err)
	}
	sup.Must(t, http.MethodDelete, modePath, nil, 204, nil)
	if err := sc.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	// The call goes on without the supervisor.
	c.talking(t, ctx, toneAgent)
	alice.Must(t, http.MethodPost, "/calls/"+c.id+"/hangup", nil, 204, nil)
	r := e.dispose(t, alice, c.id, "SALE")
	svctest.Subsequence(t, "timeline", r.Kinds(), "bridged", "monitor", "monitor_mode", "monitor_mode", "ended")
}

// An agent dials a number on its own phone: FreeSWITCH authenticates the
// phone with the a1-hash the service served, answers and parks the leg
// with the number; the service dials the lead through the gateway from
// that leg. A phone that is not an agent's cannot dial out.
func TestServiceAgentDialsFromPhone(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	alice, ph := e.seat(t, "2412", "agent", "ring", toneAgent)
	leads := e.leadPhone(t)
	// Logged in, not READY: the dialer sends no calls meanwhile.
	alice.Must(t, http.MethodPost, fmt.Sprintf("/agents/%d/login", alice.Seat), map[string]any{"endpoint": map[string]any{"kind": "sip"}}, 200, nil)
	mark := e.rec.mark()
	// Typed as a national number: the service's default country applies.
	out, err := ph.Dial(ctx, e.agentsURI("5557654999"), sipphone.DialOptions{Username: "2412", Password: agentPass})
	if err != nil {
		t.Fatal(err)
	}
	park := e.rec.must(t, ctx, mark, "agent leg parked", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventChannelPark && ev.Var("agentswitch_dialed") == "5557654999"
	})
	if park.Var("agentswitch_leg_role") != "agent_dial" || park.Var("agentswitch_agent_id") != strconv.FormatInt(alice.Seat, 10) {
		t.Fatalf("parked with role %q agent id %q", park.Var("agentswitch_leg_role"), park.Var("agentswitch_agent_id"))
	}
	lc, err := nextCallFor(ctx, leads, "+15557654999")
	if err != nil {
		t.Fatalf("the lead was not dialed: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := lc.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	hearEachOther(t, ctx, since, lc, toneAgent, out, toneLead)
	var a struct {
		State string
		Call  string `json:"call_id"`
	}
	alice.Must(t, http.MethodGet, fmt.Sprintf("/agents/%d", alice.Seat), nil, 200, &a)
	if a.State != "INCALL" || a.Call == "" {
		t.Fatalf("agent %+v", a)
	}
	v := alice.View(t, a.Call)
	if v.Leg("agent") != park.UniqueID() {
		t.Fatalf("the call's agent leg %q is not the phone's %q", v.Leg("agent"), park.UniqueID())
	}
	// The lead hangs up: the phone is hung up, the agent wraps up.
	if err := lc.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitEnded(ctx); err != nil {
		t.Fatalf("the agent's phone stayed up: %v", err)
	}
	r := e.dispose(t, alice, a.Call, "SALE")
	if r.Call.Outcome != "answered" || r.Call.Agent != alice.Seat {
		t.Fatalf("record %+v", r.Call)
	}

	// Someone not provisioned (no agent id) cannot dial out.
	stranger, err := sipphone.Start(ctx, sipphone.Config{User: "9999", Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if _, err := stranger.Dial(ctx, e.agentsURI("+15557654321"), sipphone.DialOptions{Username: "9999", Password: "whatever-pass"}); err == nil {
		t.Fatal("a stranger dialed out")
	}
}

// A DID's caller enters a ring-all queue with two agents' phones: both
// ring, the first to answer talks with the caller (audio both ways) and
// the other phone stops ringing, its agent READY again.
func TestServiceQueueRingAll(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 2*time.Minute)
	alice, aph := e.seat(t, "2420", "agent", "ring", toneAgent, func(c *sipphone.Config) { c.Behavior.Ring = time.Second })
	bob, bph := e.seat(t, "2421", "agent", "ring", toneAgent2, func(c *sipphone.Config) { c.Behavior.Ring = 10 * time.Second })
	var q struct{ ID int64 }
	e.svc.admin.Must(t, http.MethodPost, "/queues", map[string]any{"name": "e2e-ring-all", "strategy": "ring-all"}, 201, &q)
	e.svc.admin.Must(t, http.MethodPut, fmt.Sprintf("/queues/%d/members", q.ID), map[string]any{"members": []map[string]any{
		{"agent_id": alice.Seat}, {"agent_id": bob.Seat}}}, 200, nil)
	e.svc.admin.Must(t, http.MethodPost, "/dids", map[string]any{"number": "+15557770003", "name": "Support line", "queue": "e2e-ring-all"}, 201, nil)
	ready(t, alice, "ring")
	ready(t, bob, "ring")

	carrier, err := sipphone.Start(ctx, sipphone.Config{User: "carrier", Tone: toneLead})
	if err != nil {
		t.Fatal(err)
	}
	defer carrier.Close()
	in, err := carrier.Dial(ctx, e.carriersURI("15557770003"), sipphone.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := aph.NextCall(ctx)
	if err != nil {
		t.Fatalf("alice's phone did not ring: %v\n%s", err, e.svc.LogTail(30))
	}
	bc, err := bph.NextCall(ctx)
	if err != nil {
		t.Fatalf("bob's phone did not ring: %v\n%s", err, e.svc.LogTail(30))
	}
	if err := ac.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	// Bob's phone stops ringing long before its 10 s.
	ended := ctxFor(t, 5*time.Second)
	if err := bc.WaitEnded(ended); err != nil {
		t.Fatalf("bob's phone still rings after alice answered: %v", err)
	}
	if bc.Answered() {
		t.Fatal("bob's phone was answered too")
	}
	since := time.Now()
	hearEachOther(t, ctx, since, ac, toneLead, in, toneAgent)
	bob.WaitState(t, "READY")
	var live struct {
		Queues []struct {
			Name              string
			Answered, Waiting int
		}
	}
	e.svc.admin.Must(t, http.MethodGet, "/queues/live", nil, 200, &live)
	found := false
	for _, lq := range live.Queues {
		if lq.Name == "e2e-ring-all" {
			found = true
			if lq.Answered != 1 || lq.Waiting != 0 {
				t.Fatalf("queue figures %+v", lq)
			}
		}
	}
	if !found {
		t.Fatalf("no live figures for the queue: %+v", live.Queues)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
