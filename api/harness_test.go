package api

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/leadcall"
	"github.com/agentswitch/agentswitch/notify"
	"github.com/agentswitch/agentswitch/notify/webhooks"
	"github.com/agentswitch/agentswitch/pbx"
)

// t0 is the tests' "now": a Friday afternoon in November 2026.
var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

const testPassword = "password-123"

// who is a principal making test requests.
type who struct {
	name   string
	role   identity.Role
	cookie string
	key    string
	agent  dialer.AgentID
	// noCSRF leaves out the X-Requested-With header.
	noCSRF bool
}

func (w who) viaKey() bool { return w.key != "" }

// testEnv is a server on a real SQLite file with seeded data and the fake
// engine.
type testEnv struct {
	t      testing.TB
	dbPath string
	store  *sqlitestore.Store
	ro     *sql.DB
	eng    *fakeEngine
	sim    *fakeSim
	clock  *clock.Manual
	opts   Options
	srv    *Server

	anon, admin, sup, agent1, agent2, keyAgent, keySup, keyAdmin who
	users                                                        map[string]identity.User
	campaign                                                     dialer.Campaign
	lead1, lead2                                                 dialer.Lead
	live1, live2                                                 dialer.CallID
	rec1, rec2                                                   dialer.CallID
	cb1, cb2, cbAny                                              dialer.CallbackID
	// recorded is agent 1's call with a recording (recordedCall).
	recorded dialer.CallID
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func openTestStore(t testing.TB, path string, clk *clock.Manual) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{BcryptCost: bcrypt.MinCost, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// withSwitch has newEnv's provisioning tell sw about changes.
func withSwitch(sw pbx.Switch) func(*Options) {
	return func(o *Options) {
		st := o.Campaigns.(*sqlitestore.Store)
		o.PBX = pbx.NewService(pbx.ServiceConfig{Store: st, Campaigns: st, Switch: sw, Country: "US"})
	}
}

func newEnv(t testing.TB, mods ...func(*Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dbPath: filepath.Join(t.TempDir(), "agentswitch.db"), eng: newFakeEngine(), sim: &fakeSim{}, clock: clock.NewManual(t0), users: map[string]identity.User{}}
	e.store = openTestStore(t, e.dbPath, e.clock)
	ro, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: e.dbPath}).String()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	e.ro = ro
	ctx := t.Context()
	st := e.store
	for _, u := range []struct {
		name string
		role identity.Role
	}{{"admin", identity.RoleAdmin}, {"sup", identity.RoleSupervisor}, {"ann", identity.RoleAgent}, {"bob", identity.RoleAgent}} {
		e.users[u.name] = must[identity.User](t)(st.CreateUser(ctx, identity.User{Username: u.name, Role: u.role}, testPassword))
	}
	e.campaign = must[dialer.Campaign](t)(st.CreateCampaign(ctx, dialer.Campaign{Name: "Autumn", DialMode: dialer.DialPreview, MaxAttempts: 3, Script: "Hello {first_name}"}))
	a1 := must[dialer.Agent](t)(st.CreateAgent(ctx, dialer.Agent{User: e.users["ann"].ID, Name: "Ann", Extension: "1001", Realm: "agentswitch", Mode: dialer.ModeRing}, "sip-secret-1"))
	a2 := must[dialer.Agent](t)(st.CreateAgent(ctx, dialer.Agent{User: e.users["bob"].ID, Name: "Bob", Extension: "1002", Realm: "agentswitch", Mode: dialer.ModeRing}, "sip-secret-2"))
	if a1.ID != 1 || a2.ID != 2 {
		t.Fatalf("agent ids %d %d", a1.ID, a2.ID)
	}
	e.lead1 = must[dialer.Lead](t)(st.CreateLead(ctx, dialer.Lead{Campaign: e.campaign.ID, Phone: "+12125550101", FirstName: "Lee", TimeZone: "America/Chicago", Custom: map[string]string{"plan": "gold"}}))
	e.lead2 = must[dialer.Lead](t)(st.CreateLead(ctx, dialer.Lead{Campaign: e.campaign.ID, Phone: "+12125550102", FirstName: "Lou"}))
	e.rec1 = e.addRecord(1, e.lead1.ID, t0.Add(-time.Hour), dialer.OutcomeAnswered, 42)
	e.rec2 = e.addRecord(2, e.lead2.ID, t0.Add(-time.Hour), dialer.OutcomeAnswered, 17)
	e.cb1 = e.addCallback(1, e.lead1.ID)
	e.cb2 = e.addCallback(2, e.lead2.ID)
	e.cbAny = e.addCallback(0, e.lead1.ID)

	e.live1, e.live2 = dialer.NewCallID(), dialer.NewCallID()
	e.eng.setCall(dialer.CallView{ID: e.live1, Agent: 1, Lead: e.lead1.ID, Campaign: e.campaign.ID, State: dialer.LiveConnected, Number: e.lead1.Phone, CreatedAt: t0})
	e.eng.setCall(dialer.CallView{ID: e.live2, Agent: 2, Lead: e.lead2.ID, Campaign: e.campaign.ID, State: dialer.LiveConnected, Number: e.lead2.Phone, CreatedAt: t0.Add(time.Second)})

	e.opts = Options{
		Engine: e.eng, Directory: st, Campaigns: st, Calls: st, Audit: st, Users: st, APIKeys: st, WebSessions: st, PBX: pbx.NewService(pbx.ServiceConfig{Store: st, Campaigns: st, Country: "US"}),
		DefaultCountry: "US", DefaultTimeZone: "America/New_York", Now: e.clock.Now,
		WebRTC:  WebRTCOptions{WSURL: "wss://pbx.example.com:7443"},
		Imports: st, ImportDir: filepath.Join(t.TempDir(), "imports"), Stats: st, Reports: st, Queues: st, PauseCodes: st, Teams: st, Widgets: st, Sim: e.sim,
		RecordingsDir: t.TempDir(), Webhooks: webhooks.New(webhooks.Config{Store: st, Now: e.clock.Now}),
		Notify:  &notify.Notifier{Direct: notify.Senders{SMS: notify.LogSMS{Log: slog.New(slog.DiscardHandler)}}},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "agentswitch_test 1\n") }),
	}
	for _, m := range mods {
		m(&e.opts)
	}
	if e.opts.WidgetRequests == nil {
		e.opts.WidgetRequests = st
	}
	if e.opts.LeadCalls == nil {
		e.opts.LeadCalls = leadcall.New(leadcall.Config{Store: e.opts.WidgetRequests, Widgets: st, Engine: e.opts.Engine,
			Webhooks: e.opts.Webhooks, Now: e.clock.Now})
		t.Cleanup(e.opts.LeadCalls.Stop)
	}
	e.srv = New(e.opts)

	e.anon = who{name: "anonymous"}
	e.admin = who{name: "admin", role: identity.RoleAdmin, cookie: e.login("admin")}
	e.sup = who{name: "supervisor", role: identity.RoleSupervisor, cookie: e.login("sup")}
	e.agent1 = who{name: "agent", role: identity.RoleAgent, cookie: e.login("ann"), agent: 1}
	e.agent2 = who{name: "other agent", role: identity.RoleAgent, cookie: e.login("bob"), agent: 2}
	for _, r := range []identity.Role{identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin} {
		_, secret, err := st.CreateAPIKey(ctx, "key-"+string(r), r, e.users["admin"].ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		w := who{name: string(r) + " API key", role: r, key: secret}
		switch r {
		case identity.RoleAgent:
			e.keyAgent = w
		case identity.RoleSupervisor:
			e.keySup = w
		default:
			e.keyAdmin = w
		}
	}
	return e
}

