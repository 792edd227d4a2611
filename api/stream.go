package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// Close codes of the event stream (4000-4999 are the application's). On
// each, the client reconnects and starts again from a fresh snapshot.
const (
	// CloseTooSlow: the client fell behind the events.
	CloseTooSlow websocket.StatusCode = 4008
	// CloseSessionEnded: the session or key is no longer valid; log in
	// again before reconnecting.
	CloseSessionEnded websocket.StatusCode = 4001
)

const (
	reasonTooSlow      = "too slow: reconnect to get a fresh snapshot"
	reasonSessionEnded = "session ended: log in again, then reconnect"
	reasonGoingAway    = "server going away: reconnect"
	reasonEngineEnded  = "event source restarted: reconnect to get a fresh snapshot"
	// streamReadLimit bounds a client's message; clients only say "I am
	// here".
	streamReadLimit = 4096
)

// snapshotMessage is the first message of a stream.
type snapshotMessage struct {
	Type string `json:"type"`
	dialer.LiveSnapshot
}

// streamFilter is what p may receive: an agent its own events, a
// supervisor or admin everything (or one agent's, with ?agent=).
func streamFilter(c echo.Context, p *principal) (dialer.LiveFilter, error) {
	if !p.Actor.Role.AtLeast(identity.RoleSupervisor) {
		if p.Actor.Agent == 0 {
			return dialer.LiveFilter{}, dialer.ErrForbidden
		}
		return dialer.LiveFilter{Agent: p.Actor.Agent}, nil
	}
	id, err := queryID[dialer.AgentID](c, "agent")
	return dialer.LiveFilter{Agent: id}, err
}

// filterSnapshot keeps what the filter lets through, whatever the engine
// returned.
func filterSnapshot(s dialer.LiveSnapshot, f dialer.LiveFilter) dialer.LiveSnapshot {
	if s.Agents == nil {
		s.Agents = []dialer.AgentView{}
	}
	if s.Calls == nil {
		s.Calls = []dialer.CallView{}
	}
	if f.Agent == 0 {
		return s
	}
	agents := []dialer.AgentView{}
	for _, a := range s.Agents {
		if a.ID == f.Agent {
			agents = append(agents, a)
		}
	}
	calls := []dialer.CallView{}
	for _, c := range s.Calls {
		if involves(c, f.Agent) {
			calls = append(calls, c)
		}
	}
	s.Agents, s.Calls = agents, calls
	// The queues' figures and the switch's state are for supervisors.
	s.Queues, s.Nodes, s.Gateways = nil, nil, nil
	return s
}

