package dialer_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/identity"
)

// queueWorld is a world with queue "sales" holding members by extension,
// in position order, and DID +15551110000 routing to it.
func queueWorld(t *testing.T, s dialer.QueueSettings, exts ...string) (*world, dialer.Queue) {
	t.Helper()
	w := newWorldWith(t, worldOpts{serviceDurations: true, extensions: []string{"1001", "1002", "1003", "1004"}})
	q := w.addQueue(s, exts...)
	w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue="+q.Name+",answer,park")
	return w, q
}

func (w *world) addQueue(s dialer.QueueSettings, exts ...string) dialer.Queue {
	w.t.Helper()
	if s.Name == "" {
		s.Name = "sales"
	}
	q, err := w.db.CreateQueue(w.ctx(), dialer.Queue{QueueSettings: s})
	if err != nil {
		w.t.Fatal(err)
	}
	ms := make([]dialer.QueueMember, len(exts))
	for i, ext := range exts {
		ms[i] = dialer.QueueMember{Agent: w.agents[ext].ID, Position: i + 1, Rank: 10 * (len(exts) - i)}
	}
	if _, err := w.db.SetQueueMembers(w.ctx(), q.ID, ms); err != nil {
		w.t.Fatal(err)
	}
	if err := w.eng.ReloadQueues(w.ctx()); err != nil {
		w.t.Fatal(err)
	}
	return q
}

func queueSettings(strategy ring.Strategy) dialer.QueueSettings {
	s := dialer.DefaultQueueSettings()
	s.Strategy = strategy
	return s
}

// callIn places an inbound call from number to queue "sales", with a
// priority its DID's dialplan sets, and returns its leg and the engine's
// view of it.
func (w *world) callIn(from string, prio int) (string, dialer.CallView) {
	w.t.Helper()
	did := "+15551110000"
	if prio != 0 {
		did = fmt.Sprintf("+155511190%02d", prio)
		w.sim.SetExtension(did, fmt.Sprintf("set:agentswitch_did=%s,set:agentswitch_queue=sales,set:agentswitch_priority=%d,answer,park", did, prio))
	}
	leg := w.sim.Inbound(sim.InboundCall{From: from, To: did})
	v := w.liveCall("inbound call from "+from, func(c dialer.CallView) bool { return c.Number == from })
	return leg, v
}

// goReady logs an agent in (ring mode) and makes it READY without
// waiting to see it READY: a waiting caller may take it at once.
func (w *world) goReady(ext string) {
	w.t.Helper()
	w.loginWith(ext, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
	w.setReady(ext)
}

func (w *world) queueView(id dialer.QueueID) dialer.QueueView {
	for _, v := range w.eng.QueueViews() {
		if v.ID == id {
			return v
		}
	}
	w.t.Fatalf("queue %d has no view", id)
	return dialer.QueueView{}
}

// TestQueuePriorityServedFirst: with nobody READY, callers wait; each
// agent becoming READY is offered the caller with the highest priority
// (the lead's, else the DID's), not the one who came first.
func TestQueuePriorityServedFirst(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, q := queueWorld(t, queueSettings(ring.LongestIdle), "1001", "1002", "1003")
		for _, ext := range []string{"1001", "1002", "1003"} {
			w.loginWith(ext, dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		}
		// A known customer: its lead's priority field outranks the DID's.
		if _, err := w.db.CreateLead(w.ctx(), dialer.Lead{Campaign: w.defaultCampaign(), Phone: "+15558880009",
			Status: dialer.LeadNew, Custom: map[string]string{"priority": "9"}}); err != nil {
			t.Fatal(err)
		}
		_, low := w.callIn("+15558880001", 0)
		time.Sleep(time.Second)
		_, high := w.callIn("+15558880002", 5)
		time.Sleep(time.Second)
		_, vip := w.callIn("+15558880009", 0)
		synctest.Wait()
		if v := w.queueView(q.ID); v.Waiting != 3 || v.AgentsLogged != 3 || v.AgentsReady != 0 {
			t.Fatalf("queue before anyone is ready: %+v", v)
		}
		if cv := w.call(low.ID); cv.Queue != "sales" || cv.QueueID != q.ID || cv.QueuedAt.IsZero() {
			t.Fatalf("call view without its queue: %+v", cv)
		}
		for i, want := range []dialer.CallView{vip, high, low} {
			ext := []string{"1001", "1002", "1003"}[i]
			w.setReady(ext)
			if v := w.waitCall(want.ID, dialer.LiveConnected); v.Agent != w.agents[ext].ID {
				t.Fatalf("caller %s with agent %d, want %s", want.Number, v.Agent, ext)
			}
			for _, later := range []dialer.CallView{vip, high, low}[i+1:] {
				if w.call(later.ID).State != dialer.LiveWaiting {
					t.Fatalf("%s served before %s", later.Number, want.Number)
				}
			}
		}
		synctest.Wait()
		qv := w.queueView(q.ID)
		if qv.Waiting != 0 || qv.Entered != 3 || qv.Answered != 3 || qv.AnsweredInSL != 3 || qv.Abandoned != 0 ||
			qv.ServiceLevel == nil || *qv.ServiceLevel != 1 {
			t.Fatalf("queue figures %+v", qv)
		}
	})
}

