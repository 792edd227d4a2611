package sqlitestore

import (
	"errors"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// TestTeamCRUD: a team with supervisors and members; deleting it leaves
// the agents teamless and a deleted supervisor drops out.
func TestTeamCRUD(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	lead := must[identity.User](t)(s.CreateUser(ctx, identity.User{Username: "lead", Role: identity.RoleSupervisor}, "a-long-password"))
	team := must[dialer.Team](t)(s.CreateTeam(ctx, dialer.Team{Name: "Closers", Supervisors: []identity.UserID{lead.ID, lead.ID}}))
	if team.ID == 0 || !slices.Equal(team.Supervisors, []identity.UserID{lead.ID}) || team.Members != 0 || !team.CreatedAt.Equal(t0) {
		t.Fatalf("created %+v", team)
	}
	a := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "r", Mode: dialer.ModeRing, Team: team.ID}, "sip-secret-1"))
	if a.Team != team.ID || a.TeamName != "Closers" {
		t.Fatalf("agent team %d %q", a.Team, a.TeamName)
	}
	b := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Bob", Extension: "1002", Realm: "r", Mode: dialer.ModeRing}, "sip-secret-2"))
	b.Team = team.ID
	b = must[dialer.Agent](t)(s.UpdateAgent(ctx, b, ""))
	if b.TeamName != "Closers" {
		t.Fatalf("joined %+v", b)
	}
	if got := must[dialer.Team](t)(s.Team(ctx, team.ID)); got.Members != 2 {
		t.Fatalf("members %d", got.Members)
	}

	team.Name, team.Supervisors = "Top closers", nil
	team = must[dialer.Team](t)(s.UpdateTeam(ctx, team))
	if team.Name != "Top closers" || len(team.Supervisors) != 0 {
		t.Fatalf("updated %+v", team)
	}
	if got := must[dialer.Agent](t)(s.AgentByExtension(ctx, "1001")); got.TeamName != "Top closers" {
		t.Fatalf("agent sees %q", got.TeamName)
	}
	second := must[dialer.Team](t)(s.CreateTeam(ctx, dialer.Team{Name: "Alpha", Supervisors: []identity.UserID{lead.ID}}))
	l := must[[]dialer.Team](t)(s.ListTeams(ctx))
	if len(l) != 2 || l[0].ID != second.ID || l[1].Members != 2 {
		t.Fatalf("listed %+v", l)
	}
	if err := s.DeleteUser(ctx, lead.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[dialer.Team](t)(s.Team(ctx, second.ID)); len(got.Supervisors) != 0 {
		t.Fatalf("a deleted user still leads: %+v", got)
	}

	if err := s.DeleteTeam(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"1001", "1002"} {
		if got := must[dialer.Agent](t)(s.AgentByExtension(ctx, ext)); got.Team != 0 || got.TeamName != "" {
			t.Fatalf("%s kept team %d %q", ext, got.Team, got.TeamName)
		}
	}
	if _, err := s.Team(ctx, team.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("deleted team: %v", err)
	}
	if err := s.DeleteTeam(ctx, team.ID); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}

func TestTeamRefusals(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	must[dialer.Team](t)(s.CreateTeam(ctx, dialer.Team{Name: "Closers"}))
	for _, c := range []struct {
		name string
		team dialer.Team
		want error
	}{
		{"empty name", dialer.Team{Name: ""}, &dialer.FieldError{Field: "name"}},
		{"same name in another case", dialer.Team{Name: "closers"}, dialer.ErrConflict},
		{"bad supervisor id", dialer.Team{Name: "B", Supervisors: []identity.UserID{-1}}, &dialer.FieldError{Field: "supervisors"}},
		{"unknown supervisor", dialer.Team{Name: "C", Supervisors: []identity.UserID{999}}, dialer.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateTeam(ctx, c.team)
			var fe, want *dialer.FieldError
			if errors.As(c.want, &want) {
				if !errors.As(err, &fe) || fe.Field != want.Field {
					t.Fatalf("err %v, want field %s", err, want.Field)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	if _, err := s.UpdateTeam(ctx, dialer.Team{ID: 999, Name: "Gone"}); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if l := must[[]dialer.Team](t)(s.ListTeams(ctx)); len(l) != 1 {
		t.Fatalf("refusals wrote teams: %+v", l)
	}
	// An agent cannot name a team that does not exist.
	if _, err := s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "r", Mode: dialer.ModeRing, Team: 999}, "sip-secret-1"); !errors.Is(err, dialer.ErrInvalid) {
		t.Fatalf("agent in a missing team: %v", err)
	}
}

// TestDispositionUpdateDelete: custom codes change and go; a system code
// keeps what it does and stays; a code calls were given stays.
func TestDispositionUpdateDelete(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	d := must[dialer.Disposition](t)(s.CreateDisposition(ctx, dialer.Disposition{Code: "HOT", Label: "Hot", Selectable: true}))
	d.Label, d.Final, d.Sort = "Very hot", true, 7
	d = must[dialer.Disposition](t)(s.UpdateDisposition(ctx, d))
	if d.Label != "Very hot" || !d.Final || d.Sort != 7 {
		t.Fatalf("updated %+v", d)
	}
	sale := must[dialer.Disposition](t)(s.Disposition(ctx, "SALE"))
	sale.Label, sale.Selectable = "Sold", false
	if got := must[dialer.Disposition](t)(s.UpdateDisposition(ctx, sale)); got.Label != "Sold" || got.Selectable || !got.System {
		t.Fatalf("system code relabelled %+v", got)
	}
	sale.Final = false
	var fe *dialer.FieldError
	if _, err := s.UpdateDisposition(ctx, sale); !errors.As(err, &fe) || fe.Field != "final" {
		t.Fatalf("system flag changed: %v", err)
	}
	if err := s.DeleteDisposition(ctx, "SALE"); !errors.Is(err, dialer.ErrConflict) {
		t.Fatalf("delete system code: %v", err)
	}
	if _, err := s.UpdateDisposition(ctx, dialer.Disposition{Code: "NOPE", Label: "Nope"}); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if err := s.DeleteDisposition(ctx, "HOT"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDisposition(ctx, "HOT"); !errors.Is(err, dialer.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}
