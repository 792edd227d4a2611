package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// dialFunc opens a connection to a node (Config.Dial).
type dialFunc = func(ctx context.Context, addr string) (net.Conn, error)

// eventConn is the connection that only receives events. It is read by our
// own frame reader rather than eslgo's: eslgo parses each event twice and
// hands it to a goroutine of its own, which loses the order and costs
// several times the parse (see BENCHMARKS.md).
type eventConn struct {
	conn net.Conn
	rd   *Reader
	core string // Core-UUID read at connect
}

// dialEvents connects, authenticates, reads the Core-UUID and subscribes,
// all under one deadline.
func dialEvents(ctx context.Context, dial dialFunc, addr, password string, events []string, timeout time.Duration) (*eventConn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := dial(dctx, addr)
	cancel()
	if err != nil {
		return nil, err
	}
	ec := &eventConn{conn: conn, rd: NewReader(conn)}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := ec.handshake(password, events); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ec, nil
}

func (ec *eventConn) handshake(password string, events []string) error {
	f, err := ec.rd.ReadFrame()
	if err != nil {
		return fmt.Errorf("waiting for auth/request: %w", err)
	}
	switch f.ContentType() {
	case TypeAuthRequest:
	case TypeRudeReject:
		return fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(f.Body)))
	default:
		return fmt.Errorf("%w: expected auth/request, got %q", ErrFrame, f.ContentType())
	}
	reply, err := ec.roundTrip("auth " + password)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply.ReplyText(), "+OK") {
		return fmt.Errorf("%w: %s", ErrAuth, reply.ReplyText())
	}
	// Read the Core-UUID before subscribing, while no event can interleave.
	reply, err = ec.roundTrip("api global_getvar core_uuid")
	if err != nil {
		return err
	}
	ec.core = strings.TrimSpace(string(reply.Body))
	if ValidateUUID("core_uuid", ec.core) != nil {
		return fmt.Errorf("%w: global_getvar core_uuid answered %q", ErrFrame, truncate(ec.core, 60))
	}
	reply, err = ec.roundTrip("event plain " + strings.Join(events, " "))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply.ReplyText(), "+OK") {
		return fmt.Errorf("esl: subscribe: %s", reply.ReplyText())
	}
	return nil
}

// roundTrip is only used before events flow, so the next frame is the reply.
func (ec *eventConn) roundTrip(cmd string) (*Frame, error) {
	if _, err := ec.conn.Write([]byte(cmd + "\n\n")); err != nil {
		return nil, err
	}
	for {
		f, err := ec.rd.ReadFrame()
		if err != nil {
			return nil, err
		}
		switch f.ContentType() {
		case TypeReply, TypeAPIResponse:
			return f, nil
		case TypeDisconnect:
			return nil, fmt.Errorf("%w: %s", ErrDisconnected, strings.TrimSpace(string(f.Body)))
		}
	}
}

// Connection errors.
var (
	ErrAuth         = errors.New("esl: authentication refused")
	ErrRejected     = errors.New("esl: connection rejected by ACL")
	ErrDisconnected = errors.New("esl: FreeSWITCH sent a disconnect notice")
	ErrHeartbeat    = errors.New("esl: no traffic for two heartbeat intervals")
	ErrDialTimeout  = errors.New("esl: dial timed out")
	// ErrNotConnected: the node is down; the command was not sent.
	ErrNotConnected = errors.New("esl: not connected")
	// ErrCommandTimeout: no reply in time; the connection was dropped.
	ErrCommandTimeout = errors.New("esl: command timed out")
	// ErrResultUnknown: the connection was lost before a background job reported.
	ErrResultUnknown = errors.New("esl: connection lost before the job's result arrived")
)
