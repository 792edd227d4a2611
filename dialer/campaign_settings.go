package dialer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
	"github.com/agentswitch/agentswitch/dialer/phone"
)

// DialManual: agents dial the campaign's leads themselves.
const DialManual DialMode = "manual"

// CampaignSettings are the dialing rules a campaign keeps in its settings
// JSON object. Keys it does not know (a calling window) are kept as they
// are by MergeSettings.
type CampaignSettings struct {
	// LinesPerAgent is how many leads progressive mode dials per ready agent.
	LinesPerAgent int `json:"lines_per_agent"`
	// CallerIDPool: numbers presented by the lead's area code (local
	// presence); the campaign's caller_id when none matches.
	CallerIDPool []string    `json:"caller_id_pool"`
	RetryDelays  RetryDelays `json:"retry_delays"`
	// DispositionActions override what a disposition code does to the lead.
	DispositionActions map[string]DispositionAction `json:"disposition_actions"`
	Recording          RecordingPolicy              `json:"recording"`
	// ConsentMessage is the sound played before an "ask" recording.
	ConsentMessage string `json:"consent_message"`
	// AllowedAgents limits who takes the campaign's calls; empty: anyone
	// assigned to it.
	AllowedAgents []AgentID `json:"allowed_agents"`
	LeadOrder     LeadOrder `json:"lead_order"`
	// PreviewTimeoutSeconds dials a previewed lead by itself; 0 waits.
	PreviewTimeoutSeconds int `json:"preview_timeout_seconds"`

	// Predictive campaigns: how the abandon allowance is spent (strict,
	// tapered, average), the ceiling in percent of live answers (at most
	// the regulators' 3), the staffed agents below which the campaign
	// dials progressive, and the lines in flight per staffed agent.
	PacingMode        pacing.Mode `json:"pacing_mode"`
	AbandonCeilingPct float64     `json:"abandon_ceiling_pct"`
	MinAgents         int         `json:"min_agents"`
	MaxLinesPerAgent  float64     `json:"max_lines_per_agent"`
}

// RetryDelays are seconds before an unanswered lead is dialed again.
type RetryDelays struct {
	Busy      int `json:"busy"`
	NoAnswer  int `json:"no_answer"`
	Failed    int `json:"failed"`
	Machine   int `json:"machine"`
	Abandoned int `json:"abandoned"`
}

// DispositionAction is what a disposition does to its lead.
type DispositionAction string

const (
	ActionRetry    DispositionAction = "retry"
	ActionCallback DispositionAction = "callback"
	ActionDone     DispositionAction = "done"
	ActionDNC      DispositionAction = "dnc"
)

func (a DispositionAction) valid() bool {
	return a == ActionRetry || a == ActionCallback || a == ActionDone || a == ActionDNC
}

// RecordingPolicy says which calls are recorded.
type RecordingPolicy string

const (
	RecordOff    RecordingPolicy = "off"
	RecordAlways RecordingPolicy = "always"
	// RecordAsk plays the consent message first.
	RecordAsk RecordingPolicy = "ask"
)

// LeadOrder is the order in which due leads are dialed.
type LeadOrder string

const (
	OrderNewFirst    LeadOrder = "new_first"
	OrderOldestFirst LeadOrder = "oldest_first"
	OrderPriority    LeadOrder = "priority"
	OrderRandom      LeadOrder = "random"
)

// SettingsKeys are the settings keys CampaignSettings owns.
var SettingsKeys = []string{"lines_per_agent", "caller_id_pool", "retry_delays", "disposition_actions", "recording",
	"consent_message", "allowed_agents", "lead_order", "preview_timeout_seconds", "pacing_mode", "abandon_ceiling_pct",
	"min_agents", "max_lines_per_agent"}

