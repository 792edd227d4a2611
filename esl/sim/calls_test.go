package sim

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// fastConfig keeps call flows short.
func fastConfig() Config {
	return Config{
		HeartbeatInterval: time.Hour,
		AnswerDelay:       30 * time.Millisecond,
		RingDelay:         5 * time.Millisecond,
		MediaTick:         time.Millisecond,
		AMDDelay:          20 * time.Millisecond,
		NoHoldMusic:       true,
	}
}

func uuidN(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

// channelKinds waits until the channel's event list ends with CS_DESTROY.
func destroyedKinds(t *testing.T, c *client, uuid string) []string {
	t.Helper()
	var kinds []string
	waitFor(t, 5*time.Second, "CS_DESTROY of "+uuid, func() bool {
		kinds = kindsOf(c.events(), uuid)
		return len(kinds) > 0 && kinds[len(kinds)-1] == "CHANNEL_STATE(CS_DESTROY)"
	})
	return kinds
}

func TestScriptedEndpoints(t *testing.T) {
	failOrder := []string{"CHANNEL_OUTGOING", "CHANNEL_STATE(CS_INIT)", "CHANNEL_CREATE", "CHANNEL_ORIGINATE",
		"CHANNEL_STATE(CS_ROUTING)", "CHANNEL_STATE(CS_CONSUME_MEDIA)", "CHANNEL_PROGRESS", "CHANNEL_CALLSTATE",
		"CHANNEL_HANGUP", "CHANNEL_STATE(CS_HANGUP)", "CHANNEL_CALLSTATE", "CHANNEL_STATE(CS_REPORTING)",
		"CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "CHANNEL_STATE(CS_DESTROY)"}
	noRing := append(append([]string(nil), failOrder[:6]...), failOrder[8:]...)
	for _, tc := range []struct {
		name   string
		beh    Behavior
		vars   string
		reply  string
		cause  string
		disp   string
		order  []string
		before time.Duration // the reply comes before this
		after  time.Duration // and not before this
	}{
		{name: "busy", beh: Behavior{Outcome: Busy}, reply: "-ERR USER_BUSY\n", cause: "USER_BUSY", disp: "recv_refuse", order: failOrder},
		{name: "rejected", beh: Behavior{Outcome: Rejected}, reply: "-ERR CALL_REJECTED\n", cause: "CALL_REJECTED", disp: "recv_refuse", order: failOrder},
		{name: "unreachable", beh: Behavior{Outcome: Unreachable}, reply: "-ERR NORMAL_TEMPORARY_FAILURE\n", cause: "NORMAL_TEMPORARY_FAILURE", disp: "recv_refuse", order: noRing, before: 500 * time.Millisecond},
		{name: "no answer", beh: Behavior{Outcome: NoAnswer}, vars: "originate_timeout=1", reply: "-ERR NO_ANSWER\n", cause: "NO_ANSWER", disp: "send_cancel", order: failOrder, after: 900 * time.Millisecond},
		{name: "fail", beh: Behavior{Outcome: Fail, Cause: "NO_ROUTE_DESTINATION"}, reply: "-ERR NO_ROUTE_DESTINATION\n", cause: "NO_ROUTE_DESTINATION", disp: "recv_refuse", order: failOrder},
		{name: "slow answer", beh: Behavior{AnswerAfter: 300 * time.Millisecond}, reply: "+OK ", after: 250 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, fastConfig())
			s.SetEndpoint("dest", tc.beh)
			ev := authed(t, s, "plain ALL")
			cmd := authed(t, s, "")
			u := uuidN(1)
			vars := "origination_uuid=" + u
			if tc.vars != "" {
				vars += "," + tc.vars
			}
			start := time.Now()
			got := cmd.api("originate {" + vars + "}sofia/internal/sip:dest@127.0.0.1:5070 &park()")
			took := time.Since(start)
			if !strings.HasPrefix(got, tc.reply) {
				t.Fatalf("reply %q, want %q", got, tc.reply)
			}
			if tc.before > 0 && took > tc.before {
				t.Errorf("reply after %v, want before %v", took, tc.before)
			}
			if took < tc.after {
				t.Errorf("reply after %v, want not before %v", took, tc.after)
			}
			if tc.cause == "" {
				ev.waitEvent("park", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == u })
				return
			}
			kinds := destroyedKinds(t, ev, u)
			for i := range kinds {
				kinds[i] = strings.Split(kinds[i], "(CS_")[0] + map[bool]string{true: "(CS_" + strings.SplitN(kinds[i]+"(CS_", "(CS_", 2)[1], false: ""}[strings.Contains(kinds[i], "(CS_")]
				kinds[i] = strings.TrimSuffix(kinds[i], "(CS_")
			}
			for i := range kinds {
				if strings.HasPrefix(kinds[i], "CHANNEL_CALLSTATE") {
					kinds[i] = "CHANNEL_CALLSTATE"
				}
			}
			if strings.Join(kinds, " ") != strings.Join(tc.order, " ") {
				t.Errorf("order\n got  %v\n want %v", kinds, tc.order)
			}
			hc := ev.waitEvent("hangup complete", func(e *esl.Event) bool {
				return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == u
			})
			if hc.HangupCause() != tc.cause || hc.Var("hangup_cause") != tc.cause || hc.Var("sip_hangup_disposition") != tc.disp {
				t.Errorf("cause %q var %q disposition %q", hc.HangupCause(), hc.Var("hangup_cause"), hc.Var("sip_hangup_disposition"))
			}
			if hc.Var("billsec") != "0" || hc.Var("answersec") != "0" {
				t.Errorf("billsec %q answersec %q", hc.Var("billsec"), hc.Var("answersec"))
			}
		})
	}
}

