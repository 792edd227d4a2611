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
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/identity"
)

// The lead-call API (Convolo-compatible): a site's server asks, with its
// widget key and widget API key, for a lead to be called back through
// the widget's managers. GET reads the query; POST a JSON object or a form.

const (
	// leadRepeatWindow: the same lead number of a widget is not called
	// again within it (a double submit, a looping integration).
	leadRepeatWindow = 10 * time.Minute
	// idempotencyTTL is how long an Idempotency-Key's answer is replayed.
	idempotencyTTL = 24 * time.Hour
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
}

func (s *Server) leadCall(c echo.Context, _ *principal) error {
	now := s.now()
	if wait := s.leadLimits.take("ip:"+c.RealIP(), now, leadPerIP); wait > 0 {
		return tooMany(c, wait)
	}
	st, err := s.widgetStore()
	if err != nil {
		return err
	}
	in, err := readLeadInput(c)
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
	idem := c.Request().Header.Get("Idempotency-Key")
	if len(idem) > maxIdempotentKey {
		return fieldErr("Idempotency-Key", fmt.Sprintf("at most %d characters", maxIdempotentKey))
	}
	if idem != "" {
		key := fmt.Sprintf("%d:%s", w.ID, idem)
		for {
			slot, first := s.leadIdem.claim(key, now)
			if !first {
				<-slot.done
				if slot.status == 0 {
					continue // the first request failed and let go of the key
				}
				c.Response().Header().Set("Idempotent-Replayed", "true")
				return c.JSONBlob(slot.status, slot.body)
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
	return s.startLeadCall(c, w, in, now)
}

// startLeadCall checks the request against the widget and starts the call.
func (s *Server) startLeadCall(c echo.Context, w dialer.Widget, in map[string]string, now time.Time) error {
	if wait := s.leadLimits.take(fmt.Sprintf("widget:%d", w.ID), now, leadPerWidget); wait > 0 {
		return tooMany(c, wait)
	}
	country := strings.ToUpper(in["country"])
	if country == "" {
		country = s.opts.DefaultCountry
	} else if !phone.ValidCountry(country) {
		return fieldErr("country", "an ISO 3166 alpha-2 code such as DE")
	}
	var numbers []string
	for _, f := range []string{"lc_number", "lc_number_2"} {
		if f == "lc_number_2" && in[f] == "" {
			continue
		}
		n, err := phone.Normalize(f, in[f], country)
		if err != nil {
			return err
		}
		if phone.Premium(n) {
			return fieldErr(f, "premium-rate and high-cost numbers are refused")
		}
		if !w.Settings.Countries.CountryAllowed(phone.Region(n)) {
			return fieldErr(f, "the widget does not call numbers of this country")
		}
		numbers = append(numbers, n)
	}
	params, operators, err := leadParams(in, country)
	if err != nil {
		return err
	}
	managers := operators
	if len(managers) == 0 {
		ms, err := s.opts.Widgets.ListManagers(c.Request().Context(), w.ID)
		if err != nil {
			return err
		}
		open := dialer.OpenManagers(ms, now)
		if !open.Open {
			body := map[string]any{"error": errorDetail{Code: http.StatusConflict,
				Message: "no manager is open now; the request is not scheduled", Field: "widget_key"}, "scheduled": false}
			if !open.Next.IsZero() {
				body["next_opening_at"] = open.Next.UTC()
			}
			return c.JSON(http.StatusConflict, body)
		}
		for _, m := range ms {
			if slices.Contains(open.Now, m.ID) {
				managers = append(managers, dialer.SpeedManager{Name: m.Name, Agent: m.AgentID, Number: m.Phone, Rank: m.Rank, Position: m.Position})
			}
		}
	}
	seen := fmt.Sprintf("%d:%s", w.ID, numbers[0])
	if !s.leadSeen.fresh(seen, now) {
		return &httpError{code: http.StatusConflict, field: "lc_number",
			msg: fmt.Sprintf("this lead was asked for within the last %d minutes", int(leadRepeatWindow/time.Minute))}
	}
	seq, ok := dialer.WidgetSequences[w.Settings.Sequence]
	if !ok {
		seq = dialer.WidgetSequences["all"]
	}
	req := dialer.SpeedCall{
		Widget: int64(w.ID), Campaign: w.CampaignID, Managers: managers, Sequence: seq, Numbers: numbers,
		Announcement: in["lc_message"], Confirm: w.Settings.Confirm == "press1",
		Record: w.Settings.Recording.Enabled, Params: params,
	}
	if req.Announcement == "" {
		req.Announcement = leadAnnouncement(w, params)
	}
	if req.Record {
		req.RecordWarning = w.Settings.Recording.Warning
	}
	actor := dialer.Actor{Role: identity.RoleSupervisor, Name: "widget " + w.Name}
	req.Done = func(o dialer.SpeedOutcome) { s.leadCallEnded(w, req, o) }
	v, err := s.engine.StartSpeedCall(c.Request().Context(), actor, req)
	if err != nil {
		s.leadSeen.forget(seen)
		return leadField(err)
	}
	s.emitLeadCall("start_call", w, map[string]any{
		"call_id": v.ID, "widget_id": w.ID, "widget_key": w.Key, "lc_number": numbers[0], "lc_number_2": second(numbers),
		"status": "dialing", "managers": len(managers), "params": params, "created_at": v.CreatedAt.UTC(),
	})
	return c.JSON(http.StatusCreated, leadCallResponse{CallID: v.ID, Status: "dialing", WidgetID: w.ID,
		Numbers: numbers, Managers: len(managers), Params: params})
}

func second(numbers []string) string {
	if len(numbers) > 1 {
		return numbers[1]
	}
	return ""
}

// leadCallEnded tells the widget's webhooks how the call ended (Convolo's
// end_call): called once by the engine, which it must not hold up.
func (s *Server) leadCallEnded(w dialer.Widget, req dialer.SpeedCall, o dialer.SpeedOutcome) {
	manager := ""
	if o.Manager >= 0 && o.Manager < len(req.Managers) {
		manager = req.Managers[o.Manager].Name
	}
	data := map[string]any{
		"call_id": o.Call, "widget_id": w.ID, "widget_key": w.Key, "lc_number": o.Number, "status": o.Result,
		"manager": manager, "duration": o.TalkSeconds, "params": req.Params,
	}
	if o.Recording != "" {
		data["recording"] = "/api/v1/calls/" + string(o.Call) + "/recording"
	}
	go s.emitLeadCall("end_call", w, data)
}

// emitLeadCall queues a widget's webhook event; a failure is logged, the
// call goes on.
func (s *Server) emitLeadCall(event string, w dialer.Widget, data map[string]any) {
	if s.opts.Webhooks == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.opts.Webhooks.Emit(ctx, event, int64(w.ID), data); err != nil {
		s.log.Warn("lead call webhook not queued", "event", event, "widget", w.ID, "err", err)
	}
}

// leadField renames the engine's fields to the request's.
func leadField(err error) error {
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

// leadAnnouncement tells the manager whose lead it is, from the custom
// parameters in name order.
func leadAnnouncement(w dialer.Widget, params map[string]string) string {
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

// recentLeads remembers the lead numbers asked for lately.
type recentLeads struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// fresh records key and reports whether it was not seen in the window.
func (r *recentLeads) fresh(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]time.Time{}
	}
	if len(r.m) > maxLeadMemory {
		for k, t := range r.m {
			if now.Sub(t) >= leadRepeatWindow {
				delete(r.m, k)
			}
		}
	}
	if t, ok := r.m[key]; ok && now.Sub(t) < leadRepeatWindow {
		return false
	}
	r.m[key] = now
	return true
}

func (r *recentLeads) forget(key string) {
	r.mu.Lock()
	delete(r.m, key)
	r.mu.Unlock()
}

// idempotency keeps the first answer per widget and Idempotency-Key in
// memory for idempotencyTTL (a restart forgets them).
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
	s := &idemSlot{done: make(chan struct{}), expires: now.Add(idempotencyTTL)}
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