// DefaultCampaignSettings are what a campaign without settings dials by.
func DefaultCampaignSettings() CampaignSettings {
	return CampaignSettings{
		LinesPerAgent: 1,
		RetryDelays: RetryDelays{Busy: 3600, NoAnswer: 2 * 3600, Failed: 4 * 3600, Machine: 4 * 3600,
			Abandoned: 30 * 60},
		Recording:         RecordOff,
		LeadOrder:         OrderNewFirst,
		PacingMode:        pacing.Strict,
		AbandonCeilingPct: 100 * pacing.DefaultCeiling,
		MinAgents:         pacing.DefaultMinAgents,
		MaxLinesPerAgent:  pacing.DefaultMaxLinesPerAgent,
	}
}

// maxRetryDelay: a lead not retried within 30 days is better closed.
const maxRetryDelay = 30 * 24 * 3600

var (
	dispositionCode = regexp.MustCompile(`^[A-Z0-9_]{1,16}$`)
	// soundName reaches a switch command: a name or relative path only.
	soundName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$`)
)

// Validate checks every setting; errors name the JSON field.
func (s CampaignSettings) Validate() error {
	if s.LinesPerAgent < 1 || s.LinesPerAgent > 10 {
		return settingErr("lines_per_agent", "1-10")
	}
	if len(s.CallerIDPool) > 1000 {
		return settingErr("caller_id_pool", "at most 1000 numbers")
	}
	seen := map[string]bool{}
	for i, n := range s.CallerIDPool {
		f := fmt.Sprintf("caller_id_pool[%d]", i)
		if !ValidPhone(n) {
			return settingErr(f, "E.164 (+ and digits)")
		}
		if seen[n] {
			return settingErr(f, "listed twice")
		}
		seen[n] = true
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"busy", s.RetryDelays.Busy}, {"no_answer", s.RetryDelays.NoAnswer}, {"failed", s.RetryDelays.Failed},
		{"machine", s.RetryDelays.Machine}, {"abandoned", s.RetryDelays.Abandoned}} {
		if d.v < 0 || d.v > maxRetryDelay {
			return settingErr("retry_delays."+d.name, fmt.Sprintf("seconds, 0-%d", maxRetryDelay))
		}
	}
	if len(s.DispositionActions) > 200 {
		return settingErr("disposition_actions", "at most 200 codes")
	}
	for code, a := range s.DispositionActions {
		if !dispositionCode.MatchString(code) {
			return settingErr("disposition_actions", fmt.Sprintf("bad code %q: 1-16 of A-Z 0-9 _", code))
		}
		if !a.valid() {
			return settingErr("disposition_actions."+code, "retry, callback, done or dnc")
		}
	}
	switch s.Recording {
	case RecordOff, RecordAlways:
	case RecordAsk:
		if s.ConsentMessage == "" {
			return settingErr("consent_message", "required when recording is ask")
		}
	default:
		return settingErr("recording", "off, always or ask")
	}
	if s.ConsentMessage != "" && (!soundName.MatchString(s.ConsentMessage) || strings.Contains(s.ConsentMessage, "..")) {
		return settingErr("consent_message", "a sound name or relative path: letters, digits, _ . / -")
	}
	if len(s.AllowedAgents) > 10000 {
		return settingErr("allowed_agents", "at most 10000 agents")
	}
	agents := map[AgentID]bool{}
	for i, a := range s.AllowedAgents {
		if a <= 0 {
			return settingErr(fmt.Sprintf("allowed_agents[%d]", i), "an agent id")
		}
		if agents[a] {
			return settingErr(fmt.Sprintf("allowed_agents[%d]", i), "listed twice")
		}
		agents[a] = true
	}
	switch s.LeadOrder {
	case OrderNewFirst, OrderOldestFirst, OrderPriority, OrderRandom:
	default:
		return settingErr("lead_order", "new_first, oldest_first, priority or random")
	}
	if s.PreviewTimeoutSeconds < 0 || s.PreviewTimeoutSeconds > 3600 {
		return settingErr("preview_timeout_seconds", "0-3600 (0: no timeout)")
	}
	switch s.PacingMode {
	case pacing.Strict, pacing.Tapered, pacing.Average:
	default:
		return settingErr("pacing_mode", "strict, tapered or average")
	}
	if !(s.AbandonCeilingPct > 0 && s.AbandonCeilingPct <= maxCeilingPct) {
		return settingErr("abandon_ceiling_pct", fmt.Sprintf("percent of live answers, above 0 and at most %g", maxCeilingPct))
	}
	if s.MinAgents < 1 || s.MinAgents > 1000 {
		return settingErr("min_agents", "1-1000")
	}
	if !(s.MaxLinesPerAgent >= 1 && s.MaxLinesPerAgent <= maxPacedLinesPerAgent) {
		return settingErr("max_lines_per_agent", fmt.Sprintf("1-%d", maxPacedLinesPerAgent))
	}
	return nil
}

// maxCeilingPct is the regulators' abandon ceiling (US TSR, UK Ofcom): a
// campaign may aim lower, never higher.
const maxCeilingPct = 3.0

// maxPacedLinesPerAgent bounds the predictive lines per staffed agent.
const maxPacedLinesPerAgent = 10

// PacingConfig is the pacer's configuration for the campaign.
func (s CampaignSettings) PacingConfig() pacing.Config {
	return pacing.Config{Mode: s.PacingMode, Ceiling: s.AbandonCeilingPct / 100, LinesPerAgent: s.LinesPerAgent,
		MaxLinesPerAgent: s.MaxLinesPerAgent, MinAgents: s.MinAgents}
}

// ParseCampaignSettings reads a campaign's settings JSON over the
// defaults and validates it. Unknown keys are ignored here (other rules
// own them); a value of the wrong type names its field.
func ParseCampaignSettings(raw json.RawMessage) (CampaignSettings, error) {
	s := DefaultCampaignSettings()
	if err := ApplySettings(&s, raw); err != nil {
		return CampaignSettings{}, err
	}
	return s, s.Validate()
}

// ApplySettings decodes the JSON object patch over s: fields it names are
// replaced, nested objects (retry_delays, disposition_actions) key by key.
// It does not validate.
func ApplySettings(s *CampaignSettings, patch json.RawMessage) error {
	if len(bytes.TrimSpace(patch)) == 0 {
		return nil
	}
	if !isJSONObject(patch) {
		return settingErr("settings", "must be a JSON object")
	}
	err := json.Unmarshal(patch, s)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "settings"
		}
		return settingErr(f, "must be "+jsonKind(te.Type.Kind().String()))
	}
	if err != nil {
		return settingErr("settings", err.Error())
	}
	// null (or "") removes a code's override.
	for code, a := range s.DispositionActions {
		if a == "" {
			delete(s.DispositionActions, code)
		}
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// MergeSettings writes s into the stored settings object, keeping the keys
// s does not own as they were.
func MergeSettings(stored json.RawMessage, s CampaignSettings) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(stored)) > 0 {
		if err := json.Unmarshal(stored, &m); err != nil || m == nil {
			return nil, settingErr("settings", "must be a JSON object")
		}
	}
	// Empty lists read as lists, not null.
	if s.CallerIDPool == nil {
		s.CallerIDPool = []string{}
	}
	if s.AllowedAgents == nil {
		s.AllowedAgents = []AgentID{}
	}
	if s.DispositionActions == nil {
		s.DispositionActions = map[string]DispositionAction{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var own map[string]json.RawMessage
	if err := json.Unmarshal(b, &own); err != nil {
		return nil, err
	}
	for k, v := range own {
		m[k] = v
	}
	return json.Marshal(m)
}

// Delay is the retry delay after a call that ended with o; outcomes
// without their own delay wait as long as a no answer.
func (d RetryDelays) Delay(o CallOutcome) time.Duration {
	s := d.NoAnswer
	switch o {
	case OutcomeBusy:
		s = d.Busy
	case OutcomeFailed, OutcomeRejected, OutcomeUnreachable:
		s = d.Failed
	case OutcomeMachine:
		s = d.Machine
	case OutcomeAbandoned:
		s = d.Abandoned
	case OutcomeCancelled:
		// We gave up before an answer: the lead did nothing wrong.
		s = 0
	}
	return time.Duration(s) * time.Second
}

// ActionFor is what disposition d does to a lead in this campaign: the
// campaign's override, else what the code itself says.
func (s CampaignSettings) ActionFor(d Disposition) DispositionAction {
	if a, ok := s.DispositionActions[d.Code]; ok {
		return a
	}
	return ActionFor(d)
}

// ActionFor is what disposition d itself says to do with its lead.
func ActionFor(d Disposition) DispositionAction {
	switch {
	case d.MarksDNC:
		return ActionDNC
	case d.SchedulesCallback:
		return ActionCallback
	case d.Final:
		return ActionDone
	}
	return ActionRetry
}

// CallerIDFor picks the number presented to lead: a pool number in the
// lead's area code (local presence), else the campaign's caller ID, else
// the pool's first, else "" (the gateway's).
func CallerIDFor(lead, callerID string, pool []string) string {
	if len(pool) == 0 {
		// Nothing to match: spare the number's parse, on every dial.
		return callerID
	}
	if area := phone.AreaCode(lead); area != "" {
		for _, n := range pool {
			if phone.AreaCode(n) == area {
				return n
			}
		}
	}
	if callerID != "" || len(pool) == 0 {
		return callerID
	}
	return pool[0]
}

// LeadNext is a lead's status and due time after a call or disposition.
type LeadNext struct {
	Status     LeadStatus
	NextCallAt time.Time // zero: not scheduled
}

// invalidCauses mean the number itself is wrong: never dialed again.
var invalidCauses = map[string]bool{
	"UNALLOCATED_NUMBER":    true,
	"INVALID_NUMBER_FORMAT": true,
	"NO_ROUTE_DESTINATION":  true,
	"NUMBER_CHANGED":        true,
}

// LeadAfterCall is what a call placed to a lead does to it once it ends.
// attempts counts this call. ok is false for a call that reached an agent:
// its disposition decides.
func LeadAfterCall(o CallOutcome, cause string, attempts, maxAttempts int, d RetryDelays, now time.Time) (next LeadNext, ok bool) {
	switch {
	case o == OutcomeAnswered || o == OutcomeTransferFailed:
		return LeadNext{}, false
	case o != OutcomeAbandoned && invalidCauses[cause]:
		return LeadNext{Status: LeadInvalid}, true
	}
	delay := d.Delay(o)
	if o == OutcomeAbandoned {
		delay = max(delay, AbandonQuiet)
	}
	return retryOrDone(attempts, maxAttempts, delay, now), true
}

// AbandonQuiet is how long a number whose call was abandoned is not dialed
// again (the UK's Ofcom rule, kept everywhere): longer than any campaign's
// own abandoned retry delay asks for.
const AbandonQuiet = 72 * time.Hour

// LeadAfterDisposition is what action does to a lead. A callback action
// with no callback scheduled (a code the campaign turned into one) is a
// retry: the lead would otherwise wait for a call nobody planned.
func LeadAfterDisposition(a DispositionAction, attempts, maxAttempts int, retryDelay time.Duration, callbackAt, now time.Time) LeadNext {
	switch a {
	case ActionDone:
		return LeadNext{Status: LeadDone}
	case ActionDNC:
		return LeadNext{Status: LeadDNC}
	case ActionCallback:
		if !callbackAt.IsZero() {
			return LeadNext{Status: LeadCallback, NextCallAt: callbackAt}
		}
	}
	return retryOrDone(attempts, maxAttempts, retryDelay, now)
}

func retryOrDone(attempts, maxAttempts int, delay time.Duration, now time.Time) LeadNext {
	if attempts >= maxAttempts {
		return LeadNext{Status: LeadDone}
	}
	return LeadNext{Status: LeadRetry, NextCallAt: now.Add(delay)}
}

func settingErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
