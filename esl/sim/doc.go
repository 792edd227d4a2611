// Package sim is a FreeSWITCH event socket simulator: a TCP server that
// speaks inbound ESL the way FreeSWITCH 1.11.3 (cc93a68) does, byte for
// byte, over simulated calls. It serves the ESL client's tests, the service's
// tests and its demo mode. It binds loopback addresses only.
//
//	s := sim.New(sim.Config{})
//	_ = s.Listen("127.0.0.1:0")
//	go s.Serve(ctx)
//	s.SetEndpoint("15551234567", sim.Behavior{Outcome: sim.Busy})
//
// # The wire
//
// auth/request first; `auth` (wrong password: -ERR invalid, the 67-byte
// disconnect notice, close); every command before auth gets "-ERR command
// not found"; api (api/response: Content-Type, then Content-Length; the
// connection writes nothing else until the api returns, as FreeSWITCH's
// listener thread); bgapi (+OK Job-UUID, a client Job-UUID header is kept,
// then BACKGROUND_JOB); event plain|json with names, ALL and CUSTOM
// subclasses (they add up; the last format word wins); nixevent; noevents;
// filter and filter delete (mod_event_socket's matching, /regex/ and -exclude
// included); myevents; divert_events; linger/nolinger; log/nolog; sendevent;
// sendmsg; exit; unknown commands. Reply texts are the captured ones.
//
// Events are built in FreeSWITCH's header order: the common block, the
// channel data (switch_channel_event_set_basic_data), Caller-* and Other-Leg-*
// (only while a uuid_bridge pairs the legs), and variable_* on exactly the
// event types whose source adds them. Plain events use switch_url_encode
// (the %XX passthrough and _undef_ for empty values included); JSON events
// are one flat object of strings with _body and no trailing newline.
// Event-Sequence is one process-wide counter, taken when an event is created
// (an API event's is taken when its command starts). Each connection has one
// writer goroutine and a queue; events go only to connections whose
// subscription, filters and myevents take them.
//
// # What is simulated
//
// Channels, with the event order and variables of the captures: originate
// (dial strings with {global} and [per-leg] variables, FreeSWITCH's quoting
// rules, origination_uuid, origination_caller_id_number/name,
// ignore_early_media, originate_timeout, leg_timeout, park_after_bridge,
// hangup_after_bridge, transfer_after_bridge, execute_on_answer,
// continue_on_fail (a failed bridge hangs its caller up with the cause
// unless it is set, or the cause is NO_ANSWER, NO_USER_RESPONSE or
// ORIGINATOR_CANCEL); applications
// &park, &conference, &eavesdrop, &three_way, &playback, &bridge, &socket and
// others, or an extension with dialplan and context; endpoints
// sofia/gateway/<gw>/<num>, sofia/<profile>/sip:user@host[:port],
// sofia/<profile>/user@host, user/<ext>[@domain], null/, loopback/, error/);
// uuid_bridge; uuid_hold [off|toggle] with hold music on the partner (see
// Hold music and broadcasts);
// uuid_audio; uuid_transfer [-bleg|-both] to XML extensions or inline
// dialplans ('conference:room@default,park', 'm:^:app:arg^park'); uuid_deflect;
// conference rooms (dial, bgdial, list, json_list, mute, unmute, deaf,
// undeaf, hold, unhold, kick, hup, `conference list`; member ids are process
// wide; conference::maintenance actions create, add/del/kick-member,
// floor-change, play-file, play-file-done, mute/deaf/hold changes, destroy;
// PRESENCE_IN); uuid_send_dtmf and uuid_recv_dtmf; uuid_record
// start|stop|mask|unmask|pause|resume writing a real WAV file (RIFF, 8 kHz,
// 16-bit mono PCM of silence, as long as the time recorded, paused time
// left out; relative paths go under Config.RecordingsDir, and an absolute
// path that cannot be created is written below RecordingsDir with its full
// path); uuid_broadcast and uuid_break; uuid_kill; uuid_setvar, uuid_setvar_multi,
// uuid_getvar, uuid_exists; eavesdrop with its DTMF and sendevent mode keys
// (0 listen, 1 talk to the partner, 2 whisper, 3 barge, * stop; no event
// reports a mode, as in FreeSWITCH; ChannelInfo.SpyMode does); `show channels
// [as json]`, `show calls [as json]`, `global_getvar`, `reloadxml`,
// `xml_flush_cache`, `sofia status`, `sofia profile <p>
// rescan|killgw <gw>|flush_inbound_reg` (a gateway exists once a call went
// through it), `sofia_contact`, `hupall`, `status`,
// `version`. Hangups carry real causes, and CHANNEL_HANGUP_COMPLETE the
// billing variables (billsec, duration, answersec... as FreeSWITCH
// computes them: differences of whole-second epochs, so 2.24 s of talk reads
// 2 or 3 while billmsec is 2240; hangup_cause_q850,
// sip_hangup_disposition send_bye/recv_bye/send_cancel/recv_refuse,
// bridge_hangup_cause, last_bridge_to, record_*...). Outbound `&socket()`
// sessions dial the given loopback address and speak the session protocol
// (connect, myevents, linger [secs], sendmsg execute/hangup, exit, the linger
// and disconnect notices, CHANNEL_DESTROY held until the socket closes).
// Server.Inbound places a call from a phone (with the inbound event order:
// CS_NEW before CHANNEL_CREATE, sofia::pre_register/register_attempt for an
// authorised user, PRESENCE_IN) and Server.Hangup is the far end's BYE.
// HEARTBEAT and its RE_SCHEDULE fire every Config.HeartbeatInterval.
// Global variables (Config.Globals, SetGlobal; hold_music is vanilla's
// local_stream://moh unless set) answer global_getvar and stand in for
// channel variables in ${...} and $${...} expansion.
//
// # Originate and the answer
//
// An originate notices that its leg answered Config.OriginatePoll (20 ms)
// after CHANNEL_ANSWER, as FreeSWITCH's originate loop, which looks every
// 20 ms: the caller-id CALL_UPDATE, the API event and BACKGROUND_JOB come
// then. A uuid_bridge or uuid_transfer of the leg in that window takes it
// from the originate: the leg is bridged or transferred (with its caller-id
// flip at the new extension), and the job reports -ERR ORIGINATOR_CANCEL
// (captures 10 and 12; FreeSWITCH did so for 58 to 60 of 60 bridges on
// CHANNEL_ANSWER). A uuid_kill in the window gives -ERR NORMAL_CLEARING.
//
// # Hold music and broadcasts
//
// uuid_broadcast <uuid> <path> [aleg|bleg|holdb|both] queues the path as an
// execute command (a private event) to the leg and/or its partner, as
// switch_ivr_broadcast does; "app::arg" runs another application. The
// channel runs it 7 media ticks (140 ms; captured 120 to 165 ms) after it
// was queued, with current_loop/total_loops set and its ${variables}
// expanded then (CHANNEL_EXECUTE carries the expanded argument); when it
// ends, the COMMAND event fires, with the argument as sent. A bridged leg
// runs it only once its bridge has carried 10 media frames
// (DEFAULT_LEAD_FRAMES): frames are not counted while its partner is on
// hold. local_stream:// and tone_stream://...;loops=-1 play until broken;
// other tone_streams for their tones' length. uuid_break <uuid> [all]
// (-USAGE: <uuid> [all], -ERR No such channel!, +OK) stops a running
// broadcast (PLAYBACK_STOP Playback-Status break, CHANNEL_EXECUTE_COMPLETE
// FILE PLAYED, COMMAND) one media tick later, or else a playback or sleep
// the channel runs; "all" first drops the commands not started yet, which
// then fire no event at all. A hangup stops the music with Playback-Status
// done and PLAYBACK ERROR. This is how the service holds a call
// (uuid_broadcast <lead> ${hold_music} aleg, uuid_break <lead> all;
// capture 11).
//
// uuid_hold <uuid> sends the held leg's hold_music to its partner as a
// looping broadcast (loops: -1 in COMMAND) and uuid_hold off breaks it. A
// hold within the partner's first 10 bridge frames (200 ms of
// CHANNEL_BRIDGE) therefore plays nothing during the hold: the music waits
// for the unhold (and 10 frames), starts about 300 ms after it and plays
// until the call ends or a uuid_break (capture 10; an e2e probe found the
// boundary between 150 and 200 ms).
//
// # Scripted endpoints
//
// SetEndpoint keys a Behavior by the dialled number, SIP user,
// "user@host[:port]" or directory extension. A destination that is not
// scripted rings after Config.RingDelay and answers after Config.AnswerDelay
// (300 ms). Outcomes: Answer, Busy (486, USER_BUSY), NoAnswer (rings until
// originate_timeout: NO_ANSWER, send_cancel), Unreachable
// (NORMAL_TEMPORARY_FAILURE after 20 ms, no ringing, as an ICMP port
// unreachable), Rejected (603, CALL_REJECTED), NotRegistered and
// UnknownUser (user/ only: USER_NOT_REGISTERED, SUBSCRIBER_ABSENT, without a
// channel), Fail (any cause). HangupAfter makes the far end hang up (recv_bye);
// EchoDTMF sends every digit played to it back as RFC 2833, reported as DTMF
// with DTMF-Source RTP (the captured lead was sipp -rtp_echo). The directory
// for user/<ext> has every extension registered unless SetUser or RemoveUser
// say otherwise; SetUserVars gives an extension its directory variables
// (user_context...), which a user/ leg gets when its originate returns. A
// user/ leg has the directory dial-string's presence_id and
// sip_invite_domain, hence Channel-Presence-ID and PRESENCE_IN when it
// leaves CS_ROUTING, answers and hangs up. BareSIP makes the far end a peer
// without User-Agent, Allow or Contact parameters (the e2e tier's sipgo
// phones) instead of sipp.
//
// Answering machines: Behavior.Machine. This is not from a capture: it
// follows mod_amd (github.com/rtckit/mod_amd). When the `amd` application runs
// on the leg (as an application, through sendmsg, or execute_on_answer=amd) a
// media bug "amd_read" starts, and after Config.AMDDelay amd_result is set to
// MACHINE (amd_cause MAXWORDS) for a machine or HUMAN (SILENCEAFTERGREETING)
// otherwise, with amd_result_microtime and amd_result_epoch, the bug stops,
// CUSTOM amd::info fires with the channel data, and the application named by
// amd_on_machine / amd_on_human / amd_on_notsure runs.
//
// # What is not simulated
//
//   - Media: no RTP, no audio. Recordings hold silence; mute and levels are
//     state only; conference start-talking/stop-talking never fire (they
//     need audio energy); the floor goes to the newest member once two are
//     in, instead of to whoever speaks.
//   - SIP: no SIP messages. sip_* variables are made up in the shape of the
//     captured sipp peers. Registrations are a table, not REGISTERs; REFER
//     (uuid_deflect) always succeeds with 202 and NOTIFY "SIP/2.0 200 OK".
//   - The vanilla dialplan is not loaded. Extensions are what SetExtension
//     defines (an inline dialplan); others give NO_ROUTE_DESTINATION. The
//     vanilla `global` extension (four log lines and a 10 s sleep because
//     default_password is 1234, plus its hash/export for inbound calls) runs
//     only with Config.VanillaDialplan, and its sleep lasts
//     Config.VanillaSleep.
//   - Sounds: the conference alone prompt fails as on the captured install
//     without sound files; local_stream:// music on hold plays until stopped
//     (Config.NoHoldMusic makes it fail at once, as captured); files not on
//     disk play for Config.PlaybackDuration. A phrase (playback of
//     phrase:<macro>:<data>, pbx-config's queue announcements) plays as one
//     file for Config.PlaybackDuration, with that path in its PLAYBACK_START
//     and PLAYBACK_STOP, where FreeSWITCH plays and reports each file of
//     the macro; an unknown macro or an input its pattern refuses is FILE
//     NOT FOUND. ChannelInfo.Played lists what a channel played.
//   - loopback/ creates the -a leg only (it answers like null/); the -b leg
//     that would run the extension is not created.
//   - log/data frames are never sent after `log`; XML event format is
//     accepted but sent as plain; userauth and ACLs are not implemented.
//   - The ORIGINATOR_CANCEL race is deterministic: a uuid_bridge or
//     uuid_transfer inside Config.OriginatePoll always cancels the job and
//     one after it never does; FreeSWITCH lost 0 to 2 of 60 such races.
//   - A playback ended by a hangup answers PLAYBACK ERROR; FreeSWITCH
//     answers PLAYBACK ERROR or FILE PLAYED depending on where its playback
//     loop was (10: a BYE, PLAYBACK ERROR; 11: uuid_kill, FILE PLAYED).
//   - uuid_break on a channel that plays nothing does nothing; FreeSWITCH
//     leaves CF_BREAK set, which breaks a playback the running application
//     starts later (the next application clears it). A broadcast queued
//     while another plays waits for it; FreeSWITCH may run it inside.
//   - A user/ leg leaves CS_ROUTING at once; captured, it stayed there
//     500 ms (the contact lookup) before ringing.
//   - Thread races of FreeSWITCH (events of different channels interleave
//     differently between runs) are not reproduced: the simulator is
//     deterministic. ShuffleEvents and DuplicateEvents inject disorder on
//     purpose.
//
// # Conformance
//
// conformance_test.go replays every capture in esl/testdata/transcripts and
// compares replies, per-channel event order, the header names of every
// event and the outcome values (BACKGROUND_JOB bodies, Playback-Status,
// Application-Response) with what FreeSWITCH sent; its
// conformanceExceptions table lists all that is left out of the comparison.
// 01 to 09 come from the vanilla configuration; 10 to 12 from the e2e tier
// (FreeSWITCH with pbx-config/, sipgo phones; see the README there).
package sim
