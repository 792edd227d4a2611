package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/hours"
)

const widgetSite = "https://shop.example"

// widgetCall sends method to the widget's path with Origin origin ("" for
// none) and the header the widget sends.
func (e *testEnv) widgetCall(method, path, origin, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(csrfHeader, csrfValue)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
	}
	rec := httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	return rec
}

func (e *testEnv) siteWidget(n int, week hours.Week, edit func(*dialer.Widget)) leadWidget {
	return e.addLeadWidget(n, week, func(w *dialer.Widget) {
		w.SiteURL = widgetSite
		if edit != nil {
			edit(w)
		}
	})
}

// TestWidgetConfigIsPublicOnly: the settings a page reads carry the
// design, texts and countries, and nothing private: no manager, number,
// key or e-mail address.
func TestWidgetConfigIsPublicOnly(t *testing.T) {
	e := newEnv(t)
	lw := e.siteWidget(1, allWeek, func(w *dialer.Widget) {
		w.Settings.Countries = dialer.WidgetCountries{Mode: "selected", Allowed: []string{"US", "DE", "FR"}, First: []string{"FR"}}
		w.Settings.Notify.NewRequest = []string{"boss@shop.example"}
		w.Settings.Design.ButtonColor = "#aa3300"
		w.Settings.CallbackSeconds = 20
	})
	rec := e.widgetCall(http.MethodGet, "/api/v1/widget/"+lw.w.Key+"/config", widgetSite, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	raw := rec.Body.String()
	for _, secret := range []string{lw.m.Name, lw.m.Phone, lw.secret, "boss@", `"id"`, "widget_id", "campaign", "manager", "api_key"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the config carries %q: %s", secret, raw)
		}
	}
	cfg := decodeBody[widgetConfig](t, rec)
	want := []widgetCountry{{"FR", "+33", true}, {"DE", "+49", false}, {"US", "+1", false}}
	if len(cfg.Countries) != len(want) {
		t.Fatalf("countries %+v", cfg.Countries)
	}
	for i, c := range want {
		if cfg.Countries[i] != c {
			t.Errorf("country %d: %+v, want %+v", i, cfg.Countries[i], c)
		}
	}
	if cfg.Key != lw.w.Key || cfg.CallbackSeconds != 20 || cfg.Design.ButtonColor != "#aa3300" || cfg.DefaultCountry != "FR" ||
		!cfg.Open || len(cfg.Slots) != 0 || cfg.Design.Texts.Button == "" {
		t.Fatalf("config %+v", cfg)
	}

	// All countries: the service's default first when no first ones.
	all := e.siteWidget(2, allWeek, nil)
	cfg = decodeBody[widgetConfig](t, e.widgetCall(http.MethodGet, "/api/v1/widget/"+all.w.Key+"/config", widgetSite, ""))
	if len(cfg.Countries) < 200 || cfg.DefaultCountry != "US" || cfg.Countries[0].First {
		t.Fatalf("all countries: %d, default %q", len(cfg.Countries), cfg.DefaultCountry)
	}

	if rec := e.widgetCall(http.MethodGet, "/api/v1/widget/nope/config", widgetSite, ""); rec.Code != http.StatusNotFound || errorOf(t, rec).Field != "key" {
		t.Fatalf("unknown key: %d %s", rec.Code, rec.Body)
	}
	off := e.siteWidget(3, allWeek, func(w *dialer.Widget) { w.Active = false })
	if rec := e.widgetCall(http.MethodGet, "/api/v1/widget/"+off.w.Key+"/config", widgetSite, ""); rec.Code != http.StatusForbidden || errorOf(t, rec).Field != "key" {
		t.Fatalf("inactive: %d %s", rec.Code, rec.Body)
	}
}

