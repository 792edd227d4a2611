package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// Authentication. A browser logs in with a password and holds a session
// cookie; an integrator sends an API key. The CSRF rule: any request that
// changes state and is not authenticated by an API key must carry the
// header X-Requested-With: agentswitch. A page on another site cannot set
// that header without a CORS preflight, which this service never grants;
// SameSite=Strict on the cookie is a second barrier.
const (
	sessionCookie = "agentswitch_session"
	csrfHeader    = "X-Requested-With"
	csrfValue     = "agentswitch"
	apiKeyHeader  = "X-API-Key"
)

// principal is who a request comes from.
type principal struct {
	Actor dialer.Actor
	// User is zero for an API key.
	User identity.User
	// Seat is the user's agent seat, if any and not disabled.
	Seat *dialer.Agent
	Key  *identity.APIKey
	// Token is the web session's token; secret the API key, kept to
	// re-check long-lived streams.
	Token      string
	secret     string
	WebSession identity.WebSession
}

func (p *principal) viaKey() bool { return p.Key != nil }

// auditActor names the principal in the audit log.
func (p *principal) auditActor() string {
	if p == nil {
		return "anonymous"
	}
	if p.Key != nil {
		return "apikey:" + p.Key.ID.String()
	}
	return "user:" + p.User.ID.String()
}

// apiKeyFrom returns the key a request presents, if any.
func apiKeyFrom(r *http.Request) (string, bool, error) {
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
			return "", true, identity.ErrBadCredentials
		}
		return strings.TrimSpace(key), true, nil
	}
	if k := r.Header.Get(apiKeyHeader); k != "" {
		return k, true, nil
	}
	return "", false, nil
}

// authenticate resolves the request's credential: nil with no error when
// there is none.
func (s *Server) authenticate(c echo.Context) (*principal, error) {
	r := c.Request()
	ctx := r.Context()
	key, present, err := apiKeyFrom(r)
	if err != nil {
		return nil, err
	}
	if present {
		return s.principalForKey(ctx, key)
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	p, err := s.principalForWebSession(ctx, ck.Value)
	if err != nil && (errors.Is(err, identity.ErrBadCredentials) || errors.Is(err, identity.ErrDisabled)) {
		s.clearCookie(c)
	}
	return p, err
}

func (s *Server) principalForKey(ctx context.Context, key string) (*principal, error) {
	k, err := s.apiKeys.VerifyAPIKey(ctx, key, s.now())
	if err != nil {
		return nil, err
	}
	// A key acts in its role and owns no agent seat, so an agent-role key
	// can start lead calls but control no agent.
	return &principal{
		Actor:  dialer.Actor{Role: k.Role, APIKey: k.ID, Name: k.Name},
		Key:    &k,
		secret: key,
	}, nil
}

func (s *Server) principalForWebSession(ctx context.Context, token string) (*principal, error) {
	sess, err := s.webSessions.LookupWebSession(ctx, token, s.now())
	if err != nil {
		return nil, err
	}
	u, err := s.users.User(ctx, sess.User)
	if errors.Is(err, dialer.ErrNotFound) {
		return nil, identity.ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		_ = s.webSessions.DeleteWebSession(ctx, token)
		return nil, identity.ErrDisabled
	}
	p := &principal{User: u, Token: token, WebSession: sess}
	p.Actor = dialer.Actor{User: u.ID, Role: u.Role, Name: u.DisplayName}
	if p.Actor.Name == "" {
		p.Actor.Name = u.Username
	}
	seat, err := s.dir.AgentByUser(ctx, u.ID)
	switch {
	case err == nil && !seat.Disabled:
		p.Seat = &seat
		p.Actor.Agent = seat.ID
	case err != nil && !errors.Is(err, dialer.ErrNotFound):
		return nil, err
	}
	return p, nil
}

// secure reports whether the client reached us over TLS, directly or
// through a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.fromTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// fromTrustedProxy reports whether the peer is one of the trusted proxies,
// whose forwarded headers are believed.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.opts.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of IP addresses and
// CIDR ranges.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR range", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (s *Server) setCookie(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(expires.Sub(s.now()).Seconds()),
		HttpOnly: true,
		Secure:   s.secure(c.Request()),
		SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(c.Request()), SameSite: http.SameSiteStrictMode,
	})
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// meView is who the caller is, for the UI.
type meView struct {
	User   *identity.User   `json:"user,omitempty"`
	Role   identity.Role    `json:"role"`
	Agent  *dialer.Agent    `json:"agent"`
	Auth   string           `json:"auth"`
	APIKey *identity.APIKey `json:"api_key,omitempty"`
	// WebSessionExpiresAt is when the web session ends unless used.
	WebSessionExpiresAt time.Time `json:"session_expires_at,omitzero"`
}

func (p *principal) me() meView {
	v := meView{Role: p.Actor.Role, Agent: p.Seat, Auth: "session"}
	if p.Key != nil {
		v.Auth, v.APIKey = "api_key", p.Key
		return v
	}
	u := p.User
	v.User, v.WebSessionExpiresAt = &u, p.WebSession.ExpiresAt
	return v
}

