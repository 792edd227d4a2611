package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
	"github.com/agentswitch/agentswitch/pbx"
)

func (e *testEnv) addGateway(n int) dialer.Gateway {
	e.t.Helper()
	return must[dialer.Gateway](e.t)(e.store.CreateGateway(e.t.Context(), dialer.Gateway{
		Name: fmt.Sprintf("spare%d", n), Proxy: "sip.spare.example", Username: "u", Password: "pw", Enabled: true}))
}

func (e *testEnv) addDID(n int) dialer.DID {
	e.t.Helper()
	return must[dialer.DID](e.t)(e.store.CreateDID(e.t.Context(), dialer.DID{Number: fmt.Sprintf("+1718555%04d", n), Enabled: true}))
}

// changeAudit is the audit log's actions but logins.
func changeAudit(e *testEnv) []string {
	return slices.DeleteFunc(e.auditActions(), func(a string) bool { return strings.HasPrefix(a, "auth.") })
}

// recordingSwitch is a pbx.Switch that records every command and answers
// as FreeSWITCH does.
type recordingSwitch struct {
	mu    sync.Mutex
	nodes []esl.NodeStatus
	sent  []string
	// gateways sofia runs, for killgw's answer.
	gateways map[string]bool
	// fail answers every command with this error.
	fail error
}

func newRecordingSwitch(nodes ...string) *recordingSwitch {
	sw := &recordingSwitch{gateways: map[string]bool{}}
	for _, n := range nodes {
		sw.nodes = append(sw.nodes, esl.NodeStatus{Name: n, Up: true})
	}
	return sw
}

func (f *recordingSwitch) Nodes() []esl.NodeStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nodes)
}

func (f *recordingSwitch) API(_ context.Context, node string, cmd esl.Command) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, node+": "+cmd.String())
	if f.fail != nil {
		return "", f.fail
	}
	if gw, ok := strings.CutPrefix(cmd.String(), "sofia profile carriers killgw "); ok {
		if !f.gateways[gw] {
			reply := "-ERR no such gateway.\n"
			return reply, &esl.ReplyError{Command: cmd.Name, Reply: reply}
		}
		delete(f.gateways, gw)
		return "+OK gateway marked for deletion.\n", nil
	}
	if cmd.String() == "sofia profile carriers rescan" {
		return "Reload XML [Success]\n+OK scan complete\n", nil
	}
	return "+OK\n", nil
}

// take returns the commands sent since the last take.
func (f *recordingSwitch) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sent
	f.sent = nil
	return out
}

func (f *recordingSwitch) running(names ...string) {
	f.mu.Lock()
	for _, n := range names {
		f.gateways[n] = true
	}
	f.mu.Unlock()
}

func wantSent(t *testing.T, sw *recordingSwitch, what string, want ...string) {
	t.Helper()
	if got := sw.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: sent\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type reloadOf struct {
	Reload dialer.ReloadResult `json:"reload"`
}

// xmlCurl posts a captured mod_xml_curl request (pbx/testdata) with some
// fields replaced, as FreeSWITCH would send it.
func xmlCurl(t *testing.T, h http.Handler, form string, secret string, set map[string]string) (int, string) {
	t.Helper()
	raw, err := os.ReadFile("../pbx/testdata/" + form)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(strings.TrimSpace(string(raw)), "&")
	for k, v := range set {
		for i, f := range fields {
			if strings.HasPrefix(f, k+"=") {
				fields[i] = k + "=" + v
			}
		}
	}
	r := httptest.NewRequest(http.MethodPost, pbxnames.XMLCurlPath, strings.NewReader(strings.Join(fields, "&")))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		r.SetBasicAuth(pbxnames.XMLCurlUser, secret)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// xmlNode is an element tree for assertions.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
}

// params collects name=value of every param/action below n with the
// given element name.
func (n xmlNode) find(elem string, out map[string][]string, key, val string) {
	if n.XMLName.Local == elem {
		var k, v string
		for _, a := range n.Attrs {
			switch a.Name.Local {
			case key:
				k = a.Value
			case val:
				v = a.Value
			}
		}
		out[k] = append(out[k], v)
	}
	for _, c := range n.Nodes {
		c.find(elem, out, key, val)
	}
}

func parseXML(t *testing.T, doc string) xmlNode {
	t.Helper()
	var n xmlNode
	if err := xml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatalf("%v in\n%s", err, doc)
	}
	return n
}

