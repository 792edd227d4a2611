package dialer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

func plainEvent(t *testing.T, headers ...string) (*esl.Event, []byte) {
	t.Helper()
	body := []byte(strings.Join(headers, "\n") + "\n\n")
	ev, err := esl.ParseEvent(esl.TypeEventPlain, body)
	if err != nil {
		t.Fatal(err)
	}
	return ev, body
}

// TestDecodeEvent: each kind yields the fields the engine acts on, copied
// out of the read buffer (scribbling over it afterwards changes nothing).
func TestDecodeEvent(t *testing.T) {
	const leg = "0b6c5a2e-1c1f-4a43-9f0a-0d3e3c1b2a10"
	at := time.UnixMicro(1767000000123456)
	ans := time.UnixMicro(1767000000000001)
	for _, tc := range []struct {
		name    string
		headers []string
		ok      bool
		want    switchEvent
	}{
		{"heartbeat", []string{"Event-Name: HEARTBEAT"}, false, switchEvent{}},
		{"no channel", []string{"Event-Name: CHANNEL_ANSWER"}, false, switchEvent{}},
		{"ignored kind", []string{"Event-Name: CHANNEL_CREATE", "Unique-ID: " + leg}, false, switchEvent{}},
		{"answer", []string{"Event-Name: CHANNEL_ANSWER", "Unique-ID: " + leg, "Event-Date-Timestamp: 1767000000123456"}, true,
			switchEvent{kind: esl.EventChannelAnswer, leg: leg, node: "n1", at: at}},
		{"bridge", []string{"Event-Name: CHANNEL_BRIDGE", "Unique-ID: " + leg, "Bridge-B-Unique-ID: b-leg"}, true,
			switchEvent{kind: esl.EventChannelBridge, leg: leg, node: "n1", bridgeB: "b-leg"}},
		{"hangup", []string{"Event-Name: CHANNEL_HANGUP", "Unique-ID: " + leg, "Hangup-Cause: USER_BUSY",
			"Event-Date-Timestamp: 1767000000123456", "Caller-Channel-Answered-Time: 1767000000000001"}, true,
			switchEvent{kind: esl.EventChannelHangup, leg: leg, node: "n1", at: at, answeredAt: ans, hangupCause: "USER_BUSY"}},
		{"inbound on a number", []string{"Event-Name: CHANNEL_PARK", "Unique-ID: " + leg, "Call-Direction: inbound",
			"Caller-Caller-ID-Number: %2B15551230001", "variable_agentswitch_did: %2B15557654321",
			"variable_agentswitch_queue: sales", "variable_agentswitch_campaign_id: 7", "Event-Date-Timestamp: 1767000000123456"}, true,
			switchEvent{kind: esl.EventChannelPark, leg: leg, node: "n1", at: at, inbound: true, callerNum: "+15551230001",
				did: "+15557654321", queue: "sales", campaign: 7}},
		{"inbound with a priority and skills", []string{"Event-Name: CHANNEL_PARK", "Unique-ID: " + leg, "Call-Direction: inbound",
			"Caller-Caller-ID-Number: 15551230001", "variable_agentswitch_did: %2B15557654321", "variable_agentswitch_queue: sales",
			"variable_agentswitch_priority: 7", "variable_agentswitch_skills: spanish,billing,BAD%20ONE,spanish", "Event-Date-Timestamp: 1767000000123456"}, true,
			switchEvent{kind: esl.EventChannelPark, leg: leg, node: "n1", at: at, inbound: true, callerNum: "15551230001",
				did: "+15557654321", queue: "sales", priority: 7, skills: []string{"spanish", "billing"}}},
		{"inbound with a priority out of bounds", []string{"Event-Name: CHANNEL_PARK", "Unique-ID: " + leg, "Call-Direction: inbound",
			"Caller-Caller-ID-Number: 15551230001", "variable_agentswitch_did: %2B15557654321", "variable_agentswitch_queue: sales",
			"variable_agentswitch_priority: 101", "Event-Date-Timestamp: 1767000000123456"}, true,
			switchEvent{kind: esl.EventChannelPark, leg: leg, node: "n1", at: at, inbound: true, callerNum: "15551230001",
				did: "+15557654321", queue: "sales"}},
		{"agent dialed on its phone", []string{"Event-Name: CHANNEL_PARK", "Unique-ID: " + leg, "Call-Direction: inbound",
			"variable_agentswitch_leg_role: " + RoleAgentDial, "variable_agentswitch_dialed: 0612345678", "variable_agentswitch_agent_id: 12"}, true,
			switchEvent{kind: esl.EventChannelPark, leg: leg, node: "n1", inbound: true, legRole: RoleAgentDial, dialed: "0612345678", agent: 12}},
		{"outbound park reads no variables", []string{"Event-Name: CHANNEL_PARK", "Unique-ID: " + leg, "Call-Direction: outbound",
			"variable_agentswitch_did: %2B15557654321"}, true,
			switchEvent{kind: esl.EventChannelPark, leg: leg, node: "n1"}},
		{"bridge app failed", []string{"Event-Name: CHANNEL_EXECUTE_COMPLETE", "Unique-ID: " + leg, "Application: bridge",
			"variable_originate_disposition: USER_BUSY"}, true,
			switchEvent{kind: esl.EventChannelExecuteComplete, leg: leg, node: "n1", bridgeDone: true, disposition: "USER_BUSY"}},
		{"other app", []string{"Event-Name: CHANNEL_EXECUTE_COMPLETE", "Unique-ID: " + leg, "Application: playback"}, true,
			switchEvent{kind: esl.EventChannelExecuteComplete, leg: leg, node: "n1"}},
		{"conference", []string{"Event-Name: CUSTOM", "Event-Subclass: conference%3A%3Amaintenance", "Unique-ID: " + leg,
			"Action: add-member", "Member-ID: 4"}, true,
			switchEvent{kind: esl.SubclassConference, leg: leg, node: "n1", confAction: "add-member", member: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, body := plainEvent(t, tc.headers...)
			got, ok := decodeEvent("n1", ev)
			for i := range body {
				body[i] = 'X'
			}
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
