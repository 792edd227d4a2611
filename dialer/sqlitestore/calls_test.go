package sqlitestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

type world struct {
	s        *Store
	campaign dialer.Campaign
	lead     dialer.Lead
	agent    dialer.Agent
}

func newWorld(t *testing.T) world {
	t.Helper()
	s := newStore(t)
	ctx := t.Context()
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{
		Name: "Spring", DialMode: dialer.DialProgressive, CallerID: "+33100000000", MaxAttempts: 5,
		Settings: json.RawMessage(`{"window":{"start":"09:00","end":"20:00"}}`),
	}))
	l := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{
		Campaign: c.ID, Phone: "+33612345678", FirstName: "Jean", TimeZone: "Europe/Paris",
		Custom: map[string]string{"plan": "gold", "Order_ID": "A-17"},
	}))
	a := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	return world{s, c, l, a}
}

func TestCampaignsAndLeads(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	if string(w.campaign.Settings) != `{"window":{"start":"09:00","end":"20:00"}}` || w.campaign.MaxAttempts != 5 {
		t.Fatalf("campaign %+v", w.campaign)
	}
	_, err := s.CreateCampaign(ctx, dialer.Campaign{Name: "SPRING", DialMode: dialer.DialPreview, MaxAttempts: 1})
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.CreateCampaign(ctx, dialer.Campaign{Name: "x", DialMode: dialer.DialPreview, MaxAttempts: 1, Settings: json.RawMessage(`[1]`)})
	wantField(t, err, "settings")
	_, err = s.CreateCampaign(ctx, dialer.Campaign{Name: "x", DialMode: "blast", MaxAttempts: 1})
	wantField(t, err, "dial_mode")
	c := w.campaign
	c.Active, c.WrapUpSeconds, c.Script = true, 15, "Hello {{first_name}}"
	c = must[dialer.Campaign](t)(s.UpdateCampaign(ctx, c))
	if !c.Active || c.WrapUpSeconds != 15 {
		t.Fatalf("update %+v", c)
	}
	if l := must[[]dialer.Campaign](t)(s.ListCampaigns(ctx)); len(l) != 1 {
		t.Fatal(l)
	}

	l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID))
	if l.Status != dialer.LeadNew || l.Custom["Order_ID"] != "A-17" || l.TimeZone != "Europe/Paris" {
		t.Fatalf("lead %+v", l)
	}
	_, err = s.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: "+33612345678"})
	wantErr(t, err, dialer.ErrConflict)
	other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: other.ID, Phone: "+33612345678"}))
	for field, bad := range map[string]dialer.Lead{
		"phone":     {Campaign: c.ID, Phone: "0612345678"},
		"phone2":    {Campaign: c.ID, Phone: "+33600000001", Phone2: "+33 6"},
		"time_zone": {Campaign: c.ID, Phone: "+33600000001", TimeZone: "Mars/Olympus"},
		"custom":    {Campaign: c.ID, Phone: "+33600000001", Custom: map[string]string{"bad key": "x"}},
		"status":    {Campaign: c.ID, Phone: "+33600000001", Status: "weird"},
	} {
		_, err := s.CreateLead(ctx, bad)
		wantField(t, err, field)
	}
	for i := range 5 {
		must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: fmt.Sprintf("+3370000000%d", i)}))
	}
	page := must[[]dialer.Lead](t)(s.ListLeads(ctx, dialer.LeadFilter{Campaign: c.ID, Limit: 4}))
	if len(page) != 4 || page[0].ID != w.lead.ID {
		t.Fatalf("page 1: %d", len(page))
	}
	page = must[[]dialer.Lead](t)(s.ListLeads(ctx, dialer.LeadFilter{Campaign: c.ID, AfterID: page[3].ID}))
	if len(page) != 2 {
		t.Fatalf("page 2: %d", len(page))
	}
	if got := must[[]dialer.Lead](t)(s.ListLeads(ctx, dialer.LeadFilter{Phone: "+33612345678"})); len(got) != 2 {
		t.Fatalf("by phone: %d", len(got))
	}
	l.Custom["plan"] = "platinum"
	l.Status, l.Attempts, l.NextCallAt = dialer.LeadRetry, 2, t0.Add(time.Hour)
	l = must[dialer.Lead](t)(s.UpdateLead(ctx, l))
	if l.Custom["plan"] != "platinum" || l.Attempts != 2 || !l.NextCallAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update lead %+v", l)
	}
	if got := must[[]dialer.Lead](t)(s.ListLeads(ctx, dialer.LeadFilter{Status: dialer.LeadRetry})); len(got) != 1 {
		t.Fatalf("by status: %d", len(got))
	}
	// A write over a version that is no longer the stored one changes
	// nothing.
	stale := l
	stale.Version--
	stale.FirstName = "Overwritten"
	_, err = s.UpdateLead(ctx, stale)
	wantErr(t, err, dialer.ErrStale)
	if got := must[dialer.Lead](t)(s.Lead(ctx, l.ID)); got.FirstName == "Overwritten" || got.Version != l.Version {
		t.Fatalf("a stale write landed: %+v", got)
	}
	missing := l
	missing.ID = 9999
	_, err = s.UpdateLead(ctx, missing)
	wantErr(t, err, dialer.ErrNotFound)

	// Concurrent read-change-writes of different fields all land.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := dialer.UpdateLeadWith(ctx, s, l, func(l *dialer.Lead) error {
				l.Custom[fmt.Sprintf("f%d", i)] = "x"
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := must[dialer.Lead](t)(s.Lead(ctx, l.ID))
	for i := range 8 {
		if got.Custom[fmt.Sprintf("f%d", i)] != "x" {
			t.Fatalf("field f%d lost: %v", i, got.Custom)
		}
	}
	if got.Version != l.Version+8 {
		t.Fatalf("version %d after 8 writes over %d", got.Version, l.Version)
	}
	wantErr(t, s.DeleteLead(ctx, 9999), dialer.ErrNotFound)
	if err := s.DeleteCampaign(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if count(t, s, "leads") != 6 {
		t.Fatal("leads of a deleted campaign remain")
	}
}

