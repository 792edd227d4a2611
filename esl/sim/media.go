package sim

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// mediaBug is a media bug on a channel (uuid_audio, uuid_record, eavesdrop, amd).
type mediaBug struct {
	function, target string
	spy              *channel
}

func (s *Server) bugStart(ch *channel, bug *mediaBug) {
	ch.bugs = append(ch.bugs, bug)
	s.fire(ch, "MEDIA_BUG_START", siteBugStart, chanEvent{pre: kv(
		"Media-Bug-Function", bug.function, "Media-Bug-Target", bug.target)})
}

func (s *Server) bugStop(ch *channel, bug *mediaBug) {
	for i, b := range ch.bugs {
		if b == bug {
			ch.bugs = append(ch.bugs[:i], ch.bugs[i+1:]...)
			s.fire(ch, "MEDIA_BUG_STOP", siteBugStop, chanEvent{pre: kv(
				"Media-Bug-Function", bug.function, "Media-Bug-Target", bug.target)})
			return
		}
	}
}

func (ch *channel) findBug(function string) *mediaBug {
	for _, b := range ch.bugs {
		if b.function == function {
			return b
		}
	}
	return nil
}

// closeBugs removes every bug when the channel is torn down; eavesdroppers
// lose their target and their application ends.
func (s *Server) closeBugs(ch *channel) {
	for len(ch.bugs) > 0 {
		bug := ch.bugs[0]
		s.bugStop(ch, bug)
		if ch.bridgeEndPending {
			s.bLegBridgeEnded(ch)
		}
		if spy := bug.spy; spy != nil && spy.spyTarget == ch {
			spy.spyTarget = nil
			if run := spy.cur; run != nil && (run.name == "eavesdrop" || run.name == "three_way") {
				spy.read = &codecPCMU
				spy.vars.set("read_codec", "PCMU")
				s.codecEvent(spy, "read")
				spy.cur = nil
				s.appDone(spy, run, "")
			}
		}
	}
	ch.spies = nil
}

// --- hold, broadcasts and uuid_break ---

// privateCmd is an "execute" command queued to a channel as a private
// event (switch_core_session_queue_private_event): a uuid_broadcast, or
// the hold music that uuid_hold sends to the held leg's partner. The
// channel runs it when its thread looks at its private events.
type privateCmd struct {
	app, arg string // execute-app-name, execute-app-arg (expanded when it runs)
	loops    int    // the loops header: -1 for hold music; 1 (no header) otherwise
	holdBleg bool   // hold-bleg: true (uuid_broadcast without a leg argument)
	queued   time.Time
	stamp    stamp // the COMMAND event is created when queued
}

// Broadcast timing, in media ticks (20 ms frames on FreeSWITCH):
const (
	// broadcastLatency is how long a queued broadcast takes to start: the
	// channel's loop picks the event up, reads its lead-frames (5), then
	// playback opens the file. Captured: CHANNEL_EXECUTE 120 to 165 ms
	// after uuid_broadcast or uuid_hold.
	broadcastLatency = 7
	// bridgeLeadFrames: a bridged leg looks at its private events only once
	// its bridge has read more than DEFAULT_LEAD_FRAMES (10) frames
	// (switch_ivr_bridge.c). While its partner is on hold (uuid_hold) it
	// reads none, so hold music for a hold within 200 ms of CHANNEL_BRIDGE
	// waits until after the unhold (captured: ~300 ms after uuid_hold off).
	bridgeLeadFrames = 10
)

// queuePrivate queues an execute command on ch. Callers hold s.mu.
func (s *Server) queuePrivate(ch *channel, cmd *privateCmd) {
	cmd.queued = time.Now()
	cmd.stamp = s.newStamp()
	ch.private = append(ch.private, cmd)
	s.pumpPrivate(ch)
}

// bridgeFrames is how long ch's bridge has carried media: the time since
// the bridge less the time its partner was on hold.
func (ch *channel) bridgeFrames(now time.Time) time.Duration {
	d := now.Sub(ch.bridgedAt) - ch.framesPaused
	if !ch.pausedSince.IsZero() {
		d -= now.Sub(ch.pausedSince)
	}
	return d
}

