package esl

import (
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with full jitter; reset after a
// connection succeeds so a flap after hours of uptime retries quickly.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) next() time.Duration {
	d := b.min << min(b.n, 30)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.n++
	// Full jitter spreads many nodes' (or many services') retries apart;
	// keep at least min so a refusing switch is not hammered.
	return b.min + rand.N(d-b.min+1)
}

func (b *backoff) reset() { b.n = 0 }

// attempts is how many failures in a row have happened.
func (b *backoff) attempts() int { return b.n }

// shouldLog reports the first failure and then every 10th, so a switch that
// stays down does not flood the log.
func (b *backoff) shouldLog() bool { return b.n <= 1 || b.n%10 == 0 }
