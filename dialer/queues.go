package dialer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer/ring"
	"github.com/agentswitch/agentswitch/esl"
)

// QueueID numbers an inbound queue.
type QueueID int64

func (id QueueID) String() string { return strconv.FormatInt(int64(id), 10) }

// Queue is an inbound queue: where the calls of the DIDs that name it
// wait, and how they reach its member agents.
type Queue struct {
	ID QueueID `json:"id"`
	QueueSettings
	// Version counts the queue's writes; UpdateQueue writes only over the
	// version it was given (ErrStale otherwise).
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// QueueSettings are the fields of a queue an admin sets.
type QueueSettings struct {
	// Name is what a DID's queue names: 1-64 of [a-z0-9_.-], unique.
	Name     string        `json:"name"`
	Strategy ring.Strategy `json:"strategy"`
	// Gap is the pause between one-at-a-time offers (ring.Settings.Gap).
	Gap QueueGap `json:"gap"`
	// RingTimeoutSeconds is how long one agent's phone rings before the
	// offer counts as missed.
	RingTimeoutSeconds int `json:"ring_timeout_seconds"`
	WrapUpSeconds      int `json:"wrapup_seconds"`
	// MaxWaitSeconds bounds a caller's wait (0: no bound); past it the
	// overflow applies.
	MaxWaitSeconds int `json:"max_wait_seconds"`
	// MaxWaiting bounds the callers waiting at once (0: no bound).
	MaxWaiting int `json:"max_waiting"`
	// Music is the sound the switch plays to waiting callers; "" is the
	// switch's hold music.
	Music string `json:"music"`
	// AnnounceSeconds is the time between announcements (0: none); each
	// says the position and/or the estimated wait.
	AnnounceSeconds  int  `json:"announce_seconds"`
	AnnouncePosition bool `json:"announce_position"`
	AnnounceWait     bool `json:"announce_wait"`
	// ServiceLevelSeconds is the answer time the service level counts
	// calls within.
	ServiceLevelSeconds int `json:"service_level_seconds"`
	// MaxNoAnswer pauses an agent who misses that many offers in a row
	// (ring.NoAnswer; 0 never pauses).
	MaxNoAnswer int           `json:"max_no_answer"`
	Overflow    QueueOverflow `json:"overflow"`
	Active      bool          `json:"active"`
}

// QueueGap is ring.Gap in whole seconds, as an admin types it.
type QueueGap struct {
	MinSeconds int `json:"min_seconds"`
	MaxSeconds int `json:"max_seconds"`
}

// OverflowKind is where a caller goes when a queue overflows.
type OverflowKind string

// The overflow kinds.
const (
	OverflowNone      OverflowKind = "none"
	OverflowQueue     OverflowKind = "queue"
	OverflowNumber    OverflowKind = "number"
	OverflowAgent     OverflowKind = "agent"
	OverflowVoicemail OverflowKind = "voicemail"
	// OverflowCallback schedules a callback that keeps the caller's place.
	OverflowCallback OverflowKind = "callback"
)

// OverflowKinds lists every kind.
var OverflowKinds = []OverflowKind{OverflowNone, OverflowQueue, OverflowNumber, OverflowAgent, OverflowVoicemail, OverflowCallback}

// QueueOverflow says when a caller leaves the queue and for where. Only
// the target field of Kind is set.
type QueueOverflow struct {
	// OnMaxWait overflows a caller who waited MaxWaitSeconds.
	OnMaxWait bool `json:"on_max_wait"`
	// OnNoAgents overflows when no member agent is logged in.
	OnNoAgents bool         `json:"on_no_agents"`
	Kind       OverflowKind `json:"kind"`
	Queue      QueueID      `json:"queue_id,omitempty"`
	// Number is E.164.
	Number string  `json:"number,omitempty"`
	Agent  AgentID `json:"agent_id,omitempty"`
	// Greeting is the sound played before a voicemail-style recording.
	Greeting string `json:"greeting,omitempty"`
}

// Queue bounds.
const (
	// MaxCallerPriority bounds a caller's priority either way.
	MaxCallerPriority    = 100
	MaxQueueRingTimeout  = 300
	MaxQueueWrapUp       = 3600
	MaxQueueWait         = 86400
	MaxQueueWaiting      = 10000
	MaxQueueAnnounce     = 3600
	MinQueueAnnounce     = 10
	MaxQueueServiceLevel = 3600
)

// DefaultQueueSettings are a new queue's settings before the admin's.
func DefaultQueueSettings() QueueSettings {
	return QueueSettings{
		Strategy:            ring.LongestIdle,
		RingTimeoutSeconds:  20,
		ServiceLevelSeconds: 20,
		MaxNoAnswer:         3,
		Overflow:            QueueOverflow{Kind: OverflowNone},
		Active:              true,
	}
}

// ValidQueueName reports whether s can name a queue, the token a DID
// routes by: 1-64 of [a-z0-9_.-].
func ValidQueueName(s string) bool { return validToken(s, 64, false) && !strings.Contains(s, ":") }

// Ring is the queue's ring policy.
func (q QueueSettings) Ring() ring.Settings {
	return ring.Settings{Strategy: q.Strategy, Gap: ring.Gap{
		Min: time.Duration(q.Gap.MinSeconds) * time.Second,
		Max: time.Duration(q.Gap.MaxSeconds) * time.Second,
	}}
}

// NoAnswer is the queue's max-no-answer rule.
func (q QueueSettings) NoAnswer() ring.NoAnswer { return ring.NoAnswer{Max: q.MaxNoAnswer} }

// Validate returns a *FieldError naming the JSON field of the first bad
// value. Whether a target queue or agent exists is the store's to check.
func (q QueueSettings) Validate() error {
	if !ValidQueueName(q.Name) {
		return &FieldError{Field: "name", Reason: "1-64 of [a-z0-9_.-]"}
	}
	if err := q.Ring().Validate(); err != nil {
		return ringField(err)
	}
	if err := inRange("ring_timeout_seconds", q.RingTimeoutSeconds, 5, MaxQueueRingTimeout); err != nil {
		return err
	}
	if err := inRange("wrapup_seconds", q.WrapUpSeconds, 0, MaxQueueWrapUp); err != nil {
		return err
	}
	if err := inRange("max_wait_seconds", q.MaxWaitSeconds, 0, MaxQueueWait); err != nil {
		return err
	}
	if err := inRange("max_waiting", q.MaxWaiting, 0, MaxQueueWaiting); err != nil {
		return err
	}
	if err := validSound("music", q.Music); err != nil {
		return err
	}
	if q.AnnounceSeconds != 0 {
		if err := inRange("announce_seconds", q.AnnounceSeconds, MinQueueAnnounce, MaxQueueAnnounce); err != nil {
			return err
		}
		if !q.AnnouncePosition && !q.AnnounceWait {
			return &FieldError{Field: "announce_seconds", Reason: "announces nothing: set announce_position, announce_wait or both"}
		}
	} else if q.AnnouncePosition || q.AnnounceWait {
		return &FieldError{Field: "announce_seconds", Reason: "required (10-3600) to announce the position or the wait"}
	}
	if err := inRange("service_level_seconds", q.ServiceLevelSeconds, 1, MaxQueueServiceLevel); err != nil {
		return err
	}
	if err := q.NoAnswer().Validate(); err != nil {
		return err
	}
	return q.validateOverflow()
}

// ringField renames ring's gap fields to this record's JSON names.
func ringField(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "gap.") {
		return &FieldError{Field: fe.Field + "_seconds", Reason: fe.Reason}
	}
	return err
}

