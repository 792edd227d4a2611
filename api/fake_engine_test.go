package api

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// engineCall is one call the fake engine received.
type engineCall struct {
	Method string
	Actor  dialer.Actor
	Agent  dialer.AgentID
	Call   dialer.CallID
	Arg    any
}

// readMethods are the engine calls the API may make while checking a
// request it then refuses.
var readMethods = map[string]bool{"CallView": true, "LiveCalls": true, "PauseCodes": true, "ReadyAgents": true, "AgentView": true, "LiveAgents": true}

// fakeEngine records every call; it checks ownership as the real engine
// does, and publishes events to subscribers with blocking sends (as an
// engine that trusts its subscribers to keep up would).
type fakeEngine struct {
	mu     sync.Mutex
	calls  []engineCall
	views  map[dialer.CallID]dialer.CallView
	agents map[dialer.AgentID]dialer.AgentView
	fail   map[string]error
	subs   []*fakeSub
	snap   dialer.LiveSnapshot
	// filterEvents makes Subscribe filter like the real engine; off, it
	// sends everything and the API must filter.
	filterEvents bool
	// ready lists the READY agents ReadyAgents counts.
	// queueReloads counts ReloadQueues calls.
	queueReloads int
	// pauseReloads counts ReloadPauseCodes calls.
	pauseReloads int
	ready        []dialer.AgentID
	// imports are the import records published.
	imports []json.RawMessage
	// nodes and gateways are what NodeViews and GatewayStatuses answer;
	// gatewayRefreshes counts RefreshGateways calls.
	nodes            []dialer.NodeView
	gateways         []dialer.GatewayStatus
	gatewayRefreshes int
}

type fakeSub struct {
	ctx    context.Context
	filter dialer.LiveFilter
	// mu is held while sending, so that the channel is closed only when
	// no send is in flight.
	mu     sync.Mutex
	ch     chan dialer.LiveEvent
	closed bool
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{views: map[dialer.CallID]dialer.CallView{}, agents: map[dialer.AgentID]dialer.AgentView{}, fail: map[string]error{}}
}

var _ Engine = (*fakeEngine)(nil)

func (f *fakeEngine) record(c engineCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.fail[c.Method]
}

// Calls returns what was called so far.
func (f *fakeEngine) Calls() []engineCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeEngine) reset() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

// actions lists the calls that are not reads.
func (f *fakeEngine) actions() []string {
	var out []string
	for _, c := range f.Calls() {
		if !readMethods[c.Method] {
			out = append(out, c.Method)
		}
	}
	return out
}

func (f *fakeEngine) called(method string) []engineCall {
	var out []engineCall
	for _, c := range f.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// setAgent makes AgentView answer v for its agent.
func (f *fakeEngine) setAgent(v dialer.AgentView) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[v.ID] = v
}

func (f *fakeEngine) setCall(v dialer.CallView) {
	f.mu.Lock()
	f.views[v.ID] = v
	f.mu.Unlock()
}

// mayControlCall is the engine's own ownership rule.
func mayControlCall(a dialer.Actor, v dialer.CallView) bool {
	return a.Role.AtLeast(identity.RoleSupervisor) || involves(v, a.Agent)
}

func (f *fakeEngine) callAction(method string, a dialer.Actor, id dialer.CallID, arg any) error {
	if err := f.record(engineCall{Method: method, Actor: a, Call: id, Arg: arg}); err != nil {
		return err
	}
	f.mu.Lock()
	v, ok := f.views[id]
	f.mu.Unlock()
	if !ok {
		return dialer.ErrNotFound
	}
	if !mayControlCall(a, v) {
		return dialer.ErrForbidden
	}
	return nil
}

func (f *fakeEngine) agentAction(method string, a dialer.Actor, id dialer.AgentID, arg any) (dialer.AgentView, error) {
	if err := f.record(engineCall{Method: method, Actor: a, Agent: id, Arg: arg}); err != nil {
		return dialer.AgentView{}, err
	}
	if !a.MayControl(id) {
		return dialer.AgentView{}, dialer.ErrForbidden
	}
	return dialer.AgentView{ID: id, State: dialer.AgentReady}, nil
}

func (f *fakeEngine) Login(_ context.Context, a dialer.Actor, id dialer.AgentID, r dialer.LoginRequest) (dialer.AgentView, error) {
	return f.agentAction("Login", a, id, r)
}

func (f *fakeEngine) Logout(_ context.Context, a dialer.Actor, id dialer.AgentID) error {
	_, err := f.agentAction("Logout", a, id, nil)
	return err
}