// TestGatewayProvisionedLive: a gateway created over the API is served to
// FreeSWITCH by the xml_curl handler at once, FreeSWITCH is told with the
// exact commands on every node, and changes and removal follow.
func TestGatewayProvisionedLive(t *testing.T) {
	sw := newRecordingSwitch("fs1", "fs2")
	e := newEnv(t, withSwitch(sw))
	const secret = "xml-curl-secret-0123456789"
	xh := pbx.NewHandler(e.store, secret)
	served := func() map[string]map[string][]string {
		t.Helper()
		code, doc := xmlCurl(t, xh, "directory-gateways.form", secret, nil)
		if code != 200 {
			t.Fatalf("xml_curl: %d %s", code, doc)
		}
		out := map[string]map[string][]string{}
		var walk func(n xmlNode)
		walk = func(n xmlNode) {
			if n.XMLName.Local == "gateway" {
				p := map[string][]string{}
				n.find("param", p, "name", "value")
				out[n.Attrs[0].Value] = p
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		}
		walk(parseXML(t, doc))
		return out
	}
	if len(served()) != 0 {
		t.Fatal("gateways before any was created")
	}

	rec := e.do(e.admin, "POST", "/api/v1/gateways", `{"name":"carrier1","proxy":"sip.carrier.example:5060","username":"acct-1","password":"Pa$$w0rd!&\"'","register":true,"ping_seconds":30}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "Pa$$") || strings.Contains(rec.Body.String(), `"password"`) {
		t.Fatalf("the answer shows the password: %s", rec.Body)
	}
	var created struct {
		gatewayView
		Reload dialer.ReloadResult `json:"reload"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if created.Name != "carrier1" || !created.HasPassword || created.Transport != "udp" || created.ExpireSeconds != 600 || !created.Enabled || created.Reload.Status != dialer.ReloadApplied {
		t.Fatalf("created %s", rec.Body)
	}
	wantSent(t, sw, "create",
		"fs1: sofia profile carriers killgw carrier1", "fs1: sofia profile carriers rescan",
		"fs2: sofia profile carriers killgw carrier1", "fs2: sofia profile carriers rescan")
	sw.running("carrier1")
	gw := served()["carrier1"]
	if gw == nil || gw["proxy"][0] != "sip.carrier.example:5060" || gw["username"][0] != "acct-1" || gw["password"][0] != `Pa$$w0rd!&"'` ||
		gw["register"][0] != "true" || gw["ping"][0] != "30" {
		t.Fatalf("served %v", gw)
	}

	// GET never shows the password either.
	for _, path := range []string{"/api/v1/gateways", fmt.Sprintf("/api/v1/gateways/%d", created.ID)} {
		rec := e.do(e.admin, "GET", path, "")
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "Pa$$") || !strings.Contains(rec.Body.String(), `"has_password":true`) {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}

	// A rename kills both names; the password stays when left out.
	rec = e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/gateways/%d", created.ID), `{"name":"carrier-one","proxy":"10.1.2.3","transport":"tcp"}`)
	if rec.Code != 200 || decodeBody[reloadOf](t, rec).Reload.Status != dialer.ReloadApplied {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "rename",
		"fs1: sofia profile carriers killgw carrier1", "fs1: sofia profile carriers killgw carrier-one", "fs1: sofia profile carriers rescan",
		"fs2: sofia profile carriers killgw carrier1", "fs2: sofia profile carriers killgw carrier-one", "fs2: sofia profile carriers rescan")
	all := served()
	if all["carrier1"] != nil || all["carrier-one"]["proxy"][0] != "10.1.2.3" || all["carrier-one"]["password"][0] != `Pa$$w0rd!&"'` ||
		all["carrier-one"]["register-transport"][0] != "tcp" {
		t.Fatalf("after rename %v", all)
	}
	// {} tells FreeSWITCH again.
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/gateways/%d", created.ID), `{}`); rec.Code != 200 {
		t.Fatalf("{}: %d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "repeat",
		"fs1: sofia profile carriers killgw carrier-one", "fs1: sofia profile carriers rescan",
		"fs2: sofia profile carriers killgw carrier-one", "fs2: sofia profile carriers rescan")

	// Disabled: no longer served.
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/gateways/%d", created.ID), `{"enabled":false}`); rec.Code != 200 {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	sw.take()
	if len(served()) != 0 {
		t.Fatal("a disabled gateway is served")
	}

	rec = e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/gateways/%d", created.ID), "")
	if rec.Code != 200 || decodeBody[reloadOf](t, rec).Reload.Status != dialer.ReloadApplied {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "delete",
		"fs1: sofia profile carriers killgw carrier-one", "fs1: sofia profile carriers rescan",
		"fs2: sofia profile carriers killgw carrier-one", "fs2: sofia profile carriers rescan")
	if rec := e.do(e.admin, "GET", fmt.Sprintf("/api/v1/gateways/%d", created.ID), ""); rec.Code != 404 {
		t.Fatalf("deleted: %d", rec.Code)
	}
	if got, want := changeAudit(e), []string{"gateway.create", "gateway.update", "gateway.update", "gateway.update", "gateway.delete"}; !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
	var data string
	if err := e.ro.QueryRow(`SELECT group_concat(data, ' ') FROM audit_log`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(data, "Pa$$") {
		t.Fatalf("the audit log holds the password: %s", data)
	}
}

// TestReloadFailureKeepsTheChange: FreeSWITCH unreachable or refusing:
// the change is stored, the answer is still 2xx and says reload failed.
func TestReloadFailureKeepsTheChange(t *testing.T) {
	sw := newRecordingSwitch("fs1")
	sw.fail = fmt.Errorf("esl: %w", esl.ErrNotConnected)
	e := newEnv(t, withSwitch(sw))
	rec := e.do(e.admin, "POST", "/api/v1/gateways", `{"name":"carrier2","proxy":"sip.carrier.example"}`)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	r := decodeBody[reloadOf](t, rec).Reload
	if r.Status != dialer.ReloadFailed || !strings.Contains(r.Error, "killgw carrier2") {
		t.Fatalf("reload %+v", r)
	}
	if _, err := e.store.GatewayByName(t.Context(), "carrier2"); err != nil {
		t.Fatalf("the gateway was not kept: %v", err)
	}
	// A node that is down is reported too.
	sw.fail = nil
	sw.nodes[0].Up = false
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"sip_password":"new-sip-pass"}`)
	if r := decodeBody[reloadOf](t, rec).Reload; rec.Code != 200 || r.Status != dialer.ReloadFailed || !strings.Contains(r.Error, "fs1 is down") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	a, _ := e.store.Agent(t.Context(), 2)
	if a.SIPA1Hash != dialer.SIPA1("1002", "agentswitch", "new-sip-pass") {
		t.Fatal("the new SIP password was not kept")
	}
	if got := changeAudit(e); !slices.Equal(got, []string{"gateway.create", "agent.update"}) {
		t.Fatalf("audit %v", got)
	}
	var data string
	e.ro.QueryRow(`SELECT data FROM audit_log WHERE action = 'agent.update'`).Scan(&data)
	if !strings.Contains(data, `"reload":"failed"`) || strings.Contains(data, "new-sip-pass") {
		t.Fatalf("audit data %s", data)
	}

	// Without a switch (the simulated one) the reload is skipped.
	e2 := newEnv(t)
	rec = e2.do(e2.admin, "POST", "/api/v1/gateways", `{"name":"carrier3","proxy":"sip.carrier.example"}`)
	if r := decodeBody[reloadOf](t, rec).Reload; rec.Code != 201 || r.Status != dialer.ReloadSkipped {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// TestAgentSIPAccountChange: a new SIP password, extension or disabling is
// served at once with the recomputed hash, and FreeSWITCH drops its cache
// and the phone's registration.
func TestAgentSIPAccountChange(t *testing.T) {
	sw := newRecordingSwitch("fs1")
	e := newEnv(t, withSwitch(sw))
	const secret = "xml-curl-secret-0123456789"
	xh := pbx.NewHandler(e.store, secret)
	a1hash := func(ext string) string {
		t.Helper()
		code, doc := xmlCurl(t, xh, "directory-sip_auth.form", secret, map[string]string{"user": ext, "domain": "agentswitch", "key_value": "agentswitch"})
		if code != 200 {
			t.Fatalf("%d %s", code, doc)
		}
		p := map[string][]string{}
		parseXML(t, doc).find("param", p, "name", "value")
		if len(p["a1-hash"]) == 0 {
			return ""
		}
		return p["a1-hash"][0]
	}
	if a1hash("1002") != dialer.SIPA1("1002", "agentswitch", "sip-secret-2") {
		t.Fatal("seed hash not served")
	}

	rec := e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"sip_password":"brand-new-pass"}`)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "brand-new-pass") || strings.Contains(rec.Body.String(), dialer.SIPA1("1002", "agentswitch", "brand-new-pass")) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if decodeBody[reloadOf](t, rec).Reload.Status != dialer.ReloadApplied {
		t.Fatalf("%s", rec.Body)
	}
	wantSent(t, sw, "password", "fs1: xml_flush_cache id 1002 agentswitch", "fs1: sofia profile agents flush_inbound_reg 1002@agentswitch reboot")
	if a1hash("1002") != dialer.SIPA1("1002", "agentswitch", "brand-new-pass") {
		t.Fatal("new hash not served")
	}

	// A new extension needs the password, and both extensions are flushed.
	if rec := e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"extension":"2002"}`); rec.Code != 400 || errorOf(t, rec).Field != "sip_password" {
		t.Fatalf("extension alone: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"extension":"1001","sip_password":"another-pass"}`); rec.Code != 409 || errorOf(t, rec).Field != "extension" {
		t.Fatalf("taken extension: %d %s", rec.Code, rec.Body)
	}
	sw.take()
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"extension":"2002","sip_password":"another-pass"}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "extension", "fs1: xml_flush_cache id 1002 agentswitch", "fs1: sofia profile agents flush_inbound_reg 1002@agentswitch reboot",
		"fs1: xml_flush_cache id 2002 agentswitch")
	if a1hash("1002") != "" || a1hash("2002") != dialer.SIPA1("2002", "agentswitch", "another-pass") {
		t.Fatal("the new extension is not served in place of the old")
	}

	// Disabled: unregistered and not served; enabled again: served.
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"disabled":true}`)
	if rec.Code != 200 || !decodeBody[dialer.Agent](t, rec).Disabled {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "disable", "fs1: xml_flush_cache id 2002 agentswitch", "fs1: sofia profile agents flush_inbound_reg 2002@agentswitch reboot")
	if a1hash("2002") != "" {
		t.Fatal("a disabled seat is served")
	}
	e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"disabled":false}`)
	wantSent(t, sw, "enable", "fs1: xml_flush_cache id 2002 agentswitch")
	if a1hash("2002") == "" {
		t.Fatal("an enabled seat is not served")
	}

	// Nothing SIP changed: FreeSWITCH is not bothered.
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"name":"Bobby","external_phone":"(212) 555-0142","mode":"persistent"}`)
	got := decodeBody[struct {
		dialer.Agent
		Reload dialer.ReloadResult `json:"reload"`
	}](t, rec)
	if rec.Code != 200 || got.Name != "Bobby" || got.ExternalPhone != "+12125550142" || got.Mode != dialer.ModePersistent || got.Reload.Status != dialer.ReloadNotNeeded {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "name")
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"external_phone":""}`)
	if rec.Code != 200 || decodeBody[dialer.Agent](t, rec).ExternalPhone != "" {
		t.Fatalf("clear phone: %d %s", rec.Code, rec.Body)
	}
	// A premium-rate number cannot become a seat's phone: agents log in on it.
	rec = e.do(e.admin, "PATCH", "/api/v1/agents/2", `{"external_phone":"+1 900 555 0199"}`)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "external_phone") || !strings.Contains(rec.Body.String(), "premium") {
		t.Fatalf("premium phone: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "PATCH", "/api/v1/agents/99", `{"name":"X"}`); rec.Code != 404 {
		t.Fatalf("no such agent: %d", rec.Code)
	}
}

