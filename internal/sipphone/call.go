package sipphone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Call is one dialog of a phone, incoming or placed with Dial.
type Call struct {
	// ID is the SIP Call-ID.
	ID string
	// User is the called user: ours for an incoming call, the target's
	// for a placed one.
	User     string
	Incoming bool

	p   *Phone
	srv *sipgo.DialogServerSession
	cli *sipgo.DialogClientSession
	m   *media

	sdpID uint64

	mu        sync.Mutex
	sdpVer    uint64
	ringing   time.Time
	answered  time.Time
	ended     time.Time
	endReason string
	// ending names the reason of an end already under way (a BYE being
	// answered or sent), so the dialog watcher does not call it generic.
	ending     string
	held       bool
	reinvites  int
	refers     []string
	infoDigits []byte
	changed    chan struct{}
	done       chan struct{}
}

func (p *Phone) newCall(id, user string, incoming bool) *Call {
	c := &Call{
		ID: id, User: user, Incoming: incoming, p: p,
		sdpID:   rand.Uint64N(1 << 40),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	p.mu.Lock()
	p.calls[id] = c
	p.mu.Unlock()
	return c
}

func (c *Call) notifyChange() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// waitFor blocks until cond (called with c.mu held) holds or ctx ends.
func (c *Call) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		c.mu.Lock()
		ok := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sipphone %s: call %s: waiting for %s: %w", c.p.cfg.User, c.User, what, ctx.Err())
		case <-ch:
		}
	}
}

func (c *Call) startMedia(offer SDP) error {
	m, err := newMedia(c.p.ip, c.p.cfg.Tone, c.notifyChange)
	if err != nil {
		return err
	}
	m.configure(offer, offer.Direction.Answer().Sends())
	c.mu.Lock()
	c.m = m
	c.mu.Unlock()
	return nil
}

func (c *Call) media() *media {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m
}

// localSDP describes our side with the next version number.
func (c *Call) localSDP(dir Direction) []byte {
	c.mu.Lock()
	c.sdpVer++
	v := c.sdpVer
	c.mu.Unlock()
	m := c.media()
	pt := uint8(DefaultEventPayload)
	m.mu.Lock()
	if m.eventPT != 0 {
		pt = m.eventPT
	}
	m.mu.Unlock()
	return BuildSDP(m.local, c.sdpID, v, pt, dir)
}

func (c *Call) setRinging() {
	c.mu.Lock()
	c.ringing = time.Now()
	c.mu.Unlock()
	c.notifyChange()
}

func (c *Call) setAnswered() {
	c.mu.Lock()
	c.answered = time.Now()
	c.mu.Unlock()
	c.notifyChange()
}

// watch ends the call when its dialog ends (BYE either way, CANCEL).
func (c *Call) watch(ctx context.Context) {
	select {
	case <-ctx.Done():
		c.finish("dialog ended")
	case <-c.done:
	}
}

// finish records the end once, stops media and forgets the dialog.
func (c *Call) finish(reason string) {
	c.mu.Lock()
	if !c.ended.IsZero() {
		c.mu.Unlock()
		return
	}
	if c.ending != "" {
		reason = c.ending
	}
	c.ended, c.endReason = time.Now(), reason
	close(c.done)
	m := c.m
	c.mu.Unlock()
	if m != nil {
		m.close()
	}
	c.p.mu.Lock()
	delete(c.p.calls, c.ID)
	c.p.mu.Unlock()
	c.notifyChange()
}

// reinvite answers a re-INVITE: recvonly to a sendonly offer (hold),
// sendrecv to one without a direction (unhold).
func (c *Call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	offer, err := ParseSDP(req.Body())
	m := c.media()
	if err != nil || m == nil {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	m.configure(offer, offer.Direction.Answer().Sends())
	res := sip.NewSDPResponseFromRequest(req, c.localSDP(offer.Direction.Answer()))
	ct := c.p.contact
	res.AppendHeader(&ct)
	_ = tx.Respond(res)
	c.mu.Lock()
	c.reinvites++
	c.held = offer.Direction == SendOnly || offer.Direction == Inactive
	c.mu.Unlock()
	c.notifyChange()
}

func (c *Call) setEnding(reason string) {
	c.mu.Lock()
	if c.ending == "" {
		c.ending = reason
	}
	c.mu.Unlock()
}

// do sends an in-dialog request.
func (c *Call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.srv != nil {
		return c.srv.Do(ctx, req)
	}
	if c.cli != nil {
		return c.cli.Do(ctx, req)
	}
	return nil, errors.New("sipphone: call has no dialog")
}

func (c *Call) hangupAfter(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		ctx, cancel := context.WithTimeout(c.p.ctx, 5*time.Second)
		defer cancel()
		_ = c.Hangup(ctx)
	case <-c.done:
	}
}

