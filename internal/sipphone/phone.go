// Package sipphone provides SIP test phones on github.com/emiago/sipgo that
// FreeSWITCH treats as real ones: an agent's phone that registers with
// digest auth and answers, and lead phones that answer late, refuse, never
// answer or hang up. Answered calls carry real RTP: 20 ms PCMU frames of a
// tone or silence are sent, received audio is noticed and RFC 4733 DTMF is
// decoded, so a test can assert what FreeSWITCH did to the media.
//
// One Phone is one user agent on one loopback port. Calls are matched by
// Call-ID; re-INVITEs (hold and unhold) are answered by hand because
// sipgo's dialog helpers do not handle them.
package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Outcome is what a phone does with an incoming INVITE.
type Outcome int

// Outcomes and the SIP status each sends.
const (
	Answer      Outcome = iota // 180, then 200 with SDP
	Busy                       // 486 Busy Here (FreeSWITCH: USER_BUSY)
	Reject                     // 603 Decline (CALL_REJECTED)
	Unavailable                // 480 Temporarily Unavailable (NO_USER_RESPONSE)
	NotFound                   // 404 Not Found (UNALLOCATED_NUMBER)
	NoAnswer                   // 180 and nothing more, until cancelled
)

func (o Outcome) String() string {
	switch o {
	case Answer:
		return "answer"
	case Busy:
		return "busy"
	case Reject:
		return "reject"
	case Unavailable:
		return "unavailable"
	case NotFound:
		return "notfound"
	case NoAnswer:
		return "noanswer"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// ParseOutcome reads an Outcome's String form.
func ParseOutcome(s string) (Outcome, error) {
	for o := Answer; o <= NoAnswer; o++ {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("sipphone: unknown outcome %q (answer, busy, reject, unavailable, notfound, noanswer)", s)
}

func (o Outcome) status() (int, string) {
	switch o {
	case Busy:
		return 486, "Busy Here"
	case Reject:
		return 603, "Decline"
	case Unavailable:
		return 480, "Temporarily Unavailable"
	case NotFound:
		return 404, "Not Found"
	}
	return 200, "OK"
}

// Behavior says how a phone handles one incoming call.
type Behavior struct {
	Outcome Outcome
	// Ring is how long to ring (180) before the final response.
	Ring time.Duration
	// HangupAfter makes an answered call send BYE after this long.
	HangupAfter time.Duration
}

// Config sets up a Phone.
type Config struct {
	// User is the SIP user: the agent's extension, or any name.
	User string
	// Password is the digest password, for REGISTER and for challenged
	// INVITEs sent with Dial.
	Password string
	// Domain is the SIP domain in From and To; default: the registrar's host.
	Domain string
	// Registrar is the host:port to register with; empty: never register.
	Registrar string
	// Expires is the registration lifetime, refreshed at half (default 60s).
	Expires time.Duration
	// ListenAddr is the SIP address (default 127.0.0.1:0).
	ListenAddr string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Behavior is what incoming calls get unless Behaviors has their user.
	Behavior Behavior
	// Behaviors keys behaviors by the called user (a lead phone serves
	// many numbers).
	Behaviors map[string]Behavior
	// Tone is the frequency sent on answered calls; 0 sends silence.
	Tone   float64
	Logger *slog.Logger
}

// Phone is one SIP user agent.
type Phone struct {
	cfg       Config
	log       *slog.Logger
	transport string
	ip        netip.Addr
	addr      netip.AddrPort
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	client    *sipgo.Client
	dua       sipgo.DialogUA
	contact   sip.ContactHeader
	closer    func() error

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	calls     map[string]*Call
	incoming  []*Call
	behaviors map[string]Behavior
	changed   chan struct{}

	regMu     sync.Mutex
	regCallID string
	regCSeq   uint32
	regFromTg string
	regOK     bool
	regErr    error
	regCount  int
}

// Start listens and, with a Registrar, registers and keeps the
// registration fresh until Close.
func Start(ctx context.Context, cfg Config) (*Phone, error) {
	if cfg.User == "" {
		return nil, errors.New("sipphone: User is required")
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Expires <= 0 {
		cfg.Expires = 60 * time.Second
	}
	tr := strings.ToLower(cfg.Transport)
	if tr == "" {
		tr = "udp"
	}
	if tr != "udp" && tr != "tcp" {
		return nil, fmt.Errorf("sipphone: transport %q (udp or tcp)", cfg.Transport)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("phone", cfg.User)
	if cfg.Domain == "" && cfg.Registrar != "" {
		h, _, err := net.SplitHostPort(cfg.Registrar)
		if err != nil {
			return nil, fmt.Errorf("sipphone: registrar %q: %w", cfg.Registrar, err)
		}
		cfg.Domain = h
	}

	var (
		addr   netip.AddrPort
		serve  func(*sipgo.Server) error
		closer func() error
	)
	switch tr {
	case "udp":
		pc, err := net.ListenPacket("udp", cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		serve = func(s *sipgo.Server) error { return s.ServeUDP(pc) }
		closer = pc.Close
	case "tcp":
		l, err := net.Listen("tcp", cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		addr = l.Addr().(*net.TCPAddr).AddrPort()
		serve = func(s *sipgo.Server) error { return s.ServeTCP(l) }
		closer = l.Close
	}
	if cfg.Domain == "" {
		cfg.Domain = addr.Addr().String()
	}
	ip := addr.Addr()

	ua, err := sipgo.NewUA(sipgo.WithUserAgent(cfg.User), sipgo.WithUserAgentHostname(cfg.Domain))
	if err != nil {
		closer()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		closer()
		ua.Close()
		return nil, err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(log), sipgo.WithClientHostname(ip.String())}
	if tr == "udp" {
		// Requests leave from the listening socket, so Via, Contact and the
		// source port agree.
		opts = append(opts, sipgo.WithClientConnectionAddr(addr.String()))
	}
	client, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		closer()
		ua.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: cfg.User, Host: ip.String(), Port: int(addr.Port())}}
	if tr == "tcp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	p := &Phone{
		cfg: cfg, log: log, transport: tr, ip: ip, addr: addr,
		ua: ua, srv: srv, client: client, contact: contact,
		dua:       sipgo.DialogUA{Client: client, ContactHDR: contact},
		closer:    closer,
		calls:     map[string]*Call{},
		behaviors: map[string]Behavior{},
		changed:   make(chan struct{}),
		regCallID: newID(),
		regCSeq:   rand.Uint32N(10000) + 1,
		regFromTg: sip.GenerateTagN(10),
	}
	for k, v := range cfg.Behaviors {
		p.behaviors[k] = v
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	srv.OnInvite(p.onInvite)
	srv.OnAck(p.onAck)
	srv.OnBye(p.onBye)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL that matched an INVITE never gets here.
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, INFO"))
		_ = tx.Respond(res)
	})
	srv.OnRefer(p.onRefer)
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK") })
	srv.OnInfo(p.onInfo)
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK") })
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK") })
	p.wg.Go(func() {
		if err := serve(srv); err != nil && p.ctx.Err() == nil {
			log.Debug("sip listener stopped", "err", err)
		}
	})
	if err := p.waitServing(ctx); err != nil {
		p.Close()
		return nil, err
	}
	if cfg.Registrar != "" {
		if err := p.Register(ctx); err != nil {
			p.Close()
			return nil, err
		}
		p.wg.Go(p.refresh)
	}
	return p, nil
}

// waitServing returns once sipgo has taken the listener into its pool:
// until then a request would try to open a second socket on our port.
func (p *Phone) waitServing(ctx context.Context) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if ports := p.ua.TransportLayer().ListenPorts(p.transport); len(ports) > 0 && ports[0] == int(p.addr.Port()) {
			if p.transport != "udp" {
				return nil
			}
			if c, err := p.ua.TransportLayer().GetConnection("udp", p.addr.String()); err == nil && c != nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sipphone %s: listener not ready: %w", p.cfg.User, ctx.Err())
		case <-tick.C:
		}
	}
}

// Addr is where the phone listens for SIP.
func (p *Phone) Addr() netip.AddrPort { return p.addr }

// User is the phone's SIP user.
func (p *Phone) User() string { return p.cfg.User }

// URI is a SIP URI that reaches this phone directly for user.
func (p *Phone) URI(user string) string {
	u := "sip:" + user + "@" + p.addr.String()
	if p.transport == "tcp" {
		u += ";transport=tcp"
	}
	return u
}

// SetBehavior sets how calls to user are handled ("" sets the default).
func (p *Phone) SetBehavior(user string, b Behavior) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if user == "" {
		p.cfg.Behavior = b
		return
	}
	p.behaviors[user] = b
}

