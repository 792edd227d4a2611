package sim

import (
	"bufio"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	fmtPlain = iota
	fmtJSON
	fmtXML
)

// filter is one `filter <header> <value>` of a listener.
type filter struct {
	header, value string
	re            *regexp.Regexp
}

// qitem is one queued write: raw bytes, or an event in the listener's format.
type qitem struct {
	raw  []byte
	ev   *event
	json bool
}

// conn is one event-socket listener: an inbound client, or an outbound
// session socket the simulator dialled for `&socket()`.
type conn struct {
	s  *Server
	nc net.Conn
	id uint64

	// Guarded by Server.mu.
	authed     bool
	format     int
	events     bool
	all        bool
	names      map[string]bool
	subclasses map[string]bool
	filters    []filter
	myevents   bool
	session    *channel // bound channel (outbound socket or inbound myevents)
	logging    bool
	outbound   *outboundSession
	lingerOn   bool
	lingerSecs int // -1: until exit
	dupCount   int

	// Guarded by wmu.
	wmu      sync.Mutex
	q        []qitem
	held     []qitem
	holding  bool
	closeReq bool // close once the queue is written
	dead     bool
	wake     chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		s:          s,
		nc:         nc,
		names:      map[string]bool{},
		subclasses: map[string]bool{},
		wake:       make(chan struct{}, 1),
		closed:     make(chan struct{}),
	}
}

// close shuts the TCP connection at once, without any notice.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.nc.Close()
	})
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// send queues raw bytes.
func (c *conn) send(b []byte) {
	c.wmu.Lock()
	if !c.dead && !c.closeReq {
		c.q = append(c.q, qitem{raw: b})
	}
	c.wmu.Unlock()
	c.signal()
}

// sendAndClose queues final frames and closes the connection once written.
func (c *conn) sendAndClose(frames ...[]byte) {
	c.wmu.Lock()
	if !c.dead && !c.closeReq {
		for _, f := range frames {
			c.q = append(c.q, qitem{raw: f})
		}
		c.closeReq = true
	}
	c.wmu.Unlock()
	c.signal()
}

// hold keeps events back while a blocking api command runs, as
// FreeSWITCH's listener thread does.
func (c *conn) hold() {
	c.wmu.Lock()
	c.holding = true
	c.wmu.Unlock()
}

// release queues the api reply, then the events held meanwhile.
func (c *conn) release(reply []byte) {
	c.wmu.Lock()
	if !c.dead {
		c.q = append(c.q, qitem{raw: reply})
		c.q = append(c.q, c.held...)
	}
	c.held = nil
	c.holding = false
	c.wmu.Unlock()
	c.signal()
}

// offer queues ev if this listener takes it. Callers hold Server.mu.
func (c *conn) offer(ev *event) {
	if !c.wants(ev.name, ev.subclass) || !c.accepts(ev) {
		return
	}
	it := qitem{ev: ev, json: c.format == fmtJSON}
	c.wmu.Lock()
	if !c.dead && !c.closeReq {
		if c.holding {
			c.held = append(c.held, it)
		} else {
			c.q = append(c.q, it)
		}
	}
	c.wmu.Unlock()
	c.signal()
}

// wants applies the subscription by event type. Callers hold Server.mu.
func (c *conn) wants(name, subclass string) bool {
	if !c.events {
		return false
	}
	if c.all {
		return true
	}
	if !c.names[name] {
		return false
	}
	return name != "CUSTOM" || subclass == "" || c.subclasses[subclass]
}

// accepts applies filters and myevents, as mod_event_socket's event_handler.
func (c *conn) accepts(ev *event) bool {
	send := true
	if len(c.filters) > 0 {
		send = false
		for _, f := range c.filters {
			hval, ok := ev.get(f.header)
			if !ok {
				continue
			}
			comp := f.value
			pos := true
			for len(comp) > 0 {
				if comp[0] == '+' {
					pos = true
				} else if comp[0] == '-' {
					pos = false
				} else if comp[0] != ' ' {
					break
				}
				comp = comp[1:]
			}
			if send && pos {
				continue
			}
			var match bool
			if strings.HasPrefix(f.value, "/") {
				match = f.re != nil && f.re.MatchString(hval)
			} else {
				match = strings.EqualFold(hval, comp)
			}
			if match {
				if pos {
					send = true
				} else {
					send = false
					break
				}
			}
		}
	}
	if send && c.myevents {
		if ev.uuid == "" || (c.session != nil && ev.uuid != c.session.uuid) {
			send = false
		}
		if c.session != nil && ev.jobOwner == c.session.uuid {
			send = true
		}
	}
	return send
}

