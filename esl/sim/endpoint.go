package sim

import (
	"sort"
	"strings"
	"time"
)

// Outcome is what a dialled destination does with the call.
type Outcome int

const (
	// Answer rings, then answers (the default).
	Answer Outcome = iota
	// Busy rings, then refuses with 486: USER_BUSY.
	Busy
	// NoAnswer rings until originate_timeout: NO_ANSWER (FreeSWITCH CANCELs).
	NoAnswer
	// Unreachable fails at once with NORMAL_TEMPORARY_FAILURE, as an ICMP
	// port unreachable does, without ringing.
	Unreachable
	// Rejected rings, then declines with 603: CALL_REJECTED.
	Rejected
	// NotRegistered: a directory user with no registration,
	// USER_NOT_REGISTERED (only for user/ destinations).
	NotRegistered
	// UnknownUser: no such directory user, SUBSCRIBER_ABSENT.
	UnknownUser
	// Fail ends the attempt with Behavior.Cause after Behavior.Ring.
	Fail
)

// Behavior scripts a destination. The zero value rings after
// Config.RingDelay and answers after Config.AnswerDelay.
type Behavior struct {
	Outcome Outcome
	// Ring is when the 180 Ringing arrives (0: Config.RingDelay; negative:
	// never, the destination answers or fails without ringing).
	Ring time.Duration
	// AnswerAfter is when the 200 OK arrives, from the INVITE (0:
	// Config.AnswerDelay). For Busy, Rejected and Fail it is when the
	// final response arrives.
	AnswerAfter time.Duration
	// EarlyMedia sends a 183 with SDP at Ring instead of a 180.
	EarlyMedia bool
	// HangupAfter makes the far end send BYE this long after answer
	// (Hangup-Cause NORMAL_CLEARING, sip_hangup_disposition recv_bye).
	HangupAfter time.Duration
	// EchoDTMF sends every digit FreeSWITCH plays to it back as RFC 2833,
	// which FreeSWITCH reports as DTMF with DTMF-Source RTP (sipp -rtp_echo).
	EchoDTMF bool
	// Machine makes the destination an answering machine: the `amd`
	// application (mod_amd) decides MACHINE instead of HUMAN.
	Machine bool
	// Cause is the hangup cause for Outcome Fail (e.g. "NO_ROUTE_DESTINATION").
	Cause string
	// UserAgent is the peer's SIP User-Agent (sip_user_agent).
	UserAgent string
	// BareSIP makes the far end answer like the e2e tier's sipgo phones:
	// no User-Agent and no Allow header, and a Contact without parameters,
	// so the leg has no sip_user_agent, sip_allow or sip_contact_params
	// (a sipp peer, the default, sends all three).
	BareSIP bool
}

// user is one directory entry for user/<ext>. Extensions not in the table
// exist and are registered.
type user struct {
	id         string
	unknown    bool // not in the directory: SUBSCRIBER_ABSENT
	registered bool
	vars       []field // the directory's <variables> for the user
}

// lookupUser returns whether ext exists and is registered. Callers hold s.mu.
func (s *Server) lookupUser(ext string) (exists, registered bool) {
	u := s.users[ext]
	if u == nil {
		return true, true
	}
	return !u.unknown, u.registered
}

// userContact is the registered contact port of an extension.
func userContact(ext string) string {
	n := 0
	for i := 0; i < len(ext); i++ {
		n = n*31 + int(ext[i])
	}
	return "127.0.0.1:" + itoa(20000+n%10000)
}

// SetEndpoint scripts what destination dest does when dialled. dest is a
// number (sofia/gateway/gw/<number>), a SIP user (sofia/internal/sip:<user>@host),
// a full "user@host[:port]", or a directory extension (user/<ext>).
func (s *Server) SetEndpoint(dest string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[dest] = b
}

// ClearEndpoints forgets every scripted destination.
func (s *Server) ClearEndpoints() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints = map[string]Behavior{}
}

// SetUser sets whether directory user <id> is registered. By default every
// extension exists and is registered; an unregistered one fails user/<id>
// with USER_NOT_REGISTERED.
func (s *Server) SetUser(id string, registered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setUser(id, registered)
}

// setUser sets a directory user's registration, keeping its variables.
// Callers hold s.mu.
func (s *Server) setUser(id string, registered bool) {
	u := &user{id: id, registered: registered}
	if old := s.users[id]; old != nil {
		u.vars = old.vars
	}
	s.users[id] = u
}

// Register marks directory user <id> registered from 127.0.0.1 on the
// sofia profile named profile and fires sofia::register, as a phone's
// REGISTER accepted by sofia does (headers as captured from FreeSWITCH).
func (s *Server) Register(id, profile string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setUser(id, true)
	if !s.wanted("CUSTOM", "sofia::register") {
		s.seq++
		return
	}
	b := s.newEvent("CUSTOM", "sofia::register", siteRegister)
	b.add("profile-name", profile)
	b.add("from-user", id)
	b.add("from-host", s.cfg.IPv4)
	b.add("contact", `"" <sip:`+id+`@127.0.0.1:5066;transport=ws>`)
	b.add("call-id", newUUID())
	b.add("rpid", "unknown")
	b.add("status", "Registered(WS)")
	b.add("expires", "600")
	b.add("to-user", id)
	b.add("to-host", s.cfg.IPv4)
	b.add("network-ip", "127.0.0.1")
	b.add("network-port", "5066")
	b.add("username", id)
	b.add("realm", s.cfg.IPv4)
	b.add("user-agent", "JsSIP 3.13.8")
	s.dispatch(b.e)
}

