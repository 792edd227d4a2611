package phone

import "github.com/nyaruka/phonenumbers"

// Region is the ISO 3166 alpha-2 country of an E.164 number ("" when
// unknown), so that a number can be checked against allowed countries.
func Region(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}
