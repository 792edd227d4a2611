package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestDNCRoutes(t *testing.T) {
	e := newEnv(t)
	camp := e.campaign.ID
	for _, tc := range []struct {
		name         string
		w            who
		method, path string
		body         string
		code         int
		field        string
	}{
		{"supervisor adds to a campaign list", e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":"(415) 555-0100","campaign_id":%d,"reason":"asked"}`, camp), 201, ""},
		{"again: the entry as it was", e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":"+14155550100","campaign_id":%d}`, camp), 200, ""},
		{"supervisor refused the system-wide list", e.sup, http.MethodPost, "/api/v1/dnc", `{"phone":"+14155550100"}`, 403, ""},
		{"admin adds to the system-wide list", e.admin, http.MethodPost, "/api/v1/dnc", `{"phone":"+14155550100","reason":"complaint"}`, 201, ""},
		{"agent refused", e.agent1, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":"+14155550100","campaign_id":%d}`, camp), 403, ""},
		{"bad number", e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":"12ab","campaign_id":%d}`, camp), 400, "phone"},
		{"no number", e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"campaign_id":%d}`, camp), 400, "phone"},
		{"unknown campaign", e.sup, http.MethodPost, "/api/v1/dnc", `{"phone":"+14155550100","campaign_id":999}`, 400, "campaign_id"},
		{"negative campaign", e.admin, http.MethodPost, "/api/v1/dnc", `{"phone":"+14155550100","campaign_id":-1}`, 400, "campaign_id"},
		{"reason too long", e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":"+14155550100","campaign_id":%d,"reason":%q}`, camp, strings.Repeat("x", 300)), 400, "reason"},
		{"unknown field", e.sup, http.MethodPost, "/api/v1/dnc", `{"number":"+14155550100"}`, 400, "number"},
		{"list a campaign's", e.sup, http.MethodGet, fmt.Sprintf("/api/v1/dnc?campaign_id=%d&q=%%2B1415", camp), "", 200, ""},
		{"list the system-wide: admin only", e.sup, http.MethodGet, "/api/v1/dnc", "", 403, ""},
		{"list bad campaign", e.sup, http.MethodGet, "/api/v1/dnc?campaign_id=x", "", 400, "campaign_id"},
		{"list bad limit", e.admin, http.MethodGet, "/api/v1/dnc?limit=0", "", 400, "limit"},
		{"list bad after", e.admin, http.MethodGet, "/api/v1/dnc?after=-3", "", 400, "after"},
		{"lookup bad number", e.sup, http.MethodGet, "/api/v1/dnc/abc", "", 400, "phone"},
		{"remove bad number", e.admin, http.MethodDelete, "/api/v1/dnc/abc", "", 400, "phone"},
		{"remove from the system-wide list: admin only", e.sup, http.MethodDelete, "/api/v1/dnc/%2B14155550100", "", 403, ""},
		{"remove absent", e.sup, http.MethodDelete, fmt.Sprintf("/api/v1/dnc/%%2B14155550199?campaign_id=%d", camp), "", 404, ""},
		{"dialability needs a lead id", e.sup, http.MethodGet, "/api/v1/leads/x/dialability", "", 400, "id"},
		{"dialability of another's lead", e.agent2, http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/dialability", e.lead1.ID), "", 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.w, tc.method, tc.path, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.field != "" {
				if f := errorOf(t, rec).Field; f != tc.field {
					t.Fatalf("field %q, want %q (%s)", f, tc.field, rec.Body)
				}
			}
		})
	}

	// Lookup: both lists, with their reasons, the + sent raw or escaped.
	for _, path := range []string{"/api/v1/dnc/+14155550100", "/api/v1/dnc/%2B14155550100", "/api/v1/dnc/4155550100"} {
		rec := e.do(e.sup, http.MethodGet, path+fmt.Sprintf("?campaign_id=%d", camp), "")
		got := decodeBody[dncLookup](t, rec)
		if rec.Code != 200 || !got.Blocked || got.Phone != "+14155550100" || len(got.Entries) != 2 ||
			got.Entries[0].Campaign != 0 || got.Entries[0].Reason != "complaint" || got.Entries[1].Reason != "asked" {
			t.Fatalf("lookup %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	page := decodeBody[dncPage](t, e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/dnc?campaign_id=%d&q=%%2B1415", camp), ""))
	if len(page.Entries) != 1 || page.Entries[0].Phone != "+14155550100" || page.NextAfter != 0 {
		t.Fatalf("list: %+v", page)
	}
	if rec := e.do(e.sup, http.MethodDelete, fmt.Sprintf("/api/v1/dnc/%%2B14155550100?campaign_id=%d", camp), ""); rec.Code != 204 {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, http.MethodDelete, "/api/v1/dnc/%2B14155550100", ""); rec.Code != 204 {
		t.Fatalf("remove system-wide: %d %s", rec.Code, rec.Body)
	}
	got := decodeBody[dncLookup](t, e.do(e.sup, http.MethodGet, "/api/v1/dnc/%2B14155550100", ""))
	if got.Blocked || len(got.Entries) != 0 {
		t.Fatalf("after removal: %+v", got)
	}
	// Each change of a list is audited; adding a number already there
	// changes nothing.
	if a := strings.Join(changeAudit(e), " "); a != "dnc.add dnc.add dnc.remove dnc.remove" {
		t.Fatalf("audit %q", a)
	}
}

