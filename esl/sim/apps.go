package sim

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// appCall is one dialplan application to run.
type appCall struct {
	name, arg string
	uuid      string // Application-UUID chosen by the caller (sendmsg Event-UUID)
	after     func() // runs after CHANNEL_EXECUTE_COMPLETE (PRIVATE_COMMAND of sendmsg)
	loops     string // sendmsg loops: current_loop/total_loops
}

// appRun is the application a channel is running.
type appRun struct {
	name, arg string
	uuid      string
	response  string
	// abort ends the application early (hangup, unpark, transfer) and
	// fires its own closing events; CHANNEL_EXECUTE_COMPLETE follows.
	abort func()
	// noComplete: uuid_bridge fires no CHANNEL_EXECUTE_COMPLETE.
	noComplete bool
	after      func()
	nested     bool
	done       bool
	// brk is uuid_break on a running playback or sleep (CF_BREAK): it fires
	// the application's own closing events and finishes it.
	brk func()
}

// parseInline splits an inline dialplan "app:arg,app2:arg2"; a leading
// "m:X:" switches the separator to X.
func parseInline(s string) []appCall {
	sep := ","
	if len(s) > 4 && s[0] == 'm' && s[1] == ':' && s[3] == ':' {
		sep = string(s[2])
		s = s[4:]
	}
	var out []appCall
	for _, part := range strings.Split(s, sep) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, arg, _ := strings.Cut(part, ":")
		out = append(out, appCall{name: name, arg: arg})
	}
	return out
}

// vanillaPrelude is the vanilla `global` extension that runs before every
// extension of the default context.
func (s *Server) vanillaPrelude(ch *channel) []appCall {
	apps := []appCall{
		{name: "log", arg: "CRIT WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING "},
		{name: "log", arg: "CRIT Open /etc/freeswitch/vars.xml and change the default_password."},
		{name: "log", arg: "CRIT Once changed type 'reloadxml' at the console."},
		{name: "log", arg: "CRIT WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING "},
		{name: "sleep", arg: strconv.Itoa(int(s.cfg.VanillaSleep / time.Millisecond))},
	}
	if d, _ := ch.getVar("endpoint_disposition"); strings.HasPrefix(d, "DELAYED NEGOTIATION") {
		apps = append(apps,
			appCall{name: "hash", arg: "insert/${domain_name}-spymap/${caller_id_number}/${uuid}"},
			appCall{name: "hash", arg: "insert/${domain_name}-last_dial/${caller_id_number}/${destination_number}"},
			appCall{name: "hash", arg: "insert/${domain_name}-last_dial/global/${uuid}"},
			appCall{name: "export", arg: "RFC2822_DATE=${strftime(%a, %d %b %Y %T %z)}"},
		)
	}
	return apps
}

// dialplanApps resolves an extension in a dialplan. ok is false when no
// extension matches (NO_ROUTE_DESTINATION).
func (s *Server) dialplanApps(ch *channel, dest, dialplan, context string) ([]appCall, bool) {
	if strings.EqualFold(dialplan, "inline") {
		return parseInline(dest), true
	}
	var apps []appCall
	if s.cfg.VanillaDialplan && (context == "" || context == "default") {
		apps = s.vanillaPrelude(ch)
		if d, _ := ch.getVar("endpoint_disposition"); strings.HasPrefix(d, "DELAYED NEGOTIATION") {
			ch.vars.set("DP_MATCH", "ARRAY::DELAYED NEGOTIATION|:DELAYED NEGOTIATION")
		}
	}
	ext, ok := s.extensions[dest]
	if !ok {
		return nil, false
	}
	return append(apps, parseInline(ext)...), true
}

// execNext runs the next queued application; with none left the call ends.
func (s *Server) execNext(ch *channel) {
	if ch.down || ch.gone || ch.cur != nil || ch.inBridge || ch.member != nil {
		return
	}
	if len(ch.apps) == 0 {
		s.hangup(ch, "NORMAL_CLEARING")
		return
	}
	call := ch.apps[0]
	ch.apps = ch.apps[1:]
	if ch.running != "CS_EXECUTE" {
		s.setState(ch, "CS_EXECUTE")
	}
	s.execApp(ch, call)
}

