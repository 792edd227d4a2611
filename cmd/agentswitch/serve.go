package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/api"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/redisstore"
	"github.com/agentswitch/agentswitch/dialer/sqlitestore"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/metrics"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/internal/redisproc"
	"github.com/agentswitch/agentswitch/leadcall"
	"github.com/agentswitch/agentswitch/notify"
	"github.com/agentswitch/agentswitch/notify/webhooks"
	"github.com/agentswitch/agentswitch/pbx"
	"github.com/agentswitch/agentswitch/tts"
)

// stack is everything serve starts, stopped in reverse order.
type stack struct {
	log     *slog.Logger
	closers []func()
}

func (s *stack) onClose(f func()) { s.closers = append(s.closers, f) }

func (s *stack) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// serve runs the service until ctx ends.
func serve(ctx context.Context, cfg *Config, log *slog.Logger, stdout io.Writer) (err error) {
	st := &stack{log: log}
	defer st.close()
	// The listener first: a busy or wrong address must fail before
	// anything is created, migrated or started.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("AGENTSWITCH_HTTP_ADDR (-http-addr) %s: %w", cfg.HTTPAddr, err)
	}
	st.onClose(func() { ln.Close() })
	// One clock for every component.
	now := clock.New(cfg.ClockOffset)
	if cfg.ClockOffset != 0 {
		log.Warn("the service's clock is moved", "offset", cfg.ClockOffset, "now", now())
	}
	if err := prepareDirs(cfg); err != nil {
		return err
	}

	db, err := openDB(ctx, cfg, log, now)
	if err != nil {
		return err
	}
	st.onClose(func() { db.Close() })

	rdb, redisInfo, redisSup, err := openRedis(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	live := redisstore.New(rdb, redisstore.Options{Logger: log, Now: now})
	// The service's own registry (no global one): the API serves it.
	mx := metrics.New()
	// Before the engine: its queue stops after everything that may send.
	notifier, err := startNotifier(cfg, log, now, mx, st)
	if err != nil {
		return err
	}

	nodes, builtin, err := switchNodes(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	simulated := builtin != nil
	// Only the built-in simulator takes callers from the API.
	var simCalls api.SimSwitch
	if simulated {
		simCalls = &simCallers{sim: builtin}
	}
	// The engine handles the switch's events and drives the switch; the
	// client is built first and pointed at the engine before it runs.
	handler := &esl.Deferred{}
	sw := &switchWatch{log: log}
	client, err := esl.New(esl.Config{
		Nodes:             nodes,
		HeartbeatInterval: cfg.Heartbeat,
		CommandTimeout:    cfg.CmdTimeout,
		Logger:            log.With("component", "esl"),
		Now:               now,
		// The engine's decoder copies what it keeps of an event and the
		// switch watch reads none, so the client may read into handled
		// events' memory.
		RecycleEvents:  true,
		ObserveCommand: mx.ObserveCommand,
	}, handler)
	if err != nil {
		return err
	}
	announcer := startTTS(cfg, log, now)
	engine, err := dialer.NewEngine(dialer.EngineConfig{
		Announcer: announcer,
		Gateway:   cfg.Gateway, AgentDomain: cfg.AgentDomain, CallerIDNumber: cfg.CallerID, CallerIDName: cfg.CallerIDName,
		AbandonMessage: cfg.AbandonMsg, TransferFailedMessage: cfg.TransferFailedMsg, ConsentMessage: cfg.ConsentMsg, RecordingsDir: cfg.RecDir, WrapUp: cfg.WrapUp,
		ConferenceProfile: cfg.ConfProfile, AgentPhoneAllow: cfg.AgentPhoneAllow,
		Country:             cfg.Country,
		MaxCallDuration:     cfg.MaxCall,
		WebRTCCredentialTTL: cfg.WebRTCTTL,
	}, dialer.EngineDeps{Switch: client, Live: mx.TimedLive(live), Directory: db, Campaigns: db, Calls: db, Audit: db, Hopper: live.Hopper(), Queues: db, PauseCodes: db,
		WebRTC: live.WebRTCCredentials(), Now: now, Logger: log.With("component", "engine")})
	if err != nil {
		return err
	}
	// The service provisions the switch: changes made over the API are
	// pushed with pbx.Reload, and a node that (re)connects is reconciled
	// with the database's gateways (pbx.Reconcile), then its gateways'
	// state is read again. The built-in simulator reads the gateways
	// straight from the database where FreeSWITCH asks mod_xml_curl.
	zone, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	if simulated {
		builtin.SetGatewaySource(storeGateways(db))
	}
	sw.onUp = func(node string) {
		reconcileGateways(runCtx, client, db, node, log)
		rctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
		defer cancel()
		engine.RefreshGateways(rctx)
	}
	handler.Set(both{engine, sw})
	mx.Watch(metrics.Sources{Nodes: client.Nodes, Events: client.Stats().Events.Load, Engine: engine})
	var wg sync.WaitGroup
	wg.Go(func() { client.Run(runCtx) })
	wg.Go(func() {
		// Stopping while the engine still loads is no failure.
		if err := engine.Run(runCtx); err != nil && runCtx.Err() == nil {
			log.Error("engine stopped", "err", err)
		}
	})
	// Every active dialer campaign's hopper is kept full from the database;
	// the hopper's claims make this safe in several processes at once.
	filler := dialer.NewHopperFiller(dialer.HopperFillConfig{}, db, live.Hopper(), now, log.With("component", "hopper"))
	wg.Go(func() { filler.Run(runCtx) })
	// Webhooks: the call events go to the outbox, delivered out of band.
	hooks := webhooks.New(webhooks.Config{Store: db, Now: now, AllowPrivate: cfg.WebhookAllowPrivate,
		Observe: mx.Webhooks(db), Logger: log.With("component", "webhooks")})
	wg.Go(func() { hooks.Run(runCtx) })
	wg.Go(func() { hooks.FollowCalls(runCtx, engine, db) })
	// Lead requests: stopped after the engine, so that calls ending while
	// it stops are still recorded.
	leads := leadcall.New(leadcall.Config{Store: db, Widgets: db, Engine: engine, Webhooks: hooks, Now: now,
		Logger:  log.With("component", "leadcall"),
		OnEvent: widgetNotices(notifier, db, cfg.PublicURL, zone, log.With("component", "widgetnotify"))})
	st.onClose(leads.Stop)
	st.onClose(func() { stopRun(); wg.Wait() })

	srv := api.New(api.Options{
		Version: version,
		Now:     now,
		Logger:  log.With("component", "http"),
		Engine:  engine, Directory: db, Campaigns: db, Calls: db, Audit: db, Users: db, APIKeys: db, WebSessions: db,
		PBX: pbx.NewService(pbx.ServiceConfig{Store: db, Campaigns: db, Switch: client, Country: cfg.Country,
			Logger: log.With("component", "pbx")}),
		DefaultCountry: cfg.Country, DefaultTimeZone: cfg.TimeZone, SIPRealm: cfg.SIPRealm, WebRTC: cfg.WebRTC,
		Imports: db, ImportDir: filepath.Join(cfg.VarDir, "imports"), RecordingsDir: cfg.RecDir, Stats: db, Reports: db, Queues: db, PauseCodes: db, Teams: db, Widgets: db, Sim: simCalls, Webhooks: hooks,
		LeadCalls: leads, WidgetRequests: db,
		TrustedProxies: cfg.TrustedProxies,
		Draining:       engine.Draining,
		Notify:         notifier,
		SMS:            smsSender{notifier},
		Metrics:        mx.Handler(),
		ObserveRequest: mx.ObserveRequest,
		Checks: map[string]api.Check{
			"database": func(ctx context.Context) (map[string]any, error) {
				v, err := db.SchemaVersion(ctx)
				return map[string]any{"path": cfg.DBPath, "schema_version": v.Current}, err
			},
			"redis": func(ctx context.Context) (map[string]any, error) {
				d := maps.Clone(redisInfo)
				if redisSup != nil {
					d["process"] = redisSup.Status()
				}
				return d, rdb.Ping(ctx).Err()
			},
			"switch": func(ctx context.Context) (map[string]any, error) {
				mode := "freeswitch"
				if simulated {
					mode = "simulated"
				}
				ns := client.Nodes()
				d := map[string]any{"mode": mode, "nodes": ns}
				for _, n := range ns {
					if !n.Up {
						return d, fmt.Errorf("node %s not connected: %s", n.Name, n.LastErr)
					}
				}
				return d, nil
			},
		},
	})
	if cfg.XMLCurlSecret != "" {
		// FreeSWITCH's mod_xml_curl, on the API's listener; the handler
		// checks basic auth (constant-time) before reading anything.
		srv.Echo().POST(pbxnames.XMLCurlPath, echo.WrapHandler(pbx.NewHandler(db, cfg.XMLCurlSecret,
			pbx.WithLogger(log.With("component", "xml_curl")), pbx.WithWebRTC(live.WebRTCCredentials(), now))))
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	st.onClose(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("http shutdown", "err", err)
		}
	})

	// Wait for the switch so the URL printed below works at once.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	sw.waitUp(wctx, len(nodes))
	cancel()
	if ctx.Err() != nil {
		// Stopped before it was up: no admin, no URL.
		log.Info("shutting down")
		return nil
	}
	// With the switch up, so that due attempts can be placed.
	if err := leads.Start(ctx); err != nil {
		return fmt.Errorf("lead requests: %w", err)
	}
	url := "http://" + ln.Addr().String() + "/"
	mode := "FreeSWITCH at " + nodes[0].Addr
	if simulated {
		mode = "the built-in simulated switch (set AGENTSWITCH_ESL_ADDR for a real FreeSWITCH)"
	}
	// The first admin only now: a start that failed earlier printed no
	// password that would then be lost.
	if err := api.EnsureAdmin(ctx, db, log, stdout); err != nil {
		return err
	}
	log.Info("agentswitch is up", "url", url, "switch", mode, "database", cfg.DBPath, "redis", redisInfo["addr"])
	fmt.Fprintf(stdout, "agentswitch %s is up: %s  (health: %shealthz; switch: %s)\n", version, url, url, mode)

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		return fmt.Errorf("http server: %w", err)
	}
	// Live calls end, with their records, before what they need (HTTP,
	// the switch connection, the stores) is stopped.
	wait := time.Duration(0)
	if errors.Is(context.Cause(ctx), errDrain) {
		wait = cfg.Drain
	}
	log.Info("draining: no new calls", "wait_for_live_calls", wait)
	dctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := engine.Drain(dctx); err != nil {
		log.Error("drain", "err", err)
	}
	log.Info("shutting down")
	return nil
}

