// Package leadcall owns lead requests from arrival to their last attempt:
// it records them, starts each attempt as an engine speed call (now, at
// the next opening of the widget's managers, or at a visitor's time),
// retries per the widget's settings, and survives a restart from the
// store.
package leadcall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// Engine starts speed calls.
type Engine interface {
	StartSpeedCall(ctx context.Context, a dialer.Actor, r dialer.SpeedCall) (dialer.CallView, error)
}

// Emitter queues a widget's webhook events.
type Emitter interface {
	Emit(ctx context.Context, event string, widget int64, payload any) error
}

// Events given to Config.OnEvent.
const (
	EventNewRequest = "new_request" // accepted
	EventMissed     = "missed_call" // final: missed
	EventDone       = "call_done"   // final: connected
)

// Config wires a Service.
type Config struct {
	Store    dialer.WidgetRequestStore
	Widgets  dialer.WidgetStore
	Engine   Engine
	Webhooks Emitter // nil: no webhooks
	Now      func() time.Time
	Logger   *slog.Logger
	// OnEvent is told of accepted requests and final outcomes; it must
	// not block for long.
	OnEvent func(event string, w dialer.Widget, r dialer.WidgetRequest)
}

// Service runs the lead requests.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}
	// wg counts the scheduler and the goroutines recording ended calls.
	wg      sync.WaitGroup
	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc
	ctx     context.Context

	rateMu      sync.Mutex
	ratePending map[rateKey]*ratePending
	rateDropped int
}

// New makes a service; Start runs its scheduler.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// scheduleBatch bounds the due requests read at once, maxBatches the
// batches of one run.
const (
	scheduleBatch = 100
	maxBatches    = 10
)

// stuckWait is the least wait of the scheduler between two runs.
const stuckWait = time.Second

// retryAfterError is how long the scheduler waits after a store error.
const retryAfterError = time.Minute

// Start ends the attempts a previous run left running (as failed, which
// may retry them) and runs the scheduler until Stop.
func (s *Service) Start(ctx context.Context) error {
	calling, err := s.cfg.Store.RequestsWithStatus(ctx, dialer.RequestCalling)
	if err != nil {
		return err
	}
	for _, r := range calling {
		w, err := s.cfg.Widgets.GetWidget(ctx, r.WidgetID)
		if err != nil {
			return err
		}
		s.ended(w, r, r.Attempts, nil, dialer.SpeedOutcome{Manager: -1, Number: first(r.Numbers), Result: dialer.SpeedFailed})
	}
	s.track(s.loop)
	s.track(s.flushLoop)
	return nil
}

