package sim

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// sipPeer holds the SIP dialog data mod_sofia exposes as sip_* variables.
// The values are made up but shaped like a sipp peer's.
type sipPeer struct {
	user, host, port string
	callID           string
	fromTag, toTag   string
	cseq             int
	branch           string
	userAgent        string
	localMediaPort   int
	remoteMediaPort  int
	ssrc             uint32
	sdpVersion       int64
	remoteSDPVersion int
}

const sipAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, NOTIFY"

func randToken(n int) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

func newSIPPeer(user, hostport, ua string) *sipPeer {
	host, port, ok := strings.Cut(hostport, ":")
	if !ok || port == "" {
		port = "5060"
	}
	if ua == "" {
		ua = "sipp-cc-uas"
	}
	return &sipPeer{
		user:             user,
		host:             host,
		port:             port,
		callID:           newUUID(),
		fromTag:          randToken(13),
		toTag:            strconv.Itoa(10000+rand.IntN(50000)) + "SIPpTag01" + strconv.Itoa(rand.IntN(10)),
		cseq:             100000000 + rand.IntN(900000000),
		branch:           "z9hG4bK" + randToken(13),
		userAgent:        ua,
		localMediaPort:   16384 + 2*rand.IntN(8000),
		remoteMediaPort:  6000 + 2*rand.IntN(1000),
		ssrc:             rand.Uint32(),
		sdpVersion:       time.Now().Unix() - 17000 - int64(rand.IntN(1000)),
		remoteSDPVersion: 1 + rand.IntN(30000),
	}
}

func (p *sipPeer) localSDP(bump int, direction string) string {
	v := strconv.FormatInt(p.sdpVersion, 10)
	v2 := strconv.FormatInt(p.sdpVersion+1+int64(bump), 10)
	port := strconv.Itoa(p.localMediaPort)
	return "v=0\r\no=FreeSWITCH " + v + " " + v2 + " IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio " + port + " RTP/AVP 102 0 8 103 101\r\na=rtpmap:102 opus/48000/2\r\n" +
		"a=fmtp:102 useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; minptime=10; maxptime=40\r\n" +
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:103 telephone-event/48000\r\na=fmtp:103 0-15\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=" + direction + "\r\n"
}

func (p *sipPeer) remoteSDP() string {
	p.remoteSDPVersion++
	return "v=0\r\no=sipp 1 " + strconv.Itoa(p.remoteSDPVersion) + " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio " + strconv.Itoa(p.remoteMediaPort) + " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
}

func (p *sipPeer) hostport() string {
	if p.port == "" {
		return p.host
	}
	return p.host + ":" + p.port
}

// sofiaCreateVars sets what an outgoing sofia leg has at CHANNEL_CREATE.
func (s *Server) sofiaCreateVars(ch *channel, t *dialTarget, cfg []field, earlyOK bool) {
	v := &ch.vars
	p := ch.sip
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("uuid", ch.uuid)
	v.set("call_uuid", ch.uuid)
	v.set("session_id", strconv.Itoa(ch.sessionID))
	v.set("sip_local_network_addr", "127.0.0.1")
	if t.gateway != "" {
		v.set("sip_gateway_name", t.gateway)
		v.set("sip_profile_name", "gateway")
	} else {
		v.set("sip_profile_name", t.profile)
	}
	v.set("video_media_flow", "disabled")
	v.set("text_media_flow", "disabled")
	v.set("channel_name", ch.name)
	v.set("sip_destination_url", t.uri)
	for _, f := range cfg {
		v.set(f.Name, f.Value)
	}
	v.set("originate_early_media", strconv.FormatBool(earlyOK))
	v.set("originate_endpoint", "sofia")
	v.set("rtp_use_codec_string", "OPUS,G722,PCMU,PCMA,H264,VP8")
	v.set("local_media_ip", "127.0.0.1")
	v.set("local_media_port", strconv.Itoa(p.localMediaPort))
	v.set("advertised_media_ip", "127.0.0.1")
	v.set("audio_media_flow", "sendrecv")
	v.set("rtp_local_sdp_str", p.localSDP(0, "sendrecv"))
	v.set("sip_outgoing_contact_uri", "<sip:mod_sofia@127.0.0.1:5060>")
	v.set("sip_req_uri", strings.TrimPrefix(t.uri, "sip:"))
	v.set("sip_to_host", p.hostport())
	v.set("sip_from_host", "127.0.0.1")
	v.set("sofia_profile_name", "internal")
	v.set("recovery_profile_name", "internal")
	v.set("sofia_profile_url", "sip:mod_sofia@127.0.0.1:5060")
}

