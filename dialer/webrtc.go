package dialer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// DefaultWebRTCCredentialTTL is how long a browser's SIP password lives.
const DefaultWebRTCCredentialTTL = time.Hour

// WebRTCUser is the SIP user a browser registers as for extension ext; a
// user of its own, so a desk phone and the browser never share a password.
func WebRTCUser(ext string) string { return "w" + ext }

// WebRTCExtension is the extension behind a browser's SIP user w<ext>; ok
// is false for any other name.
func WebRTCExtension(user string) (ext string, ok bool) {
	ext, ok = strings.CutPrefix(user, "w")
	if !ok || !ValidExtension(ext) {
		return "", false
	}
	return ext, true
}

// WebRTCCredential is the browser softphone's SIP account of one agent:
// the password itself is never kept, only its digest A1.
type WebRTCCredential struct {
	Agent AgentID
	// User is WebRTCUser of the agent's extension when it was issued.
	User string
	// A1Hash is md5(user:realm:password) in hex (SIPA1).
	A1Hash string
	// ExpiresAt: from then on the credential is not found.
	ExpiresAt time.Time
}

// Validate checks a credential before a store keeps it.
func (c WebRTCCredential) Validate() error {
	if c.Agent <= 0 {
		return &FieldError{Field: "agent_id", Reason: "must be positive"}
	}
	if _, ok := WebRTCExtension(c.User); !ok {
		return &FieldError{Field: "user", Reason: "w and 2-10 digits"}
	}
	if len(c.A1Hash) != 32 || strings.Trim(c.A1Hash, "0123456789abcdef") != "" {
		return &FieldError{Field: "a1_hash", Reason: "32 lower-case hex digits"}
	}
	if c.ExpiresAt.IsZero() {
		return &FieldError{Field: "expires_at", Reason: "required"}
	}
	return nil
}

// WebRTCCredentials keeps each agent's current browser credential, shared
// by every service process (Redis: dialer/redisstore, memory:
// dialer/memlive; both keep dialer/livestoretest's contract).
type WebRTCCredentials interface {
	// Issue stores c for ttl, replacing the agent's previous credential.
	Issue(ctx context.Context, c WebRTCCredential, ttl time.Duration) error
	// Lookup returns the agent's credential; ErrNotFound when there is
	// none, or it expired by now or by its ttl.
	Lookup(ctx context.Context, agent AgentID, now time.Time) (WebRTCCredential, error)
	// Revoke deletes the agent's credential (none is no error).
	Revoke(ctx context.Context, agent AgentID) error
}

// ValidateWebRTCIssue checks an Issue request before it reaches a store.
func ValidateWebRTCIssue(c WebRTCCredential, ttl time.Duration) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if ttl <= 0 {
		return &FieldError{Field: "ttl", Reason: "must be positive"}
	}
	return nil
}

// WebRTCLogin is what a browser registers with. The password is shown
// once: the store keeps only its A1.
type WebRTCLogin struct {
	Agent       AgentID
	User        string // w<ext>, the authorization user
	Domain      string // the agent's SIP realm
	Password    string
	DisplayName string
	ExpiresAt   time.Time
}

// IssueWebRTC gives the agent's browser a new SIP password for user
// w<ext>, valid EngineConfig.WebRTCCredentialTTL; the previous one stops
// working at once.
func (e *Engine) IssueWebRTC(ctx context.Context, a Actor, id AgentID) (WebRTCLogin, error) {
	if !a.MayControl(id) {
		return WebRTCLogin{}, ErrForbidden
	}
	if e.webrtc == nil {
		return WebRTCLogin{}, fmt.Errorf("%w: no store for browser credentials", ErrUnavailable)
	}
	ag, err := e.dir.Agent(ctx, id)
	if err != nil {
		return WebRTCLogin{}, err
	}
	if ag.Disabled {
		return WebRTCLogin{}, fmt.Errorf("agent %d: %w", id, ErrDisabled)
	}
	if !ValidExtension(ag.Extension) {
		return WebRTCLogin{}, &FieldError{Field: "extension", Reason: "the seat has no valid extension"}
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return WebRTCLogin{}, err
	}
	pw := base64.RawURLEncoding.EncodeToString(raw[:])
	user := WebRTCUser(ag.Extension)
	ttl := e.cfg.WebRTCCredentialTTL
	exp := e.now().Add(ttl).Truncate(time.Second)
	c := WebRTCCredential{Agent: id, User: user, A1Hash: SIPA1(user, ag.Realm, pw), ExpiresAt: exp}
	if err := e.webrtc.Issue(ctx, c, exp.Sub(e.now())); err != nil {
		return WebRTCLogin{}, err
	}
	e.auditf(ctx, a, "agent.webrtc_issue", id.String(), map[string]any{"user": user, "expires_at": exp})
	return WebRTCLogin{Agent: id, User: user, Domain: ag.Realm, Password: pw, DisplayName: ag.Name, ExpiresAt: exp}, nil
}

