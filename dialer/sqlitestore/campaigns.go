package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// ---- campaigns

const campaignCols = `id, name, dial_mode, caller_id, abandon_message, script, wrapup_seconds, max_attempts, active, settings,
	archived_at, created_at, updated_at`

func scanCampaign(row interface{ Scan(...any) error }) (dialer.Campaign, error) {
	var c dialer.Campaign
	var settings string
	var archived, created, updated sql.NullInt64
	err := row.Scan(&c.ID, &c.Name, &c.DialMode, &c.CallerID, &c.AbandonMessage, &c.Script, &c.WrapUpSeconds,
		&c.MaxAttempts, &c.Active, &settings, &archived, &created, &updated)
	c.Settings = json.RawMessage(settings)
	c.ArchivedAt, c.CreatedAt, c.UpdatedAt = fromMS(archived), fromMS(created), fromMS(updated)
	return c, err
}

// CreateCampaign implements dialer.CampaignStore.
func (s *Store) CreateCampaign(ctx context.Context, c dialer.Campaign) (dialer.Campaign, error) {
	if err := c.Validate(); err != nil {
		return dialer.Campaign{}, err
	}
	now := s.now().UnixMilli()
	out, err := scanCampaign(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO campaigns (name, dial_mode, caller_id, abandon_message, script,
		wrapup_seconds, max_attempts, active, settings, archived_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+campaignCols,
		c.Name, string(c.DialMode), c.CallerID, c.AbandonMessage, c.Script, c.WrapUpSeconds, c.MaxAttempts,
		boolInt(c.Active), jsonOr(c.Settings, "{}"), ms(c.ArchivedAt), now, now))
	return out, mapErr(err, "create campaign "+c.Name, false)
}

// EnsureCampaign implements dialer.CampaignStore: the insert yields to a
// campaign of that name (unique, any case) and the read that follows, in
// the same transaction, returns whichever exists.
func (s *Store) EnsureCampaign(ctx context.Context, c dialer.Campaign) (dialer.Campaign, error) {
	if err := c.Validate(); err != nil {
		return dialer.Campaign{}, err
	}
	var out dialer.Campaign
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaigns (name, dial_mode, caller_id, abandon_message, script,
			wrapup_seconds, max_attempts, active, settings, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Name, string(c.DialMode), c.CallerID, c.AbandonMessage, c.Script, c.WrapUpSeconds, c.MaxAttempts,
			boolInt(c.Active), jsonOr(c.Settings, "{}"), now, now); err != nil {
			return mapErr(err, "ensure campaign "+c.Name, false)
		}
		var err error
		out, err = scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE name = ?`, c.Name))
		return mapErr(err, "campaign "+c.Name, false)
	})
	return out, err
}

// Campaign implements dialer.CampaignStore.
func (s *Store) Campaign(ctx context.Context, id dialer.CampaignID) (dialer.Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = ?`, id))
	return c, mapErr(err, fmt.Sprintf("campaign %d", id), false)
}

// ListCampaigns implements dialer.CampaignStore.
func (s *Store) ListCampaigns(ctx context.Context) ([]dialer.Campaign, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+campaignCols+` FROM campaigns ORDER BY name`)
	return collect(rows, err, scanCampaign)
}

// UpdateCampaign implements dialer.CampaignStore.
func (s *Store) UpdateCampaign(ctx context.Context, c dialer.Campaign) (dialer.Campaign, error) {
	if err := c.Validate(); err != nil {
		return dialer.Campaign{}, err
	}
	return writeCampaign(ctx, s.wq(ctx), c, s.now())
}

// DeleteCampaign implements dialer.CampaignStore. Its leads, callbacks and
// DNC entries go with it; call records stay, without the campaign.
func (s *Store) DeleteCampaign(ctx context.Context, id dialer.CampaignID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM campaigns WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete campaign %d", id))
}

// ---- leads

