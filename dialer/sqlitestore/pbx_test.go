package sqlitestore

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

func TestGateways(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	g := must[dialer.Gateway](t)(s.CreateGateway(ctx, dialer.Gateway{
		Name: "carrier-a", Proxy: "sip.carrier.example:5060", Username: "acct1", Password: "p@ss word!",
		Register: true, Enabled: true,
	}))
	if g.ID == 0 || g.Transport != "udp" || g.ExpireSeconds != 600 || !g.CreatedAt.Equal(t0) || g.Password != "p@ss word!" {
		t.Fatalf("created %+v", g)
	}
	if got := must[dialer.Gateway](t)(s.GatewayByName(ctx, "carrier-a")); got != g {
		t.Fatalf("by name %+v", got)
	}
	if got := must[dialer.Gateway](t)(s.Gateway(ctx, g.ID)); got != g {
		t.Fatalf("by id %+v", got)
	}

	_, err := s.CreateGateway(ctx, dialer.Gateway{Name: "carrier-a", Proxy: "10.0.0.1"})
	wantErr(t, err, dialer.ErrConflict)
	for field, bad := range map[string]dialer.Gateway{
		"name":           {Name: "Bad Name", Proxy: "h"},
		"proxy":          {Name: "x", Proxy: "h:0"},
		"register":       {Name: "x", Proxy: "h", Register: true},
		"transport":      {Name: "x", Proxy: "h", Transport: "sctp"},
		"username":       {Name: "x", Proxy: "h", Username: "a@b"},
		"password":       {Name: "x", Proxy: "h", Password: "line\nbreak"},
		"expire_seconds": {Name: "x", Proxy: "h", ExpireSeconds: 5},
		"ping_seconds":   {Name: "x", Proxy: "h", PingSeconds: -1},
		"from_domain":    {Name: "x", Proxy: "h", FromDomain: "a b"},
	} {
		_, err := s.CreateGateway(ctx, bad)
		wantField(t, err, field)
	}

	// An empty password keeps the stored one.
	g.Proxy, g.Password, g.PingSeconds = "10.0.0.2:5080", "", 30
	up := must[dialer.Gateway](t)(s.UpdateGateway(ctx, g))
	if up.Proxy != "10.0.0.2:5080" || up.Password != "p@ss word!" || up.PingSeconds != 30 {
		t.Fatalf("updated %+v", up)
	}
	_, err = s.UpdateGateway(ctx, dialer.Gateway{ID: 999, Name: "y", Proxy: "h"})
	wantErr(t, err, dialer.ErrNotFound)

	must[dialer.Gateway](t)(s.CreateGateway(ctx, dialer.Gateway{Name: "b-trunk", Proxy: "192.0.2.7"}))
	l := must[[]dialer.Gateway](t)(s.ListGateways(ctx))
	if len(l) != 2 || l[0].Name != "b-trunk" || l[1].Name != "carrier-a" {
		t.Fatalf("list %+v", l)
	}
	if err := s.DeleteGateway(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteGateway(ctx, g.ID), dialer.ErrNotFound)
	_, err = s.GatewayByName(ctx, "carrier-a")
	wantErr(t, err, dialer.ErrNotFound)
}

// A constraint the Go validation would also catch still holds in SQL.
func TestGatewayRegisterNeedsCredentialsInSQL(t *testing.T) {
	s := newStore(t)
	_, err := s.w.ExecContext(t.Context(), `INSERT INTO gateways (name, proxy, register, created_at, updated_at) VALUES ('x', 'h', 1, 0, 0)`)
	wantField(t, mapErr(err, "insert", false), "register")
}

