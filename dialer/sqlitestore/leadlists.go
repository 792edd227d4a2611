package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// ---- lead lists

// CreateLeadList adds a list to a campaign; names are unique in the
// campaign, in any case.
func (s *Store) CreateLeadList(ctx context.Context, l leadimport.List) (leadimport.List, error) {
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" || len(l.Name) > 128 {
		return leadimport.List{}, &dialer.FieldError{Field: "name", Reason: "1-128 characters"}
	}
	var created int64
	err := s.wq(ctx).QueryRowContext(ctx, `INSERT INTO lead_lists (campaign_id, name, created_at) VALUES (?, ?, ?)
		RETURNING id, created_at`, l.Campaign, l.Name, s.now().UnixMilli()).Scan(&l.ID, &created)
	if err != nil {
		return leadimport.List{}, mapErr(err, "create lead list "+l.Name, false)
	}
	l.CreatedAt = time.UnixMilli(created).UTC()
	return l, nil
}

func scanList(row interface{ Scan(...any) error }) (leadimport.List, error) {
	var l leadimport.List
	var created int64
	err := row.Scan(&l.ID, &l.Campaign, &l.Name, &created)
	l.CreatedAt = time.UnixMilli(created).UTC()
	return l, err
}

// LeadList reads one list.
func (s *Store) LeadList(ctx context.Context, id leadimport.ListID) (leadimport.List, error) {
	l, err := scanList(s.r.QueryRowContext(ctx, `SELECT id, campaign_id, name, created_at FROM lead_lists WHERE id = ?`, id))
	return l, mapErr(err, fmt.Sprintf("lead list %d", id), false)
}

// LeadLists lists a campaign's lists, oldest first.
func (s *Store) LeadLists(ctx context.Context, campaign dialer.CampaignID) ([]leadimport.List, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, campaign_id, name, created_at FROM lead_lists WHERE campaign_id = ? ORDER BY id`, campaign)
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
