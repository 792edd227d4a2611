package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestNodeFilteredReservation: a call on a switch node gets the
// longest-idle READY agent whose persistent line is on that node or who
// has no line (ring mode); a named agent on another node is refused.
func TestNodeFilteredReservation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	es := dialer.SkillTag("es")
	// In idle order: 1 persistent on fs2, 2 ring, 3 persistent on fs1,
	// 4 persistent on fs2 with es, 5 ring with es.
	agents := []struct {
		mode dialer.AgentMode
		node string
		tags []string
	}{
		{dialer.ModePersistent, "fs2", nil},
		{dialer.ModeRing, "", nil},
		{dialer.ModePersistent, "fs1", nil},
		{dialer.ModePersistent, "fs2", []string{es}},
		{dialer.ModeRing, "", []string{es}},
	}
	for i, a := range agents {
		id := dialer.AgentID(i + 1)
		f.register(id, a.mode, a.tags...)
		if a.node != "" {
			if err := f.s.SetLineNode(ctx, id, a.node); err != nil {
				t.Fatal(err)
			}
		}
		f.ready(id, at(time.Duration(i)*time.Second))
	}
	f.checkIndices()
	tests := []struct {
		name  string
		setup func()
		named dialer.AgentID
		node  string
		tags  []string
		want  dialer.AgentID
		err   error
	}{
		{name: "no node: longest idle", want: 1},
		{name: "fs2: its line", node: "fs2", want: 1},
		{name: "fs1: ring agent idle longer than the fs1 line", node: "fs1", want: 2},
		{name: "fs1 with es: ring agent, not the fs2 line", node: "fs1", tags: []string{es}, want: 5},
		{name: "fs2 with es: its line", node: "fs2", tags: []string{es}, want: 4},
		{name: "node without lines: ring agent", node: "fs9", want: 2},
		{name: "no match", node: "fs1", tags: []string{dialer.SkillTag("fr")}, err: dialer.ErrNoAgent},
		{name: "named on another node", named: 1, node: "fs1", err: dialer.ErrOtherNode},
		{name: "named on its node", named: 1, node: "fs2", want: 1},
		{name: "named without node filter", named: 1, want: 1},
		{name: "named ring agent on any node", named: 2, node: "fs1", want: 2},
		{name: "line moved to fs1 while READY", setup: func() {
			if err := f.s.SetLineNode(ctx, 1, "fs1"); err != nil {
				t.Fatal(err)
			}
		}, node: "fs1", want: 1},
		{name: "after the move fs2 has only agent 4", node: "fs2", want: 2},
		{name: "ring-mode login clears the line node", setup: func() { f.register(1, dialer.ModeRing) }, node: "fs2", want: 1},
		{name: "fs1 line, ring agents busy", setup: func() {
			f.register(1, dialer.ModePersistent)
			if err := f.s.SetLineNode(ctx, 1, "fs2"); err != nil {
				t.Fatal(err)
			}
			f.move(2, dialer.AgentReady, dialer.AgentPaused, "", at(time.Minute))
			f.move(5, dialer.AgentReady, dialer.AgentPaused, "", at(time.Minute))
		}, node: "fs1", want: 3},
		{name: "no line on the node, no ring agent", node: "fs9", err: dialer.ErrNoAgent},
	}
	for i, tc := range tests {
		if tc.setup != nil {
			tc.setup()
		}
		call := dialer.NewCallID()
		req := dialer.ReserveRequest{Call: call, Node: tc.node, Tags: tc.tags, At: at(time.Hour + time.Duration(i)*time.Second)}
		var r dialer.Reservation
		var err error
		if tc.named != 0 {
			r, err = f.s.ReserveAgent(ctx, tc.named, req)
		} else {
			r, err = f.s.Reserve(ctx, req)
		}
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case r.Agent != tc.want:
			t.Errorf("%s: reserved %d, want %d", tc.name, r.Agent, tc.want)
		default:
			// Back to READY in its place for the next case.
			if _, err := f.s.Release(ctx, r.Agent, call, "test", req.At); err != nil {
				t.Fatal(err)
			}
		}
		f.checkIndices()
	}
	if err := f.s.SetLineNode(ctx, 99, "fs1"); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
}

// BenchmarkReserveOnNode is a lead's reservation as the engine asks for it
// (no tags): with a node filter over 64 agents, half of them persistent
// with lines on two nodes, against the same without the filter.
func BenchmarkReserveOnNode(b *testing.B) {
	s := benchStore(b, 64)
	for i := 2; i <= 64; i += 2 {
		id := dialer.AgentID(i)
		if err := s.UpsertAgent(b.Context(), dialer.AgentProfile{ID: id, Mode: dialer.ModePersistent}); err != nil {
			b.Fatal(err)
		}
		if err := s.SetLineNode(b.Context(), id, []string{"fs1", "fs2"}[i/2%2]); err != nil {
			b.Fatal(err)
		}
	}
	for _, node := range []string{"", "fs1"} {
		b.Run("node="+node, func(b *testing.B) {
			call := dialer.NewCallID()
			for range b.N {
				r, err := s.Reserve(b.Context(), dialer.ReserveRequest{Call: call, Node: node})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Release(b.Context(), r.Agent, call, "bench", time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