// Stop ends the scheduler and waits for the work under way. A call that
// ends later is not recorded: the next Start counts its attempt failed.
func (s *Service) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// track runs fn in a goroutine Stop waits for; after Stop, not at all.
func (s *Service) track(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) loop() {
	for {
		s.RunDue(s.ctx)
		wait := retryAfterError
		next, ok, err := s.cfg.Store.NextRequestDue(s.ctx)
		switch {
		case err != nil:
			if s.ctx.Err() != nil {
				return
			}
			s.log.Warn("lead requests: next due", "err", err)
		case ok:
			// One still due was not started (a store error): not a busy loop.
			wait = max(next.Sub(s.cfg.Now()), stuckWait)
		default:
			wait = 24 * time.Hour // nothing scheduled; a new request wakes the loop
		}
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunDue starts the attempts due now.
func (s *Service) RunDue(ctx context.Context) {
	widgets := map[dialer.WidgetID]dialer.Widget{}
	// Bounded: requests that stay due (a store failing) wait for the
	// next run rather than hold this one.
	for range maxBatches {
		if ctx.Err() != nil {
			return
		}
		due, err := s.cfg.Store.DueWidgetRequests(ctx, s.cfg.Now(), scheduleBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("lead requests: due", "err", err)
			}
			return
		}
		for _, r := range due {
			w, ok := widgets[r.WidgetID]
			if !ok {
				if w, err = s.cfg.Widgets.GetWidget(ctx, r.WidgetID); err != nil {
					s.log.Warn("lead requests: widget", "widget", r.WidgetID, "err", err)
					return
				}
				widgets[r.WidgetID] = w
			}
			if !w.Active {
				// Switched off since: nobody is rung for it any more.
				if _, err := s.cfg.Store.FinishWidgetRequest(ctx, r.ID, dialer.RequestCancelled, dialer.ReasonWidgetInactive); err != nil {
					s.log.Warn("lead request of an inactive widget not cancelled", "request", r.ID, "err", err)
				}
				continue
			}
			if _, _, err := s.attempt(ctx, w, r, false); err != nil && !errors.Is(err, errNotStarted) {
				s.log.Info("lead request attempt not started", "request", r.ID, "err", err)
			}
		}
		if len(due) < scheduleBatch {
			return
		}
	}
}

// Submission is what Submit did.
type Submission struct {
	Request dialer.WidgetRequest
	// Replayed: the widget's idempotency key named an earlier request.
	Replayed bool
	// Call is the first attempt's call when it started at once.
	Call     dialer.CallView
	Managers int
}

// RefusalError is a request refused: recorded, never dialed.
type RefusalError struct {
	Request dialer.WidgetRequest
	Err     error // a *dialer.FieldError naming the request's field
}

func (e *RefusalError) Error() string { return e.Err.Error() }
func (e *RefusalError) Unwrap() error { return e.Err }

// Submit records an accepted request and starts its first attempt now,
// or schedules it for r.NextAttemptAt (a visitor's time) or the next
// opening of the widget's managers, whichever is later. r carries the
// widget, source, numbers, country, parameters, announcement and
// operators; CreatedAt is the arrival.
func (s *Service) Submit(ctx context.Context, w dialer.Widget, r dialer.WidgetRequest) (Submission, error) {
	r.WidgetID, r.Status = w.ID, dialer.RequestScheduled
	r.MaxAttempts = maxAttempts(w.Settings.Retry)
	sc := buildSpeedCall(w, r, r.Operators)
	if len(sc.Managers) == 0 {
		sc.Managers = []dialer.SpeedManager{{Name: "check", Number: "+10000000000"}}
	}
	if err := sc.Validate(); err != nil {
		return Submission{}, s.refuse(ctx, w, r, dialer.RefusedInvalid, LeadField(err))
	}
	at := latest(r.CreatedAt, r.NextAttemptAt, s.cfg.Now())
	if len(r.Operators) == 0 {
		next, ok, err := s.opening(ctx, w, at)
		if err != nil {
			return Submission{}, err
		}
		if !ok {
			return Submission{}, s.refuse(ctx, w, r, dialer.RefusedNoneOpen,
				&dialer.FieldError{Field: "widget_key", Reason: "no manager of the widget is ever open"})
		}
		at = next
	}
	r.NextAttemptAt = at
	now := !at.After(s.cfg.Now())
	if now {
		r.Status = dialer.RequestCalling // the scheduler leaves it to this call
	}
	got, created, err := s.cfg.Store.CreateWidgetRequest(ctx, r)
	if errors.Is(err, dialer.ErrRepeat) {
		return Submission{}, s.refuse(ctx, w, r, dialer.RefusedRepeat, &dialer.FieldError{Field: "lc_number",
			Reason: fmt.Sprintf("this lead was asked for within the last %d minutes", int(dialer.RequestRepeatWindow/time.Minute))})
	} else if err != nil {
		return Submission{}, err
	}
	if !created {
		return Submission{Request: got, Replayed: true}, nil
	}
	s.event(EventNewRequest, w, got)
	if !now {
		s.poke()
		return Submission{Request: got}, nil
	}
	v, n, err := s.attempt(ctx, w, got, true)
	if fresh, _, gerr := s.cfg.Store.GetWidgetRequest(ctx, got.ID); gerr == nil {
		got = fresh
	}
	return Submission{Request: got, Call: v, Managers: n}, err
}

// Refuse records a refusal of a known widget's request; rate-limited
// ones are counted (RateLimited).
func (s *Service) Refuse(ctx context.Context, w dialer.Widget, r dialer.WidgetRequest, reason string, fe *dialer.FieldError) error {
	if fe == nil { // a nil *FieldError passed on would be a non-nil error
		return s.refuse(ctx, w, r, reason, nil)
	}
	return s.refuse(ctx, w, r, reason, fe)
}

func (s *Service) refuse(ctx context.Context, w dialer.Widget, r dialer.WidgetRequest, reason string, err error) error {
	r.WidgetID, r.Status, r.Reason = w.ID, dialer.RequestRefused, reason
	r.NextAttemptAt, r.MaxAttempts, r.IdempotencyKey = time.Time{}, 0, ""
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.cfg.Now()
	}
	var fe *dialer.FieldError
	if errors.As(err, &fe) {
		r.Field, r.Message = fe.Field, fe.Reason
	} else if err != nil {
		r.Message = err.Error()
	}
	if reason == dialer.RefusedRateLimited {
		s.RateLimited(w.Key, r)
		if err == nil {
			return nil
		}
		return &RefusalError{Request: r, Err: err}
	}
	r, _, werr := s.cfg.Store.CreateWidgetRequest(ctx, r)
	if werr != nil {
		s.log.Warn("lead request refusal not recorded", "widget", w.ID, "reason", reason, "err", werr)
	}
	if err == nil {
		return nil
	}
	return &RefusalError{Request: r, Err: err}
}

