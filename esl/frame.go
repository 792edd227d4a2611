package esl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// maxBody bounds Content-Length so a corrupt length cannot make us allocate gigabytes.
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
type Reader struct {
	r   *bufio.Reader
	buf []byte
}

// NewReader wraps r; the buffer is sized for full-size channel events (6-11 KB).
func NewReader(r io.Reader) *Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return &Reader{r: br}
	}
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Buffered reports bytes already read from the socket but not yet framed.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadFrame reads the next frame. The returned frame owns its memory.
func (r *Reader) ReadFrame() (*Frame, error) {
	r.buf = r.buf[:0]
	for {
		line, err := r.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			r.buf = append(r.buf, line...)
			if len(r.buf) > maxHeaderBlock {
				return nil, fmt.Errorf("%w: header block over %d bytes", ErrFrame, maxHeaderBlock)
			}
			continue
		}
		if err != nil {
			if err == io.EOF && (len(r.buf) > 0 || len(line) > 0) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		// FreeSWITCH skips empty lines before a message; so do we.
		if len(r.buf) == 0 && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
			continue
		}
		r.buf = append(r.buf, line...)
		if len(r.buf) > maxHeaderBlock {
			return nil, fmt.Errorf("%w: header block over %d bytes", ErrFrame, maxHeaderBlock)
		}
		if len(line) == 1 || (len(line) == 2 && line[0] == '\r') {
			break
		}
	}
	// One allocation holds the header text; Field strings point into it.
	text := string(r.buf)
	hdr, err := parseHeaderBlock(text)
	if err != nil {
		return nil, err
	}
	f := &Frame{Header: hdr}
	if cl, ok := hdr.Lookup("Content-Length"); ok {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > maxBody {
			return nil, fmt.Errorf("%w: Content-Length %q", ErrFrame, cl)
		}
		if n > 0 {
			f.Body = make([]byte, n)
			if _, err := io.ReadFull(r.r, f.Body); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
	}
	return f, nil
}

// parseHeaderBlock splits `Name: value\n` lines up to the first blank line.
func parseHeaderBlock(text string) (Header, error) {
	hdr := make(Header, 0, strings.Count(text, "\n"))
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
