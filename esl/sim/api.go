package sim

import (
	"strconv"
	"strings"
	"time"
)

const (
	fsVersion     = "1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit"
	fsVersionLong = "1.11.3-dev git cc93a68 2026-08-21 14:10:14Z 64bit"
)

type apiHandler func(s *Server, arg string, c *conn, done func(string))

var apiHandlers map[string]apiHandler

func init() {
	apiHandlers = map[string]apiHandler{
		"status": (*Server).apiStatus,
		"version": func(s *Server, _ string, _ *conn, done func(string)) {
			done("FreeSWITCH Version " + fsVersion + " (git cc93a68 2026-08-21 14:10:14Z 64bit)\n")
		},
		"originate":         (*Server).apiOriginate,
		"uuid_bridge":       (*Server).apiUUIDBridge,
		"uuid_hold":         (*Server).apiUUIDHold,
		"uuid_audio":        (*Server).apiUUIDAudio,
		"uuid_transfer":     (*Server).apiUUIDTransfer,
		"uuid_deflect":      (*Server).apiUUIDDeflect,
		"uuid_send_dtmf":    (*Server).apiSendDTMF,
		"uuid_recv_dtmf":    (*Server).apiRecvDTMF,
		"uuid_record":       (*Server).apiUUIDRecord,
		"uuid_broadcast":    (*Server).apiUUIDBroadcast,
		"uuid_break":        (*Server).apiUUIDBreak,
		"break":             (*Server).apiUUIDBreak,
		"uuid_kill":         (*Server).apiUUIDKill,
		"uuid_setvar":       (*Server).apiUUIDSetvar,
		"uuid_setvar_multi": (*Server).apiUUIDSetvarMulti,
		"uuid_getvar":       (*Server).apiUUIDGetvar,
		"uuid_exists":       (*Server).apiUUIDExists,
		"uuid_answer":       (*Server).apiUUIDAnswer,
		"uuid_park":         (*Server).apiUUIDPark,
		"conference":        func(s *Server, arg string, _ *conn, done func(string)) { s.apiConference(arg, done) },
		"show":              (*Server).apiShow,
		"global_getvar":     (*Server).apiGlobalGetvar,
		"reloadxml":         func(s *Server, _ string, _ *conn, done func(string)) { s.fireReloadXML(); done("+OK [Success]\n") },
		"xml_flush_cache":   func(_ *Server, _ string, _ *conn, done func(string)) { done("+OK cleared 0 entries\n") },
		"sofia_contact":     (*Server).apiSofiaContact,
		"hupall":            (*Server).apiHupall,
		"strftime":          func(_ *Server, arg string, _ *conn, done func(string)) { done(strftime(time.Now(), arg)) },
		"sofia":             (*Server).apiSofia,
		"uptime": func(s *Server, _ string, _ *conn, done func(string)) {
			done(strconv.Itoa(int(time.Since(s.started)/time.Second)) + "\n")
		},
	}
}

// runAPI executes an api command, fires the API event when it finishes
// (its Event-Sequence is taken when it starts, as FreeSWITCH's is) and
// hands the output to done. Callers hold s.mu.
func (s *Server) runAPI(name, arg string, c *conn, done func(string)) {
	st := s.newStamp()
	name = strings.TrimSpace(name)
	arg = strings.TrimSpace(arg)
	finished := false
	finish := func(out string) {
		if finished {
			return
		}
		finished = true
		if s.hookAPI != nil {
			out = s.hookAPI(name, out)
		}
		if s.wanted("API", "") {
			b := s.newEventAt("API", "", siteAPI, st)
			b.add("API-Command", name)
			b.add("API-Command-Argument", arg)
			s.dispatch(b.e)
		}
		done(out)
	}
	h := apiHandlers[strings.ToLower(name)]
	if h == nil {
		finish("-ERR " + name + " Command not found!\n")
		return
	}
	h(s, arg, c, finish)
}

