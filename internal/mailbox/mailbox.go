// Package mailbox is the unbounded queue behind every single reader of
// the service (the switch client's delivery, the call-record writer, and
// through Actor each call and each agent's line): many posters, one
// reader, order kept.
package mailbox

import "sync"

// Mailbox is an unbounded FIFO. Post never blocks, so a poster on the
// switch's delivery goroutine never waits for a slow reader; the cost is
// memory while the reader is behind. The zero value is not usable: call New.
type Mailbox[T any] struct {
	mu    sync.Mutex
	items []T
	spare []T
	wake  chan struct{}
}

// New returns an empty mailbox.
func New[T any]() *Mailbox[T] {
	return &Mailbox[T]{wake: make(chan struct{}, 1)}
}

// Post appends v and wakes the reader.
func (m *Mailbox[T]) Post(v T) {
	m.mu.Lock()
	m.items = append(m.items, v)
	m.mu.Unlock()
	// One pending wake-up is enough: the reader takes everything queued.
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Wake receives after a Post; the reader then calls Drain. A wake-up may
// find the mailbox already drained.
func (m *Mailbox[T]) Wake() <-chan struct{} { return m.wake }

// Drain takes everything posted so far, oldest first (nil when empty).
func (m *Mailbox[T]) Drain() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) == 0 {
		return nil
	}
	out := m.items
	m.items, m.spare = m.spare[:0], nil
	return out
}

// Len is how many items wait.
func (m *Mailbox[T]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Recycle hands a drained batch back for reuse once the reader is done
// with it, so a busy mailbox does not allocate a batch per wake-up.
func (m *Mailbox[T]) Recycle(b []T) {
	clear(b)
	m.mu.Lock()
	if cap(b) > cap(m.spare) {
		m.spare = b[:0]
	}
	m.mu.Unlock()
}
