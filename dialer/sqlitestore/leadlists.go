package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// ---- lead lists

// CreateLeadList adds a list to a campaign, active; names are unique in
// the campaign, in any case.
func (s *Store) CreateLeadList(ctx context.Context, l leadimport.List) (leadimport.List, error) {
	name, err := listName(l.Name)
	if err != nil {
		return leadimport.List{}, err
	}
	l, err = scanList(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO lead_lists (campaign_id, name, created_at) VALUES (?, ?, ?)
		RETURNING `+listCols, l.Campaign, name, s.now().UnixMilli()))
	return l, listErr(err, l.Campaign, name, "create lead list "+name)
}

// listName is a list's name as kept: trimmed, 1-128 characters.
func listName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return "", &dialer.FieldError{Field: "name", Reason: "1-128 characters"}
	}
	return name, nil
}

// listErr says which name is taken when a write hits the unique index.
func listErr(err error, campaign dialer.CampaignID, name, what string) error {
	err = mapErr(err, what, false)
	if errors.Is(err, dialer.ErrConflict) {
		return fmt.Errorf("campaign %d already has a list named %q: %w", campaign, name, dialer.ErrConflict)
	}
	return err
}

const listCols = `id, campaign_id, name, active, created_at`

func scanList(row interface{ Scan(...any) error }) (leadimport.List, error) {
	var l leadimport.List
	var created int64
	err := row.Scan(&l.ID, &l.Campaign, &l.Name, &l.Active, &created)
	l.CreatedAt = time.UnixMilli(created).UTC()
	return l, err
}

// LeadList reads one list.
func (s *Store) LeadList(ctx context.Context, id leadimport.ListID) (leadimport.List, error) {
	l, err := scanList(s.r.QueryRowContext(ctx, `SELECT `+listCols+` FROM lead_lists WHERE id = ?`, id))
	return l, mapErr(err, fmt.Sprintf("lead list %d", id), false)
}

// LeadListOf reads the lead's list; ErrNotFound when it has none.
func (s *Store) LeadListOf(ctx context.Context, lead dialer.LeadID) (leadimport.List, error) {
	l, err := scanList(s.r.QueryRowContext(ctx, `SELECT `+listCols+` FROM lead_lists
		WHERE id = (SELECT list_id FROM leads WHERE id = ?)`, lead))
	return l, mapErr(err, fmt.Sprintf("list of lead %d", lead), false)
}

// LeadLists lists a campaign's lists, oldest first.
func (s *Store) LeadLists(ctx context.Context, campaign dialer.CampaignID) ([]leadimport.List, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+listCols+` FROM lead_lists WHERE campaign_id = ? ORDER BY id`, campaign)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []leadimport.List{}
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LeadListSummary reads a list with its leads counted by status.
func (s *Store) LeadListSummary(ctx context.Context, id leadimport.ListID) (leadimport.ListSummary, error) {
	l, err := s.LeadList(ctx, id)
	if err != nil {
		return leadimport.ListSummary{}, err
	}
	out := leadimport.ListSummary{List: l}
	out.Leads, out.Total, err = s.leadCounts(ctx, `list_id = ?`, id)
	return out, err
}

// leadCounts counts the leads where cond holds by status, every status
// present.
func (s *Store) leadCounts(ctx context.Context, cond string, args ...any) (map[dialer.LeadStatus]int, int, error) {
	out := make(map[dialer.LeadStatus]int, len(dialer.LeadStatuses))
	for _, st := range dialer.LeadStatuses {
		out[st] = 0
	}
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*) FROM leads WHERE `+cond+` GROUP BY status`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var st dialer.LeadStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, 0, err
		}
		out[st], total = n, total+n
	}
	return out, total, rows.Err()
}

// UpdateLeadList renames a list or switches it on or off.
func (s *Store) UpdateLeadList(ctx context.Context, id leadimport.ListID, p leadimport.ListPatch) (leadimport.List, error) {
	name := sql.NullString{}
	if p.Name != nil {
		n, err := listName(*p.Name)
		if err != nil {
			return leadimport.List{}, err
		}
		name = sql.NullString{String: n, Valid: true}
	}
	active := sql.NullBool{}
	if p.Active != nil {
		active = sql.NullBool{Bool: *p.Active, Valid: true}
	}
	l, err := scanList(s.wq(ctx).QueryRowContext(ctx, `UPDATE lead_lists SET name = coalesce(?, name), active = coalesce(?, active)
		WHERE id = ? RETURNING `+listCols, name, active, id))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		// The campaign only names where the name is taken.
		var camp dialer.CampaignID
		_ = s.r.QueryRowContext(ctx, `SELECT campaign_id FROM lead_lists WHERE id = ?`, id).Scan(&camp)
		return leadimport.List{}, listErr(err, camp, name.String, fmt.Sprintf("update lead list %d", id))
	}
	return l, mapErr(err, fmt.Sprintf("lead list %d", id), false)
}

