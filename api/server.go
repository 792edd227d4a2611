// Package api is agentswitch's HTTP interface: JSON routes, the event
// stream and the embedded web UI, on echo.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/agentui"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/leadcall"
	"github.com/agentswitch/agentswitch/notify"
)

// Check reports one dependency's health: details to show, or an error.
type Check func(ctx context.Context) (map[string]any, error)

// Options configure the server. Zero values take the defaults in New.
type Options struct {
	Version string
	Logger  *slog.Logger
	// Checks are reported by /healthz under their names ("database",
	// "redis", "switch"); any error makes it answer 503.
	Checks map[string]Check
	// Draining reports the service stopping: /healthz answers 503
	// "draining" so a load balancer sends no more work.
	Draining func() bool

	// Engine runs calls and agents; nil answers 503 where it is needed.
	Engine Engine
	// The stores; while any is missing the /api/v1 routes answer 503.
	Directory   dialer.Directory
	Campaigns   dialer.CampaignStore
	Calls       dialer.CallLog
	Audit       dialer.AuditLog
	Users       UserStore
	APIKeys     APIKeyStore
	WebSessions WebSessionStore
	// PBX provisions gateways and DIDs and tells FreeSWITCH of changes
	// (agents' too); without it the gateway and DID routes answer 503 and
	// agent changes answer reload "skipped".
	PBX Provisioner
	// Imports keeps lead lists and runs CSV imports; without it those
	// routes answer 503.
	Imports ImportStore
	// ImportDir keeps each import's rejected rows as CSV (default a
	// directory under os.TempDir).
	ImportDir string
	// RecordingsDir is where the switch writes call recordings; a call's
	// recording is served only from inside it ("" serves none: 503).
	RecordingsDir string
	// Queues keeps inbound queues and their members; without it the
	// queue routes answer 503.
	Queues dialer.QueueStore
	// PauseCodes keeps the codes agents pause with; without it the
	// engine's codes are listed and the admin routes answer 503.
	PauseCodes dialer.PauseCodeStore
	// Teams keeps the teams agents belong to; without it the team routes
	// answer 503.
	Teams dialer.TeamStore
	// Widgets keeps the callback widgets, their managers and keys;
	// without it the widget routes answer 503.
	Widgets dialer.WidgetStore
	// LeadCalls runs the lead requests (the lead-call API, the widget);
	// without it those routes answer 503.
	LeadCalls *leadcall.Service
	// WidgetRequests keeps the lead requests for their routes; without it
	// they answer 503.
	WidgetRequests dialer.WidgetRequestStore
	// SMS sends manager verification codes; nil logs them (no provider).
	SMS SMSSender
	// Webhooks keeps the webhook endpoints and their deliveries; without
	// it the /webhooks routes answer 503.
	Webhooks Webhooks
	// Sim places callers on the built-in simulated switch; nil (with a
	// real FreeSWITCH) the /sim routes answer 404.
	Sim SimSwitch
	// Stats computes campaign figures; without it GET
	// /campaigns/{id}/stats answers 503.
	Stats StatsStore
	// Reports computes the reports; without it the /reports routes
	// answer 503.
	Reports ReportStore
	// Notify sends e-mail and text messages; POST /notify/test uses its
	// direct senders (nil: that route answers 409, not configured).
	Notify *notify.Notifier

	// WebRTC configures the browser softphone's credentials (no WSURL:
	// those routes answer 503).
	WebRTC WebRTCOptions

	// DefaultCountry (ISO 3166 alpha-2, "US") reads numbers typed without
	// a country code; "" requires +<country code>.
	DefaultCountry string
	// DefaultTimeZone (IANA) places a callback's date and time when the
	// lead has no zone; "" is UTC.
	DefaultTimeZone string
	// SIPRealm is the digest realm of new agent seats (default
	// "agentswitch").
	SIPRealm string
	// WebSessionIdle ends a web session unused this long (default 12h);
	// WebSessionMaxAge ends it whatever the use (default 7 days).
	WebSessionIdle, WebSessionMaxAge time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (ParseTrustedProxies reads them);
	// empty believes none: the peer's own address is the client's.
	TrustedProxies []netip.Prefix
	// BodyTimeout bounds the time to read a request's body (default 30s).
	BodyTimeout time.Duration
	// Stream tunes the event stream.
	Stream StreamOptions
	// Now is the clock (default clock.System).
	Now func() time.Time

	// Metrics answers GET /metrics (the Prometheus text format) behind
	// the supervisor gate; nil answers 404. The registry behind it is
	// the caller's: the api package keeps none of its own.
	Metrics http.Handler
	// ObserveRequest, if set, is told of every request: its method, its
	// route's pattern ("" when none matched), status and duration.
	ObserveRequest func(method, route string, status int, took time.Duration)
}