func (s *Server) apiStatus(_ string, _ *conn, done func(string)) {
	up := time.Since(s.started)
	d := int(up / (24 * time.Hour))
	h := int(up/time.Hour) % 24
	m := int(up/time.Minute) % 60
	sec := int(up/time.Second) % 60
	msec := int(up/time.Millisecond) % 1000
	usec := int(up/time.Microsecond) % 1000
	out := "UP 0 years, " + strconv.Itoa(d) + " days, " + strconv.Itoa(h) + " hours, " + strconv.Itoa(m) +
		" minutes, " + strconv.Itoa(sec) + " seconds, " + strconv.Itoa(msec) + " milliseconds, " +
		strconv.Itoa(usec) + " microseconds\n" +
		"FreeSWITCH (Version " + fsVersionLong + ") is ready\n" +
		strconv.Itoa(s.sessionsTotal) + " session(s) since startup\n" +
		strconv.Itoa(len(s.channels)) + " session(s) - peak " + strconv.Itoa(s.peakSessions) + ", last 5min " +
		strconv.Itoa(len(s.channels)) + " \n" +
		"0 session(s) per Sec out of max 30, peak 1, last 5min 0 \n" +
		"1000 session(s) max\n" +
		"min idle cpu 0.00/99.00\n" +
		"Current Stack Size/Max 240K/8192K\n"
	done(out)
}

func (s *Server) apiOriginate(arg string, _ *conn, done func(string)) {
	o, ok := parseOriginate(arg)
	if !ok {
		done(originateUsage)
		return
	}
	s.originate(o.dial, originateOpts{cidName: o.cidName, cidNum: o.cidNum, timeout: o.timeout}, func(ch *channel, cause string) {
		if ch == nil {
			s.log.Debug("sim: originate failed", "dial", o.dial, "cause", cause)
			done("-ERR " + cause + "\n")
			return
		}
		s.log.Debug("sim: originate answered", "dial", o.dial, "uuid", ch.uuid)
		done("+OK " + ch.uuid + "\n")
		if ch.down {
			return
		}
		if o.app != "" {
			s.startApps(ch, []appCall{{name: o.app, arg: o.appArg}})
			return
		}
		s.stepForTransfer(ch, o.exten, o.dialplan, o.context)
		s.routeTransfer(ch, o.exten, o.dialplan, o.context, false)
	})
}

func (s *Server) apiUUIDBridge(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	if len(argv) < 2 {
		done("-USAGE: <uuid> <other_uuid>\n")
		return
	}
	a, b := s.channels[argv[0]], s.channels[argv[1]]
	if a == nil || b == nil || a.down || b.down || (!a.answered && !b.answered && !a.early && !b.early) {
		done("-ERR Invalid uuid\n")
		return
	}
	if !a.answered && b.answered {
		a, b = b, a
	}
	// The legs are taken at once (their originate, if it has not seen the
	// answer yet, fails); the bridge itself follows in their threads.
	if a.stuck || b.stuck {
		done("+OK " + b.uuid + "\n")
		return
	}
	if s.stalledBridges.Load() > 0 {
		s.stalledBridges.Add(-1)
		done("+OK " + b.uuid + "\n")
		s.sched.after(s.cfg.MediaTick, func() { s.stallBridge(b) })
		return
	}
	if s.lostBridges.Load() > 0 {
		s.lostBridges.Add(-1)
		done("+OK " + b.uuid + "\n")
		s.sched.after(s.cfg.MediaTick, func() { s.loseBridge(a, b) })
		return
	}
	s.seize(a)
	s.seize(b)
	done("+OK " + b.uuid + "\n")
	s.sched.after(s.cfg.MediaTick, func() {
		if a.down || b.down || a.gone || b.gone {
			s.releaseSeized(a)
			s.releaseSeized(b)
			return
		}
		s.uuidBridge(a, b)
	})
}