const leadCols = `id, campaign_id, phone, phone2, first_name, last_name, email, time_zone, custom, status, attempts,
	last_call_at, next_call_at, last_outcome, last_disposition, created_at, updated_at, version`

func scanLead(row interface{ Scan(...any) error }) (dialer.Lead, error) {
	var l dialer.Lead
	var custom string
	var lastCall, nextCall, created, updated sql.NullInt64
	var dispo sql.NullString
	err := row.Scan(&l.ID, &l.Campaign, &l.Phone, &l.Phone2, &l.FirstName, &l.LastName, &l.Email, &l.TimeZone, &custom,
		&l.Status, &l.Attempts, &lastCall, &nextCall, &l.LastOutcome, &dispo, &created, &updated, &l.Version)
	if err != nil {
		return l, err
	}
	if custom != "{}" {
		if err := json.Unmarshal([]byte(custom), &l.Custom); err != nil {
			return l, fmt.Errorf("lead %d custom fields: %w", l.ID, err)
		}
	}
	l.LastDisposition = dispo.String
	l.LastCallAt, l.NextCallAt = fromMS(lastCall), fromMS(nextCall)
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return l, nil
}

func customJSON(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func (l *leadArgs) fill(d dialer.Lead) error {
	if d.Status == "" {
		d.Status = dialer.LeadNew
	}
	if err := d.Validate(); err != nil {
		return err
	}
	custom, err := customJSON(d.Custom)
	if err != nil {
		return err
	}
	*l = leadArgs{
		d.Campaign, d.Phone, d.Phone2, d.FirstName, d.LastName, d.Email, d.TimeZone, custom, string(d.Status),
		d.Attempts, ms(d.LastCallAt), ms(d.NextCallAt), string(d.LastOutcome), nullText(d.LastDisposition),
	}
	return nil
}

// leadArgs are the writable columns in leadCols order (after id).
type leadArgs [14]any

// CreateLead implements dialer.CampaignStore. Status defaults to new; a
// number already in the campaign is ErrConflict.
func (s *Store) CreateLead(ctx context.Context, l dialer.Lead) (dialer.Lead, error) {
	var a leadArgs
	if err := a.fill(l); err != nil {
		return dialer.Lead{}, err
	}
	now := s.now().UnixMilli()
	var out dialer.Lead
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A lead of an import not committed holds the number unseen; the
		// one made now (a live call's) takes it, and that import brings
		// one lead fewer than its report counts.
		if _, err := tx.ExecContext(ctx, `DELETE FROM leads WHERE campaign_id = ? AND phone = ? AND NOT `+visibleLead("import_id"),
			l.Campaign, l.Phone); err != nil {
			return err
		}
		var err error
		out, err = scanLead(tx.QueryRowContext(ctx, `INSERT INTO leads (campaign_id, phone, phone2, first_name, last_name, email,
			time_zone, custom, status, attempts, last_call_at, next_call_at, last_outcome, last_disposition, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+leadCols, append(a[:], now, now)...))
		return err
	})
	return out, mapErr(err, "create lead "+l.Phone, false)
}

// Lead implements dialer.CampaignStore.
func (s *Store) Lead(ctx context.Context, id dialer.LeadID) (dialer.Lead, error) {
	l, err := scanLead(s.r.QueryRowContext(ctx, leadByID, id))
	return l, mapErr(err, fmt.Sprintf("lead %d", id), false)
}

// leadByID reads a lead that is visible (not in an import still running).
var leadByID = `SELECT ` + leadCols + ` FROM leads WHERE id = ? AND ` + visibleLead("import_id")

// LeadToDial implements dialer.CampaignStore. A lead whose list was
// switched off is not found: it may still sit in a hopper filled before.
// It reads on the writer's connection, in the shared transaction of the
// calls being created (grouped): a read connection drops its page cache
// whenever anything was written since its last read, which at dialing
// speed is every time, and re-reading the pages made this one read cost
// more than the call's whole record.
func (s *Store) LeadToDial(ctx context.Context, id dialer.LeadID) (dialer.Lead, error) {
	var l dialer.Lead
	err := s.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		l, err = scanLead(tx.QueryRowContext(ctx, leadByID+`
			AND NOT EXISTS (SELECT 1 FROM lead_lists ll WHERE ll.id = leads.list_id AND NOT ll.active)`, id))
		return mapErr(err, fmt.Sprintf("lead %d", id), false)
	})
	return l, err
}

// ListLeads implements dialer.CampaignStore, by id ascending.
func (s *Store) ListLeads(ctx context.Context, f dialer.LeadFilter) ([]dialer.Lead, error) {
	where, args := leadWhere(f)
	q := `SELECT ` + leadCols + ` FROM leads WHERE id > ?` + where + ` ORDER BY id LIMIT ?`
	args = append(append([]any{f.AfterID}, args...), limit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collect(rows, err, scanLead)
}

// leadWhere is a lead filter's conditions (each " AND ..."), paging
// aside; the leads of an import not committed are always left out.
func leadWhere(f dialer.LeadFilter) (string, []any) {
	var q strings.Builder
	var args []any
	q.WriteString(" AND " + visibleLead("import_id"))
	cond := func(sql string, a ...any) {
		q.WriteString(" AND " + sql)
		args = append(args, a...)
	}
	if f.Campaign != 0 {
		cond(`campaign_id = ?`, f.Campaign)
	}
	if f.Status != "" {
		cond(`status = ?`, string(f.Status))
	}
	if f.Phone != "" {
		cond(`phone = ?`, f.Phone)
	}
	if f.List != 0 {
		cond(`list_id = ?`, f.List)
	}
	if f.LastOutcome != "" {
		cond(`last_outcome = ?`, string(f.LastOutcome))
	}
	if f.MinAttempts > 0 {
		cond(`attempts >= ?`, f.MinAttempts)
	}
	if f.Text != "" {
		// A prefix, its LIKE wildcards escaped.
		p := likeEscaper.Replace(f.Text) + "%"
		cond(`(first_name LIKE ? ESCAPE '\' OR last_name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\')`, p, p, p, p)
	}
	return q.String(), args
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// limit bounds list sizes: default 100, at most 1000.
func limit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}

// UpdateLead implements dialer.CampaignStore; every field is replaced.
func (s *Store) UpdateLead(ctx context.Context, l dialer.Lead) (dialer.Lead, error) {
	var a leadArgs
	if err := a.fill(l); err != nil {
		return dialer.Lead{}, err
	}
	out, err := scanLead(s.wq(ctx).QueryRowContext(ctx, `UPDATE leads SET campaign_id = ?, phone = ?, phone2 = ?, first_name = ?,
		last_name = ?, email = ?, time_zone = ?, custom = ?, status = ?, attempts = ?, last_call_at = ?, next_call_at = ?,
		last_outcome = ?, last_disposition = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING `+leadCols,
		append(a[:], s.now().UnixMilli(), l.ID, l.Version)...))
	if errors.Is(err, sql.ErrNoRows) {
		// Gone, or written by someone else since l was read.
		if _, gerr := s.Lead(ctx, l.ID); gerr != nil {
			return dialer.Lead{}, gerr
		}
		return dialer.Lead{}, fmt.Errorf("update lead %d (version %d): %w", l.ID, l.Version, dialer.ErrStale)
	}
	return out, mapErr(err, fmt.Sprintf("update lead %d", l.ID), false)
}

// DeleteLead implements dialer.CampaignStore.
func (s *Store) DeleteLead(ctx context.Context, id dialer.LeadID) error {
	res, err := s.wq(ctx).ExecContext(ctx, `DELETE FROM leads WHERE id = ? AND `+visibleLead("import_id"), id)
	return affected(res, err, fmt.Sprintf("delete lead %d", id))
}

// ---- dispositions

const dispositionCols = `code, label, system, selectable, schedules_callback, marks_dnc, final, sort, created_at`

func scanDisposition(row interface{ Scan(...any) error }) (dialer.Disposition, error) {
	var d dialer.Disposition
	var created sql.NullInt64
	err := row.Scan(&d.Code, &d.Label, &d.System, &d.Selectable, &d.SchedulesCallback, &d.MarksDNC, &d.Final, &d.Sort, &created)
	d.CreatedAt = fromMS(created)
	return d, err
}

// ListDispositions implements dialer.CampaignStore, in display order.
func (s *Store) ListDispositions(ctx context.Context) ([]dialer.Disposition, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+dispositionCols+` FROM dispositions ORDER BY sort, code`)
	return collect(rows, err, scanDisposition)
}

// Disposition implements dialer.CampaignStore.
func (s *Store) Disposition(ctx context.Context, code string) (dialer.Disposition, error) {
	d, err := scanDisposition(s.r.QueryRowContext(ctx, `SELECT `+dispositionCols+` FROM dispositions WHERE code = ?`, code))
	return d, mapErr(err, "disposition "+code, false)
}

// CreateDisposition implements dialer.CampaignStore. Only the service
// creates system codes, through migrations.
func (s *Store) CreateDisposition(ctx context.Context, d dialer.Disposition) (dialer.Disposition, error) {
	if err := d.Validate(); err != nil {
		return dialer.Disposition{}, err
	}
	if d.System {
		return dialer.Disposition{}, &dialer.FieldError{Field: "system", Reason: "system codes come with the service"}
	}
	if err := d.CheckFlags(); err != nil {
		return dialer.Disposition{}, err
	}
	out, err := scanDisposition(s.wq(ctx).QueryRowContext(ctx, `INSERT INTO dispositions (code, label, system, selectable,
		schedules_callback, marks_dnc, final, sort, created_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?) RETURNING `+dispositionCols,
		d.Code, d.Label, boolInt(d.Selectable), boolInt(d.SchedulesCallback), boolInt(d.MarksDNC), boolInt(d.Final),
		d.Sort, s.now().UnixMilli()))
	return out, mapErr(err, "create disposition "+d.Code, false)
}

// ---- callbacks

const callbackCols = `id, lead_id, campaign_id, call_id, agent_id, due_at, time_zone, status, notes, created_by, created_at, updated_at`

func scanCallback(row interface{ Scan(...any) error }) (dialer.Callback, error) {
	var c dialer.Callback
	var call sql.NullString
	var agent, by, due, created, updated sql.NullInt64
	err := row.Scan(&c.ID, &c.Lead, &c.Campaign, &call, &agent, &due, &c.TimeZone, &c.Status, &c.Notes, &by, &created, &updated)
	c.Call, c.Agent, c.CreatedBy = dialer.CallID(call.String), dialer.AgentID(agent.Int64), identity.UserID(by.Int64)
	c.DueAt, c.CreatedAt, c.UpdatedAt = fromMS(due), fromMS(created), fromMS(updated)
	return c, err
}

// CreateCallback implements dialer.CampaignStore. The campaign is the
// lead's; the time zone defaults to the lead's.
func (s *Store) CreateCallback(ctx context.Context, c dialer.Callback) (dialer.Callback, error) {
	var out dialer.Callback
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = createCallback(ctx, tx, c, s.now())
		return err
	})
	return out, err
}

