package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func (e *testEnv) addWidget(n int) dialer.Widget {
	e.t.Helper()
	return must[dialer.Widget](e.t)(e.store.CreateWidget(e.t.Context(), dialer.Widget{Name: fmt.Sprintf("Site %d", n),
		SiteURL: fmt.Sprintf("https://w%d.example", n), Active: true, Settings: dialer.DefaultWidgetSettings()}))
}

// addManager is a manager on an outside number of a new widget.
func (e *testEnv) addManager(n int) dialer.Manager {
	e.t.Helper()
	w := e.addWidget(n)
	return must[dialer.Manager](e.t)(e.store.CreateManager(e.t.Context(), dialer.Manager{WidgetID: w.ID, Name: "Max",
		Phone: fmt.Sprintf("+4930555%04d", n), TimeZone: "UTC", Active: true}))
}

func managerPath(m dialer.Manager, tail string) string {
	return fmt.Sprintf("/api/v1/widgets/%d/managers/%d%s", m.WidgetID, m.ID, tail)
}

// widgetSMS keeps the messages a test's server sends.
type widgetSMS struct {
	mu   sync.Mutex
	msgs []string
}

func (s *widgetSMS) SendSMS(_ context.Context, to, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, to+" "+body)
	return nil
}

func (s *widgetSMS) lastCode(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		t.Fatal("no SMS sent")
	}
	m := regexp.MustCompile(`\b\d{6}$`).FindString(s.msgs[len(s.msgs)-1])
	if m == "" {
		t.Fatalf("no code in %q", s.msgs[len(s.msgs)-1])
	}
	return m
}

func TestWidgetRefusalsNameTheField(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ body, field string }{
		{`{"name":"Shop"}`, "site_url"},
		{`{"name":"Shop","site_url":"https://shop.example/cart"}`, "site_url"},
		{`{"site_url":"https://shop.example"}`, "name"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"sequence":"zigzag"}}`, "settings.sequence"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"callback_seconds":61}}`, "settings.callback_seconds"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"retry":{"enabled":true,"intervals":[60,120,3]}}}`, "settings.retry.intervals[2]"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"notify":{"new_request":["a@b.example","nope"]}}}`, "settings.notify.new_request[1]"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"sms":{"template":"Hi {{name}}"}}}`, "settings.sms.template"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"design":{"button_color":"red"}}}`, "settings.design.button_color"},
		{`{"name":"Shop","site_url":"https://shop.example","settings":{"countries":{"mode":"selected","allowed":["de"]}}}`, "settings.countries.allowed[0]"},
		{`{"name":"Shop","site_url":"https://shop.example","campaign_id":9999}`, "campaign_id"},
	} {
		before := e.fingerprint()
		wantStatus(t, e.do(e.admin, "POST", "/api/v1/widgets", c.body), http.StatusBadRequest, c.field)
		if e.fingerprint() != before {
			t.Fatalf("%s: a refused widget wrote to the database", c.body)
		}
	}
}

func TestWidgetLifecycle(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/widgets", `{"name":"Shop","site_url":"https://Shop.Example/"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	w := decodeJSON[dialer.Widget](t, rec.Body.Bytes())
	if w.SiteURL != "https://shop.example" || w.Key == "" || w.CampaignID == 0 || w.Settings.CallbackSeconds != 27 || w.Settings.Sequence != "all" {
		t.Fatalf("created %+v", w)
	}
	path := fmt.Sprintf("/api/v1/widgets/%d", w.ID)
	// Settings merge: the sequence changes, the rest stays.
	rec = e.do(e.admin, "PATCH", path, `{"settings":{"sequence":"rank","retry":{"enabled":true,"intervals":[60,300],"when":"visitor"}}}`)
	up := decodeJSON[dialer.Widget](t, rec.Body.Bytes())
	if rec.Code != 200 || up.Settings.Sequence != "rank" || up.Settings.CallbackSeconds != 27 || up.Key != w.Key ||
		!slices.Equal(up.Settings.Retry.Intervals, []int{60, 300}) || up.Settings.Design.Position != "bottom-right" {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.admin, "PATCH", path, `{"settings":{"bogus":1}}`), http.StatusBadRequest, "bogus")
	if got := decodeJSON[dialer.Widget](t, e.do(e.sup, "GET", path, "").Body.Bytes()); got.Settings.Sequence != "rank" {
		t.Fatalf("supervisor reads %+v", got)
	}
	l := decodeJSON[struct{ Widgets []dialer.Widget }](t, e.do(e.sup, "GET", "/api/v1/widgets", "").Body.Bytes())
	if len(l.Widgets) != 1 {
		t.Fatalf("list %+v", l)
	}
	if rec := e.do(e.admin, "DELETE", path, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.admin, "GET", path, ""), http.StatusNotFound, "")
	if want := []string{"widget.create", "widget.update", "widget.delete"}; !slices.Equal(changeAudit(e), want) {
		t.Fatalf("audit %v, want %v", changeAudit(e), want)
	}
}