// pumpPrivate starts the next queued command when the channel can run it,
// or schedules itself for then. Callers hold s.mu.
func (s *Server) pumpPrivate(ch *channel) {
	ch.pumpTask.cancel()
	ch.pumpTask = nil
	if len(ch.private) == 0 || ch.down || ch.gone || ch.broadcast != nil {
		return
	}
	now := time.Now()
	tick := s.cfg.MediaTick
	cmd := ch.private[0]
	ready := cmd.queued
	if ch.partner != nil {
		need := bridgeLeadFrames * tick
		if got := ch.bridgeFrames(now); got < need {
			if !ch.pausedSince.IsZero() {
				return // the partner's unhold pumps again
			}
			ready = now.Add(need - got)
		}
	}
	at := ready.Add(broadcastLatency * tick)
	if wait := at.Sub(now); wait > 0 {
		ch.pumpTask = ch.after(wait, func() { s.pumpPrivate(ch) })
		return
	}
	ch.private = ch.private[1:]
	s.runPrivate(ch, cmd)
}

// runPrivate executes a queued command as switch_ivr_parse_event does:
// current_loop/total_loops, the application (CHANNEL_EXECUTE with the
// argument expanded, PLAYBACK_*...), then the COMMAND event, re-fired as
// PRIVATE_COMMAND.
func (s *Server) runPrivate(ch *channel, cmd *privateCmd) {
	app, arg := cmd.app, s.expand(ch, cmd.arg)
	run := &appRun{name: app, arg: arg, uuid: newUUID(), nested: true}
	var holding *channel
	if p := ch.partner; cmd.holdBleg && p != nil && !p.down {
		// hold-bleg: the partner hears the hold music meanwhile.
		if music := s.holdMusicOf(ch); music != "" {
			holding = p
			s.queuePrivate(p, &privateCmd{app: "playback", arg: music, loops: -1})
		}
	}
	run.after = func() {
		ch.broadcast = nil
		ch.vars.unset("current_loop")
		ch.vars.unset("total_loops")
		s.commandEvent(ch, cmd)
		if holding != nil {
			s.stopBroadcast(holding)
		}
		s.pumpPrivate(ch)
	}
	ch.vars.set("current_loop", "1")
	ch.vars.set("total_loops", strconv.Itoa(cmd.loops))
	ch.nested = run
	ch.broadcast = run
	s.fireExecute(ch, run)
	if !strings.EqualFold(app, "playback") {
		s.appDone(ch, run, "")
		return
	}
	s.playFile(ch, run, arg)
}

// stopBroadcast is switch_channel_stop_broadcast: a running broadcast
// breaks (PLAYBACK_STOP break, FILE PLAYED); one still queued is not
// affected.
func (s *Server) stopBroadcast(ch *channel) bool {
	run := ch.broadcast
	if run == nil || run.done {
		return false
	}
	if run.brk != nil {
		run.brk()
	}
	s.finishApp(ch, run, "FILE PLAYED", false)
	return true
}

// flushPrivate drops the commands a channel has not started
// (switch_core_session_flush_private_events): no event reports them.
func (ch *channel) flushPrivate() {
	ch.private = nil
	ch.pumpTask.cancel()
	ch.pumpTask = nil
}

// uuidBreak is what uuid_break does in the channel's thread: a running
// broadcast stops; otherwise a playback or sleep the channel runs is broken
// (CF_BREAK). Nothing running: nothing happens. (`all` drops the queued
// commands at once: see apiUUIDBreak.)
func (s *Server) uuidBreak(ch *channel) {
	if s.stopBroadcast(ch) {
		return
	}
	for _, run := range []*appRun{ch.nested, ch.cur} {
		if run != nil && run.brk != nil && !run.done {
			run.brk()
			return
		}
	}
}

// holdMusicOf is the stream uuid_hold plays to a held leg's partner:
// switch_channel_get_hold_music of the held leg (its hold_music, or the
// global one), expanded.
func (s *Server) holdMusicOf(ch *channel) string {
	music := s.chanVar(ch, "hold_music")
	if music == "" {
		return ""
	}
	return s.expand(ch, music)
}

