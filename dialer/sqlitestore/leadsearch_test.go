package sqlitestore

import (
	"errors"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// TestListLeadsFilters: each filter of a lead search, alone and together;
// the text is a case-blind prefix whose wildcards match themselves.
func TestListLeadsFilters(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Search", DialMode: dialer.DialProgressive, MaxAttempts: 5}))
	other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Elsewhere", DialMode: dialer.DialProgressive, MaxAttempts: 5}))
	list := must[leadimport.List](t)(s.CreateLeadList(ctx, leadimport.List{Campaign: c.ID, Name: "March"}))
	add := func(camp dialer.CampaignID, phone, first, email string, st dialer.LeadStatus, attempts int, out dialer.CallOutcome) dialer.LeadID {
		t.Helper()
		l := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: camp, Phone: phone, FirstName: first, Email: email}))
		l.Status, l.Attempts, l.LastOutcome = st, attempts, out
		return must[dialer.Lead](t)(s.UpdateLead(ctx, l)).ID
	}
	ann := add(c.ID, "+15550200001", "Ann", "ann@example.com", dialer.LeadNew, 0, "")
	bob := add(c.ID, "+15550200002", "Bob", "b_o%b@example.com", dialer.LeadRetry, 2, dialer.OutcomeBusy)
	annie := add(c.ID, "+15550200003", "annie", "", dialer.LeadDone, 5, dialer.OutcomeAnswered)
	far := add(other.ID, "+15550200004", "Ann", "", dialer.LeadNew, 0, "")
	if _, err := s.w.ExecContext(ctx, `UPDATE leads SET list_id = ? WHERE id IN (?, ?)`, list.ID, ann, bob); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    dialer.LeadFilter
		want []dialer.LeadID
	}{
		{"all", dialer.LeadFilter{}, []dialer.LeadID{ann, bob, annie, far}},
		{"campaign", dialer.LeadFilter{Campaign: c.ID}, []dialer.LeadID{ann, bob, annie}},
		{"list", dialer.LeadFilter{List: int64(list.ID)}, []dialer.LeadID{ann, bob}},
		{"status", dialer.LeadFilter{Status: dialer.LeadRetry}, []dialer.LeadID{bob}},
		{"last outcome", dialer.LeadFilter{LastOutcome: dialer.OutcomeAnswered}, []dialer.LeadID{annie}},
		{"min attempts", dialer.LeadFilter{MinAttempts: 2}, []dialer.LeadID{bob, annie}},
		{"name prefix, any case", dialer.LeadFilter{Text: "ANN"}, []dialer.LeadID{ann, annie, far}},
		{"e-mail prefix", dialer.LeadFilter{Text: "ann@"}, []dialer.LeadID{ann}},
		{"number prefix", dialer.LeadFilter{Text: "+155502000"}, []dialer.LeadID{ann, bob, annie, far}},
		{"wildcards are literal", dialer.LeadFilter{Text: "b_o%"}, []dialer.LeadID{bob}},
		{"a wildcard alone matches nothing", dialer.LeadFilter{Text: "%"}, nil},
		{"together", dialer.LeadFilter{Campaign: c.ID, Text: "ann", MinAttempts: 1}, []dialer.LeadID{annie}},
		{"paged", dialer.LeadFilter{AfterID: ann, Limit: 2}, []dialer.LeadID{bob, annie}},
	} {
		ls, err := s.ListLeads(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []dialer.LeadID
		for _, l := range ls {
			got = append(got, l.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBulkLeads: reset, move and delete apply to the filter's leads in one
// campaign, never to a lead being dialed; reset leaves a DNC lead alone;
// a move is only to a list of the same campaign.
func TestBulkLeads(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Bulk", DialMode: dialer.DialProgressive, MaxAttempts: 5}))
	other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialProgressive, MaxAttempts: 5}))
	list := must[leadimport.List](t)(s.CreateLeadList(ctx, leadimport.List{Campaign: c.ID, Name: "B"}))
	otherList := must[leadimport.List](t)(s.CreateLeadList(ctx, leadimport.List{Campaign: other.ID, Name: "O"}))
	add := func(camp dialer.CampaignID, phone string, st dialer.LeadStatus) dialer.Lead {
		t.Helper()
		l := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: camp, Phone: phone}))
		l.Status, l.Attempts, l.LastOutcome = st, 3, dialer.OutcomeBusy
		return must[dialer.Lead](t)(s.UpdateLead(ctx, l))
	}
	done := add(c.ID, "+15550300001", dialer.LeadDone)
	dialing := add(c.ID, "+15550300002", dialer.LeadDialing)
	dnc := add(c.ID, "+15550300003", dialer.LeadDNC)
	far := add(other.ID, "+15550300004", dialer.LeadDone)
	lead := func(id dialer.LeadID) dialer.Lead { return must[dialer.Lead](t)(s.Lead(ctx, id)) }

	n, err := s.BulkLeads(ctx, dialer.LeadBulk{Action: dialer.BulkReset, Filter: dialer.LeadFilter{Campaign: c.ID}})
	if err != nil || n != 1 {
		t.Fatalf("reset: %d, %v; want 1 (not the one dialing, not the DNC one)", n, err)
	}
	if l := lead(done.ID); l.Status != dialer.LeadNew || l.Attempts != 0 || l.LastOutcome != "" || l.Version != done.Version+1 {
		t.Fatalf("reset lead %+v", l)
	}
	if lead(dialing.ID).Status != dialer.LeadDialing || lead(dnc.ID).Status != dialer.LeadDNC || lead(far.ID).Status != dialer.LeadDone {
		t.Fatal("reset touched a lead dialing, on DNC or in another campaign")
	}
	var fe *dialer.FieldError
	if _, err := s.BulkLeads(ctx, dialer.LeadBulk{Action: dialer.BulkMove, List: int64(otherList.ID), Filter: dialer.LeadFilter{Campaign: c.ID}}); !errors.As(err, &fe) || fe.Field != "list_id" {
		t.Fatalf("move to another campaign's list: %v", err)
	}
	if n, err := s.BulkLeads(ctx, dialer.LeadBulk{Action: dialer.BulkMove, List: int64(list.ID), Filter: dialer.LeadFilter{Campaign: c.ID}}); err != nil || n != 2 {
		t.Fatalf("move: %d, %v; want 2", n, err)
	}
	if got, _ := s.ListLeads(ctx, dialer.LeadFilter{List: int64(list.ID)}); len(got) != 2 {
		t.Fatalf("in the list after the move: %v", got)
	}
	if n, err := s.BulkLeads(ctx, dialer.LeadBulk{Action: dialer.BulkDelete, Filter: dialer.LeadFilter{Campaign: c.ID, Status: dialer.LeadNew}}); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v; want 1", n, err)
	}
	if _, err := s.Lead(ctx, done.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("deleted lead still read: %v", err)
	}
	for _, bad := range []struct {
		b     dialer.LeadBulk
		field string
	}{
		{dialer.LeadBulk{Action: "wipe", Filter: dialer.LeadFilter{Campaign: c.ID}}, "action"},
		{dialer.LeadBulk{Action: dialer.BulkDelete}, "filter.campaign"},
		{dialer.LeadBulk{Action: dialer.BulkMove, Filter: dialer.LeadFilter{Campaign: c.ID}}, "list_id"},
		{dialer.LeadBulk{Action: dialer.BulkReset, List: 1, Filter: dialer.LeadFilter{Campaign: c.ID}}, "list_id"},
	} {
		if _, err := s.BulkLeads(ctx, bad.b); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("%+v: %v, want a %s error", bad.b, err, bad.field)
		}
	}
}
