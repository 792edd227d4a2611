package dialer

import (
	"context"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/internal/mailbox"
)

// queueList is the part of a QueueStore the router's load reads.
type queueList struct {
	QueueStore
	qs []Queue
	ms map[QueueID][]QueueMember
}

func (l queueList) ListQueues(context.Context) ([]Queue, error) { return l.qs, nil }
func (l queueList) QueueMembers(_ context.Context, id QueueID) ([]QueueMember, error) {
	return l.ms[id], nil
}

// routerWorld is a router over one queue whose agents are all members,
// on an engine with just what the router touches; the callers' offers
// are held in their mailboxes, unhandled.
func routerWorld(t *testing.T, agents ...AgentID) (*router, QueueID) {
	t.Helper()
	now := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	e := &Engine{now: func() time.Time { return now }, hub: newHub(0), lines: map[AgentID]*line{}, ctx: context.Background()}
	q := Queue{ID: 1, QueueSettings: DefaultQueueSettings()}
	q.Name, q.Strategy = "sales", ring.LongestIdle
	ms := make([]QueueMember, len(agents))
	for i, a := range agents {
		e.lines[a] = &line{}
		ms[i] = QueueMember{Agent: a, Position: i + 1}
	}
	r := newRouter(e, 1)
	e.router = r
	if err := r.load(context.Background(), queueList{qs: []Queue{q}, ms: map[QueueID][]QueueMember{q.ID: ms}}); err != nil {
		t.Fatal(err)
	}
	return r, q.ID
}

// waitingCaller puts a caller with priority prio in line, done looking
// for an agent itself.
func waitingCaller(t *testing.T, r *router, q QueueID, prio int) *waiter {
	t.Helper()
	c := &call{e: r.e}
	c.inbox = mailbox.NewHeldActor(&r.e.group, func([]any) {})
	w, err := r.enter(c, q, prio, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.unclaim(w)
	return w
}

// TestRouterOneOfferPerAgent: an agent's READY state published again
// while its offer is on its way (its own change coming back from the live
// store) does not offer it a second caller; once the offer is settled
// without it, or its caller leaves, the agent gets the next one.
func TestRouterOneOfferPerAgent(t *testing.T) {
	r, q := routerWorld(t, 7)
	low := waitingCaller(t, r, q, 0)
	high := waitingCaller(t, r, q, 5)
	ready := rstate{state: AgentReady, since: r.e.now()}

	r.follow(7, ready)
	if high.offer != 7 || low.offer != 0 || high.c.inbox.Len() != 1 {
		t.Fatalf("first READY: high offered %d (%d posts), low %d", high.offer, high.c.inbox.Len(), low.offer)
	}
	r.follow(7, ready)
	if low.offer != 0 || low.c.inbox.Len() != 0 {
		t.Fatalf("READY again: low offered %d with %d posts", low.offer, low.c.inbox.Len())
	}

	// The caller was taken by another agent meanwhile: this one goes to
	// the next caller.
	r.seat(high, 8)
	r.redispatch(7)
	if low.offer != 7 || low.c.inbox.Len() != 1 {
		t.Fatalf("after the first offer: low offered %d", low.offer)
	}

	// A caller hanging up with an offer on its way hands the agent on.
	third := waitingCaller(t, r, q, 0)
	r.leave(low, leftAbandoned)
	if third.offer != 7 || third.c.inbox.Len() != 1 {
		t.Fatalf("after the caller left: next offered %d", third.offer)
	}
	r.seat(third, 7)
	if _, busy := r.offered[7]; busy {
		t.Fatal("the agent still has an offer once seated")
	}
}
