package sim

import (
	"strconv"
	"strings"
	"time"
)

// origination is one originate attempt: one or more legs rung together,
// groups tried in turn, finished by the first answer or the last failure.
type origination struct {
	s           *Server
	global      []field
	groups      [][]dialLeg
	legs        []*channel
	timeout     time.Duration
	timer       *task
	ignoreEarly bool
	cidName     string
	cidNum      string
	lastCause   string
	finished    bool
	done        func(ch *channel, cause string)
}

// originateOpts are the positional options of `originate`.
type originateOpts struct {
	cidName, cidNum string
	timeout         int
	extraVars       []field // from the caller (conference dial, bridge)
}

// originate dials a dial string and calls done once: with the answered
// channel, or with nil and the hangup cause. Callers hold s.mu.
func (s *Server) originate(dial string, opts originateOpts, done func(ch *channel, cause string)) {
	global, groups := parseDialString(dial)
	global = append(append([]field(nil), opts.extraVars...), global...)
	o := &origination{s: s, global: global, groups: groups, cidName: opts.cidName, cidNum: opts.cidNum, done: done}
	timeout := 60
	if opts.timeout > 0 {
		timeout = opts.timeout
	}
	if v := varOf(global, "originate_timeout"); v != "" {
		if n := atoiSafe(v); n > 0 {
			timeout = n
		}
	}
	o.timeout = time.Duration(timeout) * time.Second
	o.ignoreEarly = isTrue(varOf(global, "ignore_early_media"))
	if len(groups) == 0 {
		o.finish(nil, "DESTINATION_OUT_OF_ORDER")
		return
	}
	o.nextGroup()
}

func varOf(vars []field, name string) string {
	v := ""
	for _, f := range vars {
		if f.Name == name {
			v = f.Value
		}
	}
	return v
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "enabled", "active", "allow":
		return true
	}
	return false
}

func (o *origination) finish(ch *channel, cause string) {
	if o.finished {
		return
	}
	o.finished = true
	o.timer.cancel()
	o.done(ch, cause)
}

// nextGroup rings the next group of legs or fails with the last cause.
func (o *origination) nextGroup() {
	s := o.s
	if len(o.groups) == 0 {
		cause := o.lastCause
		if cause == "" {
			cause = "NO_ANSWER"
		}
		o.finish(nil, cause)
		return
	}
	group := o.groups[0]
	o.groups = o.groups[1:]
	o.legs = nil
	pendingErr := ""
	for _, l := range group {
		vars := append(append([]field(nil), o.global...), l.vars...)
		ch, cause := s.startLeg(o, l.url, vars)
		if ch == nil {
			pendingErr = cause
			continue
		}
		o.legs = append(o.legs, ch)
	}
	if len(o.legs) == 0 {
		o.lastCause = pendingErr
		o.nextGroup()
		return
	}
	o.timer.cancel()
	o.timer = s.sched.after(o.timeout, o.expire)
}

// expire ends every leg that has not answered: NO_ANSWER.
func (o *origination) expire() {
	for _, ch := range o.legs {
		if !ch.down && !ch.answered {
			ch.vars.set("sip_hangup_disposition", "send_cancel")
			o.s.hangup(ch, "NO_ANSWER")
		}
	}
}

// legAnswered ends the attempt successfully; other legs lose the race.
func (o *origination) legAnswered(ch *channel) {
	if o.finished {
		return
	}
	for _, other := range o.legs {
		if other != ch && !other.down {
			other.originate = nil
			other.vars.set("sip_hangup_disposition", "send_cancel")
			o.s.hangup(other, "LOSE_RACE")
		}
	}
	ch.originate = nil
	o.finish(ch, "")
}

// legFailed is called when a ringing leg is gone (after HANGUP_COMPLETE).
func (o *origination) legFailed(ch *channel) {
	if o.finished {
		return
	}
	o.lastCause = ch.cause
	for _, l := range o.legs {
		if !l.down {
			return
		}
	}
	o.nextGroup()
}

