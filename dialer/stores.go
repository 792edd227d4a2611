package dialer

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// The durable stores (SQLite in production). They validate at their
// boundary and report constraint violations as ErrConflict (duplicate),
// ErrInvalid (*FieldError), ErrNotFound or ErrInUse.

// Directory holds who takes calls: the agent seats. Users, API keys and
// web sessions are identity's; the API declares the stores it needs of them.
type Directory interface {
	// CreateAgent stores a with the A1 hash of sipPassword.
	CreateAgent(ctx context.Context, a Agent, sipPassword string) (Agent, error)
	Agent(ctx context.Context, id AgentID) (Agent, error)
	AgentByExtension(ctx context.Context, ext string) (Agent, error)
	AgentByUser(ctx context.Context, id identity.UserID) (Agent, error)
	ListAgents(ctx context.Context) ([]Agent, error)
	// UpdateAgent replaces the agent's fields; sipPassword "" keeps the
	// current one, but is required when extension or realm change (the A1
	// hash covers them).
	UpdateAgent(ctx context.Context, a Agent, sipPassword string) (Agent, error)
	DeleteAgent(ctx context.Context, id AgentID) error
}

// CampaignStore holds campaigns, leads, dispositions, callbacks and DNC.
type CampaignStore interface {
	CreateCampaign(ctx context.Context, c Campaign) (Campaign, error)
	// EnsureCampaign returns the campaign named c.Name, creating it as c
	// when there is none; callers racing on one name get the same campaign.
	EnsureCampaign(ctx context.Context, c Campaign) (Campaign, error)
	Campaign(ctx context.Context, id CampaignID) (Campaign, error)
	ListCampaigns(ctx context.Context) ([]Campaign, error)
	UpdateCampaign(ctx context.Context, c Campaign) (Campaign, error)
	// UpdateCampaignWith applies fn to the stored campaign and writes it,
	// atomically: no change made meanwhile is lost.
	UpdateCampaignWith(ctx context.Context, id CampaignID, fn func(*Campaign) error) (Campaign, error)
	DeleteCampaign(ctx context.Context, id CampaignID) error

	CreateLead(ctx context.Context, l Lead) (Lead, error)
	Lead(ctx context.Context, id LeadID) (Lead, error)
	// LeadToDial reads a lead the dialer is about to call, as it is now
	// (Lead may read a snapshot a moment older); ErrNotFound also when the
	// lead's list is switched off.
	LeadToDial(ctx context.Context, id LeadID) (Lead, error)
	ListLeads(ctx context.Context, f LeadFilter) ([]Lead, error)
	// UpdateLead writes l over the stored lead if it is still at
	// l.Version (ErrStale otherwise); see UpdateLeadWith.
	UpdateLead(ctx context.Context, l Lead) (Lead, error)
	DeleteLead(ctx context.Context, id LeadID) error

	ListDispositions(ctx context.Context) ([]Disposition, error)
	Disposition(ctx context.Context, code string) (Disposition, error)
	CreateDisposition(ctx context.Context, d Disposition) (Disposition, error)
	// UpdateDisposition writes d's label, flags and sort over code d.Code;
	// a system code keeps its flags.
	UpdateDisposition(ctx context.Context, d Disposition) (Disposition, error)
	// DeleteDisposition removes a code: never a system code (ErrConflict)
	// nor one calls were given (ErrInUse).
	DeleteDisposition(ctx context.Context, code string) error

	CreateCallback(ctx context.Context, c Callback) (Callback, error)
	Callback(ctx context.Context, id CallbackID) (Callback, error)
	// DueCallbacks lists scheduled callbacks due at or before now, oldest
	// first; agent 0 lists everyone's.
	DueCallbacks(ctx context.Context, now time.Time, agent AgentID, limit int) ([]Callback, error)
	// AgentDueCallbacks lists the agent's own scheduled callbacks due at
	// or before now that come after the cursor in due order (the zero
	// cursor starts at the oldest), so they can be read a page at a time.
	AgentDueCallbacks(ctx context.Context, now time.Time, agent AgentID, after CallbackCursor, limit int) ([]Callback, error)
	// LeadCallbacks lists a lead's callbacks of every status, latest due
	// first: the lead's history.
	LeadCallbacks(ctx context.Context, lead LeadID, limit int) ([]Callback, error)
	// SetCallbackStatus moves a callback from one status to another
	// (ErrStateMismatch if it is not in from), so two dialers never take
	// the same callback.
	SetCallbackStatus(ctx context.Context, id CallbackID, from, to CallbackStatus, at time.Time) error
	// RescheduleDialingCallbacks moves every dialing callback back to
	// scheduled in one statement and returns their ids: at start-up no
	// call of this process dials them any more.
	RescheduleDialingCallbacks(ctx context.Context, at time.Time) ([]CallbackID, error)

	// AddDNC blocks phone for campaign (0: everywhere) and cancels the
	// scheduled callbacks of its leads in that scope.
	AddDNC(ctx context.Context, phone string, campaign CampaignID, reason string, at time.Time) error
	// IsDNC reports whether phone is blocked globally or for campaign.
	IsDNC(ctx context.Context, phone string, campaign CampaignID) (bool, error)
}

