// Package pbx provisions FreeSWITCH from the service's database: an HTTP
// handler answers mod_xml_curl's directory and dialplan requests (agents
// with their a1-hash, carrier gateways, DIDs), and Reload tells FreeSWITCH
// over the event socket that something changed.
package pbx

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// Provisioning is what the handler reads; *sqlitestore.Store provides it.
type Provisioning interface {
	AgentByExtension(ctx context.Context, ext string) (dialer.Agent, error)
	ListGateways(ctx context.Context) ([]dialer.Gateway, error)
	DID(ctx context.Context, number string) (dialer.DID, error)
}

// Option configures the handler.
type Option func(*handler)

// WithLogger logs requests that failed on the service's side.
func WithLogger(l *slog.Logger) Option { return func(h *handler) { h.log = l } }

// WithWebRTC serves the browser softphones' users w<ext> from their
// short-lived credentials, read on clock now; without it they are not
// found. A nil now is clock.System.
func WithWebRTC(creds dialer.WebRTCCredentials, now func() time.Time) Option {
	if now == nil {
		now = clock.System()
	}
	return func(h *handler) { h.webrtc, h.now = creds, now }
}

// maxRequest bounds a request body: FreeSWITCH posts every header of the
// event behind the lookup, a few kilobytes.
const maxRequest = 1 << 20

type handler struct {
	store  Provisioning
	secret string
	log    *slog.Logger
	webrtc dialer.WebRTCCredentials
	now    func() time.Time
}