// TestQueueStrategyOrder: the caller rings the members in the strategy's
// order; a member who misses is held back and the next one rings; the
// queue's no-answer rule pauses an agent only after MaxNoAnswer misses in
// a row.
func TestQueueStrategyOrder(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.TopDown)
		s.RingTimeoutSeconds = 10
		s.MaxNoAnswer = 2
		w, _ := queueWorld(t, s, "1002", "1001", "1003")
		for _, ext := range []string{"1001", "1002", "1003"} {
			w.ready(ext, dialer.ModeRing)
		}
		// Top-down: 1002 is first on the list; it does not answer.
		w.sim.SetEndpoint("1002", sim.Behavior{AnswerAfter: time.Hour})
		_, v := w.callIn("+15558880003", 0)
		w.waitState("1002", dialer.AgentRinging)
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("1001 is %s while 1002 rings", st)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != w.agents["1001"].ID {
			t.Fatalf("second in order: agent %d", v.Agent)
		}
		// One miss of two: 1002 is READY again, not paused.
		if st := w.state("1002"); st != dialer.AgentReady {
			t.Fatalf("1002 after one miss: %s", st)
		}
		// The next caller rings 1002 first again; a second miss pauses it.
		_, v2 := w.callIn("+15558880004", 0)
		w.waitState("1002", dialer.AgentRinging)
		v2 = w.waitCall(v2.ID, dialer.LiveConnected)
		if v2.Agent != w.agents["1003"].ID {
			t.Fatalf("third in order: agent %d", v2.Agent)
		}
		if av := w.view("1002"); av.State != dialer.AgentPaused || av.PauseCode != dialer.PauseRONA {
			t.Fatalf("1002 after two misses: %s %q", av.State, av.PauseCode)
		}
	})
}

// TestQueueAbandonedWhileWaiting: a caller who hangs up while waiting is
// counted abandoned in queue, and no agent is ever reserved for it.
func TestQueueAbandonedWhileWaiting(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, q := queueWorld(t, queueSettings(ring.LongestIdle), "1001")
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		leg, v := w.callIn("+15558880005", 0)
		time.Sleep(5 * time.Second)
		w.sim.Hangup(leg, "NORMAL_CLEARING")
		w.waitCall(v.ID, dialer.LiveEnded)
		w.setReady("1001")
		synctest.Wait()
		c, kinds := w.record(v.ID)
		if c.Outcome != dialer.OutcomeAbandoned {
			t.Fatalf("outcome %s", c.Outcome)
		}
		for _, k := range kinds {
			if k == "agent_reserved" {
				t.Fatal("an agent was reserved for a caller who left")
			}
		}
		if qv := w.queueView(q.ID); qv.Abandoned != 1 || qv.Waiting != 0 || qv.AgentsReady != 1 {
			t.Fatalf("queue figures %+v", qv)
		}
		if st := w.state("1001"); st != dialer.AgentReady {
			t.Fatalf("1001 is %s", st)
		}
	})
}

