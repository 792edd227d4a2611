package api

import (
	"context"
	"encoding/json"

	"github.com/agentswitch/agentswitch/dialer"
)

// Engine is the call engine as the API uses it (*dialer.Engine in
// production). It checks roles and ownership itself; the API checks them
// first as well.
type Engine interface {
	Login(ctx context.Context, a dialer.Actor, id dialer.AgentID, r dialer.LoginRequest) (dialer.AgentView, error)
	Logout(ctx context.Context, a dialer.Actor, id dialer.AgentID) error
	// AgentChanged applies an admin's change of a seat to its session.
	AgentChanged(ctx context.Context, by dialer.Actor, a dialer.Agent) error
	SetReady(ctx context.Context, a dialer.Actor, id dialer.AgentID) (dialer.AgentView, error)
	// IssueWebRTC gives the agent's browser softphone a new short-lived
	// SIP password; RevokeWebRTC ends it; ReportMediaQuality keeps the
	// softphone's figures for supervisors.
	IssueWebRTC(ctx context.Context, a dialer.Actor, id dialer.AgentID) (dialer.WebRTCLogin, error)
	RevokeWebRTC(ctx context.Context, a dialer.Actor, id dialer.AgentID) error
	ReportMediaQuality(ctx context.Context, a dialer.Actor, id dialer.AgentID, q dialer.MediaQuality) error
	Pause(ctx context.Context, a dialer.Actor, id dialer.AgentID, code string) (dialer.AgentView, error)
	Heartbeat(ctx context.Context, a dialer.Actor, id dialer.AgentID) error
	AgentView(ctx context.Context, id dialer.AgentID) (dialer.AgentView, error)
	AgentViews(ctx context.Context) ([]dialer.AgentView, error)
	// LiveAgents is every logged-in agent's last published view, from
	// memory (no live store round trip).
	LiveAgents() []dialer.AgentView
	StartCall(ctx context.Context, a dialer.Actor, r dialer.OutboundRequest) (dialer.CallView, error)
	// StartSpeedCall rings a widget's managers, then the lead; it returns
	// once the call is recorded.
	StartSpeedCall(ctx context.Context, a dialer.Actor, r dialer.SpeedCall) (dialer.CallView, error)
	// ReadyAgents counts the READY agents a lead call could be given to
	// now: the named agent alone when named is not zero.
	ReadyAgents(named dialer.AgentID) int
	ManualDial(ctx context.Context, a dialer.Actor, agent dialer.AgentID, r dialer.ManualDialRequest) (dialer.CallView, error)
	// CallView returns a live or just-ended call; dialer.ErrNotFound
	// otherwise.
	CallView(ctx context.Context, id dialer.CallID) (dialer.CallView, error)
	LiveCalls(ctx context.Context) []dialer.CallView
	Hangup(ctx context.Context, a dialer.Actor, id dialer.CallID) error
	Hold(ctx context.Context, a dialer.Actor, id dialer.CallID, on bool) error
	Mute(ctx context.Context, a dialer.Actor, id dialer.CallID, on bool) error
	SendDTMF(ctx context.Context, a dialer.Actor, id dialer.CallID, digits string) error
	Record(ctx context.Context, a dialer.Actor, id dialer.CallID, on bool) error
	BlindTransfer(ctx context.Context, a dialer.Actor, id dialer.CallID, t dialer.TransferTarget) error
	AddParty(ctx context.Context, a dialer.Actor, id dialer.CallID, t dialer.TransferTarget) (dialer.PartyView, error)
	RemoveParty(ctx context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID) error
	Leave(ctx context.Context, a dialer.Actor, id dialer.CallID) error
	Dispose(ctx context.Context, a dialer.Actor, id dialer.CallID, r dialer.DispositionRequest) (dialer.Call, error)
	DialCallback(ctx context.Context, a dialer.Actor, id dialer.CallbackID) (dialer.CallView, error)
	// Monitor rings a supervisor's phone into the call (listen, whisper or
	// barge); MonitorMode switches it; StopMonitor hangs it up.
	Monitor(ctx context.Context, a dialer.Actor, id dialer.CallID, r dialer.MonitorRequest) (dialer.PartyView, error)
	MonitorMode(ctx context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID, mode dialer.MonitorMode) error
	StopMonitor(ctx context.Context, a dialer.Actor, id dialer.CallID, leg dialer.LegID) error
	// Subscribe returns the state now and every later event that passes
	// f; the channel closes when ctx ends.
	Subscribe(ctx context.Context, f dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error)
	// PauseCodes lists the codes an agent may pause with now;
	// ReloadPauseCodes has the next pause read an admin's change.
	PauseCodes(ctx context.Context) ([]string, error)
	ReloadPauseCodes()
	// ReloadQueues reads the inbound queues again after a change;
	// QueueViews lists their live figures.
	ReloadQueues(ctx context.Context) error
	QueueViews() []dialer.QueueView
	// SetCallerPriority moves a caller waiting in a queue to the place of
	// its new priority.
	SetCallerPriority(ctx context.Context, a dialer.Actor, id dialer.CallID, prio int) error
	// AgentCampaigns lists the campaigns an agent may work on;
	// SetCampaign moves it to one between calls.
	AgentCampaigns(ctx context.Context, a dialer.Actor, id dialer.AgentID) ([]dialer.Campaign, error)
	SetCampaign(ctx context.Context, a dialer.Actor, id dialer.AgentID, campaign dialer.CampaignID) (dialer.AgentView, error)
	// CampaignPacing is a predictive campaign's last pacing figures.
	CampaignPacing(ctx context.Context, id dialer.CampaignID) (dialer.PacingView, error)
	// PreviewDial dials the lead the agent previews; PreviewSkip passes
	// over it with a reason.
	PreviewDial(ctx context.Context, a dialer.Actor, id dialer.AgentID) (dialer.CallView, error)
	PreviewSkip(ctx context.Context, a dialer.Actor, id dialer.AgentID, reason string) (dialer.AgentView, error)
	// PublishImport pushes a lead import's record to supervisors' streams.
	PublishImport(record json.RawMessage)
	// NodeViews lists the switch nodes with their connection and health;
	// GatewayStatuses every gateway's registration on every node;
	// RefreshGateways reads them from the switch again after a change.
	NodeViews() []dialer.NodeView
	GatewayStatuses() []dialer.GatewayStatus
	RefreshGateways(ctx context.Context)
}

