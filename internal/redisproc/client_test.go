package redisproc

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestClientFailsFastWhenDown: a command against a Redis that is not there
// dials at most twice, so an API call during an outage answers at once.
func TestClientFailsFastWhenDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		url       string
		wantDials int64
	}{
		{"redis://" + addr, 2},
		{"redis://" + addr + "?max_retries=-1", 1},
		{"redis://" + addr + "?max_retries=3", 4},
	} {
		o, err := ClientOptions(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var dials atomic.Int64
		o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		c := redis.NewClient(o)
		if err := c.Get(t.Context(), "k").Err(); err == nil || err == redis.Nil {
			t.Fatalf("%s: GET on a dead port: %v", tc.url, err)
		}
		c.Close()
		if got := dials.Load(); got != tc.wantDials {
			t.Errorf("%s: %d dials, want %d", tc.url, got, tc.wantDials)
		}
	}
}