// prepareDirs creates the directories serve writes to, naming the
// setting behind any that cannot be written.
func prepareDirs(cfg *Config) error {
	if cfg.RedisURL == "" {
		if err := writableDir(cfg.VarDir); err != nil {
			return fmt.Errorf("AGENTSWITCH_VAR_DIR (-var-dir): %w", err)
		}
	}
	// With a real FreeSWITCH the recordings are written on its host; this
	// one only needs to exist.
	if err := os.MkdirAll(cfg.RecDir, 0o750); err != nil {
		return fmt.Errorf("AGENTSWITCH_RECORDINGS_DIR (-recordings-dir): cannot create %s (%v)", cfg.RecDir, reason(err))
	}
	return prepareDB(cfg.DBPath)
}

func openDB(ctx context.Context, cfg *Config, log *slog.Logger, now func() time.Time) (*sqlitestore.Store, error) {
	db, err := sqlitestore.Open(ctx, cfg.DBPath, sqlitestore.Options{Now: now})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", cfg.DBPath, err)
	}
	if len(applied) > 0 {
		log.Info("database migrated", "path", cfg.DBPath, "applied", applied)
	}
	if err := db.SeedPauseCodes(ctx, cfg.PauseCodes); err != nil {
		db.Close()
		return nil, fmt.Errorf("add the pause codes of AGENTSWITCH_PAUSE_CODES to %s: %w", cfg.DBPath, err)
	}
	// Before the API takes a new import: one left running is not finished.
	n, err := db.RecoverImports(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("roll back unfinished imports in %s: %w", cfg.DBPath, err)
	}
	if n > 0 {
		log.Warn("imports left running rolled back", "imports", n)
	}
	return db, nil
}

