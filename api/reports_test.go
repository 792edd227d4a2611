package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestReportValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, query, field string
	}{
		{"no from", "to=2026-11-20", "from"},
		{"no to", "from=2026-11-20", "to"},
		{"bad from", "from=20/11/2026&to=2026-11-20", "from"},
		{"bad to", "from=2026-11-20&to=2026-11-31", "to"},
		{"from after to", "from=2026-11-20&to=2026-11-19", "to"},
		{"range too long", "from=2026-01-01&to=2026-04-03", "to"},
		{"bad zone", "from=2026-11-20&to=2026-11-20&tz=Mars/Olympus", "tz"},
		{"local zone", "from=2026-11-20&to=2026-11-20&tz=Local", "tz"},
		{"bad campaign", "from=2026-11-20&to=2026-11-20&campaign=x", "campaign"},
		{"bad queue", "from=2026-11-20&to=2026-11-20&queue=0", "queue"},
		{"bad agent", "from=2026-11-20&to=2026-11-20&agent=-1", "agent"},
		{"bad team", "from=2026-11-20&to=2026-11-20&team=x", "team"},
		{"bad interval", "from=2026-11-20&to=2026-11-20&interval=week", "interval"},
		{"hourly too long", "from=2026-11-01&to=2026-11-20&interval=hour", "interval"},
		{"bad format", "from=2026-11-20&to=2026-11-20&format=xml", "format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(e.sup, http.MethodGet, "/api/v1/reports/queues?"+tc.query, "")
			if d := errorOf(t, rec); rec.Code != http.StatusBadRequest || d.Field != tc.field {
				t.Fatalf("%d %s, want 400 on %q", rec.Code, rec.Body, tc.field)
			}
		})
	}
	// The longest range (92 days) and a zone pass.
	if rec := e.do(e.sup, http.MethodGet, "/api/v1/reports/queues?from=2026-01-01&to=2026-04-02&tz=Europe/Paris", ""); rec.Code != http.StatusOK {
		t.Fatalf("92 days: %d %s", rec.Code, rec.Body)
	}
	e = newEnv(t, func(o *Options) { o.Reports = nil })
	if rec := e.do(e.sup, http.MethodGet, "/api/v1/reports/agents?from=2026-11-20&to=2026-11-20", ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without a report store: %d %s", rec.Code, rec.Body)
	}
}

// TestReportsJSONAndCSV: a report's range is whole days of the zone asked;
// the CSV has the same figures, text a spreadsheet would run escaped.
func TestReportsJSONAndCSV(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// 23:30 on the 19th in New York is the 20th in UTC.
	ny := must[*time.Location](t)(time.LoadLocation("America/New_York"))
	late := time.Date(2026, 11, 19, 23, 30, 0, 0, ny)
	id := e.addRecord(1, e.lead1.ID, late, dialer.OutcomeAnswered, 30)
	if _, err := e.store.DisposeCall(ctx, dialer.Disposal{Call: id, Code: "SALE", Agent: 1, At: late.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Inbound, Origin: dialer.OriginInbound,
		FromNumber: "+12125550199", CreatedAt: late}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) *http.Response {
		t.Helper()
		rec := e.do(e.sup, http.MethodGet, path, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Result()
	}
	var out struct {
		TimeZone  string                  `json:"time_zone"`
		From      time.Time               `json:"from"`
		Campaigns []dialer.CampaignReport `json:"campaigns"`
	}
	if err := json.NewDecoder(get("/api/v1/reports/campaigns?from=2026-11-19&to=2026-11-19&tz=America/New_York").Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.TimeZone != "America/New_York" || !out.From.Equal(time.Date(2026, 11, 19, 0, 0, 0, 0, ny)) || len(out.Campaigns) != 1 {
		t.Fatalf("campaigns %+v", out)
	}
	if c := out.Campaigns[0]; c.Attempts != 1 || c.Contacts != 1 || c.Conversions["SALE"] != 1 || len(c.Days) != 1 || len(c.Windows) != 3 {
		t.Fatalf("campaign %+v", c)
	}
	// In UTC the call is on the 20th: none on the 19th.
	if err := json.NewDecoder(get("/api/v1/reports/campaigns?from=2026-11-19&to=2026-11-19&tz=UTC").Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Campaigns) != 0 {
		t.Fatalf("in UTC: %+v", out.Campaigns)
	}

	for _, path := range []string{"/api/v1/reports/hangups.csv?from=2026-11-19&to=2026-11-19&tz=America/New_York",
		"/api/v1/reports/hangups?format=csv&from=2026-11-19&to=2026-11-19&tz=America/New_York"} {
		res := get(path)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "hangups-2026-11-19-2026-11-19.csv") {
			t.Fatalf("%s: headers %v", path, res.Header)
		}
		rows, err := csv.NewReader(res.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// The live inbound call has not ended: not counted.
		if want := [][]string{{"cause", "direction", "calls"}, {"NORMAL_CLEARING", "outbound", "1"}}; !equalRows(rows, want) {
			t.Fatalf("%s: %q", path, rows)
		}
	}

	// A name a spreadsheet would run as a formula is escaped.
	if _, err := e.store.UpdateAgent(ctx, renamed(must[dialer.Agent](t)(e.store.Agent(ctx, 1)), "=cmd|'/c calc'!A1"), ""); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(get("/api/v1/reports/agents.csv?from=2026-11-19&to=2026-11-20").Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Agent 1's call was never bridged: no call talked, one disposed.
	if len(rows) != 3 || rows[0][1] != "name" || rows[1][1] != "'=cmd|'/c calc'!A1" || rows[1][2] != "0" || rows[1][11] != "SALE=1" || rows[2][1] != "Bob" {
		t.Fatalf("agents csv %q", rows)
	}
}

func renamed(a dialer.Agent, name string) dialer.Agent {
	a.Name = name
	return a
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

func TestCallSearchValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ query, field string }{
		{"number=12a4", "number"},
		{"number=1", "number"},
		{"number=%25", "number"},
		{"queue=x", "queue"},
		{"outcome=great", "outcome"},
		{"disposition=sale", "disposition"},
		{"min_billsec=-1", "min_billsec"},
		{"has_recording=maybe", "has_recording"},
	} {
		rec := e.do(e.sup, http.MethodGet, "/api/v1/calls?"+tc.query, "")
		if d := errorOf(t, rec); rec.Code != http.StatusBadRequest || d.Field != tc.field {
			t.Errorf("%s: %d %s, want 400 on %q", tc.query, rec.Code, rec.Body, tc.field)
		}
	}
	rec := e.do(e.sup, http.MethodGet, "/api/v1/calls?number=%2B1212555&min_billsec=0&has_recording=false&outcome=answered", "")
	var out struct{ Calls []dialer.Call }
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil || rec.Code != http.StatusOK || len(out.Calls) != 2 {
		t.Fatalf("search: %d %d calls %v", rec.Code, len(out.Calls), err)
	}
}
