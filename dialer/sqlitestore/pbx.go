package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.PBXStore = (*Store)(nil)

// ---- gateways

const gatewayCols = `id, name, proxy, realm, username, password, register, transport, from_user, from_domain,
	expire_seconds, ping_seconds, enabled, created_at, updated_at`

func scanGateway(row interface{ Scan(...any) error }) (dialer.Gateway, error) {
	var g dialer.Gateway
	var created, updated sql.NullInt64
	err := row.Scan(&g.ID, &g.Name, &g.Proxy, &g.Realm, &g.Username, &g.Password, &g.Register, &g.Transport,
		&g.FromUser, &g.FromDomain, &g.ExpireSeconds, &g.PingSeconds, &g.Enabled, &created, &updated)
	g.CreatedAt, g.UpdatedAt = fromMS(created), fromMS(updated)
	return g, err
}

func gatewayDefaults(g *dialer.Gateway) {
	if g.Transport == "" {
		g.Transport = "udp"
	}
	if g.ExpireSeconds == 0 {
		g.ExpireSeconds = 600
	}
}

// CreateGateway implements dialer.PBXStore. Zero Transport and
// ExpireSeconds take udp and 600.
func (s *Store) CreateGateway(ctx context.Context, g dialer.Gateway) (dialer.Gateway, error) {
	gatewayDefaults(&g)
	if err := g.Validate(); err != nil {
		return dialer.Gateway{}, err
	}
	now := s.now().UnixMilli()
	out, err := scanGateway(s.w.QueryRowContext(ctx, `INSERT INTO gateways (name, proxy, realm, username, password, register,
		transport, from_user, from_domain, expire_seconds, ping_seconds, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+gatewayCols,
		g.Name, g.Proxy, g.Realm, g.Username, g.Password, boolInt(g.Register), g.Transport, g.FromUser, g.FromDomain,
		g.ExpireSeconds, g.PingSeconds, boolInt(g.Enabled), now, now))
	return out, mapErr(err, "create gateway "+g.Name, false)
}

// Gateway implements dialer.PBXStore.
func (s *Store) Gateway(ctx context.Context, id dialer.GatewayID) (dialer.Gateway, error) {
	g, err := scanGateway(s.r.QueryRowContext(ctx, `SELECT `+gatewayCols+` FROM gateways WHERE id = ?`, id))
	return g, mapErr(err, fmt.Sprintf("gateway %d", id), false)
}

// GatewayByName implements dialer.PBXStore.
func (s *Store) GatewayByName(ctx context.Context, name string) (dialer.Gateway, error) {
	g, err := scanGateway(s.r.QueryRowContext(ctx, `SELECT `+gatewayCols+` FROM gateways WHERE name = ?`, name))
	return g, mapErr(err, "gateway "+name, false)
}

// ListGateways implements dialer.PBXStore, by name.
func (s *Store) ListGateways(ctx context.Context) ([]dialer.Gateway, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+gatewayCols+` FROM gateways ORDER BY name`)
	if err != nil {
		return nil, mapErr(err, "list gateways", false)
	}
	defer rows.Close()
	out := []dialer.Gateway{}
	for rows.Next() {
		g, err := scanGateway(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpdateGateway implements dialer.PBXStore.
func (s *Store) UpdateGateway(ctx context.Context, g dialer.Gateway) (dialer.Gateway, error) {
	gatewayDefaults(&g)
	var out dialer.Gateway
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if g.Password == "" {
			err := tx.QueryRowContext(ctx, `SELECT password FROM gateways WHERE id = ?`, g.ID).Scan(&g.Password)
			if err != nil {
				return mapErr(err, fmt.Sprintf("gateway %d", g.ID), false)
			}
		}
		if err := g.Validate(); err != nil {
			return err
		}
		var err error
		out, err = scanGateway(tx.QueryRowContext(ctx, `UPDATE gateways SET name = ?, proxy = ?, realm = ?, username = ?,
			password = ?, register = ?, transport = ?, from_user = ?, from_domain = ?, expire_seconds = ?, ping_seconds = ?,
			enabled = ?, updated_at = ? WHERE id = ? RETURNING `+gatewayCols,
			g.Name, g.Proxy, g.Realm, g.Username, g.Password, boolInt(g.Register), g.Transport, g.FromUser, g.FromDomain,
			g.ExpireSeconds, g.PingSeconds, boolInt(g.Enabled), s.now().UnixMilli(), g.ID))
		return mapErr(err, fmt.Sprintf("update gateway %d", g.ID), false)
	})
	return out, err
}

// DeleteGateway implements dialer.PBXStore.
func (s *Store) DeleteGateway(ctx context.Context, id dialer.GatewayID) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM gateways WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete gateway %d", id))
}

// ---- DIDs

// didSelect reads a DID with the name of its queue: the row keeps the
// queue's id (migration 0015), so a rename shows at once.
const didSelect = `SELECT d.number, d.name, coalesce(q.name, ''), d.queue_id, d.campaign_id, d.priority, d.skills,
	d.enabled, d.created_at, d.updated_at
	FROM dids d LEFT JOIN queues q ON q.id = d.queue_id`

func scanDID(row interface{ Scan(...any) error }) (dialer.DID, error) {
	var d dialer.DID
	var queue, campaign, created, updated sql.NullInt64
	var skills string
	if err := row.Scan(&d.Number, &d.Name, &d.Queue, &queue, &campaign, &d.Priority, &skills, &d.Enabled, &created, &updated); err != nil {
		return d, err
	}
	d.QueueID, d.Campaign = dialer.QueueID(queue.Int64), dialer.CampaignID(campaign.Int64)
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	return d, json.Unmarshal([]byte(skills), &d.Skills)
}

// didQueue resolves the queue a DID names to its id (0 for none); a name
// no queue has is refused naming the field.
func didQueue(ctx context.Context, tx *sql.Tx, name string) (sql.NullInt64, error) {
	if name == "" {
		return sql.NullInt64{}, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM queues WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.NullInt64{}, &dialer.FieldError{Field: "queue", Reason: fmt.Sprintf("no queue named %q", name)}
	}
	return sql.NullInt64{Int64: id, Valid: err == nil}, err
}

// writeDID validates d, resolves its queue and runs write (given the
// queue id) in one transaction, then reads the DID back.
func (s *Store) writeDID(ctx context.Context, d dialer.DID, what string, write func(*sql.Tx, sql.NullInt64) (sql.Result, error)) (dialer.DID, error) {
	if err := d.Validate(); err != nil {
		return dialer.DID{}, err
	}
	var out dialer.DID
	err := s.tx(ctx, func(tx *sql.Tx) error {
		queue, err := didQueue(ctx, tx, d.Queue)
		if err != nil {
			return err
		}
		res, err := write(tx, queue)
		if err := affected(res, err, what); err != nil {
			return err
		}
		out, err = scanDID(tx.QueryRowContext(ctx, didSelect+` WHERE d.number = ?`, d.Number))
		return mapErr(err, what, false)
	})
	return out, err
}

// skillsJSON is a skill list as its column keeps it: nil is [].
func skillsJSON(skills []string) string {
	if skills == nil {
		return "[]"
	}
	b, _ := json.Marshal(skills) // a []string always encodes
	return string(b)
}

// CreateDID implements dialer.PBXStore.
func (s *Store) CreateDID(ctx context.Context, d dialer.DID) (dialer.DID, error) {
	return s.writeDID(ctx, d, "create DID "+d.Number, func(tx *sql.Tx, queue sql.NullInt64) (sql.Result, error) {
		now := s.now().UnixMilli()
		return tx.ExecContext(ctx, `INSERT INTO dids (number, name, queue_id, campaign_id, priority, skills, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.Number, d.Name, queue, nullID(d.Campaign), d.Priority, skillsJSON(d.Skills),
			boolInt(d.Enabled), now, now)
	})
}