// addRecord writes an ended call of agent to lead.
func (e *testEnv) addRecord(agent dialer.AgentID, lead dialer.LeadID, at time.Time, outcome dialer.CallOutcome, billsec int) dialer.CallID {
	e.t.Helper()
	ctx := e.t.Context()
	id := dialer.NewCallID()
	must[dialer.Call](e.t)(e.store.CreateCall(ctx, dialer.Call{ID: id, Direction: dialer.Outbound, Origin: dialer.OriginAPI,
		Campaign: e.campaign.ID, Lead: lead, Agent: agent, ToNumber: "+12125550101", CreatedAt: at},
		dialer.CallLeg{ID: dialer.NewLegID(), Role: dialer.LegLead, Endpoint: "sofia/gateway/gw/+12125550101", CreatedAt: at}))
	must[dialer.Call](e.t)(e.store.FinishCall(ctx, dialer.CallEnd{Call: id, At: at.Add(time.Minute), HangupCause: "NORMAL_CLEARING", Outcome: outcome, Billsec: billsec}))
	return id
}

func (e *testEnv) addCallback(agent dialer.AgentID, lead dialer.LeadID) dialer.CallbackID {
	e.t.Helper()
	cb := must[dialer.Callback](e.t)(e.store.CreateCallback(e.t.Context(), dialer.Callback{Lead: lead, Agent: agent, DueAt: t0.Add(24 * time.Hour), Notes: "call back"}))
	return cb.ID
}

