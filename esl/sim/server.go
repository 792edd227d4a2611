package sim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// Config configures a Server. Zero values take the defaults shown.
type Config struct {
	// OnCommand, when set, is told of each command as it arrives (a
	// benchmark's clock on the service's commands); it must not block.
	OnCommand         func(raw string)
	Password          string        // default "ClueCon"
	HeartbeatInterval time.Duration // default 20s
	CoreUUID          string        // default: random v4
	Hostname          string        // default "sim"
	RecordingsDir     string        // where relative record paths go; default os.TempDir()
	AnswerDelay       time.Duration // default for unscripted endpoints; default 300ms
	Logger            *slog.Logger  // nil = discard

	// IPv4 and IPv6 are the FreeSWITCH-IPv4/-IPv6 headers; defaults
	// 127.0.0.1 and ::1.
	IPv4, IPv6 string
	// RingDelay is how long an unscripted endpoint rings (180) before it
	// answers; it is part of AnswerDelay. Default: AnswerDelay/2.
	RingDelay time.Duration
	// VanillaDialplan adds the vanilla configuration's `global` extension
	// (four `log` lines and a `sleep` because default_password is 1234) in
	// front of every XML extension, as in the captures. Off by default.
	VanillaDialplan bool
	// VanillaSleep is the length of that sleep; default 10s.
	VanillaSleep time.Duration
	// MediaTick scales media timing (DTMF echo, hold re-INVITEs); default 20ms.
	MediaTick time.Duration
	// NoHoldMusic makes local_stream:// playbacks end at once with FILE NOT
	// FOUND, as on the vanilla install without music-on-hold files that was
	// captured. By default they play until interrupted.
	NoHoldMusic bool
	// AMDDelay is how long mod_amd's `amd` takes to decide; default 1.5s.
	AMDDelay time.Duration
	// PlaybackDuration is how long a file that is not on disk plays;
	// default 1s. WAV files on disk play for their real length.
	PlaybackDuration time.Duration
	// OriginatePoll is how long an originate takes to notice that its leg
	// answered: FreeSWITCH's originate loop looks every 20 ms, so the
	// BACKGROUND_JOB (after the caller-id CALL_UPDATE and the API event)
	// comes up to 20 ms after CHANNEL_ANSWER. A uuid_bridge or uuid_transfer
	// of the leg in that window turns the job into -ERR ORIGINATOR_CANCEL
	// (the leg itself is bridged or transferred), as it does for real.
	// Default 20ms; negative: the job comes with the answer.
	OriginatePoll time.Duration
	// Globals are global variables (vars.xml's X-PRE-PROCESS set): they
	// answer global_getvar and stand in for a channel variable a channel
	// does not have, in ${...} and $${...} expansion. The default has the
	// vanilla hold_music, local_stream://moh; SetGlobal changes one later.
	Globals map[string]string
}

// Server is a simulated FreeSWITCH event socket with simulated channels.
type Server struct {
	cfg Config
	log *slog.Logger

	ln      net.Listener
	lnMu    sync.Mutex
	stopped chan struct{}
	stopOne sync.Once
	wg      sync.WaitGroup

	// Fault injection, read by connection goroutines.
	silent    atomic.Bool
	shuffle   atomic.Int32
	duplicate atomic.Bool
	// lostBridges: uuid_bridge answers +OK this many more times without
	// bridging (see LoseBridges).
	lostBridges atomic.Int32
	// stalledBridges: uuid_bridge answers +OK this many more times and
	// leaves the other leg stuck (see StallBridges).
	stalledBridges atomic.Int32
	// stuckDeaf: a leg a stalled bridge left stuck ignores uuid_kill.
	stuckDeaf atomic.Bool
	delayMu   sync.Mutex
	delays    map[string]time.Duration

	cmdMu    sync.Mutex
	commands []string

	// Everything below is the simulation, guarded by mu.
	mu              sync.Mutex
	sched           *scheduler
	coreUUID        string
	started         time.Time
	seq             uint64
	conns           map[*conn]struct{}
	channels        map[string]*channel
	order           []*channel // creation order, for show channels
	sessionsTotal   int
	peakSessions    int
	endpoints       map[string]Behavior
	users           map[string]*user
	extensions      map[string]string
	conferences     map[string]*conference
	memberSeq       int
	knownSubclasses map[string]bool
	globals         map[string]string
	gwMu            sync.Mutex
	gateways        map[string]bool     // gateways a call went through (sofia profile killgw)
	gws             map[string]*gateway // gateways started by a rescan
	gwSource        GatewaySource
	sessionSeq      int
	heartbeat       *task
	serving         bool

	// Test hooks: alter events and api output before they go out.
	hookEvent func(e *event) bool
	hookAPI   func(cmd, out string) string
}

