//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/sipphone"
	"github.com/agentswitch/agentswitch/internal/svctest"
)

// p2Variant is one way of connecting a lead to an agent whose leg is up
// before the call.
type p2Variant struct {
	name string
	// room: the agent waits in its own conference room instead of park.
	room bool
	// leadInRoom: the lead is originated straight into the agent's room.
	leadInRoom bool
	// react runs the moment the lead's CHANNEL_ANSWER reaches the handler
	// (or, with afterJob, once the originate's BACKGROUND_JOB arrived).
	react    func(ctx context.Context, e *switchEnv, lead, agent, room string) error
	afterJob bool
}

var p2Variants = []p2Variant{
	{name: "park+uuid_bridge on answer", react: func(ctx context.Context, e *switchEnv, lead, agent, _ string) error {
		return e.client.Bridge(ctx, lead, agent)
	}},
	{name: "park+uuid_bridge after BACKGROUND_JOB", afterJob: true, react: func(ctx context.Context, e *switchEnv, lead, agent, _ string) error {
		return e.client.Bridge(ctx, lead, agent)
	}},
	{name: "agent room, lead originated into it", room: true, leadInRoom: true},
	{name: "agent room, uuid_transfer on answer", room: true, react: func(ctx context.Context, e *switchEnv, lead, _, room string) error {
		return e.client.TransferToConference(ctx, lead, esl.LegSelf, room, pbxnames.ConferenceProfileAgent)
	}},
}

// TestP2PersistentAgentConnect measures target P2 (persistent agent: lead
// answer -> audio path to the agent) on a real FreeSWITCH. The agent's leg
// is originated and answered before the calls and stays up between them.
// For each call a lead is originated through the gateway; t0 is the moment
// its CHANNEL_ANSWER reaches the ESL handler, which reacts at once (off the
// event path). Per call:
//
//   - connected: t0 to the event that shows the lead joined the agent
//     (CHANNEL_BRIDGE, or conference add-member) reaching the handler;
//   - audio: t0 to the agent's phone reading the first RTP packet that
//     carries the lead's tone (the lead's phone sends 1 kHz from the moment
//     it answers; the waiting agent hears silence or nothing).
//
// The first variant is the controller's plan (park, then uuid_bridge on
// answer); the others are measured beside it. AGENTSWITCH_E2E_P2_CALLS
// sets calls per variant (default 60); AGENTSWITCH_E2E_P2_OUT writes the
// report to a file.
func TestP2PersistentAgentConnect(t *testing.T) {
	e := env(t)
	calls := 60
	if v, err := strconv.Atoi(os.Getenv("AGENTSWITCH_E2E_P2_CALLS")); err == nil && v > 0 {
		calls = v
	}
	ag := e.agent(t, "2301", 440)
	var report strings.Builder
	fmt.Fprintf(&report, "P2 persistent-agent connect, real FreeSWITCH 1.11.3-dev on loopback, %d calls per variant, t0 = lead's CHANNEL_ANSWER read by the ESL handler\n", calls)
	var primary []time.Duration
	for i, v := range p2Variants {
		audio, text := runP2(t, e, ag, v, calls)
		report.WriteString(text)
		if i == 0 {
			primary = audio
		}
	}
	t.Log(report.String())
	if out := os.Getenv("AGENTSWITCH_E2E_P2_OUT"); out != "" {
		os.WriteFile(out, []byte(report.String()), 0o644)
	}
	if got := quantile(primary, 0.99); got > 50*time.Millisecond {
		t.Logf("P2 target (p99 <= 50ms) missed by %q: p99 %v", p2Variants[0].name, got)
	}
}