// TestQueueOverflowAfterMaxWait: past max wait the caller moves to the
// overflow queue, keeping its place, and an agent there takes it.
func TestQueueOverflowAfterMaxWait(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		backup := w.addQueue(dialer.QueueSettings{Name: "backup", Strategy: ring.LongestIdle, RingTimeoutSeconds: 20,
			ServiceLevelSeconds: 20, Active: true, Overflow: dialer.QueueOverflow{Kind: dialer.OverflowNone}}, "1002")
		s := queueSettings(ring.LongestIdle)
		s.MaxWaitSeconds = 30
		s.Overflow = dialer.QueueOverflow{OnMaxWait: true, Kind: dialer.OverflowQueue, Queue: backup.ID}
		sales := w.addQueue(s, "1001")
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		_, v := w.callIn("+15558880006", 0)
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if w.queueView(sales.ID).Waiting != 1 {
			t.Fatal("left the queue before max wait")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if sv, bv := w.queueView(sales.ID), w.queueView(backup.ID); sv.Waiting != 0 || sv.Overflowed != 1 || bv.Waiting != 1 {
			t.Fatalf("after max wait: sales %+v, backup %+v", sv, bv)
		}
		if cv := w.call(v.ID); cv.Queue != "backup" {
			t.Fatalf("call in queue %q", cv.Queue)
		}
		w.goReady("1002")
		if cv := w.waitCall(v.ID, dialer.LiveConnected); cv.Agent != w.agents["1002"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
	})
}

// TestQueueNoDoubleOffer: many callers and agents at once: every caller
// is served by exactly one agent, none twice, and no agent is left
// RESERVED.
func TestQueueNoDoubleOffer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, q := queueWorld(t, queueSettings(ring.RoundRobin), "1001", "1002", "1003", "1004")
		var calls []dialer.CallView
		for i := range 8 {
			_, v := w.callIn(fmt.Sprintf("+1555888%04d", 100+i), i%3)
			calls = append(calls, v)
		}
		for _, ext := range []string{"1001", "1002", "1003", "1004"} {
			w.goReady(ext)
		}
		served := map[dialer.AgentID]int{}
		waitFor(t, time.Minute, "four callers connected", func() bool {
			n := 0
			for _, v := range calls {
				if w.call(v.ID).State == dialer.LiveConnected {
					n++
				}
			}
			return n == 4
		})
		for _, v := range calls {
			if cv := w.call(v.ID); cv.State == dialer.LiveConnected {
				served[cv.Agent]++
			}
		}
		if len(served) != 4 {
			t.Fatalf("agents serving: %v", served)
		}
		if qv := w.queueView(q.ID); qv.Waiting != 4 || qv.Answered != 4 {
			t.Fatalf("queue figures %+v", qv)
		}
	})
}