// noEngine stands in until the call engine is wired: everything that
// needs it answers 503.
type noEngine struct{}

func (noEngine) Login(context.Context, dialer.Actor, dialer.AgentID, dialer.LoginRequest) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}
func (noEngine) Logout(context.Context, dialer.Actor, dialer.AgentID) error {
	return dialer.ErrUnavailable
}
func (noEngine) AgentChanged(context.Context, dialer.Actor, dialer.Agent) error { return nil }
func (noEngine) SetReady(context.Context, dialer.Actor, dialer.AgentID) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}
func (noEngine) IssueWebRTC(context.Context, dialer.Actor, dialer.AgentID) (dialer.WebRTCLogin, error) {
	return dialer.WebRTCLogin{}, dialer.ErrUnavailable
}
func (noEngine) RevokeWebRTC(context.Context, dialer.Actor, dialer.AgentID) error {
	return dialer.ErrUnavailable
}
func (noEngine) ReportMediaQuality(context.Context, dialer.Actor, dialer.AgentID, dialer.MediaQuality) error {
	return dialer.ErrUnavailable
}
func (noEngine) Pause(context.Context, dialer.Actor, dialer.AgentID, string) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}
func (noEngine) Heartbeat(context.Context, dialer.Actor, dialer.AgentID) error {
	return dialer.ErrUnavailable
}
func (noEngine) AgentView(context.Context, dialer.AgentID) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}
func (noEngine) AgentViews(context.Context) ([]dialer.AgentView, error) {
	return nil, dialer.ErrUnavailable
}
func (noEngine) LiveAgents() []dialer.AgentView { return nil }

func (noEngine) StartSpeedCall(context.Context, dialer.Actor, dialer.SpeedCall) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrUnavailable
}

