package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// toneMusic is pbx-config/vars.xml's hold_music.
const toneMusic = "tone_stream://%(300,200,523.25);%(300,200,659.25);%(300,1700,783.99);loops=-1"

// bridgedPair originates a lead and an agent, each &park(), bridges them
// and waits for CHANNEL_BRIDGE.
func bridgedPair(t *testing.T, s *Server, ev, cmd *client, lead, agent string) {
	t.Helper()
	for _, u := range []string{lead, agent} {
		if got := cmd.api("originate {origination_uuid=" + u + "}sofia/gateway/gw/" + u[:8] + " &park()"); got != "+OK "+u+"\n" {
			t.Fatalf("originate: %q", got)
		}
	}
	if got := cmd.api("uuid_bridge " + lead + " " + agent); got != "+OK "+agent+"\n" {
		t.Fatalf("bridge: %q", got)
	}
	ev.waitEvent("bridge", func(e *esl.Event) bool { return e.Name() == "CHANNEL_BRIDGE" && e.UniqueID() == lead })
}

func countOf(evs []*esl.Event, uuid, name string) int {
	n := 0
	for _, e := range evs {
		if e.UniqueID() == uuid && e.Name() == name {
			n++
		}
	}
	return n
}

// The hold the service uses: uuid_broadcast <lead> ${hold_music} aleg, and
// uuid_break <lead> all to resume (capture 11).
func TestBroadcastHoldMusicAndBreak(t *testing.T) {
	cfg := fastConfig()
	cfg.NoHoldMusic = false
	cfg.Globals = map[string]string{"hold_music": toneMusic}
	s := startServer(t, cfg)
	ev := authed(t, s, "plain ALL")
	cmd := authed(t, s, "")
	lead, agent := uuidN(1), uuidN(2)
	bridgedPair(t, s, ev, cmd, lead, agent)
	time.Sleep(20 * time.Millisecond) // the bridge's lead frames

	if got := cmd.api("global_getvar hold_music"); got != toneMusic {
		t.Errorf("global_getvar hold_music: %q", got)
	}
	for i, path := range []string{"${hold_music}", "$${hold_music}"} {
		if got := cmd.api("uuid_broadcast " + lead + " " + path + " aleg"); got != "+OK Message sent\n" {
			t.Fatalf("broadcast: %q", got)
		}
		start := ev.waitEvent("PLAYBACK_START", func(e *esl.Event) bool {
			return e.Name() == "PLAYBACK_START" && e.UniqueID() == lead && countOf(ev.events(), lead, "PLAYBACK_START") == i+1
		})
		if start.Get("Playback-File-Type") != "tone_stream" || start.Get("Playback-File-Path") != toneMusic {
			t.Errorf("PLAYBACK_START %q %q", start.Get("Playback-File-Type"), start.Get("Playback-File-Path"))
		}
		exec := ev.waitEvent("EXECUTE", func(e *esl.Event) bool {
			return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == lead && e.Get("Application") == "playback"
		})
		if exec.Get("Application-Data") != toneMusic || exec.Var("current_loop") != "1" || exec.Var("total_loops") != "1" {
			t.Errorf("EXECUTE data %q loops %q/%q", exec.Get("Application-Data"), exec.Var("current_loop"), exec.Var("total_loops"))
		}
		// A stream with loops=-1 plays until it is broken.
		time.Sleep(50 * time.Millisecond)
		if n := countOf(ev.events(), lead, "PLAYBACK_STOP"); n != i {
			t.Fatalf("the hold music stopped by itself (%d PLAYBACK_STOP)", n)
		}
		brk := "uuid_break " + lead + " all"
		if i == 1 {
			brk = "uuid_break " + lead
		}
		if got := cmd.api(brk); got != "+OK\n" {
			t.Errorf("%s: %q", brk, got)
		}
		waitFor(t, time.Second, "COMMAND", func() bool { return countOf(ev.events(), lead, "COMMAND") == i+1 })
		var tail []*esl.Event
		for _, e := range ev.events() {
			if e.UniqueID() == lead && (e.Name() == "PLAYBACK_STOP" || e.Name() == "CHANNEL_EXECUTE_COMPLETE" || e.Name() == "COMMAND") {
				tail = append(tail, e)
			}
		}
		tail = tail[len(tail)-3:]
		if tail[0].Name() != "PLAYBACK_STOP" || tail[0].Get("Playback-Status") != "break" ||
			tail[1].Name() != "CHANNEL_EXECUTE_COMPLETE" || tail[1].Get("Application-Response") != "FILE PLAYED" ||
			tail[2].Name() != "COMMAND" {
			t.Fatalf("break: %s %q, %s %q, %s", tail[0].Name(), tail[0].Get("Playback-Status"), tail[1].Name(),
				tail[1].Get("Application-Response"), tail[2].Name())
		}
		// The COMMAND event carries the argument as sent, unexpanded, and
		// (aleg) no loops and no hold-bleg header.
		if c := tail[2]; c.Get("execute-app-arg") != path || c.Has("loops") || c.Has("hold-bleg") || c.Get("lead-frames") != "5" {
			t.Errorf("COMMAND arg %q loops %v hold-bleg %v", c.Get("execute-app-arg"), c.Has("loops"), c.Has("hold-bleg"))
		}
	}

	for cmdline, want := range map[string]string{
		"uuid_break":                      "-USAGE: <uuid> [all]\n",
		"uuid_break " + uuidN(9):          "-ERR No such channel!\n",
		"uuid_break " + uuidN(9) + " all": "-ERR No such channel!\n",
		"uuid_break " + lead:              "+OK\n", // nothing playing: nothing happens
	} {
		if got := cmd.api(cmdline); got != want {
			t.Errorf("%s: %q, want %q", cmdline, got, want)
		}
	}

	// uuid_break all drops a broadcast that has not started: no event at all.
	before := len(kindsOf(ev.events(), lead))
	cmd.api("uuid_broadcast " + lead + " ${hold_music} aleg")
	cmd.api("uuid_break " + lead + " all")
	time.Sleep(50 * time.Millisecond)
	if after := kindsOf(ev.events(), lead); len(after) != before {
		t.Errorf("flushed broadcast still ran: %v", after[before:])
	}

	// Music playing at hangup: PLAYBACK_STOP done.
	cmd.api("uuid_broadcast " + lead + " ${hold_music} aleg")
	waitFor(t, time.Second, "third music", func() bool { return countOf(ev.events(), lead, "PLAYBACK_START") == 3 })
	cmd.api("uuid_kill " + lead)
	destroyedKinds(t, ev, lead)
	stops := 0
	for _, e := range ev.events() {
		if e.UniqueID() == lead && e.Name() == "PLAYBACK_STOP" {
			stops++
			if stops == 3 && e.Get("Playback-Status") != "done" {
				t.Errorf("hangup during the music: Playback-Status %q", e.Get("Playback-Status"))
			}
		}
	}
}

