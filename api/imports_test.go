package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// upload posts a file to a list's import route.
func (e *testEnv) upload(w who, list leadimport.ListID, mapping, contentType string, body []byte) *httptest.ResponseRecorder {
	req := e.request(w, http.MethodPost, fmt.Sprintf("/api/v1/lists/%d/import?file_name=march.csv&mapping=%s", list, url.QueryEscape(mapping)), "")
	req.Body = httpBody(body)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	return rec
}

func httpBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

const importMappingJSON = `{"Phone":"phone","First":"first_name","Plan":"custom:plan"}`

func TestImportAPI(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.store.AddDNC(ctx, "+12125550177", 0, "asked", t0); err != nil {
		t.Fatal(err)
	}
	rec := e.do(e.sup, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/lists", e.campaign.ID), `{"name":"March"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create list: %d %s", rec.Code, rec.Body)
	}
	list := decodeBody[leadimport.List](t, rec)
	if a := changeAudit(e); len(a) != 1 || a[0] != "list.create" {
		t.Fatalf("audit %v", a)
	}
	if rec := e.do(e.sup, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/lists", e.campaign.ID), `{"name":"march"}`); rec.Code != http.StatusConflict {
		t.Fatalf("same name: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.sup, http.MethodPost, "/api/v1/campaigns/999/lists", `{"name":"x"}`); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown campaign: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d/lists", e.campaign.ID), "")
	if ls := decodeBody[[]leadimport.List](t, rec); len(ls) != 1 || ls[0].ID != list.ID {
		t.Fatalf("lists %s", rec.Body)
	}

	file := "Phone,First,Plan\n" +
		"(212) 555-0140,Ann,gold\n" + // line 2: imported, zone from the number
		"212-555-0101,Lee,\n" + // line 3: lead1's number
		"+1 212 555 0140,Ann again,\n" + // line 4: line 2's number
		"212 555 0177,Dee,\n" + // line 5: on the DNC list
		"12,Short,\n" + // line 6: not a number
		",Nobody,\n" + // line 7
		"415 555 0142,Bo,silver,extra\n" + // line 8
		"415 555 0143,Cy,\n" // line 9: imported
	before := e.count("leads")
	rec = e.upload(e.sup, list.ID, importMappingJSON, "text/csv", []byte(file))
	if rec.Code != http.StatusOK {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	im := decodeBody[leadimport.Import](t, rec)
	want := map[leadimport.Reason]int64{leadimport.DuplicateInCampaign: 1, leadimport.DuplicateInFile: 1, leadimport.DNC: 1,
		leadimport.BadNumber: 1, leadimport.MissingPhone: 1, leadimport.TooManyColumns: 1}
	if im.Status != leadimport.Committed || im.Read != 8 || im.Imported != 2 || im.Rejected != 6 || im.FileName != "march.csv" || len(im.Reasons) != len(want) {
		t.Fatalf("import %+v", im)
	}
	for r, n := range want {
		if im.Reasons[r] != n {
			t.Errorf("%s: %d, want %d", r, im.Reasons[r], n)
		}
	}
	// Supervisors' streams got the import's end (and its progress while
	// it ran, for a file that takes longer than this one).
	e.eng.mu.Lock()
	published := slices.Clone(e.eng.imports)
	e.eng.mu.Unlock()
	if len(published) == 0 {
		t.Fatal("the import's end was not published")
	}
	if last := decodeJSON[leadimport.Import](t, published[len(published)-1]); last.ID != im.ID || last.Status != leadimport.Committed || last.Imported != 2 {
		t.Fatalf("last published %s", published[len(published)-1])
	}
	if n := e.count("leads"); n != before+2 {
		t.Fatalf("%d leads, want %d", n, before+2)
	}
	leads := must[[]dialer.Lead](t)(e.store.ListLeads(ctx, dialer.LeadFilter{Campaign: e.campaign.ID}))
	var ann dialer.Lead
	for _, l := range leads {
		if l.Phone == "+12125550140" {
			ann = l
		}
	}
	if ann.FirstName != "Ann" || ann.TimeZone != "America/New_York" || ann.Custom["plan"] != "gold" {
		t.Fatalf("imported lead %+v", ann)
	}

	rec = e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d", im.ID), "")
	if got := decodeBody[leadimport.Import](t, rec); got.Status != leadimport.Committed || got.Imported != 2 || got.Reasons[leadimport.DNC] != 1 || got.FinishedAt.IsZero() {
		t.Fatalf("GET import: %s", rec.Body)
	}
	rec = e.do(e.sup, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d/errors.csv", im.ID), "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("errors.csv: %d %s", rec.Code, rec.Header())
	}
	cr := csv.NewReader(rec.Body)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][2]string{{"3", "duplicate_in_campaign"}, {"4", "duplicate_in_file"}, {"5", "dnc"}, {"6", "bad_number"},
		{"7", "missing_phone"}, {"8", "too_many_columns"}}
	if len(rows) != len(wantRows)+1 || strings.Join(rows[0], ",") != "line,reason,detail,Phone,First,Plan" {
		t.Fatalf("error report %q", rows)
	}
	for i, w := range wantRows {
		if r := rows[i+1]; r[0] != w[0] || r[1] != w[1] || r[2] == "" {
			t.Errorf("row %d: %q, want line %s %s", i+1, r, w[0], w[1])
		}
	}
	if r := rows[6]; len(r) != 7 || r[6] != "extra" {
		t.Errorf("the too-long row's fields: %q", r)
	}
}

