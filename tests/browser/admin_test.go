package browser

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/internal/svctest"
)

// TestAdminDay: an admin signs in and provisions from the admin console
// alone: a user (a bad username refused on its field), a password reset
// with a generated password, a pause code an agent then sees. Each
// section's screenshot goes to artifacts/.
func TestAdminDay(t *testing.T) {
	ctx := tier(t)
	sw := startSim(t)
	svc := startService(t, sw.Addr())
	adm, keySecret := signedInAdmin(t, svc)
	seedPeople(t, adm)

	var res struct {
		User     float64 `json:"user"`
		Password string  `json:"password"`
		people
	}
	scenario(t, ctx, svc, "admin_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret,
	}, func(req map[string]string) (map[string]string, error) {
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)

	// The password the console showed once signs the user in.
	if res.User == 0 || res.Password == "" {
		t.Fatalf("result %+v", res)
	}
	nora := newClient(svc)
	nora.login(t, "nora", res.Password)
	if me := nora.get(t, "/me"); me["role"] != "supervisor" {
		t.Fatalf("nora signed in as %v", me["role"])
	}
	if got := adm.get(t, "/pause-codes"); !hasPauseCode(got, "QA_REVIEW") {
		t.Fatalf("pause codes %v", got)
	}
	checkPeople(t, svc, adm, res.people, int64(res.User))
}

func hasPauseCode(r map[string]any, code string) bool {
	l, _ := r["pause_codes"].([]any)
	for _, p := range l {
		if m, _ := p.(map[string]any); m["code"] == code && m["label"] == "Quality review" {
			return true
		}
	}
	return false
}

// people is what the console's people steps made.
type people struct {
	Team   int64  `json:"team"`
	Maria  int64  `json:"maria"`
	Agent  int64  `json:"agent"`
	Realm  string `json:"realm"`
	APIKey string `json:"apiKey"`
	// AskedTeamDelete: deleting a team with an agent asked first.
	AskedTeamDelete bool `json:"askedTeamDelete"`
}

type seatRecord struct {
	ID        int64
	Name      string
	Extension string
	Realm     string
	Mode      string
	Skills    []string
	Campaigns []int64
	UserID    int64 `json:"user_id"`
	TeamID    int64 `json:"team_id"`
}

type dispositionRecord struct {
	Code, Label string
	Final       bool
}

// seedPeople makes what the steps run into: a team to delete with its
// seat on extension 2001, a key to revoke and a campaign to allow.
func seedPeople(t *testing.T, adm *client) {
	t.Helper()
	night := adm.post(t, "/teams", map[string]any{"name": "Night shift"})
	adm.post(t, "/agents", map[string]any{"name": "Existing Seat", "extension": "2001", "sip_password": "sip-secret-2001", "team_id": night["id"]})
	adm.post(t, "/api-keys", map[string]string{"name": "legacy-export", "role": "agent"})
	adm.post(t, "/campaigns", map[string]any{"name": "Spring renewals", "dial_mode": "manual"})
}

// checkPeople verifies through the API the team, the agent's seat, the
// disposition and the keys the pages made.
func checkPeople(t *testing.T, svc *svctest.Process, adm *client, p people, nora int64) {
	t.Helper()
	if p.Team == 0 || p.Agent == 0 || p.Maria == 0 || p.APIKey == "" || !p.AskedTeamDelete {
		t.Fatalf("people steps made %+v", p)
	}
	var teams struct {
		Teams []struct {
			ID          int64
			Name        string
			Members     int
			Supervisors []int64
		}
	}
	adm.do(t, http.MethodGet, "/teams", nil, &teams)
	if len(teams.Teams) != 1 || teams.Teams[0].ID != p.Team || teams.Teams[0].Name != "Closers" || teams.Teams[0].Members != 1 ||
		!slices.Equal(teams.Teams[0].Supervisors, []int64{nora}) {
		t.Fatalf("teams %+v", teams.Teams)
	}
	var seats struct{ Agents []seatRecord }
	adm.do(t, http.MethodGet, "/seats", nil, &seats)
	i := slices.IndexFunc(seats.Agents, func(a seatRecord) bool { return a.ID == p.Agent })
	if i < 0 {
		t.Fatalf("no seat %d in %+v", p.Agent, seats.Agents)
	}
	if j := slices.IndexFunc(seats.Agents, func(a seatRecord) bool { return a.Extension == "2001" }); j < 0 || seats.Agents[j].TeamID != 0 {
		t.Fatalf("the deleted team's agent: %+v", seats.Agents)
	}
	a := seats.Agents[i]
	if a.Name != "Maria Lopez" || a.Extension != "2002" || a.UserID != p.Maria || a.TeamID != p.Team || a.Mode != "persistent" ||
		!slices.Equal(a.Skills, []string{"en", "es", "sales"}) || len(a.Campaigns) != 1 || a.Realm != p.Realm {
		t.Fatalf("seat %+v", a)
	}
	// The new login signs in to that seat.
	maria := newClient(svc)
	maria.login(t, "maria", "maria-first-pass-1")
	if me := maria.get(t, "/me"); me["agent"].(map[string]any)["extension"] != "2002" {
		t.Fatalf("maria's seat %v", me["agent"])
	}
	var dispos struct{ Dispositions []dispositionRecord }
	adm.do(t, http.MethodGet, "/dispositions", nil, &dispos)
	if !slices.Contains(dispos.Dispositions, dispositionRecord{Code: "APPT_SET", Label: "Appointment set", Final: true}) {
		t.Fatalf("dispositions %+v", dispos.Dispositions)
	}
	var keys struct {
		Keys []struct {
			Name      string
			Role      string
			RevokedAt string `json:"revoked_at"`
		} `json:"api_keys"`
	}
	adm.do(t, http.MethodGet, "/api-keys", nil, &keys)
	for _, k := range keys.Keys {
		if revoked := k.RevokedAt != ""; revoked != (k.Name == "legacy-export") {
			t.Fatalf("key %s revoked %v", k.Name, revoked)
		}
	}
	// The secret the page showed once signs in with the supervisor role.
	req, err := http.NewRequest(http.MethodGet, svc.URL+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the shown key: %d", resp.StatusCode)
	}
	// Every change was audited.
	var audit struct {
		Entries []struct{ Action string } `json:"entries"`
	}
	adm.do(t, http.MethodGet, "/audit?limit=200", nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"team.create", "agent.create", "agent.update", "disposition.create", "disposition.update", "apikey.create", "apikey.revoke"} {
		if !slices.Contains(actions, want) {
			t.Fatalf("audit lacks %s: %v", want, actions)
		}
	}
}