func createCallback(ctx context.Context, tx *sql.Tx, c dialer.Callback, now time.Time) (dialer.Callback, error) {
	if c.Status == "" {
		c.Status = dialer.CallbackScheduled
	}
	if err := c.Validate(); err != nil {
		return dialer.Callback{}, err
	}
	if !c.Status.Valid() {
		return dialer.Callback{}, &dialer.FieldError{Field: "status", Reason: "unknown callback status"}
	}
	n := now.UnixMilli()
	out, err := scanCallback(tx.QueryRowContext(ctx, `INSERT INTO callbacks (lead_id, campaign_id, call_id, agent_id, due_at,
		time_zone, status, notes, created_by, created_at, updated_at)
		SELECT id, campaign_id, ?, ?, ?, CASE WHEN ? = '' THEN time_zone ELSE ? END, ?, ?, ?, ?, ? FROM leads WHERE id = ? AND `+visibleLead("import_id")+`
		RETURNING `+callbackCols,
		nullText(string(c.Call)), nullID(c.Agent), c.DueAt.UnixMilli(), c.TimeZone, c.TimeZone, string(c.Status), c.Notes,
		nullID(c.CreatedBy), n, n, c.Lead))
	if errors.Is(err, sql.ErrNoRows) {
		return dialer.Callback{}, &dialer.FieldError{Field: "lead_id", Reason: "no such lead"}
	}
	return out, mapErr(err, "create callback", false)
}