// TestEnsureCampaign: get-or-create by name, atomic even across two
// processes writing the same file.
func TestEnsureCampaign(t *testing.T) {
	path := filepath.Join(t.TempDir(), "as.db")
	a := openStore(t, path)
	if _, err := a.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := openStore(t, path)
	ctx := t.Context()
	def := dialer.Campaign{Name: "Default", DialMode: dialer.DialPreview, MaxAttempts: 3, Active: true}
	const n = 16
	got := make([]dialer.CampaignID, n)
	var wg sync.WaitGroup
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			c, err := st.EnsureCampaign(ctx, def)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = c.ID
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, id := range got {
		if id == 0 || id != got[0] {
			t.Fatalf("caller %d got campaign %d, caller 0 got %d", i, id, got[0])
		}
	}
	if count(t, a, "campaigns") != 1 {
		t.Fatalf("%d campaigns", count(t, a, "campaigns"))
	}
	// An existing campaign is returned as it is, whatever the case of the
	// name asked for.
	c := must[dialer.Campaign](t)(a.Campaign(ctx, got[0]))
	c.WrapUpSeconds = 20
	must[dialer.Campaign](t)(a.UpdateCampaign(ctx, c))
	other := def
	other.Name, other.MaxAttempts = "DEFAULT", 9
	if e := must[dialer.Campaign](t)(a.EnsureCampaign(ctx, other)); e.ID != c.ID || e.WrapUpSeconds != 20 || e.MaxAttempts != 3 {
		t.Fatalf("ensure over an existing campaign: %+v", e)
	}
	for field, bad := range map[string]dialer.Campaign{
		"name":         {DialMode: dialer.DialPreview, MaxAttempts: 1},
		"dial_mode":    {Name: "x", DialMode: "blast", MaxAttempts: 1},
		"max_attempts": {Name: "x", DialMode: dialer.DialPreview},
	} {
		_, err := a.EnsureCampaign(ctx, bad)
		wantField(t, err, field)
	}
}

// call creates a call with its lead leg.
func (w world) call(t *testing.T) (dialer.Call, dialer.LegID) {
	t.Helper()
	leg := dialer.NewLegID()
	c := must[dialer.Call](t)(w.s.CreateCall(t.Context(), dialer.Call{
		ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginAPI, Campaign: w.campaign.ID,
		Lead: w.lead.ID, FromNumber: "+33100000000", ToNumber: w.lead.Phone, CreatedAt: t0,
	}, dialer.CallLeg{ID: leg, Role: dialer.LegLead, Endpoint: "sofia/gateway/carrier/+33612345678", Node: "fs1", CreatedAt: t0}))
	return c, leg
}