// StreamOptions tune GET /api/v1/stream; zero values take the defaults.
type StreamOptions struct {
	// Buffer is how many events may wait for one client; a client that
	// falls further behind is disconnected and told to reconnect.
	// Default 1024.
	Buffer int
	// PingInterval between server pings (default 20s); a ping without
	// its pong within the interval drops the connection.
	PingInterval time.Duration
	// WriteTimeout bounds one write to the client (default 10s).
	WriteTimeout time.Duration
	// MaxPerLogin is how many streams one login (a session or an API
	// key) may hold open at once (default 8: a few tabs); more are
	// refused with 429.
	MaxPerLogin int
	// HeartbeatEvery is the least time between two workspace heartbeats
	// sent to the engine for one connection (default 5s).
	HeartbeatEvery time.Duration
}

// Server is the HTTP server.
type Server struct {
	e    *echo.Echo
	opts Options
	log  *slog.Logger

	engine      Engine
	dir         dialer.Directory
	campaigns   dialer.CampaignStore
	calls       dialer.CallLog
	auditLog    dialer.AuditLog
	users       UserStore
	apiKeys     APIKeyStore
	webSessions WebSessionStore
	now         func() time.Time
	limiter     *loginLimiter
	// The lead-call API's token buckets and the answers waited for by
	// concurrent requests with one Idempotency-Key.
	leadLimits buckets
	leadIdem   idempotency
	// missing names the stores not given; the API answers 503 without
	// them.
	missing []string

	// streams ends every event stream on Shutdown: hijacked connections
	// are not tracked by http.Server.
	streams    context.Context
	endStreams context.CancelFunc
	streamWG   sync.WaitGroup
	// open counts each login's streams and ends them at logout.
	open *openStreams
	// importing: the progress of the imports under way.
	importing runningImports
	// directoryRecords: the agents and queues GET /directory lists.
	directoryRecords directoryRecords

	mu  sync.Mutex
	srv *http.Server
	// closing: Shutdown has begun; no new stream joins streamWG.
	closing bool
}

// Validate reports every setting New would have to ignore, for the
// configuration to refuse at start.
func (o Options) Validate() error {
	var errs []error
	if o.DefaultCountry != "" && !phone.ValidCountry(o.DefaultCountry) {
		errs = append(errs, fmt.Errorf("default country %q is not an ISO 3166 region code such as US", o.DefaultCountry))
	}
	if o.DefaultTimeZone == "Local" || !dialer.ValidTimeZone(o.DefaultTimeZone) {
		errs = append(errs, fmt.Errorf("default time zone %q is not an IANA zone such as America/New_York", o.DefaultTimeZone))
	}
	return errors.Join(errs...)
}

// New builds the router. Settings that Validate refuses are logged and
// left out (no default country: numbers need +; UTC for callbacks).
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.Validate(); err != nil {
		opts.Logger.Error("api options ignored", "err", err)
		if opts.DefaultCountry != "" && !phone.ValidCountry(opts.DefaultCountry) {
			opts.DefaultCountry = ""
		}
		if opts.DefaultTimeZone == "Local" || !dialer.ValidTimeZone(opts.DefaultTimeZone) {
			opts.DefaultTimeZone = ""
		}
	}
	if opts.Now == nil {
		opts.Now = clock.System()
	}
	if opts.SIPRealm == "" {
		opts.SIPRealm = "agentswitch"
	}
	if opts.WebSessionIdle <= 0 {
		opts.WebSessionIdle = 12 * time.Hour
	}
	if opts.WebSessionMaxAge <= 0 {
		opts.WebSessionMaxAge = 7 * 24 * time.Hour
	}
	opts.WebSessionIdle = min(opts.WebSessionIdle, opts.WebSessionMaxAge)
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 30 * time.Second
	}
	if opts.Stream.Buffer <= 0 {
		opts.Stream.Buffer = 1024
	}
	if opts.Stream.MaxPerLogin <= 0 {
		opts.Stream.MaxPerLogin = 8
	}
	if opts.Stream.PingInterval <= 0 {
		opts.Stream.PingInterval = 20 * time.Second
	}
	if opts.Stream.WriteTimeout <= 0 {
		opts.Stream.WriteTimeout = 10 * time.Second
	}
	if opts.Stream.HeartbeatEvery <= 0 {
		opts.Stream.HeartbeatEvery = 5 * time.Second
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{
		e: e, opts: opts, log: opts.Logger,
		engine: opts.Engine, dir: opts.Directory, campaigns: opts.Campaigns, calls: opts.Calls,
		auditLog: opts.Audit, users: opts.Users, apiKeys: opts.APIKeys, webSessions: opts.WebSessions,
		now: opts.Now, limiter: newLoginLimiter(),
	}
	if s.engine == nil {
		s.engine = noEngine{}
	}
	for name, missing := range map[string]bool{
		"Directory": opts.Directory == nil, "Campaigns": opts.Campaigns == nil, "Calls": opts.Calls == nil,
		"Audit": opts.Audit == nil, "Users": opts.Users == nil, "APIKeys": opts.APIKeys == nil,
		"WebSessions": opts.WebSessions == nil,
	} {
		if missing {
			s.missing = append(s.missing, name)
		}
	}
	slices.Sort(s.missing)
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.open = &openStreams{by: map[string]map[*openStream]struct{}{}}
	// X-Forwarded-For is believed only from the configured proxies: from
	// anyone else it would spoof the address the login limits count.
	// Echo reads the headers itself when no extractor is set.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(opts.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, p := range opts.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	}
	e.HTTPErrorHandler = s.errorHandler
	e.Pre(s.bodyDeadline)
	if opts.ObserveRequest != nil {
		e.Use(s.observeRequests)
	}
	e.Use(s.recoverPanics)
	e.GET("/healthz", s.healthz)
	s.register()
	s.mountUI()
	s.mountWidget()
	return s
}