// startLeg creates one outgoing leg, or returns the cause it failed with
// before any channel existed.
func (s *Server) startLeg(o *origination, url string, vars []field) (*channel, string) {
	t, bad := parseTarget(url)
	if t == nil {
		return nil, bad
	}
	switch t.kind {
	case "error":
		return nil, t.errCause
	case "user":
		b := s.behaviorFor(t.user, "user/"+t.user)
		exists, registered := s.lookupUser(t.user)
		if b.Outcome == UnknownUser || !exists {
			return nil, "SUBSCRIBER_ABSENT"
		}
		if b.Outcome == NotRegistered || !registered {
			return nil, "USER_NOT_REGISTERED"
		}
		domain := t.domain
		if domain == "" {
			domain = s.cfg.IPv4
		}
		contact := userContact(t.user)
		t.host = contact
		t.uri = "sip:" + t.user + "@" + contact
		t.profile = "internal"
		t.chanName = "sofia/internal/" + t.user + "@" + contact
		t.domain = domain
		return s.startSofiaLeg(o, t, vars, b, true)
	case "sofia":
		if t.gateway != "" {
			s.noteGateway(t.gateway)
		}
		b := s.behaviorFor(url, t.uri, strings.TrimPrefix(t.uri, "sip:"), t.user+"@"+t.host, t.user, t.gateway+"/"+t.user)
		if b.Outcome == NotRegistered || b.Outcome == UnknownUser {
			b.Outcome = Fail
			b.Cause = "UNALLOCATED_NUMBER"
		}
		return s.startSofiaLeg(o, t, vars, b, false)
	case "null", "loopback":
		return s.startNullLeg(o, t, vars)
	}
	return nil, "CHAN_NOT_IMPLEMENTED"
}

// newOutboundChannel creates an outgoing leg and fires CHANNEL_OUTGOING,
// the first event of every originated leg (before CHANNEL_CREATE).
func (s *Server) newOutboundChannel(o *origination, t *dialTarget, vars []field) (*channel, string) {
	uuid := varOf(vars, "origination_uuid")
	if uuid != "" && s.channels[uuid] != nil {
		if t.kind == "sofia" || t.kind == "user" {
			return nil, "DESTINATION_OUT_OF_ORDER"
		}
		uuid = ""
	}
	if uuid == "" {
		uuid = newUUID()
	}
	ch := s.newChannel(uuid, t.chanName, "outbound")
	ch.originate = o
	p := ch.prof
	cidNum := o.cidNum
	if v := varOf(vars, "origination_caller_id_number"); v != "" {
		cidNum = v
	}
	if cidNum == "" {
		cidNum = "0000000000"
	}
	cidName := o.cidName
	if v := varOf(vars, "origination_caller_id_name"); v != "" {
		cidName = v
	}
	p.cidName, p.cidNum = cidName, cidNum
	p.origCidName, p.origCidNum = cidName, cidNum
	p.calleeName = "Outbound Call"
	p.calleeNum = t.user
	p.ani = cidNum
	p.dest = t.user
	p.source = "src/switch_ivr_originate.c"
	ch.running = "CS_NONE"
	ch.target = "CS_INIT"
	s.fire(ch, "CHANNEL_OUTGOING", siteOutgoing, chanEvent{})
	return ch, ""
}

// initLeg runs CS_INIT and CS_ROUTING of an outgoing leg, which parks in
// CS_CONSUME_MEDIA until the far end answers.
func (s *Server) initLeg(ch *channel) {
	s.setState(ch, "CS_INIT")
	ch.target = "CS_ROUTING"
	s.fire(ch, "CHANNEL_CREATE", siteCreate, chanEvent{})
	s.fire(ch, "CHANNEL_ORIGINATE", siteOriginate, chanEvent{})
	s.setState(ch, "CS_ROUTING")
	ch.target = "CS_CONSUME_MEDIA"
	s.presenceOut(ch)
	ch.running = "CS_CONSUME_MEDIA"
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
}

