// Package esl connects agentswitch to one or more FreeSWITCH nodes over the
// inbound Event Socket.
//
// Each node gets one event connection, read by this package in order, and a
// small pool of command connections on github.com/percipia/eslgo. Around
// eslgo the package adds what a call center cannot do without: a dial
// deadline, reconnection with capped jittered backoff, a HEARTBEAT watchdog
// for sockets that die silently, command timeouts that retire the
// connection, events delivered from one goroutine in Event-Sequence order
// without duplicates, background jobs correlated by a Job-UUID chosen before
// sending, channel ownership across nodes, reconciliation with `show
// channels` after every connect, and detection of a restarted switch by its
// Core-UUID. Every value that enters a command is validated first.
//
// The package knows nothing of agents or campaigns.
package esl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/percipia/eslgo/command"

	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/mailbox"
)

// DefaultEvents are the events a call controller handles. BACKGROUND_JOB and
// HEARTBEAT are always added. CUSTOM must come last: every word after it is a
// subclass.
var DefaultEvents = []string{
	EventChannelCreate, EventChannelProgress, EventChannelProgressMedia, EventChannelAnswer,
	EventChannelBridge, EventChannelUnbridge, EventChannelHold, EventChannelUnhold,
	EventChannelPark, EventChannelExecuteComplete, EventChannelHangup, EventChannelHangupComplete,
	EventChannelDestroy, EventDTMF, EventRecordStart, EventRecordStop, EventPlaybackStop,
	EventMediaBugStart, EventMediaBugStop,
	EventCustom, SubclassConference, SubclassRegister, SubclassUnregister, SubclassExpire, SubclassGatewayState,
}

// Node is one FreeSWITCH to connect to.
type Node struct {
	Name     string
	Addr     string // host:port of mod_event_socket
	Password string
}