// sofiaReplyVars are set from the first response of the far end.
func (s *Server) sofiaReplyVars(ch *channel) {
	v := &ch.vars
	p := ch.sip
	v.set("sip_local_network_addr", "127.0.0.1")
	v.set("sip_reply_host", p.host)
	v.set("sip_reply_port", p.port)
	v.set("sip_network_ip", p.host)
	v.set("sip_network_port", p.port)
	v.set("sip_recover_contact", "<sip:"+p.hostport()+";transport=UDP>")
	v.set("sip_full_via", "SIP/2.0/UDP 127.0.0.1;rport;branch="+p.branch)
	v.set("sip_recover_via", "SIP/2.0/UDP 127.0.0.1;rport;branch="+p.branch)
	from := ch.prof.cidNum
	if ch.prof.cidName != "" {
		v.set("sip_from_display", ch.prof.cidName)
		v.set("sip_full_from", `"`+ch.prof.cidName+`" <sip:`+from+"@127.0.0.1>;tag="+p.fromTag)
	} else {
		v.set("sip_full_from", "<sip:"+from+"@127.0.0.1>;tag="+p.fromTag)
	}
	v.set("sip_full_to", "<sip:"+p.user+"@"+p.hostport()+">;tag="+p.toTag)
	v.set("sip_from_user", from)
	v.set("sip_from_uri", from+"@127.0.0.1")
	v.set("sip_from_host", "127.0.0.1")
	v.set("sip_to_user", p.user)
	v.set("sip_to_port", p.port)
	v.set("sip_to_uri", p.user+"@"+p.hostport())
	v.set("sip_to_host", p.host)
	if !ch.beh.BareSIP {
		v.set("sip_contact_params", "transport=UDP")
	}
	v.set("sip_contact_user", "nobody")
	v.set("sip_contact_port", p.port)
	v.set("sip_contact_uri", "nobody@"+p.hostport())
	v.set("sip_contact_host", p.host)
	v.set("sip_to_tag", p.toTag)
	v.set("sip_from_tag", p.fromTag)
	v.set("sip_cseq", strconv.Itoa(p.cseq))
	v.set("sip_call_id", p.callID)
	ch.prof.networkAddr = p.host
}

// mediaVars are set once media is negotiated (answer or early media).
func (s *Server) mediaVars(ch *channel) {
	v := &ch.vars
	p := ch.sip
	v.set("switch_r_sdp", p.remoteSDP())
	v.set("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b")
	v.set("rtp_use_codec_string", "OPUS,G722,PCMU,PCMA,H264,VP8")
	v.set("remote_video_media_flow", "inactive")
	v.set("remote_text_media_flow", "inactive")
	v.set("remote_audio_media_flow", "sendrecv")
	v.set("rtp_audio_recv_pt", "0")
	v.set("rtp_use_codec_name", "PCMU")
	v.set("rtp_use_codec_rate", "8000")
	v.set("rtp_use_codec_ptime", "20")
	v.set("rtp_use_codec_channels", "1")
	v.set("rtp_last_audio_codec_string", "PCMU@8000h@20i@1c")
	v.set("read_codec", "PCMU")
	v.set("original_read_codec", "PCMU")
	v.set("read_rate", "8000")
	v.set("original_read_rate", "8000")
	v.set("write_codec", "PCMU")
	v.set("write_rate", "8000")
	v.set("dtmf_type", "rfc2833")
	v.set("local_media_ip", "127.0.0.1")
	v.set("local_media_port", strconv.Itoa(p.localMediaPort))
	v.set("advertised_media_ip", "127.0.0.1")
	v.set("rtp_use_timer_name", "soft")
	v.set("rtp_use_pt", "0")
	v.set("rtp_use_ssrc", strconv.FormatUint(uint64(p.ssrc), 10))
	v.set("rtp_2833_send_payload", "101")
	v.set("rtp_2833_recv_payload", "101")
	v.set("remote_media_ip", "127.0.0.1")
	v.set("remote_media_port", strconv.Itoa(p.remoteMediaPort))
}

