package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
)

// unavailableHook marks a Redis that cannot be reached (refused, reset,
// timed out, no free connection) as dialer.ErrUnavailable: the API then
// answers 503, retry, instead of 500, and callers can tell an outage
// from a bug. Redis's own error replies pass unchanged.
type unavailableHook struct{}

func (unavailableHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (unavailableHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if unreachable(err) {
			err = fmt.Errorf("%w: redis: %w", dialer.ErrUnavailable, err)
			cmd.SetErr(err)
		}
		return err
	}
}

func (unavailableHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if unreachable(err) {
			err = fmt.Errorf("%w: redis: %w", dialer.ErrUnavailable, err)
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
