package dialer

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// The switch's own state, for admins and the supervisors' wall: each
// FreeSWITCH node's connection and health, and each carrier gateway's
// registration on each node. Gateways are followed from the switch's
// sofia::gateway_state events; `sofia status` seeds them when a node
// (re)connects and after a provisioning change. Health (`status`) is read
// when a node connects and every NodeHealthInterval: one cheap command.

// NodeView is a FreeSWITCH node as the console shows it.
type NodeView struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	// Since is when the node last came up or went down.
	Since time.Time `json:"since"`
	// Reconnects counts the times it came back after being lost.
	Reconnects int    `json:"reconnects"`
	Error      string `json:"error,omitempty"`
	CoreUUID   string `json:"core_uuid,omitempty"`
	// Health, read with `status` while the node is up (zero until read).
	UptimeSeconds int64     `json:"uptime_seconds"`
	Sessions      int       `json:"sessions"`
	PeakSessions  int       `json:"peak_sessions"`
	MaxSessions   int       `json:"max_sessions"`
	CheckedAt     time.Time `json:"checked_at,omitzero"`
}

// GatewayStatus is a carrier gateway's registration on one node.
type GatewayStatus struct {
	Gateway string `json:"gateway"`
	Node    string `json:"node"`
	// State is sofia's: REGED, NOREG (registration off), TRYING,
	// REGISTER, UNREGED, FAILED, FAIL_WAIT, EXPIRED, TIMEOUT, DOWN...
	State      string `json:"state"`
	Registered bool   `json:"registered"`
	// PingStatus is UP, DOWN or INVALID (OPTIONS pings).
	PingStatus string `json:"ping_status,omitempty"`
	// SIPStatus and Phrase are the carrier's reply behind the change.
	SIPStatus int       `json:"sip_status,omitempty"`
	Phrase    string    `json:"phrase,omitempty"`
	Since     time.Time `json:"since"`
	// Removed: the node no longer runs the gateway (deleted, disabled).
	Removed bool `json:"removed,omitempty"`
}

// Live events of the switch's state (supervisors' streams).
const (
	EvNodeState    LiveEventType = "node.state"
	EvGatewayState LiveEventType = "gateway.state"
)

// switchCommander runs api commands on a node (*esl.Client does).
type switchCommander interface {
	API(ctx context.Context, node string, cmd esl.Command) (string, error)
	Nodes() []esl.NodeStatus
}

// switchState is the engine's record of nodes and gateways; the hub holds
// what was published.
type switchState struct {
	// nodePub keeps a node's changes published in the order they were
	// made: a stale copy published last would stay in the views. It is
	// taken before mu.
	nodePub sync.Mutex
	mu      sync.Mutex
	nodes   map[string]*NodeView
	gws     map[gwKey]*gwEntry
	// gen counts gateway events: a seed read before an event does not
	// overwrite what the event said.
	gen uint64
}

type gwKey struct{ node, gateway string }

type gwEntry struct {
	st  GatewayStatus
	gen uint64
}

func (s *switchState) init() {
	if s.nodes == nil {
		s.nodes = map[string]*NodeView{}
		s.gws = map[gwKey]*gwEntry{}
	}
}

// nodeChanged records a node coming up or going down and publishes it;
// a node that came up is read at once.
func (e *Engine) nodeChanged(st esl.NodeState) {
	s := &e.swState
	s.nodePub.Lock()
	s.mu.Lock()
	s.init()
	v, seen := s.nodes[st.Node]
	if !seen {
		v = &NodeView{Name: st.Node}
		s.nodes[st.Node] = v
	}
	if st.Up && seen && !v.Up {
		v.Reconnects++
	}
	v.Up, v.Since, v.CoreUUID, v.Error = st.Up, e.now(), st.CoreUUID, ""
	if !st.Up {
		v.Sessions = 0
		if st.Err != nil {
			v.Error = st.Err.Error()
		}
	}
	out := *v
	s.mu.Unlock()
	e.publish(LiveEvent{Type: EvNodeState, Node: &out})
	s.nodePub.Unlock()
	if st.Up {
		e.group.Go(func() {
			ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
			defer cancel()
			e.readNode(ctx, st.Node)
		})
	}
}

