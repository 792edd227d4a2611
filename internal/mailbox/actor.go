package mailbox

import "sync"

// Group tracks the goroutines its actors and tasks start, so that a stop
// can wait for every one of them. Once closed it starts none: a
// sync.WaitGroup alone would let an Add race a Wait that has begun.
type Group struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Go runs f on a tracked goroutine; false (f not run) once the group is
// closed.
func (g *Group) Go(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Go(f)
	return true
}

// Close refuses new goroutines and waits for the running ones.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// Actor serves a mailbox one batch at a time, on a goroutine of its group
// that exists only while messages wait: an owner with nothing to do (a
// call ringing for a minute, an agent's idle line) costs no goroutine
// stack. Handle calls never overlap, and each sees the state the previous
// one left (the hand-over goes through mu).
type Actor[T any] struct {
	g      *Group
	box    *Mailbox[T]
	handle func([]T)
	// mu orders the hand-over between posters and the serving goroutine;
	// a leaf lock. running: a goroutine is serving the mailbox. held:
	// messages wait until Start.
	mu      sync.Mutex
	running bool
	held    bool
}

// NewActor returns an actor whose batches handle takes, oldest first.
func NewActor[T any](g *Group, handle func(batch []T)) *Actor[T] {
	return &Actor[T]{g: g, box: New[T](), handle: handle}
}

// NewHeldActor returns an actor that keeps what is posted until Start:
// an owner can be sent messages before it is ready to handle them.
func NewHeldActor[T any](g *Group, handle func(batch []T)) *Actor[T] {
	a := NewActor(g, handle)
	a.held = true
	return a
}

// Start serves what a held actor was sent, and what comes next.
func (a *Actor[T]) Start() {
	a.mu.Lock()
	a.held = false
	if a.running || a.box.Len() == 0 {
		a.mu.Unlock()
		return
	}
	a.running = true
	a.mu.Unlock()
	a.spawn()
}

// Post queues m and makes sure a goroutine serves it. It never blocks on
// the handler. Once the group is closed nothing is served.
func (a *Actor[T]) Post(m T) {
	a.box.Post(m)
	a.mu.Lock()
	if a.running || a.held {
		a.mu.Unlock()
		return
	}
	a.running = true
	a.mu.Unlock()
	a.spawn()
}

func (a *Actor[T]) spawn() {
	if !a.g.Go(a.serve) {
		a.mu.Lock()
		a.running = false
		a.mu.Unlock()
	}
}

// Len is how many messages wait.
func (a *Actor[T]) Len() int { return a.box.Len() }

func (a *Actor[T]) serve() {
	for {
		batch := a.box.Drain()
		if len(batch) == 0 {
			a.mu.Lock()
			// A Post between the Drain and here saw running set and
			// left its message to this goroutine.
			if a.box.Len() > 0 {
				a.mu.Unlock()
				continue
			}
			a.running = false
			a.mu.Unlock()
			return
		}
		a.handle(batch)
		a.box.Recycle(batch)
	}
}
