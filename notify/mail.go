// Package notify sends the service's e-mails (over SMTP) and text
// messages (through an SMS provider), and queues both so that a slow
// mail server or provider never holds up the caller.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Message is one e-mail: the same text to every address in To.
type Message struct {
	To      []string
	Subject string
	Text    string
	// HTML, when set, is sent as an alternative to Text.
	HTML string
}

// Mailer sends e-mails.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Limits of a message: a notification goes to a handful of people, and
// the subject fits one header line.
const (
	MaxRecipients = 20
	MaxSubject    = 200
	MaxBody       = 256 << 10
)

// Validate checks a message before anything is sent, naming the field at
// fault. A subject with a line break is refused rather than folded: it
// would otherwise start a header of the sender's choosing.
func (m Message) Validate() error {
	if len(m.To) == 0 {
		return &inputerr.FieldError{Field: "to", Reason: "required"}
	}
	if len(m.To) > MaxRecipients {
		return &inputerr.FieldError{Field: "to", Reason: fmt.Sprintf("more than %d addresses", MaxRecipients)}
	}
	for _, a := range m.To {
		if err := CheckAddress("to", a); err != nil {
			return err
		}
	}
	if err := inputerr.CheckText("subject", m.Subject, MaxSubject, true); err != nil {
		return err
	}
	if strings.ContainsAny(m.Subject, "\r\n\x00") {
		return &inputerr.FieldError{Field: "subject", Reason: "must be one line"}
	}
	if err := inputerr.CheckText("text", m.Text, MaxBody, true); err != nil {
		return err
	}
	return inputerr.CheckText("html", m.HTML, MaxBody, false)
}

// CheckAddress accepts a bare address (user@example.com): no display
// name, no line break, no second address.
func CheckAddress(field, a string) error {
	if a == "" {
		return &inputerr.FieldError{Field: field, Reason: "required"}
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" || strings.ContainsAny(a, "\r\n\x00 ,;<>") {
		return &inputerr.FieldError{Field: field, Reason: fmt.Sprintf("%q is not an e-mail address (user@example.com)", a)}
	}
	return nil
}

// TLSMode is how the connection to the SMTP server is protected.
type TLSMode string

const (
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades with STARTTLS and refuses a server without it.
	TLSStartTLS TLSMode = "starttls"
	// TLSStartTLSOpportunistic upgrades when the server offers STARTTLS.
	TLSStartTLSOpportunistic TLSMode = "starttls-opportunistic"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
)

// TLSModes are the accepted TLS modes, for messages.
var TLSModes = []TLSMode{TLSNone, TLSStartTLS, TLSStartTLSOpportunistic, TLSImplicit}

// AuthMode is the SMTP AUTH mechanism.
type AuthMode string

const (
	AuthNone    AuthMode = "none"
	AuthPlain   AuthMode = "plain"
	AuthLogin   AuthMode = "login"
	AuthCramMD5 AuthMode = "cram-md5"
)

// AuthModes are the accepted mechanisms, for messages.
var AuthModes = []AuthMode{AuthNone, AuthPlain, AuthLogin, AuthCramMD5}

// SMTPConfig is where and how e-mail is sent.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Auth     AuthMode
	Username string
	Password string
	From     string
	FromName string
	// Timeout bounds the connection and each command.
	Timeout time.Duration
	// TLSConfig replaces the default (system roots, server name Host).
	TLSConfig *tls.Config
	// Now dates the messages; nil: time.Now.
	Now func() time.Time
}

// LogValue leaves the password out of every log line.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", string(c.TLS)),
		slog.String("auth", string(c.Auth)), slog.String("username", c.Username), slog.String("from", c.From))
}

// Validate names the setting at fault (host, port, tls, auth, username,
// password, from, from-name, timeout).
func (c SMTPConfig) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &inputerr.FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if c.Host == "" || strings.ContainsAny(c.Host, " \t\r\n/:@") {
		return bad("host", "%q is not a host name or address", c.Host)
	}
	if c.Port < 1 || c.Port > 65535 {
		return bad("port", "%d is not a port (1-65535)", c.Port)
	}
	if !slices.Contains(TLSModes, c.TLS) {
		return bad("tls", "%q is not one of %s", c.TLS, join(TLSModes))
	}
	if !slices.Contains(AuthModes, c.Auth) {
		return bad("auth", "%q is not one of %s", c.Auth, join(AuthModes))
	}
	if c.Auth != AuthNone {
		if c.Username == "" {
			return bad("username", "is required with auth %s", c.Auth)
		}
		if c.Password == "" {
			return bad("password", "is required with auth %s", c.Auth)
		}
		// PLAIN and LOGIN send the password as is: never in clear text.
		if c.TLS == TLSNone && c.Auth != AuthCramMD5 {
			return bad("tls", "none would send the %s password in clear text; use starttls or tls", c.Auth)
		}
	}
	if err := CheckAddress("from", c.From); err != nil {
		return err
	}
	if strings.ContainsAny(c.FromName, "\r\n\x00") || len(c.FromName) > 100 {
		return bad("from-name", "must be one line of at most 100 bytes")
	}
	if c.Timeout <= 0 {
		return bad("timeout", "must be positive")
	}
	return nil
}

// SMTP sends each message over its own connection to one server.
type SMTP struct {
	cfg    SMTPConfig
	client *gomail.Client
}

// NewSMTP checks cfg and prepares the client; nothing is dialled yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tc)}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSStartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	switch cfg.Auth {
	case AuthPlain:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain))
	case AuthLogin:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthLogin))
	case AuthCramMD5:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthCramMD5))
	}
	if cfg.Auth != AuthNone {
		opts = append(opts, gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return &SMTP{cfg: cfg, client: c}, nil
}

// Send delivers m to the server; an error says whether the server or the
// connection refused it, and Temporary tells whether to try again.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return Permanent(err)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	var err error
	if s.cfg.FromName != "" {
		err = msg.FromFormat(s.cfg.FromName, s.cfg.From)
	} else {
		err = msg.From(s.cfg.From)
	}
	if err == nil {
		err = msg.To(m.To...)
	}
	if err != nil {
		return Permanent(err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.cfg.Now())
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port)), classifySMTP(err))
	}
	return nil
}

// classifySMTP marks replies in the 5xx range, and failures no retry can
// mend (a refused TLS or AUTH), as permanent.
func classifySMTP(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if se.IsTemp() {
			return err
		}
		return Permanent(err)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code/100 == 4 {
			return err
		}
		return Permanent(err)
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return Permanent(err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return err
	}
	// go-mail gives these no type: a server without STARTTLS or AUTH
	// will not grow it on a retry.
	if strings.Contains(err.Error(), "does not support") {
		return Permanent(err)
	}
	return err
}

func join[T ~string](set []T) string {
	s := make([]string, len(set))
	for i, v := range set {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