// Hangup sends BYE.
func (c *Call) Hangup(ctx context.Context) error {
	c.setEnding("local BYE")
	var err error
	switch {
	case c.srv != nil:
		err = c.srv.Bye(ctx)
	case c.cli != nil:
		err = c.cli.Bye(ctx)
	}
	c.finish("local BYE")
	return err
}

// SendDTMF sends digits as RFC 4733 telephone events in the RTP stream.
func (c *Call) SendDTMF(digits string) error {
	for i := 0; i < len(digits); i++ {
		if _, ok := DigitEvent(digits[i]); !ok {
			return fmt.Errorf("sipphone: %q is not a DTMF digit", digits[i])
		}
	}
	m := c.media()
	if m == nil {
		return errors.New("sipphone: call has no media")
	}
	m.sendDigits(digits)
	return nil
}

// Answered reports whether the call was answered.
func (c *Call) Answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.answered.IsZero()
}

// AnsweredAt is when the call was answered (zero if not).
func (c *Call) AnsweredAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// Ended reports whether the call is over.
func (c *Call) Ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.ended.IsZero()
}

// EndReason says why the call ended ("remote BYE", "local BYE", "cancelled", ...).
func (c *Call) EndReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endReason
}

// Done is closed when the call ends.
func (c *Call) Done() <-chan struct{} { return c.done }

// Held reports whether the far end last put us on hold (a sendonly or
// inactive re-INVITE).
func (c *Call) Held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// Reinvites counts the re-INVITEs answered.
func (c *Call) Reinvites() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reinvites
}

// Refers lists the Refer-To values of REFERs received.
func (c *Call) Refers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.refers...)
}

