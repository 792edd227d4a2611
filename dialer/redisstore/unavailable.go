package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
)

// unavailableHook marks a Redis that cannot be reached (refused, reset,
// timed out, no free connection) as dialer.ErrUnavailable: the API then
// answers 503, retry, instead of 500, and callers can tell an outage
// from a bug. Redis's own error replies pass unchanged. down keeps the
// last command's verdict for Store.Unreachable.
type unavailableHook struct{ down *atomic.Pointer[error] }

// note records whether a command reached Redis and returns its error,
// marked ErrUnavailable when it did not.
func (h unavailableHook) note(err error) error {
	if !unreachable(err) {
		if !errors.Is(err, dialer.ErrUnavailable) {
			h.down.Store(nil)
		}
		return err
	}
	err = fmt.Errorf("%w: redis: %w", dialer.ErrUnavailable, err)
	h.down.Store(&err)
	return err
}

func (unavailableHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h unavailableHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := h.note(next(ctx, cmd))
		if errors.Is(err, dialer.ErrUnavailable) {
			cmd.SetErr(err)
		}
		return err
	}
}

func (h unavailableHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := h.note(next(ctx, cmds))
		if errors.Is(err, dialer.ErrUnavailable) {
			for _, c := range cmds {
				if unreachable(c.Err()) {
					c.SetErr(err)
				}
			}
		}
		return err
	}
}

func unreachable(err error) bool {
	if err == nil || errors.Is(err, dialer.ErrUnavailable) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, redis.ErrPoolTimeout)
}