// TestMigrateDIDPriority: 0016 gives every DID priority 0, keeps the rest
// of its row, and SQL holds the bounds too.
func TestMigrateDIDPriority(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "as.db"))
	if _, err := s.migrate(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO dids (number, name, enabled, created_at, updated_at)
		VALUES ('+12125550100', 'Main', 0, 10, 20)`); err != nil {
		t.Fatal(err)
	}
	applied, err := s.migrate(ctx, 16)
	if err != nil || !slices.Equal(applied, []string{"0016_did_priority.sql"}) {
		t.Fatalf("migrate to 0016: %v, %v", applied, err)
	}
	// The store reads the columns later migrations add.
	if _, err := s.migrate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	d := must[dialer.DID](t)(s.DID(ctx, "+12125550100"))
	if d.Priority != 0 || d.Name != "Main" || d.Enabled || d.CreatedAt.UnixMilli() != 10 || d.UpdatedAt.UnixMilli() != 20 {
		t.Fatalf("DID after the migration %+v", d)
	}
	// The CHECK's bounds are dialer.MaxCallerPriority's.
	for p, field := range map[int]string{
		dialer.MaxCallerPriority: "", -dialer.MaxCallerPriority: "",
		dialer.MaxCallerPriority + 1: "priority", -dialer.MaxCallerPriority - 1: "priority",
	} {
		_, err := s.w.ExecContext(ctx, `UPDATE dids SET priority = ? WHERE number = '+12125550100'`, p)
		if field == "" {
			if err != nil {
				t.Fatalf("priority %d refused: %v", p, err)
			}
			continue
		}
		wantField(t, mapErr(err, "update", false), field)
	}
}

// TestMigrateDIDSkills: 0017 gives every DID no skills ([]), keeps the rest
// of its row, and SQL holds the column to a JSON array of at most
// dialer.MaxMemberSkills.
func TestMigrateDIDSkills(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "as.db"))
	if _, err := s.migrate(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO dids (number, name, priority, enabled, created_at, updated_at)
		VALUES ('+12125550100', 'Main', 7, 1, 10, 20), ('+12125550101', '', 0, 0, 30, 40)`); err != nil {
		t.Fatal(err)
	}
	applied, err := s.migrate(ctx, 17)
	if err != nil || !slices.Equal(applied, []string{"0017_did_skills.sql"}) {
		t.Fatalf("migrate to 0017: %v, %v", applied, err)
	}
	l := must[[]dialer.DID](t)(s.ListDIDs(ctx))
	want := []dialer.DID{
		{Number: "+12125550100", Name: "Main", Priority: 7, Skills: []string{}, Enabled: true,
			CreatedAt: time.UnixMilli(10), UpdatedAt: time.UnixMilli(20)},
		{Number: "+12125550101", Skills: []string{}, CreatedAt: time.UnixMilli(30), UpdatedAt: time.UnixMilli(40)},
	}
	if len(l) != len(want) {
		t.Fatalf("DIDs after the migration %+v", l)
	}
	for i := range want {
		l[i].CreatedAt, l[i].UpdatedAt = l[i].CreatedAt.UTC(), l[i].UpdatedAt.UTC()
		want[i].CreatedAt, want[i].UpdatedAt = want[i].CreatedAt.UTC(), want[i].UpdatedAt.UTC()
		if !reflect.DeepEqual(l[i], want[i]) {
			t.Fatalf("DID after the migration %+v, want %+v", l[i], want[i])
		}
	}
	skills := func(n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("s%d", i)
		}
		return skillsJSON(out)
	}
	for _, tc := range []struct{ value, field string }{
		{`[]`, ""},
		{skills(dialer.MaxMemberSkills), ""},
		{skills(dialer.MaxMemberSkills + 1), "skills"},
		{`{"a":1}`, "skills"},
		{`"sales"`, "skills"},
		{`[`, "skills"},
	} {
		_, err := s.w.ExecContext(ctx, `UPDATE dids SET skills = ? WHERE number = '+12125550100'`, tc.value)
		if tc.field == "" {
			if err != nil {
				t.Fatalf("skills %s refused: %v", tc.value, err)
			}
			continue
		}
		wantField(t, mapErr(err, "update", false), tc.field)
	}
}