func (noEngine) StartCall(context.Context, dialer.Actor, dialer.OutboundRequest) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrUnavailable
}
func (noEngine) ReadyAgents(dialer.AgentID) int { return 0 }
func (noEngine) ManualDial(context.Context, dialer.Actor, dialer.AgentID, dialer.ManualDialRequest) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrUnavailable
}
func (noEngine) CallView(context.Context, dialer.CallID) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrNotFound
}
func (noEngine) LiveCalls(context.Context) []dialer.CallView { return nil }
func (noEngine) Hangup(context.Context, dialer.Actor, dialer.CallID) error {
	return dialer.ErrUnavailable
}
func (noEngine) Hold(context.Context, dialer.Actor, dialer.CallID, bool) error {
	return dialer.ErrUnavailable
}
func (noEngine) Mute(context.Context, dialer.Actor, dialer.CallID, bool) error {
	return dialer.ErrUnavailable
}
func (noEngine) SendDTMF(context.Context, dialer.Actor, dialer.CallID, string) error {
	return dialer.ErrUnavailable
}
func (noEngine) Record(context.Context, dialer.Actor, dialer.CallID, bool) error {
	return dialer.ErrUnavailable
}
func (noEngine) BlindTransfer(context.Context, dialer.Actor, dialer.CallID, dialer.TransferTarget) error {
	return dialer.ErrUnavailable
}
func (noEngine) AddParty(context.Context, dialer.Actor, dialer.CallID, dialer.TransferTarget) (dialer.PartyView, error) {
	return dialer.PartyView{}, dialer.ErrUnavailable
}
func (noEngine) RemoveParty(context.Context, dialer.Actor, dialer.CallID, dialer.LegID) error {
	return dialer.ErrUnavailable
}
func (noEngine) Leave(context.Context, dialer.Actor, dialer.CallID) error {
	return dialer.ErrUnavailable
}
func (noEngine) Dispose(context.Context, dialer.Actor, dialer.CallID, dialer.DispositionRequest) (dialer.Call, error) {
	return dialer.Call{}, dialer.ErrUnavailable
}
func (noEngine) DialCallback(context.Context, dialer.Actor, dialer.CallbackID) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrUnavailable
}
func (noEngine) Monitor(context.Context, dialer.Actor, dialer.CallID, dialer.MonitorRequest) (dialer.PartyView, error) {
	return dialer.PartyView{}, dialer.ErrUnavailable
}
func (noEngine) MonitorMode(context.Context, dialer.Actor, dialer.CallID, dialer.LegID, dialer.MonitorMode) error {
	return dialer.ErrUnavailable
}
func (noEngine) StopMonitor(context.Context, dialer.Actor, dialer.CallID, dialer.LegID) error {
	return dialer.ErrUnavailable
}
func (noEngine) Subscribe(context.Context, dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error) {
	return dialer.LiveSnapshot{}, nil, dialer.ErrUnavailable
}
func (noEngine) PauseCodes(context.Context) ([]string, error) { return dialer.PauseCodes, nil }
func (noEngine) ReloadPauseCodes()                            {}
func (noEngine) ReloadQueues(context.Context) error           { return nil }
func (noEngine) SetCallerPriority(context.Context, dialer.Actor, dialer.CallID, int) error {
	return dialer.ErrUnavailable
}
func (noEngine) QueueViews() []dialer.QueueView { return []dialer.QueueView{} }
func (noEngine) NodeViews() []dialer.NodeView   { return []dialer.NodeView{} }
func (noEngine) GatewayStatuses() []dialer.GatewayStatus {
	return []dialer.GatewayStatus{}
}
func (noEngine) RefreshGateways(context.Context) {}
func (noEngine) AgentCampaigns(context.Context, dialer.Actor, dialer.AgentID) ([]dialer.Campaign, error) {
	return nil, dialer.ErrUnavailable
}
func (noEngine) SetCampaign(context.Context, dialer.Actor, dialer.AgentID, dialer.CampaignID) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}
func (noEngine) CampaignPacing(context.Context, dialer.CampaignID) (dialer.PacingView, error) {
	return dialer.PacingView{}, dialer.ErrUnavailable
}
func (noEngine) PreviewDial(context.Context, dialer.Actor, dialer.AgentID) (dialer.CallView, error) {
	return dialer.CallView{}, dialer.ErrUnavailable
}
func (noEngine) PublishImport(json.RawMessage) {}
func (noEngine) PreviewSkip(context.Context, dialer.Actor, dialer.AgentID, string) (dialer.AgentView, error) {
	return dialer.AgentView{}, dialer.ErrUnavailable
}

var _ Engine = (*dialer.Engine)(nil)
