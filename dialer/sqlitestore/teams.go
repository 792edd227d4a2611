package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

var _ dialer.TeamStore = (*Store)(nil)

// loadTeams reads the teams matching where, with supervisors and member
// counts, by name.
func loadTeams(ctx context.Context, q dbtx, where string, args ...any) ([]dialer.Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name, t.created_at, t.updated_at,
		(SELECT count(*) FROM agents a WHERE a.team_id = t.id) FROM teams t `+where+` ORDER BY t.name COLLATE NOCASE, t.id`, args...)
	if err != nil {
		return nil, err
	}
	out := []dialer.Team{}
	byID := map[dialer.TeamID]int{}
	for rows.Next() {
		var t dialer.Team
		var created, updated sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &created, &updated, &t.Members); err != nil {
			rows.Close()
			return nil, err
		}
		t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
		t.Supervisors = []identity.UserID{}
		byID[t.ID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = q.QueryContext(ctx, `SELECT team_id, user_id FROM team_supervisors ORDER BY team_id, user_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id dialer.TeamID
		var u identity.UserID
		if err := rows.Scan(&id, &u); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Supervisors = append(out[i].Supervisors, u)
		}
	}
	return out, rows.Err()
}

func loadTeam(ctx context.Context, q dbtx, id dialer.TeamID) (dialer.Team, error) {
	l, err := loadTeams(ctx, q, `WHERE t.id = ?`, id)
	what := fmt.Sprintf("team %d", id)
	if err != nil {
		return dialer.Team{}, mapErr(err, what, false)
	}
	if len(l) == 0 {
		return dialer.Team{}, fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
	}
	return l[0], nil
}

// writeSupervisors replaces the team's supervisors.
func writeSupervisors(ctx context.Context, tx *sql.Tx, t dialer.Team) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_supervisors WHERE team_id = ?`, t.ID); err != nil {
		return err
	}
	for _, u := range dedupe(t.Supervisors) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_supervisors (team_id, user_id) VALUES (?, ?)`, t.ID, u); err != nil {
			return mapErr(err, fmt.Sprintf("team supervisor %d", u), false)
		}
	}
	return nil
}

// ListTeams implements dialer.TeamStore.
func (s *Store) ListTeams(ctx context.Context) ([]dialer.Team, error) {
	return loadTeams(ctx, s.r, "")
}

// Team implements dialer.TeamStore.
func (s *Store) Team(ctx context.Context, id dialer.TeamID) (dialer.Team, error) {
	return loadTeam(ctx, s.r, id)
}

// CreateTeam implements dialer.TeamStore.
func (s *Store) CreateTeam(ctx context.Context, t dialer.Team) (dialer.Team, error) {
	if err := t.Validate(); err != nil {
		return dialer.Team{}, err
	}
	var out dialer.Team
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		err := tx.QueryRowContext(ctx, `INSERT INTO teams (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
			t.Name, now, now).Scan(&t.ID)
		if err != nil {
			return mapErr(err, "create team "+t.Name, false)
		}
		if err := writeSupervisors(ctx, tx, t); err != nil {
			return err
		}
		out, err = loadTeam(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// UpdateTeam implements dialer.TeamStore.
func (s *Store) UpdateTeam(ctx context.Context, t dialer.Team) (dialer.Team, error) {
	if err := t.Validate(); err != nil {
		return dialer.Team{}, err
	}
	var out dialer.Team
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET name = ?, updated_at = ? WHERE id = ?`, t.Name, s.now().UnixMilli(), t.ID)
		if err := affected(res, err, fmt.Sprintf("update team %d", t.ID)); err != nil {
			return err
		}
		if err := writeSupervisors(ctx, tx, t); err != nil {
			return err
		}
		out, err = loadTeam(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// DeleteTeam implements dialer.TeamStore; the foreign key leaves the
// team's agents without a team.
func (s *Store) DeleteTeam(ctx context.Context, id dialer.TeamID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM teams WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete team %d", id))
}
