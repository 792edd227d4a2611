package sim

import (
	"strconv"
	"sync"
	"time"
)

// Channel states and their numbers (switch_channel_state_t).
var stateNumbers = map[string]int{
	"CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
	"CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8, "CS_RESET": 9,
	"CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12, "CS_NONE": 13,
}

// Call states and their numbers (switch_channel_callstate_t).
var callStateNumbers = map[string]int{
	"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5, "RING_WAIT": 6,
	"HANGUP": 7, "UNHELD": 8,
}

// profile is a caller profile (switch_caller_profile_t).
type profile struct {
	direction, logicalDirection string
	username, dialplan          string
	cidName, cidNum             string
	origCidName, origCidNum     string
	calleeName, calleeNum       string
	networkAddr, ani, aniii     string
	dest, uuid, source          string
	transferSource, context     string
	rdnis, chanName             string
	index                       int // 0: not set (clones)
	times                       profTimes
}

type profTimes struct {
	profileCreated, created, answered, progress, progressMedia int64
	hangup, transfer, resurrect, bridged, lastHold, holdAccum  int64
}

func (p *profile) clone() *profile {
	c := *p
	return &c
}

func (p *profile) addTo(b builder, prefix string) {
	n := prefixed(prefix)
	b.add(n("-Direction"), p.direction)
	b.add(n("-Logical-Direction"), p.logicalDirection)
	b.add(n("-Username"), p.username)
	b.add(n("-Dialplan"), p.dialplan)
	b.add(n("-Caller-ID-Name"), p.cidName)
	b.add(n("-Caller-ID-Number"), p.cidNum)
	if p.cidName != "" {
		b.add(n("-Orig-Caller-ID-Name"), p.origCidName)
	}
	if p.cidNum != "" {
		b.add(n("-Orig-Caller-ID-Number"), p.origCidNum)
	}
	b.add(n("-Callee-ID-Name"), p.calleeName)
	b.add(n("-Callee-ID-Number"), p.calleeNum)
	b.add(n("-Network-Addr"), p.networkAddr)
	b.add(n("-ANI"), p.ani)
	b.add(n("-ANI-II"), p.aniii)
	b.add(n("-Destination-Number"), p.dest)
	b.add(n("-Unique-ID"), p.uuid)
	b.add(n("-Source"), p.source)
	b.add(n("-Transfer-Source"), p.transferSource)
	b.add(n("-Context"), p.context)
	b.add(n("-RDNIS"), p.rdnis)
	b.add(n("-Channel-Name"), p.chanName)
	if p.index > 0 {
		b.add(n("-Profile-Index"), strconv.Itoa(p.index))
	}
	t := &p.times
	b.add(n("-Profile-Created-Time"), i64(t.profileCreated))
	b.add(n("-Channel-Created-Time"), i64(t.created))
	b.add(n("-Channel-Answered-Time"), i64(t.answered))
	b.add(n("-Channel-Progress-Time"), i64(t.progress))
	b.add(n("-Channel-Progress-Media-Time"), i64(t.progressMedia))
	b.add(n("-Channel-Hangup-Time"), i64(t.hangup))
	b.add(n("-Channel-Transfer-Time"), i64(t.transfer))
	b.add(n("-Channel-Resurrect-Time"), i64(t.resurrect))
	b.add(n("-Channel-Bridged-Time"), i64(t.bridged))
	b.add(n("-Channel-Last-Hold"), i64(t.lastHold))
	b.add(n("-Channel-Hold-Accum"), i64(t.holdAccum))
	b.add(n("-Screen-Bit"), "true")
	b.add(n("-Privacy-Hide-Name"), "false")
	b.add(n("-Privacy-Hide-Number"), "false")
}

// prefixed returns the header names under prefix, each made once: an
// event carries dozens of them, and building them per event was a large
// share of the simulator's allocations.
func prefixed(prefix string) func(suffix string) string {
	names.mu.RLock()
	m := names.m[prefix]
	names.mu.RUnlock()
	if m == nil {
		m = &sync.Map{}
		names.mu.Lock()
		if old := names.m[prefix]; old != nil {
			m = old
		} else {
			names.m[prefix] = m
		}
		names.mu.Unlock()
	}
	return func(suffix string) string {
		if v, ok := m.Load(suffix); ok {
			return v.(string)
		}
		v := prefix + suffix
		m.Store(suffix, v)
		return v
	}
}

var names = struct {
	mu sync.RWMutex
	m  map[string]*sync.Map
}{m: map[string]*sync.Map{}}

// varHeader is a variable's header name, "variable_" and the name, made
// once per name.
func varHeader(name string) string {
	if v, ok := varHeaders.Load(name); ok {
		return v.(string)
	}
	v := "variable_" + name
	varHeaders.Store(name, v)
	return v
}

