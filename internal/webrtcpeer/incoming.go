package webrtcpeer

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// decision is what the test does with a browser's ringing call.
type decision struct {
	code   int // 200 answers
	toneHz float64
}

// incoming serves a browser's INVITE: challenged like FreeSWITCH does
// (407), from a registered user only, rung (180) until the test answers
// or refuses it or the browser cancels. sipgo ends the transaction when
// the handler returns, so it blocks until then.
func (p *Peer) incoming(req *sip.Request, tx sip.ServerTransaction) {
	from := req.From()
	if from == nil || from.Address.User == "" {
		respond(tx, req, 400, "Bad Request: From has no user")
		return
	}
	user := from.Address.User
	authz := ""
	if h := req.GetHeader("Proxy-Authorization"); h != nil {
		authz = h.Value()
	}
	if err := p.auth.check(authz, req.Method.String(), user); err != nil {
		if errors.Is(err, errForbidden) {
			respond(tx, req, 403, "Forbidden")
			return
		}
		res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate", p.auth.challenge()))
		_ = tx.Respond(res)
		return
	}
	if !p.Registered(user) {
		respond(tx, req, 403, "Forbidden: not registered")
		return
	}
	if len(req.Body()) == 0 {
		respond(tx, req, 488, "Not Acceptable Here: no SDP offer")
		return
	}
	dlg, err := p.dua.ReadInvite(req, tx)
	if err != nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	m, err := newMedia(p.api, 0, p.notify)
	if err != nil {
		_ = dlg.Respond(500, "Server Internal Error", nil)
		return
	}
	c := &Call{
		p: p, id: req.CallID().Value(), user: user, m: m,
		srv: dlg, target: req.Recipient.User, decide: make(chan decision, 1),
		cancelAnswer: func() {}, settled: make(chan struct{}),
	}
	defer close(c.settled)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		m.close()
		_ = dlg.Respond(503, "Service Unavailable", nil)
		return
	}
	p.calls[c.id] = c
	p.inbox = append(p.inbox, c)
	p.mu.Unlock()
	p.notify()

	if err := dlg.Respond(180, "Ringing", nil); err != nil {
		c.finish("ringing failed: " + err.Error())
		return
	}
	c.set(func() { c.ringing = true })
	var d decision
	select {
	case d = <-c.decide:
	case <-dlg.Context().Done():
		c.finish("cancelled")
		return
	case <-p.quit:
		_ = dlg.Respond(503, "Service Unavailable", nil)
		c.finish("peer closed")
		return
	}
	if d.code != 200 {
		reason := reasons[d.code]
		if reason == "" {
			reason = "Refused"
		}
		_ = dlg.Respond(d.code, reason, nil)
		c.finish(fmt.Sprintf("%d %s", d.code, reason))
		return
	}
	c.m.setTone(d.toneHz)
	answer, err := c.m.answer(string(req.Body()))
	if err != nil {
		_ = dlg.Respond(488, "Not Acceptable Here", nil)
		c.finish(err.Error())
		return
	}
	if err := dlg.RespondSDP([]byte(answer)); err != nil {
		c.finish("answer not confirmed: " + err.Error())
		return
	}
	c.set(func() { c.answered = true })
}

// reasons are the phrases of the refusals a test is likely to send.
var reasons = map[int]string{
	403: "Forbidden", 404: "Not Found", 480: "Temporarily Unavailable",
	486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
	503: "Service Unavailable", 603: "Decline",
}

// NextIncoming returns the next call placed by a browser, ringing, in
// the order they came.
func (p *Peer) NextIncoming(ctx context.Context) (*Call, error) {
	var c *Call
	err := p.waitFor(ctx, "a call from a browser", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.inbox) > 0 {
			c, p.inbox = p.inbox[0], p.inbox[1:]
		}
		return c != nil
	})
	return c, err
}

// Target is the user part the browser dialled (its Request-URI).
func (c *Call) Target() string { return c.target }

// Answer answers a call the browser placed, sending a tone at toneHz (0:
// silence), and returns once the browser ACKed.
func (c *Call) Answer(ctx context.Context, toneHz float64) error {
	if err := c.settle(ctx, decision{code: 200, toneHz: toneHz}); err != nil {
		return err
	}
	if !c.Answered() {
		return fmt.Errorf("webrtcpeer: answer call from %s: %s", c.user, c.Reason())
	}
	return nil
}

// Reject refuses a call the browser placed with code (4xx-6xx).
func (c *Call) Reject(ctx context.Context, code int) error {
	if code < 400 || code > 699 {
		return fmt.Errorf("webrtcpeer: reject: code %d is not 400-699", code)
	}
	return c.settle(ctx, decision{code: code})
}

// settle hands the ringing INVITE its decision and waits for the outcome.
func (c *Call) settle(ctx context.Context, d decision) error {
	if !c.Incoming() {
		return errors.New("webrtcpeer: the peer placed this call; only a browser's call is answered or rejected")
	}
	select {
	case c.decide <- d:
	default: // decided already
	}
	select {
	case <-c.settled:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webrtcpeer: call from %s: %w", c.user, ctx.Err())
	}
}

func (c *Call) hangupIncoming(ctx context.Context) error {
	if err := c.settle(ctx, decision{code: 603}); err != nil {
		return err
	}
	if c.Ended() {
		return nil
	}
	err := c.srv.Bye(ctx)
	c.finish("local BYE")
	if err != nil {
		return fmt.Errorf("webrtcpeer: BYE to %s: %w", c.user, err)
	}
	return nil
}
