package sqlitestore

import (
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