// SetUserVars gives directory user <id> the channel variables of its
// directory entry (user and domain <variables>, such as user_context): a
// user/<id> leg gets them when its originate hands it over, as FreeSWITCH's
// user/ endpoint does. They are set in name order.
func (s *Server) SetUserVars(id string, vars map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		u = &user{id: id, registered: true}
		s.users[id] = u
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	u.vars = u.vars[:0]
	for _, k := range names {
		u.vars = append(u.vars, field{Name: k, Value: vars[k]})
	}
}

// RemoveUser takes <id> out of the directory: user/<id> then fails with
// SUBSCRIBER_ABSENT.
func (s *Server) RemoveUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &user{id: id, unknown: true}
}

// SetExtension defines what an XML dialplan extension runs, as an inline
// dialplan: "answer,playback:silence_stream://2000,park". A transfer or an
// inbound call to an extension that is not defined ends with
// NO_ROUTE_DESTINATION, as when no vanilla extension matches.
func (s *Server) SetExtension(number, apps string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extensions[number] = apps
}

// behaviorFor finds the script for a destination. Callers hold s.mu.
func (s *Server) behaviorFor(keys ...string) Behavior {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if b, ok := s.endpoints[k]; ok {
			return b
		}
	}
	return Behavior{}
}

func (s *Server) ringDelay(b Behavior) time.Duration {
	if b.Ring != 0 {
		return b.Ring
	}
	if b.AnswerAfter > 0 && s.cfg.RingDelay > b.AnswerAfter {
		return b.AnswerAfter / 2
	}
	return s.cfg.RingDelay
}

func (s *Server) answerDelay(b Behavior) time.Duration {
	if b.AnswerAfter > 0 {
		return b.AnswerAfter
	}
	return s.cfg.AnswerDelay
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// hangup cause names and their Q.850 codes.
var causeQ850 = map[string]int{
	"UNSPECIFIED": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
	"CHANNEL_UNACCEPTABLE": 6, "CALL_AWARDED_DELIVERED": 7, "NORMAL_CLEARING": 16, "USER_BUSY": 17,
	"NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21,
	"NUMBER_CHANGED": 22, "REDIRECTION_TO_NEW_DESTINATION": 23, "EXCHANGE_ROUTING_ERROR": 25,
	"DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29,
	"RESPONSE_TO_STATUS_ENQUIRY": 30, "NORMAL_UNSPECIFIED": 31, "NORMAL_CIRCUIT_CONGESTION": 34,
	"NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41, "SWITCH_CONGESTION": 42,
	"ACCESS_INFO_DISCARDED": 43, "REQUESTED_CHAN_UNAVAIL": 44, "PRE_EMPTED": 45,
	"FACILITY_NOT_SUBSCRIBED": 50, "OUTGOING_CALL_BARRED": 52, "INCOMING_CALL_BARRED": 54,
	"BEARERCAPABILITY_NOTAUTH": 57, "BEARERCAPABILITY_NOTAVAIL": 58, "SERVICE_UNAVAILABLE": 63,
	"BEARERCAPABILITY_NOTIMPL": 65, "CHAN_NOT_IMPLEMENTED": 66, "FACILITY_NOT_IMPLEMENTED": 69,
	"SERVICE_NOT_IMPLEMENTED": 79, "INVALID_CALL_REFERENCE": 81, "INCOMPATIBLE_DESTINATION": 88,
	"INVALID_MSG_UNSPECIFIED": 95, "MANDATORY_IE_MISSING": 96, "MESSAGE_TYPE_NONEXIST": 97,
	"WRONG_MESSAGE": 98, "IE_NONEXIST": 99, "INVALID_IE_CONTENTS": 100, "WRONG_CALL_STATE": 101,
	"RECOVERY_ON_TIMER_EXPIRE": 102, "MANDATORY_IE_LENGTH_ERROR": 103, "PROTOCOL_ERROR": 111,
	"INTERWORKING": 127, "SUCCESS": 142, "ORIGINATOR_CANCEL": 487, "CRASH": 700, "SYSTEM_SHUTDOWN": 701,
	"LOSE_RACE": 702, "MANAGER_REQUEST": 703, "BLIND_TRANSFER": 800, "ATTENDED_TRANSFER": 801,
	"ALLOTTED_TIMEOUT": 802, "USER_CHALLENGE": 803, "MEDIA_TIMEOUT": 804, "PICKED_OFF": 805,
	"USER_NOT_REGISTERED": 806, "PROGRESS_TIMEOUT": 807, "INVALID_GATEWAY": 808, "GATEWAY_DOWN": 809,
	"INVALID_URL": 810, "INVALID_PROFILE": 811, "NO_PICKUP": 812, "SRTP_READ_ERROR": 813,
	"BOWOUT": 814, "BUSY_EVERYWHERE": 815, "DECLINE": 816, "DOES_NOT_EXIST_ANYWHERE": 817,
	"NOT_ACCEPTABLE": 818, "UNWANTED": 819, "NO_IDENTITY": 820, "BAD_IDENTITY_INFO": 821,
	"UNSUPPORTED_CERTIFICATE": 822, "INVALID_IDENTITY": 823, "STALE_DATE": 824, "REJECT_ALL": 825,
}

// normCause parses a cause name the way switch_channel_str2cause does:
// case-insensitive names or a Q.850 number; anything else is NORMAL_CLEARING.
func normCause(s string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if _, ok := causeQ850[u]; ok {
		return u, true
	}
	n := 0
	num := u != ""
	for i := 0; i < len(u); i++ {
		if u[i] < '0' || u[i] > '9' {
			num = false
			break
		}
		n = n*10 + int(u[i]-'0')
	}
	if num {
		for name, q := range causeQ850 {
			if q == n && name != "UNSPECIFIED" {
				return name, true
			}
		}
	}
	return "NORMAL_CLEARING", false
}
