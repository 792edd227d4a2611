package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// A lead request is one visitor's (or one API call's) request to be
// called back through a widget. It is kept from the moment it arrives,
// refusals included, and goes through attempts: each one speed call.

// WidgetRequestID identifies a lead request.
type WidgetRequestID int64

// Lead request statuses.
const (
	RequestScheduled = "scheduled" // waiting for NextAttemptAt
	RequestCalling   = "calling"   // an attempt is running
	RequestConnected = "connected" // final: a manager and the visitor talked
	RequestMissed    = "missed"    // final: no attempt connected, none left
	RequestRefused   = "refused"   // final: never dialed
	RequestCancelled = "cancelled" // final: an admin cancelled a scheduled one
)

// RequestStatuses lists the statuses, for filters.
var RequestStatuses = []string{RequestScheduled, RequestCalling, RequestConnected, RequestMissed, RequestRefused, RequestCancelled}

// Refusal reasons.
const (
	RefusedRateLimited = "rate_limited"
	RefusedRepeat      = "repeat"
	RefusedCountry     = "country"
	RefusedPremium     = "premium"
	RefusedHoneypot    = "honeypot"
	RefusedInvalid     = "invalid"
	RefusedNoneOpen    = "no_manager_open"
)

// ReasonWidgetInactive cancels the scheduled requests of a widget
// switched off.
const ReasonWidgetInactive = "widget_inactive"

// RequestRepeatWindow: the same first number of a widget is not called
// again within it (a double submit, a looping integration).
const RequestRepeatWindow = 10 * time.Minute

// IdempotencyTTL is how long an idempotency key names its request; a
// later request with the key is a new one.
const IdempotencyTTL = 24 * time.Hour

// ErrRepeat is CreateWidgetRequest's answer when the widget was asked
// for the same first number within RequestRepeatWindow.
var ErrRepeat = errors.New("the same number was asked for lately")

// WidgetRequest is one lead request.
type WidgetRequest struct {
	ID          WidgetRequestID   `json:"id"`
	WidgetID    WidgetID          `json:"widget_id"`
	WidgetName  string            `json:"widget_name"`
	Source      string            `json:"source"` // widget or api
	CreatedAt   time.Time         `json:"created_at"`
	Numbers     []string          `json:"numbers"`
	Country     string            `json:"country"`
	Params      map[string]string `json:"params"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason"`
	Field       string            `json:"field"`
	Message     string            `json:"message"`
	Attempts    int               `json:"attempts"`
	MaxAttempts int               `json:"max_attempts"`
	// NextAttemptAt is zero unless scheduled; ConnectedAt unless connected.
	NextAttemptAt time.Time `json:"next_attempt_at"`
	Manager       string    `json:"manager"`
	CallID        CallID    `json:"call_id"`
	ConnectedAt   time.Time `json:"connected_at"`
	TalkSeconds   int       `json:"talk_seconds"`
	Recording     string    `json:"recording"`
	// Count is how many refusals a coalesced row stands for (rate limits).
	Count int `json:"count"`

	// Announcement is what the manager hears ("" makes one from Params);
	// Operators replace the widget's managers when given.
	Announcement string         `json:"-"`
	Operators    []SpeedManager `json:"-"`
	// IdempotencyKey is unique per widget; Response is the first answer
	// sent for it, replayed to a retry.
	IdempotencyKey string `json:"-"`
	Response       []byte `json:"-"`
	// IP is the client's address, kept to coalesce rate-limited refusals.
	IP string `json:"-"`
	// Reached is the lead's number the last attempt reached or tried
	// last; set on the outcome's events, not stored.
	Reached string `json:"-"`
}

