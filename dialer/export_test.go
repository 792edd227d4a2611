package dialer

import (
	"context"
	"time"
)

// SeedPacing fills a campaign's pacing memory as an hour of dialing
// would: attempts calls dialed ten minutes ago, live of them answered
// (one in attempts/live, spread) and talked for about talk, and as many wrap-ups of about wrap and live
// answers after about ring. It lets a test start where the pacer has
// warmed up.
func (e *Engine) SeedPacing(id CampaignID, attempts, live int, talk, wrap, ring time.Duration) {
	at := e.now().Add(-10 * time.Minute)
	// Durations spread by ±20%: identical ones are no distribution.
	spread := func(d time.Duration, i int) time.Duration { return d * time.Duration(8+4*(i%2)) / 10 }
	e.pmem.with(id, func(h *campHistory) {
		every := max(attempts/max(live, 1), 1)
		for i := range attempts {
			lead := LeadID(-1 - i) // no lead of the store's
			h.dialed(lead, at)
			if i%every == 0 && i/every < live {
				h.answered(lead, at.Add(spread(ring, i)))
				h.ended(lead, OutcomeAnswered, at.Add(spread(ring, i)), at.Add(spread(ring, i)+spread(talk, i)))
			} else {
				h.ended(lead, OutcomeNoAnswer, time.Time{}, at.Add(5*time.Second))
			}
		}
	})
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	w := e.hub.wraps[id]
	for i := range live {
		w.Add(spread(wrap, i))
	}
	e.hub.wraps[id] = w
}

// PublishAgentStatus publishes st as the engine does after a transition:
// a test hands it an old status to play a publisher that lost a race.
func (e *Engine) PublishAgentStatus(ctx context.Context, st AgentStatus) {
	e.publishAgent(ctx, st.Agent, st)
}