func TestDirectoryUsers(t *testing.T) {
	s := startServer(t, fastConfig())
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	s.SetUser("2001", false)
	s.RemoveUser("2002")
	s.SetEndpoint("2003", Behavior{Outcome: NotRegistered})
	for ext, want := range map[string]string{"2001": "-ERR USER_NOT_REGISTERED\n", "2002": "-ERR SUBSCRIBER_ABSENT\n", "2003": "-ERR USER_NOT_REGISTERED\n"} {
		if got := cmd.api("originate user/" + ext + " &park()"); got != want {
			t.Errorf("user/%s: %q, want %q", ext, got, want)
		}
	}
	// Unscripted extensions are registered and answer.
	u := uuidN(7)
	if got := cmd.api("originate {origination_uuid=" + u + "}user/1005@example.com &park()"); got != "+OK "+u+"\n" {
		t.Fatalf("user/1005: %q", got)
	}
	// The reply comes on the command connection; wait for the events.
	ev.waitEvent("park", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == u })
	kinds := kindsOf(ev.events(), u)
	outgoing := 0
	for _, k := range kinds {
		if k == "CHANNEL_OUTGOING" {
			outgoing++
		}
	}
	if outgoing != 2 {
		t.Errorf("user/ fires CHANNEL_OUTGOING twice, got %d in %v", outgoing, kinds)
	}
	ci, _ := s.Channel(u)
	if !strings.HasPrefix(ci.Name, "sofia/internal/1005@127.0.0.1:") || ci.Vars["dialed_user"] != "1005" {
		t.Errorf("user leg %q %v", ci.Name, ci.Vars["dialed_user"])
	}
}

