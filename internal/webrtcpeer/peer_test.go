package webrtcpeer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// sipgo logs connection reference counts at close on its package
	// logger, whatever the user agent's logger.
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	goleak.VerifyTestMain(m)
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// softphone plays the browser: a sipgo WebSocket client that registers
// like JsSIP (Contact on a .invalid host) and answers INVITEs with a pion
// PeerConnection.
type softphone struct {
	t         *testing.T
	user      string
	password  string
	registrar sip.Uri
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	dua       *sipgo.DialogUA
	api       *webrtc.API
	toneHz    float64
	// refuse answers INVITEs with this status instead of 200.
	refuse int
	// noAnswer leaves INVITEs ringing.
	noAnswer bool

	sig   signal
	mu    sync.Mutex
	legs  map[string]*leg
	order []*leg
	cseq  uint32
}

// leg is one call the softphone took (dlg) or placed (cli).
type leg struct {
	dlg   *sipgo.DialogServerSession
	cli   *sipgo.DialogClientSession
	m     *media
	ended bool
}

func newSoftphone(t *testing.T, p *Peer, user, password string, toneHz float64) *softphone {
	t.Helper()
	host, port, err := net.SplitHostPort(p.URL()[len("ws://"):])
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-softphone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("df7jal23ls0d.invalid"))
	if err != nil {
		t.Fatal(err)
	}
	api, err := newAPI()
	if err != nil {
		t.Fatal(err)
	}
	ws := sip.NewParams()
	ws.Add("transport", "ws")
	// JsSIP's Contact: an unroutable host and outbound parameters.
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "r8d2k1", Host: "df7jal23ls0d.invalid", UriParams: ws}, Params: sip.NewParams()}
	contact.Params.Add("+sip.ice", "")
	contact.Params.Add("reg-id", "1")
	contact.Params.Add("+sip.instance", `"<urn:uuid:2b3c1f5e-7a0d-4c4e-9a49-4c0f0c6f3a11>"`)
	s := &softphone{
		t: t, user: user, password: password,
		registrar: sip.Uri{Scheme: "sip", Host: host, Port: n, UriParams: ws},
		ua:        ua, client: client, api: api, toneHz: toneHz,
		dua:  &sipgo.DialogUA{Client: client, ContactHDR: contact, RewriteContact: true},
		legs: map[string]*leg{},
		cseq: 1,
	}
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if l := s.leg(req); l != nil && l.dlg != nil {
			_ = l.dlg.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		l := s.leg(req)
		if l == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
			return
		}
		if l.cli != nil {
			_ = l.cli.ReadBye(req, tx)
		} else {
			_ = l.dlg.ReadBye(req, tx)
		}
		s.end(l)
	})
	t.Cleanup(func() {
		s.mu.Lock()
		legs := s.order
		s.mu.Unlock()
		for _, l := range legs {
			s.end(l)
		}
		_ = ua.Close()
	})
	return s
}

func (s *softphone) leg(req *sip.Request) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[req.CallID().Value()]
}

func (s *softphone) end(l *leg) {
	s.mu.Lock()
	l.ended = true
	s.mu.Unlock()
	l.m.close()
	s.sig.notify()
}

func (s *softphone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	dlg, err := s.dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, err.Error(), nil))
		return
	}
	m, err := newMedia(s.api, s.toneHz, s.sig.notify)
	if err != nil {
		_ = dlg.Respond(500, err.Error(), nil)
		return
	}
	l := &leg{dlg: dlg, m: m}
	s.mu.Lock()
	s.legs[req.CallID().Value()] = l
	s.order = append(s.order, l)
	s.mu.Unlock()
	s.sig.notify()
	_ = dlg.Respond(180, "Ringing", nil)
	switch {
	case s.refuse != 0:
		_ = dlg.Respond(s.refuse, "Busy Here", nil)
		s.end(l)
		return
	case s.noAnswer:
		<-dlg.Context().Done() // CANCEL
		s.end(l)
		return
	}
	answer, err := m.answer(string(req.Body()))
	if err != nil {
		s.t.Errorf("answer: %v", err)
		_ = dlg.Respond(488, "Not Acceptable Here", nil)
		return
	}
	if err := dlg.RespondSDP([]byte(answer)); err != nil {
		s.t.Errorf("200 OK not ACKed: %v", err)
	}
}

