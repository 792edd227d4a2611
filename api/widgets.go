package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/hours"
)

// The callback widgets: admins keep them, supervisors read them.

var errNoWidgets = newHTTPError(http.StatusServiceUnavailable, "not configured: widget store")

// SMSSender sends a text message to an E.164 number.
type SMSSender interface {
	SendSMS(ctx context.Context, to, body string) error
}

// logSMS stands in for a provider: the message goes to the log, at warn
// level because nobody receives it.
type logSMS struct{ log *slog.Logger }

func (l logSMS) SendSMS(_ context.Context, to, body string) error {
	l.log.Warn("no SMS provider configured; message logged, not sent", "to", to, "body", body)
	return nil
}

func (s *Server) sms() SMSSender {
	if s.opts.SMS != nil {
		return s.opts.SMS
	}
	return logSMS{s.log}
}

func (s *Server) widgetStore() (dialer.WidgetStore, error) {
	if s.opts.Widgets == nil {
		return nil, errNoWidgets
	}
	return s.opts.Widgets, nil
}

// widgetOf reads the :id widget.
func (s *Server) widgetOf(c echo.Context) (dialer.WidgetStore, dialer.Widget, error) {
	st, err := s.widgetStore()
	if err != nil {
		return nil, dialer.Widget{}, err
	}
	id, err := pathID[dialer.WidgetID](c, "id")
	if err != nil {
		return nil, dialer.Widget{}, err
	}
	w, err := st.GetWidget(c.Request().Context(), id)
	return st, w, err
}

func widgetTarget(id dialer.WidgetID) string { return fmt.Sprintf("widget:%d", id) }

func (s *Server) listWidgets(c echo.Context, _ *principal) error {
	st, err := s.widgetStore()
	if err != nil {
		return err
	}
	l, err := st.ListWidgets(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"widgets": l})
}

func (s *Server) getWidget(c echo.Context, _ *principal) error {
	_, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// widgetBody is a widget's editable fields. It is filled from the widget
// (or the defaults) before the request is decoded over it, so a PATCH
// changes what it names; settings merge field by field, lists replace.
type widgetBody struct {
	Name       string                 `json:"name"`
	SiteURL    string                 `json:"site_url"`
	CampaignID dialer.CampaignID      `json:"campaign_id"`
	Active     bool                   `json:"active"`
	Settings   *dialer.WidgetSettings `json:"settings"`
}

func bodyOf(w dialer.Widget) widgetBody {
	return widgetBody{Name: w.Name, SiteURL: w.SiteURL, CampaignID: w.CampaignID, Active: w.Active, Settings: &w.Settings}
}

func (b widgetBody) apply(w *dialer.Widget) error {
	w.Name, w.CampaignID, w.Active = b.Name, b.CampaignID, b.Active
	if b.Settings != nil {
		w.Settings = *b.Settings
	}
	origin, err := dialer.SiteOrigin(b.SiteURL)
	if err != nil {
		return fieldErr("site_url", err.Error())
	}
	w.SiteURL = origin
	return w.Validate()
}

func (s *Server) createWidget(c echo.Context, p *principal) error {
	st, err := s.widgetStore()
	if err != nil {
		return err
	}
	return s.writeWidget(c, p, st, dialer.Widget{Active: true, Settings: dialer.DefaultWidgetSettings()})
}

func (s *Server) patchWidget(c echo.Context, p *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	return s.writeWidget(c, p, st, w)
}

// writeWidget decodes the request over w and stores it: a new widget
// when w has no id.
func (s *Server) writeWidget(c echo.Context, p *principal, st dialer.WidgetStore, w dialer.Widget) error {
	b := bodyOf(w)
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := b.apply(&w); err != nil {
		return err
	}
	ctx := c.Request().Context()
	save, action, status := st.UpdateWidget, "widget.update", http.StatusOK
	if w.ID == 0 {
		save, action, status = st.CreateWidget, "widget.create", http.StatusCreated
	}
	out, err := save(ctx, w)
	if err != nil {
		return err
	}
	s.audit(ctx, p, action, widgetTarget(out.ID), map[string]any{"name": out.Name, "site_url": out.SiteURL,
		"campaign_id": out.CampaignID, "active": out.Active})
	return c.JSON(status, out)
}

func (s *Server) deleteWidget(c echo.Context, p *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.DeleteWidget(ctx, w.ID); err != nil {
		return err
	}
	s.audit(ctx, p, "widget.delete", widgetTarget(w.ID), map[string]any{"name": w.Name})
	return c.NoContent(http.StatusNoContent)
}

// widgetHoursNext answers whether any callable manager is open at ?at
// (default now) and when the next one opens.
func (s *Server) widgetHoursNext(c echo.Context, _ *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	at := s.now()
	if q := c.QueryParam("at"); q != "" {
		if at, err = time.Parse(time.RFC3339, q); err != nil {
			return fieldErr("at", "an RFC 3339 time such as 2026-12-07T09:00:00Z")
		}
	}
	ms, err := st.ListManagers(c.Request().Context(), w.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dialer.OpenManagers(ms, at))
}

// ---- managers

func managerTarget(w dialer.WidgetID, m dialer.ManagerID) string {
	return fmt.Sprintf("widget:%d/manager:%d", w, m)
}

func (s *Server) managerOf(c echo.Context) (dialer.WidgetStore, dialer.Manager, error) {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return nil, dialer.Manager{}, err
	}
	mid, err := pathID[dialer.ManagerID](c, "mid")
	if err != nil {
		return nil, dialer.Manager{}, err
	}
	m, err := st.GetManager(c.Request().Context(), w.ID, mid)
	return st, m, err
}

