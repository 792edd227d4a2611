package esl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Content types FreeSWITCH writes on an event socket.
const (
	TypeAuthRequest = "auth/request"
	TypeReply       = "command/reply"
	TypeAPIResponse = "api/response"
	TypeEventPlain  = "text/event-plain"
	TypeEventJSON   = "text/event-json"
	TypeEventXML    = "text/event-xml"
	TypeDisconnect  = "text/disconnect-notice"
	TypeRudeReject  = "text/rude-rejection"
	TypeLogData     = "log/data"
)

// maxHeaderBlock bounds one frame's header block; real frames stay far below it
// (an outbound `connect` reply, the largest, is about 10 KB).
const maxHeaderBlock = 1 << 20

// maxBody bounds Content-Length so a corrupt length cannot make us allocate
// gigabytes. The patched eslgo (command connections) mirrors both caps.
const maxBody = 64 << 20

// ErrFrame reports bytes that are not an ESL frame.
var ErrFrame = errors.New("esl: malformed frame")

// Frame is one message as FreeSWITCH wrote it: the outer header block and the
// body that its Content-Length announced. Header values are kept as sent
// (outer headers are not URL-encoded, except in an outbound `connect` reply).
type Frame struct {
	Header Header
	Body   []byte
}

// ContentType is the frame's Content-Type header.
func (f *Frame) ContentType() string { return f.Header.Get("Content-Type") }

// ReplyText is the Reply-Text of a command/reply.
func (f *Frame) ReplyText() string { return f.Header.Get("Reply-Text") }

// Header is an ordered list of header fields. Lookups are exact first and
// then case-insensitive, because FreeSWITCH is consistent in its spelling
// but clients (and eslgo) canonicalize.
type Header []Field

// Field is one `Name: value` line.
type Field struct {
	Name, Value string
}

// Get returns the first value of name, or "".
func (h Header) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup returns the first value of name and whether it was present.
func (h Header) Lookup(name string) (string, bool) {
	for i := range h {
		if h[i].Name == name {
			return h[i].Value, true
		}
	}
	for i := range h {
		if asciiEqualFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca|0x20 != cb|0x20 || (ca|0x20 < 'a' || ca|0x20 > 'z') && ca != cb {
			return false
		}
	}
	return true
}

// Reader reads frames from an event socket byte stream.
//
// It reads the socket into large slabs and hands out frames that point into
// them: no per-frame allocation, no second copy. A frame's memory is never
// written again once returned, so events can be kept as long as needed (a
// kept event keeps its slab alive) unless the reader recycles its slabs
// (see recycleSlabs), which only the client's event path asks for.
type Reader struct {
	src  io.Reader
	buf  []byte // current slab
	r, w int    // unread bytes are buf[r:w]
	err  error
	// cur is buf's slab while recycling; nil otherwise.
	cur  *slab
	pool *slabPool
}

// slabSize is the size of every slab but the first, which is small so that
// short-lived readers (tests, one reply) do not allocate a megabyte.
const (
	slabSize      = 1 << 20
	firstSlabSize = 16 << 10
)

// NewReader wraps r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, firstSlabSize)}
}

// slab is one read buffer of a recycling Reader, shared by the events
// framed from it. The reader holds a reference while it reads into the
// slab and each event handed out holds one; whoever lets go last returns
// the slab to its pool, to be read into again. An event that is never
// released (dropped at a disconnect, say) only keeps its slab from being
// reused: the garbage collector takes it as before.
type slab struct {
	buf  []byte
	refs atomic.Int32
	pool *slabPool
}

// release drops one reference.
func (s *slab) release() {
	if n := s.refs.Add(-1); n == 0 {
		s.pool.put(s)
	} else if n < 0 {
		panic("esl: slab released more often than retained")
	}
}

// slabPool keeps idle slabs of slabSize. Reusing them spares the
// allocation, the zeroing and the page faults of a fresh megabyte every
// ~250 events, and the garbage collections that churn causes. It is a
// sync.Pool, so it holds as many slabs as the delivery lag of the moment
// needs (a reader can run several megabytes ahead of a handler that was
// descheduled) and lets the garbage collector have them back when they
// have been idle for a collection or two. (Smaller slabs, 256 KB or
// 64 KB, that a core's cache could hold measured no better: the socket
// is then read in more, smaller reads.)
type slabPool struct{ p sync.Pool }

func (p *slabPool) get() *slab {
	s, _ := p.p.Get().(*slab)
	return s
}

func (p *slabPool) put(s *slab) {
	if len(s.buf) != slabSize {
		return // a one-off slab sized for a large frame
	}
	p.p.Put(s)
}

// recycleSlabs makes the reader read into pooled slabs from now on. Every
// frame it returns afterwards lives in a slab that is written again once
// nothing holds it: the caller must take a reference with retain for each
// frame whose memory it keeps, and release it when done. The bytes
// already buffered move to the first pooled slab.
func (r *Reader) recycleSlabs() {
	if r.pool != nil {
		return
	}
	r.pool = &slabPool{}
	r.newSlab(slabSize)
}

// retain takes a reference on the slab the last frame returned lives in
// (nil when the reader does not recycle).
func (r *Reader) retain() *slab {
	if r.cur == nil {
		return nil
	}
	r.cur.refs.Add(1)
	return r.cur
}