func (s *Server) startSofiaLeg(o *origination, t *dialTarget, vars []field, b Behavior, viaUser bool) (*channel, string) {
	ch, cause := s.newOutboundChannel(o, t, vars)
	if ch == nil {
		return nil, cause
	}
	ch.beh = b
	ch.echoDTMF = b.EchoDTMF
	ch.sip = newSIPPeer(t.user, t.host, b.UserAgent)
	earlyOK := !o.ignoreEarly
	cfg := vars
	if viaUser {
		// The directory's dial-string (vanilla's and pbx-config's):
		// {^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(...)}
		cfg = append(append([]field(nil), vars...),
			field{Name: "dialed_user", Value: t.user}, field{Name: "dialed_domain", Value: t.domain},
			field{Name: "sip_invite_domain", Value: t.domain}, field{Name: "presence_id", Value: t.user + "@" + t.domain})
	}
	s.sofiaCreateVars(ch, t, cfg, earlyOK)
	s.initLeg(ch)
	ch.viaUser = viaUser

	legTimeout := time.Duration(atoiSafe(varOf(vars, "leg_timeout"))) * time.Second
	if legTimeout > 0 {
		ch.after(legTimeout, func() {
			if !ch.answered && !ch.down {
				ch.vars.set("sip_hangup_disposition", "send_cancel")
				s.hangup(ch, "NO_ANSWER")
			}
		})
	}

	switch b.Outcome {
	case Unreachable:
		ch.after(20*time.Millisecond, func() {
			s.sofiaRefuseVars(ch, "NORMAL_TEMPORARY_FAILURE")
			s.hangup(ch, "NORMAL_TEMPORARY_FAILURE")
		})
		return ch, ""
	}
	ring := s.ringDelay(b)
	if ring >= 0 {
		ch.after(ring, func() { s.legRinging(ch) })
	}
	final := s.answerDelay(b)
	if final < ring {
		final = ring
	}
	switch b.Outcome {
	case Answer:
		ch.after(final, func() { s.legAnswer(ch) })
	case Busy, Rejected, Fail:
		cause := "USER_BUSY"
		if b.Outcome == Rejected {
			cause = "CALL_REJECTED"
		}
		if b.Outcome == Fail {
			cause, _ = normCause(b.Cause)
		}
		ch.after(final, func() {
			if ch.progressAt.IsZero() {
				s.sofiaReplyVars(ch)
			}
			s.sofiaRefuseVars(ch, cause)
			s.hangup(ch, cause)
		})
	case NoAnswer:
		// rings until originate_timeout
	}
	return ch, ""
}

// legRinging is the 180 (or the 183 with SDP for early media).
func (s *Server) legRinging(ch *channel) {
	if ch.down || ch.answered || !ch.progressAt.IsZero() {
		return
	}
	ch.progressAt = time.Now()
	if ch.sip != nil {
		s.sofiaReplyVars(ch)
	}
	if ch.beh.EarlyMedia {
		s.earlyMedia(ch)
		return
	}
	s.fire(ch, "CHANNEL_PROGRESS", siteProgress, chanEvent{})
	s.setCallState(ch, "RINGING")
}

// earlyMedia is a 183 with SDP: the channel has media before the answer.
func (s *Server) earlyMedia(ch *channel) {
	ch.read, ch.write = &codecPCMU, &codecPCMU
	s.codecEvent(ch, "real_read")
	s.codecEvent(ch, "write")
	if ch.sip != nil {
		s.sofiaAnswerVars(ch)
	}
	ch.early = true
	ch.prof.times.progressMedia = time.Now().UnixMicro()
	ch.vars.set("endpoint_disposition", "EARLY MEDIA")
	s.fire(ch, "CHANNEL_PROGRESS_MEDIA", siteProgressMedia, chanEvent{})
	s.setCallState(ch, "EARLY")
	if o := ch.originate; o != nil && !o.ignoreEarly {
		ch.vars.set("originate_early_media", "true")
		s.originatePoll(ch)
	}
}

