package sqlitestore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

var reqT0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func newRequest(w dialer.WidgetID, number string, at time.Time) dialer.WidgetRequest {
	return dialer.WidgetRequest{WidgetID: w, Source: "api", CreatedAt: at, Numbers: []string{number}, Country: "DE",
		Params: map[string]string{"name": "Ada"}, Status: dialer.RequestScheduled, MaxAttempts: 3, NextAttemptAt: at}
}

func TestWidgetRequestLifecycle(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	in := newRequest(w.ID, "+4930111", reqT0)
	in.IdempotencyKey = "k1"
	in.Operators = []dialer.SpeedManager{{Name: "Op", Number: "+4930999"}}
	r, created, err := s.CreateWidgetRequest(ctx, in)
	if err != nil || !created || r.ID == 0 || r.WidgetName != "Shop" || r.Status != "scheduled" || r.Params["name"] != "Ada" ||
		len(r.Operators) != 1 || !r.NextAttemptAt.Equal(reqT0) || r.Count != 1 {
		t.Fatalf("created %v %+v %v", created, r, err)
	}
	// The same key answers the same request; the same number is a repeat.
	again, created, err := s.CreateWidgetRequest(ctx, in)
	if err != nil || created || again.ID != r.ID {
		t.Fatalf("replay %v %+v %v", created, again, err)
	}
	if _, _, err := s.CreateWidgetRequest(ctx, newRequest(w.ID, "+4930111", reqT0.Add(9*time.Minute))); !errors.Is(err, dialer.ErrRepeat) {
		t.Fatalf("repeat: %v", err)
	}
	if _, _, err := s.CreateWidgetRequest(ctx, newRequest(w.ID, "+4930111", reqT0.Add(11*time.Minute))); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if err := s.SetWidgetRequestResponse(ctx, r.ID, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := must[dialer.WidgetRequest](t)(s.WidgetRequestByKey(ctx, w.ID, "k1")); string(got.Response) != `{"a":1}` {
		t.Fatalf("by key %+v", got)
	}

	if next, ok, err := s.NextRequestDue(ctx); err != nil || !ok || !next.Equal(reqT0) {
		t.Fatalf("next due %v %v %v", next, ok, err)
	}
	if due := must[[]dialer.WidgetRequest](t)(s.DueWidgetRequests(ctx, reqT0, 10)); len(due) != 1 || due[0].ID != r.ID {
		t.Fatalf("due %+v", due)
	}
	if err := s.StartWidgetAttempt(ctx, r.ID, 1, reqT0); err != nil {
		t.Fatal(err)
	}
	if err := s.StartWidgetAttempt(ctx, r.ID, 1, reqT0); !errors.Is(err, dialer.ErrConflict) {
		t.Fatalf("second start: %v", err)
	}
	if err := s.SetWidgetAttemptCall(ctx, r.ID, 1, "c1"); err != nil {
		t.Fatal(err)
	}
	retry := reqT0.Add(time.Minute)
	got, err := s.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 1, Call: "c1", At: reqT0.Add(20 * time.Second),
		Result: dialer.SpeedLeadNoAnswer, Status: dialer.RequestScheduled, Next: retry})
	if err != nil || got.Status != "scheduled" || !got.NextAttemptAt.Equal(retry) || got.Attempts != 1 || got.CallID != "c1" {
		t.Fatalf("after attempt 1 %+v %v", got, err)
	}
	if _, err := s.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 1, At: reqT0, Status: dialer.RequestMissed}); !errors.Is(err, dialer.ErrConflict) {
		t.Fatalf("ended twice: %v", err)
	}
	must[struct{}](t)(struct{}{}, s.StartWidgetAttempt(ctx, r.ID, 2, retry))
	end := retry.Add(90 * time.Second)
	got, err = s.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 2, Call: "c2", At: end, Result: dialer.SpeedConnected,
		Manager: "Max", TalkSeconds: 60, Recording: true, Status: dialer.RequestConnected})
	if err != nil || got.Status != "connected" || got.Manager != "Max" || !got.ConnectedAt.Equal(end.Add(-time.Minute)) ||
		got.Recording != "/api/v1/calls/c2/recording" || !got.NextAttemptAt.IsZero() {
		t.Fatalf("connected %+v %v", got, err)
	}
	_, attempts, err := s.GetWidgetRequest(ctx, r.ID)
	if err != nil || len(attempts) != 2 || attempts[0].Result != "lead_no_answer" || attempts[1].CallID != "c2" || attempts[1].TalkSeconds != 60 {
		t.Fatalf("attempts %+v %v", attempts, err)
	}
	if _, err := s.FinishWidgetRequest(ctx, r.ID, dialer.RequestCancelled, ""); !errors.Is(err, dialer.ErrConflict) {
		t.Fatalf("cancel connected: %v", err)
	}
	if _, err := s.FinishWidgetRequest(ctx, 999, dialer.RequestCancelled, ""); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
}

