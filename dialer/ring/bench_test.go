package ring

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkBuild: one call's plan over a queue of 100 and of 1,000 agents,
// for a sorting strategy and a shuffling one with a gap.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 1000} {
		cands := make([]Candidate, n)
		for i := range cands {
			cands[i] = Candidate{ID: fmt.Sprintf("agent-%04d", i), Available: i%10 != 0, Position: (i * 7919) % n,
				IdleSince: t0.Add(time.Duration(i*31%n) * time.Second), Calls: i % 13, Rank: i % 5}
		}
		for _, s := range []Settings{{Strategy: LongestIdle}, {Strategy: RandomStagger}} {
			b.Run(fmt.Sprintf("%s/%d", s.Strategy, n), func(b *testing.B) {
				rnd := rand.New(rand.NewPCG(1, 2))
				for b.Loop() {
					if p, err := Build(s, cands, Cursor{}, now, rnd); err != nil || p.Empty() {
						b.Fatal(p, err)
					}
				}
			})
		}
	}
}
