package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/pbx"
)

// Provisioning: agents' SIP accounts, carrier gateways and inbound numbers.
// FreeSWITCH reads them from the service over mod_xml_curl (package pbx);
// after each change it is told to forget what it holds (pbx.Reload).
//
// Every value that reaches the XML pbx serves is XML-escaped there
// (encoding/xml.EscapeText: < > & ' " and CR, LF, tab become entities),
// so no value can add elements or attributes. What FreeSWITCH itself reads
// as syntax inside a value is refused here instead: the dial-string and
// variable separators , | ; ^ { } [ ] < >, whitespace and line breaks (so
// also ${...} expansion). Gateway names also reach ESL commands
// (sofia profile ... killgw <name>), built by package esl's validators.

// Reload outcomes, in every answer to a provisioning change.
const (
	// reloadApplied: every FreeSWITCH node took the commands.
	reloadApplied = "applied"
	// reloadNotNeeded: nothing FreeSWITCH holds changed (a DID: the
	// dialplan is fetched on every call and not cached).
	reloadNotNeeded = "not_needed"
	// reloadSkipped: this service does not provision a FreeSWITCH (the
	// simulated switch, or no Switch wired).
	reloadSkipped = "skipped"
	// reloadFailed: the change is stored but FreeSWITCH was not told;
	// Error says why. Repeating the change tells it again (for a gateway,
	// a PATCH with {}).
	reloadFailed = "failed"
)

// reloadResult says whether FreeSWITCH was told about a change. A failed
// reload never undoes the stored change: the answer stays 2xx and says so
// here.
type reloadResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// defaultReloadTimeout bounds telling every node; each command has the
// switch client's own timeout as well.
const defaultReloadTimeout = 10 * time.Second

// reload tells the switch about ch. It runs after the change is
// committed, so a client hanging up does not cut it short.
func (s *Server) reload(ctx context.Context, ch pbx.Change) reloadResult {
	if len(ch.Agents) == 0 && len(ch.Gateways) == 0 && !ch.Rescan {
		return reloadResult{Status: reloadNotNeeded}
	}
	if s.opts.Switch == nil {
		return reloadResult{Status: reloadSkipped}
	}
	timeout := s.opts.ReloadTimeout
	if timeout <= 0 {
		timeout = defaultReloadTimeout
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := pbx.Reload(rctx, s.opts.Switch, ch); err != nil {
		s.log.Warn("provisioning stored, but FreeSWITCH was not told", "err", err)
		return reloadResult{Status: reloadFailed, Error: err.Error()}
	}
	return reloadResult{Status: reloadApplied}
}

var errNoPBX = newHTTPError(http.StatusServiceUnavailable, "not configured: PBX store")

func (s *Server) pbxStore() (dialer.PBXStore, error) {
	if s.opts.PBX == nil {
		return nil, errNoPBX
	}
	return s.opts.PBX, nil
}

// switchSyntax is what FreeSWITCH reads as syntax inside a value.
const switchSyntax = ",|;^{}[]<>"

// checkSwitchValue refuses a value FreeSWITCH could read as more than a
// value: control characters, spaces, non-ASCII and switchSyntax.
func checkSwitchValue(field, v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f {
			return fieldErr(field, "printable ASCII without spaces or line breaks")
		}
		if strings.IndexByte(switchSyntax, c) >= 0 {
			return fieldErr(field, "must not contain any of "+switchSyntax)
		}
	}
	return nil
}

// ---- agents' SIP accounts

type patchAgentBody struct {
	Name          *string `json:"name"`
	Extension     *string `json:"extension"`
	SIPPassword   *string `json:"sip_password"`
	ExternalPhone *string `json:"external_phone"`
	Mode          *string `json:"mode"`
	Disabled      *bool   `json:"disabled"`
}

