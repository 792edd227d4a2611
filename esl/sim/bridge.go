package sim

import (
	"strconv"
	"strings"
	"time"
)

// transferSource is the Caller-Transfer-Source / transfer_source value.
func transferSource(kind, target string) string {
	return strconv.FormatInt(time.Now().Unix(), 10) + ":" + newUUID() + ":" + kind + ":" + target
}

// uuidBridge joins two answered channels as uuid_bridge does: both leave
// their application (UNPARK...), pass CS_HIBERNATE, CS_RESET and
// CS_SOFT_EXECUTE, and one CHANNEL_BRIDGE fires, on a only.
func (s *Server) uuidBridge(a, b *channel) {
	s.takeCallerExtension(a)
	s.takeCallerExtension(b)
	for _, ch := range []*channel{a, b} {
		if ch.partner != nil {
			s.breakBridge(ch, ch.partner)
		}
		if ch.member != nil {
			s.leaveConference(ch, true)
		}
		if ch.spyTarget != nil {
			s.stopSpying(ch)
		}
	}
	// Other-Leg-* is already there when the legs leave their applications.
	s.linkLegs(a, b)
	src := transferSource("uuid_br", b.uuid)
	a.vars.set("uuid_bridge", b.uuid)
	s.bridgeVars(a, b, src)
	s.bridgeVars(b, a, transferSource("uuid_br", a.uuid))

	for _, ch := range []*channel{a, b} {
		ch.inBridge = true
		s.interruptApp(ch)
		ch.apps = nil
		s.setState(ch, "CS_HIBERNATE")
		s.setState(ch, "CS_RESET")
		s.setState(ch, "CS_SOFT_EXECUTE")
		// Its originate sees it gone now (BACKGROUND_JOB -ERR ORIGINATOR_CANCEL).
		s.releaseSeized(ch)
	}
	a.vars.unset("uuid_bridge")
	for _, pair := range [][2]*channel{{a, b}, {b, a}} {
		ch, other := pair[0], pair[1]
		at := siteExecuteBridgeA
		if ch == b {
			at = siteExecuteBridgeB
		}
		s.fire(ch, "CHANNEL_EXECUTE", at, chanEvent{post: kv(
			"Application", "uuid_bridge", "Application-Data", other.uuid)})
	}
	now := time.Now()
	for _, ch := range []*channel{a, b} {
		s.startBridgeMedia(ch, now)
		ch.wasBridged = true
		ch.prof.times.bridged = now.UnixMicro()
	}
	b.vars.set("call_uuid", a.uuid)
	s.fire(a, "CHANNEL_BRIDGE", siteBridge, chanEvent{pre: kv(
		"Bridge-A-Unique-ID", a.uuid, "Bridge-B-Unique-ID", b.uuid)})
	b.running, b.target = "CS_EXCHANGE_MEDIA", "CS_EXCHANGE_MEDIA"
	s.fire(b, "CHANNEL_STATE", siteState, chanEvent{})
	for _, pair := range [][2]*channel{{a, b}, {b, a}} {
		ch, other := pair[0], pair[1]
		ch.vars.set("bridge_to", other.uuid)
		ch.vars.set("last_bridge_to", other.uuid)
		ch.vars.set("last_sent_callee_id_name", other.prof.cidName)
		ch.vars.set("last_sent_callee_id_number", other.prof.cidNum)
		s.callUpdateSend(ch, other)
	}
}

// callUpdateSend is the CALL_UPDATE mod_sofia fires when it tells the peer
// about its new partner.
func (s *Server) callUpdateSend(ch, other *channel) {
	name, num := other.prof.cidName, other.prof.cidNum
	if name == "" {
		name = num
	}
	s.fire(ch, "CALL_UPDATE", siteCallUpdateSIP, chanEvent{pre: kv(
		"Direction", "SEND",
		"Sent-Callee-ID-Name", name,
		"Sent-Callee-ID-Number", num,
		"Bridged-To", other.uuid,
	)})
}

// linkLegs makes a the A leg (originatee profile) and b the B leg.
func (s *Server) linkLegs(a, b *channel) {
	a.partner, b.partner = b, a
	a.bridgeA, b.bridgeA = true, false
	a.stepProfile()
	b.stepProfile()
	a.prof.logicalDirection = "inbound"
	a.prof.transferSource = ""
	b.prof.transferSource = ""
	b.otherType, b.other = "originator", a.prof.clone()
	a.prof.calleeName, a.prof.calleeNum = b.prof.origCidName, b.prof.origCidNum
	b.prof.cidName, b.prof.cidNum = a.prof.cidName, a.prof.cidNum
	a.otherType, a.other = "originatee", b.prof.clone()
	b.other.times = profTimes{}
	b.other.index = 0
	a.other.index = 0
	a.other.times.bridged = 0
}

