package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

func TestLeadLists(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: " March "}))
	if l.ID == 0 || l.Name != "March" || !l.CreatedAt.Equal(t0) {
		t.Fatalf("list %+v", l)
	}
	_, err := w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "march"})
	wantErr(t, err, dialer.ErrConflict)
	_, err = w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID + 99, Name: "x"})
	wantErr(t, err, dialer.ErrInvalid)
	_, err = w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: ""})
	wantField(t, err, "name")
	if got := must[[]leadimport.List](t)(w.s.LeadLists(ctx, w.campaign.ID)); len(got) != 1 || got[0] != l {
		t.Fatalf("lists %+v", got)
	}
	if got := must[leadimport.List](t)(w.s.LeadList(ctx, l.ID)); got != l {
		t.Fatalf("list %+v", got)
	}
	_, err = w.s.LeadList(ctx, l.ID+1)
	wantErr(t, err, dialer.ErrNotFound)
}

// importCSV runs one import of in into list, as the API does.
func importCSV(t *testing.T, ctx context.Context, s *Store, list leadimport.List, in string, during func()) (leadimport.Report, error) {
	t.Helper()
	im := must[leadimport.Import](t)(s.StartImport(ctx, list.ID, ""))
	im, err := s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		if during != nil {
			during()
		}
		return leadimport.Run(ctx, strings.NewReader(in), leadimport.Config{Campaign: list.Campaign,
			Mapping: leadimport.Mapping{"phone": "phone", "name": "first_name"}, Country: "FR"}, sink, nil, nil)
	})
	return im.Report, err
}

func TestImportLeads(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	other := must[dialer.Campaign](t)(w.s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	list := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "March"}))
	must[struct{}](t)(struct{}{}, w.s.AddDNC(ctx, "+33611111111", 0, "asked", t0))
	must[struct{}](t)(struct{}{}, w.s.AddDNC(ctx, "+33622222222", w.campaign.ID, "asked", t0))
	must[struct{}](t)(struct{}{}, w.s.AddDNC(ctx, "+33633333333", other.ID, "asked", t0))
	in := "phone,name\n" +
		"06 12 34 56 78,dup in campaign\n" +
		"06 00 00 00 01,new\n" +
		"+33 6 00 00 00 01,dup in file\n" +
		"06 11 11 11 11,global DNC\n" +
		"06 22 22 22 22,campaign DNC\n" +
		"06 33 33 33 33,other campaign's DNC\n"
	// Readers go on while the import's transaction is open.
	rep, err := importCSV(t, ctx, w.s, list, in, func() {
		if _, err := w.s.Lead(ctx, w.lead.ID); err != nil {
			t.Errorf("read during the import: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[leadimport.Reason]int64{leadimport.DuplicateInCampaign: 1, leadimport.DuplicateInFile: 1, leadimport.DNC: 2}
	if rep.Read != 6 || rep.Imported != 2 || rep.Rejected != 4 || len(rep.Reasons) != len(want) {
		t.Fatalf("report %+v", rep)
	}
	for r, n := range want {
		if rep.Reasons[r] != n {
			t.Errorf("%s: %d, want %d", r, rep.Reasons[r], n)
		}
	}
	leads := must[[]dialer.Lead](t)(w.s.ListLeads(ctx, dialer.LeadFilter{Campaign: w.campaign.ID}))
	if len(leads) != 3 {
		t.Fatalf("%d leads", len(leads))
	}
	var n int
	if err := w.s.r.QueryRowContext(ctx, `SELECT count(*) FROM leads WHERE list_id = ? AND time_zone = 'Europe/Paris'`, list.ID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d leads in the list with their zone, %v", n, err)
	}
	// Deleting the list keeps its leads, out of any list.
	if _, err := w.s.w.ExecContext(ctx, `DELETE FROM lead_lists WHERE id = ?`, list.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.s.r.QueryRowContext(ctx, `SELECT count(*) FROM leads WHERE list_id IS NULL`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d leads without a list after deleting it, %v", n, err)
	}
}

func TestImportRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(cancel context.CancelFunc) error
		want error
	}{
		{"cancel", func(cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
		{"error", func(context.CancelFunc) error { return errBoom }, errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			list := must[leadimport.List](t)(w.s.CreateLeadList(t.Context(), leadimport.List{Campaign: w.campaign.ID, Name: "L"}))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			im := must[leadimport.Import](t)(w.s.StartImport(ctx, list.ID, ""))
			_, err := w.s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
				for _, p := range []string{"+33600000001", "+33600000002"} {
					if _, err := sink.Insert(ctx, dialer.Lead{Campaign: list.Campaign, Phone: p}); err != nil {
						return leadimport.Report{}, err
					}
				}
				if err := tc.stop(cancel); err != nil {
					return leadimport.Report{}, err
				}
				return leadimport.Run(ctx, strings.NewReader("phone\n+33600000003\n"), leadimport.Config{Campaign: list.Campaign,
					Mapping: leadimport.Mapping{"phone": "phone"}}, sink, nil, nil)
			})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if n := count(t, w.s, "leads"); n != 1 {
				t.Fatalf("%d leads after the rollback, want the 1 from before", n)
			}
			// The writer is free again.
			must[dialer.Lead](t)(w.s.CreateLead(t.Context(), dialer.Lead{Campaign: list.Campaign, Phone: "+33600000009"}))
		})
	}
}

var errBoom = errors.New("boom")

func TestImportRecords(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	list := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "L"}))
	im := must[leadimport.Import](t)(w.s.StartImport(ctx, list.ID, "march.csv"))
	if got := must[leadimport.Import](t)(w.s.Import(ctx, im.ID)); got.Status != leadimport.Running || !got.FinishedAt.IsZero() || got.FileName != "march.csv" {
		t.Fatalf("import %+v", got)
	}
	im.Status, im.Report = leadimport.Committed, leadimport.Report{Read: 3, Imported: 2, Rejected: 1,
		Reasons: map[leadimport.Reason]int64{leadimport.BadNumber: 1}}
	must[leadimport.Import](t)(w.s.FinishImport(ctx, im))
	got := must[leadimport.Import](t)(w.s.Import(ctx, im.ID))
	if got.Status != leadimport.Committed || got.Read != 3 || got.Reasons[leadimport.BadNumber] != 1 || !got.FinishedAt.Equal(t0) {
		t.Fatalf("import %+v", got)
	}
	_, err := w.s.FinishImport(ctx, im)
	wantErr(t, err, dialer.ErrConflict)
	_, err = w.s.StartImport(ctx, list.ID, strings.Repeat("x", 256))
	wantField(t, err, "file_name")
}

