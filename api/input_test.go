package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// badNumbers are refused wherever a number is typed: letters, too short or
// long, another country's national form, and dial-string or ESL syntax.
var badNumbers = []string{
	"", "abc", "1-800-FLOWERS", "212555010O", "12", "1001", "5550100", "+1 212 555 01",
	"020 7946 0958", "+999 1234567", "0033123456789", "+",
	"1001,user/1002", "{x}", "a|b", "1;2", "^^:", "[", "<", ">", "]", "}",
	"2125550100\n", "2125550100\nEvent-Name: CHANNEL_HANGUP", "\n", "\r\n2125550100",
	" 2125550100", "2125550100 ", "212  555 0100", "\t2125550100", "212\t555\t0100", " ",
	"+12125550100,user/1002", "+12125550100}", "{origination_caller_id_number=1}+12125550100",
	"${sofia_contact(1001)}", "'2125550100'", `"2125550100"`, `2125550100\`, "2125550100&",
	"+1-212-555-0100;x", "sofia/gateway/gw/2125550100", "user/1001", "+1 212 555 0100 ext 5",
	"２１２５５５０１００", "+12125550100\x00", strings.Repeat("1", 40),
}

// numberFields names every route and body field that takes a typed number.
func numberFields(e *testEnv) []struct{ method, path, field, body string } {
	live := "/api/v1/calls/" + string(e.live1)
	return []struct{ method, path, field, body string }{
		{"POST", "/api/v1/calls", "number", `{"number":%s}`},
		{"POST", "/api/v1/calls", "caller_id_number", `{"number":"2125550100","caller_id_number":%s}`},
		{"POST", "/api/v1/agents/1/dial", "number", `{"number":%s}`},
		{"POST", "/api/v1/agents/1/dial", "caller_id_number", `{"number":"2125550100","caller_id_number":%s}`},
		{"POST", live + "/transfer", "number", `{"number":%s}`},
		{"POST", live + "/parties", "number", `{"number":%s}`},
		{"POST", "/api/v1/agents/1/login", "endpoint.phone", `{"endpoint":{"kind":"phone","phone":%s}}`},
		{"POST", "/api/v1/leads", "phone", `{"campaign_id":1,"phone":%s}`},
		{"POST", "/api/v1/leads", "phone2", `{"campaign_id":1,"phone":"2125550177","phone2":%s}`},
		{"POST", "/api/v1/agents", "external_phone", `{"name":"X","extension":"4000","sip_password":"sip-pass-9","external_phone":%s}`},
		{"POST", "/api/v1/campaigns", "caller_id", `{"name":"C","dial_mode":"preview","caller_id":%s}`},
		{"PATCH", "/api/v1/agents/2", "external_phone", `{"external_phone":%s}`},
		{"POST", "/api/v1/dids", "number", `{"number":%s}`},
		{"POST", live + "/monitor", "endpoint.phone", `{"endpoint":{"kind":"phone","phone":%s}}`},
	}
}

// TestBadNumbersRefused: every bad number at every number field is a 400
// naming the field, with the engine not asked and nothing written.
func TestBadNumbersRefused(t *testing.T) {
	e := newEnv(t)
	before := e.fingerprint()
	for _, f := range numberFields(e) {
		for _, n := range badNumbers {
			// Empty means "not given" for optional fields; they are
			// covered by the required ones.
			if n == "" && !(f.field == "number" && !strings.Contains(f.path, "/calls/")) && f.field != "phone" {
				continue
			}
			q, _ := json.Marshal(n)
			body := fmt.Sprintf(f.body, q)
			e.eng.reset()
			who := e.agent1
			if strings.HasPrefix(f.path, "/api/v1/leads") || f.path == "/api/v1/agents" || f.path == "/api/v1/campaigns" || f.path == "/api/v1/calls" ||
				f.method == "PATCH" || f.path == "/api/v1/dids" || strings.HasSuffix(f.path, "/monitor") {
				who = e.admin
			}
			rec := e.do(who, f.method, f.path, body)
			if rec.Code != 400 {
				t.Errorf("%s %s %s: %d %s", f.method, f.path, body, rec.Code, rec.Body)
				continue
			}
			if got := errorOf(t, rec); got.Field != f.field {
				t.Errorf("%s %s %q: field %q, want %q (%s)", f.method, f.path, n, got.Field, f.field, got.Message)
			}
			if acts := e.eng.actions(); len(acts) > 0 {
				t.Errorf("%s %s %q: engine asked %v", f.method, f.path, n, acts)
			}
		}
	}
	if e.fingerprint() != before {
		t.Fatal("a refused number wrote to the database")
	}
}

// TestBadInputRefused covers the other fields: 4xx naming the field,
// engine and stores untouched.
func TestBadInputRefused(t *testing.T) {
	e := newEnv(t)
	live := "/api/v1/calls/" + string(e.live1)
	lead := fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID)
	cases := []struct {
		w                  who
		method, path, body string
		code               int
		field              string
	}{
		{e.agent1, "POST", "/api/v1/agents/1/pause", `{"code":"NAP"}`, 400, "code"},
		{e.agent1, "POST", "/api/v1/agents/1/pause", `{}`, 400, "code"},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"pigeon"}}`, 400, "endpoint.kind"},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"sip","extension":"1001,user/1002"}}`, 400, "endpoint.extension"},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"mode":"nailed"}`, 400, "mode"},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"sip","extension":"1002"}}`, 400, "endpoint.extension"},
		{e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":1}}`, 400, "endpoint.kind"},
		{e.agent1, "POST", "/api/v1/agents/x/ready", ``, 400, "id"},
		{e.agent1, "POST", "/api/v1/agents/-1/ready", ``, 400, "id"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"2125550100","caller_id_name":"Bob}{x"}`, 400, "caller_id_name"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"2125550100","campaign_id":-3}`, 400, "campaign_id"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"2125550100"} {}`, 400, "body"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"numbr":"2125550100"}`, 400, "numbr"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `[1]`, 400, "body"},
		{e.agent1, "POST", "/api/v1/calls/not-a-uuid/hangup", ``, 400, "id"},
		{e.agent1, "POST", "/api/v1/calls/" + strings.Repeat("a", 36) + "/hangup", ``, 400, "id"},
		{e.agent1, "POST", live + "/dtmf", `{"digits":"1;2"}`, 400, "digits"},
		{e.agent1, "POST", live + "/dtmf", `{"digits":"12\n"}`, 400, "digits"},
		{e.agent1, "POST", live + "/dtmf", `{"digits":""}`, 400, "digits"},
		{e.agent1, "POST", live + "/dtmf", `{"digits":"` + strings.Repeat("1", 33) + `"}`, 400, "digits"},
		{e.agent1, "POST", live + "/recording", `{}`, 400, "on"},
		{e.agent1, "POST", live + "/recording", `{"on":"yes"}`, 400, "on"},
		{e.agent1, "POST", live + "/transfer", `{}`, 400, "target"},
		{e.agent1, "POST", live + "/transfer", `{"agent_id":2,"number":"2125550100"}`, 400, "target"},
		{e.agent1, "POST", live + "/parties", `{"agent_id":-2}`, 400, "agent_id"},
		{e.agent1, "DELETE", live + "/parties/leg1", ``, 400, "leg"},
		{e.agent1, "POST", live + "/disposition", `{"code":"sale"}`, 400, "code"},
		{e.agent1, "POST", live + "/disposition", `{"code":"NOPE"}`, 400, "code"},
		{e.agent1, "POST", live + "/disposition", `{"code":"NA"}`, 400, "code"},
		{e.agent1, "POST", live + "/disposition", `{"code":"CALLBK"}`, 400, "callback"},
		{e.agent1, "POST", live + "/disposition", `{"code":"SALE","callback":{"date":"2026-12-01","time":"10:00"}}`, 400, "callback"},
		{e.agent1, "POST", live + "/disposition", `{"code":"CALLBK","callback":{"date":"2026-12-01","time":"10:00","time_zone":"Mars/Olympus"}}`, 400, "callback.time_zone"},
		{e.agent1, "POST", live + "/disposition", `{"code":"CALLBK","callback":{"date":"2026-02-30","time":"10:00"}}`, 400, "callback.date"},
		{e.agent1, "POST", live + "/disposition", `{"code":"CALLBK","callback":{"date":"2026-12-01","time":"25:00"}}`, 400, "callback.time"},
		{e.agent1, "POST", live + "/disposition", `{"code":"CALLBK","callback":{"date":"2026-11-20","time":"08:00"}}`, 400, "callback.time"},
		{e.agent1, "PATCH", lead, `{"email":"not an email"}`, 400, "email"},
		{e.agent1, "PATCH", lead, `{"email":"Ann <ann@example.com>"}`, 400, "email"},
		{e.agent1, "PATCH", lead, `{"time_zone":"Local"}`, 400, "time_zone"},
		{e.agent1, "PATCH", lead, `{"time_zone":"Nowhere/Special"}`, 400, "time_zone"},
		{e.agent1, "PATCH", lead, `{"custom":{"bad key":"x"}}`, 400, "custom"},
		{e.agent1, "PATCH", lead, `{"first_name":"` + strings.Repeat("x", 200) + `"}`, 400, "first_name"},
		{e.agent1, "PATCH", lead, `{"phone":"+12125550100"}`, 400, "phone"},
		{e.agent1, "GET", "/api/v1/calls?direction=sideways", ``, 400, "direction"},
		{e.agent1, "GET", "/api/v1/calls?since=yesterday", ``, 400, "since"},
		{e.agent1, "GET", "/api/v1/calls?limit=0", ``, 400, "limit"},
		{e.agent1, "GET", "/api/v1/calls?before=x", ``, 400, "before"},
		{e.sup, "GET", "/api/v1/calls?since=2026-11-20T00:00:00Z&until=2026-11-19T00:00:00Z", ``, 400, "until"},
		{e.agent1, "GET", "/api/v1/callbacks?scope=everyone", ``, 400, "scope"},
		{e.agent1, "GET", "/api/v1/callbacks?status=done", ``, 400, "status"},
		{e.admin, "POST", "/api/v1/calls", `{"number":"2125550100","fields":{"a b":"x"}}`, 400, "fields"},
		{e.admin, "POST", "/api/v1/calls", `{"number":"2125550100","agent_id":"1"}`, 400, "agent_id"},
		{e.admin, "POST", "/api/v1/leads", `{"phone":"2125550100"}`, 400, "campaign_id"},
		{e.admin, "POST", "/api/v1/leads", `{"campaign_id":99,"phone":"2125550100"}`, 400, "campaign_id"},
		{e.admin, "POST", "/api/v1/campaigns", `{"name":"C","dial_mode":"telepathic"}`, 400, "dial_mode"},
		{e.admin, "POST", "/api/v1/campaigns", `{"name":"C","dial_mode":"preview","abandon_message":"../../etc/passwd"}`, 400, "abandon_message"},
		{e.admin, "POST", "/api/v1/campaigns", `{"name":"C","dial_mode":"preview","abandon_message":"x.wav,user/1002"}`, 400, "abandon_message"},
		{e.admin, "POST", "/api/v1/campaigns", `{"name":"C","dial_mode":"preview","settings":[1]}`, 400, "settings"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"1001,user/1","sip_password":"sip-pass-9"}`, 400, "extension"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"4001","sip_password":"short"}`, 400, "sip_password"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"4001","sip_password":"sip-pass-9","skills":["Sales Team"]}`, 400, "skills"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"4001","sip_password":"sip-pass-9","user_id":99}`, 400, "user_id"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"1001","sip_password":"sip-pass-9"}`, 409, "extension"},
		{e.admin, "POST", "/api/v1/agents", `{"name":"X","extension":"4001","sip_password":"sip-pass-9","user_id":3}`, 409, "user_id"},
		{e.admin, "POST", "/api/v1/dispositions", `{"code":"A B","label":"x"}`, 400, "code"},
		{e.admin, "POST", "/api/v1/dispositions", `{"code":"CB2","label":"x","schedules_callback":true,"final":true}`, 400, "final"},
		{e.admin, "POST", "/api/v1/dispositions", `{"code":"CB3","label":"x","schedules_callback":true,"marks_dnc":true}`, 400, "marks_dnc"},
		{e.admin, "POST", "/api/v1/api-keys", `{"name":"","role":"agent"}`, 400, "name"},
		{e.admin, "POST", "/api/v1/api-keys", `{"name":"k","role":"root"}`, 400, "role"},
		{e.admin, "POST", "/api/v1/api-keys", `{"name":"k","role":"agent","expires_at":"2020-01-01T00:00:00Z"}`, 400, "expires_at"},
		{e.admin, "POST", "/api/v1/users", `{"username":"eve","role":"agent","password":"` + strings.Repeat("p", 73) + `"}`, 400, "password"},
		{e.agent1, "POST", "/api/v1/agents/1/dial", `{"number":"` + strings.Repeat("1", 2<<20) + `"}`, 413, "body"},

		{e.sup, "POST", live + "/monitor", `{"mode":"spy"}`, 400, "mode"},
		{e.sup, "POST", live + "/monitor", `{"mode":"LISTEN"}`, 400, "mode"},
		{e.sup, "POST", live + "/monitor", `{"modus":"listen"}`, 400, "modus"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"sip","extension":"1003","uri":"sip:x"}}`, 400, "uri"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"sip","extension":"1"}}`, 400, "endpoint.extension"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"sip","phone":"2125550100"}}`, 400, "endpoint.phone"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"phone","extension":"1003"}}`, 400, "endpoint.extension"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"phone"}}`, 400, "endpoint.phone"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":{"kind":"pigeon"}}`, 400, "endpoint.kind"},
		{e.sup, "POST", live + "/monitor", `{"endpoint":"1003"}`, 400, "endpoint"},
		{e.sup, "POST", live + "/monitor", ``, 400, "body"},
		{e.sup, "POST", "/api/v1/calls/x/monitor", `{}`, 400, "id"},
		{e.sup, "POST", live + "/monitor/leg1", `{"mode":"barge"}`, 400, "leg"},
		{e.sup, "POST", live + "/monitor/" + string(dialer.NewLegID()), `{}`, 400, "mode"},
		{e.sup, "POST", live + "/monitor/" + string(dialer.NewLegID()), `{"mode":"barge","extra":1}`, 400, "extra"},
		{e.sup, "DELETE", live + "/monitor/not-a-leg", ``, 400, "leg"},

		{e.admin, "PATCH", "/api/v1/agents/x", `{}`, 400, "id"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"sip_a1_hash":"00"}`, 400, "sip_a1_hash"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"realm":"evil.example"}`, 400, "realm"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"sip_password":"short"}`, 400, "sip_password"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"extension":"2002"}`, 400, "sip_password"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"extension":"1001","sip_password":"sip-pass-9"}`, 409, "extension"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"mode":"nailed"}`, 400, "mode"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"disabled":"yes"}`, 400, "disabled"},
		{e.admin, "PATCH", "/api/v1/agents/2", `{"name":""}`, 400, "name"},

		{e.admin, "POST", "/api/v1/gateways", `{"proxy":"sip.carrier.example"}`, 400, "name"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw"}`, 400, "proxy"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"Carrier","proxy":"sip.carrier.example"}`, 400, "name"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"_all_","proxy":"sip.carrier.example"}`, 400, "name"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example:99999"}`, 400, "proxy"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","register":true}`, 400, "register"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","transport":"sctp"}`, 400, "transport"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","expire_seconds":5}`, 400, "expire_seconds"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","ping_seconds":-1}`, 400, "ping_seconds"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","password":"` + strings.Repeat("p", 129) + `"}`, 400, "password"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","password":"pässword"}`, 400, "password"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","id":7}`, 400, "id"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","has_password":true}`, 400, "has_password"},
		{e.admin, "POST", "/api/v1/gateways", `{"name":"gw","proxy":"sip.carrier.example","expire_seconds":"600"}`, 400, "expire_seconds"},
		{e.admin, "GET", "/api/v1/gateways/0", ``, 400, "id"},
		{e.admin, "GET", "/api/v1/gateways/99", ``, 404, ""},
		{e.admin, "PATCH", "/api/v1/gateways/99", `{}`, 404, ""},
		{e.admin, "DELETE", "/api/v1/gateways/x", ``, 400, "id"},

		{e.admin, "POST", "/api/v1/dids", `{}`, 400, "number"},
		{e.admin, "POST", "/api/v1/dids", `{"number":"2125550100","queue":"Sales Team"}`, 400, "queue"},
		{e.admin, "POST", "/api/v1/dids", `{"number":"2125550100","campaign_id":99}`, 400, "campaign_id"},
		{e.admin, "POST", "/api/v1/dids", `{"number":"2125550100","campaign_id":-1}`, 400, "campaign_id"},
		{e.admin, "POST", "/api/v1/dids", `{"number":"2125550100","name":"` + strings.Repeat("n", 129) + `"}`, 400, "name"},
		{e.admin, "POST", "/api/v1/dids", `{"number":"2125550100","agent_id":1}`, 400, "agent_id"},
		{e.admin, "PATCH", "/api/v1/dids/abc", `{}`, 400, "id"},
		{e.admin, "PATCH", "/api/v1/dids/+1%0A2125550100", `{}`, 400, "id"},
		{e.admin, "PATCH", "/api/v1/dids/+12125550100", `{"number":"+12125550101"}`, 400, "number"},
		{e.admin, "PATCH", "/api/v1/dids/+12125550100", `{}`, 404, ""},
		{e.admin, "DELETE", "/api/v1/dids/+12125550100", ``, 404, ""},
	}
	before := e.fingerprint()
	for _, c := range cases {
		e.eng.reset()
		rec := e.do(c.w, c.method, c.path, c.body)
		if rec.Code != c.code {
			t.Errorf("%s %s %.80s: %d %.200s, want %d", c.method, c.path, c.body, rec.Code, rec.Body, c.code)
			continue
		}
		if got := errorOf(t, rec); got.Field != c.field {
			t.Errorf("%s %s %.80s: field %q (%s), want %q", c.method, c.path, c.body, got.Field, got.Message, c.field)
		}
		if acts := e.eng.actions(); len(acts) > 0 {
			t.Errorf("%s %s %.80s: engine asked %v", c.method, c.path, c.body, acts)
		}
	}
	if e.fingerprint() != before {
		t.Fatal("refused input wrote to the database")
	}
}

