package sim

import (
	"strconv"
	"time"
)

// InboundCall describes a call arriving from a SIP phone or trunk.
type InboundCall struct {
	UUID       string // optional; a random one otherwise
	From       string // caller number / directory user, e.g. "1000"
	FromName   string // caller id name, e.g. "Inbound Caller"
	To         string // dialled number, e.g. "9664"
	Context    string // default "default"
	Authorized bool   // the caller is a directory user that passed digest auth
	// HangupAfter makes the caller send BYE this long after the answer.
	HangupAfter time.Duration
	// EchoDTMF echoes digits played to the caller back as RFC 2833.
	EchoDTMF  bool
	UserAgent string // default "sipp-cc-uac"
}

// inboundCall is what an inbound channel remembers of its arrival.
type inboundCall struct {
	call          InboundCall
	presenceCount int
}

// Inbound places a call into the simulated switch: the channel runs the
// XML dialplan extension call.To (see SetExtension and VanillaDialplan).
// It returns the channel's UUID.
func (s *Server) Inbound(call InboundCall) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if call.UUID == "" {
		call.UUID = newUUID()
	}
	if call.From == "" {
		call.From = "1000"
	}
	if call.To == "" {
		call.To = "9664"
	}
	if call.Context == "" {
		call.Context = "default"
	}
	if call.UserAgent == "" {
		call.UserAgent = "sipp-cc-uac"
	}
	name := "sofia/internal/" + call.From + "@" + s.cfg.IPv4
	ch := s.newChannel(call.UUID, name, "inbound")
	ch.inbound = &inboundCall{call: call}
	ch.hitDial = true
	ch.echoDTMF = call.EchoDTMF
	ch.beh.HangupAfter = call.HangupAfter
	port := "5095"
	ch.sip = newSIPPeer(call.From, "127.0.0.1:"+port, call.UserAgent)
	ch.sip.callID = "1-" + strconv.Itoa(10000+ch.sessionID) + "@127.0.0.1"
	ch.sip.fromTag = strconv.Itoa(10000+ch.sessionID) + "SIPpTag001"
	ch.sip.toTag = randToken(13)
	ch.sip.cseq = 1

	// The first event comes before the caller profile exists.
	prof := ch.prof
	ch.prof = nil
	ch.running, ch.target = "CS_NEW", "CS_NEW"
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
	ch.vars = nil
	ch.prof = prof

	if call.Authorized {
		s.sofiaRegisterEvent(ch, "sofia::pre_register", sitePreRegister)
		s.sofiaRegisterEvent(ch, "sofia::register_attempt", siteRegAttempt)
	}
	p := ch.prof
	p.username = call.From
	p.dialplan = "XML"
	p.cidName = call.FromName
	p.cidNum = call.From
	p.origCidName = call.FromName
	p.origCidNum = call.From
	p.networkAddr = "127.0.0.1"
	p.ani = call.From
	p.dest = call.To
	p.source = "mod_sofia"
	p.context = call.Context
	ch.firstDest = call.To
	s.inboundCreateVars(ch)

	s.setState(ch, "CS_INIT")
	ch.target = "CS_ROUTING"
	s.fire(ch, "CHANNEL_CREATE", siteCreate, chanEvent{})
	ch.running = "CS_ROUTING"
	s.setCallState(ch, "RINGING")
	s.setState(ch, "CS_ROUTING")
	ch.target = "CS_EXECUTE"
	s.presenceIn(ch)
	apps, ok := s.dialplanApps(ch, call.To, "XML", call.Context)
	if !ok {
		s.hangup(ch, "NO_ROUTE_DESTINATION")
		return ch.uuid
	}
	s.setState(ch, "CS_EXECUTE")
	s.startApps(ch, apps)
	return ch.uuid
}

func (s *Server) sofiaRegisterEvent(ch *channel, subclass string, at site) {
	if !s.wanted("CUSTOM", subclass) {
		s.seq++
		return
	}
	c := ch.inbound.call
	b := s.newEvent("CUSTOM", subclass, at)
	b.add("profile-name", "internal")
	b.add("from-user", c.To)
	b.add("from-host", s.cfg.IPv4)
	b.add("contact", `"" <sip:`+c.From+"@127.0.0.1:"+ch.sip.port+";transport=UDP>")
	b.add("call-id", ch.sip.callID)
	b.add("rpid", "unknown")
	b.add("status", "Registered(UDP)")
	b.add("expires", "300")
	b.add("to-user", c.From)
	b.add("to-host", s.cfg.IPv4)
	b.add("network-ip", "127.0.0.1")
	b.add("network-port", ch.sip.port)
	if subclass == "sofia::register_attempt" {
		b.add("username", c.From)
		b.add("realm", s.cfg.IPv4)
	}
	b.add("user-agent", c.UserAgent)
	if subclass == "sofia::register_attempt" {
		b.add("auth-result", "RENEWED")
	}
	s.dispatch(b.e)
}