// DeleteLeadList removes a list in one transaction: its leads never
// called are deleted, the others (with call records or callbacks, or
// being dialed) are kept without a list. It is refused while an import
// into the list is running.
func (s *Store) DeleteLeadList(ctx context.Context, id leadimport.ListID) (leadimport.Removal, error) {
	// A running import holds the writer for its whole length; the read
	// answers at once instead of queueing behind it.
	if err := importRunning(ctx, s.r, id); err != nil {
		return leadimport.Removal{}, err
	}
	var out leadimport.Removal
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := importRunning(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM leads WHERE list_id = ?1 AND status <> 'dialing'
			AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.lead_id = leads.id)
			AND NOT EXISTS (SELECT 1 FROM callbacks b WHERE b.lead_id = leads.id)`, id)
		if err != nil {
			return mapErr(err, fmt.Sprintf("delete the leads of list %d", id), true)
		}
		n, _ := res.RowsAffected()
		out.Deleted = int(n)
		res, err = tx.ExecContext(ctx, `UPDATE leads SET list_id = NULL, updated_at = ?, version = version + 1 WHERE list_id = ?`,
			s.now().UnixMilli(), id)
		if err != nil {
			return mapErr(err, fmt.Sprintf("detach the leads of list %d", id), false)
		}
		n, _ = res.RowsAffected()
		out.Detached = int(n)
		res, err = tx.ExecContext(ctx, `DELETE FROM lead_lists WHERE id = ?`, id)
		return affected(res, err, fmt.Sprintf("delete lead list %d", id))
	})
	if err != nil {
		return leadimport.Removal{}, err
	}
	return out, nil
}

// importRunning is ErrConflict while an import into the list runs, and
// ErrNotFound when there is no such list.
func importRunning(ctx context.Context, q dbtx, id leadimport.ListID) error {
	var exists bool
	var running sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM lead_lists WHERE id = ?1),
		(SELECT min(id) FROM imports WHERE list_id = ?1 AND status = 'running')`, id).Scan(&exists, &running)
	switch {
	case err != nil:
		return mapErr(err, fmt.Sprintf("lead list %d", id), false)
	case !exists:
		return fmt.Errorf("lead list %d: %w", id, dialer.ErrNotFound)
	case running.Valid:
		return fmt.Errorf("import %d into list %d is running; delete the list once it has finished: %w", running.Int64, id, dialer.ErrConflict)
	}
	return nil
}

// ---- imports

// StartImport records an import as running, before its transaction: the
// record survives a rollback to say why.
func (s *Store) StartImport(ctx context.Context, list leadimport.ListID, fileName string) (leadimport.Import, error) {
	if len(fileName) > 255 {
		return leadimport.Import{}, &dialer.FieldError{Field: "file_name", Reason: "at most 255 bytes"}
	}
	now := s.now()
	var id int64
	err := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO imports (list_id, file_name, started_at) VALUES (?, ?, ?) RETURNING id`,
		list, fileName, now.UnixMilli()).Scan(&id)
	if err != nil {
		return leadimport.Import{}, mapErr(err, "start import", false)
	}
	return leadimport.Import{ID: leadimport.ID(id), List: list, FileName: fileName, Status: leadimport.Running,
		StartedAt: time.UnixMilli(now.UnixMilli()).UTC()}, nil
}

// FinishImport writes an import's end: its status, counts and error.
func (s *Store) FinishImport(ctx context.Context, im leadimport.Import) (leadimport.Import, error) {
	rejects, err := json.Marshal(im.Reasons)
	if err != nil {
		return im, err
	}
	if im.Reasons == nil {
		rejects = []byte("{}")
	}
	end := s.now().UnixMilli()
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE imports SET status = ?, rows_read = ?, rows_imported = ?, rows_rejected = ?,
		rejects = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'running'`,
		string(im.Status), im.Read, im.Imported, im.Rejected, string(rejects), im.Error, end, im.ID)
	if err != nil {
		return im, mapErr(err, fmt.Sprintf("finish import %d", im.ID), false)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return im, fmt.Errorf("import %d is not running: %w", im.ID, dialer.ErrConflict)
	}
	im.FinishedAt = time.UnixMilli(end).UTC()
	return im, nil
}

