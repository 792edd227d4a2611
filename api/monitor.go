package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// ---- supervisor monitoring (listen, whisper, barge)

type monitorBody struct {
	Mode     string        `json:"mode"`
	Endpoint *endpointBody `json:"endpoint"`
}

type monitorModeBody struct {
	Mode string `json:"mode"`
}

func monitorMode(raw string, required bool) (dialer.MonitorMode, error) {
	m := dialer.MonitorMode(raw)
	if raw == "" && !required {
		return dialer.MonitorListen, nil
	}
	if !m.Valid() {
		return "", fieldErr("mode", "listen, whisper or barge")
	}
	return m, nil
}

// monitorRequest checks the body. The supervisor's phone is a SIP
// extension (default: the supervisor's own seat) or a number through the
// gateway; either reaches the originate, so both are checked here.
func (s *Server) monitorRequest(b monitorBody) (dialer.MonitorRequest, error) {
	var r dialer.MonitorRequest
	var err error
	if r.Mode, err = monitorMode(b.Mode, false); err != nil {
		return r, err
	}
	r.Endpoint.Kind = dialer.EndpointSIP
	if b.Endpoint == nil {
		return r, nil
	}
	if r.Endpoint, err = s.endpoint(b.Endpoint, true); err != nil {
		return r, err
	}
	return r, nil
}

// callLegParams reads the call (one the principal may see) and the leg.
func (s *Server) callLegParams(c echo.Context, p *principal) (dialer.CallID, dialer.LegID, error) {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return "", "", err
	}
	leg, err := legParam(c)
	return id, leg, err
}

func legParam(c echo.Context) (dialer.LegID, error) {
	leg := dialer.LegID(strings.ToLower(c.Param("leg")))
	if !leg.Valid() {
		return "", fieldErr("leg", "must be a leg id (UUID)")
	}
	return leg, nil
}

// callMonitor rings the supervisor's phone into the call; the answer is
// the supervisor's leg, which the two routes below act on.
func (s *Server) callMonitor(c echo.Context, p *principal) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	var b monitorBody
	if err := decode(c, &b); err != nil {
		return err
	}
	r, err := s.monitorRequest(b)
	if err != nil {
		return err
	}
	pv, err := s.engine.Monitor(c.Request().Context(), p.Actor, id, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pv)
}

func (s *Server) callMonitorMode(c echo.Context, p *principal) error {
	id, leg, err := s.callLegParams(c, p)
	if err != nil {
		return err
	}
	var b monitorModeBody
	if err := decode(c, &b); err != nil {
		return err
	}
	mode, err := monitorMode(b.Mode, true)
	if err != nil {
		return err
	}
	if err := s.engine.MonitorMode(c.Request().Context(), p.Actor, id, leg, mode); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) callStopMonitor(c echo.Context, p *principal) error {
	id, leg, err := s.callLegParams(c, p)
	if err != nil {
		return err
	}
	if err := s.engine.StopMonitor(c.Request().Context(), p.Actor, id, leg); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
