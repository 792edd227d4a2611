//go:build e2e

package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// Tones each phone sends, so a test can tell who it hears.
const (
	toneLead       = 1000
	toneAgent      = 440
	toneAgent2     = 1400
	toneSupervisor = 300
	// toneHoldMusic is the first note of pbx-config's hold music.
	toneHoldMusic = 523.25
	// toneRingback is the higher tone of pbx-config's ringback
	// (agentswitch_ringback, %(2000,4000,440,480)).
	toneRingback = 480
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// Lead through the database's gateway, agent through user/<ext>, bridged:
// each phone hears the other's tone.
func TestLeadAgentBridge(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2201", toneAgent)
	start := time.Now()
	p := e.bridgedPair(t, ag)
	if _, err := p.agentCall.WaitTone(ctx, toneLead, start); err != nil {
		t.Fatalf("agent never heard the lead: %v (%+v)", err, p.agentCall.Stats())
	}
	if _, err := p.leadCall.WaitTone(ctx, toneAgent, start); err != nil {
		t.Fatalf("lead never heard the agent: %v (%+v)", err, p.leadCall.Stats())
	}
	// The service's variables are on the legs.
	v, ok, err := e.client.GetVar(ctx, p.agent.UUID, pbxnames.VarCallID)
	if err != nil || !ok || v != p.lead.CallID {
		t.Fatalf("agent leg %s = %q %v %v", pbxnames.VarCallID, v, ok, err)
	}
	// Lead refusals map to FreeSWITCH's causes.
	leads := e.leadPhone(t)
	for o, cause := range map[sipphone.Outcome]string{
		sipphone.Busy: "USER_BUSY", sipphone.Reject: "CALL_REJECTED", sipphone.Unavailable: "NO_USER_RESPONSE", sipphone.NotFound: "UNALLOCATED_NUMBER",
	} {
		n := newNumber()
		leads.SetBehavior(n, sipphone.Behavior{Outcome: o})
		l := e.originateLead(t, n, "")
		err := l.call.Wait(ctx)
		var oe *esl.OriginateError
		if !errors.As(err, &oe) || oe.Cause != cause {
			t.Errorf("%v: %v, want %s", o, err, cause)
		}
	}
}

// uuid_hold on the agent's leg: CHANNEL_HOLD, a sendonly re-INVITE to the
// agent's phone (answered recvonly), hold music started on the lead; then
// uuid_hold off and the phone's own hold key.
//
// What the lead hears is logged, not asserted: FreeSWITCH applies the
// direction of the agent's answer (recvonly) to the bridged lead as well,
// because the agent's leg is an outbound one (switch_core_media_set_rmode),
// so the lead's audio_media_flow turns recvonly and the music never leaves
// FreeSWITCH. TestHoldMusicByBroadcast is the hold that the lead hears.
func TestHoldUnhold(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2202", toneAgent)
	start := time.Now()
	p := e.bridgedPair(t, ag)
	// A uuid_hold sent within about 200 ms of CHANNEL_BRIDGE starts its
	// music only after the unhold (esl/testdata/transcripts/10-*): let 300 ms of
	// the call pass.
	if _, err := p.leadCall.WaitTone(ctx, toneAgent, start); err != nil {
		t.Fatal(err)
	}
	if err := p.leadCall.WaitPackets(ctx, p.leadCall.Stats().Received+15); err != nil {
		t.Fatal(err)
	}
	mark := e.rec.mark()
	if err := e.client.Hold(ctx, p.agent.UUID, true); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "CHANNEL_HOLD", named(esl.EventChannelHold, p.agent.UUID))
	if err := p.agentCall.WaitHeld(ctx, true); err != nil {
		t.Fatal(err)
	}
	ev := e.rec.must(t, ctx, mark, "hold music on the lead", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventPlaybackStart && ev.UniqueID() == p.lead.UUID
	})
	flow, _, _ := e.client.GetVar(ctx, p.lead.UUID, "audio_media_flow")
	t.Logf("hold music %s started on the lead; lead audio_media_flow=%s; lead hears it: %v", ev.Get("Playback-File-Path"), flow,
		hears(ctx, p.leadCall, toneHoldMusic, time.Now(), time.Second))

	mark = e.rec.mark()
	if err := e.client.Hold(ctx, p.agent.UUID, false); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "CHANNEL_UNHOLD", named(esl.EventChannelUnhold, p.agent.UUID))
	if err := p.agentCall.WaitHeld(ctx, false); err != nil {
		t.Fatal(err)
	}
	if p.agentCall.Reinvites() < 2 {
		t.Fatalf("agent phone saw %d re-INVITEs", p.agentCall.Reinvites())
	}
	e.rec.must(t, ctx, mark, "hold music stops", named(esl.EventPlaybackStop, p.lead.UUID))
	if _, err := p.leadCall.WaitTone(ctx, toneAgent, time.Now()); err != nil {
		t.Fatalf("lead does not hear the agent after unhold: %v", err)
	}

	// Holding from the phone (its hold key) is reported too.
	mark = e.rec.mark()
	if err := p.agentCall.Hold(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "CHANNEL_HOLD from the phone", named(esl.EventChannelHold, p.agent.UUID))
	if err := p.agentCall.Hold(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "CHANNEL_UNHOLD from the phone", named(esl.EventChannelUnhold, p.agent.UUID))
}