// NewHandler answers FreeSWITCH's mod_xml_curl requests. Requests must
// carry basic auth with user pbxnames.XMLCurlUser and the shared secret; an
// empty secret refuses everything. What the database does not hold gets
// "not found", so FreeSWITCH falls back to its static XML.
func NewHandler(store Provisioning, secret string, opts ...Option) http.Handler {
	h := &handler{store: store, secret: secret, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(h)
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || h.secret == "" ||
		subtle.ConstantTimeCompare([]byte(user), []byte(pbxnames.XMLCurlUser)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(h.secret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="agentswitch"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	var (
		doc []byte
		err error
	)
	switch r.PostForm.Get("section") {
	case "directory":
		doc, err = h.directory(r.Context(), r.PostForm)
	case "dialplan":
		doc, err = h.dialplan(r.Context(), r.PostForm)
	}
	if err != nil {
		// FreeSWITCH treats a failed fetch like "not found"; the log says why.
		h.log.Error("xml_curl lookup failed", "section", r.PostForm.Get("section"), "err", err)
		http.Error(w, "lookup failed", http.StatusInternalServerError)
		return
	}
	if doc == nil {
		doc = notFound
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(doc)
}

var notFound = []byte(`<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>` + "\n")

// dialString is the directory's dial-string for user/<ext>: the phone's
// registered contact, as FreeSWITCH's vanilla directory has it.
const dialString = "{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}"

type form interface{ Get(string) string }

func (h *handler) directory(ctx context.Context, f form) ([]byte, error) {
	domain := f.Get("domain")
	if domain == "" {
		domain = f.Get("key_value")
	}
	if f.Get("purpose") == "gateways" {
		if f.Get("profile") != pbxnames.ProfileCarriers || domain == "" {
			return nil, nil
		}
		return h.gateways(ctx, domain)
	}
	user := f.Get("user")
	if user == "" || domain == "" {
		return nil, nil
	}
	ext, browser := dialer.WebRTCExtension(user)
	if !browser {
		ext = user
	}
	if !dialer.ValidExtension(ext) || browser && h.webrtc == nil {
		return nil, nil
	}
	a, err := h.store.AgentByExtension(ctx, ext)
	if errors.Is(err, dialer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The a1-hash covers the realm: an agent of another domain is not ours.
	if a.Disabled || !strings.EqualFold(a.Realm, domain) {
		return nil, nil
	}
	a1 := a.SIPA1Hash
	if browser {
		c, err := h.webrtc.Lookup(ctx, a.ID, h.now())
		if errors.Is(err, dialer.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// Issued for the seat's extension before an admin changed it.
		if c.User != user {
			return nil, nil
		}
		a1 = c.A1Hash
	}
	if len(a1) != 32 {
		return nil, nil
	}
	return agentEntry(domain, user, a1, a), nil
}

// agentEntry is the directory's answer for an agent's phone or browser:
// the same variables for both, so their calls go the same way.
func agentEntry(domain, user, a1 string, a dialer.Agent) []byte {
	var b xmlBuilder
	b.open("document", "type", "freeswitch/xml")
	b.open("section", "name", "directory")
	b.open("domain", "name", domain)
	b.open("params")
	b.leaf("param", "name", "dial-string", "value", dialString)
	b.close("params")
	b.open("users")
	b.open("user", "id", user)
	b.open("params")
	b.leaf("param", "name", "a1-hash", "value", a1)
	b.close("params")
	b.open("variables")
	b.leaf("variable", "name", "user_context", "value", pbxnames.ContextAgents)
	b.leaf("variable", "name", pbxnames.VarAgentID, "value", a.ID.String())
	b.close("variables")
	b.close("user")
	b.close("users")
	b.close("domain")
	b.close("section")
	b.close("document")
	return b.bytes()
}

// gateways serves every enabled gateway as sofia reads them from a domain
// marked parse="true": inside one user of the carriers' domain.
func (h *handler) gateways(ctx context.Context, domain string) ([]byte, error) {
	gws, err := h.store.ListGateways(ctx)
	if err != nil {
		return nil, err
	}
	var b xmlBuilder
	b.open("document", "type", "freeswitch/xml")
	b.open("section", "name", "directory")
	b.open("domain", "name", domain)
	b.open("groups")
	b.open("group", "name", "gateways")
	b.open("users")
	b.open("user", "id", "gateways")
	b.open("gateways")
	for _, g := range gws {
		if !g.Enabled || g.Validate() != nil {
			continue
		}
		b.open("gateway", "name", g.Name)
		param := func(name, value string) { b.leaf("param", "name", name, "value", value) }
		param("proxy", g.Proxy)
		if g.Realm != "" {
			param("realm", g.Realm)
		}
		if g.Username != "" {
			param("username", g.Username)
		}
		if g.Password != "" {
			param("password", g.Password)
		}
		param("register", strconv.FormatBool(g.Register))
		param("register-transport", g.Transport)
		param("expire-seconds", strconv.Itoa(g.ExpireSeconds))
		param("retry-seconds", "30")
		if g.PingSeconds > 0 {
			param("ping", strconv.Itoa(g.PingSeconds))
		}
		if g.FromUser != "" {
			param("from-user", g.FromUser)
		}
		if g.FromDomain != "" {
			param("from-domain", g.FromDomain)
		}
		// The caller ID the service sets on a lead leg goes in From.
		param("caller-id-in-from", "true")
		// Calls the carrier sends through a registered gateway land where DIDs do.
		param("context", pbxnames.ContextInbound)
		b.close("gateway")
	}
	b.close("gateways")
	b.close("user")
	b.close("users")
	b.close("group")
	b.close("groups")
	b.close("domain")
	b.close("section")
	b.close("document")
	return b.bytes(), nil
}

var digits = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

// dialplan answers the inbound context for DIDs the service knows: set
// the DID (and its queue, campaign, priority and skills) on the channel,
// answer and park.
func (h *handler) dialplan(ctx context.Context, f form) ([]byte, error) {
	ctxName := f.Get("Hunt-Context")
	if ctxName == "" {
		ctxName = f.Get("Caller-Context")
	}
	dest := f.Get("Hunt-Destination-Number")
	if dest == "" {
		dest = f.Get("Caller-Destination-Number")
	}
	if ctxName != pbxnames.ContextInbound || !digits.MatchString(dest) {
		return nil, nil
	}
	number, err := dialer.NormalizeDID(dest)
	if err != nil {
		return nil, nil
	}
	d, err := h.store.DID(ctx, number)
	if errors.Is(err, dialer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !d.Enabled {
		return nil, nil
	}
	var b xmlBuilder
	b.open("document", "type", "freeswitch/xml")
	b.open("section", "name", "dialplan")
	b.open("context", "name", pbxnames.ContextInbound)
	b.open("extension", "name", "did")
	// dest was checked to be digits with an optional +.
	b.open("condition", "field", "destination_number", "expression", "^"+regexp.QuoteMeta(dest)+"$")
	for _, a := range DIDActions(d) {
		if a.Data == "" {
			b.leaf("action", "application", a.App)
		} else {
			b.leaf("action", "application", a.App, "data", a.Data)
		}
	}
	b.close("condition")
	b.close("extension")
	b.close("context")
	b.close("section")
	b.close("document")
	return b.bytes(), nil
}

// Action is one dialplan application and its argument.
type Action struct {
	App, Data string
}

// DIDActions is what a call to d runs: the DID (and its queue, campaign,
// priority and skills) set on the channel, answer and park. The xml_curl
// dialplan and the built-in simulator's callers both run it.
func DIDActions(d dialer.DID) []Action {
	set := func(k, v string) Action { return Action{App: "set", Data: k + "=" + v} }
	out := []Action{set(pbxnames.VarLegRole, pbxnames.RoleInbound), set(pbxnames.VarDID, d.Number)}
	if d.Queue != "" {
		out = append(out, set(pbxnames.VarQueue, d.Queue))
	}
	if d.Campaign != 0 {
		out = append(out, set(pbxnames.VarCampaignID, d.Campaign.String()))
	}
	// 0 is what the engine takes for a caller with none.
	if d.Priority != 0 {
		out = append(out, set(pbxnames.VarPriority, strconv.Itoa(d.Priority)))
	}
	// Sorted, so one set of skills always reads the same; skill names
	// have no comma (dialer.ValidSkill).
	if len(d.Skills) > 0 {
		out = append(out, set(pbxnames.VarSkills, strings.Join(slices.Sorted(slices.Values(d.Skills)), ",")))
	}
	return append(out, Action{App: "answer"}, Action{App: "park"})
}

// xmlBuilder writes an indented document with every attribute escaped.
type xmlBuilder struct {
	buf   bytes.Buffer
	depth int
}

func (b *xmlBuilder) tag(name string, attrs []string, end string) {
	b.buf.WriteString(strings.Repeat("  ", b.depth))
	b.buf.WriteByte('<')
	b.buf.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		b.buf.WriteByte(' ')
		b.buf.WriteString(attrs[i])
		b.buf.WriteString(`="`)
		xml.EscapeText(&b.buf, []byte(attrs[i+1]))
		b.buf.WriteByte('"')
	}
	b.buf.WriteString(end)
}

func (b *xmlBuilder) open(name string, attrs ...string) {
	b.tag(name, attrs, ">\n")
	b.depth++
}

func (b *xmlBuilder) leaf(name string, attrs ...string) { b.tag(name, attrs, "/>\n") }

func (b *xmlBuilder) close(name string) {
	b.depth--
	b.buf.WriteString(strings.Repeat("  ", b.depth) + "</" + name + ">\n")
}

func (b *xmlBuilder) bytes() []byte { return b.buf.Bytes() }
