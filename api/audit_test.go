package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

type auditPage struct {
	Entries      []auditEntry `json:"entries"`
	NextBeforeID int64        `json:"next_before_id"`
}

// seedAudit writes entries an hour apart from t0+1h, oldest first, and
// returns the time of the first.
func seedAudit(t *testing.T, e *testEnv, entries ...dialer.AuditEntry) time.Time {
	t.Helper()
	start := t0.Add(time.Hour)
	for i, a := range entries {
		a.At = start.Add(time.Duration(i) * time.Hour)
		must[dialer.AuditEntry](t)(e.store.AppendAudit(t.Context(), a))
	}
	return start
}

func auditActionsOf(p auditPage) []string {
	var out []string
	for _, a := range p.Entries {
		out = append(out, a.Action)
	}
	return out
}

func TestAuditListFilters(t *testing.T) {
	e := newEnv(t)
	admin, bob := e.users["admin"].ID.String(), e.users["bob"].ID.String()
	start := seedAudit(t, e,
		dialer.AuditEntry{Actor: "user:" + admin, Role: identity.RoleAdmin, Action: "queue.create", Target: "queue:1"},
		dialer.AuditEntry{Actor: "user:" + bob, Role: identity.RoleAgent, Action: "agent.login", Target: "7"},
		dialer.AuditEntry{Actor: "user:" + admin, Role: identity.RoleAdmin, Action: "queue.update", Target: "queue:1"},
		dialer.AuditEntry{Actor: "system", Action: "queuex.other", Target: "queue:2"},
		dialer.AuditEntry{Actor: "user:" + admin, Role: identity.RoleAdmin, Action: "queue.delete", Target: "queue:2"},
	)
	at := func(h int) string { return start.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	for _, c := range []struct {
		name, query string
		want        []string
	}{
		{"all since", "", []string{"queue.delete", "queuex.other", "queue.update", "agent.login", "queue.create"}},
		{"username", "actor=bob", []string{"agent.login"}},
		{"user id", "actor=" + admin, []string{"queue.delete", "queue.update", "queue.create"}},
		{"stored actor", "actor=system", []string{"queuex.other"}},
		{"exact action", "action=queue.update", []string{"queue.update"}},
		{"action prefix", "action=queue.", []string{"queue.delete", "queue.update", "queue.create"}},
		{"target", "target=queue:2", []string{"queue.delete", "queuex.other"}},
		{"until", "until=" + url.QueryEscape(at(2)), []string{"agent.login", "queue.create"}},
		{"combined", "actor=admin&action=queue.&target=queue:1&until=" + url.QueryEscape(at(2)), []string{"queue.create"}},
		{"nothing", "action=campaign.", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := "since=" + url.QueryEscape(at(0))
			if c.query != "" {
				q += "&" + c.query
			}
			rec := e.do(e.admin, "GET", "/api/v1/audit?"+q, "")
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if got := auditActionsOf(decodeBody[auditPage](t, rec)); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}

	// An entry names its actor, role and details.
	p := decodeBody[auditPage](t, e.do(e.admin, "GET", "/api/v1/audit?action=agent.login&since="+url.QueryEscape(at(0)), ""))
	if len(p.Entries) != 1 {
		t.Fatalf("entries %+v", p.Entries)
	}
	got := p.Entries[0]
	if got.Actor != (auditActor{ID: "user:" + bob, Name: "bob"}) || got.Role != identity.RoleAgent || got.Target != "7" ||
		got.At != at(1) || string(got.Details) != "{}" {
		t.Fatalf("entry %+v", got)
	}
}

func TestAuditRecordsRoleAndRemote(t *testing.T) {
	e := newEnv(t)
	bob := e.users["bob"].ID.String()
	if rec := e.do(e.admin, "PATCH", "/api/v1/users/"+bob, `{"display_name":"Robert"}`); rec.Code != 200 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	p := decodeBody[auditPage](t, e.do(e.admin, "GET", "/api/v1/audit?action=user.update&target=user:"+bob, ""))
	if len(p.Entries) != 1 {
		t.Fatalf("entries %+v", p.Entries)
	}
	got := p.Entries[0]
	// httptest requests come from 192.0.2.1.
	if got.Actor.Name != "admin" || got.Role != identity.RoleAdmin || got.Remote != "192.0.2.1" {
		t.Fatalf("entry %+v", got)
	}
	var d map[string]any
	if err := json.Unmarshal(got.Details, &d); err != nil || d["role"] != "agent" {
		t.Fatalf("details %s, %v", got.Details, err)
	}
}

func TestAuditPaging(t *testing.T) {
	e := newEnv(t)
	var seeded []dialer.AuditEntry
	for _, a := range []string{"dnc.a", "dnc.b", "dnc.c", "dnc.d", "dnc.e"} {
		seeded = append(seeded, dialer.AuditEntry{Actor: "system", Action: a})
	}
	seedAudit(t, e, seeded...)
	var got []string
	path := "/api/v1/audit?action=dnc.&limit=2"
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("paging does not end: %v", got)
		}
		rec := e.do(e.admin, "GET", path, "")
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		p := decodeBody[auditPage](t, rec)
		got = append(got, auditActionsOf(p)...)
		if p.NextBeforeID == 0 {
			break
		}
		path = "/api/v1/audit?action=dnc.&limit=2&before_id=" + jsonInt(p.NextBeforeID)
	}
	if want := []string{"dnc.e", "dnc.d", "dnc.c", "dnc.b", "dnc.a"}; !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAuditRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=2026-11-20", "until"},
		{"since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z", "until"},
		{"before_id=0", "before_id"},
		{"before_id=x", "before_id"},
		{"limit=100001", "limit"},
		{"limit=0", "limit"},
		{"action=Queue.Update", "action"},
		{"actor=nobody", "actor"},
		{"actor=0", "actor"},
		{"target=" + strings.Repeat("x", 257), "target"},
	} {
		for _, path := range []string{"/api/v1/audit?", "/api/v1/audit.csv?"} {
			rec := e.do(e.admin, "GET", path+c.query, "")
			if rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != c.field {
				t.Errorf("%s%s: %d %s, want 400 naming %s", path, c.query, rec.Code, rec.Body, c.field)
			}
		}
	}
	// A page holds at most 500; the export reads on.
	if rec := e.do(e.admin, "GET", "/api/v1/audit?limit=501", ""); rec.Code != http.StatusBadRequest || errorOf(t, rec).Field != "limit" {
		t.Errorf("limit=501: %d %s", rec.Code, rec.Body)
	}
}

