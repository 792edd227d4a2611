package memlive

import (
	"context"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// WebRTCCredentials is dialer.WebRTCCredentials in memory; the contract
// suite (dialer/livestoretest.RunWebRTCCredentials) holds it to
// redisstore's behaviour. A credential ends at its ExpiresAt, read on
// the clock Lookup is given.
type WebRTCCredentials struct {
	mu sync.Mutex
	m  map[dialer.AgentID]dialer.WebRTCCredential
}

var _ dialer.WebRTCCredentials = (*WebRTCCredentials)(nil)

// NewWebRTCCredentials returns an empty store.
func NewWebRTCCredentials() *WebRTCCredentials {
	return &WebRTCCredentials{m: map[dialer.AgentID]dialer.WebRTCCredential{}}
}

// Issue implements dialer.WebRTCCredentials.
func (s *WebRTCCredentials) Issue(_ context.Context, c dialer.WebRTCCredential, ttl time.Duration) error {
	if err := dialer.ValidateWebRTCIssue(c, ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[c.Agent] = c
	return nil
}

// Lookup implements dialer.WebRTCCredentials.
func (s *WebRTCCredentials) Lookup(_ context.Context, agent dialer.AgentID, now time.Time) (dialer.WebRTCCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[agent]
	if !ok || !now.Before(c.ExpiresAt) {
		return dialer.WebRTCCredential{}, dialer.ErrNotFound
	}
	return c, nil
}

// Revoke implements dialer.WebRTCCredentials.
func (s *WebRTCCredentials) Revoke(_ context.Context, agent dialer.AgentID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, agent)
	return nil
}
