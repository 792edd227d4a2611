package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
	"github.com/agentswitch/agentswitch/leadcall"
)

// The lead-call API (Convolo-compatible): a site's server asks, with its
// widget key and widget API key, for a lead to be called back through
// the widget's managers. GET reads the query; POST a JSON object or a form.

const (
	// maxLeadMemory bounds each in-memory map below.
	maxLeadMemory    = 100_000
	maxIdempotentKey = 255
)

var (
	leadParamName = regexp.MustCompile(`^[a-z0-9_]{1,20}$`)
	leadAgentName = regexp.MustCompile(`^agent(\d{1,2})(name|phone)$`)
)

// leadCallResponse is the answer to an accepted request.
type leadCallResponse struct {
	CallID   dialer.CallID     `json:"call_id"`
	Status   string            `json:"status"`
	WidgetID dialer.WidgetID   `json:"widget_id"`
	Numbers  []string          `json:"numbers"`
	Managers int               `json:"managers"`
	Params   map[string]string `json:"params"`
	// The durable request; NextAttemptAt is set when it is scheduled.
	RequestID     dialer.WidgetRequestID `json:"request_id"`
	NextAttemptAt *time.Time             `json:"next_attempt_at"`
}

func (s *Server) leadCall(c echo.Context, _ *principal) error {
	now := s.now()
	lc, err := s.leadCalls()
	if err != nil {
		return err
	}
	in, err := readLeadInput(c)
	if err != nil {
		return err
	}
	if wait := s.leadLimits.take("ip:"+c.RealIP(), now, leadPerIP); wait > 0 {
		// Counted for the widget named, without a lookup: a flood costs
		// no database work.
		r := rawLeadRequest(in, "api", now)
		r.IP = c.RealIP()
		lc.RateLimited(in["widget_key"], r)
		return tooMany(c, wait)
	}
	st, err := s.widgetStore()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if in["widget_key"] == "" {
		return fieldErr("widget_key", "required")
	}
	w, err := st.WidgetByKey(ctx, in["widget_key"])
	if errors.Is(err, dialer.ErrNotFound) {
		return &httpError{code: http.StatusNotFound, msg: "no such widget", field: "widget_key"}
	} else if err != nil {
		return err
	}
	if in["api_key"] == "" {
		return &httpError{code: http.StatusUnauthorized, msg: "the widget's API key is required", field: "api_key"}
	}
	k, err := st.VerifyWidgetAPIKey(ctx, in["api_key"], now)
	if errors.Is(err, dialer.ErrNotFound) || errors.Is(err, identity.ErrBadCredentials) || err == nil && k.WidgetID != w.ID {
		return &httpError{code: http.StatusUnauthorized, msg: "not an active API key of this widget", field: "api_key"}
	} else if err != nil {
		return err
	}
	if !w.Active {
		return &httpError{code: http.StatusForbidden, msg: "the widget is not active", field: "widget_key"}
	}
	in["source"] = "api" // the widget's own endpoint says "widget"
	idem := c.Request().Header.Get("Idempotency-Key")
	if len(idem) > maxIdempotentKey {
		return fieldErr("Idempotency-Key", fmt.Sprintf("at most %d characters", maxIdempotentKey))
	}
	if idem == "" {
		return s.startLeadCall(c, w, in, now)
	}
	// Requests of one process with the same key wait for the first;
	// the stored answer serves the others (another process, a restart).
	key := fmt.Sprintf("%d:%s", w.ID, idem)
	for {
		slot, first := s.leadIdem.claim(key, now)
		if !first {
			<-slot.done
			if slot.status == 0 {
				continue // the first request failed and let go of the key
			}
			return replay(c, slot.status, slot.body)
		}
		if prev, err := lc.Stored(ctx, w.ID, idem); err == nil && len(prev.Response) > 0 && now.Sub(prev.CreatedAt) < dialer.IdempotencyTTL {
			s.leadIdem.finish(slot, replayStatus(prev.Response), prev.Response)
			return replay(c, replayStatus(prev.Response), prev.Response)
		}
		rec := &capture{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		err := s.startLeadCall(c, w, in, now)
		if err == nil && rec.status < 300 {
			s.leadIdem.finish(slot, rec.status, rec.body)
		} else {
			s.leadIdem.release(key, slot)
		}
		return err
	}
}

func replay(c echo.Context, status int, body []byte) error {
	c.Response().Header().Set("Idempotent-Replayed", "true")
	return c.JSONBlob(status, body)
}

// replayStatus is the status a stored answer was sent with: 202 for a
// scheduled request, 201 for a call started at once.
func replayStatus(body []byte) int {
	var v struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(body, &v) == nil && v.Status == dialer.RequestScheduled {
		return http.StatusAccepted
	}
	return http.StatusCreated
}

// startLeadCall checks the request against the widget and records it:
// its first attempt starts now or is scheduled (in["scheduled_at"], a
// visitor's time, or the managers' next opening). Every refusal is
// recorded too.
func (s *Server) startLeadCall(c echo.Context, w dialer.Widget, in map[string]string, now time.Time) error {
	lc, err := s.leadCalls()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	source := leadSource(in)
	refuse := func(reason string, err error) error {
		d := statusOf(err)
		s.refuseLead(ctx, w, in, source, reason, d.Field, d.Message)
		return err
	}
	if wait := s.leadLimits.take(fmt.Sprintf("widget:%d", w.ID), now, leadPerWidget); wait > 0 {
		r := rawLeadRequest(in, source, now)
		r.IP = c.RealIP()
		_ = lc.Refuse(ctx, w, r, dialer.RefusedRateLimited, &dialer.FieldError{Field: "widget_key", Reason: "too many lead calls"})
		return tooMany(c, wait)
	}
	country := strings.ToUpper(in["country"])
	if country == "" {
		country = s.opts.DefaultCountry
	} else if !phone.ValidCountry(country) {
		return refuse(dialer.RefusedInvalid, fieldErr("country", "an ISO 3166 alpha-2 code such as DE"))
	}
	var numbers []string
	for _, f := range []string{"lc_number", "lc_number_2"} {
		if f == "lc_number_2" && in[f] == "" {
			continue
		}
		n, err := phone.Normalize(f, in[f], country)
		if err != nil {
			return refuse(dialer.RefusedInvalid, err)
		}
		if phone.Premium(n) {
			return refuse(dialer.RefusedPremium, fieldErr(f, "premium-rate and high-cost numbers are refused"))
		}
		if !w.Settings.Countries.CountryAllowed(phone.Region(n)) {
			return refuse(dialer.RefusedCountry, fieldErr(f, "the widget does not call numbers of this country"))
		}
		numbers = append(numbers, n)
	}
	params, operators, err := leadParams(in, country)
	if err != nil {
		return refuse(dialer.RefusedInvalid, err)
	}
	var at time.Time
	if v := in["scheduled_at"]; v != "" {
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			return refuse(dialer.RefusedInvalid, fieldErr("scheduled_at", "an RFC 3339 time such as 2026-11-24T14:30:00Z"))
		}
		if at.After(now.Add(maxScheduleAhead)) {
			return refuse(dialer.RefusedInvalid, fieldErr("scheduled_at", fmt.Sprintf("at most %d days ahead", int(maxScheduleAhead/(24*time.Hour)))))
		}
	}
	sub, err := lc.Submit(ctx, w, dialer.WidgetRequest{
		Source: source, CreatedAt: now, Numbers: numbers, Country: country, Params: params,
		Announcement: in["lc_message"], Operators: operators, NextAttemptAt: at, IP: c.RealIP(),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"),
	})
	var re *leadcall.RefusalError
	switch {
	case errors.As(err, &re) && re.Request.Reason == dialer.RefusedRepeat:
		return &httpError{code: http.StatusConflict, field: "lc_number", msg: re.Err.Error()}
	case errors.As(err, &re) && re.Request.Reason == dialer.RefusedNoneOpen:
		return c.JSON(http.StatusConflict, map[string]any{"error": errorDetail{Code: http.StatusConflict,
			Message: "no manager of the widget is ever open; the request is not scheduled", Field: "widget_key"}, "scheduled": false})
	case err != nil && sub.Request.Status != dialer.RequestScheduled:
		return err
	}
	// A first attempt the switch did not take, to be retried, is
	// answered as scheduled: the client need not ask again.
	r := sub.Request
	if sub.Replayed {
		if len(r.Response) > 0 {
			return replay(c, replayStatus(r.Response), r.Response)
		}
		return &httpError{code: http.StatusConflict, field: "Idempotency-Key", msg: "a request with this key is under way; retry"}
	}
	resp := leadCallResponse{CallID: sub.Call.ID, Status: "dialing", WidgetID: w.ID, Numbers: numbers,
		Managers: sub.Managers, Params: params, RequestID: r.ID}
	code := http.StatusCreated
	if sub.Call.ID == "" {
		resp.Status, code = dialer.RequestScheduled, http.StatusAccepted
		next := r.NextAttemptAt.UTC()
		resp.NextAttemptAt = &next
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	if r.IdempotencyKey != "" {
		if err := lc.KeepResponse(ctx, r.ID, body); err != nil {
			s.log.Warn("lead call answer not kept for replays", "request", r.ID, "err", err)
		}
	}
	return c.JSONBlob(code, body)
}

// maxScheduleAhead bounds a visitor's chosen time.
const maxScheduleAhead = 30 * 24 * time.Hour

func leadSource(in map[string]string) string {
	if in["source"] == "widget" {
		return "widget"
	}
	return "api"
}

// refuseLead records a refusal of a known widget's request from its raw
// fields (the widget's endpoint calls it for its own checks, such as the
// honeypot); a failure to record is logged.
func (s *Server) refuseLead(ctx context.Context, w dialer.Widget, in map[string]string, source, reason, field, message string) {
	lc, err := s.leadCalls()
	if err != nil {
		return
	}
	_ = lc.Refuse(ctx, w, rawLeadRequest(in, source, s.now()), reason, &dialer.FieldError{Field: field, Reason: message})
}

// rawLeadRequest keeps what a refused request said, unchecked.
func rawLeadRequest(in map[string]string, source string, now time.Time) dialer.WidgetRequest {
	r := dialer.WidgetRequest{Source: source, CreatedAt: now, Params: map[string]string{}}
	if c := strings.ToUpper(in["country"]); phone.ValidCountry(c) {
		r.Country = c
	}
	for _, f := range []string{"lc_number", "lc_number_2"} {
		if v := in[f]; v != "" {
			r.Numbers = append(r.Numbers, cut(v, 32))
		}
	}
	for k, v := range in {
		if p, ok := strings.CutPrefix(strings.ToLower(k), "lc_param_"); ok && len(r.Params) < dialer.MaxSpeedParams {
			r.Params[cut(p, 20)] = cut(v, dialer.MaxSpeedParamValue)
		}
	}
	return r
}

// leadParams splits the lc_param_ fields into the custom parameters and
// the operators that replace the widget's managers.
func leadParams(in map[string]string, country string) (map[string]string, []dialer.SpeedManager, error) {
	params := map[string]string{}
	type op struct{ name, phone string }
	ops := map[int]*op{}
	for k, v := range in {
		raw, ok := strings.CutPrefix(strings.ToLower(k), "lc_param_")
		if !ok {
			continue
		}
		if !leadParamName.MatchString(raw) {
			return nil, nil, fieldErr(k, "a parameter name is 1-20 of A-Z, a-z, 0-9 and _")
		}
		if m := leadAgentName.FindStringSubmatch(raw); m != nil {
			n, _ := strconv.Atoi(m[1])
			if ops[n] == nil {
				ops[n] = &op{}
			}
			if m[2] == "name" {
				ops[n].name = v
			} else {
				ops[n].phone = v
			}
			continue
		}
		if _, dup := params[raw]; dup {
			return nil, nil, fieldErr(k, "given twice (names are case-insensitive)")
		}
		params[raw] = v
	}
	var nums []int
	for n := range ops {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var managers []dialer.SpeedManager
	for i, n := range nums {
		o := ops[n]
		field := fmt.Sprintf("lc_param_agent%02dphone", n)
		num, err := phone.Normalize(field, o.phone, country)
		if err != nil {
			return nil, nil, err
		}
		if phone.Premium(num) {
			return nil, nil, fieldErr(field, "premium-rate and high-cost numbers are refused")
		}
		name := o.name
		if name == "" {
			name = fmt.Sprintf("Agent %02d", n)
		}
		managers = append(managers, dialer.SpeedManager{Name: name, Number: num, Position: i})
	}
	return params, managers, nil
}

// readLeadInput reads the fields from the query (GET), or from a JSON
// object or a form (POST).
func readLeadInput(c echo.Context) (map[string]string, error) {
	r := c.Request()
	if r.Method == http.MethodGet {
		return single(r.URL.Query())
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return nil, fieldErr("body", "not a readable form")
		}
		return single(r.PostForm)
	case "application/json", "":
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		var raw map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil || raw == nil {
			return nil, fieldErr("body", "a JSON object is expected")
		}
		out := map[string]string{}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				out[k] = v
			case json.Number:
				out[k] = v.String()
			case nil:
			default:
				return nil, fieldErr(k, "a string is expected")
			}
		}
		return checkLeadKeys(out)
	}
	return nil, &httpError{code: http.StatusUnsupportedMediaType, msg: "send JSON or a form", field: "Content-Type"}
}