func (s *Server) listManagers(c echo.Context, _ *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	l, err := st.ListManagers(c.Request().Context(), w.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"managers": l})
}

// managerBody is a manager's editable fields, filled from the manager
// before the request is decoded over it; hours, when given, replace.
type managerBody struct {
	Name     string          `json:"name"`
	AgentID  dialer.AgentID  `json:"agent_id"`
	Phone    string          `json:"phone"`
	TimeZone string          `json:"time_zone"`
	Hours    *hours.Schedule `json:"hours"`
	Rank     int             `json:"rank"`
	Position int             `json:"position"`
	Active   bool            `json:"active"`
}

func managerBodyOf(m dialer.Manager) managerBody {
	return managerBody{Name: m.Name, AgentID: m.AgentID, Phone: m.Phone, TimeZone: m.TimeZone, Rank: m.Rank, Position: m.Position, Active: m.Active}
}

func (b managerBody) apply(m *dialer.Manager) error {
	m.Name, m.AgentID, m.Phone, m.TimeZone, m.Rank, m.Position, m.Active = b.Name, b.AgentID, b.Phone, b.TimeZone, b.Rank, b.Position, b.Active
	if b.Hours != nil {
		m.Hours = *b.Hours
	}
	return m.Validate()
}

func (s *Server) createManager(c echo.Context, p *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	m := dialer.Manager{WidgetID: w.ID, Active: true, TimeZone: s.opts.DefaultTimeZone}
	if m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	return s.writeManager(c, p, st, m)
}

func (s *Server) patchManager(c echo.Context, p *principal) error {
	st, m, err := s.managerOf(c)
	if err != nil {
		return err
	}
	return s.writeManager(c, p, st, m)
}

// writeManager decodes the request over m and stores it: a new manager
// when m has no id.
func (s *Server) writeManager(c echo.Context, p *principal, st dialer.WidgetStore, m dialer.Manager) error {
	b := managerBodyOf(m)
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := b.apply(&m); err != nil {
		return err
	}
	ctx := c.Request().Context()
	save, action, status := st.UpdateManager, "widget.manager.update", http.StatusOK
	if m.ID == 0 {
		save, action, status = st.CreateManager, "widget.manager.create", http.StatusCreated
	}
	out, err := save(ctx, m)
	if err != nil {
		return err
	}
	s.audit(ctx, p, action, managerTarget(out.WidgetID, out.ID), map[string]any{"name": out.Name,
		"agent_id": out.AgentID, "phone": out.Phone, "active": out.Active})
	return c.JSON(status, out)
}