// TestQueueAnnouncements: every AnnounceSeconds a waiting caller hears
// its place in line, then the music again; the wait is said once calls
// were answered today.
func TestQueueAnnouncements(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.LongestIdle)
		s.AnnounceSeconds, s.AnnouncePosition, s.AnnounceWait = 30, true, true
		w, _ := queueWorld(t, s, "1001")
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		first, _ := w.callIn("+15558880011", 0)
		second, v2 := w.callIn("+15558880012", 0)
		position := "api uuid_broadcast " + second + " phrase:agentswitch_queue_position:2 aleg"
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if w.sent(position) {
			t.Fatal("announced before 30 s")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		w.mustSend(position)
		w.mustSend("api uuid_broadcast " + first + " phrase:agentswitch_queue_position:1 aleg")
		if w.count("api uuid_broadcast "+second+" phrase:agentswitch_queue_wait") != 0 {
			t.Fatal("a wait announced with no call answered today")
		}
		// The first caller is answered after about 40 s: the second hears
		// its new place and a wait of a minute.
		time.Sleep(9 * time.Second)
		w.goReady("1001")
		w.waitCall(w.liveCall("first caller connected", func(c dialer.CallView) bool {
			return c.Number == "+15558880011" && c.State == dialer.LiveConnected
		}).ID, dialer.LiveConnected)
		time.Sleep(25 * time.Second)
		synctest.Wait()
		w.mustSend("api uuid_broadcast " + second + " phrase:agentswitch_queue_position:1 aleg")
		w.mustSend("api uuid_broadcast " + second + " phrase:agentswitch_queue_wait:1 aleg")
		// The music is queued again behind the phrases.
		var seq []string
		for _, c := range w.commands() {
			if strings.HasPrefix(c, "api uuid_broadcast "+second) || strings.HasPrefix(c, "api uuid_break "+second) {
				seq = append(seq, strings.Fields(c)[1]+" "+strings.Fields(c)[3])
			}
		}
		inOrder(t, "commands to the second caller", seq, "uuid_broadcast ${hold_music}", "uuid_break all",
			"uuid_broadcast phrase:agentswitch_queue_position:2", "uuid_broadcast ${hold_music}", "uuid_break all",
			"uuid_broadcast phrase:agentswitch_queue_position:1", "uuid_broadcast phrase:agentswitch_queue_wait:1", "uuid_broadcast ${hold_music}")
		w.sim.Hangup(second, "NORMAL_CLEARING")
		_, kinds := w.record(v2.ID)
		inOrder(t, "timeline", kinds, "answered", "queued", "queue_announcement", "queue_announcement")
	})
}

// TestQueueRingAll: every READY member's phone rings at once; the first
// to answer takes the caller, the other phones stop ringing and their
// agents are READY again with no miss counted.
func TestQueueRingAll(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.RingAll)
		s.MaxNoAnswer = 1
		w, _ := queueWorld(t, s, "1001", "1002", "1003")
		for _, ext := range []string{"1001", "1002", "1003"} {
			w.ready(ext, dialer.ModeRing)
		}
		w.sim.SetEndpoint("1001", sim.Behavior{AnswerAfter: time.Hour})
		w.sim.SetEndpoint("1002", sim.Behavior{AnswerAfter: 3 * time.Second})
		w.sim.SetEndpoint("1003", sim.Behavior{AnswerAfter: time.Hour})
		_, v := w.callIn("+15558880021", 0)
		for _, ext := range []string{"1001", "1002", "1003"} {
			w.waitState(ext, dialer.AgentRinging)
		}
		v = w.waitCall(v.ID, dialer.LiveConnected)
		if v.Agent != w.agents["1002"].ID {
			t.Fatalf("taken by agent %d", v.Agent)
		}
		// The others stop ringing and are free again: one miss would have
		// paused them (MaxNoAnswer 1), so none was counted.
		for _, ext := range []string{"1001", "1003"} {
			w.waitState(ext, dialer.AgentReady)
		}
		if n := w.count("api uuid_kill"); n < 2 {
			t.Fatalf("%d legs stopped, want the 2 that lost", n)
		}
		for _, p := range w.call(v.ID).Parties {
			if p.Role == dialer.LegAgent && p.Agent != w.agents["1002"].ID && p.State != dialer.LegGone {
				t.Fatalf("a losing leg is still %s: %+v", p.State, p)
			}
		}
	})
}

