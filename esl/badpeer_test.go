package esl_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
)

// badPeer is a fake event socket that speaks the handshake correctly and
// answers `api status` with whatever raw frame it is told to.
type badPeer struct {
	ln   net.Listener
	core string

	mu     sync.Mutex
	status string // raw reply to `api status`
	auths  int
	conns  []net.Conn
}

func startBadPeer(t *testing.T) *badPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &badPeer{ln: ln, core: uuid.NewString()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *badPeer) setStatus(raw string) {
	p.mu.Lock()
	p.status = raw
	p.mu.Unlock()
}

func (p *badPeer) authCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.auths
}

func apiResponse(body string) string {
	return fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
}

func (p *badPeer) serve(c net.Conn) {
	defer c.Close()
	if _, err := c.Write([]byte("Content-Type: auth/request\n\n")); err != nil {
		return
	}
	rd := bufio.NewReader(c)
	for {
		var cmd string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			if cmd == "" {
				cmd = line
			}
		}
		var out string
		switch {
		case strings.HasPrefix(cmd, "auth "):
			p.mu.Lock()
			p.auths++
			p.mu.Unlock()
			out = "Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
		case cmd == "api global_getvar core_uuid":
			out = apiResponse(p.core)
		case strings.HasPrefix(cmd, "event plain "):
			out = "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n"
		case cmd == "api show channels as json":
			out = apiResponse(`{"row_count":0}`)
		case cmd == "api status":
			p.mu.Lock()
			out = p.status
			p.mu.Unlock()
		case cmd == "api version":
			out = apiResponse("FreeSWITCH Version 1.10.12-release (fake)")
		case cmd == "exit":
			_, _ = c.Write([]byte("Content-Type: command/reply\nReply-Text: +OK bye\n\n"))
			return
		default:
			out = "Content-Type: command/reply\nReply-Text: -ERR command not found\n\n"
		}
		if _, err := c.Write([]byte(out)); err != nil {
			return
		}
	}
}

// TestBadContentLengthOnCommandConnection: a command reply whose
// Content-Length is negative, absurd, over the 64 MiB frame cap, or not a
// number fails that command at once (no panic, no allocation of the
// announced size, no wait for the command timeout), and the next command
// runs on a fresh connection.
func TestBadContentLengthOnCommandConnection(t *testing.T) {
	p := startBadPeer(t)
	// A long command timeout, so that waiting for it would fail the test.
	cfg := esl.Config{
		Nodes:          []esl.Node{{Name: "fs1", Addr: p.ln.Addr().String(), Password: "s3cret"}},
		CommandTimeout: 30 * time.Second, CommandConns: 1,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
	}
	c, rec := startClient(t, cfg)
	waitFor(t, 5*time.Second, "node up", func() bool { return rec.upCount() >= 1 })
	for _, cl := range []string{"-1", "1000000000000", fmt.Sprint(64<<20 + 1), "9223372036854775808", "12abc"} {
		t.Run(cl, func(t *testing.T) {
			ctx := ctxT(t)
			if out, err := c.API(ctx, "", esl.Command{Name: "version"}); err != nil || !strings.Contains(out, "FreeSWITCH") {
				t.Fatalf("before: %q %v", out, err)
			}
			before := p.authCount()
			p.setStatus("Content-Type: api/response\nContent-Length: " + cl + "\n\n+OK")
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			_, err := c.API(ctx, "", esl.Command{Name: "status"})
			runtime.ReadMemStats(&m1)
			if err == nil {
				t.Fatal("a reply with a bad Content-Length was accepted")
			}
			// The announced length is never allocated (64 MiB+1 would be).
			if d := m1.TotalAlloc - m0.TotalAlloc; d > 16<<20 {
				t.Fatalf("%d bytes allocated for a bad reply", d)
			}
			if errors.Is(err, esl.ErrCommandTimeout) || time.Since(start) > 5*time.Second {
				t.Fatalf("bad reply noticed only by the timeout (%s): %v", time.Since(start), err)
			}
			out, err := c.API(ctx, "", esl.Command{Name: "version"})
			if err != nil || !strings.Contains(out, "FreeSWITCH") {
				t.Fatalf("next command: %q %v", out, err)
			}
			if n := p.authCount(); n != before+1 {
				t.Fatalf("auths before %d after %d: the broken connection was reused", before, n)
			}
		})
	}
	if rec.upCount() != 1 {
		t.Fatalf("event connection went down %d times", rec.upCount()-1)
	}
}
