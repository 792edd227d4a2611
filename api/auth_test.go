package api

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
)

func sessionCookieOf(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookie, rec.Header())
	return nil
}

func TestLoginWebSessionCookie(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"ANN","password":"`+testPassword+`"}`)
	if rec.Code != 200 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	ck := sessionCookieOf(t, rec)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/" {
		t.Fatalf("cookie %+v", ck)
	}
	// The cookie lives as long as the session, counted on the server's
	// clock (the test's), whatever today's date.
	if want := int((7 * 24 * time.Hour).Seconds()); ck.MaxAge != want {
		t.Fatalf("cookie MaxAge %d, want %d", ck.MaxAge, want)
	}
	me := decodeBody[meView](t, rec)
	if me.Role != identity.RoleAgent || me.Agent == nil || me.Agent.ID != 1 || me.User == nil || me.User.Username != "ann" || me.Auth != "session" {
		t.Fatalf("login answer %+v", me)
	}
	// The token is stored hashed only.
	var n int
	if err := e.ro.QueryRow(`SELECT count(*) FROM sessions WHERE token_hash = ?`, ck.Value).Scan(&n); err != nil || n != 0 {
		t.Fatalf("token stored in clear: %d %v", n, err)
	}

	// Over TLS the cookie is Secure.
	req := e.request(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`)
	req.TLS = &tls.ConnectionState{}
	rec = httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	if ck := sessionCookieOf(t, rec); !ck.Secure {
		t.Fatalf("cookie over TLS not Secure: %+v", ck)
	}

	// A page reload: the same cookie again.
	w := who{name: "ann", cookie: ck.Value}
	for range 2 {
		if rec := e.do(w, "GET", "/api/v1/me", ""); rec.Code != 200 {
			t.Fatalf("me: %d %s", rec.Code, rec.Body)
		}
	}
	// A restart: a new server (and store) on the same database file.
	st2 := openTestStore(t, e.dbPath, e.clock)
	opts := e.opts
	opts.Directory, opts.Campaigns, opts.Calls, opts.Audit = st2, st2, st2, st2
	opts.Users, opts.APIKeys, opts.WebSessions = st2, st2, st2
	srv2 := New(opts)
	rec = httptest.NewRecorder()
	srv2.Echo().ServeHTTP(rec, e.request(w, "GET", "/api/v1/me", ""))
	if rec.Code != 200 {
		t.Fatalf("after restart: %d %s", rec.Code, rec.Body)
	}

	// Logout ends the session and clears the cookie.
	rec = e.do(w, "POST", "/api/v1/auth/logout", "")
	if rec.Code != 204 || sessionCookieOf(t, rec).MaxAge >= 0 {
		t.Fatalf("logout: %d %v", rec.Code, rec.Header())
	}
	if rec := e.do(w, "GET", "/api/v1/me", ""); rec.Code != 401 {
		t.Fatalf("after logout: %d", rec.Code)
	}
	wantAudited(t, e, "auth.login", "auth.logout")
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	before := e.count("sessions")
	for _, c := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"username":"ann","password":"wrong-password"}`, 401, ""},
		{`{"username":"nobody","password":"wrong-password"}`, 401, ""},
		{`{"username":"ann"}`, 400, "password"},
		{`{"password":"x"}`, 400, "username"},
		{`{"username":"ann","password":"x","extra":1}`, 400, "extra"},
		{`{"username":1,"password":"x"}`, 400, "username"},
		{`not json`, 400, "body"},
		{``, 400, "body"},
	} {
		rec := e.do(e.anon, "POST", "/api/v1/auth/login", c.body)
		if rec.Code != c.code || errorOf(t, rec).Field != c.field {
			t.Errorf("%s: %d %s", c.body, rec.Code, rec.Body)
		}
		if rec.Code == 401 && !strings.Contains(rec.Body.String(), "bad credentials") {
			t.Errorf("%s: says more than bad credentials: %s", c.body, rec.Body)
		}
	}
	if e.count("sessions") != before {
		t.Fatal("a failed login made a session")
	}
	if n := strings.Count(strings.Join(e.auditActions(), " "), "auth.login_failed"); n != 2 {
		t.Fatalf("%d failed logins audited, want 2", n)
	}
	// A disabled user cannot log in, and its sessions end.
	bob := e.users["bob"]
	bob.Disabled = true
	if _, err := e.store.UpdateUser(t.Context(), bob); err != nil {
		t.Fatal(err)
	}
	if rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"bob","password":"`+testPassword+`"}`); rec.Code != 403 {
		t.Fatalf("disabled login: %d", rec.Code)
	}
	if rec := e.do(e.agent2, "GET", "/api/v1/me", ""); rec.Code != 403 {
		t.Fatalf("disabled session: %d", rec.Code)
	}
	// Without the CSRF header a login is refused too.
	if rec := e.do(who{noCSRF: true}, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`); rec.Code != 403 {
		t.Fatalf("login without X-Requested-With: %d", rec.Code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	for i := range 10 {
		if rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"guess-`+fmt.Sprint(i)+`"}`); rec.Code != 401 {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	// Even the right password waits now.
	rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after 10 failures: %d %v", rec.Code, rec.Header())
	}
	// The same user from another address is not locked out.
	req := e.request(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`)
	req.RemoteAddr = "198.51.100.7:4321"
	rec = httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("ann from elsewhere: %d", rec.Code)
	}
	// A spoofed X-Forwarded-For from a public address changes nothing.
	req = e.request(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	rec = httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	if rec.Code != 429 {
		t.Fatalf("spoofed X-Forwarded-For: %d", rec.Code)
	}
	// Another user from the same address is not locked out.
	if rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"bob","password":"`+testPassword+`"}`); rec.Code != 200 {
		t.Fatalf("other user: %d", rec.Code)
	}
	e.clock.Advance(16 * time.Minute)
	if rec := e.do(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+testPassword+`"}`); rec.Code != 200 {
		t.Fatalf("after the window: %d", rec.Code)
	}
}