// TestQueueRingAllNobodyAnswers: the phones ring out; each agent has
// missed the offer, and the caller waits for the next READY member.
func TestQueueRingAllNobodyAnswers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.RingAll)
		s.MaxNoAnswer = 1
		s.RingTimeoutSeconds = 10
		w, q := queueWorld(t, s, "1001", "1002", "1003")
		for _, ext := range []string{"1001", "1002"} {
			w.sim.SetEndpoint(ext, sim.Behavior{AnswerAfter: time.Hour})
			w.ready(ext, dialer.ModeRing)
		}
		_, v := w.callIn("+15558880022", 0)
		w.waitState("1001", dialer.AgentRinging)
		w.waitState("1002", dialer.AgentRinging)
		time.Sleep(11 * time.Second)
		synctest.Wait()
		for _, ext := range []string{"1001", "1002"} {
			if av := w.view(ext); av.State != dialer.AgentPaused || av.PauseCode != dialer.PauseRONA {
				t.Fatalf("%s after ringing out: %s %q", ext, av.State, av.PauseCode)
			}
		}
		if cv := w.call(v.ID); cv.State != dialer.LiveWaiting || cv.Agent != 0 {
			t.Fatalf("caller after nobody answered: %+v", cv)
		}
		if qv := w.queueView(q.ID); qv.Waiting != 1 {
			t.Fatalf("queue %+v", qv)
		}
		w.goReady("1003")
		if cv := w.waitCall(v.ID, dialer.LiveConnected); cv.Agent != w.agents["1003"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
	})
}

// TestQueueTransferToQueue: an agent blind-transfers its caller to
// another queue: the agent wraps up at once, the caller waits in that
// queue and its member takes it.
func TestQueueTransferToQueue(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, _ := queueWorld(t, queueSettings(ring.LongestIdle), "1001")
		billing := w.addQueue(dialer.QueueSettings{Name: "billing", Strategy: ring.LongestIdle, RingTimeoutSeconds: 20,
			ServiceLevelSeconds: 20, Active: true, Overflow: dialer.QueueOverflow{Kind: dialer.OverflowNone}}, "1002")
		w.goReady("1001")
		w.loginWith("1002", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		_, v := w.callIn("+15558880031", 0)
		v = w.waitCall(v.ID, dialer.LiveConnected)
		first := w.party(v, dialer.LegAgent)
		a := w.actor("1001")
		if err := w.eng.BlindTransfer(w.ctx(), a, v.ID, dialer.TransferTarget{Queue: 999}); !isField(err, "queue_id") {
			t.Fatalf("transfer to no queue: %v", err)
		}
		if err := w.eng.BlindTransfer(w.ctx(), a, v.ID, dialer.TransferTarget{Queue: billing.ID}); err != nil {
			t.Fatal(err)
		}
		w.waitState("1001", dialer.AgentDispo)
		w.mustSend("api uuid_kill " + string(first.Leg) + " NORMAL_CLEARING")
		waitFor(t, 5*time.Second, "the caller waiting in billing", func() bool {
			cv := w.call(v.ID)
			return cv.State == dialer.LiveWaiting && cv.Queue == "billing" && w.queueView(billing.ID).Waiting == 1
		})
		w.setReady("1002")
		cv := w.waitCall(v.ID, dialer.LiveConnected)
		if cv.Agent != w.agents["1002"].ID {
			t.Fatalf("taken by agent %d", cv.Agent)
		}
		if qv := w.queueView(billing.ID); qv.Answered != 1 || qv.Waiting != 0 {
			t.Fatalf("billing %+v", qv)
		}
		// Both agents' legs are on the record, the first written while
		// the call's own record was not queued yet.
		waitFor(t, 5*time.Second, "both agent legs recorded", func() bool {
			legs, _ := w.db.CallLegs(w.ctx(), v.ID)
			var agents []dialer.AgentID
			for _, l := range legs {
				if l.Role == dialer.LegAgent {
					agents = append(agents, l.Agent)
				}
			}
			return slices.Equal(agents, []dialer.AgentID{w.agents["1001"].ID, w.agents["1002"].ID})
		})
	})
}

// TestQueueOverflowToNumber: past max wait the caller dials the
// overflow number itself and talks on with it.
func TestQueueOverflowToNumber(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.LongestIdle)
		s.MaxWaitSeconds = 20
		s.Overflow = dialer.QueueOverflow{OnMaxWait: true, Kind: dialer.OverflowNumber, Number: "+15557770001"}
		w, q := queueWorld(t, s, "1001")
		_, v := w.callIn("+15558880032", 0)
		time.Sleep(21 * time.Second)
		synctest.Wait()
		if qv := w.queueView(q.ID); qv.Overflowed != 1 || qv.Waiting != 0 {
			t.Fatalf("queue %+v", qv)
		}
		cv := w.waitCall(v.ID, dialer.LiveConference)
		var third bool
		for _, p := range cv.Parties {
			third = third || p.Role == dialer.LegThird && p.Number == "+15557770001"
		}
		if !third {
			t.Fatalf("no leg to the overflow number: %+v", cv.Parties)
		}
	})
}