// dial sends an INVITE to target through the peer; the caller waits for
// the answer with answer.
func (s *softphone) dial(ctx context.Context, target string) *leg {
	s.t.Helper()
	m, err := newMedia(s.api, s.toneHz, s.sig.notify)
	if err != nil {
		s.t.Fatal(err)
	}
	offer, err := m.offer()
	if err != nil {
		m.close()
		s.t.Fatal(err)
	}
	ruri := *s.registrar.Clone()
	ruri.User = target
	req := sip.NewRequest(sip.INVITE, ruri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: target, Host: "127.0.0.1"}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(offer))
	req.SetTransport("WS")
	dlg, err := s.dua.WriteInvite(ctx, req)
	if err != nil {
		m.close()
		s.t.Fatal(err)
	}
	l := &leg{cli: dlg, m: m}
	s.mu.Lock()
	s.legs[req.CallID().Value()] = l
	s.order = append(s.order, l)
	s.mu.Unlock()
	return l
}

// answer waits for the final response to a dialled leg (answering the
// digest challenge), takes the SDP answer and ACKs.
func (s *softphone) answer(ctx context.Context, l *leg) error {
	if err := l.cli.WaitAnswer(ctx, sipgo.AnswerOptions{Username: s.user, Password: s.password}); err != nil {
		s.end(l)
		return err
	}
	if err := l.m.accept(string(l.cli.InviteResponse.Body())); err != nil {
		return err
	}
	return l.cli.Ack(ctx)
}

// register sends REGISTER (expires seconds), answering the challenge.
func (s *softphone) register(ctx context.Context, expires int) (*sip.Response, error) {
	req := sip.NewRequest(sip.REGISTER, s.registrar)
	aor := sip.Uri{Scheme: "sip", User: s.user, Host: "127.0.0.1"}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader("reg-" + s.user)
	req.AppendHeader(&cid)
	s.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.HeaderClone(&s.dua.ContactHDR))
	exp := sip.ExpiresHeader(uint32(expires))
	req.AppendHeader(&exp)
	req.SetTransport("WS")
	res, err := s.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == 401 {
		res, err = s.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: s.user, Password: s.password})
		s.cseq = req.CSeq().SeqNo
	}
	return res, err
}

func (s *softphone) mustRegister(ctx context.Context, expires int) {
	s.t.Helper()
	res, err := s.register(ctx, expires)
	if err != nil {
		s.t.Fatalf("REGISTER %s: %v", s.user, err)
	}
	if res.StatusCode != 200 {
		s.t.Fatalf("REGISTER %s: %d %s", s.user, res.StatusCode, res.Reason)
	}
}

// next waits for the n-th call (from 0) the softphone took.
func (s *softphone) next(ctx context.Context, n int) *leg {
	s.t.Helper()
	var l *leg
	err := s.sig.wait(ctx, "an INVITE", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.order) > n {
			l = s.order[n]
		}
		return l != nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return l
}

func (s *softphone) waitEnded(ctx context.Context, l *leg) error {
	return s.sig.wait(ctx, "the leg's end", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return l.ended
	})
}

func (s *softphone) heard(ctx context.Context, l *leg, hz float64) error {
	d := l.m.watch(hz)
	defer l.m.unwatch(d)
	return s.sig.wait(ctx, "the peer's tone", func() bool { return l.m.heard(d) })
}

// hold re-INVITEs the peer with its current offer made sendonly (held)
// or sendrecv, and ACKs the answer.
func (s *softphone) hold(ctx context.Context, l *leg, held bool) error {
	offer, err := l.m.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := l.m.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	body := offer.SDP
	if held {
		body = replaceDirection(body, "sendonly")
	}
	req := sip.NewRequest(sip.INVITE, l.dlg.InviteRequest.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(body))
	res, err := l.dlg.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return errors.New("re-INVITE: " + res.StartLine())
	}
	ack := sip.NewRequest(sip.ACK, l.dlg.InviteRequest.Contact().Address)
	if err := l.dlg.WriteRequest(ack); err != nil {
		return err
	}
	return l.m.accept(string(res.Body()))
}

