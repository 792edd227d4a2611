package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// recentCall is how long after a call its agent may still read and edit
// the lead (notes after the wrap-up, a callback the next morning).
const recentCall = 24 * time.Hour

// leadAccess lets supervisors reach any lead, and an agent the lead of
// one of its live or recent calls, of the call it wraps up, or the lead it
// previews: it reads it before deciding to dial.
func (s *Server) leadAccess(ctx context.Context, p *principal, id dialer.LeadID) error {
	if p.Actor.Role.AtLeast(identity.RoleSupervisor) {
		return nil
	}
	if p.Actor.Agent == 0 {
		return dialer.ErrForbidden
	}
	for _, v := range s.engine.LiveCalls(ctx) {
		if v.Lead == id && involves(v, p.Actor.Agent) {
			return nil
		}
	}
	calls, err := s.calls.ListCalls(ctx, dialer.CallFilter{Agent: p.Actor.Agent, Lead: id, Since: s.now().Add(-recentCall), Limit: 1})
	if err != nil {
		return err
	}
	if len(calls) > 0 {
		return nil
	}
	if v, err := s.engine.AgentView(ctx, p.Actor.Agent); err == nil {
		if v.Preview != nil && v.Preview.Lead.ID == id {
			return nil
		}
		// The call the agent is on or wraps up: after a blind transfer it
		// is a colleague's, and not yet in the records.
		if v.Call != "" && s.callLead(ctx, v.Call) == id {
			return nil
		}
	}
	return dialer.ErrForbidden
}

// callLead is call id's lead, live or recorded; 0 when unknown.
func (s *Server) callLead(ctx context.Context, id dialer.CallID) dialer.LeadID {
	if v, err := s.engine.CallView(ctx, id); err == nil {
		return v.Lead
	}
	if rec, err := s.calls.Call(ctx, id); err == nil {
		return rec.Lead
	}
	return 0
}

func (s *Server) leadParam(c echo.Context, p *principal) (dialer.Lead, error) {
	id, err := pathID[dialer.LeadID](c, "id")
	if err != nil {
		return dialer.Lead{}, err
	}
	ctx := c.Request().Context()
	if err := s.leadAccess(ctx, p, id); err != nil {
		return dialer.Lead{}, err
	}
	return s.campaigns.Lead(ctx, id)
}