func TestDNCImport(t *testing.T) {
	e := newEnv(t)
	camp := e.campaign.ID
	imp := func(w who, query, contentType, body string) *httptest.ResponseRecorder {
		req := e.request(w, http.MethodPost, "/api/v1/dnc/import"+query, body)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		e.srv.Echo().ServeHTTP(rec, req)
		return rec
	}
	q := fmt.Sprintf("?campaign_id=%d&reason=list+2026", camp)
	for _, tc := range []struct {
		name, body string
		want       DNCImportReport
	}{
		{"one number per row", "+14155550101\n(415) 555-0102\n415.555.0101\nnot a number\n\n+1415\n",
			DNCImportReport{Rows: 5, Added: 2, Duplicate: 1, Invalid: 2, Errors: []DNCImportError{
				{Row: 4, Value: "not a number", Reason: "only digits, a leading + and the separators space - . ( ) are allowed"},
				{Row: 6, Value: "+1415", Reason: "too short for its country"}}}},
		{"phone column", "name,Phone,notes\nAnn,+14155550101,x\nBob,415-555-0103,\"y, z\"\nCy,,\nDee\n",
			DNCImportReport{Rows: 4, Added: 1, Duplicate: 1, Invalid: 2, Errors: []DNCImportError{
				{Row: 4, Reason: "no number"}, {Row: 5, Reason: "no number"}}}},
		{"header without a phone column", "number\n4155550104\n",
			DNCImportReport{Rows: 1, Added: 1, Errors: []DNCImportError{}}},
		{"bad quoting is one invalid row", "4155550105\n\"41555\"50106\n4155550107\n",
			DNCImportReport{Rows: 3, Added: 2, Invalid: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := imp(e.sup, q, "text/csv", tc.body)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			got := decodeBody[DNCImportReport](t, rec)
			if got.Rows != tc.want.Rows || got.Added != tc.want.Added || got.Duplicate != tc.want.Duplicate || got.Invalid != tc.want.Invalid {
				t.Fatalf("report %s, want %+v", rec.Body, tc.want)
			}
			if tc.want.Errors != nil && fmt.Sprint(got.Errors) != fmt.Sprint(tc.want.Errors) {
				t.Fatalf("errors %+v, want %+v", got.Errors, tc.want.Errors)
			}
		})
	}
	page := decodeBody[dncPage](t, e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/dnc?campaign_id=%d&limit=3", camp), ""))
	if len(page.Entries) != 3 || page.Entries[0].Phone != "+14155550101" || page.Entries[0].Reason != "list 2026" || page.NextAfter == 0 {
		t.Fatalf("imported list: %+v", page)
	}
	next := decodeBody[dncPage](t, e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/dnc?campaign_id=%d&after=%d", camp, page.NextAfter), ""))
	if len(next.Entries) != 3 {
		t.Fatalf("next page: %+v", next)
	}

	// Many rows stream through several batches.
	var b strings.Builder
	for i := range 1234 {
		fmt.Fprintf(&b, "+1212555%04d\n", i)
	}
	rec := imp(e.admin, "", "text/csv; charset=utf-8", b.String())
	if rep := decodeBody[DNCImportReport](t, rec); rec.Code != 200 || rep.Added != 1234 || rep.Rows != 1234 {
		t.Fatalf("system-wide import: %d %s", rec.Code, rec.Body)
	}
	// One audit entry per import, however many rows.
	if a := strings.Join(changeAudit(e), " "); a != "dnc.import dnc.import dnc.import dnc.import dnc.import" {
		t.Fatalf("audit %q", a)
	}

	for _, tc := range []struct {
		name      string
		w         who
		query, ct string
		code      int
		field     string
	}{
		{"system-wide by a supervisor", e.sup, "", "text/csv", 403, ""},
		{"agent", e.agent1, q, "text/csv", 403, ""},
		{"not CSV", e.sup, q, "application/json", 415, "body"},
		{"unknown campaign", e.sup, "?campaign_id=999", "text/csv", 400, "campaign_id"},
		{"reason too long", e.sup, fmt.Sprintf("?campaign_id=%d&reason=%s", camp, strings.Repeat("r", 300)), "text/csv", 400, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := imp(tc.w, tc.query, tc.ct, "+14155550101\n")
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.field != "" {
				if f := errorOf(t, rec).Field; f != tc.field {
					t.Fatalf("field %q, want %q", f, tc.field)
				}
			}
		})
	}
}

// TestDNCCancelsCallbackThroughAPI: blocking the number of a lead with a
// scheduled callback cancels the callback.
func TestDNCCancelsCallbackThroughAPI(t *testing.T) {
	e := newEnv(t)
	cb := e.addCallback(0, e.lead1.ID)
	rec := e.do(e.sup, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":%q,"campaign_id":%d}`, e.lead1.Phone, e.campaign.ID))
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got := must[dialer.Callback](t)(e.store.Callback(t.Context(), cb)); got.Status != dialer.CallbackCancelled {
		t.Fatalf("callback %s after DNC", got.Status)
	}
}

func TestLeadDialability(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/leads/%d/dialability", e.lead1.ID)
	// The fixture's answered call keeps its lead "dialing" until it is
	// disposed; say it was, to be tried again.
	if _, err := dialer.UpdateLeadWith(t.Context(), e.store, e.lead1, func(l *dialer.Lead) error { l.Status = dialer.LeadRetry; return nil }); err != nil {
		t.Fatal(err)
	}
	// t0 is 09:00 in Chicago (the lead's zone); the campaign is not active.
	rec := e.do(e.sup, http.MethodGet, path, "")
	d := decodeBody[dialer.Dialability](t, rec)
	if rec.Code != 200 || d.Dialable || !d.Window.Open || d.Window.TimeZone != "America/Chicago" || d.Window.ZoneSource != "lead" ||
		d.Window.LocalTime != "Fri 2026-11-20 09:00 CST" || len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0], "not active") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	camp := e.campaign
	camp.Active = true
	if _, err := e.store.UpdateCampaign(t.Context(), camp); err != nil {
		t.Fatal(err)
	}
	if d := decodeBody[dialer.Dialability](t, e.do(e.sup, http.MethodGet, path, "")); !d.Dialable || !d.NextAt.Equal(t0) {
		t.Fatalf("active campaign: %+v", d)
	}
	if rec := e.do(e.admin, http.MethodPost, "/api/v1/dnc", fmt.Sprintf(`{"phone":%q,"reason":"complaint"}`, e.lead1.Phone)); rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	d = decodeBody[dialer.Dialability](t, e.do(e.sup, http.MethodGet, path, ""))
	if d.Dialable || !d.NextAt.IsZero() || len(d.DNC) != 1 || !strings.Contains(d.Reasons[0], "system-wide do-not-call list (complaint)") {
		t.Fatalf("after DNC: %+v", d)
	}
}