func TestOutboundCallFlow(t *testing.T) {
	s := startServer(t, fastConfig())
	s.SetEndpoint("lead", Behavior{EchoDTMF: true})
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	lead, agent := uuidN(1), uuidN(2)
	if got := cmd.api("originate {origination_uuid=" + lead + ",origination_caller_id_number=15551230000,origination_caller_id_name='ACME Sales',lead_id=42,park_after_bridge=false}sofia/gateway/leadgw/lead &park()"); got != "+OK "+lead+"\n" {
		t.Fatalf("lead: %q", got)
	}
	ans := ev.waitEvent("answer", func(e *esl.Event) bool { return e.Name() == "CHANNEL_ANSWER" && e.UniqueID() == lead })
	if ans.Get("Channel-Call-State") != "RINGING" || ans.Get("Answer-State") != "answered" || ans.Var("lead_id") != "42" ||
		ans.Get("Caller-Caller-ID-Name") != "ACME Sales" || ans.Var("sip_gateway_name") != "leadgw" {
		t.Errorf("answer event: state %q answer %q lead_id %q cid %q gw %q", ans.Get("Channel-Call-State"),
			ans.Get("Answer-State"), ans.Var("lead_id"), ans.Get("Caller-Caller-ID-Name"), ans.Var("sip_gateway_name"))
	}
	if got := cmd.api("originate {origination_uuid=" + agent + "}user/1001 &park()"); got != "+OK "+agent+"\n" {
		t.Fatalf("agent: %q", got)
	}
	if got := cmd.api("uuid_bridge " + lead + " " + agent); got != "+OK "+agent+"\n" {
		t.Fatalf("bridge: %q", got)
	}
	br := ev.waitEvent("bridge", func(e *esl.Event) bool { return e.Name() == "CHANNEL_BRIDGE" })
	if br.UniqueID() != lead || br.Get("Bridge-A-Unique-ID") != lead || br.Get("Bridge-B-Unique-ID") != agent ||
		br.Get("Other-Leg-Unique-ID") != agent || br.Get("Other-Type") != "originatee" {
		t.Errorf("bridge event %v", br)
	}
	waitFor(t, time.Second, "bridged", func() bool { ci, _ := s.Channel(agent); return ci.BridgedTo == lead })

	// Hold: the partner gets the hold music broadcast (once the bridge has
	// carried its 10 lead frames; see TestHoldRightAfterBridge).
	time.Sleep(15 * time.Millisecond)
	if got := cmd.api("uuid_hold " + lead); got != "+OK Success\n" {
		t.Errorf("hold: %q", got)
	}
	if got := cmd.api("uuid_hold " + lead); got != "-ERR Operation failed\n" {
		t.Errorf("double hold: %q", got)
	}
	ev.waitEvent("moh", func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == agent && e.Get("Application-Data") == "local_stream://moh"
	})
	if ci, _ := s.Channel(lead); !ci.Held || ci.CallState != "HELD" {
		t.Errorf("held: %+v", ci.CallState)
	}
	if got := cmd.api("uuid_hold off " + lead); got != "+OK Success\n" {
		t.Errorf("unhold: %q", got)
	}
	if got := cmd.api("uuid_hold off " + lead); got != "-ERR Operation failed\n" {
		t.Errorf("double unhold: %q", got)
	}
	if got := cmd.api("uuid_hold toggle " + lead); got != "+OK Success\n" {
		t.Errorf("toggle: %q", got)
	}
	waitFor(t, time.Second, "held by toggle", func() bool { ci, _ := s.Channel(lead); return ci.Held })
	cmd.api("uuid_hold toggle " + lead)

	// Mute is a media bug and state only.
	if got := cmd.api("uuid_audio " + agent + " start read mute 1"); got != "+OK\n" {
		t.Errorf("audio: %q", got)
	}
	if ci, _ := s.Channel(agent); !ci.MutedRead {
		t.Error("agent not muted")
	}
	bug := ev.waitEvent("bug", func(e *esl.Event) bool { return e.Name() == "MEDIA_BUG_START" && e.UniqueID() == agent })
	if bug.Get("Media-Bug-Function") != "audio" || bug.Get("Media-Bug-Target") != "mute" {
		t.Errorf("bug %q %q", bug.Get("Media-Bug-Function"), bug.Get("Media-Bug-Target"))
	}
	cmd.api("uuid_audio " + agent + " stop")

	// DTMF: sent digits come back as RTP from an echoing endpoint.
	if got := cmd.api("uuid_send_dtmf " + lead + " 12#"); got != "+OK "+lead+" sent DTMF 12#.\n" {
		t.Errorf("send_dtmf: %q", got)
	}
	waitFor(t, 2*time.Second, "echoed digits", func() bool {
		n := 0
		for _, e := range ev.events() {
			if e.Name() == "DTMF" && e.UniqueID() == lead && e.Get("DTMF-Source") == "RTP" {
				n++
			}
		}
		return n == 3
	})
	if got := cmd.api("uuid_recv_dtmf " + agent + " 5"); got != "+OK "+agent+" received DTMF 5.\n" {
		t.Errorf("recv_dtmf: %q", got)
	}
	ev.waitEvent("app dtmf", func(e *esl.Event) bool {
		return e.Name() == "DTMF" && e.UniqueID() == agent && e.Get("DTMF-Source") == "APP" && e.Get("DTMF-Digit") == "5"
	})

	// Variables.
	cmd.api("uuid_setvar " + lead + " cc_note hello world & more")
	if got := cmd.api("uuid_getvar " + lead + " cc_note"); got != "hello world & more" {
		t.Errorf("getvar: %q", got)
	}
	cmd.api("uuid_setvar " + lead + " cc_note")
	if got := cmd.api("uuid_getvar " + lead + " cc_note"); got != "_undef_" {
		t.Errorf("unset getvar: %q", got)
	}
	cmd.api("uuid_setvar_multi " + lead + " a=1;b=two words")
	if got := cmd.api("uuid_getvar " + lead + " b"); got != "two words" {
		t.Errorf("setvar_multi: %q", got)
	}
	if got := cmd.api("uuid_exists " + lead); got != "true" {
		t.Errorf("exists: %q", got)
	}
	js := cmd.api("show calls as json")
	if !strings.HasPrefix(js, `{"row_count":1,"rows":[{"uuid":"`+lead) || strings.HasSuffix(js, "\n") || !strings.Contains(js, `"b_uuid":"`+agent) {
		t.Errorf("show calls: %s", js)
	}

	// Kill the lead: the agent goes too, one UNBRIDGE on the lead.
	if got := cmd.api("uuid_kill " + lead + " USER_BUSY"); got != "+OK\n" {
		t.Fatalf("kill: %q", got)
	}
	lk := destroyedKinds(t, ev, lead)
	ak := destroyedKinds(t, ev, agent)
	unbridges := 0
	for _, e := range ev.events() {
		if e.Name() == "CHANNEL_UNBRIDGE" {
			unbridges++
			if e.UniqueID() != lead {
				t.Errorf("UNBRIDGE on %s", e.UniqueID())
			}
		}
	}
	if unbridges != 1 {
		t.Errorf("%d CHANNEL_UNBRIDGE", unbridges)
	}
	tail := func(k []string, n int) string { return strings.Join(k[len(k)-n:], " ") }
	if got := tail(lk, 8); got != "CHANNEL_HANGUP CHANNEL_UNBRIDGE CHANNEL_STATE(CS_HANGUP) CHANNEL_CALLSTATE CHANNEL_STATE(CS_REPORTING) CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY CHANNEL_STATE(CS_DESTROY)" {
		t.Errorf("lead hangup: %s", got)
	}
	// The agent is a user/ leg: presence_id from the directory's dial-string.
	if got := tail(ak, 8); got != "CHANNEL_HANGUP CHANNEL_STATE(CS_HANGUP) CHANNEL_CALLSTATE PRESENCE_IN CHANNEL_STATE(CS_REPORTING) CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY CHANNEL_STATE(CS_DESTROY)" {
		t.Errorf("agent hangup: %s", got)
	}
	hc := ev.waitEvent("lead HC", func(e *esl.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == lead })
	for _, v := range []string{"billsec", "billmsec", "duration", "answersec", "waitsec", "hangup_cause_q850", "bridge_uuid", "last_bridge_to", "hold_accum_seconds", "hold_events"} {
		if !hc.Has("variable_" + v) {
			t.Errorf("HANGUP_COMPLETE lacks variable_%s", v)
		}
	}
	if hc.HangupCause() != "USER_BUSY" || hc.Var("hangup_cause_q850") != "17" || hc.Var("sip_hangup_disposition") != "send_bye" || hc.Get("Other-Leg-Unique-ID") != agent {
		t.Errorf("HC: %q %q %q", hc.HangupCause(), hc.Var("hangup_cause_q850"), hc.Var("sip_hangup_disposition"))
	}
	ahc := ev.waitEvent("agent HC", func(e *esl.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == agent })
	if ahc.HangupCause() != "NORMAL_CLEARING" {
		t.Errorf("agent cause %q", ahc.HangupCause())
	}
	if got := cmd.api("show channels as json"); got != "{\"row_count\": 0}\n" {
		t.Errorf("channels left: %s", got)
	}
}

