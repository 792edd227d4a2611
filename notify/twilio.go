package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// TwilioBaseURL is Twilio's REST API; a compatible provider or a test
// server may stand in its place.
const TwilioBaseURL = "https://api.twilio.com"

// TwilioConfig is an account of Twilio's Programmable Messaging API or of
// a provider that speaks it.
type TwilioConfig struct {
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or alphanumeric sender ID;
	// MessagingServiceSID, when set, lets the service choose instead.
	From                string
	MessagingServiceSID string
	Timeout             time.Duration
	// Client replaces the default HTTP client (whose timeout is Timeout).
	Client *http.Client
}

var (
	accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	senderID   = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
)

// Validate names the setting at fault (base-url, account-sid, auth-token,
// from, messaging-service-sid, timeout).
func (c TwilioConfig) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &inputerr.FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return bad("base-url", "%q is not an http(s) URL", c.BaseURL)
	}
	if !accountSID.MatchString(c.AccountSID) {
		return bad("account-sid", "must be AC and 32 hex digits")
	}
	if c.AuthToken == "" || strings.ContainsAny(c.AuthToken, " \t\r\n") {
		return bad("auth-token", "is required, without spaces")
	}
	switch {
	case c.MessagingServiceSID != "" && !serviceSID.MatchString(c.MessagingServiceSID):
		return bad("messaging-service-sid", "must be MG and 32 hex digits")
	case c.MessagingServiceSID == "" && c.From == "":
		return bad("from", "is required unless a messaging service SID is set")
	case c.From != "" && !ValidE164(c.From) && !senderID.MatchString(c.From):
		return bad("from", "%q is neither an E.164 number nor an alphanumeric sender ID of at most 11 characters", c.From)
	}
	if c.Timeout <= 0 {
		return bad("timeout", "must be positive")
	}
	return nil
}

// Twilio sends text messages with Twilio's Messages resource.
type Twilio struct {
	cfg      TwilioConfig
	endpoint string
	client   *http.Client
}

// NewTwilio checks cfg; nothing is sent yet.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Twilio{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + cfg.AccountSID + "/Messages.json",
		client:   hc,
	}, nil
}

// TwilioError is the provider's refusal, as its JSON error body says.
type TwilioError struct {
	HTTPStatus int
	Code       int    `json:"code"`
	Message    string `json:"message"`
	MoreInfo   string `json:"more_info"`
}

func (e *TwilioError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("sms provider answered HTTP %d", e.HTTPStatus)
	}
	return fmt.Sprintf("sms provider refused the message: %s (error %d, HTTP %d)", e.Message, e.Code, e.HTTPStatus)
}

// Send posts one message. The provider queues it: a success means it was
// accepted, not yet delivered.
func (t *Twilio) Send(ctx context.Context, to, body string) error {
	if err := CheckSMS(to, body); err != nil {
		return Permanent(err)
	}
	form := url.Values{"To": {to}, "Body": {body}}
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	} else {
		form.Set("From", t.cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Permanent(err)
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms provider: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("sms provider: reading the answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		var ok struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &ok); err != nil || ok.SID == "" {
			return fmt.Errorf("sms provider answered HTTP %d without a message sid", resp.StatusCode)
		}
		if ok.Status == "failed" || ok.Status == "undelivered" {
			return Permanent(fmt.Errorf("sms provider marked message %s %s", ok.SID, ok.Status))
		}
		return nil
	}
	te := &TwilioError{HTTPStatus: resp.StatusCode}
	_ = json.Unmarshal(raw, te)
	// Too many requests and the provider's own failures pass; anything
	// else (a bad number, wrong credentials) would fail again.
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return te
	}
	return Permanent(te)
}