// inboundCreateVars are the variables of a fresh inbound sofia channel,
// including the directory lookup's REQUEST_PARAMS headers that mod_sofia
// copies in as variables.
func (s *Server) inboundCreateVars(ch *channel) {
	c := ch.inbound.call
	v := &ch.vars
	p := ch.sip
	dom := s.cfg.IPv4
	v.set("direction", "inbound")
	v.set("uuid", ch.uuid)
	v.set("call_uuid", ch.uuid)
	v.set("session_id", strconv.Itoa(ch.sessionID))
	v.set("sip_from_user", c.From)
	v.set("sip_from_uri", c.From+"@"+dom)
	v.set("sip_from_host", dom)
	v.set("video_media_flow", "disabled")
	v.set("audio_media_flow", "disabled")
	v.set("text_media_flow", "disabled")
	v.set("channel_name", ch.name)
	v.set("sip_call_id", p.callID)
	v.set("sip_local_network_addr", "127.0.0.1")
	v.set("sip_network_ip", "127.0.0.1")
	v.set("sip_network_port", p.port)
	v.set("sip_invite_stamp", strconv.FormatInt(ch.created.UnixMicro(), 10))
	v.set("sip_received_ip", "127.0.0.1")
	v.set("sip_received_port", p.port)
	v.set("sip_via_protocol", "udp")
	if c.Authorized {
		v.set("sip_authorized", "true")
		st := s.newStamp()
		t := st.t
		for _, f := range []field{
			{Name: "Event-Name", Value: "REQUEST_PARAMS"},
			{Name: "Core-UUID", Value: s.coreUUID},
			{Name: "FreeSWITCH-Hostname", Value: s.cfg.Hostname},
			{Name: "FreeSWITCH-Switchname", Value: s.cfg.Hostname},
			{Name: "FreeSWITCH-IPv4", Value: s.cfg.IPv4},
			{Name: "FreeSWITCH-IPv6", Value: s.cfg.IPv6},
			{Name: "Event-Date-Local", Value: t.Local().Format("2006-01-02 15:04:05")},
			{Name: "Event-Date-GMT", Value: t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")},
			{Name: "Event-Date-Timestamp", Value: strconv.FormatInt(t.UnixMicro(), 10)},
			{Name: "Event-Calling-File", Value: "sofia.c"},
			{Name: "Event-Calling-Function", Value: "sofia_handle_sip_i_invite"},
			{Name: "Event-Calling-Line-Number", Value: "10735"},
			{Name: "Event-Sequence", Value: strconv.FormatUint(st.seq, 10)},
			{Name: "sip_number_alias", Value: c.From},
			{Name: "sip_auth_username", Value: c.From},
			{Name: "sip_auth_realm", Value: dom},
			{Name: "number_alias", Value: c.From},
			{Name: "requested_user_name", Value: c.From},
			{Name: "requested_domain_name", Value: dom},
			{Name: "record_stereo", Value: "true"},
			{Name: "default_gateway", Value: "example.com"},
			{Name: "default_areacode", Value: "918"},
			{Name: "transfer_fallback_extension", Value: "operator"},
			{Name: "toll_allow", Value: "domestic,international,local"},
			{Name: "accountcode", Value: c.From},
			{Name: "user_context", Value: c.Context},
			{Name: "effective_caller_id_name", Value: "Extension " + c.From},
			{Name: "effective_caller_id_number", Value: c.From},
			{Name: "outbound_caller_id_name", Value: "FreeSWITCH"},
			{Name: "outbound_caller_id_number", Value: "0000000000"},
			{Name: "callgroup", Value: "techsupport"},
			{Name: "user_name", Value: c.From},
			{Name: "domain_name", Value: dom},
		} {
			v.set(f.Name, f.Value)
		}
	}
	v.set("sip_from_user_stripped", c.From)
	v.set("sip_from_tag", p.fromTag)
	v.set("sofia_profile_name", "internal")
	v.set("sofia_profile_url", "sip:mod_sofia@127.0.0.1:5060")
	v.set("recovery_profile_name", "internal")
	v.set("sip_full_via", "SIP/2.0/UDP 127.0.0.1:"+p.port+";branch=z9hG4bK-"+strconv.Itoa(ch.sessionID)+"-1-4")
	if c.FromName != "" {
		v.set("sip_from_display", c.FromName)
		v.set("sip_full_from", `"`+c.FromName+`" <sip:`+c.From+"@"+dom+">;tag="+p.fromTag)
	} else {
		v.set("sip_full_from", "<sip:"+c.From+"@"+dom+">;tag="+p.fromTag)
	}
	v.set("sip_full_to", "<sip:"+c.To+"@"+dom+":5060>")
	v.set("sip_allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, NOTIFY")
	v.set("sip_req_user", c.To)
	v.set("sip_req_port", "5060")
	v.set("sip_req_uri", c.To+"@"+dom+":5060")
	v.set("sip_req_host", dom)
	v.set("sip_to_user", c.To)
	v.set("sip_to_port", "5060")
	v.set("sip_to_uri", c.To+"@"+dom+":5060")
	v.set("sip_to_host", dom)
	v.set("sip_contact_params", "transport=UDP")
	v.set("sip_contact_user", c.From)
	v.set("sip_contact_port", p.port)
	v.set("sip_contact_uri", c.From+"@127.0.0.1:"+p.port)
	v.set("sip_contact_host", "127.0.0.1")
	v.set("rtp_use_codec_string", "OPUS,G722,PCMU,PCMA,H264,VP8")
	v.set("sip_user_agent", c.UserAgent)
	v.set("sip_via_host", "127.0.0.1")
	v.set("sip_via_port", p.port)
	v.set("max_forwards", "70")
	v.set("presence_id", c.From+"@"+dom)
	v.set("switch_r_sdp", p.remoteSDP())
	v.set("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b")
	v.set("endpoint_disposition", "DELAYED NEGOTIATION")
}

// presenceIn is the PRESENCE_IN an inbound channel with a presence_id fires.
func (s *Server) presenceIn(ch *channel) {
	ib := ch.inbound
	if ib == nil {
		s.presenceOut(ch)
		return
	}
	status, state, fn, file, line := string(ch.running), "alerting", "check_presence", "src/switch_core_state_machine.c", "521"
	switch {
	case ch.down:
		status, state, fn, file, line = "CS_HANGUP", "hangup", "switch_core_session_hangup_state", "src/switch_core_state_machine.c", "782"
	case ch.answered && ch.running == "CS_EXECUTE" && ch.callState != "ACTIVE" && ib.presenceCount == 1:
		status, state, fn, file, line = "answered", "active", "switch_channel_perform_mark_answered", "src/switch_channel.c", "3906"
	case ch.answered:
		state = "active"
	}
	s.firePresence(ch, ch.inbound.call.From+"@"+s.cfg.IPv4, "inbound", &ib.presenceCount, status, state, fn, file, line)
}

// presenceOut is the PRESENCE_IN of an outgoing leg with a presence_id
// (a user/ leg: the directory's dial-string sets presence_id): when it
// leaves CS_ROUTING, when it answers and at CS_HANGUP.
func (s *Server) presenceOut(ch *channel) {
	from, ok := ch.getVar("presence_id")
	if !ok || ch.direction != "outbound" {
		return
	}
	status, state, fn, file, line := ch.running, "progressing", "check_presence", "src/switch_core_state_machine.c", "521"
	switch {
	case ch.down:
		state = "idle"
	case ch.answered:
		status, state, fn, file, line = "answered", "active", "switch_channel_perform_mark_answered", "src/switch_channel.c", "3906"
	}
	s.firePresence(ch, from, "outbound", &ch.presenceCount, status, state, fn, file, line)
}

// firePresence fires one PRESENCE_IN; count is the channel's event_count.
func (s *Server) firePresence(ch *channel, from, direction string, count *int, status, state, fn, file, line string) {
	cnt := *count
	*count++
	if !s.wanted("PRESENCE_IN", "") {
		s.seq++
		return
	}
	s.fire(ch, "PRESENCE_IN", sitePresenceChan, chanEvent{vars: boolp(false), mid: kv(
		"proto", "any",
		"login", "src/switch_channel.c",
		"from", from,
		"rpid", "unknown",
		"status", status,
		"event_type", "presence",
		"alt_event_type", "dialog",
		"presence-call-info-state", state,
		"presence-call-direction", direction,
		"event_count", strconv.Itoa(cnt),
		"Presence-Calling-File", file,
		"Presence-Calling-Function", fn,
		"Presence-Calling-Line", line,
	)})
}

// answerChannel answers a channel from the dialplan (answer application):
// media first (CHANNEL_PROGRESS_MEDIA), then CHANNEL_ANSWER.
func (s *Server) answerChannel(ch *channel) {
	if ch.answered || ch.down {
		return
	}
	if ch.read == nil {
		ch.read, ch.write = &codecPCMU, &codecPCMU
		s.codecEvent(ch, "real_read")
		s.codecEvent(ch, "write")
	}
	if ch.inbound != nil {
		v := &ch.vars
		v.set("remote_video_media_flow", "inactive")
		v.set("remote_text_media_flow", "inactive")
		v.set("remote_audio_media_flow", "sendrecv")
		v.set("audio_media_flow", "sendrecv")
		for _, k := range []string{"rtp_audio_recv_pt", "rtp_use_codec_name", "rtp_use_codec_rate", "rtp_use_codec_ptime",
			"rtp_use_codec_channels", "rtp_last_audio_codec_string", "read_codec", "original_read_codec", "read_rate",
			"original_read_rate", "write_codec", "write_rate", "dtmf_type", "local_media_ip", "local_media_port",
			"advertised_media_ip", "rtp_use_timer_name", "rtp_use_pt", "rtp_use_ssrc", "rtp_2833_send_payload",
			"rtp_2833_recv_payload", "remote_media_ip", "remote_media_port"} {
			v.set(k, mediaValue(ch, k))
		}
		v.set("endpoint_disposition", "EARLY MEDIA")
		if !ch.early {
			ch.early = true
			ch.prof.times.progressMedia = time.Now().UnixMicro()
			s.fire(ch, "CHANNEL_PROGRESS_MEDIA", siteProgressMedia, chanEvent{})
			s.setCallState(ch, "EARLY")
		}
		v.set("rtp_local_sdp_str", ch.sip.localSDP(0, "sendrecv"))
		s.markAnswered(ch)
		s.presenceIn(ch)
		s.setCallState(ch, "ACTIVE")
		v.set("endpoint_disposition", "ANSWER")
		ch.ackPending = true
		ch.after(3*s.cfg.MediaTick, func() { s.inboundACK(ch) })
		if ch.beh.HangupAfter > 0 {
			ch.after(ch.beh.HangupAfter, func() { s.remoteHangup(ch, "NORMAL_CLEARING") })
		}
		return
	}
	s.markAnswered(ch)
	s.setCallState(ch, "ACTIVE")
}

// inboundACK applies what the caller's ACK to our 200 OK changes.
func (s *Server) inboundACK(ch *channel) {
	if !ch.ackPending {
		return
	}
	ch.ackPending = false
	p := ch.sip
	p.cseq++
	ch.vars.set("sip_to_tag", p.toTag)
	ch.vars.set("sip_cseq", strconv.Itoa(p.cseq))
	ch.vars.set("sip_full_via", "SIP/2.0/UDP 127.0.0.1:"+p.port+";branch=z9hG4bK-"+strconv.Itoa(ch.sessionID)+"-1-9")
	ch.vars.set("sip_full_to", "<sip:"+ch.inbound.call.To+"@"+s.cfg.IPv4+":5060>;tag="+p.toTag)
	ch.vars.set("max_forwards", "69")
}

func mediaValue(ch *channel, k string) string {
	p := ch.sip
	switch k {
	case "rtp_audio_recv_pt", "rtp_use_pt":
		return "0"
	case "rtp_use_codec_name", "read_codec", "original_read_codec", "write_codec":
		return "PCMU"
	case "rtp_use_codec_rate", "read_rate", "original_read_rate", "write_rate":
		return "8000"
	case "rtp_use_codec_ptime":
		return "20"
	case "rtp_use_codec_channels":
		return "1"
	case "rtp_last_audio_codec_string":
		return "PCMU@8000h@20i@1c"
	case "dtmf_type":
		return "rfc2833"
	case "local_media_ip", "advertised_media_ip", "remote_media_ip":
		return "127.0.0.1"
	case "local_media_port":
		return strconv.Itoa(p.localMediaPort)
	case "remote_media_port":
		return strconv.Itoa(p.remoteMediaPort)
	case "rtp_use_timer_name":
		return "soft"
	case "rtp_use_ssrc":
		return strconv.FormatUint(uint64(p.ssrc), 10)
	case "rtp_2833_send_payload", "rtp_2833_recv_payload":
		return "101"
	}
	return ""
}

// Hangup ends a channel from the far end (a BYE): Hangup-Cause cause
// (NORMAL_CLEARING if empty), sip_hangup_disposition recv_bye. It reports
// whether the channel existed.
func (s *Server) Hangup(uuid, cause string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.down {
		return false
	}
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	c, _ := normCause(cause)
	s.remoteHangup(ch, c)
	return true
}

// SendDTMF makes the far end of a channel send digits (RFC 2833): DTMF
// events with DTMF-Source RTP.
func (s *Server) SendDTMF(uuid, digits string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[uuid]
	if ch == nil || ch.down {
		return false
	}
	for i, d := range digits {
		digit := string(d)
		ch.after(time.Duration(i)*s.cfg.MediaTick, func() {
			s.dtmfEvent(ch, digit, "RTP", 2080)
			s.dtmfToApp(ch, digit)
		})
	}
	return true
}