// openRedis connects to AGENTSWITCH_REDIS_URL or starts a private
// redis-server under the var dir.
func openRedis(ctx context.Context, cfg *Config, log *slog.Logger, st *stack) (rdb *redis.Client, info map[string]any, sup *redisproc.Supervisor, err error) {
	url := cfg.RedisURL
	info = map[string]any{"embedded": url == ""}
	if url == "" {
		// Supervised: one that dies is started again on the same port.
		p, err := redisproc.Supervise(ctx, redisproc.Options{Bin: cfg.RedisBin, Dir: filepath.Join(cfg.VarDir, "redis"), Persist: true},
			log.With("component", "redis"))
		if err != nil {
			return nil, nil, nil, err
		}
		st.onClose(p.Stop)
		url = p.URL()
		sup = p
		log.Info("started a private redis-server", "addr", p.Addr, "dir", filepath.Join(cfg.VarDir, "redis"))
	}
	opt, err := redisproc.ClientOptions(url)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("AGENTSWITCH_REDIS_URL: %w", err)
	}
	redisproc.LogTo(log.With("component", "go-redis"))
	rdb = redis.NewClient(opt)
	st.onClose(func() { rdb.Close() })
	// A command fails fast while Redis is down, so wait here for one that
	// is still starting (an external Redis brought up beside the service).
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := rdb.Ping(pctx).Err()
		if err == nil {
			break
		}
		select {
		case <-pctx.Done():
			return nil, nil, nil, fmt.Errorf("redis %s: %w", opt.Addr, err)
		case <-tick.C:
		}
	}
	info["addr"] = opt.Addr
	return rdb, info, sup, nil
}

