package sim

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// poll is waitFor without failing: it reports whether cond came true.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// startServer runs a Server on 127.0.0.1:0 until the test ends, and checks
// that Serve returns.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := New(cfg)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return")
		}
	})
	return s
}

// client is a raw test connection that records every frame it reads.
type client struct {
	t      testing.TB
	nc     net.Conn
	mu     sync.Mutex
	frames []*esl.Frame
	eof    bool
	err    error
	done   chan struct{}
	// hungUp is set when the test closed the connection itself.
	hungUp bool
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, nc)
}

func newClient(t testing.TB, nc net.Conn) *client {
	c := &client{t: t, nc: nc, done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { _ = nc.Close(); <-c.done })
	return c
}

func (c *client) read() {
	defer close(c.done)
	r := esl.NewReader(c.nc)
	for {
		f, err := r.ReadFrame()
		c.mu.Lock()
		if err != nil {
			c.eof = errors.Is(err, io.EOF)
			c.err = err
			c.mu.Unlock()
			return
		}
		c.frames = append(c.frames, f)
		c.mu.Unlock()
	}
}

func (c *client) send(cmd string) {
	c.t.Helper()
	if !strings.HasSuffix(cmd, "\n\n") {
		cmd += "\n\n"
	}
	if _, err := c.nc.Write([]byte(cmd)); err != nil {
		c.t.Fatalf("write %q: %v", cmd, err)
	}
}

func (c *client) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames)
}

func (c *client) snapshot() []*esl.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*esl.Frame(nil), c.frames...)
}

func (c *client) closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil && !c.hungUp
}

// hangUp closes the connection from the client side.
func (c *client) hangUp() {
	c.mu.Lock()
	c.hungUp = true
	c.mu.Unlock()
	_ = c.nc.Close()
}

// next waits for frame number i (0-based) and returns it.
func (c *client) next(i int) *esl.Frame {
	c.t.Helper()
	waitFor(c.t, 3*time.Second, "frame", func() bool { return c.count() > i })
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames[i]
}

// nextWhere waits for the first frame from index from on that matches.
func (c *client) nextWhere(from int, match func(*esl.Frame) bool) (*esl.Frame, int) {
	c.t.Helper()
	var found *esl.Frame
	idx := -1
	waitFor(c.t, 5*time.Second, "matching frame", func() bool {
		fs := c.snapshot()
		for i := from; i < len(fs); i++ {
			if match(fs[i]) {
				found, idx = fs[i], i
				return true
			}
		}
		return false
	})
	return found, idx
}

// events returns the parsed events read so far.
func (c *client) events() []*esl.Event {
	var out []*esl.Event
	for _, f := range c.snapshot() {
		ct := f.ContentType()
		if ct != esl.TypeEventPlain && ct != esl.TypeEventJSON {
			continue
		}
		ev, err := esl.ParseEvent(ct, f.Body)
		if err != nil {
			c.t.Errorf("bad event: %v\n%s", err, f.Body)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// auth reads auth/request, authenticates and subscribes.
func authed(t testing.TB, s *Server, events string) *client {
	t.Helper()
	c := dial(t, s.Addr())
	if f := c.next(0); f.ContentType() != esl.TypeAuthRequest {
		t.Fatalf("first frame %q", f.ContentType())
	}
	c.send("auth ClueCon")
	if f := c.next(1); f.ReplyText() != "+OK accepted" {
		t.Fatalf("auth: %q", f.ReplyText())
	}
	if events != "" {
		c.send("event " + events)
		if f := c.next(2); !strings.HasPrefix(f.ReplyText(), "+OK event listener enabled") {
			t.Fatalf("event: %q", f.ReplyText())
		}
	}
	return c
}

// api sends an api command and returns its body.
func (c *client) api(cmd string) string {
	c.t.Helper()
	n := c.count()
	c.send("api " + cmd)
	f, _ := c.nextWhere(n, func(f *esl.Frame) bool { return f.ContentType() == esl.TypeAPIResponse })
	return string(f.Body)
}

// cmd sends a socket command and returns its Reply-Text.
func (c *client) cmd(cmd string) *esl.Frame {
	c.t.Helper()
	n := c.count()
	c.send(cmd)
	f, _ := c.nextWhere(n, func(f *esl.Frame) bool { return f.ContentType() == esl.TypeReply })
	return f
}

// waitEvent waits for an event matching the predicate and returns it.
func (c *client) waitEvent(what string, match func(*esl.Event) bool) *esl.Event {
	c.t.Helper()
	var found *esl.Event
	waitFor(c.t, 5*time.Second, what, func() bool {
		for _, ev := range c.events() {
			if match(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// kinds lists Event-Name (or subclass/action) of a channel's events.
func kindsOf(evs []*esl.Event, uuid string) []string {
	var out []string
	for _, ev := range evs {
		if ev.UniqueID() != uuid {
			continue
		}
		out = append(out, eventKind(ev))
	}
	return out
}

func eventKind(ev *esl.Event) string {
	k := ev.Kind()
	if a := ev.Get("Action"); a != "" && ev.Name() == esl.EventCustom {
		k += "/" + a
	}
	if ev.Name() == "CHANNEL_STATE" {
		k += "(" + ev.Get("Channel-State") + ")"
	}
	return k
}