// agentAnswer is an agent seat after a change.
type agentAnswer struct {
	dialer.Agent
	Reload reloadResult `json:"reload"`
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
		if err := dialer.ValidatePassword("sip_password", *b.SIPPassword); err != nil {
			return err
		}
		password = *b.SIPPassword
	}
	extChanged := a.Extension != before.Extension
	if extChanged && password == "" {
		return fieldErr("sip_password", "required when the extension changes (the digest hash covers it)")
	}
	out, err := s.dir.UpdateAgent(ctx, a, password)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "the extension is taken", field: "extension"}
		}
		return err
	}
	var ch pbx.Change
	if extChanged || password != "" || out.Disabled != before.Disabled {
		ch.Agents = append(ch.Agents, pbx.AgentChange{Extension: before.Extension, Domain: before.Realm,
			Unregister: extChanged || password != "" || out.Disabled})
		if extChanged {
			ch.Agents = append(ch.Agents, pbx.AgentChange{Extension: out.Extension, Domain: out.Realm})
		}
	}
	r := s.reload(ctx, ch)
	// A logged-in agent's calls follow the change at once.
	if err := s.engine.AgentChanged(ctx, p.Actor, out); err != nil {
		s.log.Warn("agent changed but its session was not updated", "agent", id, "err", err)
	}
	s.audit(ctx, p, "agent.update", "agent:"+id.String(), map[string]any{
		"extension": out.Extension, "previous_extension": before.Extension, "disabled": out.Disabled,
		"sip_password_changed": password != "", "external_phone_changed": out.ExternalPhone != before.ExternalPhone,
		"reload": r.Status,
	})
	return c.JSON(http.StatusOK, agentAnswer{Agent: out, Reload: r})
}

// ---- gateways

