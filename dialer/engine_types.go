package dialer

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// ErrForbidden means the actor may not do this: wrong role, or an agent
// acting on another agent's call or state.
var ErrForbidden = errors.New("forbidden")

// ErrUnavailable means the switch (or another dependency) is not connected;
// the request can be retried.
var ErrUnavailable = errors.New("unavailable")

// ErrSwitchDown is ErrUnavailable because no switch node is connected:
// nothing was dialed.
var ErrSwitchDown = fmt.Errorf("%w: the switch is not connected", ErrUnavailable)

// Actor is who asks the engine for something, as the API authenticated
// them (a web session or an API key).
type Actor struct {
	User identity.UserID `json:"user_id"`
	Role identity.Role   `json:"role"`
	// Agent is the actor's own agent seat, 0 if the user has none.
	Agent  AgentID           `json:"agent_id,omitempty"`
	Name   string            `json:"name"`
	APIKey identity.APIKeyID `json:"api_key_id,omitempty"`
}

// RoleSupervisor is the least role that may act on any agent and see every
// call (MayControl): the one threshold the engine's checks compare an
// actor's role with. It is identity.RoleSupervisor.
const RoleSupervisor = identity.RoleSupervisor

// Label names the actor in reasons and audit entries ("agent:7",
// "supervisor:3", "apikey:2").
func (a Actor) Label() string {
	if a.APIKey != 0 {
		return "apikey:" + a.APIKey.String()
	}
	return string(a.Role) + ":" + a.User.String()
}

// AuditName is the actor as the audit log names it.
func (a Actor) AuditName() string {
	switch {
	case a.APIKey != 0:
		return "apikey:" + a.APIKey.String()
	case a.User != 0:
		return "user:" + a.User.String()
	}
	return "system"
}

// MayControl reports whether the actor may act on the given agent's state
// and calls: supervisors and admins may act on anyone, an agent only on
// itself.
func (a Actor) MayControl(agent AgentID) bool {
	return a.Role.AtLeast(RoleSupervisor) || (a.Agent != 0 && a.Agent == agent)
}

// EndpointKind is how an agent's audio is reached.
type EndpointKind string

const (
	// EndpointSIP is a SIP phone registered on the switch (user/<ext>).
	EndpointSIP EndpointKind = "sip"
	// EndpointPhone is an external number reached through the gateway.
	EndpointPhone EndpointKind = "phone"
	// EndpointWebRTC is the workspace's browser softphone: it registers
	// as SIP user w<ext> (WebRTCUser) with a short-lived password and is
	// reached at user/w<ext>.
	EndpointWebRTC EndpointKind = "webrtc"
)

// AgentEndpoint is where the agent takes calls this session.
type AgentEndpoint struct {
	Kind EndpointKind `json:"kind"`
	// Extension is the SIP user for EndpointSIP (default: the agent's
	// own), the agent's own for EndpointWebRTC (reached at user/w<ext>).
	Extension string `json:"extension,omitempty"`
	// Phone is the E.164 number for EndpointPhone (default: the agent's
	// external phone).
	Phone string `json:"phone,omitempty"`
}

// LoginRequest starts an agent's session.
type LoginRequest struct {
	Endpoint AgentEndpoint `json:"endpoint"`
	// Campaign is the campaign the agent works on (0: its only one).
	Campaign CampaignID `json:"campaign_id,omitempty"`
	// Mode overrides the agent's configured mode for this session.
	Mode AgentMode `json:"mode,omitempty"`
}