// RevokeWebRTC ends the agent's browser credential: the browser's next
// registration or call is refused.
func (e *Engine) RevokeWebRTC(ctx context.Context, a Actor, id AgentID) error {
	if !a.MayControl(id) {
		return ErrForbidden
	}
	if e.webrtc == nil {
		return nil
	}
	if err := e.webrtc.Revoke(ctx, id); err != nil {
		return err
	}
	e.auditf(ctx, a, "agent.webrtc_revoke", id.String(), nil)
	return nil
}

// revokeWebRTCAtLogout drops the browser credential of an agent whose
// session ended; a failure is logged, the logout stands (the credential
// expires by itself).
func (e *Engine) revokeWebRTCAtLogout(ctx context.Context, id AgentID) {
	if e.webrtc == nil {
		return
	}
	if err := e.webrtc.Revoke(ctx, id); err != nil {
		e.log.Warn("browser credential not revoked at logout", "agent_id", id, "err", err)
	}
}

// webrtcFlushCmd drops the browser registrations of extension ext's user
// w<ext> at realm on the agents' profile; both are checked here and again
// by the builder before they reach the switch.
func webrtcFlushCmd(ext, realm string) (esl.Command, error) {
	if !ValidExtension(ext) {
		return esl.Command{}, &FieldError{Field: "extension", Reason: "2-10 digits"}
	}
	if err := esl.ValidateHost("realm", realm); err != nil {
		return esl.Command{}, err
	}
	return esl.SofiaFlushRegistrationCmd(pbxnames.ProfileAgents, WebRTCUser(ext), realm)
}

