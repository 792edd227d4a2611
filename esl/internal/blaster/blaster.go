// Package blaster is a minimal event-socket server that replays the event
// frames captured from a real FreeSWITCH as fast as a client reads them, or
// at a set rate, renumbering Event-Sequence so the stream stays valid. The
// ingest benchmarks use it to compare this package's event path with
// eslgo's on the same bytes.
package blaster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/internal/transcript"
)

// template is one captured plain event split around its sequence number.
type template struct {
	pre, post []byte // body before and after the Event-Sequence digits
}

// Mix loads every plain event captured on an events connection, in
// capture order.
func Mix() ([]template, error) {
	all, err := transcript.All()
	if err != nil {
		return nil, err
	}
	var out []template
	for _, tr := range all {
		rd := esl.NewReader(bytes.NewReader(tr.Stream("events")))
		for {
			f, err := rd.ReadFrame()
			if err != nil {
				break
			}
			if f.ContentType() != esl.TypeEventPlain {
				continue
			}
			i := bytes.Index(f.Body, []byte("\nEvent-Sequence: "))
			if i < 0 {
				continue
			}
			i += len("\nEvent-Sequence: ")
			j := i + bytes.IndexByte(f.Body[i:], '\n')
			out = append(out, template{pre: f.Body[:i], post: f.Body[j:]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("blaster: no plain events in the transcripts")
	}
	return out, nil
}

// Frames renders the mix once as complete frames, with the captured
// sequence numbers (for parse benchmarks that need no socket).
func Frames() ([][]byte, error) {
	mix, err := Mix()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(mix))
	for i, t := range mix {
		num := strconv.Itoa(1000 + i)
		size := len(t.pre) + len(num) + len(t.post)
		f := fmt.Appendf(nil, "Content-Length: %d\nContent-Type: text/event-plain\n\n", size)
		f = append(append(append(f, t.pre...), num...), t.post...)
		out[i] = f
	}
	return out, nil
}

// Server answers the handshake of both this package and eslgo and then
// writes events to every subscribed connection.
type Server struct {
	Core  string
	Count int // events per subscribed connection; 0 = until closed
	// Life, when set, is written instead of the captured mix.
	Life  *Lifecycle
	Rate  int // events per second; 0 = as fast as the socket takes them
	mix   []template
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
	// lifeConns counts the connections Life was written to.
	lifeConns int
}

// New loads the captured mix.
func New(count, rate int) (*Server, error) {
	mix, err := Mix()
	if err != nil {
		return nil, err
	}
	return &Server{Core: "5a5a5a5a-0000-4000-8000-000000000001", Count: count, Rate: rate, mix: mix, conns: map[net.Conn]bool{}}, nil
}

// MixSize is how many distinct captured events are replayed.
func (s *Server) MixSize() int { return len(s.mix) }

// Listen binds a loopback port and serves until Close.
func (s *Server) Listen() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
	return ln.Addr().String(), nil
}

// Close stops the server and every connection.
func (s *Server) Close() {
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	w := bufio.NewWriterSize(c, 256<<10)
	r := bufio.NewReader(c)
	reply := func(text string) {
		fmt.Fprintf(w, "Content-Type: command/reply\nReply-Text: %s\n\n", text)
		w.Flush()
	}
	api := func(body string) {
		fmt.Fprintf(w, "Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
		w.Flush()
	}
	w.WriteString("Content-Type: auth/request\n\n")
	w.Flush()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(cmd, "auth "):
			reply("+OK accepted")
		case cmd == "api global_getvar core_uuid":
			api(s.Core)
		case strings.HasPrefix(cmd, "api show channels"):
			api("{\"row_count\": 0}\n")
		case strings.HasPrefix(cmd, "event "):
			reply("+OK event listener enabled plain")
			// From here on the client sends nothing on an event connection.
			if l := s.Life; l != nil {
				from, to := 0, l.total
				s.mu.Lock()
				s.lifeConns++
				first := s.lifeConns == 1
				s.mu.Unlock()
				switch {
				case l.CutAfter > 0 && first:
					to = l.CutAfter
				case l.CutAfter > 0:
					from = max(0, l.CutAfter-l.Replay)
				}
				_ = l.events(from, to, func(f []byte) error { _, err := w.Write(f); return err })
				w.Flush()
				if to < l.total {
					return
				}
				_, _ = io.Copy(io.Discard, r) // until the client or Close hangs up
				return
			}
			s.blast(ctx, w)
			return
		case cmd == "exit":
			reply("+OK bye")
			return
		default:
			reply("-ERR command not found")
		}
	}
}

func readCommand(r *bufio.Reader) (string, error) {
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(lines) == 0 {
				continue
			}
			return lines[0], nil
		}
		lines = append(lines, line)
	}
}

func (s *Server) blast(ctx context.Context, w *bufio.Writer) {
	var seq uint64 = 1000
	var tick *time.Ticker
	start := time.Now()
	if s.Rate > 0 {
		// Write in 1 ms slices, as FreeSWITCH's listener thread does with
		// its queue, rather than one syscall per event; catch up on late
		// ticks so the average rate holds.
		tick = time.NewTicker(time.Millisecond)
		defer tick.Stop()
	}
	num := make([]byte, 0, 24)
	sent := 0
	for s.Count == 0 || sent < s.Count {
		n := 256
		if tick != nil {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n = int(time.Since(start).Seconds()*float64(s.Rate)) - sent
		}
		for i := 0; i < n && (s.Count == 0 || sent < s.Count); i++ {
			t := s.mix[sent%len(s.mix)]
			seq++
			num = strconv.AppendUint(num[:0], seq, 10)
			size := len(t.pre) + len(num) + len(t.post)
			fmt.Fprintf(w, "Content-Length: %d\nContent-Type: text/event-plain\n\n", size)
			w.Write(t.pre)
			w.Write(num)
			w.Write(t.post)
			sent++
		}
		if err := w.Flush(); err != nil {
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}
