//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// TestCaptureBridgeOnAnswer records, byte for byte, the ESL traffic of the
// flows where this FreeSWITCH differs from esl/sim, in the JSONL format of
// esl/testdata/transcripts (one raw socket per
// connection, no ESL library). It runs only with AGENTSWITCH_E2E_CAPTURE
// naming the output directory.
//
//	uuid_bridge sent on the lead's CHANNEL_ANSWER, before its BACKGROUND_JOB;
//	uuid_hold of the agent right after CHANNEL_BRIDGE, then uuid_hold off;
//	the lead's phone hangs up 2.2 s after answering.
func TestCaptureBridgeOnAnswer(t *testing.T) {
	dir := os.Getenv("AGENTSWITCH_E2E_CAPTURE")
	if dir == "" {
		t.Skip("AGENTSWITCH_E2E_CAPTURE is not set")
	}
	e := env(t)
	ctx := ctxFor(t, 60*time.Second)
	ag := e.agent(t, "2503", toneAgent)
	leads := e.leadPhone(t)
	n := newNumber()
	leads.SetBehavior(n, sipphone.Behavior{Ring: 50 * time.Millisecond, HangupAfter: 2200 * time.Millisecond})

	c := openCapture(t, ctx, e)
	agent, lead := c.parkAgent(ctx, ag, ""), uuid.NewString()
	c.send("cmd", "bgapi originate {origination_uuid="+lead+",ignore_early_media=true,originate_timeout=20}sofia/gateway/"+leadGateway+"/"+n+" &park()\nJob-UUID: "+uuid.NewString())
	c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelAnswer && ev.UniqueID() == lead })
	c.send("cmd", "api uuid_bridge "+lead+" "+agent)
	job := c.waitEvent(ctx, func(ev *esl.Event) bool {
		return ev.Name() == esl.EventBackgroundJob && strings.Contains(ev.Get("Job-Command-Arg"), lead)
	})
	c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelBridge && ev.UniqueID() == lead })
	c.send("cmd", "api uuid_hold "+agent)
	c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelHold && ev.UniqueID() == agent })
	// Long enough for the music to have started, had it been going to.
	pause := time.NewTimer(time.Second)
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-pause.C:
	}
	unheld := len(c.eventsOf(lead))
	c.send("cmd", "api uuid_hold off "+agent)
	hc := c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelHangupComplete && ev.UniqueID() == lead })
	c.send("cmd", "api uuid_kill "+agent)
	c.waitEvent(ctx, func(ev *esl.Event) bool { return ev.Name() == esl.EventChannelDestroy && ev.UniqueID() == agent })
	c.close()

	started := "never"
	for i, ev := range c.eventsOf(lead) {
		if ev.Name() == esl.EventPlaybackStart {
			started = "during the hold"
			if i >= unheld {
				started = "after uuid_hold off"
			}
			break
		}
	}
	t.Logf("lead's originate job: %q; hold music started on the lead: %s; billsec %s billmsec %s",
		strings.TrimSpace(string(job.Body)), started, hc.Var("billsec"), hc.Var("billmsec"))
	out := filepath.Join(dir, "10-bridge-on-answer-hold.jsonl")
	if err := c.write(out); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

// openCapture connects the recorder's two sockets, authenticates both
// and has "events" take every event (plain).
func openCapture(t *testing.T, ctx context.Context, e *switchEnv) *capture {
	c := newCapture(t, e.eslAddr)
	c.send("cmd", "auth "+e.eslPass)
	c.send("events", "auth "+e.eslPass)
	c.send("events", "event plain ALL")
	c.waitReply(ctx, "events", 2)
	return c
}

// parkAgent originates the agent's phone into park (vars are added to
// origination_uuid) and waits for its job and the phone's answer.
func (c *capture) parkAgent(ctx context.Context, ph *sipphone.Phone, vars string) string {
	agent := uuid.NewString()
	c.send("cmd", "bgapi originate {origination_uuid="+agent+vars+"}user/"+ph.User()+"@"+domain+" &park()\nJob-UUID: "+uuid.NewString())
	c.waitEvent(ctx, func(ev *esl.Event) bool {
		return ev.Name() == esl.EventBackgroundJob && strings.Contains(string(ev.Body), agent)
	})
	if _, err := ph.NextCall(ctx); err != nil {
		c.t.Fatal(err)
	}
	return agent
}

