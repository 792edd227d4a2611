package dialer_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// hangupDropper loses every CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE
// while drop is set, as if the lead's hangup never reached the engine.
type hangupDropper struct {
	next esl.Handler
	drop atomic.Bool
}

func (h *hangupDropper) HandleEvent(node string, ev *esl.Event) {
	if n := ev.Name(); h.drop.Load() && (n == esl.EventChannelHangup || n == esl.EventChannelHangupComplete) {
		return
	}
	h.next.HandleEvent(node, ev)
}

func (h *hangupDropper) HandleNode(st esl.NodeState) { h.next.HandleNode(st) }

// TestBridgeToALeadGoneEndsTheCall: a lead that hung up while it waited
// for an agent, its hangup not read yet (here: never), is found gone when
// the agent's bridge is refused: the call ends and the agent is READY
// again, instead of the lead being offered to agent after agent.
func TestBridgeToALeadGoneEndsTheCall(t *testing.T) {
	bubble(t, func(t *testing.T) {
		tap := &hangupDropper{}
		w := newWorldWith(t, worldOpts{
			engine: func(c *dialer.EngineConfig) { c.AbandonAfter = time.Minute },
			tap:    func(h esl.Handler) esl.Handler { tap.next = h; return tap },
		})
		w.ready("1001", dialer.ModePersistent)
		a := w.actor("1001")
		if _, err := w.eng.Pause(w.ctx(), a, a.Agent, "BREAK"); err != nil {
			t.Fatal(err)
		}
		w.sim.SetEndpoint("+15550007001", sim.Behavior{AnswerAfter: 100 * time.Millisecond, HangupAfter: 200 * time.Millisecond})
		tap.drop.Store(true)
		v := w.start("+15550007001", 0)
		w.waitCall(v.ID, dialer.LiveWaiting)
		time.Sleep(time.Second) // the lead hangs up; nobody hears it
		synctest.Wait()
		if _, err := w.eng.SetReady(w.ctx(), a, a.Agent); err != nil {
			t.Fatal(err)
		}
		w.waitCall(v.ID, dialer.LiveEnded)
		w.waitState("1001", dialer.AgentReady)
		_, kinds := w.record(v.ID)
		if n := strings.Count(strings.Join(kinds, ","), "agent_reserved"); n != 1 {
			t.Fatalf("the agent was reserved %d times for a lead gone: %v", n, kinds)
		}
	})
}