// stream is GET /api/v1/stream. The engine's channel is drained at once
// into a bounded queue so that a slow client never holds the engine back;
// a client whose queue overflows is disconnected with CloseTooSlow.
func (s *Server) stream(c echo.Context, p *principal) error {
	filter, err := streamFilter(c, p)
	if err != nil {
		return err
	}
	owner := streamOwner(p)
	mine, ok := s.open.add(owner, s.opts.Stream.MaxPerLogin)
	if !ok {
		return newHTTPError(http.StatusTooManyRequests, fmt.Sprintf("this login has %d event streams open already; close one", s.opts.Stream.MaxPerLogin))
	}
	defer s.open.remove(owner, mine)
	// The request's context must not be used once the connection is
	// hijacked; the stream lives until the client leaves or Shutdown.
	subCtx, endSub := context.WithCancel(s.streams)
	defer endSub()
	snap, events, err := s.engine.Subscribe(subCtx, filter)
	if err != nil {
		return err
	}
	beats := make(chan struct{}, 1)
	beat := func() {
		select {
		case beats <- struct{}{}:
		default:
		}
	}
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{
		CompressionMode: websocket.CompressionDisabled,
		OnPongReceived:  func(context.Context, []byte) { beat() },
	})
	if err != nil {
		// Accept has answered the client.
		endSub()
		for range events {
		}
		return nil
	}
	defer conn.CloseNow()
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.streamWG.Add(1)
	}
	s.mu.Unlock()
	if closing {
		endSub()
		_ = conn.Close(websocket.StatusGoingAway, reasonGoingAway)
		return nil
	}
	defer s.streamWG.Done()
	conn.SetReadLimit(streamReadLimit)
	// Not derived from s.streams: on Shutdown the connection must live on
	// long enough to say goodbye.
	connCtx, endConn := context.WithCancel(context.Background())
	defer endConn()
	log := s.log.With("stream", p.Actor.Label(), "agent_id", filter.Agent)

	// Pump: engine channel -> bounded queue; never blocks on the client.
	queue := make(chan dialer.LiveEvent, s.opts.Stream.Buffer)
	pumpDone := make(chan struct{})
	var tooSlow bool
	go func() {
		defer close(pumpDone)
		for ev := range events {
			if !filter.Match(ev) {
				continue
			}
			select {
			case queue <- ev:
			default:
				tooSlow = true
				endSub()
				for range events {
				}
				return
			}
		}
	}()

	// Reader: every message or pong is the workspace saying it is alive.
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			if _, _, err := conn.Read(connCtx); err != nil {
				return
			}
			beat()
		}
	}()

	// Heartbeats to the engine, at most one per HeartbeatEvery.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer endConn()
	if p.Actor.Agent != 0 {
		wg.Go(func() {
			var last time.Time
			for {
				select {
				case <-connCtx.Done():
					return
				case <-beats:
				}
				now := s.now()
				if !last.IsZero() && now.Sub(last) < s.opts.Stream.HeartbeatEvery {
					continue
				}
				last = now
				if err := s.engine.Heartbeat(connCtx, p.Actor, p.Actor.Agent); err != nil && connCtx.Err() == nil {
					log.Debug("workspace heartbeat refused", "err", err)
				}
			}
		})
	}

	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(connCtx, s.opts.Stream.WriteTimeout)
		defer cancel()
		return conn.Write(ctx, websocket.MessageText, b)
	}
	closeWith := func(code websocket.StatusCode, reason string) {
		endSub()
		_ = conn.Close(code, reason)
	}

	if err := write(snapshotMessage{Type: "snapshot", LiveSnapshot: filterSnapshot(snap, filter)}); err != nil {
		return nil
	}
	ping := time.NewTicker(s.opts.Stream.PingInterval)
	defer ping.Stop()
	pinging := false
	pingDone := make(chan error, 1)
	for {
		// A client found too slow is dropped before anything else is
		// written to it.
		select {
		case <-pumpDone:
			switch {
			case tooSlow:
				log.Info("event stream client too slow; disconnected", "buffer", s.opts.Stream.Buffer)
				closeWith(CloseTooSlow, reasonTooSlow)
			case s.streams.Err() != nil:
				closeWith(websocket.StatusGoingAway, reasonGoingAway)
			default:
				closeWith(websocket.StatusGoingAway, reasonEngineEnded)
			}
			return nil
		default:
		}
		select {
		case <-pumpDone:
			continue
		case ev := <-queue:
			if err := write(ev); err != nil {
				return nil
			}
		case <-readDone:
			return nil
		case <-s.streams.Done():
			closeWith(websocket.StatusGoingAway, reasonGoingAway)
			return nil
		case <-mine.end:
			closeWith(CloseSessionEnded, reasonSessionEnded)
			return nil
		case err := <-pingDone:
			pinging = false
			if err != nil {
				return nil
			}
		case <-ping.C:
			if !s.stillValid(connCtx, p) {
				closeWith(CloseSessionEnded, reasonSessionEnded)
				return nil
			}
			if pinging {
				// The last ping got no pong within an interval.
				return nil
			}
			pinging = true
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(connCtx, s.opts.Stream.PingInterval)
				defer cancel()
				pingDone <- conn.Ping(ctx)
			})
		}
	}
}

// stillValid re-checks a long-lived stream's credential: a logout, a
// disabled user or a revoked key ends the stream. A store hiccup does not.
func (s *Server) stillValid(ctx context.Context, p *principal) bool {
	var err error
	if p.viaKey() {
		_, err = s.principalForKey(ctx, p.secret)
	} else {
		_, err = s.principalForWebSession(ctx, p.Token)
	}
	return !errors.Is(err, identity.ErrBadCredentials) && !errors.Is(err, identity.ErrDisabled)
}
