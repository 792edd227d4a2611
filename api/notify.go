package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/notify"
)

type notifyTestBody struct {
	// Channel is "email" or "sms".
	Channel string `json:"channel"`
	To      string `json:"to"`
}

type notifyTestResult struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Sent    bool   `json:"sent"`
}

// notifyTestTimeout bounds the test send: the mailer's and provider's
// own timeouts apply within it.
const notifyTestTimeout = time.Minute

// notifyTest sends one e-mail or text message straight away (not through
// the queue) so that an admin sees at once what the server or provider
// answers to the service's settings.
func (s *Server) notifyTest(c echo.Context, p *principal) error {
	var b notifyTestBody
	if err := decode(c, &b); err != nil {
		return err
	}
	n := s.opts.Notify
	var send func(ctx context.Context) error
	switch b.Channel {
	case "email":
		if err := notify.CheckAddress("to", b.To); err != nil {
			return err
		}
		if n == nil || n.Direct.Mail == nil {
			return &httpError{code: http.StatusConflict, field: "channel", msg: "e-mail is not configured: set AGENTSWITCH_SMTP_HOST and AGENTSWITCH_SMTP_FROM"}
		}
		send = func(ctx context.Context) error {
			return n.Direct.Mail.Send(ctx, notify.Message{To: []string{b.To}, Subject: "agentswitch test e-mail",
				Text: "This test e-mail was sent from agentswitch by " + p.Actor.Name + " to check the service's SMTP settings."})
		}
	case "sms":
		if !notify.ValidE164(b.To) {
			return fieldErr("to", fmt.Sprintf("%q is not an E.164 number (+14155550100)", b.To))
		}
		if n == nil || n.Direct.SMS == nil {
			return &httpError{code: http.StatusConflict, field: "channel", msg: "text messages are not configured: set AGENTSWITCH_SMS_PROVIDER"}
		}
		send = func(ctx context.Context) error {
			return n.Direct.SMS.Send(ctx, b.To, "agentswitch test message: the SMS settings work.")
		}
	default:
		return fieldErr("channel", "email or sms")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), notifyTestTimeout)
	defer cancel()
	err := send(ctx)
	data := map[string]any{"channel": b.Channel, "to": b.To, "sent": err == nil}
	if err != nil {
		data["error"] = err.Error()
	}
	s.audit(ctx, p, "notify.test", b.Channel+":"+b.To, data)
	if err != nil {
		// The server's or provider's own words: what the admin needs to
		// mend the settings.
		return &httpError{code: http.StatusBadGateway, msg: "not sent: " + err.Error()}
	}
	return c.JSON(http.StatusOK, notifyTestResult{Channel: b.Channel, To: b.To, Sent: true})
}
