package esl

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	uA = "09ab4360-f929-4d30-80ce-581b8bd18408"
	uB = "aad00a83-c12d-4b10-bb94-561ec2c5ef97"
)

// injections are values that would change a dial string or start a new ESL
// header or command if they reached FreeSWITCH unchecked.
var injections = []string{
	"1001,user/1002",           // second leg, rings all at once
	"1001|user/1002",           // second leg, rings in turn
	"{origination_uuid=x}1001", // variable block
	"[leg_var=1]1001",          // per-leg variables
	"<ent=1>1001",              // enterprise variables
	"1001;transport=tcp",       // URI parameter / inline separator
	"^^:a=b:c=d",               // separator switch
	"1001 &bridge(user/1002)",  // extra argument
	"1001\nbgapi originate x",  // new command line
	"1001\r\nJob-UUID: x",      // new header
	"1001\tx",                  // tab
	"${system(rm -rf /)}",      // variable expansion
	"'1001'",                   // quote closes the caller's quoting
	"1001\\,2",                 // escaped comma
	"\x00",                     // NUL
	"1001\x7f",                 // DEL
	"\u00a0",                   // non-ASCII space
	"",                         // empty
	strings.Repeat("9", 100),   // too long
	"+",                        // sign alone
	"12 34",                    // inner space
	" 1234",                    // leading space
	"1234\n",                   // trailing newline
	"sofia/gateway/x/1",        // endpoint in a number
	"1001@evil.example",        // domain in a number
	"1001`id`",                 // backtick
	"\"1001\"",                 // double quote
	"1001]",                    // closing bracket
	"1001}",                    // closing brace
	"1001>",                    // closing angle
}

func TestInjectionCorpusRefused(t *testing.T) {
	type check struct {
		field string
		fn    func(string) (Command, error)
	}
	checks := []check{
		{"number", func(v string) (Command, error) {
			return Originate{UUID: uA, Endpoint: GatewayEndpoint{Gateway: "carrier", Number: v}}.Command()
		}},
		{"user", func(v string) (Command, error) {
			return Originate{UUID: uA, Endpoint: UserEndpoint{User: v}}.Command()
		}},
		{"caller_id_number", func(v string) (Command, error) {
			return Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, CallerIDNumber: v}.Command()
		}},
		{"uuid", func(v string) (Command, error) {
			return Originate{UUID: v, Endpoint: UserEndpoint{User: "1001"}}.Command()
		}},
		{"uuid", func(v string) (Command, error) { return HoldCmd(v, true) }},
		{"uuid_b", func(v string) (Command, error) { return BridgeCmd(uA, v) }},
		{"digits", func(v string) (Command, error) { return SendDTMFCmd(uA, v, 0) }},
		{"room", func(v string) (Command, error) { return TransferToConferenceCmd(uA, LegBoth, v, "") }},
		{"exten", func(v string) (Command, error) { return TransferCmd(uA, LegSelf, Extension{Exten: v}) }},
		{"gateway", func(v string) (Command, error) {
			return Originate{UUID: uA, Endpoint: GatewayEndpoint{Gateway: v, Number: "15551234567"}}.Command()
		}},
		{"cause", func(v string) (Command, error) { return KillCmd(uA, v+"X") }},
	}
	for _, c := range checks {
		for _, v := range injections {
			if (c.field == "cause" || c.field == "caller_id_number") && v == "" {
				continue // optional fields: empty means "not set"
			}
			cmd, err := c.fn(v)
			if err == nil {
				t.Errorf("%s=%q accepted: %q", c.field, v, cmd.String())
				continue
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s=%q: error %v is not a FieldError", c.field, v, err)
				continue
			}
			if fe.Field != c.field {
				t.Errorf("%s=%q: error names field %q", c.field, v, fe.Field)
			}
		}
	}
}