var varHeaders sync.Map

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// codec is what Channel-Read/Write-Codec-* report.
type codec struct {
	name          string
	rate, bitrate int
}

var (
	codecPCMU = codec{"PCMU", 8000, 64000}
	codecL16  = codec{"L16", 8000, 128000}
)

// varList is a channel's variables in FreeSWITCH's order: setting a
// variable removes it and appends it, as switch_channel_set_variable does.
type varList []field

func (v *varList) index(name string) int {
	for i := range *v {
		if (*v)[i].Name == name {
			return i
		}
	}
	return -1
}

func (v *varList) get(name string) (string, bool) {
	if i := v.index(name); i >= 0 {
		return (*v)[i].Value, true
	}
	return "", false
}

func (v *varList) set(name, value string) {
	if i := v.index(name); i >= 0 {
		*v = append((*v)[:i], (*v)[i+1:]...)
	}
	if value != "" {
		*v = append(*v, field{Name: name, Value: value})
	}
}

// setInPlace changes a value without moving it (switch_channel_set_variable
// on some internal paths updates in place).
func (v *varList) setInPlace(name, value string) {
	if i := v.index(name); i >= 0 {
		(*v)[i].Value = value
		return
	}
	v.set(name, value)
}

func (v *varList) unset(name string) { v.set(name, "") }

// channel is one simulated call leg.
type channel struct {
	s         *Server
	uuid      string
	name      string
	direction string // inbound, outbound
	running   string // Channel-State (running state)
	target    string // Channel-State-Number (wanted state)
	callState string
	answered  bool
	early     bool
	down      bool // hung up (Answer-State: hangup)
	gone      bool // destroyed
	cause     string
	hitDial   bool
	read      *codec
	write     *codec
	prof      *profile
	otherType string
	other     *profile
	vars      varList
	created   time.Time

	beh Behavior
	sip *sipPeer

	// Call control.
	partner    *channel
	bridgeA    bool      // this leg was the first uuid_bridge argument
	apps       []appCall // dialplan applications still to run
	cur        *appRun
	inBridge   bool // running uuid_bridge (no application of its own)
	stuck      bool // a stalled uuid_bridge left it in CS_RESET (StallBridges)
	held       bool
	holdStart  time.Time
	holdAccum  time.Duration
	holdEvents []string
	bugs       []*mediaBug
	records    []*recording
	played     []string   // every path a playback started, in order
	spies      []*channel // eavesdroppers on this channel
	spyTarget  *channel
	member     *member
	session    *conn // outbound &socket() session
	pending    []*task
	originate  *origination
	digits     string
	echoDTMF   bool
	transfer   bool // moved away by uuid_transfer (Other-Leg-* dropped)
	answeredAt time.Time
	progressAt time.Time
	bridgedAt  time.Time
	onHangup   []func()
	sessionID  int
	viaUser    bool    // originated as user/<ext>
	nested     *appRun // broadcast application running inside the current one
	amd        bool    // mod_amd analysis running
	hangupAt   time.Time
	firstHold  time.Time
	wasBridged bool
	// pendingPrivate fires the PRIVATE_COMMAND of a sendmsg hangup right
	// after CHANNEL_HANGUP.
	pendingPrivate   func()
	destroyHeld      bool // a lingering socket keeps the channel
	parked           bool
	inbound          *inboundCall
	firstDest        string
	bridgeApp        *appRun // bridge application waiting for its bridge to end
	muteRead         bool
	muteWrite        bool
	spyMode          string
	queued           []appCall // sendmsg applications waiting for the running one
	inlineDest       string    // destination an inline transfer restores
	bridgedAtHangup  bool
	remoteBye        bool // the far end sent BYE
	bridgeEndPending bool
	noDisposition    bool // hung up by REFER: no sip_hangup_disposition
	ackPending       bool // inbound: the caller's ACK has not been applied

	seized        *origination // taken from its originate before it saw the answer (seize)
	presenceCount int          // PRESENCE_IN events of an outgoing leg (event_count)
	// Queued private commands (uuid_broadcast, hold music) and the one
	// running; framesPaused/pausedSince: the time this leg's bridge read
	// no media because its partner was on hold (see bridgeLeadFrames).
	private      []*privateCmd
	pumpTask     *task
	broadcast    *appRun
	framesPaused time.Duration
	pausedSince  time.Time
	// inBroadcastAtHangup: a broadcast was playing when the leg hung up;
	// partnerBusy: the bridge partner's was (see hangupBegin).
	inBroadcastAtHangup bool
	partnerBusy         bool
}

func (ch *channel) getVar(name string) (string, bool) { return ch.vars.get(name) }
func (ch *channel) setVar(name, value string)         { ch.vars.set(name, value) }

