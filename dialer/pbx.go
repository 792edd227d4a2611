package dialer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GatewayID numbers a carrier gateway.
type GatewayID int64

func (id GatewayID) String() string { return strconv.FormatInt(int64(id), 10) }

// Gateway is a carrier trunk: FreeSWITCH sends lead calls through it as
// sofia/gateway/<Name>/<number>, and may register to it.
type Gateway struct {
	ID GatewayID `json:"id"`
	// Name is the sofia gateway name: 1-64 of [a-z0-9_.-].
	Name string `json:"name"`
	// Proxy is host[:port] of the carrier's SIP server.
	Proxy string `json:"proxy"`
	// Realm is the digest realm; empty means the proxy's host.
	Realm    string `json:"realm,omitempty"`
	Username string `json:"username,omitempty"`
	// Password is kept in clear text: FreeSWITCH must send it to the
	// carrier, so no one-way hash can replace it. It is never shown by
	// the API.
	Password string `json:"-"`
	// Register makes FreeSWITCH keep a registration with the carrier
	// (needs Username and Password).
	Register bool `json:"register"`
	// Transport is udp, tcp or tls.
	Transport string `json:"transport"`
	// FromUser and FromDomain override the From header of calls.
	FromUser   string `json:"from_user,omitempty"`
	FromDomain string `json:"from_domain,omitempty"`
	// ExpireSeconds is the registration lifetime (default 600).
	ExpireSeconds int `json:"expire_seconds"`
	// PingSeconds sends OPTIONS this often to mark the gateway down when
	// the carrier stops answering; 0 disables.
	PingSeconds int       `json:"ping_seconds"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ValidGatewayName reports whether s can be a sofia gateway name.
// It must start with a letter or digit, as every name that reaches a
// switch command must (esl.ValidateName): a gateway the switch cannot be
// told to kill could not be replaced.
func ValidGatewayName(s string) bool {
	return validToken(s, 64, false) && !strings.Contains(s, ":") &&
		('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z' || '0' <= s[0] && s[0] <= '9')
}

// validHostPort accepts host[:port] with a DNS name or IPv4 address.
func validHostPort(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return false
		}
	}
	return validHost(host)
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 || h[0] == '.' || h[0] == '-' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validSIPUser accepts a SIP user part without characters that change a
// URI or an XML document.
func validSIPUser(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+_.-", c) >= 0) {
			return false
		}
	}
	return true
}

// Validate checks the fields a store writes.
func (g Gateway) Validate() error {
	if !ValidGatewayName(g.Name) {
		return &FieldError{Field: "name", Reason: "1-64 of [a-z0-9_.-], starting with a letter or digit"}
	}
	if !validHostPort(g.Proxy) {
		return &FieldError{Field: "proxy", Reason: "host or host:port"}
	}
	if g.Realm != "" && !validHost(g.Realm) {
		return &FieldError{Field: "realm", Reason: "a host name"}
	}
	if !validSIPUser(g.Username, 64) {
		return &FieldError{Field: "username", Reason: "up to 64 of [A-Za-z0-9+_.-]"}
	}
	if len(g.Password) > 128 || strings.ContainsFunc(g.Password, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &FieldError{Field: "password", Reason: "up to 128 printable characters"}
	}
	if g.Register && (g.Username == "" || g.Password == "") {
		return &FieldError{Field: "register", Reason: "needs username and password"}
	}
	switch g.Transport {
	case "udp", "tcp", "tls":
	default:
		return &FieldError{Field: "transport", Reason: "udp, tcp or tls"}
	}
	if !validSIPUser(g.FromUser, 64) {
		return &FieldError{Field: "from_user", Reason: "up to 64 of [A-Za-z0-9+_.-]"}
	}
	if g.FromDomain != "" && !validHost(g.FromDomain) {
		return &FieldError{Field: "from_domain", Reason: "a host name"}
	}
	if g.ExpireSeconds < 60 || g.ExpireSeconds > 86400 {
		return &FieldError{Field: "expire_seconds", Reason: "60-86400"}
	}
	if g.PingSeconds < 0 || g.PingSeconds > 3600 {
		return &FieldError{Field: "ping_seconds", Reason: "0-3600"}
	}
	return nil
}

// DID is an inbound number: calls to it are answered and handed to the
// service with the DID and its queue on the channel.
type DID struct {
	// Number is E.164.
	Number string `json:"number"`
	Name   string `json:"name"`
	// Queue names the queue the call waits in: an existing queue's name,
	// or empty to leave the choice to the service's default. The store
	// keeps the queue's id (QueueID), so a renamed queue keeps its DIDs and
	// Queue reads its current name.
	Queue string `json:"queue,omitempty"`
	// QueueID is the id of the queue Queue names, set by the store.
	QueueID  QueueID    `json:"queue_id,omitempty"`
	Campaign CampaignID `json:"campaign_id,omitempty"`
	// Priority ranks the DID's callers in their queue: a higher one is
	// offered to an agent first (-MaxCallerPriority..MaxCallerPriority).
	Priority int `json:"priority"`
	// Skills are what an agent needs to take the DID's callers: they are
	// offered only to queue members with every one. At most
	// MaxMemberSkills, as a member with fewer could never match.
	Skills    []string  `json:"skills"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks the fields a store writes.
func (d DID) Validate() error {
	if !ValidPhone(d.Number) {
		return &FieldError{Field: "number", Reason: "E.164 (+ and digits)"}
	}
	if err := checkText("name", d.Name, 128, false); err != nil {
		return err
	}
	if d.Queue != "" && !ValidQueueName(d.Queue) {
		return &FieldError{Field: "queue", Reason: "1-64 of [a-z0-9_.-]"}
	}
	if d.Campaign < 0 {
		return &FieldError{Field: "campaign_id", Reason: "must be positive"}
	}
	if d.Priority < -MaxCallerPriority || d.Priority > MaxCallerPriority {
		// Not inRange: "-100-100" reads badly.
		return &FieldError{Field: "priority", Reason: fmt.Sprintf("%d to %d", -MaxCallerPriority, MaxCallerPriority)}
	}
	return validateSkills("skills", d.Skills)
}

// NormalizeDID turns what a carrier puts in the request URI (with or
// without +, with a leading 00) into the E.164 form DIDs are stored in.
func NormalizeDID(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	default:
		s = "+" + s
	}
	if !ValidPhone(s) {
		return "", &FieldError{Field: "number", Reason: fmt.Sprintf("not a phone number: %q", s)}
	}
	return s, nil
}

