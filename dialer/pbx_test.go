package dialer

import "testing"

func TestNormalizeDID(t *testing.T) {
	for in, want := range map[string]string{"+15551230000": "+15551230000", "15551230000": "+15551230000", "004930123456": "+4930123456"} {
		if got, err := NormalizeDID(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "+", "abc", "0123", "+0123456789", "1555;x"} {
		if _, err := NormalizeDID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDIDValidate(t *testing.T) {
	ok := DID{Number: "+15551230000", Name: "Sales", Queue: "sales", Campaign: 3, Enabled: true}
	for _, tc := range []struct {
		name  string
		edit  func(*DID)
		field string
	}{
		{"valid", func(*DID) {}, ""},
		{"no queue", func(d *DID) { d.Queue = "" }, ""},
		{"highest priority", func(d *DID) { d.Priority = MaxCallerPriority }, ""},
		{"lowest priority", func(d *DID) { d.Priority = -MaxCallerPriority }, ""},
		{"priority above the bound", func(d *DID) { d.Priority = MaxCallerPriority + 1 }, "priority"},
		{"priority below the bound", func(d *DID) { d.Priority = -MaxCallerPriority - 1 }, "priority"},
		{"number not E.164", func(d *DID) { d.Number = "15551230000" }, "number"},
		{"queue name", func(d *DID) { d.Queue = "Sales Team" }, "queue"},
		{"negative campaign", func(d *DID) { d.Campaign = -1 }, "campaign_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			checkField(t, d.Validate(), tc.field)
		})
	}
}

func TestDIDPatchPriority(t *testing.T) {
	d := DID{Number: "+15551230000", Priority: 5, Enabled: true}
	DIDPatch{}.Apply(&d)
	if d.Priority != 5 {
		t.Fatalf("an empty patch changed the priority to %d", d.Priority)
	}
	p := -20
	DIDPatch{Priority: &p}.Apply(&d)
	if d.Priority != -20 || !d.Enabled {
		t.Fatalf("after the patch %+v", d)
	}
}

func TestGatewayNameAndProxy(t *testing.T) {
	for _, ok := range []string{"carrier", "c1.b-2_x", "0trunk"} {
		if !ValidGatewayName(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "-x", ".x", "_x", "Up", "a/b", "a b", "a:b"} {
		if ValidGatewayName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range []string{"sip.example.com", "10.0.0.1:5060", "h:65535"} {
		if !validHostPort(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", ":5060", "h:", "h:0", "h:070", "h:65536", "a b", "h;transport=tcp", "[::1]:5060"} {
		if validHostPort(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
