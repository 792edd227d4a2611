package webrtcpeer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// CallOptions shape the INVITE and the audio of Peer.Call.
type CallOptions struct {
	// ToneHz is the tone sent once answered; 0 sends silence.
	ToneHz float64
	// FromNumber is the caller's user part (default "webrtcpeer") and
	// FromName its display name (default none).
	FromNumber, FromName string
	// Headers are added to the INVITE (e.g. X- headers).
	Headers map[string]string
}

// Call is one call between the peer and a registered browser: placed by
// Peer.Call, or by the browser (Peer.NextIncoming).
type Call struct {
	p    *Peer
	id   string
	user string
	m    *media
	dlg  *sipgo.DialogClientSession // a call the peer placed

	// A call the browser placed: its dialog, the number it dialled, and
	// the test's decision (answer or refuse) for the waiting INVITE.
	srv    *sipgo.DialogServerSession
	target string
	decide chan decision

	cancelAnswer context.CancelFunc
	settled      chan struct{} // closed once the INVITE has its outcome

	mu        sync.Mutex
	ringing   bool
	answered  bool
	ended     bool
	reason    string
	held      bool
	reinvites int
	info      []byte
}

// Call INVITEs user, who must be registered, and returns once the INVITE
// is sent; WaitAnswered follows it.
func (p *Peer) Call(ctx context.Context, user string, o CallOptions) (*Call, error) {
	b, ok := p.binding(user)
	if !ok {
		return nil, fmt.Errorf("webrtcpeer: call %s: not registered", user)
	}
	for k, v := range o.Headers {
		if k == "" || strings.ContainsAny(k, ": \t\r\n") {
			return nil, fmt.Errorf("webrtcpeer: CallOptions.Headers: bad header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("webrtcpeer: CallOptions.Headers[%q]: line break in value", k)
		}
	}
	if o.FromNumber == "" {
		o.FromNumber = "webrtcpeer"
	}
	if strings.ContainsAny(o.FromNumber+o.FromName, "\"\r\n<>") {
		return nil, fmt.Errorf("webrtcpeer: CallOptions.FromNumber/FromName: quotes, angle brackets or line breaks in %q %q", o.FromNumber, o.FromName)
	}
	m, err := newMedia(p.api, o.ToneHz, p.notify)
	if err != nil {
		return nil, err
	}
	offer, err := m.offer()
	if err != nil {
		m.close()
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, *b.contact.Clone())
	from := &sip.FromHeader{DisplayName: o.FromName, Address: sip.Uri{Scheme: "sip", User: o.FromNumber, Host: p.cfg.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: p.cfg.Domain}, Params: sip.NewParams()})
	id := sip.GenerateTagN(24)
	cid := sip.CallIDHeader(id)
	req.AppendHeader(&cid)
	req.AppendHeader(sip.NewHeader("Allow", allow))
	for k, v := range o.Headers {
		req.AppendHeader(sip.NewHeader(k, v))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(offer))
	// The browser is reached on the WebSocket it registered over.
	req.SetDestination(b.source)
	req.SetTransport("WS")

	dlg, err := p.dua.WriteInvite(ctx, req)
	if err != nil {
		m.close()
		return nil, fmt.Errorf("webrtcpeer: call %s: %w", user, err)
	}
	answerCtx, cancel := context.WithCancel(context.Background())
	c := &Call{p: p, id: id, user: user, m: m, dlg: dlg, cancelAnswer: cancel, settled: make(chan struct{})}
	// In-dialog requests find the call from here on; none comes before
	// the INVITE's first response.
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.calls[id] = c
		// Under mu: Close waits for wg only after marking closed.
		p.wg.Go(func() { c.run(answerCtx) })
	}
	p.mu.Unlock()
	if closed {
		cancel()
		m.close()
		return nil, errors.New("webrtcpeer: peer closed")
	}
	return c, nil
}

