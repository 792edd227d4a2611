package redisstore

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

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
