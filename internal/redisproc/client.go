package redisproc

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// ClientOptions parses a redis:// (rediss://, unix://) URL into the options
// the service uses: no client-identity call and no cloud maintenance
// handshake, which a plain redis-server answers with errors on every
// connection. While Redis is down a command fails after one retry of one
// dial (tens of milliseconds), so callers answer 503 at once rather than
// after go-redis's default 4 tries of 5 dials (about 1.7 s on loopback); a
// max_retries in the URL still wins.
func ClientOptions(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	o.DialerRetries = 1
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return o, nil
}

// LogTo sends go-redis's own messages (a line for every failed dial while
// Redis is down) to log at debug level: the service reports an outage once,
// from its store and supervisor.
func LogTo(log *slog.Logger) { redis.SetLogger(debugLogger{log}) }

type debugLogger struct{ log *slog.Logger }

func (l debugLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
}