// Stored is the widget's request with an idempotency key.
func (s *Service) Stored(ctx context.Context, w dialer.WidgetID, key string) (dialer.WidgetRequest, error) {
	return s.cfg.Store.WidgetRequestByKey(ctx, w, key)
}

// KeepResponse keeps the answer sent for a request, replayed to a retry
// with its idempotency key.
func (s *Service) KeepResponse(ctx context.Context, id dialer.WidgetRequestID, body []byte) error {
	return s.cfg.Store.SetWidgetRequestResponse(ctx, id, body)
}

// Cancel ends a scheduled request; ErrConflict unless it is scheduled.
func (s *Service) Cancel(ctx context.Context, id dialer.WidgetRequestID) (dialer.WidgetRequest, error) {
	return s.cfg.Store.FinishWidgetRequest(ctx, id, dialer.RequestCancelled, "")
}

// errNotStarted: the attempt was not due to start (cancelled meanwhile,
// or moved to the next opening).
var errNotStarted = errors.New("the attempt was not started")

// attempt starts r's next attempt with the managers open now; claimed:
// the store has recorded its start already (a new request's first).
func (s *Service) attempt(ctx context.Context, w dialer.Widget, r dialer.WidgetRequest, claimed bool) (dialer.CallView, int, error) {
	now := s.cfg.Now()
	managers := r.Operators
	if len(managers) == 0 {
		var err error
		if managers, err = s.openManagers(ctx, w, now); err != nil {
			return dialer.CallView{}, 0, err
		}
	}
	if len(managers) == 0 && claimed {
		// The hours changed within this request.
		s.ended(w, r, r.Attempts, nil, dialer.SpeedOutcome{Manager: -1, Number: first(r.Numbers), Result: dialer.SpeedNoManager})
		return dialer.CallView{}, 0, errNotStarted
	}
	if len(managers) == 0 {
		// The hours changed since it was scheduled.
		next, ok, err := s.opening(ctx, w, now)
		if err != nil {
			return dialer.CallView{}, 0, err
		}
		if ok {
			return dialer.CallView{}, 0, errors.Join(errNotStarted, s.cfg.Store.RescheduleWidgetRequest(ctx, r.ID, next))
		}
		if got, err := s.cfg.Store.FinishWidgetRequest(ctx, r.ID, dialer.RequestMissed, dialer.SpeedNoManager); err == nil {
			s.event(EventMissed, w, got)
		}
		return dialer.CallView{}, 0, errNotStarted
	}
	n := r.Attempts
	if !claimed {
		n++
		if err := s.cfg.Store.StartWidgetAttempt(ctx, r.ID, n, now); err != nil {
			return dialer.CallView{}, 0, errors.Join(errNotStarted, err)
		}
	}
	sc := buildSpeedCall(w, r, managers)
	sc.Done = func(o dialer.SpeedOutcome) { s.track(func() { s.ended(w, r, n, managers, o) }) }
	actor := dialer.Actor{Role: identity.RoleSupervisor, Name: "widget " + w.Name}
	v, err := s.cfg.Engine.StartSpeedCall(ctx, actor, sc)
	if err != nil {
		s.ended(w, r, n, managers, dialer.SpeedOutcome{Manager: -1, Number: first(r.Numbers), Result: dialer.SpeedFailed})
		return dialer.CallView{}, 0, LeadField(err)
	}
	if err := s.cfg.Store.SetWidgetAttemptCall(ctx, r.ID, n, v.ID); err != nil {
		s.log.Warn("lead request: call id not recorded", "request", r.ID, "err", err)
	}
	s.emit("start_call", w, map[string]any{
		"call_id": v.ID, "widget_id": w.ID, "widget_key": w.Key, "lc_number": first(r.Numbers), "lc_number_2": second(r.Numbers),
		"status": "dialing", "managers": len(managers), "params": r.Params, "created_at": v.CreatedAt.UTC(),
		"request_id": r.ID, "attempt": n,
	})
	return v, len(managers), nil
}

