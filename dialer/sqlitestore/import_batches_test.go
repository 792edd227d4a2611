package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

var genMapping = leadimport.Mapping{"Phone": "phone", "First": "first_name", "Last": "last_name", "Account": "custom:account"}

// importedRows counts the rows an import has written so far, seen or not.
func importedRows(t *testing.T, s *Store, im leadimport.ID) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM leads WHERE import_id = ?`, im).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// visibleLeads counts the leads of a list as ListLeads pages them, and
// the dialable leads of the campaign.
func visibleLeads(t *testing.T, s *Store, campaign dialer.CampaignID, list leadimport.ListID) (listed, dialable int) {
	t.Helper()
	ctx := t.Context()
	var after dialer.LeadID
	for {
		page := must[[]dialer.Lead](t)(s.ListLeads(ctx, dialer.LeadFilter{Campaign: campaign, List: int64(list), AfterID: after, Limit: 1000}))
		listed += len(page)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	ds := must[[]dialer.DialableLead](t)(s.DialableLeads(ctx, campaign, t0, dialer.OrderNewFirst, 0, 1_000_000))
	return listed, len(ds)
}

// TestImportLetsOtherWritesThrough: while 200,000 rows are imported, call
// records are written within a bound far below the import's length, and
// none of the import's leads is seen before it commits; all are after.
func TestImportLetsOtherWritesThrough(t *testing.T) {
	rows := 200_000
	if testing.Short() || raceOn {
		rows = 10_000
	}
	w := newWorld(t)
	ctx := t.Context()
	list := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "Big"}))
	im := must[leadimport.Import](t)(w.s.StartImport(ctx, list.ID, "big.csv"))
	_, dialableBefore := visibleLeads(t, w.s, w.campaign.ID, 0)

	prog := &leadimport.Progress{}
	done := make(chan struct{})
	var out leadimport.Import
	var ierr error
	start := time.Now()
	go func() {
		defer close(done)
		out, ierr = w.s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
			return leadimport.Run(ctx, &rowGen{n: rows}, leadimport.Config{Campaign: w.campaign.ID, Country: "US", Mapping: genMapping},
				sink, prog, nil)
		})
	}()

	// Call records while the import runs, paced like a busy service's
	// (back to back they would starve the import of CPU); and what the
	// readers see of the import.
	var took []time.Duration
	writes, hiddenChecks := 0, 0
	pace := time.NewTicker(2 * time.Millisecond)
	defer pace.Stop()
	running := true
	for running {
		select {
		case <-done:
			running = false
			continue
		case <-pace.C:
		}
		t1 := time.Now()
		c := must[dialer.Call](t)(w.s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound,
			Origin: dialer.OriginAPI, Campaign: w.campaign.ID, ToNumber: "+33699999999", CreatedAt: t0}))
		must[dialer.Call](t)(w.s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(time.Minute), HangupCause: "NORMAL_CLEARING",
			Outcome: dialer.OutcomeNoAnswer}))
		took = append(took, time.Since(t1))
		writes++
		// Each check reads every row written so far: not after each write.
		if writes%100 == 0 {
			// Counted first: rows already written must be hidden below.
			written := importedRows(t, w.s, im.ID)
			listed, dialable := visibleLeads(t, w.s, w.campaign.ID, list.ID)
			if st := must[leadimport.Import](t)(w.s.Import(ctx, im.ID)).Status; st != leadimport.Running {
				continue // committed between the reads
			}
			if listed != 0 || dialable != dialableBefore {
				t.Fatalf("while running, with %d rows written: %d leads listed, %d dialable (%d before)", written, listed, dialable, dialableBefore)
			}
			if written > 0 {
				hiddenChecks++
			}
		}
	}
	length := time.Since(start)
	if ierr != nil {
		t.Fatal(ierr)
	}
	if out.Status != leadimport.Committed || out.Imported < int64(rows)*98/100 {
		t.Fatalf("import %+v", out)
	}
	slices.Sort(took)
	worst := took[len(took)-1]
	t.Logf("import of %d rows took %v; %d call records (CreateCall+FinishCall) written meanwhile: median %v, p99 %v, slowest %v",
		rows, length.Round(time.Millisecond), writes, took[len(took)/2].Round(time.Microsecond),
		took[len(took)*99/100].Round(time.Microsecond), worst.Round(time.Microsecond))
	if writes < 10 || hiddenChecks == 0 {
		t.Fatalf("%d writes and %d visibility checks with rows written during the import", writes, hiddenChecks)
	}
	if worst > length/10 || worst > 3*time.Second {
		t.Fatalf("a call record took %v during an import of %v", worst, length)
	}
	listed, dialable := visibleLeads(t, w.s, w.campaign.ID, list.ID)
	if int64(listed) != out.Imported || int64(dialable) != out.Imported+int64(dialableBefore) {
		t.Fatalf("after the commit %d leads listed, %d dialable; imported %d", listed, dialable, out.Imported)
	}
}

// TestImportCancelledMidway: an import cancelled after some batches were
// written leaves none of its leads, and its numbers stay free.
func TestImportCancelledMidway(t *testing.T) {
	w := newWorld(t)
	list := must[leadimport.List](t)(w.s.CreateLeadList(t.Context(), leadimport.List{Campaign: w.campaign.ID, Name: "L"}))
	im := must[leadimport.Import](t)(w.s.StartImport(t.Context(), list.ID, ""))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var written int
	_, err := w.s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		k := &cancelAfter{Sink: sink, n: 3*importBatch + 10, cancel: cancel, seen: func() { written = importedRows(t, w.s, im.ID) }}
		return leadimport.Run(ctx, &rowGen{n: 50_000}, leadimport.Config{Campaign: w.campaign.ID, Country: "US", Mapping: genMapping},
			k, nil, nil)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if written < 2*importBatch {
		t.Fatalf("%d rows written before the cancel, want batches of them", written)
	}
	if n := importedRows(t, w.s, im.ID); n != 0 {
		t.Fatalf("%d rows of the cancelled import left", n)
	}
	if n := count(t, w.s, "leads"); n != 1 {
		t.Fatalf("%d leads, want the 1 from before", n)
	}
	// A number of the import is free for a lead made now.
	must[dialer.Lead](t)(w.s.CreateLead(t.Context(), dialer.Lead{Campaign: w.campaign.ID, Phone: "+14152000001"}))
}

// cancelAfter cancels the import once n leads were inserted.
type cancelAfter struct {
	leadimport.Sink
	n      int
	cancel context.CancelFunc
	seen   func()
}

func (k *cancelAfter) Insert(ctx context.Context, l dialer.Lead) (leadimport.Dup, error) {
	if k.n--; k.n == 0 {
		k.seen()
		k.cancel()
	}
	return k.Sink.Insert(ctx, l)
}

// TestImportLeftRunningRolledBackAtStart: a service that stops during an
// import leaves it running with batches written; the next start rolls it
// back and deletes them, and the next import of the same numbers finds
// them new.
func TestImportLeftRunningRolledBackAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "as.db")
	old := openStore(t, path)
	must[[]string](t)(old.Migrate(t.Context()))
	c := must[dialer.Campaign](t)(old.CreateCampaign(t.Context(), dialer.Campaign{Name: "C", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	list := must[leadimport.List](t)(old.CreateLeadList(t.Context(), leadimport.List{Campaign: c.ID, Name: "L"}))
	im := must[leadimport.Import](t)(old.StartImport(t.Context(), list.ID, "cut.csv"))

	// The old service's import stops mid-file, batches committed, and
	// never ends: the process is gone.
	stopped, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = old.ImportLeads(context.Background(), im, func(sink leadimport.Sink) (leadimport.Report, error) {
			rep, err := leadimport.Run(t.Context(), &rowGen{n: 3 * importBatch}, leadimport.Config{Campaign: c.ID, Country: "US",
				Mapping: genMapping}, sink, nil, nil)
			if err == nil {
				err = sink.(*importSink).Flush(t.Context())
			}
			close(stopped)
			<-release
			return rep, errors.Join(err, errBoom)
		})
	}()
	defer wg.Wait()
	defer close(release)
	<-stopped
	if n := importedRows(t, old, im.ID); n < 2*importBatch {
		t.Fatalf("%d rows written by the stopped import", n)
	}

	s := openStore(t, path)
	must[[]string](t)(s.Migrate(t.Context()))
	if n := must[int](t)(s.RecoverImports(t.Context())); n != 1 {
		t.Fatalf("%d imports rolled back, want 1", n)
	}
	got := must[leadimport.Import](t)(s.Import(t.Context(), im.ID))
	if got.Status != leadimport.RolledBack || got.Error == "" || got.FinishedAt.IsZero() {
		t.Fatalf("import after the restart %+v", got)
	}
	if n := importedRows(t, s, im.ID); n != 0 {
		t.Fatalf("%d rows of the rolled-back import left", n)
	}
	if n := must[int](t)(s.RecoverImports(t.Context())); n != 0 {
		t.Fatalf("a second start rolled back %d imports", n)
	}
	rep, err := importCSV(t, t.Context(), s, list, "phone,name\n+14152000001,again\n", nil)
	if err != nil || rep.Imported != 1 {
		t.Fatalf("import after the restart: %+v, %v", rep, err)
	}
}

// startImport starts an import into a new list of the world's campaign.
func startImport(t *testing.T, w world) leadimport.Import {
	t.Helper()
	list := must[leadimport.List](t)(w.s.CreateLeadList(t.Context(), leadimport.List{Campaign: w.campaign.ID, Name: "L"}))
	return must[leadimport.Import](t)(w.s.StartImport(t.Context(), list.ID, ""))
}

// writeBatch inserts the numbers and writes them as one batch.
func writeBatch(ctx context.Context, sink leadimport.Sink, phones ...string) error {
	for _, p := range phones {
		if _, err := sink.Insert(ctx, dialer.Lead{Phone: p}); err != nil {
			return err
		}
	}
	return sink.(*importSink).Flush(ctx)
}

// TestImportHidesFromEveryReader: a lead of an import not committed is
// found by no reader nor writer by id, and a lead made for its number
// (a live call's) takes the number.
func TestImportHidesFromEveryReader(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	im := startImport(t, w)
	out, err := w.s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		if err := writeBatch(ctx, sink, "+33600000001", "+33600000002"); err != nil {
			return leadimport.Report{}, err
		}
		var id dialer.LeadID
		if err := w.s.r.QueryRowContext(ctx, `SELECT id FROM leads WHERE phone = '+33600000001'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		_, err := w.s.Lead(ctx, id)
		wantErr(t, err, dialer.ErrNotFound)
		wantErr(t, w.s.DeleteLead(ctx, id), dialer.ErrNotFound)
		_, err = w.s.CreateCallback(ctx, dialer.Callback{Lead: id, DueAt: t0.Add(time.Hour)})
		wantField(t, err, "lead_id")
		if found := must[[]dialer.Lead](t)(w.s.ListLeads(ctx, dialer.LeadFilter{Phone: "+33600000001"})); len(found) != 0 {
			t.Errorf("ListLeads by number found %+v", found)
		}
		if n := must[int](t)(w.s.BulkLeads(ctx, dialer.LeadBulk{Filter: dialer.LeadFilter{Campaign: w.campaign.ID},
			Action: dialer.BulkDelete})); n != 1 {
			t.Errorf("bulk delete changed %d leads, want the 1 from before", n)
		}
		l := must[dialer.Lead](t)(w.s.CreateLead(ctx, dialer.Lead{Campaign: w.campaign.ID, Phone: "+33600000002"}))
		if l.ID == 0 {
			t.Error("no lead made for a number the import holds")
		}
		return leadimport.Report{Read: 2, Imported: 2}, nil
	})
	if err != nil || out.Status != leadimport.Committed {
		t.Fatalf("import %+v, %v", out, err)
	}
	found := must[[]dialer.Lead](t)(w.s.ListLeads(ctx, dialer.LeadFilter{Campaign: w.campaign.ID}))
	if len(found) != 2 || found[0].Phone != "+33600000001" || found[1].Phone != "+33600000002" {
		t.Fatalf("leads after the commit %+v", found)
	}
}

// TestImportListDeletedMidway: deleting the list of a running import takes
// the import's record and its unseen leads with it; the import then fails
// instead of publishing anything.
func TestImportListDeletedMidway(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	im := startImport(t, w)
	_, err := w.s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
		if err := writeBatch(ctx, sink, "+33600000001"); err != nil {
			return leadimport.Report{}, err
		}
		if _, err := w.s.w.ExecContext(ctx, `DELETE FROM lead_lists WHERE id = ?`, im.List); err != nil {
			t.Fatal(err)
		}
		if n := count(t, w.s, "leads"); n != 1 {
			t.Errorf("%d leads after deleting the list, want the 1 from before", n)
		}
		return leadimport.Report{Read: 1, Imported: 1}, nil
	})
	wantErr(t, err, dialer.ErrConflict)
	if n := count(t, w.s, "leads"); n != 1 {
		t.Fatalf("%d leads after the import, want the 1 from before", n)
	}
}