// gatewayEvent follows a sofia::gateway_state event.
func (e *Engine) gatewayEvent(node string, ev *esl.Event) {
	name := strings.Clone(ev.Get("Gateway"))
	state := strings.Clone(ev.Get("State"))
	if name == "" || state == "" {
		return
	}
	code, _ := strconv.Atoi(ev.Get("Status"))
	st := GatewayStatus{Gateway: name, Node: node, State: state, Registered: state == "REGED",
		PingStatus: strings.Clone(ev.Get("Ping-Status")), SIPStatus: code, Phrase: strings.Clone(ev.Get("Phrase"))}
	s := &e.swState
	s.mu.Lock()
	s.init()
	s.gen++
	k := gwKey{node, name}
	g := s.gws[k]
	if g == nil {
		g = &gwEntry{}
		s.gws[k] = g
	}
	st.Since = g.st.Since
	if g.st.State != state || st.Since.IsZero() {
		st.Since = e.now()
	}
	g.st, g.gen = st, s.gen
	s.mu.Unlock()
	e.publish(LiveEvent{Type: EvGatewayState, Gateway: &st})
}

// readNode seeds a node's gateways from `sofia status` and reads its
// health.
func (e *Engine) readNode(ctx context.Context, node string) {
	sw, ok := e.sw.(switchCommander)
	if !ok {
		return
	}
	e.seedGateways(ctx, sw, node)
	e.readHealth(ctx, sw, node)
}

// seedGateways sets a node's gateways to what `sofia status` lists; one it
// no longer lists is removed.
func (e *Engine) seedGateways(ctx context.Context, sw switchCommander, node string) {
	s := &e.swState
	s.mu.Lock()
	s.init()
	gen := s.gen
	s.mu.Unlock()
	out, err := sw.API(ctx, node, esl.SofiaStatusCmd())
	if err != nil {
		e.log.Warn("could not read the gateways' state", "node", node, "err", err)
		return
	}
	listed := ParseSofiaGateways(out)
	now := e.now()
	var changed []GatewayStatus
	s.mu.Lock()
	for name, state := range listed {
		k := gwKey{node, name}
		g := s.gws[k]
		if g == nil {
			g = &gwEntry{}
			s.gws[k] = g
		}
		if g.gen > gen || g.st.State == state {
			continue // an event since the command is newer
		}
		g.st = GatewayStatus{Gateway: name, Node: node, State: state, Registered: state == "REGED", Since: now}
		changed = append(changed, g.st)
	}
	for k, g := range s.gws {
		if k.node == node && listed[k.gateway] == "" && g.gen <= gen {
			delete(s.gws, k)
			changed = append(changed, GatewayStatus{Gateway: k.gateway, Node: node, Since: now, Removed: true})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(changed, func(a, b GatewayStatus) int { return strings.Compare(a.Gateway, b.Gateway) })
	for i := range changed {
		e.publish(LiveEvent{Type: EvGatewayState, Gateway: &changed[i]})
	}
}

// ParseSofiaGateways reads the gateway rows of `sofia status`:
// "<profile>::<gateway>\tgateway\t<data>\t<STATE>[ (retry: Ns)]".
func ParseSofiaGateways(status string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(status, "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) < 4 || strings.TrimSpace(f[1]) != "gateway" {
			continue
		}
		_, name, ok := strings.Cut(strings.TrimSpace(f[0]), "::")
		state, _, _ := strings.Cut(strings.TrimSpace(f[3]), " ")
		if ok && name != "" && state != "" {
			out[name] = state
		}
	}
	return out
}

// readHealth reads a node's `status` and publishes what changed.
func (e *Engine) readHealth(ctx context.Context, sw switchCommander, node string) {
	out, err := sw.API(ctx, node, esl.StatusCmd())
	if err != nil {
		e.log.Debug("could not read the switch's status", "node", node, "err", err)
		return
	}
	h, ok := ParseStatus(out)
	if !ok {
		return
	}
	s := &e.swState
	s.nodePub.Lock()
	defer s.nodePub.Unlock()
	s.mu.Lock()
	s.init()
	v := s.nodes[node]
	if v == nil || !v.Up {
		s.mu.Unlock()
		return
	}
	// Uptime alone moves every read: publish when sessions change, or
	// the first read.
	first := v.CheckedAt.IsZero()
	changed := first || v.Sessions != h.Sessions || v.PeakSessions != h.PeakSessions || v.MaxSessions != h.MaxSessions
	v.UptimeSeconds, v.Sessions, v.PeakSessions, v.MaxSessions, v.CheckedAt = h.UptimeSeconds, h.Sessions, h.PeakSessions, h.MaxSessions, e.now()
	cp := *v
	s.mu.Unlock()
	if changed {
		e.publish(LiveEvent{Type: EvNodeState, Node: &cp})
	}
}

// NodeHealth is what `status` says.
type NodeHealth struct {
	UptimeSeconds                       int64
	Sessions, PeakSessions, MaxSessions int
}

var (
	uptimeRE   = regexp.MustCompile(`(\d+) (year|day|hour|minute|second)s?`)
	sessionsRE = regexp.MustCompile(`(?m)^(\d+) session\(s\) - peak (\d+)`)
	maxRE      = regexp.MustCompile(`(?m)^(\d+) session\(s\) max`)
)

// ParseStatus reads FreeSWITCH's `status` reply: "UP 0 years, 1 days, 2
// hours, 3 minutes, 4 seconds, ...", "N session(s) - peak P, ...",
// "M session(s) max".
func ParseStatus(out string) (NodeHealth, bool) {
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "UP ") {
		return NodeHealth{}, false
	}
	var h NodeHealth
	unit := map[string]int64{"year": 365 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1}
	for _, m := range uptimeRE.FindAllStringSubmatch(first, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		h.UptimeSeconds += n * unit[m[2]]
	}
	m := sessionsRE.FindStringSubmatch(out)
	if m == nil {
		return NodeHealth{}, false
	}
	h.Sessions, _ = strconv.Atoi(m[1])
	h.PeakSessions, _ = strconv.Atoi(m[2])
	if m := maxRE.FindStringSubmatch(out); m != nil {
		h.MaxSessions, _ = strconv.Atoi(m[1])
	}
	return h, true
}