func TestUpdateLeadList(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "March"}))
	must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "April"}))
	other := must[dialer.Campaign](t)(w.s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: other.ID, Name: "May"}))
	if !l.Active {
		t.Fatalf("a new list is active: %+v", l)
	}
	str := func(s string) *string { return &s }
	off, on := false, true
	for _, tc := range []struct {
		name  string
		patch leadimport.ListPatch
		want  leadimport.List // compared on name and active
		field string
		err   error
	}{
		{"rename, trimmed", leadimport.ListPatch{Name: str("  March A ")}, leadimport.List{Name: "March A", Active: true}, "", nil},
		{"switch off", leadimport.ListPatch{Active: &off}, leadimport.List{Name: "March A", Active: false}, "", nil},
		{"both", leadimport.ListPatch{Name: str("Marzo"), Active: &on}, leadimport.List{Name: "Marzo", Active: true}, "", nil},
		{"nothing", leadimport.ListPatch{}, leadimport.List{Name: "Marzo", Active: true}, "", nil},
		{"a name of another campaign's list", leadimport.ListPatch{Name: str("may")}, leadimport.List{Name: "may", Active: true}, "", nil},
		{"empty name", leadimport.ListPatch{Name: str("  ")}, leadimport.List{}, "name", nil},
		{"long name", leadimport.ListPatch{Name: str(strings.Repeat("x", 129))}, leadimport.List{}, "name", nil},
		{"taken in the campaign, in another case", leadimport.ListPatch{Name: str("APRIL")}, leadimport.List{}, "", dialer.ErrConflict},
	} {
		got, err := w.s.UpdateLeadList(ctx, l.ID, tc.patch)
		switch {
		case tc.field != "":
			wantField(t, err, tc.field)
		case tc.err != nil:
			wantErr(t, err, tc.err)
			if !strings.Contains(err.Error(), `"APRIL"`) {
				t.Errorf("%s: %v does not name the name", tc.name, err)
			}
		case err != nil || got.Name != tc.want.Name || got.Active != tc.want.Active || got.ID != l.ID || got.Campaign != w.campaign.ID:
			t.Fatalf("%s: %+v %v", tc.name, got, err)
		}
	}
	_, err := w.s.UpdateLeadList(ctx, 999, leadimport.ListPatch{Active: &off})
	wantErr(t, err, dialer.ErrNotFound)
}

