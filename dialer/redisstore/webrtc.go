package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
)

// WebRTCCredentials is the Redis implementation of
// dialer.WebRTCCredentials: one string per agent (P webrtc:<id>) with the
// credential's ttl as the key's, so a credential nobody revoked still
// goes away.
type WebRTCCredentials struct {
	c redis.UniversalClient
	p string
}

var _ dialer.WebRTCCredentials = (*WebRTCCredentials)(nil)

// WebRTCCredentials returns the browser credentials on the store's client
// and prefix (an unreachable Redis is dialer.ErrUnavailable there too).
func (s *Store) WebRTCCredentials() *WebRTCCredentials {
	return &WebRTCCredentials{c: s.c, p: s.k.p}
}

// wireWebRTC is the JSON value of P webrtc:<id>.
type wireWebRTC struct {
	User    string `json:"user"`
	A1Hash  string `json:"a1"`
	Expires int64  `json:"exp,string"` // ms
}

func (w *WebRTCCredentials) key(agent dialer.AgentID) string {
	return w.p + keyWebRTC + agent.String()
}

// Issue implements dialer.WebRTCCredentials.
func (w *WebRTCCredentials) Issue(ctx context.Context, c dialer.WebRTCCredential, ttl time.Duration) error {
	if err := dialer.ValidateWebRTCIssue(c, ttl); err != nil {
		return err
	}
	v, err := json.Marshal(wireWebRTC{User: c.User, A1Hash: c.A1Hash, Expires: c.ExpiresAt.UnixMilli()})
	if err != nil {
		return err
	}
	return w.c.Set(ctx, w.key(c.Agent), v, ttl).Err()
}

// Lookup implements dialer.WebRTCCredentials.
func (w *WebRTCCredentials) Lookup(ctx context.Context, agent dialer.AgentID, now time.Time) (dialer.WebRTCCredential, error) {
	v, err := w.c.Get(ctx, w.key(agent)).Bytes()
	if errors.Is(err, redis.Nil) {
		return dialer.WebRTCCredential{}, dialer.ErrNotFound
	}
	if err != nil {
		return dialer.WebRTCCredential{}, err
	}
	var wc wireWebRTC
	if err := json.Unmarshal(v, &wc); err != nil {
		return dialer.WebRTCCredential{}, fmt.Errorf("redisstore: browser credential of agent %d: %w", agent, err)
	}
	c := dialer.WebRTCCredential{Agent: agent, User: wc.User, A1Hash: wc.A1Hash, ExpiresAt: time.UnixMilli(wc.Expires)}
	if !now.Before(c.ExpiresAt) {
		return dialer.WebRTCCredential{}, dialer.ErrNotFound
	}
	return c, nil
}

// Revoke implements dialer.WebRTCCredentials.
func (w *WebRTCCredentials) Revoke(ctx context.Context, agent dialer.AgentID) error {
	return w.c.Del(ctx, w.key(agent)).Err()
}
