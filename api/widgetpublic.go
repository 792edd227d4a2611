package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/agentui"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
)

// The embeddable widget's public side: widget.js and its stylesheet, the
// widget's public settings and the visitor's request. Only the widget's
// own site may read or post (CORS, and the Origin checked on the POST);
// nothing private (managers, keys, addresses) is ever answered.

var (
	// configPerIP is looser than a request's bucket: every page view of
	// the site reads the settings, and nobody is dialed by it.
	configPerIP = bucketRate{perSecond: 2, burst: 60}
	// widgetAPIPath is a preflight's target.
	widgetAPIPath = regexp.MustCompile(`^` + prefix + `/widget/([^/]+)/(config|requests)$`)
)

// maxPageURL bounds the page a request says it came from.
const maxPageURL = 2000

// mountWidget serves the widget's files at the root and answers the
// browsers' CORS preflights of its two API routes (an OPTIONS is not an
// API operation, so it is not among routes()).
func (s *Server) mountWidget() {
	h := echo.WrapHandler(agentui.WidgetHandler())
	for p := range agentui.WidgetPaths {
		s.e.GET(p, h).Name = uiRoute
		s.e.HEAD(p, h).Name = uiRoute
	}
	s.e.Pre(s.widgetPreflight)
}

// widgetPreflight answers OPTIONS on the widget's API routes: the CORS
// grant for the widget's own site, nothing for any other origin.
func (s *Server) widgetPreflight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		m := widgetAPIPath.FindStringSubmatch(r.URL.Path)
		if r.Method != http.MethodOptions || m == nil {
			return next(c)
		}
		if wait := s.leadLimits.take("widget-config-ip:"+c.RealIP(), s.now(), configPerIP); wait > 0 {
			return tooMany(c, wait)
		}
		key, err := url.PathUnescape(m[1])
		if err != nil {
			return c.NoContent(http.StatusNoContent)
		}
		st, err := s.widgetStore()
		if err != nil {
			return err
		}
		w, err := st.WidgetByKey(r.Context(), key)
		if err != nil && !errors.Is(err, dialer.ErrNotFound) {
			return err
		}
		if err == nil && w.Active && s.allowOrigin(c, w) {
			h := c.Response().Header()
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type, "+csrfHeader)
			h.Set("Access-Control-Max-Age", "600")
		}
		c.Response().Header().Add("Vary", "Origin")
		return c.NoContent(http.StatusNoContent)
	}
}