func TestFreeTextFields(t *testing.T) {
	ok := []string{"ACME Sales", "Dr. O-Neil", "Jane_Doe 2"}
	bad := []string{"Smith, John", "a\nb", "x'y", "a{b}", "a|b", "a;b", "  x", "a^b", "a$b", "a<b>"}
	for _, v := range ok {
		if _, err := (Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, CallerIDName: v}).Command(); err != nil {
			t.Errorf("caller id name %q refused: %v", v, err)
		}
	}
	for _, v := range bad {
		_, err := (Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, CallerIDName: v}).Command()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "caller_id_name" {
			t.Errorf("caller id name %q: %v", v, err)
		}
	}
	_, err := (Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, Vars: map[string]string{"lead_id": "1,2"}}).Command()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "vars.lead_id" {
		t.Errorf("var value with comma: %v", err)
	}
	_, err = (Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, Vars: map[string]string{"origination_uuid": uB}}).Command()
	if !errors.As(err, &fe) || fe.Field != "vars.origination_uuid" {
		t.Errorf("reserved var: %v", err)
	}
	_, err = (Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001"}, Vars: map[string]string{"bad name": "x"}}).Command()
	if !errors.As(err, &fe) || fe.Field != "vars" {
		t.Errorf("bad var name: %v", err)
	}
}