// sofiaAnswerVars are set by the 200 OK of an outgoing leg.
func (s *Server) sofiaAnswerVars(ch *channel) {
	v := &ch.vars
	p := ch.sip
	if !ch.beh.BareSIP {
		v.set("sip_user_agent", p.userAgent)
		v.set("sip_allow", sipAllow)
	}
	s.mediaVars(ch)
}

// sipFailure maps a hangup cause to the SIP final response a UAS gives.
func sipFailure(cause string) (int, string) {
	switch cause {
	case "USER_BUSY":
		return 486, "Busy Here"
	case "CALL_REJECTED":
		return 603, "Decline"
	case "NO_USER_RESPONSE":
		return 480, "Temporarily Unavailable"
	case "UNALLOCATED_NUMBER":
		return 404, "Not Found"
	case "NORMAL_TEMPORARY_FAILURE":
		return 503, "Service Unavailable"
	case "INCOMPATIBLE_DESTINATION":
		return 488, "Not Acceptable Here"
	case "RECOVERY_ON_TIMER_EXPIRE":
		return 408, "Request Timeout"
	case "NO_ROUTE_DESTINATION":
		return 404, "Not Found"
	case "NETWORK_OUT_OF_ORDER":
		return 502, "Bad Gateway"
	case "INVALID_NUMBER_FORMAT":
		return 484, "Address Incomplete"
	}
	return 500, "Server Internal Error"
}

// sofiaRefuseVars are set when the far end refuses the INVITE.
func (s *Server) sofiaRefuseVars(ch *channel, cause string) {
	v := &ch.vars
	code, phrase := sipFailure(cause)
	if !ch.progressAt.IsZero() {
		v.set("sip_call_id", ch.sip.callID)
	} else {
		v.set("sip_call_id", ch.sip.callID)
		v.set("sip_reply_port", "0")
		v.set("sip_network_port", "0")
	}
	v.set("sip_hangup_disposition", "recv_refuse")
	v.set("sip_invite_failure_status", strconv.Itoa(code))
	v.set("sip_invite_failure_phrase", phrase)
	v.set("sip_term_status", strconv.Itoa(code))
	v.set("proto_specific_hangup_cause", "sip:"+strconv.Itoa(code))
	v.set("sip_term_cause", strconv.Itoa(causeQ850[cause]))
}

// rtpStats are the RTP counters mod_sofia reports at hangup.
func rtpStats(ch *channel, dur time.Duration) []field {
	pkts := int(dur / (20 * time.Millisecond))
	out := kv(
		"rtp_audio_in_raw_bytes", itoa(pkts*172),
		"rtp_audio_in_media_bytes", itoa(pkts*172),
		"rtp_audio_in_packet_count", itoa(pkts),
		"rtp_audio_in_media_packet_count", itoa(pkts),
		"rtp_audio_in_skip_packet_count", "0",
		"rtp_audio_in_jitter_packet_count", "0",
		"rtp_audio_in_dtmf_packet_count", "0",
		"rtp_audio_in_cng_packet_count", "0",
		"rtp_audio_in_flush_packet_count", "0",
		"rtp_audio_in_largest_jb_size", "0",
		"rtp_audio_in_jitter_min_variance", "0.00",
		"rtp_audio_in_jitter_max_variance", "0.00",
		"rtp_audio_in_jitter_loss_rate", "0.00",
		"rtp_audio_in_jitter_burst_rate", "0.00",
		"rtp_audio_in_mean_interval", "20.00",
		"rtp_audio_in_flaw_total", "0",
		"rtp_audio_in_quality_percentage", "100.00",
		"rtp_audio_in_mos", "4.50",
		"rtp_audio_out_raw_bytes", itoa(pkts*172),
		"rtp_audio_out_media_bytes", itoa(pkts*172),
		"rtp_audio_out_packet_count", itoa(pkts),
		"rtp_audio_out_media_packet_count", itoa(pkts),
		"rtp_audio_out_skip_packet_count", "0",
		"rtp_audio_out_dtmf_packet_count", "0",
		"rtp_audio_out_cng_packet_count", "0",
		"rtp_audio_rtcp_packet_count", "0",
		"rtp_audio_rtcp_octet_count", "0",
	)
	return out
}