// Callback implements dialer.CampaignStore.
func (s *Store) Callback(ctx context.Context, id dialer.CallbackID) (dialer.Callback, error) {
	c, err := scanCallback(s.r.QueryRowContext(ctx, `SELECT `+callbackCols+` FROM callbacks WHERE id = ?`, id))
	return c, mapErr(err, fmt.Sprintf("callback %d", id), false)
}

// DueCallbacks implements dialer.CampaignStore. For an agent it lists the
// agent's own and anyone's.
func (s *Store) DueCallbacks(ctx context.Context, now time.Time, agent dialer.AgentID, max int) ([]dialer.Callback, error) {
	q := `SELECT ` + callbackCols + ` FROM callbacks WHERE status = 'scheduled' AND due_at <= ?`
	args := []any{now.UnixMilli()}
	if agent != 0 {
		q += ` AND (agent_id = ? OR agent_id IS NULL)`
		args = append(args, agent)
	}
	q += ` ORDER BY due_at, id LIMIT ?`
	args = append(args, limit(max))
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collect(rows, err, scanCallback)
}

// AgentDueCallbacks implements dialer.CampaignStore; the partial index
// callbacks_agent_due serves it.
func (s *Store) AgentDueCallbacks(ctx context.Context, now time.Time, agent dialer.AgentID, after dialer.CallbackCursor, max int) ([]dialer.Callback, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+callbackCols+` FROM callbacks WHERE status = 'scheduled' AND agent_id = ?
		AND due_at <= ? AND (due_at, id) > (?, ?) ORDER BY due_at, id LIMIT ?`,
		int64(agent), now.UnixMilli(), after.DueAt.UnixMilli(), int64(after.ID), limit(max))
	return collect(rows, err, scanCallback)
}

