package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/notify/webhooks"
)

// Webhooks keeps the endpoints integrators are told of events at, and
// their deliveries (webhooks.Service).
type Webhooks interface {
	Store() webhooks.Store
	Replay(ctx context.Context, id int64) (webhooks.Delivery, error)
	AllowPrivate() bool
	// Emit queues event for the endpoints that want it.
	Emit(ctx context.Context, event string, widget int64, payload any) error
}

var errNoWebhooks = newHTTPError(http.StatusServiceUnavailable, "not configured: webhooks")

func (s *Server) webhookStore() (webhooks.Store, error) {
	if s.opts.Webhooks == nil {
		return nil, errNoWebhooks
	}
	return s.opts.Webhooks.Store(), nil
}

type webhookBody struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Active      *bool     `json:"active"`
	WidgetID    *int64    `json:"widget_id"`
	Description *string   `json:"description"`
}

func (b webhookBody) apply(e *webhooks.Endpoint) {
	if b.URL != nil {
		e.URL = *b.URL
	}
	if b.Events != nil {
		e.Events = *b.Events
	}
	if b.Active != nil {
		e.Active = *b.Active
	}
	if b.WidgetID != nil {
		e.WidgetID = *b.WidgetID
	}
	if b.Description != nil {
		e.Description = *b.Description
	}
}

// withSecret is an endpoint as answered once, when its secret is made.
type withSecret struct {
	webhooks.Endpoint
	Secret string `json:"secret"`
}

func webhookTarget(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

func webhookAudit(e webhooks.Endpoint) map[string]any {
	return map[string]any{"url": e.URL, "events": e.Events, "active": e.Active, "widget_id": e.WidgetID}
}

// listWebhooks lists the endpoints with their newest delivery, and the
// events the service emits.
func (s *Server) listWebhooks(c echo.Context, _ *principal) error {
	st, err := s.webhookStore()
	if err != nil {
		return err
	}
	all, err := st.ListWebhooks(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": all, "events": webhooks.Events(), "allow_private": s.opts.Webhooks.AllowPrivate()})
}

// createWebhook adds an endpoint, active unless the body says otherwise;
// its secret is in this answer only.
func (s *Server) createWebhook(c echo.Context, p *principal) error {
	st, err := s.webhookStore()
	if err != nil {
		return err
	}
	var b webhookBody
	if err := decode(c, &b); err != nil {
		return err
	}
	e := webhooks.Endpoint{Active: true, Secret: webhooks.NewSecret()}
	b.apply(&e)
	if err := e.Validate(s.opts.Webhooks.AllowPrivate()); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.CreateWebhook(ctx, e)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "webhook.create", webhookTarget(out.ID), webhookAudit(out))
	return c.JSON(http.StatusCreated, withSecret{out, out.Secret})
}

func (s *Server) findWebhook(c echo.Context) (webhooks.Store, webhooks.Endpoint, error) {
	st, err := s.webhookStore()
	if err != nil {
		return nil, webhooks.Endpoint{}, err
	}
	id, err := pathID[int64](c, "id")
	if err != nil {
		return nil, webhooks.Endpoint{}, err
	}
	e, err := st.Webhook(c.Request().Context(), id)
	return st, e, err
}

func (s *Server) getWebhook(c echo.Context, _ *principal) error {
	_, e, err := s.findWebhook(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// patchWebhook changes the fields in the body (the secret is rotated
// apart).
func (s *Server) patchWebhook(c echo.Context, p *principal) error {
	st, e, err := s.findWebhook(c)
	if err != nil {
		return err
	}
	var b webhookBody
	if err := decode(c, &b); err != nil {
		return err
	}
	b.apply(&e)
	if err := e.Validate(s.opts.Webhooks.AllowPrivate()); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.UpdateWebhook(ctx, e)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "webhook.update", webhookTarget(out.ID), webhookAudit(out))
	return c.JSON(http.StatusOK, out)
}

// rotateWebhookSecret makes a new secret, answered once; deliveries from
// now on are signed with it.
func (s *Server) rotateWebhookSecret(c echo.Context, p *principal) error {
	st, e, err := s.findWebhook(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	e.Secret = webhooks.NewSecret()
	if err := st.SetWebhookSecret(ctx, e.ID, e.Secret); err != nil {
		return err
	}
	s.audit(ctx, p, "webhook.rotate_secret", webhookTarget(e.ID), nil)
	return c.JSON(http.StatusOK, withSecret{e, e.Secret})
}

// deleteWebhook removes an endpoint and its deliveries.
func (s *Server) deleteWebhook(c echo.Context, p *principal) error {
	st, e, err := s.findWebhook(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.DeleteWebhook(ctx, e.ID); err != nil {
		return err
	}
	s.audit(ctx, p, "webhook.delete", webhookTarget(e.ID), map[string]any{"url": e.URL})
	return c.NoContent(http.StatusNoContent)
}

// webhookDeliveries pages an endpoint's deliveries, newest first, each
// with its attempts.
func (s *Server) webhookDeliveries(c echo.Context, _ *principal) error {
	st, e, err := s.findWebhook(c)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 50, 200)
	if err != nil {
		return err
	}
	offset := 0
	if v := c.QueryParam("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return fieldErr("offset", "must be an integer, 0 or more")
		}
	}
	ds, total, err := st.WebhookDeliveries(c.Request().Context(), e.ID, webhooks.Page{Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": ds, "total": total, "limit": limit, "offset": offset})
}

// replayWebhookDelivery sends a delivery's payload again, as a new
// delivery.
func (s *Server) replayWebhookDelivery(c echo.Context, p *principal) error {
	if s.opts.Webhooks == nil {
		return errNoWebhooks
	}
	id, err := pathID[int64](c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.opts.Webhooks.Replay(ctx, id)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "webhook.replay", webhookTarget(d.Endpoint), map[string]any{"delivery": id, "replay": d.ID, "event": d.Event})
	return c.JSON(http.StatusCreated, d)
}
