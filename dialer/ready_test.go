package dialer

import "testing"

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