func (s *Server) apiUUIDHold(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	mode := "on"
	if len(argv) > 0 && (strings.EqualFold(argv[0], "off") || strings.EqualFold(argv[0], "toggle")) {
		mode = strings.ToLower(argv[0])
		argv = argv[1:]
	}
	ch := s.liveChannel(argv, 1, "-USAGE: [off|toggle] <uuid> [<display>]\n", "+OK Success\n", done)
	if ch == nil {
		return
	}
	on := mode == "on" || (mode == "toggle" && !ch.held)
	if !s.hold(ch, on) {
		done("-ERR Operation failed\n")
		return
	}
	done("+OK Success\n")
}

func (s *Server) apiUUIDAudio(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 2, "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n", "-ERR No such channel!\n", done)
	if ch == nil {
		return
	}
	done(s.uuidAudio(ch, argv[1:]))
}

// liveChannel answers usage when argv has fewer than min words, and
// notFound when argv[0] names no live channel; each command has its own
// FreeSWITCH wording for both. nil means it has answered.
func (s *Server) liveChannel(argv []string, min int, usage, notFound string, done func(string)) *channel {
	if len(argv) < min {
		done(usage)
		return nil
	}
	ch := s.channels[argv[0]]
	if ch == nil || ch.down {
		done(notFound)
		return nil
	}
	return ch
}

func (s *Server) apiUUIDTransfer(arg string, _ *conn, done func(string)) {
	argv := separate(arg, ' ')
	ch := s.liveChannel(argv, 2, "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n", "-ERR No such channel!\n", done)
	if ch == nil {
		return
	}
	mode := ""
	rest := argv[1:]
	if strings.EqualFold(rest[0], "-bleg") || strings.EqualFold(rest[0], "-both") {
		mode = strings.ToLower(rest[0])
		rest = rest[1:]
	}
	if len(rest) == 0 {
		done("-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n")
		return
	}
	dest, dp, ctx := rest[0], "XML", "default"
	if len(rest) > 1 {
		dp = rest[1]
	}
	if len(rest) > 2 {
		ctx = rest[2]
	}
	target := ch
	if mode == "-bleg" {
		if ch.partner == nil {
			done("-ERR\n")
			return
		}
		target = ch.partner
	}
	s.seize(target)
	done("+OK\n")
	s.sched.after(s.cfg.MediaTick, func() {
		if target.down || target.gone {
			s.releaseSeized(target)
			return
		}
		if mode == "-both" {
			s.transferBoth(ch, dest, dp, ctx)
		} else {
			s.transferChannel(target, dest, dp, ctx)
		}
		s.releaseSeized(target)
	})
}

// apiUUIDDeflect sends a REFER; the reply waits for the NOTIFY.
func (s *Server) apiUUIDDeflect(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	if len(argv) < 2 {
		done("-USAGE: <uuid> <uri>\n")
		return
	}
	ch := s.liveChannel(argv, 2, "", "-ERR No such channel "+argv[0]+"!\n", done)
	if ch == nil {
		return
	}
	if !ch.answered || ch.sip == nil {
		done("-ERR Cannot deflect an unanswered or non-SIP channel!\n")
		return
	}
	ch.after(11*s.cfg.MediaTick, func() {
		s.notifyRefer(ch)
		ch.vars.set("sip_refer_status_code", "202")
		ch.vars.set("sip_refer_target_status_code", "200")
		ch.vars.set("sip_refer_reply", "SIP/2.0 200 OK\r\n")
		ch.noDisposition = true
		s.hangup(ch, "BLIND_TRANSFER")
	})
	s.sched.after(15*s.cfg.MediaTick, func() { done("+OK:SIP/2.0 200 OK\r\n\n") })
}

