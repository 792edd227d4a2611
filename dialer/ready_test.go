package dialer

import (
	"testing"
	"time"
)

func TestReadyAgents(t *testing.T) {
	h := newHub(0)
	for id, st := range map[AgentID]AgentState{1: AgentReady, 2: AgentPaused, 3: AgentReady, 4: AgentInCall} {
		h.publish(LiveEvent{Type: EvAgentState, Agent: id, AgentView: &AgentView{ID: id, State: st}})
	}
	// Agent 3 logs out: it leaves the hub.
	h.publish(LiveEvent{Type: EvAgentState, Agent: 3, AgentView: &AgentView{ID: 3, State: AgentLoggedOut}})
	for named, want := range map[AgentID]int{0: 1, 1: 1, 2: 0, 3: 0, 4: 0, 9: 0} {
		if got := h.readyAgents(named); got != want {
			t.Errorf("readyAgents(%d) = %d, want %d", named, got, want)
		}
	}
}

// TestReadyByCampaign: the pacer's index of READY agents follows each
// agent's views: its state, the campaign it works on, a view without one
// (an agent of another engine), and its logout.
func TestReadyByCampaign(t *testing.T) {
	on := func(c CampaignID) *CampaignRef { return &CampaignRef{ID: c} }
	steps := []struct {
		name string
		view AgentView
		want map[CampaignID]int
	}{
		{"ready on 1", AgentView{ID: 1, State: AgentReady, Campaign: on(1)}, map[CampaignID]int{1: 1}},
		{"another ready on 1", AgentView{ID: 2, State: AgentReady, Campaign: on(1)}, map[CampaignID]int{1: 2}},
		{"ready on 2", AgentView{ID: 3, State: AgentReady, Campaign: on(2)}, map[CampaignID]int{1: 2, 2: 1}},
		{"reserved", AgentView{ID: 1, State: AgentReserved, Campaign: on(1)}, map[CampaignID]int{1: 1, 2: 1}},
		{"switched campaign", AgentView{ID: 2, State: AgentReady, Campaign: on(2)}, map[CampaignID]int{2: 2}},
		{"ready with no campaign", AgentView{ID: 4, State: AgentReady}, map[CampaignID]int{2: 2}},
		{"seen from elsewhere, no campaign", AgentView{ID: 3, State: AgentReady}, map[CampaignID]int{2: 1}},
		{"paused", AgentView{ID: 2, State: AgentPaused, Campaign: on(2)}, map[CampaignID]int{}},
		{"ready again", AgentView{ID: 1, State: AgentReady, Campaign: on(1)}, map[CampaignID]int{1: 1}},
		{"logged out", AgentView{ID: 1, State: AgentLoggedOut}, map[CampaignID]int{}},
	}
	h := newHub(0)
	for _, s := range steps {
		v := s.view
		h.publish(LiveEvent{Type: EvAgentState, Agent: v.ID, AgentView: &v})
		got := h.readyByCampaign()
		if len(got) != len(s.want) {
			t.Fatalf("%s: ready by campaign = %v, want %v", s.name, got, s.want)
		}
		for c, n := range s.want {
			if got[c] != n || len(h.readyOn(c)) != n {
				t.Fatalf("%s: ready by campaign = %v (on %d: %v), want %v", s.name, got, c, h.readyOn(c), s.want)
			}
		}
	}
}

// TestHubDropsOvertakenViews: a view published after a later one of the
// same session (a skip's READY after the pacer's next offer) changes
// nothing and reaches no one; a new session, a view without a sequence
// and a reservation's view without the session's start are taken.
func TestHubDropsOvertakenViews(t *testing.T) {
	login := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	on := &CampaignRef{ID: 7}
	view := func(st AgentState, seq int64, at time.Time) AgentView {
		return AgentView{ID: 1, State: st, Campaign: on, seq: seq, login: at}
	}
	steps := []struct {
		name  string
		view  AgentView
		taken bool
		state AgentState // held after the step
	}{
		{"paused, previewing", view(AgentPaused, 5, login), true, AgentPaused},
		{"the skip's READY, published late", view(AgentReady, 4, login), false, AgentPaused},
		{"the same transition again", view(AgentPaused, 5, login), true, AgentPaused},
		{"a reservation's view: no session start", view(AgentReserved, 6, time.Time{}), true, AgentReserved},
		{"an older one without the session start", view(AgentReady, 5, time.Time{}), false, AgentReserved},
		{"no sequence: taken", view(AgentReady, 0, login), true, AgentReady},
		{"a new session starts its count again", view(AgentPaused, 2, login.Add(time.Hour)), true, AgentPaused},
	}
	h := newHub(0)
	_, ch := h.subscribe(t.Context(), LiveFilter{}, login)
	for _, s := range steps {
		v := s.view
		h.publish(LiveEvent{Type: EvAgentState, Agent: v.ID, AgentView: &v})
		got := false
		select {
		case <-ch:
			got = true
		default:
		}
		if got != s.taken {
			t.Errorf("%s: sent to subscribers = %v, want %v", s.name, got, s.taken)
		}
		if held, _ := h.agent(1); held.State != s.state {
			t.Errorf("%s: the hub holds %s, want %s", s.name, held.State, s.state)
		}
		if ready := h.readyByCampaign()[7]; (ready == 1) != (s.state == AgentReady) {
			t.Errorf("%s: %d READY on the campaign, agent %s", s.name, ready, s.state)
		}
	}
}
