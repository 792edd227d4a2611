package redisproc

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"
)

// Supervisor keeps a private redis-server running: one that exits by
// itself (crash, OOM kill, an operator's kill) is started again on the
// same port and directory, so clients reconnect to the address they
// know and the append-only file brings its data back.
type Supervisor struct {
	Addr string
	port int
	log  *slog.Logger

	ctx    context.Context // ended by Stop: no more restarts
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	opts     Options // what a restart runs (tests swap the binary)
	p        *Proc
	restarts int
	lastErr  string
	down     time.Time // monotonic; zero while running
}

// Restart backoff: the first retry soon, then doubling to a cap, with
// jitter so several services on one host do not retry in step.
const (
	superviseMin = 100 * time.Millisecond
	superviseMax = 5 * time.Second
)

// Supervise starts redis-server as Start does and keeps it running until
// Stop.
func Supervise(ctx context.Context, o Options, log *slog.Logger) (*Supervisor, error) {
	p, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, portStr, _ := net.SplitHostPort(p.Addr)
	port, _ := strconv.Atoi(portStr)
	s := &Supervisor{Addr: p.Addr, opts: p.opts, port: port, log: log, p: p, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go s.watch()
	return s, nil
}

// URL is the redis:// URL of the instance.
func (s *Supervisor) URL() string { return "redis://" + s.Addr + "/0" }

func (s *Supervisor) current() *Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

func (s *Supervisor) watch() {
	defer close(s.done)
	for {
		p := s.current()
		select {
		case <-s.ctx.Done():
			return
		case <-p.Done():
		}
		s.mu.Lock()
		s.down = time.Now()
		s.lastErr = "exited: " + p.exitError()
		s.mu.Unlock()
		s.log.Warn("the private redis-server exited; starting it again on the same port", "addr", s.Addr, "err", p.exitError())
		if !s.restart() {
			return
		}
	}
}

// restart starts the process again, retrying with backoff; false when
// Stop came first.
func (s *Supervisor) restart() bool {
	delay := superviseMin
	for attempt := 1; ; attempt++ {
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-s.ctx.Done():
			return false
		case <-time.After(wait):
		}
		s.mu.Lock()
		o := s.opts
		s.mu.Unlock()
		np, err := start(s.ctx, o, s.port)
		if err == nil {
			s.mu.Lock()
			s.p = np
			s.restarts++
			outage := time.Since(s.down)
			s.down, s.lastErr = time.Time{}, ""
			s.mu.Unlock()
			s.log.Info("the private redis-server is running again", "addr", s.Addr, "attempts", attempt, "down_for", outage.Round(time.Millisecond))
			return true
		}
		if s.ctx.Err() != nil {
			return false
		}
		s.mu.Lock()
		s.lastErr = err.Error()
		s.mu.Unlock()
		// The first failure, then every tenth: a long outage does not
		// flood the log.
		if attempt == 1 || attempt%10 == 0 {
			s.log.Warn("the private redis-server does not start again; retrying", "addr", s.Addr, "attempt", attempt, "err", err)
		}
		delay = min(2*delay, superviseMax)
	}
}

// Status is what /healthz shows of the process: whether it runs, how
// often it was started again, and why it is down.
func (s *Supervisor) Status() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := map[string]any{"running": s.down.IsZero(), "restarts": s.restarts}
	if s.lastErr != "" {
		st["last_error"] = s.lastErr
	}
	return st
}

// Kill ends the running process at once, as a crash would; the
// supervisor starts it again.
func (s *Supervisor) Kill() { s.current().Kill() }

// Stop ends the supervision, then the process (SIGTERM, which flushes
// the append-only file).
func (s *Supervisor) Stop() {
	s.cancel()
	<-s.done
	s.current().Stop()
}
