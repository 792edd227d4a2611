package phone

import "testing"

func TestRegion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+493012345678", "DE"},
		{"+12025550123", "US"},
		{"+442079460000", "GB"},
		{"nonsense", ""},
	} {
		if got := Region(tc.in); got != tc.want {
			t.Errorf("Region(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