// Import reads an import's record.
func (s *Store) Import(ctx context.Context, id leadimport.ID) (leadimport.Import, error) {
	var im leadimport.Import
	var rejects string
	var finished sql.NullInt64
	var started int64
	err := s.r.QueryRowContext(ctx, `SELECT id, list_id, file_name, status, rows_read, rows_imported, rows_rejected, rejects,
		error, started_at, finished_at FROM imports WHERE id = ?`, id).Scan(&im.ID, &im.List, &im.FileName, &im.Status,
		&im.Read, &im.Imported, &im.Rejected, &rejects, &im.Error, &started, &finished)
	if err != nil {
		return im, mapErr(err, fmt.Sprintf("import %d", id), false)
	}
	if err := json.Unmarshal([]byte(rejects), &im.Reasons); err != nil {
		return im, fmt.Errorf("import %d: rejects: %w", id, err)
	}
	im.StartedAt, im.FinishedAt = time.UnixMilli(started).UTC(), fromMS(finished)
	return im, nil
}

// importBatch is how many leads one transaction of an import writes: the
// writer is held for their inserts only, then the service's other writes
// go.
const importBatch = 2000

// purgeBatch is how many leads of an import that did not commit one
// transaction deletes.
const purgeBatch = 5000

// visibleLead is the condition every reader of leads adds: the leads of an
// import that has not committed (running, or ended and awaiting their
// deletion) are left out. col is the lead's import_id column.
func visibleLead(col string) string {
	return `(` + col + ` IS NULL OR ` + col + ` NOT IN (SELECT id FROM imports WHERE status <> 'committed'))`
}

// ImportLeads runs fn with a Sink that inserts into the import's list, in
// batches that are each their own transaction. Until fn returns nil the
// import's leads are left out by every reader; then one update of the
// import's record (status committed, with fn's report) publishes them all.
// When fn or that update fails, the leads are deleted, in batches too, and
// the error returned: the caller records the import's end (FinishImport).
//
// One import runs at a time, so the duplicate checks see every committed
// lead and never the rows of another import.
func (s *Store) ImportLeads(ctx context.Context, im leadimport.Import, fn func(leadimport.Sink) (leadimport.Report, error)) (leadimport.Import, error) {
	select {
	case s.importing <- struct{}{}:
	case <-ctx.Done():
		return im, ctx.Err()
	}
	defer func() { <-s.importing }()
	cur, err := s.Import(ctx, im.ID)
	if err != nil {
		return im, err
	}
	if cur.Status != leadimport.Running || cur.List != im.List {
		return im, fmt.Errorf("import %d of list %d is not running: %w", im.ID, im.List, dialer.ErrConflict)
	}
	list, err := s.LeadList(ctx, im.List)
	if err != nil {
		return im, err
	}
	// Rows an earlier import left when the service stopped during their
	// deletion would count as duplicates.
	if err := s.purgeEnded(ctx); err != nil {
		return im, err
	}
	k, err := newImportSink(ctx, s, im.ID, list)
	if err != nil {
		return im, err
	}
	im.Report, err = fn(k)
	if err == nil {
		err = k.Flush(ctx)
	}
	k.close()
	if err == nil {
		im.Status = leadimport.Committed
		var out leadimport.Import
		if out, err = s.FinishImport(ctx, im); err == nil {
			return out, nil
		}
		im.Status = leadimport.Running
	}
	// The client may have gone: the deletion still runs.
	if perr := s.purgeImport(context.WithoutCancel(ctx), im.ID); perr != nil {
		err = errors.Join(err, perr)
	}
	return im, err
}

// RecoverImports rolls back the imports a stopped service left running and
// deletes their leads; it runs at start-up, before any import begins.
func (s *Store) RecoverImports(ctx context.Context) (int, error) {
	select {
	case s.importing <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-s.importing }()
	res, err := s.w.ExecContext(ctx, `UPDATE imports SET status = 'rolled_back', error = 'the service stopped during the import',
		finished_at = ? WHERE status = 'running'`, s.now().UnixMilli())
	if err != nil {
		return 0, mapErr(err, "roll back running imports", false)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), s.purgeEnded(ctx)
}