// run waits for the INVITE's final response and completes the answer.
func (c *Call) run(ctx context.Context) {
	defer close(c.settled)
	err := c.dlg.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		if r.StatusCode == 180 || r.StatusCode == 183 {
			c.set(func() { c.ringing = true })
		}
		return nil
	}})
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			c.finish(fmt.Sprintf("%d %s", de.Res.StatusCode, de.Res.Reason))
		case ctx.Err() != nil:
			c.finish("cancelled")
		default:
			c.finish(err.Error())
		}
		return
	}
	// ACK and BYE need not wait for media; the request context of a
	// cancelled call is gone, so they get their own.
	bctx, cancel := context.WithTimeout(context.Background(), sip.Timer_B)
	defer cancel()
	if err := c.m.accept(string(c.dlg.InviteResponse.Body())); err != nil {
		_ = c.dlg.Ack(bctx)
		_ = c.dlg.Bye(bctx)
		c.finish(err.Error())
		return
	}
	if err := c.dlg.Ack(bctx); err != nil {
		c.finish("ACK: " + err.Error())
		return
	}
	c.set(func() { c.answered = true })
}

func (c *Call) set(f func()) {
	c.mu.Lock()
	f()
	c.mu.Unlock()
	c.p.notify()
}

func (c *Call) get(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

// finish ends the call once, with reason.
func (c *Call) finish(reason string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended, c.reason = true, reason
	c.mu.Unlock()
	c.cancelAnswer()
	c.m.close()
	c.p.mu.Lock()
	delete(c.p.calls, c.id)
	c.p.mu.Unlock()
	c.p.notify()
}

// reinvite answers the browser's re-INVITE or UPDATE with an offer
// (hold, unhold, ICE restart) on the same PeerConnection, so the media
// goes on.
func (c *Call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	held, err := offerHolds(req.Body())
	if err != nil {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	answer, err := c.m.answer(string(req.Body()))
	if err != nil {
		c.p.log.Debug("re-INVITE refused", "call", c.id, "err", err)
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", []byte(answer))
	res.AppendHeader(sip.HeaderClone(&c.p.contact))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	_ = tx.Respond(res)
	c.set(func() { c.held, c.reinvites = held, c.reinvites+1 })
}

// offerHolds reports whether an SDP offer puts the audio on hold
// (sendonly or inactive, at media or session level).
func offerHolds(body []byte) (bool, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return false, fmt.Errorf("webrtcpeer: SDP: %w", err)
	}
	dir := "sendrecv"
	pick := func(attrs []sdp.Attribute) {
		for _, a := range attrs {
			switch a.Key {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				dir = a.Key
			}
		}
	}
	pick(sd.Attributes)
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" {
			pick(md.Attributes)
			break
		}
	}
	return dir == "sendonly" || dir == "inactive", nil
}

func (c *Call) addInfoDigits(d string) {
	c.set(func() { c.info = append(c.info, d...) })
}

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// User is the browser's user: called, or calling.
func (c *Call) User() string { return c.user }

// Incoming reports whether the browser placed the call.
func (c *Call) Incoming() bool { return c.srv != nil }

// Ringing reports whether the browser sent 180 or 183.
func (c *Call) Ringing() (r bool) { c.get(func() { r = c.ringing }); return }

// Answered reports whether the browser answered (200 OK, ACKed).
func (c *Call) Answered() (a bool) { c.get(func() { a = c.answered }); return }

// Ended reports whether the call is over.
func (c *Call) Ended() (e bool) { c.get(func() { e = c.ended }); return }

// Reason says how the call ended: "remote BYE", "local BYE",
// "cancelled", the final status of a refused INVITE ("486 Busy Here")...
func (c *Call) Reason() (r string) { c.get(func() { r = c.reason }); return }

// Held reports whether the browser's last re-INVITE put the call on hold.
func (c *Call) Held() (h bool) { c.get(func() { h = c.held }); return }

// Reinvites counts the browser's re-INVITEs (and UPDATEs with an offer)
// answered.
func (c *Call) Reinvites() (n int) { c.get(func() { n = c.reinvites }); return }

// Digits are the DTMF digits received as RFC 4733 telephone-events.
func (c *Call) Digits() string { return c.m.receivedDigits() }