// newSlab moves the unread bytes to a fresh slab of at least size bytes.
func (r *Reader) newSlab(size int) {
	if r.pool == nil {
		nb := make([]byte, size)
		r.w = copy(nb, r.buf[r.r:r.w])
		r.r, r.buf = 0, nb
		return
	}
	var s *slab
	if size == slabSize {
		s = r.pool.get()
	}
	if s == nil {
		s = &slab{buf: make([]byte, size), pool: r.pool}
	}
	s.refs.Store(1) // the reader's own
	r.w = copy(s.buf, r.buf[r.r:r.w])
	r.r, r.buf = 0, s.buf
	// Only now that the unread bytes are out of it may the old slab go.
	if old := r.cur; old != nil {
		old.release()
	}
	r.cur = s
}

// Buffered reports bytes already read from the socket but not yet framed.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads more bytes, moving the unread tail to a fresh slab when the
// current one has no room left for need bytes.
func (r *Reader) fill(need int) error {
	if r.err != nil {
		return r.err
	}
	if len(r.buf)-r.r < need {
		// Grow towards need as bytes arrive, never to a Content-Length the
		// peer merely announced.
		r.newSlab(max(slabSize, min(need, 2*(r.w-r.r)+slabSize)))
	} else if r.w == len(r.buf) {
		// Room exists only before r: start a new slab rather than move
		// bytes under frames already handed out.
		r.newSlab(slabSize)
	}
	n, err := r.src.Read(r.buf[r.w:])
	r.w += n
	if err != nil && n == 0 {
		r.err = err
		return err
	}
	return nil
}

// ReadFrame reads the next frame. The returned frame owns its memory.
func (r *Reader) ReadFrame() (*Frame, error) {
	f := new(Frame)
	if err := r.readFrame(f); err != nil {
		return nil, err
	}
	return f, nil
}

// readFrame reads the next frame into f, reusing f.Header's array: the
// event path reads every frame into the same Frame.
func (r *Reader) readFrame(f *Frame) error {
	f.Header, f.Body = f.Header[:0], nil
	// FreeSWITCH skips empty lines before a message; so do we.
	for {
		for r.r < r.w && (r.buf[r.r] == '\n' || r.buf[r.r] == '\r' && r.r+1 < r.w && r.buf[r.r+1] == '\n') {
			r.r++
		}
		if r.r < r.w {
			break
		}
		if err := r.fill(1); err != nil {
			return err
		}
	}
	// The header block ends at the first blank line.
	scanned := 0
	end := -1
	for {
		if i := bytes.Index(r.buf[r.r+scanned:r.w], []byte("\n\n")); i >= 0 {
			end = r.r + scanned + i + 2
			break
		}
		if i := bytes.Index(r.buf[r.r+scanned:r.w], []byte("\n\r\n")); i >= 0 {
			end = r.r + scanned + i + 3
			break
		}
		if r.w-r.r > maxHeaderBlock {
			return fmt.Errorf("%w: header block over %d bytes", ErrFrame, maxHeaderBlock)
		}
		scanned = max(0, r.w-r.r-2)
		if err := r.fill(r.w - r.r + 4096); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	text := unsafe.String(&r.buf[r.r], end-r.r)
	hdr, err := appendHeaderBlock(f.Header, text)
	if err != nil {
		return err
	}
	f.Header = hdr
	n := 0
	if cl, ok := hdr.Lookup("Content-Length"); ok {
		n, err = strconv.Atoi(cl)
		if err != nil || n < 0 || n > maxBody {
			return fmt.Errorf("%w: Content-Length %q", ErrFrame, cl)
		}
	}
	for r.w-end < n {
		hlen := end - r.r
		if err := r.fill(hlen + n); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		// fill may have moved the frame to a new slab: point the header at
		// the copy (a recycled slab is written again).
		end = r.r + hlen
		if unsafe.StringData(text) != &r.buf[r.r] {
			text = unsafe.String(&r.buf[r.r], hlen)
			if f.Header, err = appendHeaderBlock(f.Header[:0], text); err != nil {
				return err
			}
		}
	}
	if n > 0 {
		f.Body = r.buf[end : end+n : end+n]
	}
	r.r = end + n
	return nil
}

// parseHeaderBlock splits `Name: value\n` lines up to the first blank line.
func parseHeaderBlock(text string) (Header, error) {
	return appendHeaderBlock(make(Header, 0, strings.Count(text, "\n")), text)
}

// appendHeaderBlock is parseHeaderBlock appending to hdr.
func appendHeaderBlock(hdr Header, text string) (Header, error) {
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		var line string
		if i < 0 {
			line, text = text, ""
		} else {
			line, text = text[:i], text[i+1:]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if line == "" {
			break
		}
		c := strings.IndexByte(line, ':')
		if c <= 0 {
			return nil, fmt.Errorf("%w: header line %q", ErrFrame, truncate(line, 80))
		}
		name := line[:c]
		value := line[c+1:]
		for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
			value = value[1:]
		}
		hdr = append(hdr, Field{Name: name, Value: value})
	}
	return hdr, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
