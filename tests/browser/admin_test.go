package browser

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
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
	pbxAgents := preparePBX(t, sw, svc, adm)
	hook := startWebhookReceiver(t)

	var res struct {
		User     float64   `json:"user"`
		Password string    `json:"password"`
		PBX      pbxResult `json:"pbx"`
		people
		dialingMade
		Widget  widgetMade    `json:"widget"`
		Webhook webhookResult `json:"webhook"`
	}
	scenario(t, ctx, svc, "admin_day.mjs", []string{
		"AS_USER=admin", "AS_PASSWORD=" + svc.AdminPassword, "AS_ADMIN_KEY=" + keySecret, "AS_WEBHOOK_URL=" + hook.url,
	}, func(req map[string]string) (map[string]string, error) {
		if out, ok, err := pbxRequest(sw, req); ok {
			return out, err
		}
		if out, ok, err := widgetRequest(svc, req); ok {
			return out, err
		}
		if out, ok := hook.request(req); ok {
			return out, nil
		}
		return nil, fmt.Errorf("unknown request %q", req["do"])
	}, &res)
	checkPBX(t, adm, pbxAgents, res.PBX)

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
	checkDialingMade(t, adm, res.dialingMade)
	checkWidgetMade(t, adm, res.Widget)
	checkWebhooks(t, adm, hook, res.Webhook)
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

// The PBX part of the admin's day: gateways, queues with members, DIDs
// and the switch nodes.

// pbxResult is what admin_day.mjs reports of its PBX steps.
type pbxResult struct {
	Gateway float64 `json:"gateway"`
	Queue   float64 `json:"queue"`
	DID     string  `json:"did"`
	// Alerted: the wall showed the failed gateway, and stopped once it
	// registered again.
	Alerted bool `json:"alerted"`
}

// preparePBX has the simulator read its gateways from the service over
// mod_xml_curl, as FreeSWITCH does, and adds the two agents the queue's
// members are picked from; it returns their ids.
func preparePBX(t *testing.T, sw *sim.Server, svc *svctest.Process, adm *client) []float64 {
	t.Helper()
	sw.SetGatewaySource(sim.XMLCurlGateways(svc.URL+pbxnames.XMLCurlPath, pbxnames.XMLCurlUser, xmlCurlSecret, "carriers"))
	var ids []float64
	for _, a := range []struct{ name, ext string }{{"Ana Ortiz", "4001"}, {"Ben Cole", "4002"}} {
		v := adm.post(t, "/agents", map[string]any{"name": a.name, "extension": a.ext, "sip_password": "sip-secret-" + a.ext})
		ids = append(ids, v["id"].(float64))
	}
	return ids
}

// pbxRequest acts on the simulated switch for admin_day.mjs: a gateway's
// registration fails (the carrier answers 403) or succeeds again.
func pbxRequest(sw *sim.Server, req map[string]string) (map[string]string, bool, error) {
	var ok bool
	switch req["do"] {
	case "fail-gateway":
		ok = sw.FailGateway(req["name"], 403, "Forbidden")
	case "register-gateway":
		ok = sw.RegisterGateway(req["name"])
	default:
		return nil, false, nil
	}
	if !ok {
		return nil, true, fmt.Errorf("the switch runs no gateway %q", req["name"])
	}
	return map[string]string{}, true, nil
}

// checkPBX checks through the API what the PBX pages made: the gateway,
// registered on the node; the queue with its two members in the order
// the editor left them (Ben first); the DID routed to it.
func checkPBX(t *testing.T, adm *client, agents []float64, res pbxResult) {
	t.Helper()
	if res.Gateway == 0 || res.Queue == 0 || res.DID == "" || !res.Alerted {
		t.Fatalf("pbx result %+v", res)
	}
	var gw struct {
		Name, Username string
		Register       bool
		HasPassword    bool `json:"has_password"`
		Status         []struct {
			Node, State string
			Registered  bool
		}
	}
	adm.do(t, "GET", fmt.Sprintf("/gateways/%v", res.Gateway), nil, &gw)
	if gw.Name != "carrier1" || !gw.Register || !gw.HasPassword || len(gw.Status) != 1 || !gw.Status[0].Registered || gw.Status[0].Node != "fs1" {
		t.Fatalf("gateway %+v", gw)
	}
	var q struct {
		Name, Strategy     string
		RingTimeoutSeconds int `json:"ring_timeout_seconds"`
		WrapUpSeconds      int `json:"wrapup_seconds"`
	}
	adm.do(t, "GET", fmt.Sprintf("/queues/%v", res.Queue), nil, &q)
	if q.Name != "support" || q.Strategy != "top-down" || q.RingTimeoutSeconds != 25 || q.WrapUpSeconds != 10 {
		t.Fatalf("queue %+v", q)
	}
	type member struct {
		Agent    float64  `json:"agent_id"`
		Position int      `json:"position"`
		Rank     int      `json:"rank"`
		Skills   []string `json:"skills"`
	}
	var m struct{ Members []member }
	adm.do(t, "GET", fmt.Sprintf("/queues/%v/members", res.Queue), nil, &m)
	if len(m.Members) != 2 {
		t.Fatalf("members %+v", m)
	}
	slices.SortFunc(m.Members, func(a, b member) int { return a.Position - b.Position })
	if m.Members[0].Agent != agents[1] || m.Members[1].Agent != agents[0] || m.Members[0].Rank != 5 ||
		!slices.Equal(m.Members[0].Skills, []string{"spanish"}) {
		t.Fatalf("members %+v, want Ben (%v, rank 5, spanish) then Ana (%v)", m.Members, agents[1], agents[0])
	}
	var dids struct {
		DIDs []struct {
			Number, Name, Queue string
			Priority            int
		} `json:"dids"`
	}
	adm.do(t, "GET", "/dids", nil, &dids)
	if len(dids.DIDs) != 1 || dids.DIDs[0].Number != res.DID || dids.DIDs[0].Queue != "support" || dids.DIDs[0].Priority != 5 {
		t.Fatalf("dids %+v", dids)
	}
}

