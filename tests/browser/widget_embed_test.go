package browser

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
)

const (
	embedLead      = "+14155550199"
	embedLater     = "+14155550177"
	embedStranger  = "+14155550155"
	embedExtension = "2101"
)

// sitePage is a customer's page: no inline script or style, the widget's
// snippet, under the strict policy a careful site sends.
var sitePage = template.Must(template.New("site").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outdoor</title></head>
<body>
<header><h1>Northwind Outdoor</h1><nav><a href="#tents">Tents</a> · <a href="#boots">Boots</a> · <a href="#contact">Contact</a></nav></header>
<main><h2>Gear for the long way round</h2>
<p>Tents, boots and packs tested on three continents. Free returns for 60 days.</p>
<p id="tents">Our four-season tents weigh under two kilos and pitch in three minutes.</p>
<p id="boots">Boots resoled for life, in our own workshop.</p></main>
<script src="{{.Service}}/widget.js" data-widget-key="{{.Key}}" async></script>
</body></html>`))

// site is a customer's web server: /open and /closed embed the two
// widgets, under the CSP that allows the service alone. The keys are set
// once the widgets, made for the site's origin, exist.
type site struct {
	*httptest.Server
	mu                 sync.Mutex
	openKey, closedKey string
}

func startSite(t *testing.T, service string) *site {
	t.Helper()
	s := &site{}
	csp := fmt.Sprintf("default-src 'none'; script-src %[1]s; connect-src %[1]s; style-src %[1]s", service)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		key := map[string]string{"/open": s.openKey, "/closed": s.closedKey}[r.URL.Path]
		s.mu.Unlock()
		if key == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		sitePage.Execute(w, map[string]string{"Service": service, "Key": key})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) embed(openKey, closedKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openKey, s.closedKey = openKey, closedKey
}

// TestWidgetEmbed: a site pastes the snippet into a page with a strict
// CSP on its own origin. A visitor opens the widget by keyboard, picks a
// country, gets the field error for a bad number, then the countdown for a
// good one while the manager's phone rings; outside hours the opening
// times are offered and a chosen one is taken. A page on a third origin
// gets no widget and its request is refused. Screenshots at 1440 and 375
// px go to artifacts/.
func TestWidgetEmbed(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	for _, n := range []string{embedLead, embedLater, embedStranger} {
		sw.SetEndpoint(n, sim.Behavior{AnswerAfter: 200 * time.Millisecond})
	}
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)

	// Mia answers the widget's calls on her SIP seat.
	mia := adm.post(t, "/agents", map[string]any{"name": "Mia Berg", "extension": embedExtension, "sip_password": "sip-secret-" + embedExtension})
	adm.post(t, fmt.Sprintf("/agents/%v/login", mia["id"]), map[string]any{"endpoint": map[string]any{"kind": "sip"}, "mode": "ring"})
	adm.post(t, fmt.Sprintf("/agents/%v/ready", mia["id"]), nil)

	// The widgets are made for the site's origin; a stranger's site
	// embeds the same snippet.
	shop, stranger := startSite(t, svc.URL), startSite(t, svc.URL)
	ids := map[string]any{}
	widget := func(name string, week map[string][]string) string {
		w := adm.post(t, "/widgets", map[string]any{"name": name, "site_url": shop.URL, "active": true})
		st := w["settings"].(map[string]any)
		st["callback_seconds"] = 15
		st["countries"] = map[string]any{"mode": "selected", "allowed": []string{"DE", "FR", "GB", "US"}, "first": []string{"DE"}}
		d := st["design"].(map[string]any)
		d["button_color"] = "#0b5cad"
		adm.do(t, http.MethodPatch, fmt.Sprintf("/widgets/%v", w["id"]), map[string]any{"settings": st}, nil)
		adm.post(t, fmt.Sprintf("/widgets/%v/managers", w["id"]), map[string]any{"name": "Mia", "agent_id": mia["id"],
			"time_zone": "UTC", "hours": map[string]any{"week": week}, "active": true})
		ids[name] = w["id"]
		return w["widget_key"].(string)
	}
	always := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		always[d] = []string{"00:00-23:59"}
	}
	// Closed now: open only on the day after tomorrow, in the morning.
	later := strings.ToLower(time.Now().UTC().AddDate(0, 0, 2).Weekday().String()[:3])
	openKey, closedKey := widget("Northwind", always), widget("Northwind after hours", map[string][]string{later: {"09:00-12:00"}})
	shop.embed(openKey, closedKey)
	stranger.embed(openKey, closedKey)

	var res struct {
		Countdown   []int  `json:"countdown"`
		ScheduledAt string `json:"scheduled_at"`
		Refused     string `json:"refused"`
	}
	scenario(t, ctx, svc, "widget_embed.mjs", []string{
		"AS_ADMIN_KEY=" + keySecret, "AS_SITE=" + shop.URL, "AS_STRANGER=" + stranger.URL,
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	if len(res.Countdown) != 2 || res.Countdown[0] > 15 || res.Countdown[1] >= res.Countdown[0] {
		t.Errorf("countdown %v: not counting down from 15", res.Countdown)
	}
	// The good number's call rang Mia's seat, and dialed no one else.
	cmds := commandLines(sw.Commands())
	if !hasCommandWith(cmds, "originate", "user/"+embedExtension) {
		t.Errorf("the manager's seat was not rung: %v", cmds)
	}
	for _, n := range []string{embedStranger, strings.TrimPrefix(embedStranger, "+")} {
		if hasCommandWith(cmds, "originate", n) {
			t.Errorf("the third origin's number was dialed: %v", cmds)
		}
	}
	if res.ScheduledAt == "" || res.Refused == "" {
		t.Errorf("result %+v", res)
	}
	// The service keeps the visitors' requests: the bad number refused,
	// the good one called at once (from the page's path), the last one
	// waiting for the time picked.
	var called, waiting widgetRequests
	adm.do(t, http.MethodGet, fmt.Sprintf("/widget-requests?widget_id=%v", ids["Northwind"]), nil, &called)
	adm.do(t, http.MethodGet, fmt.Sprintf("/widget-requests?widget_id=%v", ids["Northwind after hours"]), nil, &waiting)
	// Newest first.
	if r := called.Requests; len(r) != 2 || r[0].CallID == "" || r[0].Source != "widget" || r[0].Params["page"] != "/open" ||
		len(r[0].Numbers) != 1 || r[0].Numbers[0] != embedLead || r[1].Status != "refused" || r[1].CallID != "" {
		t.Errorf("the requests on the open widget: %+v", r)
	}
	if r := waiting.Requests; len(r) != 1 || r[0].Status != "scheduled" || !r[0].NextAttemptAt.Equal(mustTime(t, res.ScheduledAt)) ||
		r[0].Numbers[0] != embedLater {
		t.Errorf("the call scheduled for %s: %+v", res.ScheduledAt, r)
	}
}

// widgetRequests is GET /widget-requests, as far as read here.
type widgetRequests struct {
	Requests []struct {
		Status        string            `json:"status"`
		Source        string            `json:"source"`
		Numbers       []string          `json:"numbers"`
		Params        map[string]string `json:"params"`
		CallID        string            `json:"call_id"`
		NextAttemptAt time.Time         `json:"next_attempt_at"`
	} `json:"requests"`
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hasCommandWith reports a command with both words.
func hasCommandWith(cmds []string, prefix, part string) bool {
	for _, c := range cmds {
		if strings.Contains(c, prefix) && strings.Contains(c, part) {
			return true
		}
	}
	return false
}