// TestWidgetCORS: only the widget's own site is granted, for the config,
// the request and the preflight; any other origin, or none, is refused
// the request and dials no one.
func TestWidgetCORS(t *testing.T) {
	e := newEnv(t)
	lw := e.siteWidget(1, allWeek, nil)
	base := "/api/v1/widget/" + lw.w.Key
	good := `{"number":"+12025550143","country":"US"}`
	cases := []struct {
		name, method, path, origin, body string
		code                             int
		allowed                          bool
		field                            string
		dials                            bool
	}{
		{"config, own site", http.MethodGet, "/config", widgetSite, "", 200, true, "", false},
		{"config, own site with the default port", http.MethodGet, "/config", widgetSite + ":443", "", 200, true, "", false},
		{"config, another site", http.MethodGet, "/config", "https://evil.example", "", 200, false, "", false},
		{"config, http instead of https", http.MethodGet, "/config", "http://shop.example", "", 200, false, "", false},
		{"preflight, own site", http.MethodOptions, "/requests", widgetSite, "", 204, true, "", false},
		{"preflight of the config, own site", http.MethodOptions, "/config", widgetSite, "", 204, true, "", false},
		{"preflight, another site", http.MethodOptions, "/requests", "https://evil.example", "", 204, false, "", false},
		{"request, another site", http.MethodPost, "/requests", "https://evil.example", good, 403, false, "Origin", false},
		{"request, no Origin (a server)", http.MethodPost, "/requests", "", good, 403, false, "Origin", false},
		{"request, own site", http.MethodPost, "/requests", widgetSite, good, 201, true, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.eng.reset()
			rec := e.widgetCall(c.method, base+c.path, c.origin, c.body)
			if rec.Code != c.code {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			h := rec.Header()
			if got := h.Get("Access-Control-Allow-Origin"); (got != "") != c.allowed || c.allowed && got != widgetSite {
				t.Errorf("Access-Control-Allow-Origin %q", got)
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("no Vary: Origin in %v", h)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed")
			}
			if c.method == http.MethodOptions && c.allowed &&
				(!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), csrfHeader)) {
				t.Errorf("preflight grant %v", h)
			}
			if c.field != "" {
				if got := errorOf(t, rec).Field; got != c.field {
					t.Errorf("field %q, want %q", got, c.field)
				}
			}
			if got := len(e.speedCalls()) > 0; got != c.dials {
				t.Errorf("dialed %v, want %v", got, c.dials)
			}
		})
	}
	// The static files are for any site.
	for _, p := range []string{"/widget.js", "/widget.css"} {
		rec := e.widgetCall(http.MethodGet, p, "https://anyone.example", "")
		if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("ETag") == "" {
			t.Errorf("%s: %d %v", p, rec.Code, rec.Header())
		}
	}
}

// TestWidgetHoneypot: a filled hidden field gets the very answer a real
// request gets, and nobody is dialed.
func TestWidgetHoneypot(t *testing.T) {
	e := newEnv(t)
	real := e.siteWidget(1, allWeek, nil)
	trap := e.siteWidget(2, allWeek, nil)
	rec := e.widgetCall(http.MethodPost, "/api/v1/widget/"+real.w.Key+"/requests", widgetSite, `{"number":"+12025550143"}`)
	if rec.Code != http.StatusCreated || len(e.speedCalls()) != 1 {
		t.Fatalf("real: %d %s", rec.Code, rec.Body)
	}
	e.eng.reset()
	bot := e.widgetCall(http.MethodPost, "/api/v1/widget/"+trap.w.Key+"/requests", widgetSite, `{"number":"+12025550143","website":"https://spam.example"}`)
	if bot.Code != rec.Code || bot.Body.String() != rec.Body.String() {
		t.Fatalf("the bot can tell: %d %s, a person gets %d %s", bot.Code, bot.Body, rec.Code, rec.Body)
	}
	if calls := e.eng.Calls(); len(calls) != 0 {
		t.Fatalf("the bot reached the engine: %v", calls)
	}
	// The bot's request is kept as refused, for the admin to see.
	list := decodeBody[requestList](t, e.do(e.admin, http.MethodGet, fmt.Sprintf("/api/v1/widget-requests?widget_id=%d", trap.w.ID), ""))
	if len(list.Requests) != 1 || list.Requests[0].Reason != dialer.RefusedHoneypot || list.Requests[0].Source != "widget" {
		t.Fatalf("recorded %+v", list.Requests)
	}
	// The real answer says nothing of the call's internals.
	var ans map[string]any
	json.Unmarshal(rec.Body.Bytes(), &ans)
	if ans["status"] != "dialing" || ans["callback_seconds"] != float64(dialer.DefaultCallbackSeconds) || len(ans) != 2 {
		t.Fatalf("answer %v", ans)
	}
}