func (p *Phone) behavior(user string) Behavior {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.behaviors[user]; ok {
		return b
	}
	return p.cfg.Behavior
}

// Close unregisters (if registered), hangs up live calls and stops.
func (p *Phone) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.regMu.Lock()
	registered := p.regOK
	p.regMu.Unlock()
	if registered {
		_ = p.Unregister(ctx)
	}
	p.mu.Lock()
	live := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		live = append(live, c)
	}
	p.mu.Unlock()
	for _, c := range live {
		if c.Answered() && !c.Ended() {
			_ = c.Hangup(ctx)
		}
		c.finish("phone closed")
	}
	p.cancel()
	err := p.closer()
	p.ua.Close()
	p.wg.Wait()
	return err
}

func (p *Phone) notify() {
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// NextCall returns the oldest incoming call not returned before, waiting
// for one to arrive. The call may still be ringing.
func (p *Phone) NextCall(ctx context.Context) (*Call, error) {
	for {
		p.mu.Lock()
		if len(p.incoming) > 0 {
			c := p.incoming[0]
			p.incoming = p.incoming[1:]
			p.mu.Unlock()
			return c, nil
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sipphone %s: waiting for a call: %w", p.cfg.User, ctx.Err())
		case <-ch:
		}
	}
}

// Registered reports whether the last REGISTER succeeded, and how many did.
func (p *Phone) Registered() (bool, int, error) {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	return p.regOK, p.regCount, p.regErr
}

// Register sends REGISTER, answering a digest challenge.
func (p *Phone) Register(ctx context.Context) error {
	return p.register(ctx, p.cfg.Expires)
}

// Unregister removes the binding (Expires: 0).
func (p *Phone) Unregister(ctx context.Context) error {
	return p.register(ctx, 0)
}

func (p *Phone) register(ctx context.Context, expires time.Duration) error {
	if p.cfg.Registrar == "" {
		return errors.New("sipphone: no registrar configured")
	}
	host, port, err := sip.ParseAddr(p.cfg.Registrar)
	if err != nil {
		return err
	}
	p.regMu.Lock()
	defer p.regMu.Unlock()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: p.cfg.User, Host: p.cfg.Domain}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", p.regFromTg)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	callID := sip.CallIDHeader(p.regCallID)
	req.AppendHeader(&callID)
	p.regCSeq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.regCSeq, MethodName: sip.REGISTER})
	ct := p.contact
	req.AppendHeader(&ct)
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	if p.transport == "tcp" {
		req.SetTransport("TCP")
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := p.client.Do(rctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = p.client.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: p.cfg.User, Password: p.cfg.Password})
		p.regCSeq = req.CSeq().SeqNo
	}
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("sipphone %s: REGISTER: %d %s", p.cfg.User, res.StatusCode, res.Reason)
	}
	p.regErr = err
	if err != nil {
		p.regOK = false
		return err
	}
	p.regOK = expires > 0
	p.regCount++
	return nil
}

