package sqlitestore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/hours"
)

func newWidget(name, site string) dialer.Widget {
	return dialer.Widget{Name: name, SiteURL: site, Active: true, Settings: dialer.DefaultWidgetSettings()}
}

func TestWidgetCRUD(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	b := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	if a.Key == b.Key || len(a.Key) < 20 || a.CampaignID == 0 || a.CampaignID == b.CampaignID {
		t.Fatalf("keys %q %q, campaigns %d %d", a.Key, b.Key, a.CampaignID, b.CampaignID)
	}
	c := must[dialer.Campaign](t)(s.Campaign(ctx, a.CampaignID))
	if !strings.Contains(c.Name, "Shop") {
		t.Fatalf("campaign %+v", c)
	}
	// A given campaign is used, not a new one.
	d := newWidget("Blog", "https://blog.example")
	d.CampaignID = a.CampaignID
	d = must[dialer.Widget](t)(s.CreateWidget(ctx, d))
	if d.CampaignID != a.CampaignID {
		t.Fatalf("campaign %d, want %d", d.CampaignID, a.CampaignID)
	}

	a.Settings.CallbackSeconds = 40
	a.Settings.Retry = dialer.WidgetRetry{Enabled: true, Intervals: []int{60, 300}, When: "visitor"}
	a.Active = false
	up := must[dialer.Widget](t)(s.UpdateWidget(ctx, a))
	if up.Key != a.Key || up.Active || up.Settings.CallbackSeconds != 40 || len(up.Settings.Retry.Intervals) != 2 {
		t.Fatalf("updated %+v", up)
	}
	if got := must[dialer.Widget](t)(s.WidgetByKey(ctx, a.Key)); got.ID != a.ID {
		t.Fatalf("by key %+v", got)
	}
	if l := must[[]dialer.Widget](t)(s.ListWidgets(ctx)); len(l) != 3 {
		t.Fatalf("list %+v", l)
	}
	// Nothing is written when the campaign does not exist.
	bad := newWidget("Bad", "https://bad.example")
	bad.CampaignID = 9999
	var fe *dialer.FieldError
	if _, err := s.CreateWidget(ctx, bad); !errors.As(err, &fe) || fe.Field != "campaign_id" {
		t.Fatalf("unknown campaign: %v", err)
	}
	bad.SiteURL = "ftp://x"
	if _, err := s.CreateWidget(ctx, bad); !errors.As(err, &fe) || fe.Field != "site_url" {
		t.Fatalf("bad site: %v", err)
	}
	if l := must[[]dialer.Widget](t)(s.ListWidgets(ctx)); len(l) != 3 {
		t.Fatalf("a refused widget was written: %d", len(l))
	}
	if err := s.DeleteWidget(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWidget(ctx, b.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("deleted widget: %v", err)
	}
}

func TestWidgetManagersAndVerification(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	ann := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	week := hours.Schedule{Week: hours.Week{"mon": {"09:00-17:00"}}, Exceptions: []hours.Exception{{Date: "2026-12-25"}}}
	seat := must[dialer.Manager](t)(s.CreateManager(ctx, dialer.Manager{WidgetID: w.ID, Name: "Ann", AgentID: ann.ID,
		TimeZone: "Europe/Berlin", Hours: week, Active: true, Rank: 5}))
	ext := must[dialer.Manager](t)(s.CreateManager(ctx, dialer.Manager{WidgetID: w.ID, Name: "Max", Phone: "+4930123456",
		TimeZone: "Europe/Berlin", Hours: week, Active: true, Position: 1}))
	if !seat.Callable() || ext.Callable() || ext.Hours.Week["mon"][0] != "09:00-17:00" || len(ext.Hours.Exceptions) != 1 {
		t.Fatalf("seat %+v ext %+v", seat, ext)
	}
	if _, err := s.CreateManager(ctx, dialer.Manager{WidgetID: w.ID, Name: "Ghost", AgentID: 999, TimeZone: "UTC", Active: true}); err == nil {
		t.Fatal("a manager with no such agent was stored")
	}
	if l := must[[]dialer.Manager](t)(s.ListManagers(ctx, w.ID)); len(l) != 2 || l[0].ID != seat.ID {
		t.Fatalf("managers %+v", l)
	}
	if got := must[dialer.Widget](t)(s.GetWidget(ctx, w.ID)); got.Managers != 2 {
		t.Fatalf("count %d", got.Managers)
	}

	var fe *dialer.FieldError
	if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, "123456", t0); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("no code sent: %v", err)
	}
	code, stored := dialer.NewVerifyCode()
	if err := s.SetManagerCode(ctx, w.ID, ext.ID, stored, t0.Add(dialer.VerifyCodeTTL)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetManagerCode(ctx, w.ID, seat.ID, stored, t0.Add(time.Minute)); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("a code for an agent seat: %v", err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, wrong, t0); !errors.As(err, &fe) || fe.Reason != "wrong code" {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, code, t0.Add(dialer.VerifyCodeTTL)); !errors.As(err, &fe) || !strings.Contains(fe.Reason, "expired") {
		t.Fatalf("expired code: %v", err)
	}
	ok := must[dialer.Manager](t)(s.ConfirmManagerCode(ctx, w.ID, ext.ID, code, t0.Add(time.Minute)))
	if !ok.Callable() || ok.VerifiedAt.IsZero() {
		t.Fatalf("verified %+v", ok)
	}
	// The code is spent.
	if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, code, t0.Add(time.Minute)); err == nil {
		t.Fatal("a code was used twice")
	}
	// Other edits keep the verification; a new number clears it.
	ok.Rank = 9
	if up := must[dialer.Manager](t)(s.UpdateManager(ctx, ok)); up.VerifiedAt.IsZero() || up.Rank != 9 {
		t.Fatalf("rank edit %+v", up)
	}
	ok.Phone = "+4930999999"
	if up := must[dialer.Manager](t)(s.UpdateManager(ctx, ok)); !up.VerifiedAt.IsZero() {
		t.Fatalf("new number still verified: %+v", up)
	}

	// Attempts are limited: the right code is refused after too many wrong ones.
	code, stored = dialer.NewVerifyCode()
	must[struct{}](t)(struct{}{}, s.SetManagerCode(ctx, w.ID, ext.ID, stored, t0.Add(dialer.VerifyCodeTTL)))
	// A second code right after the first is refused; the first stays.
	_, again := dialer.NewVerifyCode()
	if err := s.SetManagerCode(ctx, w.ID, ext.ID, again, t0.Add(dialer.VerifyCodeTTL+10*time.Second)); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("a code resent after 10 s: %v", err)
	}
	wrong = "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range dialer.VerifyCodeAttempts {
		if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, wrong, t0); err == nil {
			t.Fatal("wrong code accepted")
		}
	}
	if _, err := s.ConfirmManagerCode(ctx, w.ID, ext.ID, code, t0); !errors.As(err, &fe) || !strings.Contains(fe.Reason, "too many") {
		t.Fatalf("after %d wrong codes: %v", dialer.VerifyCodeAttempts, err)
	}

	// A new code, once the resend gap has passed, starts the attempts over.
	code, stored = dialer.NewVerifyCode()
	later := t0.Add(dialer.VerifyCodeResend)
	must[struct{}](t)(struct{}{}, s.SetManagerCode(ctx, w.ID, ext.ID, stored, later.Add(dialer.VerifyCodeTTL)))
	if m := must[dialer.Manager](t)(s.ConfirmManagerCode(ctx, w.ID, ext.ID, code, later)); m.VerifiedAt.IsZero() {
		t.Fatalf("not verified with a new code: %+v", m)
	}

	if err := s.DeleteManager(ctx, w.ID, seat.ID); err != nil {
		t.Fatal(err)
	}
	// Deleting the widget takes its managers.
	must[struct{}](t)(struct{}{}, s.DeleteWidget(ctx, w.ID))
	if _, err := s.GetManager(ctx, w.ID, ext.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("manager of a deleted widget: %v", err)
	}
}