// uiRoute names the web UI's routes, which are pages and files rather
// than API operations (the OpenAPI file leaves them out).
const uiRoute = "ui"

// mountUI serves the agent workspace: index.html on the UI's own paths
// (so that a reload lands on the same screen) and its files.
func (s *Server) mountUI() {
	// The page may open the softphone's WebSocket (its own origin besides).
	h := echo.WrapHandler(agentui.Handler(s.opts.WebRTC.WSURL))
	// HEAD too: uptime checks and proxies ask for the page that way.
	for _, p := range append(slices.Clone(agentui.Pages), agentui.AssetsPrefix+"*") {
		s.e.GET(p, h).Name = uiRoute
		s.e.HEAD(p, h).Name = uiRoute
	}
}

// Echo exposes the router so other parts can register their routes.
func (s *Server) Echo() *echo.Echo { return s.e }

// Serve answers on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, tells event streams to reconnect
// elsewhere (close 1001), and waits for requests and streams to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.closing = true
	s.mu.Unlock()
	s.endStreams()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	done := make(chan struct{})
	go func() { s.streamWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	return err
}

// healthz reports each dependency; 503 if any is down. Details (paths,
// addresses, the switch's Core-UUID, errors) help an attacker map the
// system: an anonymous caller gets the status alone, a logged-in one each
// dependency's status and the switch mode (the workspace shows a
// simulated switch), an admin everything.
func (s *Server) healthz(c echo.Context) error {
	var p *principal
	if len(s.missing) == 0 {
		p, _ = s.authenticate(c)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	type result struct {
		name   string
		detail map[string]any
	}
	results := make(chan result, len(s.opts.Checks))
	for name, check := range s.opts.Checks {
		go func() {
			d, err := check(ctx)
			if d == nil {
				d = map[string]any{}
			}
			if err != nil {
				d["status"] = "down"
				d["error"] = err.Error()
			} else {
				d["status"] = "up"
			}
			results <- result{name, d}
		}()
	}
	body := map[string]any{"version": s.opts.Version}
	status, code := "ok", http.StatusOK
	for range s.opts.Checks {
		r := <-results
		body[r.name] = r.detail
		if r.detail["status"] != "up" {
			status, code = "degraded", http.StatusServiceUnavailable
		}
	}
	if s.opts.Draining != nil && s.opts.Draining() {
		status, code = "draining", http.StatusServiceUnavailable
	}
	body["status"] = status
	switch {
	case p == nil:
		body = map[string]any{"status": status}
	case !p.Actor.Role.AtLeast(identity.RoleAdmin):
		for name := range s.opts.Checks {
			d := body[name].(map[string]any)
			pub := map[string]any{"status": d["status"]}
			if m, ok := d["mode"]; ok {
				pub["mode"] = m
			}
			body[name] = pub
		}
		delete(body, "version")
	}
	return c.JSON(code, body)
}

// bodyDeadline bounds the time to read a request's body: a client that
// sends headers and then drips its body would otherwise hold a connection
// and a goroutine as long as it likes. http.Server's ReadTimeout would
// also cut WebSocket streams, so the deadline is per request, lifted once
// the body has been read (a read pending past it would cancel the
// request). Socket deadlines run on real time, not the service's clock.
func (s *Server) bodyDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || r.Header.Get(echo.HeaderUpgrade) != "" {
			return next(c)
		}
		rc := http.NewResponseController(c.Response())
		// A socket deadline is on the kernel's clock, never the server's
		// (possibly offset) one.
		if rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout)) != nil {
			return next(c) // not a network connection (tests' recorders)
		}
		b := &deadlineBody{ReadCloser: r.Body, rc: rc}
		r.Body = b
		err := next(c)
		if !b.read.Load() {
			// What the handler left is drained by the server: bounded too.
			_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout))
		}
		return err
	}
}

// deadlineBody lifts the connection's read deadline at the body's end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	read atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.read.Swap(true) {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// observeRequests reports each request once its status is known: an
// error is rendered here (as echo's own logger does) so that the status
// observed is the one sent. An event stream's lifetime is no request's
// latency: upgrades are left out.
func (s *Server) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Header.Get(echo.HeaderUpgrade) != "" {
			return next(c)
		}
		// Latency is wall time on the monotonic clock, not the injected
		// one: a test's clock that stands still would report zero.
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.opts.ObserveRequest(c.Request().Method, c.Path(), c.Response().Status, time.Since(start))
		return nil
	}
}

// recoverPanics turns a handler's panic into a 500 for that request only.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("handler panic", "method", c.Request().Method, "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}