// uuid_hold within the bridge's first 10 frames: the hold music waits for
// the unhold and then plays until something breaks it; later, it plays
// during the hold and stops on unhold (captures 10 and the e2e probe).
func TestHoldRightAfterBridge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"within the lead frames", 0}, {"after them", 80 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig()
			cfg.MediaTick = 5 * time.Millisecond // lead frames 50 ms, latency 35 ms
			cfg.NoHoldMusic = false
			cfg.Globals = map[string]string{"hold_music": toneMusic}
			s := startServer(t, cfg)
			ev := authed(t, s, "plain ALL")
			cmd := authed(t, s, "")
			lead, agent := uuidN(1), uuidN(2)
			bridgedPair(t, s, ev, cmd, lead, agent)
			time.Sleep(tc.delay)
			cmd.api("uuid_hold " + agent)
			time.Sleep(100 * time.Millisecond)
			during := countOf(ev.events(), lead, "PLAYBACK_START")
			cmd.api("uuid_hold off " + agent)
			time.Sleep(150 * time.Millisecond)
			starts, stops := countOf(ev.events(), lead, "PLAYBACK_START"), countOf(ev.events(), lead, "PLAYBACK_STOP")
			if tc.delay == 0 {
				if during != 0 || starts != 1 || stops != 0 {
					t.Errorf("hold at once: %d starts during the hold, %d after the unhold, %d stops; want 0, 1, 0", during, starts, stops)
				}
			} else if during != 1 || starts != 1 || stops != 1 {
				t.Errorf("hold later: %d starts during the hold, %d in all, %d stops; want 1, 1, 1", during, starts, stops)
			}
			if ex := ev.waitEvent("music", func(e *esl.Event) bool {
				return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == lead && e.Get("Application") == "playback"
			}); ex.Get("Application-Data") != toneMusic || ex.Var("total_loops") != "-1" {
				t.Errorf("hold music %q total_loops %q", ex.Get("Application-Data"), ex.Var("total_loops"))
			}
		})
	}
}