func TestImportAPIRefusals(t *testing.T) {
	e := newEnv(t)
	list := must[leadimport.List](t)(e.opts.Imports.CreateLeadList(t.Context(), leadimport.List{Campaign: e.campaign.ID, Name: "L"}))
	before := e.fingerprint()
	for _, tc := range []struct {
		name, mapping, ctype, body string
		who                        func() who
		code                       int
		field                      string
	}{
		{"header lacks the phone column", `{"Tel":"phone"}`, "text/csv", "Phone\n+12125550150\n", nil, 400, "mapping.Tel"},
		{"unknown field", `{"Phone":"phone","Phone2":"fax"}`, "text/csv", "Phone,Phone2\n", nil, 400, "mapping.Phone2"},
		{"no mapping", ``, "text/csv", "Phone\n", nil, 400, "mapping"},
		{"mapping not JSON", `Phone=phone`, "text/csv", "Phone\n", nil, 400, "mapping"},
		{"JSON body", `{"Phone":"phone"}`, "application/json", "{}", nil, 415, "body"},
		{"agent", `{"Phone":"phone"}`, "text/csv", "Phone\n+12125550150\n", func() who { return e.agent1 }, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.sup
			if tc.who != nil {
				w = tc.who()
			}
			rec := e.upload(w, list.ID, tc.mapping, tc.ctype, []byte(tc.body))
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.field != "" {
				if d := errorOf(t, rec); d.Field != tc.field {
					t.Fatalf("field %q, want %q (%s)", d.Field, tc.field, d.Message)
				}
			}
		})
	}
	// Refused imports are recorded as failed, with no lead.
	var leads int
	if err := e.ro.QueryRow(`SELECT count(*) FROM leads WHERE list_id IS NOT NULL`).Scan(&leads); err != nil || leads != 0 {
		t.Fatalf("%d leads in lists, %v", leads, err)
	}
	var failed int
	if err := e.ro.QueryRow(`SELECT count(*) FROM imports WHERE status = 'failed' AND error LIKE '%mapping%'`).Scan(&failed); err != nil || failed != 2 {
		t.Fatalf("%d failed imports recorded, %v", failed, err)
	}
	if e.fingerprint() != before {
		t.Fatal("a refused import changed the data")
	}
}

func TestImportAPIMultipart(t *testing.T) {
	e := newEnv(t)
	list := must[leadimport.List](t)(e.opts.Imports.CreateLeadList(t.Context(), leadimport.List{Campaign: e.campaign.ID, Name: "L"}))
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw := must[interface{ Write([]byte) (int, error) }](t)(mw.CreateFormFile("file", "../../april.csv"))
	fmt.Fprint(fw, "Phone,First\n+44 20 7946 0018,Bo\n")
	mw.Close()
	rec := e.upload(e.keySup, list.ID, `{"Phone":"phone","First":"first_name"}`, mw.FormDataContentType(), b.Bytes())
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if im := decodeBody[leadimport.Import](t, rec); im.Imported != 1 || im.FileName != "april.csv" {
		t.Fatalf("import %+v", im)
	}
}

// addList adds a lead list to the test campaign.
func (e *testEnv) addList(n int) leadimport.List {
	e.t.Helper()
	return must[leadimport.List](e.t)(e.store.CreateLeadList(e.t.Context(), leadimport.List{Campaign: e.campaign.ID, Name: fmt.Sprintf("Spare %d", n)}))
}

// addImport runs a one-row import through the store and the importer, and
// leaves its error report where the server keeps it.
func (e *testEnv) addImport(n int) leadimport.ID {
	e.t.Helper()
	ctx := e.t.Context()
	l := e.addList(n)
	im := must[leadimport.Import](e.t)(e.store.StartImport(ctx, l.ID, ""))
	f := must[*os.File](e.t)(createFile(e.srv.errorsPath(im.ID)))
	defer f.Close()
	im, err := e.store.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		return leadimport.Run(ctx, strings.NewReader("Phone\nbad\n"), leadimport.Config{Campaign: l.Campaign,
			Mapping: leadimport.Mapping{"Phone": "phone"}}, sink, nil, f)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return im.ID
}