// The hold a lead hears: play the hold_music variable to the lead's leg
// inside the bridge, then break it. The bridge stays; neither side hears
// the other meanwhile; no re-INVITE is sent. Works right after the bridge.
func TestHoldMusicByBroadcast(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2216", toneAgent)
	p := e.bridgedPair(t, ag)
	mark := e.rec.mark()
	// ${hold_music} is expanded when the lead runs the playback.
	if _, err := e.client.API(ctx, "", esl.Command{Name: "uuid_broadcast", Args: p.lead.UUID + " ${hold_music} aleg"}); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if _, err := p.leadCall.WaitTone(ctx, toneHoldMusic, at); err != nil {
		t.Fatalf("lead hears no hold music: %v", err)
	}
	e.rec.must(t, ctx, mark, "PLAYBACK_START", named(esl.EventPlaybackStart, p.lead.UUID))
	if hears(ctx, p.agentCall, toneLead, time.Now(), 600*time.Millisecond) || hears(ctx, p.leadCall, toneAgent, time.Now(), 600*time.Millisecond) {
		t.Fatal("agent and lead still hear each other on hold")
	}
	if _, err := e.client.API(ctx, "", esl.Command{Name: "uuid_break", Args: p.lead.UUID + " all"}); err != nil {
		t.Fatal(err)
	}
	at = time.Now()
	hearEachOther(t, ctx, at, p.agentCall, toneLead, p.leadCall, toneAgent)
	e.rec.must(t, ctx, mark, "PLAYBACK_STOP", named(esl.EventPlaybackStop, p.lead.UUID))
}

// Mute silences what the agent's phone sends: the lead keeps receiving
// packets, but no tone, until unmute.
func TestMute(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2203", toneAgent)
	start := time.Now()
	p := e.bridgedPair(t, ag)
	if _, err := p.leadCall.WaitAudio(ctx, start); err != nil {
		t.Fatal(err)
	}
	mark := e.rec.mark()
	if err := e.client.Mute(ctx, p.agent.UUID, true); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "MEDIA_BUG_START audio", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventMediaBugStart && ev.UniqueID() == p.agent.UUID && ev.Get("Media-Bug-Function") == "audio"
	})
	muted := time.Now()
	// 1 s of packets after a short settling time: none audible.
	if err := p.leadCall.WaitPackets(ctx, p.leadCall.Stats().Received+60); err != nil {
		t.Fatal(err)
	}
	if last := p.leadCall.Stats().LastAudible; last.After(muted.Add(100 * time.Millisecond)) {
		t.Fatalf("lead still heard the agent %v after mute", last.Sub(muted))
	}
	unmuted := time.Now()
	if err := e.client.Mute(ctx, p.agent.UUID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.leadCall.WaitAudio(ctx, unmuted); err != nil {
		t.Fatalf("no audio after unmute: %v", err)
	}
}

