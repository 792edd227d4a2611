package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type streamClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialStream opens the event stream as w. A small receive buffer makes a
// client that stops reading fall behind quickly.
func dialStream(t *testing.T, url string, w who, hdr http.Header, query ...string) (*streamClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h[k] = v
	}
	if w.cookie != "" {
		h.Set("Cookie", sessionCookie+"="+w.cookie)
	}
	if w.key != "" {
		h.Set("Authorization", "Bearer "+w.key)
	}
	dialer := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10)
		}
		return c, err
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, strings.Replace(url, "http://", "ws://", 1)+"/api/v1/stream"+strings.Join(query, ""), &websocket.DialOptions{
		HTTPHeader: h, HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &streamClient{t: t, conn: conn}, resp, nil
}

func (c *streamClient) next() map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// readUntilClosed reads until the connection ends and returns why.
func (c *streamClient) readUntilClosed() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := 0
	for {
		if _, _, err := c.conn.Read(ctx); err != nil {
			return n, err
		}
		n++
	}
}

func startServer(t *testing.T, e *testEnv) string {
	t.Helper()
	ts := httptest.NewServer(e.srv.Echo())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL
}

func seqs(t *testing.T, c *streamClient, n int) []float64 {
	t.Helper()
	var out []float64
	for range n {
		m := c.next()
		out = append(out, m["seq"].(float64))
	}
	return out
}

func TestStreamSnapshotThenEvents(t *testing.T) {
	e := newEnv(t)
	e.eng.snap = dialer.LiveSnapshot{Seq: 10, At: t0,
		Agents: []dialer.AgentView{{ID: 1, State: dialer.AgentReady}, {ID: 2, State: dialer.AgentPaused}},
		Calls:  []dialer.CallView{{ID: e.live1, Agent: 1, State: dialer.LiveConnected}, {ID: e.live2, Agent: 2, State: dialer.LiveConnected}}}
	url := startServer(t, e)
	c, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := c.next()
	if snap["type"] != "snapshot" || snap["seq"] != float64(10) || len(snap["agents"].([]any)) != 2 || len(snap["calls"].([]any)) != 2 {
		t.Fatalf("first message %v", snap)
	}
	if subs := e.eng.called("Subscribe"); len(subs) != 1 || subs[0].Agent != 0 {
		t.Fatalf("subscribed %v", subs)
	}
	go func() {
		for i := range 200 {
			agent := dialer.AgentID(1 + i%2)
			e.eng.publish(dialer.LiveEvent{Seq: uint64(11 + i), At: t0, Type: dialer.EvAgentState, Agent: agent,
				AgentView: &dialer.AgentView{ID: agent, State: dialer.AgentReady}})
		}
	}()
	got := seqs(t, c, 200)
	for i, s := range got {
		if s != float64(11+i) {
			t.Fatalf("event %d has seq %v: out of order or lost", i, s)
		}
	}
	// The supervisor's connection sends no workspace heartbeats.
	if hb := e.eng.called("Heartbeat"); len(hb) != 0 {
		t.Fatalf("heartbeats %v", hb)
	}
	// A reconnect is a new subscription with a new snapshot.
	c.conn.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "the subscription to end", func() bool { return len(e.eng.subscribers()) == 0 })
	c2, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := c2.next(); m["type"] != "snapshot" {
		t.Fatalf("reconnect: %v", m)
	}
}

