package dialer

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer/ring"
)

// router matches the inbound queues' waiting callers with their member
// agents the moment either side is free, and nothing polls:
//   - a caller entering a queue (or one whose offer was missed) looks at
//     the queue's READY members in the queue's ring order;
//   - an agent becoming READY is offered exactly one caller, the best one
//     waiting across its queues: highest priority, then the agent's queue
//     order, then the longest wait.
//
// A caller is offered one agent at a time: it is claimed while an offer is
// on its way to it or its own search runs, and seated while an agent is
// reserved for it. The live store's reservation keeps an agent to one
// call, so two callers cannot take the same agent.
type router struct {
	e *Engine
	// loadMu keeps loads in order: a load that read the store first
	// cannot swap its older snapshot in last.
	loadMu sync.Mutex
	// mu guards everything below. It is a leaf: held over no I/O, no
	// other lock, and only non-blocking mailbox posts.
	mu     sync.Mutex
	byName map[string]*rqueue
	byID   map[QueueID]*rqueue
	// member lists each agent's queues in its blending order.
	member map[AgentID][]rmember
	// agents holds the last state of every logged-in agent that is a
	// member of some queue.
	agents map[AgentID]rstate
	streak map[AgentID]ring.Streak
	// seen is the newest state followed of each agent: publishers race, so
	// an older state arriving last must not undo a newer one.
	seen map[AgentID]stateMark
	// offered is the caller an offer to each agent is on its way to: an
	// agent gets one offer at a time, however often its READY state is
	// published again meanwhile.
	offered map[AgentID]*waiter
	seq     uint64
	rnd     *rand.Rand
	// loaded is false until the first load: before it, callers wait in
	// the queue they name without members.
	loaded bool
}

type rqueue struct {
	q       Queue
	members map[AgentID]QueueMember
	// waiting is in service order: higher priority first, then arrival.
	waiting []*waiter
	cursor  ring.Cursor
	day     queueDay
	// gone: deleted while callers still waited in it; it serves them and
	// takes nobody new.
	gone bool
}

type rmember struct {
	q *rqueue
	m QueueMember
}

// rstate is what the ring strategies need of an agent.
type rstate struct {
	state AgentState
	since time.Time
	calls int
	talk  time.Duration
	mark  stateMark
}

// stateMark places a state in an agent's history: its transition count
// within the login session that started at login.
type stateMark struct {
	seq   int64
	login time.Time
}

// older reports whether m was overtaken by newer, a later state of the
// same session.
func (m stateMark) older(newer stateMark) bool {
	return m.seq > 0 && m.seq < newer.seq && m.login.Equal(newer.login)
}

// waiter is a caller in a queue.
type waiter struct {
	c    *call
	q    *rqueue
	prio int
	seq  uint64
	// skills are what a member needs to be offered the caller.
	skills []string
	// since is when the caller entered its first queue; entered is when
	// it entered this one (an overflow moves it).
	since, entered time.Time
	// offer is the agent of an offer posted to the call and not handled
	// yet, or selfOffer while the call looks for an agent itself.
	offer AgentID
	// seated: an agent is reserved for the call or its phone rings.
	seated bool
	// missed holds the agents who missed this call and until when they
	// are not offered it again.
	missed map[AgentID]time.Time
	left   bool
}

const selfOffer AgentID = -1

// queueDay counts a queue's calls since the start of the day.
type queueDay struct {
	start                                      time.Time
	entered, answered, inSL, abandoned, overfl int
	// waitSum is the total wait of the answered calls, for the estimate
	// announced to callers.
	waitSum time.Duration
}