// startApps replaces the channel's dialplan and starts it.
func (s *Server) startApps(ch *channel, apps []appCall) {
	ch.apps = apps
	s.execNext(ch)
}

func (s *Server) execApp(ch *channel, call appCall) {
	arg := s.expand(ch, call.arg)
	run := &appRun{name: call.name, arg: arg, uuid: call.uuid, after: call.after}
	if run.uuid == "" {
		run.uuid = newUUID()
	}
	ch.cur = run
	s.fireExecute(ch, run)
	s.runApp(ch, run)
}

// fireExecute sets current_application(_data) and fires CHANNEL_EXECUTE.
func (s *Server) fireExecute(ch *channel, run *appRun) {
	ch.vars.unset("current_application_response")
	ch.vars.set("current_application", run.name)
	if run.arg != "" {
		ch.vars.set("current_application_data", run.arg)
	} else {
		ch.vars.unset("current_application_data")
	}
	s.fire(ch, "CHANNEL_EXECUTE", siteExecute, chanEvent{post: kv(
		"Application", run.name,
		"Application-Data", run.arg,
		"Application-UUID", run.uuid,
	)})
}

// appDone finishes an application: CHANNEL_EXECUTE_COMPLETE, then the
// next one (unless the call is going away).
func (s *Server) appDone(ch *channel, run *appRun, response string) {
	s.finishApp(ch, run, response, true)
}

func (s *Server) finishApp(ch *channel, run *appRun, response string, next bool) {
	if run.done {
		return
	}
	run.done = true
	if response != "" {
		run.response = response
	}
	if run.response == "" {
		run.response = "_none_"
	}
	if run.nested {
		if ch.nested == run {
			ch.nested = nil
		}
	} else if ch.cur == run {
		ch.cur = nil
	}
	if run.response != "_none_" {
		ch.vars.set("current_application_response", run.response)
	}
	if !run.noComplete {
		s.fire(ch, "CHANNEL_EXECUTE_COMPLETE", siteExecComplete, chanEvent{post: kv(
			"Application", run.name,
			"Application-Data", run.arg,
			"Application-Response", run.response,
			"Application-UUID", run.uuid,
		)})
	}
	if run.after != nil {
		run.after()
	}
	if next && !run.nested && !ch.down {
		s.execNext(ch)
	}
}

// interruptApp ends the running application without ending the call.
func (s *Server) interruptApp(ch *channel) {
	if run := ch.nested; run != nil {
		if run.abort != nil {
			run.abort()
		}
		s.appDone(ch, run, "")
	}
	if run := ch.cur; run != nil {
		ch.cur = nil
		if run.abort != nil {
			run.abort()
		}
		s.finishApp(ch, run, "", false)
	}
}

// abortApps ends applications at hangup.
func (s *Server) abortApps(ch *channel) {
	ch.apps = nil
	if run := ch.nested; run != nil {
		if run.abort != nil {
			run.abort()
		}
		s.finishApp(ch, run, "", false)
	}
	if ch.member != nil {
		s.leaveConference(ch, true)
	}
	if run := ch.cur; run != nil {
		ch.cur = nil
		if run.abort != nil {
			run.abort()
		}
		s.finishApp(ch, run, "", false)
	}
	if run := ch.bridgeApp; run != nil {
		ch.bridgeApp = nil
		s.finishApp(ch, run, "", false)
	}
	if ch.member != nil {
		s.leaveConference(ch, false)
	}
	s.stopSpying(ch)
}