// hold implements uuid_hold: the held leg's call state goes HELD and its
// bridged partner is sent the hold music (a looping broadcast).
func (s *Server) hold(ch *channel, on bool) bool {
	if on == ch.held {
		return false
	}
	now := time.Now()
	p := ch.partner
	if p != nil && p.down {
		p = nil
	}
	if on {
		ch.held = true
		ch.holdStart = now
		if ch.firstHold.IsZero() {
			ch.firstHold = now
		}
		if p != nil && p.pausedSince.IsZero() {
			p.pausedSince = now
		}
		if ch.sip != nil {
			ch.vars.set("rtp_local_sdp_str", ch.sip.localSDP(1, "sendonly"))
		}
		s.setCallState(ch, "HELD")
		s.fire(ch, "CHANNEL_HOLD", siteHold, chanEvent{})
		if p != nil {
			if music := s.holdMusicOf(ch); music != "" {
				s.holdMedia(p)
				s.queuePrivate(p, &privateCmd{app: "playback", arg: music, loops: -1})
			}
		}
		return true
	}
	ch.held = false
	ch.holdAccum += now.Sub(ch.holdStart)
	ch.holdEvents = append(ch.holdEvents, "{"+strconv.FormatInt(ch.holdStart.UnixMicro(), 10)+","+
		strconv.FormatInt(now.UnixMicro(), 10)+"}")
	if ch.sip != nil {
		ch.sip.branch = "z9hG4bK" + randToken(13)
		ch.sip.cseq++
		ch.vars.set("sip_full_via", "SIP/2.0/UDP 127.0.0.1;rport;branch="+ch.sip.branch)
		ch.vars.set("sip_recover_via", "SIP/2.0/UDP 127.0.0.1;rport;branch="+ch.sip.branch)
		ch.vars.set("sip_cseq", strconv.Itoa(ch.sip.cseq))
		ch.vars.set("switch_r_sdp", ch.sip.remoteSDP())
		ch.vars.set("remote_audio_media_flow", "recvonly")
		ch.vars.set("rtp_local_sdp_str", ch.sip.localSDP(2, "sendrecv"))
	}
	if ch.sip != nil && ch.beh.BareSIP && ch.prof.calleeName == "" {
		// The e2e tier's phones answer the unhold re-INVITE in a way that
		// names the callee (no display name: the number); sipp's do not.
		ch.prof.calleeName = ch.prof.calleeNum
	}
	s.setCallState(ch, "UNHELD")
	s.fire(ch, "CHANNEL_UNHOLD", siteUnhold, chanEvent{})
	if p != nil {
		// switch_ivr_unhold stops the partner's broadcast if one is
		// running; hold music still queued (see bridgeLeadFrames) is not
		// stopped: it starts later and plays until something breaks it.
		s.stopBroadcast(p)
		if p.sip != nil {
			p.vars.set("switch_m_sdp", p.sip.remoteSDP())
			p.vars.set("audio_media_flow", "sendrecv")
		}
		if !p.pausedSince.IsZero() {
			p.framesPaused += now.Sub(p.pausedSince)
			p.pausedSince = time.Time{}
		}
		s.pumpPrivate(p)
	}
	ch.after(s.cfg.MediaTick, func() {
		if !ch.held && ch.callState == "UNHELD" {
			s.setCallState(ch, "ACTIVE")
			if ch.sip != nil {
				ch.vars.set("remote_audio_media_flow", "sendrecv")
			}
		}
	})
	return true
}

// holdMedia is what the hold re-INVITE leaves on the held leg's partner:
// FreeSWITCH copies the phone's recvonly answer onto it.
func (s *Server) holdMedia(p *channel) {
	if p.sip != nil {
		p.vars.set("switch_m_sdp", p.sip.remoteSDP())
		p.vars.set("video_media_flow", "inactive")
		p.vars.set("text_media_flow", "inactive")
		p.vars.set("audio_media_flow", "recvonly")
	}
}

// commandEvent is the event FreeSWITCH fires once a queued command ran: a
// COMMAND event (created when it was queued) re-fired as
// PRIVATE_COMMAND, so it carries two header blocks (Event-Name COMMAND
// first) and the argument as queued, unexpanded.
func (s *Server) commandEvent(ch *channel, cmd *privateCmd) {
	if !s.wanted("PRIVATE_COMMAND", "") {
		s.seq++
		return
	}
	b := s.newEventAt("COMMAND", "", siteBroadcast, cmd.stamp)
	b.e.name = "PRIVATE_COMMAND"
	b.add("call-command", "execute")
	b.add("execute-app-name", cmd.app)
	b.add("execute-app-arg", cmd.arg)
	b.add("event-lock", "true")
	b.add("lead-frames", "5")
	if cmd.loops < 0 {
		b.add("loops", strconv.Itoa(cmd.loops))
	}
	if cmd.holdBleg {
		b.add("hold-bleg", "true")
	}
	s.commonHeaders(b, "PRIVATE_COMMAND", sitePrivateCommand, s.newStamp())
	ch.basicData(b)
	b.e.uuid = ch.uuid
	s.dispatch(b.e)
}