func (s *Server) login(c echo.Context, _ *principal) error {
	var b loginBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Username == "" {
		return fieldErr("username", "required")
	}
	if b.Password == "" {
		return fieldErr("password", "required")
	}
	if err := checkText("username", b.Username, 64); err != nil {
		return err
	}
	if len(b.Password) > 1024 {
		return fieldErr("password", "too long")
	}
	ctx := c.Request().Context()
	ip := c.RealIP()
	// Failures count per username and address together (so that nobody
	// can lock a user out from elsewhere) and per address.
	pair, addr := "u:"+strings.ToLower(b.Username)+"|"+ip, "ip:"+ip
	if wait := s.limiter.blocked(s.now(), pair, addr); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return newHTTPError(http.StatusTooManyRequests, "too many failed logins; retry later")
	}
	u, err := s.users.Authenticate(ctx, b.Username, b.Password)
	if err != nil {
		if errors.Is(err, identity.ErrBadCredentials) || errors.Is(err, identity.ErrDisabled) {
			s.limiter.fail(s.now(), pair, addr)
			s.audit(ctx, nil, "auth.login_failed", "", map[string]any{"username": b.Username, "ip": ip})
		}
		return err
	}
	s.limiter.reset(pair)
	now := s.now()
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		// A fresh token on every login: a planted cookie is worth nothing.
		_ = s.webSessions.DeleteWebSession(ctx, ck.Value)
	}
	if _, err := s.webSessions.DeleteExpiredWebSessions(ctx, now); err != nil {
		s.log.Warn("could not delete expired web sessions", "err", err)
	}
	p, err := s.startWebSession(c, u.ID)
	if err != nil {
		return err
	}
	s.audit(ctx, p, "auth.login", "user:"+u.ID.String(), map[string]any{"ip": ip})
	return c.JSON(http.StatusOK, p.me())
}

// startWebSession gives the browser a new web session of user.
func (s *Server) startWebSession(c echo.Context, user identity.UserID) (*principal, error) {
	ctx := c.Request().Context()
	sess, token, err := s.webSessions.CreateWebSession(ctx, identity.NewWebSession{
		User: user, At: s.now(), Idle: s.opts.WebSessionIdle, MaxAge: s.opts.WebSessionMaxAge,
		UserAgent: c.Request().UserAgent(), RemoteAddr: c.RealIP(),
	})
	if err != nil {
		return nil, err
	}
	s.setCookie(c, token, sess.MaxExpiresAt)
	return s.principalForWebSession(ctx, token)
}

func (s *Server) logout(c echo.Context, _ *principal) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if p, err := s.principalForWebSession(ctx, ck.Value); err == nil {
			s.audit(ctx, p, "auth.logout", "user:"+p.User.ID.String(), nil)
		}
		if err := s.webSessions.DeleteWebSession(ctx, ck.Value); err != nil {
			return err
		}
		// Its event streams end now, not at their next check.
		s.open.endAll(sessionOwner(ck.Value))
	}
	s.clearCookie(c)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getMe(c echo.Context, p *principal) error {
	return c.JSON(http.StatusOK, p.me())
}

// audit records a security-relevant action; a failure to record is
// logged, not answered, so that the audit log cannot lock everyone out.
func (s *Server) audit(ctx context.Context, p *principal, action, target string, data map[string]any) {
	if s.auditLog == nil {
		return
	}
	e := dialer.AuditEntry{At: s.now(), Actor: p.auditActor(), Action: action, Target: target, Remote: dialer.RemoteFrom(ctx)}
	if p != nil {
		e.Role = p.Actor.Role
	}
	if data != nil {
		e.Data = mustJSON(data)
	}
	if _, err := s.auditLog.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit entry not written", "action", action, "actor", e.Actor, "err", err)
	}
}

// loginLimiter counts failed logins in a fixed window, so that passwords
// cannot be guessed at the speed of bcrypt.
type loginLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	perUser int
	perIP   int
	fails   map[string]*failCount
}

type failCount struct {
	n     int
	start time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{window: 15 * time.Minute, perUser: 10, perIP: 50, fails: map[string]*failCount{}}
}

func (l *loginLimiter) limit(key string) int {
	if strings.HasPrefix(key, "ip:") {
		return l.perIP
	}
	return l.perUser
}

// blocked returns how long to wait if any key is over its limit.
func (l *loginLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		f := l.fails[k]
		if f == nil {
			continue
		}
		if now.Sub(f.start) >= l.window {
			delete(l.fails, k)
			continue
		}
		if f.n >= l.limit(k) {
			wait = max(wait, f.start.Add(l.window).Sub(now))
		}
	}
	return wait
}

func (l *loginLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 100_000 {
		// Bounded memory under a spray of usernames: forget expired
		// windows, and everything if that is not enough.
		for k, f := range l.fails {
			if now.Sub(f.start) >= l.window {
				delete(l.fails, k)
			}
		}
		if len(l.fails) > 100_000 {
			clear(l.fails)
		}
	}
	for _, k := range keys {
		f := l.fails[k]
		if f == nil || now.Sub(f.start) >= l.window {
			f = &failCount{start: now}
			l.fails[k] = f
		}
		f.n++
	}
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// EnsureAdmin creates the first user when there is none: "admin" with a
// random password, printed once to out. The service calls it on start.
func EnsureAdmin(ctx context.Context, users UserStore, log *slog.Logger, out io.Writer) error {
	existing, err := users.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	pw := randomPassword()
	u, err := users.CreateUser(ctx, identity.User{Username: "admin", DisplayName: "Administrator", Role: identity.RoleAdmin}, pw)
	if errors.Is(err, dialer.ErrConflict) {
		// Another instance won the race; its password was printed there.
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if log != nil {
		log.Warn("no users: created the first admin; its password is printed once on standard output", "username", u.Username)
	}
	_, err = fmt.Fprintf(out, "\nFirst start: created user %q (admin) with password %s\n"+
		"It is shown only this once: log in and change it (PATCH /api/v1/users/%d).\n"+
		"If it is lost: agentswitch user passwd %s (the new password on standard input).\n\n", u.Username, pw, u.ID, u.Username)
	return err
}

// randomPassword returns 128 random bits as 26 lowercase base32 letters.
func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