func newRouter(e *Engine, seed uint64) *router {
	return &router{e: e, byName: map[string]*rqueue{}, byID: map[QueueID]*rqueue{},
		member: map[AgentID][]rmember{}, agents: map[AgentID]rstate{}, streak: map[AgentID]ring.Streak{},
		offered: map[AgentID]*waiter{}, seen: map[AgentID]stateMark{},
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// load reads every queue and member from the store and swaps them in.
// Callers keep their place: a queue is matched by id, and one deleted
// while callers wait serves them to the end.
func (r *router) load(ctx context.Context, st QueueStore) error {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	qs, err := st.ListQueues(ctx)
	if err != nil {
		return err
	}
	members := make(map[QueueID][]QueueMember, len(qs))
	for _, q := range qs {
		ms, err := st.QueueMembers(ctx, q.ID)
		if err != nil {
			return err
		}
		members[q.ID] = ms
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	byID := make(map[QueueID]*rqueue, len(qs))
	byName := make(map[string]*rqueue, len(qs))
	member := map[AgentID][]rmember{}
	for _, q := range qs {
		rq := r.byID[q.ID]
		if rq == nil {
			rq = &rqueue{}
		}
		rq.q, rq.gone = q, false
		rq.members = make(map[AgentID]QueueMember, len(members[q.ID]))
		for _, m := range members[q.ID] {
			rq.members[m.Agent] = m
			member[m.Agent] = append(member[m.Agent], rmember{q: rq, m: m})
		}
		byID[q.ID], byName[q.Name] = rq, rq
	}
	for id, rq := range r.byID {
		if byID[id] == nil && len(rq.waiting) > 0 {
			rq.gone = true
			byID[id] = rq
		}
	}
	for _, ms := range member {
		slices.SortFunc(ms, func(a, b rmember) int {
			return cmp.Or(cmp.Compare(a.m.Order, b.m.Order), cmp.Compare(a.q.q.ID, b.q.q.ID))
		})
	}
	r.byID, r.byName, r.member, r.loaded = byID, byName, member, true
	return nil
}

// queue returns the settings of the live queue named name.
func (r *router) queue(name string) (Queue, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rq := r.byName[name]
	if rq == nil {
		return Queue{}, false
	}
	return rq.q, true
}

// enter puts c in queue q's line; from is the waiter of the queue it
// overflows from (keeping its priority and first arrival), or nil.
func (r *router) enter(c *call, q QueueID, prio int, from *waiter) (*waiter, error) {
	now := r.e.now()
	r.mu.Lock()
	rq := r.byID[q]
	if rq == nil || rq.gone {
		r.mu.Unlock()
		return nil, ErrNotFound
	}
	r.seq++
	w := &waiter{c: c, q: rq, prio: prio, seq: r.seq, since: now, entered: now, offer: selfOffer, skills: c.skills}
	if from != nil {
		w.since, w.prio = from.since, from.prio
	}
	i, _ := slices.BinarySearchFunc(rq.waiting, w, waiterOrder)
	rq.waiting = slices.Insert(rq.waiting, i, w)
	rq.dayAt(now).entered++
	r.mu.Unlock()
	r.publish(rq)
	return w, nil
}

// reorder gives w a new priority and moves it to its place in line.
func (r *router) reorder(w *waiter, prio int) {
	r.mu.Lock()
	if w.left || w.prio == prio {
		r.mu.Unlock()
		return
	}
	rq := w.q
	if i := slices.Index(rq.waiting, w); i >= 0 {
		rq.waiting = slices.Delete(rq.waiting, i, i+1)
	}
	w.prio = prio
	i, _ := slices.BinarySearchFunc(rq.waiting, w, waiterOrder)
	rq.waiting = slices.Insert(rq.waiting, i, w)
	r.mu.Unlock()
}

// hasSkills reports whether a member with skills has every one needed.
func hasSkills(skills, need []string) bool {
	for _, n := range need {
		if !slices.Contains(skills, n) {
			return false
		}
	}
	return true
}

// waiterOrder: higher priority first, then who came first.
func waiterOrder(a, b *waiter) int {
	return cmp.Or(cmp.Compare(b.prio, a.prio), cmp.Compare(a.seq, b.seq))
}

// dayAt returns the counters of the day now falls in, a new day's when it
// has turned.
func (q *rqueue) dayAt(now time.Time) *queueDay {
	y, m, d := now.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	if !q.day.start.Equal(start) {
		q.day = queueDay{start: start}
	}
	return &q.day
}

// waitResult is how a caller left its queue.
type waitResult uint8

const (
	leftAnswered  waitResult = iota + 1 // bridged to an agent
	leftAbandoned                       // hung up (or was hung up) while waiting
	leftOverflow                        // sent on by the overflow
)

// turnedAway counts a caller sent on by queue q's overflow before it
// entered (the queue full, closed or with nobody logged in).
func (r *router) turnedAway(q QueueID) {
	now := r.e.now()
	r.mu.Lock()
	rq := r.byID[q]
	if rq != nil {
		d := rq.dayAt(now)
		d.entered++
		d.overfl++
	}
	r.mu.Unlock()
	if rq != nil {
		r.publish(rq)
	}
}

// leave takes w out of its queue and counts how.
func (r *router) leave(w *waiter, how waitResult) {
	now := r.e.now()
	r.mu.Lock()
	if w.left {
		r.mu.Unlock()
		return
	}
	w.left = true
	// An offer on its way to an agent goes to the agent's next caller.
	var again AgentID
	if w.offer != 0 && w.offer != selfOffer {
		again = w.offer
	}
	r.endOffer(w)
	rq := w.q
	if i := slices.Index(rq.waiting, w); i >= 0 {
		rq.waiting = slices.Delete(rq.waiting, i, i+1)
	}
	d := rq.dayAt(now)
	switch how {
	case leftAnswered:
		d.answered++
		wait := now.Sub(w.entered)
		d.waitSum += wait
		if wait <= time.Duration(rq.q.ServiceLevelSeconds)*time.Second {
			d.inSL++
		}
	case leftAbandoned:
		d.abandoned++
	case leftOverflow:
		d.overfl++
	}
	if rq.gone && len(rq.waiting) == 0 {
		delete(r.byID, rq.q.ID)
	}
	r.mu.Unlock()
	r.publish(rq)
	if again != 0 {
		r.redispatch(again)
	}
}

// claim marks w as looking for an agent itself: false when an offer is
// already on its way to it or an agent is seated.
func (r *router) claim(w *waiter) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.left || w.seated || w.offer != 0 && w.offer != selfOffer {
		return false
	}
	w.offer = selfOffer
	return true
}

// unclaim ends an offer or a search that seated nobody.
func (r *router) unclaim(w *waiter) {
	r.mu.Lock()
	r.endOffer(w)
	r.mu.Unlock()
}

// endOffer clears w's offer or search. Called with mu held.
func (r *router) endOffer(w *waiter) {
	if w.offer != 0 && w.offer != selfOffer && r.offered[w.offer] == w {
		delete(r.offered, w.offer)
	}
	w.offer = 0
}

// offerBest picks the caller READY agent id should take and marks it
// offered; nil when none, or when an offer to id is on its way already.
// Called with mu held.
func (r *router) offerBest(id AgentID, ms []rmember, now time.Time) *waiter {
	if _, busy := r.offered[id]; busy {
		return nil
	}
	w := r.bestFor(id, ms, now)
	if w != nil {
		w.offer = id
		r.offered[id] = w
	}
	return w
}

// seat records that agent a took w's offer: w is not offered again while
// the agent's phone rings, and round-robin moves on past a.
func (r *router) seat(w *waiter, a AgentID) {
	r.mu.Lock()
	r.endOffer(w)
	w.seated = true
	if m, ok := w.q.members[a]; ok {
		w.q.cursor = ring.CursorOf(ring.Candidate{ID: agentKey(a), Position: m.Position})
	}
	r.mu.Unlock()
}

// unseat puts w back in line after its agent missed or dropped the
// call.
func (r *router) unseat(w *waiter) {
	r.mu.Lock()
	r.endOffer(w)
	w.seated = false
	r.mu.Unlock()
}

// holdBack keeps agent a from being offered w again for hold (and a
// second more).
func (r *router) holdBack(w *waiter, a AgentID, hold time.Duration) {
	r.mu.Lock()
	if w.missed == nil {
		w.missed = map[AgentID]time.Time{}
	}
	w.missed[a] = r.e.now().Add(hold + time.Second)
	r.mu.Unlock()
}

// plan lists the READY members w may be offered now, in the queue's ring
// order, and when the earliest missed agent may be offered it again (zero
// if none is held back).
func (r *router) plan(w *waiter) (order []AgentID, retry time.Time, all bool) {
	now := r.e.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rq := w.q
	cands := make([]ring.Candidate, 0, len(rq.members))
	for id, m := range rq.members {
		st, ok := r.agents[id]
		if !ok || st.state != AgentReady {
			continue
		}
		if !hasSkills(m.Skills, w.skills) {
			continue
		}
		if until, ok := w.missed[id]; ok && now.Before(until) {
			if retry.IsZero() || until.Before(retry) {
				retry = until
			}
			continue
		}
		cands = append(cands, ring.Candidate{ID: agentKey(id), Available: true, IdleSince: st.since,
			Calls: st.calls, Talk: st.talk, Rank: m.Rank, Position: m.Position})
	}
	all = rq.q.Strategy == ring.RingAll
	p, err := ring.Build(rq.q.Ring(), cands, rq.cursor, now, r.rnd)
	if err != nil {
		r.e.log.Warn("queue ring plan", "queue", rq.q.Name, "err", err)
		return nil, retry, all
	}
	for _, wv := range p.Waves {
		for _, c := range wv.Agents {
			id, _ := strconv.ParseInt(c.ID, 10, 64)
			order = append(order, AgentID(id))
		}
	}
	return order, retry, all
}

// gap is the pause before the next agent after a missed offer.
func (r *router) gap(w *waiter) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return w.q.q.Ring().Pause(r.rnd)
}

// missed counts an agent's missed offer against the queue's no-answer
// rule: true when the agent is to be paused.
func (r *router) missed(a AgentID, w *waiter) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, v := w.q.q.NoAnswer().Missed(r.streak[a])
	r.streak[a] = s
	return v.Pause
}