// --- DTMF ---

func (s *Server) dtmfEvent(ch *channel, digit string, source string, duration int) {
	ch.digits += digit
	if source == "RTP" {
		ch.vars.set("last_dtmf_duration", "2000")
	}
	s.fire(ch, "DTMF", siteDTMF, chanEvent{mid: kv(
		"DTMF-Digit", digit, "DTMF-Duration", strconv.Itoa(duration), "DTMF-Source", source)})
}

// playDTMF sends digits to the far end of ch; an echoing endpoint sends
// them back as RFC 2833, which FreeSWITCH reports as DTMF (Source RTP).
func (s *Server) playDTMF(ch *channel, digits string) {
	if !ch.echoDTMF {
		return
	}
	for i, d := range digits {
		digit := string(d)
		ch.after(time.Duration(4+13*i)*s.cfg.MediaTick, func() {
			s.dtmfEvent(ch, digit, "RTP", 2080)
			s.dtmfToApp(ch, digit)
		})
	}
}

// recvDTMF is uuid_recv_dtmf: a DTMF event (Source APP) on ch, forwarded
// to the bridged partner's endpoint.
func (s *Server) recvDTMF(ch *channel, digits string) {
	for i, d := range digits {
		digit := string(d)
		ch.after(time.Duration(i)*s.cfg.MediaTick, func() {
			s.dtmfEvent(ch, digit, "APP", 2000)
			s.dtmfToApp(ch, digit)
			if p := ch.partner; p != nil && !p.down {
				s.playDTMF(p, digit)
			}
		})
	}
}

// dtmfToApp lets the running application react (eavesdrop modes).
func (s *Server) dtmfToApp(ch *channel, digit string) {
	if ch.spyTarget != nil && !strings.EqualFold(varValue(ch, "eavesdrop_enable_dtmf"), "false") {
		s.spyMode(ch, digit)
	}
}

// --- uuid_audio ---

func (s *Server) uuidAudio(ch *channel, argv []string) string {
	if len(argv) < 1 {
		return "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
	}
	switch strings.ToLower(argv[0]) {
	case "stop":
		if bug := ch.findBug("audio"); bug != nil {
			s.bugStop(ch, bug)
		}
		ch.muteRead, ch.muteWrite = false, false
		return "+OK\n"
	case "start":
		if len(argv) < 4 {
			return "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
		}
		dir := strings.ToLower(argv[1])
		what := strings.ToLower(argv[2])
		if (dir != "read" && dir != "write") || (what != "mute" && what != "level") {
			return "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
		}
		lvl, _ := strconv.Atoi(argv[3])
		if what == "mute" {
			if dir == "read" {
				ch.muteRead = lvl != 0
			} else {
				ch.muteWrite = lvl != 0
			}
		}
		if !ch.answered {
			s.answerChannel(ch)
		}
		if ch.findBug("audio") == nil {
			s.bugStart(ch, &mediaBug{function: "audio", target: what})
		}
		return "+OK\n"
	}
	return "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
}

// --- recording ---

// recording is one uuid_record file: a real 8 kHz 16-bit mono WAV of
// silence, as long as the time recorded.
type recording struct {
	path     string
	started  time.Time
	paused   time.Duration
	pausedAt time.Time
	masked   bool
	bug      *mediaBug
	stopTask *task
	file     *os.File
}

func (s *Server) recordPath(p string) string {
	if !filepath.IsAbs(p) {
		return filepath.Join(s.cfg.RecordingsDir, p)
	}
	return p
}

func (ch *channel) recordingFor(path string) *recording {
	for _, r := range ch.records {
		if r.path == path {
			return r
		}
	}
	return nil
}