// isField reports whether err is a *dialer.FieldError on field.
func isField(err error, field string) bool {
	var fe *dialer.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// TestQueueSkills: a caller whose number asks for a skill is offered only
// to the members who have it; one asking for none to any member.
func TestQueueSkills(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		s := queueSettings(ring.LongestIdle)
		s.Name = "sales"
		q, err := w.db.CreateQueue(w.ctx(), dialer.Queue{QueueSettings: s})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.SetQueueMembers(w.ctx(), q.ID, []dialer.QueueMember{
			{Agent: w.agents["1001"].ID, Position: 1, Skills: []string{"billing", "spanish"}},
			{Agent: w.agents["1002"].ID, Position: 2},
		}); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.ReloadQueues(w.ctx()); err != nil {
			t.Fatal(err)
		}
		w.sim.SetExtension("+15551110001", "set:agentswitch_did=+15551110001,set:agentswitch_queue=sales,set:agentswitch_skills=spanish,answer,park")
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		// 1002 is READY first, so idle longest: a caller needing Spanish
		// still waits for 1001.
		w.goReady("1002")
		w.waitState("1002", dialer.AgentReady)
		time.Sleep(time.Second)
		w.sim.Inbound(sim.InboundCall{From: "+15558880041", To: "+15551110001"})
		v := w.liveCall("the Spanish caller", func(c dialer.CallView) bool { return c.Number == "+15558880041" })
		synctest.Wait()
		if cv := w.call(v.ID); cv.State != dialer.LiveWaiting || cv.Agent != 0 {
			t.Fatalf("offered to a member without the skill: %+v", cv)
		}
		w.goReady("1001")
		if cv := w.waitCall(v.ID, dialer.LiveConnected); cv.Agent != w.agents["1001"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
		// A caller asking for nothing goes to the READY member without skills.
		_, v2 := w.callIn("+15558880042", 0)
		if cv := w.waitCall(v2.ID, dialer.LiveConnected); cv.Agent != w.agents["1002"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
	})
}

// TestQueueIgnoresOvertakenState: an agent's state published late (its
// publisher lost a race with a newer transition) does not hide the READY
// agent from the queue: a caller arriving next is still offered it.
func TestQueueIgnoresOvertakenState(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, _ := queueWorld(t, queueSettings(ring.LongestIdle), "1002")
		w.loginWith("1002", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		old, err := w.live.Agent(w.ctx(), w.agents["1002"].ID)
		if err != nil {
			t.Fatal(err)
		}
		w.setReady("1002")
		w.waitState("1002", dialer.AgentReady)
		w.eng.PublishAgentStatus(w.ctx(), old)
		_, v := w.callIn("+15558880049", 0)
		if cv := w.waitCall(v.ID, dialer.LiveConnected); cv.Agent != w.agents["1002"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
	})
}

// TestQueueSupervisorPriority: a supervisor moves a waiting caller up the
// line; agents may not, a priority out of bounds is refused by its field,
// and a caller no longer waiting cannot be moved.
func TestQueueSupervisorPriority(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w, _ := queueWorld(t, queueSettings(ring.LongestIdle), "1001")
		w.loginWith("1001", dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.ModeRing})
		_, first := w.callIn("+15558880051", 0)
		_, second := w.callIn("+15558880052", 0)
		synctest.Wait()
		sup := dialer.Actor{User: 50, Role: identity.RoleSupervisor, Name: "sup"}
		if err := w.eng.SetCallerPriority(w.ctx(), w.actor("1001"), second.ID, 10); !errors.Is(err, dialer.ErrForbidden) {
			t.Fatalf("an agent set a priority: %v", err)
		}
		if err := w.eng.SetCallerPriority(w.ctx(), sup, second.ID, 101); !isField(err, "priority") {
			t.Fatalf("priority 101: %v", err)
		}
		if err := w.eng.SetCallerPriority(w.ctx(), sup, second.ID, 10); err != nil {
			t.Fatal(err)
		}
		w.setReady("1001")
		if cv := w.waitCall(second.ID, dialer.LiveConnected); cv.Agent != w.agents["1001"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
		if cv := w.call(first.ID); cv.State != dialer.LiveWaiting {
			t.Fatalf("the first caller is %s", cv.State)
		}
		if err := w.eng.SetCallerPriority(w.ctx(), sup, second.ID, 20); !errors.Is(err, dialer.ErrConflict) {
			t.Fatalf("moved a caller an agent has: %v", err)
		}
	})
}

