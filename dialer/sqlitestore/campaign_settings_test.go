package sqlitestore

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// dumpCampaigns is every campaign row, every column of the 0001 schema, as
// text: what a table rebuild must keep.
func dumpCampaigns(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT json_array(id, name, dial_mode, caller_id, abandon_message, script,
		wrapup_seconds, max_attempts, active, settings, created_at, updated_at) FROM campaigns ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestMigrateRebuildsCampaignsKeepingRows: 0010 rebuilds campaigns (the
// manual mode, archived_at) with foreign keys off. Every campaign keeps
// every column and its id, and what references campaigns still does.
func TestMigrateRebuildsCampaignsKeepingRows(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "as.db"))
	if _, err := s.migrate(ctx, 9); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO campaigns (id, name, dial_mode, caller_id, abandon_message, script, wrapup_seconds, max_attempts, active,
			settings, created_at, updated_at) VALUES
			(3, 'Spring', 'progressive', '+33100000000', 'drop.wav', 'Hello', 15, 5, 1, '{"calling_window":{"start":"09:00"}}', 10, 20),
			(7, 'Autumn', 'preview', '', '', '', 0, 3, 0, '{}', 30, 40)`,
		`INSERT INTO leads (id, campaign_id, phone, status, attempts, created_at, updated_at) VALUES (1, 3, '+33612345678', 'retry', 2, 0, 0)`,
		`INSERT INTO agents (id, name, extension, realm, sip_a1_hash, created_at, updated_at) VALUES
			(1, 'Ann', '1001', 'pbx', '0123456789abcdef0123456789abcdef', 0, 0)`,
		`INSERT INTO campaign_agents (campaign_id, agent_id) VALUES (3, 1)`,
		`INSERT INTO dnc (phone, campaign_id, reason, created_at) VALUES ('+33612345678', 3, 'asked', 0)`,
		`INSERT INTO callbacks (lead_id, campaign_id, due_at, created_at, updated_at) VALUES (1, 3, 100, 0, 0)`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := dumpCampaigns(t, s)
	counts := map[string]int{}
	for _, tbl := range []string{"leads", "campaign_agents", "dnc", "callbacks"} {
		counts[tbl] = count(t, s, tbl)
	}

	applied, err := s.migrate(ctx, 10)
	if err != nil || len(applied) != 1 || applied[0] != "0010_campaign_manual_archive.sql" {
		t.Fatalf("migrate to 0010: %v, %v", applied, err)
	}
	if after := dumpCampaigns(t, s); len(after) != 2 || after[0] != before[0] || after[1] != before[1] {
		t.Fatalf("campaigns after the rebuild\n%v\nbefore\n%v", after, before)
	}
	for tbl, n := range counts {
		if got := count(t, s, tbl); got != n {
			t.Fatalf("%s: %d rows after the rebuild, %d before", tbl, got, n)
		}
	}
	c := must[dialer.Campaign](t)(s.Campaign(ctx, 3))
	if !c.ArchivedAt.IsZero() || c.Name != "Spring" || !c.Active || c.MaxAttempts != 5 {
		t.Fatalf("campaign after the rebuild %+v", c)
	}
	var fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys %d after the migration (%v)", fk, err)
	}
	// The new mode is accepted, the name still unique.
	must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Hand", DialMode: dialer.DialManual, MaxAttempts: 1}))
	_, err = s.CreateCampaign(ctx, dialer.Campaign{Name: "SPRING", DialMode: dialer.DialManual, MaxAttempts: 1})
	wantErr(t, err, dialer.ErrConflict)
	// References still hold: deleting the campaign cascades.
	if err := s.DeleteCampaign(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"leads", "campaign_agents", "dnc", "callbacks"} {
		if got := count(t, s, tbl); got != 0 {
			t.Fatalf("%s: %d rows left after deleting their campaign", tbl, got)
		}
	}
}

func TestCampaignArchiveAndSettings(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	c := w.campaign
	set := must[dialer.CampaignSettings](t)(dialer.ParseCampaignSettings(c.Settings))
	set.LinesPerAgent = 3
	c.Settings = must[json.RawMessage](t)(dialer.MergeSettings(c.Settings, set))
	c.ArchivedAt = t0
	c = must[dialer.Campaign](t)(s.UpdateCampaign(ctx, c))
	got := must[dialer.Campaign](t)(s.Campaign(ctx, c.ID))
	if !got.ArchivedAt.Equal(t0) || must[dialer.CampaignSettings](t)(dialer.ParseCampaignSettings(got.Settings)).LinesPerAgent != 3 {
		t.Fatalf("campaign %+v", got)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(got.Settings, &m); err != nil || string(m["window"]) != `{"start":"09:00","end":"20:00"}` {
		t.Fatalf("other settings lost: %s (%v)", got.Settings, err)
	}
	got.Settings = json.RawMessage(`{"lines_per_agent":20}`)
	_, err := s.UpdateCampaign(ctx, got)
	wantField(t, err, "lines_per_agent")
	got.ArchivedAt = time.Time{}
	got.Settings = c.Settings
	if got = must[dialer.Campaign](t)(s.UpdateCampaign(ctx, got)); !got.ArchivedAt.IsZero() {
		t.Fatalf("unarchived %+v", got)
	}
}

// TestLeadFollowsOutcome: the end of a call and its disposition move the
// lead, in the call's transaction, by the campaign's rules.
func TestLeadFollowsOutcome(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	c := w.campaign
	c.MaxAttempts = 3
	c.Settings = json.RawMessage(`{"retry_delays":{"busy":600},"disposition_actions":{"NI":"retry"}}`)
	must[dialer.Campaign](t)(s.UpdateCampaign(ctx, c))
	lead := func() dialer.Lead { return must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)) }
	call := func(at time.Time, cause string, o dialer.CallOutcome) dialer.Call {
		t.Helper()
		cl := must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound,
			Origin: dialer.OriginDialer, Campaign: c.ID, Lead: w.lead.ID, ToNumber: w.lead.Phone, CreatedAt: at}))
		return must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: cl.ID, At: at.Add(30 * time.Second), HangupCause: cause, Outcome: o}))
	}
	call(t0, "USER_BUSY", dialer.OutcomeBusy)
	l := lead()
	if l.Status != dialer.LeadRetry || l.Attempts != 1 || !l.LastCallAt.Equal(t0) || l.LastOutcome != dialer.OutcomeBusy ||
		!l.NextCallAt.Equal(t0.Add(30*time.Second+10*time.Minute)) {
		t.Fatalf("after busy %+v", l)
	}
	// Answered: the disposition decides; NI is turned into a retry here,
	// after the no-answer delay (the default 2 h).
	t1 := t0.Add(time.Hour)
	ans := call(t1, "NORMAL_CLEARING", dialer.OutcomeAnswered)
	if l := lead(); l.Status != dialer.LeadDialing || l.Attempts != 2 || l.LastOutcome != dialer.OutcomeAnswered {
		t.Fatalf("after an answer %+v", l)
	}
	t2 := t1.Add(time.Minute)
	must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: ans.ID, Code: "NI", At: t2}))
	if l := lead(); l.Status != dialer.LeadRetry || l.LastDisposition != "NI" || !l.NextCallAt.Equal(t2.Add(2*time.Hour)) {
		t.Fatalf("after NI %+v", l)
	}
	// The third attempt is the last.
	call(t0.Add(4*time.Hour), "NO_ANSWER", dialer.OutcomeNoAnswer)
	if l := lead(); l.Status != dialer.LeadDone || l.Attempts != 3 || l.LastOutcome != dialer.OutcomeNoAnswer || !l.NextCallAt.IsZero() {
		t.Fatalf("after the last attempt %+v", l)
	}

	// A number that does not exist is never dialed again.
	l2 := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: "+33698765432"}))
	cl := must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound,
		Origin: dialer.OriginDialer, Campaign: c.ID, Lead: l2.ID, ToNumber: l2.Phone, CreatedAt: t0}))
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: cl.ID, At: t0, HangupCause: "UNALLOCATED_NUMBER", Outcome: dialer.OutcomeFailed}))
	if l := must[dialer.Lead](t)(s.Lead(ctx, l2.ID)); l.Status != dialer.LeadInvalid || !l.NextCallAt.IsZero() {
		t.Fatalf("unallocated number %+v", l)
	}
	// The wrap-up of that call (no code chosen) does not retry it.
	must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: cl.ID, Code: "NODISPO", At: t0}))
	if l := must[dialer.Lead](t)(s.Lead(ctx, l2.ID)); l.Status != dialer.LeadInvalid || l.LastDisposition != "NODISPO" {
		t.Fatalf("unallocated number after its wrap-up %+v", l)
	}

	// A campaign that makes a code mean DNC blocks the number there only.
	c.Settings = json.RawMessage(`{"disposition_actions":{"WN":"dnc"}}`)
	must[dialer.Campaign](t)(s.UpdateCampaign(ctx, c))
	l3 := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: "+33611112222"}))
	cl = must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound,
		Origin: dialer.OriginDialer, Campaign: c.ID, Lead: l3.ID, ToNumber: l3.Phone, CreatedAt: t0}))
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: cl.ID, At: t0, HangupCause: "NORMAL_CLEARING", Outcome: dialer.OutcomeAnswered}))
	must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: cl.ID, Code: "WN", At: t0}))
	if l := must[dialer.Lead](t)(s.Lead(ctx, l3.ID)); l.Status != dialer.LeadDNC {
		t.Fatalf("WN as DNC %+v", l)
	}
	if here, _ := s.IsDNC(ctx, l3.Phone, c.ID); !here {
		t.Fatal("not blocked in its campaign")
	}
	if elsewhere, _ := s.IsDNC(ctx, l3.Phone, c.ID+1); elsewhere {
		t.Fatal("blocked in every campaign")
	}
}

// TestUpdateCampaignWith: changes made at once to different fields all
// stay; a refused change writes nothing.
func TestUpdateCampaignWith(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	id := w.campaign.ID
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateCampaignWith(ctx, id, func(c *dialer.Campaign) error {
				var m map[string]int
				if err := json.Unmarshal(c.Settings, &m); err != nil {
					m = map[string]int{}
				}
				m[fmt.Sprintf("k%d", i)] = i
				b, err := json.Marshal(m)
				c.Settings = b
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var m map[string]json.RawMessage
	got := must[dialer.Campaign](t)(s.Campaign(ctx, id))
	if err := json.Unmarshal(got.Settings, &m); err != nil || len(m) != 10 {
		t.Fatalf("settings after 10 changes at once: %s (%v)", got.Settings, err)
	}
	_, err := s.UpdateCampaignWith(ctx, id, func(c *dialer.Campaign) error { c.Active = true; c.MaxAttempts = 0; return nil })
	wantField(t, err, "max_attempts")
	_, err = s.UpdateCampaignWith(ctx, id, func(c *dialer.Campaign) error { c.Active = true; return dialer.ErrConflict })
	wantErr(t, err, dialer.ErrConflict)
	if c := must[dialer.Campaign](t)(s.Campaign(ctx, id)); c.Active || !c.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("a refused change was written: %+v", c)
	}
	_, err = s.UpdateCampaignWith(ctx, 999, func(*dialer.Campaign) error { return nil })
	wantErr(t, err, dialer.ErrNotFound)
}