// watchHealth reads every up node's health each NodeHealthInterval.
func (e *Engine) watchHealth(ctx context.Context) {
	sw, ok := e.sw.(switchCommander)
	if !ok {
		return
	}
	t := time.NewTicker(e.cfg.NodeHealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, n := range sw.Nodes() {
			if n.Up {
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				e.readHealth(rctx, sw, n.Name)
				cancel()
			}
		}
	}
}

// gatewaySettle is how long after a change the gateways are read once
// more: sofia forgets a killed gateway on its next gateway check (every
// few seconds), so `sofia status` may list it just after killgw.
const gatewaySettle = 5 * time.Second

// RefreshGateways reads every up node's gateways again after a
// provisioning change killed or started some: now, and once more when
// sofia has settled.
func (e *Engine) RefreshGateways(ctx context.Context) {
	sw, ok := e.sw.(switchCommander)
	if !ok {
		return
	}
	seed := func(ctx context.Context) {
		for _, n := range sw.Nodes() {
			if n.Up {
				e.seedGateways(ctx, sw, n.Name)
			}
		}
	}
	seed(ctx)
	e.group.Go(func() {
		t := time.NewTimer(gatewaySettle)
		defer t.Stop()
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		seed(rctx)
	})
}

// NodeViews lists the nodes as last published, by name, with any
// configured node that never connected as down.
func (e *Engine) NodeViews() []NodeView {
	out := e.hub.nodeViews()
	sw, ok := e.sw.(switchCommander)
	if !ok {
		return out
	}
	for _, n := range sw.Nodes() {
		if !slices.ContainsFunc(out, func(v NodeView) bool { return v.Name == n.Name }) {
			out = append(out, NodeView{Name: n.Name, Up: n.Up, Since: n.Since, Error: n.LastErr, CoreUUID: n.CoreUUID})
		}
	}
	slices.SortFunc(out, func(a, b NodeView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// GatewayStatuses lists every gateway's state on every node.
func (e *Engine) GatewayStatuses() []GatewayStatus { return e.hub.gatewayStatuses() }