// switchNodes returns the configured FreeSWITCH nodes, or starts the
// built-in simulator and returns it as the only node, and itself.
func switchNodes(ctx context.Context, cfg *Config, log *slog.Logger, st *stack) ([]esl.Node, *sim.Server, error) {
	if len(cfg.ESL) > 0 {
		return cfg.ESL, nil, nil
	}
	pw := randomSecret()
	s := sim.New(sim.Config{Password: pw, RecordingsDir: cfg.RecDir, Logger: log.With("component", "sim")})
	if err := s.Listen(cfg.SimAddr); err != nil {
		return nil, nil, fmt.Errorf("AGENTSWITCH_SIM_ADDR (-sim-addr): simulated switch: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { s.Serve(sctx); close(done) }()
	st.onClose(func() { cancel(); <-done })
	log.Warn("no AGENTSWITCH_ESL_ADDR: running the built-in SIMULATED switch; calls are not real", "esl_addr", s.Addr())
	return []esl.Node{{Name: "sim", Addr: s.Addr(), Password: pw}}, s, nil
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// both hands switch events to the engine and node changes to both.
type both struct {
	engine *dialer.Engine
	watch  *switchWatch
}

func (b both) HandleEvent(node string, ev *esl.Event) { b.engine.HandleEvent(node, ev) }

func (b both) HandleNode(st esl.NodeState) {
	b.watch.HandleNode(st)
	b.engine.HandleNode(st)
}

// switchWatch logs nodes coming and going and lets start-up wait for them.
type switchWatch struct {
	log *slog.Logger
	mu  sync.Mutex
	up  map[string]bool
	ch  chan struct{}
	// onUp runs, on its own goroutine, when a node connects.
	onUp func(node string)
}

func (w *switchWatch) HandleEvent(string, *esl.Event) {}

func (w *switchWatch) HandleNode(st esl.NodeState) {
	w.mu.Lock()
	if w.up == nil {
		w.up = map[string]bool{}
	}
	w.up[st.Node] = st.Up
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
	if st.Up && w.onUp != nil {
		// Not on the client's event goroutine: the commands wait for it.
		go w.onUp(st.Node)
	}
	if st.Up {
		w.log.Info("switch node up", "node", st.Node, "core_uuid", st.CoreUUID, "restarted", st.Restarted, "channels", len(st.Channels))
	} else {
		w.log.Warn("switch node down", "node", st.Node, "err", st.Err)
	}
}

// waitUp returns when n nodes are up or ctx ends.
func (w *switchWatch) waitUp(ctx context.Context, n int) {
	for {
		w.mu.Lock()
		count := 0
		for _, up := range w.up {
			if up {
				count++
			}
		}
		if count >= n {
			w.mu.Unlock()
			return
		}
		if w.ch == nil {
			w.ch = make(chan struct{})
		}
		ch := w.ch
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// reconcileGateways has a node that (re)connected run exactly the
// database's enabled gateways: it may have asked for them while the
// service was down, or kept one deleted while it could not be told.
func reconcileGateways(ctx context.Context, sw pbx.Switch, db *sqlitestore.Store, node string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	gws, err := db.ListGateways(ctx)
	if err != nil {
		log.Warn("gateways not reconciled on connect", "node", node, "err", err)
		return
	}
	var names []string
	for _, g := range gws {
		if g.Enabled {
			names = append(names, g.Name)
		}
	}
	if err := pbx.Reconcile(ctx, pbx.OnNode(sw, node), names); err != nil {
		log.Warn("gateways not reconciled on connect", "node", node, "err", err)
	}
}

// storeGateways gives the built-in simulator the enabled gateways, as
// the handler serves them to FreeSWITCH.
func storeGateways(db *sqlitestore.Store) sim.GatewaySource {
	return func(ctx context.Context, _ string) ([]sim.GatewayConfig, error) {
		gws, err := db.ListGateways(ctx)
		if err != nil {
			return nil, err
		}
		var out []sim.GatewayConfig
		for _, g := range gws {
			if g.Enabled {
				out = append(out, sim.GatewayConfig{Name: g.Name, Proxy: g.Proxy, Username: g.Username, Register: g.Register})
			}
		}
		return out, nil
	}
}

const migrateUsage = `usage: agentswitch migrate [flags]

Applies the database's pending migrations and prints its schema version.
serve migrates by itself at start.
`

// runMigrate applies pending migrations and prints the schema version.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("migrate", migrateUsage)
	dbPath := dbFlags(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	path := dbPath()
	if err := prepareDB(path); err != nil {
		return err
	}
	db, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	for _, a := range applied {
		fmt.Fprintln(stdout, "applied", a)
	}
	fmt.Fprintf(stdout, "%s: schema version %d (latest %d)\n", path, v.Current, v.Latest)
	return nil
}

// startTTS is the speed calls' speech: espeak-ng when set and installed;
// without it they hear a beep, which is said once in the log.
func startTTS(cfg *Config, log *slog.Logger, now func() time.Time) dialer.Announcer {
	if cfg.TTS == "off" {
		return nil
	}
	r, err := tts.New(tts.Config{Dir: cfg.TTSDir, Voice: cfg.TTSVoice, Now: now})
	if err != nil {
		log.Warn("announcements are a beep, not speech", "err", err)
		return nil
	}
	return r
}

// smsSender is the queued SMS of the notifier, as the API sends
// verification codes (the log provider's included: it writes them to the
// log, at warn).
type smsSender struct{ n *notify.Notifier }

func (s smsSender) SendSMS(ctx context.Context, to, body string) error {
	return s.n.SMS.Send(ctx, to, body)
}
