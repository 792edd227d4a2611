package main

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/leadcall"
	"github.com/agentswitch/agentswitch/notify"
	"github.com/agentswitch/agentswitch/widgetnotify"
)

// widgetNotices turns the lead requests' events into the widget's
// e-mails and after-call SMS, queued on the notifier. Times are shown in
// the manager's zone (the one who talked, else the widget's first), else
// the service's default zone.
func widgetNotices(n *notify.Notifier, widgets dialer.WidgetStore, baseURL string, zone *time.Location, log *slog.Logger) func(string, dialer.Widget, dialer.WidgetRequest) {
	snd := widgetnotify.Sender{SMS: n.SMS, BaseURL: baseURL, Log: log}
	if n.Mail != nil {
		snd.Mail = n.Mail
	}
	return func(event string, w dialer.Widget, r dialer.WidgetRequest) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ev := widgetnotify.Event{Kind: event, Widget: w, RequestID: int64(r.ID), Numbers: r.Numbers, Reached: r.Reached,
			Params: r.Params, Reason: r.Reason, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts, Manager: r.Manager,
			TalkSeconds: r.TalkSeconds, CreatedAt: r.CreatedAt, At: r.ConnectedAt, Recording: r.Recording, Zone: zone}
		if event == leadcall.EventNewRequest && r.Status == dialer.RequestScheduled {
			ev.Scheduled = r.NextAttemptAt
		}
		if ev.At.IsZero() {
			ev.At = r.CreatedAt
		}
		if ms, err := widgets.ListManagers(ctx, w.ID); err == nil && len(ms) > 0 {
			m := ms[0]
			if i := slices.IndexFunc(ms, func(m dialer.Manager) bool { return m.Name == r.Manager }); i >= 0 {
				m = ms[i]
			}
			if z, err := time.LoadLocation(m.TimeZone); err == nil {
				ev.Zone = z
			}
		}
		snd.Send(ctx, ev)
	}
}
