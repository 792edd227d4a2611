package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// access is who may call a route. The gate runs before the handler; the
// handlers then check ownership (an agent acts only on itself and its own
// calls), and the engine checks both again.
type access int

const (
	// public needs no credential (login, logout, the API description).
	public access = iota
	// anyone logged in: agent, supervisor or admin, or a key of any role.
	anyone
	supervisor
	admin
	// supervisorOrKey: supervisors and admins, and API keys of any role
	// (integrators start lead calls).
	supervisorOrKey
	// widgetCredential: no session and no service key; the handler checks
	// the widget key and its API key sent with the request (the lead-call
	// API), and no cookie is read, so no CSRF header is asked for.
	widgetCredential
)

func (a access) String() string {
	return [...]string{"public", "agent", "supervisor", "admin", "supervisor or API key", "widget API key"}[a]
}

// allows reports whether p passes the gate.
func (a access) allows(p *principal) bool {
	switch a {
	case public, widgetCredential:
		return true
	case anyone:
		return p.Actor.Role.AtLeast(identity.RoleAgent)
	case supervisor:
		return p.Actor.Role.AtLeast(identity.RoleSupervisor)
	case admin:
		return p.Actor.Role.AtLeast(identity.RoleAdmin)
	case supervisorOrKey:
		return p.Actor.Role.AtLeast(identity.RoleSupervisor) || p.viaKey() && p.Actor.Role.Valid()
	}
	return false
}

type handler func(c echo.Context, p *principal) error

type route struct {
	method, path string
	access       access
	h            handler
}

// metricsPath is served as is, outside /api/v1, where scrapers look.
const metricsPath = "/metrics"

// url is where the router serves r.
func (r route) url() string {
	if r.path == metricsPath {
		return r.path
	}
	return prefix + r.path
}

const prefix = "/api/v1"