// refresh re-registers at half the lifetime; after a failure it retries
// every second until it works again.
func (p *Phone) refresh() {
	next := p.cfg.Expires / 2
	for {
		t := time.NewTimer(next)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := p.Register(p.ctx); err != nil {
			if p.ctx.Err() != nil {
				return
			}
			p.log.Warn("re-register failed", "err", err)
			next = time.Second
			continue
		}
		next = p.cfg.Expires / 2
	}
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

func (p *Phone) lookup(req *sip.Request) *Call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id.Value()]
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		c := p.lookup(req)
		if c == nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		c.reinvite(req, tx)
		return
	}
	p.answer(req, tx)
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := p.lookup(req)
	if c == nil || c.srv == nil {
		return
	}
	// The ACK of a re-INVITE fails the CSeq check: that is expected.
	_ = c.srv.ReadAck(req, tx)
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.setEnding("remote BYE")
	var err error
	if c.srv != nil {
		err = c.srv.ReadBye(req, tx)
	} else {
		err = c.cli.ReadBye(req, tx)
	}
	if err != nil {
		respond(tx, req, 200, "OK")
	}
	c.finish("remote BYE")
}

func (p *Phone) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := p.lookup(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	target := ""
	if h := req.GetHeader("Refer-To"); h != nil {
		target = h.Value()
	}
	respond(tx, req, 202, "Accepted")
	c.mu.Lock()
	c.refers = append(c.refers, target)
	c.mu.Unlock()
	c.notifyChange()
	// Report the transfer as done, as a phone that completed it would.
	go func() {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		n := sip.NewRequest(sip.NOTIFY, req.Contact().Address)
		n.AppendHeader(sip.NewHeader("Event", "refer"))
		n.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
		n.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
		n.SetBody([]byte("SIP/2.0 200 OK\r\n"))
		if _, err := c.do(ctx, n); err != nil {
			p.log.Debug("NOTIFY after REFER failed", "err", err)
		}
	}()
}

func (p *Phone) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK")
	c := p.lookup(req)
	if c == nil {
		return
	}
	for _, line := range strings.Split(string(req.Body()), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
			c.mu.Lock()
			c.infoDigits = append(c.infoDigits, strings.TrimSpace(v)...)
			c.mu.Unlock()
			c.notifyChange()
		}
	}
}