// legAnswer is the 200 OK of an outgoing leg.
func (s *Server) legAnswer(ch *channel) {
	if ch.down || ch.answered {
		return
	}
	if ch.progressAt.IsZero() && ch.sip != nil {
		ch.progressAt = time.Now()
		s.sofiaReplyVars(ch)
	}
	if ch.read == nil {
		ch.read, ch.write = &codecPCMU, &codecPCMU
		s.codecEvent(ch, "real_read")
		s.codecEvent(ch, "write")
		if ch.sip != nil {
			s.sofiaAnswerVars(ch)
		}
	}
	s.markAnswered(ch)
	s.setCallState(ch, "ACTIVE")
	ch.vars.set("endpoint_disposition", "ANSWER")
	if ch.beh.HangupAfter > 0 {
		ch.after(ch.beh.HangupAfter, func() { s.remoteHangup(ch, "NORMAL_CLEARING") })
	}
	if ch.originate != nil {
		s.originatePoll(ch)
	}
}

// originatePoll hands an answered (or early-media) leg to its originate
// once the originate notices: FreeSWITCH's originate loop looks at its
// legs every 20 ms (switch_ivr_originate's switch_yield(20000)), so the
// CALL_UPDATE, the API event and the BACKGROUND_JOB come up to
// Config.OriginatePoll after CHANNEL_ANSWER. A uuid_bridge or
// uuid_transfer of the leg in between takes it from the originate (seize),
// which then fails with ORIGINATOR_CANCEL.
func (s *Server) originatePoll(ch *channel) {
	o := ch.originate
	if s.cfg.OriginatePoll <= 0 {
		s.originateSucceeded(ch)
		return
	}
	ch.after(s.cfg.OriginatePoll, func() {
		if ch.originate == o && !ch.down {
			s.originateSucceeded(ch)
		}
	})
}

// seize takes an answered leg that its originate has not collected yet
// (see originatePoll) away from it, as uuid_bridge and uuid_transfer do in
// FreeSWITCH (the leg turns CF_TRANSFER/CS_RESET, which the originate loop
// counts as gone). The leg lives on; releaseSeized ends the originate.
// Callers hold s.mu.
func (s *Server) seize(ch *channel) {
	o := ch.originate
	if o == nil || ch.down || !ch.answered && !(ch.early && !o.ignoreEarly) {
		return
	}
	ch.originate = nil
	o.legs = removeChannel(o.legs, ch)
	ch.seized = o
}

// takeCallerExtension is the caller-id flip a seized leg gets when it is
// given an extension (uuid_bridge's or the transfer's) instead of the
// originate's (switch_channel_set_caller_extension, switch_channel_sort_cid).
func (s *Server) takeCallerExtension(ch *channel) {
	if ch.seized != nil && !ch.hitDial {
		ch.hitDial = true
		s.flipCID(ch)
	}
}

// releaseSeized ends the originate of a seized leg: ORIGINATOR_CANCEL
// (`-ERR ORIGINATOR_CANCEL` in its BACKGROUND_JOB); the other legs it
// was ringing lose the race.
func (s *Server) releaseSeized(ch *channel) {
	o := ch.seized
	if o == nil {
		return
	}
	ch.seized = nil
	for _, other := range o.legs {
		if !other.down {
			other.originate = nil
			other.vars.set("sip_hangup_disposition", "send_cancel")
			s.hangup(other, "LOSE_RACE")
		}
	}
	o.groups = nil
	o.finish(nil, "ORIGINATOR_CANCEL")
}

// markAnswered fires CHANNEL_ANSWER; Channel-Call-State still shows the
// state before the answer. execute_on_answer runs right after.
func (s *Server) markAnswered(ch *channel) {
	ch.answered = true
	ch.answeredAt = time.Now()
	s.fire(ch, "CHANNEL_ANSWER", siteAnswer, chanEvent{})
	s.presenceOut(ch)
	if app := varValue(ch, "execute_on_answer"); app != "" {
		name, arg, _ := strings.Cut(strings.TrimSpace(app), " ")
		s.execOnAnswer(ch, name, arg)
	}
}

