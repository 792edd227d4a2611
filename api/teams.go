package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// Teams: admins keep them, supervisors read them to filter the wall.

var errNoTeams = newHTTPError(http.StatusServiceUnavailable, "not configured: team store")

func (s *Server) teams() (dialer.TeamStore, error) {
	if s.opts.Teams == nil {
		return nil, errNoTeams
	}
	return s.opts.Teams, nil
}

// teamParam is the store and the path's team id.
func (s *Server) teamParam(c echo.Context) (dialer.TeamStore, dialer.TeamID, error) {
	st, err := s.teams()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID[dialer.TeamID](c, "id")
	return st, id, err
}

func (s *Server) listTeams(c echo.Context, _ *principal) error {
	st, err := s.teams()
	if err != nil {
		return err
	}
	l, err := st.ListTeams(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []dialer.Team{}
	}
	return c.JSON(http.StatusOK, map[string]any{"teams": l})
}

type teamBody struct {
	Name        *string            `json:"name"`
	Supervisors *[]identity.UserID `json:"supervisors"`
}

// apply sets the fields the body names.
func (b teamBody) apply(t *dialer.Team) {
	if b.Name != nil {
		t.Name = *b.Name
	}
	if b.Supervisors != nil {
		t.Supervisors = append([]identity.UserID{}, *b.Supervisors...)
	}
}

// checkSupervisors refuses a supervisor who is not a supervisor or admin.
func (s *Server) checkSupervisors(ctx context.Context, t dialer.Team) error {
	for _, id := range t.Supervisors {
		u, err := s.users.User(ctx, id)
		if errors.Is(err, dialer.ErrNotFound) {
			return fieldErr("supervisors", "no user "+id.String())
		}
		if err != nil {
			return err
		}
		if !u.Role.AtLeast(identity.RoleSupervisor) {
			return fieldErr("supervisors", u.Username+" is not a supervisor")
		}
	}
	return nil
}

// teamTaken answers a name another team has.
func teamTaken(err error) error {
	if errors.Is(err, dialer.ErrConflict) {
		return &httpError{code: http.StatusConflict, msg: "a team has that name", field: "name"}
	}
	return err
}

func (s *Server) createTeam(c echo.Context, p *principal) error {
	st, err := s.teams()
	if err != nil {
		return err
	}
	var b teamBody
	if err := decode(c, &b); err != nil {
		return err
	}
	t := dialer.Team{Supervisors: []identity.UserID{}}
	b.apply(&t)
	if err := t.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.checkSupervisors(ctx, t); err != nil {
		return err
	}
	out, err := st.CreateTeam(ctx, t)
	if err != nil {
		return teamTaken(err)
	}
	s.audit(ctx, p, "team.create", "team:"+out.ID.String(), map[string]any{"name": out.Name, "supervisors": out.Supervisors})
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) patchTeam(c echo.Context, p *principal) error {
	st, id, err := s.teamParam(c)
	if err != nil {
		return err
	}
	var b teamBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := st.Team(ctx, id)
	if err != nil {
		return err
	}
	before := t.Name
	b.apply(&t)
	if err := t.Validate(); err != nil {
		return err
	}
	if err := s.checkSupervisors(ctx, t); err != nil {
		return err
	}
	out, err := st.UpdateTeam(ctx, t)
	if err != nil {
		return teamTaken(err)
	}
	if out.Name != before {
		s.teamMembersChanged(ctx, p, id)
	}
	s.audit(ctx, p, "team.update", "team:"+id.String(), map[string]any{"name": out.Name, "previous_name": before, "supervisors": out.Supervisors})
	return c.JSON(http.StatusOK, out)
}

// deleteTeam removes a team; its agents stay, without a team.
func (s *Server) deleteTeam(c echo.Context, p *principal) error {
	st, id, err := s.teamParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := st.Team(ctx, id)
	if err != nil {
		return err
	}
	members := s.teamMembers(ctx, id)
	if err := st.DeleteTeam(ctx, id); err != nil {
		return err
	}
	s.refreshSeats(ctx, p, members)
	s.audit(ctx, p, "team.delete", "team:"+id.String(), map[string]any{"name": t.Name, "agents_unassigned": len(members)})
	return c.NoContent(http.StatusNoContent)
}

// teamMembers lists the team's agents (none when the directory fails:
// their live views then catch up at their next change).
func (s *Server) teamMembers(ctx context.Context, id dialer.TeamID) []dialer.AgentID {
	all, err := s.dir.ListAgents(ctx)
	if err != nil {
		s.log.Warn("could not list a team's agents", "team", id, "err", err)
		return nil
	}
	var out []dialer.AgentID
	for _, a := range all {
		if a.Team == id {
			out = append(out, a.ID)
		}
	}
	return out
}

// teamMembersChanged has the wall show the team's new name.
func (s *Server) teamMembersChanged(ctx context.Context, p *principal, id dialer.TeamID) {
	s.refreshSeats(ctx, p, s.teamMembers(ctx, id))
}

// refreshSeats hands the agents' records, read again, to the engine: the
// views of those logged in follow at once.
func (s *Server) refreshSeats(ctx context.Context, p *principal, ids []dialer.AgentID) {
	s.directoryRecords.forget()
	for _, id := range ids {
		a, err := s.dir.Agent(ctx, id)
		if err == nil {
			err = s.engine.AgentChanged(ctx, p.Actor, a)
		}
		if err != nil {
			s.log.Warn("agent's team changed but its live view was not updated", "agent", id, "err", err)
		}
	}
}
