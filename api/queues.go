package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/dialer/ring"
)

// Inbound queues: admins configure them, supervisors read them, and an
// agent reads the queues it is a member of.

var errNoQueues = newHTTPError(http.StatusServiceUnavailable, "not configured: queue store")

func (s *Server) queueStore() (dialer.QueueStore, error) {
	if s.opts.Queues == nil {
		return nil, errNoQueues
	}
	return s.opts.Queues, nil
}

// queueParam is the store and the path's queue id.
func (s *Server) queueParam(c echo.Context) (dialer.QueueStore, dialer.QueueID, error) {
	st, err := s.queueStore()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID[dialer.QueueID](c, "id")
	return st, id, err
}

// normalizeQueue reads the strategy as typed (case, spaces) and the
// overflow number as typed numbers are read everywhere else.
func (s *Server) normalizeQueue(q *dialer.QueueSettings) error {
	st, err := ring.ParseStrategy(string(q.Strategy))
	if err != nil {
		return err
	}
	q.Strategy = st
	if q.Overflow.Number, err = phone.NormalizeOptional("overflow.number", q.Overflow.Number, s.opts.DefaultCountry); err != nil {
		return err
	}
	return nil
}

// queueTaken answers a name another queue has.
func queueTaken(err error) error {
	if errors.Is(err, dialer.ErrConflict) && !errors.Is(err, dialer.ErrStale) {
		return &httpError{code: http.StatusConflict, msg: "a queue has that name", field: "name"}
	}
	return err
}

func queueTarget(id dialer.QueueID) string { return "queue:" + id.String() }