// New returns a Server that has not started listening.
func New(cfg Config) *Server {
	if cfg.Password == "" {
		cfg.Password = "ClueCon"
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 20 * time.Second
	}
	if cfg.CoreUUID == "" {
		cfg.CoreUUID = newUUID()
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "sim"
	}
	if cfg.RecordingsDir == "" {
		cfg.RecordingsDir = os.TempDir()
	}
	if cfg.AnswerDelay <= 0 {
		cfg.AnswerDelay = 300 * time.Millisecond
	}
	if cfg.RingDelay <= 0 || cfg.RingDelay > cfg.AnswerDelay {
		cfg.RingDelay = cfg.AnswerDelay / 2
	}
	if cfg.IPv4 == "" {
		cfg.IPv4 = "127.0.0.1"
	}
	if cfg.IPv6 == "" {
		cfg.IPv6 = "::1"
	}
	if cfg.VanillaSleep <= 0 {
		cfg.VanillaSleep = 10 * time.Second
	}
	if cfg.AMDDelay <= 0 {
		cfg.AMDDelay = 1500 * time.Millisecond
	}
	if cfg.PlaybackDuration <= 0 {
		cfg.PlaybackDuration = time.Second
	}
	if cfg.OriginatePoll == 0 {
		cfg.OriginatePoll = 20 * time.Millisecond
	}
	if cfg.MediaTick <= 0 {
		cfg.MediaTick = 20 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg:         cfg,
		log:         log,
		stopped:     make(chan struct{}),
		delays:      map[string]time.Duration{},
		coreUUID:    cfg.CoreUUID,
		started:     time.Now(),
		conns:       map[*conn]struct{}{},
		channels:    map[string]*channel{},
		endpoints:   map[string]Behavior{},
		users:       map[string]*user{},
		extensions:  map[string]string{},
		conferences: map[string]*conference{},
		knownSubclasses: map[string]bool{
			"conference::maintenance": true, "sofia::notify_refer": true, "sofia::pre_register": true,
			"sofia::register_attempt": true, "sofia::register": true, "sofia::unregister": true,
			"sofia::expire": true, SubclassGatewayState: true,
		},
		gws: map[string]*gateway{},
	}
	s.globals = map[string]string{"hold_music": "local_stream://moh"}
	for k, v := range cfg.Globals {
		s.globals[k] = v
	}
	s.sched = newScheduler(&s.mu)
	return s
}

// SetGlobal sets a global variable (see Config.Globals); an empty value
// removes it.
func (s *Server) SetGlobal(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" {
		delete(s.globals, name)
		return
	}
	s.globals[name] = value
}

// Listen binds addr, which must be a loopback address such as "127.0.0.1:0";
// an empty host or "localhost" binds 127.0.0.1.
func (s *Server) Listen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
		addr = net.JoinHostPort(host, port)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("sim: refusing to bind a non-loopback address " + host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.lnMu.Lock()
	s.ln = ln
	s.lnMu.Unlock()
	return nil
}

// UseListener makes Serve accept on ln instead of a socket bound by Listen,
// such as an in-memory listener whose connections are net.Pipe ends (TCP
// does not work inside a testing/synctest bubble).
func (s *Server) UseListener(ln net.Listener) {
	s.lnMu.Lock()
	s.ln = ln
	s.lnMu.Unlock()
}

