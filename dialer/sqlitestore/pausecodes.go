package sqlitestore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.PauseCodeStore = (*Store)(nil)

const pauseCodeCols = `code, label, productive, active, sort, created_at, updated_at`

func scanPauseCode(row interface{ Scan(...any) error }) (dialer.PauseCode, error) {
	var p dialer.PauseCode
	var created, updated sql.NullInt64
	err := row.Scan(&p.Code, &p.Label, &p.Productive, &p.Active, &p.Sort, &created, &updated)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, err
}

// ListPauseCodes implements dialer.PauseCodeStore.
func (s *Store) ListPauseCodes(ctx context.Context) ([]dialer.PauseCode, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pauseCodeCols+` FROM pause_codes ORDER BY sort, code`)
	return collect(rows, err, scanPauseCode)
}

// CreatePauseCode implements dialer.PauseCodeStore.
func (s *Store) CreatePauseCode(ctx context.Context, p dialer.PauseCode) (dialer.PauseCode, error) {
	if err := p.Validate(); err != nil {
		return dialer.PauseCode{}, err
	}
	now := s.now().UnixMilli()
	out, err := scanPauseCode(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO pause_codes (code, label, productive, active, sort,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+pauseCodeCols,
		p.Code, p.Label, boolInt(p.Productive), boolInt(p.Active), p.Sort, now, now))
	return out, mapErr(err, "create pause code "+p.Code, false)
}

// UpdatePauseCode implements dialer.PauseCodeStore.
func (s *Store) UpdatePauseCode(ctx context.Context, p dialer.PauseCode) (dialer.PauseCode, error) {
	if err := p.Validate(); err != nil {
		return dialer.PauseCode{}, err
	}
	out, err := scanPauseCode(s.wq(ctx).QueryRowContext(ctx, `UPDATE pause_codes SET label = ?, productive = ?, active = ?,
		sort = ?, updated_at = ? WHERE code = ? RETURNING `+pauseCodeCols,
		p.Label, boolInt(p.Productive), boolInt(p.Active), p.Sort, s.now().UnixMilli(), p.Code))
	return out, mapErr(err, "update pause code "+p.Code, false)
}

// DeletePauseCode implements dialer.PauseCodeStore.
func (s *Store) DeletePauseCode(ctx context.Context, code string) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM pause_codes WHERE code = ?`, code)
	return affected(res, err, "delete pause code "+code)
}

// SeedPauseCodes adds the codes missing from the store, active, after
// the others; codes already stored keep their settings.
func (s *Store) SeedPauseCodes(ctx context.Context, codes []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var sort int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(sort), 0) FROM pause_codes`).Scan(&sort); err != nil {
			return err
		}
		now := s.now().UnixMilli()
		for _, c := range codes {
			p := dialer.PauseCode{Code: c, Label: seedLabel(c), Active: true, Sort: min(sort+10, 10000)}
			if err := p.Validate(); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO pause_codes (code, label, productive, active, sort, created_at,
				updated_at) VALUES (?, ?, 0, 1, ?, ?, ?) ON CONFLICT (code) DO NOTHING`, p.Code, p.Label, p.Sort, now, now)
			if err != nil {
				return mapErr(err, "seed pause code "+c, false)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				sort = p.Sort
			}
		}
		return nil
	})
}

// seedLabel reads a code as words: LONG_BREAK is "Long break".
func seedLabel(code string) string {
	l := strings.ToLower(strings.ReplaceAll(code, "_", " "))
	return strings.ToUpper(l[:1]) + l[1:]
}