// runApp dispatches one application.
func (s *Server) runApp(ch *channel, run *appRun) {
	switch strings.ToLower(run.name) {
	case "park":
		s.appPark(ch, run)
	case "socket":
		s.appSocket(ch, run)
	case "playback":
		s.appPlayback(ch, run)
	case "sleep":
		d := time.Duration(atoiSafe(run.arg)) * time.Millisecond
		run.abort = func() {}
		run.brk = func() { s.appDone(ch, run, "") }
		ch.after(d, func() {
			if ch.cur == run {
				s.appDone(ch, run, "")
			}
		})
	case "answer", "pre_answer":
		if !ch.answered {
			s.answerChannel(ch)
		}
		s.appDone(ch, run, "")
	case "hangup":
		cause := run.arg
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		c, _ := normCause(cause)
		s.hangup(ch, c)
	case "set", "export":
		name, val, _ := strings.Cut(run.arg, "=")
		if name != "" {
			ch.vars.set(name, val)
			if strings.EqualFold(run.name, "export") {
				ev, _ := ch.getVar("export_vars")
				if ev == "" {
					ev = name
				} else {
					ev += "," + name
				}
				ch.vars.set("export_vars", ev)
			}
		}
		s.appDone(ch, run, "")
	case "unset":
		ch.vars.unset(run.arg)
		s.appDone(ch, run, "")
	case "conference":
		s.appConference(ch, run)
	case "eavesdrop":
		s.appEavesdrop(ch, run, false)
	case "three_way":
		s.appEavesdrop(ch, run, true)
	case "bridge":
		s.appBridge(ch, run)
	case "transfer":
		args := strings.Fields(run.arg)
		s.appDone(ch, run, "")
		if len(args) > 0 && !ch.down {
			dp, ctx := "XML", "default"
			if len(args) > 1 {
				dp = args[1]
			}
			if len(args) > 2 {
				ctx = args[2]
			}
			s.transferChannel(ch, args[0], dp, ctx)
		}
	case "amd":
		s.startAMD(ch)
		s.appDone(ch, run, "")
	case "record_session":
		s.startRecording(ch, run.arg, 0)
		s.appDone(ch, run, "")
	case "echo", "delay_echo":
		run.abort = func() {}
	case "ring_ready":
		if ch.progressAt.IsZero() {
			ch.progressAt = time.Now()
			s.fire(ch, "CHANNEL_PROGRESS", siteProgress, chanEvent{})
		}
		s.appDone(ch, run, "")
	default:
		s.appDone(ch, run, "")
	}
}

// appPark parks the channel until something takes it away.
func (s *Server) appPark(ch *channel, run *appRun) {
	ch.parked = true
	s.fire(ch, "CHANNEL_PARK", sitePark, chanEvent{})
	run.abort = func() {
		ch.parked = false
		s.fire(ch, "CHANNEL_UNPARK", siteUnpark, chanEvent{})
	}
}

// playDuration says how long a file plays and whether it exists; a
// negative duration plays until something stops it.
func (s *Server) playDuration(path string) (time.Duration, bool) {
	switch {
	case strings.HasPrefix(path, "phrase:"):
		return s.cfg.PlaybackDuration, knownPhrase(strings.TrimPrefix(path, "phrase:"))
	case strings.HasPrefix(path, "silence_stream://"):
		n := atoiSafe(strings.TrimPrefix(path, "silence_stream://"))
		if n <= 0 {
			return -1, true
		}
		return time.Duration(n) * time.Millisecond, true
	case strings.HasPrefix(path, "local_stream://"):
		if s.cfg.NoHoldMusic {
			return 0, false
		}
		return -1, true
	case strings.HasPrefix(path, "tone_stream://"):
		return toneDuration(strings.TrimPrefix(path, "tone_stream://")), true
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		if d := wavDuration(path); d > 0 {
			return d, true
		}
	}
	return s.cfg.PlaybackDuration, true
}

// knownPhrase reports whether FreeSWITCH with pbx-config plays
// <macro>:<number> (playback's phrase:<macro>:<data>): one of its macros,
// with an input the macro's pattern matches.
func knownPhrase(spec string) bool {
	macro, data, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(data)
	if err != nil || strconv.Itoa(n) != data {
		return false
	}
	switch macro {
	case pbxnames.PhraseQueuePosition:
		return n >= 1 && n <= esl.MaxAnnouncePosition
	case pbxnames.PhraseQueueWait:
		return n >= 0 && n <= esl.MaxAnnounceWait
	}
	return false
}

