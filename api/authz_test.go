package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/identity"
)

// mcase is one route as the 403 matrix calls it. Paths name agent 1's
// own agent id, call, callback and lead, so that agent 1 may and agent 2
// may not.
type mcase struct {
	method, tmpl string
	access       access
	// owned: the request acts on agent 1's things; other agents and
	// seatless keys are refused (supervisors and admins are not).
	owned bool
	// seat: only callers with an agent seat (or supervisors) may.
	seat bool
	// user: only a signed-in user may, not an API key of any role.
	user bool
	// want is the engine method a granted request must reach.
	want string
	// ok is the success status when not 2xx.
	ok int
	// req builds the path and body; n is unique per request.
	req func(e *testEnv, n int) (string, string)
	// ctype is the body's Content-Type when not JSON.
	ctype string
	// header: more request headers, name then value.
	header []string
}

func fixed(path, body string) func(*testEnv, int) (string, string) {
	return func(*testEnv, int) (string, string) { return path, body }
}

func matrixCases(e *testEnv) []mcase {
	live := "/api/v1/calls/" + string(e.live1)
	return []mcase{
		{method: "GET", tmpl: "/metrics", access: supervisor, req: fixed("/metrics", "")},
		{method: "GET", tmpl: "/me", access: anyone, req: fixed("/api/v1/me", "")},
		// A granted caller reaches the check of the new password: a real
		// change would end the sessions the matrix goes on with.
		{method: "POST", tmpl: "/auth/password", access: anyone, user: true, ok: http.StatusBadRequest,
			req: fixed("/api/v1/auth/password", `{"current_password":"`+testPassword+`","new_password":"short"}`)},
		{method: "GET", tmpl: "/pause-codes", access: anyone, want: "PauseCodes", req: fixed("/api/v1/pause-codes", "")},
		{method: "POST", tmpl: "/pause-codes", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/pause-codes", fmt.Sprintf(`{"code":"MADE_%d","label":"Made %d"}`, n, n)
		}},
		{method: "PATCH", tmpl: "/pause-codes/:code", access: admin, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/pause-codes/" + e.addPauseCode(n).Code, `{"active":false}`
		}},
		{method: "DELETE", tmpl: "/pause-codes/:code", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/pause-codes/" + e.addPauseCode(n).Code, ""
		}},
		{method: "GET", tmpl: "/directory", access: anyone, want: "LiveAgents", req: fixed("/api/v1/directory", "")},
		{method: "GET", tmpl: "/agents", access: supervisor, want: "AgentViews", req: fixed("/api/v1/agents", "")},
		{method: "GET", tmpl: "/seats", access: supervisor, req: fixed("/api/v1/seats", "")},
		{method: "GET", tmpl: "/teams", access: supervisor, req: fixed("/api/v1/teams", "")},
		{method: "POST", tmpl: "/teams", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/teams", fmt.Sprintf(`{"name":"Made %d"}`, n)
		}},
		{method: "PATCH", tmpl: "/teams/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/teams/%d", e.addTeam(n).ID), fmt.Sprintf(`{"name":"Renamed %d"}`, n)
		}},
		{method: "DELETE", tmpl: "/teams/:id", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/teams/%d", e.addTeam(n).ID), ""
		}},
		{method: "POST", tmpl: "/agents", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/agents", fmt.Sprintf(`{"name":"Seat %d","extension":"%d","sip_password":"sip-pass-%d","skills":["sales"]}`, n, 3000+n, n)
		}},
		{method: "GET", tmpl: "/agents/:id", access: anyone, owned: true, want: "AgentView", req: fixed("/api/v1/agents/1", "")},
		{method: "PATCH", tmpl: "/agents/:id", access: admin, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/agents/2", fmt.Sprintf(`{"sip_password":"sip-pass-%d","external_phone":"212 555 %04d"}`, n, 3000+n)
		}},
		{method: "POST", tmpl: "/agents/:id/login", access: anyone, owned: true, want: "Login", req: fixed("/api/v1/agents/1/login", `{"endpoint":{"kind":"sip"},"mode":"ring"}`)},
		{method: "POST", tmpl: "/agents/:id/logout", access: anyone, owned: true, want: "Logout", ok: http.StatusNoContent, req: fixed("/api/v1/agents/1/logout", "")},
		{method: "POST", tmpl: "/agents/:id/ready", access: anyone, owned: true, want: "SetReady", req: fixed("/api/v1/agents/1/ready", "")},
		{method: "POST", tmpl: "/agents/:id/pause", access: anyone, owned: true, want: "Pause", req: fixed("/api/v1/agents/1/pause", `{"code":"BREAK"}`)},
		{method: "POST", tmpl: "/agents/:id/heartbeat", access: anyone, owned: true, want: "Heartbeat", ok: http.StatusNoContent, req: fixed("/api/v1/agents/1/heartbeat", "")},
		{method: "POST", tmpl: "/agents/:id/dial", access: anyone, owned: true, want: "ManualDial", ok: http.StatusCreated, req: fixed("/api/v1/agents/1/dial", `{"number":"(212) 555-0100"}`)},
		{method: "GET", tmpl: "/agents/:id/history", access: anyone, owned: true, req: fixed("/api/v1/agents/1/history", "")},
		{method: "GET", tmpl: "/agents/:id/campaigns", access: anyone, owned: true, want: "AgentCampaigns", req: fixed("/api/v1/agents/1/campaigns", "")},
		{method: "GET", tmpl: "/agents/:id/queues", access: anyone, owned: true, req: fixed("/api/v1/agents/1/queues", "")},
		{method: "POST", tmpl: "/agents/:id/campaign", access: anyone, owned: true, want: "SetCampaign", req: fixed("/api/v1/agents/1/campaign", `{"campaign_id":1}`)},
		{method: "POST", tmpl: "/agents/:id/preview/dial", access: anyone, owned: true, want: "PreviewDial", ok: http.StatusCreated, req: fixed("/api/v1/agents/1/preview/dial", "")},
		{method: "POST", tmpl: "/agents/:id/preview/skip", access: anyone, owned: true, want: "PreviewSkip", req: fixed("/api/v1/agents/1/preview/skip", `{"reason":"wrong time zone"}`)},
		{method: "POST", tmpl: "/agents/:id/webrtc/credentials", access: anyone, owned: true, want: "IssueWebRTC", req: fixed("/api/v1/agents/1/webrtc/credentials", "")},
		{method: "DELETE", tmpl: "/agents/:id/webrtc/credentials", access: anyone, owned: true, want: "RevokeWebRTC", ok: http.StatusNoContent, req: fixed("/api/v1/agents/1/webrtc/credentials", "")},
		{method: "POST", tmpl: "/agents/:id/media-quality", access: anyone, owned: true, want: "ReportMediaQuality", ok: http.StatusNoContent,
			req: fixed("/api/v1/agents/1/media-quality", `{"registered":true,"packet_loss_pct":0.4,"jitter_ms":3.1,"rtt_ms":42}`)},

		{method: "POST", tmpl: "/calls", access: supervisorOrKey, want: "StartCall", ok: http.StatusCreated, req: fixed("/api/v1/calls", `{"number":"+1 212 555 0100","fields":{"source":"web"}}`)},
		{method: "GET", tmpl: "/calls", access: anyone, owned: true, req: fixed("/api/v1/calls?agent=1", "")},
		{method: "GET", tmpl: "/calls.csv", access: anyone, owned: true, req: fixed("/api/v1/calls.csv?agent=1", "")},
		{method: "GET", tmpl: "/calls/live", access: supervisor, want: "LiveCalls", req: fixed("/api/v1/calls/live", "")},
		{method: "GET", tmpl: "/reports/agents", access: supervisor, req: fixed("/api/v1/reports/agents?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/agents.csv", access: supervisor, req: fixed("/api/v1/reports/agents.csv?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/campaigns", access: supervisor, req: fixed("/api/v1/reports/campaigns?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/campaigns.csv", access: supervisor, req: fixed("/api/v1/reports/campaigns.csv?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/queues", access: supervisor, req: fixed("/api/v1/reports/queues?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/queues.csv", access: supervisor, req: fixed("/api/v1/reports/queues.csv?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/hangups", access: supervisor, req: fixed("/api/v1/reports/hangups?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/reports/hangups.csv", access: supervisor, req: fixed("/api/v1/reports/hangups.csv?from=2026-11-01&to=2026-11-20", "")},
		{method: "GET", tmpl: "/calls/:id", access: anyone, owned: true, req: fixed(live, "")},
		{method: "GET", tmpl: "/calls/:id/recording", access: anyone, owned: true, req: func(e *testEnv, _ int) (string, string) {
			return "/api/v1/calls/" + string(e.recordedCall()) + "/recording", ""
		}},
		{method: "POST", tmpl: "/calls/:id/hangup", access: anyone, owned: true, want: "Hangup", ok: http.StatusNoContent, req: fixed(live+"/hangup", "")},
		{method: "POST", tmpl: "/calls/:id/hold", access: anyone, owned: true, want: "Hold", ok: http.StatusNoContent, req: fixed(live+"/hold", "")},
		{method: "POST", tmpl: "/calls/:id/unhold", access: anyone, owned: true, want: "Hold", ok: http.StatusNoContent, req: fixed(live+"/unhold", "")},
		{method: "POST", tmpl: "/calls/:id/mute", access: anyone, owned: true, want: "Mute", ok: http.StatusNoContent, req: fixed(live+"/mute", "")},
		{method: "POST", tmpl: "/calls/:id/unmute", access: anyone, owned: true, want: "Mute", ok: http.StatusNoContent, req: fixed(live+"/unmute", "")},
		{method: "POST", tmpl: "/calls/:id/leave", access: anyone, owned: true, want: "Leave", ok: http.StatusNoContent, req: fixed(live+"/leave", "")},
		{method: "POST", tmpl: "/calls/:id/dtmf", access: anyone, owned: true, want: "SendDTMF", ok: http.StatusNoContent, req: fixed(live+"/dtmf", `{"digits":"12#"}`)},
		{method: "POST", tmpl: "/calls/:id/recording", access: anyone, owned: true, want: "Record", ok: http.StatusNoContent, req: fixed(live+"/recording", `{"on":true}`)},
		{method: "POST", tmpl: "/calls/:id/transfer", access: anyone, owned: true, want: "BlindTransfer", ok: http.StatusNoContent, req: fixed(live+"/transfer", `{"number":"212 555 0199"}`)},
		{method: "POST", tmpl: "/calls/:id/parties", access: anyone, owned: true, want: "AddParty", ok: http.StatusCreated, req: fixed(live+"/parties", `{"agent_id":2}`)},
		{method: "DELETE", tmpl: "/calls/:id/parties/:leg", access: anyone, owned: true, want: "RemoveParty", ok: http.StatusNoContent, req: fixed(live+"/parties/"+string(dialer.NewLegID()), "")},
		{method: "POST", tmpl: "/calls/:id/disposition", access: anyone, owned: true, want: "Dispose", req: fixed(live+"/disposition", `{"code":"SALE","notes":"ok"}`)},
		{method: "POST", tmpl: "/calls/:id/priority", access: supervisor, want: "SetCallerPriority", ok: http.StatusNoContent, req: fixed(live+"/priority", `{"priority":20}`)},
		{method: "POST", tmpl: "/calls/:id/monitor", access: supervisor, want: "Monitor", ok: http.StatusCreated, req: fixed(live+"/monitor", `{"mode":"listen","endpoint":{"kind":"sip","extension":"1003"}}`)},
		{method: "POST", tmpl: "/calls/:id/monitor/:leg", access: supervisor, want: "MonitorMode", ok: http.StatusNoContent, req: fixed(live+"/monitor/"+string(dialer.NewLegID()), `{"mode":"whisper"}`)},
		{method: "DELETE", tmpl: "/calls/:id/monitor/:leg", access: supervisor, want: "StopMonitor", ok: http.StatusNoContent, req: fixed(live+"/monitor/"+string(dialer.NewLegID()), "")},

		{method: "GET", tmpl: "/dispositions", access: anyone, req: fixed("/api/v1/dispositions", "")},
		{method: "POST", tmpl: "/dispositions", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/dispositions", fmt.Sprintf(`{"code":"X%d","label":"Custom %d"}`, n, n)
		}},
		{method: "PATCH", tmpl: "/dispositions/:code", access: admin, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dispositions/" + e.addDisposition(n).Code, `{"label":"Renamed","selectable":false}`
		}},
		{method: "DELETE", tmpl: "/dispositions/:code", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dispositions/" + e.addDisposition(n).Code, ""
		}},
		{method: "GET", tmpl: "/callbacks", access: anyone, req: fixed("/api/v1/callbacks?scope=mine", "")},
		{method: "GET", tmpl: "/callbacks", access: supervisor, req: fixed("/api/v1/callbacks?scope=all", "")},
		{method: "POST", tmpl: "/callbacks/:id/dial", access: anyone, owned: true, want: "DialCallback", ok: http.StatusCreated, req: fixed(fmt.Sprintf("/api/v1/callbacks/%d/dial", e.cb1), "")},
		{method: "POST", tmpl: "/callbacks/:id/done", access: anyone, owned: true, req: func(e *testEnv, _ int) (string, string) {
			return fmt.Sprintf("/api/v1/callbacks/%d/done", e.addCallback(1, e.lead1.ID)), ""
		}},

		{method: "GET", tmpl: "/leads", access: supervisor, req: fixed("/api/v1/leads?status=new", "")},
		{method: "GET", tmpl: "/leads.csv", access: supervisor, req: fixed("/api/v1/leads.csv?q=a", "")},
		{method: "POST", tmpl: "/leads/bulk", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/leads/bulk", fmt.Sprintf(`{"action":"reset","filter":{"campaign":%d,"q":"nobody%d"}}`, e.campaign.ID, n)
		}},
		{method: "GET", tmpl: "/leads/:id", access: anyone, owned: true, req: fixed(fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID), "")},
		{method: "PATCH", tmpl: "/leads/:id", access: anyone, owned: true, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID), fmt.Sprintf(`{"last_name":"Lane %d"}`, n)
		}},
		{method: "POST", tmpl: "/leads", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/leads", fmt.Sprintf(`{"campaign_id":%d,"phone":"212 555 %04d"}`, e.campaign.ID, 2000+n)
		}},
		{method: "GET", tmpl: "/leads/:id/dialability", access: anyone, owned: true, req: fixed(fmt.Sprintf("/api/v1/leads/%d/dialability", e.lead1.ID), "")},
		{method: "GET", tmpl: "/leads/:id/history", access: anyone, owned: true, req: fixed(fmt.Sprintf("/api/v1/leads/%d/history", e.lead1.ID), "")},
		{method: "GET", tmpl: "/dnc", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/dnc?campaign_id=%d", e.campaign.ID), "")},
		{method: "POST", tmpl: "/dnc", access: supervisor, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dnc", fmt.Sprintf(`{"campaign_id":%d,"phone":"212 555 %04d"}`, e.campaign.ID, 4000+n)
		}},
		// An empty CSV: a JSON content type would be refused with 415.
		{method: "POST", tmpl: "/dnc/import", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/dnc/import?campaign_id=%d", e.campaign.ID), "")},
		{method: "GET", tmpl: "/dnc/:phone", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/dnc/%%2B12125550100?campaign_id=%d", e.campaign.ID), "")},
		{method: "DELETE", tmpl: "/dnc/:phone", access: supervisor, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			number := fmt.Sprintf("+1212555%04d", 5000+n)
			if err := e.store.AddDNC(e.t.Context(), number, e.campaign.ID, "", t0); err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/dnc/%%2B%s?campaign_id=%d", number[1:], e.campaign.ID), ""
		}},
		{method: "GET", tmpl: "/campaigns", access: anyone, req: fixed("/api/v1/campaigns", "")},
		{method: "GET", tmpl: "/campaigns/:id", access: anyone, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID), "")},
		{method: "POST", tmpl: "/campaigns", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/campaigns", fmt.Sprintf(`{"name":"Campaign %d","dial_mode":"progressive"}`, n)
		}},
		{method: "PATCH", tmpl: "/campaigns/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID), fmt.Sprintf(`{"lines_per_agent":%d}`, n%10+1)
		}},
		{method: "POST", tmpl: "/campaigns/:id/archive", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/archive", e.campaign.ID), "")},
		{method: "POST", tmpl: "/campaigns/:id/unarchive", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/unarchive", e.campaign.ID), "")},
		{method: "POST", tmpl: "/campaigns/:id/pause", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/pause", e.campaign.ID), "")},
		{method: "POST", tmpl: "/campaigns/:id/resume", access: supervisor, req: func(e *testEnv, _ int) (string, string) {
			// Whatever an earlier case left, resume needs it unarchived.
			c := must[dialer.Campaign](e.t)(e.store.Campaign(e.t.Context(), e.campaign.ID))
			c.ArchivedAt = time.Time{}
			must[dialer.Campaign](e.t)(e.store.UpdateCampaign(e.t.Context(), c))
			return fmt.Sprintf("/api/v1/campaigns/%d/resume", e.campaign.ID), ""
		}},

		{method: "GET", tmpl: "/campaigns/:id/stats", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/stats", e.campaign.ID), "")},
		{method: "GET", tmpl: "/campaigns/:id/pacing", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/pacing", e.campaign.ID), "")},
		{method: "POST", tmpl: "/campaigns/:id/lists", access: supervisor, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/campaigns/%d/lists", e.campaign.ID), fmt.Sprintf(`{"name":"List %d"}`, n)
		}},
		{method: "GET", tmpl: "/campaigns/:id/lists", access: supervisor, req: fixed(fmt.Sprintf("/api/v1/campaigns/%d/lists", e.campaign.ID), "")},
		{method: "GET", tmpl: "/lists/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/lists/%d", e.addList(n).ID), ""
		}},
		{method: "PATCH", tmpl: "/lists/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/lists/%d", e.addList(n).ID), fmt.Sprintf(`{"name":"Renamed %d","active":false}`, n)
		}},
		{method: "DELETE", tmpl: "/lists/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/lists/%d", e.addList(n).ID), ""
		}},
		{method: "POST", tmpl: "/lists/:id/import", access: supervisor, ctype: "text/csv", req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/lists/%d/import?mapping=%%7B%%22Phone%%22:%%22phone%%22%%7D", e.addList(n).ID), fmt.Sprintf("Phone\n212 555 %04d\n", 4000+n)
		}},
		{method: "GET", tmpl: "/imports/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/imports/%d", e.addImport(n)), ""
		}},
		{method: "POST", tmpl: "/imports/:id/cancel", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/imports/%d/cancel", e.addImport(n)), ""
		}},
		{method: "GET", tmpl: "/imports/:id/errors.csv", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/imports/%d/errors.csv", e.addImport(n)), ""
		}},

		{method: "GET", tmpl: "/users", access: admin, req: fixed("/api/v1/users", "")},
		{method: "POST", tmpl: "/users", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/users", fmt.Sprintf(`{"username":"user%d","role":"agent","password":"password-%d"}`, n, n)
		}},
		{method: "PATCH", tmpl: "/users/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d", e.users["bob"].ID), fmt.Sprintf(`{"display_name":"Bob %d"}`, n)
		}},
		{method: "GET", tmpl: "/audit", access: admin, req: fixed("/api/v1/audit", "")},
		{method: "GET", tmpl: "/audit.csv", access: admin, req: fixed("/api/v1/audit.csv", "")},
		{method: "POST", tmpl: "/notify/test", access: admin, req: fixed("/api/v1/notify/test", `{"channel":"sms","to":"+14155550100"}`)},
		{method: "POST", tmpl: "/users/:id/password", access: admin, req: func(e *testEnv, n int) (string, string) {
			u := must[identity.User](e.t)(e.store.CreateUser(e.t.Context(), identity.User{Username: fmt.Sprintf("spare%d", n), Role: identity.RoleAgent}, testPassword))
			return fmt.Sprintf("/api/v1/users/%d/password", u.ID), ""
		}},
		{method: "GET", tmpl: "/api-keys", access: admin, req: fixed("/api/v1/api-keys", "")},
		{method: "POST", tmpl: "/api-keys", access: admin, ok: http.StatusCreated, req: fixed("/api/v1/api-keys", `{"name":"crm","role":"supervisor"}`)},
		{method: "DELETE", tmpl: "/api-keys/:id", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			k, _, err := e.store.CreateAPIKey(e.t.Context(), fmt.Sprintf("spare %d", n), identity.RoleAgent, 0, time.Time{})
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/api-keys/%d", k.ID), ""
		}},

		// The lead-call API reads no session or service key: everyone gets
		// through to the widget's own key check.
		{method: "GET", tmpl: "/lead-calls", access: widgetCredential, ok: http.StatusCreated, want: "StartSpeedCall", req: func(e *testEnv, n int) (string, string) {
			lw := e.addLeadWidget(n, allWeek, nil)
			return "/api/v1/lead-calls?" + url.Values{"widget_key": {lw.w.Key}, "api_key": {lw.secret}, "lc_number": {"+12025550143"}}.Encode(), ""
		}},
		{method: "POST", tmpl: "/lead-calls", access: widgetCredential, ok: http.StatusCreated, want: "StartSpeedCall", req: func(e *testEnv, n int) (string, string) {
			lw := e.addLeadWidget(n, allWeek, nil)
			return "/api/v1/lead-calls", fmt.Sprintf(`{"widget_key":%q,"api_key":%q,"lc_number":"+12025550143"}`, lw.w.Key, lw.secret)
		}},
		// The embedded widget's routes read no credential either: its own
		// site's pages get through.
		{method: "GET", tmpl: "/widget/:key/config", access: public, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/widget/" + e.addLeadWidget(n, allWeek, nil).w.Key + "/config", ""
		}},
		{method: "POST", tmpl: "/widget/:key/requests", access: public, ok: http.StatusCreated, want: "StartSpeedCall",
			header: []string{"Origin", "https://shop.example", csrfHeader, csrfValue}, req: func(e *testEnv, n int) (string, string) {
				lw := e.addLeadWidget(n, allWeek, func(w *dialer.Widget) { w.SiteURL = "https://shop.example" })
				return "/api/v1/widget/" + lw.w.Key + "/requests", `{"number":"+12025550143"}`
			}},
		{method: "GET", tmpl: "/widget-requests", access: supervisor, req: fixed("/api/v1/widget-requests", "")},
		{method: "GET", tmpl: "/widget-requests/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widget-requests/%d", e.addScheduledRequest(n).ID), ""
		}},
		{method: "POST", tmpl: "/widget-requests/:id/cancel", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widget-requests/%d/cancel", e.addScheduledRequest(n).ID), ""
		}},
		{method: "GET", tmpl: "/widget-dashboard", access: supervisor, req: fixed("/api/v1/widget-dashboard?tz=Europe/Berlin", "")},
		{method: "GET", tmpl: "/widgets", access: supervisor, req: fixed("/api/v1/widgets", "")},
		{method: "POST", tmpl: "/widgets", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/widgets", fmt.Sprintf(`{"name":"Site %d","site_url":"https://site%d.example"}`, n, n)
		}},
		{method: "GET", tmpl: "/widgets/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d", e.addWidget(n).ID), ""
		}},
		{method: "PATCH", tmpl: "/widgets/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d", e.addWidget(n).ID), `{"settings":{"callback_seconds":30}}`
		}},
		{method: "DELETE", tmpl: "/widgets/:id", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d", e.addWidget(n).ID), ""
		}},
		{method: "GET", tmpl: "/widgets/:id/hours/next", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d/hours/next", e.addWidget(n).ID), ""
		}},
		{method: "GET", tmpl: "/widgets/:id/managers", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d/managers", e.addWidget(n).ID), ""
		}},
		{method: "POST", tmpl: "/widgets/:id/managers", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d/managers", e.addWidget(n).ID), `{"name":"Max","phone":"+4930123456","time_zone":"UTC"}`
		}},
		{method: "PATCH", tmpl: "/widgets/:id/managers/:mid", access: admin, req: func(e *testEnv, n int) (string, string) {
			return managerPath(e.addManager(n), ""), `{"rank":3}`
		}},
		{method: "DELETE", tmpl: "/widgets/:id/managers/:mid", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return managerPath(e.addManager(n), ""), ""
		}},
		{method: "POST", tmpl: "/widgets/:id/managers/:mid/verify", access: admin, req: func(e *testEnv, n int) (string, string) {
			return managerPath(e.addManager(n), "/verify"), ""
		}},
		// Granted, the request reaches the check of the code: none was sent.
		{method: "POST", tmpl: "/widgets/:id/managers/:mid/verify/confirm", access: admin, ok: http.StatusBadRequest, req: func(e *testEnv, n int) (string, string) {
			return managerPath(e.addManager(n), "/verify/confirm"), `{"code":"123456"}`
		}},
		{method: "GET", tmpl: "/widgets/:id/api-keys", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d/api-keys", e.addWidget(n).ID), ""
		}},
		{method: "POST", tmpl: "/widgets/:id/api-keys", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/widgets/%d/api-keys", e.addWidget(n).ID), `{"name":"crm"}`
		}},
		{method: "DELETE", tmpl: "/widgets/:id/api-keys/:kid", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			w := e.addWidget(n)
			k, _, err := e.store.CreateWidgetAPIKey(e.t.Context(), w.ID, "spare")
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/widgets/%d/api-keys/%d", w.ID, k.ID), ""
		}},
		{method: "GET", tmpl: "/webhooks", access: admin, req: fixed("/api/v1/webhooks", "")},
		{method: "POST", tmpl: "/webhooks", access: admin, ok: http.StatusCreated, req: fixed("/api/v1/webhooks", `{"url":"https://hooks.example.com/in","events":["*"]}`)},
		{method: "GET", tmpl: "/webhooks/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhooks/%d", e.addWebhook(n).ID), ""
		}},
		{method: "PATCH", tmpl: "/webhooks/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhooks/%d", e.addWebhook(n).ID), `{"active":false}`
		}},
		{method: "DELETE", tmpl: "/webhooks/:id", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhooks/%d", e.addWebhook(n).ID), ""
		}},
		{method: "POST", tmpl: "/webhooks/:id/rotate-secret", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhooks/%d/rotate-secret", e.addWebhook(n).ID), ""
		}},
		{method: "GET", tmpl: "/webhooks/:id/deliveries", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhooks/%d/deliveries", e.addWebhook(n).ID), ""
		}},
		{method: "POST", tmpl: "/webhook-deliveries/:id/replay", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/webhook-deliveries/%d/replay", e.addWebhookDelivery(n).ID), ""
		}},

		{method: "GET", tmpl: "/gateways", access: admin, req: fixed("/api/v1/gateways", "")},
		{method: "POST", tmpl: "/gateways", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/gateways", fmt.Sprintf(`{"name":"gw%d","proxy":"sip.carrier.example:5060","username":"acct%d","password":"pw-%d","register":true}`, n, n, n)
		}},
		{method: "GET", tmpl: "/gateways/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/gateways/%d", e.addGateway(n).ID), ""
		}},
		{method: "PATCH", tmpl: "/gateways/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/gateways/%d", e.addGateway(n).ID), `{"proxy":"10.0.0.2:5080","ping_seconds":30}`
		}},
		{method: "DELETE", tmpl: "/gateways/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/gateways/%d", e.addGateway(n).ID), ""
		}},
		{method: "GET", tmpl: "/nodes", access: supervisor, want: "NodeViews", req: fixed("/api/v1/nodes", "")},
		{method: "GET", tmpl: "/dids", access: admin, req: fixed("/api/v1/dids", "")},
		{method: "POST", tmpl: "/dids", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dids", fmt.Sprintf(`{"number":"(646) 555-%04d","name":"Line %d","queue":%q,"campaign_id":%d}`, n, n, e.addQueue(n).Name, e.campaign.ID)
		}},
		{method: "PATCH", tmpl: "/dids/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dids/" + e.addDID(n).Number, fmt.Sprintf(`{"queue":%q,"enabled":false}`, e.addQueue(n).Name)
		}},
		{method: "DELETE", tmpl: "/dids/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/dids/" + e.addDID(n).Number, ""
		}},

		{method: "GET", tmpl: "/queues", access: supervisor, req: fixed("/api/v1/queues", "")},
		{method: "GET", tmpl: "/queues/live", access: supervisor, want: "QueueViews", req: fixed("/api/v1/queues/live", "")},
		{method: "POST", tmpl: "/queues", access: admin, ok: http.StatusCreated, req: func(_ *testEnv, n int) (string, string) {
			return "/api/v1/queues", fmt.Sprintf(`{"name":"made-%d","strategy":"ring-all"}`, n)
		}},
		{method: "GET", tmpl: "/queues/:id", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/queues/%d", e.addQueue(n).ID), ""
		}},
		{method: "PATCH", tmpl: "/queues/:id", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/queues/%d", e.addQueue(n).ID), `{"version":1,"wrapup_seconds":10}`
		}},
		{method: "DELETE", tmpl: "/queues/:id", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/queues/%d", e.addQueue(n).ID), ""
		}},
		{method: "GET", tmpl: "/queues/:id/members", access: supervisor, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/queues/%d/members", e.addQueue(n).ID), ""
		}},
		{method: "PUT", tmpl: "/queues/:id/members", access: admin, req: func(e *testEnv, n int) (string, string) {
			return fmt.Sprintf("/api/v1/queues/%d/members", e.addQueue(n).ID), `{"members":[{"agent_id":1,"rank":2}]}`
		}},

		{method: "POST", tmpl: "/sim/calls", access: admin, ok: http.StatusCreated, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/sim/calls", fmt.Sprintf(`{"to":%q,"from":"+12125550100"}`, e.addDID(n).Number)
		}},
		{method: "DELETE", tmpl: "/sim/calls/:leg", access: admin, ok: http.StatusNoContent, req: func(e *testEnv, n int) (string, string) {
			return "/api/v1/sim/calls/" + e.sim.place(), ""
		}},

		// A plain GET is not a WebSocket handshake: a granted request
		// reaches Subscribe, then the handshake answers 426.
		{method: "GET", tmpl: "/stream", access: anyone, seat: true, want: "Subscribe", ok: http.StatusUpgradeRequired, req: fixed("/api/v1/stream", "")},
	}
}

