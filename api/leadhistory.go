package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// leadHistoryLimit bounds each list of a lead's history: the workspace
// shows the last few, and a lead called more often than this is read in
// the call records.
const leadHistoryLimit = 50

// leadHistoryCall is one earlier call to or from the lead, as the preview
// card and the lead panel show it.
type leadHistoryCall struct {
	ID          dialer.CallID        `json:"id"`
	CreatedAt   time.Time            `json:"created_at"`
	Direction   dialer.CallDirection `json:"direction"`
	Origin      dialer.CallOrigin    `json:"origin"`
	Campaign    dialer.CampaignID    `json:"campaign_id,omitempty"`
	Agent       dialer.AgentID       `json:"agent_id,omitempty"`
	AgentName   string               `json:"agent_name,omitempty"`
	Outcome     dialer.CallOutcome   `json:"outcome"`
	Billsec     int                  `json:"billsec"`
	Disposition string               `json:"disposition,omitempty"`
	Note        string               `json:"note,omitempty"`
	// Recording: the call has a recording the caller may play (GET
	// /calls/{id}/recording); an agent sees the lead's other agents'
	// calls here, not their recordings.
	Recording bool `json:"recording,omitempty"`
}

type leadHistoryCallback struct {
	dialer.Callback
	AgentName string `json:"agent_name,omitempty"`
	// DueLocal is DueAt on the lead's wall clock, as on the Callbacks page.
	DueLocal string `json:"due_local"`
}

// leadHistory answers GET /leads/{id}/history: the lead's ended calls and
// its callbacks, newest first. A live call is on the call panel instead.
func (s *Server) leadHistory(c echo.Context, p *principal) error {
	l, err := s.leadParam(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	calls, err := s.calls.ListCalls(ctx, dialer.CallFilter{Lead: l.ID, Limit: leadHistoryLimit})
	if err != nil {
		return err
	}
	cbs, err := s.campaigns.LeadCallbacks(ctx, l.ID, leadHistoryLimit)
	if err != nil {
		return err
	}
	names := agentNames{s: s}
	outCalls := make([]leadHistoryCall, 0, len(calls))
	for _, r := range calls {
		if r.State != dialer.CallEnded {
			continue
		}
		name, err := names.of(ctx, r.Agent)
		if err != nil {
			return err
		}
		outCalls = append(outCalls, leadHistoryCall{
			ID: r.ID, CreatedAt: r.CreatedAt, Direction: r.Direction, Origin: r.Origin, Campaign: r.Campaign,
			Agent: r.Agent, AgentName: name, Outcome: r.Outcome, Billsec: r.Billsec, Disposition: r.Disposition, Note: r.Notes,
			Recording: r.RecordingPath != "" && s.opts.RecordingsDir != "" &&
				(p.Actor.Role.AtLeast(identity.RoleSupervisor) || p.Actor.Agent != 0 && r.Agent == p.Actor.Agent),
		})
	}
	outCbs := make([]leadHistoryCallback, 0, len(cbs))
	for _, cb := range cbs {
		name, err := names.of(ctx, cb.Agent)
		if err != nil {
			return err
		}
		outCbs = append(outCbs, leadHistoryCallback{Callback: cb, AgentName: name, DueLocal: dueLocal(cb)})
	}
	return c.JSON(http.StatusOK, map[string]any{"calls": outCalls, "callbacks": outCbs})
}

// agentNames reads each agent's name once per request; an agent deleted
// since has none.
type agentNames struct {
	s     *Server
	known map[dialer.AgentID]string
}

func (n *agentNames) of(ctx context.Context, id dialer.AgentID) (string, error) {
	if id == 0 {
		return "", nil
	}
	if name, ok := n.known[id]; ok {
		return name, nil
	}
	if n.known == nil {
		n.known = map[dialer.AgentID]string{}
	}
	a, err := n.s.dir.Agent(ctx, id)
	if err != nil && !errors.Is(err, dialer.ErrNotFound) {
		return "", err
	}
	n.known[id] = a.Name
	return a.Name, nil
}
