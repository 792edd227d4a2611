package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/agentswitch/agentswitch/dialer"
)

var _ dialer.QueueStore = (*Store)(nil)

const queueCols = `id, name, strategy, gap_min_seconds, gap_max_seconds, ring_timeout_seconds, wrapup_seconds,
	max_wait_seconds, max_waiting, music, announce_seconds, announce_position, announce_wait, service_level_seconds,
	max_no_answer, overflow_on_max_wait, overflow_on_no_agents, overflow_kind, overflow_queue_id, overflow_agent_id,
	overflow_number, overflow_greeting, active, version, created_at, updated_at`

func scanQueue(row interface{ Scan(...any) error }) (dialer.Queue, error) {
	var q dialer.Queue
	var oq, oa, created, updated sql.NullInt64
	o := &q.Overflow
	err := row.Scan(&q.ID, &q.Name, &q.Strategy, &q.Gap.MinSeconds, &q.Gap.MaxSeconds, &q.RingTimeoutSeconds, &q.WrapUpSeconds,
		&q.MaxWaitSeconds, &q.MaxWaiting, &q.Music, &q.AnnounceSeconds, &q.AnnouncePosition, &q.AnnounceWait,
		&q.ServiceLevelSeconds, &q.MaxNoAnswer, &o.OnMaxWait, &o.OnNoAgents, &o.Kind, &oq, &oa,
		&o.Number, &o.Greeting, &q.Active, &q.Version, &created, &updated)
	o.Queue, o.Agent = dialer.QueueID(oq.Int64), dialer.AgentID(oa.Int64)
	q.CreatedAt, q.UpdatedAt = fromMS(created), fromMS(updated)
	return q, err
}

// queueArgs are the settable columns, in queueCols order after id.
func queueArgs(q dialer.Queue) []any {
	o := q.Overflow
	return []any{q.Name, string(q.Strategy), q.Gap.MinSeconds, q.Gap.MaxSeconds, q.RingTimeoutSeconds, q.WrapUpSeconds,
		q.MaxWaitSeconds, q.MaxWaiting, q.Music, q.AnnounceSeconds, boolInt(q.AnnouncePosition), boolInt(q.AnnounceWait),
		q.ServiceLevelSeconds, q.MaxNoAnswer, boolInt(o.OnMaxWait), boolInt(o.OnNoAgents), string(o.Kind),
		nullID(o.Queue), nullID(o.Agent), o.Number, o.Greeting, boolInt(q.Active)}
}

// checkOverflowTarget names the overflow field whose queue or agent does
// not exist (the foreign key alone would not say which).
func checkOverflowTarget(ctx context.Context, tx *sql.Tx, o dialer.QueueOverflow) error {
	var table, field string
	var id int64
	switch o.Kind {
	case dialer.OverflowQueue:
		table, field, id = "queues", "overflow.queue_id", int64(o.Queue)
	case dialer.OverflowAgent:
		table, field, id = "agents", "overflow.agent_id", int64(o.Agent)
	default:
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return &dialer.FieldError{Field: field, Reason: fmt.Sprintf("no %s %d", table[:len(table)-1], id)}
	}
	return nil
}

// CreateQueue implements dialer.QueueStore.
func (s *Store) CreateQueue(ctx context.Context, q dialer.Queue) (dialer.Queue, error) {
	q.ID = 0
	if err := q.Validate(); err != nil {
		return dialer.Queue{}, err
	}
	var out dialer.Queue
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkOverflowTarget(ctx, tx, q.Overflow); err != nil {
			return err
		}
		now := s.now().UnixMilli()
		var err error
		out, err = scanQueue(tx.QueryRowContext(ctx, `INSERT INTO queues (name, strategy, gap_min_seconds, gap_max_seconds,
			ring_timeout_seconds, wrapup_seconds, max_wait_seconds, max_waiting, music, announce_seconds, announce_position,
			announce_wait, service_level_seconds, max_no_answer, overflow_on_max_wait, overflow_on_no_agents, overflow_kind,
			overflow_queue_id, overflow_agent_id, overflow_number, overflow_greeting, active, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING `+queueCols,
			append(queueArgs(q), now, now)...))
		return mapErr(err, "create queue", false)
	})
	return out, err
}

// Queue implements dialer.QueueStore.
func (s *Store) Queue(ctx context.Context, id dialer.QueueID) (dialer.Queue, error) {
	q, err := scanQueue(s.r.QueryRowContext(ctx, `SELECT `+queueCols+` FROM queues WHERE id = ?`, id))
	return q, mapErr(err, fmt.Sprintf("queue %d", id), false)
}

// QueueByName implements dialer.QueueStore.
func (s *Store) QueueByName(ctx context.Context, name string) (dialer.Queue, error) {
	q, err := scanQueue(s.r.QueryRowContext(ctx, `SELECT `+queueCols+` FROM queues WHERE name = ?`, name))
	return q, mapErr(err, fmt.Sprintf("queue %q", name), false)
}

// ListQueues implements dialer.QueueStore.
func (s *Store) ListQueues(ctx context.Context) ([]dialer.Queue, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+queueCols+` FROM queues ORDER BY name`)
	return collect(rows, err, scanQueue)
}

