package dialer

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
)

// hub numbers live events, keeps the latest view of every agent and live
// call, and fans events out to subscribers. Snapshot and publish take the
// same lock, so a subscriber's snapshot is exactly the state after event
// Seq and the stream continues at Seq+1: a reconnecting workspace loses
// nothing.
type hub struct {
	mu     sync.Mutex
	seq    uint64
	agents map[AgentID]AgentView
	// calls holds the view each live call last published, shared with the
	// event that carried it (a published view is never written again):
	// a copy per call here cost ~300 bytes for each of 10,000 calls.
	calls  map[CallID]*CallView
	subs   map[*subscriber]struct{}
	buffer int
	// ready indexes the READY agents by the campaign their view shows
	// (only this engine's agents carry one), so a pacing pass reads
	// them without walking every agent.
	ready   map[CampaignID]map[AgentID]struct{}
	readyIn map[AgentID]CampaignID
	// staff indexes the same way every agent working on a campaign, in
	// any state, and wraps holds each campaign's wrap-up durations: what
	// a predictive campaign's pacer reads of its agents.
	staff   map[CampaignID]map[AgentID]struct{}
	staffIn map[AgentID]CampaignID
	wraps   map[CampaignID]pacing.LogStats
	// queues holds each inbound queue's last published figures.
	queues map[QueueID]QueueView
	// nodes and gateways hold the switch's last published state.
	nodes    map[string]NodeView
	gateways map[gwKey]GatewayStatus
	// campaigns holds each dialer campaign's last published figures.
	campaigns map[CampaignID]CampaignLive
}

type subscriber struct {
	f  LiveFilter
	ch chan LiveEvent
}

func newHub(buffer int) *hub {
	if buffer <= 0 {
		buffer = 256
	}
	return &hub{agents: map[AgentID]AgentView{}, calls: map[CallID]*CallView{}, subs: map[*subscriber]struct{}{}, buffer: buffer,
		ready: map[CampaignID]map[AgentID]struct{}{}, readyIn: map[AgentID]CampaignID{}, queues: map[QueueID]QueueView{},
		nodes: map[string]NodeView{}, gateways: map[gwKey]GatewayStatus{},
		campaigns: map[CampaignID]CampaignLive{}, staff: map[CampaignID]map[AgentID]struct{}{}, staffIn: map[AgentID]CampaignID{},
		wraps: map[CampaignID]pacing.LogStats{}}
}

// publish stamps ev with the next sequence number, records the views it
// carries and hands it to every matching subscriber. A subscriber whose
// buffer is full is dropped (its channel closed): it reconnects and takes
// a fresh snapshot rather than stall the engine.
func (h *hub) publish(ev LiveEvent) LiveEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stale(ev.AgentView) {
		return ev
	}
	h.seq++
	ev.Seq = h.seq
	if v := ev.AgentView; v != nil {
		if old, ok := h.agents[v.ID]; ok && old.State == AgentDispo && v.State != AgentDispo && old.Campaign != nil {
			w := h.wraps[old.Campaign.ID]
			w.Add(v.Since.Sub(old.Since))
			h.wraps[old.Campaign.ID] = w
		}
		if v.State == AgentLoggedOut {
			delete(h.agents, v.ID)
		} else {
			h.agents[v.ID] = *v
		}
		h.index(v)
	}
	if q := ev.QueueView; q != nil {
		h.queues[q.ID] = *q
	}
	if n := ev.Node; n != nil {
		h.nodes[n.Name] = *n
	}
	if g := ev.Gateway; g != nil {
		if g.Removed {
			delete(h.gateways, gwKey{g.Node, g.Gateway})
		} else {
			h.gateways[gwKey{g.Node, g.Gateway}] = *g
		}
	}
	if c := ev.CampaignView; c != nil {
		h.campaigns[c.ID] = *c
	}
	if ev.CallView != nil {
		// Only a call with a live state is kept: an ended one leaves, and
		// a view without a state describes no call in progress.
		if ev.CallView.State == LiveEnded || ev.CallView.State == "" {
			delete(h.calls, ev.CallView.ID)
		} else {
			h.calls[ev.CallView.ID] = ev.CallView
		}
	}
	for s := range h.subs {
		if !s.f.Match(ev) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(h.subs, s)
			close(s.ch)
		}
	}
	return ev
}

// stale reports whether an agent's view was overtaken before it was
// published: two goroutines change the agent one after the other in the
// live store but may publish in the other order (a skip's READY after
// the pacer's next offer), and the older view must not win. A view
// without the session's start (a reservation's) keeps the one held.
func (h *hub) stale(v *AgentView) bool {
	if v == nil {
		return false
	}
	old, ok := h.agents[v.ID]
	if !ok {
		return false
	}
	if v.login.IsZero() {
		v.login = old.login
	}
	return stateMark{v.seq, v.login}.older(stateMark{old.seq, old.login})
}

