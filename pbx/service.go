package pbx

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/esl"
)

// Provisioning: carrier gateways and inbound numbers are stored, then
// FreeSWITCH, which reads them over mod_xml_curl (the handler), is told
// to forget what it holds (Reload).
//
// Every value that reaches the XML the handler serves is XML-escaped there
// (encoding/xml.EscapeText: < > & ' " and CR, LF, tab become entities),
// so no value can add elements or attributes. What FreeSWITCH itself reads
// as syntax inside a value is refused here instead: the dial-string and
// variable separators , | ; ^ { } [ ] < >, whitespace and line breaks (so
// also ${...} expansion). Gateway names also reach ESL commands
// (sofia profile ... killgw <name>), built by package esl's validators.

// Campaigns finds the campaign a DID hands its calls to.
type Campaigns interface {
	Campaign(ctx context.Context, id dialer.CampaignID) (dialer.Campaign, error)
}

// ServiceConfig wires a Service.
type ServiceConfig struct {
	Store     dialer.PBXStore
	Campaigns Campaigns
	// Switch is told about changes; nil when this service provisions no
	// FreeSWITCH (changes report ReloadSkipped).
	Switch Switch
	// ReloadTimeout bounds telling every node (default 10s); each command
	// has the switch client's own timeout as well.
	ReloadTimeout time.Duration
	// Country reads a DID typed without "+" (phone.Normalize).
	Country string
	Logger  *slog.Logger
}

// Service validates and stores gateways and DIDs and tells FreeSWITCH.
type Service struct {
	cfg ServiceConfig
}

// NewService returns the provisioning service.
func NewService(cfg ServiceConfig) *Service {
	if cfg.ReloadTimeout <= 0 {
		cfg.ReloadTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// reload tells the switch about ch. It runs after the change is
// committed, so a caller going away does not cut it short.
func (s *Service) reload(ctx context.Context, ch Change) dialer.ReloadResult {
	if len(ch.Agents) == 0 && len(ch.Gateways) == 0 && !ch.Rescan {
		return dialer.ReloadResult{Status: dialer.ReloadNotNeeded}
	}
	if s.cfg.Switch == nil {
		return dialer.ReloadResult{Status: dialer.ReloadSkipped}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ReloadTimeout)
	defer cancel()
	if err := Reload(rctx, s.cfg.Switch, ch); err != nil {
		s.cfg.Logger.Warn("provisioning stored, but FreeSWITCH was not told", "err", err)
		return dialer.ReloadResult{Status: dialer.ReloadFailed, Error: err.Error()}
	}
	return dialer.ReloadResult{Status: dialer.ReloadApplied}
}

// AgentChanged has FreeSWITCH drop an agent seat's cached directory entry
// and, when its credentials changed or it was disabled, the phone's
// registration; the seat itself is already stored.
func (s *Service) AgentChanged(ctx context.Context, before, after dialer.Agent, passwordChanged bool) dialer.ReloadResult {
	extChanged := after.Extension != before.Extension
	var ch Change
	if extChanged || passwordChanged || after.Disabled != before.Disabled {
		ch.Agents = append(ch.Agents, AgentChange{Extension: before.Extension, Domain: before.Realm,
			Unregister: extChanged || passwordChanged || after.Disabled})
		if extChanged {
			ch.Agents = append(ch.Agents, AgentChange{Extension: after.Extension, Domain: after.Realm})
		}
	}
	return s.reload(ctx, ch)
}

// switchSyntax is what FreeSWITCH reads as syntax inside a value.
const switchSyntax = ",|;^{}[]<>"

// checkSwitchValue refuses a value FreeSWITCH could read as more than a
// value: control characters, spaces, non-ASCII and switchSyntax.
func checkSwitchValue(field, v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f {
			return &dialer.FieldError{Field: field, Reason: "printable ASCII without spaces or line breaks"}
		}
		if strings.IndexByte(switchSyntax, c) >= 0 {
			return &dialer.FieldError{Field: field, Reason: "must not contain any of " + switchSyntax}
		}
	}
	return nil
}

// checkGateway adds to Gateway.Validate what the switch needs: a name the
// ESL command builders take, and a new password without switch syntax.
func checkGateway(g dialer.Gateway, p dialer.GatewayPatch) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := esl.ValidateName("name", g.Name); err != nil {
		return &dialer.FieldError{Field: "name", Reason: "must start with a letter or digit"}
	}
	if p.Password != nil {
		return checkSwitchValue("password", *p.Password)
	}
	return nil
}

// ListGateways returns every gateway.
func (s *Service) ListGateways(ctx context.Context) ([]dialer.Gateway, error) {
	return s.cfg.Store.ListGateways(ctx)
}

// Gateway returns one gateway.
func (s *Service) Gateway(ctx context.Context, id dialer.GatewayID) (dialer.Gateway, error) {
	return s.cfg.Store.Gateway(ctx, id)
}