func (s *Server) listQueues(c echo.Context, _ *principal) error {
	st, err := s.queueStore()
	if err != nil {
		return err
	}
	l, err := st.ListQueues(c.Request().Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []dialer.Queue{}
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": l})
}

func (s *Server) getQueue(c echo.Context, _ *principal) error {
	st, id, err := s.queueParam(c)
	if err != nil {
		return err
	}
	q, err := st.Queue(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}

// createQueue stores a queue; fields left out take the defaults
// (dialer.DefaultQueueSettings).
func (s *Server) createQueue(c echo.Context, p *principal) error {
	st, err := s.queueStore()
	if err != nil {
		return err
	}
	b := dialer.DefaultQueueSettings()
	if err := decode(c, &b); err != nil {
		return err
	}
	if err := s.normalizeQueue(&b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := st.CreateQueue(ctx, dialer.Queue{QueueSettings: b})
	if err != nil {
		return queueTaken(err)
	}
	s.directoryRecords.forget()
	s.audit(ctx, p, "queue.create", queueTarget(out.ID), map[string]any{"name": out.Name, "strategy": out.Strategy})
	s.queuesChanged(ctx)
	return c.JSON(http.StatusCreated, out)
}

// patchQueue changes the fields in the body over the version it names:
// a queue changed since that version is refused with 409, so that two
// admins never overwrite each other unknowingly.
func (s *Server) patchQueue(c echo.Context, p *principal) error {
	st, id, err := s.queueParam(c)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := decode(c, &body); err != nil {
		return err
	}
	rawVersion, ok := body["version"]
	if !ok {
		return fieldErr("version", "required: the version the change was made on")
	}
	delete(body, "version")
	var version int64
	if err := json.Unmarshal(rawVersion, &version); err != nil || version <= 0 {
		return fieldErr("version", "must be a positive integer")
	}
	ctx := c.Request().Context()
	q, err := st.Queue(ctx, id)
	if err != nil {
		return err
	}
	before := q.Name
	if err := resetOverflowTarget(body, &q.Overflow); err != nil {
		return err
	}
	if err := strictJSON(body, &q.QueueSettings); err != nil {
		return err
	}
	if err := s.normalizeQueue(&q.QueueSettings); err != nil {
		return err
	}
	q.Version = version
	out, err := st.UpdateQueue(ctx, q)
	if err != nil {
		return queueTaken(err)
	}
	s.directoryRecords.forget()
	s.audit(ctx, p, "queue.update", queueTarget(id), map[string]any{"name": out.Name, "previous_name": before, "version": out.Version})
	s.queuesChanged(ctx)
	return c.JSON(http.StatusOK, out)
}

// resetOverflowTarget clears the stored target when the patch names an
// overflow kind: each kind takes its own target, so a new kind starts
// from none rather than keeping the old kind's.
func resetOverflowTarget(body map[string]json.RawMessage, o *dialer.QueueOverflow) error {
	raw, ok := body["overflow"]
	if !ok {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return fieldErr("overflow", "must be an object")
	}
	if _, ok := keys["kind"]; ok {
		o.Queue, o.Number, o.Agent, o.Greeting = 0, "", 0, ""
	}
	return nil
}

func (s *Server) deleteQueue(c echo.Context, p *principal) error {
	st, id, err := s.queueParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := st.DeleteQueue(ctx, id); err != nil {
		return err
	}
	s.directoryRecords.forget()
	s.audit(ctx, p, "queue.delete", queueTarget(id), nil)
	s.queuesChanged(ctx)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getQueueMembers(c echo.Context, _ *principal) error {
	st, id, err := s.queueParam(c)
	if err != nil {
		return err
	}
	ms, err := st.QueueMembers(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"members": ms})
}

// putQueueMembers replaces the queue's members with the list given; a
// member without a position takes its place in the list.
func (s *Server) putQueueMembers(c echo.Context, p *principal) error {
	st, id, err := s.queueParam(c)
	if err != nil {
		return err
	}
	var b struct {
		Members *[]dialer.QueueMember `json:"members"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Members == nil {
		return fieldErr("members", "required: the whole list ([] removes everyone)")
	}
	for i, m := range *b.Members {
		if m.Queue != 0 && m.Queue != id {
			return fieldErr(fmt.Sprintf("members[%d].queue_id", i), "must be the path's queue or left out")
		}
	}
	ctx := c.Request().Context()
	ms, err := st.SetQueueMembers(ctx, id, *b.Members)
	if err != nil {
		return err
	}
	agents := make([]dialer.AgentID, len(ms))
	for i, m := range ms {
		agents[i] = m.Agent
	}
	s.audit(ctx, p, "queue.members", queueTarget(id), map[string]any{"agents": agents})
	s.queuesChanged(ctx)
	return c.JSON(http.StatusOK, map[string]any{"members": ms})
}

// agentQueue is one of an agent's queues: the membership and the
// queue's name and state.
type agentQueue struct {
	dialer.QueueMember
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// agentQueues lists the queues the agent is on, in its blending order;
// an agent may read its own.
func (s *Server) agentQueues(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	st, err := s.queueStore()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ms, err := st.AgentQueues(ctx, id)
	if err != nil {
		return err
	}
	out := make([]agentQueue, 0, len(ms))
	for _, m := range ms {
		q, err := st.Queue(ctx, m.Queue)
		if errors.Is(err, dialer.ErrNotFound) {
			continue // deleted since the list was read
		}
		if err != nil {
			return err
		}
		out = append(out, agentQueue{QueueMember: m, Name: q.Name, Active: q.Active})
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": out})
}

// queuesChanged has the engine read the queues again, so a change routes
// the next caller. The change is stored either way: a failed reload is
// logged, and the engine's next reload picks it up.
func (s *Server) queuesChanged(ctx context.Context) {
	if err := s.opts.Engine.ReloadQueues(ctx); err != nil {
		s.log.Warn("queues not reloaded by the engine", "err", err)
	}
}

// liveQueues lists every queue's live figures: callers waiting, longest
// wait, agents logged in and ready, today's counts and service level.
func (s *Server) liveQueues(c echo.Context, _ *principal) error {
	return c.JSON(http.StatusOK, map[string]any{"queues": s.opts.Engine.QueueViews()})
}

// callPriority moves a caller waiting in a queue to the place of the
// priority given: {"priority": -100..100}.
func (s *Server) callPriority(c echo.Context, p *principal) error {
	id, _, _, err := s.callParam(c, p)
	if err != nil {
		return err
	}
	var b struct {
		Priority *int `json:"priority"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	if b.Priority == nil {
		return fieldErr("priority", "required: -100 to 100, higher served first")
	}
	ctx := c.Request().Context()
	if err := s.engine.SetCallerPriority(ctx, p.Actor, id, *b.Priority); err != nil {
		return err
	}
	s.audit(ctx, p, "call.priority", "call:"+string(id), map[string]any{"priority": *b.Priority})
	return c.NoContent(http.StatusNoContent)
}
