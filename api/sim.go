package api

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// SimSwitch places callers on the service's built-in simulated switch, so
// inbound numbers and queues can be tried without a phone line. Package
// main provides it only when it runs the simulator.
type SimSwitch interface {
	// Call places a caller on did, which runs the dialplan FreeSWITCH
	// would be given for it; it returns the caller's leg.
	Call(did dialer.DID, c SimCall) (leg string, err error)
	// Hangup ends a caller Call placed (the caller hanging up); false
	// when there is no such caller still on the line.
	Hangup(leg string) bool
}

// SimCall is a simulated caller.
type SimCall struct {
	From, Name string
	// HangupAfter makes the caller hang up this long after the answer;
	// 0 stays on the line.
	HangupAfter time.Duration
}

// MaxSimCallSeconds bounds hangup_after_seconds.
const MaxSimCallSeconds = 3600

var (
	errNoSim = newHTTPError(http.StatusNotFound, "simulated callers exist only on the built-in simulated switch (no AGENTSWITCH_ESL_ADDR)")
	// Caller numbers as a carrier sends them: E.164 or bare digits.
	simFrom = regexp.MustCompile(`^\+?[0-9]{2,15}$`)
	// Legs are the simulator's UUIDs.
	simLeg = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)
)

type simCallBody struct {
	To                 string `json:"to"`
	From               string `json:"from"`
	Name               string `json:"name"`
	HangupAfterSeconds int    `json:"hangup_after_seconds"`
}

// startSimCall places a simulated caller on a provisioned, enabled DID.
func (s *Server) startSimCall(c echo.Context, p *principal) error {
	if s.opts.Sim == nil {
		return errNoSim
	}
	pv, err := s.pbx()
	if err != nil {
		return err
	}
	var b simCallBody
	if err := decode(c, &b); err != nil {
		return err
	}
	to, err := dialer.NormalizeDID(b.To)
	if err != nil {
		return fieldErr("to", "a provisioned DID, E.164 such as +12125550100")
	}
	if !simFrom.MatchString(b.From) {
		return fieldErr("from", "the caller's number: E.164 or 2-15 digits")
	}
	if err := checkLabel("name", b.Name, 64); err != nil {
		return err
	}
	if b.HangupAfterSeconds < 0 || b.HangupAfterSeconds > MaxSimCallSeconds {
		return fieldErr("hangup_after_seconds", "0 (stay on the line) to 3600")
	}
	ctx := c.Request().Context()
	d, err := pv.DID(ctx, to)
	if errors.Is(err, dialer.ErrNotFound) {
		return &httpError{code: http.StatusNotFound, msg: "no DID " + to + " is provisioned", field: "to"}
	}
	if err != nil {
		return err
	}
	if !d.Enabled {
		return fieldErr("to", "the DID "+to+" is disabled")
	}
	leg, err := s.opts.Sim.Call(d, SimCall{From: b.From, Name: b.Name, HangupAfter: time.Duration(b.HangupAfterSeconds) * time.Second})
	if err != nil {
		return err
	}
	s.audit(ctx, p, "sim.call", "did:"+d.Number, map[string]any{"leg": leg, "from": b.From})
	return c.JSON(http.StatusCreated, map[string]any{"leg": leg, "to": d.Number, "from": b.From})
}

// hangupSimCall makes a simulated caller hang up, as one abandoning the
// queue does.
func (s *Server) hangupSimCall(c echo.Context, p *principal) error {
	if s.opts.Sim == nil {
		return errNoSim
	}
	leg := c.Param("leg")
	if !simLeg.MatchString(leg) {
		return fieldErr("leg", "a leg returned by POST /sim/calls")
	}
	if !s.opts.Sim.Hangup(leg) {
		return &httpError{code: http.StatusNotFound, msg: "no simulated caller " + leg + " is on the line", field: "leg"}
	}
	s.audit(c.Request().Context(), p, "sim.hangup", "leg:"+leg, nil)
	return c.NoContent(http.StatusNoContent)
}