// QueueStore holds inbound queues and their members.
type QueueStore interface {
	// CreateQueue stores q (ErrConflict when the name is taken; a
	// *FieldError when an overflow target does not exist).
	CreateQueue(ctx context.Context, q Queue) (Queue, error)
	Queue(ctx context.Context, id QueueID) (Queue, error)
	// QueueByName is the queue a DID's Queue names (ErrNotFound for
	// none): how the engine finds the queue of an inbound call.
	QueueByName(ctx context.Context, name string) (Queue, error)
	// ListQueues lists every queue by name.
	ListQueues(ctx context.Context) ([]Queue, error)
	// UpdateQueue writes q over the stored queue if it is still at
	// q.Version (ErrStale otherwise). A renamed queue keeps its DIDs,
	// which refer to it by id.
	UpdateQueue(ctx context.Context, q Queue) (Queue, error)
	// DeleteQueue removes a queue and its members; ErrInUse while a DID
	// routes to it or another queue overflows into it.
	DeleteQueue(ctx context.Context, id QueueID) error
	// SetQueueMembers replaces the queue's members (ValidateMembers) and
	// returns them by position.
	SetQueueMembers(ctx context.Context, id QueueID, ms []QueueMember) ([]QueueMember, error)
	// QueueMembers lists the queue's members by position.
	QueueMembers(ctx context.Context, id QueueID) ([]QueueMember, error)
	// AgentQueues lists the agent's memberships, in blending order.
	AgentQueues(ctx context.Context, agent AgentID) ([]QueueMember, error)
}

// CallbackCursor is a place in due order: the due time and id of the last
// callback read.
type CallbackCursor struct {
	DueAt time.Time
	ID    CallbackID
}

// CallLog holds call records (CDRs): legs, timeline, outcome, disposition.
// Each method is one transaction.
type CallLog interface {
	// CreateCall writes the call, its first legs and a "created" event;
	// an outbound call counts one attempt on its lead.
	CreateCall(ctx context.Context, c Call, legs ...CallLeg) (Call, error)
	// AddCallLeg adds a leg and a "leg_added" event.
	AddCallLeg(ctx context.Context, l CallLeg) error
	// RecordCallProgress appends a timeline event and applies its changes.
	RecordCallProgress(ctx context.Context, p CallProgress) error
	// FinishCall closes the call and its open legs (ErrConflict if already
	// ended) and records the outcome on the lead.
	FinishCall(ctx context.Context, e CallEnd) (Call, error)
	// DisposeCall sets the disposition of an ended call and applies it: the
	// lead's status (a retry is done once the campaign's max_attempts were
	// placed), DNC, and the callback when the code schedules one.
	DisposeCall(ctx context.Context, d Disposal) (Call, error)

	Call(ctx context.Context, id CallID) (Call, error)
	CallLegs(ctx context.Context, id CallID) ([]CallLeg, error)
	CallEvents(ctx context.Context, id CallID) ([]CallEvent, error)
	// ListCalls returns calls newest first.
	ListCalls(ctx context.Context, f CallFilter) ([]Call, error)
}

// AuditLog records administrative and security-relevant actions.
type AuditLog interface {
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns the entries f selects, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// LeadFilter selects leads; zero fields do not filter.
type LeadFilter struct {
	Campaign CampaignID
	Status   LeadStatus
	Phone    string
	// List is the lead list the leads were imported into.
	List int64
	// LastOutcome is the outcome of the lead's last call.
	LastOutcome CallOutcome
	// MinAttempts keeps leads called at least that often.
	MinAttempts int
	// Text matches the start of a name, e-mail or number (case-blind).
	Text string
	// AfterID pages by id ascending.
	AfterID LeadID
	Limit   int
}

// CallFilter selects calls; zero fields do not filter.
type CallFilter struct {
	Agent     AgentID
	Campaign  CampaignID
	Lead      LeadID
	Direction CallDirection
	// Live selects calls not ended yet (for reconciliation after restart).
	Live bool
	// Since and Until bound created_at: Since <= created_at < Until.
	Since, Until time.Time
	// Number matches part of the number called or calling.
	Number string
	// Queue selects calls that entered the queue.
	Queue       QueueID
	Outcome     CallOutcome
	Disposition string
	// MinBillsec selects calls talked at least this long.
	MinBillsec   int
	HasRecording bool
	// Before pages backwards: calls created before this one.
	Before CallID
	Limit  int
}

// UpdateLeadWith applies change to l, as the caller read it, and writes it
// over that version; when someone else wrote the lead meanwhile
// (ErrStale) it reads the lead again and reapplies the change. An error
// from change is returned as it is, with nothing written.
func UpdateLeadWith(ctx context.Context, st CampaignStore, l Lead, change func(*Lead) error) (Lead, error) {
	var err error
	for range 8 {
		// change may edit the custom fields: not the caller's map.
		l.Custom = maps.Clone(l.Custom)
		if err := change(&l); err != nil {
			return Lead{}, err
		}
		var out Lead
		if out, err = st.UpdateLead(ctx, l); !errors.Is(err, ErrStale) {
			return out, err
		}
		if l, err = st.Lead(ctx, l.ID); err != nil {
			return Lead{}, err
		}
	}
	return Lead{}, err
}