// PBXStore holds what FreeSWITCH is provisioned with besides agents:
// carrier gateways and inbound numbers.
type PBXStore interface {
	CreateGateway(ctx context.Context, g Gateway) (Gateway, error)
	Gateway(ctx context.Context, id GatewayID) (Gateway, error)
	GatewayByName(ctx context.Context, name string) (Gateway, error)
	ListGateways(ctx context.Context) ([]Gateway, error)
	// UpdateGateway replaces every field; an empty Password keeps the
	// stored one.
	UpdateGateway(ctx context.Context, g Gateway) (Gateway, error)
	DeleteGateway(ctx context.Context, id GatewayID) error

	CreateDID(ctx context.Context, d DID) (DID, error)
	DID(ctx context.Context, number string) (DID, error)
	ListDIDs(ctx context.Context) ([]DID, error)
	UpdateDID(ctx context.Context, d DID) (DID, error)
	DeleteDID(ctx context.Context, number string) error
}

// Reload outcomes: whether FreeSWITCH was told about a provisioning change.
const (
	// ReloadApplied: every FreeSWITCH node took the commands.
	ReloadApplied = "applied"
	// ReloadNotNeeded: nothing FreeSWITCH holds changed (a DID: the
	// dialplan is fetched on every call and not cached).
	ReloadNotNeeded = "not_needed"
	// ReloadSkipped: this service provisions no switch (none wired).
	ReloadSkipped = "skipped"
	// ReloadFailed: the change is stored but FreeSWITCH was not told;
	// Error says why. Repeating the change tells it again (for a gateway,
	// a change with no field).
	ReloadFailed = "failed"
)

// ReloadResult says whether FreeSWITCH was told about a change. A failed
// reload never undoes the stored change.
type ReloadResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// GatewayPatch is both the create and the change of a gateway: a field
// left nil keeps its value (its default on create), and an empty
// Password keeps the stored one.
type GatewayPatch struct {
	Name          *string `json:"name"`
	Proxy         *string `json:"proxy"`
	Realm         *string `json:"realm"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Register      *bool   `json:"register"`
	Transport     *string `json:"transport"`
	FromUser      *string `json:"from_user"`
	FromDomain    *string `json:"from_domain"`
	ExpireSeconds *int    `json:"expire_seconds"`
	PingSeconds   *int    `json:"ping_seconds"`
	Enabled       *bool   `json:"enabled"`
}

// Apply sets on g the fields p has.
func (p GatewayPatch) Apply(g *Gateway) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&g.Name, p.Name)
	set(&g.Proxy, p.Proxy)
	set(&g.Realm, p.Realm)
	set(&g.Username, p.Username)
	set(&g.Transport, p.Transport)
	set(&g.FromUser, p.FromUser)
	set(&g.FromDomain, p.FromDomain)
	if p.Password != nil && *p.Password != "" {
		g.Password = *p.Password
	}
	if p.Register != nil {
		g.Register = *p.Register
	}
	if p.ExpireSeconds != nil {
		g.ExpireSeconds = *p.ExpireSeconds
	}
	if p.PingSeconds != nil {
		g.PingSeconds = *p.PingSeconds
	}
	if p.Enabled != nil {
		g.Enabled = *p.Enabled
	}
}

// DIDPatch changes a DID; its number is its key. Campaign 0 and Queue ""
// clear them.
type DIDPatch struct {
	Name     *string     `json:"name"`
	Queue    *string     `json:"queue"`
	Campaign *CampaignID `json:"campaign_id"`
	Priority *int        `json:"priority"`
	Skills   *[]string   `json:"skills"`
	Enabled  *bool       `json:"enabled"`
}

// Apply sets on d the fields p has.
func (p DIDPatch) Apply(d *DID) {
	if p.Name != nil {
		d.Name = *p.Name
	}
	if p.Queue != nil {
		d.Queue = *p.Queue
	}
	if p.Campaign != nil {
		d.Campaign = *p.Campaign
	}
	if p.Priority != nil {
		d.Priority = *p.Priority
	}
	if p.Skills != nil {
		d.Skills = *p.Skills
	}
	if p.Enabled != nil {
		d.Enabled = *p.Enabled
	}
}