// ended records how attempt n of r ended and what comes next: the
// connection, a retry, or the miss. managers are the ones rung (nil when
// not known: a call lost to a restart).
func (s *Service) ended(w dialer.Widget, r dialer.WidgetRequest, n int, managers []dialer.SpeedManager, o dialer.SpeedOutcome) {
	ctx := context.WithoutCancel(s.ctx)
	now := s.cfg.Now()
	e := dialer.AttemptEnd{N: n, Call: o.Call, At: now, Result: o.Result, TalkSeconds: o.TalkSeconds, Recording: o.Recording != ""}
	if o.Manager >= 0 && o.Manager < len(managers) {
		e.Manager = managers[o.Manager].Name
	}
	switch {
	case o.Result == dialer.SpeedConnected:
		e.Status = dialer.RequestConnected
	case n < r.MaxAttempts && retries(w.Settings.Retry, o.Result):
		e.Status, e.Next = dialer.RequestScheduled, now.Add(time.Duration(interval(w.Settings.Retry, n))*time.Second)
		if len(r.Operators) == 0 {
			next, ok, err := s.opening(ctx, w, e.Next)
			switch {
			case err != nil:
				s.log.Warn("lead request: hours", "widget", w.ID, "err", err) // retried at the interval
			case ok:
				e.Next = next
			default:
				e.Status, e.Next = dialer.RequestMissed, time.Time{}
			}
		}
	default:
		e.Status = dialer.RequestMissed
	}
	got, err := s.cfg.Store.EndWidgetAttempt(ctx, r.ID, e)
	if err != nil {
		s.log.Warn("lead request: attempt end not recorded", "request", r.ID, "attempt", n, "err", err)
		return
	}
	data := map[string]any{
		"call_id": o.Call, "widget_id": w.ID, "widget_key": w.Key, "lc_number": o.Number, "status": o.Result,
		"manager": e.Manager, "duration": o.TalkSeconds, "params": r.Params,
		"request_id": r.ID, "attempt": n, "final": got.Final(),
	}
	if e.Recording && o.Call != "" {
		data["recording"] = "/api/v1/calls/" + string(o.Call) + "/recording"
	}
	if o.Call != "" { // a call that never started had no start_call either
		s.emit("end_call", w, data)
	}
	got.Reached = o.Number
	switch got.Status {
	case dialer.RequestConnected:
		s.event(EventDone, w, got)
	case dialer.RequestMissed:
		s.event(EventMissed, w, got)
	case dialer.RequestScheduled:
		s.poke()
	}
}

func (s *Service) event(name string, w dialer.Widget, r dialer.WidgetRequest) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(name, w, r)
	}
}

// emit queues a webhook event; a failure is logged, the call goes on.
func (s *Service) emit(event string, w dialer.Widget, data map[string]any) {
	if s.cfg.Webhooks == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	if err := s.cfg.Webhooks.Emit(ctx, event, int64(w.ID), data); err != nil {
		s.log.Warn("lead call webhook not queued", "event", event, "widget", w.ID, "err", err)
	}
}