// allowOrigin grants CORS when the request comes from the widget's site,
// and says whether it does. Vary keeps a cache from handing one site's
// grant to another.
func (s *Server) allowOrigin(c echo.Context, w dialer.Widget) bool {
	h := c.Response().Header()
	if h.Get("Vary") == "" {
		h.Add("Vary", "Origin")
	}
	site, err := canonicalOrigin(w.SiteURL)
	if err != nil {
		return false
	}
	origin, err := canonicalOrigin(c.Request().Header.Get("Origin"))
	if err != nil || origin != site {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	return true
}

// canonicalOrigin is an origin as a browser sends it: lower case, no
// default port.
func canonicalOrigin(s string) (string, error) {
	o, err := dialer.SiteOrigin(s)
	if err != nil {
		return "", err
	}
	o = strings.TrimSuffix(o, "/")
	if rest, ok := strings.CutPrefix(o, "https://"); ok {
		return "https://" + strings.TrimSuffix(rest, ":443"), nil
	}
	return "http://" + strings.TrimSuffix(strings.TrimPrefix(o, "http://"), ":80"), nil
}

// publicWidget reads the :key widget, refusing one switched off.
func (s *Server) publicWidget(c echo.Context) (dialer.WidgetStore, dialer.Widget, error) {
	st, err := s.widgetStore()
	if err != nil {
		return nil, dialer.Widget{}, err
	}
	w, err := st.WidgetByKey(c.Request().Context(), c.Param("key"))
	if errors.Is(err, dialer.ErrNotFound) {
		return nil, w, &httpError{code: http.StatusNotFound, msg: "no such widget", field: "key"}
	} else if err != nil {
		return nil, w, err
	}
	if !w.Active {
		return nil, w, &httpError{code: http.StatusForbidden, msg: "the widget is not active", field: "key"}
	}
	return st, w, nil
}

// widgetCountry is a country the visitor may pick.
type widgetCountry struct {
	Code     string `json:"code"`
	DialCode string `json:"dial_code"`
	// First: the admin put it on top of the list.
	First bool `json:"first,omitempty"`
}

// widgetConfig is what the widget shows; nothing in it is private.
type widgetConfig struct {
	Key             string              `json:"key"`
	CallbackSeconds int                 `json:"callback_seconds"`
	Design          dialer.WidgetDesign `json:"design"`
	Countries       []widgetCountry     `json:"countries"`
	// DefaultCountry is picked at first ("" lets the widget guess from
	// the visitor's language).
	DefaultCountry string    `json:"default_country,omitempty"`
	Open           bool      `json:"open"`
	NextOpeningAt  time.Time `json:"next_opening_at,omitzero"`
	// Slots are the times a visitor outside working hours may pick.
	Slots []time.Time `json:"slots"`
}

func (s *Server) widgetConfig(c echo.Context, _ *principal) error {
	now := s.now()
	if wait := s.leadLimits.take("widget-config-ip:"+c.RealIP(), now, configPerIP); wait > 0 {
		return tooMany(c, wait)
	}
	st, w, err := s.publicWidget(c)
	if err != nil {
		return err
	}
	s.allowOrigin(c, w)
	ms, err := st.ListManagers(c.Request().Context(), w.ID)
	if err != nil {
		return err
	}
	open := dialer.OpenManagers(ms, now)
	out := widgetConfig{Key: w.Key, CallbackSeconds: w.Settings.CallbackSeconds, Design: w.Settings.Design,
		Countries: widgetCountries(w.Settings.Countries), Open: open.Open, Slots: []time.Time{}}
	if len(w.Settings.Countries.First) > 0 {
		out.DefaultCountry = w.Settings.Countries.First[0]
	} else if d := s.opts.DefaultCountry; d != "" && w.Settings.Countries.CountryAllowed(d) {
		out.DefaultCountry = d
	}
	if !open.Open {
		out.NextOpeningAt = open.Next.UTC()
		out.Slots = dialer.OpeningSlots(ms, now)
	}
	return c.JSON(http.StatusOK, out)
}

// widgetCountries lists the countries a widget dials: its first ones in
// their order, then the others by code (the widget sorts those by name in
// its own language).
func widgetCountries(wc dialer.WidgetCountries) []widgetCountry {
	codes := phone.Regions()
	if wc.Mode == "selected" {
		codes = wc.Allowed
	}
	out := []widgetCountry{}
	add := func(code string, first bool) {
		if dc := phone.DialCode(code); dc > 0 && wc.CountryAllowed(code) {
			out = append(out, widgetCountry{Code: code, DialCode: fmt.Sprintf("+%d", dc), First: first})
		}
	}
	seen := map[string]bool{}
	for _, code := range wc.First {
		if !seen[code] {
			seen[code] = true
			add(code, true)
		}
	}
	sorted := slices.Sorted(slices.Values(codes))
	for _, code := range sorted {
		if !seen[code] {
			seen[code] = true
			add(code, false)
		}
	}
	return out
}

// widgetRequestBody is what the widget posts.
type widgetRequestBody struct {
	Number      string `json:"number"`
	Country     string `json:"country"`
	ScheduledAt string `json:"scheduled_at"`
	Page        string `json:"page"`
	// Website is the honeypot: hidden from people, filled by bots.
	Website string `json:"website"`
}

// widgetAnswer is the visitor's answer: the same for a call started and
// for a honeypot hit.
type widgetAnswer struct {
	Status          string    `json:"status"`
	CallbackSeconds int       `json:"callback_seconds,omitempty"`
	ScheduledAt     time.Time `json:"scheduled_at,omitzero"`
}

func (s *Server) widgetRequest(c echo.Context, _ *principal) error {
	now := s.now()
	if wait := s.leadLimits.take("widget-ip:"+c.RealIP(), now, leadPerIP); wait > 0 {
		if lc, err := s.leadCalls(); err == nil {
			lc.RateLimited(c.Param("key"), dialer.WidgetRequest{Source: "widget", CreatedAt: now, IP: c.RealIP()})
		}
		return tooMany(c, wait)
	}
	st, w, err := s.publicWidget(c)
	if err != nil {
		return err
	}
	if !s.allowOrigin(c, w) {
		// Without an Origin this is a server's request: the lead-call API,
		// with the widget's API key, is the way for those.
		return &httpError{code: http.StatusForbidden, field: "Origin",
			msg: "requests are taken only from pages of the widget's site; servers use the lead-call API"}
	}
	var body widgetRequestBody
	if err := decode(c, &body); err != nil {
		return err
	}
	var at time.Time
	if body.ScheduledAt != "" {
		if at, err = time.Parse(time.RFC3339, body.ScheduledAt); err != nil {
			return fieldErr("scheduled_at", "an RFC 3339 time such as 2026-12-07T09:30:00Z")
		}
	}
	in, err := widgetLeadInput(body, at)
	if err != nil {
		return err
	}
	if s.honeypotHit(c, w, in) {
		return c.JSON(answerOf(w, at))
	}
	delete(in, "website")
	if !at.IsZero() {
		ms, err := st.ListManagers(c.Request().Context(), w.ID)
		if err != nil {
			return err
		}
		if !dialer.SlotAcceptable(ms, now, at) {
			return fieldErr("scheduled_at", "not an opening time of the widget; pick one of the times offered")
		}
	}
	return s.startWidgetCall(c, w, in, now, at)
}

// honeypotHit reports, and records as refused, a request that filled the
// hidden field: a bot's. It is answered like a success, so the bot learns
// nothing, and dials no one.
func (s *Server) honeypotHit(c echo.Context, w dialer.Widget, in map[string]string) bool {
	if strings.TrimSpace(in["website"]) == "" {
		return false
	}
	s.refuseLead(c.Request().Context(), w, in, "widget", dialer.RefusedHoneypot, "website", "the hidden field was filled")
	return true
}

// answerOf is the success answer for a call now (201) or at a time (202).
func answerOf(w dialer.Widget, at time.Time) (int, widgetAnswer) {
	if at.IsZero() {
		return http.StatusCreated, widgetAnswer{Status: "dialing", CallbackSeconds: w.Settings.CallbackSeconds}
	}
	return http.StatusAccepted, widgetAnswer{Status: "scheduled", ScheduledAt: at.UTC()}
}

// widgetLeadInput is the lead-call input a widget request stands for.
// The page is reduced to its path: the site is the widget's already, and
// a query may carry a visitor's personal data.
func widgetLeadInput(b widgetRequestBody, at time.Time) (map[string]string, error) {
	if strings.TrimSpace(b.Number) == "" {
		return nil, fieldErr("number", "required")
	}
	if b.Country != "" && !phone.ValidCountry(b.Country) {
		return nil, fieldErr("country", "an ISO 3166 alpha-2 code such as DE")
	}
	in := map[string]string{"lc_number": b.Number, "country": strings.ToUpper(b.Country), "source": "widget", "website": b.Website}
	if b.Page != "" {
		u, err := url.Parse(b.Page)
		if err != nil || len(b.Page) > maxPageURL || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fieldErr("page", fmt.Sprintf("the page's http(s) address, at most %d characters", maxPageURL))
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		in["lc_param_page"] = p
	}
	if !at.IsZero() {
		in["scheduled_at"] = at.UTC().Format(time.RFC3339)
	}
	return in, nil
}

// widgetFields names the lead-call fields as the widget knows them.
var widgetFields = map[string]string{"lc_number": "number", "lc_param_page": "page", "widget_key": "key"}

// startWidgetCall runs the lead-call path and answers the visitor in the
// widget's terms: its field names, and none of the call's internals
// (numbers, managers, parameters).
func (s *Server) startWidgetCall(c echo.Context, w dialer.Widget, in map[string]string, now, at time.Time) error {
	res := c.Response()
	orig := res.Writer
	held := &heldResponse{ResponseWriter: orig}
	res.Writer = held
	err := s.startLeadCall(c, w, in, now)
	res.Writer, res.Committed, res.Status, res.Size = orig, false, http.StatusOK, 0
	if err != nil {
		return widgetFieldError(err)
	}
	if held.status >= 200 && held.status < 300 {
		var got struct {
			Status      string    `json:"status"`
			NextAttempt time.Time `json:"next_attempt_at"`
		}
		_ = json.Unmarshal(held.body.Bytes(), &got)
		if got.Status == "scheduled" {
			if at.IsZero() {
				at = got.NextAttempt
			}
			return c.JSON(http.StatusAccepted, widgetAnswer{Status: "scheduled", ScheduledAt: at.UTC()})
		}
		return c.JSON(answerOf(w, time.Time{}))
	}
	// An answer written whole (no manager open): its error's field renamed.
	var body map[string]any
	if json.Unmarshal(held.body.Bytes(), &body) != nil {
		return c.JSONBlob(held.status, held.body.Bytes())
	}
	if e, ok := body["error"].(map[string]any); ok {
		if f, ok := e["field"].(string); ok {
			e["field"] = widgetField(f)
		}
	}
	return c.JSON(held.status, body)
}

func widgetField(f string) string {
	if n, ok := widgetFields[f]; ok {
		return n
	}
	return f
}

// widgetFieldError renames the field an error names.
func widgetFieldError(err error) error {
	var he *httpError
	var fe *dialer.FieldError
	var pfe *phone.FieldError
	switch {
	case errors.As(err, &he):
		return &httpError{code: he.code, msg: he.msg, field: widgetField(he.field)}
	case errors.As(err, &fe):
		return &dialer.FieldError{Field: widgetField(fe.Field), Reason: fe.Reason}
	case errors.As(err, &pfe):
		return &phone.FieldError{Field: widgetField(pfe.Field), Reason: pfe.Reason}
	}
	return err
}

// heldResponse keeps what a handler writes instead of sending it.
type heldResponse struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (h *heldResponse) WriteHeader(code int) { h.status = code }
func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}
