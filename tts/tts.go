// Package tts renders text to WAV files the switch plays: the speed
// call's announcement to the manager ("a lead from the website: Ann Lee")
// and the recording warning to the lead. It runs Debian's espeak-ng on the
// service's host; the files go to a directory FreeSWITCH reads (the same
// host, or a shared path).
//
// Files are named by a hash of what they say, so the same text is rendered
// once; they hold leads' names, so they are deleted after MaxAge.
package tts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrNotInstalled: no espeak-ng on this host.
var ErrNotInstalled = errors.New("tts: espeak-ng is not installed (Debian package espeak-ng)")

// MaxText bounds what one file says.
const MaxText = 1000

// Config sets up an Espeak renderer.
type Config struct {
	// Dir receives the files; FreeSWITCH must be able to read it.
	Dir string
	// Voice is an espeak-ng voice ("en-us" when empty).
	Voice string
	// WordsPerMinute is the speed (160 when 0).
	WordsPerMinute int
	// MaxAge is how long a file is kept (1 h when 0).
	MaxAge time.Duration
	// Binary is espeak-ng's path (looked up when empty).
	Binary string
	// Now is the clock files are aged on.
	Now func() time.Time
}

// Espeak renders with espeak-ng.
type Espeak struct {
	cfg    Config
	mu     sync.Mutex
	busy   map[string]chan struct{} // renders in progress, by file
	pruned time.Time
}

// New checks the binary and the directory.
func New(cfg Config) (*Espeak, error) {
	if cfg.Binary == "" {
		p, err := exec.LookPath("espeak-ng")
		if err != nil {
			return nil, ErrNotInstalled
		}
		cfg.Binary = p
	}
	if cfg.Voice == "" {
		cfg.Voice = "en-us"
	}
	if !validVoice(cfg.Voice) {
		return nil, fmt.Errorf("tts: voice %q: letters, digits, - and + only", cfg.Voice)
	}
	if cfg.WordsPerMinute == 0 {
		cfg.WordsPerMinute = 160
	}
	if cfg.WordsPerMinute < 80 || cfg.WordsPerMinute > 450 {
		return nil, fmt.Errorf("tts: words per minute %d: 80 to 450", cfg.WordsPerMinute)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dir == "" {
		return nil, errors.New("tts: no directory for the files")
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = abs
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("tts: %w", err)
	}
	return &Espeak{cfg: cfg, busy: map[string]chan struct{}{}}, nil
}

func validVoice(v string) bool {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '+') {
			return false
		}
	}
	return v != "" && len(v) <= 40
}

// clean keeps text to one line of printable characters: it goes to
// espeak-ng on standard input, never as an argument.
func clean(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", errors.New("tts: text is not UTF-8")
	}
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if out == "" {
		return "", errors.New("tts: nothing to say")
	}
	if utf8.RuneCountInString(out) > MaxText {
		return "", fmt.Errorf("tts: text longer than %d characters", MaxText)
	}
	return out, nil
}

// Render returns the path of a WAV file saying text, rendering it unless
// a file saying the same is there already.
func (s *Espeak) Render(ctx context.Context, text string) (string, error) {
	text, err := clean(text)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(s.cfg.Voice + "\x00" + fmt.Sprint(s.cfg.WordsPerMinute) + "\x00" + text))
	file := filepath.Join(s.cfg.Dir, "say-"+hex.EncodeToString(sum[:16])+".wav")
	s.prune()
	for {
		s.mu.Lock()
		wait, rendering := s.busy[file]
		if !rendering {
			if _, err := os.Stat(file); err == nil {
				s.mu.Unlock()
				now := s.cfg.Now()
				_ = os.Chtimes(file, now, now) // kept while in use
				return file, nil
			}
			done := make(chan struct{})
			s.busy[file] = done
			s.mu.Unlock()
			err := s.render(ctx, text, file)
			s.mu.Lock()
			delete(s.busy, file)
			close(done)
			s.mu.Unlock()
			if err != nil {
				return "", err
			}
			return file, nil
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (s *Espeak) render(ctx context.Context, text, file string) error {
	tmp, err := os.CreateTemp(s.cfg.Dir, ".render-*.wav")
	if err != nil {
		return fmt.Errorf("tts: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, s.cfg.Binary, "-v", s.cfg.Voice, "-s", fmt.Sprint(s.cfg.WordsPerMinute), "-w", tmp.Name(), "--stdin")
	cmd.Stdin = strings.NewReader(text + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tts: espeak-ng: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if d, err := Duration(tmp.Name()); err != nil || d <= 0 {
		return fmt.Errorf("tts: espeak-ng wrote no sound (%v)", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("tts: %w", err)
	}
	// Aged on the service's clock, not the file system's: prune reads it.
	now := s.cfg.Now()
	if err := os.Chtimes(tmp.Name(), now, now); err != nil {
		return fmt.Errorf("tts: %w", err)
	}
	return os.Rename(tmp.Name(), file)
}

// prune deletes files older than MaxAge, at most once a minute.
func (s *Espeak) prune() {
	now := s.cfg.Now()
	s.mu.Lock()
	if now.Sub(s.pruned) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.pruned = now
	s.mu.Unlock()
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "say-") {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > s.cfg.MaxAge {
			_ = os.Remove(filepath.Join(s.cfg.Dir, e.Name()))
		}
	}
}

// Duration reads a PCM WAV file's length.
func Duration(file string) (time.Duration, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, errors.New("not a WAV file")
	}
	var byteRate uint32
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return 0, errors.New("short fmt chunk")
			}
			byteRate = binary.LittleEndian.Uint32(body[8:12])
		case "data":
			if byteRate == 0 {
				return 0, errors.New("data before fmt")
			}
			// espeak-ng writing to a file it could not seek leaves the
			// size unset: count what is there.
			if size > len(body) || size == 0 || size == 0x7fffffff {
				size = len(body)
			}
			return time.Duration(float64(size) / float64(byteRate) * float64(time.Second)), nil
		}
		p += 8 + size + size%2
	}
	return 0, errors.New("no data chunk")
}
