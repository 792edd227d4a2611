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

// ImportLeads runs fn in one write transaction with a Sink that inserts
// into list's campaign: everything fn inserted is committed when it
// returns nil and rolled back otherwise. The transaction holds SQLite's
// one writer for its length (the service's other writes queue behind
// it); readers go on beside it under WAL.
func (s *Store) ImportLeads(ctx context.Context, list leadimport.List, fn func(leadimport.Sink) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var before int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM leads`).Scan(&before); err != nil {
			return err
		}
		k := &importSink{s: s, list: list, before: before}
		var err error
		if k.insert, err = tx.PrepareContext(ctx, `INSERT INTO leads (campaign_id, phone, phone2, first_name, last_name, email,
			time_zone, custom, status, attempts, last_call_at, next_call_at, last_outcome, last_disposition, created_at, updated_at, list_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, phone) DO NOTHING`); err != nil {
			return err
		}
		defer k.insert.Close()
		if k.existing, err = tx.PrepareContext(ctx, `SELECT id FROM leads WHERE campaign_id = ? AND phone = ?`); err != nil {
			return err
		}
		defer k.existing.Close()
		if k.dnc, err = tx.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM dnc WHERE phone = ?1
			AND (campaign_id IS NULL OR campaign_id = ?2))`); err != nil {
			return err
		}
		defer k.dnc.Close()
		return fn(k)
	})
}

type importSink struct {
	s                     *Store
	list                  leadimport.List
	before                int64 // leads above this id came from this import
	insert, existing, dnc *sql.Stmt
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
	now := k.s.now().UnixMilli()
	res, err := k.insert.ExecContext(ctx, append(a[:], now, now, k.list.ID)...)
	if err != nil {
		return leadimport.NoDup, mapErr(err, "import lead "+l.Phone, false)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return leadimport.NoDup, err
	}
	var id int64
	if err := k.existing.QueryRowContext(ctx, k.list.Campaign, l.Phone).Scan(&id); err != nil {
		return leadimport.NoDup, err
	}
	if id > k.before {
		return leadimport.DupInFile, nil
	}
	return leadimport.DupInCampaign, nil
}
