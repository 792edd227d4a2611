package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// Provisioning: agents' SIP accounts, carrier gateways and inbound numbers.
// FreeSWITCH reads them from the service over mod_xml_curl; the Provisioner
// (package pbx) validates and stores a change and tells FreeSWITCH. Every
// answer to a change says what FreeSWITCH was told (dialer.ReloadResult):
// a failed reload never undoes the stored change, so the answer stays 2xx.

// Provisioner is what the provisioning routes call; *pbx.Service provides
// it.
type Provisioner interface {
	AgentChanged(ctx context.Context, before, after dialer.Agent, passwordChanged bool) dialer.ReloadResult

	ListGateways(ctx context.Context) ([]dialer.Gateway, error)
	Gateway(ctx context.Context, id dialer.GatewayID) (dialer.Gateway, error)
	CreateGateway(ctx context.Context, p dialer.GatewayPatch) (dialer.Gateway, dialer.ReloadResult, error)
	UpdateGateway(ctx context.Context, id dialer.GatewayID, p dialer.GatewayPatch) (before, after dialer.Gateway, r dialer.ReloadResult, err error)
	DeleteGateway(ctx context.Context, id dialer.GatewayID) (dialer.Gateway, dialer.ReloadResult, error)

	ListDIDs(ctx context.Context) ([]dialer.DID, error)
	DID(ctx context.Context, number string) (dialer.DID, error)
	CreateDID(ctx context.Context, d dialer.DID) (dialer.DID, dialer.ReloadResult, error)
	UpdateDID(ctx context.Context, number string, p dialer.DIDPatch) (dialer.DID, dialer.ReloadResult, error)
	DeleteDID(ctx context.Context, number string) (dialer.ReloadResult, error)
}

var errNoPBX = newHTTPError(http.StatusServiceUnavailable, "not configured: PBX store")

func (s *Server) pbx() (Provisioner, error) {
	if s.opts.PBX == nil {
		return nil, errNoPBX
	}
	return s.opts.PBX, nil
}

// ---- agents' SIP accounts

type patchAgentBody struct {
	Name          *string              `json:"name"`
	Extension     *string              `json:"extension"`
	SIPPassword   *string              `json:"sip_password"`
	ExternalPhone *string              `json:"external_phone"`
	Mode          *string              `json:"mode"`
	Disabled      *bool                `json:"disabled"`
	Skills        *[]string            `json:"skills"`
	Campaigns     *[]dialer.CampaignID `json:"campaigns"`
	// UserID and TeamID 0 unlink.
	UserID *identity.UserID `json:"user_id"`
	TeamID *dialer.TeamID   `json:"team_id"`
}

// apply sets the fields the body names, but the phone and password.
func (b patchAgentBody) apply(a *dialer.Agent) {
	if b.Name != nil {
		a.Name = *b.Name
	}
	if b.Extension != nil {
		a.Extension = *b.Extension
	}
	if b.Mode != nil {
		a.Mode = dialer.AgentMode(*b.Mode)
	}
	if b.Disabled != nil {
		a.Disabled = *b.Disabled
	}
	if b.Skills != nil {
		a.Skills = append([]string{}, *b.Skills...)
	}
	if b.Campaigns != nil {
		a.Campaigns = append([]dialer.CampaignID{}, *b.Campaigns...)
	}
	if b.UserID != nil {
		a.User = *b.UserID
	}
	if b.TeamID != nil {
		a.Team = *b.TeamID
	}
}

// agentAnswer is an agent seat after a change.
type agentAnswer struct {
	dialer.Agent
	Reload dialer.ReloadResult `json:"reload"`
}

