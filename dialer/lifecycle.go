package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrDraining refuses a new call while the service stops (503).
	ErrDraining = fmt.Errorf("%w: draining", ErrUnavailable)
	// ErrMaxCallDuration ends a call that lasted EngineConfig.MaxCallDuration.
	ErrMaxCallDuration = errors.New("the call reached its maximum duration")
	// errCallOver ends a call's context once its goroutine is done.
	errCallOver = errors.New("call over")
	// errEngineStopped ends the engine's context, and its calls'.
	errEngineStopped = errors.New("engine stopped")
)

// endCall asks a call's goroutine to end the call from the service's side.
type endCall struct{ why error }

// drainEndWait bounds how long Drain waits for the calls it ended to close
// their records.
const drainEndWait = 10 * time.Second

// accepting refuses new calls once Drain has begun.
func (e *Engine) accepting() error {
	if e.draining.Load() {
		return ErrDraining
	}
	return nil
}

// Draining reports whether Drain has begun.
func (e *Engine) Draining() bool { return e.draining.Load() }

// Drain stops the engine taking new calls, lets live calls end on their
// own until ctx ends, then ends those left (legs hung up, records closed,
// agents to wrap-up) and waits for every record to be written. Run goes on
// until its own context ends.
func (e *Engine) Drain(ctx context.Context) error {
	e.draining.Store(true)
	e.log.Info("draining: taking no new calls", "live_calls", len(e.liveCalls()))
	if e.waitCalls(ctx, false) {
		e.log.Info("drained: no live calls")
	} else {
		e.log.Warn("drain timeout: ending the calls still up", "live_calls", len(e.liveCalls()))
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainEndWait)
		defer cancel()
		if !e.waitCalls(ectx, true) {
			return fmt.Errorf("dialer: drain: %d calls did not end", len(e.liveCalls()))
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainEndWait)
	defer cancel()
	if err := e.cdr.flush(fctx); err != nil {
		return fmt.Errorf("dialer: drain: call records not flushed: %w", err)
	}
	return nil
}

// waitCalls waits until no call is live, or ctx ends (false). With end
// set, each live call is told to end first.
func (e *Engine) waitCalls(ctx context.Context, end bool) bool {
	told := map[*call]bool{}
	for {
		left := e.liveCalls()
		if len(left) == 0 {
			return true
		}
		for _, c := range left {
			if end && !told[c] {
				told[c] = true
				c.post(endCall{why: ErrDraining})
			}
		}
		select {
		case <-left[0].over:
		case <-ctx.Done():
			return false
		}
	}
}

func (e *Engine) liveCalls() []*call {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*call
	for _, c := range e.byID {
		if !c.ended.Load() {
			out = append(out, c)
		}
	}
	return out
}

// refuseInbound hangs up a caller who arrived while the service drains;
// off the event goroutine, as it is switch I/O.
func (e *Engine) refuseInbound(leg LegID) {
	e.log.Warn("inbound call refused: the service is draining", "leg", leg)
	e.group.Go(func() {
		if err := e.sw.Kill(e.ctx, string(leg), "NORMAL_TEMPORARY_FAILURE"); err != nil {
			e.log.Warn("refused inbound call not hung up", "leg", leg, "err", err)
		}
	})
}

// after posts m to the call once d has passed, unless the call is over.
func (c *call) after(d time.Duration, m any) *time.Timer {
	return time.AfterFunc(d, func() {
		if c.ctx.Err() == nil {
			c.post(m)
		}
	})
}

// end hangs the call up from the service's side (drain, maximum duration):
// its own legs are killed (an agent's persistent line stays with the
// agent) and the record is closed now, not on the switch's hangups.
func (c *call) end(ctx context.Context, why error) {
	cause := "SYSTEM_SHUTDOWN"
	if errors.Is(why, ErrMaxCallDuration) {
		cause = "ALLOTTED_TIMEOUT"
	}
	c.endedBy = why
	c.log.Warn("the service ends the call", "reason", why, "cause", cause)
	c.progress(CallProgress{Kind: "ended_by_service", Data: jsonData(map[string]any{"reason": why.Error(), "cause": cause})})
	now := c.e.now()
	for _, l := range c.legs {
		if l.state == LegGone || l.persistent || l.retired {
			continue
		}
		if err := c.e.sw.Kill(ctx, string(l.id), cause); err != nil {
			c.log.Warn("could not hang up a leg", "leg", l.id, "err", err)
		}
		l.state, l.cause, l.endedAt = LegGone, cause, now
		c.legEnded(ctx, l)
	}
	c.leadCause = cause
	c.feed(ctx, callInput{kind: inHangup, role: LegLead})
}