func (q QueueSettings) validateOverflow() error {
	o := q.Overflow
	if !slices.Contains(OverflowKinds, o.Kind) {
		return &FieldError{Field: "overflow.kind", Reason: "one of none, queue, number, agent, voicemail, callback"}
	}
	if o.Kind == OverflowNone {
		if o.OnMaxWait || o.OnNoAgents {
			return &FieldError{Field: "overflow.kind", Reason: "required when on_max_wait or on_no_agents is set"}
		}
	} else if !o.OnMaxWait && !o.OnNoAgents {
		return &FieldError{Field: "overflow.on_max_wait", Reason: "set on_max_wait, on_no_agents or both for the overflow to apply"}
	}
	if o.OnMaxWait && q.MaxWaitSeconds == 0 {
		return &FieldError{Field: "max_wait_seconds", Reason: "required to overflow on max wait"}
	}
	// Each kind takes its own target and none of the others'.
	want := map[OverflowKind]string{OverflowQueue: "overflow.queue_id", OverflowNumber: "overflow.number",
		OverflowAgent: "overflow.agent_id", OverflowVoicemail: "overflow.greeting"}[o.Kind]
	for field, set := range map[string]bool{"overflow.queue_id": o.Queue != 0, "overflow.number": o.Number != "",
		"overflow.agent_id": o.Agent != 0, "overflow.greeting": o.Greeting != ""} {
		if set && field != want {
			return &FieldError{Field: field, Reason: fmt.Sprintf("not a target of overflow kind %s", o.Kind)}
		}
	}
	switch o.Kind {
	case OverflowQueue:
		if o.Queue <= 0 {
			return &FieldError{Field: "overflow.queue_id", Reason: "required: the id of another queue"}
		}
	case OverflowNumber:
		if !ValidPhone(o.Number) {
			return &FieldError{Field: "overflow.number", Reason: "an E.164 number such as +12125550100"}
		}
	case OverflowAgent:
		if o.Agent <= 0 {
			return &FieldError{Field: "overflow.agent_id", Reason: "required: an agent id"}
		}
	case OverflowVoicemail:
		return validSound("overflow.greeting", o.Greeting)
	}
	return nil
}