// answered ends an agent's streak of missed offers.
func (r *router) answered(a AgentID) {
	r.mu.Lock()
	delete(r.streak, a)
	r.mu.Unlock()
}

// agentState follows an agent's published state: a member that becomes
// READY is offered the best caller waiting for it.
func (r *router) agentState(id AgentID, st AgentStatus) {
	t := st.TotalsAt(r.e.now())
	r.follow(id, rstate{state: st.State, since: st.Since, calls: int(st.Calls), talk: t.InCall, mark: stateMark{st.Seq, st.LoginAt}})
}

// agentView follows an agent's published view (a reload of the queues
// learns the members already logged in from them).
func (r *router) agentView(v AgentView) {
	r.follow(v.ID, rstate{state: v.State, since: v.Since, calls: int(v.Stats.Calls), talk: time.Duration(v.Stats.TalkSec) * time.Second, mark: stateMark{v.seq, v.login}})
}

func (r *router) follow(id AgentID, s rstate) {
	if r.e.line(id) == nil {
		// Logged in on another service's engine: its callers are its own.
		s.state = AgentLoggedOut
	}
	now := r.e.now()
	r.mu.Lock()
	if last, ok := r.seen[id]; ok {
		if s.mark.login.IsZero() {
			s.mark.login = last.login
		}
		if s.mark.older(last) {
			r.mu.Unlock()
			return
		}
	}
	r.seen[id] = s.mark
	ms := r.member[id]
	if len(ms) == 0 {
		delete(r.agents, id)
		r.mu.Unlock()
		return
	}
	old, had := r.agents[id]
	if s.state == AgentLoggedOut {
		delete(r.agents, id)
		delete(r.streak, id)
	} else {
		r.agents[id] = s
	}
	var w *waiter
	if s.state == AgentReady {
		w = r.offerBest(id, ms, now)
	}
	changed := !had || (old.state == AgentReady) != (s.state == AgentReady) || s.state == AgentLoggedOut
	var qs []*rqueue
	if changed {
		qs = make([]*rqueue, len(ms))
		for i, m := range ms {
			qs[i] = m.q
		}
	}
	r.mu.Unlock()
	if w != nil {
		w.c.post(offerMsg{agent: id})
	}
	for _, q := range qs {
		r.publish(q)
	}
}

