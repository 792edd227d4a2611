package memlive_test

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/livestoretest"
	"github.com/agentswitch/agentswitch/dialer/memlive"
)

// TestContract runs the suite that dialer/redisstore runs on Redis.
func TestContract(t *testing.T) {
	livestoretest.Run(t, func(t *testing.T) livestoretest.Backend {
		s := memlive.New(func() time.Time { return livestoretest.T0 })
		return livestoretest.Backend{
			Store:    s,
			Raw:      s.Dump,
			Empty:    s.Empty,
			LoseData: s.Flush,
			Outage: func(*testing.T) (dialer.LiveStore, func()) {
				return s, func() { s.SetDown(true) }
			},
		}
	})
}

// TestHopperContract runs the hopper suite that dialer/redisstore runs on
// Redis; both "processes" share the one in-memory hopper.
func TestHopperContract(t *testing.T) {
	livestoretest.RunHopper(t, func(*testing.T) (dialer.Hopper, dialer.Hopper) {
		h := memlive.NewHopper()
		return h, h
	})
}

// TestWebRTCCredentialsContract runs the suite dialer/redisstore runs on
// Redis.
func TestWebRTCCredentialsContract(t *testing.T) {
	livestoretest.RunWebRTCCredentials(t, func(*testing.T) dialer.WebRTCCredentials {
		return memlive.NewWebRTCCredentials()
	})
}
