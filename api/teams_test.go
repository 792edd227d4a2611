package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

func (e *testEnv) addTeam(n int) dialer.Team {
	e.t.Helper()
	return must[dialer.Team](e.t)(e.store.CreateTeam(e.t.Context(), dialer.Team{Name: fmt.Sprintf("Team %d", n)}))
}

func (e *testEnv) addDisposition(n int) dialer.Disposition {
	e.t.Helper()
	return must[dialer.Disposition](e.t)(e.store.CreateDisposition(e.t.Context(),
		dialer.Disposition{Code: fmt.Sprintf("D%d", n), Label: fmt.Sprintf("Code %d", n), Selectable: true}))
}

// refusal is a request that must be refused, naming field; it writes
// nothing.
type refusal struct {
	method, path, body string
	code               int
	field              string
}

func wantRefusals(t *testing.T, e *testEnv, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			before := e.fingerprint()
			rec := e.do(e.admin, c.method, c.path, c.body)
			wantStatus(t, rec, c.code, c.field)
			if e.fingerprint() != before {
				t.Fatal("refused, yet the database changed")
			}
			if c.method == "DELETE" && c.code == http.StatusConflict && !strings.Contains(errorOf(t, rec).Message, "instead") {
				t.Fatalf("the refusal does not say what to do: %s", rec.Body)
			}
		})
	}
}

func (e *testEnv) seat(id dialer.AgentID) dialer.Agent {
	e.t.Helper()
	return must[dialer.Agent](e.t)(e.store.Agent(e.t.Context(), id))
}

// A team is made, agents join it, a rename reaches their live views, and
// deleting it leaves them teamless; every change is audited.
func TestTeams(t *testing.T) {
	e := newEnv(t)
	sup := e.users["sup"].ID
	rec := e.do(e.admin, "POST", "/api/v1/teams", fmt.Sprintf(`{"name":"Closers","supervisors":[%d]}`, sup))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	team := decodeBody[dialer.Team](t, rec)
	if team.Name != "Closers" || !slices.Equal(team.Supervisors, []identity.UserID{sup}) || team.Members != 0 {
		t.Fatalf("created %+v", team)
	}
	for _, id := range []int{1, 2} {
		if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/agents/%d", id), fmt.Sprintf(`{"team_id":%d}`, team.ID)); rec.Code != http.StatusOK {
			t.Fatalf("join: %d %s", rec.Code, rec.Body)
		}
	}
	if a := e.seat(1); a.Team != team.ID || a.TeamName != "Closers" {
		t.Fatalf("agent 1 team %d %q", a.Team, a.TeamName)
	}
	l := decodeBody[struct{ Teams []dialer.Team }](t, e.do(e.sup, "GET", "/api/v1/teams", ""))
	if len(l.Teams) != 1 || l.Teams[0].Members != 2 {
		t.Fatalf("supervisor lists %+v", l.Teams)
	}
	dir := decodeBody[struct{ Agents []colleague }](t, e.do(e.agent1, "GET", "/api/v1/directory", ""))
	if len(dir.Agents) != 2 || dir.Agents[0].Team == nil || *dir.Agents[0].Team != (dialer.TeamRef{ID: team.ID, Name: "Closers"}) {
		t.Fatalf("the directory's agents %+v", dir.Agents)
	}
	seats := decodeBody[struct{ Agents []dialer.Agent }](t, e.do(e.sup, "GET", "/api/v1/seats", ""))
	if len(seats.Agents) != 2 || seats.Agents[1].TeamName != "Closers" {
		t.Fatalf("seats %+v", seats.Agents)
	}

	e.eng.reset()
	rec = e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/teams/%d", team.ID), `{"name":"Top closers","supervisors":[]}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("rename: %d %s", rec.Code, rec.Body)
	}
	if got := decodeBody[dialer.Team](t, rec); got.Name != "Top closers" || len(got.Supervisors) != 0 {
		t.Fatalf("renamed %+v", got)
	}
	changed := e.eng.called("AgentChanged")
	if len(changed) != 2 || changed[0].Arg.(dialer.Agent).TeamName != "Top closers" {
		t.Fatalf("the engine was told %+v", changed)
	}

	e.eng.reset()
	if rec := e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/teams/%d", team.ID), ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if a := e.seat(2); a.Team != 0 || a.TeamName != "" {
		t.Fatalf("agent 2 kept team %d %q", a.Team, a.TeamName)
	}
	if n := len(e.eng.called("AgentChanged")); n != 2 {
		t.Fatalf("the engine was told of %d agents, want 2", n)
	}
	wantStatus(t, e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/teams/%d", team.ID), ""), http.StatusNotFound, "")
	want := []string{"team.create", "agent.update", "agent.update", "team.update", "team.delete"}
	if got := changeAudit(e); !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
}

