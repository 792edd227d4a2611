package dialer

// LeadBulkAction is what a bulk change does to the leads a filter selects.
type LeadBulkAction string

const (
	// BulkReset makes the leads new again: attempts 0, no retry time, no
	// last outcome (leads on a do-not-call list stay so).
	BulkReset LeadBulkAction = "reset"
	// BulkMove puts the leads in another list of their campaign.
	BulkMove LeadBulkAction = "move"
	// BulkDelete removes the leads; their call records stay, without them.
	BulkDelete LeadBulkAction = "delete"
)

// LeadBulk is one bulk change. A lead being dialed is never touched.
type LeadBulk struct {
	Action LeadBulkAction
	Filter LeadFilter // Filter.Campaign is required; paging is ignored
	List   int64      // BulkMove: the list, in the same campaign
}

// Validate checks the request before it reaches a store.
func (b LeadBulk) Validate() error {
	switch b.Action {
	case BulkReset, BulkDelete:
		if b.List != 0 {
			return &FieldError{Field: "list_id", Reason: "only with move"}
		}
	case BulkMove:
		if b.List <= 0 {
			return &FieldError{Field: "list_id", Reason: "required with move"}
		}
	default:
		return &FieldError{Field: "action", Reason: "reset, move or delete"}
	}
	if b.Filter.Campaign <= 0 {
		return &FieldError{Field: "filter.campaign", Reason: "required: a bulk change applies within one campaign"}
	}
	return nil
}