// answer runs an incoming call's first INVITE to its final response. sipgo
// ends the transaction when the handler returns, so it blocks until then.
func (p *Phone) answer(req *sip.Request, tx sip.ServerTransaction) {
	b := p.behavior(req.Recipient.User)
	offer, err := ParseSDP(req.Body())
	if err != nil && b.Outcome == Answer {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	if b.Outcome == Answer && !offer.Offers(PayloadPCMU) {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	dlg, err := p.dua.ReadInvite(req, tx)
	if err != nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	c := p.newCall(req.CallID().Value(), req.Recipient.User, true)
	c.srv = dlg
	p.mu.Lock()
	p.incoming = append(p.incoming, c)
	p.mu.Unlock()
	p.notify()
	go c.watch(dlg.Context())

	_ = dlg.Respond(100, "Trying", nil)
	code, reason := b.Outcome.status()
	if b.Outcome != Answer && b.Ring == 0 && b.Outcome != NoAnswer {
		_ = dlg.Respond(code, reason, nil)
		c.finish(reason)
		return
	}
	if err := dlg.Respond(180, "Ringing", nil); err != nil {
		c.finish("ringing failed: " + err.Error())
		return
	}
	c.setRinging()
	if b.Outcome == NoAnswer {
		select {
		case <-dlg.Context().Done():
		case <-p.ctx.Done():
		}
		c.finish("cancelled")
		return
	}
	if b.Ring > 0 {
		t := time.NewTimer(b.Ring)
		select {
		case <-t.C:
		case <-dlg.Context().Done():
			t.Stop()
			c.finish("cancelled")
			return
		case <-p.ctx.Done():
			t.Stop()
			return
		}
	}
	if b.Outcome != Answer {
		_ = dlg.Respond(code, reason, nil)
		c.finish(reason)
		return
	}
	if err := c.startMedia(offer); err != nil {
		_ = dlg.Respond(500, "Server Internal Error", nil)
		c.finish("media: " + err.Error())
		return
	}
	c.setAnswered()
	if err := dlg.RespondSDP(c.localSDP(offer.Direction.Answer())); err != nil {
		p.log.Debug("answer not confirmed", "err", err)
	}
	if b.HangupAfter > 0 {
		go c.hangupAfter(b.HangupAfter)
	}
}

// DialOptions are the credentials for a challenged INVITE.
type DialOptions struct {
	Username, Password string
	// Headers are added to the INVITE (e.g. X- headers).
	Headers map[string]string
}

// Dial places a call to uri (sip:user@host:port) and returns once it is
// answered; a refusal returns an error that names the status.
func (p *Phone) Dial(ctx context.Context, uri string, o DialOptions) (*Call, error) {
	var target sip.Uri
	if err := sip.ParseUri(uri, &target); err != nil {
		return nil, fmt.Errorf("sipphone: dial %q: %w", uri, err)
	}
	callID := newID()
	c := p.newCall(callID, target.User, false)
	m, err := newMedia(p.ip, p.cfg.Tone, c.notifyChange)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.m = m
	c.mu.Unlock()
	req := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.cfg.User, Host: p.cfg.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: target.User, Host: target.Host, Port: target.Port}})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	for k, v := range o.Headers {
		req.AppendHeader(sip.NewHeader(k, v))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.localSDP(SendRecv))
	if tr, _ := target.UriParams.Get("transport"); tr != "" {
		req.SetTransport(strings.ToUpper(tr))
	} else if p.transport == "tcp" {
		req.SetTransport("TCP")
	}
	dlg, err := p.dua.WriteInvite(ctx, req)
	if err != nil {
		m.close()
		return nil, err
	}
	c.cli = dlg
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: o.Username, Password: o.Password}); err != nil {
		m.close()
		c.finish("not answered")
		return nil, fmt.Errorf("sipphone %s: dial %s: %w", p.cfg.User, uri, err)
	}
	answer, err := ParseSDP(dlg.InviteResponse.Body())
	if err != nil {
		_ = dlg.Ack(ctx)
		_ = dlg.Bye(ctx)
		c.finish("bad answer SDP")
		return nil, err
	}
	m.configure(answer, answer.Direction.Answer().Sends())
	c.setAnswered()
	if err := dlg.Ack(ctx); err != nil {
		return c, err
	}
	go c.watch(dlg.Context())
	return c, nil
}

func newID() string {
	return fmt.Sprintf("%016x%016x@agentswitch", rand.Uint64(), rand.Uint64())
}