func (s *Server) getLead(c echo.Context, p *principal) error {
	l, err := s.leadParam(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// leadPatch is the lead panel's edit: absent fields stay; in custom, a
// null value removes the field.
type leadPatch struct {
	FirstName *string            `json:"first_name"`
	LastName  *string            `json:"last_name"`
	Email     *string            `json:"email"`
	TimeZone  *string            `json:"time_zone"`
	Custom    map[string]*string `json:"custom"`
}

func checkEmail(field, s string) error {
	if s == "" {
		return nil
	}
	if err := checkText(field, s, 128); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fieldErr(field, "an address such as ann@example.com")
	}
	return nil
}

func checkZone(field, s string) error {
	if s == "Local" || !dialer.ValidTimeZone(s) {
		return fieldErr(field, "an IANA zone such as America/New_York")
	}
	return nil
}

func (s *Server) patchLead(c echo.Context, p *principal) error {
	l, err := s.leadParam(c, p)
	if err != nil {
		return err
	}
	var b leadPatch
	if err := decode(c, &b); err != nil {
		return err
	}
	// Only the fields in the body change; a write made meanwhile (another
	// edit, the call's own record) is kept: the patch is applied again
	// over it.
	out, err := dialer.UpdateLeadWith(c.Request().Context(), s.campaigns, l, func(l *dialer.Lead) error { return b.apply(l) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// apply checks the patch and applies it to l.
func (b leadPatch) apply(l *dialer.Lead) error {
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"first_name", b.FirstName, &l.FirstName}, {"last_name", b.LastName, &l.LastName}} {
		if f.v != nil {
			if err := checkText(f.name, *f.v, 128); err != nil {
				return err
			}
			*f.dst = *f.v
		}
	}
	if b.Email != nil {
		if err := checkEmail("email", *b.Email); err != nil {
			return err
		}
		l.Email = *b.Email
	}
	if b.TimeZone != nil {
		if err := checkZone("time_zone", *b.TimeZone); err != nil {
			return err
		}
		l.TimeZone = *b.TimeZone
	}
	if len(b.Custom) > 0 {
		custom := make(map[string]string, len(l.Custom)+len(b.Custom))
		for k, v := range l.Custom {
			custom[k] = v
		}
		for k, v := range b.Custom {
			if !dialer.ValidFieldName(k) {
				return fieldErr("custom", "bad field name "+k+": 1-32 of [A-Za-z0-9_]")
			}
			if v == nil {
				delete(custom, k)
				continue
			}
			custom[k] = *v
		}
		if err := checkFields("custom", custom); err != nil {
			return err
		}
		l.Custom = custom
	}
	return l.Validate()
}

type createLeadBody struct {
	CampaignID dialer.CampaignID `json:"campaign_id"`
	Phone      string            `json:"phone"`
	Phone2     string            `json:"phone2"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	Email      string            `json:"email"`
	TimeZone   string            `json:"time_zone"`
	Custom     map[string]string `json:"custom"`
}

func (s *Server) createLead(c echo.Context, p *principal) error {
	var b createLeadBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.CampaignID <= 0 {
		return fieldErr("campaign_id", "required")
	}
	l := dialer.Lead{Campaign: b.CampaignID, FirstName: b.FirstName, LastName: b.LastName, Email: b.Email,
		TimeZone: b.TimeZone, Custom: b.Custom, Status: dialer.LeadNew}
	var err error
	if l.Phone, err = phone.Normalize("phone", b.Phone, s.opts.DefaultCountry); err != nil {
		return err
	}
	if l.Phone2, err = phone.NormalizeOptional("phone2", b.Phone2, s.opts.DefaultCountry); err != nil {
		return err
	}
	if err := checkEmail("email", b.Email); err != nil {
		return err
	}
	if err := checkZone("time_zone", b.TimeZone); err != nil {
		return err
	}
	if err := checkFields("custom", b.Custom); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.campaigns.Campaign(ctx, b.CampaignID); err != nil {
		if errors.Is(err, dialer.ErrNotFound) {
			return fieldErr("campaign_id", "no such campaign")
		}
		return err
	}
	out, err := s.campaigns.CreateLead(ctx, l)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// ---- campaigns

// listCampaigns lists the campaigns not archived; ?archived=true the
// archived ones, ?archived=all both.
func (s *Server) listCampaigns(c echo.Context, _ *principal) error {
	want := c.QueryParam("archived")
	if want != "" && want != "true" && want != "false" && want != "all" {
		return fieldErr("archived", "true, false or all")
	}
	l, err := s.campaigns.ListCampaigns(c.Request().Context())
	if err != nil {
		return err
	}
	out := []campaignView{}
	for _, cp := range l {
		if want == "all" || (want == "true") == !cp.ArchivedAt.IsZero() {
			out = append(out, viewCampaign(cp))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) getCampaign(c echo.Context, _ *principal) error {
	id, err := pathID[dialer.CampaignID](c, "id")
	if err != nil {
		return err
	}
	cp, err := s.campaigns.Campaign(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCampaign(cp))
}

type createCampaignBody struct {
	Name           string          `json:"name"`
	DialMode       string          `json:"dial_mode"`
	CallerID       string          `json:"caller_id"`
	AbandonMessage string          `json:"abandon_message"`
	Script         string          `json:"script"`
	WrapUpSeconds  int             `json:"wrapup_seconds"`
	MaxAttempts    *int            `json:"max_attempts"`
	Active         bool            `json:"active"`
	Settings       json.RawMessage `json:"settings"`
}

// soundPath is what a sound to play may look like: it reaches a switch
// command, so a plain relative path or a name, nothing else.
var soundPath = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$`)

func (s *Server) createCampaign(c echo.Context, p *principal) error {
	var b createCampaignBody
	if err := decode(c, &b); err != nil {
		return err
	}
	cp := dialer.Campaign{Name: b.Name, DialMode: dialer.DialMode(b.DialMode), AbandonMessage: b.AbandonMessage,
		Script: b.Script, WrapUpSeconds: b.WrapUpSeconds, MaxAttempts: 3, Active: b.Active, Settings: b.Settings}
	if b.MaxAttempts != nil {
		cp.MaxAttempts = *b.MaxAttempts
	}
	var err error
	if cp.CallerID, err = phone.NormalizeOptional("caller_id", b.CallerID, s.opts.DefaultCountry); err != nil {
		return err
	}
	if err := checkSound("abandon_message", b.AbandonMessage); err != nil {
		return err
	}
	if err := cp.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := s.campaigns.CreateCampaign(ctx, cp)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "campaign.create", "campaign:"+out.ID.String(), map[string]any{"name": out.Name})
	return c.JSON(http.StatusCreated, viewCampaign(out))
}

func containsDotDot(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == '.' {
			return true
		}
	}
	return false
}

