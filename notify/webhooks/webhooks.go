// Package webhooks tells integrators' HTTP endpoints what happened: an
// event is written to a durable outbox (one row per endpoint that wants
// it), and a dispatcher posts it out of band, signed, retried with
// backoff, every attempt logged. Enqueueing is one insert, so a slow or
// dead receiver never delays a call or an API request.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// ErrNotFound: no such endpoint or delivery (the domain's, so the API answers 404).
var ErrNotFound = dialer.ErrNotFound

// Endpoint is where events are posted.
type Endpoint struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// Secret signs the bodies; the API shows it only when it is made.
	Secret string `json:"-"`
	// Events are the event names wanted; "*" is every event.
	Events      []string `json:"events"`
	Active      bool     `json:"active"`
	WidgetID    int64    `json:"widget_id"`
	Description string   `json:"description"`
	// DisabledReason says why the dispatcher turned the endpoint off
	// (its receiver answered 410 Gone).
	DisabledReason string    `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Last is the newest delivery's state, in lists.
	Last *Delivery `json:"last_delivery,omitempty"`
}

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// Delivery is one event bound for one endpoint.
type Delivery struct {
	ID         int64           `json:"id"`
	Endpoint   int64           `json:"endpoint_id"`
	Event      string          `json:"event"`
	Payload    json.RawMessage `json:"payload"`
	State      string          `json:"state"`
	Attempts   int             `json:"attempts"`
	NextAt     time.Time       `json:"next_attempt_at,omitzero"`
	LastStatus int             `json:"last_status,omitempty"`
	LastError  string          `json:"last_error,omitempty"`
	ReplayOf   int64           `json:"replay_of,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	// URL and Secret are the endpoint's, for the dispatcher.
	URL    string `json:"-"`
	Secret string `json:"-"`
	// Log is the delivery's attempts, oldest first, when asked for.
	Log []Attempt `json:"attempts_log,omitempty"`
}

// Attempt is one POST of a delivery.
type Attempt struct {
	Delivery int64         `json:"delivery_id"`
	N        int           `json:"n"`
	At       time.Time     `json:"at"`
	Status   int           `json:"status,omitempty"`
	Duration time.Duration `json:"duration_ms"`
	Error    string        `json:"error,omitempty"`
	Response string        `json:"response,omitempty"`
}

// MarshalJSON writes the duration in milliseconds.
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	return json.Marshal(struct {
		plain
		Duration int64 `json:"duration_ms"`
	}{plain(a), a.Duration.Milliseconds()})
}

// Outcome is what an attempt leaves the delivery in.
type Outcome struct {
	State  string
	NextAt time.Time
	// Disable turns the endpoint off with this reason.
	Disable string
}

// Page asks for a page of deliveries, newest first.
type Page struct {
	Limit, Offset int
}

// Store keeps endpoints and the outbox.
type Store interface {
	CreateWebhook(ctx context.Context, e Endpoint) (Endpoint, error)
	// UpdateWebhook writes everything but the secret.
	UpdateWebhook(ctx context.Context, e Endpoint) (Endpoint, error)
	SetWebhookSecret(ctx context.Context, id int64, secret string) error
	DeleteWebhook(ctx context.Context, id int64) error
	Webhook(ctx context.Context, id int64) (Endpoint, error)
	// ListWebhooks lists every endpoint with its newest delivery.
	ListWebhooks(ctx context.Context) ([]Endpoint, error)

	// EnqueueWebhook writes one pending delivery per active endpoint that
	// wants the event (and the widget, 0 matching all), due at once. Inside
	// a store batch it joins the batch's transaction.
	EnqueueWebhook(ctx context.Context, event string, widget int64, payload []byte, at time.Time) (int, error)
	// DueWebhookDeliveries returns pending deliveries of active endpoints
	// due by now, oldest first, leaving out the ids in skip.
	DueWebhookDeliveries(ctx context.Context, now time.Time, limit int, skip []int64) ([]Delivery, error)
	// RecordWebhookAttempt logs an attempt and applies its outcome.
	RecordWebhookAttempt(ctx context.Context, a Attempt, o Outcome) error
	WebhookDeliveries(ctx context.Context, endpoint int64, p Page) ([]Delivery, int, error)
	WebhookDelivery(ctx context.Context, id int64) (Delivery, error)
	// ReplayWebhookDelivery writes a new pending delivery of the same
	// event and payload to the same endpoint.
	ReplayWebhookDelivery(ctx context.Context, id int64, at time.Time) (Delivery, error)
	PendingWebhookDeliveries(ctx context.Context) (int, error)
	// PruneWebhookDeliveries deletes the deliveries done (delivered or
	// given up) before t, with their attempts.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// NewSecret makes an endpoint's signing secret.
func NewSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

var eventName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// ValidEvent reports whether s may name an event or a subscription.
func ValidEvent(s string) bool { return s == "*" || len(s) <= 64 && eventName.MatchString(s) }

// Validate checks an endpoint; allowPrivate accepts loopback and private
// addresses (the service's setting).
func (e Endpoint) Validate(allowPrivate bool) error {
	if err := CheckURL(e.URL, allowPrivate); err != nil {
		return err
	}
	if len(e.Events) == 0 {
		return &inputerr.FieldError{Field: "events", Reason: `name at least one event, or "*" for all`}
	}
	if len(e.Events) > 50 {
		return &inputerr.FieldError{Field: "events", Reason: "at most 50"}
	}
	for _, ev := range e.Events {
		if !ValidEvent(ev) {
			return &inputerr.FieldError{Field: "events", Reason: fmt.Sprintf("%q is not an event name (such as call.ended) or *", ev)}
		}
	}
	if e.WidgetID < 0 {
		return &inputerr.FieldError{Field: "widget_id", Reason: "0 (every widget) or a widget's id"}
	}
	return inputerr.CheckText("description", e.Description, 500, false)
}

// CheckURL refuses what an endpoint may not be: not http(s), credentials
// in it, or (unless allowPrivate) a loopback, private or link-local host.
// Names are checked again at every connection, once resolved.
func CheckURL(raw string, allowPrivate bool) error {
	if err := inputerr.CheckText("url", raw, 2000, true); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return &inputerr.FieldError{Field: "url", Reason: "an absolute http:// or https:// URL"}
	}
	if u.User != nil {
		return &inputerr.FieldError{Field: "url", Reason: "must not carry a user name or password"}
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return &inputerr.FieldError{Field: "url", Reason: "loopback hosts are refused unless the service allows private webhook targets"}
	}
	if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) {
		return &inputerr.FieldError{Field: "url", Reason: "private, loopback and link-local addresses are refused unless the service allows private webhook targets"}
	}
	return nil
}

// Public reports whether ip is a public unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsUnspecified() && !ip.IsMulticast() && !ip.IsInterfaceLocalMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT
}

// refusePrivate is a net.Dialer's Control: it refuses a connection to a
// resolved address that is not public (a name pointing inside).
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !Public(ip) {
		return fmt.Errorf("webhook target %s is not a public address", ip)
	}
	return nil
}