func TestCallLifecycle(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	c, leadLeg := w.call(t)
	if c.State != dialer.CallCreated || c.Lead != w.lead.ID {
		t.Fatalf("%+v", c)
	}
	sec := time.Second
	step := func(p dialer.CallProgress) {
		t.Helper()
		p.Call = c.ID
		if err := s.RecordCallProgress(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	step(dialer.CallProgress{At: t0.Add(2 * sec), Kind: "ringing", Leg: leadLeg, State: dialer.CallRinging})
	step(dialer.CallProgress{At: t0.Add(8 * sec), Kind: "answered", Leg: leadLeg, State: dialer.CallAnswered, LegAnswered: true})
	agentLeg := dialer.NewLegID()
	if err := s.AddCallLeg(ctx, dialer.CallLeg{ID: agentLeg, Call: c.ID, Role: dialer.LegAgent, Endpoint: "user/1001", Agent: w.agent.ID, CreatedAt: t0.Add(8 * sec)}); err != nil {
		t.Fatal(err)
	}
	step(dialer.CallProgress{At: t0.Add(9 * sec), Kind: "bridged", Leg: agentLeg, State: dialer.CallBridged, Agent: w.agent.ID, LegAnswered: true})
	step(dialer.CallProgress{At: t0.Add(20 * sec), Kind: "hold", Data: json.RawMessage(`{"by":"agent"}`)})
	step(dialer.CallProgress{At: t0.Add(30 * sec), Kind: "unhold"})
	step(dialer.CallProgress{At: t0.Add(31 * sec), Kind: "recording", RecordingPath: "/var/rec/x.wav"})
	err := s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(32 * sec), Kind: "oops", State: dialer.CallRinging})
	wantErr(t, err, dialer.ErrConflict)
	err = s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(32 * sec), Kind: "x", Leg: dialer.NewLegID(), LegEnded: true})
	wantField(t, err, "leg_id")
	err = s.RecordCallProgress(ctx, dialer.CallProgress{Call: dialer.NewCallID(), At: t0, Kind: "x"})
	wantErr(t, err, dialer.ErrNotFound)

	before := must[dialer.Lead](t)(s.Lead(ctx, c.Lead))
	c = must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(70 * sec), HangupCause: "NORMAL_CLEARING", Outcome: dialer.OutcomeAnswered, Billsec: 62}))
	// The call's end is a write of the lead: a lead edit read before it
	// cannot put back the old outcome.
	_, err = s.UpdateLead(ctx, before)
	wantErr(t, err, dialer.ErrStale)
	if c.State != dialer.CallEnded || c.Agent != w.agent.ID || !c.AnsweredAt.Equal(t0.Add(8*sec)) || !c.BridgedAt.Equal(t0.Add(9*sec)) ||
		!c.EndedAt.Equal(t0.Add(70*sec)) || c.Billsec != 62 || c.RecordingPath != "/var/rec/x.wav" {
		t.Fatalf("finished %+v", c)
	}
	legs := must[[]dialer.CallLeg](t)(s.CallLegs(ctx, c.ID))
	if len(legs) != 2 || legs[0].ID != leadLeg || !legs[0].AnsweredAt.Equal(t0.Add(8*sec)) || !legs[1].EndedAt.Equal(t0.Add(70*sec)) || legs[1].HangupCause != "NORMAL_CLEARING" {
		t.Fatalf("legs %+v", legs)
	}
	evs := must[[]dialer.CallEvent](t)(s.CallEvents(ctx, c.ID))
	var kinds []string
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != "[created leg_added ringing answered leg_added bridged hold unhold recording ended]" {
		t.Fatalf("timeline %v", kinds)
	}
	if string(evs[6].Data) != `{"by":"agent"}` {
		t.Fatalf("hold data %s", evs[6].Data)
	}
	l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID))
	// last_call_at is when the attempt was placed, not when it ended.
	if l.LastOutcome != dialer.OutcomeAnswered || !l.LastCallAt.Equal(c.CreatedAt) {
		t.Fatalf("lead %+v", l)
	}
	_, err = s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(80 * sec), Outcome: dialer.OutcomeAnswered})
	wantErr(t, err, dialer.ErrConflict)
	wantErr(t, s.AddCallLeg(ctx, dialer.CallLeg{ID: dialer.NewLegID(), Call: c.ID, Role: dialer.LegThird, Endpoint: "x", CreatedAt: t0}), dialer.ErrConflict)
	// A late event is still recorded, the state stays.
	step(dialer.CallProgress{At: t0.Add(71 * sec), Kind: "late_leg_hangup", Leg: agentLeg, LegEnded: true})
	if _, err := s.w.ExecContext(ctx, `UPDATE call_events SET kind = 'x'`); err == nil {
		t.Fatal("timeline editable")
	}
}

// TestLeadAttempts: every call placed to a lead counts one attempt, in the
// transaction that records the call; a call from the lead does not.
func TestLeadAttempts(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	place := func(dir dialer.CallDirection, origin dialer.CallOrigin, at time.Time) dialer.Call {
		t.Helper()
		c := dialer.Call{ID: dialer.NewCallID(), Direction: dir, Origin: origin, Campaign: w.campaign.ID, Lead: w.lead.ID, CreatedAt: at}
		return must[dialer.Call](t)(s.CreateCall(ctx, c))
	}
	lead := func() dialer.Lead { return must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)) }
	steps := []struct {
		dir    dialer.CallDirection
		origin dialer.CallOrigin
		want   int
	}{
		{dialer.Outbound, dialer.OriginDialer, 1},
		{dialer.Outbound, dialer.OriginAPI, 2},
		{dialer.Outbound, dialer.OriginManual, 3},
		{dialer.Inbound, dialer.OriginInbound, 3},
		{dialer.Outbound, dialer.OriginCallback, 4},
	}
	lastAttempt := time.Time{}
	for i, st := range steps {
		before := lead()
		at := t0.Add(time.Duration(i) * time.Minute)
		place(st.dir, st.origin, at)
		if st.dir == dialer.Outbound {
			lastAttempt = at
		}
		l := lead()
		if l.Attempts != st.want || !l.LastCallAt.Equal(lastAttempt) {
			t.Fatalf("after a %s %s call: attempts %d, last call %s; want %d, %s", st.dir, st.origin, l.Attempts, l.LastCallAt, st.want, lastAttempt)
		}
		// A lead edit read before the attempt cannot put the count back.
		if st.dir == dialer.Outbound {
			_, err := s.UpdateLead(ctx, before)
			wantErr(t, err, dialer.ErrStale)
		}
	}
	// A call record that cannot be written counts nothing.
	dup := place(dialer.Outbound, dialer.OriginAPI, t0.Add(time.Hour))
	_, err := s.CreateCall(ctx, dialer.Call{ID: dup.ID, Direction: dialer.Outbound, Origin: dialer.OriginAPI, Lead: w.lead.ID, CreatedAt: t0})
	wantErr(t, err, dialer.ErrConflict)
	if l := lead(); l.Attempts != 5 {
		t.Fatalf("attempts %d after a failed create, want 5", l.Attempts)
	}
	// The dialer takes only a lead waiting to be dialed: this one is
	// being dialed, so a second dialer call is refused and counts nothing.
	if l := lead(); l.Status != dialer.LeadDialing {
		t.Fatalf("status %s while dialed, want dialing", l.Status)
	}
	_, err = s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer, Lead: w.lead.ID, CreatedAt: t0})
	wantErr(t, err, dialer.ErrStateMismatch)
	if l := lead(); l.Attempts != 5 {
		t.Fatalf("attempts %d after a refused dialer call, want 5", l.Attempts)
	}
	// Attempts placed at once all count.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			c := dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginAPI, Lead: w.lead.ID, CreatedAt: t0.Add(2 * time.Hour)}
			if _, err := s.CreateCall(ctx, c); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if l := lead(); l.Attempts != 15 {
		t.Fatalf("attempts %d after 10 concurrent calls over 5, want 15", l.Attempts)
	}
}

