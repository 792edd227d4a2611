package esl

// Commands that apply provisioning changes: sofia gateways and
// registrations, and mod_xml_curl's cache.

// SofiaRescanCmd makes a profile read its gateways again (new ones start;
// changed ones must be killed first): sofia profile <profile> rescan.
func SofiaRescanCmd(profile string) (Command, error) {
	if err := ValidateName("profile", profile); err != nil {
		return Command{}, err
	}
	return Command{Name: "sofia", Args: "profile " + profile + " rescan"}, nil
}

// SofiaKillGatewayCmd stops and forgets a gateway:
// sofia profile <profile> killgw <gateway>. FreeSWITCH answers
// "-ERR no such gateway." for one it does not have.
func SofiaKillGatewayCmd(profile, gateway string) (Command, error) {
	if err := ValidateName("profile", profile); err != nil {
		return Command{}, err
	}
	if err := ValidateName("gateway", gateway); err != nil {
		return Command{}, err
	}
	if gateway == "_all_" {
		return Command{}, invalid("gateway", "must name one gateway")
	}
	return Command{Name: "sofia", Args: "profile " + profile + " killgw " + gateway}, nil
}

// SofiaFlushRegistrationCmd drops a user's registrations on a profile and
// asks the phone to reboot (a deleted or disabled agent):
// sofia profile <profile> flush_inbound_reg <user>@<domain> reboot.
func SofiaFlushRegistrationCmd(profile, user, domain string) (Command, error) {
	if err := ValidateName("profile", profile); err != nil {
		return Command{}, err
	}
	if err := ValidateName("user", user); err != nil {
		return Command{}, err
	}
	if err := ValidateHost("domain", domain); err != nil {
		return Command{}, err
	}
	return Command{Name: "sofia", Args: "profile " + profile + " flush_inbound_reg " + user + "@" + domain + " reboot"}, nil
}

// StatusCmd reads the switch's uptime and session counts (text).
func StatusCmd() Command { return Command{Name: "status"} }

// SofiaStatusCmd lists profiles and gateways with their state (text).
func SofiaStatusCmd() Command { return Command{Name: "sofia", Args: "status"} }

// SofiaGatewayStatusCmd reports one gateway (text; "Invalid Gateway!" if
// unknown): sofia status gateway <gateway>.
func SofiaGatewayStatusCmd(gateway string) (Command, error) {
	if err := ValidateName("gateway", gateway); err != nil {
		return Command{}, err
	}
	return Command{Name: "sofia", Args: "status gateway " + gateway}, nil
}

// SofiaRegistrationsCmd lists a profile's registrations (text):
// sofia status profile <profile> reg.
func SofiaRegistrationsCmd(profile string) (Command, error) {
	if err := ValidateName("profile", profile); err != nil {
		return Command{}, err
	}
	return Command{Name: "sofia", Args: "status profile " + profile + " reg"}, nil
}

// XMLFlushCacheCmd empties mod_xml_curl's cache of one directory user, or
// the whole cache when user is empty: xml_flush_cache [id <user> <domain>].
// reloadxml does not touch this cache.
func XMLFlushCacheCmd(user, domain string) (Command, error) {
	if user == "" && domain == "" {
		return Command{Name: "xml_flush_cache"}, nil
	}
	if err := ValidateName("user", user); err != nil {
		return Command{}, err
	}
	if err := ValidateHost("domain", domain); err != nil {
		return Command{}, err
	}
	return Command{Name: "xml_flush_cache", Args: "id " + user + " " + domain}, nil
}