func TestStreamAgentFilter(t *testing.T) {
	e := newEnv(t)
	e.eng.snap = dialer.LiveSnapshot{Seq: 5,
		Agents:   []dialer.AgentView{{ID: 1, State: dialer.AgentReady}, {ID: 2, State: dialer.AgentPaused}},
		Calls:    []dialer.CallView{{ID: e.live1, Agent: 1}, {ID: e.live2, Agent: 2}},
		Nodes:    []dialer.NodeView{{Name: "fs1", Up: true}},
		Gateways: []dialer.GatewayStatus{{Gateway: "carrier1", Node: "fs1", State: "REGED", Registered: true}}}
	url := startServer(t, e)
	c, _, err := dialStream(t, url, e.agent1, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := c.next()
	agents, calls := snap["agents"].([]any), snap["calls"].([]any)
	if len(agents) != 1 || agents[0].(map[string]any)["id"] != float64(1) || len(calls) != 1 || calls[0].(map[string]any)["id"] != string(e.live1) {
		t.Fatalf("agent 1's snapshot %v", snap)
	}
	if _, ok := snap["nodes"]; ok {
		t.Fatalf("agent 1's snapshot has the switch's nodes: %v", snap)
	}
	if _, ok := snap["gateways"]; ok {
		t.Fatalf("agent 1's snapshot has the gateways: %v", snap)
	}
	if subs := e.eng.called("Subscribe"); len(subs) != 1 || subs[0].Agent != 1 {
		t.Fatalf("subscribed %v", subs)
	}
	// The fake sends everything; the API passes agent 1's only.
	go func() {
		for i := range 100 {
			e.eng.publish(dialer.LiveEvent{Seq: uint64(6 + i), Type: dialer.EvCallRinging, Agent: dialer.AgentID(1 + i%2)})
		}
	}()
	for i, s := range seqs(t, c, 50) {
		if s != float64(6+2*i) {
			t.Fatalf("event %d: seq %v (another agent's event leaked?)", i, s)
		}
	}
	// A seatless key has no stream of its own; a page on another site
	// cannot open one with the user's cookie.
	if _, resp, err := dialStream(t, url, e.keyAgent, nil); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("agent key: %v %v", err, resp)
	}
	if _, resp, err := dialStream(t, url, e.agent1, http.Header{"Origin": {"https://evil.example"}}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("cross-site: %v %v", err, resp)
	}
	if _, resp, err := dialStream(t, url, e.anon, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("anonymous: %v %v", err, resp)
	}
	// A supervisor's snapshot keeps the switch's state.
	sup, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	ss := sup.next()
	nodes, _ := ss["nodes"].([]any)
	gws, _ := ss["gateways"].([]any)
	if len(nodes) != 1 || len(gws) != 1 {
		t.Fatalf("a supervisor's snapshot %v", ss)
	}
}

// TestStreamSlowClient: a client that stops reading never holds the
// engine back; once its buffer overflows it is told to reconnect.
func TestStreamSlowClient(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Stream.Buffer = 8 })
	url := startServer(t, e)
	c, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.next()
	waitFor(t, "the subscription", func() bool { return len(e.eng.subscribers()) == 1 })
	pad := strings.Repeat("x", 32<<10)
	published := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		// Paced, so that the writer keeps up until the socket is full.
		for i := range 600 {
			e.eng.publish(dialer.LiveEvent{Seq: uint64(i + 1), Type: dialer.EvAgentState, Agent: 1,
				AgentView: &dialer.AgentView{ID: 1, State: dialer.AgentPaused, Reason: pad}})
			time.Sleep(time.Millisecond)
		}
		published <- time.Since(start)
	}()
	// The client reads nothing until the publisher is done: if the stream
	// blocked the engine, this would never finish.
	select {
	case d := <-published:
		t.Logf("600 events of 32 KiB published in %v with the client not reading", d)
	case <-time.After(20 * time.Second):
		t.Fatal("the engine's publisher is blocked by a slow client")
	}
	waitFor(t, "the slow client's subscription to end", func() bool { return len(e.eng.subscribers()) == 0 })
	n, err := c.readUntilClosed()
	if websocket.CloseStatus(err) != CloseTooSlow {
		t.Fatalf("after %d events: %v, want close %d", n, err, CloseTooSlow)
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "reconnect") {
		t.Fatalf("close reason %v", err)
	}
	if n >= 600 {
		t.Fatalf("all %d events arrived: the client was not cut off", n)
	}
	t.Logf("the client got %d events, then the close", n)
}