// TestMaxAttempts: a disposition that would leave the lead for a retry
// closes it once the campaign's max_attempts calls were placed; the other
// codes apply as they are.
func TestMaxAttempts(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	camp := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Twice", DialMode: dialer.DialPreview, MaxAttempts: 2}))
	for i, tc := range []struct {
		calls int
		code  string
		want  dialer.LeadStatus
	}{
		{1, "NA", dialer.LeadRetry},
		{1, "AM", dialer.LeadRetry},
		{2, "NA", dialer.LeadDone},
		{3, "B", dialer.LeadDone},
		{2, "CALLBK", dialer.LeadCallback},
		{2, "DNC", dialer.LeadDNC},
		{1, "SALE", dialer.LeadDone},
	} {
		lead := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: camp.ID, Phone: fmt.Sprintf("+3361000000%d", i)}))
		var last dialer.Call
		for range tc.calls {
			last = must[dialer.Call](t)(s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginAPI,
				Campaign: camp.ID, Lead: lead.ID, CreatedAt: t0}))
		}
		d := dialer.Disposal{Call: last.ID, Code: tc.code, At: t0.Add(time.Minute)}
		if tc.code == "CALLBK" {
			d.Callback = &dialer.CallbackRequest{DueAt: t0.Add(time.Hour)}
		}
		must[dialer.Call](t)(s.DisposeCall(ctx, d))
		if got := must[dialer.Lead](t)(s.Lead(ctx, lead.ID)); got.Status != tc.want {
			t.Errorf("%s after %d of 2 attempts: lead %s, want %s", tc.code, tc.calls, got.Status, tc.want)
		}
	}
}

func TestCallWritesAreAllOrNothing(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	// The second leg reuses the first leg's id: the call, its first leg and
	// its events must all be gone.
	leg := dialer.NewLegID()
	id := dialer.NewCallID()
	_, err := s.CreateCall(ctx, dialer.Call{ID: id, Direction: dialer.Outbound, Origin: dialer.OriginAPI, CreatedAt: t0},
		dialer.CallLeg{ID: leg, Role: dialer.LegLead, Endpoint: "a", CreatedAt: t0},
		dialer.CallLeg{ID: leg, Role: dialer.LegAgent, Endpoint: "b", CreatedAt: t0})
	wantErr(t, err, dialer.ErrConflict)
	for _, table := range []string{"calls", "call_legs", "call_events"} {
		if n := count(t, s, table); n != 0 {
			t.Fatalf("%s has %d rows after a failed create", table, n)
		}
	}
	// A finish that violates a constraint (ended before created) changes
	// nothing: no leg closed, lead untouched, no event.
	c, _ := w.call(t)
	before := must[[]dialer.CallEvent](t)(s.CallEvents(ctx, c.ID))
	_, err = s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(-time.Second), Outcome: dialer.OutcomeFailed, HangupCause: "X"})
	wantField(t, err, "ended_at")
	if got := must[dialer.Call](t)(s.Call(ctx, c.ID)); got.State != dialer.CallCreated {
		t.Fatalf("call changed: %+v", got)
	}
	if legs := must[[]dialer.CallLeg](t)(s.CallLegs(ctx, c.ID)); !legs[0].EndedAt.IsZero() {
		t.Fatal("leg closed by a failed finish")
	}
	if l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); l.LastOutcome != "" {
		t.Fatal("lead changed by a failed finish")
	}
	if after := must[[]dialer.CallEvent](t)(s.CallEvents(ctx, c.ID)); len(after) != len(before) {
		t.Fatal("event appended by a failed finish")
	}
	// A disposition whose callback cannot be created leaves no trace.
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(time.Minute), Outcome: dialer.OutcomeAnswered}))
	_, err = s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "CALLBK", At: t0.Add(2 * time.Minute), Agent: w.agent.ID,
		Callback: &dialer.CallbackRequest{DueAt: t0.Add(time.Hour), Notes: string(make([]byte, 10000))}})
	wantField(t, err, "notes")
	if got := must[dialer.Call](t)(s.Call(ctx, c.ID)); got.Disposition != "" {
		t.Fatal("disposition written by a failed dispose")
	}
	if l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); l.Status != dialer.LeadDialing {
		t.Fatal("lead status written by a failed dispose")
	}
	if count(t, s, "callbacks") != 0 {
		t.Fatal("callback written")
	}
}