// Validate checks a whole queue: its settings and that it does not
// overflow into itself.
func (q Queue) Validate() error {
	if err := q.QueueSettings.Validate(); err != nil {
		return err
	}
	if q.ID != 0 && q.Overflow.Kind == OverflowQueue && q.Overflow.Queue == q.ID {
		return &FieldError{Field: "overflow.queue_id", Reason: "a queue cannot overflow into itself"}
	}
	return nil
}

// validSound applies the switch's sound rule (esl.ValidateSound): what an
// admin types here ends up in a playback command. "" is allowed.
func validSound(field, v string) error {
	if v == "" {
		return nil
	}
	if err := esl.ValidateSound(field, v); err != nil {
		var fe *esl.FieldError
		if errors.As(err, &fe) {
			return &FieldError{Field: fe.Field, Reason: fe.Reason}
		}
		return &FieldError{Field: field, Reason: err.Error()}
	}
	return nil
}

func inRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return &FieldError{Field: field, Reason: fmt.Sprintf("%d-%d", lo, hi)}
	}
	return nil
}

// QueueMember is an agent on a queue.
type QueueMember struct {
	Queue QueueID `json:"queue_id"`
	Agent AgentID `json:"agent_id"`
	// Rank orders by-rank offers, higher first.
	Rank int `json:"rank"`
	// Position orders top-down and round-robin offers: 1 is first.
	Position int `json:"position"`
	// Skills the member has: a caller whose number asks for skills is
	// offered only to the members with every one of them; a caller asking
	// for none to any member.
	Skills []string `json:"skills"`
	// Order ranks the agent's queues and campaigns when it is blended:
	// lower is served first.
	Order int `json:"order"`
}

// Member bounds.
const (
	MaxQueueMembers = 1000
	MaxMemberRank   = 1000
	MaxMemberOrder  = 1000
	MaxMemberSkills = 16
)

// Validate checks one member; field names are prefixed with prefix (for
// "members[3].").
func (m QueueMember) Validate(prefix string) error {
	if m.Agent <= 0 {
		return &FieldError{Field: prefix + "agent_id", Reason: "required: an agent id"}
	}
	if err := inRange(prefix+"rank", m.Rank, 0, MaxMemberRank); err != nil {
		return err
	}
	if err := inRange(prefix+"position", m.Position, 1, MaxQueueMembers); err != nil {
		return err
	}
	if err := inRange(prefix+"order", m.Order, 0, MaxMemberOrder); err != nil {
		return err
	}
	return validateSkills(prefix+"skills", m.Skills)
}

// validateSkills checks a skill list named field: at most MaxMemberSkills,
// each a skill name, none twice.
func validateSkills(field string, skills []string) error {
	if len(skills) > MaxMemberSkills {
		return &FieldError{Field: field, Reason: fmt.Sprintf("at most %d", MaxMemberSkills)}
	}
	for i, s := range skills {
		if !ValidSkill(s) {
			return &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: "1-32 of [a-z0-9_.-]"}
		}
		if slices.Contains(skills[:i], s) {
			return &FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: "given twice"}
		}
	}
	return nil
}

// ValidateMembers checks a queue's member list as a whole: each member,
// each agent once, each position once. A zero position takes the
// member's place in the list (1-based), so the list order is the default.
func ValidateMembers(ms []QueueMember) error {
	if len(ms) > MaxQueueMembers {
		return &FieldError{Field: "members", Reason: fmt.Sprintf("at most %d", MaxQueueMembers)}
	}
	agents := make(map[AgentID]bool, len(ms))
	positions := make(map[int]bool, len(ms))
	for i := range ms {
		m := &ms[i]
		if m.Position == 0 {
			m.Position = i + 1
		}
		prefix := fmt.Sprintf("members[%d].", i)
		if err := m.Validate(prefix); err != nil {
			return err
		}
		if agents[m.Agent] {
			return &FieldError{Field: prefix + "agent_id", Reason: "agent listed twice"}
		}
		if positions[m.Position] {
			return &FieldError{Field: prefix + "position", Reason: "position taken by another member"}
		}
		agents[m.Agent], positions[m.Position] = true, true
		if m.Skills == nil {
			m.Skills = []string{}
		}
	}
	return nil
}
