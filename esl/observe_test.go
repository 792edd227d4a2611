package esl_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

type observed struct {
	node, command string
	took          time.Duration
	failed        bool
}

// TestObserveCommand: every api and bgapi command is reported with its
// node, name and round trip, a refused one (-ERR) as failed.
func TestObserveCommand(t *testing.T) {
	var mu sync.Mutex
	var got []observed
	cfg := esl.Config{ObserveCommand: func(node, command string, took time.Duration, err error) {
		mu.Lock()
		got = append(got, observed{node, command, took, err != nil})
		mu.Unlock()
	}}
	c, _ := startClient(t, cfg, startSim(t, sim.Config{}))
	lead(t, c, "15557654321")
	if err := c.Kill(ctxT(t), uuid.NewString(), "NORMAL_CLEARING"); err == nil {
		t.Fatal("killing an unknown channel succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{"originate": false, "uuid_kill": true}
	for _, o := range got {
		failed, ok := want[o.command]
		if !ok {
			continue
		}
		if o.node != "fs1" || o.failed != failed || o.took <= 0 {
			t.Errorf("%+v, want node fs1, failed %v, a duration", o, failed)
		}
		delete(want, o.command)
	}
	if len(want) > 0 {
		t.Errorf("not observed: %v (got %+v)", want, got)
	}
}
