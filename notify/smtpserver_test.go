package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server took it.
type received struct {
	From string
	To   []string
	Data string
	TLS  bool
	User string
	Mech string // the AUTH mechanism used
}

// smtpServer is a real SMTP server on 127.0.0.1 for the tests: STARTTLS
// with a certificate made here, AUTH PLAIN, and the refusals a test asks for.
type smtpServer struct {
	addr      string
	port      int
	clientTLS *tls.Config // trusts the server's certificate

	user, pass string // empty: no AUTH offered
	// rcptErr, when set, answers every RCPT TO.
	rcptErr error

	mu   sync.Mutex
	msgs []received
	sess int
}

type serverOpts struct {
	tls      bool // offer STARTTLS
	implicit bool // TLS from the first byte
	user     string
	pass     string
	rcptErr  error
}

func startSMTP(t *testing.T, o serverOpts) *smtpServer {
	t.Helper()
	srvTLS, clientTLS := selfSigned(t)
	s := &smtpServer{user: o.user, pass: o.pass, rcptErr: o.rcptErr, clientTLS: clientTLS}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sess++
		s.mu.Unlock()
		return &session{srv: s, conn: c}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	// AUTH only after STARTTLS, as a real server would.
	srv.AllowInsecureAuth = !o.tls && !o.implicit
	if o.tls {
		srv.TLSConfig = srvTLS
	}
	var ln net.Listener
	var err error
	if o.implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srvTLS)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); ln.Close(); <-done })
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

type session struct {
	srv  *smtpServer
	conn *smtp.Conn
	cur  received
}

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login, "CRAM-MD5"}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user string, ok bool) error {
		if user != s.srv.user || !ok {
			return smtp.ErrAuthFailed
		}
		s.cur.User, s.cur.Mech = user, mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass == s.srv.pass) }), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error { return check(user, pass == s.srv.pass) }}, nil
	case "CRAM-MD5":
		return &cramServer{challenge: "<1896.697170952@mx.test>", check: func(user, digest string) error {
			mac := hmac.New(md5.New, []byte(s.srv.pass))
			mac.Write([]byte("<1896.697170952@mx.test>"))
			return check(user, hmac.Equal([]byte(digest), []byte(hex.EncodeToString(mac.Sum(nil)))))
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN, which go-sasl has not.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// cramServer is the server side of AUTH CRAM-MD5 (RFC 2195).
type cramServer struct {
	sent      bool
	challenge string
	check     func(user, digest string) error
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if !c.sent {
		c.sent = true
		return []byte(c.challenge), false, nil
	}
	user, digest, _ := strings.Cut(string(resp), " ")
	return nil, true, c.check(user, digest)
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	_, s.cur.TLS = s.conn.TLSConnectionState()
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.rcptErr != nil {
		return s.srv.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.cur
	m.Data = string(b)
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, m)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset() { s.cur = received{User: s.cur.User, Mech: s.cur.Mech} }

func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a client config that
// trusts only it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

var errMailboxUnavailable = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}

var errTryLater = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