func (s *Server) deleteManager(c echo.Context, p *principal) error {
	st, m, err := s.managerOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.DeleteManager(ctx, m.WidgetID, m.ID); err != nil {
		return err
	}
	s.audit(ctx, p, "widget.manager.delete", managerTarget(m.WidgetID, m.ID), map[string]any{"name": m.Name})
	return c.NoContent(http.StatusNoContent)
}

// verifyManager texts a new code to the manager's outside number; the
// code is kept only hashed.
func (s *Server) verifyManager(c echo.Context, p *principal) error {
	st, m, err := s.managerOf(c)
	if err != nil {
		return err
	}
	if m.Phone == "" {
		return fieldErr("phone", "an agent seat needs no verification")
	}
	code, stored := dialer.NewVerifyCode()
	ctx := c.Request().Context()
	expires := s.now().Add(dialer.VerifyCodeTTL)
	if err := st.SetManagerCode(ctx, m.WidgetID, m.ID, stored, expires); err != nil {
		return err
	}
	body := fmt.Sprintf("Your agentswitch verification code for manager %d: %s", m.ID, code)
	if err := s.sms().SendSMS(ctx, m.Phone, body); err != nil {
		s.log.Error("verification SMS failed", "manager", m.ID, "err", err)
		return newHTTPError(http.StatusBadGateway, "the SMS could not be sent; try again")
	}
	s.audit(ctx, p, "widget.manager.verify", managerTarget(m.WidgetID, m.ID), map[string]any{"phone": m.Phone})
	return c.JSON(http.StatusOK, map[string]any{"sent_to": m.Phone, "expires_at": expires})
}

type confirmBody struct {
	Code string `json:"code"`
}

func (s *Server) confirmManager(c echo.Context, p *principal) error {
	st, m, err := s.managerOf(c)
	if err != nil {
		return err
	}
	var b confirmBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if len(b.Code) != 6 {
		return fieldErr("code", "the 6 digits of the SMS")
	}
	ctx := c.Request().Context()
	out, err := st.ConfirmManagerCode(ctx, m.WidgetID, m.ID, b.Code, s.now())
	if err != nil {
		return err
	}
	s.audit(ctx, p, "widget.manager.verified", managerTarget(m.WidgetID, m.ID), map[string]any{"phone": out.Phone})
	return c.JSON(http.StatusOK, out)
}

// ---- the widget's API keys

func (s *Server) listWidgetKeys(c echo.Context, _ *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	l, err := st.ListWidgetAPIKeys(c.Request().Context(), w.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": l})
}

type widgetKeyBody struct {
	Name string `json:"name"`
}

func (s *Server) createWidgetKey(c echo.Context, p *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	var b widgetKeyBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := checkText("name", b.Name, 64); err != nil {
		return err
	}
	ctx := c.Request().Context()
	k, secret, err := st.CreateWidgetAPIKey(ctx, w.ID, b.Name)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "widget.apikey.create", fmt.Sprintf("widget:%d/apikey:%d", w.ID, k.ID), map[string]any{"name": k.Name, "prefix": k.Prefix})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"api_key": k, "secret": secret})
}

func (s *Server) revokeWidgetKey(c echo.Context, p *principal) error {
	st, w, err := s.widgetOf(c)
	if err != nil {
		return err
	}
	kid, err := pathID[dialer.WidgetKeyID](c, "kid")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.RevokeWidgetAPIKey(ctx, w.ID, kid, s.now()); err != nil {
		return err
	}
	s.audit(ctx, p, "widget.apikey.revoke", fmt.Sprintf("widget:%d/apikey:%d", w.ID, kid), nil)
	return c.NoContent(http.StatusNoContent)
}