func TestStreamHeartbeat(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		// Pings often, for pongs to count; not so often that a pong late
		// on a loaded machine (it must come within one interval) drops
		// the stream.
		o.Stream.PingInterval = 300 * time.Millisecond
		o.Stream.HeartbeatEvery = 5 * time.Second
	})
	url := startServer(t, e)
	c, _, err := dialStream(t, url, e.agent1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.next()
	// Keep reading so that pings are answered.
	go func() {
		for {
			if _, _, err := c.conn.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	ctx := t.Context()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"here"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a heartbeat", func() bool { return len(e.eng.called("Heartbeat")) == 1 })
	hb := e.eng.called("Heartbeat")[0]
	if hb.Agent != 1 || hb.Actor.Agent != 1 || hb.Actor.Role != identity.RoleAgent {
		t.Fatalf("heartbeat %+v", hb)
	}
	// More messages and pongs within 5 s: no more heartbeats.
	for range 5 {
		c.conn.Write(ctx, websocket.MessageText, []byte(`{}`))
	}
	time.Sleep(150 * time.Millisecond)
	if n := len(e.eng.called("Heartbeat")); n != 1 {
		t.Fatalf("%d heartbeats within the rate limit", n)
	}
	// Five seconds later the next pong counts.
	e.clock.Advance(5 * time.Second)
	waitFor(t, "a heartbeat from a pong", func() bool { return len(e.eng.called("Heartbeat")) == 2 })
}

func TestStreamEndsWithSession(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Stream.PingInterval = 30 * time.Millisecond })
	url := startServer(t, e)
	w := who{cookie: e.login("ann")}
	c, _, err := dialStream(t, url, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.next()
	if rec := e.do(w, "POST", "/api/v1/auth/logout", ""); rec.Code != 204 {
		t.Fatalf("logout %d", rec.Code)
	}
	if _, err := c.readUntilClosed(); websocket.CloseStatus(err) != CloseSessionEnded {
		t.Fatalf("after logout: %v", err)
	}
	// Shutdown tells the others to come back.
	c2, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2.next()
	go e.srv.Shutdown(context.Background())
	if _, err := c2.readUntilClosed(); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("on shutdown: %v", err)
	}
}

// TestSlowBody: a client that stops sending its body is answered and cut
// off once the body timeout passes; the event stream, which has no body
// but lives long, is not.
func TestSlowBody(t *testing.T) {
	const timeout = 300 * time.Millisecond
	e := newEnv(t, func(o *Options) { o.BodyTimeout = timeout })
	url := startServer(t, e)

	stream, _, err := dialStream(t, url, e.sup, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := stream.next(); m["type"] != "snapshot" {
		t.Fatalf("first message %v", m)
	}
	opened := time.Now()

	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"X-Requested-With: agentswitch\r\nContent-Length: 100\r\n\r\n{\"username\":"); err != nil {
		t.Fatal(err)
	}
	// The failure bound, far above the timeout.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body after %v: %v", time.Since(start), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %d", resp.StatusCode)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection not closed after a stalled body: %v", err)
	}

	// A normal body on a kept-alive connection: the deadline of the first
	// request does not cut the second.
	c := &http.Client{}
	for range 2 {
		rec, err := c.Post(url+"/api/v1/auth/logout", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rec.Body)
		rec.Body.Close()
	}

	// The stream outlives the body timeout.
	waitFor(t, "the body timeout to pass for the stream", func() bool { return time.Since(opened) > 3*timeout })
	e.eng.publish(dialer.LiveEvent{Seq: 11, At: t0, Type: dialer.EvAgentState, Agent: 1, AgentView: &dialer.AgentView{ID: 1, State: dialer.AgentReady}})
	if m := stream.next(); m["seq"] != float64(11) {
		t.Fatalf("stream after the body timeout: %v", m)
	}
}

// TestStreamsPerLogin: a login holds at most MaxPerLogin streams (the
// next is refused with 429, another login is not affected), and a logout
// ends its session's streams at once, not at their next check.
func TestStreamsPerLogin(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Stream.PingInterval = time.Hour; o.Stream.MaxPerLogin = 2 })
	url := startServer(t, e)
	w := who{cookie: e.login("ann")}
	var open []*streamClient
	for range 2 {
		c, _, err := dialStream(t, url, w, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.next()
		open = append(open, c)
	}
	if _, resp, err := dialStream(t, url, w, nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third stream of one login: %v %v", resp, err)
	}
	other := who{cookie: e.login("ann")}
	c3, _, err := dialStream(t, url, other, nil)
	if err != nil {
		t.Fatalf("another login's stream: %v", err)
	}
	c3.next()
	if rec := e.do(w, "POST", "/api/v1/auth/logout", ""); rec.Code != 204 {
		t.Fatalf("logout %d", rec.Code)
	}
	for i, c := range open {
		if _, err := c.readUntilClosed(); websocket.CloseStatus(err) != CloseSessionEnded {
			t.Fatalf("stream %d after logout: %v", i, err)
		}
	}
	// The logged-out login's count is gone with it: its slots are free
	// for the login that remains.
	c4, _, err := dialStream(t, url, other, nil)
	if err != nil {
		t.Fatalf("second stream of the remaining login: %v", err)
	}
	c4.next()
}