// Digits returns the DTMF received so far: RFC 4733 from RTP, then any
// SIP INFO digits.
func (c *Call) Digits() string {
	s := ""
	if m := c.media(); m != nil {
		s = m.receivedDigits()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return s + string(c.infoDigits)
}

// Stats returns the call's RTP counters.
func (c *Call) Stats() MediaStats {
	m := c.media()
	if m == nil {
		return MediaStats{}
	}
	return m.snapshot()
}

// Frames returns the audio frames read in [from, to), measured (the
// latest two minutes or more are kept).
func (c *Call) Frames(from, to time.Time) []Frame {
	m := c.media()
	if m == nil {
		return nil
	}
	return m.framesBetween(from, to)
}

// WaitAnswered blocks until the call is answered; it fails if the call
// ends first.
func (c *Call) WaitAnswered(ctx context.Context) error {
	err := c.waitFor(ctx, "answer", func() bool { return !c.answered.IsZero() || !c.ended.IsZero() })
	if err == nil && !c.Answered() {
		return fmt.Errorf("sipphone: call %s ended unanswered: %s", c.User, c.EndReason())
	}
	return err
}

// WaitRinging blocks until the phone has sent 180 Ringing.
func (c *Call) WaitRinging(ctx context.Context) error {
	return c.waitFor(ctx, "ringing", func() bool { return !c.ringing.IsZero() || !c.ended.IsZero() })
}

// WaitEnded blocks until the call is over.
func (c *Call) WaitEnded(ctx context.Context) error {
	return c.waitFor(ctx, "hangup", func() bool { return !c.ended.IsZero() })
}

// WaitHeld blocks until the hold state is held.
func (c *Call) WaitHeld(ctx context.Context, held bool) error {
	what := "unhold"
	if held {
		what = "hold"
	}
	return c.waitFor(ctx, what, func() bool { return c.held == held })
}

// WaitReinvites blocks until at least n re-INVITEs were answered.
func (c *Call) WaitReinvites(ctx context.Context, n int) error {
	return c.waitFor(ctx, fmt.Sprintf("%d re-INVITEs", n), func() bool { return c.reinvites >= n })
}

// WaitRefer blocks until a REFER arrived and returns its Refer-To.
func (c *Call) WaitRefer(ctx context.Context) (string, error) {
	err := c.waitFor(ctx, "REFER", func() bool { return len(c.refers) > 0 })
	if err != nil {
		return "", err
	}
	return c.Refers()[0], nil
}

// WaitDigits blocks until at least n digits arrived and returns them.
func (c *Call) WaitDigits(ctx context.Context, n int) (string, error) {
	var got string
	err := c.waitFor(ctx, fmt.Sprintf("%d DTMF digits", n), func() bool {
		s := ""
		if c.m != nil {
			s = c.m.receivedDigits()
		}
		got = s + string(c.infoDigits)
		return len(got) >= n
	})
	return got, err
}

// WaitAudio blocks until audio (a frame above AudibleLevel after at least
// 100 ms of quiet) starts arriving at or after since, and returns when
// its first packet was read off the socket.
func (c *Call) WaitAudio(ctx context.Context, since time.Time) (time.Time, error) {
	var at time.Time
	err := c.waitFor(ctx, "audio", func() bool {
		if c.m == nil {
			return false
		}
		t, ok := c.m.audioSince(since)
		at = t
		return ok
	})
	return at, err
}

// WaitTone blocks until a frame read at or after since carries the tone
// freq (at least a quarter of its energy), and returns when it was read.
// Only frames read after the call are examined.
func (c *Call) WaitTone(ctx context.Context, freq float64, since time.Time) (time.Time, error) {
	return c.watchTone(freq, since)(ctx)
}

// WatchTone is WaitTone split in two: it starts examining the frames read
// from now, and the function it returns waits for the tone (what arrives
// between the two is not missed).
func (c *Call) WatchTone(freq float64) func(ctx context.Context) (time.Time, error) {
	return c.watchTone(freq, time.Now())
}

func (c *Call) watchTone(freq float64, since time.Time) func(ctx context.Context) (time.Time, error) {
	m := c.media()
	if m == nil {
		return func(context.Context) (time.Time, error) {
			return time.Time{}, errors.New("sipphone: call has no media")
		}
	}
	w := m.watchTone(freq, since)
	return func(ctx context.Context) (time.Time, error) {
		defer m.unwatch(w)
		var at time.Time
		err := c.waitFor(ctx, fmt.Sprintf("a %v Hz tone", freq), func() bool {
			at = m.toneFound(w)
			return !at.IsZero()
		})
		return at, err
	}
}

// WaitPackets blocks until at least n audio packets were received.
func (c *Call) WaitPackets(ctx context.Context, n uint64) error {
	return c.waitFor(ctx, fmt.Sprintf("%d RTP packets", n), func() bool {
		return c.m != nil && c.m.snapshot().Received >= n
	})
}

// Hold puts the far end on hold (a sendonly re-INVITE) or takes it off
// (sendrecv), as a phone's hold key does.
func (c *Call) Hold(ctx context.Context, hold bool) error {
	m := c.media()
	if m == nil || !c.Answered() {
		return errors.New("sipphone: call is not answered")
	}
	var remote sip.Uri
	switch {
	case c.srv != nil && c.srv.InviteRequest.Contact() != nil:
		remote = c.srv.InviteRequest.Contact().Address
	case c.cli != nil && c.cli.InviteResponse != nil && c.cli.InviteResponse.Contact() != nil:
		remote = c.cli.InviteResponse.Contact().Address
	default:
		return errors.New("sipphone: no remote contact")
	}
	dir := SendRecv
	if hold {
		dir = SendOnly
	}
	req := sip.NewRequest(sip.INVITE, remote)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.localSDP(dir))
	res, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("sipphone: re-INVITE: %d %s", res.StatusCode, res.Reason)
	}
	ack := sip.NewRequest(sip.ACK, remote)
	if c.srv != nil {
		err = c.srv.WriteRequest(ack)
	} else {
		err = c.cli.WriteRequest(ack)
	}
	if answer, perr := ParseSDP(res.Body()); perr == nil {
		m.configure(answer, answer.Direction.Answer().Sends())
	}
	return err
}