func single(v map[string][]string) (map[string]string, error) {
	out := map[string]string{}
	for k, vs := range v {
		if len(vs) > 1 {
			return nil, fieldErr(k, "given more than once")
		}
		out[k] = vs[0]
	}
	return checkLeadKeys(out)
}

var leadKeys = []string{"widget_key", "api_key", "lc_number", "lc_number_2", "lc_message", "country"}

// checkLeadKeys keeps the lead-call fields: a web form posted as it is
// carries its other inputs too (a consent box, a submit button's name),
// and Convolo's customers send them without trouble.
func checkLeadKeys(in map[string]string) (map[string]string, error) {
	for k := range in {
		if !slices.Contains(leadKeys, k) && !strings.HasPrefix(strings.ToLower(k), "lc_param_") {
			delete(in, k)
		}
	}
	return in, nil
}

func tooMany(c echo.Context, wait time.Duration) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return newHTTPError(http.StatusTooManyRequests, "too many lead calls; retry later")
}

// capture keeps what a handler writes, to replay it for the same
// Idempotency-Key.
type capture struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (w *capture) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *capture) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return w.ResponseWriter.Write(b)
}

// bucketRate is a token bucket's refill per second and size.
type bucketRate struct{ perSecond, burst float64 }

var (
	leadPerIP     = bucketRate{perSecond: 0.5, burst: 30}
	leadPerWidget = bucketRate{perSecond: 1, burst: 60}
)