func TestAuditRefusesAgentsAndSupervisors(t *testing.T) {
	e := newEnv(t)
	for _, w := range []who{e.agent1, e.keyAgent, e.sup, e.keySup} {
		for _, path := range []string{"/api/v1/audit", "/api/v1/audit.csv"} {
			if rec := e.do(w, "GET", path, ""); rec.Code != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", w.name, path, rec.Code)
			}
		}
	}
	if rec := e.do(e.keyAdmin, "GET", "/api/v1/audit", ""); rec.Code != 200 {
		t.Fatalf("admin key: %d %s", rec.Code, rec.Body)
	}
}

func TestAuditCSV(t *testing.T) {
	defer func(n int) { csvPage = n }(csvPage)
	csvPage = 1 // every entry its own page: the stream pages by id
	e := newEnv(t)
	admin := e.users["admin"].ID.String()
	seedAudit(t, e,
		dialer.AuditEntry{Actor: "user:" + admin, Role: identity.RoleAdmin, Action: "queue.create", Target: "queue:1", Data: json.RawMessage(`{"name":"=Sales"}`)},
		dialer.AuditEntry{Actor: "system", Action: "agent.login", Target: "7"},
		dialer.AuditEntry{Actor: "user:" + admin, Role: identity.RoleAdmin, Action: "queue.update", Target: "queue:1", Remote: "198.51.100.7"},
	)
	rec := e.do(e.admin, "GET", "/api/v1/audit.csv?action=queue.", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s %s", rec.Code, rec.Header(), rec.Body)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], auditColumns) {
		t.Fatalf("rows %q", rows)
	}
	if r := rows[1]; r[2] != "user:"+admin || r[3] != "admin" || r[4] != "admin" || r[5] != "queue.update" || r[8] != "198.51.100.7" {
		t.Fatalf("newest row %q", r)
	}
	if r := rows[2]; r[5] != "queue.create" || r[7] != `{"name":"=Sales"}` {
		t.Fatalf("oldest row %q", r)
	}
}