// TestNumbersReachTheEngineNormalized: what the engine gets is E.164.
func TestNumbersReachTheEngineNormalized(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.keyAgent, "POST", "/api/v1/calls", `{"number":"(212) 555-0100","caller_id_number":"+1 646 555 0199","caller_id_name":"ACME Sales","campaign_id":1,"fields":{"source":"web"}}`)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := e.eng.called("StartCall")[0]
	r := got.Arg.(dialer.OutboundRequest)
	if r.Number != "+12125550100" || r.CallerIDNumber != "+16465550199" || r.Origin != dialer.OriginAPI || r.Fields["source"] != "web" || got.Actor.APIKey == 0 {
		t.Fatalf("engine got %+v by %+v", r, got.Actor)
	}
	e.eng.reset()
	if rec := e.do(e.agent1, "POST", "/api/v1/calls/"+string(e.live1)+"/transfer", `{"number":"646.555.0123"}`); rec.Code != 204 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if tt := e.eng.called("BlindTransfer")[0].Arg.(dialer.TransferTarget); tt.Number != "+16465550123" || tt.Agent != 0 {
		t.Fatalf("transfer target %+v", tt)
	}
	e.eng.reset()
	if rec := e.do(e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"phone","phone":"646 555 0100"},"mode":"persistent"}`); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.agent1, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"sip","extension":"1001"}}`); rec.Code != 200 {
		t.Fatalf("own extension: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.sup, "POST", "/api/v1/agents/1/login", `{"endpoint":{"kind":"sip","extension":"1050"}}`); rec.Code != 200 {
		t.Fatalf("supervisor seats agent 1 at 1050: %d %s", rec.Code, rec.Body)
	}
	lr := e.eng.called("Login")[0].Arg.(dialer.LoginRequest)
	if lr.Endpoint.Kind != dialer.EndpointPhone || lr.Endpoint.Phone != "+16465550100" || lr.Mode != dialer.ModePersistent {
		t.Fatalf("login %+v", lr)
	}
}