// InfoDigits are digits received in SIP INFO (application/dtmf-relay).
func (c *Call) InfoDigits() (d string) { c.get(func() { d = string(c.info) }); return }

// AudioPackets counts the PCMU packets received.
func (c *Call) AudioPackets() uint64 { return c.m.packets() }

// SendDigits queues DTMF digits (0-9, *, #, A-D) as RFC 4733 events.
func (c *Call) SendDigits(digits string) error { return c.m.sendDigits(digits) }

// SetTone changes the tone sent; 0 sends silence.
func (c *Call) SetTone(hz float64) { c.m.setTone(hz) }

func (c *Call) wait(ctx context.Context, what string, cond func() bool) error {
	return c.p.waitFor(ctx, what+" on call to "+c.user, cond)
}

// WaitRinging returns once the browser rings; an error if the call ends
// first.
func (c *Call) WaitRinging(ctx context.Context) error {
	if err := c.wait(ctx, "ringing", func() bool { return c.Ringing() || c.Ended() }); err != nil {
		return err
	}
	if !c.Ringing() {
		return fmt.Errorf("webrtcpeer: call to %s ended (%s) before ringing", c.user, c.Reason())
	}
	return nil
}

// WaitAnswered returns once the browser answered; an error naming the
// reason if the call ended first.
func (c *Call) WaitAnswered(ctx context.Context) error {
	if err := c.wait(ctx, "answer", func() bool { return c.Answered() || c.Ended() }); err != nil {
		return err
	}
	if !c.Answered() {
		return fmt.Errorf("webrtcpeer: call to %s not answered: %s", c.user, c.Reason())
	}
	return nil
}

// WaitEnded returns once the call is over (BYE either way, CANCEL,
// refusal).
func (c *Call) WaitEnded(ctx context.Context) error {
	return c.wait(ctx, "end", c.Ended)
}

// WaitHeld returns once Held is held.
func (c *Call) WaitHeld(ctx context.Context, held bool) error {
	return c.wait(ctx, fmt.Sprintf("held=%t", held), func() bool { return c.Held() == held })
}

// HeardTone returns once the received audio carries hz steadily (100 ms
// of frames dominated by it); only audio from now on counts.
func (c *Call) HeardTone(ctx context.Context, hz float64) error {
	d := c.m.watch(hz)
	defer c.m.unwatch(d)
	err := c.wait(ctx, fmt.Sprintf("a %g Hz tone", hz), func() bool { return c.m.heard(d) || c.Ended() })
	if err != nil {
		return fmt.Errorf("%w (%d audio packets received)", err, c.AudioPackets())
	}
	if !c.m.heard(d) {
		return fmt.Errorf("webrtcpeer: call to %s ended (%s) before a %g Hz tone was heard", c.user, c.Reason(), hz)
	}
	return nil
}

// WaitDigits returns once as many RFC 4733 digits as want arrived, and
// an error if they are not want.
func (c *Call) WaitDigits(ctx context.Context, want string) error {
	err := c.wait(ctx, fmt.Sprintf("digits %q", want), func() bool { return len(c.Digits()) >= len(want) || c.Ended() })
	if err != nil {
		return fmt.Errorf("%w (got %q)", err, c.Digits())
	}
	if got := c.Digits(); got != want {
		return fmt.Errorf("webrtcpeer: call to %s: digits %q, want %q", c.user, got, want)
	}
	return nil
}

// Hangup ends the call: once answered with BYE; before, a call the peer
// placed is cancelled (CANCEL) and one the browser placed refused (603).
func (c *Call) Hangup(ctx context.Context) error {
	if c.Incoming() {
		return c.hangupIncoming(ctx)
	}
	c.cancelAnswer()
	select {
	case <-c.settled:
	case <-ctx.Done():
		return fmt.Errorf("webrtcpeer: hang up call to %s: %w", c.user, ctx.Err())
	}
	if c.Ended() {
		return nil
	}
	err := c.dlg.Bye(ctx)
	c.finish("local BYE")
	if err != nil {
		return fmt.Errorf("webrtcpeer: BYE to %s: %w", c.user, err)
	}
	return nil
}
