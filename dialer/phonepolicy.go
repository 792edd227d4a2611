package dialer

import "strings"

// premiumRanges are E.164 prefixes an agent's or supervisor's phone may
// never be: dialing them costs the service money (toll fraud) and they
// are where diverted audio would be sold. Leads are not checked here.
var premiumRanges = []struct {
	Prefix string
	What   string
}{
	{"+1900", "NANP premium rate (900)"},
	{"+1976", "NANP pay-per-call (976)"},
	{"+4470", "UK personal numbering (070)"},
	{"+449", "UK premium rate (09)"},
	{"+3389", "France premium rate (089)"},
	{"+49900", "Germany premium rate (0900)"},
	{"+61190", "Australia premium rate (190x)"},
	{"+881", "Global Mobile Satellite System (high cost)"},
	{"+882", "International Networks (high cost)"},
}

// PremiumRate reports whether an E.164 number is in a premium-rate or
// high-cost range (premiumRanges).
func PremiumRate(phone string) bool {
	for _, r := range premiumRanges {
		if strings.HasPrefix(phone, r.Prefix) {
			return true
		}
	}
	return false
}

// ValidPhonePrefix reports whether p is "+" and 1 to 15 digits, an entry
// of the agents' phone allow-list.
func ValidPhonePrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// checkAgentPhone decides whether an agent's session may ring phone: the
// seat's own external phone, or (set by a supervisor) a number the
// allow-list covers; never a premium-rate one. Anything else lets a login
// call any number at the service's cost, with lead audio on it.
func (e *Engine) checkAgentPhone(a Actor, ag Agent, phone string) error {
	if PremiumRate(phone) {
		return &FieldError{Field: "endpoint.phone", Reason: "premium-rate and high-cost numbers are refused"}
	}
	if phone == ag.ExternalPhone {
		return nil
	}
	if !a.Role.AtLeast(RoleSupervisor) {
		return &FieldError{Field: "endpoint.phone", Reason: "an agent logs in on its seat's external phone"}
	}
	for _, p := range e.cfg.AgentPhoneAllow {
		if strings.HasPrefix(phone, p) {
			return nil
		}
	}
	return &FieldError{Field: "endpoint.phone", Reason: "not the seat's external phone nor in the allowed prefixes (AGENTSWITCH_AGENT_PHONE_ALLOW)"}
}
