package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// listParam is the store and the path's list id of the /lists/{id} routes.
func (s *Server) listParam(c echo.Context) (ImportStore, leadimport.ListID, error) {
	st, err := s.importStore()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID[leadimport.ListID](c, "id")
	return st, id, err
}

// getLeadList answers a list with its leads counted by status.
func (s *Server) getLeadList(c echo.Context, _ *principal) error {
	st, id, err := s.listParam(c)
	if err != nil {
		return err
	}
	out, err := st.LeadListSummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// patchLeadList renames a list or switches it on or off: the leads of a
// list switched off stay but are not dialed.
func (s *Server) patchLeadList(c echo.Context, p *principal) error {
	st, id, err := s.listParam(c)
	if err != nil {
		return err
	}
	var b leadimport.ListPatch
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Name == nil && b.Active == nil {
		return fieldErr("body", "give name, active or both")
	}
	if b.Name != nil {
		if err := checkText("name", *b.Name, 128); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	out, err := st.UpdateLeadList(ctx, id, b)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "list.update", listTarget(id), map[string]any{"name": out.Name, "active": out.Active})
	return c.JSON(http.StatusOK, out)
}

// deleteLeadList removes a list: its leads never called go, the others
// stay in the campaign without a list.
func (s *Server) deleteLeadList(c echo.Context, p *principal) error {
	st, id, err := s.listParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.DeleteLeadList(ctx, id)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "list.delete", listTarget(id), map[string]any{"deleted": out.Deleted, "detached": out.Detached})
	return c.JSON(http.StatusOK, out)
}

func listTarget(id leadimport.ListID) string { return "list:" + strconv.FormatInt(int64(id), 10) }
