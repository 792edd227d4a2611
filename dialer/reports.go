package dialer

import (
	"context"
	"time"
)

// AgentStateChange is one state an agent entered, kept for reports: the
// state lasts until the agent's next change.
type AgentStateChange struct {
	Agent     AgentID
	At        time.Time
	State     AgentState
	PauseCode string
	Call      CallID
	Campaign  CampaignID
}

// AgentStateLog is a CallLog that also keeps agents' state changes; the
// engine writes them behind the call records when its CallLog is one.
type AgentStateLog interface {
	RecordAgentState(ctx context.Context, c AgentStateChange) error
}

// recordAgentState queues st as a change when it is one: a view published
// again (a refresh) is not written twice.
func (e *Engine) recordAgentState(st AgentStatus, v AgentView) {
	log, ok := e.calls.(AgentStateLog)
	if !ok || !st.State.Valid() {
		return
	}
	at := st.Since
	if at.IsZero() {
		at = e.now()
	}
	ch := AgentStateChange{Agent: st.Agent, At: at, State: st.State, PauseCode: st.PauseCode, Call: st.Call}
	if v.Campaign != nil {
		ch.Campaign = v.Campaign.ID
	}
	key := agentStateKey{at: at.UnixMilli(), state: st.State}
	e.mu.Lock()
	seen := e.statesSeen[st.Agent] == key
	if !seen {
		e.statesSeen[st.Agent] = key
	}
	e.mu.Unlock()
	if seen {
		return
	}
	e.cdr.add(func(ctx context.Context) error { return log.RecordAgentState(ctx, ch) })
}

// agentStateKey is the last state change of an agent queued for writing.
type agentStateKey struct {
	at    int64
	state AgentState
}

// ReportFilter selects what a report covers: calls created, and agent
// time spent, in [From, To); days are those of Loc.
type ReportFilter struct {
	From, To time.Time
	Loc      *time.Location
	Campaign CampaignID
	Queue    QueueID
	Agent    AgentID
	// Team keeps the agents of one team (and the calls they took).
	Team TeamID
	// Hourly splits the queue report by hour instead of by day.
	Hourly bool
}

// AgentReport is one agent's work over a report's range, in seconds.
type AgentReport struct {
	Agent AgentID `json:"agent_id"`
	Name  string  `json:"name"`
	// Calls the agent talked on.
	Calls       int   `json:"calls"`
	TalkSec     int64 `json:"talk_sec"`
	HoldSec     int64 `json:"hold_sec"`
	WrapupSec   int64 `json:"wrapup_sec"`
	ReadySec    int64 `json:"ready_sec"`
	PauseSec    int64 `json:"pause_sec"`
	LoggedInSec int64 `json:"logged_in_sec"`
	// PauseByCode splits PauseSec by the code paused with.
	PauseByCode map[string]int64 `json:"pause_by_code"`
	// Occupancy is talk, hold and wrap-up over the time logged in and not
	// paused (0 to 1).
	Occupancy    float64        `json:"occupancy"`
	Dispositions map[string]int `json:"dispositions"`
}

// CampaignWindow is a campaign's figures since a moment up to now.
type CampaignWindow struct {
	Name        string    `json:"name"`
	From        time.Time `json:"from"`
	Attempts    int       `json:"attempts"`
	Contacts    int       `json:"contacts"`
	Abandoned   int       `json:"abandoned"`
	AbandonRate float64   `json:"abandon_rate"`
}

// CampaignDay is a campaign's figures over one day (or hour).
type CampaignDay struct {
	Start       time.Time      `json:"start"`
	Attempts    int            `json:"attempts"`
	Contacts    int            `json:"contacts"`
	Abandoned   int            `json:"abandoned"`
	AbandonRate float64        `json:"abandon_rate"`
	Conversions map[string]int `json:"dispositions"`
}

// CampaignReport is one campaign's dialing over a report's range.
type CampaignReport struct {
	Campaign CampaignID `json:"campaign_id"`
	Name     string     `json:"name"`
	// The whole range's figures, Start its first day.
	CampaignDay
	// Windows are today, the last 24 hours and the last 30 days, up to
	// now whatever the range.
	Windows []CampaignWindow `json:"windows"`
	Days    []CampaignDay    `json:"days"`
}

// QueuePeriod is a queue's figures over one day or hour (or the range).
type QueuePeriod struct {
	Start    time.Time `json:"start"`
	Offered  int       `json:"offered"`
	Answered int       `json:"answered"`
	// InService: answered within the queue's service level.
	InService    int     `json:"in_service"`
	ServiceLevel float64 `json:"service_level"`
	Abandoned    int     `json:"abandoned"`
	// AvgWaitSec and MaxWaitSec are over the answered calls.
	AvgWaitSec float64 `json:"avg_wait_sec"`
	MaxWaitSec int64   `json:"max_wait_sec"`
}

// QueueReport is one queue's callers over a report's range.
type QueueReport struct {
	Queue              QueueID `json:"queue_id"`
	Name               string  `json:"name"`
	ServiceLevelSecond int     `json:"service_level_seconds"`
	// The whole range's figures, Start its first day.
	QueuePeriod
	Periods []QueuePeriod `json:"periods"`
}

// HangupCount is how many calls of a direction ended with a cause.
type HangupCount struct {
	Cause     string        `json:"cause"`
	Direction CallDirection `json:"direction"`
	Calls     int           `json:"calls"`
}