// patchAgent changes a seat's SIP account (the store recomputes the
// digest hash) and routing fields, then has FreeSWITCH drop the cached
// directory entry and, when the credentials changed or the seat was
// disabled, the phone's registration.
func (s *Server) patchAgent(c echo.Context, p *principal) error {
	id, err := pathID[dialer.AgentID](c, "id")
	if err != nil {
		return err
	}
	var b patchAgentBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	before, err := s.dir.Agent(ctx, id)
	if err != nil {
		return err
	}
	a := before
	b.apply(&a)
	if b.ExternalPhone != nil {
		if a.ExternalPhone, err = phone.NormalizeOptional("external_phone", *b.ExternalPhone, s.opts.DefaultCountry); err != nil {
			return err
		}
	}
	if err := a.Validate(); err != nil {
		return err
	}
	password := ""
	if b.SIPPassword != nil {
		if err := identity.ValidatePassword("sip_password", *b.SIPPassword); err != nil {
			return err
		}
		password = *b.SIPPassword
	}
	if a.Extension != before.Extension && password == "" {
		return fieldErr("sip_password", "required when the extension changes (the digest hash covers it)")
	}
	if err := s.checkSeatLinks(ctx, before, a); err != nil {
		return err
	}
	out, err := s.dir.UpdateAgent(ctx, a, password)
	if err != nil {
		return s.seatConflict(ctx, a, err)
	}
	r := dialer.ReloadResult{Status: dialer.ReloadSkipped}
	if s.opts.PBX != nil {
		r = s.opts.PBX.AgentChanged(ctx, before, out, password != "")
	}
	// A logged-in agent's calls follow the change at once.
	if err := s.engine.AgentChanged(ctx, p.Actor, out); err != nil {
		s.log.Warn("agent changed but its session was not updated", "agent", id, "err", err)
	}
	s.directoryRecords.forget()
	s.audit(ctx, p, "agent.update", "agent:"+id.String(), map[string]any{
		"extension": out.Extension, "previous_extension": before.Extension, "disabled": out.Disabled,
		"sip_password_changed": password != "", "external_phone_changed": out.ExternalPhone != before.ExternalPhone,
		"user_id": out.User, "team_id": out.Team, "reload": r.Status,
	})
	return c.JSON(http.StatusOK, agentAnswer{Agent: out, Reload: r})
}

// ---- gateways

// gatewayView never carries the password; HasPassword says whether one is
// stored.
type gatewayView struct {
	dialer.Gateway
	HasPassword bool                 `json:"has_password"`
	Reload      *dialer.ReloadResult `json:"reload,omitempty"`
}

func viewGateway(g dialer.Gateway, r *dialer.ReloadResult) gatewayView {
	return gatewayView{Gateway: g, HasPassword: g.Password != "", Reload: r}
}

func gatewayAudit(g dialer.Gateway, passwordChanged bool, r dialer.ReloadResult) map[string]any {
	return map[string]any{"name": g.Name, "proxy": g.Proxy, "username": g.Username, "register": g.Register,
		"enabled": g.Enabled, "password_changed": passwordChanged, "reload": r.Status}
}

// gatewayTaken answers a name another gateway has.
func gatewayTaken(err error) error {
	if errors.Is(err, dialer.ErrConflict) {
		return &httpError{code: http.StatusConflict, msg: "a gateway has that name", field: "name"}
	}
	return err
}

func (s *Server) listGateways(c echo.Context, _ *principal) error {
	pv, err := s.pbx()
	if err != nil {
		return err
	}
	l, err := pv.ListGateways(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]gatewayView, 0, len(l))
	for _, g := range l {
		out = append(out, viewGateway(g, nil))
	}
	return c.JSON(http.StatusOK, map[string]any{"gateways": out})
}

func (s *Server) gatewayParam(c echo.Context) (Provisioner, dialer.GatewayID, error) {
	pv, err := s.pbx()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID[dialer.GatewayID](c, "id")
	return pv, id, err
}

func (s *Server) getGateway(c echo.Context, _ *principal) error {
	pv, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	g, err := pv.Gateway(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewGateway(g, nil))
}

func (s *Server) createGateway(c echo.Context, p *principal) error {
	pv, err := s.pbx()
	if err != nil {
		return err
	}
	var b dialer.GatewayPatch
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, r, err := pv.CreateGateway(ctx, b)
	if err != nil {
		return gatewayTaken(err)
	}
	s.audit(ctx, p, "gateway.create", "gateway:"+out.ID.String(), gatewayAudit(out, out.Password != "", r))
	return c.JSON(http.StatusCreated, viewGateway(out, &r))
}