// CreateGateway stores a gateway (defaults: udp, 600 s, enabled) and has
// FreeSWITCH start it. A taken name is dialer.ErrConflict.
func (s *Service) CreateGateway(ctx context.Context, p dialer.GatewayPatch) (dialer.Gateway, dialer.ReloadResult, error) {
	g := dialer.Gateway{Transport: "udp", ExpireSeconds: 600, Enabled: true}
	p.Apply(&g)
	if err := checkGateway(g, p); err != nil {
		return dialer.Gateway{}, dialer.ReloadResult{}, err
	}
	out, err := s.cfg.Store.CreateGateway(ctx, g)
	if err != nil {
		return dialer.Gateway{}, dialer.ReloadResult{}, err
	}
	// killgw first: a gateway of that name may linger in sofia from
	// before (a failed reload); a missing one is fine.
	return out, s.reload(ctx, Change{Gateways: []string{out.Name}}), nil
}

// UpdateGateway changes a gateway and returns it before and after. Sofia
// cannot change a running gateway, so it is killed (by its old and new
// name) and the profile rescanned; an empty patch repeats that.
func (s *Service) UpdateGateway(ctx context.Context, id dialer.GatewayID, p dialer.GatewayPatch) (before, after dialer.Gateway, r dialer.ReloadResult, err error) {
	before, err = s.cfg.Store.Gateway(ctx, id)
	if err != nil {
		return
	}
	g := before
	p.Apply(&g)
	if err = checkGateway(g, p); err != nil {
		return
	}
	if after, err = s.cfg.Store.UpdateGateway(ctx, g); err != nil {
		return
	}
	names := []string{before.Name}
	if after.Name != before.Name {
		names = append(names, after.Name)
	}
	return before, after, s.reload(ctx, Change{Gateways: names}), nil
}

// DeleteGateway removes a gateway, returns it, and has FreeSWITCH stop it.
func (s *Service) DeleteGateway(ctx context.Context, id dialer.GatewayID) (dialer.Gateway, dialer.ReloadResult, error) {
	g, err := s.cfg.Store.Gateway(ctx, id)
	if err != nil {
		return dialer.Gateway{}, dialer.ReloadResult{}, err
	}
	if err := s.cfg.Store.DeleteGateway(ctx, g.ID); err != nil {
		return dialer.Gateway{}, dialer.ReloadResult{}, err
	}
	return g, s.reload(ctx, Change{Gateways: []string{g.Name}}), nil
}

// didChange: a DID needs no reload. mod_xml_curl asks for the dialplan
// of every inbound call and FreeSWITCH does not cache it (only directory
// users can be cached, and the handler marks none cacheable).
var didChange = Change{}

// checkDID validates what the store does, plus that the campaign exists.
func (s *Service) checkDID(ctx context.Context, d dialer.DID) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Campaign != 0 {
		if _, err := s.cfg.Campaigns.Campaign(ctx, d.Campaign); err != nil {
			if errors.Is(err, dialer.ErrNotFound) {
				return &dialer.FieldError{Field: "campaign_id", Reason: "no such campaign"}
			}
			return err
		}
	}
	return nil
}

// ListDIDs returns every inbound number.
func (s *Service) ListDIDs(ctx context.Context) ([]dialer.DID, error) {
	l, err := s.cfg.Store.ListDIDs(ctx)
	if l == nil && err == nil {
		l = []dialer.DID{}
	}
	return l, err
}

// DID returns the inbound number stored as number (E.164);
// dialer.ErrNotFound when there is none.
func (s *Service) DID(ctx context.Context, number string) (dialer.DID, error) {
	return s.cfg.Store.DID(ctx, number)
}

// CreateDID stores an inbound number; its Number may be typed as people
// do (phone.Normalize in the configured country). A number already
// provisioned is dialer.ErrConflict.
func (s *Service) CreateDID(ctx context.Context, d dialer.DID) (dialer.DID, dialer.ReloadResult, error) {
	var err error
	if d.Number, err = phone.Normalize("number", d.Number, s.cfg.Country); err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	if err := s.checkDID(ctx, d); err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	out, err := s.cfg.Store.CreateDID(ctx, d)
	if err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	return out, s.reload(ctx, didChange), nil
}

// UpdateDID changes the DID of an E.164 number.
func (s *Service) UpdateDID(ctx context.Context, number string, p dialer.DIDPatch) (dialer.DID, dialer.ReloadResult, error) {
	d, err := s.cfg.Store.DID(ctx, number)
	if err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	p.Apply(&d)
	if err := s.checkDID(ctx, d); err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	out, err := s.cfg.Store.UpdateDID(ctx, d)
	if err != nil {
		return dialer.DID{}, dialer.ReloadResult{}, err
	}
	return out, s.reload(ctx, didChange), nil
}

// DeleteDID removes the DID of an E.164 number.
func (s *Service) DeleteDID(ctx context.Context, number string) (dialer.ReloadResult, error) {
	if err := s.cfg.Store.DeleteDID(ctx, number); err != nil {
		return dialer.ReloadResult{}, err
	}
	return s.reload(ctx, didChange), nil
}