func TestWidgetRequestListAndRefusals(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	b := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Blog", "https://blog.example")))
	for i, n := range []string{"+4930001", "+4930002", "+4930003"} {
		must[dialer.WidgetRequest](t)(first(s.CreateWidgetRequest(ctx, newRequest(a.ID, n, reqT0.Add(time.Duration(i)*time.Hour)))))
	}
	other := newRequest(b.ID, "+4930004", reqT0)
	other.Params = map[string]string{"city": "Bremen"}
	must[dialer.WidgetRequest](t)(first(s.CreateWidgetRequest(ctx, other)))
	refused := dialer.WidgetRequest{WidgetID: a.ID, Source: "widget", CreatedAt: reqT0, Status: dialer.RequestRefused,
		Reason: dialer.RefusedCountry, Field: "lc_number", Message: "not called", Numbers: []string{"+4930001"}}
	must[dialer.WidgetRequest](t)(first(s.CreateWidgetRequest(ctx, refused)))

	// A flood of rate-limited refusals, from any addresses, is one row
	// per widget and minute; the row keeps the first one's details.
	flood := dialer.WidgetRequest{WidgetID: a.ID, Source: "widget", CreatedAt: reqT0, IP: "192.0.2.1", Field: "widget_key", Message: "too many"}
	must[struct{}](t)(struct{}{}, s.RefuseRateLimited(ctx, flood, 5))
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Go(func() {
			f := flood
			f.IP = fmt.Sprintf("198.51.100.%d", i)
			if err := s.RefuseRateLimited(ctx, f, 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.RefuseRateLimited(ctx, flood, 0); err == nil {
		t.Fatal("a count of 0 recorded")
	}
	flood.CreatedAt = reqT0.Add(time.Minute)
	must[struct{}](t)(struct{}{}, s.RefuseRateLimited(ctx, flood, 1))

	for _, tc := range []struct {
		name string
		f    dialer.WidgetRequestFilter
		want []string // first numbers, newest first
	}{
		{"all of a", dialer.WidgetRequestFilter{Widget: a.ID}, []string{"", "", "+4930001", "+4930003", "+4930002", "+4930001"}},
		{"refused", dialer.WidgetRequestFilter{Status: "refused"}, []string{"", "", "+4930001"}},
		{"by number", dialer.WidgetRequestFilter{Q: "30002"}, []string{"+4930002"}},
		{"by parameter", dialer.WidgetRequestFilter{Q: "brem"}, []string{"+4930004"}},
		{"a percent is literal", dialer.WidgetRequestFilter{Q: "%"}, nil},
		{"from to", dialer.WidgetRequestFilter{Widget: a.ID, From: reqT0.Add(time.Hour), To: reqT0.Add(2 * time.Hour)}, []string{"+4930002"}},
		{"page", dialer.WidgetRequestFilter{Widget: a.ID, Limit: 2, Before: 3}, []string{"+4930002", "+4930001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := must[[]dialer.WidgetRequest](t)(s.ListWidgetRequests(ctx, tc.f))
			var firsts []string
			for _, r := range got {
				f := ""
				if len(r.Numbers) > 0 {
					f = r.Numbers[0]
				}
				firsts = append(firsts, f)
			}
			if len(firsts) != len(tc.want) {
				t.Fatalf("got %v, want %v", firsts, tc.want)
			}
			for i := range firsts {
				if firsts[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", firsts, tc.want)
				}
			}
		})
	}
	rows := must[[]dialer.WidgetRequest](t)(s.ListWidgetRequests(ctx, dialer.WidgetRequestFilter{Status: "refused", Limit: 2}))
	if rows[0].Count != 1 || rows[1].Count != 20 || rows[1].Reason != "rate_limited" || rows[1].Field != "widget_key" {
		t.Fatalf("coalesced %+v", rows)
	}
	facts := must[[]dialer.RequestFact](t)(s.WidgetRequestFacts(ctx, a.ID, reqT0, reqT0.Add(time.Hour)))
	if len(facts) != 4 { // +4930001 scheduled, its refusal, two rate-limited rows
		t.Fatalf("facts %+v", facts)
	}
	counts := 0
	for _, f := range facts {
		counts += f.Count
	}
	if counts != 1+1+20+1 {
		t.Fatalf("facts stand for %d requests: %+v", counts, facts)
	}
}

func first[T any](v T, _ bool, err error) (T, error) { return v, err }

// A request the switch failed to place, and a refusal, are no repeat.
func TestWidgetRequestRepeatIgnoresUnrung(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	r := must[dialer.WidgetRequest](t)(first(s.CreateWidgetRequest(ctx, newRequest(w.ID, "+4930111", reqT0))))
	must[struct{}](t)(struct{}{}, s.StartWidgetAttempt(ctx, r.ID, 1, reqT0))
	must[dialer.WidgetRequest](t)(s.EndWidgetAttempt(ctx, r.ID, dialer.AttemptEnd{N: 1, At: reqT0, Result: dialer.SpeedFailed, Status: dialer.RequestMissed}))
	refused := newRequest(w.ID, "+4930222", reqT0)
	refused.Status, refused.Reason = dialer.RequestRefused, dialer.RefusedPremium
	must[dialer.WidgetRequest](t)(first(s.CreateWidgetRequest(ctx, refused)))
	for _, n := range []string{"+4930111", "+4930222"} {
		if _, _, err := s.CreateWidgetRequest(ctx, newRequest(w.ID, n, reqT0.Add(time.Minute))); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
}