// startRecording begins a recording; limit (seconds) stops it on its own.
func (s *Server) startRecording(ch *channel, path string, limit int) bool {
	full := s.recordPath(path)
	_ = os.MkdirAll(filepath.Dir(full), 0o755)
	f, err := os.Create(full)
	if err != nil && filepath.IsAbs(path) {
		// A FreeSWITCH path such as /var/lib/freeswitch/recordings is not
		// writable here: keep it, under RecordingsDir.
		alt := filepath.Join(s.cfg.RecordingsDir, path)
		_ = os.MkdirAll(filepath.Dir(alt), 0o755)
		if f, err = os.Create(alt); err == nil {
			s.log.Warn("sim: recording written under RecordingsDir", "path", path, "file", alt)
		}
	}
	if err != nil {
		s.log.Warn("sim: cannot create recording", "path", full, "err", err)
		return false
	}
	_, _ = f.Write(wavHeader(0))
	r := &recording{path: path, started: time.Now(), file: f}
	ch.records = append(ch.records, r)
	s.fire(ch, "RECORD_START", siteRecordStart, chanEvent{post: kv("Record-File-Path", path)})
	r.bug = &mediaBug{function: "session_record", target: path}
	s.bugStart(ch, r.bug)
	if limit > 0 {
		r.stopTask = ch.after(time.Duration(limit)*time.Second, func() { s.stopRecording(ch, r) })
	}
	return true
}

// stopRecording finishes the WAV file and fires RECORD_STOP.
func (s *Server) stopRecording(ch *channel, r *recording) {
	for i, x := range ch.records {
		if x == r {
			ch.records = append(ch.records[:i], ch.records[i+1:]...)
			break
		}
	}
	r.stopTask.cancel()
	now := time.Now()
	if !r.pausedAt.IsZero() {
		r.paused += now.Sub(r.pausedAt)
	}
	length := now.Sub(r.started) - r.paused
	samples := int64(length / (125 * time.Microsecond))
	size := finishWAV(r.file, samples)
	r.file = nil
	ch.vars.set("record_file_size", strconv.FormatInt(size, 10))
	ch.vars.set("record_samples", strconv.FormatInt(samples, 10))
	ch.vars.set("record_seconds", strconv.FormatInt(samples/8000, 10))
	ch.vars.set("record_ms", strconv.FormatInt(samples/8, 10))
	ch.vars.set("record_completion_cause", "success-maxtime")
	s.fire(ch, "RECORD_STOP", siteRecordStop, chanEvent{post: kv(
		"Record-File-Path", r.path, "Record-Completion-Cause", "success-maxtime")})
	s.bugStop(ch, r.bug)
}

func (s *Server) stopAllRecordings(ch *channel) {
	for len(ch.records) > 0 {
		s.stopRecording(ch, ch.records[0])
	}
}

// closeRecordings closes files without events (Restart).
func (ch *channel) closeRecordings() {
	for _, r := range ch.records {
		if r.file != nil {
			finishWAV(r.file, int64(time.Since(r.started)/(125*time.Microsecond)))
		}
	}
	ch.records = nil
}

func wavHeader(dataBytes int64) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataBytes))
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)     // PCM
	binary.LittleEndian.PutUint16(h[22:], 1)     // mono
	binary.LittleEndian.PutUint32(h[24:], 8000)  // sample rate
	binary.LittleEndian.PutUint32(h[28:], 16000) // byte rate
	binary.LittleEndian.PutUint16(h[32:], 2)     // block align
	binary.LittleEndian.PutUint16(h[34:], 16)    // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataBytes))
	return h
}

// finishWAV sizes the file to its samples (zero-filled: silence) and
// writes the final header. It returns the file size.
func finishWAV(f *os.File, samples int64) int64 {
	if f == nil {
		return 0
	}
	data := samples * 2
	_ = f.Truncate(44 + data)
	_, _ = f.WriteAt(wavHeader(data), 0)
	_ = f.Close()
	return 44 + data
}

// wavDuration reads a WAV header's length.
func wavDuration(path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	h := make([]byte, 44)
	if _, err := f.Read(h); err != nil || string(h[0:4]) != "RIFF" || string(h[8:12]) != "WAVE" {
		return 0
	}
	rate := binary.LittleEndian.Uint32(h[28:])
	data := binary.LittleEndian.Uint32(h[40:])
	if rate == 0 {
		return 0
	}
	return time.Duration(float64(data) / float64(rate) * float64(time.Second))
}

// --- eavesdrop ---