// redispatch offers a READY agent that a caller could not use to the next
// best caller.
func (r *router) redispatch(id AgentID) {
	r.mu.Lock()
	var w *waiter
	if st, ok := r.agents[id]; ok && st.state == AgentReady {
		w = r.offerBest(id, r.member[id], r.e.now())
	}
	r.mu.Unlock()
	if w != nil {
		w.c.post(offerMsg{agent: id})
	}
}

// bestFor is the caller agent id should take among its queues, or nil.
func (r *router) bestFor(id AgentID, ms []rmember, now time.Time) *waiter {
	var best *waiter
	bestOrder := 0
	for _, m := range ms {
		for _, w := range m.q.waiting {
			if w.offer != 0 || w.seated || !hasSkills(m.m.Skills, w.skills) {
				continue
			}
			if until, ok := w.missed[id]; ok && now.Before(until) {
				continue
			}
			// The first free caller is this queue's best: the list is in
			// service order.
			if best == nil || w.prio > best.prio || w.prio == best.prio &&
				(m.m.Order < bestOrder || m.m.Order == bestOrder && w.seq < best.seq) {
				best, bestOrder = w, m.m.Order
			}
			break
		}
	}
	return best
}

// membersIn reports how many members of w's queue are logged in.
func (r *router) loggedIn(q QueueID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	rq := r.byID[q]
	if rq == nil {
		return 0
	}
	n := 0
	for id := range rq.members {
		if _, ok := r.agents[id]; ok {
			n++
		}
	}
	return n
}

