package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentswitch/agentswitch/dialer"
)

// Hopper is the Redis implementation of dialer.Hopper: per campaign a
// sorted set of waiting leads (score: rank) and one of claimed leads
// (score: claim deadline, ms), changed only by the scripts below, so a
// claim is one atomic step whatever the number of service processes.
type Hopper struct {
	c redis.UniversalClient
	p string
}

var _ dialer.Hopper = (*Hopper)(nil)

// Hopper returns the campaigns' hoppers on the store's client and prefix
// (an unreachable Redis is dialer.ErrUnavailable there too).
func (s *Store) Hopper() *Hopper { return &Hopper{c: s.c, p: s.k.p} }

func (h *Hopper) keys(campaign dialer.CampaignID) []string {
	base := h.p + keyHopper + campaign.String()
	return []string{base, base + keyClaimsSuffix}
}

// hopperPushScript: KEYS waiting, claimed; ARGV rank, lead pairs. A lead
// waiting keeps its rank (NX), a claimed one is not added.
var hopperPushScript = redis.NewScript(`
local added = 0
for i = 1, #ARGV, 2 do
  local lead = ARGV[i + 1]
  if not redis.call('ZSCORE', KEYS[2], lead) then
    added = added + redis.call('ZADD', KEYS[1], 'NX', ARGV[i], lead)
  end
end
return added`)

// hopperClaimScript: KEYS waiting, claimed; ARGV deadline (ms). The
// lowest-ranked waiting lead moves to the claimed set.
var hopperClaimScript = redis.NewScript(`
local top = redis.call('ZPOPMIN', KEYS[1])
if #top == 0 then return false end
redis.call('ZADD', KEYS[2], ARGV[1], top[1])
return top[1]`)

// hopperLapsedScript: KEYS claimed; ARGV now (ms), batch. Claims past
// their deadline end.
var hopperLapsedScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids`)

// Push implements dialer.Hopper.
func (h *Hopper) Push(ctx context.Context, campaign dialer.CampaignID, entries []dialer.HopperEntry) (int, error) {
	if err := dialer.ValidateHopperPush(campaign, entries); err != nil {
		return 0, err
	}
	added := 0
	// Batches keep each script run short: Redis runs nothing else meanwhile.
	for len(entries) > 0 {
		n := min(len(entries), sweepBatch)
		args := make([]any, 0, 2*n)
		for _, e := range entries[:n] {
			args = append(args, strconv.FormatFloat(e.Rank, 'g', -1, 64), e.Lead.String())
		}
		v, err := hopperPushScript.Run(ctx, h.c, h.keys(campaign), args...).Int()
		if err != nil {
			return added, err
		}
		added += v
		entries = entries[n:]
	}
	return added, nil
}

// Claim implements dialer.Hopper.
func (h *Hopper) Claim(ctx context.Context, campaign dialer.CampaignID, lease time.Duration, now time.Time) (dialer.LeadID, bool, error) {
	if err := dialer.ValidateHopperClaim(campaign, lease); err != nil {
		return 0, false, err
	}
	v, err := hopperClaimScript.Run(ctx, h.c, h.keys(campaign), now.Add(lease).UnixMilli()).Text()
	if err == redis.Nil {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, err
	}
	return dialer.LeadID(id), true, nil
}

// Done implements dialer.Hopper.
func (h *Hopper) Done(ctx context.Context, campaign dialer.CampaignID, lead dialer.LeadID) error {
	return h.c.ZRem(ctx, h.keys(campaign)[1], lead.String()).Err()
}

// Remove implements dialer.Hopper.
func (h *Hopper) Remove(ctx context.Context, campaign dialer.CampaignID, lead dialer.LeadID) (bool, error) {
	k := h.keys(campaign)
	var a, b *redis.IntCmd
	_, err := h.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		a = p.ZRem(ctx, k[0], lead.String())
		b = p.ZRem(ctx, k[1], lead.String())
		return nil
	})
	if err != nil {
		return false, err
	}
	return a.Val()+b.Val() > 0, nil
}

// Lapsed implements dialer.Hopper.
func (h *Hopper) Lapsed(ctx context.Context, campaign dialer.CampaignID, now time.Time) ([]dialer.LeadID, error) {
	var out []dialer.LeadID
	for {
		ids, err := hopperLapsedScript.Run(ctx, h.c, h.keys(campaign)[1:], now.UnixMilli(), sweepBatch).StringSlice()
		if err != nil {
			return out, err
		}
		for _, s := range ids {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				out = append(out, dialer.LeadID(id))
			}
		}
		if len(ids) < sweepBatch {
			return out, nil
		}
	}
}

// Len implements dialer.Hopper.
func (h *Hopper) Len(ctx context.Context, campaign dialer.CampaignID) (int, error) {
	n, err := h.c.ZCard(ctx, h.keys(campaign)[0]).Result()
	return int(n), err
}

// Clear implements dialer.Hopper.
func (h *Hopper) Clear(ctx context.Context, campaign dialer.CampaignID) error {
	return h.c.Del(ctx, h.keys(campaign)...).Err()
}
