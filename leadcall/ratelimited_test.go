package leadcall

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// A flood of rate-limited requests is counted in memory and written as
// one row per widget and minute at the next flush; keys of no widget
// are dropped.
func TestRateLimitedCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{When: "both", Intervals: []int{}})
		for i := range 50 {
			e.svc.RateLimited(w.Key, dialer.WidgetRequest{Source: "api", CreatedAt: time.Now(), IP: fmt.Sprintf("10.0.0.%d", i),
				Numbers: []string{"+12025550143"}})
		}
		e.svc.RateLimited("wk_nosuchwidget", dialer.WidgetRequest{Source: "api"})
		e.svc.RateLimited("", dialer.WidgetRequest{Source: "api"})
		list := func() []dialer.WidgetRequest {
			rs, err := e.st.ListWidgetRequests(context.Background(), dialer.WidgetRequestFilter{Status: "refused", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		if rs := list(); len(rs) != 0 {
			t.Fatalf("written before the flush: %+v", rs)
		}
		time.Sleep(rateFlushEvery)
		synctest.Wait()
		rs := list()
		if len(rs) != 1 || rs[0].Count != 50 || rs[0].WidgetID != w.ID || rs[0].Reason != dialer.RefusedRateLimited ||
			rs[0].Field != "widget_key" || rs[0].Numbers[0] != "+12025550143" {
			t.Fatalf("coalesced %+v", rs)
		}
		// The same minute adds to the row; the next minute is a new one.
		e.svc.RateLimited(w.Key, dialer.WidgetRequest{Source: "api"})
		time.Sleep(rateFlushEvery)
		synctest.Wait()
		if rs := list(); len(rs) != 1 || rs[0].Count != 51 {
			t.Fatalf("same minute %+v", rs)
		}
		time.Sleep(time.Minute)
		e.svc.RateLimited(w.Key, dialer.WidgetRequest{Source: "api"})
		// Stopping flushes what is counted.
		e.svc.Stop()
		if rs := list(); len(rs) != 2 || rs[0].Count != 1 {
			t.Fatalf("next minute %+v", rs)
		}
	})
}

// A widget switched off after a request was scheduled rings nobody:
// the request is cancelled when due.
func TestInactiveWidgetCancelsScheduled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		w := e.widget(allWeek, dialer.WidgetRetry{When: "both", Intervals: []int{}})
		sub := e.submit(w, time.Now().Add(time.Hour), "+12025550143")
		w.Active = false
		if _, err := e.st.UpdateWidget(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := e.eng.count(); n != 0 {
			t.Fatalf("%d calls for an inactive widget", n)
		}
		if r, _ := e.get(sub.Request.ID); r.Status != dialer.RequestCancelled || r.Reason != dialer.ReasonWidgetInactive {
			t.Fatalf("request %+v", r)
		}
	})
}
