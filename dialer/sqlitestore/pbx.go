package sqlitestore

import (
	"context"
	"database/sql"
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

const didCols = `number, name, queue, campaign_id, enabled, created_at, updated_at`

func scanDID(row interface{ Scan(...any) error }) (dialer.DID, error) {
	var d dialer.DID
	var campaign, created, updated sql.NullInt64
	err := row.Scan(&d.Number, &d.Name, &d.Queue, &campaign, &d.Enabled, &created, &updated)
	d.Campaign = dialer.CampaignID(campaign.Int64)
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	return d, err
}

// CreateDID implements dialer.PBXStore.
func (s *Store) CreateDID(ctx context.Context, d dialer.DID) (dialer.DID, error) {
	if err := d.Validate(); err != nil {
		return dialer.DID{}, err
	}
	now := s.now().UnixMilli()
	out, err := scanDID(s.w.QueryRowContext(ctx, `INSERT INTO dids (number, name, queue, campaign_id, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+didCols,
		d.Number, d.Name, d.Queue, nullID(d.Campaign), boolInt(d.Enabled), now, now))
	return out, mapErr(err, "create DID "+d.Number, false)
}

// DID implements dialer.PBXStore.
func (s *Store) DID(ctx context.Context, number string) (dialer.DID, error) {
	d, err := scanDID(s.r.QueryRowContext(ctx, `SELECT `+didCols+` FROM dids WHERE number = ?`, number))
	return d, mapErr(err, "DID "+number, false)
}

// ListDIDs implements dialer.PBXStore, by number.
func (s *Store) ListDIDs(ctx context.Context) ([]dialer.DID, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+didCols+` FROM dids ORDER BY number`)
	if err != nil {
		return nil, mapErr(err, "list DIDs", false)
	}
	defer rows.Close()
	out := []dialer.DID{}
	for rows.Next() {
		d, err := scanDID(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateDID implements dialer.PBXStore; the number is the key and stays.
func (s *Store) UpdateDID(ctx context.Context, d dialer.DID) (dialer.DID, error) {
	if err := d.Validate(); err != nil {
		return dialer.DID{}, err
	}
	out, err := scanDID(s.w.QueryRowContext(ctx, `UPDATE dids SET name = ?, queue = ?, campaign_id = ?, enabled = ?, updated_at = ?
		WHERE number = ? RETURNING `+didCols,
		d.Name, d.Queue, nullID(d.Campaign), boolInt(d.Enabled), s.now().UnixMilli(), d.Number))
	return out, mapErr(err, "update DID "+d.Number, false)
}

// DeleteDID implements dialer.PBXStore.
func (s *Store) DeleteDID(ctx context.Context, number string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM dids WHERE number = ?`, number)
	return affected(res, err, "delete DID "+number)
}
