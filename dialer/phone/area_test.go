package phone

import "testing"

func TestAreaCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+14155550100", "+1415"},
		{"+12125550100", "+1212"},
		{"+33140000000", "+331"},   // Paris landline
		{"+33612345678", ""},       // French mobile: no area
		{"+442079460000", "+4420"}, // London
		{"not a number", ""},
		{"", ""},
	} {
		if got := AreaCode(tc.in); got != tc.want {
			t.Errorf("AreaCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