// TestForwardedHeaders: X-Forwarded-For and X-Forwarded-Proto count only
// from a configured proxy; from anyone else (loopback included) the peer's
// address is the client's.
func TestForwardedHeaders(t *testing.T) {
	login := func(e *testEnv, peer, xff, password string) *httptest.ResponseRecorder {
		req := e.request(e.anon, "POST", "/api/v1/auth/login", `{"username":"ann","password":"`+password+`"}`)
		req.RemoteAddr = peer
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		e.srv.Echo().ServeHTTP(rec, req)
		return rec
	}
	failedIPs := func(e *testEnv) map[string]int {
		rows, err := e.ro.Query(`SELECT data ->> '$.ip' FROM audit_log WHERE action = 'auth.login_failed'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var ip string
			if err := rows.Scan(&ip); err != nil {
				t.Fatal(err)
			}
			m[ip]++
		}
		return m
	}

	// No trusted proxy: a different X-Forwarded-For on each guess from
	// loopback is still one address.
	e := newEnv(t)
	limited := 0
	for i := range 60 {
		if login(e, "127.0.0.1:5000", fmt.Sprintf("203.0.113.%d", i+1), fmt.Sprintf("guess-%d", i)).Code == 429 {
			limited++
		}
	}
	if limited != 50 {
		t.Fatalf("%d of 60 spoofed guesses limited, want 50", limited)
	}
	if got := failedIPs(e); len(got) != 1 || got["127.0.0.1"] != 10 {
		t.Fatalf("audit log addresses %v", got)
	}
	e.clock.Advance(16 * time.Minute)
	if ck := sessionCookieOf(t, login(e, "127.0.0.1:5000", "", testPassword)); ck.Secure {
		t.Fatal("X-Forwarded-Proto believed from an untrusted peer")
	}

	// A trusted proxy: its X-Forwarded-For names the client.
	e = newEnv(t, func(o *Options) {
		o.TrustedProxies = must[[]netip.Prefix](t)(ParseTrustedProxies("127.0.0.1, 10.1.0.0/16"))
	})
	for i := range 10 {
		if rec := login(e, "127.0.0.1:5000", "203.0.113.5", fmt.Sprintf("guess-%d", i)); rec.Code != 401 {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	if rec := login(e, "10.1.2.3:5000", "203.0.113.5", testPassword); rec.Code != 429 {
		t.Fatalf("the limited client through another trusted proxy: %d", rec.Code)
	}
	// The client's own proxy chain: the nearest untrusted address counts.
	if rec := login(e, "127.0.0.1:5000", "203.0.113.5, 198.51.100.1", testPassword); rec.Code != 200 {
		t.Fatalf("another client: %d %s", rec.Code, rec.Body)
	} else if ck := sessionCookieOf(t, rec); !ck.Secure {
		t.Fatal("X-Forwarded-Proto from a trusted proxy not believed")
	}
	// A peer outside the list is the client itself.
	if rec := login(e, "10.2.0.1:5000", "203.0.113.5", testPassword); rec.Code != 200 {
		t.Fatalf("untrusted peer with the limited address in XFF: %d", rec.Code)
	}
	if got := failedIPs(e); len(got) != 1 || got["203.0.113.5"] != 10 {
		t.Fatalf("audit log addresses %v", got)
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "fe80::1%eth0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWebSessionExpiry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.WebSessionIdle = time.Hour; o.WebSessionMaxAge = 3 * time.Hour })
	w := who{cookie: e.login("ann")}
	// Used every 50 minutes, the session slides...
	for range 3 {
		e.clock.Advance(50 * time.Minute)
		if rec := e.do(w, "GET", "/api/v1/me", ""); rec.Code != 200 {
			t.Fatalf("at %v: %d", e.clock.Now(), rec.Code)
		}
	}
	// ...but not past its maximum age.
	e.clock.Advance(31 * time.Minute)
	rec := e.do(w, "GET", "/api/v1/me", "")
	if rec.Code != 401 {
		t.Fatalf("past max age: %d", rec.Code)
	}
	if ck := sessionCookieOf(t, rec); ck.MaxAge >= 0 {
		t.Fatalf("expired cookie not cleared: %+v", ck)
	}
	// Idle for an hour ends it.
	w = who{cookie: e.login("ann")}
	e.clock.Advance(time.Hour)
	if rec := e.do(w, "GET", "/api/v1/me", ""); rec.Code != 401 {
		t.Fatalf("idle: %d", rec.Code)
	}
	// A forged or foreign cookie is just unauthenticated.
	for _, v := range []string{"x", strings.Repeat("A", 43), "ask_whatever"} {
		if rec := e.do(who{cookie: v}, "GET", "/api/v1/me", ""); rec.Code != 401 {
			t.Fatalf("cookie %q: %d", v, rec.Code)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/api-keys", `{"name":"crm","role":"supervisor"}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := decodeBody[createdKey](t, rec)
	if !regexp.MustCompile(`^ask_[a-z0-9]{8}_[a-z0-9]{52}$`).MatchString(created.Secret) || created.APIKey.Role != identity.RoleSupervisor {
		t.Fatalf("created %+v", created)
	}
	// The secret is shown once: the list does not have it.
	if rec := e.do(e.admin, "GET", "/api/v1/api-keys", ""); bytes.Contains(rec.Body.Bytes(), []byte(created.Secret)) {
		t.Fatal("list shows the secret")
	}
	// Both headers work; the key's role applies; no CSRF header needed.
	for _, h := range []string{"Authorization", "X-API-Key"} {
		req := httptest.NewRequest("POST", "/api/v1/calls", strings.NewReader(`{"number":"+12125550100"}`))
		req.Header.Set("Content-Type", "application/json")
		if h == "Authorization" {
			req.Header.Set(h, "Bearer "+created.Secret)
		} else {
			req.Header.Set(h, created.Secret)
		}
		rec := httptest.NewRecorder()
		e.srv.Echo().ServeHTTP(rec, req)
		if rec.Code != 201 {
			t.Fatalf("%s: %d %s", h, rec.Code, rec.Body)
		}
	}
	key := who{name: "crm", role: identity.RoleSupervisor, key: created.Secret}
	if rec := e.do(key, "GET", "/api/v1/me", ""); rec.Code != 200 || decodeBody[meView](t, rec).Auth != "api_key" {
		t.Fatalf("me by key: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(key, "GET", "/api/v1/users", ""); rec.Code != 403 {
		t.Fatalf("supervisor key on an admin route: %d", rec.Code)
	}
	// Revoked: refused at once.
	if rec := e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/api-keys/%d", created.APIKey.ID), ""); rec.Code != 204 {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(key, "GET", "/api/v1/me", ""); rec.Code != 403 {
		t.Fatalf("revoked key: %d", rec.Code)
	}
	for _, bad := range []string{"Bearer ask_nope", "Basic YWRtaW46eA==", "Bearer", "ask_x"} {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", bad)
		rec := httptest.NewRecorder()
		e.srv.Echo().ServeHTTP(rec, req)
		if rec.Code != 401 {
			t.Fatalf("Authorization %q: %d", bad, rec.Code)
		}
	}
	if rec := e.do(e.admin, "DELETE", "/api/v1/api-keys/999", ""); rec.Code != 404 {
		t.Fatalf("revoke unknown: %d", rec.Code)
	}
	acts := e.auditActions()
	if !slices.Contains(acts, "apikey.create") || !slices.Contains(acts, "apikey.revoke") {
		t.Fatalf("audit %v", acts)
	}
}

// TestAPIKeysFollowTheirUser: disabling a user stops its keys, and those
// its keys made, until it is enabled again; an expired key is refused.
func TestAPIKeysFollowTheirUser(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	root := must[identity.User](t)(e.store.CreateUser(ctx, identity.User{Username: "root2", Role: identity.RoleAdmin}, testPassword))
	rootW := who{name: "root2", role: identity.RoleAdmin, cookie: e.login("root2")}
	rec := e.do(rootW, "POST", "/api/v1/api-keys", `{"name":"ops","role":"admin"}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	key := who{name: "ops", role: identity.RoleAdmin, key: decodeBody[createdKey](t, rec).Secret}
	rec = e.do(key, "POST", "/api/v1/api-keys", `{"name":"ops2","role":"admin"}`)
	if rec.Code != 201 {
		t.Fatalf("create by key: %d %s", rec.Code, rec.Body)
	}
	made := decodeBody[createdKey](t, rec)
	if made.APIKey.CreatedBy != root.ID {
		t.Fatalf("key made by a key belongs to %d, want %d", made.APIKey.CreatedBy, root.ID)
	}
	key2 := who{name: "ops2", role: identity.RoleAdmin, key: made.Secret}

	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/users/%d", root.ID), `{"disabled":true}`); rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	for _, k := range []who{key, key2} {
		if rec := e.do(k, "GET", "/api/v1/users", ""); rec.Code != 403 {
			t.Fatalf("%s of a disabled user lists users: %d", k.name, rec.Code)
		}
		if rec := e.do(k, "POST", "/api/v1/users", `{"username":"evil","role":"admin","password":"password-456"}`); rec.Code != 403 {
			t.Fatalf("%s of a disabled user creates an admin: %d %s", k.name, rec.Code, rec.Body)
		}
	}
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/users/%d", root.ID), `{"disabled":false}`); rec.Code != 200 {
		t.Fatalf("enable: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(key, "GET", "/api/v1/users", ""); rec.Code != 200 {
		t.Fatalf("key of a re-enabled user: %d", rec.Code)
	}

	rec = e.do(e.admin, "POST", "/api/v1/api-keys", `{"name":"day","role":"agent","expires_at":"`+t0.Add(24*time.Hour).Format(time.RFC3339)+`"}`)
	if rec.Code != 201 {
		t.Fatalf("create expiring: %d %s", rec.Code, rec.Body)
	}
	day := who{name: "day", role: identity.RoleAgent, key: decodeBody[createdKey](t, rec).Secret}
	if rec := e.do(day, "GET", "/api/v1/me", ""); rec.Code != 200 {
		t.Fatalf("before expiry: %d", rec.Code)
	}
	e.clock.Advance(24 * time.Hour)
	if rec := e.do(day, "GET", "/api/v1/me", ""); rec.Code != 403 {
		t.Fatalf("after expiry: %d", rec.Code)
	}
}

// TestCSRF: cookie-authenticated requests that change state need
// X-Requested-With: agentswitch; reads and API keys do not.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	bare := e.agent1
	bare.noCSRF = true
	for _, hdr := range []string{"", "XMLHttpRequest"} {
		req := e.request(bare, "POST", "/api/v1/agents/1/ready", "")
		if hdr != "" {
			req.Header.Set(csrfHeader, hdr)
		}
		rec := httptest.NewRecorder()
		e.srv.Echo().ServeHTTP(rec, req)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "X-Requested-With") {
			t.Fatalf("header %q: %d %s", hdr, rec.Code, rec.Body)
		}
	}
	if len(e.eng.Calls()) != 0 {
		t.Fatalf("engine called: %v", e.eng.Calls())
	}
	if rec := e.do(bare, "GET", "/api/v1/agents/1", ""); rec.Code != 200 {
		t.Fatalf("read without header: %d", rec.Code)
	}
	if rec := e.do(bare, "PATCH", fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID), `{"first_name":"X"}`); rec.Code != 403 {
		t.Fatalf("patch without header: %d", rec.Code)
	}
	if rec := e.do(bare, "POST", "/api/v1/auth/logout", ""); rec.Code != 403 {
		t.Fatalf("logout without header: %d", rec.Code)
	}
	if rec := e.do(e.keySup, "POST", "/api/v1/agents/1/ready", ""); rec.Code != 200 {
		t.Fatalf("API key without header: %d", rec.Code)
	}
}

func TestUserAdmin(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/users", `{"username":"carol","display_name":"Carol","role":"supervisor","password":"`+testPassword+`"}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	carol := decodeBody[identity.User](t, rec)
	if rec := e.do(e.admin, "POST", "/api/v1/users", `{"username":"carol","role":"agent","password":"carol-pass-1"}`); rec.Code != 409 || errorOf(t, rec).Field != "username" {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
	for body, field := range map[string]string{
		`{"username":"dave","role":"root","password":"dave-pass-1"}`:   "role",
		`{"username":"dave","role":"agent","password":"short"}`:        "password",
		`{"username":"da ve","role":"agent","password":"dave-pass-1"}`: "username",
	} {
		if rec := e.do(e.admin, "POST", "/api/v1/users", body); rec.Code != 400 || errorOf(t, rec).Field != field {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
	w := who{cookie: e.login("carol")}
	if rec := e.do(w, "GET", "/api/v1/calls/live", ""); rec.Code != 200 {
		t.Fatalf("carol: %d", rec.Code)
	}
	// A new password ends her sessions.
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/users/%d", carol.ID), `{"password":"carol-pass-2"}`); rec.Code != 200 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(w, "GET", "/api/v1/me", ""); rec.Code != 401 {
		t.Fatalf("old session after password change: %d", rec.Code)
	}
	// An admin cannot lock themselves out.
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/users/%d", e.users["admin"].ID), `{"disabled":true}`); rec.Code != 400 {
		t.Fatalf("self-disable: %d", rec.Code)
	}
	acts := e.auditActions()
	if !slices.Contains(acts, "user.create") || !slices.Contains(acts, "user.update") {
		t.Fatalf("audit %v", acts)
	}
	// A supervisor acting on another agent is audited.
	if rec := e.do(e.sup, "POST", "/api/v1/agents/2/pause", `{"code":"BREAK"}`); rec.Code != 200 {
		t.Fatalf("forced pause: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.sup, "POST", "/api/v1/agents/2/ready", ""); rec.Code != 200 {
		t.Fatalf("forced ready: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.sup, "POST", "/api/v1/agents/2/logout", ""); rec.Code != 204 {
		t.Fatalf("forced logout: %d", rec.Code)
	}
	for _, act := range []string{"agent.force_pause", "agent.force_ready", "agent.force_logout"} {
		if !slices.Contains(e.auditActions(), act) {
			t.Fatalf("%s not audited: %v", act, e.auditActions())
		}
	}
}

func TestEnsureAdmin(t *testing.T) {
	clk := clock.NewManual(t0)
	st := openTestStore(t, t.TempDir()+"/a.db", clk)
	var out bytes.Buffer
	if err := EnsureAdmin(t.Context(), st, nil, &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`user "admin" \(admin\) with password ([a-z0-9]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("printed %q", out.String())
	}
	if u, err := st.Authenticate(t.Context(), "admin", m[1]); err != nil || u.Role != identity.RoleAdmin {
		t.Fatalf("printed password does not log in: %v", err)
	}
	out.Reset()
	if err := EnsureAdmin(t.Context(), st, nil, &out); err != nil || out.Len() != 0 {
		t.Fatalf("second start: %v %q", err, out.String())
	}
}
