package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentswitch/agentswitch/internal/clock"
)

// DefaultBackoff is the wait before each retry; the last repeats.
var DefaultBackoff = []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}

// ResponseExcerpt caps how much of a receiver's answer is kept.
const ResponseExcerpt = 1024

// Config configures a Service; zero values take the defaults.
type Config struct {
	Store Store
	// Now is the one clock of timestamps and retry times (default
	// clock.System).
	Now func() time.Time
	// AllowPrivate lets endpoints name loopback and private addresses
	// (off by default: a webhook must not reach inside the network).
	AllowPrivate bool
	// Client posts the deliveries (default: one refusing private targets
	// unless AllowPrivate).
	Client *http.Client
	// Concurrency bounds the deliveries in flight (default 4).
	Concurrency int
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// Backoff is the wait before each retry (default DefaultBackoff).
	Backoff []time.Duration
	// MaxAttempts, MaxAge: a delivery is given up after this many attempts
	// (default 10) or when its next retry would fall this long after it
	// was enqueued (default 24h).
	MaxAttempts int
	MaxAge      time.Duration
	// Jitter spreads a retry's wait (default ±10%, random).
	Jitter func(time.Duration) time.Duration
	// Retention is how long a delivery done (delivered or given up) stays
	// in the log (default 30 days); older ones are deleted hourly.
	Retention time.Duration
	// Poll is how often the dispatcher looks for due deliveries when
	// nothing wakes it (default 1s).
	Poll time.Duration
	// Observe is told each attempt's result: delivered, retry, failed or
	// disabled.
	Observe func(result string)
	Logger  *slog.Logger
}

// Service enqueues events and delivers them.
type Service struct {
	cfg  Config
	wake chan struct{}

	mu       sync.Mutex
	inflight map[int64]bool
	pruned   time.Time
	running  sync.WaitGroup
}

// New builds a Service; Run delivers.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = clock.System()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if len(cfg.Backoff) == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(d time.Duration) time.Duration {
			return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d))
		}
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		d := &net.Dialer{Timeout: cfg.Timeout}
		if !cfg.AllowPrivate {
			d.Control = refusePrivate
		}
		cfg.Client = &http.Client{
			Transport: &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: cfg.Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
			// A redirect would be followed without the signature's
			// guarantees and past the private-address check of the
			// first host only; the receiver's answer is the result.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Service{cfg: cfg, wake: make(chan struct{}, 1), inflight: map[int64]bool{}}
}

// AllowPrivate reports whether endpoints may name private addresses.
func (s *Service) AllowPrivate() bool { return s.cfg.AllowPrivate }

// Store is the service's store.
func (s *Service) Store() Store { return s.cfg.Store }

// Envelope is the body of every delivery.
type Envelope struct {
	Event     string    `json:"event"`
	CreatedAt time.Time `json:"created_at"`
	WidgetID  int64     `json:"widget_id,omitempty"`
	Data      any       `json:"data"`
}

// Emit enqueues event for every endpoint that wants it (widget 0 is no
// widget): a cheap insert, delivered out of band. Inside a store batch it
// is written in the batch's transaction.
func (s *Service) Emit(ctx context.Context, event string, widget int64, payload any) error {
	if !ValidEvent(event) || event == "*" {
		return fmt.Errorf("webhooks: bad event name %q", event)
	}
	now := s.cfg.Now()
	body, err := json.Marshal(Envelope{Event: event, CreatedAt: now.UTC(), WidgetID: widget, Data: payload})
	if err != nil {
		return fmt.Errorf("webhooks: %s payload: %w", event, err)
	}
	n, err := s.cfg.Store.EnqueueWebhook(ctx, event, widget, body, now)
	if err != nil {
		return fmt.Errorf("webhooks: enqueue %s: %w", event, err)
	}
	if n > 0 {
		s.Wake()
	}
	return nil
}

// Replay enqueues a new delivery of a delivery's event and payload.
func (s *Service) Replay(ctx context.Context, id int64) (Delivery, error) {
	d, err := s.cfg.Store.ReplayWebhookDelivery(ctx, id, s.cfg.Now())
	if err == nil {
		s.Wake()
	}
	return d, err
}

