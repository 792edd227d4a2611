package esl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/percipia/eslgo"
	"github.com/percipia/eslgo/command"
)

// cmdConn is one command connection, an eslgo.Conn with its flaws covered:
// every SendCommand gets a deadline (eslgo leaves a past write deadline on
// the socket), and any error after the command was written poisons the
// connection, because eslgo would hand the late reply to the next command.
type cmdConn struct {
	conn   *eslgo.Conn
	broken atomic.Bool
	busy   atomic.Int32
}

// dialCmdConn dials with a deadline: eslgo.Dial waits for auth/request with
// none. If the deadline passes, the conn eslgo eventually returns is closed.
func dialCmdConn(ctx context.Context, dial dialFunc, addr, password string, timeout time.Duration, log *slog.Logger, onDisconnect func()) (*cmdConn, error) {
	type result struct {
		c   *eslgo.Conn
		err error
	}
	done := make(chan result, 1)
	opts := eslgo.DefaultInboundOptions
	opts.Password = password
	opts.AuthTimeout = timeout
	opts.Logger = eslLogger{log}
	opts.Context = context.WithoutCancel(ctx)
	opts.ExitTimeout = time.Second
	cc := &cmdConn{}
	opts.OnDisconnect = func() {
		cc.broken.Store(true)
		if onDisconnect != nil {
			onDisconnect()
		}
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	go func() {
		defer cancel()
		nc, err := dial(dctx, addr)
		if err != nil {
			done <- result{nil, err}
			return
		}
		c, err := opts.NewConn(nc)
		done <- result{c, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("esl: command connection to %s: %w", addr, r.err)
		}
		cc.conn = r.c
		return cc, nil
	case <-t.C:
	case <-ctx.Done():
	}
	go func() {
		if r := <-done; r.c != nil {
			r.c.Close()
		}
	}()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("esl: command connection to %s: %w", addr, ErrDialTimeout)
}

// send writes one command and waits for its reply.
func (c *cmdConn) send(ctx context.Context, cmd command.Command, timeout time.Duration) (*eslgo.RawResponse, error) {
	if c.broken.Load() {
		return nil, ErrNotConnected
	}
	c.busy.Add(1)
	defer c.busy.Add(-1)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := c.conn.SendCommand(ctx, cmd)
	if err != nil {
		c.poison()
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w after %s: %s", ErrCommandTimeout, timeout, firstLine(cmd.BuildMessage()))
		}
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	return resp, nil
}

func (c *cmdConn) poison() {
	if c.broken.CompareAndSwap(false, true) {
		c.conn.Close()
	}
}

func (c *cmdConn) close() {
	c.broken.Store(true)
	c.conn.Close()
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// apiCmd is `api <name> <args>` without eslgo's trailing space when there
// are no arguments.
type apiCmd struct{ c Command }

func (a apiCmd) BuildMessage() string { return "api " + a.c.String() }

// bgapiCmd carries a Job-UUID we chose, registered before the command is
// written, so the BACKGROUND_JOB can never race its registration.
type bgapiCmd struct {
	c   Command
	job string
}

func (b bgapiCmd) BuildMessage() string {
	return "bgapi " + b.c.String() + "\r\nJob-UUID: " + b.job
}

// cmdPool keeps a few command connections to one node; a blocking api runs
// inline in FreeSWITCH's listener thread, so more than one lets a slow
// command not stall the others.
type cmdPool struct {
	addr, password string
	size           int
	dialTimeout    time.Duration
	dial           dialFunc
	log            *slog.Logger

	mu    sync.Mutex
	conns []*cmdConn
	next  int
	gen   uint64 // bumped by closeAll so a dial from an old connection is dropped
	// dialing is closed when the dial in flight ends (nil: none). One
	// dial at a time: a burst of commands must not open a connection
	// each (and time out dialing on a loaded switch).
	dialing chan struct{}
}

// get returns a connection for one command: a live one (an idle one
// first) once the pool is full or while another is being dialed, else a
// new one. Only one dial is in flight; with no live connection, the
// others wait for it.
func (p *cmdPool) get(ctx context.Context) (*cmdConn, error) {
	for {
		p.mu.Lock()
		live := p.conns[:0]
		for _, c := range p.conns {
			if !c.broken.Load() {
				live = append(live, c)
			}
		}
		p.conns = live
		if len(p.conns) >= p.size || len(p.conns) > 0 && p.dialing != nil {
			c := p.pick()
			p.mu.Unlock()
			return c, nil
		}
		if wait := p.dialing; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		p.dialing = done
		gen := p.gen
		p.mu.Unlock()

		c, err := dialCmdConn(ctx, p.dial, p.addr, p.password, p.dialTimeout, p.log, nil)
		p.mu.Lock()
		p.dialing = nil
		close(done)
		switch {
		case err != nil:
			p.mu.Unlock()
			return nil, err
		case gen != p.gen:
			p.mu.Unlock()
			c.close()
			return nil, ErrNotConnected
		}
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		return c, nil
	}
}

// pick takes a live connection round-robin, an idle one first; p.mu held,
// p.conns not empty.
func (p *cmdPool) pick() *cmdConn {
	for i := range p.conns {
		c := p.conns[(p.next+i)%len(p.conns)]
		if c.busy.Load() == 0 {
			p.next = (p.next + i + 1) % len(p.conns)
			return c
		}
	}
	c := p.conns[p.next%len(p.conns)]
	p.next = (p.next + 1) % len(p.conns)
	return c
}

func (p *cmdPool) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.gen++
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// eslLogger routes eslgo's printf logging into slog at debug level: the
// client reports connection problems itself, once, with context.
type eslLogger struct{ l *slog.Logger }

func (e eslLogger) Debug(f string, a ...any) {
	e.l.Debug("eslgo: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (e eslLogger) Info(f string, a ...any) {
	e.l.Debug("eslgo: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (e eslLogger) Warn(f string, a ...any) {
	e.l.Debug("eslgo: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (e eslLogger) Error(f string, a ...any) {
	e.l.Warn("eslgo: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