// TestWidgetRequestFields: bad input is refused naming the widget's own
// field, not the lead-call API's.
func TestWidgetRequestFields(t *testing.T) {
	e := newEnv(t)
	closed := hours.Week{"mon": {"09:00-11:00"}} // t0 is a Friday afternoon
	cases := []struct {
		name, body string
		week       hours.Week
		countries  *dialer.WidgetCountries
		code       int
		field      string
	}{
		{"no number", `{"country":"US"}`, allWeek, nil, 400, "number"},
		{"not a number", `{"number":"call me maybe"}`, allWeek, nil, 400, "number"},
		{"unknown country", `{"number":"2025550143","country":"XX"}`, allWeek, nil, 400, "country"},
		{"a country the widget does not call", `{"number":"+12025550143"}`, allWeek,
			&dialer.WidgetCountries{Mode: "selected", Allowed: []string{"DE"}, First: []string{}}, 400, "number"},
		{"premium rate", `{"number":"+19005550143"}`, allWeek, nil, 400, "number"},
		{"unknown field", `{"number":"+12025550143","name":"Bob"}`, allWeek, nil, 400, "name"},
		{"number not a string", `{"number":12025550143}`, allWeek, nil, 400, "number"},
		{"scheduled_at not a time", `{"number":"+12025550143","scheduled_at":"monday 9"}`, closed, nil, 400, "scheduled_at"},
		{"scheduled_at when closed", `{"number":"+12025550143","scheduled_at":"2026-11-23T12:00:00Z"}`, closed, nil, 400, "scheduled_at"},
		{"scheduled_at in the past", `{"number":"+12025550143","scheduled_at":"2026-11-16T09:30:00Z"}`, closed, nil, 400, "scheduled_at"},
		{"page not a web address", `{"number":"+12025550143","page":"javascript:alert(1)"}`, allWeek, nil, 400, "page"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lw := e.siteWidget(i+1, c.week, func(w *dialer.Widget) {
				if c.countries != nil {
					w.Settings.Countries = *c.countries
				}
			})
			e.eng.reset()
			rec := e.widgetCall(http.MethodPost, "/api/v1/widget/"+lw.w.Key+"/requests", widgetSite, c.body)
			if rec.Code != c.code || errorOf(t, rec).Field != c.field {
				t.Fatalf("%d %s, want %d on %q", rec.Code, rec.Body, c.code, c.field)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != widgetSite {
				t.Errorf("the widget cannot read the error: %v", rec.Header())
			}
			if len(e.speedCalls()) != 0 {
				t.Errorf("dialed")
			}
		})
	}
}

