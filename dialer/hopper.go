package dialer

import (
	"context"
	"time"
)

// HopperEntry is a lead ready to dial, with its place in the campaign's
// order: the lowest rank is claimed first (due callbacks, then the
// campaign's lead order).
type HopperEntry struct {
	Lead LeadID
	Rank float64
}

// Hopper is each campaign's queue of leads ready to dial, shared by every
// service process on the same live store: a lead is claimed by one caller
// only, and stays claimed (never pushed again) until its attempt is
// recorded (Done) or its claim lapses.
type Hopper interface {
	// Push adds leads to the campaign's hopper; a lead already in it keeps
	// its place, a lead claimed is not added again. It returns how many
	// were added.
	Push(ctx context.Context, campaign CampaignID, entries []HopperEntry) (int, error)
	// Claim takes the lowest-ranked lead for the caller until lease from
	// now; ok is false when the hopper is empty.
	Claim(ctx context.Context, campaign CampaignID, lease time.Duration, now time.Time) (lead LeadID, ok bool, err error)
	// Done ends a claim once the attempt is recorded (the lead's status
	// keeps it out of the next refill).
	Done(ctx context.Context, campaign CampaignID, lead LeadID) error
	// Remove takes a lead out, waiting or claimed (a number put on the
	// do-not-call list, a lead deleted); false if it was not there.
	Remove(ctx context.Context, campaign CampaignID, lead LeadID) (bool, error)
	// Lapsed ends the claims whose lease ran out by now and returns their
	// leads: their callers died before recording an attempt, so a refill
	// may push them again.
	Lapsed(ctx context.Context, campaign CampaignID, now time.Time) ([]LeadID, error)
	// Len is how many leads wait (claimed ones not counted).
	Len(ctx context.Context, campaign CampaignID) (int, error)
	// Clear empties the campaign's hopper, claims included (a campaign
	// archived, its settings changed).
	Clear(ctx context.Context, campaign CampaignID) error
}

// ValidateHopperPush checks entries before they reach a store.
func ValidateHopperPush(campaign CampaignID, entries []HopperEntry) error {
	if campaign <= 0 {
		return &FieldError{Field: "campaign_id", Reason: "must be positive"}
	}
	for _, e := range entries {
		if e.Lead <= 0 {
			return &FieldError{Field: "lead_id", Reason: "must be positive"}
		}
	}
	return nil
}

// ValidateHopperClaim checks a claim before it reaches a store.
func ValidateHopperClaim(campaign CampaignID, lease time.Duration) error {
	if campaign <= 0 {
		return &FieldError{Field: "campaign_id", Reason: "must be positive"}
	}
	if lease <= 0 {
		return &FieldError{Field: "lease", Reason: "must be positive"}
	}
	return nil
}