// expectation is what w must get for c.
func expectation(c mcase, w who) int {
	p := &principal{Actor: dialer.Actor{Role: w.role, Agent: w.agent}}
	if w.viaKey() {
		p.Key = &identity.APIKey{}
	}
	switch {
	case c.access == widgetCredential, c.access == public:
		return 0
	case w.role == "":
		return http.StatusUnauthorized
	case !c.access.allows(p):
		return http.StatusForbidden
	case c.user && w.viaKey():
		return http.StatusForbidden
	case w.role.AtLeast(identity.RoleSupervisor):
		return 0
	case c.owned && w.agent != 1, c.seat && w.agent == 0:
		return http.StatusForbidden
	}
	return 0
}

// TestAuthorizationMatrix calls every route as every kind of caller: no
// credential gets 401, a role below the route's or an agent acting on
// another agent's things 403 with the engine and the stores untouched,
// and everyone else gets through to the engine method the route is for.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	cases := matrixCases(e)
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+c.tmpl] = true
	}
	for _, r := range e.srv.routes() {
		if r.access != public && !covered[r.method+" "+r.path] {
			t.Errorf("route %s %s is missing from the matrix", r.method, r.path)
		}
	}
	callers := []who{e.anon, e.agent1, e.agent2, e.sup, e.admin, e.keyAgent, e.keySup, e.keyAdmin}
	n := 0
	for _, c := range cases {
		for _, w := range callers {
			n++
			path, body := c.req(e, n)
			name := fmt.Sprintf("%s %s as %s", c.method, path, w.name)
			want := expectation(c, w)
			e.eng.reset()
			before := e.fingerprint()
			rec := e.do(w, c.method, path, body)
			if c.ctype != "" || len(c.header) > 0 {
				req := e.request(w, c.method, path, body)
				if c.ctype != "" {
					req.Header.Set("Content-Type", c.ctype)
				}
				for i := 0; i+1 < len(c.header); i += 2 {
					req.Header.Set(c.header[i], c.header[i+1])
				}
				rec = httptest.NewRecorder()
				e.srv.Echo().ServeHTTP(rec, req)
			}
			switch want {
			case 0:
				ok := c.ok
				if ok == 0 {
					ok = http.StatusOK
				}
				if rec.Code != ok {
					t.Errorf("%s: %d %s, want %d", name, rec.Code, rec.Body, ok)
					continue
				}
				if c.want != "" && len(e.eng.called(c.want)) != 1 {
					t.Errorf("%s: engine calls %v, want one %s", name, e.eng.Calls(), c.want)
				}
			default:
				if rec.Code != want {
					t.Errorf("%s: %d %s, want %d", name, rec.Code, rec.Body, want)
					continue
				}
				if got := errorOf(t, rec); got.Code != want {
					t.Errorf("%s: error body %+v", name, got)
				}
				if acts := e.eng.actions(); len(acts) > 0 {
					t.Errorf("%s: refused, yet the engine was asked %v", name, acts)
				}
				if strings.HasPrefix(c.tmpl, "/agents/:id") && len(e.eng.Calls()) > 0 {
					t.Errorf("%s: the path's agent id was not refused before the engine: %v", name, e.eng.Calls())
				}
				if after := e.fingerprint(); after != before {
					t.Errorf("%s: refused, yet the database changed", name)
				}
			}
		}
	}
}

