package esl

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// chunkReader returns at most a random few KB per Read, so frames straddle
// slab ends the way a socket cuts them.
type chunkReader struct {
	src io.Reader
	r   *rand.Rand
}

func (c chunkReader) Read(p []byte) (int, error) {
	n := 1 + c.r.IntN(16<<10)
	return c.src.Read(p[:min(len(p), n)])
}

// TestRecyclingReaderKeepsHeldFrames: a recycling reader never writes over
// a frame someone still holds, points every frame's header at the slab
// its body is in (a frame cut at a slab's end is copied to the next), and
// reads into released slabs again.
func TestRecyclingReaderKeepsHeldFrames(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var stream bytes.Buffer
	var want []string
	for i := range 4000 {
		body := fmt.Sprintf("frame %d ", i) + string(bytes.Repeat([]byte{byte('a' + i%26)}, r.IntN(8000)))
		want = append(want, body)
		fmt.Fprintf(&stream, "Content-Type: text/x-%d\nContent-Length: %d\n\n%s", i, len(body), body)
	}
	size := stream.Len()
	rd := NewReader(chunkReader{&stream, r})
	type held struct {
		i  int
		f  *Frame
		sl *slab
	}
	check := func(h held) {
		// The whole frame lies in the slab it holds.
		if h.sl != nil {
			for _, fl := range h.f.Header {
				if !within(fl.Name, h.sl) || !within(fl.Value, h.sl) {
					t.Fatalf("frame %d: header %s outside the slab it holds", h.i, fl.Name)
				}
			}
			if !within(unsafe.String(&h.f.Body[0], len(h.f.Body)), h.sl) {
				t.Fatalf("frame %d: body outside the slab it holds", h.i)
			}
		}
		if got := string(h.f.Body); got != want[h.i] {
			t.Fatalf("frame %d changed while held: %.40q", h.i, got)
		}
		if ct := h.f.ContentType(); ct != fmt.Sprintf("text/x-%d", h.i) {
			t.Fatalf("frame %d: Content-Type %q", h.i, ct)
		}
	}
	// Most frames are let go of at once, some after 300 more (1.5
	// slabs' worth), and the first frame of each slab (likely cut at the
	// previous slab's end) until two more slabs have begun: by then the
	// previous slab has been let go of and read into again.
	var window, firsts []held
	slabs := map[*slab]bool{}
	var last *slab
	for i := range want {
		f, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		h := held{i: i, f: f}
		if i == 0 {
			// The first frame is read as the handshake is, before recycling.
			rd.recycleSlabs()
		} else if h.sl = rd.retain(); h.sl == nil {
			t.Fatal("a recycling reader gave no slab")
		}
		check(h)
		for _, o := range firsts {
			check(o)
		}
		if h.sl == nil {
			continue
		}
		switch {
		case h.sl != last:
			slabs[h.sl] = true
			last = h.sl
			if len(firsts) == 2 {
				firsts[0].sl.release()
				firsts = firsts[1:]
			}
			firsts = append(firsts, h)
		case i%10 == 0:
			window = append(window, h)
			if len(window) > 30 {
				check(window[0])
				window[0].sl.release()
				window = window[1:]
			}
		default:
			h.sl.release()
		}
	}
	for _, h := range append(window, firsts...) {
		check(h)
	}
	switches := size / slabSize
	if len(slabs) >= switches {
		t.Fatalf("%d slabs for %d MB read: none reused", len(slabs), switches)
	}
	t.Logf("%d MB read through %d slabs", switches, len(slabs))
}

// within reports whether s lies in sl's buffer.
func within(s string, sl *slab) bool {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(sl.buf)))
	return p >= b && p+uintptr(len(s)) <= b+uintptr(len(sl.buf))
}
