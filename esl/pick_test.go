package esl

import (
	"fmt"
	"testing"
)

// TestPickFewestChannels: a call goes to the node up with the fewest
// channels, counted as channels are owned, moved, dropped and adopted.
func TestPickFewestChannels(t *testing.T) {
	c, err := New(Config{Nodes: []Node{{Name: "fs1", Addr: "127.0.0.1:1", Password: "ClueCon"}, {Name: "fs2", Addr: "127.0.0.1:2", Password: "ClueCon"}}}, nopHandler{})
	if err != nil {
		t.Fatal(err)
	}
	fs1, fs2 := c.byN["fs1"], c.byN["fs2"]
	fs1.up.Store(true)
	fs2.up.Store(true)
	id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
	for i := range 3 {
		c.own(id(i), fs1)
	}
	c.own(id(10), fs2)
	check := func(step string, want *node, n1, n2 int) {
		t.Helper()
		got, err := c.pick("")
		if err != nil || got != want || fs1.channels != n1 || fs2.channels != n2 {
			t.Fatalf("%s: picked %v (%v), channels %d/%d; want %s, %d/%d", step, got.cfg.Name, err, fs1.channels, fs2.channels, want.cfg.Name, n1, n2)
		}
	}
	check("3 against 1", fs2, 3, 1)
	c.own(id(11), fs2)
	c.own(id(12), fs2)
	c.own(id(13), fs2)
	check("3 against 4", fs1, 3, 4)
	c.own(id(13), fs1) // the channel found on the other node
	check("moved", fs2, 4, 3)
	c.disown(id(0), fs2) // not fs2's: nothing changes
	check("not its own", fs2, 4, 3)
	c.disown(id(0), fs1)
	c.disown(id(1), fs1)
	check("dropped", fs1, 2, 3)
	c.adoptChannels(fs2, nil) // fs2 restarted with no channels
	check("adopted", fs2, 2, 0)
	fs2.up.Store(false)
	check("down", fs1, 2, 0)
	if st := c.Nodes(); st[0].Channels != 2 || st[1].Channels != 0 {
		t.Fatalf("Nodes = %+v", st)
	}
}

type nopHandler struct{}

func (nopHandler) HandleEvent(string, *Event) {}
func (nopHandler) HandleNode(NodeState)       {}
