package dialer

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer/window"
)

// CallingWindow reads and validates the calling_window key of a
// campaign's settings; absent is every day 08:00-21:00 local time.
func CallingWindow(c Campaign) (window.Rules, error) {
	if len(c.Settings) == 0 {
		return window.Default(), nil
	}
	windows.mu.Lock()
	p, ok := windows.m[c.ID]
	windows.mu.Unlock()
	if ok && p.raw == string(c.Settings) {
		return p.rules, p.err
	}
	var s map[string]json.RawMessage
	var r window.Rules
	var err error
	if jerr := json.Unmarshal(c.Settings, &s); jerr != nil {
		err = &FieldError{Field: "settings", Reason: "a JSON object"}
	} else {
		r, err = window.Parse(s[window.Key])
	}
	if c.ID != 0 {
		windows.mu.Lock()
		windows.m[c.ID] = parsedWindow{raw: string(c.Settings), rules: r, err: err}
		windows.mu.Unlock()
	}
	return r, err
}

// windows keeps each campaign's calling window with the settings it was
// read from: the dialer checks it again before every call.
var windows = struct {
	mu sync.Mutex
	m  map[CampaignID]parsedWindow
}{m: map[CampaignID]parsedWindow{}}

type parsedWindow struct {
	raw   string
	rules window.Rules
	err   error
}

// callingWindow is CallingWindow for dialing: settings it cannot read
// give the default window, the legal limits, rather than none.
func (e *Engine) callingWindow(c Campaign) window.Rules {
	r, err := CallingWindow(c)
	if err != nil {
		e.log.Warn("campaign calling window unreadable; using 08:00-21:00", "campaign", c.ID, "err", err)
		return window.Default()
	}
	return r
}

// callbackWindow is when the callback's lead may next be called, and why
// not now ("" when it may).
func (e *Engine) callbackWindow(ctx context.Context, cb Callback, lead Lead, now time.Time) (time.Time, string, error) {
	camp, err := e.camp.Campaign(ctx, cb.Campaign)
	if err != nil {
		return time.Time{}, "", err
	}
	zone := lead.TimeZone
	if zone == "" {
		zone = cb.TimeZone
	}
	next, why := window.Next(e.callingWindow(camp), zone, lead.Phone, now)
	return next, why, nil
}

// windowClosed is the refusal of a callback outside its calling window.
func windowClosed(next time.Time, why string) error {
	opens := "does not open within a year"
	if !next.IsZero() {
		opens = "opens at " + next.UTC().Format(time.RFC3339)
	}
	return &FieldError{Field: "callback", Reason: "the lead's calling window is closed: " + why + "; it " + opens}
}

// callbackOpen reports whether a due callback may be offered now; one
// outside its window is held until it opens.
func (e *Engine) callbackOpen(ctx context.Context, cb Callback, now time.Time) bool {
	e.mu.Lock()
	until, held := e.heldCallbacks[cb.ID]
	e.mu.Unlock()
	if held && now.Before(until) {
		return false
	}
	lead, err := e.camp.Lead(ctx, cb.Lead)
	if err != nil {
		e.log.Warn("due callback's lead", "callback", cb.ID, "err", err)
		return false
	}
	next, why, err := e.callbackWindow(ctx, cb, lead, now)
	if err != nil {
		e.log.Warn("due callback's calling window", "callback", cb.ID, "err", err)
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if why == "" {
		delete(e.heldCallbacks, cb.ID)
		return true
	}
	if next.IsZero() {
		next = now.Add(time.Hour)
	}
	if e.heldCallbacks == nil {
		e.heldCallbacks = map[CallbackID]time.Time{}
	}
	e.heldCallbacks[cb.ID] = next
	return false
}

// SetCallingWindow writes raw as the calling_window of a settings object
// once it reads as rules; null removes it (the default applies). The
// other keys are kept.
func SetCallingWindow(settings, raw json.RawMessage) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(settings) > 0 {
		if err := json.Unmarshal(settings, &m); err != nil || m == nil {
			return nil, &FieldError{Field: "settings", Reason: "must be a JSON object"}
		}
	}
	if _, err := window.Parse(raw); err != nil {
		return nil, err
	}
	if string(raw) == "null" {
		delete(m, window.Key)
	} else {
		m[window.Key] = raw
	}
	return json.Marshal(m)
}
