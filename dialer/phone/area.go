package phone

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// AreaCode returns the country code and geographic area code of an E.164
// number ("+1415" for +14155550100), or "" when the number has none
// (mobiles in most countries, non-geographic ranges, invalid numbers).
// Local presence matches callers on it.
func AreaCode(number string) string {
	if !Valid(number) {
		return ""
	}
	pn, err := phonenumbers.Parse(number, "")
	if err != nil {
		return ""
	}
	n := phonenumbers.GetLengthOfGeographicalAreaCode(pn)
	if n == 0 {
		return ""
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	if n > len(nsn) {
		return ""
	}
	return "+" + strconv.Itoa(int(pn.GetCountryCode())) + nsn[:n]
}