// didDialplan asks xh for the dialplan of a call to number and returns its
// actions' data by application.
func didDialplan(t *testing.T, xh http.Handler, secret, number string) map[string][]string {
	t.Helper()
	code, doc := xmlCurl(t, xh, "dialplan-agentswitch_inbound.form", secret, map[string]string{
		"Hunt-Destination-Number": number, "Caller-Destination-Number": number})
	if code != 200 {
		t.Fatalf("%d %s", code, doc)
	}
	acts := map[string][]string{}
	parseXML(t, doc).find("action", acts, "application", "data")
	return acts
}

// TestDIDProvisioned: a DID created over the API is answered in the
// dialplan; its path takes the number with or without +; no reload.
func TestDIDProvisioned(t *testing.T) {
	sw := newRecordingSwitch("fs1")
	e := newEnv(t, withSwitch(sw))
	const secret = "xml-curl-secret-0123456789"
	xh := pbx.NewHandler(e.store, secret)
	dialplan := func() map[string][]string { return didDialplan(t, xh, secret, "12125550188") }
	if len(dialplan()["set"]) != 0 {
		t.Fatal("an unknown DID is answered")
	}
	// The queue a DID names must exist.
	body := fmt.Sprintf(`{"number":"(212) 555-0188","name":"Main line","queue":"sales","campaign_id":%d}`, e.campaign.ID)
	rec := e.do(e.admin, "POST", "/api/v1/dids", body)
	if got := errorOf(t, rec); rec.Code != 400 || got.Field != "queue" || !strings.Contains(got.Message, `no queue named "sales"`) {
		t.Fatalf("unknown queue: %d %s", rec.Code, rec.Body)
	}
	sales := decodeBody[dialer.Queue](t, e.do(e.admin, "POST", "/api/v1/queues", `{"name":"sales"}`))
	support := decodeBody[dialer.Queue](t, e.do(e.admin, "POST", "/api/v1/queues", `{"name":"support"}`))
	rec = e.do(e.admin, "POST", "/api/v1/dids", body)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	d := decodeBody[struct {
		dialer.DID
		Reload dialer.ReloadResult `json:"reload"`
	}](t, rec)
	if d.Number != "+12125550188" || !d.Enabled || d.Queue != "sales" || d.QueueID != sales.ID || d.Reload.Status != dialer.ReloadNotNeeded {
		t.Fatalf("%s", rec.Body)
	}
	sets := dialplan()["set"]
	if !slices.Contains(sets, pbxnames.VarQueue+"=sales") || !slices.Contains(sets, pbxnames.VarDID+"=+12125550188") ||
		!slices.Contains(sets, fmt.Sprintf("%s=%d", pbxnames.VarCampaignID, e.campaign.ID)) {
		t.Fatalf("dialplan sets %v", sets)
	}
	if rec := e.do(e.admin, "POST", "/api/v1/dids", `{"number":"+1 212 555 0188"}`); rec.Code != 409 || errorOf(t, rec).Field != "number" {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v1/dids/+12125550188", "/api/v1/dids/%2B12125550188", "/api/v1/dids/12125550188"} {
		rec := e.do(e.admin, "PATCH", path, `{"queue":"support"}`)
		if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || d.Queue != "support" || d.QueueID != support.ID {
			t.Fatalf("PATCH %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec = e.do(e.admin, "PATCH", "/api/v1/dids/+12125550188", `{"queue":"billing","enabled":false}`)
	if got := errorOf(t, rec); rec.Code != 400 || got.Field != "queue" {
		t.Fatalf("PATCH to an unknown queue: %d %s", rec.Code, rec.Body)
	}
	// The queue cannot be deleted while the DID routes to it (409 naming
	// the DID); renamed, it keeps the DID, and the dialplan says the new name.
	supportPath := fmt.Sprintf("/api/v1/queues/%d", support.ID)
	rec = e.do(e.admin, "DELETE", supportPath, "")
	if rec.Code != 409 || !strings.Contains(errorOf(t, rec).Message, "+12125550188") {
		t.Fatalf("delete a routed queue: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "PATCH", supportPath, `{"version":1,"name":"help"}`); rec.Code != 200 {
		t.Fatalf("rename: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "GET", "/api/v1/dids", ""); !strings.Contains(rec.Body.String(), `"queue":"help"`) {
		t.Fatalf("list after the rename: %s", rec.Body)
	}
	if sets := dialplan()["set"]; !slices.Contains(sets, pbxnames.VarQueue+"=help") {
		t.Fatalf("dialplan after the rename sets %v", sets)
	}
	rec = e.do(e.admin, "PATCH", "/api/v1/dids/+12125550188", `{"queue":"","campaign_id":0,"enabled":false}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || d.Queue != "" || d.Campaign != 0 || d.Enabled {
		t.Fatalf("clear: %d %s", rec.Code, rec.Body)
	}
	if len(dialplan()["set"]) != 0 {
		t.Fatal("a disabled DID is answered")
	}
	if rec := e.do(e.admin, "GET", "/api/v1/dids", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "+12125550188") {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "DELETE", "/api/v1/dids/+12125550188", ""); rec.Code != 200 || decodeBody[reloadOf](t, rec).Reload.Status != dialer.ReloadNotNeeded {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "DELETE", "/api/v1/dids/+12125550188", ""); rec.Code != 404 {
		t.Fatalf("delete again: %d %s", rec.Code, rec.Body)
	}
	wantSent(t, sw, "DIDs")
	if got := changeAudit(e); !slices.Equal(got, []string{"queue.create", "queue.create", "did.create", "did.update", "did.update",
		"did.update", "queue.update", "did.update", "did.delete"}) {
		t.Fatalf("audit %v", got)
	}
}

// TestDIDPriority: create, patch and list carry a DID's priority, the
// dialplan sets it for the engine, and a bad value is refused naming it
// with nothing written.
func TestDIDPriority(t *testing.T) {
	e := newEnv(t, withSwitch(newRecordingSwitch("fs1")))
	const secret = "xml-curl-secret-0123456789"
	xh := pbx.NewHandler(e.store, secret)
	sets := func() []string { return didDialplan(t, xh, secret, "12125550177")["set"] }
	rec := e.do(e.admin, "POST", "/api/v1/dids", `{"number":"2125550177","priority":30}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 201 || d.Priority != 30 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if got := sets(); !slices.Contains(got, pbxnames.VarPriority+"=30") {
		t.Fatalf("dialplan sets %v", got)
	}
	const path = "/api/v1/dids/+12125550177"
	rec = e.do(e.admin, "PATCH", path, `{"priority":-5}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || d.Priority != -5 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	// A patch without it keeps it.
	rec = e.do(e.admin, "PATCH", path, `{"name":"Gold line"}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || d.Priority != -5 || d.Name != "Gold line" {
		t.Fatalf("patch the name: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.admin, "GET", "/api/v1/dids", "")
	l := decodeBody[struct {
		DIDs []dialer.DID `json:"dids"`
	}](t, rec)
	if rec.Code != 200 || len(l.DIDs) != 1 || l.DIDs[0].Priority != -5 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if got := sets(); !slices.Contains(got, pbxnames.VarPriority+"=-5") {
		t.Fatalf("dialplan after the patch sets %v", got)
	}
	rec = e.do(e.admin, "PATCH", path, `{"priority":0}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || d.Priority != 0 {
		t.Fatalf("patch to 0: %d %s", rec.Code, rec.Body)
	}
	for _, a := range sets() {
		if strings.HasPrefix(a, pbxnames.VarPriority+"=") {
			t.Fatalf("priority 0 sets %q", a)
		}
	}

	before := e.fingerprint()
	for _, bad := range []string{`101`, `-101`, `1000000`, `1.5`, `"high"`, `"5"`, `true`, `[1]`} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/v1/dids", `{"number":"2125550178","priority":` + bad + `}`},
			{"PATCH", path, `{"priority":` + bad + `}`},
		} {
			rec := e.do(e.admin, r.method, r.path, r.body)
			if got := errorOf(t, rec); rec.Code != 400 || got.Field != "priority" {
				t.Errorf("%s %s: %d %s", r.method, r.body, rec.Code, rec.Body)
			}
		}
	}
	if e.fingerprint() != before {
		t.Fatal("a refused priority was written")
	}
}

// TestDIDSkills: create, patch and list carry a DID's skills, the dialplan
// sets them sorted for the engine, and a bad value is refused naming the
// field with nothing written.
func TestDIDSkills(t *testing.T) {
	e := newEnv(t, withSwitch(newRecordingSwitch("fs1")))
	const secret = "xml-curl-secret-0123456789"
	xh := pbx.NewHandler(e.store, secret)
	skillsSet := func() []string {
		var out []string
		for _, a := range didDialplan(t, xh, secret, "12125550166")["set"] {
			if strings.HasPrefix(a, pbxnames.VarSkills+"=") {
				out = append(out, a)
			}
		}
		return out
	}
	rec := e.do(e.admin, "POST", "/api/v1/dids", `{"number":"2125550166","skills":["vip","billing"]}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 201 || !slices.Equal(d.Skills, []string{"vip", "billing"}) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if got := skillsSet(); !slices.Equal(got, []string{pbxnames.VarSkills + "=billing,vip"}) {
		t.Fatalf("dialplan sets %v", got)
	}
	// Without skills a DID lists [] and sets none.
	rec = e.do(e.admin, "POST", "/api/v1/dids", `{"number":"2125550167"}`)
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"skills":[]`) {
		t.Fatalf("create without skills: %d %s", rec.Code, rec.Body)
	}
	const path = "/api/v1/dids/+12125550166"
	rec = e.do(e.admin, "PATCH", path, `{"skills":["spanish"]}`)
	if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || !slices.Equal(d.Skills, []string{"spanish"}) {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	// A patch without them, or with null, keeps them.
	for _, body := range []string{`{"name":"Spanish line"}`, `{"skills":null}`} {
		rec = e.do(e.admin, "PATCH", path, body)
		if d := decodeBody[dialer.DID](t, rec); rec.Code != 200 || !slices.Equal(d.Skills, []string{"spanish"}) {
			t.Fatalf("patch %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	rec = e.do(e.admin, "GET", "/api/v1/dids", "")
	l := decodeBody[struct {
		DIDs []dialer.DID `json:"dids"`
	}](t, rec)
	if rec.Code != 200 || len(l.DIDs) != 2 || !slices.Equal(l.DIDs[0].Skills, []string{"spanish"}) || l.DIDs[1].Skills == nil ||
		len(l.DIDs[1].Skills) != 0 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if got := skillsSet(); !slices.Equal(got, []string{pbxnames.VarSkills + "=spanish"}) {
		t.Fatalf("dialplan after the patch sets %v", got)
	}
	rec = e.do(e.admin, "PATCH", path, `{"skills":[]}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"skills":[]`) {
		t.Fatalf("patch to none: %d %s", rec.Code, rec.Body)
	}
	if got := skillsSet(); len(got) != 0 {
		t.Fatalf("no skills set %v", got)
	}

	tooMany := make([]string, dialer.MaxMemberSkills+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("%q", fmt.Sprintf("s%d", i))
	}
	before := e.fingerprint()
	for _, tc := range []struct{ value, field string }{
		{`"spanish"`, "skills"},
		{`{"spanish":true}`, "skills"},
		{`[1]`, "skills"},
		{`["ok",null,"x"]`, "skills[1]"},
		{`[` + strings.Join(tooMany, ",") + `]`, "skills"},
		{`["Spanish"]`, "skills[0]"},
		{`["ok",""]`, "skills[1]"},
		{`["a,b"]`, "skills[0]"},
		{`["vip","vip"]`, "skills[1]"},
		{`["${uuid}"]`, "skills[0]"},
		{`["` + strings.Repeat("a", 33) + `"]`, "skills[0]"},
	} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/v1/dids", `{"number":"2125550168","skills":` + tc.value + `}`},
			{"PATCH", path, `{"skills":` + tc.value + `}`},
		} {
			rec := e.do(e.admin, r.method, r.path, r.body)
			if got := errorOf(t, rec); rec.Code != 400 || got.Field != tc.field {
				t.Errorf("%s %s: %d %s, want field %s", r.method, r.body, rec.Code, rec.Body, tc.field)
			}
		}
	}
	if e.fingerprint() != before {
		t.Fatal("refused skills were written")
	}
}

// injections are what FreeSWITCH reads as syntax: dial-string and
// variable separators, whitespace, line breaks, ESL headers and variable
// expansion.
var injections = []string{
	",", "|", "{", "}", "[", "]", "<", ">", ";", "^", " ", "\t", "\r", "\n", "\r\n",
	"${sofia_contact(1001)}", "$${hold_music}", "\nEvent-Name: CHANNEL_HANGUP", ",user/1001",
	"{origination_uuid=x}", "[leg_timeout=1]", "<sip:x@y>", "^^:a:b", "|user/1002", ";transport=tcp",
}

// switchFields names every body field that reaches FreeSWITCH's XML or a
// switch command; %s is a JSON string made of base+injection.
func switchFields(e *testEnv) []struct {
	w                         who
	method, path, field, base string
	body                      string
} {
	live := "/api/v1/calls/" + string(e.live1)
	gw := fmt.Sprintf("/api/v1/gateways/%d", e.addGateway(0).ID)
	type row = struct {
		w                         who
		method, path, field, base string
		body                      string
	}
	var rows []row
	for _, f := range []struct{ field, base string }{
		{"name", "gw1"}, {"proxy", "sip.carrier.example"}, {"realm", "carrier.example"}, {"username", "acct"},
		{"password", "pw"}, {"transport", "udp"}, {"from_user", "acct"}, {"from_domain", "carrier.example"},
	} {
		var parts []string
		for _, req := range []string{`"name":"gwx"`, `"proxy":"sip.carrier.example"`} {
			if !strings.HasPrefix(req, `"`+f.field+`"`) {
				parts = append(parts, req)
			}
		}
		body := "{" + strings.Join(append(parts, `"`+f.field+`":%s`), ",") + "}"
		rows = append(rows, row{e.admin, "POST", "/api/v1/gateways", f.field, f.base, body})
		rows = append(rows, row{e.admin, "PATCH", gw, f.field, f.base, `{"` + f.field + `":%s}`})
	}
	rows = append(rows,
		row{e.admin, "POST", "/api/v1/dids", "number", "2125550100", `{"number":%s}`},
		row{e.admin, "POST", "/api/v1/dids", "queue", "sales", `{"number":"2125550100","queue":%s}`},
		row{e.admin, "POST", "/api/v1/dids", "priority", "5", `{"number":"2125550100","priority":%s}`},
		row{e.admin, "PATCH", "/api/v1/dids/" + e.addDID(0).Number, "queue", "sales", `{"queue":%s}`},
		row{e.admin, "PATCH", "/api/v1/dids/" + e.addDID(1).Number, "priority", "5", `{"priority":%s}`},
		row{e.admin, "POST", "/api/v1/dids", "skills[1]", "spanish", `{"number":"2125550100","skills":["vip",%s]}`},
		row{e.admin, "PATCH", "/api/v1/dids/" + e.addDID(2).Number, "skills[0]", "spanish", `{"skills":[%s]}`},
		row{e.admin, "PATCH", "/api/v1/agents/2", "extension", "2002", `{"extension":%s,"sip_password":"sip-pass-99"}`},
		row{e.admin, "PATCH", "/api/v1/agents/2", "external_phone", "2125550100", `{"external_phone":%s}`},
		row{e.sup, "POST", live + "/monitor", "mode", "listen", `{"mode":%s}`},
		row{e.sup, "POST", live + "/monitor", "endpoint.extension", "1003", `{"endpoint":{"kind":"sip","extension":%s}}`},
		row{e.sup, "POST", live + "/monitor", "endpoint.phone", "2125550100", `{"endpoint":{"kind":"phone","phone":%s}}`},
		row{e.sup, "POST", live + "/monitor", "endpoint.kind", "sip", `{"endpoint":{"kind":%s}}`},
		row{e.sup, "POST", live + "/monitor/" + string(dialer.NewLegID()), "mode", "barge", `{"mode":%s}`},
	)
	return rows
}

// TestInjectionRefused: every field that reaches FreeSWITCH refuses the
// injection corpus (prefixed, suffixed and alone) with a 400 naming the
// field; nothing is written and the switch and engine are not asked.
func TestInjectionRefused(t *testing.T) {
	sw := newRecordingSwitch("fs1")
	e := newEnv(t, withSwitch(sw))
	rows := switchFields(e)
	before := e.fingerprint()
	sw.take()
	for _, f := range rows {
		for _, inj := range injections {
			for _, v := range []string{f.base + inj, inj + f.base, inj} {
				q, _ := json.Marshal(v)
				body := fmt.Sprintf(f.body, q)
				e.eng.reset()
				rec := e.do(f.w, f.method, f.path, body)
				if rec.Code != 400 {
					t.Errorf("%s %s %s: %d %s", f.method, f.path, body, rec.Code, rec.Body)
					continue
				}
				if got := errorOf(t, rec); got.Field != f.field {
					t.Errorf("%s %s %s: field %q, want %q (%s)", f.method, f.path, body, got.Field, f.field, got.Message)
				}
				if acts := e.eng.actions(); len(acts) > 0 {
					t.Errorf("%s %s %s: engine asked %v", f.method, f.path, body, acts)
				}
			}
		}
	}
	if got := sw.take(); len(got) > 0 {
		t.Fatalf("refused input reached the switch: %v", got)
	}
	if e.fingerprint() != before {
		t.Fatal("refused input wrote to the database")
	}
}

// TestMonitorReachesEngine: what the engine gets, and the 404/409 it
// answers passes through.
func TestMonitorReachesEngine(t *testing.T) {
	e := newEnv(t)
	live := "/api/v1/calls/" + string(e.live1)
	rec := e.do(e.sup, "POST", live+"/monitor", `{"endpoint":{"kind":"phone","phone":"(646) 555-0100"}}`)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	pv := decodeBody[dialer.PartyView](t, rec)
	r := e.eng.called("Monitor")[0].Arg.(dialer.MonitorRequest)
	if r.Mode != dialer.MonitorListen || r.Endpoint.Kind != dialer.EndpointPhone || r.Endpoint.Phone != "+16465550100" || pv.Role != dialer.LegSupervisor || !pv.Leg.Valid() {
		t.Fatalf("engine got %+v; answer %s", r, rec.Body)
	}
	e.eng.reset()
	if rec := e.do(e.keySup, "POST", live+"/monitor", `{"mode":"barge","endpoint":{"extension":"1003"}}`); rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if r := e.eng.called("Monitor")[0].Arg.(dialer.MonitorRequest); r.Mode != dialer.MonitorBarge || r.Endpoint.Kind != dialer.EndpointSIP || r.Endpoint.Extension != "1003" {
		t.Fatalf("engine got %+v", r)
	}
	e.eng.reset()
	// The supervisor's own seat is the engine's default.
	if rec := e.do(e.admin, "POST", live+"/monitor", `{}`); rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if r := e.eng.called("Monitor")[0].Arg.(dialer.MonitorRequest); r.Endpoint.Extension != "" || r.Endpoint.Kind != dialer.EndpointSIP {
		t.Fatalf("engine got %+v", r)
	}
	leg := strings.ToUpper(string(pv.Leg))
	if rec := e.do(e.sup, "POST", live+"/monitor/"+leg, `{"mode":"whisper"}`); rec.Code != 204 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if a := e.eng.called("MonitorMode")[0].Arg.(monitorArg); a.Leg != pv.Leg || a.Mode != dialer.MonitorWhisper {
		t.Fatalf("engine got %+v", a)
	}
	if rec := e.do(e.sup, "DELETE", live+"/monitor/"+string(pv.Leg), ""); rec.Code != 204 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got := e.eng.called("StopMonitor"); len(got) != 1 || got[0].Arg.(dialer.LegID) != pv.Leg {
		t.Fatalf("engine got %+v", got)
	}
	// The engine's answers map as every control's do.
	e.eng.fail["Monitor"] = fmt.Errorf("monitor: agent not connected: %w", dialer.ErrConflict)
	if rec := e.do(e.sup, "POST", live+"/monitor", `{"endpoint":{"extension":"1003"}}`); rec.Code != 409 {
		t.Fatalf("conflict: %d %s", rec.Code, rec.Body)
	}
	e.eng.fail["MonitorMode"] = &dialer.FieldError{Field: "leg_id", Reason: "not a supervisor of this call"}
	if rec := e.do(e.sup, "POST", live+"/monitor/"+string(pv.Leg), `{"mode":"barge"}`); rec.Code != 400 || errorOf(t, rec).Field != "leg_id" {
		t.Fatalf("not a supervisor leg: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.sup, "POST", "/api/v1/calls/"+string(dialer.NewCallID())+"/monitor", `{"endpoint":{"extension":"1003"}}`); rec.Code != 404 {
		t.Fatalf("no such call: %d %s", rec.Code, rec.Body)
	}
}

// TestPBXRoutesWithoutStore: without a PBX store the provisioning routes
// answer 503 and the rest work.
func TestPBXRoutesWithoutStore(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PBX = nil })
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/gateways", ""}, {"POST", "/api/v1/gateways", `{"name":"g","proxy":"h"}`}, {"GET", "/api/v1/gateways/1", ""},
		{"PATCH", "/api/v1/gateways/1", `{}`}, {"DELETE", "/api/v1/gateways/1", ""}, {"GET", "/api/v1/dids", ""},
		{"POST", "/api/v1/dids", `{"number":"2125550100"}`}, {"PATCH", "/api/v1/dids/+12125550100", `{}`}, {"DELETE", "/api/v1/dids/+12125550100", ""},
	} {
		if rec := e.do(e.admin, c.method, c.path, c.body); rec.Code != 503 {
			t.Errorf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
	if rec := e.do(e.admin, "GET", "/api/v1/users", ""); rec.Code != 200 {
		t.Fatalf("users: %d", rec.Code)
	}
}
