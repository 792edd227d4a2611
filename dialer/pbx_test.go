package dialer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

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
		{"no skills", func(d *DID) { d.Skills = []string{} }, ""},
		{"skills", func(d *DID) { d.Skills = []string{"spanish", "billing.l2", "vip_1", "after-hours"} }, ""},
		{"most skills", func(d *DID) { d.Skills = skillNames(MaxMemberSkills) }, ""},
		{"too many skills", func(d *DID) { d.Skills = skillNames(MaxMemberSkills + 1) }, "skills"},
		{"skill with a capital", func(d *DID) { d.Skills = []string{"ok", "Spanish"} }, "skills[1]"},
		{"empty skill", func(d *DID) { d.Skills = []string{""} }, "skills[0]"},
		{"skill with a comma", func(d *DID) { d.Skills = []string{"a,b"} }, "skills[0]"},
		{"skill with a space", func(d *DID) { d.Skills = []string{"a b"} }, "skills[0]"},
		{"skill expanding a variable", func(d *DID) { d.Skills = []string{"${uuid}"} }, "skills[0]"},
		{"skill too long", func(d *DID) { d.Skills = []string{strings.Repeat("a", 33)} }, "skills[0]"},
		{"skill twice", func(d *DID) { d.Skills = []string{"a", "b", "a"} }, "skills[2]"},
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

// skillNames is n distinct valid skills.
func skillNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("skill%d", i)
	}
	return out
}

func TestDIDPatchSkills(t *testing.T) {
	d := DID{Number: "+15551230000", Skills: []string{"billing"}, Priority: 3}
	DIDPatch{}.Apply(&d)
	if !slices.Equal(d.Skills, []string{"billing"}) {
		t.Fatalf("an empty patch changed the skills to %v", d.Skills)
	}
	skills := []string{"spanish", "vip"}
	DIDPatch{Skills: &skills}.Apply(&d)
	if !slices.Equal(d.Skills, skills) || d.Priority != 3 {
		t.Fatalf("after the patch %+v", d)
	}
	none := []string{}
	DIDPatch{Skills: &none}.Apply(&d)
	if d.Skills == nil || len(d.Skills) != 0 {
		t.Fatalf("after clearing %+v", d)
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