// Config configures a Client. Zero durations take the defaults shown.
type Config struct {
	Nodes             []Node
	DialTimeout       time.Duration // 3s: connect, auth and subscribe
	CommandTimeout    time.Duration // 5s: a command without a reply by then retires its connection
	HeartbeatInterval time.Duration // 20s: FreeSWITCH's event-heartbeat-interval; silence for twice this drops the connection
	BackoffMin        time.Duration // 100ms
	BackoffMax        time.Duration // 5s
	ReorderWindow     time.Duration // 0: reorder each burst read off the socket, never wait
	Events            []string      // nil: DefaultEvents
	CommandConns      int           // 2 per node
	Logger            *slog.Logger
	// Now stamps when a node connected (clock.System if nil); intervals
	// are measured on the monotonic clock.
	Now func() time.Time
	// Dial opens every connection to a node's Addr (TCP with DialTimeout
	// if nil); tests give one that returns in-memory connections.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// RecycleEvents promises that the handler keeps neither an event nor
	// anything read from it (a header's string, the body) once
	// HandleEvent returns: it copies what it keeps, as the engine's
	// decoder does. The client then reads the socket into the memory of
	// events already handled instead of a fresh megabyte every ~250 events
	// (see BENCHMARKS.md, P4). Leave it off for a handler that keeps
	// events: what it kept would be overwritten.
	RecycleEvents bool
	// ObserveCommand, if set, is told how long each api or bgapi command
	// took to be answered on a node (a bgapi's acceptance, not its job),
	// and its error. It runs on the caller's goroutine: keep it cheap.
	ObserveCommand func(node, command string, took time.Duration, err error)
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 3*time.Second)
	def(&c.CommandTimeout, 5*time.Second)
	def(&c.HeartbeatInterval, 20*time.Second)
	def(&c.BackoffMin, 100*time.Millisecond)
	def(&c.BackoffMax, 5*time.Second)
	if c.CommandConns <= 0 {
		c.CommandConns = 2
	}
	if c.Events == nil {
		c.Events = DefaultEvents
	}
	if c.Now == nil {
		c.Now = clock.System()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Dial == nil {
		d := net.Dialer{Timeout: c.DialTimeout}
		c.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
}

// subscription orders the event list so that CUSTOM subclasses (names with
// "::") come last, after the word CUSTOM, and adds the events the client
// itself needs.
func subscription(events []string) ([]string, error) {
	var plain, custom []string
	seen := map[string]bool{}
	add := func(list *[]string, e string) {
		if !seen[e] {
			seen[e] = true
			*list = append(*list, e)
		}
	}
	for _, e := range append([]string{EventBackgroundJob, EventHeartbeat}, events...) {
		switch {
		case e == EventCustom:
			// Placed before the subclasses below.
		case strings.Contains(e, "::"):
			if err := ValidatePath("events", e); err != nil {
				return nil, err
			}
			add(&custom, e)
		default:
			if err := ValidateVarName("events", e); err != nil {
				return nil, err
			}
			add(&plain, e)
		}
	}
	if len(custom) > 0 {
		plain = append(append(plain, EventCustom), custom...)
	}
	return plain, nil
}

// Handler receives what the switch reports. All calls come from one
// goroutine, in order; a handler must not block for long.
type Handler interface {
	// HandleEvent is called for every subscribed event.
	HandleEvent(node string, ev *Event)
	// HandleNode is called when a node connects (with its live channels,
	// before any event of that connection) and when it is lost.
	HandleNode(NodeState)
}

// NodeState reports a node coming up or going down.
type NodeState struct {
	Node     string
	Up       bool
	CoreUUID string
	// Restarted: the Core-UUID differs from the one seen before, so every
	// channel known from that node is gone.
	Restarted bool
	// Channels are the live channels read back with `show channels as json`
	// right after connecting. FreeSWITCH fills that table asynchronously, so
	// it can lag by a few milliseconds: events that follow take precedence.
	Channels []Channel
	Err      error // why the node went down
	// Silent, on a node that went down, is how long it had been silent
	// when it was given up: 0 when it closed the connection itself (a
	// FreeSWITCH that dies closes its socket), the time since its last
	// frame when the heartbeat watchdog gave up on it. The node was last
	// known alive that long before this state was delivered.
	Silent time.Duration
}

// NodeStatus is a node's connection as seen now.
type NodeStatus struct {
	Name     string    `json:"name"`
	Addr     string    `json:"addr"`
	Up       bool      `json:"up"`
	CoreUUID string    `json:"core_uuid,omitempty"`
	Since    time.Time `json:"since"`
	Channels int       `json:"channels"`
	LastErr  string    `json:"last_error,omitempty"`
}

// Client drives one or more FreeSWITCH nodes.
type Client struct {
	cfg   Config
	subs  []string
	h     Handler
	log   *slog.Logger
	nodes []*node
	byN   map[string]*node

	mu     sync.Mutex
	jobs   map[string]*Job
	owners map[string]*node // channel UUID -> node
	rooms  map[string]*node // conference name -> node
	rr     int

	// q is unbounded so the socket reader never waits for the handler.
	q       *mailbox.Mailbox[item]
	running atomic.Bool
	stats   Stats
}

// Stats counts what the event path did.
type Stats struct {
	Events     atomic.Uint64 // delivered to the handler
	Duplicates atomic.Uint64 // dropped, same Event-Sequence seen before
	Late       atomic.Uint64 // delivered after a higher sequence
	Malformed  atomic.Uint64 // frames that did not parse
	Reconnects atomic.Uint64
}

// New checks the configuration; Run connects.
func New(cfg Config, h Handler) (*Client, error) {
	cfg.setDefaults()
	if h == nil {
		return nil, errors.New("esl: nil handler")
	}
	if len(cfg.Nodes) == 0 {
		return nil, errors.New("esl: no nodes configured")
	}
	subs, err := subscription(cfg.Events)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg, subs: subs, h: h, log: cfg.Logger,
		byN:    map[string]*node{},
		jobs:   map[string]*Job{},
		owners: map[string]*node{},
		rooms:  map[string]*node{},
	}
	c.q = mailbox.New[item]()
	for i, nc := range cfg.Nodes {
		if nc.Name == "" {
			nc.Name = fmt.Sprintf("fs%d", i+1)
		}
		if err := ValidateName("node name", nc.Name); err != nil {
			return nil, err
		}
		if _, dup := c.byN[nc.Name]; dup {
			return nil, fmt.Errorf("esl: node %q configured twice", nc.Name)
		}
		if nc.Addr == "" {
			return nil, fmt.Errorf("esl: node %q has no address", nc.Name)
		}
		if nc.Password == "" || strings.ContainsAny(nc.Password, " \r\n") {
			return nil, fmt.Errorf("esl: node %q: password must be set and hold no whitespace", nc.Name)
		}
		n := &node{c: c, cfg: nc, ro: newReorderer(cfg.ReorderWindow), log: c.log.With("node", nc.Name)}
		n.pool = &cmdPool{addr: nc.Addr, password: nc.Password, size: cfg.CommandConns, dialTimeout: cfg.DialTimeout, dial: cfg.Dial, log: n.log}
		c.nodes = append(c.nodes, n)
		c.byN[nc.Name] = n
	}
	return c, nil
}

