package sqlitestore

import (
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
)

// TestDialableLeads: only leads that may be dialed now come back (new,
// retries due, attempts left, no do-not-call entry for them), in the
// campaign's lead order.
func TestDialableLeads(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.UnixMilli(1_800_000_000_000)
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Hopper", DialMode: dialer.DialProgressive, MaxAttempts: 3}))
	other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialProgressive, MaxAttempts: 3}))
	add := func(phone string, change func(*dialer.Lead)) dialer.LeadID {
		t.Helper()
		l := must[dialer.Lead](t)(s.CreateLead(ctx, dialer.Lead{Campaign: c.ID, Phone: phone}))
		if change != nil {
			change(&l)
			l = must[dialer.Lead](t)(s.UpdateLead(ctx, l))
		}
		return l.ID
	}
	retryDue := add("+15550100001", func(l *dialer.Lead) {
		l.Status, l.Attempts, l.NextCallAt = dialer.LeadRetry, 1, now.Add(-time.Minute)
	})
	fresh := add("+15550100002", func(l *dialer.Lead) { l.Custom = map[string]string{"priority": "1"} })
	add("+15550100003", func(l *dialer.Lead) { // retry not yet due
		l.Status, l.Attempts, l.NextCallAt = dialer.LeadRetry, 1, now.Add(time.Minute)
	})
	add("+15550100004", func(l *dialer.Lead) { // no attempts left
		l.Status, l.Attempts = dialer.LeadRetry, 3
	})
	add("+15550100005", func(l *dialer.Lead) { l.Status = dialer.LeadDone })
	add("+15550100006", nil) // on the global DNC list
	add("+15550100007", nil) // on this campaign's DNC list
	otherDNC := add("+15550100008", func(l *dialer.Lead) { l.Custom = map[string]string{"priority": "9"} })
	for _, d := range []struct {
		phone string
		camp  dialer.CampaignID
	}{{"+15550100006", 0}, {"+15550100007", c.ID}, {"+15550100008", other.ID}} {
		if err := s.AddDNC(ctx, d.phone, d.camp, "test", now); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(order dialer.LeadOrder, limit int) []dialer.LeadID {
		t.Helper()
		ls, err := s.DialableLeads(ctx, c.ID, now, order, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []dialer.LeadID
		for i, l := range ls {
			if l.Rank != float64(i) || l.Phone == "" {
				t.Fatalf("lead %+v at %d", l, i)
			}
			out = append(out, l.Lead)
		}
		return out
	}
	for _, tc := range []struct {
		order dialer.LeadOrder
		limit int
		want  []dialer.LeadID
	}{
		{dialer.OrderNewFirst, 10, []dialer.LeadID{fresh, otherDNC, retryDue}},
		{dialer.OrderOldestFirst, 10, []dialer.LeadID{retryDue, fresh, otherDNC}},
		{dialer.OrderPriority, 10, []dialer.LeadID{otherDNC, fresh, retryDue}},
		{dialer.OrderNewFirst, 2, []dialer.LeadID{fresh, otherDNC}},
		{dialer.OrderNewFirst, 0, nil},
	} {
		if got := ids(tc.order, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("%s, limit %d: %v, want %v", tc.order, tc.limit, got, tc.want)
		}
	}
	// Paging: the second page goes on where the first stopped.
	page, err := s.DialableLeads(ctx, c.ID, now, dialer.OrderNewFirst, 2, 5)
	if err != nil || len(page) != 1 || page[0].Lead != retryDue || page[0].Rank != 2 {
		t.Errorf("page from offset 2: %+v, %v; want lead %d at rank 2", page, err, retryDue)
	}
	got := ids(dialer.OrderRandom, 10)
	slices.Sort(got)
	if want := []dialer.LeadID{retryDue, fresh, otherDNC}; !slices.Equal(got, want) {
		t.Errorf("random: %v, want the same three leads %v", got, want)
	}
}

// TestDialableLeadsSkipInactiveLists: a list switched off keeps its leads
// out of dialing (and out of the count) until it is switched on again.
func TestDialableLeadsSkipInactiveLists(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	l := must[leadimport.List](t)(w.s.CreateLeadList(ctx, leadimport.List{Campaign: w.campaign.ID, Name: "March"}))
	inList := listLead(t, w, l.ID, "+33600000001", dialer.LeadNew)
	dialable := func() []dialer.LeadID {
		t.Helper()
		ls := must[[]dialer.DialableLead](t)(w.s.DialableLeads(ctx, w.campaign.ID, t0, dialer.OrderOldestFirst, 0, 10))
		n := must[int](t)(w.s.CountDialable(ctx, w.campaign.ID, t0))
		if n != len(ls) {
			t.Fatalf("count %d, but %d leads listed", n, len(ls))
		}
		var out []dialer.LeadID
		for _, d := range ls {
			out = append(out, d.Lead)
		}
		return out
	}
	for _, tc := range []struct {
		active bool
		want   []dialer.LeadID
	}{
		{true, []dialer.LeadID{w.lead.ID, inList.ID}},
		{false, []dialer.LeadID{w.lead.ID}},
		{true, []dialer.LeadID{w.lead.ID, inList.ID}},
	} {
		must[leadimport.List](t)(w.s.UpdateLeadList(ctx, l.ID, leadimport.ListPatch{Active: &tc.active}))
		if got := dialable(); !slices.Equal(got, tc.want) {
			t.Errorf("list active %v: %v, want %v", tc.active, got, tc.want)
		}
	}
}