func TestParkAfterBridgeAndRemoteHangup(t *testing.T) {
	s := startServer(t, fastConfig())
	s.SetEndpoint("lead", Behavior{HangupAfter: 150 * time.Millisecond})
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	lead, agent := uuidN(1), uuidN(2)
	cmd.api("originate {origination_uuid=" + lead + "}sofia/internal/sip:lead@127.0.0.1 &park()")
	cmd.api("originate {origination_uuid=" + agent + ",park_after_bridge=true}sofia/internal/sip:agent@127.0.0.1 &park()")
	cmd.api("uuid_bridge " + lead + " " + agent)
	hc := ev.waitEvent("lead BYE", func(e *esl.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == lead })
	if hc.Var("sip_hangup_disposition") != "recv_bye" || hc.HangupCause() != "NORMAL_CLEARING" {
		t.Errorf("remote hangup: %q %q", hc.Var("sip_hangup_disposition"), hc.HangupCause())
	}
	ev.waitEvent("agent parked", func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_PARK" && e.UniqueID() == agent && e.Get("Other-Leg-Unique-ID") == lead
	})
	if got := cmd.api("uuid_exists " + agent); got != "true" {
		t.Errorf("survivor gone: %q", got)
	}
	if ci, _ := s.Channel(agent); !ci.Parked || ci.BridgedTo != "" {
		t.Errorf("agent %+v", ci)
	}
	// Hangup on the far end through the API as well.
	if !s.Hangup(agent, "") {
		t.Fatal("Hangup")
	}
	destroyedKinds(t, ev, agent)
}