// waitingIn counts the callers in queue q.
func (r *router) waitingIn(q QueueID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rq := r.byID[q]; rq != nil {
		return len(rq.waiting)
	}
	return 0
}

// position is w's place in line (1 first) and the wait announced to it:
// the queue's average answered wait today, or zero when nothing was
// answered yet.
func (r *router) position(w *waiter) (int, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := slices.Index(w.q.waiting, w) + 1
	d := w.q.day
	if d.answered == 0 {
		return p, 0
	}
	return p, d.waitSum / time.Duration(d.answered)
}

// QueueView is a queue's live figures.
type QueueView struct {
	ID   QueueID `json:"id"`
	Name string  `json:"name"`
	// Waiting callers, and when the longest-waiting one arrived.
	Waiting      int       `json:"waiting"`
	OldestSince  time.Time `json:"oldest_since,omitzero"`
	AgentsLogged int       `json:"agents_logged_in"`
	AgentsReady  int       `json:"agents_ready"`
	// Today's counts, since DayStart (the service's local midnight).
	DayStart     time.Time `json:"day_start"`
	Entered      int       `json:"entered"`
	Answered     int       `json:"answered"`
	AnsweredInSL int       `json:"answered_in_sl"`
	Abandoned    int       `json:"abandoned"`
	Overflowed   int       `json:"overflowed"`
	// ServiceLevel is the share answered within ServiceLevelSeconds of the
	// calls answered or abandoned today; nil before the first.
	ServiceLevel        *float64 `json:"service_level,omitempty"`
	ServiceLevelSeconds int      `json:"service_level_seconds"`
	// AvgWaitSeconds is the average wait of today's answered calls.
	AvgWaitSeconds float64 `json:"avg_wait_seconds"`
}

func (r *router) viewLocked(rq *rqueue, now time.Time) QueueView {
	d := rq.dayAt(now)
	v := QueueView{ID: rq.q.ID, Name: rq.q.Name, Waiting: len(rq.waiting), DayStart: d.start,
		Entered: d.entered, Answered: d.answered, AnsweredInSL: d.inSL, Abandoned: d.abandoned, Overflowed: d.overfl,
		ServiceLevelSeconds: rq.q.ServiceLevelSeconds}
	for _, w := range rq.waiting {
		if v.OldestSince.IsZero() || w.entered.Before(v.OldestSince) {
			v.OldestSince = w.entered
		}
	}
	for id := range rq.members {
		if st, ok := r.agents[id]; ok {
			v.AgentsLogged++
			if st.state == AgentReady {
				v.AgentsReady++
			}
		}
	}
	if n := d.answered + d.abandoned; n > 0 {
		sl := float64(d.inSL) / float64(n)
		v.ServiceLevel = &sl
	}
	if d.answered > 0 {
		v.AvgWaitSeconds = (d.waitSum / time.Duration(d.answered)).Seconds()
	}
	return v
}

// views lists every queue's figures by name.
func (r *router) views() []QueueView {
	now := r.e.now()
	r.mu.Lock()
	out := make([]QueueView, 0, len(r.byID))
	for _, rq := range r.byID {
		out = append(out, r.viewLocked(rq, now))
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b QueueView) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// publish pushes a queue's figures to the supervisors' streams.
func (r *router) publish(rq *rqueue) {
	now := r.e.now()
	r.mu.Lock()
	v := r.viewLocked(rq, now)
	r.mu.Unlock()
	r.e.publish(LiveEvent{Type: EvQueueStats, At: now, QueueView: &v})
}

func agentKey(id AgentID) string { return strconv.FormatInt(int64(id), 10) }
