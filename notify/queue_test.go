package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSMS answers each send with the next of its errors (nil once they
// run out) and records when it was called.
type fakeSMS struct {
	mu    sync.Mutex
	errs  []error
	calls []time.Time
	// block, when set, holds every send until it is closed or ctx ends.
	block chan struct{}
}

func (f *fakeSMS) Send(ctx context.Context, to, body string) error {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (f *fakeSMS) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls...)
}

// counts records Observe's calls.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) observe(kind, result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[kind+" "+result]++
}

func (c *counts) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

var errBusy = errors.New("provider busy")

func TestQueueRetriesTemporaryFailuresWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sms := &fakeSMS{errs: []error{errBusy, errBusy}}
		var c counts
		q := NewQueue(QueueConfig{Backoff: 5 * time.Second, Observe: c.observe}, nil, sms)
		start := time.Now()
		if err := q.SMS("+447700900123", "code 1"); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) != 0 {
			t.Error("queueing took time")
		}
		synctest.Wait()
		time.Sleep(time.Minute)
		q.Stop(context.Background())
		calls := sms.times()
		if len(calls) != 3 {
			t.Fatalf("%d attempts, want 3", len(calls))
		}
		if d1, d2 := calls[1].Sub(calls[0]), calls[2].Sub(calls[1]); d1 != 5*time.Second || d2 != 10*time.Second {
			t.Errorf("waits %v, %v; want 5s then 10s", d1, d2)
		}
		if c.get("sms retried") != 2 || c.get("sms sent") != 1 || c.get("sms failed") != 0 {
			t.Errorf("counts %v", c.n)
		}
	})
}

func TestQueueGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		errs     []error
		attempts int
	}{
		{"permanent failure: no retry", []error{Permanent(errors.New("invalid number"))}, 1},
		{"temporary failures: all attempts", []error{errBusy, errBusy, errBusy, errBusy, errBusy}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sms := &fakeSMS{errs: tc.errs}
				var c counts
				q := NewQueue(QueueConfig{Attempts: 3, Observe: c.observe}, nil, sms)
				if err := q.SMS("+447700900123", "x"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Hour)
				q.Stop(context.Background())
				if n := len(sms.times()); n != tc.attempts {
					t.Errorf("%d attempts, want %d", n, tc.attempts)
				}
				if c.get("sms failed") != 1 || c.get("sms sent") != 0 {
					t.Errorf("counts %v", c.n)
				}
			})
		})
	}
}

// A provider that hangs holds up nobody: the queue fills, then drops,
// and the caller always returns at once.
func TestQueueNeverBlocksTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sms := &fakeSMS{block: make(chan struct{})}
		var c counts
		q := NewQueue(QueueConfig{Size: 2, Observe: c.observe}, nil, sms)
		start := time.Now()
		var errs []error
		for range 5 {
			errs = append(errs, q.SMS("+447700900123", "x"))
			synctest.Wait()
		}
		if time.Since(start) != 0 {
			t.Error("a caller waited")
		}
		// One in the provider's hands, two waiting, two dropped.
		want := []error{nil, nil, nil, ErrQueueFull, ErrQueueFull}
		for i := range want {
			if !errors.Is(errs[i], want[i]) {
				t.Errorf("message %d: %v, want %v", i, errs[i], want[i])
			}
		}
		if c.get("sms dropped") != 2 {
			t.Errorf("counts %v", c.n)
		}
		close(sms.block)
		q.Stop(context.Background())
		if c.get("sms sent") != 3 {
			t.Errorf("counts %v", c.n)
		}
		if err := q.SMS("+447700900123", "x"); !errors.Is(err, ErrStopped) {
			t.Errorf("after Stop: %v", err)
		}
	})
}

// A stop that runs out of time cancels the send under way and drops the
// rest instead of waiting for the provider.
func TestQueueStopGivesUpAtItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sms := &fakeSMS{block: make(chan struct{})}
		var c counts
		q := NewQueue(QueueConfig{SendTimeout: time.Hour, Observe: c.observe}, nil, sms)
		for range 3 {
			if err := q.SMS("+447700900123", "x"); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		q.Stop(ctx)
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("Stop took %v, want its 10s", d)
		}
		if c.get("sms failed") != 1 || c.get("sms dropped") != 2 {
			t.Errorf("counts %v", c.n)
		}
	})
}

func TestQueueRefusesBadInputAtOnce(t *testing.T) {
	q := NewQueue(QueueConfig{}, &fakeMailer{}, &fakeSMS{})
	defer q.Stop(context.Background())
	wantField(t, q.SMS("07700900123", "x"), "to")
	wantField(t, q.Mail(Message{To: []string{"a@example.com"}, Subject: "a\nb", Text: "t"}), "subject")
	none := NewQueue(QueueConfig{}, nil, nil)
	defer none.Stop(context.Background())
	if err := none.Mail(Message{}); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("mail without a mailer: %v", err)
	}
}

func TestNotifierQueuesAndSendsDirect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMailer{}
		n := NewNotifier(Senders{Mail: m, SMS: &fakeSMS{}}, QueueConfig{})
		msg := Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
		if err := n.Mail.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		if err := n.Direct.Mail.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		n.Queue.Stop(context.Background())
		if m.count() != 2 {
			t.Errorf("mailer sent %d, want 2", m.count())
		}
		smsOnly := NewNotifier(Senders{SMS: &fakeSMS{}}, QueueConfig{})
		defer smsOnly.Queue.Stop(context.Background())
		if smsOnly.Mail != nil {
			t.Error("a notifier without a mailer offers Mail")
		}
	})
}

type fakeMailer struct {
	mu sync.Mutex
	n  int
}

func (f *fakeMailer) Send(context.Context, Message) error {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	return nil
}

func (f *fakeMailer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}