// subscribe returns the current state and a stream of what follows; the
// stream closes when ctx ends or the subscriber falls behind.
func (h *hub) subscribe(ctx context.Context, f LiveFilter, now time.Time) (LiveSnapshot, <-chan LiveEvent) {
	s := &subscriber{f: f, ch: make(chan LiveEvent, h.buffer)}
	h.mu.Lock()
	snap := LiveSnapshot{Seq: h.seq, At: now, Agents: []AgentView{}, Calls: []CallView{}}
	for _, a := range h.agents {
		if f.Agent == 0 || a.ID == f.Agent {
			snap.Agents = append(snap.Agents, a)
		}
	}
	for _, c := range h.calls {
		if f.Agent == 0 || c.Agent == f.Agent || c.hasAgent(f.Agent) {
			snap.Calls = append(snap.Calls, *c)
		}
	}
	if f.Agent == 0 {
		for _, q := range h.queues {
			snap.Queues = append(snap.Queues, q)
		}
		snap.Nodes = h.nodeViewsLocked()
		snap.Gateways = h.gatewayStatusesLocked()
		for _, c := range h.campaigns {
			snap.Campaigns = append(snap.Campaigns, c)
		}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	slices.SortFunc(snap.Queues, func(a, b QueueView) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(snap.Campaigns, func(a, b CampaignLive) int { return cmp.Compare(a.ID, b.ID) })
	sortAgents(snap.Agents)
	sortCalls(snap.Calls)
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.ch)
		}
	})
	return snap, s.ch
}

// index keeps ready and staff in step with an agent's new view.
func (h *hub) index(v *AgentView) {
	onCampaign := v.Campaign != nil && v.Campaign.ID != 0
	reindex(h.ready, h.readyIn, v.ID, v.Campaign, onCampaign && v.State == AgentReady)
	reindex(h.staff, h.staffIn, v.ID, v.Campaign, onCampaign && v.State != AgentLoggedOut)
}

// reindex moves agent id in a by-campaign index: out of its old campaign,
// into c when in.
func reindex(by map[CampaignID]map[AgentID]struct{}, in map[AgentID]CampaignID, id AgentID, c *CampaignRef, into bool) {
	if old, ok := in[id]; ok {
		delete(in, id)
		if m := by[old]; m != nil {
			if delete(m, id); len(m) == 0 {
				delete(by, old)
			}
		}
	}
	if !into {
		return
	}
	m := by[c.ID]
	if m == nil {
		m = map[AgentID]struct{}{}
		by[c.ID] = m
	}
	m[id] = struct{}{}
	in[id] = c.ID
}

// campaignAgents are the views of the agents working on a campaign.
func (h *hub) campaignAgents(campaign CampaignID) []AgentView {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AgentView, 0, len(h.staff[campaign]))
	for id := range h.staff[campaign] {
		out = append(out, h.agents[id])
	}
	return out
}

// staffed reports whether anyone works on the campaign.
func (h *hub) staffed(campaign CampaignID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.staff[campaign]) > 0
}

// wrapStats are the wrap-up durations of a campaign's agents.
func (h *hub) wrapStats(campaign CampaignID) pacing.LogStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wraps[campaign]
}

// campaignView is the campaign's last published figures.
func (h *hub) campaignView(campaign CampaignID) (CampaignLive, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.campaigns[campaign]
	return v, ok
}

// readyByCampaign counts the READY agents of each campaign.
func (h *hub) readyByCampaign() map[CampaignID]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[CampaignID]int, len(h.ready))
	for id, m := range h.ready {
		out[id] = len(m)
	}
	return out
}

// readyOn lists the READY agents of a campaign.
func (h *hub) readyOn(campaign CampaignID) []AgentID {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AgentID, 0, len(h.ready[campaign]))
	for id := range h.ready[campaign] {
		out = append(out, id)
	}
	return out
}

// agent returns the last published view of an agent.
func (h *hub) agent(id AgentID) (AgentView, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.agents[id]
	return v, ok
}

func (h *hub) agentViews() []AgentView {
	h.mu.Lock()
	out := make([]AgentView, 0, len(h.agents))
	for _, a := range h.agents {
		out = append(out, a)
	}
	h.mu.Unlock()
	sortAgents(out)
	return out
}

// readyAgents counts READY agents: only id when it is not zero.
func (h *hub) readyAgents(id AgentID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id != 0 {
		if h.agents[id].State == AgentReady {
			return 1
		}
		return 0
	}
	n := 0
	for _, a := range h.agents {
		if a.State == AgentReady {
			n++
		}
	}
	return n
}

func (h *hub) callViews() []CallView {
	h.mu.Lock()
	out := make([]CallView, 0, len(h.calls))
	for _, c := range h.calls {
		out = append(out, *c)
	}
	h.mu.Unlock()
	sortCalls(out)
	return out
}

func (c CallView) hasAgent(id AgentID) bool {
	for _, p := range c.Parties {
		if p.Agent == id {
			return true
		}
	}
	return false
}

func (h *hub) nodeViews() []NodeView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodeViewsLocked()
}

func (h *hub) nodeViewsLocked() []NodeView {
	out := make([]NodeView, 0, len(h.nodes))
	for _, n := range h.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b NodeView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (h *hub) gatewayStatuses() []GatewayStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gatewayStatusesLocked()
}

func (h *hub) gatewayStatusesLocked() []GatewayStatus {
	out := make([]GatewayStatus, 0, len(h.gateways))
	for _, g := range h.gateways {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b GatewayStatus) int {
		if c := strings.Compare(a.Gateway, b.Gateway); c != 0 {
			return c
		}
		return strings.Compare(a.Node, b.Node)
	})
	return out
}

// campaignChanged reports whether v's figures differ from the last ones
// published for its campaign (the window's start moves on every pass).
func (h *hub) campaignChanged(v CampaignLive) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.campaigns[v.ID]
	old.From = v.From
	return !ok || old != v
}