func TestLeadPanel(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/api/v1/leads/%d", e.lead1.ID)
	rec := e.do(e.agent1, "PATCH", path, `{"first_name":"Lee","last_name":"Park","email":"lee@example.com","time_zone":"America/Denver","custom":{"plan":null,"tier":"2"}}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	l := decodeBody[dialer.Lead](t, rec)
	if l.LastName != "Park" || l.Email != "lee@example.com" || l.TimeZone != "America/Denver" || l.Custom["tier"] != "2" || l.Custom["plan"] != "" || l.Phone != e.lead1.Phone {
		t.Fatalf("patched %+v", l)
	}
	// Two edits of different fields at once both land (each is applied
	// over the other's write).
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"custom":{"k%d":"v"}}`, i)
			if i%2 == 0 {
				body = fmt.Sprintf(`{"first_name":"Lee%d","custom":{"k%d":"v"}}`, i, i)
			}
			if rec := e.do(e.agent1, "PATCH", path, body); rec.Code != 200 {
				t.Errorf("concurrent patch %d: %d %s", i, rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	l = decodeBody[dialer.Lead](t, e.do(e.agent1, "GET", path, ""))
	for i := range 6 {
		if l.Custom[fmt.Sprintf("k%d", i)] != "v" {
			t.Fatalf("concurrent edit %d lost: %v", i, l.Custom)
		}
	}
	if l.LastName != "Park" || l.Email != "lee@example.com" {
		t.Fatalf("an edit undid another: %+v", l)
	}
	// A lead of a recent (ended) call stays editable for a day.
	e.eng.setCall(dialer.CallView{ID: e.live1, Agent: 1, Lead: e.lead1.ID, State: dialer.LiveEnded})
	if rec := e.do(e.agent1, "GET", path, ""); rec.Code != 200 {
		t.Fatalf("recent: %d", rec.Code)
	}
	e.clock.Advance(25 * time.Hour)
	if rec := e.do(who{cookie: e.login("ann")}, "GET", path, ""); rec.Code != 403 {
		t.Fatalf("a day later: %d", rec.Code)
	}
	if rec := e.do(who{cookie: e.login("sup")}, "GET", path, ""); rec.Code != 200 {
		t.Fatalf("supervisor: %d", rec.Code)
	}
	// The script panel.
	rec = e.do(who{cookie: e.login("ann")}, "GET", fmt.Sprintf("/api/v1/campaigns/%d", e.campaign.ID), "")
	if rec.Code != 200 || decodeBody[dialer.Campaign](t, rec).Script != "Hello {first_name}" {
		t.Fatalf("campaign: %d %s", rec.Code, rec.Body)
	}
}