func TestWidgetLeadInput(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		name  string
		body  widgetRequestBody
		at    time.Time
		want  map[string]string
		field string
	}{
		{"plain", widgetRequestBody{Number: "2025550143", Country: "us"}, time.Time{},
			map[string]string{"lc_number": "2025550143", "country": "US", "source": "widget", "website": ""}, ""},
		{"page path only", widgetRequestBody{Number: "+12025550143", Page: "https://shop.example/pricing?email=a@b.example#x"}, time.Time{},
			map[string]string{"lc_number": "+12025550143", "country": "", "source": "widget", "website": "", "lc_param_page": "/pricing"}, ""},
		{"site root", widgetRequestBody{Number: "+12025550143", Page: "https://shop.example"}, time.Time{},
			map[string]string{"lc_number": "+12025550143", "country": "", "source": "widget", "website": "", "lc_param_page": "/"}, ""},
		{"scheduled", widgetRequestBody{Number: "+12025550143", Website: "x"}, at,
			map[string]string{"lc_number": "+12025550143", "country": "", "source": "widget", "website": "x", "scheduled_at": "2026-11-23T09:30:00Z"}, ""},
		{"blank number", widgetRequestBody{Number: "  "}, time.Time{}, nil, "number"},
		{"bad country", widgetRequestBody{Number: "1", Country: "Germany"}, time.Time{}, nil, "country"},
		{"page too long", widgetRequestBody{Number: "1", Page: "https://shop.example/" + strings.Repeat("a", maxPageURL)}, time.Time{}, nil, "page"},
		{"page without host", widgetRequestBody{Number: "1", Page: "/pricing"}, time.Time{}, nil, "page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := widgetLeadInput(c.body, c.at)
			if c.field != "" {
				if fe, ok := err.(*dialer.FieldError); !ok || fe.Field != c.field {
					t.Fatalf("error %v, want one on %s", err, c.field)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("%v %v, want %v", got, err, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestWidgetSlotsOutsideHours: closed now, the config offers the opening
// times; an offered one is scheduled for that time, and without a choice
// the request waits for the next opening.
func TestWidgetSlotsOutsideHours(t *testing.T) {
	e := newEnv(t)
	lw := e.siteWidget(1, hours.Week{"mon": {"09:00-11:00"}}, nil)
	cfg := decodeBody[widgetConfig](t, e.widgetCall(http.MethodGet, "/api/v1/widget/"+lw.w.Key+"/config", widgetSite, ""))
	monday9 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if cfg.Open || !cfg.NextOpeningAt.Equal(monday9) || len(cfg.Slots) != 4 || !cfg.Slots[0].Equal(monday9) || !cfg.Slots[3].Equal(monday9.Add(90*time.Minute)) {
		t.Fatalf("config %+v", cfg)
	}
	at := cfg.Slots[1].Format(time.RFC3339)
	for _, c := range []struct{ body, want string }{
		{`{"number":"+12025550143","scheduled_at":"` + at + `","page":"https://shop.example/tents?utm_source=x"}`, at},
		{`{"number":"+12025550144"}`, monday9.Format(time.RFC3339)},
	} {
		rec := e.widgetCall(http.MethodPost, "/api/v1/widget/"+lw.w.Key+"/requests", widgetSite, c.body)
		ans := decodeBody[widgetAnswer](t, rec)
		if rec.Code != http.StatusAccepted || ans.Status != "scheduled" || ans.ScheduledAt.Format(time.RFC3339) != c.want {
			t.Fatalf("%s: %d %s, want scheduled at %s", c.body, rec.Code, rec.Body, c.want)
		}
	}
	if len(e.speedCalls()) != 0 {
		t.Fatalf("a scheduled request dialed at once")
	}
	list := decodeBody[requestList](t, e.do(e.admin, http.MethodGet, fmt.Sprintf("/api/v1/widget-requests?widget_id=%d&status=scheduled", lw.w.ID), ""))
	if len(list.Requests) != 2 {
		t.Fatalf("scheduled requests %+v", list.Requests)
	}
	pages := map[string]bool{}
	for _, r := range list.Requests {
		if r.Source != "widget" {
			t.Errorf("request %+v", r)
		}
		pages[r.Params["page"]] = true
	}
	if !pages["/tents"] || !pages[""] {
		t.Errorf("pages %v: the page's path is the parameter", pages)
	}
	// The honeypot's answer for a time is the scheduled one.
	bot := e.widgetCall(http.MethodPost, "/api/v1/widget/"+lw.w.Key+"/requests", widgetSite, `{"number":"+12025550145","scheduled_at":"`+at+`","website":"x"}`)
	if ans := decodeBody[widgetAnswer](t, bot); bot.Code != http.StatusAccepted || ans.Status != "scheduled" || ans.ScheduledAt.Format(time.RFC3339) != at {
		t.Fatalf("honeypot %d %s", bot.Code, bot.Body)
	}
}

// TestWidgetRequestsLimitedPerIP: one address's burst of requests runs
// out, whatever the widget, and is told when to come back.
func TestWidgetRequestsLimitedPerIP(t *testing.T) {
	e := newEnv(t)
	lw := e.siteWidget(1, allWeek, nil)
	path := "/api/v1/widget/" + lw.w.Key + "/requests"
	// Bots' requests (the honeypot) spend the bucket without dialing.
	for i := range int(leadPerIP.burst) {
		if rec := e.widgetCall(http.MethodPost, path, widgetSite, `{"number":"+12025550143","website":"x"}`); rec.Code != http.StatusCreated {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := e.widgetCall(http.MethodPost, path, widgetSite, `{"number":"+12025550143"}`)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("past the burst: %d %v", rec.Code, rec.Header())
	}
	if len(e.speedCalls()) != 0 {
		t.Fatal("dialed past the limit")
	}
	// The refusal shows in the widget's Calls, after the honeypot's.
	e.opts.LeadCalls.FlushRateLimited(t.Context())
	page := decodeBody[requestPage](t, e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widget-requests?widget_id=%d&limit=1", lw.w.ID), ""))
	if len(page.Requests) != 1 || page.Requests[0]["reason"] != "rate_limited" || page.Requests[0]["source"] != "widget" || page.Requests[0]["count"] != 1.0 {
		t.Fatalf("newest request %v", page.Requests)
	}
}