// appEavesdrop spies on the target channel (three_way starts in barge).
func (s *Server) appEavesdrop(ch *channel, run *appRun, threeWay bool) {
	target := s.channels[strings.TrimSpace(run.arg)]
	if target == nil || target.down {
		s.appDone(ch, run, "")
		return
	}
	ch.read = &codecL16
	ch.vars.set("read_codec", "L16")
	ch.vars.set("read_rate", "8000")
	s.codecEvent(ch, "read")
	ch.spyTarget = target
	ch.spyMode = "listen"
	switch {
	case threeWay:
		ch.spyMode = "barge"
	case isTrue(varValue(ch, "eavesdrop_whisper_aleg")) && isTrue(varValue(ch, "eavesdrop_whisper_bleg")):
		ch.spyMode = "barge"
	case isTrue(varValue(ch, "eavesdrop_whisper_aleg")):
		ch.spyMode = "talk-to-partner"
	case isTrue(varValue(ch, "eavesdrop_whisper_bleg")):
		ch.spyMode = "whisper"
	}
	target.spies = append(target.spies, ch)
	s.bugStart(target, &mediaBug{function: "eavesdrop", target: target.uuid, spy: ch})
	name, num := target.prof.cidName, target.prof.cidNum
	if p := target.partner; p != nil {
		name, num = p.prof.cidName, p.prof.cidNum
	}
	ch.vars.set("last_sent_callee_id_name", name)
	ch.vars.set("last_sent_callee_id_number", num)
	s.fire(ch, "CALL_UPDATE", siteCallUpdateSIP, chanEvent{pre: kv(
		"Direction", "SEND", "Sent-Callee-ID-Name", name, "Sent-Callee-ID-Number", num)})
	run.abort = func() { s.stopSpying(ch) }
}

// stopSpying ends an eavesdrop from the spy's side (spy hung up or moved).
func (s *Server) stopSpying(spy *channel) {
	t := spy.spyTarget
	if t == nil {
		return
	}
	spy.spyTarget = nil
	for _, b := range t.bugs {
		if b.spy == spy {
			s.bugStop(t, b)
			break
		}
	}
	t.spies = removeChannel(t.spies, spy)
	spy.read = &codecPCMU
	spy.vars.set("read_codec", "PCMU")
	s.codecEvent(spy, "read")
}

// spyMode applies an eavesdrop DTMF key; no event reports it.
func (s *Server) spyMode(spy *channel, key string) {
	switch key {
	case "0":
		spy.spyMode = "listen"
	case "1":
		spy.spyMode = "talk-to-partner"
	case "2":
		spy.spyMode = "whisper"
	case "3":
		spy.spyMode = "barge"
	case "*":
		if run := spy.cur; run != nil && spy.spyTarget != nil {
			spy.cur = nil
			s.stopSpying(spy)
			s.appDone(spy, run, "")
		}
	}
}

// sessionEvent handles `sendevent` to a session: eavesdrop takes
// eavesdrop-command as a mode key. The event is queued, never fired.
func (s *Server) sessionEvent(ch *channel, cmd *command) {
	if k := cmd.header("eavesdrop-command"); k != "" && ch.spyTarget != nil {
		s.spyMode(ch, k)
	}
}

// --- mod_amd ---

// startAMD runs mod_amd's `amd` application: it decides after
// Config.AMDDelay, sets amd_result/amd_cause and fires CUSTOM amd::info.
func (s *Server) startAMD(ch *channel) {
	if ch.amd {
		return
	}
	ch.amd = true
	bug := &mediaBug{function: "amd_read"}
	s.bugStart(ch, bug)
	ch.after(s.cfg.AMDDelay, func() {
		ch.amd = false
		result, cause := "HUMAN", "SILENCEAFTERGREETING"
		if ch.beh.Machine {
			result, cause = "MACHINE", "MAXWORDS"
		}
		ch.vars.set("amd_result", result)
		ch.vars.set("amd_cause", cause)
		now := time.Now()
		ch.vars.set("amd_result_microtime", strconv.FormatInt(now.UnixMicro(), 10))
		ch.vars.set("amd_result_epoch", strconv.FormatInt(now.Unix(), 10))
		s.bugStop(ch, bug)
		s.knownSubclasses["amd::info"] = true
		s.fireSub(ch, "CUSTOM", "amd::info", siteCustom, chanEvent{vars: boolp(true)})
		if app := varValue(ch, "amd_on_"+strings.ToLower(result)); app != "" && !ch.down {
			name, arg, _ := strings.Cut(app, " ")
			s.interruptApp(ch)
			ch.apps = append([]appCall{{name: name, arg: arg}}, ch.apps...)
			s.execNext(ch)
		}
	})
}