// A uuid_bridge, uuid_transfer or uuid_kill of a leg between its
// CHANNEL_ANSWER and the moment its originate notices (Config.OriginatePoll)
// decides the BACKGROUND_JOB (captures 10 and 12).
func TestActOnAnswerBeforeTheJob(t *testing.T) {
	for _, tc := range []struct{ act, job string }{
		{"", "+OK <lead>\n"},
		{"uuid_bridge <lead> <agent>", "-ERR ORIGINATOR_CANCEL\n"},
		{"uuid_transfer <lead> park inline", "-ERR ORIGINATOR_CANCEL\n"},
		{"uuid_kill <lead>", "-ERR NORMAL_CLEARING\n"},
	} {
		name := tc.act
		if name == "" {
			name = "nothing"
		}
		t.Run(name, func(t *testing.T) {
			cfg := fastConfig()
			cfg.OriginatePoll = 150 * time.Millisecond
			s := startServer(t, cfg)
			ev := authed(t, s, "plain ALL")
			cmd := authed(t, s, "")
			lead, agent := uuidN(1), uuidN(2)
			if got := cmd.api("originate {origination_uuid=" + agent + "}user/1001 &park()"); got != "+OK "+agent+"\n" {
				t.Fatalf("agent: %q", got)
			}
			cmd.send("bgapi originate {origination_uuid=" + lead + "}sofia/gateway/gw/1555 &park()")
			ev.waitEvent("answer", func(e *esl.Event) bool { return e.Name() == "CHANNEL_ANSWER" && e.UniqueID() == lead })
			answered := time.Now()
			if tc.act != "" {
				cmd.api(strings.NewReplacer("<lead>", lead, "<agent>", agent).Replace(tc.act))
			}
			job := ev.waitEvent("job", func(e *esl.Event) bool {
				return e.Name() == esl.EventBackgroundJob && strings.Contains(e.Get("Job-Command-Arg"), lead)
			})
			if want := strings.ReplaceAll(tc.job, "<lead>", lead); string(job.Body) != want {
				t.Errorf("job %q, want %q", job.Body, want)
			}
			if tc.act == "" && time.Since(answered) < 100*time.Millisecond {
				t.Errorf("the job came %v after the answer; OriginatePoll is 150ms", time.Since(answered))
			}
			kinds := strings.Join(kindsOf(ev.events(), lead), " ")
			switch {
			case strings.HasPrefix(tc.act, "uuid_bridge"):
				ev.waitEvent("bridge", func(e *esl.Event) bool { return e.Name() == "CHANNEL_BRIDGE" })
				kinds = strings.Join(kindsOf(ev.events(), lead), " ")
				if strings.Contains(kinds, "CHANNEL_PARK") || !strings.Contains(kinds, "CHANNEL_CALLSTATE CALL_UPDATE CHANNEL_STATE(CS_HIBERNATE)") {
					t.Errorf("lead: %s", kinds)
				}
			case strings.HasPrefix(tc.act, "uuid_transfer"):
				ev.waitEvent("park", func(e *esl.Event) bool { return e.Name() == "CHANNEL_PARK" && e.UniqueID() == lead })
				kinds = strings.Join(kindsOf(ev.events(), lead), " ")
				if !strings.Contains(kinds, "CHANNEL_STATE(CS_ROUTING) CALL_UPDATE CHANNEL_STATE(CS_EXECUTE) CHANNEL_EXECUTE CHANNEL_PARK") {
					t.Errorf("lead: %s", kinds)
				}
			}
		})
	}
}

// billsec and the other *sec values are differences of whole-second
// epochs, as switch_channel_set_timestamps computes them.
func TestBillingEpochs(t *testing.T) {
	s := New(Config{})
	base := time.Unix(1795456583, 0)
	for _, tc := range []struct {
		answer, end         time.Duration // after base
		billsec, billmsec   string
		duration, answersec string
	}{
		{900 * time.Millisecond, 3140 * time.Millisecond, "3", "2240", "3", "0"},
		{100 * time.Millisecond, 2340 * time.Millisecond, "2", "2240", "2", "0"},
		{1200 * time.Millisecond, 1900 * time.Millisecond, "0", "700", "1", "1"},
	} {
		s.mu.Lock()
		ch := s.newChannel(newUUID(), "sofia/internal/x", "outbound")
		ch.created = base.Add(300 * time.Millisecond)
		ch.answered = true
		ch.answeredAt = base.Add(tc.answer)
		ch.hangupAt = base.Add(tc.end)
		ch.cause = "NORMAL_CLEARING"
		s.setBillingVars(ch)
		s.mu.Unlock()
		got := []string{varValue(ch, "billsec"), varValue(ch, "billmsec"), varValue(ch, "duration"), varValue(ch, "answersec")}
		want := []string{tc.billsec, tc.billmsec, tc.duration, tc.answersec}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("answer %v end %v: billsec billmsec duration answersec = %v, want %v", tc.answer, tc.end, got, want)
		}
	}
}

func TestToneDuration(t *testing.T) {
	for spec, want := range map[string]time.Duration{
		"%(300,200,523.25);%(300,200,659.25);%(300,1700,783.99)":          3 * time.Second,
		"%(300,200,523.25);%(300,200,659.25);%(300,1700,783.99);loops=2":  6 * time.Second,
		"%(300,200,523.25);%(300,200,659.25);%(300,1700,783.99);loops=-1": -1,
		"v=-7;%(100,0,941.0,1477.0)":                                      100 * time.Millisecond,
		"nonsense":                                                        400 * time.Millisecond,
	} {
		if got := toneDuration(spec); got != want {
			t.Errorf("%s: %v, want %v", spec, got, want)
		}
	}
}

func TestExpandGlobals(t *testing.T) {
	s := New(Config{Globals: map[string]string{"hold_music": "local_stream://x", "x": "1"}})
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.newChannel(newUUID(), "sofia/internal/x", "outbound")
	ch.vars.set("x", "chan")
	for in, want := range map[string]string{
		"${hold_music}":     "local_stream://x",
		"$${hold_music}":    "local_stream://x",
		"a ${x} b":          "a chan b",
		"$${x}":             "chan", // a channel variable first, as FreeSWITCH looks it up
		"${nosuch}":         "",
		"cost $5 ${x}":      "cost $5 chan",
		"\\${hold_music}":   "${hold_music}",
		"no variables here": "no variables here",
	} {
		if got := s.expand(ch, in); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}