func TestDispositions(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	l := must[[]dialer.Disposition](t)(s.ListDispositions(ctx))
	if len(l) != 11 || l[0].Code != "SALE" || !l[0].System || !l[0].Final {
		t.Fatalf("defaults %+v", l[0])
	}
	cb := must[dialer.Disposition](t)(s.Disposition(ctx, "CALLBK"))
	if !cb.SchedulesCallback || cb.Final {
		t.Fatalf("CALLBK %+v", cb)
	}
	d := must[dialer.Disposition](t)(s.CreateDisposition(ctx, dialer.Disposition{Code: "HOT", Label: "Hot lead", Selectable: true, Sort: 15}))
	if d.System || !d.Selectable {
		t.Fatalf("%+v", d)
	}
	_, err := s.CreateDisposition(ctx, dialer.Disposition{Code: "HOT", Label: "again"})
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.CreateDisposition(ctx, dialer.Disposition{Code: "hot", Label: "lower"})
	wantField(t, err, "code")
	_, err = s.CreateDisposition(ctx, dialer.Disposition{Code: "SYS", Label: "x", System: true})
	wantField(t, err, "system")
	_, err = s.Disposition(ctx, "NOPE")
	wantErr(t, err, dialer.ErrNotFound)

	// SALE closes the lead.
	c, _ := w.call(t)
	// An agent who left a warm transfer disposes while the call goes on.
	live := must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "NI", At: t0}))
	if live.Disposition != "NI" || live.State == dialer.CallEnded {
		t.Fatalf("live disposal: %+v", live)
	}
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: t0.Add(time.Minute), Outcome: dialer.OutcomeAnswered, Billsec: 50}))
	_, err = s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "ZZZ", At: t0})
	wantField(t, err, "code")
	_, err = s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "CALLBK", At: t0})
	wantField(t, err, "callback.due_at")
	_, err = s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "SALE", At: t0, Callback: &dialer.CallbackRequest{DueAt: t0}})
	wantField(t, err, "callback")
	got := must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: c.ID, Code: "SALE", Notes: "gold plan", Agent: w.agent.ID, At: t0.Add(90 * time.Second)}))
	if got.Disposition != "SALE" || got.Notes != "gold plan" {
		t.Fatalf("%+v", got)
	}
	if l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); l.Status != dialer.LeadDone || l.LastDisposition != "SALE" {
		t.Fatalf("lead %+v", l)
	}
	evs := must[[]dialer.CallEvent](t)(s.CallEvents(ctx, c.ID))
	if last := evs[len(evs)-1]; last.Kind != dialer.EventDisposition {
		t.Fatalf("last event %+v", last)
	}

	// A callback disposition schedules the agent's own callback.
	c2, _ := w.call(t)
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c2.ID, At: t0.Add(time.Minute), Outcome: dialer.OutcomeAnswered}))
	must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: c2.ID, Code: "CALLBK", Agent: w.agent.ID, At: t0.Add(2 * time.Minute),
		Callback: &dialer.CallbackRequest{DueAt: t0.Add(24 * time.Hour), Notes: "after 6pm"}}))
	cbs := must[[]dialer.Callback](t)(s.DueCallbacks(ctx, t0.Add(25*time.Hour), 0, 10))
	if len(cbs) != 1 || cbs[0].Agent != w.agent.ID || cbs[0].Call != c2.ID || cbs[0].TimeZone != "Europe/Paris" || cbs[0].Campaign != w.campaign.ID {
		t.Fatalf("callbacks %+v", cbs)
	}
	if l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); l.Status != dialer.LeadCallback {
		t.Fatalf("lead %+v", l)
	}

	// DNC blocks the number everywhere.
	c3, _ := w.call(t)
	must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c3.ID, At: t0.Add(time.Minute), Outcome: dialer.OutcomeAnswered}))
	must[dialer.Call](t)(s.DisposeCall(ctx, dialer.Disposal{Call: c3.ID, Code: "DNC", At: t0.Add(2 * time.Minute)}))
	if dnc := must[bool](t)(s.IsDNC(ctx, w.lead.Phone, 12345)); !dnc {
		t.Fatal("number not on DNC")
	}
	if l := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); l.Status != dialer.LeadDNC {
		t.Fatalf("lead %+v", l)
	}
}

