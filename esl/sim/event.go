package sim

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

type field = esl.Field

// event is one fired event. Its headers are immutable once fired; every
// connection that wants it shares it and encodes it at most once per format.
type event struct {
	name     string // Event-Name
	subclass string // Event-Subclass of CUSTOM events
	uuid     string // Unique-ID, for myevents and sessions
	jobOwner string // Job-Owner-UUID, for myevents
	seq      uint64
	hdr      []field
	body     string
	hasBody  bool

	plainOnce, jsonOnce sync.Once
	plain, json         []byte
}

// get is a case-insensitive lookup, as switch_event_get_header does.
func (e *event) get(name string) (string, bool) {
	for i := range e.hdr {
		if strings.EqualFold(e.hdr[i].Name, name) {
			return e.hdr[i].Value, true
		}
	}
	return "", false
}

// frame returns the complete wire frame for a connection in plain or json.
func (e *event) frame(json bool) []byte {
	if json {
		e.jsonOnce.Do(func() { e.json = e.encodeJSON() })
		return e.json
	}
	e.plainOnce.Do(func() { e.plain = e.encodePlain() })
	return e.plain
}

func (e *event) encodePlain() []byte {
	n := 0
	for _, h := range e.hdr {
		n += len(h.Name) + len(h.Value) + 8
	}
	n += len(e.body) + 32
	p := make([]byte, 0, n)
	for _, h := range e.hdr {
		p = append(p, h.Name...)
		p = append(p, ": "...)
		if h.Value == "" {
			p = append(p, "_undef_"...)
		} else {
			p = appendURLEncoded(p, h.Value)
		}
		p = append(p, '\n')
	}
	if e.hasBody && e.body != "" {
		p = append(p, "Content-Length: "...)
		p = strconv.AppendInt(p, int64(len(e.body)), 10)
		p = append(p, "\n\n"...)
		p = append(p, e.body...)
	} else {
		p = append(p, '\n')
	}
	out := make([]byte, 0, len(p)+64)
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(p)), 10)
	out = append(out, "\nContent-Type: text/event-plain\n\n"...)
	return append(out, p...)
}

func (e *event) encodeJSON() []byte {
	n := 2
	for _, h := range e.hdr {
		n += len(h.Name) + len(h.Value) + 8
	}
	n += len(e.body) + 48
	p := make([]byte, 0, n)
	p = append(p, '{')
	for i, h := range e.hdr {
		if i > 0 {
			p = append(p, ',')
		}
		p = appendJSONString(p, h.Name)
		p = append(p, ':')
		p = appendJSONString(p, h.Value)
	}
	if e.hasBody {
		if len(e.hdr) > 0 {
			p = append(p, ',')
		}
		p = append(p, `"Content-Length":"`...)
		p = strconv.AppendInt(p, int64(len(e.body)), 10)
		p = append(p, `","_body":`...)
		p = appendJSONString(p, e.body)
	}
	p = append(p, '}')
	out := make([]byte, 0, len(p)+64)
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(p)), 10)
	out = append(out, "\nContent-Type: text/event-json\n\n"...)
	return append(out, p...)
}

// site is where FreeSWITCH raised an event (Event-Calling-* headers).
type site struct {
	file, fn string
	line     int
}

