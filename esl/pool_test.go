package esl_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// TestBurstOpensAtMostThePool: 300 commands at once on a client with no
// command connection yet open one connection at a time, up to the pool's
// size, not one each (which, on a loaded switch, time out dialing).
func TestBurstOpensAtMostThePool(t *testing.T) {
	s := startSim(t, sim.Config{})
	c, _ := startClient(t, esl.Config{CommandConns: 4}, s)
	auths := func() int {
		n := 0
		for _, cmd := range s.Commands() {
			if strings.HasPrefix(cmd, "auth ") {
				n++
			}
		}
		return n
	}
	before := auths()
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for range 300 {
		wg.Go(func() {
			if _, err := c.Exists(ctx, "5f1c2f1e-0c52-4c5e-9d9a-3f7e0f4b6a10"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := auths() - before; n < 1 || n > 4 {
		t.Fatalf("%d command connections opened for a burst, want 1 to 4 (the pool's size)", n)
	}
}