func TestWidgetAPIKeys(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Shop", "https://shop.example")))
	other := must[dialer.Widget](t)(s.CreateWidget(ctx, newWidget("Blog", "https://blog.example")))
	k, secret, err := s.CreateWidgetAPIKey(ctx, w.ID, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, k.Prefix) || k.WidgetID != w.ID {
		t.Fatalf("key %+v secret %q", k, secret)
	}
	assertNotInFiles(t, s, secret)
	got := must[dialer.WidgetAPIKey](t)(s.VerifyWidgetAPIKey(ctx, secret, t0))
	if got.ID != k.ID || got.LastUsedAt.IsZero() {
		t.Fatalf("verified %+v", got)
	}
	if _, err := s.VerifyWidgetAPIKey(ctx, secret[:len(secret)-1]+"x", t0); err == nil {
		t.Fatal("a wrong secret verified")
	}
	if err := s.RevokeWidgetAPIKey(ctx, other.ID, k.ID, t0); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("revoked through another widget: %v", err)
	}
	must[struct{}](t)(struct{}{}, s.RevokeWidgetAPIKey(ctx, w.ID, k.ID, t0))
	if _, err := s.VerifyWidgetAPIKey(ctx, secret, t0); err == nil {
		t.Fatal("a revoked key verified")
	}
	if l := must[[]dialer.WidgetAPIKey](t)(s.ListWidgetAPIKeys(ctx, w.ID)); len(l) != 1 || l[0].RevokedAt.IsZero() {
		t.Fatalf("list %+v", l)
	}
	if _, _, err := s.CreateWidgetAPIKey(ctx, 999, "x"); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("key for no widget: %v", err)
	}
}