// purgeEnded deletes the leads left by imports that ended without
// committing.
func (s *Store) purgeEnded(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM imports i WHERE status IN ('rolled_back', 'failed')
		AND EXISTS (SELECT 1 FROM leads WHERE import_id = i.id)`)
	ids, err := collect(rows, err, func(r interface{ Scan(...any) error }) (leadimport.ID, error) {
		var id leadimport.ID
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.purgeImport(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// purgeImport deletes an import's leads, purgeBatch to a transaction.
func (s *Store) purgeImport(ctx context.Context, id leadimport.ID) error {
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE import_id = ? LIMIT ?)`, id, purgeBatch)
		if err != nil {
			return mapErr(err, fmt.Sprintf("delete the leads of import %d", id), false)
		}
		if n, err := res.RowsAffected(); err != nil || n < purgeBatch {
			return err
		}
	}
}

// importSink checks each lead beside the writer (the read pool) and keeps
// it for the next batch: the writer is held only while a batch is
// inserted, never while the file is read and parsed.
type importSink struct {
	s             *Store
	im            leadimport.ID
	list          leadimport.List
	dnc, existing *sql.Stmt // on the read pool
	batch         []leadArgs
	inBatch       map[string]bool // the batch's numbers
}

func newImportSink(ctx context.Context, s *Store, im leadimport.ID, list leadimport.List) (*importSink, error) {
	k := &importSink{s: s, im: im, list: list, inBatch: make(map[string]bool, importBatch)}
	var err error
	if k.dnc, err = s.r.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM dnc WHERE phone = ?1
		AND (campaign_id IS NULL OR campaign_id = ?2))`); err != nil {
		return nil, err
	}
	// Committed batches of this import are seen here, unlike by the
	// readers of leads: they are the import's duplicates in the file.
	if k.existing, err = s.r.PrepareContext(ctx, `SELECT coalesce(import_id, 0) FROM leads WHERE campaign_id = ? AND phone = ?`); err != nil {
		k.dnc.Close()
		return nil, err
	}
	return k, nil
}

func (k *importSink) close() {
	k.dnc.Close()
	k.existing.Close()
}

func (k *importSink) Blocked(ctx context.Context, phone string) (bool, error) {
	var blocked bool
	err := k.dnc.QueryRowContext(ctx, phone, k.list.Campaign).Scan(&blocked)
	return blocked, err
}

func (k *importSink) Insert(ctx context.Context, l dialer.Lead) (leadimport.Dup, error) {
	l.Campaign = k.list.Campaign
	var a leadArgs
	if err := a.fill(l); err != nil {
		return leadimport.NoDup, err
	}
	if k.inBatch[l.Phone] {
		return leadimport.DupInFile, nil
	}
	var from leadimport.ID
	switch err := k.existing.QueryRowContext(ctx, k.list.Campaign, l.Phone).Scan(&from); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return leadimport.NoDup, err
	case from == k.im:
		return leadimport.DupInFile, nil
	default:
		return leadimport.DupInCampaign, nil
	}
	k.batch = append(k.batch, a)
	k.inBatch[l.Phone] = true
	if len(k.batch) >= importBatch {
		return leadimport.NoDup, k.Flush(ctx)
	}
	return leadimport.NoDup, nil
}

// Flush writes the batch in one transaction. A number a live call's lead
// took since its check stays that lead's (the row is skipped, though the
// report counts it imported).
func (k *importSink) Flush(ctx context.Context) error {
	if len(k.batch) == 0 {
		return nil
	}
	now := k.s.now().UnixMilli()
	err := k.s.tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO leads (campaign_id, phone, phone2, first_name, last_name, email,
			time_zone, custom, status, attempts, last_call_at, next_call_at, last_outcome, last_disposition, created_at, updated_at,
			list_id, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, phone) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, a := range k.batch {
			if _, err := ins.ExecContext(ctx, append(a[:], now, now, k.list.ID, k.im)...); err != nil {
				return mapErr(err, fmt.Sprintf("import lead %v", a[1]), false)
			}
		}
		return nil
	})
	k.batch = k.batch[:0]
	clear(k.inBatch)
	return err
}