// uuid_send_dtmf reaches the lead's phone as RFC 2833; digits the agent's
// phone sends come back as DTMF events (Source RTP).
func TestDTMF(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2204", toneAgent)
	p := e.bridgedPair(t, ag)
	if err := e.client.SendDTMF(ctx, p.lead.UUID, "12#9", 0); err != nil {
		t.Fatal(err)
	}
	got, err := p.leadCall.WaitDigits(ctx, 4)
	if err != nil || got != "12#9" {
		t.Fatalf("lead phone got %q, %v", got, err)
	}
	mark := e.rec.mark()
	if err := p.agentCall.SendDTMF("7*"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"7", "*"} {
		ev := e.rec.must(t, ctx, mark, "DTMF "+d, func(ev *esl.Event) bool {
			return ev.Name() == esl.EventDTMF && ev.UniqueID() == p.agent.UUID && ev.Get("DTMF-Digit") == d
		})
		if src := ev.Get("DTMF-Source"); src != "RTP" {
			t.Errorf("DTMF %s source %q", d, src)
		}
	}
	// Bridged, the agent's digits reach the lead too.
	if got, err := p.leadCall.WaitDigits(ctx, 6); err != nil || got != "12#97*" {
		t.Fatalf("lead phone got %q, %v", got, err)
	}
}

// A recording of the lead's leg lasts as long as it ran.
func TestRecording(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2205", toneAgent)
	p := e.bridgedPair(t, ag)
	path := filepath.Join(e.recDir, "call-"+p.lead.CallID+".wav")
	mark := e.rec.mark()
	if err := e.client.RecordStart(ctx, p.lead.UUID, path, 0); err != nil {
		t.Fatal(err)
	}
	_, started, err := e.rec.wait(ctx, mark, named(esl.EventRecordStart, p.lead.UUID))
	if err != nil {
		t.Fatal(err)
	}
	// Record 3 s of the call, timed by the media itself.
	if err := p.leadCall.WaitPackets(ctx, p.leadCall.Stats().Received+150); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RecordStop(ctx, p.lead.UUID, path); err != nil {
		t.Fatal(err)
	}
	_, stopped, err := e.rec.wait(ctx, mark, named(esl.EventRecordStop, p.lead.UUID))
	if err != nil {
		t.Fatal(err)
	}
	want := stopped.Sub(started)
	got, err := wavDuration(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recording %s: %v (events %v apart)", path, got, want)
	if math.Abs(got.Seconds()-want.Seconds()) > 0.3 {
		t.Fatalf("recording lasts %v, the call recorded for %v", got, want)
	}
}

// wavDuration reads a RIFF WAV header and its data size.
func wavDuration(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, fmt.Errorf("%s is not a WAV file", path)
	}
	var rate, align uint32
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), binary.LittleEndian.Uint32(b[off+4:])
		body := b[off+8:]
		switch id {
		case "fmt ":
			rate = binary.LittleEndian.Uint32(body[4:])
			align = uint32(binary.LittleEndian.Uint16(body[12:]))
		case "data":
			if rate == 0 || align == 0 {
				return 0, errors.New("data before fmt")
			}
			n := min(int(size), len(body))
			return time.Duration(float64(n/int(align)) / float64(rate) * float64(time.Second)), nil
		}
		off += 8 + int(size) + int(size&1)
	}
	return 0, errors.New("no data chunk")
}

