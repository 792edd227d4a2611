package browser

import (
	"fmt"
	"testing"
)

// TestWidgetCallsDay: an admin works through a widget's Calls (every
// status, filters in the URL, paging, the detail by keyboard, a cancel
// refused then done, a live refresh that keeps the dialog and the scroll,
// the empty state) and its Dashboard (cards, chart, table, CSV, ranges).
// Screenshots go to artifacts/.
func TestWidgetCallsDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	w := adm.post(t, "/widgets", map[string]any{"name": "Solar shop", "site_url": "https://solar.example", "active": true})

	var res struct {
		Scroller       string `json:"scroller"`
		DashboardQuery string `json:"dashboardQuery"`
	}
	scenario(t, ctx, svc, "widget_calls_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
		fmt.Sprintf("AS_WIDGET_ID=%v", w["id"]), "AS_WIDGET_NAME=Solar shop",
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	if res.Scroller == "" || res.DashboardQuery == "" {
		t.Fatalf("result %+v", res)
	}
}