func (s *Server) notifyRefer(ch *channel) {
	if !s.wanted("CUSTOM", "sofia::notify_refer") {
		s.seq++
		return
	}
	b := s.newEvent("CUSTOM", "sofia::notify_refer", siteNotifyRefer)
	p := ch.sip
	b.add("content-type", "message/sipfrag")
	b.add("event-package", "refer")
	b.add("event-id", strconv.Itoa(p.cseq+1))
	b.add("contact", "(null)@"+p.host)
	b.add("from", p.user+"@"+p.host)
	b.add("from-tag", p.toTag)
	b.add("to", ch.prof.calleeNum+"@127.0.0.1")
	b.add("to-tag", p.fromTag)
	b.add("call-id", p.callID)
	b.add("subscription-substate", "terminated")
	b.add("subscription-reason", "noresource")
	b.add("UniqueID", ch.uuid)
	b.e.body = "SIP/2.0 200 OK\r\n"
	b.e.hasBody = true
	s.dispatch(b.e)
}

func (s *Server) apiSendDTMF(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 2, "-USAGE: <uuid> <dtmf_data>\n", "-ERR Cannot locate session!\n", done)
	if ch == nil {
		return
	}
	digits, _, _ := strings.Cut(argv[1], "@")
	done("+OK " + ch.uuid + " sent DTMF " + argv[1] + ".\n")
	s.playDTMF(ch, digits)
}

func (s *Server) apiRecvDTMF(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 2, "-USAGE: <uuid> <dtmf_data>\n", "-ERR Cannot locate session!\n", done)
	if ch == nil {
		return
	}
	done("+OK " + ch.uuid + " received DTMF " + argv[1] + ".\n")
	digits, _, _ := strings.Cut(argv[1], "@")
	s.recvDTMF(ch, digits)
}

func (s *Server) apiUUIDRecord(arg string, _ *conn, done func(string)) {
	const usage = "-USAGE: <uuid> [start|stop|mask|unmask|pause|resume] <path> [<limit>] [<recording_vars>]\n"
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 3, usage, "-ERR Cannot locate session!\n", done)
	if ch == nil {
		return
	}
	action, path := strings.ToLower(argv[1]), argv[2]
	switch action {
	case "start":
		limit := 0
		if len(argv) > 3 {
			limit = atoiSafe(argv[3])
		}
		if !s.startRecording(ch, path, limit) {
			done("-ERR Cannot record session!\n")
			return
		}
		done("+OK Success\n")
	case "stop":
		if path == "all" {
			if len(ch.records) == 0 {
				done("-ERR Cannot stop record session!\n")
				return
			}
			s.stopAllRecordings(ch)
			done("+OK Success\n")
			return
		}
		r := ch.recordingFor(path)
		if r == nil {
			done("-ERR Cannot stop record session!\n")
			return
		}
		s.stopRecording(ch, r)
		done("+OK Success\n")
	case "mask", "unmask", "pause", "resume":
		r := ch.recordingFor(path)
		if r == nil {
			done("-ERR Cannot mask recording session!\n")
			return
		}
		switch action {
		case "mask":
			r.masked = true
		case "unmask":
			r.masked = false
		case "pause":
			if r.pausedAt.IsZero() {
				r.pausedAt = time.Now()
			}
		case "resume":
			if !r.pausedAt.IsZero() {
				r.paused += time.Since(r.pausedAt)
				r.pausedAt = time.Time{}
			}
		}
		done("+OK Success\n")
	default:
		done(usage)
	}
}

// apiUUIDBroadcast is uuid_broadcast: the path is queued as an execute
// command (a private event) to the leg, its partner or both
// (switch_ivr_broadcast); it runs when the channel gets to it (see
// pumpPrivate), with its ${variables} expanded then.
func (s *Server) apiUUIDBroadcast(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 2, "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n", "-ERR invalid uuid\n", done)
	if ch == nil {
		return
	}
	echoA, echoB, holdB := true, false, true
	if len(argv) > 2 {
		f := strings.ToLower(argv[2])
		echoA, echoB, holdB = false, false, false
		if strings.Contains(f, "both") {
			echoA, echoB = true, true
		}
		if strings.Contains(f, "aleg") {
			echoA = true
		}
		if strings.Contains(f, "bleg") {
			holdB, echoB = false, true
		}
		if strings.Contains(f, "holdb") {
			echoB, holdB = false, true
		}
	}
	app, path := "playback", argv[1]
	if a, b, ok := strings.Cut(path, "::"); ok {
		app, path = a, b
	}
	done("+OK Message sent\n")
	if p := ch.partner; echoB && p != nil && !p.down {
		s.queuePrivate(p, &privateCmd{app: app, arg: path, loops: 1, holdBleg: holdB})
	}
	if echoA {
		s.queuePrivate(ch, &privateCmd{app: app, arg: path, loops: 1, holdBleg: holdB})
	}
}