// gatewayBody is both the create and the change body: a field left out
// keeps its value (its default on create).
type gatewayBody struct {
	Name          *string `json:"name"`
	Proxy         *string `json:"proxy"`
	Realm         *string `json:"realm"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Register      *bool   `json:"register"`
	Transport     *string `json:"transport"`
	FromUser      *string `json:"from_user"`
	FromDomain    *string `json:"from_domain"`
	ExpireSeconds *int    `json:"expire_seconds"`
	PingSeconds   *int    `json:"ping_seconds"`
	Enabled       *bool   `json:"enabled"`
}

func (b gatewayBody) apply(g *dialer.Gateway) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&g.Name, b.Name)
	set(&g.Proxy, b.Proxy)
	set(&g.Realm, b.Realm)
	set(&g.Username, b.Username)
	set(&g.Transport, b.Transport)
	set(&g.FromUser, b.FromUser)
	set(&g.FromDomain, b.FromDomain)
	if b.Password != nil && *b.Password != "" {
		g.Password = *b.Password
	}
	if b.Register != nil {
		g.Register = *b.Register
	}
	if b.ExpireSeconds != nil {
		g.ExpireSeconds = *b.ExpireSeconds
	}
	if b.PingSeconds != nil {
		g.PingSeconds = *b.PingSeconds
	}
	if b.Enabled != nil {
		g.Enabled = *b.Enabled
	}
}

// check adds to Gateway.Validate what the switch needs: a name the
// ESL command builders take, and a new password without switch syntax.
func (b gatewayBody) check(g dialer.Gateway) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := esl.ValidateName("name", g.Name); err != nil {
		return fieldErr("name", "must start with a letter or digit")
	}
	if b.Password != nil {
		return checkSwitchValue("password", *b.Password)
	}
	return nil
}

// gatewayView never carries the password; HasPassword says whether one is
// stored.
type gatewayView struct {
	dialer.Gateway
	HasPassword bool          `json:"has_password"`
	Reload      *reloadResult `json:"reload,omitempty"`
}

func viewGateway(g dialer.Gateway, r *reloadResult) gatewayView {
	return gatewayView{Gateway: g, HasPassword: g.Password != "", Reload: r}
}

func gatewayAudit(g dialer.Gateway, passwordChanged bool, r reloadResult) map[string]any {
	return map[string]any{"name": g.Name, "proxy": g.Proxy, "username": g.Username, "register": g.Register,
		"enabled": g.Enabled, "password_changed": passwordChanged, "reload": r.Status}
}

func (s *Server) listGateways(c echo.Context, _ *principal) error {
	st, err := s.pbxStore()
	if err != nil {
		return err
	}
	l, err := st.ListGateways(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]gatewayView, 0, len(l))
	for _, g := range l {
		out = append(out, viewGateway(g, nil))
	}
	return c.JSON(http.StatusOK, map[string]any{"gateways": out})
}

func (s *Server) gatewayParam(c echo.Context) (dialer.PBXStore, dialer.GatewayID, error) {
	st, err := s.pbxStore()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID[dialer.GatewayID](c, "id")
	return st, id, err
}

func (s *Server) getGateway(c echo.Context, _ *principal) error {
	st, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	g, err := st.Gateway(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewGateway(g, nil))
}

func (s *Server) createGateway(c echo.Context, p *principal) error {
	st, err := s.pbxStore()
	if err != nil {
		return err
	}
	var b gatewayBody
	if err := decode(c, &b); err != nil {
		return err
	}
	g := dialer.Gateway{Transport: "udp", ExpireSeconds: 600, Enabled: true}
	b.apply(&g)
	if err := b.check(g); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.CreateGateway(ctx, g)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "a gateway has that name", field: "name"}
		}
		return err
	}
	// killgw first: a gateway of that name may linger in sofia from
	// before (a failed reload); a missing one is fine.
	r := s.reload(ctx, pbx.Change{Gateways: []string{out.Name}})
	s.audit(ctx, p, "gateway.create", "gateway:"+out.ID.String(), gatewayAudit(out, out.Password != "", r))
	return c.JSON(http.StatusCreated, viewGateway(out, &r))
}

// patchGateway changes a gateway; sofia cannot change a running gateway,
// so it is killed (by its old and new name) and the profile rescanned.
// The answer to {} repeats the reload.
func (s *Server) patchGateway(c echo.Context, p *principal) error {
	st, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	var b gatewayBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	before, err := st.Gateway(ctx, id)
	if err != nil {
		return err
	}
	g := before
	b.apply(&g)
	if err := b.check(g); err != nil {
		return err
	}
	out, err := st.UpdateGateway(ctx, g)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "a gateway has that name", field: "name"}
		}
		return err
	}
	names := []string{before.Name}
	if out.Name != before.Name {
		names = append(names, out.Name)
	}
	r := s.reload(ctx, pbx.Change{Gateways: names})
	data := gatewayAudit(out, out.Password != before.Password, r)
	data["previous_name"] = before.Name
	s.audit(ctx, p, "gateway.update", "gateway:"+out.ID.String(), data)
	return c.JSON(http.StatusOK, viewGateway(out, &r))
}

// deleteAnswer is the answer to deleting provisioning: what FreeSWITCH
// was told.
type deleteAnswer struct {
	Reload reloadResult `json:"reload"`
}

func (s *Server) deleteGateway(c echo.Context, p *principal) error {
	st, id, err := s.gatewayParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, err := st.Gateway(ctx, id)
	if err != nil {
		return err
	}
	if err := st.DeleteGateway(ctx, g.ID); err != nil {
		return err
	}
	r := s.reload(ctx, pbx.Change{Gateways: []string{g.Name}})
	s.audit(ctx, p, "gateway.delete", "gateway:"+g.ID.String(), map[string]any{"name": g.Name, "reload": r.Status})
	return c.JSON(http.StatusOK, deleteAnswer{Reload: r})
}

// ---- inbound numbers (DIDs)

type createDIDBody struct {
	Number     string            `json:"number"`
	Name       string            `json:"name"`
	Queue      string            `json:"queue"`
	CampaignID dialer.CampaignID `json:"campaign_id"`
	Enabled    *bool             `json:"enabled"`
}

// patchDIDBody has no number: it is the DID's key (delete and create to
// change it). campaign_id 0 and queue "" clear them.
type patchDIDBody struct {
	Name       *string            `json:"name"`
	Queue      *string            `json:"queue"`
	CampaignID *dialer.CampaignID `json:"campaign_id"`
	Enabled    *bool              `json:"enabled"`
}

type didAnswer struct {
	dialer.DID
	Reload reloadResult `json:"reload"`
}

// checkDID validates what the store does, plus that the campaign exists.
func (s *Server) checkDID(ctx context.Context, d dialer.DID) error {
	if err := checkText("name", d.Name, 128); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Campaign != 0 {
		if _, err := s.campaigns.Campaign(ctx, d.Campaign); err != nil {
			if errors.Is(err, dialer.ErrNotFound) {
				return fieldErr("campaign_id", "no such campaign")
			}
			return err
		}
	}
	return nil
}

// didChange: a DID needs no reload. mod_xml_curl asks for the dialplan
// of every inbound call and FreeSWITCH does not cache it (only directory
// users can be cached, and pbx marks none cacheable).
var didChange = pbx.Change{}

func (s *Server) listDIDs(c echo.Context, _ *principal) error {
	st, err := s.pbxStore()
	if err != nil {
		return err
	}
	l, err := st.ListDIDs(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []dialer.DID{}
	}
	return c.JSON(http.StatusOK, map[string]any{"dids": l})
}

func (s *Server) createDID(c echo.Context, p *principal) error {
	st, err := s.pbxStore()
	if err != nil {
		return err
	}
	var b createDIDBody
	if err := decode(c, &b); err != nil {
		return err
	}
	d := dialer.DID{Name: b.Name, Queue: b.Queue, Campaign: b.CampaignID, Enabled: b.Enabled == nil || *b.Enabled}
	if d.Number, err = phone.Normalize("number", b.Number, s.opts.DefaultCountry); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.checkDID(ctx, d); err != nil {
		return err
	}
	out, err := st.CreateDID(ctx, d)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "the number is already provisioned", field: "number"}
		}
		return err
	}
	r := s.reload(ctx, didChange)
	s.audit(ctx, p, "did.create", "did:"+out.Number, map[string]any{"queue": out.Queue, "campaign_id": out.Campaign, "enabled": out.Enabled})
	return c.JSON(http.StatusCreated, didAnswer{DID: out, Reload: r})
}

// didParam reads the path's DID: its E.164 number, the + optional (and
// %2B as well as a plain +).
func (s *Server) didParam(c echo.Context) (dialer.PBXStore, string, error) {
	st, err := s.pbxStore()
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
	return st, number, nil
}

func (s *Server) patchDID(c echo.Context, p *principal) error {
	st, number, err := s.didParam(c)
	if err != nil {
		return err
	}
	var b patchDIDBody
	if err := decode(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := st.DID(ctx, number)
	if err != nil {
		return err
	}
	if b.Name != nil {
		d.Name = *b.Name
	}
	if b.Queue != nil {
		d.Queue = *b.Queue
	}
	if b.CampaignID != nil {
		d.Campaign = *b.CampaignID
	}
	if b.Enabled != nil {
		d.Enabled = *b.Enabled
	}
	if err := s.checkDID(ctx, d); err != nil {
		return err
	}
	out, err := st.UpdateDID(ctx, d)
	if err != nil {
		return err
	}
	r := s.reload(ctx, didChange)
	s.audit(ctx, p, "did.update", "did:"+out.Number, map[string]any{"queue": out.Queue, "campaign_id": out.Campaign, "enabled": out.Enabled})
	return c.JSON(http.StatusOK, didAnswer{DID: out, Reload: r})
}

func (s *Server) deleteDID(c echo.Context, p *principal) error {
	st, number, err := s.didParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.DeleteDID(ctx, number); err != nil {
		return err
	}
	r := s.reload(ctx, didChange)
	s.audit(ctx, p, "did.delete", "did:"+number, map[string]any{"reload": r.Status})
	return c.JSON(http.StatusOK, deleteAnswer{Reload: r})
}
