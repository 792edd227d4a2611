package api

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// colleague is one agent as the workspace's directory shows it: who, and
// whether a call can go to them now.
type colleague struct {
	ID        dialer.AgentID    `json:"id"`
	Name      string            `json:"name"`
	Extension string            `json:"extension"`
	State     dialer.AgentState `json:"state"`
	// Since is when the state began; absent while logged out.
	Since    time.Time `json:"since,omitzero"`
	OnCall   bool      `json:"on_call"`
	LoggedIn bool      `json:"logged_in"`
}

// directoryQueue is an active inbound queue a call can be sent to.
type directoryQueue struct {
	ID   dialer.QueueID `json:"id"`
	Name string         `json:"name"`
}

// directory is GET /api/v1/directory: every enabled agent with its live
// state, and the active queues, for picking a transfer or conference
// target. The workspace asks when the picker opens and every few seconds
// while it is open, rather than every agent's stream carrying every
// other agent's changes: with 1,000 agents that would be 1,000 streams
// each told of every change, whether or not anyone looks. A request costs
// one read of the agent and queue tables and a pass over the engine's
// views in memory (no live store round trip).
func (s *Server) directory(c echo.Context, _ *principal) error {
	ctx := c.Request().Context()
	agents, err := s.dir.ListAgents(ctx)
	if err != nil {
		return err
	}
	live := make(map[dialer.AgentID]dialer.AgentView)
	for _, v := range s.engine.LiveAgents() {
		live[v.ID] = v
	}
	people := make([]colleague, 0, len(agents))
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		p := colleague{ID: a.ID, Name: a.Name, Extension: a.Extension, State: dialer.AgentLoggedOut}
		if v, ok := live[a.ID]; ok && v.State != dialer.AgentLoggedOut {
			p.State, p.Since, p.LoggedIn = v.State, v.Since, true
			// Wrapping up holds the last call but is off the phone.
			p.OnCall = v.State.HoldsCall() && v.State != dialer.AgentDispo
		}
		people = append(people, p)
	}
	slices.SortFunc(people, func(a, b colleague) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	queues := []directoryQueue{}
	if s.opts.Queues != nil {
		all, err := s.opts.Queues.ListQueues(ctx)
		if err != nil {
			return err
		}
		for _, q := range all {
			if q.Active {
				queues = append(queues, directoryQueue{ID: q.ID, Name: q.Name})
			}
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": people, "queues": queues})
}
