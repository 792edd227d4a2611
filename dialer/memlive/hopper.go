package memlive

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// Hopper is dialer.Hopper in memory, for engine tests; the contract suite
// (dialer/livestoretest.RunHopper) holds it to redisstore's behaviour.
// Two engines sharing one Hopper value share one hopper, as two service
// processes share Redis.
type Hopper struct {
	mu   sync.Mutex
	camp map[dialer.CampaignID]*campHopper
}

var _ dialer.Hopper = (*Hopper)(nil)

type campHopper struct {
	rank    map[dialer.LeadID]float64 // waiting
	order   rankHeap                  // waiting, lazily pruned
	claimed map[dialer.LeadID]int64   // claim deadline, ms
	seq     uint64
}

type rankItem struct {
	rank float64
	seq  uint64 // ties: first pushed, first claimed; Redis orders ties by member, tests use distinct ranks
	lead dialer.LeadID
}

type rankHeap []rankItem

func (h rankHeap) Len() int { return len(h) }
func (h rankHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].seq < h[j].seq
}
func (h rankHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)   { *h = append(*h, x.(rankItem)) }
func (h *rankHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// NewHopper returns an empty in-memory hopper.
func NewHopper() *Hopper { return &Hopper{camp: map[dialer.CampaignID]*campHopper{}} }

func (h *Hopper) of(c dialer.CampaignID) *campHopper {
	ch := h.camp[c]
	if ch == nil {
		ch = &campHopper{rank: map[dialer.LeadID]float64{}, claimed: map[dialer.LeadID]int64{}}
		h.camp[c] = ch
	}
	return ch
}

// Push implements dialer.Hopper.
func (h *Hopper) Push(ctx context.Context, campaign dialer.CampaignID, entries []dialer.HopperEntry) (int, error) {
	if err := dialer.ValidateHopperPush(campaign, entries); err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.of(campaign)
	added := 0
	for _, e := range entries {
		if _, ok := ch.rank[e.Lead]; ok {
			continue
		}
		if _, ok := ch.claimed[e.Lead]; ok {
			continue
		}
		ch.rank[e.Lead] = e.Rank
		ch.seq++
		heap.Push(&ch.order, rankItem{rank: e.Rank, seq: ch.seq, lead: e.Lead})
		added++
	}
	return added, nil
}

// Claim implements dialer.Hopper.
func (h *Hopper) Claim(ctx context.Context, campaign dialer.CampaignID, lease time.Duration, now time.Time) (dialer.LeadID, bool, error) {
	if err := dialer.ValidateHopperClaim(campaign, lease); err != nil {
		return 0, false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.of(campaign)
	for ch.order.Len() > 0 {
		it := heap.Pop(&ch.order).(rankItem)
		if r, ok := ch.rank[it.lead]; !ok || r != it.rank {
			continue // removed, or pushed again after a removal
		}
		delete(ch.rank, it.lead)
		ch.claimed[it.lead] = now.Add(lease).UnixMilli()
		return it.lead, true, nil
	}
	return 0, false, nil
}

// Done implements dialer.Hopper.
func (h *Hopper) Done(ctx context.Context, campaign dialer.CampaignID, lead dialer.LeadID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.of(campaign).claimed, lead)
	return nil
}

// Remove implements dialer.Hopper.
func (h *Hopper) Remove(ctx context.Context, campaign dialer.CampaignID, lead dialer.LeadID) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.of(campaign)
	_, waiting := ch.rank[lead]
	_, claimed := ch.claimed[lead]
	delete(ch.rank, lead)
	delete(ch.claimed, lead)
	return waiting || claimed, nil
}

// Lapsed implements dialer.Hopper.
func (h *Hopper) Lapsed(ctx context.Context, campaign dialer.CampaignID, now time.Time) ([]dialer.LeadID, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.of(campaign)
	var out []dialer.LeadID
	for id, until := range ch.claimed {
		if until <= now.UnixMilli() {
			out = append(out, id)
			delete(ch.claimed, id)
		}
	}
	return out, nil
}

// Len implements dialer.Hopper.
func (h *Hopper) Len(ctx context.Context, campaign dialer.CampaignID) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.of(campaign).rank), nil
}

// Clear implements dialer.Hopper.
func (h *Hopper) Clear(ctx context.Context, campaign dialer.CampaignID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.camp, campaign)
	return nil
}