// Bad input names the field; nothing is written.
func TestTeamRefusals(t *testing.T) {
	e := newEnv(t)
	taken := e.addTeam(1)
	other := e.addTeam(2)
	wantRefusals(t, e, []refusal{
		{"POST", "/api/v1/teams", `{}`, 400, "name"},
		{"POST", "/api/v1/teams", `{"name":""}`, 400, "name"},
		{"POST", "/api/v1/teams", `{"name":"team 1"}`, 409, "name"},
		{"POST", "/api/v1/teams", `{"name":"New","supervisors":[0]}`, 400, "supervisors"},
		{"POST", "/api/v1/teams", `{"name":"New","supervisors":[999]}`, 400, "supervisors"},
		{"POST", "/api/v1/teams", fmt.Sprintf(`{"name":"New","supervisors":[%d]}`, e.users["ann"].ID), 400, "supervisors"},
		{"POST", "/api/v1/teams", `{"name":"New","lead":1}`, 400, "lead"},
		{"PATCH", fmt.Sprintf("/api/v1/teams/%d", other.ID), fmt.Sprintf(`{"name":%q}`, taken.Name), 409, "name"},
		{"PATCH", "/api/v1/teams/999", `{"name":"Gone"}`, 404, ""},
		{"PATCH", "/api/v1/teams/x", `{"name":"Gone"}`, 400, "id"},
		{"DELETE", "/api/v1/teams/999", ``, 404, ""},
	})
}

