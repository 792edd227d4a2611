package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrQueueFull is returned when the queue holds as many messages as it
// may: the message is dropped rather than the caller held up.
var ErrQueueFull = errors.New("notification queue full: message dropped")

// ErrStopped is returned once the queue is stopping.
var ErrStopped = errors.New("notification queue stopped")

// Results counted by QueueConfig.Observe.
const (
	ResultSent    = "sent"
	ResultRetried = "retried"
	ResultFailed  = "failed"
	ResultDropped = "dropped"
)

// QueueConfig bounds the queue and its retries. Zero values take the
// defaults.
type QueueConfig struct {
	// Size is how many messages may wait (default 256).
	Size int
	// Attempts is how often a message is tried in all (default 4).
	Attempts int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to a minute (default 5s).
	Backoff time.Duration
	// SendTimeout bounds one attempt (default 30s).
	SendTimeout time.Duration
	// Now is the service's clock: how long a message waited is logged.
	Now func() time.Time
	Log *slog.Logger
	// Observe counts each outcome by kind ("mail", "sms") and result.
	Observe func(kind, result string)
}

type job struct {
	kind   string
	to     []string
	queued time.Time
	send   func(ctx context.Context) error
}

// Queue sends on one goroutine of its own, so that Mail and SMS return at
// once whatever the server or provider does. Temporary failures are
// retried with backoff; the rest are logged and counted.
type Queue struct {
	cfg    QueueConfig
	mail   Mailer
	sms    SMS
	jobs   chan job
	mu     sync.RWMutex
	closed bool
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// NewQueue starts the queue's sender in front of mail and sms (either may
// be nil: that kind is then refused).
func NewQueue(cfg QueueConfig, mail Mailer, sms SMS) *Queue {
	if cfg.Size <= 0 {
		cfg.Size = 256
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, string) {}
	}
	q := &Queue{cfg: cfg, mail: mail, sms: sms, jobs: make(chan job, cfg.Size), done: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	go q.run()
	return q
}

// ErrNotConfigured is returned for a kind of message the service has no
// sender for (no SMTP server set).
var ErrNotConfigured = errors.New("not configured")

// Mail queues m after checking it; the error is about m or the queue,
// never about the server.
func (q *Queue) Mail(m Message) error {
	if q.mail == nil {
		return fmt.Errorf("e-mail: %w (no SMTP server set)", ErrNotConfigured)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return q.enqueue(job{kind: "mail", to: m.To, send: func(ctx context.Context) error { return q.mail.Send(ctx, m) }})
}

// SMS queues a text message after checking it.
func (q *Queue) SMS(to, body string) error {
	if q.sms == nil {
		return fmt.Errorf("sms: %w", ErrNotConfigured)
	}
	if err := CheckSMS(to, body); err != nil {
		return err
	}
	return q.enqueue(job{kind: "sms", to: []string{to}, send: func(ctx context.Context) error { return q.sms.Send(ctx, to, body) }})
}

func (q *Queue) enqueue(j job) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrStopped
	}
	j.queued = q.cfg.Now()
	select {
	case q.jobs <- j:
		return nil
	default:
		q.cfg.Observe(j.kind, ResultDropped)
		q.cfg.Log.Error("notification dropped: queue full", "kind", j.kind, "to", j.to, "queue", q.cfg.Size)
		return ErrQueueFull
	}
}

// Len is how many messages wait.
func (q *Queue) Len() int { return len(q.jobs) }

// Stop refuses new messages and sends those queued until ctx ends; then
// the attempt under way is cancelled and what is left is dropped, logged.
func (q *Queue) Stop(ctx context.Context) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
		q.cancel()
		<-q.done
	}
	q.cancel()
}

func (q *Queue) run() {
	defer close(q.done)
	for j := range q.jobs {
		if q.ctx.Err() != nil {
			q.cfg.Observe(j.kind, ResultDropped)
			q.cfg.Log.Error("notification dropped: stopping", "kind", j.kind, "to", j.to)
			continue
		}
		q.deliver(j)
	}
}

// deliver tries j until it is sent, fails for good, or runs out of
// attempts; the waits between attempts end early when the queue stops.
func (q *Queue) deliver(j job) {
	wait := q.cfg.Backoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(q.ctx, q.cfg.SendTimeout)
		err := j.send(ctx)
		cancel()
		if err == nil {
			q.cfg.Observe(j.kind, ResultSent)
			q.cfg.Log.Info("notification sent", "kind", j.kind, "to", j.to, "attempts", attempt, "waited", q.cfg.Now().Sub(j.queued))
			return
		}
		if !Temporary(err) || attempt >= q.cfg.Attempts || q.ctx.Err() != nil {
			q.cfg.Observe(j.kind, ResultFailed)
			q.cfg.Log.Error("notification failed", "kind", j.kind, "to", j.to, "attempts", attempt, "temporary", Temporary(err), "err", err)
			return
		}
		q.cfg.Observe(j.kind, ResultRetried)
		q.cfg.Log.Warn("notification not sent, will retry", "kind", j.kind, "to", j.to, "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
			q.cfg.Observe(j.kind, ResultFailed)
			q.cfg.Log.Error("notification failed: stopping before its retry", "kind", j.kind, "to", j.to, "attempts", attempt, "err", err)
			return
		}
		wait = min(2*wait, time.Minute)
	}
}

// Notifier is what the service hands to those who notify: Mail and SMS
// queue (they return at once); Direct sends and waits, for an admin's
// test of the settings. Mail is nil when no SMTP server is configured.
type Notifier struct {
	Mail   Mailer
	SMS    SMS
	Direct Senders
	Queue  *Queue
}

// Senders are the mailer and SMS provider themselves.
type Senders struct {
	Mail Mailer
	SMS  SMS
}

// NewNotifier puts a queue in front of s.
func NewNotifier(s Senders, cfg QueueConfig) *Notifier {
	q := NewQueue(cfg, s.Mail, s.SMS)
	n := &Notifier{SMS: queuedSMS{q}, Direct: s, Queue: q}
	if s.Mail != nil {
		n.Mail = queuedMail{q}
	}
	return n
}

type queuedMail struct{ q *Queue }

func (m queuedMail) Send(_ context.Context, msg Message) error { return m.q.Mail(msg) }

type queuedSMS struct{ q *Queue }

func (s queuedSMS) Send(_ context.Context, to, body string) error { return s.q.SMS(to, body) }
