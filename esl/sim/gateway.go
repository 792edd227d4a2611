package sim

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// Carrier gateways: `sofia profile <p> rescan` reads the profile's
// gateways from a GatewaySource (mod_xml_curl's directory lookup for a
// FreeSWITCH provisioned by the service) and starts the new ones. A
// gateway with register=true goes TRYING, then REGED; one without goes
// NOREG. Each change fires CUSTOM sofia::gateway_state with the headers
// of mod_sofia's sofia_reg_fire_custom_gateway_state_event: Gateway,
// State, Ping-Status, and Phrase and Status when a SIP reply caused it.

// SubclassGatewayState is the CUSTOM subclass of a gateway's state change.
const SubclassGatewayState = esl.SubclassGatewayState

// GatewayConfig is a gateway as sofia reads it from its configuration.
type GatewayConfig struct {
	Name     string
	Proxy    string
	Username string
	Register bool
}

// GatewaySource returns a profile's gateways, as sofia fetches them on a
// rescan.
type GatewaySource func(ctx context.Context, profile string) ([]GatewayConfig, error)

// RegisterDelay is how long a gateway stays TRYING before it is REGED.
const RegisterDelay = 100 * time.Millisecond

// gateway is a started sofia gateway. Guarded by Server.mu.
type gateway struct {
	GatewayConfig
	profile string
	state   string
	ping    string
	pending *task
}

// SetGatewaySource sets where rescans read gateways from; nil reads none.
func (s *Server) SetGatewaySource(src GatewaySource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gwSource = src
}

// GatewayState returns a started gateway's registration state (REGED,
// NOREG, TRYING, FAILED...).
func (s *Server) GatewayState(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.gws[name]
	if !ok {
		return "", false
	}
	return g.state, true
}

// FailGateway makes a started gateway's registration fail as a carrier's
// SIP reply would (status 403, "Forbidden"): it goes FAILED and stays so
// until RegisterGateway. False if no such gateway was started.
func (s *Server) FailGateway(name string, status int, phrase string) bool {
	return s.forceGateway(name, "FAILED", "DOWN", status, phrase)
}

// RegisterGateway makes a started gateway register again: REGED.
func (s *Server) RegisterGateway(name string) bool {
	return s.forceGateway(name, "REGED", "UP", 200, "OK")
}

func (s *Server) forceGateway(name, state, ping string, status int, phrase string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.gws[name]
	if !ok {
		return false
	}
	g.pending.cancel()
	s.setGatewayState(g, state, ping, status, phrase)
	return true
}

// setGatewayState fires sofia::gateway_state. Callers hold s.mu.
func (s *Server) setGatewayState(g *gateway, state, ping string, status int, phrase string) {
	g.state, g.ping = state, ping
	if !s.wanted("CUSTOM", SubclassGatewayState) {
		s.seq++
		return
	}
	b := s.newEvent("CUSTOM", SubclassGatewayState, siteGatewayState)
	b.add("Gateway", g.Name)
	b.add("State", state)
	b.add("Ping-Status", ping)
	b.add("Phrase", phrase)
	if status != 0 {
		b.add("Status", strconv.Itoa(status))
	}
	s.dispatch(b.e)
}

// startGateways starts the gateways of profile not running yet. Callers
// hold s.mu.
func (s *Server) startGateways(profile string, conf []GatewayConfig) {
	for _, gc := range conf {
		if _, ok := s.gws[gc.Name]; ok {
			continue
		}
		g := &gateway{GatewayConfig: gc, profile: profile}
		s.gws[gc.Name] = g
		s.noteGateway(gc.Name) // killgw knows it
		if !gc.Register {
			s.setGatewayState(g, "NOREG", "UP", 0, "")
			continue
		}
		s.setGatewayState(g, "TRYING", "DOWN", 0, "")
		g.pending = s.sched.after(RegisterDelay, func() {
			if s.gws[g.Name] == g && g.state == "TRYING" {
				s.setGatewayState(g, "REGED", "UP", 200, "OK")
			}
		})
	}
}

// rescan answers `sofia profile <p> rescan`: the source is read without
// the simulation's lock (it may call back into the service), then the
// new gateways start and the reply goes out. Callers hold s.mu.
func (s *Server) rescan(profile string, done func(string)) {
	s.fireReloadXML()
	src := s.gwSource
	if src == nil {
		done("Reload XML [Success]\n+OK scan complete\n")
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conf, err := src(ctx, profile)
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.log.Warn("sim: reading gateways failed", "profile", profile, "err", err)
		} else {
			s.startGateways(profile, conf)
		}
		done("Reload XML [Success]\n+OK scan complete\n")
	}()
}

// killGateway stops a started gateway. Callers hold s.mu.
func (s *Server) killGateway(name string) bool {
	g, ok := s.gws[name]
	if ok {
		g.pending.cancel()
		delete(s.gws, name)
	}
	return ok
}

// gatewayRows are the gateways' rows of `sofia status`, as mod_sofia
// prints them. Callers hold s.mu.
func (s *Server) gatewayRows() string {
	names := make([]string, 0, len(s.gws))
	for n := range s.gws {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		g := s.gws[n]
		to := "sip:" + g.Username + "@" + g.Proxy
		fmt.Fprintf(&b, "%25s\t%s\t  %40s\t%s", g.profile+"::"+g.Name, "gateway", to, g.state)
		if g.state == "FAILED" || g.state == "TRYING" {
			b.WriteString(" (retry: 30s)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// XMLCurlGateways reads gateways as mod_xml_curl does for a profile whose
// domain is marked parse="true": a directory request with
// purpose=gateways, answered by the service's handler.
func XMLCurlGateways(endpoint, user, password, domain string) GatewaySource {
	return func(ctx context.Context, profile string) ([]GatewayConfig, error) {
		form := url.Values{
			"section": {"directory"}, "purpose": {"gateways"}, "profile": {profile},
			"domain": {domain}, "tag_name": {"domain"}, "key_name": {"name"}, "key_value": {domain},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("xml_curl: %s", resp.Status)
		}
		return parseGateways(body)
	}
}

type xmlParam struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xmlGateway struct {
	Name   string     `xml:"name,attr"`
	Params []xmlParam `xml:"param"`
}

// parseGateways reads the gateways of a directory document; one that
// answers "not found" has none.
func parseGateways(doc []byte) ([]GatewayConfig, error) {
	var d struct {
		Gateways []xmlGateway `xml:"section>domain>groups>group>users>user>gateways>gateway"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("xml_curl: %w", err)
	}
	out := make([]GatewayConfig, 0, len(d.Gateways))
	for _, g := range d.Gateways {
		gc := GatewayConfig{Name: g.Name}
		for _, p := range g.Params {
			switch p.Name {
			case "proxy":
				gc.Proxy = p.Value
			case "username":
				gc.Username = p.Value
			case "register":
				gc.Register = p.Value == "true"
			}
		}
		out = append(out, gc)
	}
	return out, nil
}