// dialingMade is what the console's dialing pages made, by id.
type dialingMade struct {
	Campaign int64 `json:"campaign"`
	List     int64 `json:"list"`
	Lead     int64 `json:"lead"`
	// CancelledImport is the status of the import stopped from the page.
	CancelledImport string `json:"cancelledImport"`
}

// checkDialingMade reads back through the API what the campaign, lead
// list, lead and do-not-call pages made.
func checkDialingMade(t *testing.T, adm *client, made dialingMade) {
	t.Helper()
	if made.Campaign == 0 || made.List == 0 || made.Lead == 0 || made.CancelledImport != "rolled_back" {
		t.Fatalf("dialing result %+v", made)
	}
	var cp struct {
		Name        string `json:"name"`
		DialMode    string `json:"dial_mode"`
		CallerID    string `json:"caller_id"`
		MaxAttempts int    `json:"max_attempts"`
		Active      bool   `json:"active"`
		ArchivedAt  string `json:"archived_at"`
		Settings    struct {
			LinesPerAgent int               `json:"lines_per_agent"`
			PacingMode    string            `json:"pacing_mode"`
			CeilingPct    float64           `json:"abandon_ceiling_pct"`
			MinAgents     int               `json:"min_agents"`
			RetryDelays   map[string]int    `json:"retry_delays"`
			Country       string            `json:"country"`
			Window        map[string]any    `json:"calling_window"`
			Actions       map[string]string `json:"disposition_actions"`
			Allowed       []int64           `json:"allowed_agents"`
		} `json:"settings"`
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/campaigns/%d", made.Campaign), nil, &cp)
	// The refused max attempts of 0 was not kept; only the edited settings
	// changed (no disposition override was sent); archived, then
	// unarchived, it is paused.
	if cp.Name != "Winter reactivation" || cp.DialMode != "progressive" || cp.CallerID != "+14155550100" || cp.MaxAttempts != 4 ||
		cp.Settings.LinesPerAgent != 2 || cp.Settings.PacingMode != "tapered" || cp.Settings.CeilingPct != 2.5 || cp.Settings.MinAgents != 5 ||
		cp.Settings.RetryDelays["busy"] != 900 || cp.Settings.RetryDelays["no_answer"] != 7200 ||
		cp.Settings.Country != "US" || len(cp.Settings.Actions) != 0 || cp.Active || cp.ArchivedAt != "" {
		t.Fatalf("campaign %+v", cp)
	}
	var seats struct{ Agents []seatRecord }
	adm.do(t, http.MethodGet, "/seats", nil, &seats)
	i := slices.IndexFunc(seats.Agents, func(s seatRecord) bool { return s.Name == "Maria Lopez" })
	if i < 0 || !slices.Equal(cp.Settings.Allowed, []int64{seats.Agents[i].ID}) {
		t.Fatalf("allowed agents %v, seats %+v", cp.Settings.Allowed, seats.Agents)
	}
	if w := fmt.Sprint(cp.Settings.Window); w != "map[days:[mon tue wed thu fri sat] hours:[map[end:20:00 start:09:00]]]" {
		t.Fatalf("calling window %s", w)
	}

	var list struct {
		Campaign int64          `json:"campaign_id"`
		Name     string         `json:"name"`
		Total    int            `json:"total"`
		Leads    map[string]int `json:"leads"`
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/lists/%d", made.List), nil, &list)
	// Five imported, one deleted by the filter that selected it.
	if list.Campaign != made.Campaign || list.Name != "Spring file" || list.Total != 4 || list.Leads["new"] != 4 {
		t.Fatalf("list %+v", list)
	}

	var lead struct {
		Campaign  int64             `json:"campaign_id"`
		Phone     string            `json:"phone"`
		FirstName string            `json:"first_name"`
		LastName  string            `json:"last_name"`
		Email     string            `json:"email"`
		Custom    map[string]string `json:"custom"`
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/leads/%d", made.Lead), nil, &lead)
	if lead.Campaign != made.Campaign || lead.Phone != "+14155550103" || lead.FirstName != "Cyd" || lead.LastName != "Nash-Ortiz" ||
		lead.Email != "cyd@example.com" || len(lead.Custom) != 1 || lead.Custom["account"] != "A-3" {
		t.Fatalf("lead %+v", lead)
	}

	var dnc struct {
		Blocked bool `json:"blocked"`
		Entries []struct {
			Campaign int64  `json:"campaign_id"`
			Reason   string `json:"reason"`
		} `json:"entries"`
	}
	for number, reason := range map[string]string{"%2B14155550199": "Asked on the phone", "%2B14155550189": "Complaint list"} {
		adm.do(t, http.MethodGet, "/dnc/"+number, nil, &dnc)
		if !dnc.Blocked || len(dnc.Entries) != 1 || dnc.Entries[0].Campaign != 0 || dnc.Entries[0].Reason != reason {
			t.Fatalf("dnc %s: %+v", number, dnc)
		}
	}
	var leads struct {
		Leads []struct {
			FirstName string `json:"first_name"`
		} `json:"leads"`
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/leads?campaign=%d&q=Eve", made.Campaign), nil, &leads)
	if len(leads.Leads) != 0 {
		t.Fatalf("the deleted lead is still there: %+v", leads)
	}
}

// widgetMade is what the widget steps made.
type widgetMade struct {
	ID     int64  `json:"id"`
	Key    string `json:"key"`
	Secret string `json:"secret"`
}

var smsCode = regexp.MustCompile(`verification code for manager \d+: (\d{6})`)

// widgetRequest answers the page's "widget-code": the last verification
// code texted to req["phone"], read where the service puts an SMS when
// no provider is configured: its log.
func widgetRequest(svc *svctest.Process, req map[string]string) (map[string]string, bool, error) {
	if req["do"] != "widget-code" {
		return nil, false, nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(svc.LogPath)
		if err != nil {
			return nil, true, err
		}
		code := ""
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "to="+req["phone"]) || strings.Contains(line, `"to":"`+req["phone"]+`"`) {
				if m := smsCode.FindStringSubmatch(line); m != nil {
					code = m[1]
				}
			}
		}
		if code != "" {
			return map[string]string{"code": code}, true, nil
		}
		if time.Now().After(deadline) {
			return nil, true, fmt.Errorf("no code texted to %s in the service's log", req["phone"])
		}
		time.Sleep(50 * time.Millisecond) // polls the log file for the line
	}
}

// checkWidgetMade checks through the API what the widget pages made: the
// settings saved, an agent-seat manager and a verified outside number
// with their hours, and one API key whose secret the list does not show.
func checkWidgetMade(t *testing.T, adm *client, w widgetMade) {
	t.Helper()
	if w.ID == 0 || w.Key == "" || w.Secret == "" {
		t.Fatalf("widget result %+v", w)
	}
	got := adm.get(t, fmt.Sprintf("/widgets/%d", w.ID))
	st, _ := got["settings"].(map[string]any)
	retry, _ := st["retry"].(map[string]any)
	if got["widget_key"] != w.Key || got["site_url"] != "https://shop.example.com" || st["sequence"] != "rank" ||
		st["callback_seconds"] != float64(20) || fmt.Sprint(retry["intervals"]) != "[60 300]" {
		t.Fatalf("widget %v", got)
	}
	if d, _ := st["design"].(map[string]any); d["button_color"] != "#aa3300" {
		t.Fatalf("design %v", st["design"])
	}
	ms, _ := adm.get(t, fmt.Sprintf("/widgets/%d/managers", w.ID))["managers"].([]any)
	var seat, phone map[string]any
	for _, m := range ms {
		m := m.(map[string]any)
		if m["agent_id"] != nil {
			seat = m
		} else {
			phone = m
		}
	}
	if len(ms) != 2 || seat == nil || phone == nil || phone["phone"] != "+4930123456" || phone["verified_at"] == nil ||
		phone["time_zone"] != "Europe/Berlin" {
		t.Fatalf("managers %v", ms)
	}
	week, _ := seat["hours"].(map[string]any)["week"].(map[string]any)
	if fmt.Sprint(week["mon"]) != "[09:00-12:30 13:30-18:00]" || fmt.Sprint(week["fri"]) != fmt.Sprint(week["mon"]) || week["sat"] != nil {
		t.Fatalf("seat hours %v", seat["hours"])
	}
	keys, _ := adm.get(t, fmt.Sprintf("/widgets/%d/api-keys", w.ID))["api_keys"].([]any)
	if len(keys) != 1 || !strings.HasPrefix(w.Secret, keys[0].(map[string]any)["prefix"].(string)) {
		t.Fatalf("keys %v", keys)
	}
}