func TestCallbacks(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	h := time.Hour
	mine := must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID, Agent: w.agent.ID, DueAt: t0.Add(h)}))
	anyone := must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID, DueAt: t0.Add(2 * h), TimeZone: "America/New_York"}))
	other := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Bob", Extension: "1002", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	theirs := must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID, Agent: other.ID, DueAt: t0.Add(3 * h)}))
	must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID, DueAt: t0.Add(48 * h)}))
	if mine.Status != dialer.CallbackScheduled || mine.TimeZone != "Europe/Paris" || anyone.TimeZone != "America/New_York" || mine.Campaign != w.campaign.ID {
		t.Fatalf("%+v %+v", mine, anyone)
	}
	_, err := s.CreateCallback(ctx, dialer.Callback{Lead: 999, DueAt: t0})
	wantField(t, err, "lead_id")
	_, err = s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID})
	wantField(t, err, "due_at")
	_, err = s.CreateCallback(ctx, dialer.Callback{Lead: w.lead.ID, DueAt: t0, Agent: 999})
	wantErr(t, err, dialer.ErrInvalid)

	ids := func(l []dialer.Callback) (out []dialer.CallbackID) {
		for _, c := range l {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(must[[]dialer.Callback](t)(s.DueCallbacks(ctx, t0.Add(3*h), 0, 0))); fmt.Sprint(got) != fmt.Sprint([]dialer.CallbackID{mine.ID, anyone.ID, theirs.ID}) {
		t.Fatalf("all due: %v", got)
	}
	if got := ids(must[[]dialer.Callback](t)(s.DueCallbacks(ctx, t0.Add(3*h), w.agent.ID, 0))); fmt.Sprint(got) != fmt.Sprint([]dialer.CallbackID{mine.ID, anyone.ID}) {
		t.Fatalf("mine and anyone's: %v", got)
	}
	// The lead's history: every callback of the lead, latest due first.
	if got := ids(must[[]dialer.Callback](t)(s.LeadCallbacks(ctx, w.lead.ID, 3))); len(got) != 3 || got[1] != theirs.ID || got[2] != anyone.ID {
		t.Fatalf("the lead's callbacks, latest 3: %v", got)
	}
	if got := must[[]dialer.Callback](t)(s.LeadCallbacks(ctx, 999, 0)); len(got) != 0 {
		t.Fatalf("callbacks of no lead: %v", ids(got))
	}
	if err := s.SetCallbackStatus(ctx, mine.ID, dialer.CallbackScheduled, dialer.CallbackDialing, t0.Add(h)); err != nil {
		t.Fatal(err)
	}
	// A second dialer loses the race.
	wantErr(t, s.SetCallbackStatus(ctx, mine.ID, dialer.CallbackScheduled, dialer.CallbackDialing, t0.Add(h)), dialer.ErrStateMismatch)
	if err := s.SetCallbackStatus(ctx, mine.ID, dialer.CallbackDialing, dialer.CallbackDone, t0.Add(h+time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.SetCallbackStatus(ctx, 999, dialer.CallbackScheduled, dialer.CallbackDone, t0), dialer.ErrNotFound)
	wantField(t, s.SetCallbackStatus(ctx, mine.ID, dialer.CallbackDone, "odd", t0), "status")
	if got := must[dialer.Callback](t)(s.Callback(ctx, mine.ID)); got.Status != dialer.CallbackDone || !got.UpdatedAt.Equal(t0.Add(h+time.Minute)) {
		t.Fatalf("%+v", got)
	}
	if got := must[[]dialer.Callback](t)(s.DueCallbacks(ctx, t0.Add(3*h), w.agent.ID, 0)); len(got) != 1 {
		t.Fatalf("done callback still due: %v", ids(got))
	}
	// Start-up takes back the callbacks left dialing, and only those.
	for _, id := range []dialer.CallbackID{anyone.ID, theirs.ID} {
		if err := s.SetCallbackStatus(ctx, id, dialer.CallbackScheduled, dialer.CallbackDialing, t0.Add(h)); err != nil {
			t.Fatal(err)
		}
	}
	if got := must[[]dialer.CallbackID](t)(s.RescheduleDialingCallbacks(ctx, t0.Add(2*h))); fmt.Sprint(got) != fmt.Sprint([]dialer.CallbackID{anyone.ID, theirs.ID}) {
		t.Fatalf("rescheduled %v", got)
	}
	if got := must[dialer.Callback](t)(s.Callback(ctx, theirs.ID)); got.Status != dialer.CallbackScheduled || !got.UpdatedAt.Equal(t0.Add(2*h)) {
		t.Fatalf("%+v", got)
	}
	if got := must[dialer.Callback](t)(s.Callback(ctx, mine.ID)); got.Status != dialer.CallbackDone {
		t.Fatalf("a done callback was rescheduled: %+v", got)
	}
	if got := must[[]dialer.CallbackID](t)(s.RescheduleDialingCallbacks(ctx, t0.Add(2*h))); len(got) != 0 {
		t.Fatalf("rescheduled again: %v", got)
	}
	// Deleting the owner hands the callback to anyone.
	if err := s.DeleteAgent(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[dialer.Callback](t)(s.Callback(ctx, theirs.ID)); got.Agent != 0 {
		t.Fatalf("%+v", got)
	}
}

// TestDNCCancelsCallbacks: a number put on the do-not-call list, by a
// disposition or directly, takes its scheduled callbacks with it (in its
// scope); a callback being dialed or already closed is left alone.
func TestDNCCancelsCallbacks(t *testing.T) {
	h := time.Hour
	type setup struct {
		w                        world
		mine, anyone, otherCamp  dialer.Callback
		dialing, done, elsewhere dialer.Callback
	}
	build := func(t *testing.T) setup {
		w := newWorld(t)
		s, ctx := w.s, t.Context()
		cb := func(lead dialer.LeadID, agent dialer.AgentID, due time.Duration) dialer.Callback {
			return must[dialer.Callback](t)(s.CreateCallback(ctx, dialer.Callback{Lead: lead, Agent: agent, DueAt: t0.Add(due)}))
		}
		other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 3}))
		sameNumber := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: other.ID, Phone: w.lead.Phone}))
		otherNumber := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: w.campaign.ID, Phone: "+33699999999"}))
		st := setup{w: w, mine: cb(w.lead.ID, w.agent.ID, h), anyone: cb(w.lead.ID, 0, 2*h), otherCamp: cb(sameNumber.ID, 0, h),
			dialing: cb(w.lead.ID, 0, 3*h), done: cb(w.lead.ID, 0, 4*h), elsewhere: cb(otherNumber.ID, 0, h)}
		if err := s.SetCallbackStatus(ctx, st.dialing.ID, dialer.CallbackScheduled, dialer.CallbackDialing, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCallbackStatus(ctx, st.done.ID, dialer.CallbackScheduled, dialer.CallbackDone, t0); err != nil {
			t.Fatal(err)
		}
		return st
	}
	at := t0.Add(10 * time.Minute)
	for _, tc := range []struct {
		name string
		dnc  func(t *testing.T, st setup) error
		// otherCampaign: the same number's callback in another campaign
		// goes too.
		otherCampaign bool
	}{
		{"DNC disposition", func(t *testing.T, st setup) error {
			c, _ := st.w.call(t)
			_, err := st.w.s.DisposeCall(t.Context(), dialer.Disposal{Call: c.ID, Code: "DNC", Agent: st.w.agent.ID, At: at})
			return err
		}, true},
		{"global entry", func(t *testing.T, st setup) error {
			return st.w.s.AddDNC(t.Context(), st.w.lead.Phone, 0, "asked", at)
		}, true},
		{"campaign entry", func(t *testing.T, st setup) error {
			return st.w.s.AddDNC(t.Context(), st.w.lead.Phone, st.w.campaign.ID, "asked", at)
		}, false},
		{"campaign list import", func(t *testing.T, st setup) error {
			_, err := st.w.s.AddDNCNumbers(t.Context(), []string{"+15550000001", st.w.lead.Phone}, st.w.campaign.ID, "import", at)
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := build(t)
			if err := tc.dnc(t, st); err != nil {
				t.Fatal(err)
			}
			otherWant := dialer.CallbackScheduled
			if tc.otherCampaign {
				otherWant = dialer.CallbackCancelled
			}
			for _, c := range []struct {
				name string
				cb   dialer.Callback
				want dialer.CallbackStatus
			}{
				{"agent's own", st.mine, dialer.CallbackCancelled},
				{"anyone's", st.anyone, dialer.CallbackCancelled},
				{"same number, other campaign", st.otherCamp, otherWant},
				{"being dialed", st.dialing, dialer.CallbackDialing},
				{"done", st.done, dialer.CallbackDone},
				{"other number", st.elsewhere, dialer.CallbackScheduled},
			} {
				got := must[dialer.Callback](t)(st.w.s.Callback(t.Context(), c.cb.ID))
				if got.Status != c.want {
					t.Errorf("%s callback is %s, want %s", c.name, got.Status, c.want)
				}
				if c.want == dialer.CallbackCancelled && !got.UpdatedAt.Equal(at) {
					t.Errorf("%s callback updated at %s, want %s", c.name, got.UpdatedAt, at)
				}
			}
		})
	}
	// A code cannot both block the number and schedule a call to it.
	w := newWorld(t)
	_, err := w.s.CreateDisposition(t.Context(), dialer.Disposition{Code: "DNCCB", Label: "x", MarksDNC: true, SchedulesCallback: true})
	wantField(t, err, "marks_dnc")
}

