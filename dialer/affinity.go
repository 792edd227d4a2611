package dialer

import (
	"context"
	"errors"
)

// Multi-node affinity. uuid_bridge, conferences and eavesdrop work within
// one FreeSWITCH, so every leg of a call lives on the call's node (c.node,
// the lead's): a ring-mode agent's phone, a party and a monitor are
// originated there, and a persistent agent, whose line stays on the node
// it was originated on, takes only calls on that node. The live store
// keeps each line's node (SetLineNode) and reservations filter on the
// call's node; the engine checks the line again before bridging.

// errOtherNode refuses a transfer or a party to an agent whose line is on
// another node.
func errOtherNode() error {
	return &FieldError{Field: "agent_id", Reason: "that agent's line is on another switch node"}
}

// lineNode is the node of a persistent agent's line ("" for none).
func (l *line) lineNode() string {
	s := l.state()
	if s.mode != ModePersistent {
		return ""
	}
	return s.legNode
}

// elsewhere reports whether the agent's line is on another node than the
// call.
func (c *call) elsewhere(l *line) bool {
	n := l.lineNode()
	return c.node != "" && n != "" && n != c.node
}

// lineElsewhere checks a persistent agent just reserved for the call: one
// whose line is on another node is released (READY again, in its place,
// not paused) and the store is told where the line is, so the next
// reservation passes it by.
func (c *call) lineElsewhere(ctx context.Context, id AgentID, l *line) bool {
	if !c.elsewhere(l) {
		return false
	}
	e := c.e
	node := l.lineNode()
	c.log.Warn("the reserved agent's line is on another switch node; released", "agent_id", id, "line_node", node, "call_node", c.node)
	if err := e.live.SetLineNode(ctx, id, node); err != nil {
		c.log.Warn("the agent's line node not recorded", "agent_id", id, "err", err)
	}
	_, _ = e.live.Release(ctx, id, c.id, "line on another switch node", e.now())
	e.refreshAgent(ctx, id)
	return true
}

// reserveNamed books the agent a transfer or a party goes to, on the
// call's node.
func (c *call) reserveNamed(ctx context.Context, target AgentID, reason string) (*line, Reservation, error) {
	e := c.e
	l := e.line(target)
	if l == nil {
		return nil, Reservation{}, &FieldError{Field: "agent_id", Reason: "that agent is not logged in"}
	}
	r, err := e.live.ReserveAgent(ctx, target, ReserveRequest{Call: c.id, Node: c.node, Lease: e.cfg.Lease, Reason: reason, At: e.now()})
	switch {
	case errors.Is(err, ErrStateMismatch):
		return nil, Reservation{}, &FieldError{Field: "agent_id", Reason: "that agent is not READY"}
	case errors.Is(err, ErrOtherNode):
		return nil, Reservation{}, errOtherNode()
	case err != nil:
		return nil, Reservation{}, err
	case r.Mode == ModePersistent && c.lineElsewhere(ctx, target, l):
		return nil, Reservation{}, errOtherNode()
	}
	return l, r, nil
}