// listLead adds a lead to a list of the world's campaign.
func listLead(t *testing.T, w world, list leadimport.ListID, phone string, status dialer.LeadStatus) dialer.Lead {
	t.Helper()
	l := must[dialer.Lead](t)(w.s.CreateLead(t.Context(), dialer.Lead{Campaign: w.campaign.ID, Phone: phone, Status: status}))
	if _, err := w.s.w.ExecContext(t.Context(), `UPDATE leads SET list_id = ? WHERE id = ?`, list, l.ID); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLeadListSummary(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "March"}))
	listLead(t, w, l.ID, "+33600000001", dialer.LeadNew)
	listLead(t, w, l.ID, "+33600000002", dialer.LeadNew)
	listLead(t, w, l.ID, "+33600000003", dialer.LeadDone)
	got := must[leadimport.ListSummary](t)(w.s.LeadListSummary(ctx, l.ID))
	if got.List != l || got.Total != 3 || len(got.Leads) != len(dialer.LeadStatuses) ||
		got.Leads[dialer.LeadNew] != 2 || got.Leads[dialer.LeadDone] != 1 || got.Leads[dialer.LeadRetry] != 0 {
		t.Fatalf("summary %+v", got)
	}
	_, err := w.s.LeadListSummary(ctx, 999)
	wantErr(t, err, dialer.ErrNotFound)
}

// TestDeleteLeadList: the list's leads never called go, those with a
// call record, a callback or a call under way stay without a list, and
// nothing else changes.
func TestDeleteLeadList(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "March"}))
	keep := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "April"}))
	fresh := listLead(t, w, l.ID, "+33600000001", dialer.LeadNew)
	called := listLead(t, w, l.ID, "+33600000002", dialer.LeadRetry)
	must[dialer.Call](t)(w.s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer,
		Campaign: w.campaign.ID, Lead: called.ID, CreatedAt: t0}))
	promised := listLead(t, w, l.ID, "+33600000003", dialer.LeadCallback)
	must[dialer.Callback](t)(w.s.CreateCallback(ctx, dialer.Callback{Lead: promised.ID, DueAt: t0.Add(time.Hour)}))
	dialing := listLead(t, w, l.ID, "+33600000004", dialer.LeadDialing)
	elsewhere := listLead(t, w, keep.ID, "+33600000005", dialer.LeadNew)
	im := must[leadimport.Import](t)(w.s.StartImport(ctx, l.ID, "march.csv"))

	// Refused while the import runs; nothing changes.
	_, err := w.s.DeleteLeadList(ctx, l.ID)
	wantErr(t, err, dialer.ErrConflict)
	if !strings.Contains(err.Error(), "running") {
		t.Errorf("refusal %q does not say why", err)
	}
	if n := count(t, w.s, "leads"); n != 6 {
		t.Fatalf("%d leads after a refused delete, want 6", n)
	}
	im.Status = leadimport.Committed
	must[leadimport.Import](t)(w.s.FinishImport(ctx, im))

	got := must[leadimport.Removal](t)(w.s.DeleteLeadList(ctx, l.ID))
	if got != (leadimport.Removal{Deleted: 1, Detached: 3}) {
		t.Fatalf("removal %+v, want 1 deleted and 3 detached", got)
	}
	_, err = w.s.Lead(ctx, fresh.ID)
	wantErr(t, err, dialer.ErrNotFound)
	for _, id := range []dialer.LeadID{called.ID, promised.ID, dialing.ID} {
		var list sql.NullInt64
		if err := w.s.r.QueryRowContext(ctx, `SELECT list_id FROM leads WHERE id = ?`, id).Scan(&list); err != nil || list.Valid {
			t.Errorf("lead %d: list %v, %v; want kept without a list", id, list, err)
		}
		if got := must[dialer.Lead](t)(w.s.Lead(ctx, id)); got.Version == 0 {
			t.Errorf("lead %d detached without a version bump", id)
		}
	}
	if got := must[dialer.Lead](t)(w.s.Lead(ctx, elsewhere.ID)); got.Version != elsewhere.Version {
		t.Errorf("another list's lead changed: %+v", got)
	}
	_, err = w.s.LeadList(ctx, l.ID)
	wantErr(t, err, dialer.ErrNotFound)
	if n := count(t, w.s, "imports"); n != 0 {
		t.Errorf("%d import records left of the deleted list", n)
	}
	_, err = w.s.DeleteLeadList(ctx, l.ID)
	wantErr(t, err, dialer.ErrNotFound)
}
