package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// Pause codes: admins keep them, every workspace reads the active ones.

var errNoPauseCodes = newHTTPError(http.StatusServiceUnavailable, "not configured: pause code store")

// pauseCodes lists the codes an agent may pause with now ("codes") and
// their records ("pause_codes"): the active ones, and the inactive ones
// too for an admin.
func (s *Server) pauseCodes(c echo.Context, p *principal) error {
	ctx := c.Request().Context()
	codes, err := s.engine.PauseCodes(ctx)
	if err != nil {
		return err
	}
	records := []dialer.PauseCode{}
	if s.opts.PauseCodes == nil {
		for _, code := range codes {
			records = append(records, dialer.PauseCode{Code: code, Label: code, Active: true})
		}
	} else {
		all, err := s.opts.PauseCodes.ListPauseCodes(ctx)
		if err != nil {
			return err
		}
		for _, pc := range all {
			if pc.Active || p.Actor.Role.AtLeast(identity.RoleAdmin) {
				records = append(records, pc)
			}
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"codes": codes, "pause_codes": records})
}

type pauseCodeBody struct {
	Code       string  `json:"code"`
	Label      *string `json:"label"`
	Productive *bool   `json:"productive"`
	Active     *bool   `json:"active"`
	Sort       *int    `json:"sort"`
}

// apply sets the fields the body names.
func (b pauseCodeBody) apply(pc *dialer.PauseCode) {
	if b.Label != nil {
		pc.Label = *b.Label
	}
	if b.Productive != nil {
		pc.Productive = *b.Productive
	}
	if b.Active != nil {
		pc.Active = *b.Active
	}
	if b.Sort != nil {
		pc.Sort = *b.Sort
	}
}

// readPauseCode is the store and the request's body.
func (s *Server) readPauseCode(c echo.Context) (dialer.PauseCodeStore, pauseCodeBody, error) {
	var b pauseCodeBody
	if s.opts.PauseCodes == nil {
		return nil, b, errNoPauseCodes
	}
	err := decode(c, &b)
	return s.opts.PauseCodes, b, err
}

func pauseCodeTarget(code string) string { return "pause_code:" + code }

// createPauseCode adds a code, active unless the body says otherwise.
func (s *Server) createPauseCode(c echo.Context, p *principal) error {
	st, b, err := s.readPauseCode(c)
	if err != nil {
		return err
	}
	pc := dialer.PauseCode{Code: b.Code, Active: true}
	b.apply(&pc)
	if err := pc.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.CreatePauseCode(ctx, pc)
	if err != nil {
		return codeTaken(err)
	}
	s.pauseCodesChanged(ctx, p, "pause_code.create", out)
	return c.JSON(http.StatusCreated, out)
}

// patchPauseCode changes the fields in the body; the code itself stays.
func (s *Server) patchPauseCode(c echo.Context, p *principal) error {
	st, b, err := s.readPauseCode(c)
	if err != nil {
		return err
	}
	code := c.Param("code")
	if b.Code != "" && b.Code != code {
		return fieldErr("code", "cannot change; create a new code and deactivate this one")
	}
	ctx := c.Request().Context()
	pc, err := findPauseCode(ctx, st, code)
	if err != nil {
		return err
	}
	b.apply(&pc)
	if err := pc.Validate(); err != nil {
		return err
	}
	out, err := st.UpdatePauseCode(ctx, pc)
	if err != nil {
		return err
	}
	s.pauseCodesChanged(ctx, p, "pause_code.update", out)
	return c.JSON(http.StatusOK, out)
}

// deletePauseCode removes a code; agents paused with it stay paused.
func (s *Server) deletePauseCode(c echo.Context, p *principal) error {
	st := s.opts.PauseCodes
	if st == nil {
		return errNoPauseCodes
	}
	ctx := c.Request().Context()
	code := c.Param("code")
	if err := st.DeletePauseCode(ctx, code); err != nil {
		return err
	}
	s.pauseCodesChanged(ctx, p, "pause_code.delete", dialer.PauseCode{Code: code})
	return c.NoContent(http.StatusNoContent)
}

func findPauseCode(ctx context.Context, st dialer.PauseCodeStore, code string) (dialer.PauseCode, error) {
	all, err := st.ListPauseCodes(ctx)
	if err != nil {
		return dialer.PauseCode{}, err
	}
	for _, pc := range all {
		if pc.Code == code {
			return pc, nil
		}
	}
	return dialer.PauseCode{}, fmt.Errorf("pause code %q: %w", code, dialer.ErrNotFound)
}

// codeTaken answers a code that exists already.
func codeTaken(err error) error {
	if errors.Is(err, dialer.ErrConflict) {
		return &httpError{code: http.StatusConflict, msg: "that pause code exists", field: "code"}
	}
	return err
}

// pauseCodesChanged audits the change and has the engine's next pause
// read it.
func (s *Server) pauseCodesChanged(ctx context.Context, p *principal, action string, pc dialer.PauseCode) {
	s.engine.ReloadPauseCodes()
	data := map[string]any{"label": pc.Label, "active": pc.Active, "productive": pc.Productive}
	if action == "pause_code.delete" {
		data = nil
	}
	s.audit(ctx, p, action, pauseCodeTarget(pc.Code), data)
}