func (f *fakeEngine) AgentChanged(_ context.Context, by dialer.Actor, a dialer.Agent) error {
	return f.record(engineCall{Method: "AgentChanged", Actor: by, Agent: a.ID, Arg: a})
}

func (f *fakeEngine) SetReady(_ context.Context, a dialer.Actor, id dialer.AgentID) (dialer.AgentView, error) {
	return f.agentAction("SetReady", a, id, nil)
}

// IssueWebRTC answers a fixed account for the agent, valid an hour
// from fakeNow.
func (f *fakeEngine) IssueWebRTC(_ context.Context, a dialer.Actor, id dialer.AgentID) (dialer.WebRTCLogin, error) {
	if _, err := f.agentAction("IssueWebRTC", a, id, nil); err != nil {
		return dialer.WebRTCLogin{}, err
	}
	return dialer.WebRTCLogin{Agent: id, User: "w2401", Domain: "pbx.example.com", Password: "pw-" + id.String(),
		DisplayName: "Agent " + id.String(), ExpiresAt: fakeWebRTCExpiry}, nil
}

func (f *fakeEngine) RevokeWebRTC(_ context.Context, a dialer.Actor, id dialer.AgentID) error {
	_, err := f.agentAction("RevokeWebRTC", a, id, nil)
	return err
}

func (f *fakeEngine) ReportMediaQuality(_ context.Context, a dialer.Actor, id dialer.AgentID, q dialer.MediaQuality) error {
	_, err := f.agentAction("ReportMediaQuality", a, id, q)
	return err
}

func (f *fakeEngine) Pause(_ context.Context, a dialer.Actor, id dialer.AgentID, code string) (dialer.AgentView, error) {
	return f.agentAction("Pause", a, id, code)
}

func (f *fakeEngine) Heartbeat(_ context.Context, a dialer.Actor, id dialer.AgentID) error {
	_, err := f.agentAction("Heartbeat", a, id, nil)
	return err
}

