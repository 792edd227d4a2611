package api

import "sync"

// openStreams counts each login's event streams (a session's, an API
// key's): one login may hold only so many at once, and a logout ends the
// streams of its session at once rather than at their next check.
type openStreams struct {
	mu sync.Mutex
	by map[string]map[*openStream]struct{}
}

// openStream is one stream; end is closed when its login ended.
type openStream struct {
	end  chan struct{}
	once sync.Once
}

// streamOwner names the login a principal came with.
func streamOwner(p *principal) string {
	if p.Key != nil {
		return "key:" + p.Key.ID.String()
	}
	return sessionOwner(p.Token)
}

// sessionOwner names a web session's login.
func sessionOwner(token string) string { return "session:" + token }

// add registers a stream of owner, or reports false when it has max.
func (o *openStreams) add(owner string, max int) (*openStream, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	set := o.by[owner]
	if len(set) >= max {
		return nil, false
	}
	if set == nil {
		set = map[*openStream]struct{}{}
		o.by[owner] = set
	}
	st := &openStream{end: make(chan struct{})}
	set[st] = struct{}{}
	return st, true
}

func (o *openStreams) remove(owner string, st *openStream) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.by[owner], st)
	if len(o.by[owner]) == 0 {
		delete(o.by, owner)
	}
}

// endAll tells every stream of owner that its login ended.
func (o *openStreams) endAll(owner string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for st := range o.by[owner] {
		st.once.Do(func() { close(st.end) })
	}
}