// after schedules fn for this channel; pending tasks die with the channel.
func (ch *channel) after(d time.Duration, fn func()) *task {
	t := ch.s.sched.after(d, func() {
		if !ch.gone {
			fn()
		}
	})
	ch.pending = append(ch.pending, t)
	if len(ch.pending) > 16 {
		kept := ch.pending[:0]
		for _, p := range ch.pending {
			if !p.canceled {
				kept = append(kept, p)
			}
		}
		ch.pending = kept
	}
	return t
}

func (ch *channel) cancelTasks() {
	for _, t := range ch.pending {
		t.cancel()
	}
	ch.pending = nil
}

func (ch *channel) answerState() string {
	switch {
	case ch.down:
		return "hangup"
	case ch.answered:
		return "answered"
	case ch.early:
		return "early"
	}
	return "ringing"
}

func usec(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// varEvents are the events that carry variable_* headers
// (switch_channel_event_set_extended_data).
var varEvents = map[string]bool{
	"CHANNEL_CREATE": true, "CHANNEL_ORIGINATE": true, "CHANNEL_UUID": true, "CHANNEL_ANSWER": true,
	"CHANNEL_PARK": true, "CHANNEL_UNPARK": true, "CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true,
	"CHANNEL_PROGRESS": true, "CHANNEL_PROGRESS_MEDIA": true, "CHANNEL_HANGUP": true,
	"CHANNEL_HANGUP_COMPLETE": true, "REQUEST_PARAMS": true, "CHANNEL_DATA": true,
	"CHANNEL_EXECUTE": true, "CHANNEL_EXECUTE_COMPLETE": true, "CHANNEL_DESTROY": true,
	"SESSION_HEARTBEAT": true, "API": true, "RECORD_START": true, "RECORD_STOP": true,
	"PLAYBACK_START": true, "PLAYBACK_STOP": true, "CALL_UPDATE": true, "MEDIA_BUG_START": true,
	"MEDIA_BUG_STOP": true, "CHANNEL_HOLD": true, "CHANNEL_UNHOLD": true, "TEXT": true,
}

// basicData adds switch_channel_event_set_basic_data's headers.
func (ch *channel) basicData(b builder) {
	b.add("Channel-State", ch.running)
	b.add("Channel-Call-State", ch.callState)
	b.add("Channel-State-Number", strconv.Itoa(stateNumbers[ch.target]))
	b.add("Channel-Name", ch.name)
	b.add("Unique-ID", ch.uuid)
	b.add("Call-Direction", ch.direction)
	b.add("Presence-Call-Direction", ch.direction)
	b.add("Channel-HIT-Dialplan", strconv.FormatBool(ch.direction == "inbound" || ch.hitDial))
	if v, ok := ch.getVar("presence_id"); ok {
		b.add("Channel-Presence-ID", v)
	}
	if v, ok := ch.getVar("presence_data"); ok {
		b.add("Channel-Presence-Data", v)
	}
	if v, ok := ch.getVar("call_uuid"); ok {
		b.add("Channel-Call-UUID", v)
	} else {
		b.add("Channel-Call-UUID", ch.uuid)
	}
	b.add("Answer-State", ch.answerState())
	if ch.cause != "" {
		b.add("Hangup-Cause", ch.cause)
	}
	if ch.read != nil {
		b.add("Channel-Read-Codec-Name", ch.read.name)
		b.add("Channel-Read-Codec-Rate", strconv.Itoa(ch.read.rate))
		b.add("Channel-Read-Codec-Bit-Rate", strconv.Itoa(ch.read.bitrate))
	}
	if ch.write != nil {
		b.add("Channel-Write-Codec-Name", ch.write.name)
		b.add("Channel-Write-Codec-Rate", strconv.Itoa(ch.write.rate))
		b.add("Channel-Write-Codec-Bit-Rate", strconv.Itoa(ch.write.bitrate))
	}
	if ch.prof != nil {
		ch.syncProfileTimes()
		ch.prof.addTo(b, "Caller")
	}
	if ch.other != nil && ch.otherType != "" {
		b.add("Other-Type", ch.otherType)
		ch.other.addTo(b, "Other-Leg")
	}
}

func (ch *channel) syncProfileTimes() {
	t := &ch.prof.times
	t.answered = usec(ch.answeredAt)
	t.progress = usec(ch.progressAt)
	t.lastHold = usec(ch.holdStart)
	t.holdAccum = ch.holdAccum.Microseconds()
}

func (ch *channel) addVars(b builder) {
	b.e.hdr = append(b.e.hdr, make([]field, 0, len(ch.vars))...)
	for _, v := range ch.vars {
		b.e.hdr = append(b.e.hdr, field{Name: varHeader(v.Name), Value: v.Value})
	}
}

// chanEvent describes one channel event's extra headers.
type chanEvent struct {
	pre  []field // after the common block, before the channel data
	mid  []field // after the channel data, before the variables
	post []field // after the variables
	vars *bool   // override whether variables are added
	body *string
}

// fire builds and dispatches a channel event. Callers hold s.mu.
func (s *Server) fire(ch *channel, name string, at site, x chanEvent) {
	s.fireSub(ch, name, "", at, x)
}

func (s *Server) fireSub(ch *channel, name, subclass string, at site, x chanEvent) {
	if !s.wanted(name, subclass) {
		s.seq++
		return
	}
	b := s.newEvent(name, subclass, at)
	for _, f := range x.pre {
		b.add(f.Name, f.Value)
	}
	ch.basicData(b)
	for _, f := range x.mid {
		b.add(f.Name, f.Value)
	}
	withVars := varEvents[name]
	if x.vars != nil {
		withVars = *x.vars
	}
	if withVars {
		ch.addVars(b)
	}
	for _, f := range x.post {
		b.addAlways(f.Name, f.Value)
	}
	if x.body != nil {
		b.e.body = *x.body
		b.e.hasBody = true
	}
	b.e.uuid = ch.uuid
	s.dispatch(b.e)
}

func kv(pairs ...string) []field {
	out := make([]field, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		out = append(out, field{Name: pairs[i], Value: pairs[i+1]})
	}
	return out
}

// setState moves the running state and fires CHANNEL_STATE.
func (s *Server) setState(ch *channel, state string) {
	ch.running = state
	ch.target = state
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
}

// setCallState fires CHANNEL_CALLSTATE with the previous state.
func (s *Server) setCallState(ch *channel, cs string) {
	old := ch.callState
	ch.callState = cs
	s.fire(ch, "CHANNEL_CALLSTATE", siteCallstate, chanEvent{pre: kv(
		"Original-Channel-Call-State", old,
		"Channel-Call-State-Number", strconv.Itoa(callStateNumbers[cs]),
	)})
}

// codecEvent reports a codec change.
func (s *Server) codecEvent(ch *channel, which string) {
	switch which {
	case "real_read":
		s.fire(ch, "CODEC", siteCodecRealRead, chanEvent{mid: kv(
			"channel-read-codec-name", ch.read.name,
			"channel-read-codec-rate", strconv.Itoa(ch.read.rate),
			"channel-read-codec-bit-rate", strconv.Itoa(ch.read.bitrate))})
	case "read":
		s.fire(ch, "CODEC", siteCodecRead, chanEvent{mid: kv(
			"channel-read-codec-name", ch.read.name,
			"channel-read-codec-rate", strconv.Itoa(ch.read.rate),
			"channel-read-codec-bit-rate", strconv.Itoa(ch.read.bitrate))})
	case "write":
		s.fire(ch, "CODEC", siteCodecWrite, chanEvent{mid: kv(
			"Channel-Write-Codec-Name", ch.write.name,
			"Channel-Write-Codec-Rate", strconv.Itoa(ch.write.rate),
			"Channel-Write-codec-bit-rate", strconv.Itoa(ch.write.bitrate))})
	}
}

// newChannel registers a leg. Callers hold s.mu.
func (s *Server) newChannel(uuid, name, direction string) *channel {
	now := time.Now()
	s.sessionSeq++
	ch := &channel{
		s:         s,
		uuid:      uuid,
		name:      name,
		direction: direction,
		running:   "CS_NEW",
		target:    "CS_NEW",
		callState: "DOWN",
		created:   now,
		sessionID: s.sessionSeq,
	}
	ch.prof = &profile{
		direction:        direction,
		logicalDirection: direction,
		uuid:             uuid,
		chanName:         name,
		index:            1,
		context:          "default",
	}
	ch.prof.times.profileCreated = now.UnixMicro()
	ch.prof.times.created = now.UnixMicro()
	s.channels[uuid] = ch
	s.order = append(s.order, ch)
	s.sessionsTotal++
	if n := len(s.channels); n > s.peakSessions {
		s.peakSessions = n
	}
	return ch
}

// forget removes a destroyed channel. Callers hold s.mu.
func (s *Server) forget(ch *channel) {
	ch.gone = true
	ch.cancelTasks()
	if s.channels[ch.uuid] == ch {
		delete(s.channels, ch.uuid)
	}
	for i, c := range s.order {
		if c == ch {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// stepProfile starts a new caller profile, as a transfer or bridge does.
func (ch *channel) stepProfile() {
	p := ch.prof.clone()
	p.index = ch.prof.index + 1
	p.times.profileCreated = time.Now().UnixMicro()
	ch.prof = p
}

func boolp(b bool) *bool { return &b }

// callerIDString is the caller_id variable: "name" <number>.
func (ch *channel) callerIDString() string {
	return `"` + ch.prof.cidName + `" <` + ch.prof.cidNum + `>`
}

func epochS(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

func epochU(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func stampStr(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05")
}
