package tts

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func newEspeak(t *testing.T, now func() time.Time) *Espeak {
	t.Helper()
	s, err := New(Config{Dir: t.TempDir(), Now: now})
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("espeak-ng is not installed (make test installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRender: a sentence becomes a WAV file of about its spoken length;
// the same text is rendered once, even asked for at once.
func TestRender(t *testing.T) {
	s := newEspeak(t, nil)
	text := "A lead from the website: Ann Lee, about the spring offer. Press 1 to be connected."
	f, err := s.Render(t.Context(), text)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Duration(f)
	// 15 words at 160 a minute: about 5.6 s, with pauses.
	if err != nil || d < 3*time.Second || d > 12*time.Second {
		t.Fatalf("%s lasts %v (%v)", f, d, err)
	}
	info, _ := os.Stat(f)
	var wg sync.WaitGroup
	files := make([]string, 8)
	for i := range files {
		wg.Go(func() {
			files[i], _ = s.Render(t.Context(), "  A lead from the website: Ann Lee, about the spring offer.\nPress 1 to be connected. ")
		})
	}
	wg.Wait()
	for _, g := range files {
		if g != f {
			t.Fatalf("the same words gave %s and %s", f, g)
		}
	}
	// A render writes a new file and renames it over: the same file
	// means none was made again.
	if again, err := os.Stat(f); err != nil || !os.SameFile(info, again) {
		t.Fatalf("rendered again (%v)", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(f))
	if len(ents) != 1 {
		t.Fatalf("%d files in the directory, want 1", len(ents))
	}
}

// TestRenderInput: text that looks like options is said, not obeyed;
// empty, over-long or non-UTF-8 text is refused.
func TestRenderInput(t *testing.T) {
	s := newEspeak(t, nil)
	f, err := s.Render(t.Context(), "-w /etc/passwd --stdout hello")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Duration(f); err != nil || d <= 0 {
		t.Fatalf("duration %v %v", d, err)
	}
	for _, bad := range []string{"", " \n\t ", string(make([]byte, MaxText+1)), "\xff\xfe"} {
		if _, err := s.Render(t.Context(), bad); err == nil {
			t.Errorf("%q rendered", bad)
		}
	}
	if _, err := New(Config{Dir: t.TempDir(), Voice: "en;rm -rf"}); err == nil {
		t.Error("a voice with ; accepted")
	}
}

// TestPrune: files older than MaxAge go (they hold leads' names).
func TestPrune(t *testing.T) {
	now := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	s := newEspeak(t, func() time.Time { return now })
	old, err := s.Render(t.Context(), "the old one")
	if err != nil {
		t.Fatal(err)
	}
	// Half an hour on, it is kept; past the hour, it goes.
	now = now.Add(30 * time.Minute)
	if _, err := s.Render(t.Context(), "the middle one"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Fatalf("a file younger than MaxAge went: %v", err)
	}
	now = now.Add(90 * time.Minute)
	fresh, err := s.Render(t.Context(), "the new one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal(err)
	}
}

func FuzzDuration(f *testing.F) {
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.wav")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = Duration(p)
	})
}