func TestRecordingWAV(t *testing.T) {
	cfg := fastConfig()
	cfg.RecordingsDir = t.TempDir()
	s := startServer(t, cfg)
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	u := uuidN(3)
	cmd.api("originate {origination_uuid=" + u + "}sofia/internal/sip:lead@127.0.0.1 &park()")
	if got := cmd.api("uuid_record " + u + " start calls/rec.wav"); got != "+OK Success\n" {
		t.Fatalf("start: %q", got)
	}
	if got := cmd.api("uuid_record " + u + " mask calls/other.wav"); got != "-ERR Cannot mask recording session!\n" {
		t.Errorf("mask wrong path: %q", got)
	}
	if got := cmd.api("uuid_record " + u + " mask calls/rec.wav"); got != "+OK Success\n" {
		t.Errorf("mask: %q", got)
	}
	time.Sleep(250 * time.Millisecond) // the recording needs a length
	if got := cmd.api("uuid_record " + u + " stop calls/other.wav"); got != "-ERR Cannot stop record session!\n" {
		t.Errorf("stop wrong path: %q", got)
	}
	if got := cmd.api("uuid_record " + u + " stop calls/rec.wav"); got != "+OK Success\n" {
		t.Fatalf("stop: %q", got)
	}
	stop := ev.waitEvent("RECORD_STOP", func(e *esl.Event) bool { return e.Name() == "RECORD_STOP" })
	if stop.Get("Record-File-Path") != "calls/rec.wav" || stop.Get("Record-Completion-Cause") != "success-maxtime" {
		t.Errorf("RECORD_STOP %q %q", stop.Get("Record-File-Path"), stop.Get("Record-Completion-Cause"))
	}
	ev.waitEvent("bug stop", func(e *esl.Event) bool {
		return e.Name() == "MEDIA_BUG_STOP" && e.Get("Media-Bug-Function") == "session_record"
	})
	data, err := os.ReadFile(filepath.Join(cfg.RecordingsDir, "calls/rec.wav"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(filepath.Join("..", "testdata", "rec-09ab4360-f929-4d30-80ce-581b8bd18408.wav"))
	if err != nil {
		t.Fatal(err)
	}
	// Same RIFF/fmt layout as the file FreeSWITCH wrote: PCM, mono, 8 kHz, 16 bit.
	if string(data[0:4]) != "RIFF" || string(data[8:16]) != "WAVEfmt " || string(data[12:36]) != string(ref[12:36]) || string(data[36:40]) != "data" {
		t.Errorf("header %q, FreeSWITCH's %q", data[:44], ref[:44])
	}
	dataLen := binary.LittleEndian.Uint32(data[40:])
	if int(dataLen) != len(data)-44 || binary.LittleEndian.Uint32(data[4:]) != uint32(len(data)-8) {
		t.Errorf("sizes: data %d file %d riff %d", dataLen, len(data), binary.LittleEndian.Uint32(data[4:]))
	}
	samples := int(dataLen / 2)
	if samples < 8*200 || samples > 8*2000 {
		t.Errorf("%d samples for ~250 ms", samples)
	}
	if stop.Var("record_samples") != fmt.Sprint(samples) || stop.Var("record_file_size") != fmt.Sprint(len(data)) {
		t.Errorf("record vars %q %q", stop.Var("record_samples"), stop.Var("record_file_size"))
	}
	for _, b := range data[44:] {
		if b != 0 {
			t.Fatal("recording is not silence")
		}
	}
	// A recording still running at hangup is closed too.
	cmd.api("uuid_record " + u + " start " + filepath.Join(cfg.RecordingsDir, "abs.wav") + " 30")
	cmd.api("uuid_kill " + u)
	hc := ev.waitEvent("HC", func(e *esl.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" })
	if !hc.Has("variable_record_seconds") {
		t.Error("HANGUP_COMPLETE lacks record_*")
	}
	if fi, err := os.Stat(filepath.Join(cfg.RecordingsDir, "abs.wav")); err != nil || fi.Size() < 44 {
		t.Errorf("abs.wav: %v", err)
	}
}

func TestEavesdrop(t *testing.T) {
	s := startServer(t, fastConfig())
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	lead, agent, sup, sup2 := uuidN(1), uuidN(2), uuidN(3), uuidN(4)
	cmd.api("originate {origination_uuid=" + lead + "}sofia/internal/sip:lead@127.0.0.1 &park()")
	cmd.api("originate {origination_uuid=" + agent + "}sofia/internal/sip:agent@127.0.0.1 &park()")
	cmd.api("uuid_bridge " + lead + " " + agent)
	ev.waitEvent("bridge", func(e *esl.Event) bool { return e.Name() == "CHANNEL_BRIDGE" })
	if got := cmd.api("originate {origination_uuid=" + sup + "}sofia/internal/sip:sup@127.0.0.1 &eavesdrop(" + agent + ")"); got != "+OK "+sup+"\n" {
		t.Fatalf("eavesdrop: %q", got)
	}
	cmd.api("originate {origination_uuid=" + sup2 + ",eavesdrop_whisper_bleg=true}sofia/internal/sip:sup@127.0.0.1 &three_way(" + agent + ")")
	bug := ev.waitEvent("spy bug", func(e *esl.Event) bool { return e.Name() == "MEDIA_BUG_START" && e.UniqueID() == agent })
	if bug.Get("Media-Bug-Function") != "eavesdrop" || bug.Get("Media-Bug-Target") != agent || bug.Has("Other-Leg-Unique-ID") && bug.Get("Other-Leg-Unique-ID") != lead {
		t.Errorf("bug %q %q", bug.Get("Media-Bug-Function"), bug.Get("Media-Bug-Target"))
	}
	waitFor(t, time.Second, "spy", func() bool { ci, _ := s.Channel(sup); return ci.Eavesdrop == agent && ci.SpyMode == "listen" })
	for key, mode := range map[string]string{"2": "whisper", "1": "talk-to-partner", "3": "barge", "0": "listen"} {
		cmd.api("uuid_recv_dtmf " + sup + " " + key)
		waitFor(t, time.Second, "mode "+mode, func() bool { ci, _ := s.Channel(sup); return ci.SpyMode == mode })
	}
	cmd.cmd("sendevent CUSTOM\nEvent-Subclass: cc::eavesdrop\nUnique-ID: " + sup + "\neavesdrop-command: 2")
	waitFor(t, time.Second, "sendevent mode", func() bool { ci, _ := s.Channel(sup); return ci.SpyMode == "whisper" })
	if ci, _ := s.Channel(sup2); ci.SpyMode != "barge" {
		t.Errorf("three_way mode %q", ci.SpyMode)
	}
	// The target's end ends the spies.
	cmd.api("uuid_kill " + lead)
	for _, u := range []string{sup, sup2} {
		kinds := destroyedKinds(t, ev, u)
		if !strings.Contains(strings.Join(kinds, " "), "CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP") {
			t.Errorf("spy %s: %v", u, kinds)
		}
	}
}

func TestConferenceFlow(t *testing.T) {
	s := startServer(t, fastConfig())
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	lead, agent, third := uuidN(1), uuidN(2), uuidN(3)
	cmd.api("originate {origination_uuid=" + lead + "}sofia/internal/sip:lead@127.0.0.1 &park()")
	cmd.api("originate {origination_uuid=" + agent + "}sofia/internal/sip:agent@127.0.0.1 &park()")
	cmd.api("uuid_bridge " + lead + " " + agent)
	ev.waitEvent("bridge", func(e *esl.Event) bool { return e.Name() == "CHANNEL_BRIDGE" })
	if got := cmd.api("uuid_transfer " + lead + " -both 'conference:room1@default,park' inline"); got != "+OK\n" {
		t.Fatalf("transfer: %q", got)
	}
	waitFor(t, time.Second, "two members", func() bool { return len(s.Conferences()["room1"]) == 2 })
	if got := s.Conferences()["room1"]; got[0] != agent || got[1] != lead {
		t.Errorf("join order %v: the B leg joins first", got)
	}
	if got := cmd.api("conference room1 dial {origination_uuid=" + third + "}sofia/internal/sip:third@127.0.0.1 5551234 Third_Party"); got != "+OK Call Requested: result: [SUCCESS]\n" {
		t.Fatalf("dial: %q", got)
	}
	waitFor(t, time.Second, "three members", func() bool { return len(s.Conferences()["room1"]) == 3 })
	ev.waitEvent("third added", func(e *esl.Event) bool { return e.Get("Action") == "add-member" && e.UniqueID() == third })
	ids := map[string]string{}
	for _, e := range ev.events() {
		if e.Get("Action") == "add-member" {
			ids[e.UniqueID()] = e.Get("Member-ID")
		}
	}
	list := cmd.api("conference room1 list")
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], ids[third]+";sofia/internal/third@127.0.0.1;"+third+";") {
		t.Errorf("list (newest first):\n%s", list)
	}
	if got := cmd.api("conference room1 mute " + ids[agent]); got != "+OK mute "+ids[agent]+"\n" {
		t.Errorf("mute: %q", got)
	}
	if got := cmd.api("conference room1 kick 9999"); got != "-ERR Non-Existant ID 9999\n" {
		t.Errorf("kick bad id: %q", got)
	}
	if got := cmd.api("conference room1 kick " + ids[agent]); got != "+OK kicked "+ids[agent]+"\n" {
		t.Errorf("kick: %q", got)
	}
	// Kicked from `conference:room1,park`: the agent parks.
	waitFor(t, time.Second, "agent parked", func() bool {
		ci, _ := s.Channel(agent)
		return ci.Conference == "" && ci.Parked && ci.Application == "park"
	})
	if got := cmd.api("conference list"); !strings.HasPrefix(got, "+OK Conference room1 (2 members rate: 8000 flags: ") {
		t.Errorf("conference list: %q", got)
	}
	cmd.api("conference room1 kick all")
	ev.waitEvent("destroy", func(e *esl.Event) bool { return e.Get("Action") == "conference-destroy" })
	var actions []string
	for _, e := range ev.events() {
		if e.Subclass() == "conference::maintenance" {
			actions = append(actions, e.Get("Action"))
		}
	}
	for _, a := range []string{"conference-create", "add-member", "mute-member", "kick-member", "del-member", "conference-destroy"} {
		if !strings.Contains(strings.Join(actions, " "), a) {
			t.Errorf("no %s in %v", a, actions)
		}
	}
}

func TestAnsweringMachine(t *testing.T) {
	s := startServer(t, fastConfig())
	s.SetEndpoint("machine", Behavior{Machine: true})
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	m, h := uuidN(1), uuidN(2)
	cmd.api("originate {origination_uuid=" + m + ",execute_on_answer=amd,amd_on_machine=hangup}sofia/internal/sip:machine@127.0.0.1 &park()")
	cmd.api("originate {origination_uuid=" + h + ",execute_on_answer=amd}sofia/internal/sip:person@127.0.0.1 &park()")
	for u, want := range map[string]string{m: "MACHINE", h: "HUMAN"} {
		info := ev.waitEvent("amd::info", func(e *esl.Event) bool { return e.Subclass() == "amd::info" && e.UniqueID() == u })
		if info.Var("amd_result") != want || info.Var("amd_cause") == "" {
			t.Errorf("%s: amd_result %q cause %q", u, info.Var("amd_result"), info.Var("amd_cause"))
		}
	}
	// amd_on_machine=hangup ran on the machine only.
	destroyedKinds(t, ev, m)
	if _, ok := s.Channel(h); !ok {
		t.Error("the human leg is gone")
	}
}

func TestInboundCall(t *testing.T) {
	s := startServer(t, fastConfig())
	s.SetExtension("5000", "answer,park")
	ev := authed(t, s, "json ALL")
	cmd := authed(t, s, "")
	u := s.Inbound(InboundCall{From: "1000", FromName: "Caller", To: "5000", Authorized: true})
	ev.waitEvent("park", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == u })
	kinds := kindsOf(ev.events(), u)
	want := "CHANNEL_STATE(CS_NEW) CHANNEL_STATE(CS_INIT) CHANNEL_CREATE CHANNEL_CALLSTATE CHANNEL_STATE(CS_ROUTING) PRESENCE_IN CHANNEL_STATE(CS_EXECUTE) CHANNEL_EXECUTE CODEC CODEC CHANNEL_PROGRESS_MEDIA CHANNEL_CALLSTATE CHANNEL_ANSWER PRESENCE_IN CHANNEL_CALLSTATE CHANNEL_EXECUTE_COMPLETE CHANNEL_EXECUTE CHANNEL_PARK"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("inbound order\n got  %s\n want %s", got, want)
	}
	if got := cmd.api("uuid_getvar " + u + " sip_from_user"); got != "1000" {
		t.Errorf("sip_from_user %q", got)
	}
	// Unknown extensions are not routed.
	u2 := s.Inbound(InboundCall{From: "1001", To: "4040"})
	hc := ev.waitEvent("no route", func(e *esl.Event) bool { return e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.UniqueID() == u2 })
	if hc.HangupCause() != "NO_ROUTE_DESTINATION" {
		t.Errorf("cause %q", hc.HangupCause())
	}
}