func startPeer(t *testing.T, users map[string]string) *Peer {
	t.Helper()
	p, err := Start(testCtx(t), Config{
		Domain: "127.0.0.1",
		Password: func(u string) (string, bool) {
			pw, ok := users[u]
			return pw, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestRegisterWithDigest(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w2401": "s3cret"})

	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"wrong password", "w2401", "guess", 403},
		{"unknown user", "w9999", "s3cret", 403},
		{"right password", "w2401", "s3cret", 200},
	} {
		res, err := newSoftphone(t, p, tc.user, tc.password, 0).register(ctx, 60)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.StatusCode != tc.want {
			t.Errorf("%s: REGISTER got %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	if !p.Registered("w2401") || p.Registered("w9999") {
		t.Fatalf("registered: w2401 %t, w9999 %t", p.Registered("w2401"), p.Registered("w9999"))
	}

	// OPTIONS is answered.
	sp := newSoftphone(t, p, "w2401", "s3cret", 0)
	opt := sip.NewRequest(sip.OPTIONS, sp.registrar)
	opt.SetTransport("WS")
	res, err := sp.client.Do(ctx, opt)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %v %v", res, err)
	}

	// Unregister.
	sp.mustRegister(ctx, 0)
	if err := p.WaitUnregistered(ctx, "w2401"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Call(ctx, "w2401", CallOptions{}); err == nil {
		t.Fatal("a call to an unregistered user was placed")
	}
}

func TestRegistrationExpires(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p, err := Start(ctx, Config{
		Domain:     "127.0.0.1",
		Password:   func(string) (string, bool) { return "pw", true },
		MaxExpires: 120 * time.Second,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sp := newSoftphone(t, p, "w1", "pw", 0)
	res, err := sp.register(ctx, 3600)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	if got, _ := res.Contact().Params.Get("expires"); got != "120" {
		t.Errorf("granted expires=%s, want the 120 cap", got)
	}
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{119 * time.Second, true}, {time.Second, false}} {
		mu.Lock()
		now = now.Add(tc.after)
		mu.Unlock()
		if got := p.Registered("w1"); got != tc.want {
			t.Errorf("registered after +%s: %t, want %t", tc.after, got, tc.want)
		}
	}
}

func TestCallToneDigitsAndHangup(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w2401": "s3cret"})
	sp := newSoftphone(t, p, "w2401", "s3cret", 1000)
	sp.mustRegister(ctx, 300)
	if err := p.WaitRegistered(ctx, "w2401"); err != nil {
		t.Fatal(err)
	}

	c, err := p.Call(ctx, "w2401", CallOptions{ToneHz: 440, FromNumber: "+15551230000", FromName: "Lead", Headers: map[string]string{"X-Campaign": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	l := sp.next(ctx, 0)
	inv := l.dlg.InviteRequest
	if from := inv.From(); from.Address.User != "+15551230000" || from.DisplayName != "Lead" {
		t.Errorf("From = %s", from.Value())
	}
	if h := inv.GetHeader("X-Campaign"); h == nil || h.Value() != "7" {
		t.Errorf("X-Campaign = %v", h)
	}

	// Tones both ways.
	if err := c.HeardTone(ctx, 1000); err != nil {
		t.Fatalf("peer did not hear the softphone: %v", err)
	}
	if err := sp.heard(ctx, l, 440); err != nil {
		t.Fatalf("softphone did not hear the peer: %v", err)
	}
	// A tone that is not there is not heard.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := c.HeardTone(short, 1633); err == nil {
		t.Fatal("heard 1633 Hz, which nobody sends")
	}

	// DTMF as RFC 4733.
	if err := l.m.sendDigits("12#"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitDigits(ctx, "12#"); err != nil {
		t.Fatal(err)
	}

	// Hold and unhold keep the call and its media.
	if err := sp.hold(ctx, l, true); err != nil {
		t.Fatalf("hold: %v", err)
	}
	if err := c.WaitHeld(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := sp.hold(ctx, l, false); err != nil {
		t.Fatalf("unhold: %v", err)
	}
	if err := c.WaitHeld(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := c.HeardTone(ctx, 1000); err != nil {
		t.Fatalf("after unhold: %v", err)
	}

	// The peer hangs up.
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sp.waitEnded(ctx, l); err != nil {
		t.Fatal(err)
	}
	if c.Reason() != "local BYE" || c.Reinvites() != 2 {
		t.Errorf("reason %q, re-INVITEs %d", c.Reason(), c.Reinvites())
	}
}

func TestBrowserHangsUp(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w2401": "s3cret"})
	sp := newSoftphone(t, p, "w2401", "s3cret", 0)
	sp.mustRegister(ctx, 300)
	c, err := p.Call(ctx, "w2401", CallOptions{ToneHz: 440})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	l := sp.next(ctx, 0)
	if err := l.dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Reason() != "remote BYE" {
		t.Errorf("reason %q", c.Reason())
	}
	sp.end(l)
}

func TestRefusedAndCancelled(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w1": "a", "w2": "b"})
	busy := newSoftphone(t, p, "w1", "a", 0)
	busy.refuse = 486
	busy.mustRegister(ctx, 300)
	c, err := p.Call(ctx, "w1", CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswered(ctx); err == nil || c.Reason() != "486 Busy Here" {
		t.Fatalf("busy softphone: err %v, reason %q", err, c.Reason())
	}

	ringing := newSoftphone(t, p, "w2", "b", 0)
	ringing.noAnswer = true
	ringing.mustRegister(ctx, 300)
	c, err = p.Call(ctx, "w2", CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ringing.waitEnded(ctx, ringing.next(ctx, 0)); err != nil {
		t.Fatal(err)
	}
	if c.Reason() != "cancelled" {
		t.Errorf("reason %q", c.Reason())
	}
}

func TestCallOptionsValidated(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w1": "a"})
	newSoftphone(t, p, "w1", "a", 0).mustRegister(ctx, 300)
	for _, o := range []CallOptions{
		{Headers: map[string]string{"X-Bad: yes": "1"}},
		{Headers: map[string]string{"X-Ok": "a\r\nBYE"}},
		{FromName: `Lead"`},
	} {
		if _, err := p.Call(ctx, "w1", o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// replaceDirection sets every direction attribute of an SDP to dir.
func replaceDirection(sdpText, dir string) string {
	out := ""
	for _, line := range strings.SplitAfter(sdpText, "\n") {
		switch strings.TrimRight(line, "\r\n") {
		case "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive":
			line = "a=" + dir + "\r\n"
		}
		out += line
	}
	return out
}

func TestBrowserPlacesCalls(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w2401": "s3cret", "w2402": "pw"})
	sp := newSoftphone(t, p, "w2401", "s3cret", 1000)
	sp.mustRegister(ctx, 300)

	// Answered: tones both ways, DTMF, the browser hangs up.
	l := sp.dial(ctx, "5551234")
	answered := make(chan error, 1)
	go func() { answered <- sp.answer(ctx, l) }()
	c, err := p.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Incoming() || c.Target() != "5551234" || c.User() != "w2401" {
		t.Fatalf("incoming %t, target %q, user %q", c.Incoming(), c.Target(), c.User())
	}
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx, 440); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if err := c.HeardTone(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if err := sp.heard(ctx, l, 440); err != nil {
		t.Fatal(err)
	}
	if err := l.m.sendDigits("9*"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitDigits(ctx, "9*"); err != nil {
		t.Fatal(err)
	}
	if err := l.cli.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitEnded(ctx); err != nil || c.Reason() != "remote BYE" {
		t.Fatalf("ended: %v, reason %q", err, c.Reason())
	}
	sp.end(l)

	// Answered, then the peer hangs up.
	l = sp.dial(ctx, "5551234")
	go func() { answered <- sp.answer(ctx, l) }()
	if c, err = p.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sp.waitEnded(ctx, l); err != nil {
		t.Fatal(err)
	}

	// The browser cancels while it rings.
	l = sp.dial(ctx, "5551234")
	ringCtx, cancel := context.WithCancel(ctx)
	go func() { answered <- sp.answer(ringCtx, l) }()
	if c, err = p.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c.WaitEnded(ctx); err != nil || c.Reason() != "cancelled" {
		t.Fatalf("ended: %v, reason %q", err, c.Reason())
	}
	if err := <-answered; err == nil {
		t.Fatal("a cancelled call was answered")
	}

	// Refused.
	l = sp.dial(ctx, "5551234")
	go func() { answered <- sp.answer(ctx, l) }()
	if c, err = p.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Reject(ctx, 486); err != nil {
		t.Fatal(err)
	}
	var refused *sipgo.ErrDialogResponse
	if err := <-answered; !errors.As(err, &refused) || refused.Res.StatusCode != 486 {
		t.Fatalf("refused call: %v", err)
	}

	// A user who is not registered may not call.
	other := newSoftphone(t, p, "w2402", "pw", 0)
	l = other.dial(ctx, "5551234")
	if err := other.answer(ctx, l); !errors.As(err, &refused) || refused.Res.StatusCode != 403 {
		t.Fatalf("unregistered caller: %v", err)
	}
}

func TestCloseWhileRinging(t *testing.T) {
	ctx := testCtx(t)
	p := startPeer(t, map[string]string{"w1": "a"})
	sp := newSoftphone(t, p, "w1", "a", 0)
	sp.noAnswer = true
	sp.mustRegister(ctx, 300)
	c, err := p.Call(ctx, "w1", CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s", d)
	}
	if !c.Ended() || c.Reason() != "peer closed" {
		t.Errorf("ended %t, reason %q", c.Ended(), c.Reason())
	}
}