// capture is a raw-socket ESL recorder.
type capture struct {
	t     *testing.T
	start time.Time
	mu    sync.Mutex
	recs  []captureRecord
	conns map[string]net.Conn
	evs   []*esl.Event
	reply map[string]int
	ch    chan struct{}
	wg    sync.WaitGroup
}

type captureRecord struct {
	TMs  float64 `json:"t_ms"`
	Dir  string  `json:"dir"`
	Conn string  `json:"conn"`
	Data string  `json:"data"`
	EOF  bool    `json:"eof,omitempty"`
}

func newCapture(t *testing.T, addr string) *capture {
	c := &capture{t: t, start: time.Now(), conns: map[string]net.Conn{}, reply: map[string]int{}, ch: make(chan struct{})}
	for _, name := range []string{"cmd", "events"} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.conns[name] = nc
		c.wg.Go(func() { c.read(name, nc) })
	}
	return c
}

func (c *capture) add(r captureRecord) {
	r.TMs = float64(time.Since(c.start).Microseconds()) / 1000
	c.mu.Lock()
	c.recs = append(c.recs, r)
	close(c.ch)
	c.ch = make(chan struct{})
	c.mu.Unlock()
}

func (c *capture) send(conn, cmd string) {
	data := cmd + "\n\n"
	c.add(captureRecord{Dir: "out", Conn: conn, Data: data})
	if _, err := c.conns[conn].Write([]byte(data)); err != nil {
		c.t.Fatal(err)
	}
}

// read splits the stream into messages: headers, blank line, then
// Content-Length bytes.
func (c *capture) read(conn string, nc net.Conn) {
	br := bufio.NewReader(nc)
	for {
		var head bytes.Buffer
		length := 0
		for {
			line, err := br.ReadString('\n')
			head.WriteString(line)
			if err != nil {
				c.add(captureRecord{Dir: "in", Conn: conn, EOF: true})
				return
			}
			if line == "\n" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			c.add(captureRecord{Dir: "in", Conn: conn, EOF: true})
			return
		}
		msg := head.String() + string(body)
		if strings.Contains(head.String(), "Content-Type: text/event-plain") {
			if ev, err := esl.ParsePlainEvent(body); err == nil {
				c.mu.Lock()
				c.evs = append(c.evs, ev)
				c.mu.Unlock()
			}
		}
		if strings.Contains(head.String(), "Content-Type: command/reply") {
			c.mu.Lock()
			c.reply[conn]++
			c.mu.Unlock()
		}
		c.add(captureRecord{Dir: "in", Conn: conn, Data: msg})
	}
}

func (c *capture) waitReply(ctx context.Context, conn string, n int) {
	c.wait(ctx, "replies on "+conn, func() bool { return c.reply[conn] >= n })
}

func (c *capture) waitEvent(ctx context.Context, match func(*esl.Event) bool) *esl.Event {
	ev := c.tryEvent(ctx, match)
	if ev == nil {
		c.t.Fatalf("capture: waiting for an event: %v", ctx.Err())
	}
	return ev
}

func (c *capture) wait(ctx context.Context, what string, cond func() bool) {
	if !c.until(ctx, cond) {
		c.t.Fatalf("capture: waiting for %s: %v", what, ctx.Err())
	}
}

// until waits for cond; false when ctx ends first.
func (c *capture) until(ctx context.Context, cond func() bool) bool {
	for {
		c.mu.Lock()
		ok, ch := cond(), c.ch
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// tryEvent is waitEvent that returns nil when ctx ends first.
func (c *capture) tryEvent(ctx context.Context, match func(*esl.Event) bool) *esl.Event {
	var found *esl.Event
	c.until(ctx, func() bool {
		for _, ev := range c.evs {
			if match(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func (c *capture) eventsOf(id string) []*esl.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*esl.Event
	for _, ev := range c.evs {
		if ev.UniqueID() == id {
			out = append(out, ev)
		}
	}
	return out
}

func (c *capture) close() {
	for name, nc := range c.conns {
		c.add(captureRecord{Dir: "out", Conn: name, EOF: true})
		nc.Close()
	}
	c.wg.Wait()
}

func (c *capture) write(path string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("record: %w", err)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