// toneDuration is how long a tone_stream plays (mod_tone_stream and
// libteletone): each %(on,off,freq...) segment lasts on+off ms; ;loops=N
// plays the whole N times and ;loops=-1 for ever. An unparsed spec plays
// 400 ms.
func toneDuration(spec string) time.Duration {
	loops := 1
	lower := strings.ToLower(spec)
	if i := strings.Index(lower, ";loops="); i >= 0 {
		loops = atoiSignedSafe(spec[i+7:])
		spec = spec[:i]
	}
	var total time.Duration
	for _, seg := range strings.Split(spec, ";") {
		seg = strings.TrimSpace(seg)
		open, shut := strings.IndexByte(seg, '('), strings.IndexByte(seg, ')')
		if len(seg) < 2 || seg[1] != '(' || open != 1 || shut < 0 {
			continue
		}
		parts := strings.Split(seg[open+1:shut], ",")
		if len(parts) >= 2 {
			total += time.Duration(atoiSafe(parts[0])+atoiSafe(parts[1])) * time.Millisecond
		}
	}
	if total == 0 {
		total = 400 * time.Millisecond
	}
	switch {
	case loops < 0:
		return -1
	case loops > 1:
		return total * time.Duration(loops)
	}
	return total
}

// atoiSignedSafe reads a leading, possibly negative, integer.
func atoiSignedSafe(s string) int {
	if strings.HasPrefix(s, "-") {
		return -atoiSafe(s[1:])
	}
	return atoiSafe(s)
}

// appPlayback plays a file: PLAYBACK_START, the file's length, PLAYBACK_STOP.
func (s *Server) appPlayback(ch *channel, run *appRun) {
	s.playFile(ch, run, run.arg)
}

// playbackBuffer is what switch_ivr_play_file has read of a file when it
// stops (playback_samples): the file, or at least the first 16384 samples
// of a longer one or a stream.
const playbackBuffer = 16384

func (s *Server) playFile(ch *channel, run *appRun, path string) {
	d, ok := s.playDuration(path)
	if !ok {
		s.appDone(ch, run, "FILE NOT FOUND")
		return
	}
	started := time.Now()
	ch.played = append(ch.played, path)
	fileType := ""
	switch {
	case strings.HasPrefix(strings.ToLower(path), "local_stream:"):
		fileType = "local_stream"
	case strings.HasPrefix(strings.ToLower(path), "tone_stream:"):
		fileType = "tone_stream"
	}
	s.fire(ch, "PLAYBACK_START", sitePlayStart, chanEvent{post: kv(
		"Playback-File-Type", fileType, "Playback-File-Path", path)})
	stop := func(status string) {
		played := time.Since(started)
		if d > 0 && played > d {
			played = d
		}
		offset := int64(played / (125 * time.Microsecond))
		read := int64(playbackBuffer)
		if d > 0 && int64(d/(125*time.Microsecond)) < read {
			read = int64(d / (125 * time.Microsecond))
		}
		if offset > read {
			read = (offset + 1023) / 1024 * 1024
			if d > 0 && read > int64(d/(125*time.Microsecond)) {
				read = int64(d / (125 * time.Microsecond))
			}
		}
		ch.vars.set("playback_last_offset_pos", strconv.FormatInt(offset, 10))
		ch.vars.set("playback_seconds", strconv.FormatInt(read/8000, 10))
		ch.vars.set("playback_ms", strconv.FormatInt(read/8, 10))
		ch.vars.set("playback_samples", strconv.FormatInt(read, 10))
		s.fire(ch, "PLAYBACK_STOP", sitePlayStop, chanEvent{post: kv(
			"Playback-File-Type", fileType, "Playback-File-Path", path, "Playback-Status", status)})
	}
	// Hangup or transfer: the file stops, Playback-Status done, and the
	// application answers PLAYBACK ERROR (captured).
	run.abort = func() {
		stop("done")
		run.response = "PLAYBACK ERROR"
	}
	// uuid_break: Playback-Status break, FILE PLAYED.
	run.brk = func() {
		if run.done {
			return
		}
		stop("break")
		s.appDone(ch, run, "FILE PLAYED")
	}
	if d < 0 {
		return // plays until interrupted
	}
	ch.after(d, func() {
		if run.done || (ch.cur != run && ch.nested != run) {
			return
		}
		stop("done")
		s.appDone(ch, run, "FILE PLAYED")
	})
}

