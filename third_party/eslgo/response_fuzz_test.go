package eslgo

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func readerConn(data []byte) *Conn {
	return &Conn{reader: bufio.NewReader(bytes.NewReader(data))}
}

// TestReadResponseLimits: bad lengths are errors, not panics or huge
// allocations (agentswitch patch).
func TestReadResponseLimits(t *testing.T) {
	for _, cl := range []string{"-1", "1000000000000", strconv.Itoa(MaxContentLength + 1), "99999999999999999999"} {
		_, err := readerConn([]byte("Content-Type: api/response\nContent-Length: " + cl + "\n\nabc")).readResponse()
		if err == nil {
			t.Errorf("Content-Length %s accepted", cl)
		}
	}
	// A header line longer than bufio's buffer is read whole, and a blank
	// line is only recognized at the start of a line.
	long := strings.Repeat("x", 4095)
	r, err := readerConn([]byte("Content-Type: api/response\nX-Long: " + long + "\n\nnext")).readResponse()
	if err != nil || r.Headers.Get("X-Long") != long {
		t.Fatalf("long header: %v", err)
	}
	// The header block is bounded even without a newline in sight.
	_, err = readerConn(bytes.Repeat([]byte("a"), MaxHeaderBytes+1)).readResponse()
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("endless header line: %v", err)
	}
}

// FuzzReadResponse reads what a command connection's peer might send.
// Properties: no panic; a body is exactly its Content-Length and within
// MaxContentLength; a message read is written back and read again the same;
// reading a stream ends (each message consumes bytes).
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("Content-Type: auth/request\n\n"))
	f.Add([]byte("Content-Type: command/reply\nReply-Text: +OK accepted\n\n"))
	f.Add([]byte("Content-Type: api/response\nContent-Length: 5\n\n+OK\n\nContent-Type: command/reply\nReply-Text: -ERR no\n\n"))
	f.Add([]byte("Content-Type: api/response\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("Content-Type: api/response\nContent-Length: -1\n\n"))
	f.Add([]byte("Content-Type: api/response\nContent-Length: 1000000000000\n\n"))
	f.Add([]byte("Content-Type: api/response\nContent-Length: 10\n\nshort"))
	f.Add([]byte("Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"))
	f.Add([]byte("\n\nContent-Type: command/reply\n folded\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := readerConn(data)
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatalf("%d messages from %d bytes", i, len(data))
			}
			r, err := c.readResponse()
			if err != nil {
				if r != nil && len(r.Body) > MaxContentLength {
					t.Fatalf("body of %d bytes", len(r.Body))
				}
				return
			}
			cl := r.Headers.Get("Content-Length")
			if n, err := strconv.Atoi(cl); cl != "" && (err != nil || n != len(r.Body)) {
				t.Fatalf("Content-Length %q, body %d bytes", cl, len(r.Body))
			}
			if cl == "" && len(r.Body) != 0 {
				t.Fatalf("body without Content-Length")
			}
			roundTrip(t, r)
		}
	})
}

// roundTrip writes r as a peer would and reads it back.
func roundTrip(t *testing.T, r *RawResponse) {
	var b bytes.Buffer
	for k, vs := range r.Headers {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") || strings.TrimSpace(v) != v {
				// A lone CR, or a folded line's trailing space, cannot be
				// written back as one line.
				return
			}
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	b.Write(r.Body)
	again, err := readerConn(b.Bytes()).readResponse()
	if err != nil {
		t.Fatalf("re-reading %q: %v", b.Bytes(), err)
	}
	if !bytes.Equal(again.Body, r.Body) || len(again.Headers) != len(r.Headers) {
		t.Fatalf("round trip changed %#v into %#v", r, again)
	}
	for k, vs := range r.Headers {
		if strings.Join(again.Headers[k], "\x00") != strings.Join(vs, "\x00") {
			t.Fatalf("header %q: %q then %q", k, vs, again.Headers[k])
		}
	}
}