// Blind transfer to another agent through the transfer context: the first
// agent is hung up, the second rings, answers and talks to the lead.
func TestBlindTransfer(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag1 := e.agent(t, "2206", toneAgent)
	ag2 := e.agent(t, "2207", toneAgent2)
	p := e.bridgedPair(t, ag1)
	mark := e.rec.mark()
	before := time.Now()
	if err := e.client.Transfer(ctx, p.lead.UUID, esl.LegSelf, esl.Extension{Exten: "2207", Context: pbxnames.ContextTransfer}); err != nil {
		t.Fatal(err)
	}
	if err := p.agentCall.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := ag2.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	br := e.rec.must(t, ctx, mark, "bridge to the second agent", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventChannelBridge && ev.Get("Bridge-A-Unique-ID") == p.lead.UUID
	})
	b := br.Get("Bridge-B-Unique-ID")
	if v, _, _ := e.client.GetVar(ctx, b, pbxnames.VarCallID); v != p.lead.CallID {
		t.Fatalf("transferred leg has %s %q, want %q", pbxnames.VarCallID, v, p.lead.CallID)
	}
	if v, _, _ := e.client.GetVar(ctx, b, pbxnames.VarLegRole); v != pbxnames.RoleTransfer {
		t.Fatalf("transferred leg role %q", v)
	}
	if _, err := c2.WaitTone(ctx, toneLead, before); err != nil {
		t.Fatalf("second agent does not hear the lead: %v", err)
	}
	if _, err := p.leadCall.WaitTone(ctx, toneAgent2, before); err != nil {
		t.Fatalf("lead does not hear the second agent: %v", err)
	}
	e.client.Kill(ctx, b, "")
}

// Warm transfer through a conference: lead and agent move into a room, the
// lead is held, a second agent is dialed in, the lead is unheld and the
// first agent leaves (parked, not hung up).
func TestWarmTransferConference(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 90*time.Second)
	ag1 := e.agent(t, "2208", toneAgent)
	ag2 := e.agent(t, "2209", toneAgent2)
	p := e.bridgedPair(t, ag1)
	room := "wt-" + p.lead.CallID[:8]
	mark := e.rec.mark()
	if err := e.client.TransferToConference(ctx, p.lead.UUID, esl.LegBoth, room, pbxnames.ConferenceProfile); err != nil {
		t.Fatal(err)
	}
	agentAdd := e.rec.must(t, ctx, mark, "agent joins", conference("add-member", room, p.agent.UUID))
	leadAdd := e.rec.must(t, ctx, mark, "lead joins", conference("add-member", room, p.lead.UUID))
	if agentAdd.Get("Conference-Profile-Name") != pbxnames.ConferenceProfile {
		t.Fatalf("profile %q", agentAdd.Get("Conference-Profile-Name"))
	}
	leadID, _ := strconv.Atoi(leadAdd.Get("Member-ID"))
	agentID, _ := strconv.Atoi(agentAdd.Get("Member-ID"))
	if err := e.client.ConferenceMember(ctx, room, esl.ConfHold, leadID); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "hold-member", conference("hold-member", room, p.lead.UUID))

	third := &leg{UUID: uuid.NewString(), CallID: p.lead.CallID}
	call, err := e.client.ConferenceDial(ctx, room, pbxnames.ConferenceProfile, esl.Originate{
		UUID: third.UUID, Endpoint: esl.UserEndpoint{User: "2209", Domain: domain},
		Vars: map[string]string{pbxnames.VarCallID: p.lead.CallID, pbxnames.VarLegRole: "agent"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := ag2.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "second agent joins", conference("add-member", room, third.UUID))
	members, err := e.client.ConferenceList(ctx, room)
	if err != nil || len(members) != 3 {
		t.Fatalf("list: %v %+v", err, members)
	}
	if err := e.client.ConferenceMember(ctx, room, esl.ConfUnhold, leadID); err != nil {
		t.Fatal(err)
	}
	mark = e.rec.mark()
	if err := e.client.ConferenceMember(ctx, room, esl.ConfKick, agentID); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "first agent leaves", conference("del-member", room, p.agent.UUID))
	e.rec.must(t, ctx, mark, "first agent parked", named(esl.EventChannelPark, p.agent.UUID))
	if ok, _ := e.client.Exists(ctx, p.agent.UUID); !ok {
		t.Fatal("first agent's leg hung up")
	}
	members, err = e.client.ConferenceList(ctx, room)
	if err != nil || len(members) != 2 {
		t.Fatalf("after leave: %v %+v", err, members)
	}
	// Lead and second agent hear each other through the room.
	since := time.Now()
	hearEachOther(t, ctx, since, c2, toneLead, p.leadCall, toneAgent2)
	e.client.Kill(ctx, third.UUID, "")
}