// dropBrowserRegistration has every connected node forget the browser's
// registration of an agent whose session on a webrtc endpoint ended:
// until it expires the switch would still take the tab for reachable.
// A failure is logged; the logout stands. It is done before the logout
// returns: done later, it could drop the registration of a login that
// followed at once.
func (e *Engine) dropBrowserRegistration(ctx context.Context, id AgentID, ep AgentEndpoint, realm string) {
	if ep.Kind != EndpointWebRTC {
		return
	}
	sw, ok := e.sw.(switchCommander)
	if !ok {
		return
	}
	cmd, err := webrtcFlushCmd(ep.Extension, realm)
	if err != nil {
		e.log.Warn("browser registration not dropped at logout", "agent_id", id, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, n := range sw.Nodes() {
		if !n.Up {
			continue
		}
		if _, err := sw.API(ctx, n.Name, cmd); err != nil {
			e.log.Warn("browser registration not dropped at logout", "agent_id", id, "node", n.Name, "err", err)
		}
	}
}

// MediaQuality is what an agent's browser softphone last reported, for
// supervisors: registration and the call audio's network figures.
type MediaQuality struct {
	Registered    bool    `json:"registered"`
	PacketLossPct float64 `json:"packet_loss_pct"`
	JitterMs      float64 `json:"jitter_ms"`
	RTTMs         float64 `json:"rtt_ms"`
	// AudioInput is the microphone's label, as the browser names it.
	AudioInput string `json:"audio_input,omitempty"`
	// Error is the softphone's current trouble (no microphone, ...).
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

// Bounds of a media quality report.
const (
	MaxMediaMs         = 60000
	MaxAudioInputLabel = 256
	MaxMediaError      = 512
)

// Validate checks a report; each figure must be finite and in range.
func (q MediaQuality) Validate() error {
	figure := func(field string, v, max float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > max {
			return &FieldError{Field: field, Reason: fmt.Sprintf("a number from 0 to %g", max)}
		}
		return nil
	}
	if err := figure("packet_loss_pct", q.PacketLossPct, 100); err != nil {
		return err
	}
	if err := figure("jitter_ms", q.JitterMs, MaxMediaMs); err != nil {
		return err
	}
	if err := figure("rtt_ms", q.RTTMs, MaxMediaMs); err != nil {
		return err
	}
	if err := checkLabel("audio_input", q.AudioInput, MaxAudioInputLabel); err != nil {
		return err
	}
	return checkLabel("error", q.Error, MaxMediaError)
}

// checkLabel accepts bounded UTF-8 text without control characters.
func checkLabel(field, s string, max int) error {
	if err := checkText(field, s, max, false); err != nil {
		return err
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return &FieldError{Field: field, Reason: "control characters"}
	}
	return nil
}

// mediaRepublish is how long a report whose figures moved only a little
// may wait before supervisors see it.
const mediaRepublish = 30 * time.Second

// mediaState is an agent's latest report and the one supervisors saw last.
type mediaState struct {
	last, shown MediaQuality
}

// newsFor reports whether q tells supervisors something the report they
// saw did not: a change of registration, trouble or microphone, or a
// figure that moved out of its band. Figures wobble from one report to
// the next; publishing each wobble of every agent would flood the wall.
func (q MediaQuality) newsFor(shown MediaQuality) bool {
	moved := func(now, was, abs, rel float64) bool {
		return math.Abs(now-was) >= max(abs, rel*was)
	}
	return q.Registered != shown.Registered || q.Error != shown.Error || q.AudioInput != shown.AudioInput ||
		moved(q.PacketLossPct, shown.PacketLossPct, 1, 0) ||
		moved(q.JitterMs, shown.JitterMs, 5, 0.25) ||
		moved(q.RTTMs, shown.RTTMs, 20, 0.25)
}

// ReportMediaQuality keeps a logged-in agent's latest softphone report and
// publishes the agent's view when it tells supervisors something new,
// or when figures that moved a little have waited mediaRepublish.
func (e *Engine) ReportMediaQuality(ctx context.Context, a Actor, id AgentID, q MediaQuality) error {
	if !a.MayControl(id) {
		return ErrForbidden
	}
	if err := q.Validate(); err != nil {
		return err
	}
	if e.line(id) == nil {
		return fmt.Errorf("agent %d is not logged in: %w", id, ErrConflict)
	}
	q.At = e.now()
	e.mu.Lock()
	m, had := e.media[id]
	m.last = q
	shown := m.shown
	publish := !had || q.newsFor(shown) || q.At.Sub(shown.At) >= mediaRepublish && q.differs(shown)
	if publish {
		m.shown = q
	}
	e.media[id] = m
	e.mu.Unlock()
	if publish {
		e.refreshAgent(ctx, id)
	}
	return nil
}

// differs reports whether q shows anything else than o, times aside.
func (q MediaQuality) differs(o MediaQuality) bool {
	q.At, o.At = time.Time{}, time.Time{}
	return q != o
}

// forgetMedia drops the agent's report: a new session starts with none.
func (e *Engine) forgetMedia(id AgentID) {
	e.mu.Lock()
	delete(e.media, id)
	e.mu.Unlock()
}

// mediaOf is the agent's latest report, nil when none.
func (e *Engine) mediaOf(id AgentID) *MediaQuality {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, ok := e.media[id]
	if !ok {
		return nil
	}
	return &m.last
}

// browserRegistered rings the persistent line of the agent whose browser
// just registered as w<ext> on the agents' profile, unless it has one.
// It runs on the switch client's delivery goroutine: it only looks up and
// posts.
func (e *Engine) browserRegistered(profile, user string) {
	ext, ok := WebRTCExtension(user)
	if !ok || profile != pbxnames.ProfileAgents {
		return
	}
	e.mu.Lock()
	var found *line
	for _, l := range e.lines {
		if s := l.state(); s.endpoint.Kind == EndpointWebRTC && s.endpoint.Extension == ext {
			found = l
			break
		}
	}
	e.mu.Unlock()
	if found == nil {
		return
	}
	found.post(func(l *line) {
		s := l.state()
		if s.mode != ModePersistent || s.leg != "" || e.line(l.id) != l {
			return
		}
		if _, err := l.connect(e.ctx); err != nil {
			e.log.Warn("could not ring the browser's line", "agent_id", l.id, "err", err)
		}
	})
}
