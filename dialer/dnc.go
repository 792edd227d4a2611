package dialer

import (
	"context"
	"time"
)

// DNCEntry is one number on a do-not-call list: a campaign's, or the
// system-wide list (Campaign 0).
type DNCEntry struct {
	ID        int64      `json:"id"`
	Phone     string     `json:"phone"`
	Campaign  CampaignID `json:"campaign_id,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Scope names the list an entry is on, for people.
func (d DNCEntry) Scope() string {
	if d.Campaign == 0 {
		return "system-wide do-not-call list"
	}
	return "do-not-call list of campaign " + d.Campaign.String()
}

// DNCFilter pages one list: Campaign 0 is the system-wide list. Query
// keeps numbers starting with it ("+1415") or, when it is not a number
// prefix, entries whose reason contains it. After is the last id seen.
type DNCFilter struct {
	Campaign CampaignID
	Query    string
	After    int64
	Limit    int
}

// DNCStore manages the do-not-call lists beyond CampaignStore's AddDNC
// and IsDNC.
type DNCStore interface {
	// AddDNCNumbers adds numbers (E.164) to one list in one transaction,
	// cancelling their scheduled callbacks as AddDNC does, and returns
	// how many were not on it already.
	AddDNCNumbers(ctx context.Context, phones []string, campaign CampaignID, reason string, at time.Time) (int, error)
	// RemoveDNC takes the number off one list; ErrNotFound when absent.
	RemoveDNC(ctx context.Context, phone string, campaign CampaignID) error
	// DNCHits lists the entries blocking phone: the system-wide one and,
	// for campaign 0, every campaign's, else that campaign's.
	DNCHits(ctx context.Context, phone string, campaign CampaignID) ([]DNCEntry, error)
	// ListDNC pages one list by id.
	ListDNC(ctx context.Context, f DNCFilter) ([]DNCEntry, error)
}
