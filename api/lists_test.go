package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// importInto imports a file of numbers into the list through the API.
func (e *testEnv) importInto(list leadimport.ListID, numbers ...string) {
	e.t.Helper()
	rec := e.upload(e.sup, list, `{"Phone":"phone"}`, "text/csv", []byte("Phone\n"+strings.Join(numbers, "\n")+"\n"))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
}

func TestLeadListAPI(t *testing.T) {
	e := newEnv(t)
	march := e.addList(1)
	e.addList(2)
	e.importInto(march.ID, "212 555 0301", "212 555 0302")
	path := fmt.Sprintf("/api/v1/lists/%d", march.ID)

	rec := e.do(e.sup, http.MethodGet, path, "")
	got := decodeBody[leadimport.ListSummary](t, rec)
	if rec.Code != http.StatusOK || got.ID != march.ID || !got.Active || got.Total != 2 || got.Leads[dialer.LeadNew] != 2 ||
		len(got.Leads) != len(dialer.LeadStatuses) {
		t.Fatalf("GET list: %d %s", rec.Code, rec.Body)
	}

	for _, tc := range []struct {
		name, path, body string
		code             int
		field, msg       string
		check            func(leadimport.List) bool
	}{
		{"rename", path, `{"name":" March A "}`, http.StatusOK, "", "", func(l leadimport.List) bool { return l.Name == "March A" && l.Active }},
		{"switch off", path, `{"active":false}`, http.StatusOK, "", "", func(l leadimport.List) bool { return l.Name == "March A" && !l.Active }},
		{"both", path, `{"name":"Marzo","active":true}`, http.StatusOK, "", "", func(l leadimport.List) bool { return l.Name == "Marzo" && l.Active }},
		{"empty name", path, `{"name":"  "}`, http.StatusBadRequest, "name", "", nil},
		{"long name", path, `{"name":"` + strings.Repeat("x", 129) + `"}`, http.StatusBadRequest, "name", "", nil},
		{"active not a boolean", path, `{"active":"no"}`, http.StatusBadRequest, "active", "", nil},
		{"unknown field", path, `{"nom":"x"}`, http.StatusBadRequest, "nom", "", nil},
		{"nothing to change", path, `{}`, http.StatusBadRequest, "body", "", nil},
		{"name taken in the campaign", path, `{"name":"SPARE 2"}`, http.StatusConflict, "", `"SPARE 2"`, nil},
		{"no such list", "/api/v1/lists/999", `{"active":false}`, http.StatusNotFound, "", "", nil},
		{"bad id", "/api/v1/lists/x", `{"active":false}`, http.StatusBadRequest, "id", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(e.sup, http.MethodPatch, tc.path, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.code != http.StatusOK {
				d := errorOf(t, rec)
				if d.Field != tc.field || !strings.Contains(d.Message, tc.msg) {
					t.Fatalf("error %+v, want field %q and a message with %q", d, tc.field, tc.msg)
				}
				return
			}
			if l := decodeBody[leadimport.List](t, rec); !tc.check(l) {
				t.Fatalf("list %+v", l)
			}
		})
	}
	if rec := e.do(e.sup, http.MethodGet, "/api/v1/lists/999", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("GET unknown list: %d %s", rec.Code, rec.Body)
	}
	if a := e.auditActions(); slices.Index(a, "list.update") < 0 {
		t.Fatalf("audit %v has no list.update", a)
	}
}

// TestDeleteLeadListAPI: a delete is refused at once while an import into
// the list streams; once it has committed, the leads never called go and
// the called one stays without a list.
func TestDeleteLeadListAPI(t *testing.T) {
	e := newEnv(t)
	list := e.addList(1)
	e.importInto(list.ID, "212 555 0301", "212 555 0302")
	called := must[[]dialer.Lead](t)(e.store.ListLeads(t.Context(), dialer.LeadFilter{Phone: "+12125550301"}))[0]
	e.addRecord(1, called.ID, t0.Add(-time.Minute), dialer.OutcomeNoAnswer, 0)
	path := fmt.Sprintf("/api/v1/lists/%d", list.ID)

	pw, rec, done := e.streamImport(t.Context(), e.sup, list.ID)
	fmt.Fprint(pw, "Phone\n212 555 0303\n")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var running int
		if err := e.ro.QueryRow(`SELECT count(*) FROM imports WHERE status = 'running'`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the import never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := e.do(e.sup, http.MethodDelete, path, "")
	if d := errorOf(t, r); r.Code != http.StatusConflict || !strings.Contains(d.Message, "running") {
		t.Fatalf("delete during the import: %d %s", r.Code, r.Body)
	}
	pw.Close()
	<-done
	if rec.Code != http.StatusOK {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}

	r = e.do(e.sup, http.MethodDelete, path, "")
	if got := decodeBody[leadimport.Removal](t, r); r.Code != http.StatusOK || got != (leadimport.Removal{Deleted: 2, Detached: 1}) {
		t.Fatalf("delete: %d %s", r.Code, r.Body)
	}
	var list0 *int64
	if err := e.ro.QueryRow(`SELECT list_id FROM leads WHERE id = ?`, called.ID).Scan(&list0); err != nil || list0 != nil {
		t.Fatalf("called lead: list %v, %v; want kept without a list", list0, err)
	}
	if r := e.do(e.sup, http.MethodGet, path, ""); r.Code != http.StatusNotFound {
		t.Fatalf("GET a deleted list: %d %s", r.Code, r.Body)
	}
	if r := e.do(e.sup, http.MethodDelete, path, ""); r.Code != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", r.Code, r.Body)
	}
	if a := e.auditActions(); slices.Index(a, "list.delete") < 0 {
		t.Fatalf("audit %v has no list.delete", a)
	}
}

// TestDialabilityOfListOff: a lead of a list switched off is not
// dialable, and says why, until the list is on again.
func TestDialabilityOfListOff(t *testing.T) {
	e := newEnv(t)
	list := e.addList(1)
	e.importInto(list.ID, "212 555 0301")
	lead := must[[]dialer.Lead](t)(e.store.ListLeads(t.Context(), dialer.LeadFilter{Phone: "+12125550301"}))[0]
	if rec := e.do(e.sup, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/resume", e.campaign.ID), ""); rec.Code != http.StatusOK {
		t.Fatalf("resume: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		body     string
		dialable bool
		reasons  []string
	}{
		{`{"active":false}`, false, []string{`list "Spare 1" is switched off`}},
		{`{"active":true}`, true, []string{}},
	} {
		if rec := e.do(e.sup, http.MethodPatch, fmt.Sprintf("/api/v1/lists/%d", list.ID), tc.body); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.body, rec.Code, rec.Body)
		}
		rec := e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/leads/%d/dialability", lead.ID), "")
		d := decodeBody[dialer.Dialability](t, rec)
		if rec.Code != http.StatusOK || d.Dialable != tc.dialable || !slices.Equal(d.Reasons, tc.reasons) {
			t.Errorf("after %s: %d %s", tc.body, rec.Code, rec.Body)
		}
	}
}