// buckets are token buckets by key, bounded in number.
type buckets struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends a token of key, or says how long until one is there.
func (b *buckets) take(key string, now time.Time, r bucketRate) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) > maxLeadMemory {
		b.m = map[string]*bucket{} // a spray of addresses forgets everyone rather than grow
	}
	k := b.m[key]
	if k == nil {
		k = &bucket{tokens: r.burst, at: now}
		b.m[key] = k
	}
	k.tokens = min(r.burst, k.tokens+now.Sub(k.at).Seconds()*r.perSecond)
	k.at = now
	if k.tokens >= 1 {
		k.tokens--
		return 0
	}
	return time.Duration((1 - k.tokens) / r.perSecond * float64(time.Second))
}

// idempotency makes this process's concurrent requests with one widget
// and Idempotency-Key wait for the first one's answer; the answer stored
// with the request serves other processes and restarts.
type idempotency struct {
	mu sync.Mutex
	m  map[string]*idemSlot
}

type idemSlot struct {
	done    chan struct{}
	status  int
	body    []byte
	expires time.Time
}

// claim returns the key's slot, and whether this request is the first.
func (d *idempotency) claim(key string, now time.Time) (*idemSlot, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*idemSlot{}
	}
	if s, ok := d.m[key]; ok && now.Before(s.expires) {
		return s, false
	}
	if len(d.m) >= maxLeadMemory {
		for k, s := range d.m {
			if !now.Before(s.expires) {
				delete(d.m, k)
			}
		}
	}
	s := &idemSlot{done: make(chan struct{}), expires: now.Add(dialer.IdempotencyTTL)}
	d.m[key] = s
	return s, true
}

func (d *idempotency) finish(s *idemSlot, status int, body []byte) {
	d.mu.Lock()
	s.status, s.body = status, body
	d.mu.Unlock()
	close(s.done)
}

// release forgets a failed first request, so that a retry is tried.
func (d *idempotency) release(key string, s *idemSlot) {
	d.mu.Lock()
	if d.m[key] == s {
		delete(d.m, key)
	}
	d.mu.Unlock()
	close(s.done)
}
