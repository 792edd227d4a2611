package dialer

import (
	"strings"

	"github.com/agentswitch/agentswitch/dialer/phone"
)

// PremiumRate reports whether an E.164 number is in a premium-rate or
// high-cost range (phone.Premium).
func PremiumRate(number string) bool { return phone.Premium(number) }

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