// routes is every API route with its gate; the OpenAPI file lists the
// same set (a test holds them equal).
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/openapi.yaml", public, s.openapi},
		// Metrics count staff and calls: supervisors and admins only, by
		// session or by a bearer API key of that role for the scraper.
		{http.MethodGet, metricsPath, supervisor, s.metrics},
		{http.MethodPost, "/auth/login", public, s.login},
		{http.MethodPost, "/auth/logout", public, s.logout},
		{http.MethodGet, "/me", anyone, s.getMe},
		{http.MethodPost, "/auth/password", anyone, s.changePassword},

		{http.MethodGet, "/pause-codes", anyone, s.pauseCodes},
		{http.MethodPost, "/pause-codes", admin, s.createPauseCode},
		{http.MethodPatch, "/pause-codes/:code", admin, s.patchPauseCode},
		{http.MethodDelete, "/pause-codes/:code", admin, s.deletePauseCode},
		{http.MethodGet, "/directory", anyone, s.directory},
		{http.MethodGet, "/agents", supervisor, s.listAgents},
		{http.MethodGet, "/seats", supervisor, s.listSeats},
		{http.MethodPost, "/agents", admin, s.createAgent},
		{http.MethodGet, "/agents/:id", anyone, s.getAgent},
		{http.MethodPatch, "/agents/:id", admin, s.patchAgent},
		{http.MethodPost, "/agents/:id/login", anyone, s.agentLogin},
		{http.MethodPost, "/agents/:id/logout", anyone, s.agentLogout},
		{http.MethodPost, "/agents/:id/ready", anyone, s.agentReady},
		{http.MethodPost, "/agents/:id/pause", anyone, s.agentPause},
		{http.MethodPost, "/agents/:id/heartbeat", anyone, s.agentHeartbeat},
		{http.MethodPost, "/agents/:id/dial", anyone, s.agentDial},
		{http.MethodGet, "/agents/:id/history", anyone, s.agentHistory},
		{http.MethodGet, "/agents/:id/campaigns", anyone, s.agentCampaigns},
		{http.MethodGet, "/agents/:id/queues", anyone, s.agentQueues},
		{http.MethodPost, "/agents/:id/campaign", anyone, s.agentCampaign},
		{http.MethodPost, "/agents/:id/preview/dial", anyone, s.previewDial},
		{http.MethodPost, "/agents/:id/preview/skip", anyone, s.previewSkip},
		{http.MethodPost, "/agents/:id/webrtc/credentials", anyone, s.issueWebRTC},
		{http.MethodDelete, "/agents/:id/webrtc/credentials", anyone, s.revokeWebRTC},
		{http.MethodPost, "/agents/:id/media-quality", anyone, s.mediaQuality},

		{http.MethodPost, "/calls", supervisorOrKey, s.startCall},
		{http.MethodGet, "/calls", anyone, s.listCalls},
		{http.MethodGet, "/calls.csv", anyone, s.exportCalls},
		{http.MethodGet, "/calls/live", supervisor, s.liveCalls},
		{http.MethodGet, "/reports/agents", supervisor, s.agentReport()},
		{http.MethodGet, "/reports/agents.csv", supervisor, s.agentReport()},
		{http.MethodGet, "/reports/campaigns", supervisor, s.campaignReport()},
		{http.MethodGet, "/reports/campaigns.csv", supervisor, s.campaignReport()},
		{http.MethodGet, "/reports/queues", supervisor, s.queueReport()},
		{http.MethodGet, "/reports/queues.csv", supervisor, s.queueReport()},
		{http.MethodGet, "/reports/hangups", supervisor, s.hangupReport()},
		{http.MethodGet, "/reports/hangups.csv", supervisor, s.hangupReport()},
		{http.MethodGet, "/calls/:id", anyone, s.getCall},
		{http.MethodPost, "/calls/:id/hangup", anyone, s.callHangup},
		{http.MethodPost, "/calls/:id/hold", anyone, s.callHold},
		{http.MethodPost, "/calls/:id/unhold", anyone, s.callUnhold},
		{http.MethodPost, "/calls/:id/mute", anyone, s.callMute},
		{http.MethodPost, "/calls/:id/unmute", anyone, s.callUnmute},
		{http.MethodPost, "/calls/:id/leave", anyone, s.callLeave},
		{http.MethodPost, "/calls/:id/dtmf", anyone, s.callDTMF},
		{http.MethodPost, "/calls/:id/recording", anyone, s.callRecording},
		{http.MethodGet, "/calls/:id/recording", anyone, s.getRecording},
		{http.MethodPost, "/calls/:id/transfer", anyone, s.callTransfer},
		{http.MethodPost, "/calls/:id/parties", anyone, s.callAddParty},
		{http.MethodDelete, "/calls/:id/parties/:leg", anyone, s.callRemoveParty},
		{http.MethodPost, "/calls/:id/disposition", anyone, s.callDispose},
		{http.MethodPost, "/calls/:id/priority", supervisor, s.callPriority},
		{http.MethodPost, "/calls/:id/monitor", supervisor, s.callMonitor},
		{http.MethodPost, "/calls/:id/monitor/:leg", supervisor, s.callMonitorMode},
		{http.MethodDelete, "/calls/:id/monitor/:leg", supervisor, s.callStopMonitor},

		{http.MethodGet, "/dispositions", anyone, s.listDispositions},
		{http.MethodPost, "/dispositions", admin, s.createDisposition},
		{http.MethodPatch, "/dispositions/:code", admin, s.patchDisposition},
		{http.MethodDelete, "/dispositions/:code", admin, s.deleteDisposition},

		{http.MethodGet, "/callbacks", anyone, s.listCallbacks},
		{http.MethodPost, "/callbacks/:id/dial", anyone, s.dialCallback},
		{http.MethodPost, "/callbacks/:id/done", anyone, s.doneCallback},

		{http.MethodGet, "/leads", supervisor, s.listLeads},
		{http.MethodGet, "/leads.csv", supervisor, s.exportLeads},
		{http.MethodPost, "/leads/bulk", supervisor, s.bulkLeads},
		{http.MethodGet, "/leads/:id", anyone, s.getLead},
		{http.MethodPatch, "/leads/:id", anyone, s.patchLead},
		{http.MethodPost, "/leads", admin, s.createLead},
		{http.MethodGet, "/campaigns", anyone, s.listCampaigns},
		{http.MethodGet, "/campaigns/:id", anyone, s.getCampaign},
		{http.MethodPost, "/campaigns", admin, s.createCampaign},

		{http.MethodGet, "/teams", supervisor, s.listTeams},
		{http.MethodPost, "/teams", admin, s.createTeam},
		{http.MethodPatch, "/teams/:id", admin, s.patchTeam},
		{http.MethodDelete, "/teams/:id", admin, s.deleteTeam},

		{http.MethodGet, "/users", admin, s.listUsers},
		{http.MethodPost, "/users", admin, s.createUser},
		{http.MethodPatch, "/users/:id", admin, s.patchUser},
		// Admins only: entries carry login addresses, failed usernames and
		// user and key changes. Forced pauses and logouts of agents are on
		// the agents' state and history, which supervisors already read.
		{http.MethodGet, "/audit", admin, s.listAudit},
		{http.MethodGet, "/audit.csv", admin, s.exportAudit},
		// Sends for real, to an address or number the admin gives.
		{http.MethodPost, "/notify/test", admin, s.notifyTest},
		{http.MethodPost, "/users/:id/password", admin, s.resetPassword},
		{http.MethodGet, "/api-keys", admin, s.listAPIKeys},
		{http.MethodPost, "/api-keys", admin, s.createAPIKey},
		{http.MethodDelete, "/api-keys/:id", admin, s.revokeAPIKey},

		{http.MethodGet, "/widgets", supervisor, s.listWidgets},
		{http.MethodPost, "/widgets", admin, s.createWidget},
		{http.MethodGet, "/widgets/:id", supervisor, s.getWidget},
		{http.MethodPatch, "/widgets/:id", admin, s.patchWidget},
		{http.MethodDelete, "/widgets/:id", admin, s.deleteWidget},
		{http.MethodGet, "/widgets/:id/hours/next", supervisor, s.widgetHoursNext},
		{http.MethodGet, "/widgets/:id/managers", supervisor, s.listManagers},
		{http.MethodPost, "/widgets/:id/managers", admin, s.createManager},
		{http.MethodPatch, "/widgets/:id/managers/:mid", admin, s.patchManager},
		{http.MethodDelete, "/widgets/:id/managers/:mid", admin, s.deleteManager},
		{http.MethodPost, "/widgets/:id/managers/:mid/verify", admin, s.verifyManager},
		{http.MethodPost, "/widgets/:id/managers/:mid/verify/confirm", admin, s.confirmManager},
		// Like /api-keys: admins only, since a key acts for the widget.
		{http.MethodGet, "/widgets/:id/api-keys", admin, s.listWidgetKeys},
		{http.MethodPost, "/widgets/:id/api-keys", admin, s.createWidgetKey},
		{http.MethodDelete, "/widgets/:id/api-keys/:kid", admin, s.revokeWidgetKey},
		{http.MethodGet, "/lead-calls", widgetCredential, s.leadCall},
		{http.MethodPost, "/lead-calls", widgetCredential, s.leadCall},
		// The embedded widget: its site's pages only (CORS and Origin).
		{http.MethodGet, "/widget/:key/config", public, s.widgetConfig},
		{http.MethodPost, "/widget/:key/requests", public, s.widgetRequest},
		{http.MethodGet, "/widget-requests", supervisor, s.listWidgetRequests},
		{http.MethodGet, "/widget-requests/:id", supervisor, s.getWidgetRequest},
		{http.MethodPost, "/widget-requests/:id/cancel", admin, s.cancelWidgetRequest},
		{http.MethodGet, "/widget-dashboard", supervisor, s.widgetDashboard},

		{http.MethodGet, "/webhooks", admin, s.listWebhooks},
		{http.MethodPost, "/webhooks", admin, s.createWebhook},
		{http.MethodGet, "/webhooks/:id", admin, s.getWebhook},
		{http.MethodPatch, "/webhooks/:id", admin, s.patchWebhook},
		{http.MethodDelete, "/webhooks/:id", admin, s.deleteWebhook},
		{http.MethodPost, "/webhooks/:id/rotate-secret", admin, s.rotateWebhookSecret},
		{http.MethodGet, "/webhooks/:id/deliveries", admin, s.webhookDeliveries},
		{http.MethodPost, "/webhook-deliveries/:id/replay", admin, s.replayWebhookDelivery},

		{http.MethodGet, "/gateways", admin, s.listGateways},
		{http.MethodPost, "/gateways", admin, s.createGateway},
		{http.MethodGet, "/gateways/:id", admin, s.getGateway},
		{http.MethodPatch, "/gateways/:id", admin, s.patchGateway},
		{http.MethodDelete, "/gateways/:id", admin, s.deleteGateway},
		{http.MethodGet, "/nodes", supervisor, s.listNodes},
		{http.MethodGet, "/dids", admin, s.listDIDs},
		{http.MethodPost, "/dids", admin, s.createDID},
		{http.MethodPatch, "/dids/:id", admin, s.patchDID},
		{http.MethodDelete, "/dids/:id", admin, s.deleteDID},

		{http.MethodGet, "/queues", supervisor, s.listQueues},
		{http.MethodPost, "/queues", admin, s.createQueue},
		{http.MethodGet, "/queues/live", supervisor, s.liveQueues},
		{http.MethodGet, "/queues/:id", supervisor, s.getQueue},
		{http.MethodPatch, "/queues/:id", admin, s.patchQueue},
		{http.MethodDelete, "/queues/:id", admin, s.deleteQueue},
		{http.MethodGet, "/queues/:id/members", supervisor, s.getQueueMembers},
		{http.MethodPut, "/queues/:id/members", admin, s.putQueueMembers},

		{http.MethodGet, "/stream", anyone, s.stream},

		{http.MethodPost, "/sim/calls", admin, s.startSimCall},
		{http.MethodDelete, "/sim/calls/:leg", admin, s.hangupSimCall},

		{http.MethodPatch, "/campaigns/:id", supervisor, s.patchCampaign},
		{http.MethodPost, "/campaigns/:id/archive", supervisor, s.setCampaignState("archive")},
		{http.MethodPost, "/campaigns/:id/unarchive", supervisor, s.setCampaignState("unarchive")},
		{http.MethodPost, "/campaigns/:id/pause", supervisor, s.setCampaignState("pause")},
		{http.MethodPost, "/campaigns/:id/resume", supervisor, s.setCampaignState("resume")},
		{http.MethodGet, "/campaigns/:id/stats", supervisor, s.getCampaignStats},
		{http.MethodGet, "/campaigns/:id/pacing", supervisor, s.getCampaignPacing},
		{http.MethodPost, "/campaigns/:id/lists", supervisor, s.createLeadList},
		{http.MethodGet, "/campaigns/:id/lists", supervisor, s.listLeadLists},
		{http.MethodGet, "/lists/:id", supervisor, s.getLeadList},
		{http.MethodPatch, "/lists/:id", supervisor, s.patchLeadList},
		{http.MethodDelete, "/lists/:id", supervisor, s.deleteLeadList},
		{http.MethodPost, "/lists/:id/import", supervisor, s.importList},
		{http.MethodGet, "/imports/:id", supervisor, s.getImport},
		{http.MethodGet, "/imports/:id/errors.csv", supervisor, s.importErrors},
		{http.MethodPost, "/imports/:id/cancel", supervisor, s.cancelImport},
		{http.MethodGet, "/leads/:id/dialability", anyone, s.leadDialability},
		{http.MethodGet, "/leads/:id/history", anyone, s.leadHistory},
		{http.MethodGet, "/dnc", supervisor, s.listDNC},
		{http.MethodPost, "/dnc", supervisor, s.addDNCEntry},
		{http.MethodPost, "/dnc/import", supervisor, s.importDNC},
		{http.MethodGet, "/dnc/:phone", supervisor, s.lookupDNC},
		{http.MethodDelete, "/dnc/:phone", supervisor, s.removeDNC},
	}
}

func (s *Server) register() {
	for _, r := range s.routes() {
		s.e.Add(r.method, r.url(), s.wrap(r))
	}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// wrap runs, in order: the store check, authentication (401), the CSRF
// rule (403), the role gate (403), then the handler.
func (s *Server) wrap(r route) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if len(s.missing) > 0 && r.path != "/openapi.yaml" {
			return newHTTPError(http.StatusServiceUnavailable, "not configured: "+strings.Join(s.missing, ", "))
		}
		// The client address rides in the context to the audit entries the
		// handler and the engine write.
		c.SetRequest(c.Request().WithContext(dialer.WithRemote(c.Request().Context(), c.RealIP())))
		var p *principal
		if r.access != public && r.access != widgetCredential {
			var err error
			if p, err = s.authenticate(c); err != nil {
				return err
			}
			if p == nil {
				return errNoCredentials
			}
		}
		if unsafeMethod(r.method) && r.access != widgetCredential && (p == nil || !p.viaKey()) && c.Request().Header.Get(csrfHeader) != csrfValue {
			return errCSRF
		}
		if p != nil && !r.access.allows(p) {
			return newHTTPError(http.StatusForbidden, "needs the "+r.access.String()+" role")
		}
		return r.h(c, p)
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}