func TestDNC(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	if err := s.AddDNC(ctx, "+15551234567", w.campaign.ID, "asked", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDNC(ctx, "+15551234567", w.campaign.ID, "again", t0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "dnc"); n != 1 {
		t.Fatalf("%d rows for one entry", n)
	}
	if !must[bool](t)(s.IsDNC(ctx, "+15551234567", w.campaign.ID)) || must[bool](t)(s.IsDNC(ctx, "+15551234567", w.campaign.ID+1)) {
		t.Fatal("campaign scope")
	}
	if err := s.AddDNC(ctx, "+15551234567", 0, "global", t0); err != nil {
		t.Fatal(err)
	}
	if !must[bool](t)(s.IsDNC(ctx, "+15551234567", w.campaign.ID+1)) {
		t.Fatal("global entry not applied")
	}
	wantField(t, s.AddDNC(ctx, "5551234567", 0, "", t0), "phone")
}

func TestListCalls(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	var all []dialer.CallID
	for i := range 7 {
		c := dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if i%2 == 0 {
			c.Agent, c.Campaign = w.agent.ID, w.campaign.ID
		}
		if i == 6 {
			c.Direction, c.Origin = dialer.Inbound, dialer.OriginInbound
		}
		must[dialer.Call](t)(s.CreateCall(ctx, c))
		if i < 4 {
			must[dialer.Call](t)(s.FinishCall(ctx, dialer.CallEnd{Call: c.ID, At: c.CreatedAt.Add(time.Second), Outcome: dialer.OutcomeNoAnswer}))
		}
		all = append(all, c.ID)
	}
	list := func(f dialer.CallFilter) []dialer.CallID {
		var out []dialer.CallID
		for _, c := range must[[]dialer.Call](t)(s.ListCalls(ctx, f)) {
			out = append(out, c.ID)
		}
		return out
	}
	rev := func(idx ...int) []dialer.CallID {
		var out []dialer.CallID
		for _, i := range idx {
			out = append(out, all[i])
		}
		return out
	}
	cases := []struct {
		f    dialer.CallFilter
		want []dialer.CallID
	}{
		{dialer.CallFilter{}, rev(6, 5, 4, 3, 2, 1, 0)},
		{dialer.CallFilter{Agent: w.agent.ID}, rev(6, 4, 2, 0)},
		{dialer.CallFilter{Campaign: w.campaign.ID, Limit: 2}, rev(6, 4)},
		{dialer.CallFilter{Live: true}, rev(6, 5, 4)},
		{dialer.CallFilter{Direction: dialer.Inbound}, rev(6)},
		{dialer.CallFilter{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}, rev(3, 2)},
		{dialer.CallFilter{Before: all[3], Limit: 2}, rev(2, 1)},
	}
	for i, c := range cases {
		if got := list(c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("case %d: %v\nwant %v", i, got, c.want)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 25 {
				c := dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer, CreatedAt: t0}
				if _, err = s.CreateCall(ctx, c); err != nil {
					break
				}
				if err = s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0, Kind: "answered", State: dialer.CallAnswered}); err != nil {
					break
				}
				if _, err = s.ListCalls(ctx, dialer.CallFilter{Limit: 5}); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, "calls"); n != 200 {
		t.Fatalf("%d calls", n)
	}
}