// writer is the only goroutine that writes to the socket.
func (c *conn) writer(wg *sync.WaitGroup) {
	defer wg.Done()
	defer c.close()
	var pending []qitem // events waiting to fill a shuffle batch
	var buf []byte
	flush := time.NewTimer(time.Hour)
	defer flush.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-c.wake:
		case <-flush.C:
			if len(pending) > 0 {
				buf = c.appendBatch(buf[:0], pending)
				pending = pending[:0]
				if !c.write(buf) {
					return
				}
			}
			continue
		}
		c.wmu.Lock()
		items := c.q
		c.q = nil
		closeReq := c.closeReq
		c.wmu.Unlock()

		silent := c.s.silent.Load()
		shuffle := int(c.s.shuffle.Load())
		buf = buf[:0]
		for _, it := range items {
			if silent {
				continue
			}
			if it.ev == nil {
				buf = append(buf, it.raw...)
				continue
			}
			if shuffle > 1 {
				pending = append(pending, it)
				if len(pending) >= shuffle {
					// A batch goes out in one write; what is already in buf first.
					if !c.write(buf) {
						return
					}
					buf = c.appendBatch(buf[:0], pending[:shuffle])
					pending = append(pending[:0], pending[shuffle:]...)
					if !c.write(buf) {
						return
					}
					buf = buf[:0]
				}
				continue
			}
			buf = c.appendEvent(buf, it)
		}
		if shuffle <= 1 && len(pending) > 0 {
			buf = c.appendBatch(buf, pending)
			pending = pending[:0]
		}
		if !c.write(buf) {
			return
		}
		if len(pending) > 0 {
			flush.Reset(20 * time.Millisecond)
		}
		if closeReq {
			c.wmu.Lock()
			empty := len(c.q) == 0
			if empty {
				c.dead = true
			}
			c.wmu.Unlock()
			if empty {
				return
			}
			c.signal()
		}
	}
}

func (c *conn) appendEvent(buf []byte, it qitem) []byte {
	f := it.ev.frame(it.json)
	buf = append(buf, f...)
	if c.s.duplicate.Load() {
		c.dupCount++
		if c.dupCount%3 == 0 {
			buf = append(buf, f...)
		}
	}
	return buf
}

// appendBatch writes a batch of events in a random order.
func (c *conn) appendBatch(buf []byte, batch []qitem) []byte {
	idx := rand.Perm(len(batch))
	for _, i := range idx {
		buf = c.appendEvent(buf, batch[i])
	}
	return buf
}

func (c *conn) write(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if _, err := c.nc.Write(b); err != nil {
		c.wmu.Lock()
		c.dead = true
		c.wmu.Unlock()
		return false
	}
	return true
}

// command is one block read from a client.
type command struct {
	raw   string // as sent, without the terminating blank line
	line  string // first line
	hdr   []field
	body  string
	hasCL bool
}

func (cmd *command) header(name string) string {
	for _, h := range cmd.hdr {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// readCommand reads one command block the way read_packet does: leading
// empty lines are skipped, \r is dropped, a Content-Length header pulls a body.
func readCommand(r *bufio.Reader) (*command, error) {
	var raw strings.Builder
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line != "" {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			if len(lines) == 0 {
				continue
			}
			break
		}
		raw.WriteString(line)
		lines = append(lines, trimmed)
		if raw.Len() > 1<<20 {
			return nil, io.ErrShortBuffer
		}
	}
	cmd := &command{raw: strings.TrimRight(raw.String(), "\r\n"), line: lines[0]}
	for _, l := range lines[1:] {
		name, val, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		val = strings.TrimLeft(val, " ")
		cmd.hdr = append(cmd.hdr, field{Name: name, Value: val})
		if strings.EqualFold(name, "content-length") {
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 10<<20 {
				return nil, io.ErrUnexpectedEOF
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, err
			}
			cmd.body = string(b)
			cmd.hasCL = true
		}
	}
	return cmd, nil
}

// reader reads and executes commands until the connection ends.
func (c *conn) reader(wg *sync.WaitGroup) {
	defer wg.Done()
	defer c.s.dropConn(c)
	br := bufio.NewReaderSize(c.nc, 16<<10)
	for {
		cmd, err := readCommand(br)
		if err != nil {
			return
		}
		c.s.recordCommand(cmd.raw)
		if c.s.silent.Load() {
			continue
		}
		if d := c.s.replyDelay(cmd.raw); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.closed:
				t.Stop()
				return
			}
		}
		if !c.handle(cmd) {
			return
		}
	}
}