// apiUUIDBreak is uuid_break <uuid> [all] (and [both]): it stops what the
// channel plays; see uuidBreak.
func (s *Server) apiUUIDBreak(arg string, _ *conn, done func(string)) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		done("-USAGE: <uuid> [all]\n")
		return
	}
	id, flag, _ := strings.Cut(arg, " ")
	ch := s.channels[id]
	if ch == nil {
		done("-ERR No such channel!\n")
		return
	}
	all := strings.Contains(flag, "all")
	targets := []*channel{ch}
	if p := ch.partner; p != nil && strings.Contains(flag, "both") {
		targets = append(targets, p)
	}
	for _, t := range targets {
		if all {
			t.flushPrivate()
		}
	}
	done("+OK\n")
	for _, t := range targets {
		t.after(s.cfg.MediaTick, func() { s.uuidBreak(t) })
	}
}

func (s *Server) apiUUIDKill(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	ch := s.liveChannel(argv, 1, "-USAGE: <uuid> [cause]\n", "-ERR No such channel!\n", done)
	if ch == nil {
		return
	}
	cause := "NORMAL_CLEARING"
	if len(argv) > 1 {
		cause, _ = normCause(argv[1])
	}
	done("+OK\n")
	if ch.stuck && s.stuckDeaf.Load() {
		return
	}
	s.hangup(ch, cause)
}

func (s *Server) apiUUIDSetvar(arg string, _ *conn, done func(string)) {
	uuid, rest, _ := strings.Cut(arg, " ")
	name, val, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	ch := s.channels[uuid]
	if name == "" {
		done("-USAGE: <uuid> <var> [value]\n")
		return
	}
	if ch == nil {
		done("-ERR No such channel!\n")
		return
	}
	ch.vars.set(name, val)
	done("+OK\n")
}

func (s *Server) apiUUIDSetvarMulti(arg string, _ *conn, done func(string)) {
	uuid, rest, _ := strings.Cut(arg, " ")
	ch := s.channels[uuid]
	if rest == "" {
		done("-USAGE: <uuid> <var>=<value>;<var>=<value>...\n")
		return
	}
	if ch == nil {
		done("-ERR No such channel!\n")
		return
	}
	for _, kvp := range strings.Split(rest, ";") {
		name, val, _ := strings.Cut(kvp, "=")
		if name = strings.TrimSpace(name); name != "" {
			ch.vars.set(name, val)
		}
	}
	done("+OK\n")
}

func (s *Server) apiUUIDGetvar(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	if len(argv) < 2 {
		done("-USAGE: <uuid> <var>\n")
		return
	}
	ch := s.channels[argv[0]]
	if ch == nil {
		done("-ERR No such channel!\n")
		return
	}
	if v := s.chanVar(ch, argv[1]); v != "" {
		done(v)
		return
	}
	done("_undef_")
}

func (s *Server) apiUUIDExists(arg string, _ *conn, done func(string)) {
	if ch := s.channels[strings.TrimSpace(arg)]; ch != nil {
		done("true")
		return
	}
	done("false")
}

func (s *Server) apiUUIDAnswer(arg string, _ *conn, done func(string)) {
	ch := s.channels[strings.TrimSpace(arg)]
	if ch == nil || ch.down {
		done("-ERR No such channel!\n")
		return
	}
	if !ch.answered {
		s.answerChannel(ch)
	}
	done("+OK\n")
}

