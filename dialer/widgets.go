package dialer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer/hours"
	"github.com/agentswitch/agentswitch/dialer/ring"
)

// The callback widget: a site's button that has managers call a visitor
// back within seconds. These are its records and the rules on them; the
// call flow reads them.

// WidgetID identifies a widget.
type WidgetID int64

// ManagerID identifies a widget's manager.
type ManagerID int64

// WidgetKeyID identifies a widget's API key.
type WidgetKeyID int64

// Widget is one site's callback button.
type Widget struct {
	ID   WidgetID `json:"id"`
	Name string   `json:"name"`
	// SiteURL is the origin the widget is served on (scheme://host[:port]),
	// the one cross-site requests may come from.
	SiteURL string `json:"site_url"`
	// Key is public: the embed snippet carries it. It is random so that
	// one site's key says nothing about another's.
	Key        string         `json:"widget_key"`
	CampaignID CampaignID     `json:"campaign_id"`
	Active     bool           `json:"active"`
	Settings   WidgetSettings `json:"settings"`
	// Managers counts the widget's managers; lists fill it, writes ignore it.
	Managers  int       `json:"managers"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WidgetSettings is everything an admin tunes on a widget.
type WidgetSettings struct {
	// Sequence is the call order: all, random, ordered or rank.
	Sequence        string          `json:"sequence"`
	CallbackSeconds int             `json:"callback_seconds"`
	Retry           WidgetRetry     `json:"retry"`
	Recording       WidgetRecording `json:"recording"`
	// Confirm is how a manager takes a call: press1 or stay (on the line).
	Confirm   string          `json:"confirm"`
	Countries WidgetCountries `json:"countries"`
	Notify    WidgetNotify    `json:"notify"`
	SMS       WidgetSMS       `json:"sms"`
	Design    WidgetDesign    `json:"design"`
}

// WidgetRetry redials a failed callback.
type WidgetRetry struct {
	Enabled bool `json:"enabled"`
	// Intervals are the seconds before each further attempt, one per attempt.
	Intervals []int `json:"intervals"`
	// When: visitor (did not answer), managers (none answered) or both.
	When string `json:"when"`
}

// WidgetRecording records calls after a warning to the visitor.
type WidgetRecording struct {
	Enabled bool   `json:"enabled"`
	Warning string `json:"warning"`
}

// WidgetCountries limits whom the widget dials.
type WidgetCountries struct {
	// Mode: all, or selected (only Allowed).
	Mode    string   `json:"mode"`
	Allowed []string `json:"allowed"`
	// First are shown at the top of the visitor's country list.
	First []string `json:"first"`
}

// WidgetNotify are the e-mail addresses told of each event.
type WidgetNotify struct {
	NewRequest []string `json:"new_request"`
	Missed     []string `json:"missed_call"`
	Done       []string `json:"call_done"`
}

// WidgetSMS is the text sent to the visitor after the call.
type WidgetSMS struct {
	Enabled  bool   `json:"enabled"`
	Template string `json:"template"`
}

// WidgetDesign is the button's look and words.
type WidgetDesign struct {
	ButtonColor     string      `json:"button_color"`
	BackgroundColor string      `json:"background_color"`
	TextColor       string      `json:"text_color"`
	Position        string      `json:"position"` // bottom-right or bottom-left
	Language        string      `json:"language"`
	Texts           WidgetTexts `json:"texts"`
}

// WidgetTexts are the visitor-facing words.
type WidgetTexts struct {
	Title        string `json:"title"`
	Button       string `json:"button"`
	Countdown    string `json:"countdown"`
	Success      string `json:"success"`
	Failure      string `json:"failure"`
	OutsideHours string `json:"outside_hours"`
}

// Widget limits.
const (
	MinCallbackSeconds     = 8
	MaxCallbackSeconds     = 59
	DefaultCallbackSeconds = 27
	MaxRetryAttempts       = 10
)

// WidgetSequences maps the widget's sequence names to ring strategies.
var WidgetSequences = map[string]ring.Strategy{
	"all":     ring.RingAll,
	"random":  ring.RandomStagger,
	"ordered": ring.TopDown,
	"rank":    ring.ByRank,
}

// SMSParams are the placeholders an after-call SMS may use, besides
// {{param_<name>}} for the lead's custom parameter <name>.
var SMSParams = []string{"widget", "site", "manager", "visitor_phone", "call_time"}

// SMSParamPrefix names a lead's custom parameter in an SMS template.
const SMSParamPrefix = "param_"

// smsParamName is a custom parameter's name as the lead-call API takes it.
var smsParamName = regexp.MustCompile(`^param_[a-z0-9_]{1,20}$`)

// DefaultWidgetSettings are a new widget's settings.
func DefaultWidgetSettings() WidgetSettings {
	return WidgetSettings{
		Sequence:        "all",
		CallbackSeconds: DefaultCallbackSeconds,
		Retry:           WidgetRetry{Intervals: []int{}, When: "both"},
		Recording:       WidgetRecording{Warning: "This call may be recorded."},
		Confirm:         "press1",
		Countries:       WidgetCountries{Mode: "all", Allowed: []string{}, First: []string{}},
		Notify:          WidgetNotify{NewRequest: []string{}, Missed: []string{}, Done: []string{}},
		SMS:             WidgetSMS{Template: "Thank you for talking to {{widget}}."},
		Design: WidgetDesign{
			ButtonColor: "#1f7a4d", BackgroundColor: "#ffffff", TextColor: "#1b1f24",
			Position: "bottom-right", Language: "en",
			Texts: WidgetTexts{
				Title:        "Want us to call you back in {{seconds}} seconds?",
				Button:       "Call me",
				Countdown:    "Calling you in {{seconds}} s",
				Success:      "Did we call you? Thank you!",
				Failure:      "Sorry, nobody could answer. We will call you back.",
				OutsideHours: "We are closed now. Pick a time and we will call you.",
			},
		},
	}
}

var (
	hexColor      = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	alpha2        = regexp.MustCompile(`^[A-Z]{2}$`)
	language      = regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

func fieldf(field, format string, a ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// Validate checks a widget; the error names the field ("settings.retry.intervals[2]").
func (w Widget) Validate() error {
	if err := checkText("name", w.Name, 128, true); err != nil {
		return err
	}
	if _, err := SiteOrigin(w.SiteURL); err != nil {
		return fieldf("site_url", "%v", err)
	}
	return w.Settings.Validate("settings.")
}

// SiteOrigin reduces an http(s) URL to its origin; a path, query or
// credentials are refused rather than dropped, so that what is stored is
// what was typed.
func SiteOrigin(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("an http or https address such as https://example.com")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("only the site's origin (scheme and host), no path")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// Validate checks the settings; prefix starts every field name.
func (s WidgetSettings) Validate(prefix string) error {
	f := func(name string) string { return prefix + name }
	if _, ok := WidgetSequences[s.Sequence]; !ok {
		return fieldf(f("sequence"), "all, random, ordered or rank")
	}
	if s.CallbackSeconds < MinCallbackSeconds || s.CallbackSeconds > MaxCallbackSeconds {
		return fieldf(f("callback_seconds"), "%d-%d", MinCallbackSeconds, MaxCallbackSeconds)
	}
	if len(s.Retry.Intervals) > MaxRetryAttempts {
		return fieldf(f("retry.intervals"), "at most %d attempts", MaxRetryAttempts)
	}
	if s.Retry.Enabled && len(s.Retry.Intervals) == 0 {
		return fieldf(f("retry.intervals"), "give at least one attempt")
	}
	for i, sec := range s.Retry.Intervals {
		if sec < 10 || sec > 86400 {
			return fieldf(f(fmt.Sprintf("retry.intervals[%d]", i)), "10-86400 seconds")
		}
	}
	if !slices.Contains([]string{"visitor", "managers", "both"}, s.Retry.When) {
		return fieldf(f("retry.when"), "visitor, managers or both")
	}
	if err := checkText(f("recording.warning"), s.Recording.Warning, 500, s.Recording.Enabled); err != nil {
		return err
	}
	if s.Confirm != "press1" && s.Confirm != "stay" {
		return fieldf(f("confirm"), "press1 or stay")
	}
	if err := s.Countries.validate(f("countries.")); err != nil {
		return err
	}
	for _, l := range []struct {
		name  string
		addrs []string
	}{{"notify.new_request", s.Notify.NewRequest}, {"notify.missed_call", s.Notify.Missed}, {"notify.call_done", s.Notify.Done}} {
		if len(l.addrs) > 10 {
			return fieldf(f(l.name), "at most 10 addresses")
		}
		for i, a := range l.addrs {
			if !validEmail(a) {
				return fieldf(f(fmt.Sprintf("%s[%d]", l.name, i)), "not an e-mail address")
			}
		}
	}
	if err := checkText(f("sms.template"), s.SMS.Template, 640, s.SMS.Enabled); err != nil {
		return err
	}
	if err := checkPlaceholders(f("sms.template"), s.SMS.Template, SMSParams, smsParamName); err != nil {
		return err
	}
	return s.Design.validate(f("design."))
}

func (c WidgetCountries) validate(prefix string) error {
	if c.Mode != "all" && c.Mode != "selected" {
		return fieldf(prefix+"mode", "all or selected")
	}
	if c.Mode == "selected" && len(c.Allowed) == 0 {
		return fieldf(prefix+"allowed", "select at least one country")
	}
	for _, l := range []struct {
		name  string
		codes []string
	}{{"allowed", c.Allowed}, {"first", c.First}} {
		if len(l.codes) > 250 {
			return fieldf(prefix+l.name, "at most 250 countries")
		}
		for i, code := range l.codes {
			if !alpha2.MatchString(code) {
				return fieldf(fmt.Sprintf("%s%s[%d]", prefix, l.name, i), "an ISO 3166 alpha-2 code such as DE")
			}
			if l.name == "first" && c.Mode == "selected" && !slices.Contains(c.Allowed, code) {
				return fieldf(fmt.Sprintf("%sfirst[%d]", prefix, i), "%s is not an allowed country", code)
			}
		}
	}
	return nil
}

// CountryAllowed reports whether the widget may dial a number of country
// (alpha-2).
func (c WidgetCountries) CountryAllowed(country string) bool {
	return c.Mode == "all" || slices.Contains(c.Allowed, strings.ToUpper(country))
}

func (d WidgetDesign) validate(prefix string) error {
	for _, c := range []struct{ name, v string }{
		{"button_color", d.ButtonColor}, {"background_color", d.BackgroundColor}, {"text_color", d.TextColor},
	} {
		if !hexColor.MatchString(c.v) {
			return fieldf(prefix+c.name, "a colour as #rrggbb")
		}
	}
	if d.Position != "bottom-right" && d.Position != "bottom-left" {
		return fieldf(prefix+"position", "bottom-right or bottom-left")
	}
	if !language.MatchString(d.Language) {
		return fieldf(prefix+"language", "a language code such as en or pt-BR")
	}
	for _, t := range []struct{ name, v string }{
		{"title", d.Texts.Title}, {"button", d.Texts.Button}, {"countdown", d.Texts.Countdown},
		{"success", d.Texts.Success}, {"failure", d.Texts.Failure}, {"outside_hours", d.Texts.OutsideHours},
	} {
		max := 300
		if t.name == "button" {
			max = 40
		}
		if err := checkText(prefix+"texts."+t.name, t.v, max, true); err != nil {
			return err
		}
	}
	if err := checkPlaceholders(prefix+"texts.title", d.Texts.Title, []string{"seconds"}); err != nil {
		return err
	}
	return checkPlaceholders(prefix+"texts.countdown", d.Texts.Countdown, []string{"seconds"})
}

// checkPlaceholders refuses a {{name}} outside allowed (or matching
// also, when given), and braces left open.
func checkPlaceholders(field, text string, allowed []string, also ...*regexp.Regexp) error {
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(allowed, m[1]) && (len(also) == 0 || !also[0].MatchString(m[1])) {
			hint := "{{" + strings.Join(allowed, "}}, {{") + "}}"
			if len(also) > 0 {
				hint += " or {{param_<name>}}"
			}
			return fieldf(field, "unknown placeholder {{%s}}; use %s", m[1], hint)
		}
	}
	if rest := placeholderRE.ReplaceAllString(text, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return fieldf(field, "unbalanced {{ }}")
	}
	return nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254
}

// Manager answers a widget's calls: an agent on its seat, or an outside
// phone number.
type Manager struct {
	ID       ManagerID `json:"id"`
	WidgetID WidgetID  `json:"widget_id"`
	Name     string    `json:"name"`
	// Exactly one of AgentID and Phone (E.164).
	AgentID  AgentID `json:"agent_id,omitempty"`
	Phone    string  `json:"phone,omitempty"`
	TimeZone string  `json:"time_zone"`
	// Hours' own time_zone is ignored: the manager's is used.
	Hours    hours.Schedule `json:"hours"`
	Rank     int            `json:"rank"`
	Position int            `json:"position"`
	Active   bool           `json:"active"`
	// VerifiedAt is when the outside number confirmed a code; an agent
	// seat needs none.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Schedule is the manager's hours in the manager's zone.
func (m Manager) Schedule() hours.Schedule {
	s := m.Hours
	s.TimeZone = m.TimeZone
	return s
}

// Validate checks a manager; hour errors are named under "hours.".
func (m Manager) Validate() error {
	if err := checkText("name", m.Name, 128, true); err != nil {
		return err
	}
	switch {
	case m.AgentID != 0 && m.Phone != "":
		return fieldf("phone", "give an agent or a phone number, not both")
	case m.AgentID == 0 && m.Phone == "":
		return fieldf("phone", "give an agent or a phone number")
	case m.AgentID < 0:
		return fieldf("agent_id", "not an agent")
	case m.Phone != "" && !ValidPhone(m.Phone):
		return fieldf("phone", "E.164, such as +4930123456")
	}
	if m.Rank < 0 || m.Rank > 100 {
		return fieldf("rank", "0-100")
	}
	if m.Position < 0 || m.Position > 10000 {
		return fieldf("position", "0-10000")
	}
	if err := m.Schedule().Validate(); err != nil {
		if fe, ok := err.(*FieldError); ok && fe.Field != "time_zone" {
			return &FieldError{Field: "hours." + fe.Field, Reason: fe.Reason}
		}
		return err
	}
	return nil
}

// Callable reports whether the manager may be offered calls at all:
// active, and an outside number verified.
func (m Manager) Callable() bool {
	return m.Active && (m.AgentID != 0 || !m.VerifiedAt.IsZero())
}

// WidgetOpening is who of a widget's managers is open at an instant.
type WidgetOpening struct {
	Open bool        `json:"open"`
	Now  []ManagerID `json:"open_managers"`
	// Next is the first opening at or after the instant; zero when none
	// of the callable managers ever opens.
	Next time.Time `json:"next,omitzero"`
}

// OpenManagers answers for the callable managers of ms at t.
func OpenManagers(ms []Manager, t time.Time) WidgetOpening {
	cs, ids := callableSchedules(ms)
	open, next, ok := hours.Earliest(cs, t)
	out := WidgetOpening{Open: len(open) > 0, Now: []ManagerID{}}
	for _, i := range open {
		out.Now = append(out.Now, ids[i])
	}
	if ok {
		out.Next = next
	}
	return out
}

// callableSchedules compiles the hours of the callable managers of ms.
func callableSchedules(ms []Manager) ([]*hours.Compiled, []ManagerID) {
	var cs []*hours.Compiled
	var ids []ManagerID
	for _, m := range ms {
		if !m.Callable() {
			continue
		}
		c, err := hours.Compile(m.Schedule())
		if err != nil {
			continue // stored managers are validated; a zone gone from tzdata closes one
		}
		cs, ids = append(cs, c), append(ids, m.ID)
	}
	return cs, ids
}

// WidgetAPIKey lets a site's server ask for calls to its leads.
type WidgetAPIKey struct {
	ID         WidgetKeyID `json:"id"`
	WidgetID   WidgetID    `json:"widget_id"`
	Name       string      `json:"name"`
	Prefix     string      `json:"prefix"`
	CreatedAt  time.Time   `json:"created_at"`
	LastUsedAt time.Time   `json:"last_used_at,omitzero"`
	RevokedAt  time.Time   `json:"revoked_at,omitzero"`
}

// Verification codes for outside numbers.
const (
	VerifyCodeTTL      = 10 * time.Minute
	VerifyCodeAttempts = 5
	// VerifyCodeResend is the least time between two codes to a number.
	VerifyCodeResend = 30 * time.Second
)

// NewVerifyCode is a 6-digit code and what is stored of it: a salted hash.
func NewVerifyCode() (code, stored string) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	code = fmt.Sprintf("%06d", n.Int64())
	salt := make([]byte, 16)
	rand.Read(salt)
	return code, hex.EncodeToString(salt) + "$" + hashCode(salt, code)
}

func hashCode(salt []byte, code string) string {
	sum := sha256.Sum256(append(salt, code...))
	return hex.EncodeToString(sum[:])
}

// VerifyCodeMatches compares code with what NewVerifyCode stored.
func VerifyCodeMatches(stored, code string) bool {
	s, h, ok := strings.Cut(stored, "$")
	salt, err := hex.DecodeString(s)
	if !ok || err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h), []byte(hashCode(salt, strings.TrimSpace(code)))) == 1
}

// WidgetStore keeps widgets, their managers and their API keys.
type WidgetStore interface {
	ListWidgets(ctx context.Context) ([]Widget, error)
	GetWidget(ctx context.Context, id WidgetID) (Widget, error)
	WidgetByKey(ctx context.Context, key string) (Widget, error)
	// CreateWidget makes the widget's key, and a campaign for its calls
	// when CampaignID is 0.
	CreateWidget(ctx context.Context, w Widget) (Widget, error)
	UpdateWidget(ctx context.Context, w Widget) (Widget, error)
	DeleteWidget(ctx context.Context, id WidgetID) error

	ListManagers(ctx context.Context, w WidgetID) ([]Manager, error)
	GetManager(ctx context.Context, w WidgetID, id ManagerID) (Manager, error)
	CreateManager(ctx context.Context, m Manager) (Manager, error)
	// UpdateManager clears the verification when the number changes.
	UpdateManager(ctx context.Context, m Manager) (Manager, error)
	DeleteManager(ctx context.Context, w WidgetID, id ManagerID) error
	// SetManagerCode stores a new code's hash, replacing any earlier code
	// and its attempts.
	SetManagerCode(ctx context.Context, w WidgetID, id ManagerID, stored string, expires time.Time) error
	// ConfirmManagerCode spends an attempt and, when code matches an
	// unexpired code, marks the manager verified. A wrong code is a
	// FieldError on "code".
	ConfirmManagerCode(ctx context.Context, w WidgetID, id ManagerID, code string, now time.Time) (Manager, error)

	CreateWidgetAPIKey(ctx context.Context, w WidgetID, name string) (WidgetAPIKey, string, error)
	ListWidgetAPIKeys(ctx context.Context, w WidgetID) ([]WidgetAPIKey, error)
	RevokeWidgetAPIKey(ctx context.Context, w WidgetID, id WidgetKeyID, at time.Time) error
	// VerifyWidgetAPIKey finds the active widget key a secret belongs to.
	VerifyWidgetAPIKey(ctx context.Context, secret string, now time.Time) (WidgetAPIKey, error)
}
