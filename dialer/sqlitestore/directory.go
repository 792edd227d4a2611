package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// dbtx is what both the pools and a transaction offer.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---- agents

const agentCols = `id, user_id, name, extension, realm, sip_a1_hash, external_phone, mode, disabled, team_id, created_at, updated_at`

func scanAgent(row interface{ Scan(...any) error }) (dialer.Agent, error) {
	var a dialer.Agent
	var user sql.NullInt64
	var phone sql.NullString
	var created, updated, team sql.NullInt64
	err := row.Scan(&a.ID, &user, &a.Name, &a.Extension, &a.Realm, &a.SIPA1Hash, &phone, &a.Mode, &a.Disabled, &team, &created, &updated)
	a.User, a.Team = identity.UserID(user.Int64), dialer.TeamID(team.Int64)
	a.ExternalPhone = phone.String
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	a.Skills, a.Campaigns = []string{}, []dialer.CampaignID{}
	return a, err
}

// loadAgents reads agents matching where (with args) and their skills and
// campaigns.
func loadAgents(ctx context.Context, q dbtx, where string, args ...any) ([]dialer.Agent, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+agentCols+` FROM agents `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []dialer.Agent
	byID := map[dialer.AgentID]int{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	// Few agents (thousands at most): read the link tables whole when
	// listing, per agent otherwise.
	linkWhere, linkArgs := "", []any(nil)
	if len(out) == 1 {
		linkWhere, linkArgs = " WHERE agent_id = ?", []any{out[0].ID}
	}
	rows, err = q.QueryContext(ctx, `SELECT agent_id, skill FROM agent_skills`+linkWhere+` ORDER BY agent_id, skill`, linkArgs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id dialer.AgentID
		var skill string
		if err := rows.Scan(&id, &skill); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Skills = append(out[i].Skills, skill)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT agent_id, campaign_id FROM campaign_agents`+linkWhere+` ORDER BY agent_id, campaign_id`, linkArgs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id dialer.AgentID
		var c dialer.CampaignID
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Campaigns = append(out[i].Campaigns, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nameTeams(ctx, q, out)
}

// nameTeams fills the agents' TeamName; teams are few, read whole.
func nameTeams(ctx context.Context, q dbtx, agents []dialer.Agent) error {
	if !slices.ContainsFunc(agents, func(a dialer.Agent) bool { return a.Team != 0 }) {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name FROM teams`)
	if err != nil {
		return err
	}
	defer rows.Close()
	names := map[dialer.TeamID]string{}
	for rows.Next() {
		var id dialer.TeamID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range agents {
		agents[i].TeamName = names[agents[i].Team]
	}
	return nil
}

func loadAgent(ctx context.Context, q dbtx, what, where string, args ...any) (dialer.Agent, error) {
	l, err := loadAgents(ctx, q, where, args...)
	if err != nil {
		return dialer.Agent{}, mapErr(err, what, false)
	}
	if len(l) == 0 {
		return dialer.Agent{}, fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
	}
	return l[0], nil
}

// writeAgentLinks replaces the agent's skills and campaigns.
func writeAgentLinks(ctx context.Context, tx *sql.Tx, a dialer.Agent) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_skills WHERE agent_id = ?`, a.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_agents WHERE agent_id = ?`, a.ID); err != nil {
		return err
	}
	for _, sk := range dedupe(a.Skills) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_skills (agent_id, skill) VALUES (?, ?)`, a.ID, sk); err != nil {
			return mapErr(err, "agent skill "+sk, false)
		}
	}
	for _, c := range dedupe(a.Campaigns) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_agents (campaign_id, agent_id) VALUES (?, ?)`, c, a.ID); err != nil {
			return mapErr(err, fmt.Sprintf("agent campaign %d", c), false)
		}
	}
	return nil
}

