package sqlitestore

import (
	"context"
	"errors"
	"strings"
	"testing"

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