// An admin edits every field of a seat; links to what does not exist or
// is taken are refused on their field.
func TestAgentSeatEdit(t *testing.T) {
	e := newEnv(t)
	team := e.addTeam(1)
	carl := must[identity.User](t)(e.store.CreateUser(t.Context(), identity.User{Username: "carl", Role: identity.RoleAgent}, testPassword))
	rec := e.do(e.admin, "POST", "/api/v1/agents", fmt.Sprintf(`{"name":"Carl","extension":"1003","sip_password":"sip-pass-3",
		"user_id":%d,"team_id":%d,"skills":["es"],"campaigns":[%d]}`, carl.ID, team.ID, e.campaign.ID))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	a := decodeBody[dialer.Agent](t, rec)
	if a.Team != team.ID || a.TeamName != team.Name || a.User != carl.ID {
		t.Fatalf("created %+v", a)
	}
	path := fmt.Sprintf("/api/v1/agents/%d", a.ID)
	hash := e.seat(a.ID).SIPA1Hash
	rec = e.do(e.admin, "PATCH", path, `{"skills":["en","sales"],"campaigns":[],"user_id":0,"team_id":0,"name":"Carl B"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	got := e.seat(a.ID)
	if !slices.Equal(got.Skills, []string{"en", "sales"}) || len(got.Campaigns) != 0 || got.User != 0 || got.Team != 0 || got.Name != "Carl B" {
		t.Fatalf("patched %+v", got)
	}
	if got.SIPA1Hash != hash {
		t.Fatal("the SIP password changed though none was given")
	}
	rec = e.do(e.admin, "PATCH", path, `{"sip_password":"new-sip-pass"}`)
	if rec.Code != http.StatusOK || e.seat(a.ID).SIPA1Hash != dialer.SIPA1("1003", "agentswitch", "new-sip-pass") {
		t.Fatalf("new SIP password: %d %s", rec.Code, rec.Body)
	}

	if msg := errorOf(t, e.do(e.admin, "PATCH", path, `{"extension":"1002","sip_password":"sip-pass-9"}`)).Message; msg != "the extension is taken by Bob" {
		t.Fatalf("taken extension: %q", msg)
	}
	wantRefusals(t, e, []refusal{
		{"POST", "/api/v1/agents", `{"name":"Dup","extension":"1001","sip_password":"sip-pass-9"}`, 409, "extension"},
		{"POST", "/api/v1/agents", `{"name":"T","extension":"1009","sip_password":"sip-pass-9","team_id":999}`, 400, "team_id"},
		{"POST", "/api/v1/agents", fmt.Sprintf(`{"name":"U","extension":"1009","sip_password":"sip-pass-9","user_id":%d}`, e.users["ann"].ID), 409, "user_id"},
		{"POST", "/api/v1/agents", `{"name":"P","extension":"1009","sip_password":"short"}`, 400, "sip_password"},
		{"PATCH", path, `{"team_id":999}`, 400, "team_id"},
		{"PATCH", path, `{"team_id":-1}`, 400, "team_id"},
		{"PATCH", path, `{"user_id":999}`, 400, "user_id"},
		{"PATCH", path, fmt.Sprintf(`{"user_id":%d}`, e.users["bob"].ID), 409, "user_id"},
		{"PATCH", path, `{"campaigns":[999]}`, 400, "campaigns"},
		{"PATCH", path, `{"skills":["Bad Skill"]}`, 400, "skills"},
		{"PATCH", path, `{"extension":"1002","sip_password":"sip-pass-9"}`, 409, "extension"},
		{"PATCH", path, `{"sip_password":"short"}`, 400, "sip_password"},
		{"PATCH", "/api/v1/agents/999", `{"name":"Nobody"}`, 404, ""},
	})
}

// Custom codes are edited and deleted; system codes keep what they do
// and stay; a code calls were given stays.
func TestDispositionEdit(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/dispositions", `{"code":"HOT","label":"Hot lead","sort":5}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.admin, "PATCH", "/api/v1/dispositions/HOT", `{"label":"Very hot","final":true,"selectable":false}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if d := decodeBody[dialer.Disposition](t, rec); d.Label != "Very hot" || !d.Final || d.Selectable || d.Sort != 5 {
		t.Fatalf("patched %+v", d)
	}
	rec = e.do(e.admin, "PATCH", "/api/v1/dispositions/SALE", `{"label":"Sold","sort":1}`)
	if d := decodeBody[dialer.Disposition](t, rec); rec.Code != http.StatusOK || d.Label != "Sold" || !d.System || !d.Final {
		t.Fatalf("system code relabelled: %d %+v", rec.Code, d)
	}
	if rec := e.do(e.admin, "DELETE", "/api/v1/dispositions/HOT", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	used := e.addDisposition(1)
	must[dialer.Call](t)(e.store.DisposeCall(t.Context(), dialer.Disposal{Call: e.rec1, Code: used.Code, Agent: 1, At: t0}))

	wantRefusals(t, e, []refusal{
		{"POST", "/api/v1/dispositions", `{"code":"SALE","label":"Again"}`, 409, "code"},
		{"POST", "/api/v1/dispositions", `{"code":"X","label":"X","schedules_callback":true,"final":true}`, 400, "final"},
		{"PATCH", "/api/v1/dispositions/SALE", `{"final":false}`, 400, "final"},
		{"PATCH", "/api/v1/dispositions/DNC", `{"marks_dnc":false}`, 400, "marks_dnc"},
		{"PATCH", "/api/v1/dispositions/CALLBK", `{"schedules_callback":false}`, 400, "schedules_callback"},
		{"PATCH", "/api/v1/dispositions/" + used.Code, `{"label":""}`, 400, "label"},
		{"PATCH", "/api/v1/dispositions/" + used.Code, `{"code":"OTHER"}`, 400, "code"},
		{"PATCH", "/api/v1/dispositions/" + used.Code, `{"schedules_callback":true,"marks_dnc":true}`, 400, "marks_dnc"},
		{"PATCH", "/api/v1/dispositions/NOPE", `{"label":"Nope"}`, 404, ""},
		{"DELETE", "/api/v1/dispositions/SALE", ``, 409, ""},
		{"DELETE", "/api/v1/dispositions/" + used.Code, ``, 409, ""},
		{"DELETE", "/api/v1/dispositions/NOPE", ``, 404, ""},
	})
	want := []string{"disposition.create", "disposition.update", "disposition.update", "disposition.delete"}
	if got := changeAudit(e); !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
}