func TestDIDs(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	c := must[dialer.Campaign](t)(s.CreateCampaign(ctx, dialer.Campaign{Name: "INBOUND", DialMode: dialer.DialPreview, MaxAttempts: 1}))
	sales := must[dialer.Queue](t)(s.CreateQueue(ctx, newQueue("sales")))
	d := must[dialer.DID](t)(s.CreateDID(ctx, dialer.DID{Number: "+15551230000", Name: "Sales line", Queue: "sales", Campaign: c.ID,
		Priority: 40, Skills: []string{"spanish", "billing"}, Enabled: true}))
	if d.Number != "+15551230000" || d.Queue != "sales" || d.QueueID != sales.ID || d.Campaign != c.ID || d.Priority != 40 ||
		!slices.Equal(d.Skills, []string{"spanish", "billing"}) || !d.Enabled || !d.CreatedAt.Equal(t0) {
		t.Fatalf("created %+v", d)
	}
	if got := must[dialer.DID](t)(s.DID(ctx, "+15551230000")); !reflect.DeepEqual(got, d) {
		t.Fatalf("read %+v", got)
	}
	_, err := s.CreateDID(ctx, dialer.DID{Number: "+15551230000"})
	wantErr(t, err, dialer.ErrConflict)
	for field, bad := range map[string]dialer.DID{
		"number":    {Number: "15551230000"},
		"queue":     {Number: "+15551230001", Queue: "Sales Team"},
		"priority":  {Number: "+15551230001", Priority: 101},
		"skills[1]": {Number: "+15551230001", Skills: []string{"sales", "Sales"}},
	} {
		_, err := s.CreateDID(ctx, bad)
		wantField(t, err, field)
	}
	// The queue must exist, on create and on update; nothing is written.
	_, err = s.CreateDID(ctx, dialer.DID{Number: "+15551230001", Queue: "support"})
	wantField(t, err, "queue")
	_, err = s.DID(ctx, "+15551230001")
	wantErr(t, err, dialer.ErrNotFound)
	bad := d
	bad.Queue = "support"
	_, err = s.UpdateDID(ctx, bad)
	wantField(t, err, "queue")
	if got := must[dialer.DID](t)(s.DID(ctx, d.Number)); !reflect.DeepEqual(got, d) {
		t.Fatalf("after a refused update %+v", got)
	}
	_, err = s.CreateDID(ctx, dialer.DID{Number: "+15551230002", Campaign: 999})
	wantErr(t, err, dialer.ErrInvalid)

	bad = d
	bad.Priority = -101
	_, err = s.UpdateDID(ctx, bad)
	wantField(t, err, "priority")
	bad = d
	bad.Skills = []string{"a", "a"}
	_, err = s.UpdateDID(ctx, bad)
	wantField(t, err, "skills[1]")

	d.Queue, d.Priority, d.Skills, d.Enabled = "", -100, nil, false
	up := must[dialer.DID](t)(s.UpdateDID(ctx, d))
	if up.Queue != "" || up.QueueID != 0 || up.Priority != -100 || up.Skills == nil || len(up.Skills) != 0 || up.Enabled {
		t.Fatalf("updated %+v", up)
	}
	_, err = s.UpdateDID(ctx, dialer.DID{Number: "+15550000000"})
	wantErr(t, err, dialer.ErrNotFound)

	// Deleting the campaign keeps the number, unassigned.
	if err := s.DeleteCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[dialer.DID](t)(s.DID(ctx, d.Number)); got.Campaign != 0 {
		t.Fatalf("after campaign delete %+v", got)
	}
	must[dialer.DID](t)(s.CreateDID(ctx, dialer.DID{Number: "+4930123456"}))
	l := must[[]dialer.DID](t)(s.ListDIDs(ctx))
	if len(l) != 2 || l[0].Number != "+15551230000" || l[0].Priority != -100 || l[1].Priority != 0 ||
		len(l[0].Skills) != 0 || l[1].Skills == nil || len(l[1].Skills) != 0 {
		t.Fatalf("list %+v", l)
	}
	if err := s.DeleteDID(ctx, "+4930123456"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteDID(ctx, "+4930123456"), dialer.ErrNotFound)
}
