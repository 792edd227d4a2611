package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// callbackLead is the part of a lead the Callbacks page shows.
type callbackLead struct {
	ID        dialer.LeadID     `json:"id"`
	FirstName string            `json:"first_name,omitempty"`
	LastName  string            `json:"last_name,omitempty"`
	Phone     string            `json:"phone"`
	Phone2    string            `json:"phone2,omitempty"`
	Email     string            `json:"email,omitempty"`
	TimeZone  string            `json:"time_zone,omitempty"`
	Custom    map[string]string `json:"custom,omitempty"`
}

type callbackItem struct {
	dialer.Callback
	// DueLocal is DueAt on the callback's (the lead's) wall clock.
	DueLocal string        `json:"due_local"`
	Lead     *callbackLead `json:"lead"`
}

// dueLocal is a callback's due time on its (the lead's) wall clock.
func dueLocal(cb dialer.Callback) string {
	if loc, err := time.LoadLocation(cb.TimeZone); err == nil && cb.TimeZone != "" {
		return cb.DueAt.In(loc).Format(time.RFC3339)
	}
	return cb.DueAt.Format(time.RFC3339)
}

// callbackHorizon is how far ahead the list looks when due_before is not
// given: every scheduled callback, in practice.
const callbackHorizon = 2 * 366 * 24 * time.Hour

func (s *Server) listCallbacks(c echo.Context, p *principal) error {
	scope := c.QueryParam("scope")
	switch scope {
	case "", "mine":
		scope = "mine"
	case "all":
		if !p.Actor.Role.AtLeast(identity.RoleSupervisor) {
			return dialer.ErrForbidden
		}
	default:
		return fieldErr("scope", "mine or all")
	}
	if st := c.QueryParam("status"); st != "" && st != string(dialer.CallbackScheduled) {
		return fieldErr("status", "only scheduled callbacks are listed")
	}
	before, err := queryTime(c, "due_before")
	if err != nil {
		return err
	}
	if before.IsZero() {
		before = s.now().Add(callbackHorizon)
	}
	limit, err := queryLimit(c, 100, 500)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var agent dialer.AgentID
	if scope == "mine" {
		agent = p.Actor.Agent
	}
	var cbs []dialer.Callback
	if scope == "mine" && agent == 0 {
		// No seat: only anyone's callbacks are "mine".
		all, err := s.campaigns.DueCallbacks(ctx, before, 0, 1000)
		if err != nil {
			return err
		}
		for _, cb := range all {
			if cb.Agent == 0 && len(cbs) < limit {
				cbs = append(cbs, cb)
			}
		}
	} else if cbs, err = s.campaigns.DueCallbacks(ctx, before, agent, limit); err != nil {
		return err
	}
	out := make([]callbackItem, 0, len(cbs))
	leads := map[dialer.LeadID]*callbackLead{}
	for _, cb := range cbs {
		item := callbackItem{Callback: cb, DueLocal: dueLocal(cb)}
		l, ok := leads[cb.Lead]
		if !ok {
			lead, err := s.campaigns.Lead(ctx, cb.Lead)
			switch {
			case err == nil:
				l = &callbackLead{ID: lead.ID, FirstName: lead.FirstName, LastName: lead.LastName, Phone: lead.Phone,
					Phone2: lead.Phone2, Email: lead.Email, TimeZone: lead.TimeZone, Custom: lead.Custom}
			case !errors.Is(err, dialer.ErrNotFound):
				return err
			}
			leads[cb.Lead] = l
		}
		item.Lead = l
		out = append(out, item)
	}
	return c.JSON(http.StatusOK, map[string]any{"callbacks": out})
}

// callbackParam reads the path's callback and checks that p may take it:
// an agent takes its own callbacks and anyone's.
func (s *Server) callbackParam(c echo.Context, p *principal) (dialer.Callback, error) {
	id, err := pathID[dialer.CallbackID](c, "id")
	if err != nil {
		return dialer.Callback{}, err
	}
	cb, err := s.campaigns.Callback(c.Request().Context(), id)
	if err != nil {
		return dialer.Callback{}, err
	}
	if !p.Actor.Role.AtLeast(identity.RoleSupervisor) && (p.Actor.Agent == 0 || cb.Agent != 0 && cb.Agent != p.Actor.Agent) {
		return dialer.Callback{}, dialer.ErrForbidden
	}
	return cb, nil
}

func (s *Server) dialCallback(c echo.Context, p *principal) error {
	cb, err := s.callbackParam(c, p)
	if err != nil {
		return err
	}
	v, err := s.engine.DialCallback(c.Request().Context(), p.Actor, cb.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// doneCallback marks a callback done; the compare-and-set fails with 409
// if someone else changed it meanwhile.
func (s *Server) doneCallback(c echo.Context, p *principal) error {
	cb, err := s.callbackParam(c, p)
	if err != nil {
		return err
	}
	if cb.Status != dialer.CallbackScheduled && cb.Status != dialer.CallbackDialing {
		return newHTTPError(http.StatusConflict, "callback is "+string(cb.Status))
	}
	ctx := c.Request().Context()
	if err := s.campaigns.SetCallbackStatus(ctx, cb.ID, cb.Status, dialer.CallbackDone, s.now()); err != nil {
		return err
	}
	cb, err = s.campaigns.Callback(ctx, cb.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cb)
}