// opening is the first instant at or after t when a manager of w is
// open; false when none ever opens.
func (s *Service) opening(ctx context.Context, w dialer.Widget, t time.Time) (time.Time, bool, error) {
	ms, err := s.cfg.Widgets.ListManagers(ctx, w.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	open := dialer.OpenManagers(ms, t)
	if open.Open {
		return t, true, nil
	}
	return open.Next, !open.Next.IsZero(), nil
}

// openManagers are the managers of w open at t, as the engine rings them.
func (s *Service) openManagers(ctx context.Context, w dialer.Widget, t time.Time) ([]dialer.SpeedManager, error) {
	ms, err := s.cfg.Widgets.ListManagers(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	open := dialer.OpenManagers(ms, t)
	var out []dialer.SpeedManager
	for _, m := range ms {
		if slices.Contains(open.Now, m.ID) {
			out = append(out, dialer.SpeedManager{Name: m.Name, Agent: m.AgentID, Number: m.Phone, Rank: m.Rank, Position: m.Position})
		}
	}
	return out, nil
}

// maxAttempts: one, and one more per retry interval when retries are on.
func maxAttempts(rt dialer.WidgetRetry) int {
	if !rt.Enabled {
		return 1
	}
	return min(1+len(rt.Intervals), dialer.MaxRetryAttempts)
}

// interval is the seconds before attempt n+1.
func interval(rt dialer.WidgetRetry, n int) int {
	if len(rt.Intervals) == 0 {
		return 0
	}
	return rt.Intervals[min(n-1, len(rt.Intervals)-1)]
}

// retries reports whether a result is retried under the widget's
// setting; a failure of the switch is retried whatever it says.
func retries(rt dialer.WidgetRetry, result string) bool {
	if !rt.Enabled {
		return false
	}
	visitor := result == dialer.SpeedLeadNoAnswer || result == dialer.SpeedLeadBusy
	managers := result == dialer.SpeedNoManager || result == dialer.SpeedManagerDeclined
	switch {
	case result == dialer.SpeedFailed:
		return true
	case rt.When == "visitor":
		return visitor
	case rt.When == "managers":
		return managers
	default:
		return visitor || managers
	}
}

// buildSpeedCall is the engine's request for one attempt of r.
func buildSpeedCall(w dialer.Widget, r dialer.WidgetRequest, managers []dialer.SpeedManager) dialer.SpeedCall {
	seq, ok := dialer.WidgetSequences[w.Settings.Sequence]
	if !ok {
		seq = dialer.WidgetSequences["all"]
	}
	sc := dialer.SpeedCall{
		Widget: int64(w.ID), Campaign: w.CampaignID, Managers: managers, Sequence: seq, Numbers: r.Numbers,
		Announcement: r.Announcement, Confirm: w.Settings.Confirm == "press1",
		Record: w.Settings.Recording.Enabled, Params: r.Params,
	}
	if sc.Announcement == "" {
		sc.Announcement = Announcement(w, r.Params)
	}
	if sc.Record {
		sc.RecordWarning = w.Settings.Recording.Warning
	}
	return sc
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

func first(numbers []string) string {
	if len(numbers) > 0 {
		return numbers[0]
	}
	return ""
}

func second(numbers []string) string {
	if len(numbers) > 1 {
		return numbers[1]
	}
	return ""
}

// LeadField renames the engine's fields to the lead-call request's.
func LeadField(err error) error {
	var fe *dialer.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	names := map[string]string{"numbers[0]": "lc_number", "numbers[1]": "lc_number_2", "announcement": "lc_message"}
	f := fe.Field
	if n, ok := names[f]; ok {
		f = n
	} else if p, ok := strings.CutPrefix(f, "params."); ok {
		f = "lc_param_" + p
	}
	return &dialer.FieldError{Field: f, Reason: fe.Reason}
}

// Announcement tells the manager whose lead it is, from the custom
// parameters in name order.
func Announcement(w dialer.Widget, params map[string]string) string {
	site := w.Name
	if o, err := dialer.SiteOrigin(w.SiteURL); err == nil && o != "" {
		site = strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
	}
	var parts []string
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if params[k] != "" {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+params[k])
		}
	}
	text := "A lead from " + site
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	// Cut to the engine's limit (with room for the full stop), on a
	// character boundary.
	if len(text) >= dialer.MaxSpeedText {
		text = text[:dialer.MaxSpeedText-1]
		for len(text) > 0 && !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	return text + "."
}