func TestCommandText(t *testing.T) {
	must := func(c Command, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	for _, tc := range []struct{ got, want string }{
		{must(Originate{
			UUID: uA, Endpoint: GatewayEndpoint{Gateway: "carrier", Number: "+15557654321"},
			CallerIDNumber: "15551230000", CallerIDName: "ACME Sales", Timeout: 20 * time.Second,
			IgnoreEarlyMedia: true, Vars: map[string]string{"park_after_bridge": "true", "as_call": "c1"},
		}.Command()),
			"originate {origination_uuid=" + uA + ",ignore_early_media=true,originate_timeout=20,origination_caller_id_number=15551230000,origination_caller_id_name='ACME Sales',as_call=c1,park_after_bridge=true}sofia/gateway/carrier/+15557654321 &park()"},
		{must(Originate{UUID: uA, Endpoint: UserEndpoint{User: "1001", Domain: "pbx.local"}}.Command()),
			"originate {origination_uuid=" + uA + "}user/1001@pbx.local &park()"},
		{must(Originate{UUID: uA, Endpoint: SIPEndpoint{Profile: "internal", User: "lead", Host: "127.0.0.1:5091"}, App: ConferenceApp{Room: "wt-42", Profile: "default"}}.Command()),
			"originate {origination_uuid=" + uA + "}sofia/internal/sip:lead@127.0.0.1:5091 &conference(wt-42@default)"},
		{must(Originate{UUID: uA, Endpoint: UserEndpoint{User: "2001"}, App: Eavesdrop{Target: uB}}.Command()),
			"originate {origination_uuid=" + uA + "}user/2001 &eavesdrop(" + uB + ")"},
		{must(Originate{UUID: uA, Endpoint: UserEndpoint{User: "2001"}, App: Eavesdrop{Target: uB, Mode: Whisper}}.Command()),
			"originate {origination_uuid=" + uA + ",eavesdrop_whisper_bleg=true}user/2001 &eavesdrop(" + uB + ")"},
		{must(Originate{UUID: uA, Endpoint: UserEndpoint{User: "2001"}, App: Eavesdrop{Target: uB, Mode: Barge}}.Command()),
			"originate {origination_uuid=" + uA + "}user/2001 &three_way(" + uB + ")"},
		{must(Originate{UUID: uA, Endpoint: LoopbackEndpoint{Exten: "9664"}, App: Extension{Exten: "1000"}}.Command()),
			"originate {origination_uuid=" + uA + "}loopback/9664 1000 XML default"},
		{must(BridgeCmd(uA, uB)), "uuid_bridge " + uA + " " + uB},
		{must(HoldCmd(uA, true)), "uuid_hold " + uA},
		{must(HoldCmd(uA, false)), "uuid_hold off " + uA},
		{must(MuteCmd(uA, true)), "uuid_audio " + uA + " start read mute 1"},
		{must(MuteCmd(uA, false)), "uuid_audio " + uA + " stop"},
		{must(TransferCmd(uA, LegSelf, Extension{Exten: "9664"})), "uuid_transfer " + uA + " 9664 XML default"},
		{must(TransferCmd(uA, LegB, Extension{Exten: "9664", Context: "agents"})), "uuid_transfer " + uA + " -bleg 9664 XML agents"},
		{must(TransferToConferenceCmd(uA, LegBoth, "wt-42", "default")), "uuid_transfer " + uA + " -both conference:wt-42@default,park inline"},
		{must(ParkCmd(uA, LegSelf)), "uuid_transfer " + uA + " park inline"},
		{must(ConferenceDialCmd("wt-42", "", Originate{UUID: uB, Endpoint: SIPEndpoint{Profile: "internal", User: "third", Host: "127.0.0.1:5093"}, CallerIDNumber: "5551234", CallerIDName: "Third Party"})),
			"conference wt-42 dial {origination_uuid=" + uB + "}sofia/internal/sip:third@127.0.0.1:5093 5551234 Third_Party"},
		{must(ConferenceMemberCmd("wt-42", ConfKick, 7)), "conference wt-42 kick 7"},
		{must(ConferenceListCmd("wt-42")), "conference wt-42 list"},
		{must(SendDTMFCmd(uA, "1234#", 0)), "uuid_send_dtmf " + uA + " 1234#"},
		{must(SendDTMFCmd(uA, "5", 250*time.Millisecond)), "uuid_send_dtmf " + uA + " 5@250"},
		{must(RecvDTMFCmd(uA, "2")), "uuid_recv_dtmf " + uA + " 2"},
		{must(RecordCmd(uA, true, "/var/lib/agentswitch/rec/c1.wav", time.Hour)), "uuid_record " + uA + " start /var/lib/agentswitch/rec/c1.wav 3600"},
		{must(RecordCmd(uA, false, "/var/lib/agentswitch/rec/c1.wav", 0)), "uuid_record " + uA + " stop /var/lib/agentswitch/rec/c1.wav"},
		{must(BroadcastCmd(uA, "/usr/share/agentswitch/consent.wav", BroadcastALeg)), "uuid_broadcast " + uA + " /usr/share/agentswitch/consent.wav aleg"},
		{must(KillCmd(uA, "")), "uuid_kill " + uA},
		{must(KillCmd(uA, "USER_BUSY")), "uuid_kill " + uA + " USER_BUSY"},
		{must(SetVarCmd(uA, "as_note", "hello world")), "uuid_setvar " + uA + " as_note hello world"},
		{must(SetVarCmd(uA, "as_note", "")), "uuid_setvar " + uA + " as_note"},
		{must(GetVarCmd(uA, "bridge_uuid")), "uuid_getvar " + uA + " bridge_uuid"},
		{must(ExistsCmd(uA)), "uuid_exists " + uA},
		{ShowChannelsCmd().String(), "show channels as json"},
		{must(HoldMusicCmd(uA, true)), "uuid_broadcast " + uA + " ${hold_music} aleg"},
		{must(HoldMusicCmd(uA, false)), "uuid_break " + uA + " all"},
		{must(PlayAndHangupCmd(uA, "/usr/share/agentswitch/abandon.wav")), "uuid_transfer " + uA + " playback:/usr/share/agentswitch/abandon.wav,hangup inline"},
		{must(BridgeOutCmd(BridgeOut{Leg: uA, Dial: Originate{UUID: uB, Endpoint: GatewayEndpoint{Gateway: "carrier", Number: "+15557654321"}, CallerIDNumber: "15551230000", Timeout: 30 * time.Second, Vars: map[string]string{"agentswitch_call_id": "c1"}}})),
			"uuid_transfer " + uA + " m:^:set:continue_on_fail=true^bridge:{origination_uuid=" + uB + ",originate_timeout=30,origination_caller_id_number=15551230000,agentswitch_call_id=c1}sofia/gateway/carrier/+15557654321^park inline"},
		{must(BridgeOutCmd(BridgeOut{Leg: uA, Dial: Originate{UUID: uB, Endpoint: UserEndpoint{User: "1002"}}, ThenHangup: true})),
			"uuid_transfer " + uA + " m:^:set:continue_on_fail=true^bridge:{origination_uuid=" + uB + "}user/1002^hangup inline"},
		{must(BridgeOutCmd(BridgeOut{Leg: uA, Dial: Originate{UUID: uB, Endpoint: UserEndpoint{User: "1002"}, Vars: map[string]string{"agentswitch_call_id": "c1"}}, Ringback: "${agentswitch_ringback}"})),
			"uuid_transfer " + uA + " m:^:set:continue_on_fail=true^set:transfer_ringback=${agentswitch_ringback}^bridge:{origination_uuid=" + uB + ",agentswitch_call_id=c1,instant_ringback=true}user/1002^park inline"},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
}

// TestBridgeOutRingback: the ringback travels inside an inline dialplan
// and may not break out of it.
func TestBridgeOutRingback(t *testing.T) {
	dial := Originate{UUID: uB, Endpoint: UserEndpoint{User: "1002"}}
	for _, r := range []string{"${agentswitch_ringback}", "%(2000,4000,440,480)", "tone_stream://%(400,200,400,450);loops=-1", "/var/sounds/ring.wav"} {
		if _, err := BridgeOutCmd(BridgeOut{Leg: uA, Dial: dial, Ringback: r}); err != nil {
			t.Errorf("%q refused: %v", r, err)
		}
	}
	for _, r := range []string{"a b", "x^hangup", "a\nb", "it's"} {
		var fe *FieldError
		if _, err := BridgeOutCmd(BridgeOut{Leg: uA, Dial: dial, Ringback: r}); !errors.As(err, &fe) || fe.Field != "ringback" {
			t.Errorf("%q: %v", r, err)
		}
	}
}

func TestPathValidation(t *testing.T) {
	for _, p := range []string{"/var/rec/a.wav", "local_stream://moh", "rec/2026-11-23/c1.wav"} {
		if err := ValidatePath("path", p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"../etc/passwd", "/var/../x", "a b.wav", "a;b", "x.wav\n", "tone_stream://%(100,0,500)"} {
		if err := ValidatePath("path", p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestSoundValidation(t *testing.T) {
	for _, p := range []string{"/var/rec/a.wav", "tone_stream://%(250,0,880)", "tone_stream://v=-7;%(100,0,941.0)"} {
		if err := ValidateSound("path", p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"tone_stream://", "tone_stream://%(1,0,2) x", "tone_stream://a\nb", "tone_stream://$${x}", "a,b.wav", "system::x"} {
		if err := ValidateSound("path", p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
	if _, err := BroadcastCmd("4c2b86e2-8e6f-4c83-9c3c-6a0f3e6c1a10", "tone_stream://%(250,0,880)", BroadcastALeg); err != nil {
		t.Errorf("a tone refused: %v", err)
	}
}

func TestReplyErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		want error
	}{
		{"+OK\n", nil},
		{"+OK Success\n", nil},
		{"-ERR No such channel!\n", ErrNoSuchChannel},
		{"-ERR Invalid uuid\n", ErrNoSuchChannel},
		{"-ERR Cannot locate session!\n", ErrNoSuchChannel},
		{"-ERR Operation failed\n", ErrCommandFailed},
		{"-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n", ErrCommandFailed},
		{"-ERR nosuchcommand Command not found!\n", ErrCommandFailed},
	} {
		err := checkReply(Command{Name: "x"}, tc.body)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.body, err, tc.want)
		}
	}
}

func TestParseChannels(t *testing.T) {
	rows, err := parseChannels("{\"row_count\": 0}\n")
	if err != nil || len(rows) != 0 {
		t.Fatalf("empty: %v %v", rows, err)
	}
	rows, err = parseChannels(`{"row_count":1,"rows":[{"uuid":"` + uA + `","direction":"outbound","name":"sofia/internal/lead@127.0.0.1:5091","state":"CS_EXECUTE","callstate":"ACTIVE","application":"park"}]}`)
	if err != nil || len(rows) != 1 || rows[0].UUID != uA || rows[0].CallState != "ACTIVE" {
		t.Fatalf("rows: %+v %v", rows, err)
	}
}

func TestParseConferenceList(t *testing.T) {
	body := "9;sofia/internal/sip:third@127.0.0.1:5093;" + uB + ";Third_Party;5551234;hear|speak|talking;0;0;100\n" +
		"8;sofia/internal/sip:lead@127.0.0.1:5091;" + uA + ";Outbound Call;lead;hear|speak|floor;0;0;100\n"
	m, err := parseConferenceList(body)
	if err != nil || len(m) != 2 || m[0].ID != 9 || m[0].UUID != uB || !m[0].Talking || m[1].CIDName != "Outbound Call" {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestSubscriptionOrder(t *testing.T) {
	got, err := subscription([]string{EventChannelAnswer, EventCustom, SubclassConference, EventChannelHangup})
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, " "); s != "BACKGROUND_JOB HEARTBEAT CHANNEL_ANSWER CHANNEL_HANGUP CUSTOM conference::maintenance" {
		t.Fatalf("got %s", s)
	}
	got, _ = subscription([]string{EventChannelAnswer, SubclassConference, EventChannelHangup})
	if s := strings.Join(got, " "); s != "BACKGROUND_JOB HEARTBEAT CHANNEL_ANSWER CHANNEL_HANGUP CUSTOM conference::maintenance" {
		t.Fatalf("got %s", s)
	}
	if _, err := subscription([]string{"CHANNEL_ANSWER\nexit"}); err == nil {
		t.Fatal("event name with newline accepted")
	}
}