// handle runs one command; false ends the read loop.
func (c *conn) handle(cmd *command) bool {
	s := c.s
	line := cmd.line
	lower := strings.ToLower(line)

	if strings.HasPrefix(lower, "exit") || strings.HasPrefix(lower, "...") {
		s.mu.Lock()
		c.exit()
		s.mu.Unlock()
		return false
	}

	s.mu.Lock()
	if !c.authed {
		if strings.HasPrefix(lower, "auth ") {
			if line[5:] == s.cfg.Password {
				c.authed = true
				c.send(replyFrame("+OK accepted"))
				s.mu.Unlock()
				return true
			}
			c.sendAndClose(replyFrame("-ERR invalid"), disconnectFrame())
			s.mu.Unlock()
			return false
		}
		c.send(replyFrame("-ERR command not found"))
		s.mu.Unlock()
		return true
	}

	switch {
	case strings.HasPrefix(lower, "api "):
		s.mu.Unlock()
		c.api(cmd)
		return true
	case strings.HasPrefix(lower, "bgapi "):
		c.bgapi(cmd)
		s.mu.Unlock()
		return true
	}
	reply := c.socketCommand(cmd, lower)
	if reply != "" {
		c.send(replyFrame(reply))
	}
	s.mu.Unlock()
	return true
}

// exit answers +OK bye and hangs up the socket. Callers hold Server.mu.
func (c *conn) exit() {
	if c.session != nil {
		c.s.sessionExit(c)
		return
	}
	c.sendAndClose(replyFrame("+OK bye"), c.disconnectNotice())
}

func (c *conn) disconnectNotice() []byte {
	if c.session != nil {
		return sessionDisconnectFrame(c.session.uuid)
	}
	return disconnectFrame()
}

// api runs a blocking api command on this connection's thread: no other
// command is read and no event is written until it returns.
func (c *conn) api(cmd *command) {
	s := c.s
	text := cmd.line[4:]
	name, arg, _ := strings.Cut(strings.TrimSpace(text), " ")
	res := make(chan string, 1)
	s.mu.Lock()
	c.hold()
	s.runAPI(name, arg, c, func(out string) { res <- out })
	s.mu.Unlock()
	select {
	case out := <-res:
		if out == "" {
			out = "-ERR no reply\n"
		}
		c.release(apiFrame(out))
	case <-c.closed:
		c.release(nil)
	case <-s.stopped:
		c.release(nil)
	}
}

// bgapi acknowledges at once and reports through BACKGROUND_JOB.
func (c *conn) bgapi(cmd *command) {
	s := c.s
	text := strings.TrimSpace(cmd.line[6:])
	name, arg, hasArg := strings.Cut(text, " ")
	job := cmd.header("job-uuid")
	if job == "" {
		job = newUUID()
	}
	c.send([]byte("Content-Type: command/reply\nReply-Text: +OK Job-UUID: " + job + "\nJob-UUID: " + job + "\n\n"))
	owner := ""
	if c.session != nil {
		owner = c.session.uuid
	}
	s.runAPI(name, arg, c, func(out string) {
		b := s.newEvent("BACKGROUND_JOB", "", siteBGJob)
		b.add("Job-UUID", job)
		b.add("Job-Owner-UUID", owner)
		b.add("Job-Command", name)
		if hasArg {
			b.add("Job-Command-Arg", arg)
		}
		b.e.body = out
		b.e.hasBody = true
		b.e.jobOwner = owner
		s.dispatch(b.e)
	})
}

var eventNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE
CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD
CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING
CHANNEL_PARK CHANNEL_UNPARK CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN
OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF
MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC
BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE
EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE
REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED
SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START RECORD_STOP
PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START MEDIA_BUG_STOP
CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT
SHUTDOWN_REQUESTED CERT_RELOAD ALL`) {
		m[n] = true
	}
	return m
}()

func eventName(word string) (string, bool) {
	u := strings.ToUpper(word)
	u = strings.TrimPrefix(u, "SWITCH_EVENT_")
	return u, eventNames[u]
}

// myeventsNames is the fixed list `myevents` subscribes to.
var myeventsNames = []string{"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE",
	"CHANNEL_DATA", "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
	"CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK",
	"DETECTED_SPEECH", "DTMF", "NOTALK", "TALK"}

func formatName(f int) string {
	switch f {
	case fmtJSON:
		return "json"
	case fmtXML:
		return "xml"
	}
	return "plain"
}

// socketCommand runs every command but api/bgapi/exit/auth and returns the
// Reply-Text ("" when the command wrote its own reply). Callers hold Server.mu.
func (c *conn) socketCommand(cmd *command, lower string) string {
	s := c.s
	line := cmd.line
	switch {
	case strings.HasPrefix(lower, "filter "):
		return c.filterCommand(line[7:])
	case c.session != nil && strings.HasPrefix(lower, "resume"):
		return "+OK"
	}
	if c.session != nil || strings.HasPrefix(lower, "myevents ") {
		switch {
		case c.session != nil && strings.HasPrefix(lower, "connect"):
			c.s.connectReply(c)
			return ""
		case c.session != nil && strings.HasPrefix(lower, "getvar"):
			_, name, _ := strings.Cut(line, " ")
			v, _ := c.session.getVar(name)
			return v
		case strings.HasPrefix(lower, "myevents"):
			if c.myevents {
				return "-ERR aready enabled."
			}
			if c.session == nil {
				arg := strings.TrimSpace(line[8:])
				uuid, fmtWord, hasFmt := strings.Cut(arg, " ")
				ch := s.channels[uuid]
				if ch == nil && hasFmt {
					return "-ERR invalid uuid"
				}
				if ch != nil {
					c.session = ch
				}
				switch strings.ToLower(fmtWord) {
				case "json":
					c.format = fmtJSON
				case "xml":
					c.format = fmtXML
				case "plain":
					c.format = fmtPlain
				}
			}
			for _, n := range myeventsNames {
				c.names[n] = true
			}
			c.myevents = true
			c.events = true
			if strings.Contains(line, "json") || strings.Contains(line, "JSON") {
				c.format = fmtJSON
			}
			return "+OK Events Enabled"
		}
	}
	switch {
	case strings.HasPrefix(lower, "divert_events"):
		if c.session == nil {
			return "-ERR not controlling a session."
		}
		onoff := strings.TrimSpace(line[13:])
		if onoff == "" {
			return "-ERR missing value."
		}
		if strings.EqualFold(onoff, "on") {
			return "+OK events diverted"
		}
		return "+OK events not diverted"
	case strings.HasPrefix(lower, "sendmsg"):
		return c.sendmsg(cmd)
	case strings.HasPrefix(lower, "sendevent"):
		return c.sendevent(cmd)
	case strings.HasPrefix(lower, "log"):
		level := strings.TrimSpace(line[3:])
		if i := strings.IndexByte(level, ' '); i >= 0 {
			level = level[:i]
		}
		n, ok := logLevel(level)
		if !ok {
			return "-ERR invalid log level"
		}
		c.logging = true
		return "+OK log level " + level + " [" + strconv.Itoa(n) + "]"
	case strings.HasPrefix(lower, "linger"):
		if c.session == nil {
			return "-ERR not controlling a session"
		}
		c.lingerOn = true
		c.lingerSecs = -1
		if len(line) > 7 && line[6] == ' ' {
			c.lingerSecs, _ = strconv.Atoi(strings.TrimSpace(line[7:]))
			return "+OK will linger " + strconv.Itoa(c.lingerSecs) + " seconds"
		}
		return "+OK will linger"
	case strings.HasPrefix(lower, "nolinger"):
		if c.session == nil {
			return "-ERR not controlling a session"
		}
		c.lingerOn = false
		return "+OK will not linger"
	case strings.HasPrefix(lower, "nolog"):
		if c.logging {
			c.logging = false
			return "+OK no longer logging"
		}
		return "-ERR not loging"
	case strings.HasPrefix(lower, "event"):
		return c.eventCommand(line)
	case strings.HasPrefix(lower, "nixevent"):
		return c.nixeventCommand(line)
	case strings.HasPrefix(lower, "noevents"):
		if c.events {
			c.events = false
			c.all = false
			c.names = map[string]bool{}
			c.subclasses = map[string]bool{}
			c.wmu.Lock()
			kept := c.q[:0]
			for _, it := range c.q {
				if it.ev == nil {
					kept = append(kept, it)
				}
			}
			c.q = kept
			c.wmu.Unlock()
			return "+OK no longer listening for events"
		}
		return "-ERR not listening for events"
	}
	return "-ERR command not found"
}

func logLevel(s string) (int, bool) {
	if s == "" {
		return 7, true
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 7 {
			return 0, false
		}
		return n, true
	}
	levels := map[string]int{"console": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4,
		"notice": 5, "info": 6, "debug": 7}
	n, ok := levels[strings.ToLower(s)]
	return n, ok
}

func (c *conn) filterCommand(rest string) string {
	rest = strings.TrimLeft(rest, " ")
	name, val, hasVal := strings.Cut(rest, " ")
	if strings.EqualFold(name, "delete") && hasVal {
		name, val, hasVal = strings.Cut(val, " ")
		if strings.EqualFold(name, "all") {
			c.filters = nil
		} else {
			kept := c.filters[:0]
			for _, f := range c.filters {
				if strings.EqualFold(f.header, name) && (!hasVal || f.value == val) {
					continue
				}
				kept = append(kept, f)
			}
			c.filters = kept
		}
		return "+OK filter deleted. [" + name + "][" + val + "]"
	}
	if !hasVal {
		return "-ERR invalid syntax"
	}
	if strings.EqualFold(name, "add") {
		name, val, _ = strings.Cut(val, " ")
	}
	f := filter{header: name, value: val}
	if comp := strings.TrimLeft(val, "+- "); strings.HasPrefix(val, "/") {
		f.re, _ = regexp.Compile(strings.TrimPrefix(comp, "/"))
	}
	c.filters = append(c.filters, f)
	return "+OK filter added. [" + name + "]=[" + val + "]"
}

func (c *conn) eventCommand(line string) string {
	words := strings.Split(line, " ")[1:]
	keys := 0
	custom := false
	for i, w := range words {
		if i == 0 {
			switch strings.ToLower(w) {
			case "plain":
				c.format = fmtPlain
				continue
			case "json":
				c.format = fmtJSON
				continue
			case "xml":
				c.format = fmtXML
				continue
			}
		}
		if custom {
			c.subclasses[w] = true
			continue
		}
		name, ok := eventName(w)
		if !ok {
			continue
		}
		keys++
		if name == "ALL" {
			c.all = true
		}
		c.names[name] = true
		if name == "CUSTOM" {
			custom = true
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.events = true
	return "+OK event listener enabled " + formatName(c.format)
}

func (c *conn) nixeventCommand(line string) string {
	words := strings.Split(line, " ")[1:]
	keys := 0
	custom := false
	for _, w := range words {
		if custom {
			delete(c.subclasses, w)
			continue
		}
		name, ok := eventName(w)
		if !ok {
			continue
		}
		keys++
		switch name {
		case "CUSTOM":
			custom = true
		case "ALL":
			c.all = false
			c.names = map[string]bool{}
		default:
			if c.all {
				c.all = false
				for n := range eventNames {
					if n != "ALL" {
						c.names[n] = true
					}
				}
				c.allCustomToNames()
			}
			delete(c.names, name)
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.events = true
	return "+OK events nixed"
}

// allCustomToNames keeps every CUSTOM subclass after ALL is split up.
func (c *conn) allCustomToNames() {
	for sc := range c.s.knownSubclasses {
		c.subclasses[sc] = true
	}
}

// sendevent fires a client event; with a Unique-ID it is queued to that
// session instead (eavesdrop reads `eavesdrop-command` from such events).
func (c *conn) sendevent(cmd *command) string {
	s := c.s
	id := newUUID()
	name := strings.TrimSpace(cmd.line[9:])
	ename, ok := eventName(name)
	if !ok || name == "" {
		ename = "CUSTOM"
	}
	subclass := cmd.header("Event-Subclass")
	if uuid := cmd.header("unique-id"); uuid != "" {
		if ch := s.channels[uuid]; ch != nil {
			s.sessionEvent(ch, cmd)
			return "+OK " + id
		}
	}
	if ename != "CUSTOM" {
		subclass = ""
	}
	b := s.newEvent(ename, subclass, siteSendEvent)
	for _, h := range cmd.hdr {
		if strings.EqualFold(h.Name, "content-length") || strings.EqualFold(h.Name, "Event-Subclass") {
			continue
		}
		b.add(h.Name, h.Value)
	}
	b.add("Event-UUID", id)
	if cmd.hasCL {
		b.e.body = cmd.body
		b.e.hasBody = true
	}
	s.dispatch(b.e)
	return "+OK " + id
}

// sendmsg queues a call-command to a session.
func (c *conn) sendmsg(cmd *command) string {
	s := c.s
	uuid := strings.TrimSpace(cmd.line[7:])
	if uuid == "" {
		uuid = cmd.header("session-id")
	}
	var ch *channel
	if uuid == "" || (c.session != nil && uuid == c.session.uuid) {
		ch = c.session
	} else {
		ch = s.channels[uuid]
	}
	if ch == nil {
		return "-ERR invalid session id [" + uuid + "]"
	}
	s.sendmsg(ch, cmd)
	return "+OK"
}
