// Package svctest runs agentswitch the way its users meet it, for the test
// tiers that exercise the whole service: the built binary under `serve`
// (Build, Start) and its HTTP API as a logged-in user (Client).
package svctest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// repoRoot is the module's root, found from this file's place in it.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// Build compiles cmd/agentswitch into dir, with the race detector when
// race is set, and returns the binary's path.
func Build(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "agentswitch")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, "./cmd/agentswitch")...)
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("svctest: go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Process is a running `agentswitch serve`.
type Process struct {
	// URL is where it serves (http://127.0.0.1:port, no trailing slash).
	URL string
	// AdminPassword is the first-start admin's, printed once.
	AdminPassword string
	// LogPath holds everything it wrote (stdout and stderr).
	LogPath string

	cmd    *exec.Cmd
	exited chan struct{}
}

var (
	upLine    = regexp.MustCompile(`is up: (http://127\.0\.0\.1:\d+)/`)
	adminLine = regexp.MustCompile(`created user "admin" \(admin\) with password (\S+)`)
)

// Start runs `bin serve args...` in dir with env added to the test's own,
// its output in dir/agentswitch.log, and returns once it has printed its
// URL and the first admin's password. It is stopped with its process
// group if the test binary dies.
func Start(bin, dir string, args, env []string) (*Process, error) {
	return start(bin, dir, args, env, true)
}

// StartAgain is Start on data an earlier run left in dir: no first admin
// is created, so it returns once the URL is printed.
func StartAgain(bin, dir string, args, env []string) (*Process, error) {
	return start(bin, dir, args, env, false)
}

func start(bin, dir string, args, env []string, first bool) (*Process, error) {
	p := &Process{LogPath: filepath.Join(dir, "agentswitch.log"), exited: make(chan struct{})}
	if !first {
		p.LogPath = filepath.Join(dir, "agentswitch.again.log") // the first run's log is kept
	}
	out, err := os.Create(p.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	p.cmd = cmd
	go func() {
		cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for p.URL == "" || first && p.AdminPassword == "" {
		b, _ := os.ReadFile(p.LogPath)
		if m := upLine.FindSubmatch(b); m != nil {
			p.URL = string(m[1])
		}
		if m := adminLine.FindSubmatch(b); m != nil {
			p.AdminPassword = string(m[1])
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("svctest: agentswitch exited:\n%s", tail(b, 40))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("svctest: agentswitch did not come up:\n%s", tail(b, 40))
		}
	}
	return p, nil
}

// Stop ends it at once (SIGINT: live calls are hung up, no drain wait)
// and waits for it.
// Pid is the process's id (to read its CPU time).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

func (p *Process) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// Kill ends it with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// LogTail is the last n lines of its output.
func (p *Process) LogTail(n int) string {
	b, _ := os.ReadFile(p.LogPath)
	return tail(b, n)
}

// Races is the first data race the race detector reported, if any.
func (p *Process) Races() string {
	b, _ := os.ReadFile(p.LogPath)
	if i := bytes.Index(b, []byte("WARNING: DATA RACE")); i >= 0 {
		return string(b[i:min(len(b), i+6000)])
	}
	return ""
}

// Tail is the last n lines of a file (for failure messages); "" if it
// cannot be read.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return tail(b, n)
}

func tail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