func runP2(t *testing.T, e *switchEnv, ag *sipphone.Phone, v p2Variant, calls int) ([]time.Duration, string) {
	ctx := ctxFor(t, 10*time.Minute)
	leads := e.leadPhone(t)
	room := "agent-2301-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

	var agentApp esl.App = esl.Park{}
	if v.room {
		agentApp = esl.ConferenceApp{Room: room, Profile: pbxnames.ConferenceProfileAgent}
	}
	agentLeg := uuid.NewString()
	mark := e.rec.mark()
	job, err := e.client.Originate(ctx, esl.Originate{
		UUID: agentLeg, Endpoint: esl.UserEndpoint{User: ag.User(), Domain: domain}, App: agentApp, Timeout: 20 * time.Second,
		Vars: map[string]string{pbxnames.VarLegRole: "agent", "park_after_bridge": "true"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	agentCall, err := ag.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.room {
		e.rec.must(t, ctx, mark, "agent in its room", conference("add-member", room, agentLeg))
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.client.Kill(c, agentLeg, "")
		agentCall.WaitEnded(c)
	}()

	var (
		mu      sync.Mutex
		waiting string
		t0      time.Time
		reacted = make(chan error, 1)
	)
	e.rec.setHook(func(ev *esl.Event, at time.Time) {
		if ev.Name() != esl.EventChannelAnswer {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ev.UniqueID() != waiting {
			return
		}
		waiting, t0 = "", at
		if v.react != nil && !v.afterJob {
			lead := ev.UniqueID()
			go func() { reacted <- v.react(ctx, e, lead, agentLeg, room) }()
		}
	})
	defer e.rec.setHook(nil)

	var connected, audio, delivery []time.Duration
	jobResults := map[string]int{}
	lost, agentGone := 0, false
	for i := range calls {
		n := newNumber()
		leads.SetBehavior(n, sipphone.Behavior{Ring: 50 * time.Millisecond})
		mark := e.rec.mark()
		lead := uuid.NewString()
		mu.Lock()
		waiting = lead
		mu.Unlock()
		var leadApp esl.App = esl.Park{}
		if v.leadInRoom {
			leadApp = esl.ConferenceApp{Room: room, Profile: pbxnames.ConferenceProfileAgent}
		}
		call, err := e.client.Originate(ctx, esl.Originate{
			UUID: lead, Endpoint: esl.GatewayEndpoint{Gateway: leadGateway, Number: n}, App: leadApp, IgnoreEarlyMedia: true,
			Timeout: 20 * time.Second, Vars: map[string]string{pbxnames.VarLegRole: "lead"},
		}, "")
		if err != nil {
			t.Fatal(err)
		}
		// One call may fail to connect; it is counted, cleared, and the
		// run goes on.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = func() error {
			res := call.Wait(cctx)
			if res != nil {
				jobResults[strings.TrimPrefix(res.Error(), "esl: originate "+lead+": ")]++
			} else {
				jobResults["+OK"]++
			}
			if v.react != nil {
				if v.afterJob {
					if err := v.react(cctx, e, lead, agentLeg, room); err != nil {
						return err
					}
				} else {
					select {
					case err := <-reacted:
						if err != nil {
							return err
						}
					case <-cctx.Done():
						return cctx.Err()
					}
				}
			}
			mu.Lock()
			start := t0
			mu.Unlock()
			answer, _, err := e.rec.wait(cctx, mark, named(esl.EventChannelAnswer, lead))
			if err != nil {
				return fmt.Errorf("no CHANNEL_ANSWER: %w", err)
			}
			_, joined, err := e.rec.wait(cctx, mark, func(ev *esl.Event) bool {
				if v.room {
					return conference("add-member", room, lead)(ev)
				}
				return ev.Name() == esl.EventChannelBridge && ev.Get("Bridge-A-Unique-ID") == lead
			})
			if err != nil {
				return fmt.Errorf("lead never joined the agent: %w", err)
			}
			heard, err := agentCall.WaitAudio(cctx, start)
			if err != nil {
				return fmt.Errorf("the agent heard nothing: %w", err)
			}
			connected = append(connected, joined.Sub(start))
			audio = append(audio, heard.Sub(start))
			delivery = append(delivery, start.Sub(answer.Time()))
			return nil
		}()
		cancel()
		callLost := err != nil
		if callLost {
			lost++
			t.Logf("%s: call %d lost: %v", v.name, i, err)
			if i == 0 || lost > calls/10 {
				t.Fatalf("%s: too many calls lost", v.name)
			}
		}

		// The lead hangs up; the agent's leg waits for the next call.
		pm := e.rec.mark()
		lc, err := nextCallFor(ctx, leads, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := lc.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		e.rec.must(t, ctx, pm, "lead hangup", named(esl.EventChannelHangupComplete, lead))
		switch {
		case callLost:
			// Seen once: after a uuid_bridge answered +OK that never
			// bridged, the next one found the agent's leg gone.
			if ok, _ := e.client.Exists(ctx, agentLeg); !ok {
				t.Logf("%s: the agent's leg is gone after call %d; the variant ends here", v.name, i)
				agentGone = true
			}
		case v.room:
			e.rec.must(t, ctx, mark, "lead leaves the room", conference("del-member", room, lead))
		default:
			e.rec.must(t, ctx, mark, "agent parked again", named(esl.EventChannelPark, agentLeg))
		}
		if agentGone {
			calls = i + 1
			break
		}
	}
	if agentCall.Ended() && lost == 0 {
		t.Fatalf("%s: the persistent agent leg ended", v.name)
	}
	connEvent := "CHANNEL_BRIDGE"
	if v.room {
		connEvent = "add-member"
	}
	text := fmt.Sprintf("%s (%d calls, %d lost; originate job replies: %v)\n%s\n%s\n%s\n", v.name, calls, lost, jobResults,
		summary("CHANNEL_ANSWER Event-Date-Timestamp -> t0", delivery),
		summary("t0 -> "+connEvent+" read", connected), summary("t0 -> lead's audio read at the agent's phone", audio))
	if lost > 0 && v.name == p2Variants[0].name {
		// uuid_bridge answered +OK and not carried out (transcript 13):
		// the engine rings the agent's line again
		// (dialer TestLostBridgeRingsTheLineAgain).
		t.Logf("%s: %d calls lost", v.name, lost)
	}
	return audio, text
}

func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func summary(what string, d []time.Duration) string {
	r := func(x time.Duration) string { return x.Round(100 * time.Microsecond).String() }
	return fmt.Sprintf("  %-46s p50 %7s  p90 %7s  p99 %7s  max %7s", what,
		r(quantile(d, 0.5)), r(quantile(d, 0.9)), r(quantile(d, 0.99)), r(slices.Max(d)))
}

// TestP2ThroughService measures P2 the way a customer meets it: the
// service (`agentswitch serve`) runs a persistent agent, logged in and
// READY over HTTP, whose phone line stays up; each lead call is started
// with the lead-call API. t0 is the lead's CHANNEL_ANSWER as read by the
// harness's own event socket (the service reads the same event on its
// own connection); the clock stops when the agent's phone reads the
// first RTP packet carrying the lead's 1 kHz tone. Between calls the lead
// hangs up and the agent wraps up over HTTP.
func TestP2ThroughService(t *testing.T) {
	e := env(t)
	calls := 60
	if v, err := strconv.Atoi(os.Getenv("AGENTSWITCH_E2E_P2_CALLS")); err == nil && v > 0 {
		calls = v
	}
	ctx := ctxFor(t, 10*time.Minute)
	agent, _, line := e.persistentSeat(t, ctx, "2411")
	leads := e.leadPhone(t)
	var bridged, audio, toneAt, delivery []time.Duration
	jobs := map[string]int{}
	for i := range calls {
		n := "+" + newNumber()
		leads.SetBehavior(n, sipphone.Behavior{Ring: 50 * time.Millisecond})
		mark := e.rec.mark()
		// The tone watch is set before the call: it sees every frame.
		type toneResult struct {
			at  time.Time
			err error
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		tone := make(chan toneResult, 1)
		watching := make(chan struct{})
		go func() {
			since := time.Now()
			close(watching)
			at, err := line.WaitTone(cctx, toneLead, since)
			tone <- toneResult{at, err}
		}()
		<-watching
		var v svctest.CallView
		e.svc.admin.Must(t, http.MethodPost, "/calls", map[string]any{"number": n, "agent_id": agent.Seat}, 201, &v)
		// No API polling while the call connects: it would compete with
		// FreeSWITCH for the CPU. The lead's leg id is in the answer.
		lead := v.Leg("lead")
		if lead == "" {
			t.Fatalf("no lead leg in %+v", v)
		}
		lc, err := nextCallFor(cctx, leads, n)
		if err != nil {
			t.Fatalf("call %d: the lead was not dialed: %v", i, err)
		}
		answer, t0, err := e.rec.wait(cctx, mark, named(esl.EventChannelAnswer, lead))
		if err != nil {
			t.Fatalf("call %d: the lead never answered: %v", i, err)
		}
		_, joined, err := e.rec.wait(cctx, mark, func(ev *esl.Event) bool {
			return ev.Name() == esl.EventChannelBridge && ev.Get("Bridge-A-Unique-ID") == lead
		})
		if err != nil {
			t.Fatalf("call %d (%s) was never bridged: %v; the service says %+v\n%s", i, v.ID, err, e.svc.admin.View(t, v.ID), e.svc.LogTail(30))
		}
		heard := <-tone
		if heard.err != nil {
			t.Fatalf("call %d: the agent never heard the lead: %v", i, heard.err)
		}
		// The service reads the same CHANNEL_BRIDGE on its own socket.
		e.svc.admin.WaitCall(t, v.ID, "connected")
		first, err := line.WaitAudio(cctx, t0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// Which won: uuid_bridge (the lead's originate job then ends
		// -ERR ORIGINATOR_CANCEL) or the originate (+OK).
		for _, ev := range e.rec.since(mark, func(ev *esl.Event) bool {
			return ev.Name() == esl.EventBackgroundJob && strings.Contains(ev.Get("Job-Command-Arg"), lead)
		}) {
			reply, _, _ := strings.Cut(strings.TrimSpace(string(ev.Body)), " ")
			if reply == "-ERR" {
				reply = strings.TrimSpace(string(ev.Body))
			}
			jobs[reply]++
		}
		bridged = append(bridged, joined.Sub(t0))
		audio = append(audio, first.Sub(t0))
		toneAt = append(toneAt, heard.at.Sub(t0))
		delivery = append(delivery, t0.Sub(answer.Time()))

		if err := lc.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		agent.WaitState(t, "DISPO")
		agent.Must(t, http.MethodPost, "/calls/"+v.ID+"/disposition", map[string]any{"code": "SALE"}, 200, nil)
		agent.WaitState(t, "READY")
		if line.Ended() {
			t.Fatalf("call %d: the persistent line ended", i)
		}
	}
	report := fmt.Sprintf("P2 through agentswitch serve (lead-call API, persistent agent), real FreeSWITCH on loopback, %d calls; lead originate job replies: %v\n%s\n%s\n%s\n%s\n", calls, jobs,
		summary("CHANNEL_ANSWER Event-Date-Timestamp -> t0", delivery),
		summary("t0 -> CHANNEL_BRIDGE read", bridged), summary("t0 -> first audio read at the agent's phone", audio),
		summary("t0 -> first frame of the lead's tone there", toneAt))
	t.Log(report)
	if out := os.Getenv("AGENTSWITCH_E2E_P2_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			f.WriteString(report)
			f.Close()
		}
	}
}
