//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// TestCaptureLostBridge records what FreeSWITCH does when a uuid_bridge
// sent on the lead's CHANNEL_ANSWER is answered +OK and never bridges
// (about one call in 60 in TestP2PersistentAgentConnect). It tries up to
// AGENTSWITCH_E2E_CAPTURE_TRIES calls (default 200), each on fresh
// connections, and writes the first lost one. It runs only with
// AGENTSWITCH_E2E_CAPTURE naming the output directory.
func TestCaptureLostBridge(t *testing.T) {
	dir := os.Getenv("AGENTSWITCH_E2E_CAPTURE")
	if dir == "" {
		t.Skip("AGENTSWITCH_E2E_CAPTURE is not set")
	}
	e := env(t)
	ctx := ctxFor(t, 15*time.Minute)
	ag := e.agent(t, "2504", toneAgent)
	leads := e.leadPhone(t)
	tries := 200
	if v := os.Getenv("AGENTSWITCH_E2E_CAPTURE_TRIES"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			tries = n
		}
	}
	for i := range tries {
		n := newNumber()
		leads.SetBehavior(n, sipphone.Behavior{Ring: 50 * time.Millisecond})
		c := openCapture(t, ctx, e)
		agent, lead := c.parkAgent(ctx, ag, ",park_after_bridge=true"), uuid.NewString()
		c.send("cmd", "bgapi originate {origination_uuid="+lead+",ignore_early_media=true,originate_timeout=20,park_after_bridge=true}sofia/gateway/"+leadGateway+"/"+n+" &park()\nJob-UUID: "+uuid.NewString())
		c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelAnswer && ev.UniqueID() == lead })
		c.send("cmd", "api uuid_bridge "+lead+" "+agent)
		short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		bridged := c.tryEvent(short, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelBridge && ev.UniqueID() == lead })
		cancel()
		lost := bridged == nil
		c.send("cmd", "api uuid_kill "+lead)
		c.send("cmd", "api uuid_kill "+agent)
		c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelDestroy && ev.UniqueID() == lead })
		c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelDestroy && ev.UniqueID() == agent })
		c.close()
		if lc, err := nextCallFor(ctx, leads, n); err == nil {
			lc.WaitEnded(ctx)
		}
		if !lost {
			continue
		}
		reply := "none"
		for _, ev := range c.evs {
			if ev.Name() == esl.EventBackgroundJob && strings.Contains(ev.Get("Job-Command-Arg"), lead) {
				reply = strings.TrimSpace(string(ev.Body))
			}
		}
		t.Logf("call %d: uuid_bridge lost; the lead's originate job: %q", i, reply)
		out := filepath.Join(dir, "13-bridge-lost.jsonl")
		if err := c.write(out); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
		return
	}
	t.Skipf("no uuid_bridge was lost in %d calls: nothing to write", tries)
}