// execOnAnswer runs a short application in the answering thread
// (execute_on_answer): amd, set, export, unset, record_session.
func (s *Server) execOnAnswer(ch *channel, name, arg string) {
	run := &appRun{name: name, arg: arg, uuid: newUUID(), nested: true}
	ch.nested = run
	s.fireExecute(ch, run)
	switch strings.ToLower(name) {
	case "amd":
		s.startAMD(ch)
	case "set", "export":
		if k, v, ok := strings.Cut(arg, "="); ok {
			ch.vars.set(k, v)
		}
	case "unset":
		ch.vars.unset(arg)
	case "record_session":
		s.startRecording(ch, arg, 0)
	}
	s.finishApp(ch, run, "", false)
}

// originateSucceeded flips the caller id (CALL_UPDATE) and hands the leg
// to whoever originated it.
func (s *Server) originateSucceeded(ch *channel) {
	o := ch.originate
	if o == nil {
		return
	}
	ch.hitDial = true
	if ch.viaUser {
		// user/ runs the sofia leg inside its own originate: the outer
		// one reports the leg again before the flip.
		ch.running, ch.target = "CS_CONSUME_MEDIA", "CS_CONSUME_MEDIA"
		s.fire(ch, "CHANNEL_OUTGOING", siteOutgoing, chanEvent{})
	}
	if ch.viaUser {
		// The directory user's and domain's <variables> (user_context...)
		// reach the leg when user/ hands it back.
		if u := s.users[ch.prof.dest]; u != nil {
			for _, f := range u.vars {
				ch.vars.set(f.Name, f.Value)
			}
		}
	}
	// Once: a lost uuid_bridge (loseBridge) may have flipped it already.
	if varValue(ch, "channel_cid_flipped") != "yes" {
		s.flipCID(ch)
	}
	o.legAnswered(ch)
}

// flipCID swaps caller and callee ids of an answered outgoing leg.
func (s *Server) flipCID(ch *channel) {
	p := ch.prof
	if p.cidName != "" {
		ch.vars.set("pre_transfer_caller_id_name", p.cidName)
	}
	ch.vars.set("pre_transfer_caller_id_number", p.cidNum)
	ch.vars.set("channel_cid_flipped", "yes")
	p.cidName, p.calleeName = p.calleeName, p.cidName
	p.cidNum, p.calleeNum = p.calleeNum, p.cidNum
	s.fire(ch, "CALL_UPDATE", siteCallUpdateFlip, chanEvent{pre: kv("Direction", "RECV")})
}

// startNullLeg is null/ and loopback/: no SIP, answers after
// null_auto_answer_delay (ms, default 0).
func (s *Server) startNullLeg(o *origination, t *dialTarget, vars []field) (*channel, string) {
	ch, cause := s.newOutboundChannel(o, t, vars)
	if ch == nil {
		return nil, cause
	}
	v := &ch.vars
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("uuid", ch.uuid)
	v.set("call_uuid", ch.uuid)
	v.set("session_id", strconv.Itoa(ch.sessionID))
	v.set("channel_name", ch.name)
	for _, f := range vars {
		v.set(f.Name, f.Value)
	}
	v.set("originate_early_media", strconv.FormatBool(!o.ignoreEarly))
	v.set("originate_endpoint", t.kind)
	s.initLeg(ch)
	if cause := varOf(vars, "null_hangup_cause"); cause != "" {
		c, _ := normCause(cause)
		ch.after(0, func() { s.hangup(ch, c) })
		return ch, ""
	}
	if strings.EqualFold(varOf(vars, "null_enable_auto_answer"), "false") {
		return ch, ""
	}
	delay := time.Duration(atoiSafe(varOf(vars, "null_auto_answer_delay"))) * time.Millisecond
	ch.after(delay, func() {
		ch.read, ch.write = &codecL16, &codecL16
		s.legAnswer(ch)
	})
	return ch, ""
}
