// Package redisproc runs a private redis-server bound to loopback: the
// embedded mode of `agentswitch serve` and the tests use it.
package redisproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options for Start.
type Options struct {
	Bin     string // redis-server binary; default "redis-server" on PATH, then /usr/bin/redis-server
	Dir     string // working directory for its files (required)
	Persist bool   // append-only file, so live state survives a restart of the service
	Port    int    // 0 picks a free loopback port
}

// Proc is a running redis-server.
type Proc struct {
	Addr string
	opts Options
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	err  error
	logf *os.File
}

// ErrNotInstalled means no redis-server binary was found.
var ErrNotInstalled = errors.New("redis-server is not installed (make run / make test install it with apt-get)")

// Binary finds redis-server.
func Binary(bin string) (string, error) {
	if bin == "" {
		bin = "redis-server"
	}
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil && filepath.Base(bin) == "redis-server" {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Start launches redis-server and waits until it answers PING. A port taken
// between choosing and binding is retried with another.
func Start(ctx context.Context, o Options) (*Proc, error) {
	bin, err := Binary(o.Bin)
	if err != nil {
		return nil, err
	}
	if o.Dir == "" {
		return nil, errors.New("redisproc: Dir is required")
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, err
	}
	o.Bin = bin
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		port := o.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		p, err := start(ctx, o, port)
		if err == nil {
			return p, nil
		}
		last = err
		if o.Port != 0 || ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(ctx context.Context, o Options, port int) (*Proc, error) {
	args := []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", o.Dir,
		"--protected-mode", "yes", "--save", "", "--daemonize", "no",
		"--logfile", "redis.log", "--databases", "1",
	}
	if o.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(o.Bin, args...)
	cmd.Dir = o.Dir
	// Its own process group, so a Ctrl-C to `make run` reaches us first and
	// we stop redis after draining; and it dies with us if we are killed,
	// so no redis-server outlives the service or a test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redisproc: start %s: %w", o.Bin, err)
	}
	p := &Proc{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), opts: o, cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(p.Addr); err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("redisproc: redis-server on port %d exited: %s", port, p.logTail())
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("redisproc: redis-server on port %d did not answer PING: %s", port, p.logTail())
		}
	}
}

// ping speaks just enough RESP to check readiness without a client library.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redisproc: PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func (p *Proc) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.opts.Dir, "redis.log"))
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}

// URL is the redis:// URL of the instance.
func (p *Proc) URL() string { return "redis://" + p.Addr + "/0" }

// exitError says how the process ended (once Done is closed).
func (p *Proc) exitError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return "exit status 0"
	}
	return p.err.Error()
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Stop asks redis-server to exit (SIGTERM, which flushes the append-only
// file) and waits; after 5 s it is killed.
func (p *Proc) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// Kill ends the process at once, as a crash would.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Restart stops the process and starts a new one on the same port and
// directory (for tests of what survives a Redis restart).
func (p *Proc) Restart(ctx context.Context) (*Proc, error) {
	p.Stop()
	_, portStr, _ := net.SplitHostPort(p.Addr)
	port, _ := strconv.Atoi(portStr)
	var last error
	for i := 0; i < 50; i++ {
		np, err := start(ctx, p.opts, port)
		if err == nil {
			return np, nil
		}
		last = err
		// The old socket's port is released asynchronously.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil, last
}