func TestFilters(t *testing.T) {
	s := startServer(t, fastConfig())
	c := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	u, other := uuidN(1), uuidN(2)
	c.cmd("filter Unique-ID " + u)
	cmd.api("originate {origination_uuid=" + u + "}null/a &park()")
	cmd.api("originate {origination_uuid=" + other + "}null/b &park()")
	c.waitEvent("park", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == u })
	cmd.cmd("bgapi status")
	time.Sleep(50 * time.Millisecond) // nothing must arrive: give it the chance
	for _, e := range c.events() {
		if e.UniqueID() != u {
			t.Fatalf("filtered connection got %s", e)
		}
	}
	// Job-UUID (or Event-Name) filters let BACKGROUND_JOB through again.
	c.cmd("filter Event-Name BACKGROUND_JOB")
	cmd.cmd("bgapi status")
	c.waitEvent("job", func(e *esl.Event) bool { return e.Name() == "BACKGROUND_JOB" })
	// An exclusion filter.
	c.cmd("filter delete all")
	c.cmd("filter Event-Name -CHANNEL_PARK")
	c.cmd("filter Unique-ID " + other)
	n := len(c.events())
	cmd.api("uuid_kill " + other)
	c.waitEvent("other gone", func(e *esl.Event) bool { return e.Name() == "CHANNEL_DESTROY" && e.UniqueID() == other })
	for _, e := range c.events()[n:] {
		if e.Name() == "CHANNEL_PARK" {
			t.Error("excluded CHANNEL_PARK delivered")
		}
	}
}

