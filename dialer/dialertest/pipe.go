package dialertest

import (
	"context"
	"net"
	"sync"
)

// pipeListener hands out the server ends of net.Pipe connections that
// Dial opens: the esl client reaches the simulator without a socket, which
// is what lets both run inside a testing/synctest bubble (a TCP read is
// not a durable block there, a pipe's is).
type pipeListener struct {
	addr   string
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener(addr string) *pipeListener {
	return &pipeListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }

// Accept implements net.Listener.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr implements net.Listener.
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.addr) }

// Dial opens a new pipe whose other end Accept returns.
func (l *pipeListener) Dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// pipeNet is the listeners of every switch node by address, so that one
// esl.Config.Dial reaches each node (a test of two nodes dials two).
type pipeNet map[string]*pipeListener

// Dial is esl.Config.Dial.
func (n pipeNet) Dial(ctx context.Context, addr string) (net.Conn, error) {
	l, ok := n[addr]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: "pipe", Addr: pipeAddr(addr), Err: net.UnknownNetworkError("no node " + addr)}
	}
	return l.Dial(ctx)
}
