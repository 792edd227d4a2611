package esl

import (
	"errors"
	"strings"
	"testing"
)

func TestPBXCommandText(t *testing.T) {
	must := func(c Command, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	for _, tc := range []struct{ got, want string }{
		{must(SofiaRescanCmd("carriers")), "sofia profile carriers rescan"},
		{must(SofiaKillGatewayCmd("carriers", "carrier-a")), "sofia profile carriers killgw carrier-a"},
		{must(SofiaFlushRegistrationCmd("agents", "1001", "pbx.example.com")), "sofia profile agents flush_inbound_reg 1001@pbx.example.com reboot"},
		{SofiaStatusCmd().String(), "sofia status"},
		{must(SofiaGatewayStatusCmd("carrier-a")), "sofia status gateway carrier-a"},
		{must(SofiaRegistrationsCmd("agents")), "sofia status profile agents reg"},
		{must(XMLFlushCacheCmd("1001", "127.0.0.1")), "xml_flush_cache id 1001 127.0.0.1"},
		{must(XMLFlushCacheCmd("", "")), "xml_flush_cache"},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
}

func TestPBXCommandsRefuseInjection(t *testing.T) {
	type check struct {
		field string
		fn    func(string) (Command, error)
	}
	checks := []check{
		{"profile", func(v string) (Command, error) { return SofiaRescanCmd(v) }},
		{"profile", func(v string) (Command, error) { return SofiaKillGatewayCmd(v, "gw") }},
		{"gateway", func(v string) (Command, error) { return SofiaKillGatewayCmd("carriers", v) }},
		{"user", func(v string) (Command, error) { return SofiaFlushRegistrationCmd("agents", v, "example.com") }},
		{"domain", func(v string) (Command, error) { return SofiaFlushRegistrationCmd("agents", "1001", v) }},
		{"gateway", func(v string) (Command, error) { return SofiaGatewayStatusCmd(v) }},
		{"profile", func(v string) (Command, error) { return SofiaRegistrationsCmd(v) }},
		{"user", func(v string) (Command, error) { return XMLFlushCacheCmd(v, "example.com") }},
		{"domain", func(v string) (Command, error) { return XMLFlushCacheCmd("1001", v) }},
	}
	for _, c := range checks {
		for _, v := range injections {
			if c.field == "domain" && v == strings.Repeat("9", 100) {
				continue // a long host name is still a host name
			}
			cmd, err := c.fn(v)
			if err == nil {
				t.Errorf("%s: %q accepted as %q", c.field, v, cmd.String())
				continue
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %q: error %v does not name the field", c.field, v, err)
			}
		}
	}
	// killgw _all_ would stop every gateway.
	if _, err := SofiaKillGatewayCmd("carriers", "_all_"); err == nil {
		t.Error("killgw _all_ accepted")
	}
	// A domain may not smuggle a second word (reboot/flags).
	if _, err := SofiaFlushRegistrationCmd("agents", "1001", "example.com reboot"); err == nil {
		t.Error("domain with a space accepted")
	}
}
