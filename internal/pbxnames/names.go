// Package pbxnames holds the names that the service and FreeSWITCH's
// configuration must spell the same way. Names in the first groups appear
// in pbx-config/ (checked by this package's test); the last group appears
// only in the XML the service serves over mod_xml_curl (package pbx, whose
// test checks them).
package pbxnames

// SIP profiles (pbx-config/sip_profiles/).
const (
	// ProfileAgents registers the agents' phones (UDP, TCP, WS, WSS).
	ProfileAgents = "agents"
	// ProfileCarriers holds the carrier gateways and takes calls to DIDs.
	ProfileCarriers = "carriers"
)

// Dialplan contexts (pbx-config/dialplan/).
const (
	// ContextAgents is where calls from agents' phones land: a number dialed
	// by a provisioned agent is answered and parked for the service.
	ContextAgents = "agentswitch_agents"
	// ContextInbound is where carriers' calls land. The service serves this
	// context over xml_curl for the DIDs it knows; the static copy refuses
	// with 503.
	ContextInbound = "agentswitch_inbound"
	// ContextTransfer is the target of blind transfers: an agent extension
	// is rung directly, anything else is parked for the service.
	ContextTransfer = "agentswitch_transfer"
)

// Conference profiles (pbx-config/autoload_configs/conference.conf.xml).
const (
	// ConferenceProfile is for warm transfers and three-way calls; a lone
	// member hears hold music.
	ConferenceProfile = "agentswitch"
	// ConferenceProfileAgent is a persistent agent's own room, silent while
	// the agent waits alone.
	ConferenceProfileAgent = "agentswitch_agent"
)

// Channel variables that pbx-config's dialplan reads or sets. The service
// sets them on the legs it originates too, so every event of a leg says
// which call and role it belongs to.
const (
	VarCallID   = "agentswitch_call_id"
	VarLegRole  = "agentswitch_leg_role"
	VarAgentID  = "agentswitch_agent_id"
	VarDialed   = "agentswitch_dialed"
	VarTransfer = "agentswitch_transfer_target"
)

// Values of VarLegRole that the dialplan sets.
const (
	// RoleAgentDial is an agent's phone dialing out.
	RoleAgentDial = "agent_dial"
	// RoleTransfer is the leg a blind transfer rang.
	RoleTransfer = "transfer"
)

// Phrase macros (pbx-config/lang/en/), played to waiting callers as
// phrase:<macro>:<number> (esl.AnnounceCmd).
const (
	// PhraseQueuePosition says "you are number N in line".
	PhraseQueuePosition = "agentswitch_queue_position"
	// PhraseQueueWait says "your estimated hold time is M minutes".
	PhraseQueueWait = "agentswitch_queue_wait"
)

// Global variables (pbx-config/vars.xml).
const (
	// VarHoldMusic is FreeSWITCH's own hold_music variable: what uuid_hold
	// plays to the partner and a conference plays to a lone member.
	VarHoldMusic = "hold_music"
	// VarDomain is the agents' SIP domain and digest realm; an agent's
	// Realm must equal it.
	VarDomain = "agentswitch_domain"
	// VarCarriersDomain is the directory domain whose users carry the
	// carrier gateways (sofia reads them with purpose=gateways).
	VarCarriersDomain = "agentswitch_carriers_domain"
	// VarRingback is what a lead hears while a blind transfer rings its
	// target (the service sets transfer_ringback to it on the bridge).
	VarRingback = "agentswitch_ringback"
)

// XMLCurlPath is the path of the service's mod_xml_curl endpoint; the full
// URL is the agentswitch_xml_curl_url variable.
const XMLCurlPath = "/fs/xml"

// XMLCurlUser is the basic-auth user FreeSWITCH sends with the shared secret.
const XMLCurlUser = "freeswitch"

// Names in the XML the service serves (package pbx): the dialplan of a DID
// and the directory entry of an agent.
const (
	// VarDID is the E.164 DID an inbound call came in on.
	VarDID = "agentswitch_did"
	// VarQueue is the DID's queue.
	VarQueue = "agentswitch_queue"
	// VarCampaignID is the DID's campaign.
	VarCampaignID = "agentswitch_campaign_id"
	// VarPriority is the DID's priority: its callers rank in their queue
	// by it, higher first.
	VarPriority = "agentswitch_priority"
	// VarSkills is the DID's skills, sorted and comma-separated: its
	// callers are offered only to members with every one.
	VarSkills = "agentswitch_skills"
	// RoleInbound is a caller who dialed a DID.
	RoleInbound = "inbound"
)