// Stats returns the event-path counters.
func (c *Client) Stats() *Stats { return &c.stats }

// Run connects every node and keeps them connected until ctx ends. It
// returns only after every goroutine it started has stopped.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("esl: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Go(func() { n.run(ctx) })
	}
	wg.Go(func() { c.deliver(ctx) })
	<-ctx.Done()
	wg.Wait()
	c.failJobs(nil, ErrNotConnected)
	return nil
}

// Up reports whether at least one node is connected, so that a new call
// can be placed.
func (c *Client) Up() bool {
	for _, n := range c.nodes {
		if n.up.Load() {
			return true
		}
	}
	return false
}

// Nodes reports each node's connection.
func (c *Client) Nodes() []NodeStatus {
	out := make([]NodeStatus, 0, len(c.nodes))
	c.mu.Lock()
	counts := make(map[*node]int, len(c.nodes))
	for _, n := range c.nodes {
		counts[n] = n.channels
	}
	c.mu.Unlock()
	for _, n := range c.nodes {
		n.mu.Lock()
		st := NodeStatus{Name: n.cfg.Name, Addr: n.cfg.Addr, Up: n.up.Load(), CoreUUID: n.core, Since: n.since, Channels: counts[n]}
		if n.lastErr != nil {
			st.LastErr = n.lastErr.Error()
		}
		n.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// node is one FreeSWITCH and its connections.
type node struct {
	c    *Client
	cfg  Node
	log  *slog.Logger
	pool *cmdPool
	up   atomic.Bool
	// channels counts the channels c.owners gives this node; under c.mu.
	channels int

	mu      sync.Mutex
	core    string
	since   time.Time
	lastErr error

	// Owned by the delivery goroutine.
	ro      *reorderer
	drained bool
	roCore  string
}

func (n *node) run(ctx context.Context) {
	bo := backoff{min: n.c.cfg.BackoffMin, max: n.c.cfg.BackoffMax}
	prevCore := ""
	for ctx.Err() == nil {
		err := n.runConn(ctx, &bo, &prevCore)
		if ctx.Err() != nil {
			return
		}
		n.mu.Lock()
		n.lastErr = err
		n.mu.Unlock()
		if bo.shouldLog() {
			n.log.Warn("switch connection failed", "addr", n.cfg.Addr, "err", err, "attempt", bo.attempts()+1)
		}
		t := time.NewTimer(bo.next())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// runConn runs one connection to the node, from dial to loss.
func (n *node) runConn(ctx context.Context, bo *backoff, prevCore *string) error {
	ec, err := dialEvents(ctx, n.c.cfg.Dial, n.cfg.Addr, n.cfg.Password, n.c.subs, n.c.cfg.DialTimeout)
	if err != nil {
		return err
	}
	defer ec.conn.Close()
	rctx, cancel := context.WithTimeout(ctx, n.c.cfg.CommandTimeout)
	chans, err := n.showChannels(rctx)
	cancel()
	if err != nil {
		n.pool.closeAll()
		return fmt.Errorf("reading live channels: %w", err)
	}
	bo.reset()
	restarted := *prevCore != "" && *prevCore != ec.core
	if *prevCore != "" {
		n.c.stats.Reconnects.Add(1)
	}
	*prevCore = ec.core
	n.mu.Lock()
	n.core, n.since, n.lastErr = ec.core, n.c.cfg.Now(), nil
	n.mu.Unlock()
	n.c.adoptChannels(n, chans)
	n.up.Store(true)
	n.log.Info("switch connected", "addr", n.cfg.Addr, "core_uuid", ec.core, "channels", len(chans), "restarted", restarted)
	n.c.q.Post(item{n: n, state: &NodeState{Node: n.cfg.Name, Up: true, CoreUUID: ec.core, Restarted: restarted, Channels: chans}})

	if n.c.cfg.RecycleEvents {
		ec.rd.recycleSlabs()
	}
	silent, err := n.read(ctx, ec)

	n.up.Store(false)
	n.pool.closeAll()
	n.c.failJobs(n, ErrResultUnknown)
	if ctx.Err() == nil {
		n.log.Warn("switch connection lost", "addr", n.cfg.Addr, "err", err)
	}
	n.c.q.Post(item{n: n, state: &NodeState{Node: n.cfg.Name, Up: false, CoreUUID: ec.core, Err: err, Silent: silent}})
	return err
}

// read consumes the event connection until it fails, and says how long
// the node had been silent if the watchdog gave up on it. It never blocks
// on the handler: FreeSWITCH drops a listener that falls 500 events behind.
func (n *node) read(ctx context.Context, ec *eventConn) (time.Duration, error) {
	var lastRx atomic.Int64
	lastRx.Store(time.Now().UnixNano())
	var reason atomic.Value
	done := make(chan struct{})
	// The watchdog ends with the read, not after it.
	var watchdog sync.WaitGroup
	defer watchdog.Wait()
	defer close(done)
	hb := n.c.cfg.HeartbeatInterval
	watchdog.Go(func() {
		tick := time.NewTicker(hb / 4)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				ec.conn.Close()
				return
			case now := <-tick.C:
				if now.Sub(time.Unix(0, lastRx.Load())) > 2*hb {
					reason.Store(ErrHeartbeat)
					ec.conn.Close()
					return
				}
			}
		}
	})
	var f Frame
	for {
		err := ec.rd.readFrame(&f)
		if err != nil {
			if r, ok := reason.Load().(error); ok {
				return time.Since(time.Unix(0, lastRx.Load())), r
			}
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, err
		}
		now := time.Now()
		lastRx.Store(now.UnixNano())
		switch f.ContentType() {
		case TypeEventPlain, TypeEventJSON:
			ev, err := ParseEvent(f.ContentType(), f.Body)
			if err != nil {
				n.c.stats.Malformed.Add(1)
				n.log.Warn("unreadable event", "err", err)
				continue
			}
			ev.received = now
			ev.slab = ec.rd.retain()
			// Read the sequence here, where the parse has just brought the
			// text into this core's cache, rather than on the delivery
			// goroutine, where it would be the first touch.
			ev.Sequence()
			n.c.q.Post(item{n: n, ev: ev, drained: ec.rd.Buffered() == 0})
		case TypeDisconnect:
			return 0, fmt.Errorf("%w: %s", ErrDisconnected, strings.TrimSpace(string(f.Body)))
		default:
			// log/data and stray replies are not ours to act on; eslgo stops
			// reading on them, which silently kills the connection.
		}
	}
}

// item is one entry of the delivery queue: an event or a node state.
type item struct {
	n       *node
	ev      *Event
	drained bool
	state   *NodeState
}

// deliver is the one goroutine that calls the handler.
func (c *Client) deliver(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.q.Wake():
		case <-timer.C:
		}
		batch := c.q.Drain()
		now := time.Now()
		for _, it := range batch {
			if it.state != nil {
				c.flush(it.n, now, true)
				c.applyState(it.n, it.state)
				continue
			}
			if !it.n.ro.push(it.ev, now) {
				c.stats.Duplicates.Add(1)
				it.ev.release()
			}
			it.n.drained = it.drained
		}
		c.q.Recycle(batch)
		var next time.Time
		for _, n := range c.nodes {
			c.flush(n, now, false)
			if t, ok := n.ro.wake(); ok && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

func (c *Client) flush(n *node, now time.Time, all bool) {
	for {
		ev := n.ro.pop(now, n.drained || all)
		if ev == nil && all && n.ro.pending.Len() > 0 {
			// Force out what a lost connection left behind.
			n.ro.window, ev = 0, n.ro.pop(now, true)
			n.ro.window = c.cfg.ReorderWindow
		}
		if ev == nil {
			break
		}
		c.dispatch(n, ev)
		ev.release()
	}
	c.stats.Late.Store(c.totalLate())
}

func (c *Client) totalLate() uint64 {
	var t uint64
	for _, n := range c.nodes {
		t += n.ro.late
	}
	return t
}

func (c *Client) applyState(n *node, st *NodeState) {
	if st.Up && n.roCore != st.CoreUUID {
		n.ro.reset()
		n.roCore = st.CoreUUID
	}
	c.h.HandleNode(*st)
}

// dispatch tracks ownership and jobs, then hands the event on.
func (c *Client) dispatch(n *node, ev *Event) {
	c.stats.Events.Add(1)
	switch ev.Name() {
	case EventBackgroundJob:
		c.resolveJob(ev)
	case EventChannelDestroy:
		if id := ev.UniqueID(); id != "" {
			c.mu.Lock()
			if c.owners[id] == n {
				c.dropOwnerLocked(id)
			}
			c.mu.Unlock()
		}
	case EventCustom:
		if ev.Subclass() == SubclassConference {
			room := ev.Get("Conference-Name")
			c.mu.Lock()
			if ev.Get("Action") == "conference-destroy" {
				delete(c.rooms, room)
			} else if room != "" {
				// A copy (even for a room already known: assigning to a
				// string key replaces the key): the event's text is the
				// read buffer's.
				c.rooms[strings.Clone(room)] = n
			}
			c.mu.Unlock()
		}
	default:
		if id := ev.UniqueID(); id != "" && ev.Name() != EventChannelHangupComplete {
			c.mu.Lock()
			if _, ok := c.owners[id]; !ok {
				// A copy: a key pointing into the event's text would keep
				// its whole read buffer (a megabyte) for the channel's life.
				c.setOwnerLocked(strings.Clone(id), n)
			}
			c.mu.Unlock()
		}
	}
	c.h.HandleEvent(n.cfg.Name, ev)
}

// adoptChannels makes the reconciled list the node's set of channels.
func (c *Client) adoptChannels(n *node, chans []Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, o := range c.owners {
		if o == n {
			c.dropOwnerLocked(id)
		}
	}
	for _, ch := range chans {
		c.setOwnerLocked(ch.UUID, n)
	}
}

// setOwnerLocked records that channel id lives on n; c.mu is held.
func (c *Client) setOwnerLocked(id string, n *node) {
	if o, ok := c.owners[id]; ok {
		o.channels--
	}
	c.owners[id] = n
	n.channels++
}

// dropOwnerLocked forgets channel id; c.mu is held.
func (c *Client) dropOwnerLocked(id string) {
	if o, ok := c.owners[id]; ok {
		o.channels--
		delete(c.owners, id)
	}
}

// Job is a command running in FreeSWITCH's background (bgapi).
type Job struct {
	ID   string
	Node string
	cmd  Command
	n    *node
	done chan struct{}
	body string
	err  error
	mu   sync.Mutex
	then []func()
}

// OnDone runs fn once the result is known: at once if it is, else on the
// goroutine that learns it, so fn must not block. It spares a caller a
// goroutine parked in Wait for each job.
func (j *Job) OnDone(fn func()) {
	j.mu.Lock()
	select {
	case <-j.done:
		j.mu.Unlock()
		fn()
		return
	default:
	}
	j.then = append(j.then, fn)
	j.mu.Unlock()
}

// finish makes the result known.
func (j *Job) finish() {
	j.mu.Lock()
	close(j.done)
	then := j.then
	j.then = nil
	j.mu.Unlock()
	for _, fn := range then {
		fn()
	}
}

// Done is closed when the result is known.
func (j *Job) Done() <-chan struct{} { return j.done }

// Result is the command's output (only valid after Done), or why it failed.
func (j *Job) Result() (string, error) { return j.body, j.err }

// Wait blocks until the result is known or ctx ends.
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *Client) resolveJob(ev *Event) {
	id := ev.JobUUID()
	c.mu.Lock()
	j := c.jobs[id]
	delete(c.jobs, id)
	c.mu.Unlock()
	if j == nil {
		return
	}
	j.body = string(ev.Body)
	j.err = checkReply(j.cmd, j.body)
	j.finish()
}

func (c *Client) failJobs(n *node, err error) {
	c.mu.Lock()
	var failed []*Job
	for id, j := range c.jobs {
		if n == nil || j.n == n {
			delete(c.jobs, id)
			failed = append(failed, j)
		}
	}
	c.mu.Unlock()
	for _, j := range failed {
		j.err = err
		j.finish()
	}
}

// pick chooses the connected node with the fewest channels for a new call.
func (c *Client) pick(prefer string) (*node, error) {
	if prefer != "" {
		n, ok := c.byN[prefer]
		if !ok {
			return nil, invalid("node", "unknown node %q", prefer)
		}
		if !n.up.Load() {
			return nil, fmt.Errorf("%w: node %s", ErrNotConnected, prefer)
		}
		return n, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var best *node
	for i := range c.nodes {
		n := c.nodes[(c.rr+i)%len(c.nodes)]
		if n.up.Load() && (best == nil || n.channels < best.channels) {
			best = n
		}
	}
	c.rr++
	if best == nil {
		return nil, ErrNotConnected
	}
	return best, nil
}

// route finds the node a channel lives on. strict refuses channels never
// seen, for commands FreeSWITCH itself does not check (uuid_hold answers
// +OK for any UUID).
func (c *Client) route(id string, strict bool) (*node, error) {
	c.mu.Lock()
	n, ok := c.owners[id]
	c.mu.Unlock()
	if ok {
		if !n.up.Load() {
			return nil, fmt.Errorf("%w: node %s", ErrNotConnected, n.cfg.Name)
		}
		return n, nil
	}
	if strict {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchChannel, id)
	}
	return c.pick("")
}

func (c *Client) own(id string, n *node) {
	c.mu.Lock()
	c.setOwnerLocked(id, n)
	c.mu.Unlock()
}

func (c *Client) disown(id string, n *node) {
	c.mu.Lock()
	if c.owners[id] == n {
		c.dropOwnerLocked(id)
	}
	c.mu.Unlock()
}

// observe reports a command's round trip to the configured observer.
// Measured on the monotonic clock, not cfg.Now: a moved clock must not
// skew latencies.
func (n *node) observe(cmd Command, start time.Time, err error) {
	if o := n.c.cfg.ObserveCommand; o != nil {
		o(n.cfg.Name, cmd.Name, time.Since(start), err)
	}
}

// api runs a command on a node and returns its output.
func (n *node) api(ctx context.Context, cmd Command) (string, error) {
	if !n.up.Load() {
		return "", fmt.Errorf("%w: node %s", ErrNotConnected, n.cfg.Name)
	}
	return n.apiAnyState(ctx, cmd)
}

func (n *node) apiAnyState(ctx context.Context, cmd Command) (string, error) {
	cc, err := n.pool.get(ctx)
	if err != nil {
		return "", err
	}
	start := time.Now()
	resp, err := cc.send(ctx, apiCmd{cmd}, n.c.cfg.CommandTimeout)
	if err != nil {
		n.observe(cmd, start, err)
		if errors.Is(err, ErrCommandTimeout) {
			n.log.Warn("command timed out; its connection was dropped", "cmd", cmd.Name)
		}
		return "", err
	}
	body := string(resp.Body)
	err = checkReply(cmd, body)
	n.observe(cmd, start, err)
	return body, err
}

func (n *node) showChannels(ctx context.Context) ([]Channel, error) {
	body, err := n.apiAnyState(ctx, ShowChannelsCmd())
	if err != nil {
		return nil, err
	}
	return parseChannels(body)
}

// bgapi registers a Job-UUID, then sends the command.
func (n *node) bgapi(ctx context.Context, cmd Command) (*Job, error) {
	if !n.up.Load() {
		return nil, fmt.Errorf("%w: node %s", ErrNotConnected, n.cfg.Name)
	}
	// The job keeps the command's name for its result's error, not its
	// arguments: an originate's run to hundreds of bytes, and thousands of
	// leads can ring at once.
	j := &Job{ID: uuid.NewString(), Node: n.cfg.Name, cmd: Command{Name: cmd.Name}, n: n, done: make(chan struct{})}
	c := n.c
	c.mu.Lock()
	c.jobs[j.ID] = j
	c.mu.Unlock()
	unregister := func() {
		c.mu.Lock()
		delete(c.jobs, j.ID)
		c.mu.Unlock()
	}
	cc, err := n.pool.get(ctx)
	if err != nil {
		unregister()
		return nil, err
	}
	start := time.Now()
	resp, err := cc.send(ctx, bgapiCmd{c: cmd, job: j.ID}, c.cfg.CommandTimeout)
	if err == nil && !strings.HasPrefix(resp.GetReply(), "+OK") {
		err = &ReplyError{Command: cmd.Name, Reply: resp.GetReply()}
	}
	n.observe(cmd, start, err)
	if err != nil {
		unregister()
		return nil, err
	}
	if got := resp.GetHeader("Job-UUID"); got != "" && got != j.ID {
		unregister()
		return nil, fmt.Errorf("esl: bgapi answered Job-UUID %s for %s", got, j.ID)
	}
	return j, nil
}

var _ command.Command = apiCmd{}

// Deferred is a Handler whose target is set after the Client is built, for
// a handler that itself drives the Client. Set it before Run: events that
// come before are dropped.
type Deferred struct{ h atomic.Pointer[Handler] }

// Set points the Deferred at h.
func (d *Deferred) Set(h Handler) { d.h.Store(&h) }

// HandleEvent forwards to the target.
func (d *Deferred) HandleEvent(node string, ev *Event) {
	if h := d.h.Load(); h != nil {
		(*h).HandleEvent(node, ev)
	}
}

// HandleNode forwards to the target.
func (d *Deferred) HandleNode(st NodeState) {
	if h := d.h.Load(); h != nil {
		(*h).HandleNode(st)
	}
}
