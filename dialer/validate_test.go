package dialer

import (
	"errors"
	"testing"
)

func TestTokens(t *testing.T) {
	cases := []struct {
		f    func(string) bool
		s    string
		want bool
	}{
		{ValidTag, "campaign:12", true},
		{ValidTag, "skill:es-mx", true},
		{ValidTag, "Skill:ES", false},
		{ValidTag, "a b", false},
		{ValidTag, "", false},
		{ValidSkill, "spanish", true},
		{ValidSkill, "a:b", false},
		{ValidFieldName, "Order_ID", true},
		{ValidFieldName, "order-id", false},
		{ValidDispositionCode, "CALLBK", true},
		{ValidDispositionCode, "callbk", false},
		{ValidExtension, "1001", true},
		{ValidExtension, "1", false},
		{ValidExtension, "10a1", false},
		{ValidTimeZone, "Europe/Paris", true},
		{ValidTimeZone, "", true},
		{ValidTimeZone, "Local", false},
		{ValidTimeZone, "Mars/Olympus", false},
	}
	for _, c := range cases {
		if got := c.f(c.s); got != c.want {
			t.Errorf("%q: got %v, want %v", c.s, got, c.want)
		}
	}
}

func TestIDs(t *testing.T) {
	c := NewCallID()
	if !c.Valid() || !NewLegID().Valid() {
		t.Fatal("new ids invalid")
	}
	for _, bad := range []CallID{"", "x", "6CDBBF52-8B50-4BE4-B8F2-120D64A40214", "6cdbbf52-8b50-4be4-b8f2-120d64a4021}", "6cdbbf52+8b50-4be4-b8f2-120d64a40214"} {
		if bad.Valid() {
			t.Errorf("%q valid", bad)
		}
	}
	if id, err := ParseAgentID("42"); err != nil || id != 42 || id.String() != "42" {
		t.Fatal(id, err)
	}
	for _, bad := range []string{"", "0", "-1", "4x"} {
		if _, err := ParseAgentID(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAgentID(%q) = %v", bad, err)
		}
	}
}

func TestTransitionValidate(t *testing.T) {
	call := NewCallID()
	cases := []struct {
		tr   Transition
		want error
	}{
		{Transition{Agent: 1, From: AgentPaused, To: AgentReady}, nil},
		{Transition{Agent: 0, From: AgentPaused, To: AgentReady}, ErrInvalid},
		{Transition{Agent: 1, From: AgentReady, To: AgentReserved, Call: call}, ErrInvalidTransition},
		{Transition{Agent: 1, From: AgentInCall, To: AgentReady}, ErrInvalidTransition},
		{Transition{Agent: 1, From: AgentPaused, To: AgentRinging}, ErrInvalid},
		{Transition{Agent: 1, From: AgentPaused, To: AgentRinging, Call: call}, nil},
		{Transition{Agent: 1, From: AgentPaused, To: AgentRinging, Call: "bad"}, ErrInvalid},
		{Transition{Agent: 1, From: AgentReady, To: AgentPaused, PauseCode: "LUNCH"}, nil},
		{Transition{Agent: 1, From: AgentReady, To: AgentPaused, PauseCode: "a b"}, ErrInvalid},
	}
	for i, c := range cases {
		if err := c.tr.Validate(); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("case %d: %v, want %v", i, err, c.want)
		}
	}
}

// TestSessionEndpoint: a restart rings the endpoint the session's login
// settled, and the agent's own extension when the live store holds none
// or one no login accepts.
func TestSessionEndpoint(t *testing.T) {
	a := Agent{ID: 7, Extension: "1001", ExternalPhone: "+12125550142"}
	own := AgentEndpoint{Kind: EndpointSIP, Extension: "1001"}
	for _, tc := range []struct {
		name string
		kept AgentEndpoint
		want AgentEndpoint
	}{
		{"none kept", AgentEndpoint{}, own},
		{"own extension", own, own},
		{"another extension", AgentEndpoint{Kind: EndpointSIP, Extension: "2001"}, AgentEndpoint{Kind: EndpointSIP, Extension: "2001"}},
		{"external phone", AgentEndpoint{Kind: EndpointPhone, Phone: "+12125550142"}, AgentEndpoint{Kind: EndpointPhone, Phone: "+12125550142"}},
		{"premium phone", AgentEndpoint{Kind: EndpointPhone, Phone: "+19005550199"}, own},
		{"phone not E.164", AgentEndpoint{Kind: EndpointPhone, Phone: "12125550142"}, own},
		{"unknown kind", AgentEndpoint{Kind: "fax", Phone: "+12125550142"}, own},
	} {
		if got := sessionEndpoint(a, AgentStatus{Agent: a.ID, State: AgentReady, Endpoint: tc.kept}); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestTransferTargetValidate(t *testing.T) {
	cases := []struct {
		name  string
		t     TransferTarget
		field string // "" when valid
		party string // ValidateParty's field, when it differs
	}{
		{"agent", TransferTarget{Agent: 2}, "", ""},
		{"number", TransferTarget{Number: "+12125550100"}, "", ""},
		{"queue", TransferTarget{Queue: 3}, "", "queue_id"},
		{"none", TransferTarget{}, "target", ""},
		{"agent and number", TransferTarget{Agent: 2, Number: "+12125550100"}, "target", ""},
		{"agent and queue", TransferTarget{Agent: 2, Queue: 3}, "target", ""},
		{"queue and number", TransferTarget{Queue: 3, Number: "+12125550100"}, "target", ""},
		{"all three", TransferTarget{Agent: 2, Queue: 3, Number: "+12125550100"}, "target", ""},
		{"negative agent", TransferTarget{Agent: -2}, "agent_id", ""},
		{"negative queue", TransferTarget{Queue: -3}, "queue_id", ""},
		{"number not E.164", TransferTarget{Number: "2125550100"}, "number", ""},
		{"number with a dial string", TransferTarget{Number: "+1212,user/1001"}, "number", ""},
	}
	fieldOf := func(err error) string {
		if err == nil {
			return ""
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			return "not a FieldError: " + err.Error()
		}
		return fe.Field
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fieldOf(c.t.Validate()); got != c.field {
				t.Errorf("Validate: field %q, want %q", got, c.field)
			}
			party := c.party
			if party == "" {
				party = c.field
			}
			if got := fieldOf(c.t.ValidateParty()); got != party {
				t.Errorf("ValidateParty: field %q, want %q", got, party)
			}
		})
	}
}
