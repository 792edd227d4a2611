package redisstore

import "github.com/agentswitch/agentswitch/dialer"

// Every Redis key and channel the store uses, relative to the configurable
// prefix P (default "as:"). Times are Unix milliseconds from the service's
// clock. Only browser credentials have a TTL: leases and heartbeats are
// deadlines in sorted sets, swept explicitly, so that every expiry is a
// published transition.
//
// For Redis Cluster, use a prefix with a hash tag, e.g. "{as}:": the Lua
// scripts touch agent hashes found at run time, so all keys must share one
// slot.
//
//	P agent:<id>          HASH    one agent's live state, fields below
//	P agent:<id>:tags     SET     the agent's routing tags (skill:x, campaign:7, queue:3)
//	P agents              SET     ids of all registered agents (snapshot)
//	P ready               ZSET    READY agents, score = idle-since (ms): lowest = longest idle
//	P ready:<tag>         ZSET    READY agents having <tag>, same score
//	P readynode:<node>    ZSET    READY agents whose persistent line is on switch node <node>, same score
//	P readyany            ZSET    READY agents with no line node (ring mode), same score
//	P leases              ZSET    RESERVED agents, score = lease deadline (ms)
//	P heartbeats          ZSET    agents, score = heartbeat deadline (ms)
//	P events              CHANNEL JSON agent events, published by the same script that changes state
//	P marker              STRING  set by the service; missing means Redis lost its data
//	P hopper:<campaign>   ZSET    leads ready to dial, score = rank (lowest claimed first)
//	P hopper:<campaign>:claimed ZSET leads claimed by a caller, score = claim deadline (ms)
//	P webrtc:<id>         STRING  the agent's browser SIP credential, JSON {"user","a1","exp"}, TTL = its lifetime
//
// Invariants kept by every script: an agent is in P ready (and in P ready:<t>
// for each of its tags, and in P readynode:<its node> or, without one, P
// readyany) iff its state is READY; it is in P leases iff it is RESERVED.
const (
	keyAgent      = "agent:"     // + id
	keyTagsSuffix = ":tags"      // P agent:<id>:tags
	keyAgents     = "agents"     //
	keyReady      = "ready"      // and "ready:" + tag
	keyLeases     = "leases"     //
	keyHeartbeats = "heartbeats" //
	chanEvents    = "events"     //
	keyMarker     = "marker"     //
	keyHopper     = "hopper:"    // + campaign id
	keyWebRTC     = "webrtc:"    // + agent id
	// P hopper:<campaign>:claimed
	keyClaimsSuffix = ":claimed"
)

// Fields of the P agent:<id> hash.
const (
	fState  = "state"  // AgentState name: READY, INCALL, ...
	fSince  = "since"  // ms, entry into the current state
	fReason = "reason" // free text of the last transition
	fCall   = "call"   // call id while RESERVED/RINGING/INCALL/DISPO, else ""
	fPause  = "pause"  // pause code while PAUSED, else ""
	fMode   = "mode"   // ring | persistent
	fNode   = "node"   // switch node of a persistent agent's line, "" for none
	fIdle   = "idle"   // ms, idle-since: the READY score, kept through RESERVED/RINGING
	fLease  = "lease"  // ms, lease deadline while RESERVED, else ""
	fLogin  = "login"  // ms, session start (LOGGED_OUT -> PAUSED); totals reset then
	fCalls  = "calls"  // INCALL entries this session
	fSeq    = "seq"    // transitions so far; events carry it
	fTotal  = "t:"     // + state name: ms spent in that state this session
	// The session's endpoint: kind sip | phone ("" outside a session),
	// then its SIP extension or its E.164 number.
	fEndpoint      = "endpoint"
	fEndpointExt   = "endpoint_ext"
	fEndpointPhone = "endpoint_phone"
)

// Event JSON, published on P events:
//
//	{"agent":"42","from":"READY","to":"RESERVED","reason":"dialer",
//	 "at":"1700000000000","call":"<uuid>","pause":"","seq":7}
//
// "at" is a string of ms so that Lua's number formatting cannot round it.
type wireEvent struct {
	Agent  dialer.AgentID    `json:"agent,string"`
	From   dialer.AgentState `json:"from"`
	To     dialer.AgentState `json:"to"`
	Reason string            `json:"reason"`
	At     int64             `json:"at,string"`
	Call   dialer.CallID     `json:"call"`
	Pause  string            `json:"pause"`
	Seq    int64             `json:"seq"`
}

type keys struct{ p string }

func (k keys) agent(id dialer.AgentID) string { return k.p + keyAgent + id.String() }
func (k keys) tags(id dialer.AgentID) string  { return k.p + keyAgent + id.String() + keyTagsSuffix }
func (k keys) agents() string                 { return k.p + keyAgents }
func (k keys) ready() string                  { return k.p + keyReady }
func (k keys) leases() string                 { return k.p + keyLeases }
func (k keys) marker() string                 { return k.p + keyMarker }
func (k keys) heartbeats() string             { return k.p + keyHeartbeats }
func (k keys) events() string                 { return k.p + chanEvents }