// AgentView is one agent's live state for the workspace and the wall.
type AgentView struct {
	ID        AgentID `json:"id"`
	Name      string  `json:"name"`
	Extension string  `json:"extension"`
	// Team is the agent's team, for the wall to filter by.
	Team      *TeamRef      `json:"team,omitempty"`
	State     AgentState    `json:"state"`
	Since     time.Time     `json:"since"`
	Reason    string        `json:"reason,omitempty"`
	PauseCode string        `json:"pause_code,omitempty"`
	Call      CallID        `json:"call_id,omitempty"`
	Mode      AgentMode     `json:"mode"`
	Endpoint  AgentEndpoint `json:"endpoint"`
	// PhoneConnected: a persistent agent's leg is up.
	PhoneConnected bool `json:"phone_connected"`
	// Campaign is the one the agent works on in this session.
	Campaign *CampaignRef `json:"campaign,omitempty"`
	// Preview is the lead offered to read before dialing (preview mode).
	Preview *Preview `json:"preview,omitempty"`
	// Stats of the session, up to the moment of the view.
	Stats SessionStats `json:"stats"`
	// Media is the browser softphone's last report (none: no report this
	// session).
	Media *MediaQuality `json:"media,omitempty"`
	// seq is the live store's transition count the view reflects, and
	// login the session it counts in: with them the hub tells a view
	// published late from one that followed it.
	seq   int64
	login time.Time
}

// SessionStats are the figures in the workspace's status bar, in seconds.
type SessionStats struct {
	Calls    int64 `json:"calls"`
	TalkSec  int64 `json:"talk_sec"`
	DispoSec int64 `json:"dispo_sec"`
	PauseSec int64 `json:"pause_sec"`
	ReadySec int64 `json:"ready_sec"`
	HoldSec  int64 `json:"hold_sec"`
}

// OutboundRequest starts a lead call (POST /api/v1/calls). Numbers are
// E.164, already normalized by the API.
type OutboundRequest struct {
	Number string `json:"number"`
	// Agent, when set, is the only agent the lead is connected to.
	Agent          AgentID    `json:"agent_id,omitempty"`
	CallerIDNumber string     `json:"caller_id_number,omitempty"`
	CallerIDName   string     `json:"caller_id_name,omitempty"`
	Campaign       CampaignID `json:"campaign_id,omitempty"`
	// Lead is an existing lead; otherwise one is found or created in the
	// campaign by number.
	Lead   LeadID            `json:"lead_id,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	Origin CallOrigin        `json:"-"`
}

// ManualDialRequest is an agent dialing from the workspace: the agent's
// leg first (the agent hears ringback), then the lead.
type ManualDialRequest struct {
	Number         string     `json:"number"`
	CallerIDNumber string     `json:"caller_id_number,omitempty"`
	CallerIDName   string     `json:"caller_id_name,omitempty"`
	Campaign       CampaignID `json:"campaign_id,omitempty"`
	Lead           LeadID     `json:"lead_id,omitempty"`
	Callback       CallbackID `json:"callback_id,omitempty"`

	// fromPhone is the agent's own answered leg when the agent dialed
	// from its SIP phone; the lead is dialed from it.
	fromPhone fromPhone
	// origin is the call's, when not manual (a previewed lead).
	origin CallOrigin
}

type fromPhone struct {
	leg  LegID
	node string
}

// TransferTarget is an agent, an inbound queue or an external number
// (exactly one).
type TransferTarget struct {
	Agent  AgentID `json:"agent_id,omitempty"`
	Number string  `json:"number,omitempty"`
	// Queue: the caller waits in that queue again, as a new arrival.
	Queue QueueID `json:"queue_id,omitempty"`
}

// CheckKind checks that exactly one target is named and that an id is
// positive; it leaves the number's form to Validate, so that the API can
// refuse two targets before reading a number.
func (t TransferTarget) CheckKind() error {
	n := 0
	for _, set := range []bool{t.Agent != 0, t.Number != "", t.Queue != 0} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return &FieldError{Field: "target", Reason: "give agent_id, queue_id or number"}
	case n > 1:
		return &FieldError{Field: "target", Reason: "give only one of agent_id, queue_id and number"}
	case t.Agent < 0:
		return &FieldError{Field: "agent_id", Reason: "must be positive"}
	case t.Queue < 0:
		return &FieldError{Field: "queue_id", Reason: "must be positive"}
	}
	return nil
}

// Validate checks that exactly one target is given, in a valid form.
func (t TransferTarget) Validate() error {
	if err := t.CheckKind(); err != nil {
		return err
	}
	if t.Number != "" && !ValidPhone(t.Number) {
		return &FieldError{Field: "number", Reason: "E.164 (+ and digits)"}
	}
	return nil
}

// ValidateParty checks a target to add to a call: a conference rings a
// person, and a queue is not one.
func (t TransferTarget) ValidateParty() error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.Queue != 0 {
		return &FieldError{Field: "queue_id", Reason: "a conference adds an agent or a number, not a queue"}
	}
	return nil
}

// DispositionRequest is the agent's wrap-up of a call.
type DispositionRequest struct {
	Code     string           `json:"code"`
	Notes    string           `json:"notes,omitempty"`
	Callback *CallbackRequest `json:"callback,omitempty"`
}

// LiveCallState is where a live call is, as the workspace shows it.
type LiveCallState string

const (
	LiveDialing    LiveCallState = "dialing"    // the first leg is being originated
	LiveRinging    LiveCallState = "ringing"    // the lead's phone rings
	LiveWaiting    LiveCallState = "waiting"    // the lead answered; finding or ringing an agent
	LiveConnected  LiveCallState = "connected"  // lead and agent talk
	LiveConference LiveCallState = "conference" // three or more parties, or a warm transfer
	LiveEnding     LiveCallState = "ending"     // abandon message, or hanging up
	LiveEnded      LiveCallState = "ended"
)

// LegState is where one channel of a call is.
type LegState string

const (
	LegDialing LegState = "dialing" // originated, no answer or ringing yet
	LegRinging LegState = "ringing"
	LegUp      LegState = "up"
	LegGone    LegState = "gone" // hung up, failed, or left the call
)

// PartyView is one leg of a live call.
type PartyView struct {
	Leg        LegID     `json:"leg_id"`
	Role       LegRole   `json:"role"`
	Number     string    `json:"number,omitempty"`
	Agent      AgentID   `json:"agent_id,omitempty"`
	State      LegState  `json:"state"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
}

