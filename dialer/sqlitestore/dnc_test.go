package sqlitestore

import (
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestDNCLists(t *testing.T) {
	w := newWorld(t)
	s, ctx := w.s, t.Context()
	camp := w.campaign.ID
	added := must[int](t)(s.AddDNCNumbers(ctx, []string{"+14155550001", "+14155550002", "+12125550003", "+14155550001"}, camp, "import a.csv", t0))
	if added != 3 {
		t.Fatalf("added %d, want 3 (one duplicate in the batch)", added)
	}
	if added := must[int](t)(s.AddDNCNumbers(ctx, []string{"+14155550002", "+33612345678"}, camp, "import b.csv", t0)); added != 1 {
		t.Fatalf("second import added %d, want 1", added)
	}
	if err := s.AddDNC(ctx, "+14155550001", 0, "asked on the phone", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDNCNumbers(ctx, []string{"+14155550009", "0800"}, camp, "x", t0); err == nil {
		t.Fatal("an invalid number was accepted")
	} else {
		wantField(t, err, "phone")
	}
	if e := must[[]dialer.DNCEntry](t)(s.ListDNC(ctx, dialer.DNCFilter{Campaign: camp, Query: "+14155550009"})); len(e) != 0 {
		t.Fatalf("a refused batch left %v", e)
	}

	phones := func(es []dialer.DNCEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Phone)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    dialer.DNCFilter
		want []string
	}{
		{"campaign list", dialer.DNCFilter{Campaign: camp}, []string{"+14155550001", "+14155550002", "+12125550003", "+33612345678"}},
		{"system-wide list", dialer.DNCFilter{}, []string{"+14155550001"}},
		{"prefix", dialer.DNCFilter{Campaign: camp, Query: "+1415"}, []string{"+14155550001", "+14155550002"}},
		{"prefix without +", dialer.DNCFilter{Campaign: camp, Query: "33"}, []string{"+33612345678"}},
		{"reason text", dialer.DNCFilter{Campaign: camp, Query: "B.CSV"}, []string{"+33612345678"}},
		{"no match", dialer.DNCFilter{Campaign: camp, Query: "+44"}, nil},
		{"page", dialer.DNCFilter{Campaign: camp, Limit: 2}, []string{"+14155550001", "+14155550002"}},
	} {
		if got := phones(must[[]dialer.DNCEntry](t)(s.ListDNC(ctx, tc.f))); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	first := must[[]dialer.DNCEntry](t)(s.ListDNC(ctx, dialer.DNCFilter{Campaign: camp, Limit: 2}))
	next := must[[]dialer.DNCEntry](t)(s.ListDNC(ctx, dialer.DNCFilter{Campaign: camp, After: first[1].ID}))
	if got := phones(next); !slices.Equal(got, []string{"+12125550003", "+33612345678"}) {
		t.Errorf("next page %v", got)
	}

	hits := must[[]dialer.DNCEntry](t)(s.DNCHits(ctx, "+14155550001", camp))
	if len(hits) != 2 || hits[0].Campaign != 0 || hits[0].Reason != "asked on the phone" || hits[1].Campaign != camp {
		t.Fatalf("hits %+v, want the system-wide entry then the campaign's", hits)
	}
	other := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Other", DialMode: dialer.DialPreview, MaxAttempts: 3}))
	if hits := must[[]dialer.DNCEntry](t)(s.DNCHits(ctx, "+14155550002", other.ID)); len(hits) != 0 {
		t.Fatalf("another campaign's entry blocks: %+v", hits)
	}
	if hits := must[[]dialer.DNCEntry](t)(s.DNCHits(ctx, "+14155550002", 0)); len(hits) != 1 {
		t.Fatalf("every list: %+v", hits)
	}

	if err := s.RemoveDNC(ctx, "+14155550001", camp); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RemoveDNC(ctx, "+14155550001", camp), dialer.ErrNotFound)
	if blocked := must[bool](t)(s.IsDNC(ctx, "+14155550001", camp)); !blocked {
		t.Fatal("the system-wide entry went with the campaign's")
	}
	if err := s.RemoveDNC(ctx, "+14155550001", 0); err != nil {
		t.Fatal(err)
	}
	if blocked := must[bool](t)(s.IsDNC(ctx, "+14155550001", camp)); blocked {
		t.Fatal("still blocked after both entries were removed")
	}
}