// login logs a user in over HTTP and returns the session token.
func (e *testEnv) login(username string) string {
	e.t.Helper()
	rec := e.do(who{name: "login"}, http.MethodPost, "/api/v1/auth/login", `{"username":"`+username+`","password":"`+testPassword+`"}`)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	e.t.Fatalf("login %s: no cookie", username)
	return ""
}

// request builds a request as w would send it.
func (e *testEnv) request(w who, method, path, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if w.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: w.cookie})
	}
	if w.key != "" {
		req.Header.Set("Authorization", "Bearer "+w.key)
	}
	if !w.noCSRF && !w.viaKey() {
		req.Header.Set(csrfHeader, csrfValue)
	}
	return req
}

func (e *testEnv) do(w who, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, e.request(w, method, path, body))
	return rec
}

// decodeBody reads a JSON answer.
func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	return decodeJSON[T](t, rec.Body.Bytes())
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// errorOf reads an error answer.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	return decodeBody[errorBody](t, rec).Error
}

// fingerprint is the content of every durable table but the sessions and
// the key-use stamps, to prove a refused request wrote nothing.
func (e *testEnv) fingerprint() string {
	e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT * FROM users ORDER BY id", "SELECT * FROM agents ORDER BY id", "SELECT * FROM agent_skills ORDER BY 1, 2",
		"SELECT * FROM campaign_agents ORDER BY 1, 2", "SELECT * FROM campaigns ORDER BY id", "SELECT * FROM leads ORDER BY id",
		"SELECT * FROM dispositions ORDER BY code", "SELECT * FROM callbacks ORDER BY id", "SELECT * FROM calls ORDER BY id",
		"SELECT * FROM call_legs ORDER BY id", "SELECT * FROM call_events ORDER BY 1, 2", "SELECT * FROM dnc ORDER BY id",
		"SELECT id, name, role, revoked_at FROM api_keys ORDER BY id", "SELECT * FROM audit_log ORDER BY id",
		"SELECT * FROM gateways ORDER BY id", "SELECT * FROM dids ORDER BY number",
		"SELECT * FROM queues ORDER BY id", "SELECT * FROM queue_members ORDER BY 1, 2",
		"SELECT * FROM teams ORDER BY id", "SELECT * FROM team_supervisors ORDER BY 1, 2",
		"SELECT * FROM widgets ORDER BY id", "SELECT * FROM widget_managers ORDER BY id",
		"SELECT id, widget_id, name, prefix, revoked_at FROM widget_api_keys ORDER BY id",
	} {
		rows, err := e.ro.QueryContext(e.t.Context(), q)
		if err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", q, vals)
		}
		rows.Close()
	}
	return b.String()
}

// count returns the rows of a table.
func (e *testEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.ro.QueryRowContext(e.t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// auditActions lists the audit log's actions, oldest first.
func (e *testEnv) auditActions() []string {
	e.t.Helper()
	rows, err := e.ro.QueryContext(e.t.Context(), "SELECT action FROM audit_log ORDER BY id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		out = append(out, a)
	}
	return out
}
