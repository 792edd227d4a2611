// Package webrtcpeer stands in for FreeSWITCH's WebSocket SIP side in
// tests of the browser softphone: a registrar and a caller on one ws://
// listener (github.com/emiago/sipgo), with WebRTC media from
// github.com/pion/webrtc.
//
// What it does:
//   - REGISTER with MD5 digest auth (realm Config.Domain), checked against
//     Config.Password or a user's HA1 from Config.A1 (a directory's
//     a1-hash); an unknown user or a wrong password gets 403. Bindings last the Expires asked for
//     (capped by Config.MaxExpires); Expires: 0 unregisters.
//   - OPTIONS is answered 200.
//   - Peer.Call INVITEs a registered user over the very WebSocket its
//     REGISTER came on, with a WebRTC offer (DTLS-SRTP, ICE host
//     candidates on 127.0.0.1 only, PCMU and telephone-event/8000 only).
//     Once answered it sends a continuous tone at CallOptions.ToneHz,
//     detects tones in what it receives (Goertzel on decoded PCMU) and
//     collects RFC 4733 DTMF (SIP INFO dtmf-relay digits apart).
//   - A call the browser places (digest-challenged with 407, from a
//     registered user) rings until the test takes it with
//     Peer.NextIncoming and answers (Call.Answer) or refuses it
//     (Call.Reject), or the browser CANCELs it.
//   - The browser's BYE ends a call; Call.Hangup sends BYE, or before the
//     answer CANCEL (a call the peer placed) or 603 (one the browser
//     placed); a re-INVITE (hold, unhold) is answered and the media kept.
//
// Chromium needs no flags: it connects to the 127.0.0.1 candidate from
// its own (mDNS-named, which this peer does not resolve) candidates, and
// the peer answers its checks as peer-reflexive ones. JsSIP sends DTMF as
// SIP INFO unless told transportType: 'RFC2833' (see Call.InfoDigits).
//
// A test, with the page registering at p.URL() as w2401:
//
//	p, err := webrtcpeer.Start(ctx, webrtcpeer.Config{Domain: "127.0.0.1", Password: creds})
//	err = p.WaitRegistered(ctx, "w2401")
//	c, err := p.Call(ctx, "w2401", webrtcpeer.CallOptions{ToneHz: 440})
//	err = c.WaitAnswered(ctx)
//	err = c.HeardTone(ctx, 1000) // the page's tone
//	err = c.WaitDigits(ctx, "12#")
//	err = c.Hangup(ctx) // or c.WaitEnded(ctx) when the page hangs up
package webrtcpeer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"
)

// Config sets up a Peer.
type Config struct {
	// Domain is the SIP domain and digest realm, e.g. "127.0.0.1".
	Domain string
	// Password gives a user's digest password; false: unknown user (403).
	Password func(user string) (string, bool)
	// A1, when set, is used instead of Password: a user's HA1 in hex,
	// MD5(user:Domain:password), as a directory's a1-hash serves it.
	A1 func(user string) (string, bool)
	// MaxExpires caps a registration's lifetime (default 600s); it is
	// also the lifetime of a REGISTER that asks for none.
	MaxExpires time.Duration
	// Now is the clock for registration expiry (default time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Peer is the registrar and caller.
type Peer struct {
	cfg     Config
	log     *slog.Logger
	ln      net.Listener
	url     string
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dua     *sipgo.DialogUA
	contact sip.ContactHeader
	auth    *authenticator
	api     *webrtc.API

	wg   sync.WaitGroup
	quit chan struct{} // closed by Close

	mu       sync.Mutex
	bindings map[string]binding
	calls    map[string]*Call
	inbox    []*Call // calls placed by browsers, not yet taken
	sig      signal
	closed   bool
}

// binding is where a registered user is reached: its Contact, and the
// WebSocket connection (remote address) its REGISTER came on.
type binding struct {
	contact sip.Uri
	source  string
	expires time.Time
}

// Start listens for ws on 127.0.0.1 (a free port) and serves until Close
// or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Peer, error) {
	if cfg.Domain == "" {
		return nil, errors.New("webrtcpeer: Config.Domain is required")
	}
	if cfg.Password == nil && cfg.A1 == nil {
		return nil, errors.New("webrtcpeer: Config.Password or Config.A1 is required")
	}
	if cfg.MaxExpires <= 0 {
		cfg.MaxExpires = 600 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	api, err := newAPI()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("agentswitch-webrtcpeer"),
		sipgo.WithUserAgentHostname(cfg.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)),
	)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		ln.Close()
		ua.Close()
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log), sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		ln.Close()
		ua.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "webrtcpeer", Host: "127.0.0.1", Port: port, UriParams: sip.NewParams()}}
	contact.Address.UriParams.Add("transport", "ws")
	p := &Peer{
		cfg: cfg, log: log, ln: ln, url: "ws://127.0.0.1:" + strconv.Itoa(port),
		ua: ua, srv: srv, client: client, contact: contact,
		// In-dialog requests go back to the WebSocket the answer came
		// on: a browser's Contact host (x.invalid) cannot be dialled.
		dua:      &sipgo.DialogUA{Client: client, ContactHDR: contact, RewriteContact: true},
		auth:     newAuthenticator(cfg.Domain, cfg.Password, cfg.A1, cfg.Now),
		api:      api,
		bindings: map[string]binding{},
		calls:    map[string]*Call{},
		quit:     make(chan struct{}),
	}
	srv.OnRegister(p.onRegister)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", allow))
		_ = tx.Respond(res)
	})
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		// Confirms a browser's call; the ACK of a re-INVITE's answer fails
		// the CSeq check, as it should.
		if c := p.lookup(req); c != nil && c.srv != nil {
			_ = c.srv.ReadAck(req, tx)
		}
	})
	srv.OnBye(p.onBye)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL matching an INVITE transaction never gets here.
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	})
	srv.OnInfo(p.onInfo)
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) {
		// An UPDATE with an offer is a re-INVITE without the ringing.
		if c := p.lookup(req); c != nil && len(req.Body()) > 0 {
			c.reinvite(req, tx)
			return
		}
		respond(tx, req, 200, "OK")
	})
	for _, m := range []func(sipgo.RequestHandler){srv.OnMessage, srv.OnNotify} {
		m(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK") })
	}
	p.wg.Go(func() {
		if err := srv.ServeWS(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug("ws listener stopped", "err", err)
		}
	})
	// Not in wg: Close waits for wg.
	go func() {
		select {
		case <-ctx.Done():
			p.Close()
		case <-p.quit:
		}
	}()
	return p, nil
}

const allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, NOTIFY"

// URL is what a browser connects to: "ws://127.0.0.1:PORT".
func (p *Peer) URL() string { return p.url }

// Close ends every call's media (without BYE) and stops listening.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	close(p.quit)
	for _, c := range calls {
		c.finish("peer closed")
	}
	err := p.ln.Close()
	_ = p.ua.Close()
	p.wg.Wait()
	return err
}

func (p *Peer) notify() { p.sig.notify() }

func (p *Peer) waitFor(ctx context.Context, what string, cond func() bool) error {
	return p.sig.wait(ctx, what, cond)
}

// signal wakes waiters on every change; they re-check their condition.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) notify() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

// wait returns once cond holds, checking it after every change.
func (s *signal) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		if s.ch == nil {
			s.ch = make(chan struct{})
		}
		ch := s.ch
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webrtcpeer: waiting for %s: %w", what, ctx.Err())
		case <-ch:
		}
	}
}

// Registered reports whether user has a live binding.
func (p *Peer) Registered(user string) bool {
	_, ok := p.binding(user)
	return ok
}

// WaitRegistered returns once user is registered.
func (p *Peer) WaitRegistered(ctx context.Context, user string) error {
	return p.waitFor(ctx, user+" registered", func() bool { return p.Registered(user) })
}

// WaitUnregistered returns once user has no live binding (an unregister;
// an expiry is noticed at the next change or call).
func (p *Peer) WaitUnregistered(ctx context.Context, user string) error {
	return p.waitFor(ctx, user+" unregistered", func() bool { return !p.Registered(user) })
}

func (p *Peer) binding(user string) (binding, bool) {
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.bindings[user]
	if ok && !now.Before(b.expires) {
		delete(p.bindings, user)
		return binding{}, false
	}
	return b, ok
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

func (p *Peer) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil || to.Address.User == "" {
		respond(tx, req, 400, "Bad Request: To has no user")
		return
	}
	user := to.Address.User
	authz := ""
	if h := req.GetHeader("Authorization"); h != nil {
		authz = h.Value()
	}
	if err := p.auth.check(authz, req.Method.String(), user); err != nil {
		p.log.Debug("REGISTER refused", "user", user, "err", err)
		if errors.Is(err, errForbidden) {
			respond(tx, req, 403, "Forbidden")
			return
		}
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", p.auth.challenge()))
		_ = tx.Respond(res)
		return
	}
	ct := req.Contact()
	if ct == nil {
		// A query: nothing to bind.
		respond(tx, req, 200, "OK")
		return
	}
	expires := p.cfg.MaxExpires
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			respond(tx, req, 400, "Bad Request: Expires")
			return
		}
		expires = time.Duration(n) * time.Second
	}
	if v, ok := ct.Params.Get("expires"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			respond(tx, req, 400, "Bad Request: Contact expires")
			return
		}
		expires = time.Duration(n) * time.Second
	}
	expires = min(expires, p.cfg.MaxExpires)
	p.mu.Lock()
	if expires == 0 || ct.Address.Wildcard {
		delete(p.bindings, user)
	} else {
		p.bindings[user] = binding{contact: *ct.Address.Clone(), source: req.Source(), expires: p.cfg.Now().Add(expires)}
	}
	p.mu.Unlock()
	p.log.Debug("REGISTER", "user", user, "expires", expires, "source", req.Source())
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if expires > 0 {
		c := ct.Clone()
		if c.Params == nil {
			c.Params = sip.NewParams()
		}
		c.Params.Add("expires", strconv.Itoa(int(expires/time.Second)))
		res.AppendHeader(c)
	}
	_ = tx.Respond(res)
	p.notify()
}

func (p *Peer) lookup(req *sip.Request) *Call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id.Value()]
}

func (p *Peer) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		c := p.lookup(req)
		if c == nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		c.reinvite(req, tx)
		return
	}
	p.incoming(req, tx)
}

func (p *Peer) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	var err error
	if c.srv != nil {
		err = c.srv.ReadBye(req, tx)
	} else {
		err = c.dlg.ReadBye(req, tx)
	}
	if err != nil {
		respond(tx, req, 200, "OK")
	}
	c.finish("remote BYE")
}

func (p *Peer) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := p.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
	for line := range strings.SplitSeq(string(req.Body()), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
			c.addInfoDigits(strings.TrimSpace(v))
		}
	}
}