// UpdateQueue implements dialer.QueueStore.
func (s *Store) UpdateQueue(ctx context.Context, q dialer.Queue) (dialer.Queue, error) {
	if err := q.Validate(); err != nil {
		return dialer.Queue{}, err
	}
	what := fmt.Sprintf("update queue %d", q.ID)
	var out dialer.Queue
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A rename needs no check: DIDs refer to the queue by id.
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM queues WHERE id = ?`, q.ID).Scan(&version)
		if err != nil {
			return mapErr(err, what, false)
		}
		if version != q.Version {
			return fmt.Errorf("%s (version %d, stored %d): %w", what, q.Version, version, dialer.ErrStale)
		}
		if err := checkOverflowTarget(ctx, tx, q.Overflow); err != nil {
			return err
		}
		out, err = scanQueue(tx.QueryRowContext(ctx, `UPDATE queues SET name = ?, strategy = ?, gap_min_seconds = ?,
			gap_max_seconds = ?, ring_timeout_seconds = ?, wrapup_seconds = ?, max_wait_seconds = ?, max_waiting = ?, music = ?,
			announce_seconds = ?, announce_position = ?, announce_wait = ?, service_level_seconds = ?, max_no_answer = ?,
			overflow_on_max_wait = ?, overflow_on_no_agents = ?, overflow_kind = ?, overflow_queue_id = ?,
			overflow_agent_id = ?, overflow_number = ?, overflow_greeting = ?, active = ?, updated_at = ?,
			version = version + 1 WHERE id = ? RETURNING `+queueCols,
			append(queueArgs(q), s.now().UnixMilli(), q.ID)...))
		return mapErr(err, what, false)
	})
	return out, err
}

// maxNamedDIDs bounds the DIDs an in-use refusal lists.
const maxNamedDIDs = 5

// refuseRouted returns ErrInUse naming the DIDs that route to the queue.
func refuseRouted(ctx context.Context, tx *sql.Tx, id dialer.QueueID, name string) error {
	rows, err := tx.QueryContext(ctx, `SELECT number FROM dids WHERE queue_id = ? ORDER BY number`, id)
	dids, err := collect(rows, err, func(r interface{ Scan(...any) error }) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil || len(dids) == 0 {
		return err
	}
	list := strings.Join(dids[:min(len(dids), maxNamedDIDs)], ", ")
	if len(dids) > maxNamedDIDs {
		list += fmt.Sprintf(" and %d more", len(dids)-maxNamedDIDs)
	}
	return fmt.Errorf("queue %q cannot be deleted: DIDs route to it (%s); point them at another queue first: %w",
		name, list, dialer.ErrInUse)
}

// DeleteQueue implements dialer.QueueStore.
func (s *Store) DeleteQueue(ctx context.Context, id dialer.QueueID) error {
	what := fmt.Sprintf("delete queue %d", id)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM queues WHERE id = ?`, id).Scan(&name); err != nil {
			return mapErr(err, what, true)
		}
		if err := refuseRouted(ctx, tx, id, name); err != nil {
			return err
		}
		var other string
		err := tx.QueryRowContext(ctx, `SELECT name FROM queues WHERE overflow_queue_id = ? ORDER BY name LIMIT 1`, id).Scan(&other)
		if err == nil {
			return fmt.Errorf("queue %q cannot be deleted: queue %q overflows to it: %w", name, other, dialer.ErrInUse)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM queues WHERE id = ?`, id)
		return affected(res, err, what)
	})
}

const memberCols = `queue_id, agent_id, rank, position, skills, blend_order`

func scanMember(row interface{ Scan(...any) error }) (dialer.QueueMember, error) {
	var m dialer.QueueMember
	var skills string
	if err := row.Scan(&m.Queue, &m.Agent, &m.Rank, &m.Position, &skills, &m.Order); err != nil {
		return m, err
	}
	err := json.Unmarshal([]byte(skills), &m.Skills)
	if m.Skills == nil {
		m.Skills = []string{}
	}
	return m, err
}

// SetQueueMembers implements dialer.QueueStore.
func (s *Store) SetQueueMembers(ctx context.Context, id dialer.QueueID, ms []dialer.QueueMember) ([]dialer.QueueMember, error) {
	ms = append([]dialer.QueueMember(nil), ms...)
	if err := dialer.ValidateMembers(ms); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("set members of queue %d", id)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM queues WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", what, dialer.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM queue_members WHERE queue_id = ?`, id); err != nil {
			return mapErr(err, what, false)
		}
		for i, m := range ms {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM agents WHERE id = ?`, m.Agent).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &dialer.FieldError{Field: fmt.Sprintf("members[%d].agent_id", i), Reason: fmt.Sprintf("no agent %d", m.Agent)}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO queue_members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
				id, m.Agent, m.Rank, m.Position, skillsJSON(m.Skills), m.Order); err != nil {
				return mapErr(err, what, false)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].Queue = id
	}
	slices.SortFunc(ms, func(a, b dialer.QueueMember) int { return cmp.Compare(a.Position, b.Position) })
	return ms, nil
}

// QueueMembers implements dialer.QueueStore.
func (s *Store) QueueMembers(ctx context.Context, id dialer.QueueID) ([]dialer.QueueMember, error) {
	if _, err := s.Queue(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+memberCols+` FROM queue_members WHERE queue_id = ? ORDER BY position`, id)
	return collectMembers(rows, err)
}

// AgentQueues implements dialer.QueueStore.
func (s *Store) AgentQueues(ctx context.Context, agent dialer.AgentID) ([]dialer.QueueMember, error) {
	if _, err := s.Agent(ctx, agent); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+memberCols+` FROM queue_members WHERE agent_id = ?
		ORDER BY blend_order, queue_id`, agent)
	return collectMembers(rows, err)
}

// collectMembers reads members; none is an empty list, not null.
func collectMembers(rows *sql.Rows, err error) ([]dialer.QueueMember, error) {
	out, err := collect(rows, err, scanMember)
	if out == nil && err == nil {
		out = []dialer.QueueMember{}
	}
	return out, err
}