func (s *Server) apiUUIDPark(arg string, _ *conn, done func(string)) {
	ch := s.channels[strings.TrimSpace(arg)]
	if ch == nil || ch.down {
		done("-ERR No such channel!\n")
		return
	}
	done("+OK\n")
	ch.after(0, func() { s.transferChannel(ch, "park", "inline", "default") })
}

func (s *Server) apiGlobalGetvar(arg string, _ *conn, done func(string)) {
	switch strings.TrimSpace(arg) {
	case "core_uuid":
		done(s.coreUUID)
	case "hostname":
		done(s.cfg.Hostname)
	case "local_ip_v4":
		done(s.cfg.IPv4)
	case "domain":
		done(s.cfg.IPv4)
	case "":
		done("core_uuid=" + s.coreUUID + "\nhostname=" + s.cfg.Hostname + "\n")
	default:
		done(s.globals[strings.TrimSpace(arg)])
	}
}

func (s *Server) apiSofiaContact(arg string, _ *conn, done func(string)) {
	a := strings.TrimSpace(arg)
	if i := strings.IndexByte(a, '/'); i >= 0 {
		a = a[i+1:]
	}
	ext, _, _ := strings.Cut(a, "@")
	if exists, reg := s.lookupUser(ext); !exists || !reg {
		done("error/user_not_registered")
		return
	}
	done("sofia/internal/sip:" + ext + "@" + userContact(ext))
}

func (s *Server) apiHupall(arg string, _ *conn, done func(string)) {
	cause := "NORMAL_CLEARING"
	if f := strings.Fields(arg); len(f) > 0 {
		cause, _ = normCause(f[0])
	}
	done("+OK hangup all channels with cause " + cause + "\n")
	chans := append([]*channel(nil), s.order...)
	for _, ch := range chans {
		ch := ch
		ch.after(0, func() { s.hangup(ch, cause) })
	}
}

// noteGateway records a gateway a call went through: the simulator
// accepts any gateway name, so one that carried a call is one that exists
// (until killgw).
func (s *Server) noteGateway(name string) {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	if s.gateways == nil {
		s.gateways = map[string]bool{}
	}
	s.gateways[name] = true
}

func (s *Server) apiSofia(arg string, _ *conn, done func(string)) {
	argv := strings.Fields(arg)
	if len(argv) >= 3 && argv[0] == "profile" {
		s.apiSofiaProfile(argv[1], argv[2], argv[3:], done)
		return
	}
	if len(argv) == 0 || argv[0] != "status" {
		done("-ERR Usage: sofia status\n")
		return
	}
	sep := strings.Repeat("=", 96) + "\n"
	done(sep + "\tName\t   Type\t                                      Data\tState\n" + sep +
		"\tinternal\tprofile\tsip:mod_sofia@" + s.cfg.IPv4 + ":5060\tRUNNING (0)\n" + s.gatewayRows() + sep +
		"1 profile 0 aliases\n")
}

// apiSofiaProfile answers the profile commands a provisioning change
// sends, with mod_sofia's replies: rescan reloads the XML first,
// killgw of an unknown gateway is -ERR, flush_inbound_reg is +OK.
func (s *Server) apiSofiaProfile(profile, cmd string, args []string, done func(string)) {
	switch cmd {
	case "rescan":
		s.rescan(profile, done)
	case "killgw":
		if len(args) == 0 {
			done("-ERR missing gateway name\n")
			return
		}
		s.gwMu.Lock()
		known := s.gateways[args[0]]
		delete(s.gateways, args[0])
		s.gwMu.Unlock()
		known = s.killGateway(args[0]) || known
		if !known {
			done("-ERR no such gateway.\n")
			return
		}
		done("+OK gateway marked for deletion.\n")
	case "flush_inbound_reg":
		done("+OK\n")
	default:
		done("-ERR Unknown command!\n")
	}
}

func (s *Server) fireReloadXML() {
	if !s.wanted("RELOADXML", "") {
		s.seq++
		return
	}
	b := s.newEvent("RELOADXML", "", siteReloadXML)
	s.dispatch(b.e)
}