// TestImportAPIWhileRunning: while an import streams, its progress can be
// read and the API answers reads; a client that goes away rolls it back.
func TestImportAPIWhileRunning(t *testing.T) {
	e := newEnv(t)
	list := e.addList(1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pw, _, done := e.streamImport(ctx, e.keySup, list.ID)
	fmt.Fprint(pw, "Phone\n")
	for i := range 50 {
		fmt.Fprintf(pw, "212 555 %04d\n", 3000+i)
	}
	fmt.Fprint(pw, "bad\n")
	// The import is running and has read the 51 rows written so far.
	im := importRead(t, e, 51)
	if im.Status != leadimport.Running || im.Imported != 50 || im.Reasons[leadimport.BadNumber] != 1 {
		t.Fatalf("progress %+v", im)
	}
	if r := e.do(e.keySup, http.MethodGet, fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID), ""); r.Code != http.StatusOK {
		t.Fatalf("a read during the import: %d %s", r.Code, r.Body)
	}
	cancel()
	pw.CloseWithError(context.Canceled)
	<-done
	got := must[leadimport.Import](t)(e.store.Import(t.Context(), im.ID))
	if got.Status != leadimport.RolledBack || got.FinishedAt.IsZero() {
		t.Fatalf("after the client left: %+v", got)
	}
	var n int
	if err := e.ro.QueryRow(`SELECT count(*) FROM leads WHERE list_id = ?`, list.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d leads left by a cancelled import, %v", n, err)
	}
}

// TestImportAPICancel: a supervisor stops a running import; it rolls back
// at its next row, its request is answered 409, and cancelling it again,
// or an import that has ended, changes nothing.
func TestImportAPICancel(t *testing.T) {
	e := newEnv(t)
	list := e.addList(1)
	pw, rec, done := e.streamImport(t.Context(), e.keySup, list.ID)
	fmt.Fprint(pw, "Phone\n212 555 3000\n212 555 3001\n")
	im := importRead(t, e, 2)
	path := fmt.Sprintf("/api/v1/imports/%d/cancel", im.ID)
	if r := e.do(e.agent1, http.MethodPost, path, ""); r.Code != http.StatusForbidden {
		t.Fatalf("agent cancels: %d %s", r.Code, r.Body)
	}
	if r := e.do(e.sup, http.MethodPost, path, ""); r.Code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Code, r.Body)
	}
	// The next row meets the cancelled import.
	fmt.Fprint(pw, "212 555 3002\n")
	<-done
	pw.Close()
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "cancelled") {
		t.Fatalf("the import's own answer: %d %s", rec.Code, rec.Body)
	}
	got := must[leadimport.Import](t)(e.store.Import(t.Context(), im.ID))
	if got.Status != leadimport.RolledBack || got.Error != "cancelled" {
		t.Fatalf("after cancel: %+v", got)
	}
	var n int
	if err := e.ro.QueryRow(`SELECT count(*) FROM leads WHERE list_id = ?`, list.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d leads left by a cancelled import, %v", n, err)
	}
	r := e.do(e.sup, http.MethodPost, path, "")
	if again := decodeBody[leadimport.Import](t, r); r.Code != http.StatusOK || again.Status != leadimport.RolledBack {
		t.Fatalf("cancel again: %d %s", r.Code, r.Body)
	}
	if r := e.do(e.sup, http.MethodPost, "/api/v1/imports/999/cancel", ""); r.Code != http.StatusNotFound {
		t.Fatalf("unknown import: %d %s", r.Code, r.Body)
	}
	// Audited once: the second cancel changed nothing.
	if a := changeAudit(e); strings.Count(strings.Join(a, " "), "import.cancel") != 1 {
		t.Fatalf("audit %v", a)
	}
}

// importRead waits until the latest import has read rows rows, as GET
// /imports/{id} tells, and returns it.
func importRead(t *testing.T, e *testEnv, rows int64) leadimport.Import {
	t.Helper()
	var im leadimport.Import
	deadline := time.Now().Add(10 * time.Second)
	for im.Read < rows {
		if time.Now().After(deadline) {
			t.Fatalf("progress never reached %d rows: %+v", rows, im)
		}
		var id int64
		if err := e.ro.QueryRow(`SELECT coalesce(max(id), 0) FROM imports`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if id != 0 {
			im = decodeBody[leadimport.Import](t, e.do(e.keySup, http.MethodGet, fmt.Sprintf("/api/v1/imports/%d", id), ""))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return im
}

// streamImport starts an import into the list whose file is written to
// pw; done closes when the request has been answered in rec.
func (e *testEnv) streamImport(ctx context.Context, w who, list leadimport.ListID) (pw *io.PipeWriter, rec *httptest.ResponseRecorder, done chan struct{}) {
	pr, pw := io.Pipe()
	req := e.request(w, http.MethodPost, fmt.Sprintf("/api/v1/lists/%d/import?mapping=%s", list, url.QueryEscape(`{"Phone":"phone"}`)), "")
	req = req.WithContext(ctx)
	req.Body = pr
	req.Header.Set("Content-Type", "text/csv")
	rec = httptest.NewRecorder()
	done = make(chan struct{})
	go func() {
		defer close(done)
		e.srv.Echo().ServeHTTP(rec, req)
	}()
	return pw, rec, done
}
