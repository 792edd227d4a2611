package webhooks

import (
	"context"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// The call events an endpoint may subscribe to, and the engine's events
// they come from.
var callEvents = map[dialer.LiveEventType]string{
	dialer.EvCallCreated:  "call.started",
	dialer.EvCallAnswered: "call.answered",
	dialer.EvCallEnded:    "call.ended",
	dialer.EvCallDisposed: "call.disposed",
}

// Events lists the event names the service emits today, for the admin's
// choice (other parts add theirs with Emit).
func Events() []string {
	return []string{"call.started", "call.answered", "call.ended", "call.disposed"}
}

// Subscriber is the engine's live event stream (dialer.Engine).
type Subscriber interface {
	Subscribe(ctx context.Context, f dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error)
}

// CallReader reads a call's record (the call log).
type CallReader interface {
	Call(ctx context.Context, id dialer.CallID) (dialer.Call, error)
}

// CallPayload is the data of the call.* events.
type CallPayload struct {
	ID          dialer.CallID        `json:"id"`
	Direction   dialer.CallDirection `json:"direction"`
	Origin      dialer.CallOrigin    `json:"origin"`
	Number      string               `json:"number"`
	CallerID    string               `json:"caller_id,omitempty"`
	FromNumber  string               `json:"from_number,omitempty"`
	ToNumber    string               `json:"to_number,omitempty"`
	Agent       dialer.AgentID       `json:"agent_id,omitempty"`
	Campaign    dialer.CampaignID    `json:"campaign_id,omitempty"`
	Lead        dialer.LeadID        `json:"lead_id,omitempty"`
	Queue       string               `json:"queue,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
	AnsweredAt  time.Time            `json:"answered_at,omitzero"`
	ConnectedAt time.Time            `json:"connected_at,omitzero"`
	EndedAt     time.Time            `json:"ended_at,omitzero"`
	Outcome     dialer.CallOutcome   `json:"outcome,omitempty"`
	HangupCause string               `json:"hangup_cause,omitempty"`
	// Seconds from creation to the end, and from the answer to the end.
	DurationSeconds int `json:"duration_seconds,omitempty"`
	TalkSeconds     int `json:"talk_seconds,omitempty"`
	// Billsec is the switch's count, once the record has it.
	Billsec     int    `json:"billsec,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	// Recording is the API path of the call's recording.
	Recording string `json:"recording,omitempty"`
}

// callPayload is the view's fields, completed by the record's when it
// has them (the record of a call just ended may still be on its way).
func callPayload(v dialer.CallView, rec *dialer.Call) CallPayload {
	p := CallPayload{ID: v.ID, Direction: v.Direction, Origin: v.Origin, Number: v.Number, CallerID: v.CallerID,
		Agent: v.Agent, Campaign: v.Campaign, Lead: v.Lead, Queue: v.Queue, CreatedAt: v.CreatedAt,
		AnsweredAt: v.AnsweredAt, ConnectedAt: v.ConnectedAt, EndedAt: v.EndedAt, Outcome: v.Outcome, HangupCause: v.HangupCause}
	if rec != nil {
		p.FromNumber, p.ToNumber, p.Billsec, p.Disposition = rec.FromNumber, rec.ToNumber, rec.Billsec, rec.Disposition
		if p.EndedAt.IsZero() {
			p.EndedAt = rec.EndedAt
		}
		if p.AnsweredAt.IsZero() {
			p.AnsweredAt = rec.AnsweredAt
		}
		if p.Outcome == "" {
			p.Outcome, p.HangupCause = rec.Outcome, rec.HangupCause
		}
		if rec.RecordingPath != "" {
			p.Recording = "/api/v1/calls/" + string(v.ID) + "/recording"
		}
	}
	if v.Recording && p.Recording == "" {
		p.Recording = "/api/v1/calls/" + string(v.ID) + "/recording"
	}
	if !p.EndedAt.IsZero() {
		p.DurationSeconds = int(p.EndedAt.Sub(p.CreatedAt).Seconds())
		if !p.AnsweredAt.IsZero() {
			p.TalkSeconds = int(p.EndedAt.Sub(p.AnsweredAt).Seconds())
		}
	}
	return p
}

// FollowCalls emits the engine's call events until ctx ends. The engine
// drops a subscriber that falls behind; it is then followed again.
func (s *Service) FollowCalls(ctx context.Context, sub Subscriber, calls CallReader) {
	for ctx.Err() == nil {
		_, ch, err := sub.Subscribe(ctx, dialer.LiveFilter{})
		if err != nil {
			s.cfg.Logger.Warn("could not follow the engine's events", "err", err)
			return
		}
		for ev := range ch {
			s.callEvent(ctx, ev, calls)
		}
		if ctx.Err() == nil {
			s.cfg.Logger.Warn("fell behind the engine's events; following again (some call events were not sent)")
		}
	}
}

func (s *Service) callEvent(ctx context.Context, ev dialer.LiveEvent, calls CallReader) {
	name, ok := callEvents[ev.Type]
	if !ok || ev.CallView == nil {
		return
	}
	var rec *dialer.Call
	if calls != nil && (ev.Type == dialer.EvCallEnded || ev.Type == dialer.EvCallDisposed) {
		if c, err := calls.Call(ctx, ev.CallView.ID); err == nil {
			rec = &c
		}
	}
	if err := s.Emit(ctx, name, 0, callPayload(*ev.CallView, rec)); err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("could not enqueue a webhook event", "event", name, "call_id", ev.CallView.ID, "err", err)
	}
}