// MarshalJSON writes the zero times as null.
func (r WidgetRequest) MarshalJSON() ([]byte, error) {
	type plain WidgetRequest
	return json.Marshal(struct {
		plain
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		ConnectedAt   *time.Time `json:"connected_at"`
	}{plain(r), nullTime(r.NextAttemptAt), nullTime(r.ConnectedAt)})
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Final reports whether the request is done with.
func (r WidgetRequest) Final() bool {
	return r.Status != RequestScheduled && r.Status != RequestCalling
}

// WidgetAttempt is one speed call of a request.
type WidgetAttempt struct {
	N           int       `json:"n"`
	CallID      CallID    `json:"call_id"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	Result      string    `json:"result"`
	Manager     string    `json:"manager"`
	TalkSeconds int       `json:"talk_seconds"`
	Recording   bool      `json:"-"`
}

// MarshalJSON writes a running attempt's end as null.
func (a WidgetAttempt) MarshalJSON() ([]byte, error) {
	type plain WidgetAttempt
	return json.Marshal(struct {
		plain
		EndedAt *time.Time `json:"ended_at"`
	}{plain(a), nullTime(a.EndedAt)})
}

// WidgetRequestFilter selects requests, newest first.
type WidgetRequestFilter struct {
	Widget   WidgetID
	Status   string
	Q        string // a substring of the numbers or the parameter values
	From, To time.Time
	Limit    int
	Before   WidgetRequestID // 0: from the newest
}

// Request list limits.
const (
	DefaultRequestPage = 50
	MaxRequestPage     = 200
)

// AttemptEnd is how an attempt ended and what becomes of the request.
type AttemptEnd struct {
	N           int
	Call        CallID
	At          time.Time
	Result      string
	Manager     string
	TalkSeconds int
	Recording   bool
	// Status is the request's next status: scheduled (with Next),
	// connected or missed.
	Status string
	Next   time.Time
}

// WidgetRequestStore keeps the lead requests and their attempts.
type WidgetRequestStore interface {
	// CreateWidgetRequest records an accepted request (scheduled, or
	// calling: its first attempt starts at once, out of the scheduler's
	// reach) or a refusal. An accepted request with an IdempotencyKey already used by
	// its widget returns that request and false; one whose first number
	// the widget was asked for within RequestRepeatWindow returns ErrRepeat.
	CreateWidgetRequest(ctx context.Context, r WidgetRequest) (WidgetRequest, bool, error)
	// RefuseRateLimited records n rate-limited requests like r, one row
	// per widget and minute whose count grows.
	RefuseRateLimited(ctx context.Context, r WidgetRequest, n int) error
	// SetWidgetRequestResponse keeps the first answer, for replays.
	SetWidgetRequestResponse(ctx context.Context, id WidgetRequestID, body []byte) error
	GetWidgetRequest(ctx context.Context, id WidgetRequestID) (WidgetRequest, []WidgetAttempt, error)
	WidgetRequestByKey(ctx context.Context, w WidgetID, key string) (WidgetRequest, error)
	ListWidgetRequests(ctx context.Context, f WidgetRequestFilter) ([]WidgetRequest, error)
	// RequestsWithStatus lists every request in a status, oldest first
	// (the scheduler's start).
	RequestsWithStatus(ctx context.Context, status string) ([]WidgetRequest, error)
	// NextRequestDue is the earliest NextAttemptAt of the scheduled ones.
	NextRequestDue(ctx context.Context) (time.Time, bool, error)
	// DueWidgetRequests lists the scheduled ones due at t.
	DueWidgetRequests(ctx context.Context, t time.Time, limit int) ([]WidgetRequest, error)
	// StartWidgetAttempt moves a scheduled request to calling and records
	// attempt n; ErrConflict when it is no longer scheduled.
	StartWidgetAttempt(ctx context.Context, id WidgetRequestID, n int, at time.Time) error
	SetWidgetAttemptCall(ctx context.Context, id WidgetRequestID, n int, call CallID) error
	// EndWidgetAttempt records the attempt's end and the request's next status.
	EndWidgetAttempt(ctx context.Context, id WidgetRequestID, e AttemptEnd) (WidgetRequest, error)
	// RescheduleWidgetRequest moves a scheduled request to another time.
	RescheduleWidgetRequest(ctx context.Context, id WidgetRequestID, next time.Time) error
	// FinishWidgetRequest ends a scheduled request without an attempt
	// (missed: nobody opens any more; cancelled).
	FinishWidgetRequest(ctx context.Context, id WidgetRequestID, status, reason string) (WidgetRequest, error)
	// WidgetRequestFacts lists what the dashboard counts, by created_at.
	WidgetRequestFacts(ctx context.Context, w WidgetID, from, to time.Time) ([]RequestFact, error)
}

// RequestFact is one request as the dashboard counts it.
type RequestFact struct {
	CreatedAt   time.Time
	Status      string
	ConnectedAt time.Time
	TalkSeconds int
	// Count is how many requests the row stands for (a coalesced
	// rate-limited refusal: many; 0 reads as 1).
	Count int
}

// RequestDay is one day's (or the range's) figures.
type RequestDay struct {
	Day               string   `json:"day,omitempty"`
	Requests          int      `json:"requests"`
	Connected         int      `json:"connected"`
	Missed            int      `json:"missed"`
	Refused           int      `json:"refused"`
	Scheduled         int      `json:"scheduled"`
	AvgConnectSeconds *float64 `json:"avg_connect_seconds"`
	AvgTalkSeconds    *float64 `json:"avg_talk_seconds"`
}

// RequestDashboard are the totals and the days, oldest first.
type RequestDashboard struct {
	Totals RequestDay   `json:"totals"`
	Days   []RequestDay `json:"days"`
}

// SummarizeRequests cuts facts into the days of loc; every day from
// from to to is listed, empty ones too. The averages are over connected
// requests: arrival to connection, and talk.
func SummarizeRequests(facts []RequestFact, from, to time.Time, loc *time.Location) RequestDashboard {
	type sums struct {
		RequestDay
		connect, talk float64
	}
	add := func(s *sums, f RequestFact) {
		n := max(f.Count, 1)
		s.Requests += n
		switch f.Status {
		case RequestConnected:
			s.Connected++
			s.connect += f.ConnectedAt.Sub(f.CreatedAt).Seconds()
			s.talk += float64(f.TalkSeconds)
		case RequestMissed:
			s.Missed++
		case RequestRefused:
			s.Refused += n
		case RequestScheduled, RequestCalling:
			s.Scheduled++
		}
	}
	done := func(s *sums) RequestDay {
		d := s.RequestDay
		if s.Connected > 0 {
			c, t := s.connect/float64(s.Connected), s.talk/float64(s.Connected)
			d.AvgConnectSeconds, d.AvgTalkSeconds = &c, &t
		}
		return d
	}
	var total sums
	byDay := map[string]*sums{}
	var order []string
	first := from.In(loc)
	for d := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc); d.Before(to); d = d.AddDate(0, 0, 1) {
		k := d.Format(time.DateOnly)
		byDay[k] = &sums{RequestDay: RequestDay{Day: k}}
		order = append(order, k)
	}
	for _, f := range facts {
		add(&total, f)
		k := f.CreatedAt.In(loc).Format(time.DateOnly)
		if s := byDay[k]; s != nil {
			add(s, f)
		}
	}
	out := RequestDashboard{Totals: done(&total), Days: make([]RequestDay, 0, len(order))}
	for _, k := range order {
		out.Days = append(out.Days, done(byDay[k]))
	}
	return out
}