// CallView is a live call (or one that just ended) for the workspace, the
// wall and the API. Times are the server's, for timers.
type CallView struct {
	ID          CallID        `json:"id"`
	Direction   CallDirection `json:"direction"`
	Origin      CallOrigin    `json:"origin"`
	State       LiveCallState `json:"state"`
	Number      string        `json:"number"`
	CallerID    string        `json:"caller_id,omitempty"`
	Agent       AgentID       `json:"agent_id,omitempty"`
	Campaign    CampaignID    `json:"campaign_id,omitempty"`
	Lead        LeadID        `json:"lead_id,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	AnsweredAt  time.Time     `json:"answered_at,omitzero"`
	ConnectedAt time.Time     `json:"connected_at,omitzero"`
	EndedAt     time.Time     `json:"ended_at,omitzero"`
	Held        bool          `json:"held"`
	// HeldAt is when the current hold began (a long hold is flagged on the
	// wall).
	HeldAt    time.Time `json:"held_at,omitzero"`
	Muted     bool      `json:"muted"`
	Recording bool      `json:"recording"`
	// AgentLeft: the agent left a warm transfer; the lead talks on with
	// the target.
	AgentLeft bool        `json:"agent_left,omitempty"`
	Parties   []PartyView `json:"parties"`
	// Queue is the inbound queue the caller waited in (its name then),
	// and QueuedAt when it entered its first.
	Queue       string      `json:"queue,omitempty"`
	QueueID     QueueID     `json:"queue_id,omitempty"`
	QueuedAt    time.Time   `json:"queued_at,omitzero"`
	HangupCause string      `json:"hangup_cause,omitempty"`
	Outcome     CallOutcome `json:"outcome,omitempty"`
}

// LiveEventType names a pushed event.
type LiveEventType string

// Events pushed to workspaces and the wall.
const (
	EvAgentState        LiveEventType = "agent.state"
	EvCallCreated       LiveEventType = "call.created"
	EvCallRinging       LiveEventType = "call.ringing"
	EvCallAnswered      LiveEventType = "call.answered"
	EvCallConnected     LiveEventType = "call.connected" // bridged to the agent
	EvCallHeld          LiveEventType = "call.held"
	EvCallUnheld        LiveEventType = "call.unheld"
	EvCallMuted         LiveEventType = "call.muted"
	EvCallUnmuted       LiveEventType = "call.unmuted"
	EvCallTransfer      LiveEventType = "call.transfer"
	EvCallPartyAdded    LiveEventType = "call.party_added"
	EvCallPartyRemoved  LiveEventType = "call.party_removed"
	EvCallAgentLeft     LiveEventType = "call.agent_left"
	EvCallRecording     LiveEventType = "call.recording_started"
	EvCallRecordingStop LiveEventType = "call.recording_stopped"
	EvCallDTMF          LiveEventType = "call.dtmf"
	EvCallEnded         LiveEventType = "call.ended"
	EvCallDisposed      LiveEventType = "call.disposed"
	EvCallbackOffered   LiveEventType = "callback.offered"
	// A supervisor's monitor leg: its phone answered (listening from
	// now on), its mode changed, or it hung up.
	EvMonitorAnswered LiveEventType = "call.monitor_answered"
	EvMonitorMode     LiveEventType = "call.monitor_mode"
	EvMonitorEnded    LiveEventType = "call.monitor_ended"
	// EvImportProgress: a lead import's counts so far, and its end (for
	// supervisors: it concerns no agent).
	EvImportProgress LiveEventType = "import.progress"
	// EvQueueStats carries an inbound queue's live figures after a change.
	EvQueueStats LiveEventType = "queue.stats"
	// A dialer campaign's abandon figures changed (supervisors only).
	EvCampaignStats LiveEventType = "campaign.stats"

	// EvCallTransferFailed: a blind transfer's target rejected, did not
	// answer or could not be reached; the lead hears hold music and goes
	// back to the agent who transferred it, or the call ends.
	EvCallTransferFailed LiveEventType = "call.transfer_failed"
)

// LiveEvent is one pushed event. Seq rises by one per event of the engine,
// so a client that saw Seq n and reconnects knows whether it missed any.
type LiveEvent struct {
	Seq  uint64        `json:"seq"`
	At   time.Time     `json:"at"`
	Type LiveEventType `json:"type"`
	// Agent and Call say whom it concerns (for filtering).
	Agent     AgentID    `json:"agent_id,omitempty"`
	Call      CallID     `json:"call_id,omitempty"`
	AgentView *AgentView `json:"agent,omitempty"`
	CallView  *CallView  `json:"call,omitempty"`
	Callback  *Callback  `json:"callback,omitempty"`
	// Digits for call.dtmf.
	Digits string `json:"digits,omitempty"`
	// Import is the import's record for import.progress.
	Import json.RawMessage `json:"import,omitempty"`
	// QueueView is a queue's figures for queue.stats.
	QueueView *QueueView `json:"queue,omitempty"`
	// Node is a switch node's state for node.state.
	Node *NodeView `json:"node,omitempty"`
	// Gateway is a gateway's registration on a node for gateway.state.
	Gateway *GatewayStatus `json:"gateway,omitempty"`
	// Monitor is the supervisor's leg of a call.monitor_* event.
	Monitor *MonitorView `json:"monitor,omitempty"`
	// CampaignView is a dialer campaign's figures for campaign.stats.
	CampaignView *CampaignLive `json:"campaign,omitempty"`
}

// CampaignLive is a dialer campaign's abandon figures over the last 24
// hours, for the wall's alert on a campaign nearing the abandon ceiling.
type CampaignLive struct {
	ID          CampaignID `json:"id"`
	Name        string     `json:"name"`
	DialMode    DialMode   `json:"dial_mode"`
	Answered    int        `json:"answered"`
	Abandoned   int        `json:"abandoned"`
	AbandonRate float64    `json:"abandon_rate"`
	From        time.Time  `json:"from"`
	// Pacing: a predictive campaign's pacer figures.
	Pacing PacingView `json:"pacing,omitzero"`
}

// MonitorView is a supervisor's monitor leg on a call.
type MonitorView struct {
	Leg  LegID       `json:"leg_id"`
	Mode MonitorMode `json:"mode"`
	// User is the supervisor who started it.
	User  identity.UserID `json:"user_id,omitempty"`
	State LegState        `json:"state"`
}

// LiveFilter selects what a subscriber receives.
type LiveFilter struct {
	// Agent limits the stream to one agent's state, its calls and its
	// callback offers (an agent's workspace); 0 receives everything (the
	// supervisors' wall).
	Agent AgentID
}

// Match reports whether the event passes the filter: an agent also sees
// events of calls it takes part in as a transfer target.
func (f LiveFilter) Match(ev LiveEvent) bool {
	return f.Agent == 0 || ev.Agent == f.Agent || ev.CallView != nil && ev.CallView.hasAgent(f.Agent)
}

// LiveSnapshot is what a (re)connecting client gets before any event: every
// event after Seq follows on the stream.
type LiveSnapshot struct {
	Seq    uint64      `json:"seq"`
	At     time.Time   `json:"at"`
	Agents []AgentView `json:"agents"`
	Calls  []CallView  `json:"calls"`
	// Queues are the inbound queues' figures (supervisors' streams only).
	Queues []QueueView `json:"queues,omitempty"`
	// Nodes and Gateways are the switch's state (supervisors' streams
	// only).
	Nodes    []NodeView      `json:"nodes,omitempty"`
	Gateways []GatewayStatus `json:"gateways,omitempty"`
	// Campaigns are the dialer campaigns' abandon figures (supervisors'
	// streams only).
	Campaigns []CampaignLive `json:"campaigns,omitempty"`
}

// Pause codes the system sets; an agent cannot choose them.
const (
	PauseRONA        = "RONA"         // the phone rang out for a call
	PauseNoHeartbeat = "NO_HEARTBEAT" // the workspace went silent
	PausePhoneDown   = "PHONE_DOWN"   // a persistent line dropped
	PauseCallLost    = "CALL_LOST"    // the service no longer holds the agent's call
	PausePreview     = "PREVIEW"      // reading a lead offered by a preview campaign
	PauseLogin       = "LOGIN"        // a session starts paused
	PauseManual      = "MANUAL"       // dialing by hand
	// PauseRestart was set by earlier versions to an agent whose call a
	// restart ended; agents' records may still carry it.
	PauseRestart = "RESTART"
)

// PauseCodes are the codes an agent may pause with when the configuration
// gives none and no store keeps them; a new database starts with them.
var PauseCodes = []string{"BREAK", "LUNCH", "MEETING", "TRAINING", "ADMIN"}

// ValidatePauseCode checks a code against the active ones.
func ValidatePauseCode(code string, allowed []string) error {
	if len(allowed) == 0 {
		return &FieldError{Field: "pause_code", Reason: fmt.Sprintf("%q: no pause code is active", code)}
	}
	for _, c := range allowed {
		if c == code {
			return nil
		}
	}
	return &FieldError{Field: "pause_code", Reason: fmt.Sprintf("%q is not one of %v", code, allowed)}
}

// MonitorMode is how a supervisor joins a call.
type MonitorMode string

// Monitor modes.
const (
	MonitorListen  MonitorMode = "listen"  // hears both sides, heard by nobody
	MonitorWhisper MonitorMode = "whisper" // heard by the agent only (coaching)
	MonitorBarge   MonitorMode = "barge"   // heard by both
)

// Valid reports whether m is a defined mode.
func (m MonitorMode) Valid() bool {
	return m == MonitorListen || m == MonitorWhisper || m == MonitorBarge
}

// MonitorRequest starts a supervisor listening to a call on its own phone.
type MonitorRequest struct {
	Mode MonitorMode `json:"mode"`
	// Endpoint is the supervisor's phone (default: its own seat's extension).
	Endpoint AgentEndpoint `json:"endpoint"`
}
