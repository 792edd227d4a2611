package leadimport

import (
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// ListID names a lead list.
type ListID int64

// ID names an import.
type ID int64

// List groups a campaign's leads from one source.
type List struct {
	ID       ListID            `json:"id"`
	Campaign dialer.CampaignID `json:"campaign_id"`
	Name     string            `json:"name"`
	// Active: the dialer calls the list's leads; an inactive list keeps
	// them without dialing them.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// ListPatch changes a list; nil fields stay as they are.
type ListPatch struct {
	Name   *string `json:"name"`
	Active *bool   `json:"active"`
}

// ListSummary is a list with its leads counted by status.
type ListSummary struct {
	List
	// Leads counts the list's leads by status; every status is present.
	Leads map[dialer.LeadStatus]int `json:"leads"`
	Total int                       `json:"total"`
}

// Removal is what deleting a list did to its leads: those never called
// were deleted, the others kept without a list.
type Removal struct {
	Deleted  int `json:"deleted"`
	Detached int `json:"detached"`
}

// Status is where an import is.
type Status string

const (
	Running    Status = "running"
	Committed  Status = "committed"
	RolledBack Status = "rolled_back"
	Failed     Status = "failed"
)

// Import is the record of one import: its counts, and why it stopped
// when it did not commit.
type Import struct {
	ID         ID        `json:"id"`
	List       ListID    `json:"list_id"`
	FileName   string    `json:"file_name"`
	Status     Status    `json:"status"`
	Report               // counts; a running import's grow
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}