// Three-way: lead, agent and a third party (another number) in one room.
func TestThreeWayConference(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 90*time.Second)
	ag := e.agent(t, "2210", toneAgent)
	leads := e.leadPhone(t)
	p := e.bridgedPair(t, ag)
	room := "3w-" + p.lead.CallID[:8]
	mark := e.rec.mark()
	if err := e.client.TransferToConference(ctx, p.lead.UUID, esl.LegBoth, room, pbxnames.ConferenceProfile); err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "lead joins", conference("add-member", room, p.lead.UUID))
	n := newNumber()
	third := uuid.NewString()
	call, err := e.client.ConferenceDial(ctx, room, pbxnames.ConferenceProfile, esl.Originate{
		UUID: third, Endpoint: esl.GatewayEndpoint{Gateway: leadGateway, Number: n},
		Vars: map[string]string{pbxnames.VarCallID: p.lead.CallID, pbxnames.VarLegRole: "third"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c3, err := nextCallFor(ctx, leads, n)
	if err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "third joins", conference("add-member", room, third))
	members, err := e.client.ConferenceList(ctx, room)
	if err != nil || len(members) != 3 {
		t.Fatalf("list: %v %+v", err, members)
	}
	since := time.Now()
	for name, c := range map[string]*sipphone.Call{"lead": p.leadCall, "third": c3} {
		if _, err := c.WaitTone(ctx, toneAgent, since); err != nil {
			t.Fatalf("%s does not hear the agent: %v", name, err)
		}
	}
	if _, err := p.agentCall.WaitTone(ctx, toneLead, since); err != nil {
		t.Fatalf("agent does not hear the leads: %v", err)
	}
	e.client.Kill(ctx, third, "")
}

// The lead hangs up after about 2 s of talk: CHANNEL_HANGUP_COMPLETE
// carries billsec and the cause; the agent (park_after_bridge on the lead
// only) is hung up by FreeSWITCH.
func TestHangupBillsec(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2211", toneAgent)
	leads := e.leadPhone(t)
	n := newNumber()
	leads.SetBehavior(n, sipphone.Behavior{Ring: 100 * time.Millisecond, HangupAfter: 2200 * time.Millisecond})
	mark := e.rec.mark()
	lead := e.originateLead(t, n, "")
	lead.wait(t)
	agent := e.originateAgent(t, ag.User(), lead.CallID)
	agent.wait(t)
	if err := e.client.Bridge(ctx, lead.UUID, agent.UUID); err != nil {
		t.Fatal(err)
	}
	ev := e.rec.must(t, ctx, mark, "lead hangup complete", named(esl.EventChannelHangupComplete, lead.UUID))
	billsec, _ := strconv.Atoi(ev.Var("billsec"))
	billmsec, _ := strconv.Atoi(ev.Var("billmsec"))
	t.Logf("lead: cause %s billsec %d billmsec %d disposition %s", ev.HangupCause(), billsec, billmsec, ev.Var("sip_hangup_disposition"))
	if ev.HangupCause() != "NORMAL_CLEARING" || ev.Var("sip_hangup_disposition") != "recv_bye" {
		t.Fatalf("cause %s disposition %s", ev.HangupCause(), ev.Var("sip_hangup_disposition"))
	}
	if billmsec < 2000 || billmsec > 3500 || billsec < 2 || billsec > 3 {
		t.Fatalf("billsec %d billmsec %d for 2.2 s of talk", billsec, billmsec)
	}
	e.rec.must(t, ctx, mark, "agent hangup", named(esl.EventChannelHangupComplete, agent.UUID))
}

// A supervisor listens to an agent's call, then whispers to the agent and
// barges in; each mode is checked by who hears the supervisor's tone. The
// mode changes show only as DTMF (Source APP) on the supervisor's leg.
func TestSupervisorEavesdrop(t *testing.T) {
	e := env(t)
	ctx := ctxFor(t, 90*time.Second)
	ag := e.agent(t, "2214", toneAgent)
	sup := e.agent(t, "2215", toneSupervisor)
	p := e.bridgedPair(t, ag)
	mark := e.rec.mark()
	s := &leg{UUID: uuid.NewString()}
	call, err := e.client.Originate(ctx, esl.Originate{
		UUID: s.UUID, Endpoint: esl.UserEndpoint{User: "2215", Domain: domain}, App: esl.Eavesdrop{Target: p.agent.UUID, Mode: esl.Listen},
		Timeout: 20 * time.Second, Vars: map[string]string{pbxnames.VarCallID: p.lead.CallID, pbxnames.VarLegRole: "supervisor"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := call.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	sc, err := sup.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.rec.must(t, ctx, mark, "eavesdrop media bug on the agent", func(ev *esl.Event) bool {
		return ev.Name() == esl.EventMediaBugStart && ev.UniqueID() == p.agent.UUID && ev.Get("Media-Bug-Function") == "eavesdrop"
	})
	// Listening: the supervisor hears both sides, nobody hears the supervisor.
	for name, f := range map[string]float64{"agent": toneAgent, "lead": toneLead} {
		if _, err := sc.WaitTone(ctx, f, start); err != nil {
			t.Fatalf("supervisor does not hear the %s: %v", name, err)
		}
	}
	hearsSupervisor := func(c *sipphone.Call, since time.Time) bool {
		return hears(ctx, c, toneSupervisor, since, 800*time.Millisecond)
	}
	if now := time.Now(); hearsSupervisor(p.agentCall, now) || hearsSupervisor(p.leadCall, now) {
		t.Fatal("someone hears a listening supervisor")
	}
	setMode := func(mode esl.EavesdropMode, digit string) time.Time {
		t.Helper()
		m := e.rec.mark()
		if err := e.client.SetEavesdropMode(ctx, s.UUID, mode); err != nil {
			t.Fatal(err)
		}
		ev := e.rec.must(t, ctx, m, "mode "+mode.String(), func(ev *esl.Event) bool {
			return ev.Name() == esl.EventDTMF && ev.UniqueID() == s.UUID && ev.Get("DTMF-Digit") == digit
		})
		if ev.Get("DTMF-Source") != "APP" {
			t.Errorf("mode %s: DTMF source %q", mode, ev.Get("DTMF-Source"))
		}
		return time.Now()
	}
	// Whisper: the agent hears the supervisor, the lead does not.
	at := setMode(esl.Whisper, "2")
	if _, err := p.agentCall.WaitTone(ctx, toneSupervisor, at); err != nil {
		t.Fatalf("whisper: agent does not hear the supervisor: %v", err)
	}
	if hearsSupervisor(p.leadCall, at) {
		t.Fatal("whisper: the lead hears the supervisor")
	}
	// Barge: the lead hears the supervisor too.
	at = setMode(esl.Barge, "3")
	if _, err := p.leadCall.WaitTone(ctx, toneSupervisor, at); err != nil {
		t.Fatalf("barge: lead does not hear the supervisor: %v", err)
	}
	setMode(esl.Listen, "0")

	// When the agent's call ends, the supervisor is hung up.
	mark = e.rec.mark()
	e.client.Kill(ctx, p.agent.UUID, "")
	e.rec.must(t, ctx, mark, "supervisor hangs up", named(esl.EventChannelHangupComplete, s.UUID))
}
