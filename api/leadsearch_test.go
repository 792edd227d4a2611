package api

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestLeadSearchAndExport: a supervisor searches leads and pages through
// them; the CSV export streams the same search across pages with a
// spreadsheet-safe first name; bad filters name their field.
func TestLeadSearchAndExport(t *testing.T) {
	e := newEnv(t)
	defer func(n int) { csvPage = n }(csvPage)
	csvPage = 1
	ctx := t.Context()
	if _, err := dialer.UpdateLeadWith(ctx, e.store, e.lead2, func(l *dialer.Lead) error { l.FirstName = "=cmd()"; return nil }); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Leads     []dialer.Lead `json:"leads"`
		NextAfter dialer.LeadID `json:"next_after"`
	}
	get := func(q string) {
		t.Helper()
		rec := e.do(e.sup, "GET", "/api/v1/leads"+q, "")
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", q, rec.Code, rec.Body)
		}
		page.Leads, page.NextAfter = nil, 0
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
	}
	get("?q=le&campaign=" + e.campaign.ID.String())
	if len(page.Leads) != 1 || page.Leads[0].ID != e.lead1.ID || page.NextAfter != 0 {
		t.Fatalf("search for le: %+v", page)
	}
	get("?limit=1")
	if len(page.Leads) != 1 || page.Leads[0].ID != e.lead1.ID || page.NextAfter != e.lead1.ID {
		t.Fatalf("first page: %+v", page)
	}
	get("?limit=1&after=" + page.NextAfter.String())
	if len(page.Leads) != 1 || page.Leads[0].ID != e.lead2.ID {
		t.Fatalf("second page: %+v", page)
	}

	rec := e.do(e.sup, "GET", "/api/v1/leads.csv?campaign="+e.campaign.ID.String(), "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(leadCSVColumns, ",") {
		t.Fatalf("export rows %v", rows)
	}
	if rows[1][0] != e.lead1.ID.String() || rows[1][2] != e.lead1.Phone || rows[2][4] != "'=cmd()" {
		t.Fatalf("export rows %v", rows)
	}

	for _, c := range []struct{ q, field string }{
		{"?status=bogus", "status"},
		{"?last_outcome=bogus", "last_outcome"},
		{"?min_attempts=-1", "min_attempts"},
		{"?list=x", "list"},
		{"?q=" + strings.Repeat("a", 129), "q"},
		{"?limit=0", "limit"},
	} {
		rec := e.do(e.sup, "GET", "/api/v1/leads"+c.q, "")
		var body struct {
			Error struct {
				Field string `json:"field"`
			} `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body.Error.Field != c.field {
			t.Errorf("%s: %d %s, want 400 naming %s", c.q[:min(len(c.q), 30)], rec.Code, rec.Body, c.field)
		}
	}
}

// TestBulkLeadsAPI: a supervisor resets a campaign's leads found by a
// search, the change is audited; a bad request names its field and
// changes nothing.
func TestBulkLeadsAPI(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := dialer.UpdateLeadWith(ctx, e.store, e.lead1, func(l *dialer.Lead) error {
		l.Status, l.Attempts = dialer.LeadDone, 4
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := `{"action":"reset","filter":{"campaign":` + e.campaign.ID.String() + `,"status":"done","q":"Le"}}`
	rec := e.do(e.sup, "POST", "/api/v1/leads/bulk", body)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"leads":1`) {
		t.Fatalf("bulk reset: %d %s", rec.Code, rec.Body)
	}
	l, err := e.store.Lead(ctx, e.lead1.ID)
	if err != nil || l.Status != dialer.LeadNew || l.Attempts != 0 {
		t.Fatalf("lead after reset %+v, %v", l, err)
	}
	entries, err := e.store.ListAudit(ctx, dialer.AuditFilter{Limit: 10})
	if err != nil || len(entries) == 0 || entries[0].Action != "lead.bulk_reset" || entries[0].Actor == "" {
		t.Fatalf("audit %v, %v; want lead.bulk_reset last", entries, err)
	}
	before, err := e.store.Lead(ctx, e.lead2.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ body, field string }{
		{`{"action":"wipe","filter":{"campaign":1}}`, "action"},
		{`{"action":"delete","filter":{}}`, "filter.campaign"},
		{`{"action":"move","filter":{"campaign":1}}`, "list_id"},
		{`{"action":"reset","filter":{"campaign":1,"status":"bogus"}}`, "filter.status"},
		{`{"action":"reset","filter":{"campaign":1,"min_attempts":-1}}`, "filter.min_attempts"},
	} {
		rec := e.do(e.sup, "POST", "/api/v1/leads/bulk", c.body)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", c.body, rec.Code, rec.Body, c.field)
		}
	}
	if l, _ := e.store.Lead(ctx, e.lead2.ID); l.Status != before.Status || l.Version != before.Version {
		t.Fatal("a refused bulk change changed a lead")
	}
}
