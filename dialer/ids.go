package dialer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
)

// Durable entities are numbered by the database that owns them. Distinct
// types keep an agent id from being passed where a lead id is expected.
// Users and API keys are identity's (identity.UserID, identity.APIKeyID).
type (
	AgentID    int64
	CampaignID int64
	LeadID     int64
	CallbackID int64
)

func (id AgentID) String() string    { return strconv.FormatInt(int64(id), 10) }
func (id CampaignID) String() string { return strconv.FormatInt(int64(id), 10) }
func (id LeadID) String() string     { return strconv.FormatInt(int64(id), 10) }
func (id CallbackID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseAgentID parses the decimal form produced by AgentID.String.
func ParseAgentID(s string) (AgentID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, &FieldError{Field: "agent_id", Reason: fmt.Sprintf("not a positive integer: %q", s)}
	}
	return AgentID(n), nil
}

// CallID and LegID are UUIDs chosen by us before anything is sent to the
// switch (they become FreeSWITCH origination_uuid values), so a late event can
// always be matched to its call.
type (
	CallID string
	LegID  string
)

// NewCallID returns a fresh call id: a version 7 UUID, time-ordered, so
// a call's records are written at the end of their tables' keys rather
// than all over them, and still unguessable in its 74 random bits.
func NewCallID() CallID { return CallID(newV7()) }

// NewLegID returns a fresh leg id, a version 7 UUID like NewCallID's.
func NewLegID() LegID { return LegID(newV7()) }

func newV7() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only when the system's random source fails.
		return uuid.NewString()
	}
	return id.String()
}

func (id CallID) String() string { return string(id) }
func (id LegID) String() string  { return string(id) }

// Valid reports whether id is a canonical lowercase UUID. Call ids reach
// switch commands, so nothing else may pass.
func (id CallID) Valid() bool { return isUUID(string(id)) }

// Valid reports whether id is a canonical lowercase UUID.
func (id LegID) Valid() bool { return isUUID(string(id)) }

// isUUID: a UUID (esl.ValidateUUID) in lower case, as NewCallID and
// NewLegID write them and FreeSWITCH reports them.
func isUUID(s string) bool {
	return esl.ValidateUUID("id", s) == nil && strings.ToLower(s) == s
}
