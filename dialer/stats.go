package dialer

import "time"

// CallStats are a campaign's figures over the calls placed in [From, To].
type CallStats struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Attempts: every call of the campaign.
	Attempts int `json:"attempts"`
	// Answered: answered by a person (machines are not counted,
	// abandoned calls are).
	Answered int `json:"answered"`
	// Connected: the lead reached an agent (outcome answered or
	// transfer_failed, or a live call bridged).
	Connected int `json:"connected"`
	// Abandoned: the lead answered and no agent came (outcome abandoned).
	Abandoned int `json:"abandoned"`
	// AbandonRate is Abandoned / Answered (the US TSR rule: abandons
	// over live-answered calls); 0 with no answered call.
	AbandonRate float64 `json:"abandon_rate"`
	// AvgTalkSeconds is the mean billsec of the ended calls that reached
	// an agent; 0 with none.
	AvgTalkSeconds float64 `json:"avg_talk_seconds"`
}