func (s *Server) bridgeVars(ch, other *channel, src string) {
	v := &ch.vars
	v.set("bridge_channel", other.name)
	v.set("bridge_uuid", other.uuid)
	v.set("signal_bond", other.uuid)
	v.set("original_destination_number", ch.prof.dest)
	v.set("original_caller_id_name", ch.prof.cidName)
	v.set("original_caller_id_number", ch.prof.cidNum)
	v.set("transfer_history", src)
	v.set("transfer_source", src)
	ch.prof.transferSource = src
}

// unbridge fires the one CHANNEL_UNBRIDGE (on the A leg) and unlinks.
func (s *Server) unbridge(a, b *channel, aTransferred bool) {
	if a.partner != b {
		return
	}
	if a.down || b.down {
		cause := b.cause
		if a.down {
			cause = a.cause
		}
		a.vars.set("bridge_hangup_cause", cause)
	}
	a.vars.unset("bridge_to")
	if aTransferred {
		a.other, a.otherType = nil, ""
	}
	s.fire(a, "CHANNEL_UNBRIDGE", siteUnbridge, chanEvent{pre: kv(
		"Bridge-A-Unique-ID", a.uuid, "Bridge-B-Unique-ID", b.uuid)})
	a.partner, b.partner = nil, nil
	a.inBridge, b.inBridge = false, false
	// Broadcasts waiting for the bridge's lead frames run outside it.
	s.pumpPrivate(a)
	s.pumpPrivate(b)
}

// startBridgeMedia starts counting the media a bridged leg reads (see
// bridgeLeadFrames).
func (s *Server) startBridgeMedia(ch *channel, now time.Time) {
	ch.bridgedAt = now
	ch.framesPaused = 0
	ch.pausedSince = time.Time{}
	if p := ch.partner; p != nil && p.held {
		ch.pausedSince = now
	}
}

// breakBridge takes ch out of its bridge before it is bridged elsewhere;
// the partner left behind goes on as if ch had hung up.
func (s *Server) breakBridge(ch, other *channel) {
	a, b := ch, other
	if !ch.bridgeA {
		a, b = other, ch
	}
	s.unbridge(a, b, false)
	s.partnerLeft(other)
}

// partnerLeft continues a leg whose bridge partner went away.
func (s *Server) partnerLeft(p *channel) {
	if p.down {
		return
	}
	switch {
	case isTrue(varValue(p, "park_after_bridge")):
		s.parkAfterBridge(p)
	case !p.bridgeA:
		s.hangup(p, "NORMAL_CLEARING")
	default:
		s.afterBridge(p)
	}
}

// parkAfterBridge parks a survivor that has park_after_bridge=true.
func (s *Server) parkAfterBridge(ch *channel) {
	ch.inBridge = false
	s.setState(ch, "CS_PARK")
	run := &appRun{name: "park", noComplete: true}
	ch.cur = run
	s.appPark(ch, run)
}

// afterBridge continues the A leg once its partner is gone.
func (s *Server) afterBridge(a *channel) {
	if a.down {
		return
	}
	a.inBridge = false
	if run := a.bridgeApp; run != nil {
		a.bridgeApp = nil
		s.finishApp(a, run, "", false)
	}
	switch {
	case isTrue(varValue(a, "park_after_bridge")):
		s.parkAfterBridge(a)
	case isTrue(varValue(a, "hangup_after_bridge")):
		s.hangup(a, "NORMAL_CLEARING")
	default:
		if t := varValue(a, "transfer_after_bridge"); t != "" {
			s.transferChannel(a, t, "XML", "default")
			return
		}
		s.setState(a, "CS_EXECUTE")
		s.execNext(a)
	}
}