// expand replaces ${var} (and $${var}: at run time FreeSWITCH's
// switch_channel_expand_variables treats both alike) with channel
// variables, falling back to globals, and ${api(args)} with a few API
// functions (each fires an API event, as FreeSWITCH does).
func (s *Server) expand(ch *channel, in string) string {
	if !strings.Contains(in, "${") {
		return in
	}
	var b strings.Builder
	for {
		i := strings.Index(in, "${")
		if i < 0 {
			b.WriteString(in)
			break
		}
		if i > 0 && in[i-1] == '\\' {
			// \${ stays literal.
			b.WriteString(in[:i-1] + "${")
			in = in[i+2:]
			continue
		}
		pre := in[:i]
		if strings.HasSuffix(pre, "$") {
			pre = pre[:len(pre)-1]
		}
		b.WriteString(pre)
		rest := in[i+2:]
		depth := 1
		j := 0
		for ; j < len(rest) && depth > 0; j++ {
			switch rest[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth != 0 {
			b.WriteString(in[i:])
			break
		}
		expr := rest[:j-1]
		in = rest[j:]
		if p := strings.IndexByte(expr, '('); p > 0 && strings.HasSuffix(expr, ")") {
			b.WriteString(s.apiFunc(expr[:p], expr[p+1:len(expr)-1]))
			continue
		}
		b.WriteString(s.chanVar(ch, expr))
	}
	return b.String()
}

// chanVar reads a variable, falling back to caller-profile fields.
func (s *Server) chanVar(ch *channel, name string) string {
	if v, ok := ch.getVar(name); ok {
		return v
	}
	switch name {
	case "caller_id_number":
		return ch.prof.cidNum
	case "caller_id_name":
		return ch.prof.cidName
	case "destination_number":
		return ch.prof.dest
	case "uuid":
		return ch.uuid
	case "domain_name":
		return s.cfg.IPv4
	}
	return s.globals[name]
}

// apiFunc evaluates ${fn(args)} in a variable expansion.
func (s *Server) apiFunc(fn, args string) string {
	st := s.newStamp()
	out := ""
	switch fn {
	case "strftime":
		out = strftime(time.Now(), args)
	case "uuid":
		out = newUUID()
	}
	b := s.newEventAt("API", "", siteAPI, st)
	b.add("API-Command", fn)
	b.add("API-Command-Argument", strings.TrimSpace(args))
	if s.wanted("API", "") {
		s.dispatch(b.e)
	}
	return out
}

// strftime supports the conversions the vanilla dialplan uses.
func strftime(t time.Time, f string) string {
	repl := map[byte]string{
		'a': t.Format("Mon"), 'd': t.Format("02"), 'b': t.Format("Jan"), 'Y': t.Format("2006"),
		'T': t.Format("15:04:05"), 'z': t.Format("-0700"), 'H': t.Format("15"), 'M': t.Format("04"),
		'S': t.Format("05"), 'm': t.Format("01"), 'y': t.Format("06"), 'A': t.Format("Monday"),
		'B': t.Format("January"), 'e': t.Format("_2"), '%': "%",
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) {
			if r, ok := repl[f[i+1]]; ok {
				b.WriteString(r)
				i++
				continue
			}
		}
		b.WriteByte(f[i])
	}
	return b.String()
}