// TestBridgeFailureContinueOnFail: a bridge application whose callee
// refuses hangs its own channel up with the cause, as FreeSWITCH's
// switch_channel_handle_cause does, unless continue_on_fail is set (or
// lists the cause); a callee that does not answer never does. The channel
// then runs its next application.
func TestBridgeFailureContinueOnFail(t *testing.T) {
	s := startServer(t, fastConfig())
	s.SetEndpoint("busy", Behavior{Outcome: Busy, AnswerAfter: 10 * time.Millisecond})
	s.SetEndpoint("away", Behavior{Outcome: NoAnswer})
	ev := authed(t, s, "plain CHANNEL_EXECUTE_COMPLETE")
	cmd := authed(t, s, "")
	for i, tc := range []struct {
		set, dest string
		survives  bool
	}{
		{"", "busy", false},
		{"set:continue_on_fail=true^", "busy", true},
		{"set:continue_on_fail=NORMAL_TEMPORARY_FAILURE,USER_BUSY^", "busy", true},
		{"set:continue_on_fail=NO_ANSWER^", "busy", false},
		{"", "away", true},
	} {
		a, b := uuidN(10+2*i), uuidN(11+2*i)
		if got := cmd.api("originate {origination_uuid=" + a + "}sofia/gateway/leadgw/lead &park()"); got != "+OK "+a+"\n" {
			t.Fatalf("%d: originate %q", i, got)
		}
		if got := cmd.api("uuid_transfer " + a + " m:^:" + tc.set + "bridge:{origination_uuid=" + b + ",originate_timeout=1}sofia/gateway/leadgw/" + tc.dest + "^park inline"); !strings.HasPrefix(got, "+OK") {
			t.Fatalf("%d: transfer %q", i, got)
		}
		ev.waitEvent("the bridge failed", func(e *esl.Event) bool {
			return e.UniqueID() == a && e.Get("Application") == "bridge" && e.Var("originate_disposition") != ""
		})
		waitFor(t, time.Second, "the caller decided", func() bool {
			ci, ok := s.Channel(a)
			return !ok || ci.HungUp || ci.Application == "park"
		})
		ci, ok := s.Channel(a)
		up := ok && !ci.HungUp
		if up != tc.survives {
			t.Errorf("%d: %q to %s: caller up %v (cause %q), want %v", i, tc.set, tc.dest, up, ci.Cause, tc.survives)
		}
		if ok && !up && ci.Cause != "USER_BUSY" {
			t.Errorf("%d: caller's cause %q", i, ci.Cause)
		}
		if up {
			cmd.api("uuid_kill " + a)
		}
	}
}