// Addr is the host:port actually bound.
func (s *Server) Addr() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Serve accepts connections until ctx is done or Close is called. It closes
// every connection and returns once every goroutine it started has ended.
func (s *Server) Serve(ctx context.Context) error {
	s.lnMu.Lock()
	ln := s.ln
	s.lnMu.Unlock()
	if ln == nil {
		return errors.New("sim: Serve before Listen")
	}
	s.mu.Lock()
	s.serving = true
	s.scheduleHeartbeat()
	s.mu.Unlock()

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sched.run(s.stopped)
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.stopped:
		}
	}()

	var err error
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			select {
			case <-s.stopped:
			default:
				err = aerr
				_ = s.Close()
			}
			break
		}
		s.startConn(nc, false)
	}
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.sched.clear()
	s.mu.Unlock()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// startConn runs one listener; outbound sessions skip auth/request.
func (s *Server) startConn(nc net.Conn, outbound bool) *conn {
	c := newConn(s, nc)
	s.mu.Lock()
	select {
	case <-s.stopped:
		s.mu.Unlock()
		_ = nc.Close()
		return nil
	default:
	}
	s.conns[c] = struct{}{}
	if outbound {
		c.authed = true
	} else {
		c.q = append(c.q, qitem{raw: []byte(authRequest)})
	}
	s.wg.Add(2)
	go c.writer(&s.wg)
	go c.reader(&s.wg)
	s.mu.Unlock()
	c.signal()
	s.log.Debug("sim: connection", "remote", nc.RemoteAddr().String(), "outbound", outbound)
	return c
}

// dropConn forgets a connection whose reader ended.
func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.session != nil && c.outbound != nil {
		s.sessionClosed(c)
	}
	s.mu.Unlock()
	// Let the writer flush a final notice, then close.
	c.wmu.Lock()
	closing := c.closeReq
	c.wmu.Unlock()
	if !closing {
		c.close()
	}
}

// Close stops the server and closes every connection.
func (s *Server) Close() error {
	s.stopOne.Do(func() {
		close(s.stopped)
		s.lnMu.Lock()
		if s.ln != nil {
			_ = s.ln.Close()
		}
		s.lnMu.Unlock()
		s.mu.Lock()
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
	})
	return nil
}

// CoreUUID is the Core-UUID of the running simulated process.
func (s *Server) CoreUUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.coreUUID
}

// dispatch offers a fired event to every listener. Callers hold s.mu.
func (s *Server) dispatch(e *event) {
	if s.hookEvent != nil && !s.hookEvent(e) {
		return
	}
	if len(e.hdr) > 0 && e.uuid == "" {
		for _, h := range e.hdr {
			if h.Name == "Unique-ID" {
				e.uuid = h.Value
				break
			}
		}
	}
	for c := range s.conns {
		c.offer(e)
	}
}

// EmitEvent fires an arbitrary event, for tests. Headers follow the common
// block; a non-empty body is attached as the event body.
func (s *Server) EmitEvent(name, subclass string, headers []esl.Field, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newEvent(name, subclass, siteCustom)
	for _, h := range headers {
		b.addAlways(h.Name, h.Value)
	}
	if body != "" {
		b.e.body = body
		b.e.hasBody = true
	}
	s.dispatch(b.e)
}

// DisconnectAll sends the disconnect notice on every connection, then closes it.
func (s *Server) DisconnectAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.sendAndClose(c.disconnectNotice())
	}
}

// DropAll closes every TCP connection without a notice.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.close()
	}
}

// Silence makes the server a dead peer: connections stay open, nothing more
// is written, and commands are read and ignored.
func (s *Server) Silence(on bool) { s.silent.Store(on) }