// LeadCallbacks implements dialer.CampaignStore: every status, newest
// due first (callbacks_lead keeps it to the lead's rows).
func (s *Store) LeadCallbacks(ctx context.Context, lead dialer.LeadID, max int) ([]dialer.Callback, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+callbackCols+` FROM callbacks WHERE lead_id = ?
		ORDER BY due_at DESC, id DESC LIMIT ?`, lead, limit(max))
	return collect(rows, err, scanCallback)
}

// SetCallbackStatus implements dialer.CampaignStore.
func (s *Store) SetCallbackStatus(ctx context.Context, id dialer.CallbackID, from, to dialer.CallbackStatus, at time.Time) error {
	if !to.Valid() {
		return &dialer.FieldError{Field: "status", Reason: "unknown callback status"}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var cur dialer.CallbackStatus
		err := tx.QueryRowContext(ctx, `SELECT status FROM callbacks WHERE id = ?`, id).Scan(&cur)
		if err != nil {
			return mapErr(err, fmt.Sprintf("callback %d", id), false)
		}
		if cur != from {
			return fmt.Errorf("callback %d is %s, not %s: %w", id, cur, from, dialer.ErrStateMismatch)
		}
		_, err = tx.ExecContext(ctx, `UPDATE callbacks SET status = ?, updated_at = ? WHERE id = ?`, string(to), at.UnixMilli(), id)
		return mapErr(err, fmt.Sprintf("callback %d", id), false)
	})
}

