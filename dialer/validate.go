package dialer

import (
	"sync"
	"time"
	_ "time/tzdata" // lead time zones must resolve on hosts without zoneinfo

	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// ValidPhone reports whether s is an E.164 number (phone.Valid, the one
// rule). Nothing else can reach a dial string.
func ValidPhone(s string) bool { return phone.Valid(s) }

// ValidExtension reports whether s is 2-10 digits, the SIP user name of an
// agent's phone.
func ValidExtension(s string) bool {
	if len(s) < 2 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidTimeZone reports whether tz is an IANA zone name ("" is allowed and
// means the campaign's default).
func ValidTimeZone(tz string) bool {
	if tz == "" {
		return true
	}
	if tz == "Local" {
		return false
	}
	if _, ok := knownZones.Load(tz); ok {
		return true
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return false
	}
	knownZones.Store(tz, struct{}{})
	return true
}

// knownZones holds the names that loaded: LoadLocation reads the zone
// file each time, and a lead import checks a zone on every row. Only
// real zones are kept, so the set is bounded by the zone database.
var knownZones sync.Map

// validToken reports whether s is 1-max characters of [a-z0-9_:.-]; used
// for routing tags and custom field names, which end up in Redis keys and
// templates.
func validToken(s string, max int, upper bool) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == ':', c == '.', c == '-':
		case upper && 'A' <= c && c <= 'Z':
		default:
			return false
		}
	}
	return true
}

// ValidTag reports whether s can be a routing tag: 1-64 characters of
// [a-z0-9_:.-].
func ValidTag(s string) bool { return validToken(s, 64, false) }

// CampaignTag is the routing tag of agents assigned to a campaign.
func CampaignTag(id CampaignID) string { return campaignTagPrefix + id.String() }

const campaignTagPrefix = "campaign:"

// SkillTag is the routing tag of agents having a skill.
func SkillTag(skill string) string { return "skill:" + skill }

// ValidSkill reports whether s is a skill name: 1-32 of [a-z0-9_.-].
func ValidSkill(s string) bool {
	if !validToken(s, 32, false) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return false
		}
	}
	return true
}

// ValidFieldName reports whether s can name a lead custom field: 1-32 of
// [A-Za-z0-9_] (the lc_param_<name> rule, widened to upper case and 32).
func ValidFieldName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidDispositionCode reports whether s is 1-16 of [A-Z0-9_].
func ValidDispositionCode(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkText returns a FieldError when s is not valid UTF-8, longer than max
// bytes, or (when required) empty.
func checkText(field, s string, max int, required bool) error {
	return inputerr.CheckText(field, s, max, required)
}