func TestWidgetManagersAndVerification(t *testing.T) {
	e := newEnv(t)
	sms := &widgetSMS{}
	e.srv.opts.SMS = sms
	w := e.addWidget(1)
	base := fmt.Sprintf("/api/v1/widgets/%d/managers", w.ID)

	for _, c := range []struct{ body, field string }{
		{`{"name":"Nobody","time_zone":"UTC"}`, "phone"},
		{`{"name":"Max","phone":"030 123","time_zone":"UTC"}`, "phone"},
		{`{"name":"Max","phone":"+4930123456","time_zone":"Berlin"}`, "time_zone"},
		{`{"name":"Max","phone":"+4930123456","time_zone":"UTC","hours":{"week":{"mon":["09:00-12:00","11:00-13:00"]}}}`, "hours.week.mon"},
		{`{"name":"Max","phone":"+4930123456","time_zone":"UTC","hours":{"week":{"tue":["9-5"]}}}`, "hours.week.tue[0]"},
		{`{"name":"Max","phone":"+4930123456","time_zone":"UTC","hours":{"exceptions":[{"date":"12/25"}]}}`, "hours.exceptions[0].date"},
		{`{"name":"Ghost","agent_id":9999,"time_zone":"UTC"}`, "agent_id"},
	} {
		before := e.fingerprint()
		wantStatus(t, e.do(e.admin, "POST", base, c.body), http.StatusBadRequest, c.field)
		if e.fingerprint() != before {
			t.Fatalf("%s: a refused manager wrote to the database", c.body)
		}
	}

	week := `{"week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"]},"exceptions":[{"date":"2026-12-08","hours":[]}]}`
	rec := e.do(e.admin, "POST", base, `{"name":"Ann","agent_id":1,"time_zone":"Europe/Berlin","hours":`+week+`}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("seat: %d %s", rec.Code, rec.Body)
	}
	seat := decodeJSON[dialer.Manager](t, rec.Body.Bytes())
	wantStatus(t, e.do(e.admin, "POST", managerPath(seat, "/verify"), ""), http.StatusBadRequest, "phone")

	rec = e.do(e.admin, "POST", base, `{"name":"Max","phone":"+4930123456","time_zone":"Europe/Berlin","position":1,"hours":`+week+`}`)
	ext := decodeJSON[dialer.Manager](t, rec.Body.Bytes())
	if rec.Code != http.StatusCreated || !ext.VerifiedAt.IsZero() || ext.Hours.Week["mon"][0] != "09:00-17:00" {
		t.Fatalf("outside number: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "POST", managerPath(ext, "/verify"), ""); rec.Code != http.StatusOK {
		t.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}
	code := sms.lastCode(t)
	// Asking again at once texts nothing.
	wantStatus(t, e.do(e.admin, "POST", managerPath(ext, "/verify"), ""), http.StatusBadRequest, "code")
	if len(sms.msgs) != 1 {
		t.Fatalf("sent %q", sms.msgs)
	}
	if !strings.HasPrefix(sms.msgs[0], "+4930123456 ") {
		t.Fatalf("sent %q", sms.msgs)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantStatus(t, e.do(e.admin, "POST", managerPath(ext, "/verify/confirm"), `{"code":"`+wrong+`"}`), http.StatusBadRequest, "code")
	wantStatus(t, e.do(e.admin, "POST", managerPath(ext, "/verify/confirm"), `{"code":"12"}`), http.StatusBadRequest, "code")
	rec = e.do(e.admin, "POST", managerPath(ext, "/verify/confirm"), `{"code":"`+code+`"}`)
	if got := decodeJSON[dialer.Manager](t, rec.Body.Bytes()); rec.Code != 200 || got.VerifiedAt.IsZero() {
		t.Fatalf("confirm: %d %s", rec.Code, rec.Body)
	}
	// The code is stored hashed only.
	var hash string
	if err := e.ro.QueryRowContext(t.Context(), `SELECT coalesce(group_concat(code_hash), '') FROM widget_managers`).Scan(&hash); err != nil || strings.Contains(hash, code) {
		t.Fatalf("stored %q %v", hash, err)
	}

	// Monday 2026-12-07 10:00 Berlin both are open; Tuesday is an exception,
	// so the next opening after Monday's close is Monday a week later.
	next := decodeJSON[dialer.WidgetOpening](t, e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widgets/%d/hours/next?at=2026-12-07T09:00:00Z", w.ID), "").Body.Bytes())
	if !next.Open || len(next.Now) != 2 {
		t.Fatalf("monday morning %+v", next)
	}
	next = decodeJSON[dialer.WidgetOpening](t, e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widgets/%d/hours/next?at=2026-12-07T17:00:00Z", w.ID), "").Body.Bytes())
	if next.Open || next.Next.UTC().Format("2006-01-02T15:04") != "2026-12-14T08:00" {
		t.Fatalf("monday evening %+v", next)
	}
	wantStatus(t, e.do(e.sup, "GET", fmt.Sprintf("/api/v1/widgets/%d/hours/next?at=monday", w.ID), ""), http.StatusBadRequest, "at")

	// A new number must be verified again.
	rec = e.do(e.admin, "PATCH", managerPath(ext, ""), `{"phone":"+4930999999"}`)
	if got := decodeJSON[dialer.Manager](t, rec.Body.Bytes()); rec.Code != 200 || !got.VerifiedAt.IsZero() {
		t.Fatalf("new number: %d %s", rec.Code, rec.Body)
	}
	// Hours given replace the old ones.
	rec = e.do(e.admin, "PATCH", managerPath(ext, ""), `{"hours":{"week":{"sat":["10:00-14:00"]}}}`)
	if got := decodeJSON[dialer.Manager](t, rec.Body.Bytes()); rec.Code != 200 || len(got.Hours.Week) != 1 || len(got.Hours.Exceptions) != 0 {
		t.Fatalf("new hours: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "DELETE", managerPath(seat, ""), ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	l := decodeJSON[struct{ Managers []dialer.Manager }](t, e.do(e.sup, "GET", base, "").Body.Bytes())
	if len(l.Managers) != 1 || l.Managers[0].ID != ext.ID {
		t.Fatalf("managers %+v", l)
	}
	want := []string{"widget.manager.create", "widget.manager.create", "widget.manager.verify", "widget.manager.verified",
		"widget.manager.update", "widget.manager.update", "widget.manager.delete"}
	if !slices.Equal(changeAudit(e), want) {
		t.Fatalf("audit %v, want %v", changeAudit(e), want)
	}
}

func TestWidgetAPIKeysShownOnce(t *testing.T) {
	e := newEnv(t)
	w := e.addWidget(1)
	base := fmt.Sprintf("/api/v1/widgets/%d/api-keys", w.ID)
	wantStatus(t, e.do(e.admin, "POST", base, `{"name":""}`), http.StatusBadRequest, "name")
	rec := e.do(e.admin, "POST", base, `{"name":"crm"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	made := decodeJSON[struct {
		APIKey dialer.WidgetAPIKey `json:"api_key"`
		Secret string              `json:"secret"`
	}](t, rec.Body.Bytes())
	if !strings.HasPrefix(made.Secret, made.APIKey.Prefix) {
		t.Fatalf("made %+v", made)
	}
	list := e.do(e.admin, "GET", base, "").Body.String()
	if strings.Contains(list, made.Secret) || !strings.Contains(list, made.APIKey.Prefix) {
		t.Fatalf("list %s", list)
	}
	if _, err := e.store.VerifyWidgetAPIKey(t.Context(), made.Secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	if rec := e.do(e.admin, "DELETE", fmt.Sprintf("%s/%d", base, made.APIKey.ID), ""); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if _, err := e.store.VerifyWidgetAPIKey(t.Context(), made.Secret, time.Now()); err == nil {
		t.Fatal("a revoked key verified")
	}
	other := e.addWidget(2)
	wantStatus(t, e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/widgets/%d/api-keys/%d", other.ID, made.APIKey.ID), ""), http.StatusNotFound, "")
}