// DID implements dialer.PBXStore.
func (s *Store) DID(ctx context.Context, number string) (dialer.DID, error) {
	d, err := scanDID(s.r.QueryRowContext(ctx, didSelect+` WHERE d.number = ?`, number))
	return d, mapErr(err, "DID "+number, false)
}

// ListDIDs implements dialer.PBXStore, by number.
func (s *Store) ListDIDs(ctx context.Context) ([]dialer.DID, error) {
	rows, err := s.r.QueryContext(ctx, didSelect+` ORDER BY d.number`)
	out, err := collect(rows, err, scanDID)
	if out == nil && err == nil {
		out = []dialer.DID{}
	}
	return out, mapErr(err, "list DIDs", false)
}

// UpdateDID implements dialer.PBXStore; the number is the key and stays.
func (s *Store) UpdateDID(ctx context.Context, d dialer.DID) (dialer.DID, error) {
	return s.writeDID(ctx, d, "update DID "+d.Number, func(tx *sql.Tx, queue sql.NullInt64) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE dids SET name = ?, queue_id = ?, campaign_id = ?, priority = ?, skills = ?, enabled = ?,
			updated_at = ? WHERE number = ?`, d.Name, queue, nullID(d.Campaign), d.Priority, skillsJSON(d.Skills), boolInt(d.Enabled),
			s.now().UnixMilli(), d.Number)
	})
}

// DeleteDID implements dialer.PBXStore.
func (s *Store) DeleteDID(ctx context.Context, number string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM dids WHERE number = ?`, number)
	return affected(res, err, "delete DID "+number)
}
