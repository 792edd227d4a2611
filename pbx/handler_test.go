package pbx

import (
	"context"
	"encoding/xml"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/memlive"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

const secret = "s3cret-xml"

type fakeStore struct {
	agents   map[string]dialer.Agent
	gateways []dialer.Gateway
	dids     map[string]dialer.DID
	err      error
}

func (f *fakeStore) AgentByExtension(_ context.Context, ext string) (dialer.Agent, error) {
	if f.err != nil {
		return dialer.Agent{}, f.err
	}
	a, ok := f.agents[ext]
	if !ok {
		return dialer.Agent{}, dialer.ErrNotFound
	}
	return a, nil
}

func (f *fakeStore) ListGateways(context.Context) ([]dialer.Gateway, error) {
	return f.gateways, f.err
}

func (f *fakeStore) DID(_ context.Context, number string) (dialer.DID, error) {
	if f.err != nil {
		return dialer.DID{}, f.err
	}
	d, ok := f.dids[number]
	if !ok {
		return dialer.DID{}, dialer.ErrNotFound
	}
	return d, nil
}

func newStore() *fakeStore {
	return &fakeStore{
		agents: map[string]dialer.Agent{
			"1001": {ID: 42, Extension: "1001", Realm: "pbx.example.com", SIPA1Hash: dialer.SIPA1("1001", "pbx.example.com", "pw-1001-x")},
			"1002": {ID: 43, Extension: "1002", Realm: "pbx.example.com", SIPA1Hash: dialer.SIPA1("1002", "pbx.example.com", "pw"), Disabled: true},
		},
		gateways: []dialer.Gateway{
			{Name: "carrier-a", Proxy: "sip.carrier.example:5060", Username: "acct", Password: `p"<&>'w`, Register: true, Transport: "udp", ExpireSeconds: 600, PingSeconds: 30, Enabled: true},
			{Name: "off", Proxy: "10.0.0.9", Transport: "udp", ExpireSeconds: 600},
		},
		dids: map[string]dialer.DID{
			"+15551230000": {Number: "+15551230000", Queue: "sales", Campaign: 7, Priority: 25,
				Skills: []string{"spanish", "billing"}, Enabled: true},
			"+15551230001": {Number: "+15551230001"},
		},
	}
}

// post sends a form as mod_xml_curl does.
func post(t *testing.T, h http.Handler, form url.Values, user, pass string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, pbxnames.XMLCurlPath, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// node is a generic XML element tree for assertions.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// find returns every element reached by the path of element names.
func (n node) find(path ...string) []node {
	if len(path) == 0 {
		return []node{n}
	}
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == path[0] {
			out = append(out, c.find(path[1:]...)...)
		}
	}
	return out
}

func parseDoc(t *testing.T, body []byte) node {
	t.Helper()
	var doc node
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	if doc.XMLName.Local != "document" || doc.attr("type") != "freeswitch/xml" {
		t.Fatalf("not a FreeSWITCH document:\n%s", body)
	}
	return doc
}

func isNotFound(t *testing.T, w *httptest.ResponseRecorder) bool {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	doc := parseDoc(t, w.Body.Bytes())
	r := doc.find("section", "result")
	return len(r) == 1 && r[0].attr("status") == "not found"
}

func params(n node) map[string]string {
	out := map[string]string{}
	for _, p := range n.Nodes {
		out[p.attr("name")] = p.attr("value")
	}
	return out
}

func TestAuth(t *testing.T) {
	h := NewHandler(newStore(), secret)
	form := url.Values{"section": {"directory"}, "user": {"1001"}, "domain": {"pbx.example.com"}}
	for name, c := range map[string]struct{ user, pass string }{
		"none":         {"", ""},
		"wrong secret": {pbxnames.XMLCurlUser, "nope"},
		"wrong user":   {"admin", secret},
	} {
		if w := post(t, h, form, c.user, c.pass); w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	// An empty secret refuses everyone, even a request with an empty password.
	if w := post(t, NewHandler(newStore(), ""), form, pbxnames.XMLCurlUser, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("empty secret: %d", w.Code)
	}
	r := httptest.NewRequest(http.MethodGet, pbxnames.XMLCurlPath, nil)
	r.SetBasicAuth(pbxnames.XMLCurlUser, secret)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
}

// testdata/*.form are request bodies FreeSWITCH 1.11 sent to this
// handler in the e2e tier (REGISTER auth, user/ originate, gateways,
// dialplan of a DID).
func loadForm(t *testing.T, name string) url.Values {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDirectoryUser(t *testing.T) {
	h := NewHandler(newStore(), secret)
	for _, name := range []string{"directory-sip_auth.form", "directory-user_call.form"} {
		form := loadForm(t, name)
		// The captured requests were for another agent and domain.
		form.Set("user", "1001")
		form.Set("domain", "pbx.example.com")
		w := post(t, h, form, pbxnames.XMLCurlUser, secret)
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" {
			t.Fatalf("%s: %d %s", name, w.Code, w.Header().Get("Content-Type"))
		}
		doc := parseDoc(t, w.Body.Bytes())
		dom := doc.find("section", "domain")
		if len(dom) != 1 || dom[0].attr("name") != "pbx.example.com" {
			t.Fatalf("%s: domain %+v", name, dom)
		}
		if ds := params(dom[0].find("params")[0])["dial-string"]; !strings.Contains(ds, "sofia_contact(*/${dialed_user}@${dialed_domain})") {
			t.Fatalf("%s: dial-string %q", name, ds)
		}
		users := dom[0].find("users", "user")
		if len(users) != 1 || users[0].attr("id") != "1001" {
			t.Fatalf("%s: users %+v", name, users)
		}
		p := params(users[0].find("params")[0])
		if p["a1-hash"] != dialer.SIPA1("1001", "pbx.example.com", "pw-1001-x") || p["password"] != "" {
			t.Fatalf("%s: params %v", name, p)
		}
		vars := params(users[0].find("variables")[0])
		if vars["user_context"] != pbxnames.ContextAgents || vars[pbxnames.VarAgentID] != "42" {
			t.Fatalf("%s: variables %v", name, vars)
		}
	}
}

func TestDirectoryNotOurs(t *testing.T) {
	store := newStore()
	h := NewHandler(store, secret)
	base := url.Values{"section": {"directory"}, "action": {"sip_auth"}}
	for name, f := range map[string][2]string{
		"unknown":        {"1999", "pbx.example.com"},
		"disabled":       {"1002", "pbx.example.com"},
		"other realm":    {"1001", "other.example.com"},
		"not an agent":   {"alice", "pbx.example.com"},
		"no user":        {"", "pbx.example.com"},
		"domain only":    {"", ""},
		"injection-ish":  {"1001\n", "pbx.example.com"},
		"upper realm ok": {"1001", "PBX.example.com"},
	} {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set("user", f[0])
		form.Set("domain", f[1])
		nf := isNotFound(t, post(t, h, form, pbxnames.XMLCurlUser, secret))
		if want := name != "upper realm ok"; nf != want {
			t.Errorf("%s: not found = %v", name, nf)
		}
	}
	// Other sections are not ours either.
	if !isNotFound(t, post(t, h, url.Values{"section": {"configuration"}, "key_value": {"sofia.conf"}}, pbxnames.XMLCurlUser, secret)) {
		t.Error("configuration answered")
	}
	// A store failure is a 500: FreeSWITCH falls back, the log says why.
	store.err = errors.New("database is locked")
	if w := post(t, h, url.Values{"section": {"directory"}, "user": {"1001"}, "domain": {"pbx.example.com"}}, pbxnames.XMLCurlUser, secret); w.Code != 500 {
		t.Errorf("store error: %d", w.Code)
	}
}

func TestGateways(t *testing.T) {
	h := NewHandler(newStore(), secret)
	form := loadForm(t, "directory-gateways.form")
	if form.Get("purpose") != "gateways" || form.Get("profile") != pbxnames.ProfileCarriers {
		t.Fatalf("capture: %v", form)
	}
	w := post(t, h, form, pbxnames.XMLCurlUser, secret)
	doc := parseDoc(t, w.Body.Bytes())
	dom := doc.find("section", "domain")
	if len(dom) != 1 || dom[0].attr("name") != form.Get("key_value") {
		t.Fatalf("domain %+v", dom)
	}
	gws := dom[0].find("groups", "group", "users", "user", "gateways", "gateway")
	if len(gws) != 1 || gws[0].attr("name") != "carrier-a" {
		t.Fatalf("gateways %+v (disabled ones must be left out)", gws)
	}
	p := params(node{Nodes: gws[0].Nodes})
	want := map[string]string{
		"proxy": "sip.carrier.example:5060", "username": "acct", "password": `p"<&>'w`, "register": "true",
		"register-transport": "udp", "expire-seconds": "600", "ping": "30", "caller-id-in-from": "true",
		"context": pbxnames.ContextInbound,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("param %s = %q, want %q", k, p[k], v)
		}
	}
	if _, ok := p["realm"]; ok {
		t.Error("empty realm sent")
	}
	// The password's quote and angle brackets arrive escaped.
	if strings.Contains(w.Body.String(), `p"<&>'w`) {
		t.Error("password not escaped")
	}
	// Gateways are only for the carriers' profile.
	form.Set("profile", pbxnames.ProfileAgents)
	if !isNotFound(t, post(t, h, form, pbxnames.XMLCurlUser, secret)) {
		t.Error("gateways served to the agents' profile")
	}
}

func TestDialplanDID(t *testing.T) {
	h := NewHandler(newStore(), secret)
	form := loadForm(t, "dialplan-agentswitch_inbound.form")
	if form.Get("Hunt-Context") != pbxnames.ContextInbound {
		t.Fatalf("capture: %v", form.Get("Hunt-Context"))
	}
	for _, dest := range []string{"15551230000", "+15551230000", "0015551230000"} {
		form.Set("Hunt-Destination-Number", dest)
		w := post(t, h, form, pbxnames.XMLCurlUser, secret)
		doc := parseDoc(t, w.Body.Bytes())
		ext := doc.find("section", "context", "extension")
		if len(ext) != 1 || doc.find("section", "context")[0].attr("name") != pbxnames.ContextInbound {
			t.Fatalf("%s: %s", dest, w.Body)
		}
		cond := ext[0].find("condition")[0]
		if cond.attr("field") != "destination_number" || cond.attr("expression") != "^"+strings.ReplaceAll(dest, "+", `\+`)+"$" {
			t.Fatalf("%s: condition %+v", dest, cond.Attrs)
		}
		var apps []string
		for _, a := range cond.find("action") {
			apps = append(apps, a.attr("application")+" "+a.attr("data"))
		}
		want := []string{
			"set " + pbxnames.VarLegRole + "=" + pbxnames.RoleInbound,
			"set " + pbxnames.VarDID + "=+15551230000",
			"set " + pbxnames.VarQueue + "=sales",
			"set " + pbxnames.VarCampaignID + "=7",
			"set " + pbxnames.VarPriority + "=25",
			"set " + pbxnames.VarSkills + "=billing,spanish",
			"answer ", "park ",
		}
		if strings.Join(apps, "|") != strings.Join(want, "|") {
			t.Fatalf("%s: actions\n%v\nwant\n%v", dest, apps, want)
		}
	}
	for name, f := range map[string][2]string{
		"disabled":      {pbxnames.ContextInbound, "15551230001"},
		"unknown":       {pbxnames.ContextInbound, "15559999999"},
		"other context": {pbxnames.ContextAgents, "15551230000"},
		"not a number":  {pbxnames.ContextInbound, "sales"},
		"regex chars":   {pbxnames.ContextInbound, "1555.*"},
	} {
		form.Set("Hunt-Context", f[0])
		form.Set("Hunt-Destination-Number", f[1])
		if !isNotFound(t, post(t, h, form, pbxnames.XMLCurlUser, secret)) {
			t.Errorf("%s answered", name)
		}
	}
}

// servedActions serves the dialplan of a call to d, the store's only DID
// at that number, as "application data" lines.
func servedActions(t *testing.T, d dialer.DID) []string {
	t.Helper()
	store := newStore()
	store.dids[d.Number] = d
	form := loadForm(t, "dialplan-agentswitch_inbound.form")
	form.Set("Hunt-Destination-Number", strings.TrimPrefix(d.Number, "+"))
	w := post(t, NewHandler(store, secret), form, pbxnames.XMLCurlUser, secret)
	var got []string
	for _, a := range parseDoc(t, w.Body.Bytes()).find("section", "context", "extension", "condition", "action") {
		got = append(got, a.attr("application")+" "+a.attr("data"))
	}
	return got
}

// TestDialplanDIDPriority: the DID's priority is set before the park, where
// the engine reads it; 0 is the engine's own default and is left unset.
func TestDialplanDIDPriority(t *testing.T) {
	for _, tc := range []struct {
		priority int
		want     string
	}{
		{0, ""},
		{25, pbxnames.VarPriority + "=25"},
		{-100, pbxnames.VarPriority + "=-100"},
		{dialer.MaxCallerPriority, pbxnames.VarPriority + "=100"},
	} {
		t.Run(strconv.Itoa(tc.priority), func(t *testing.T) {
			got := servedActions(t, dialer.DID{Number: "+15551230000", Priority: tc.priority, Enabled: true})
			var set []string
			park := slices.Index(got, "park ")
			for i, a := range got {
				if strings.HasPrefix(a, "set "+pbxnames.VarPriority+"=") {
					set = append(set, strings.TrimPrefix(a, "set "))
					if i > park {
						t.Errorf("priority set after the park: %v", got)
					}
				}
			}
			if park < 0 || strings.Join(set, ",") != tc.want {
				t.Fatalf("actions %v, want the priority set %q", got, tc.want)
			}
		})
	}
}

// TestDialplanDIDSkills: the DID's skills are set sorted, after its queue
// and before the answer and the park, where the engine reads them; none
// sets nothing.
func TestDialplanDIDSkills(t *testing.T) {
	for _, tc := range []struct {
		name   string
		skills []string
		want   string
	}{
		{"nil", nil, ""},
		{"empty", []string{}, ""},
		{"one", []string{"spanish"}, pbxnames.VarSkills + "=spanish"},
		{"unsorted", []string{"vip", "billing.l2", "spanish", "after-hours"}, pbxnames.VarSkills + "=after-hours,billing.l2,spanish,vip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skills := slices.Clone(tc.skills)
			got := servedActions(t, dialer.DID{Number: "+15551230000", Queue: "sales", Skills: skills, Enabled: true})
			queue := slices.Index(got, "set "+pbxnames.VarQueue+"=sales")
			answer, park := slices.Index(got, "answer "), slices.Index(got, "park ")
			if queue < 0 || answer < 0 || park < 0 {
				t.Fatalf("actions %v", got)
			}
			var set []string
			for i, a := range got {
				if strings.HasPrefix(a, "set "+pbxnames.VarSkills+"=") {
					set = append(set, strings.TrimPrefix(a, "set "))
					if i < queue || i > answer || i > park {
						t.Errorf("skills set out of place: %v", got)
					}
				}
			}
			if strings.Join(set, "|") != tc.want {
				t.Fatalf("actions %v, want the skills set %q", got, tc.want)
			}
			if !slices.Equal(skills, tc.skills) {
				t.Fatalf("the DID's skills were reordered: %v", skills)
			}
		})
	}
}