// TestAgentCannotReachOtherAgentsThings covers what the matrix paths do
// not: agent 1 on agent 2's call record, callback, lead and stream filter.
func TestAgentCannotReachOtherAgentsThings(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/calls/" + string(e.rec2), ""},
		{"GET", "/api/v1/calls/" + string(e.recordingOf(2, testWAV(100))) + "/recording", ""},
		{"POST", "/api/v1/calls/" + string(e.live2) + "/hangup", ""},
		{"POST", "/api/v1/calls/" + string(e.live2) + "/disposition", `{"code":"SALE"}`},
		{"POST", "/api/v1/calls/" + string(e.rec2) + "/disposition", `{"code":"SALE"}`},
		{"POST", fmt.Sprintf("/api/v1/callbacks/%d/dial", e.cb2), ""},
		{"POST", fmt.Sprintf("/api/v1/callbacks/%d/done", e.cb2), ""},
		{"GET", fmt.Sprintf("/api/v1/leads/%d", e.lead2.ID), ""},
		{"PATCH", fmt.Sprintf("/api/v1/leads/%d", e.lead2.ID), `{"first_name":"X"}`},
		{"GET", "/api/v1/agents/2/history", ""},
		{"GET", "/api/v1/calls?agent=2", ""},
		{"GET", "/api/v1/callbacks?scope=all", ""},
		{"GET", "/api/v1/stream?agent=2", ""},
	} {
		e.eng.reset()
		before := e.fingerprint()
		rec := e.do(e.agent1, c.method, c.path, c.body)
		// The stream ignores ?agent= for agents: it answers 426 (not a
		// handshake) having subscribed to agent 1 only.
		if strings.HasPrefix(c.path, "/api/v1/stream") {
			if subs := e.eng.called("Subscribe"); len(subs) != 1 || subs[0].Agent != 1 {
				t.Errorf("stream as agent 1 with ?agent=2: subscribed %v", subs)
			}
			continue
		}
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s %s: %d %s, want 403", c.method, c.path, rec.Code, rec.Body)
		}
		if acts := e.eng.actions(); len(acts) > 0 {
			t.Errorf("%s %s: engine asked %v", c.method, c.path, acts)
		}
		if e.fingerprint() != before {
			t.Errorf("%s %s: database changed", c.method, c.path)
		}
	}
	// Agent 1's own list holds its calls only, whatever the filter says.
	rec := e.do(e.agent1, "GET", "/api/v1/calls", "")
	got := decodeBody[struct{ Calls []dialer.Call }](t, rec)
	if rec.Code != 200 || len(got.Calls) != 1 || got.Calls[0].ID != e.rec1 {
		t.Fatalf("agent 1's calls: %d %+v", rec.Code, got)
	}
	// A seatless agent-role key sees no calls at all.
	rec = e.do(e.keyAgent, "GET", "/api/v1/calls", "")
	got = decodeBody[struct{ Calls []dialer.Call }](t, rec)
	if rec.Code != 200 || len(got.Calls) != 0 {
		t.Fatalf("agent key's calls: %d %+v", rec.Code, got)
	}
	// The engine's own check stands behind the API's: a call the API lets
	// through (agent 1's) but the engine then refuses is still a 403.
	e.eng.fail["Hangup"] = dialer.ErrForbidden
	if rec := e.do(e.agent1, "POST", "/api/v1/calls/"+string(e.live1)+"/hangup", ""); rec.Code != http.StatusForbidden {
		t.Fatalf("engine refusal: %d", rec.Code)
	}
	if !slices.Contains(e.eng.actions(), "Hangup") {
		t.Fatal("engine not asked")
	}
}
