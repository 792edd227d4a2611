package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
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
	// Team lets the wall filter logged-out agents by team too.
	Team *dialer.TeamRef `json:"team,omitempty"`
}

// directoryQueue is an active inbound queue a call can be sent to.
type directoryQueue struct {
	ID   dialer.QueueID `json:"id"`
	Name string         `json:"name"`
}

// directoryTTL is how long the agent and queue records of the directory
// are reused: new seats and renames show within it, or at once when made
// through this server.
const directoryTTL = 5 * time.Second

// directoryRecords caches what the directory reads from the stores: a
// thousand agents' records cost milliseconds to read, and every open
// picker asks every 10 s, while the records seldom change. The live
// states are not cached.
type directoryRecords struct {
	mu     sync.Mutex
	at     time.Time
	agents []colleague // enabled agents by name, logged out
	queues []directoryQueue
}

// forget drops the cache after a change of agents or queues.
func (d *directoryRecords) forget() {
	d.mu.Lock()
	d.at = time.Time{}
	d.mu.Unlock()
}

// read returns the records, reading them again when older than the TTL;
// concurrent callers wait for one read. The slices are shared: read only.
func (d *directoryRecords) read(ctx context.Context, s *Server) ([]colleague, []directoryQueue, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// A clock set back reads again.
	if age := s.now().Sub(d.at); !d.at.IsZero() && age >= 0 && age < directoryTTL {
		return d.agents, d.queues, nil
	}
	agents, err := s.dir.ListAgents(ctx)
	if err != nil {
		return nil, nil, err
	}
	people := make([]colleague, 0, len(agents))
	for _, a := range agents {
		if !a.Disabled {
			people = append(people, colleague{ID: a.ID, Name: a.Name, Extension: a.Extension, State: dialer.AgentLoggedOut, Team: a.TeamRef()})
		}
	}
	slices.SortFunc(people, func(a, b colleague) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	queues := []directoryQueue{}
	if s.opts.Queues != nil {
		all, err := s.opts.Queues.ListQueues(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, q := range all {
			if q.Active {
				queues = append(queues, directoryQueue{ID: q.ID, Name: q.Name})
			}
		}
	}
	d.agents, d.queues, d.at = people, queues, s.now()
	return people, queues, nil
}

// directory is GET /api/v1/directory: every enabled agent with its live
// state, and the active queues, for picking a transfer or conference
// target. The workspace asks when the picker opens and every 10 s while
// it is open, rather than every agent's stream carrying every other
// agent's changes: with 1,000 agents that would be 1,000 streams each
// told of every change, whether or not anyone looks. A request costs a
// pass over the engine's views in memory (no live store round trip) and
// the answer's encoding; the records come from directoryRecords.
func (s *Server) directory(c echo.Context, _ *principal) error {
	records, queues, err := s.directoryRecords.read(c.Request().Context(), s)
	if err != nil {
		return err
	}
	live := make(map[dialer.AgentID]dialer.AgentView)
	for _, v := range s.engine.LiveAgents() {
		live[v.ID] = v
	}
	people := slices.Clone(records)
	for i := range people {
		p := &people[i]
		if v, ok := live[p.ID]; ok && v.State != dialer.AgentLoggedOut {
			p.State, p.Since, p.LoggedIn = v.State, v.Since, true
			// Wrapping up holds the last call but is off the phone.
			p.OnCall = v.State.HoldsCall() && v.State != dialer.AgentDispo
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": people, "queues": queues})
}