// transferChannel sends one channel to a new extension (uuid_transfer,
// the transfer application). Callers hold s.mu.
func (s *Server) transferChannel(ch *channel, dest, dialplan, context string) {
	if ch.down {
		return
	}
	if dialplan == "" {
		dialplan = "XML"
	}
	if context == "" {
		context = "default"
	}
	partner := ch.partner
	if partner != nil {
		a, b := ch, partner
		if !ch.bridgeA {
			a, b = partner, ch
		}
		if ch == a {
			// The partner (B) goes away at once.
			if isTrue(varValue(b, "park_after_bridge")) {
				s.stepForTransfer(ch, dest, dialplan, context)
				s.unbridge(a, b, true)
				s.parkAfterBridge(b)
			} else {
				// B is not hung up as a bridged leg: the transfer took A away.
				ch.vars.unset("signal_bond")
				b.vars.unset("signal_bond")
				b.vars.unset("bridge_to")
				ch.partner, b.partner = nil, nil
				s.hangupBegin(b, "NORMAL_CLEARING")
				s.hangupMiddle(b)
				s.hangupEnd(b)
				s.stepForTransfer(ch, dest, dialplan, context)
				ch.partner, b.partner = b, ch // for the UNBRIDGE below
				s.unbridge(a, b, true)
			}
			s.routeTransfer(ch, dest, dialplan, context, false)
			return
		}
		// ch is B: it moves, A is left alone.
		s.stepForTransfer(ch, dest, dialplan, context)
		ch.other, ch.otherType = nil, ""
		ch.inBridge = false
		s.routeTransfer(ch, dest, dialplan, context, true)
		s.unbridge(a, b, false)
		s.afterBridge(a)
		return
	}
	if ch.inbound != nil {
		s.inboundACK(ch)
	}
	s.stepForTransfer(ch, dest, dialplan, context)
	if ch.member != nil {
		s.leaveConference(ch, true)
	}
	s.interruptApp(ch)
	s.routeTransfer(ch, dest, dialplan, context, false)
}

// transferBoth moves both legs of a bridge (uuid_transfer -both): B first.
func (s *Server) transferBoth(ch *channel, dest, dialplan, context string) {
	p := ch.partner
	if p == nil {
		s.transferChannel(ch, dest, dialplan, context)
		return
	}
	a, b := ch, p
	if !ch.bridgeA {
		a, b = p, ch
	}
	s.stepForTransfer(b, dest, dialplan, context)
	b.other, b.otherType = nil, ""
	b.inBridge = false
	s.routeTransfer(b, dest, dialplan, context, true)
	s.stepForTransfer(a, dest, dialplan, context)
	s.unbridge(a, b, true)
	s.routeTransfer(a, dest, dialplan, context, false)
}

func (s *Server) stepForTransfer(ch *channel, dest, dialplan, context string) {
	target := dest + "/" + context + "/" + strings.ToLower(dialplan)
	if strings.EqualFold(dialplan, "XML") {
		target = dest + "/" + context + "/XML"
	}
	src := transferSource("bl_xfer", target)
	if h, ok := ch.getVar("transfer_history"); ok {
		h = strings.TrimPrefix(h, "ARRAY::")
		ch.vars.setInPlace("transfer_history", "ARRAY::"+h+"|:"+src)
	} else {
		ch.vars.set("transfer_history", src)
	}
	ch.vars.set("max_forwards", "70")
	ch.vars.set("transfer_source", src)
	ch.vars.unset("signal_bond")
	if p := ch.partner; p != nil {
		p.vars.unset("signal_bond")
	}
	ch.stepProfile()
	ch.prof.times.bridged = 0
	ch.prof.transferSource = src
	ch.prof.rdnis = ch.prof.dest
	ch.prof.dialplan = dialplan
	ch.inlineDest = ""
	if strings.EqualFold(dialplan, "inline") {
		// The inline dialplan puts the old destination back when it runs.
		ch.inlineDest = ch.prof.dest
	}
	ch.prof.dest = dest
	ch.prof.context = context
	ch.prof.times.transfer = time.Now().UnixMicro()
	ch.transfer = true
}

// routeTransfer runs CS_ROUTING and the new extension.
func (s *Server) routeTransfer(ch *channel, dest, dialplan, context string, callUpdate bool) {
	ch.inBridge = false
	inbound := ch.inbound != nil
	if inbound {
		s.setCallState(ch, "RINGING")
	}
	s.setState(ch, "CS_ROUTING")
	if ch.inlineDest != "" {
		ch.prof.dest, ch.prof.rdnis, ch.inlineDest = ch.inlineDest, "", ""
	}
	// A leg taken from its originate gets its caller-id flip with the new
	// extension (captured: CS_ROUTING, CALL_UPDATE, CS_EXECUTE).
	s.takeCallerExtension(ch)
	if inbound {
		s.presenceIn(ch)
	}
	if callUpdate {
		// The B leg of a bridge takes its own caller id back.
		ch.vars.set("call_uuid", ch.uuid)
		ch.vars.set("pre_transfer_caller_id_name", ch.prof.cidName)
		ch.vars.unset("bridge_to")
		s.flipCID(ch)
	}
	apps, ok := s.dialplanApps(ch, dest, dialplan, context)
	if inbound {
		s.setCallState(ch, "ACTIVE")
	}
	if !ok {
		s.hangup(ch, "NO_ROUTE_DESTINATION")
		return
	}
	s.setState(ch, "CS_EXECUTE")
	s.startApps(ch, apps)
}