// ---- dispositions

func (s *Server) listDispositions(c echo.Context, p *principal) error {
	all, err := s.campaigns.ListDispositions(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]dialer.Disposition, 0, len(all))
	for _, d := range all {
		if d.Selectable || p.Actor.Role.AtLeast(identity.RoleAdmin) {
			out = append(out, d)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"dispositions": out})
}

type dispositionBody struct {
	Code              string  `json:"code"`
	Label             *string `json:"label"`
	Selectable        *bool   `json:"selectable"`
	SchedulesCallback *bool   `json:"schedules_callback"`
	MarksDNC          *bool   `json:"marks_dnc"`
	Final             *bool   `json:"final"`
	Sort              *int    `json:"sort"`
}

// apply sets the fields the body names.
func (b dispositionBody) apply(d *dialer.Disposition) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	if b.Label != nil {
		d.Label = *b.Label
	}
	set(&d.Selectable, b.Selectable)
	set(&d.SchedulesCallback, b.SchedulesCallback)
	set(&d.MarksDNC, b.MarksDNC)
	set(&d.Final, b.Final)
	if b.Sort != nil {
		d.Sort = *b.Sort
	}
}

func dispositionAudit(d dialer.Disposition) map[string]any {
	return map[string]any{"label": d.Label, "selectable": d.Selectable, "schedules_callback": d.SchedulesCallback,
		"marks_dnc": d.MarksDNC, "final": d.Final, "sort": d.Sort}
}

func (s *Server) createDisposition(c echo.Context, p *principal) error {
	var b dispositionBody
	if err := decode(c, &b); err != nil {
		return err
	}
	d := dialer.Disposition{Code: b.Code, Selectable: true}
	b.apply(&d)
	if err := d.Validate(); err != nil {
		return err
	}
	if err := d.CheckFlags(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := s.campaigns.CreateDisposition(ctx, d)
	if err != nil {
		if errors.Is(err, dialer.ErrConflict) {
			return &httpError{code: http.StatusConflict, msg: "that disposition code exists", field: "code"}
		}
		return err
	}
	s.audit(ctx, p, "disposition.create", "disposition:"+out.Code, dispositionAudit(out))
	return c.JSON(http.StatusCreated, out)
}

// patchDisposition changes the fields in the body; the code stays (calls
// keep it).
func (s *Server) patchDisposition(c echo.Context, p *principal) error {
	var b dispositionBody
	if err := decode(c, &b); err != nil {
		return err
	}
	code := c.Param("code")
	if b.Code != "" && b.Code != code {
		return fieldErr("code", "cannot change; create a new code and stop offering this one")
	}
	ctx := c.Request().Context()
	d, err := s.campaigns.Disposition(ctx, code)
	if err != nil {
		return err
	}
	b.apply(&d)
	if err := d.Validate(); err != nil {
		return err
	}
	out, err := s.campaigns.UpdateDisposition(ctx, d)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "disposition.update", "disposition:"+out.Code, dispositionAudit(out))
	return c.JSON(http.StatusOK, out)
}

// deleteDisposition removes a code no call was given; system codes stay.
func (s *Server) deleteDisposition(c echo.Context, p *principal) error {
	ctx := c.Request().Context()
	code := c.Param("code")
	if err := s.campaigns.DeleteDisposition(ctx, code); err != nil {
		return err
	}
	s.audit(ctx, p, "disposition.delete", "disposition:"+code, nil)
	return c.NoContent(http.StatusNoContent)
}
