// Package clock is the service's wall clock: time.Now, moved by a fixed
// offset when AGENTSWITCH_CLOCK_OFFSET says so, so that a whole run (the
// service and every test tier) can be made to live on another date and
// nothing that depends on today's date goes unnoticed. Components take
// their clock injected; System is what they use when given none.
package clock

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// EnvOffset names the variable that moves the clock, as a Go duration
// ("8760h" is a year ahead, "-720h" a month back).
const EnvOffset = "AGENTSWITCH_CLOCK_OFFSET"

// ParseOffset reads an offset; "" is none.
func ParseOffset(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("a duration such as 8760h or -24h: %w", err)
	}
	return d, nil
}

// New is the real clock moved by d.
func New(d time.Duration) func() time.Time {
	if d == 0 {
		return time.Now
	}
	return func() time.Time { return time.Now().Add(d) }
}

var system = sync.OnceValue(func() func() time.Time {
	// An offset that does not parse is refused, naming the variable, by
	// the service's configuration; here it moves nothing.
	d, _ := ParseOffset(os.Getenv(EnvOffset))
	return New(d)
})

// System is the real clock moved by AGENTSWITCH_CLOCK_OFFSET, read once.
func System() func() time.Time { return system() }

// Manual is a clock that moves only when told to, for tests: inject its
// Now into every component that should share it.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual starts a manual clock at t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now is the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