// patchGateway changes a gateway; the answer to {} repeats the reload.
func (s *Server) patchGateway(c echo.Context, p *principal) error {
	pv, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	var b dialer.GatewayPatch
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	before, out, r, err := pv.UpdateGateway(ctx, id, b)
	if err != nil {
		return gatewayTaken(err)
	}
	data := gatewayAudit(out, out.Password != before.Password, r)
	data["previous_name"] = before.Name
	s.audit(ctx, p, "gateway.update", "gateway:"+out.ID.String(), data)
	return c.JSON(http.StatusOK, viewGateway(out, &r))
}

// deleteAnswer is the answer to deleting provisioning: what FreeSWITCH
// was told.
type deleteAnswer struct {
	Reload dialer.ReloadResult `json:"reload"`
}

func (s *Server) deleteGateway(c echo.Context, p *principal) error {
	pv, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, r, err := pv.DeleteGateway(ctx, id)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "gateway.delete", "gateway:"+g.ID.String(), map[string]any{"name": g.Name, "reload": r.Status})
	return c.JSON(http.StatusOK, deleteAnswer{Reload: r})
}

// ---- inbound numbers (DIDs)

type createDIDBody struct {
	Number     string            `json:"number"`
	Name       string            `json:"name"`
	Queue      string            `json:"queue"`
	CampaignID dialer.CampaignID `json:"campaign_id"`
	Priority   int               `json:"priority"`
	Skills     []string          `json:"skills"`
	Enabled    *bool             `json:"enabled"`
}

type didAnswer struct {
	dialer.DID
	Reload dialer.ReloadResult `json:"reload"`
}

// didAudit is what the audit log keeps of a DID written.
func didAudit(d dialer.DID) map[string]any {
	return map[string]any{"queue": d.Queue, "campaign_id": d.Campaign, "priority": d.Priority, "skills": d.Skills,
		"enabled": d.Enabled}
}

func (s *Server) listDIDs(c echo.Context, _ *principal) error {
	pv, err := s.pbx()
	if err != nil {
		return err
	}
	l, err := pv.ListDIDs(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dids": l})
}

func (s *Server) createDID(c echo.Context, p *principal) error {
	pv, err := s.pbx()
	if err != nil {
		return err
	}
	var b createDIDBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, r, err := pv.CreateDID(ctx, dialer.DID{Number: b.Number, Name: b.Name, Queue: b.Queue, Campaign: b.CampaignID,
		Priority: b.Priority, Skills: b.Skills, Enabled: b.Enabled == nil || *b.Enabled})
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "the number is already provisioned", field: "number"}
		}
		return err
	}
	s.audit(ctx, p, "did.create", "did:"+out.Number, didAudit(out))
	return c.JSON(http.StatusCreated, didAnswer{DID: out, Reload: r})
}

// didParam reads the path's DID: its E.164 number, the + optional (and
// %2B as well as a plain +).
func (s *Server) didParam(c echo.Context) (Provisioner, string, error) {
	pv, err := s.pbx()
	if err != nil {
		return nil, "", err
	}
	raw, err := url.PathUnescape(c.Param("id"))
	if err != nil {
		return nil, "", fieldErr("id", "an E.164 number such as +12125550100")
	}
	number, err := dialer.NormalizeDID(raw)
	if err != nil {
		return nil, "", fieldErr("id", "an E.164 number such as +12125550100")
	}
	return pv, number, nil
}

// patchDID changes a DID; campaign_id 0 and queue "" clear them. The
// number is its key (delete and create to change it).
func (s *Server) patchDID(c echo.Context, p *principal) error {
	pv, number, err := s.didParam(c)
	if err != nil {
		return err
	}
	var b dialer.DIDPatch
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, r, err := pv.UpdateDID(ctx, number, b)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "did.update", "did:"+out.Number, didAudit(out))
	return c.JSON(http.StatusOK, didAnswer{DID: out, Reload: r})
}

func (s *Server) deleteDID(c echo.Context, p *principal) error {
	pv, number, err := s.didParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := pv.DeleteDID(ctx, number)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "did.delete", "did:"+number, map[string]any{"reload": r.Status})
	return c.JSON(http.StatusOK, deleteAnswer{Reload: r})
}