// Wake has the dispatcher look for due deliveries now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight
// (which ctx cancels; they are not counted and stay pending, so the next
// start resumes them).
func (s *Service) Run(ctx context.Context) {
	defer s.running.Wait()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		s.Tick(ctx)
		t.Reset(s.cfg.Poll)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Tick starts the due deliveries there is room for and returns a wait
// for them. It never waits itself: a hanging receiver holds one slot.
func (s *Service) Tick(ctx context.Context) (wait func()) {
	s.prune(ctx)
	var wg sync.WaitGroup
	s.mu.Lock()
	free := s.cfg.Concurrency - len(s.inflight)
	skip := make([]int64, 0, len(s.inflight))
	for id := range s.inflight {
		skip = append(skip, id)
	}
	s.mu.Unlock()
	if free <= 0 {
		return wg.Wait
	}
	due, err := s.cfg.Store.DueWebhookDeliveries(ctx, s.cfg.Now(), free, skip)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Warn("could not read due webhook deliveries", "err", err)
		}
		return wg.Wait
	}
	for _, d := range due {
		s.mu.Lock()
		s.inflight[d.ID] = true
		s.mu.Unlock()
		wg.Add(1)
		s.running.Add(1)
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.inflight, d.ID)
				s.mu.Unlock()
				wg.Done()
				s.running.Done()
				s.Wake()
			}()
			s.deliver(ctx, d)
		}()
	}
	return wg.Wait
}

// prune deletes the deliveries done before the retention, once an hour.
func (s *Service) prune(ctx context.Context) {
	now := s.cfg.Now()
	s.mu.Lock()
	due := now.Sub(s.pruned) >= time.Hour
	if due {
		s.pruned = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.cfg.Store.PruneWebhookDeliveries(ctx, now.Add(-s.cfg.Retention)); err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("could not prune old webhook deliveries", "err", err)
	}
}

// deliver makes one attempt and records it with its outcome.
func (s *Service) deliver(ctx context.Context, d Delivery) {
	at := s.cfg.Now()
	a := Attempt{Delivery: d.ID, N: d.Attempts + 1, At: at}
	start := time.Now()
	status, excerpt, err := s.post(ctx, d, at)
	a.Duration = time.Since(start)
	if ctx.Err() != nil {
		// Stopping: not the receiver's failure.
		return
	}
	a.Status, a.Response = status, excerpt
	if err != nil {
		a.Error = err.Error()
	}
	o, result := s.outcome(d, a)
	s.cfg.Observe(result)
	if err := s.cfg.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), a, o); err != nil {
		s.cfg.Logger.Warn("could not record a webhook attempt", "delivery", d.ID, "err", err)
	}
}

func (s *Service) outcome(d Delivery, a Attempt) (Outcome, string) {
	switch {
	case a.Error == "" && a.Status >= 200 && a.Status < 300:
		return Outcome{State: StateDelivered}, "delivered"
	case a.Status == http.StatusGone:
		return Outcome{State: StateFailed, Disable: "the receiver answered 410 Gone"}, "disabled"
	}
	if a.N >= s.cfg.MaxAttempts {
		return Outcome{State: StateFailed}, "failed"
	}
	wait := s.cfg.Backoff[min(a.N-1, len(s.cfg.Backoff)-1)]
	next := a.At.Add(s.cfg.Jitter(wait))
	if next.Sub(d.CreatedAt) > s.cfg.MaxAge {
		return Outcome{State: StateFailed}, "failed"
	}
	return Outcome{State: StatePending, NextAt: next}, "retry"
}

// post sends the delivery and returns the status and the start of the
// answer.
func (s *Service) post(ctx context.Context, d Delivery, at time.Time) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, at, d.Payload))
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", s.cfg.Timeout)
		}
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, ResponseExcerpt))
	// The rest is read (a little) so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if err != nil && res.StatusCode/100 != 2 {
		return res.StatusCode, excerpt(b), err
	}
	return res.StatusCode, excerpt(b), nil
}

// excerpt is b as valid UTF-8, a cut rune dropped.
func excerpt(b []byte) string {
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return strings.ToValidUTF8(string(b), "")
}