func (f *fakeEngine) AgentView(_ context.Context, id dialer.AgentID) (dialer.AgentView, error) {
	if err := f.record(engineCall{Method: "AgentView", Agent: id}); err != nil {
		return dialer.AgentView{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.agents[id]; ok {
		return v, nil
	}
	return dialer.AgentView{ID: id, State: dialer.AgentReady}, nil
}

func (f *fakeEngine) AgentViews(context.Context) ([]dialer.AgentView, error) {
	if err := f.record(engineCall{Method: "AgentViews"}); err != nil {
		return nil, err
	}
	return []dialer.AgentView{{ID: 1, State: dialer.AgentReady}, {ID: 2, State: dialer.AgentLoggedOut}}, nil
}

// LiveAgents answers the views setAgent gave, but for logged-out ones.
func (f *fakeEngine) LiveAgents() []dialer.AgentView {
	f.record(engineCall{Method: "LiveAgents"})
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []dialer.AgentView
	for _, v := range f.agents {
		if v.State != dialer.AgentLoggedOut {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b dialer.AgentView) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (f *fakeEngine) StartCall(_ context.Context, a dialer.Actor, r dialer.OutboundRequest) (dialer.CallView, error) {
	if err := f.record(engineCall{Method: "StartCall", Actor: a, Arg: r}); err != nil {
		return dialer.CallView{}, err
	}
	return dialer.CallView{ID: dialer.NewCallID(), Number: r.Number, State: dialer.LiveDialing, Agent: r.Agent}, nil
}

func (f *fakeEngine) StartSpeedCall(_ context.Context, a dialer.Actor, r dialer.SpeedCall) (dialer.CallView, error) {
	if err := f.record(engineCall{Method: "StartSpeedCall", Actor: a, Arg: r}); err != nil {
		return dialer.CallView{}, err
	}
	if err := r.Validate(); err != nil {
		return dialer.CallView{}, err
	}
	return dialer.CallView{ID: dialer.NewCallID(), Number: r.Numbers[0], State: dialer.LiveDialing}, nil
}

func (f *fakeEngine) ReadyAgents(named dialer.AgentID) int {
	f.record(engineCall{Method: "ReadyAgents", Agent: named})
	f.mu.Lock()
	defer f.mu.Unlock()
	if named != 0 {
		if slices.Contains(f.ready, named) {
			return 1
		}
		return 0
	}
	return len(f.ready)
}

func (f *fakeEngine) ManualDial(_ context.Context, a dialer.Actor, agent dialer.AgentID, r dialer.ManualDialRequest) (dialer.CallView, error) {
	if err := f.record(engineCall{Method: "ManualDial", Actor: a, Agent: agent, Arg: r}); err != nil {
		return dialer.CallView{}, err
	}
	if !a.MayControl(agent) {
		return dialer.CallView{}, dialer.ErrForbidden
	}
	return dialer.CallView{ID: dialer.NewCallID(), Number: r.Number, State: dialer.LiveDialing, Agent: agent}, nil
}

func (f *fakeEngine) CallView(_ context.Context, id dialer.CallID) (dialer.CallView, error) {
	if err := f.record(engineCall{Method: "CallView", Call: id}); err != nil {
		return dialer.CallView{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[id]
	if !ok {
		return dialer.CallView{}, dialer.ErrNotFound
	}
	return v, nil
}

func (f *fakeEngine) LiveCalls(context.Context) []dialer.CallView {
	f.record(engineCall{Method: "LiveCalls"})
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []dialer.CallView
	for _, v := range f.views {
		if v.State != dialer.LiveEnded {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b dialer.CallView) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

func (f *fakeEngine) Hangup(_ context.Context, a dialer.Actor, id dialer.CallID) error {
	return f.callAction("Hangup", a, id, nil)
}

func (f *fakeEngine) Hold(_ context.Context, a dialer.Actor, id dialer.CallID, on bool) error {
	return f.callAction("Hold", a, id, on)
}

func (f *fakeEngine) Mute(_ context.Context, a dialer.Actor, id dialer.CallID, on bool) error {
	return f.callAction("Mute", a, id, on)
}

func (f *fakeEngine) SendDTMF(_ context.Context, a dialer.Actor, id dialer.CallID, digits string) error {
	return f.callAction("SendDTMF", a, id, digits)
}

func (f *fakeEngine) Record(_ context.Context, a dialer.Actor, id dialer.CallID, on bool) error {
	return f.callAction("Record", a, id, on)
}

func (f *fakeEngine) BlindTransfer(_ context.Context, a dialer.Actor, id dialer.CallID, t dialer.TransferTarget) error {
	return f.callAction("BlindTransfer", a, id, t)
}

func (f *fakeEngine) AddParty(_ context.Context, a dialer.Actor, id dialer.CallID, t dialer.TransferTarget) (dialer.PartyView, error) {
	if err := f.callAction("AddParty", a, id, t); err != nil {
		return dialer.PartyView{}, err
	}
	return dialer.PartyView{Leg: dialer.NewLegID(), Role: dialer.LegThird, Number: t.Number, Agent: t.Agent, State: "dialing"}, nil
}

func (f *fakeEngine) RemoveParty(_ context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID) error {
	return f.callAction("RemoveParty", a, id, leg)
}

func (f *fakeEngine) Leave(_ context.Context, a dialer.Actor, id dialer.CallID) error {
	return f.callAction("Leave", a, id, nil)
}

func (f *fakeEngine) Dispose(_ context.Context, a dialer.Actor, id dialer.CallID, r dialer.DispositionRequest) (dialer.Call, error) {
	if err := f.callAction("Dispose", a, id, r); err != nil {
		return dialer.Call{}, err
	}
	return dialer.Call{ID: id, State: dialer.CallEnded, Disposition: r.Code, Notes: r.Notes}, nil
}

func (f *fakeEngine) DialCallback(_ context.Context, a dialer.Actor, id dialer.CallbackID) (dialer.CallView, error) {
	if err := f.record(engineCall{Method: "DialCallback", Actor: a, Arg: id}); err != nil {
		return dialer.CallView{}, err
	}
	return dialer.CallView{ID: dialer.NewCallID(), Origin: dialer.OriginCallback, Agent: a.Agent}, nil
}

func (f *fakeEngine) Monitor(_ context.Context, a dialer.Actor, id dialer.CallID, r dialer.MonitorRequest) (dialer.PartyView, error) {
	if err := f.callAction("Monitor", a, id, r); err != nil {
		return dialer.PartyView{}, err
	}
	if !a.Role.AtLeast(identity.RoleSupervisor) {
		return dialer.PartyView{}, dialer.ErrForbidden
	}
	return dialer.PartyView{Leg: dialer.NewLegID(), Role: dialer.LegSupervisor, Number: r.Endpoint.Phone, State: "dialing"}, nil
}

func (f *fakeEngine) MonitorMode(_ context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID, mode dialer.MonitorMode) error {
	if err := f.callAction("MonitorMode", a, id, monitorArg{leg, mode}); err != nil {
		return err
	}
	if !a.Role.AtLeast(identity.RoleSupervisor) {
		return dialer.ErrForbidden
	}
	return nil
}

func (f *fakeEngine) StopMonitor(_ context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID) error {
	if err := f.callAction("StopMonitor", a, id, leg); err != nil {
		return err
	}
	if !a.Role.AtLeast(identity.RoleSupervisor) {
		return dialer.ErrForbidden
	}
	return nil
}

// monitorArg is what MonitorMode was asked.
type monitorArg struct {
	Leg  dialer.LegID
	Mode dialer.MonitorMode
}

func (f *fakeEngine) Subscribe(ctx context.Context, filter dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error) {
	if err := f.record(engineCall{Method: "Subscribe", Agent: filter.Agent, Arg: filter}); err != nil {
		return dialer.LiveSnapshot{}, nil, err
	}
	sub := &fakeSub{ctx: ctx, filter: filter, ch: make(chan dialer.LiveEvent)}
	f.mu.Lock()
	f.subs = append(f.subs, sub)
	snap := f.snap
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		f.subs = slices.DeleteFunc(f.subs, func(s *fakeSub) bool { return s == sub })
		f.mu.Unlock()
		sub.mu.Lock()
		sub.closed = true
		close(sub.ch)
		sub.mu.Unlock()
	}()
	return snap, sub.ch, nil
}

// subscribers returns the live subscriptions.
func (f *fakeEngine) subscribers() []*fakeSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.subs)
}

// publish hands ev to every subscriber, waiting for each to take it
// (or to end).
func (f *fakeEngine) publish(ev dialer.LiveEvent) {
	for _, s := range f.subscribers() {
		if f.filterEvents && !s.filter.Match(ev) {
			continue
		}
		s.mu.Lock()
		if !s.closed {
			select {
			case s.ch <- ev:
			case <-s.ctx.Done():
			}
		}
		s.mu.Unlock()
	}
}

func (f *fakeEngine) ReloadQueues(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queueReloads++
	return nil
}

func (f *fakeEngine) SetCallerPriority(_ context.Context, a dialer.Actor, id dialer.CallID, prio int) error {
	return f.record(engineCall{Method: "SetCallerPriority", Actor: a, Call: id, Arg: prio})
}

func (f *fakeEngine) NodeViews() []dialer.NodeView {
	_ = f.record(engineCall{Method: "NodeViews"})
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dialer.NodeView{}, f.nodes...)
}

func (f *fakeEngine) GatewayStatuses() []dialer.GatewayStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dialer.GatewayStatus{}, f.gateways...)
}

func (f *fakeEngine) RefreshGateways(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gatewayRefreshes++
}

func (f *fakeEngine) QueueViews() []dialer.QueueView {
	_ = f.record(engineCall{Method: "QueueViews"})
	return []dialer.QueueView{}
}

func (f *fakeEngine) PauseCodes(context.Context) ([]string, error) {
	f.record(engineCall{Method: "PauseCodes"})
	return []string{"BREAK", "LUNCH"}, nil
}

func (f *fakeEngine) ReloadPauseCodes() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pauseReloads++
}

func (f *fakeEngine) AgentCampaigns(_ context.Context, a dialer.Actor, id dialer.AgentID) ([]dialer.Campaign, error) {
	if _, err := f.agentAction("AgentCampaigns", a, id, nil); err != nil {
		return nil, err
	}
	return []dialer.Campaign{{ID: 1, Name: "Renewals", DialMode: dialer.DialPreview}}, nil
}

func (f *fakeEngine) SetCampaign(_ context.Context, a dialer.Actor, id dialer.AgentID, c dialer.CampaignID) (dialer.AgentView, error) {
	return f.agentAction("SetCampaign", a, id, c)
}

func (f *fakeEngine) CampaignPacing(_ context.Context, id dialer.CampaignID) (dialer.PacingView, error) {
	return dialer.PacingView{Campaign: id, State: "warming", Reason: "no agent working on the campaign"}, nil
}

func (f *fakeEngine) PreviewDial(_ context.Context, a dialer.Actor, id dialer.AgentID) (dialer.CallView, error) {
	if _, err := f.agentAction("PreviewDial", a, id, nil); err != nil {
		return dialer.CallView{}, err
	}
	return dialer.CallView{ID: dialer.NewCallID(), State: dialer.LiveDialing, Agent: id, Origin: dialer.OriginDialer}, nil
}

func (f *fakeEngine) PreviewSkip(_ context.Context, a dialer.Actor, id dialer.AgentID, reason string) (dialer.AgentView, error) {
	return f.agentAction("PreviewSkip", a, id, reason)
}

func (f *fakeEngine) PublishImport(record json.RawMessage) {
	f.mu.Lock()
	f.imports = append(f.imports, record)
	f.mu.Unlock()
}