// TestCampaignCallingWindowValidated: a campaign's calling_window is
// checked when it is written, naming the field.
func TestCampaignCallingWindowValidated(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		window string
		code   int
		field  string
	}{
		{`{"days":["mon","fri"],"hours":[{"start":"09:00","end":"17:00"}],"holidays":["2026-12-25"]}`, 201, ""},
		{`{"hours":[{"start":"9:00","end":"17:00"}]}`, 400, "calling_window.hours[0].start"},
		{`{"hours":[{"start":"09:00","end":"08:00"}]}`, 400, "calling_window.hours[0].end"},
		{`{"regions":[{"name":"CA","prefixes":["+1415"],"days":["someday"]}]}`, 400, "calling_window.regions[0].days[0]"},
		{`{"time_zone":"Nowhere/City"}`, 400, "calling_window.time_zone"},
	} {
		body := fmt.Sprintf(`{"name":"W %d","dial_mode":"preview","settings":{"calling_window":%s}}`, len(tc.window), tc.window)
		rec := e.do(e.admin, http.MethodPost, "/api/v1/campaigns", body)
		if rec.Code != tc.code {
			t.Fatalf("%s: %d %s", tc.window, rec.Code, rec.Body)
		}
		if tc.field != "" && errorOf(t, rec).Field != tc.field {
			t.Errorf("%s: field %q, want %q", tc.window, errorOf(t, rec).Field, tc.field)
		}
	}
}

func TestPatchCallingWindow(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID)
	rules := `{"days":["mon","tue"],"hours":[{"start":"09:00","end":"17:00"}]}`
	if rec := e.do(e.sup, http.MethodPatch, path, `{"lines_per_agent":2,"calling_window":`+rules+`}`); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	c := must[dialer.Campaign](t)(e.store.Campaign(t.Context(), e.campaign.ID))
	r, err := dialer.CallingWindow(c)
	if err != nil || len(r.Hours) != 1 || r.Hours[0].Start != 9*60 || !strings.Contains(string(c.Settings), `"lines_per_agent":2`) {
		t.Fatalf("stored %s: %+v %v", c.Settings, r, err)
	}
	if rec := e.do(e.sup, http.MethodPatch, path, `{"calling_window":null}`); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	c = must[dialer.Campaign](t)(e.store.Campaign(t.Context(), e.campaign.ID))
	if strings.Contains(string(c.Settings), "calling_window") || !strings.Contains(string(c.Settings), `"lines_per_agent":2`) {
		t.Fatalf("after null: %s", c.Settings)
	}
}