// RescheduleDialingCallbacks implements dialer.CampaignStore.
func (s *Store) RescheduleDialingCallbacks(ctx context.Context, at time.Time) ([]dialer.CallbackID, error) {
	var ids []dialer.CallbackID
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE callbacks SET status = 'scheduled', updated_at = ? WHERE status = 'dialing' RETURNING id`, at.UnixMilli())
		if err != nil {
			return mapErr(err, "reschedule dialing callbacks", false)
		}
		defer rows.Close()
		for rows.Next() {
			var id dialer.CallbackID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// ---- do-not-call

// AddDNC implements dialer.CampaignStore; campaign 0 blocks the number
// everywhere. Adding an existing entry is not an error.
func (s *Store) AddDNC(ctx context.Context, phone string, campaign dialer.CampaignID, reason string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return addDNC(ctx, tx, phone, campaign, reason, at) })
}

// addDNC blocks the number and cancels the scheduled callbacks of its
// leads in that scope (insertDNC).
func addDNC(ctx context.Context, tx *sql.Tx, phone string, campaign dialer.CampaignID, reason string, at time.Time) error {
	_, err := insertDNC(ctx, tx, phone, campaign, reason, at)
	return err
}

// IsDNC implements dialer.CampaignStore.
func (s *Store) IsDNC(ctx context.Context, phone string, campaign dialer.CampaignID) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM dnc WHERE phone = ? AND (campaign_id IS NULL OR campaign_id = ?)`,
		phone, int64(campaign)).Scan(&n)
	return n > 0, err
}

// UpdateDisposition implements dialer.CampaignStore. A system code keeps
// what it does (callback, DNC, final): the service relies on it.
func (s *Store) UpdateDisposition(ctx context.Context, d dialer.Disposition) (dialer.Disposition, error) {
	if err := d.Validate(); err != nil {
		return dialer.Disposition{}, err
	}
	if err := d.CheckFlags(); err != nil {
		return dialer.Disposition{}, err
	}
	var out dialer.Disposition
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanDisposition(tx.QueryRowContext(ctx, `SELECT `+dispositionCols+` FROM dispositions WHERE code = ?`, d.Code))
		if err != nil {
			return mapErr(err, "disposition "+d.Code, false)
		}
		if cur.System {
			if err := dialer.SystemFlagsKept(cur, d); err != nil {
				return err
			}
		}
		out, err = scanDisposition(tx.QueryRowContext(ctx, `UPDATE dispositions SET label = ?, selectable = ?,
			schedules_callback = ?, marks_dnc = ?, final = ?, sort = ? WHERE code = ? RETURNING `+dispositionCols,
			d.Label, boolInt(d.Selectable), boolInt(d.SchedulesCallback), boolInt(d.MarksDNC), boolInt(d.Final), d.Sort, d.Code))
		return mapErr(err, "update disposition "+d.Code, false)
	})
	return out, err
}

// DeleteDisposition implements dialer.CampaignStore: never a system code
// (ErrConflict), nor one that calls were disposed with (ErrInUse).
func (s *Store) DeleteDisposition(ctx context.Context, code string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var system bool
		if err := tx.QueryRowContext(ctx, `SELECT system FROM dispositions WHERE code = ?`, code).Scan(&system); err != nil {
			return mapErr(err, "disposition "+code, false)
		}
		if system {
			return fmt.Errorf("disposition %s is a system code the service relies on; stop offering it instead: %w", code, dialer.ErrConflict)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM dispositions WHERE code = ?`, code)
		if err := affected(res, err, "delete disposition "+code); err != nil {
			if errors.Is(err, dialer.ErrInUse) {
				return fmt.Errorf("disposition %s was given to calls; stop offering it instead: %w", code, dialer.ErrInUse)
			}
			return err
		}
		return nil
	})
}
