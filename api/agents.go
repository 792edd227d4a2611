package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// agentParam reads the path's agent id and refuses an agent acting on
// another agent before anything else is asked.
func agentParam(c echo.Context, p *principal) (dialer.AgentID, error) {
	id, err := pathID[dialer.AgentID](c, "id")
	if err != nil {
		return 0, err
	}
	if !p.Actor.MayControl(id) {
		return 0, dialer.ErrForbidden
	}
	return id, nil
}

func (s *Server) listAgents(c echo.Context, _ *principal) error {
	views, err := s.engine.AgentViews(c.Request().Context())
	if err != nil {
		return err
	}
	if views == nil {
		views = []dialer.AgentView{}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": views})
}

func (s *Server) getAgent(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	v, err := s.engine.AgentView(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

type endpointBody struct {
	Kind      string `json:"kind"`
	Extension string `json:"extension"`
	Phone     string `json:"phone"`
}

// endpoint checks where a phone rings: a SIP extension (empty: the
// user's own seat), the browser softphone of the user's own seat, or a
// number through the gateway. All reach an originate. An empty phone is
// refused only when phoneRequired.
func (s *Server) endpoint(b *endpointBody, phoneRequired bool) (dialer.AgentEndpoint, error) {
	switch dialer.EndpointKind(b.Kind) {
	case dialer.EndpointSIP, "":
		if b.Phone != "" {
			return dialer.AgentEndpoint{}, fieldErr("endpoint.phone", "only with kind phone")
		}
		if b.Extension != "" && !dialer.ValidExtension(b.Extension) {
			return dialer.AgentEndpoint{}, fieldErr("endpoint.extension", "2-10 digits")
		}
		return dialer.AgentEndpoint{Kind: dialer.EndpointSIP, Extension: b.Extension}, nil
	case dialer.EndpointWebRTC:
		// The browser is on the user's own seat; the engine fills it in.
		if b.Phone != "" {
			return dialer.AgentEndpoint{}, fieldErr("endpoint.phone", "only with kind phone")
		}
		if b.Extension != "" && !dialer.ValidExtension(b.Extension) {
			return dialer.AgentEndpoint{}, fieldErr("endpoint.extension", "2-10 digits")
		}
		return dialer.AgentEndpoint{Kind: dialer.EndpointWebRTC, Extension: b.Extension}, nil
	case dialer.EndpointPhone:
		if b.Extension != "" {
			return dialer.AgentEndpoint{}, fieldErr("endpoint.extension", "only with kind sip or webrtc")
		}
		normalize := phone.NormalizeOptional
		if phoneRequired {
			normalize = phone.Normalize
		}
		phone, err := normalize("endpoint.phone", b.Phone, s.opts.DefaultCountry)
		if err != nil {
			return dialer.AgentEndpoint{}, err
		}
		return dialer.AgentEndpoint{Kind: dialer.EndpointPhone, Phone: phone}, nil
	default:
		return dialer.AgentEndpoint{}, fieldErr("endpoint.kind", "sip, webrtc or phone")
	}
}

type agentLoginBody struct {
	Endpoint *endpointBody `json:"endpoint"`
	Mode     string        `json:"mode"`
	Campaign int64         `json:"campaign_id"`
}

// loginRequest checks the body. An agent may use only its own SIP
// extension: leads must not be put through to a colleague's phone;
// supervisors may seat an agent anywhere.
func (s *Server) loginRequest(p *principal, b agentLoginBody) (dialer.LoginRequest, error) {
	r := dialer.LoginRequest{Endpoint: dialer.AgentEndpoint{Kind: dialer.EndpointSIP}, Mode: dialer.AgentMode(b.Mode),
		Campaign: dialer.CampaignID(b.Campaign)}
	if b.Mode != "" && !r.Mode.Valid() {
		return r, fieldErr("mode", "ring or persistent")
	}
	if b.Campaign < 0 {
		return r, fieldErr("campaign_id", "must be positive")
	}
	if b.Endpoint == nil {
		return r, nil
	}
	ep, err := s.endpoint(b.Endpoint, false)
	if err != nil {
		return r, err
	}
	if (ep.Kind == dialer.EndpointSIP || ep.Kind == dialer.EndpointWebRTC) && ep.Extension != "" && !p.Actor.Role.AtLeast(identity.RoleSupervisor) &&
		(p.Seat == nil || ep.Extension != p.Seat.Extension) {
		return r, fieldErr("endpoint.extension", "an agent logs in on its own extension")
	}
	r.Endpoint = ep
	return r, nil
}

func (s *Server) agentLogin(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b agentLoginBody
	if err := decode(c, &b); err != nil {
		return err
	}
	req, err := s.loginRequest(p, b)
	if err != nil {
		return err
	}
	v, err := s.engine.Login(c.Request().Context(), p.Actor, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) agentLogout(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.engine.Logout(ctx, p.Actor, id); err != nil {
		return err
	}
	if id != p.Actor.Agent {
		s.audit(ctx, p, "agent.force_logout", "agent:"+id.String(), nil)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) agentReady(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := s.engine.SetReady(ctx, p.Actor, id)
	if err != nil {
		return err
	}
	if id != p.Actor.Agent {
		s.audit(ctx, p, "agent.force_ready", "agent:"+id.String(), nil)
	}
	return c.JSON(http.StatusOK, v)
}

type pauseBody struct {
	Code string `json:"code"`
}

func (s *Server) agentPause(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b pauseBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Code == "" {
		return fieldErr("code", "required")
	}
	allowed, err := s.engine.PauseCodes(c.Request().Context())
	if err != nil {
		return err
	}
	if err := dialer.ValidatePauseCode(b.Code, allowed); err != nil {
		var fe *dialer.FieldError
		if errors.As(err, &fe) {
			return fieldErr("code", fe.Reason)
		}
		return err
	}
	ctx := c.Request().Context()
	v, err := s.engine.Pause(ctx, p.Actor, id, b.Code)
	if err != nil {
		return err
	}
	if id != p.Actor.Agent {
		s.audit(ctx, p, "agent.force_pause", "agent:"+id.String(), map[string]any{"code": b.Code})
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) agentHeartbeat(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	if err := s.engine.Heartbeat(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type dialBody struct {
	Number         string            `json:"number"`
	CallerIDNumber string            `json:"caller_id_number"`
	CallerIDName   string            `json:"caller_id_name"`
	CampaignID     dialer.CampaignID `json:"campaign_id"`
	LeadID         dialer.LeadID     `json:"lead_id"`
}

func (s *Server) agentDial(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b dialBody
	if err := decode(c, &b); err != nil {
		return err
	}
	req := dialer.ManualDialRequest{Campaign: b.CampaignID, Lead: b.LeadID}
	if req.Number, err = phone.Normalize("number", b.Number, s.opts.DefaultCountry); err != nil {
		return err
	}
	if req.CallerIDNumber, err = phone.NormalizeOptional("caller_id_number", b.CallerIDNumber, s.opts.DefaultCountry); err != nil {
		return err
	}
	if err := checkLabel("caller_id_name", b.CallerIDName, 64); err != nil {
		return err
	}
	req.CallerIDName = b.CallerIDName
	if b.CampaignID < 0 {
		return fieldErr("campaign_id", "must be positive")
	}
	if b.LeadID < 0 {
		return fieldErr("lead_id", "must be positive")
	}
	v, err := s.engine.ManualDial(c.Request().Context(), p.Actor, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// historyItem is one line of the workspace's History tab.
type historyItem struct {
	CallID      dialer.CallID        `json:"call_id"`
	Direction   dialer.CallDirection `json:"direction"`
	Number      string               `json:"number"`
	DurationSec int                  `json:"duration_sec"`
	Time        time.Time            `json:"time"`
	// Status is answered, missed or failed.
	Status      string             `json:"status"`
	Outcome     dialer.CallOutcome `json:"outcome"`
	Disposition string             `json:"disposition,omitempty"`
	Campaign    dialer.CampaignID  `json:"campaign_id,omitempty"`
	Lead        dialer.LeadID      `json:"lead_id,omitempty"`
	// Recording: GET /calls/{id}/recording has the call's recording.
	Recording bool `json:"recording,omitempty"`
}

// historyStatus folds outcomes into what the History tab shows.
func historyStatus(o dialer.CallOutcome) string {
	switch o {
	case dialer.OutcomeAnswered, dialer.OutcomeTransferFailed:
		return "answered" // a failed transfer was a conversation first
	case dialer.OutcomeFailed:
		return "failed"
	}
	return "missed"
}

// historyOf maps ended call records to history lines; live calls are on
// the call panel, not in the history. The calls are the viewer's own (or
// a supervisor's view of an agent's), so each recording may be played
// when recordings are served at all.
func historyOf(calls []dialer.Call, served bool) []historyItem {
	out := make([]historyItem, 0, len(calls))
	for _, c := range calls {
		if c.State != dialer.CallEnded {
			continue
		}
		num := c.ToNumber
		if c.Direction == dialer.Inbound {
			num = c.FromNumber
		}
		out = append(out, historyItem{
			CallID: c.ID, Direction: c.Direction, Number: num, DurationSec: c.Billsec, Time: c.CreatedAt,
			Status: historyStatus(c.Outcome), Outcome: c.Outcome, Disposition: c.Disposition,
			Campaign: c.Campaign, Lead: c.Lead, Recording: served && c.RecordingPath != "",
		})
	}
	return out
}

func (s *Server) agentHistory(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 50, 500)
	if err != nil {
		return err
	}
	f := dialer.CallFilter{Agent: id, Limit: limit}
	if b := c.QueryParam("before"); b != "" {
		if f.Before, err = callIDParam("before", b); err != nil {
			return err
		}
	}
	calls, err := s.calls.ListCalls(c.Request().Context(), f)
	if err != nil {
		return err
	}
	resp := map[string]any{"calls": historyOf(calls, s.opts.RecordingsDir != "")}
	if len(calls) == limit {
		resp["next_before"] = calls[len(calls)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// agentCampaigns lists the campaigns the agent may choose.
func (s *Server) agentCampaigns(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	list, err := s.engine.AgentCampaigns(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": list})
}

// agentCampaign moves the agent to another campaign between calls.
func (s *Server) agentCampaign(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b struct {
		Campaign int64 `json:"campaign_id"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Campaign <= 0 {
		return fieldErr("campaign_id", "required, a campaign's id")
	}
	v, err := s.engine.SetCampaign(c.Request().Context(), p.Actor, id, dialer.CampaignID(b.Campaign))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// previewDial dials the lead the agent previews.
func (s *Server) previewDial(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	v, err := s.engine.PreviewDial(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// previewSkip passes over the previewed lead, with the agent's reason.
func (s *Server) previewSkip(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, 200); err != nil {
		return err
	}
	if strings.TrimSpace(b.Reason) == "" {
		return fieldErr("reason", "required: say why the lead is skipped")
	}
	v, err := s.engine.PreviewSkip(c.Request().Context(), p.Actor, id, b.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
