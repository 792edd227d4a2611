package dialer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/identity"
)

// Agent is a user's seat: a SIP account plus routing attributes.
type Agent struct {
	ID AgentID `json:"id"`
	// User links the login; 0 means none yet.
	User      identity.UserID `json:"user_id,omitempty"`
	Name      string          `json:"name"`
	Extension string          `json:"extension"`
	// Realm is the SIP digest realm (the agents' SIP domain).
	Realm string `json:"realm"`
	// SIPA1Hash is md5(extension:realm:password) in hex, what FreeSWITCH
	// accepts as a1-hash; the plain SIP password is never stored.
	SIPA1Hash string `json:"-"`
	// ExternalPhone (E.164) is rung through a gateway when the agent works
	// without a SIP phone.
	ExternalPhone string       `json:"external_phone,omitempty"`
	Mode          AgentMode    `json:"mode"`
	Skills        []string     `json:"skills"`
	Campaigns     []CampaignID `json:"campaigns"`
	Disabled      bool         `json:"disabled"`
	// Team is the agent's team (0: none); TeamName is read with it.
	Team      TeamID    `json:"team_id,omitempty"`
	TeamName  string    `json:"team_name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SIPA1 is the digest A1 hash FreeSWITCH stores as a1-hash.
func SIPA1(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// Validate checks the fields a store writes (not the hash).
func (a Agent) Validate() error {
	if err := checkText("name", a.Name, 128, true); err != nil {
		return err
	}
	if !ValidExtension(a.Extension) {
		return &FieldError{Field: "extension", Reason: "2-10 digits"}
	}
	if !validToken(strings.ToLower(a.Realm), 253, false) || strings.Contains(a.Realm, ":") {
		return &FieldError{Field: "realm", Reason: "a host name"}
	}
	if a.ExternalPhone != "" && !ValidPhone(a.ExternalPhone) {
		return &FieldError{Field: "external_phone", Reason: "E.164 (+ and digits)"}
	}
	if PremiumRate(a.ExternalPhone) {
		return &FieldError{Field: "external_phone", Reason: "premium-rate and high-cost numbers are refused"}
	}
	if !a.Mode.Valid() {
		return &FieldError{Field: "mode", Reason: fmt.Sprintf("unknown agent mode %q", a.Mode)}
	}
	for _, s := range a.Skills {
		if !ValidSkill(s) {
			return &FieldError{Field: "skills", Reason: fmt.Sprintf("bad skill %q", s)}
		}
	}
	for _, c := range a.Campaigns {
		if c <= 0 {
			return &FieldError{Field: "campaigns", Reason: "ids must be positive"}
		}
	}
	if a.Team < 0 {
		return &FieldError{Field: "team_id", Reason: "must be positive"}
	}
	return nil
}

// Profile is what the live store needs to route to this agent: skills and
// campaigns as routing tags.
func (a Agent) Profile() AgentProfile {
	tags := make([]string, 0, len(a.Skills)+len(a.Campaigns))
	for _, s := range a.Skills {
		tags = append(tags, SkillTag(s))
	}
	for _, c := range a.Campaigns {
		tags = append(tags, CampaignTag(c))
	}
	return AgentProfile{ID: a.ID, Mode: a.Mode, Tags: tags}
}

// DialMode is how a campaign paces its calls.
type DialMode string

const (
	DialPreview     DialMode = "preview"
	DialProgressive DialMode = "progressive"
	DialPredictive  DialMode = "predictive"
)

// Valid reports whether m is a defined dial mode.
func (m DialMode) Valid() bool {
	return m == DialManual || m == DialPreview || m == DialProgressive || m == DialPredictive
}

// Campaign is an outbound calling campaign.
type Campaign struct {
	ID       CampaignID `json:"id"`
	Name     string     `json:"name"`
	DialMode DialMode   `json:"dial_mode"`
	// CallerID (E.164) presented to leads; "" uses the gateway's.
	CallerID string `json:"caller_id,omitempty"`
	// AbandonMessage is the sound played when no agent is free within 2 s.
	AbandonMessage string `json:"abandon_message,omitempty"`
	Script         string `json:"script,omitempty"`
	// WrapUpSeconds is the auto-ready delay after a call; 0 waits for the
	// agent.
	WrapUpSeconds int  `json:"wrapup_seconds"`
	MaxAttempts   int  `json:"max_attempts"`
	Active        bool `json:"active"`
	// Settings holds the rest (calling window, retry delays, pacing knobs)
	// as a JSON object.
	Settings json.RawMessage `json:"settings,omitempty"`
	// ArchivedAt is when the campaign was archived: it is kept, with its
	// leads and calls, but listed only on request.
	ArchivedAt time.Time `json:"archived_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks the fields a store writes.
func (c Campaign) Validate() error {
	if err := checkText("name", c.Name, 128, true); err != nil {
		return err
	}
	if !c.DialMode.Valid() {
		return &FieldError{Field: "dial_mode", Reason: "manual, preview, progressive or predictive"}
	}
	if c.CallerID != "" && !ValidPhone(c.CallerID) {
		return &FieldError{Field: "caller_id", Reason: "E.164 (+ and digits)"}
	}
	if err := checkText("abandon_message", c.AbandonMessage, 512, false); err != nil {
		return err
	}
	if err := checkText("script", c.Script, 64<<10, false); err != nil {
		return err
	}
	if c.WrapUpSeconds < 0 || c.WrapUpSeconds > 3600 {
		return &FieldError{Field: "wrapup_seconds", Reason: "0-3600"}
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		return &FieldError{Field: "max_attempts", Reason: "1-100"}
	}
	if len(c.Settings) > 0 && !isJSONObject(c.Settings) {
		return &FieldError{Field: "settings", Reason: "must be a JSON object"}
	}
	if _, err := ParseCampaignSettings(c.Settings); err != nil {
		return err
	}
	_, err := CallingWindow(c)
	return err
}

func isJSONObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

// LeadStatus is where a lead is in its dialing life.
type LeadStatus string

const (
	LeadNew      LeadStatus = "new"
	LeadDialing  LeadStatus = "dialing"
	LeadRetry    LeadStatus = "retry"
	LeadCallback LeadStatus = "callback"
	LeadDone     LeadStatus = "done"
	LeadDNC      LeadStatus = "dnc"
	LeadInvalid  LeadStatus = "invalid"
)

// LeadStatuses is every lead status, in a lead's usual order.
var LeadStatuses = []LeadStatus{LeadNew, LeadDialing, LeadRetry, LeadCallback, LeadDone, LeadDNC, LeadInvalid}

// Valid reports whether s is a defined lead status.
func (s LeadStatus) Valid() bool {
	switch s {
	case LeadNew, LeadDialing, LeadRetry, LeadCallback, LeadDone, LeadDNC, LeadInvalid:
		return true
	}
	return false
}

// Lead is a person a campaign calls.
type Lead struct {
	ID        LeadID     `json:"id"`
	Campaign  CampaignID `json:"campaign_id"`
	Phone     string     `json:"phone"`
	Phone2    string     `json:"phone2,omitempty"`
	FirstName string     `json:"first_name,omitempty"`
	LastName  string     `json:"last_name,omitempty"`
	Email     string     `json:"email,omitempty"`
	// TimeZone (IANA) decides the lead's calling window; "" = campaign's.
	TimeZone string `json:"time_zone,omitempty"`
	// Custom holds imported or API fields (lc_param_<name>).
	Custom          map[string]string `json:"custom,omitempty"`
	Status          LeadStatus        `json:"status"`
	Attempts        int               `json:"attempts"`
	LastCallAt      time.Time         `json:"last_call_at,omitzero"`
	NextCallAt      time.Time         `json:"next_call_at,omitzero"`
	LastOutcome     CallOutcome       `json:"last_outcome,omitempty"`
	LastDisposition string            `json:"last_disposition,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	// Version counts the lead's writes; UpdateLead writes only over the
	// version it was given (ErrStale otherwise).
	Version int64 `json:"version"`
}

// Validate checks the fields a store writes.
func (l Lead) Validate() error {
	if l.Campaign <= 0 {
		return &FieldError{Field: "campaign_id", Reason: "required"}
	}
	if !ValidPhone(l.Phone) {
		return &FieldError{Field: "phone", Reason: "E.164 (+ and digits)"}
	}
	if l.Phone2 != "" && !ValidPhone(l.Phone2) {
		return &FieldError{Field: "phone2", Reason: "E.164 (+ and digits)"}
	}
	for _, f := range []struct{ name, v string }{{"first_name", l.FirstName}, {"last_name", l.LastName}, {"email", l.Email}} {
		if err := checkText(f.name, f.v, 128, false); err != nil {
			return err
		}
	}
	if !ValidTimeZone(l.TimeZone) {
		return &FieldError{Field: "time_zone", Reason: "an IANA zone such as Europe/Paris"}
	}
	if len(l.Custom) > 100 {
		return &FieldError{Field: "custom", Reason: "more than 100 fields"}
	}
	for k, v := range l.Custom {
		if !ValidFieldName(k) {
			return &FieldError{Field: "custom", Reason: fmt.Sprintf("bad field name %q: 1-32 of [A-Za-z0-9_]", k)}
		}
		if err := checkText("custom."+k, v, 4096, false); err != nil {
			return err
		}
	}
	if !l.Status.Valid() {
		return &FieldError{Field: "status", Reason: fmt.Sprintf("unknown lead status %q", l.Status)}
	}
	if l.Attempts < 0 {
		return &FieldError{Field: "attempts", Reason: "negative"}
	}
	if l.LastOutcome != "" && !l.LastOutcome.Valid() {
		return &FieldError{Field: "last_outcome", Reason: "unknown outcome"}
	}
	return nil
}

// CallDirection is who started the call.
type CallDirection string

const (
	Inbound  CallDirection = "inbound"
	Outbound CallDirection = "outbound"
)

// Valid reports whether d is a defined direction.
func (d CallDirection) Valid() bool { return d == Inbound || d == Outbound }

// CallOrigin is what made the call.
type CallOrigin string

const (
	OriginDialer   CallOrigin = "dialer"
	OriginManual   CallOrigin = "manual"
	OriginAPI      CallOrigin = "api"
	OriginWidget   CallOrigin = "widget"
	OriginCallback CallOrigin = "callback"
	OriginInbound  CallOrigin = "inbound"
)

// Valid reports whether o is a defined origin.
func (o CallOrigin) Valid() bool {
	switch o {
	case OriginDialer, OriginManual, OriginAPI, OriginWidget, OriginCallback, OriginInbound:
		return true
	}
	return false
}

// CallState is how far a call got. It only moves forward, except that a
// transferred call can be bridged again.
type CallState string

const (
	CallCreated  CallState = "created"
	CallRinging  CallState = "ringing"
	CallAnswered CallState = "answered"
	CallBridged  CallState = "bridged"
	CallEnded    CallState = "ended"
)

// Rank orders call states; 0 for an unknown one.
func (s CallState) Rank() int {
	switch s {
	case CallCreated:
		return 1
	case CallRinging:
		return 2
	case CallAnswered:
		return 3
	case CallBridged:
		return 4
	case CallEnded:
		return 5
	}
	return 0
}

// Valid reports whether s is a defined call state.
func (s CallState) Valid() bool { return s.Rank() > 0 }

// CallOutcome is how a call ended, for reports and lead retry rules.
type CallOutcome string

const (
	OutcomeAnswered CallOutcome = "answered"
	OutcomeNoAnswer CallOutcome = "no_answer"
	OutcomeBusy     CallOutcome = "busy"
	OutcomeRejected CallOutcome = "rejected"
	OutcomeFailed   CallOutcome = "failed"
	// OutcomeUnreachable: the number could not be reached (network or
	// carrier failure, switch restart); retry later.
	OutcomeUnreachable CallOutcome = "unreachable"
	OutcomeAbandoned   CallOutcome = "abandoned"
	OutcomeMachine     CallOutcome = "machine"
	OutcomeCancelled   CallOutcome = "cancelled"
	// OutcomeTransferFailed: the lead talked to an agent, was blind
	// transferred, the target did not take it and nobody took it back
	// (the agent who transferred it had gone). Not an abandon.
	OutcomeTransferFailed CallOutcome = "transfer_failed"
)

// Valid reports whether o is a defined outcome.
func (o CallOutcome) Valid() bool {
	switch o {
	case OutcomeAnswered, OutcomeNoAnswer, OutcomeBusy, OutcomeRejected, OutcomeFailed, OutcomeUnreachable,
		OutcomeAbandoned, OutcomeMachine, OutcomeCancelled, OutcomeTransferFailed:
		return true
	}
	return false
}

// Call is the durable record (CDR) of one call.
type Call struct {
	ID        CallID        `json:"id"`
	Direction CallDirection `json:"direction"`
	Origin    CallOrigin    `json:"origin"`
	// Campaign, Lead and Agent are 0 when not (yet) known.
	Campaign    CampaignID  `json:"campaign_id,omitempty"`
	Lead        LeadID      `json:"lead_id,omitempty"`
	Agent       AgentID     `json:"agent_id,omitempty"`
	FromNumber  string      `json:"from_number,omitempty"`
	ToNumber    string      `json:"to_number,omitempty"`
	State       CallState   `json:"state"`
	HangupCause string      `json:"hangup_cause,omitempty"`
	Outcome     CallOutcome `json:"outcome,omitempty"`
	Billsec     int         `json:"billsec"`
	// SwitchLost: the switch died under the call (crash, kill, lost
	// host), so the call was closed at the last moment it was known alive
	// and BillsecEstimated says billsec is an estimate, not the switch's
	// own count.
	SwitchLost       bool      `json:"switch_lost,omitempty"`
	BillsecEstimated bool      `json:"billsec_estimated,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	AnsweredAt       time.Time `json:"answered_at,omitzero"`
	BridgedAt        time.Time `json:"bridged_at,omitzero"`
	EndedAt          time.Time `json:"ended_at,omitzero"`
	RecordingPath    string    `json:"recording_path,omitempty"`
	Disposition      string    `json:"disposition,omitempty"`
	Notes            string    `json:"notes,omitempty"`
}

// Validate checks a new call record.
func (c Call) Validate() error {
	switch {
	case !c.ID.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case !c.Direction.Valid():
		return &FieldError{Field: "direction", Reason: "inbound or outbound"}
	case !c.Origin.Valid():
		return &FieldError{Field: "origin", Reason: "unknown origin"}
	case c.State != "" && c.State != CallCreated && c.State != CallRinging:
		return &FieldError{Field: "state", Reason: "a new call is created or ringing"}
	case c.FromNumber != "" && !validNumber(c.FromNumber):
		return &FieldError{Field: "from_number", Reason: "E.164 or an extension"}
	case c.ToNumber != "" && !validNumber(c.ToNumber):
		return &FieldError{Field: "to_number", Reason: "E.164 or an extension"}
	case c.CreatedAt.IsZero():
		return &FieldError{Field: "created_at", Reason: "required"}
	}
	return nil
}

func validNumber(s string) bool { return ValidPhone(s) || ValidExtension(s) }

// LegRole is what a leg is for within a call.
type LegRole string

const (
	LegLead       LegRole = "lead"
	LegAgent      LegRole = "agent"
	LegThird      LegRole = "third"
	LegSupervisor LegRole = "supervisor"
)

// Valid reports whether r is a defined leg role.
func (r LegRole) Valid() bool {
	return r == LegLead || r == LegAgent || r == LegThird || r == LegSupervisor
}

// CallLeg is one channel of a call on the switch.
type CallLeg struct {
	ID   LegID   `json:"id"`
	Call CallID  `json:"call_id"`
	Role LegRole `json:"role"`
	// Endpoint is what was dialed (user/1001, a gateway and number...).
	Endpoint string `json:"endpoint"`
	// Node names the switch that carries the leg.
	Node        string    `json:"node,omitempty"`
	Agent       AgentID   `json:"agent_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	HangupCause string    `json:"hangup_cause,omitempty"`
}

// Validate checks a new leg.
func (l CallLeg) Validate() error {
	switch {
	case !l.ID.Valid():
		return &FieldError{Field: "leg_id", Reason: "not a UUID"}
	case !l.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case !l.Role.Valid():
		return &FieldError{Field: "role", Reason: "lead, agent, third or supervisor"}
	case l.CreatedAt.IsZero():
		return &FieldError{Field: "created_at", Reason: "required"}
	}
	if err := checkText("endpoint", l.Endpoint, 512, true); err != nil {
		return err
	}
	return checkText("node", l.Node, 128, false)
}

// Timeline event kinds written by the stores themselves.
const (
	EventCallCreated = "created"
	EventLegAdded    = "leg_added"
	EventCallEnded   = "ended"
	EventDisposition = "disposition"
)

// CallEvent is one entry of a call's timeline.
type CallEvent struct {
	Call CallID `json:"call_id"`
	// Seq orders a call's events (1, 2, ...), assigned by the store.
	Seq  int64           `json:"seq"`
	At   time.Time       `json:"at"`
	Kind string          `json:"kind"`
	Leg  LegID           `json:"leg_id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// CallProgress is one step of a live call: a timeline event plus the call
// and leg fields it changes, written together.
type CallProgress struct {
	Call CallID
	At   time.Time
	// Kind names the timeline event ("answered", "bridged", "hold"...).
	Kind string
	Leg  LegID
	Data json.RawMessage
	// State moves the call forward ("" keeps it); answered_at and
	// bridged_at are set the first time.
	State CallState
	// Agent sets the agent who has the call (0 keeps it).
	Agent         AgentID
	RecordingPath string
	// LegAnswered / LegEnded stamp Leg with At.
	LegAnswered bool
	LegEnded    bool
	LegCause    string
}

// Validate checks the request.
func (p CallProgress) Validate() error {
	switch {
	case !p.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case p.At.IsZero():
		return &FieldError{Field: "at", Reason: "required"}
	case !validToken(p.Kind, 32, false):
		return &FieldError{Field: "kind", Reason: "1-32 of [a-z0-9_:.-]"}
	case p.Leg != "" && !p.Leg.Valid():
		return &FieldError{Field: "leg_id", Reason: "not a UUID"}
	case (p.LegAnswered || p.LegEnded) && p.Leg == "":
		return &FieldError{Field: "leg_id", Reason: "required to stamp a leg"}
	case p.State != "" && (!p.State.Valid() || p.State == CallEnded):
		return &FieldError{Field: "state", Reason: "use FinishCall to end a call"}
	case len(p.Data) > 0 && !json.Valid(p.Data):
		return &FieldError{Field: "data", Reason: "not JSON"}
	}
	return checkText("recording_path", p.RecordingPath, 1024, false)
}

// CallEnd closes a call record.
type CallEnd struct {
	Call          CallID
	At            time.Time
	HangupCause   string
	Outcome       CallOutcome
	Billsec       int
	RecordingPath string // "" keeps the one recorded earlier
	// SwitchLost and BillsecEstimated: see Call.
	SwitchLost, BillsecEstimated bool
}

// Validate checks the request.
func (e CallEnd) Validate() error {
	switch {
	case !e.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case e.At.IsZero():
		return &FieldError{Field: "at", Reason: "required"}
	case !e.Outcome.Valid():
		return &FieldError{Field: "outcome", Reason: "unknown outcome"}
	case e.Billsec < 0:
		return &FieldError{Field: "billsec", Reason: "negative"}
	}
	if err := checkText("hangup_cause", e.HangupCause, 64, false); err != nil {
		return err
	}
	return checkText("recording_path", e.RecordingPath, 1024, false)
}

// Disposition is a wrap-up code an agent (or the system) gives a call.
type Disposition struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// System codes are relied on by the service and cannot be deleted.
	System bool `json:"system"`
	// Selectable codes are offered to agents.
	Selectable        bool `json:"selectable"`
	SchedulesCallback bool `json:"schedules_callback"`
	MarksDNC          bool `json:"marks_dnc"`
	// Final codes close the lead; others leave it for a retry.
	Final     bool      `json:"final"`
	Sort      int       `json:"sort"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the fields a store writes.
func (d Disposition) Validate() error {
	if !ValidDispositionCode(d.Code) {
		return &FieldError{Field: "code", Reason: "1-16 of [A-Z0-9_]"}
	}
	return checkText("label", d.Label, 64, true)
}

// CheckFlags refuses what a code cannot do at once.
func (d Disposition) CheckFlags() error {
	if d.SchedulesCallback && d.Final {
		return &FieldError{Field: "final", Reason: "a callback code keeps the lead open"}
	}
	if d.SchedulesCallback && d.MarksDNC {
		return &FieldError{Field: "marks_dnc", Reason: "a callback code cannot block the number it calls back"}
	}
	return nil
}

// SystemFlagsKept refuses a change of what system code cur does: its
// label, order and whether agents see it may change.
func SystemFlagsKept(cur, next Disposition) error {
	switch {
	case cur.SchedulesCallback != next.SchedulesCallback:
		return &FieldError{Field: "schedules_callback", Reason: "a system code keeps what it does"}
	case cur.MarksDNC != next.MarksDNC:
		return &FieldError{Field: "marks_dnc", Reason: "a system code keeps what it does"}
	case cur.Final != next.Final:
		return &FieldError{Field: "final", Reason: "a system code keeps what it does"}
	}
	return nil
}

// Disposal is an agent's wrap-up of a finished call.
type Disposal struct {
	Call  CallID
	Code  string
	Notes string
	// Agent is who disposed (0 for the system).
	Agent AgentID
	At    time.Time
	// Callback is required when the code schedules one.
	Callback *CallbackRequest
}

// CallbackRequest schedules a callback from a disposition.
type CallbackRequest struct {
	// DueAt is the instant (UTC); the API turns the date and time the
	// agent picked in the lead's time zone into it.
	DueAt time.Time `json:"due_at"`
	// Anyone makes it anyone's callback instead of the disposing agent's.
	Anyone bool   `json:"anyone,omitempty"`
	Notes  string `json:"notes,omitempty"`
}

// Validate checks the request.
func (d Disposal) Validate() error {
	switch {
	case !d.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case !ValidDispositionCode(d.Code):
		return &FieldError{Field: "code", Reason: "1-16 of [A-Z0-9_]"}
	case d.At.IsZero():
		return &FieldError{Field: "at", Reason: "required"}
	case d.Callback != nil && d.Callback.DueAt.IsZero():
		return &FieldError{Field: "callback.due_at", Reason: "required"}
	}
	return checkText("notes", d.Notes, 8192, false)
}

// CallbackStatus is where a scheduled callback is.
type CallbackStatus string

const (
	CallbackScheduled CallbackStatus = "scheduled"
	CallbackDialing   CallbackStatus = "dialing"
	CallbackDone      CallbackStatus = "done"
	CallbackCancelled CallbackStatus = "cancelled"
	CallbackMissed    CallbackStatus = "missed"
)

// Valid reports whether s is a defined callback status.
func (s CallbackStatus) Valid() bool {
	switch s {
	case CallbackScheduled, CallbackDialing, CallbackDone, CallbackCancelled, CallbackMissed:
		return true
	}
	return false
}

// Callback is a lead to be called again at a set time.
type Callback struct {
	ID       CallbackID `json:"id"`
	Lead     LeadID     `json:"lead_id"`
	Campaign CampaignID `json:"campaign_id"`
	// Call is the call that scheduled it, if any.
	Call CallID `json:"call_id,omitempty"`
	// Agent owns the callback; 0 means anyone's.
	Agent AgentID `json:"agent_id,omitempty"`
	// DueAt is UTC; TimeZone is the lead's, to show local time.
	DueAt     time.Time       `json:"due_at"`
	TimeZone  string          `json:"time_zone,omitempty"`
	Status    CallbackStatus  `json:"status"`
	Notes     string          `json:"notes,omitempty"`
	CreatedBy identity.UserID `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Validate checks a new callback.
func (c Callback) Validate() error {
	switch {
	case c.Lead <= 0:
		return &FieldError{Field: "lead_id", Reason: "required"}
	case c.DueAt.IsZero():
		return &FieldError{Field: "due_at", Reason: "required"}
	case c.Call != "" && !c.Call.Valid():
		return &FieldError{Field: "call_id", Reason: "not a UUID"}
	case !ValidTimeZone(c.TimeZone):
		return &FieldError{Field: "time_zone", Reason: "an IANA zone such as Europe/Paris"}
	}
	return checkText("notes", c.Notes, 8192, false)
}

// AuditEntry records who did what.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Actor is "user:<id>", "apikey:<id>" or "system".
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	// Role is the actor's role when acting; empty for the system.
	Role identity.Role `json:"role,omitempty"`
	// Remote is the client address the action came from, when it came
	// through the API.
	Remote string `json:"remote,omitempty"`
}

// remoteKey carries the client address in a context, so that the engine's
// audit entries say where a request came from as the API's do.
type remoteKey struct{}

// WithRemote returns ctx carrying the client address addr.
func WithRemote(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteKey{}, addr)
}

// RemoteFrom returns the client address WithRemote put in ctx, or "".
func RemoteFrom(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Actor string
	// Action matches exactly or, ending in ".", as a prefix ("queue.").
	Action string
	Target string
	// Since is inclusive, Until exclusive.
	Since, Until time.Time
	// BeforeID pages: only entries older than this id.
	BeforeID int64
	Limit    int
}

// Validate checks an entry.
func (a AuditEntry) Validate() error {
	if err := checkText("actor", a.Actor, 64, true); err != nil {
		return err
	}
	if !validToken(a.Action, 64, false) {
		return &FieldError{Field: "action", Reason: "1-64 of [a-z0-9_:.-]"}
	}
	if err := checkText("target", a.Target, 256, false); err != nil {
		return err
	}
	if a.Role != "" && !a.Role.Valid() {
		return &FieldError{Field: "role", Reason: "agent, supervisor or admin"}
	}
	if err := checkText("remote", a.Remote, 64, false); err != nil {
		return err
	}
	if len(a.Data) > 0 && !json.Valid(a.Data) {
		return &FieldError{Field: "data", Reason: "not JSON"}
	}
	return nil
}
