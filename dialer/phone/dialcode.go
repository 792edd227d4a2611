package phone

import (
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DialCode is the international calling code of a region ("DE" → 49), 0
// when the region is unknown.
func DialCode(region string) int {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region))
}

// Regions are the regions Normalize can read, sorted (the "001"
// non-geographic entities are not countries a visitor picks).
func Regions() []string {
	var out []string
	for r := range phonenumbers.GetSupportedRegions() {
		if len(r) == 2 {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}
