package sim

import (
	"net"
	"strings"
	"time"
)

// outboundSession is the state of an `&socket()` connection the simulator
// opened to the controller.
type outboundSession struct {
	async, full bool
	run         *appRun
}

// appSocket is mod_event_socket's socket application: it connects to
// host:port and hands the channel to whoever listens there. Only loopback
// addresses are dialled.
func (s *Server) appSocket(ch *channel, run *appRun) {
	words := strings.Fields(run.arg)
	if len(words) == 0 {
		s.appDone(ch, run, "")
		return
	}
	addr := words[0]
	if !strings.Contains(addr, ":") {
		addr += ":8084"
	}
	sess := &outboundSession{run: run}
	for _, w := range words[1:] {
		switch strings.ToLower(w) {
		case "async":
			sess.async = true
		case "full":
			sess.full = true
		}
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		s.log.Warn("sim: socket application refuses a non-loopback address", "addr", addr)
		s.appDone(ch, run, "")
		return
	}
	ch.vars.set("socket_host", host)
	if sess.async {
		ch.parked = true
		s.fire(ch, "CHANNEL_PARK", sitePark, chanEvent{})
	}
	run.abort = func() {
		if ch.parked {
			ch.parked = false
			s.fire(ch, "CHANNEL_UNPARK", siteUnpark, chanEvent{})
		}
	}
	select {
	case <-s.stopped:
		return
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		d := net.Dialer{Timeout: 2 * time.Second}
		nc, err := d.Dial("tcp", addr)
		s.mu.Lock()
		if err != nil || ch.down || ch.gone {
			if err == nil {
				_ = nc.Close()
			}
			if !ch.down && !ch.gone && ch.cur == run {
				ch.cur = nil
				if run.abort != nil {
					run.abort()
				}
				s.appDone(ch, run, "")
			}
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		c := s.startConn(nc, true)
		if c == nil {
			return
		}
		s.mu.Lock()
		c.session = ch
		c.outbound = sess
		ch.session = c
		s.mu.Unlock()
	}()
}

// connectReply answers `connect` on an outbound socket: one header block,
// URL-encoded like a plain event, ending with the command/reply headers.
func (s *Server) connectReply(c *conn) {
	ch := c.session
	b := s.newEvent("CHANNEL_DATA", "", siteChannelData)
	ch.syncProfileTimes()
	ch.prof.addTo(b, "Channel")
	ch.basicData(b)
	ch.addVars(b)
	sess := c.outbound
	mode, control := "static", "single-channel"
	if sess != nil && sess.async {
		mode = "async"
	}
	if sess != nil && sess.full {
		control = "full"
	}
	b.add("Content-Type", "command/reply")
	b.add("Reply-Text", "+OK\n")
	b.add("Socket-Mode", mode)
	b.add("Control", control)
	var out []byte
	for _, h := range b.e.hdr {
		out = append(out, h.Name...)
		out = append(out, ": "...)
		out = append(out, urlEncode(h.Value)...)
		out = append(out, '\n')
	}
	out = append(out, '\n')
	c.send(out)
}

// sendmsg runs a call-command on a channel.
func (s *Server) sendmsg(ch *channel, cmd *command) {
	cc := strings.ToLower(cmd.header("call-command"))
	private := func() {
		if !s.wanted("PRIVATE_COMMAND", "") {
			s.seq++
			return
		}
		b := s.newEvent("PRIVATE_COMMAND", "", sitePrivateCommand)
		b.e.hdr = b.e.hdr[:0]
		b.addAlways("Command", cmd.raw+"\n\n")
		for _, h := range cmd.hdr {
			b.add(h.Name, h.Value)
		}
		s.commonHeaders(b, "PRIVATE_COMMAND", sitePrivateCommand, stamp{t: time.Now(), seq: b.e.seq})
		ch.basicData(b)
		b.e.uuid = ch.uuid
		s.dispatch(b.e)
	}
	switch cc {
	case "execute":
		app := cmd.header("execute-app-name")
		arg := cmd.header("execute-app-arg")
		if arg == "" && cmd.hasCL {
			arg = cmd.body
		}
		loops := cmd.header("loops")
		if loops == "" {
			loops = "1"
		}
		call := appCall{name: app, arg: arg, uuid: cmd.header("Event-UUID"), after: private, loops: loops}
		ch.after(0, func() { s.runNested(ch, call) })
	case "hangup":
		cause := cmd.header("hangup-cause")
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		c, _ := normCause(cause)
		ch.after(0, func() {
			ch.pendingPrivate = private
			s.hangup(ch, c)
		})
	case "unicast", "nomedia", "xferext":
		ch.after(0, private)
	default:
		ch.after(0, private)
	}
}

// runNested runs an application queued by sendmsg without ending the
// running one (the socket application keeps the channel parked).
func (s *Server) runNested(ch *channel, call appCall) {
	if ch.down {
		return
	}
	if ch.nested != nil || (ch.cur != nil && ch.cur.name != "socket" && ch.cur.name != "park") {
		if ch.cur == nil && ch.nested == nil {
			s.startApps(ch, []appCall{call})
			return
		}
		ch.queued = append(ch.queued, call)
		return
	}
	if ch.cur == nil && ch.member == nil && !ch.inBridge {
		ch.apps = append([]appCall{call}, ch.apps...)
		s.execNext(ch)
		return
	}
	run := &appRun{name: call.name, arg: s.expand(ch, call.arg), uuid: call.uuid, nested: true}
	if call.loops != "" {
		ch.vars.set("current_loop", "1")
		ch.vars.set("total_loops", call.loops)
	}
	if run.uuid == "" {
		run.uuid = newUUID()
	}
	after := call.after
	run.after = func() {
		if call.loops != "" {
			ch.vars.unset("current_loop")
			ch.vars.unset("total_loops")
		}
		if after != nil {
			after()
		}
		if len(ch.queued) > 0 && !ch.down {
			next := ch.queued[0]
			ch.queued = ch.queued[1:]
			s.runNested(ch, next)
		}
	}
	ch.nested = run
	s.fireExecute(ch, run)
	switch strings.ToLower(call.name) {
	case "playback":
		s.playFile(ch, run, run.arg)
	case "sleep":
		run.abort = func() {}
		ch.after(time.Duration(atoiSafe(run.arg))*time.Millisecond, func() { s.appDone(ch, run, "") })
	case "set", "export":
		name, val, _ := strings.Cut(run.arg, "=")
		if name != "" {
			ch.vars.set(name, val)
		}
		s.appDone(ch, run, "")
	case "unset":
		ch.vars.unset(run.arg)
		s.appDone(ch, run, "")
	case "hangup":
		c, _ := normCause(run.arg)
		if run.arg == "" {
			c = "NORMAL_CLEARING"
		}
		s.hangup(ch, c)
	case "answer", "pre_answer":
		if !ch.answered {
			s.answerChannel(ch)
		}
		s.appDone(ch, run, "")
	case "amd":
		s.startAMD(ch)
		s.appDone(ch, run, "")
	case "record_session":
		s.startRecording(ch, run.arg, 0)
		s.appDone(ch, run, "")
	default:
		s.appDone(ch, run, "")
	}
}

// sessionHangup handles the session socket of a channel that reached
// CS_REPORTING. It reports whether the socket keeps the channel (linger).
func (s *Server) sessionHangup(c *conn, ch *channel) bool {
	if !c.lingerOn {
		c.sendAndClose(sessionDisconnectFrame(ch.uuid))
		ch.session = nil
		return false
	}
	c.send(lingerFrame(ch.uuid, ch.name, c.lingerSecs))
	ch.destroyHeld = true
	if c.lingerSecs >= 0 {
		s.sched.after(time.Duration(c.lingerSecs)*time.Second, func() {
			if ch.gone {
				return
			}
			c.sendAndClose(sessionDisconnectFrame(ch.uuid))
			ch.session = nil
			ch.destroyHeld = false
			s.destroy(ch)
		})
	}
	return true
}

// sessionExit is `exit` on a session socket.
func (s *Server) sessionExit(c *conn) {
	ch := c.session
	c.sendAndClose(replyFrame("+OK bye"), sessionDisconnectFrame(ch.uuid))
	s.sessionClosed(c)
}

// sessionClosed runs when a session socket goes away: a lingering channel
// is destroyed; a live one leaves the socket application.
func (s *Server) sessionClosed(c *conn) {
	ch := c.session
	if ch == nil || ch.session != c {
		return
	}
	ch.session = nil
	if ch.destroyHeld {
		ch.destroyHeld = false
		s.destroy(ch)
		return
	}
	if !ch.down && ch.cur != nil && ch.cur.name == "socket" {
		run := ch.cur
		ch.cur = nil
		if run.abort != nil {
			run.abort()
		}
		s.appDone(ch, run, "")
	}
}