// TestQueueOverflowCallbackAndVoicemail: with nobody logged in, one
// queue books the caller a callback due at its arrival (a lead made for
// its number) and lets it go; another plays its greeting and records
// the caller's message.
func TestQueueOverflowCallbackAndVoicemail(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := queueSettings(ring.LongestIdle)
		s.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowCallback}
		w, q := queueWorld(t, s, "1001")
		_, v := w.callIn("+15558880061", 0)
		w.waitCall(v.ID, dialer.LiveEnding)
		c, kinds := w.record(v.ID)
		inOrder(t, "timeline", kinds, "answered", "queue_overflow", "callback_booked", "abandon")
		if c.Lead == 0 {
			t.Fatalf("no lead made for the caller: %+v", c)
		}
		cbs, err := w.db.LeadCallbacks(w.ctx(), c.Lead, 10)
		// Due when the caller arrived: first among later callbacks.
		if err != nil || len(cbs) != 1 || cbs[0].Call != v.ID || cbs[0].DueAt.Sub(v.CreatedAt).Abs() > time.Second {
			t.Fatalf("callbacks %+v, %v", cbs, err)
		}
		if qv := w.queueView(q.ID); qv.Entered != 1 || qv.Overflowed != 1 || qv.Waiting != 0 {
			t.Fatalf("queue %+v", qv)
		}

		vs := queueSettings(ring.LongestIdle)
		vs.Name = "after-hours"
		vs.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowVoicemail, Greeting: "voicemail/vm-record_message.wav"}
		w.addQueue(vs, "1002")
		w.sim.SetExtension("+15551110009", "set:agentswitch_did=+15551110009,set:agentswitch_queue=after-hours,answer,park")
		leg := w.sim.Inbound(sim.InboundCall{From: "+15558880062", To: "+15551110009"})
		w.liveCall("the after-hours caller", func(c dialer.CallView) bool { return c.Number == "+15558880062" })
		w.mustSend("api uuid_broadcast " + leg + " voicemail/vm-record_message.wav aleg")
		if got := w.sentPrefix("api uuid_record " + leg + " start "); got == "" {
			t.Fatal("the caller's message is not recorded")
		}
	})
}

// TestQueueOverflowToAgent: with no member logged in, the caller goes to
// the overflow's agent, who is not a member.
func TestQueueOverflowToAgent(t *testing.T) {
	bubble(t, func(t *testing.T) {
		w := newWorldWith(t, worldOpts{serviceDurations: true})
		s := queueSettings(ring.LongestIdle)
		s.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowAgent, Agent: w.agents["1003"].ID}
		q := w.addQueue(s, "1001")
		w.sim.SetExtension("+15551110000", "set:agentswitch_did=+15551110000,set:agentswitch_queue=sales,answer,park")
		w.goReady("1002")
		w.goReady("1003")
		_, v := w.callIn("+15558880071", 0)
		if cv := w.waitCall(v.ID, dialer.LiveConnected); cv.Agent != w.agents["1003"].ID {
			t.Fatalf("agent %d", cv.Agent)
		}
		if qv := w.queueView(q.ID); qv.Overflowed != 1 {
			t.Fatalf("queue %+v", qv)
		}
	})
}