// DelayReplies delays commands whose text starts with prefix by d before
// they run, so their replies come late; d <= 0 removes the delay.
func (s *Server) DelayReplies(prefix string, d time.Duration) {
	s.delayMu.Lock()
	defer s.delayMu.Unlock()
	if d <= 0 {
		delete(s.delays, prefix)
		return
	}
	s.delays[prefix] = d
}

func (s *Server) replyDelay(cmd string) time.Duration {
	s.delayMu.Lock()
	defer s.delayMu.Unlock()
	var d time.Duration
	for p, v := range s.delays {
		if strings.HasPrefix(cmd, p) && v > d {
			d = v
		}
	}
	return d
}

// ShuffleEvents writes events in batches of n, each batch permuted and in
// one write; Event-Sequence is unchanged. 0 or 1 turns it off.
func (s *Server) ShuffleEvents(n int) { s.shuffle.Store(int32(n)) }

// LoseBridges makes the next n uuid_bridge commands answer +OK and then
// fail as FreeSWITCH's did once in about 60 bridges sent the moment the
// lead's CHANNEL_ANSWER arrived, while its originate was finishing: the
// other leg is hung up (DESTINATION_OUT_OF_ORDER), the lead goes on to its
// own application (esl/testdata/transcripts/13-bridge-lost.jsonl).
func (s *Server) LoseBridges(n int) { s.lostBridges.Store(int32(n)) }

// StallBridges makes the next n uuid_bridge commands answer +OK and
// carry nothing out, as FreeSWITCH did about once in a hundred bridges to
// a browser's persistent line: the other leg leaves its application and
// stops in CS_RESET, with no hangup and nothing logged, while the lead
// stays in its application. A stuck leg takes no other bridge (uuid_bridge
// answers +OK and nothing happens); uuid_kill still hangs it up.
func (s *Server) StallBridges(n int) { s.stalledBridges.Store(int32(n)) }

// StuckLegsIgnoreKill makes the legs StallBridges leaves stuck answer
// uuid_kill +OK and stay: the worst case, a channel whose thread went
// no further at all.
func (s *Server) StuckLegsIgnoreKill(on bool) { s.stuckDeaf.Store(on) }

// DuplicateEvents writes every third event twice (same Event-Sequence).
func (s *Server) DuplicateEvents(on bool) { s.duplicate.Store(on) }

// Restart behaves like a FreeSWITCH restart: every connection is dropped
// without notice, every channel and conference is gone without events, the
// Core-UUID changes and Event-Sequence starts again.
func (s *Server) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.close()
	}
	s.sched.clear()
	for _, ch := range s.channels {
		ch.gone = true
		ch.closeRecordings()
	}
	s.channels = map[string]*channel{}
	s.order = nil
	s.conferences = map[string]*conference{}
	s.memberSeq = 0
	s.seq = 0
	s.sessionsTotal = 0
	s.coreUUID = newUUID()
	s.started = time.Now()
	if s.serving {
		s.scheduleHeartbeat()
	}
}

func (s *Server) recordCommand(raw string) {
	if s.cfg.OnCommand != nil {
		s.cfg.OnCommand(raw)
	}
	s.cmdMu.Lock()
	s.commands = append(s.commands, raw)
	s.cmdMu.Unlock()
}

// Commands lists every command received, in order, as sent (without the
// terminating blank line), across all connections.
func (s *Server) Commands() []string {
	s.cmdMu.Lock()
	defer s.cmdMu.Unlock()
	return append([]string(nil), s.commands...)
}

// ResetCommands forgets the recorded commands.
func (s *Server) ResetCommands() {
	s.cmdMu.Lock()
	s.commands = nil
	s.cmdMu.Unlock()
}

// scheduleHeartbeat fires HEARTBEAT and its RE_SCHEDULE every interval.
func (s *Server) scheduleHeartbeat() {
	s.heartbeat.cancel()
	var tick func()
	tick = func() {
		s.fireHeartbeat()
		s.heartbeat = s.sched.after(s.cfg.HeartbeatInterval, tick)
	}
	s.heartbeat = s.sched.after(s.cfg.HeartbeatInterval, tick)
}