// appBridge is the bridge application: dial, then bridge to the answer.
func (s *Server) appBridge(ch *channel, run *appRun) {
	dial := run.arg
	var legs []*channel
	run.abort = func() {
		for _, l := range legs {
			if !l.down {
				s.hangup(l, "ORIGINATOR_CANCEL")
			}
		}
	}
	s.originate(dial, originateOpts{cidName: ch.prof.cidName, cidNum: ch.prof.cidNum}, func(b *channel, cause string) {
		if ch.cur != run || ch.down {
			if b != nil {
				s.hangup(b, "ORIGINATOR_CANCEL")
			}
			return
		}
		if b == nil {
			ch.vars.set("originate_disposition", cause)
			ch.vars.set("DIALSTATUS", cause)
			s.appDone(ch, run, "")
			if !ch.down && !continueOnFail(ch, cause) {
				s.hangup(ch, cause)
			}
			return
		}
		ch.vars.set("originate_disposition", "SUCCESS")
		ch.vars.set("DIALSTATUS", "SUCCESS")
		s.linkLegs(ch, b)
		s.bridgeVars(ch, b, transferSource("bridge", b.uuid))
		s.bridgeVars(b, ch, transferSource("bridge", ch.uuid))
		now := time.Now()
		for _, c := range []*channel{ch, b} {
			s.startBridgeMedia(c, now)
			c.wasBridged = true
			c.inBridge = true
		}
		b.vars.set("call_uuid", ch.uuid)
		s.fire(ch, "CHANNEL_BRIDGE", siteBridge, chanEvent{pre: kv(
			"Bridge-A-Unique-ID", ch.uuid, "Bridge-B-Unique-ID", b.uuid)})
		b.running, b.target = "CS_EXCHANGE_MEDIA", "CS_EXCHANGE_MEDIA"
		s.fire(b, "CHANNEL_STATE", siteState, chanEvent{})
		// The bridge application returns when the bridge ends.
		ch.cur = nil
		ch.bridgeApp = run
	})
	legs = nil
}

// continueOnFail is switch_channel_handle_cause's choice after a failed
// bridge: continue_on_fail true, or a list naming the cause, keeps the
// caller up for the next application; without the variable only NO_ANSWER,
// NO_USER_RESPONSE and ORIGINATOR_CANCEL do, and anything else hangs the
// caller up with the cause.
func continueOnFail(ch *channel, cause string) bool {
	v, set := ch.getVar("continue_on_fail")
	if !set {
		return cause == "NO_ANSWER" || cause == "NO_USER_RESPONSE" || cause == "ORIGINATOR_CANCEL"
	}
	if isTrue(v) {
		return true
	}
	for _, c := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(c), cause) {
			return true
		}
	}
	return false
}

// loseBridge is a uuid_bridge that FreeSWITCH answered +OK and then did
// not carry out (esl/testdata/transcripts/13-bridge-lost.jsonl): the lead
// (a), still finishing its originate, goes on to its own application; the
// other leg leaves its application, walks the bridge's states and is hung
// up with DESTINATION_OUT_OF_ORDER.
func (s *Server) loseBridge(a, b *channel) {
	if a.down || b.down || a.gone || b.gone {
		return
	}
	originating := a.originate != nil
	if originating && !a.hitDial {
		// The caller-id flip of a leg given an extension.
		a.hitDial = true
		s.flipCID(a)
	}
	// Both legs are linked before the bridge gives up.
	b.otherType, b.other = "originator", a.prof.clone()
	b.other.times = profTimes{}
	b.other.index = 0
	a.otherType, a.other = "originatee", b.prof.clone()
	a.other.index = 0
	a.other.times.bridged = 0
	s.bridgeVars(b, a, transferSource("uuid_br", a.uuid))
	s.bridgeVars(a, b, transferSource("uuid_br", b.uuid))
	if originating {
		// Its originate thread has it: the state walk, then back to it.
		s.setState(a, "CS_HIBERNATE")
		s.setState(a, "CS_RESET")
		s.setState(a, "CS_SOFT_EXECUTE")
	}
	s.interruptApp(b)
	b.apps = nil
	s.setState(b, "CS_HIBERNATE")
	s.setState(b, "CS_RESET")
	s.setState(b, "CS_SOFT_EXECUTE")
	s.hangup(b, "DESTINATION_OUT_OF_ORDER")
	a.vars.set("last_bridge_hangup_cause", "DESTINATION_OUT_OF_ORDER")
}

// stallBridge is a uuid_bridge that FreeSWITCH answered +OK and left
// half done (see StallBridges): b leaves its application and stops in
// CS_RESET; nothing else happens to either leg.
func (s *Server) stallBridge(b *channel) {
	if b.down || b.gone {
		return
	}
	b.stuck = true
	s.interruptApp(b)
	b.apps = nil
	s.setState(b, "CS_HIBERNATE")
	s.setState(b, "CS_RESET")
}