func dedupe[T interface{ ~string | ~int64 }](l []T) []T {
	out := slices.Clone(l)
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateAgent implements dialer.Directory.
func (s *Store) CreateAgent(ctx context.Context, a dialer.Agent, sipPassword string) (dialer.Agent, error) {
	if err := a.Validate(); err != nil {
		return dialer.Agent{}, err
	}
	if err := identity.ValidatePassword("sip_password", sipPassword); err != nil {
		return dialer.Agent{}, err
	}
	a.SIPA1Hash = dialer.SIPA1(a.Extension, a.Realm, sipPassword)
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		err := tx.QueryRowContext(ctx, `INSERT INTO agents (user_id, name, extension, realm, sip_a1_hash, external_phone, mode, disabled,
			team_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			nullID(a.User), a.Name, a.Extension, a.Realm, a.SIPA1Hash, nullText(a.ExternalPhone), string(a.Mode), boolInt(a.Disabled),
			nullID(a.Team), now, now).
			Scan(&a.ID)
		if err != nil {
			return mapErr(err, "create agent "+a.Extension, false)
		}
		if err := writeAgentLinks(ctx, tx, a); err != nil {
			return err
		}
		out, err = loadAgent(ctx, tx, "agent", `WHERE id = ?`, a.ID)
		return err
	})
	return out, err
}

// Agent implements dialer.Directory.
func (s *Store) Agent(ctx context.Context, id dialer.AgentID) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, fmt.Sprintf("agent %d", id), `WHERE id = ?`, id)
}

// AgentByExtension implements dialer.Directory.
func (s *Store) AgentByExtension(ctx context.Context, ext string) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, "agent with extension "+ext, `WHERE extension = ?`, ext)
}

// AgentByUser implements dialer.Directory.
func (s *Store) AgentByUser(ctx context.Context, id identity.UserID) (dialer.Agent, error) {
	return loadAgent(ctx, s.r, fmt.Sprintf("agent of user %d", id), `WHERE user_id = ?`, id)
}

// ListAgents implements dialer.Directory.
func (s *Store) ListAgents(ctx context.Context) ([]dialer.Agent, error) {
	return loadAgents(ctx, s.r, "")
}

// UpdateAgent implements dialer.Directory.
func (s *Store) UpdateAgent(ctx context.Context, a dialer.Agent, sipPassword string) (dialer.Agent, error) {
	if err := a.Validate(); err != nil {
		return dialer.Agent{}, err
	}
	if sipPassword != "" {
		if err := identity.ValidatePassword("sip_password", sipPassword); err != nil {
			return dialer.Agent{}, err
		}
	}
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := loadAgent(ctx, tx, fmt.Sprintf("agent %d", a.ID), `WHERE id = ?`, a.ID)
		if err != nil {
			return err
		}
		hash := cur.SIPA1Hash
		switch {
		case sipPassword != "":
			hash = dialer.SIPA1(a.Extension, a.Realm, sipPassword)
		case cur.Extension != a.Extension || cur.Realm != a.Realm:
			return &dialer.FieldError{Field: "sip_password", Reason: "required when extension or realm change"}
		}
		_, err = tx.ExecContext(ctx, `UPDATE agents SET user_id = ?, name = ?, extension = ?, realm = ?, sip_a1_hash = ?,
			external_phone = ?, mode = ?, disabled = ?, team_id = ?, updated_at = ? WHERE id = ?`,
			nullID(a.User), a.Name, a.Extension, a.Realm, hash, nullText(a.ExternalPhone), string(a.Mode),
			boolInt(a.Disabled), nullID(a.Team), s.now().UnixMilli(), a.ID)
		if err != nil {
			return mapErr(err, fmt.Sprintf("update agent %d", a.ID), false)
		}
		if err := writeAgentLinks(ctx, tx, a); err != nil {
			return err
		}
		out, err = loadAgent(ctx, tx, "agent", `WHERE id = ?`, a.ID)
		return err
	})
	return out, err
}

// DeleteAgent implements dialer.Directory. Call records keep their rows
// with the agent unset.
func (s *Store) DeleteAgent(ctx context.Context, id dialer.AgentID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM agents WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete agent %d", id))
}