// TestBatch: writes in a batch share one commit; one that fails is undone
// alone, and the others stay.
func TestBatch(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	c, lead := w.call(t)
	err := s.Batch(ctx, func(ctx context.Context) error {
		if err := s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(time.Second), Kind: "ringing", State: dialer.CallRinging}); err != nil {
			return err
		}
		// Not a leg of this call: refused, and only this write is undone.
		err := s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(2 * time.Second), Kind: "answered", State: dialer.CallAnswered, Leg: dialer.NewLegID(), LegAnswered: true})
		wantField(t, err, "leg_id")
		if err := s.RecordCallProgress(ctx, dialer.CallProgress{Call: c.ID, At: t0.Add(3 * time.Second), Kind: "answered", State: dialer.CallAnswered, Leg: lead, LegAnswered: true}); err != nil {
			return err
		}
		// A single-statement write inside the batch must not wait for the
		// writer connection the batch holds.
		_, err = s.CreateDisposition(ctx, dialer.Disposition{Code: "BATCH", Label: "in a batch"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := s.CallEvents(ctx, c.ID)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, " ") != "created leg_added ringing answered" {
		t.Fatalf("timeline %v", kinds)
	}
	got, _ := s.Call(ctx, c.ID)
	if got.State != dialer.CallAnswered {
		t.Fatalf("state %s", got.State)
	}
	if _, err := s.Disposition(ctx, "BATCH"); err != nil {
		t.Fatal(err)
	}
}

// TestGroupedCreatesShareCommits: calls created at the same time share
// transactions; one refused (its lead was taken) fails alone, and every
// other call and its lead's attempt is written.
func TestGroupedCreatesShareCommits(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	const n = 40
	leads := make([]dialer.Lead, n)
	for i := range leads {
		leads[i] = must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: w.campaign.ID, Phone: fmt.Sprintf("+336123400%02d", i), TimeZone: "Europe/Paris"}))
	}
	create := func(i int) error {
		_, err := s.CreateCall(ctx, dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginDialer,
			Campaign: w.campaign.ID, Lead: leads[i].ID, ToNumber: leads[i].Phone, CreatedAt: t0},
			dialer.CallLeg{ID: dialer.NewLegID(), Role: dialer.LegLead, Endpoint: "sofia/gateway/carrier/" + leads[i].Phone, CreatedAt: t0})
		return err
	}
	// Lead 7 is already being dialed: a second dialer call to it is refused.
	if err := create(7); err != nil {
		t.Fatal(err)
	}
	txs := s.group.txs.Load()
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = create(i)
		})
	}
	close(start)
	wg.Wait()
	if got := s.group.txs.Load() - txs; got >= n {
		t.Errorf("%d creates took %d transactions: none shared", n, got)
	} else {
		t.Logf("%d creates in %d transactions", n, got)
	}
	for i, err := range errs {
		switch {
		case i == 7 && !errors.Is(err, dialer.ErrStateMismatch):
			t.Errorf("lead 7 dialed twice: err = %v", err)
		case i != 7 && err != nil:
			t.Errorf("call %d: %v", i, err)
		}
	}
	var calls, attempts int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM calls WHERE origin = 'dialer'`).Scan(&calls); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT sum(attempts) FROM leads WHERE campaign_id = ?`, w.campaign.ID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if calls != n || attempts != n {
		t.Fatalf("%d calls and %d attempts written, want %d of each", calls, attempts, n)
	}
}

// TestLeadToDial reads the lead as Lead does (the same columns and the
// same visibility), on the writer; an unknown lead is not found, nor one
// whose list is switched off (Lead still reads it).
func TestLeadToDial(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	got := must[dialer.Lead](t)(s.LeadToDial(ctx, w.lead.ID))
	if want := must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID)); got.Phone != want.Phone || got.Version != want.Version || got.TimeZone != want.TimeZone {
		t.Fatalf("LeadToDial = %+v, Lead = %+v", got, want)
	}
	if _, err := s.LeadToDial(ctx, w.lead.ID+1000); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("unknown lead: err = %v", err)
	}
	list := must[leadimport.List](t)(s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "Spring A"}))
	if _, err := s.w.ExecContext(ctx, `UPDATE leads SET list_id = ? WHERE id = ?`, int64(list.ID), int64(w.lead.ID)); err != nil {
		t.Fatal(err)
	}
	must[dialer.Lead](t)(s.LeadToDial(ctx, w.lead.ID))
	off := false
	must[leadimport.List](t)(s.UpdateLeadList(ctx, list.ID, leadimport.ListPatch{Active: &off}))
	if _, err := s.LeadToDial(ctx, w.lead.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("lead of a list switched off: err = %v", err)
	}
	must[dialer.Lead](t)(s.Lead(ctx, w.lead.ID))
}
