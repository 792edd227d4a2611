package sim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/esl"
)

// carriersDoc is the directory document the service's mod_xml_curl
// handler serves for purpose=gateways.
const carriersDoc = `<document type="freeswitch/xml"><section name="directory"><domain name="carriers"><groups><group name="gateways"><users><user id="gateways"><gateways>` +
	`<gateway name="trunk1"><param name="proxy" value="sip.example.net"/><param name="username" value="acme"/><param name="password" value="pw"/><param name="register" value="true"/></gateway>` +
	`<gateway name="peer2"><param name="proxy" value="10.0.0.9:5070"/><param name="register" value="false"/></gateway>` +
	`</gateways></user></users></group></groups></domain></section></document>`

func gatewayEvent(c *client, gw, state string) *esl.Event {
	c.t.Helper()
	return c.waitEvent(gw+" "+state, func(ev *esl.Event) bool {
		return ev.Subclass() == SubclassGatewayState && ev.Get("Gateway") == gw && ev.Get("State") == state
	})
}

// A rescan reads the gateways over mod_xml_curl's request: one that
// registers goes TRYING then REGED, one that does not goes NOREG; `sofia
// status` lists them; a failed registration fires FAILED with the SIP
// reply; killgw forgets the gateway.
func TestGatewayStateEvents(t *testing.T) {
	var form map[string]string
	xmlcurl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "freeswitch" || p != "s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		form = map[string]string{"section": r.PostForm.Get("section"), "purpose": r.PostForm.Get("purpose"), "profile": r.PostForm.Get("profile")}
		w.Write([]byte(carriersDoc))
	}))
	defer xmlcurl.Close()

	s := startServer(t, Config{})
	s.SetGatewaySource(XMLCurlGateways(xmlcurl.URL, "freeswitch", "s3cret", "carriers"))
	c := authed(t, s, "plain CUSTOM sofia::gateway_state")

	if out := c.api("sofia profile carriers rescan"); !strings.Contains(out, "+OK scan complete") {
		t.Fatalf("rescan: %q", out)
	}
	if form["section"] != "directory" || form["purpose"] != "gateways" || form["profile"] != "carriers" {
		t.Fatalf("xml_curl request %v", form)
	}
	try := gatewayEvent(c, "trunk1", "TRYING")
	reged := gatewayEvent(c, "trunk1", "REGED")
	if try.Sequence() >= reged.Sequence() || reged.Get("Ping-Status") != "UP" || reged.Get("Status") != "200" {
		t.Fatalf("TRYING %d, REGED %d %s", try.Sequence(), reged.Sequence(), reged)
	}
	if ev := gatewayEvent(c, "peer2", "NOREG"); ev.Get("Event-Name") != "CUSTOM" || ev.Get("Event-Calling-Function") != "sofia_reg_fire_custom_gateway_state_event" {
		t.Fatalf("NOREG event %s", ev)
	}
	status := c.api("sofia status")
	for _, row := range []string{"carriers::trunk1\tgateway", "\tREGED\n", "carriers::peer2\tgateway", "\tNOREG\n"} {
		if !strings.Contains(status, row) {
			t.Errorf("sofia status lacks %q:\n%s", row, status)
		}
	}

	if !s.FailGateway("trunk1", 403, "Forbidden") {
		t.Fatal("FailGateway: no trunk1")
	}
	failed := gatewayEvent(c, "trunk1", "FAILED")
	if failed.Get("Status") != "403" || failed.Get("Phrase") != "Forbidden" || failed.Get("Ping-Status") != "DOWN" {
		t.Fatalf("FAILED event %s", failed)
	}
	if st, _ := s.GatewayState("trunk1"); st != "FAILED" {
		t.Fatalf("state %q after a failure", st)
	}
	// A second rescan starts nothing new and leaves the failure alone.
	c.api("sofia profile carriers rescan")
	if st, _ := s.GatewayState("trunk1"); st != "FAILED" {
		t.Fatalf("state %q after a rescan", st)
	}
	if out := c.api("sofia profile carriers killgw trunk1"); !strings.HasPrefix(out, "+OK") {
		t.Fatalf("killgw: %q", out)
	}
	if _, ok := s.GatewayState("trunk1"); ok || strings.Contains(c.api("sofia status"), "trunk1") {
		t.Fatal("trunk1 still running after killgw")
	}
}

// Without a source, a rescan starts no gateway, as before.
func TestRescanWithoutSource(t *testing.T) {
	s := startServer(t, Config{})
	c := authed(t, s, "")
	if out := c.api("sofia profile carriers rescan"); !strings.Contains(out, "+OK scan complete") {
		t.Fatalf("rescan: %q", out)
	}
	if strings.Contains(c.api("sofia status"), "gateway") {
		t.Fatal("a gateway started without a source")
	}
}