// Calling sites as captured from FreeSWITCH 1.11.3 (cc93a68).
var (
	siteAPI            = site{"switch_loadable_module.c", "switch_api_execute", 3140}
	siteBGJob          = site{"mod_event_socket.c", "api_exec", 1580}
	siteCallUpdateSIP  = site{"mod_sofia.c", "sofia_receive_message", 2133}
	siteCallUpdateFlip = site{"switch_channel.c", "switch_channel_flip_cid", 3279}
	siteAnswer         = site{"switch_channel.c", "switch_channel_perform_mark_answered", 3848}
	siteBridge         = site{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689}
	siteUnbridge       = site{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879}
	siteCallstate      = site{"switch_channel.c", "switch_channel_perform_set_callstate", 302}
	siteCreate         = site{"switch_core_state_machine.c", "switch_core_session_run", 626}
	siteOriginate      = site{"switch_core_state_machine.c", "switch_core_session_run", 632}
	siteDestroy        = site{"switch_core_session.c", "switch_core_session_perform_destroy", 1588}
	siteExecute        = site{"switch_core_session.c", "switch_core_session_exec", 2949}
	siteExecuteBridgeA = site{"switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1236}
	siteExecuteBridgeB = site{"switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1243}
	siteExecComplete   = site{"switch_core_session.c", "switch_core_session_exec", 2972}
	siteHangup         = site{"switch_channel.c", "switch_channel_perform_hangup", 3447}
	siteHangupComplete = site{"switch_core_state_machine.c", "switch_core_session_reporting_state", 943}
	siteHold           = site{"switch_ivr.c", "switch_ivr_hold", 1558}
	siteUnhold         = site{"switch_ivr.c", "switch_ivr_unhold", 1638}
	siteOutgoing       = site{"switch_core_session.c", "switch_core_session_outgoing_channel", 768}
	sitePark           = site{"switch_ivr.c", "switch_ivr_park", 1002}
	siteUnpark         = site{"switch_ivr.c", "switch_ivr_park", 1213}
	siteProgress       = site{"switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3507}
	siteProgressMedia  = site{"switch_channel.c", "switch_channel_perform_mark_pre_answered", 3562}
	siteState          = site{"switch_channel.c", "switch_channel_perform_set_running_state", 2409}
	siteCodecRead      = site{"switch_core_codec.c", "switch_core_session_set_read_codec", 300}
	siteCodecRealRead  = site{"switch_core_codec.c", "switch_core_session_set_real_read_codec", 189}
	siteCodecWrite     = site{"switch_core_codec.c", "switch_core_session_set_write_codec", 471}
	siteBroadcast      = site{"switch_ivr_async.c", "switch_ivr_broadcast", 5732}
	sitePrivateCommand = site{"switch_ivr.c", "switch_ivr_parse_next_event", 804}
	siteDTMF           = site{"switch_channel.c", "switch_channel_dequeue_dtmf", 678}
	siteHeartbeat      = site{"switch_core.c", "send_heartbeat", 95}
	siteReschedule     = site{"switch_scheduler.c", "switch_scheduler_execute", 73}
	siteBugStart       = site{"switch_core_media_bug.c", "switch_core_media_bug_add", 1014}
	siteBugStop        = site{"switch_core_media_bug.c", "switch_core_media_bug_destroy", 84}
	sitePlayStart      = site{"switch_ivr_play_say.c", "switch_ivr_play_file", 1649}
	sitePlayStop       = site{"switch_ivr_play_say.c", "switch_ivr_play_file", 2023}
	sitePresenceConf   = site{"mod_conference.c", "conference_send_presence", 3870}
	sitePresenceChan   = site{"switch_channel.c", "switch_channel_perform_presence", 806}
	siteRecordStart    = site{"switch_ivr_async.c", "record_callback", 1482}
	siteRecordStop     = site{"switch_ivr_async.c", "send_record_stop_event", 1241}
	siteNotifyRefer    = site{"sofia.c", "sofia_handle_sip_i_notify", 630}
	sitePreRegister    = site{"sofia_reg.c", "sofia_reg_handle_register_token", 1810}
	siteRegAttempt     = site{"sofia_reg.c", "sofia_reg_handle_register_token", 1606}
	siteRegister       = site{"sofia_reg.c", "sofia_reg_handle_register_token", 2059}
	siteChannelData    = site{"mod_event_socket.c", "parse_command", 2029}
	siteSendEvent      = site{"mod_event_socket.c", "parse_command", 2254}
	siteConfCreate     = site{"mod_conference.c", "conference_new", 3848}
	siteConfDestroy    = site{"mod_conference.c", "conference_thread_run", 863}
	siteConfAdd        = site{"conference_member.c", "conference_member_add", 962}
	siteConfDel        = site{"conference_member.c", "conference_member_del", 1355}
	siteConfFloor      = site{"conference_member.c", "conference_member_set_floor_holder", 1158}
	siteConfMute       = site{"conference_api.c", "conference_api_sub_mute", 339}
	siteConfUnmute     = site{"conference_api.c", "conference_api_sub_unmute", 492}
	siteConfDeaf       = site{"conference_api.c", "conference_api_sub_deaf", 797}
	siteConfUndeaf     = site{"conference_api.c", "conference_api_sub_undeaf", 839}
	siteConfKick       = site{"conference_api.c", "conference_api_sub_kick", 902}
	siteConfHold       = site{"conference_api.c", "conference_api_sub_hold", 574}
	siteConfUnhold     = site{"conference_api.c", "conference_api_sub_unhold", 625}
	siteConfPlay       = site{"conference_file.c", "conference_file_play", 268}
	siteConfPlayDone   = site{"conference_file.c", "conference_file_close", 52}
	siteConfBgdial     = site{"conference_api.c", "conference_api_sub_bgdial", 2613}
	siteReloadXML      = site{"switch_xml.c", "switch_xml_open_root", 2466}
	siteGatewayState   = site{"sofia_reg.c", "sofia_reg_fire_custom_gateway_state_event", 129}
	siteCustom         = site{"mod_event_socket.c", "parse_command", 2254}
)

// builder accumulates one event's headers in FreeSWITCH's order.
type builder struct {
	e *event
}

func (b builder) add(name, value string) builder {
	if value == "" {
		return b
	}
	b.e.hdr = append(b.e.hdr, field{Name: name, Value: value})
	return b
}

// addAlways keeps empty values (they go out as _undef_ in plain).
func (b builder) addAlways(name, value string) builder {
	b.e.hdr = append(b.e.hdr, field{Name: name, Value: value})
	return b
}

// stamp is the creation time and sequence of an event.
type stamp struct {
	t   time.Time
	seq uint64
}

// newStamp reserves the next Event-Sequence. Callers hold s.mu.
func (s *Server) newStamp() stamp {
	s.seq++
	return stamp{t: time.Now(), seq: s.seq}
}

// newEvent starts an event with FreeSWITCH's common header block.
func (s *Server) newEvent(name, subclass string, at site) builder {
	return s.newEventAt(name, subclass, at, s.newStamp())
}

func (s *Server) newEventAt(name, subclass string, at site, st stamp) builder {
	e := &event{name: name, subclass: subclass, seq: st.seq}
	e.hdr = make([]field, 0, 64)
	b := builder{e}
	if subclass != "" {
		b.add("Event-Subclass", subclass)
	}
	s.commonHeaders(b, name, at, st)
	return b
}

func (s *Server) commonHeaders(b builder, name string, at site, st stamp) {
	t := st.t
	b.add("Event-Name", name)
	b.add("Core-UUID", s.coreUUID)
	b.add("FreeSWITCH-Hostname", s.cfg.Hostname)
	b.add("FreeSWITCH-Switchname", s.cfg.Hostname)
	b.add("FreeSWITCH-IPv4", s.cfg.IPv4)
	b.add("FreeSWITCH-IPv6", s.cfg.IPv6)
	b.add("Event-Date-Local", t.Local().Format("2006-01-02 15:04:05"))
	b.add("Event-Date-GMT", t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	b.add("Event-Date-Timestamp", strconv.FormatInt(t.UnixMicro(), 10))
	b.add("Event-Calling-File", at.file)
	b.add("Event-Calling-Function", at.fn)
	b.add("Event-Calling-Line-Number", strconv.Itoa(at.line))
	b.add("Event-Sequence", strconv.FormatUint(st.seq, 10))
}

// wanted reports whether any connection could take an event of this kind,
// so events nobody listens to are never built. Callers hold s.mu.
func (s *Server) wanted(name, subclass string) bool {
	for c := range s.conns {
		if c.wants(name, subclass) {
			return true
		}
	}
	return false
}