// Every name pbxnames declares for the served XML appears in what the
// handler serves.
func TestServedNamesAppear(t *testing.T) {
	h := NewHandler(newStore(), secret)
	var served strings.Builder
	for _, f := range []url.Values{
		{"section": {"directory"}, "user": {"1001"}, "domain": {"pbx.example.com"}},
		{"section": {"directory"}, "purpose": {"gateways"}, "profile": {pbxnames.ProfileCarriers}, "domain": {"c"}},
		{"section": {"dialplan"}, "Hunt-Context": {pbxnames.ContextInbound}, "Hunt-Destination-Number": {"15551230000"}},
	} {
		w := post(t, h, f, pbxnames.XMLCurlUser, secret)
		b, _ := io.ReadAll(w.Body)
		served.Write(b)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join("..", "internal", "pbxnames", "names.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || g.Doc == nil || !strings.HasPrefix(g.Doc.Text(), "Names in the XML the service serves") {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				lit, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
				n++
				if !strings.Contains(served.String(), lit) {
					t.Errorf("%q is not in the served XML", lit)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no served names found: the check could not fail")
	}
}

// browserCreds is a credential store with agent 42's browser (w1001)
// issued until an hour past t0.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func browserCreds(t testing.TB) *memlive.WebRTCCredentials {
	t.Helper()
	creds := memlive.NewWebRTCCredentials()
	c := dialer.WebRTCCredential{Agent: 42, User: "w1001", A1Hash: dialer.SIPA1("w1001", "pbx.example.com", "browser-pw"), ExpiresAt: t0.Add(time.Hour)}
	if err := creds.Issue(t.Context(), c, time.Hour); err != nil {
		t.Fatal(err)
	}
	return creds
}

// TestDirectoryBrowser: user w<ext> is the agent's browser softphone,
// with its short-lived password's a1-hash and the variables of the
// agent's desk phone; nothing once the credential expired or was revoked,
// or the seat is disabled.
func TestDirectoryBrowser(t *testing.T) {
	store := newStore()
	creds := browserCreds(t)
	now := t0
	h := NewHandler(store, secret, WithWebRTC(creds, func() time.Time { return now }))
	lookup := func(user, domain string) *httptest.ResponseRecorder {
		form := loadForm(t, "directory-sip_auth.form")
		form.Set("user", user)
		form.Set("domain", domain)
		return post(t, h, form, pbxnames.XMLCurlUser, secret)
	}

	w := lookup("w1001", "pbx.example.com")
	doc := parseDoc(t, w.Body.Bytes())
	users := doc.find("section", "domain", "users", "user")
	if len(users) != 1 || users[0].attr("id") != "w1001" {
		t.Fatalf("users %+v\n%s", users, w.Body.Bytes())
	}
	if p := params(users[0].find("params")[0]); p["a1-hash"] != dialer.SIPA1("w1001", "pbx.example.com", "browser-pw") || p["password"] != "" {
		t.Fatalf("params %v", p)
	}
	// The browser's entry has the desk phone's variables and dial-string.
	phone := parseDoc(t, lookup("1001", "pbx.example.com").Body.Bytes())
	if got, want := params(users[0].find("variables")[0]), params(phone.find("section", "domain", "users", "user")[0].find("variables")[0]); !maps.Equal(got, want) {
		t.Fatalf("variables %v, the phone's %v", got, want)
	}
	if got, want := params(doc.find("section", "domain", "params")[0]), params(phone.find("section", "domain", "params")[0]); !maps.Equal(got, want) {
		t.Fatalf("domain params %v, the phone's %v", got, want)
	}

	for _, tc := range []struct {
		name   string
		user   string
		domain string
		before func()
	}{
		{"another realm", "w1001", "other.example.com", nil},
		{"no credential", "w1003", "pbx.example.com", func() { store.agents["1003"] = dialer.Agent{ID: 44, Extension: "1003", Realm: "pbx.example.com"} }},
		{"no such extension", "w1999", "pbx.example.com", nil},
		{"not an extension", "wx", "pbx.example.com", nil},
		{"upper-case W", "W1001", "pbx.example.com", nil},
		{"issued for the old extension", "w1001", "pbx.example.com", func() {
			a := store.agents["1001"]
			delete(store.agents, "1001")
			a.Extension = "1005"
			store.agents["1005"] = a
			if err := creds.Issue(t.Context(), dialer.WebRTCCredential{Agent: 42, User: "w1001", A1Hash: dialer.SIPA1("w1001", "pbx.example.com", "x"), ExpiresAt: t0.Add(time.Hour)}, time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
		{"another extension's credential", "w1005", "pbx.example.com", nil},
		{"disabled", "w1002", "pbx.example.com", func() {
			store = newStore()
			h = NewHandler(store, secret, WithWebRTC(creds, func() time.Time { return now }))
			if err := creds.Issue(t.Context(), dialer.WebRTCCredential{Agent: 43, User: "w1002", A1Hash: dialer.SIPA1("w1002", "pbx.example.com", "x"), ExpiresAt: t0.Add(time.Hour)}, time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
		{"expired", "w1001", "pbx.example.com", func() {
			creds = browserCreds(t)
			h = NewHandler(store, secret, WithWebRTC(creds, func() time.Time { return now }))
			if isNotFound(t, lookup("w1001", "pbx.example.com")) {
				t.Fatal("not found before it expired")
			}
			now = t0.Add(time.Hour)
		}},
		{"revoked", "w1001", "pbx.example.com", func() {
			now = t0
			if err := creds.Revoke(t.Context(), 42); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		if tc.before != nil {
			tc.before()
		}
		if !isNotFound(t, lookup(tc.user, tc.domain)) {
			t.Errorf("%s: %s@%s answered", tc.name, tc.user, tc.domain)
		}
	}

	// Without a credential store no browser is known.
	if !isNotFound(t, post(t, NewHandler(newStore(), secret), url.Values{"section": {"directory"}, "user": {"w1001"}, "domain": {"pbx.example.com"}}, pbxnames.XMLCurlUser, secret)) {
		t.Error("w1001 answered without a credential store")
	}
	// A store failure is a 500, as for a phone.
	failing := NewHandler(newStore(), secret, WithWebRTC(failingCreds{}, nil))
	if w := post(t, failing, url.Values{"section": {"directory"}, "user": {"w1001"}, "domain": {"pbx.example.com"}}, pbxnames.XMLCurlUser, secret); w.Code != 500 {
		t.Errorf("credential store error: %d", w.Code)
	}
}

type failingCreds struct{ dialer.WebRTCCredentials }

func (failingCreds) Lookup(context.Context, dialer.AgentID, time.Time) (dialer.WebRTCCredential, error) {
	return dialer.WebRTCCredential{}, errors.New("redis down")
}
