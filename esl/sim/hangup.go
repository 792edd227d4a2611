package sim

import (
	"strconv"
	"time"
)

// hangup ends ch with cause, FreeSWITCH hanging up (send_bye). A bridged
// partner follows the rules of FINDINGS §5. Callers hold s.mu.
func (s *Server) hangup(ch *channel, cause string) {
	if ch.down || ch.gone {
		return
	}
	s.hangupBridged(ch, cause)
}

// remoteHangup is a BYE from the far end (recv_bye).
func (s *Server) remoteHangup(ch *channel, cause string) {
	if ch.down || ch.gone {
		return
	}
	if ch.sip != nil {
		ch.vars.set("sip_term_status", "200")
		ch.vars.set("proto_specific_hangup_cause", "sip:200")
		ch.vars.set("sip_term_cause", strconv.Itoa(causeQ850[cause]))
		ch.remoteBye = true
	}
	s.hangupBridged(ch, cause)
}

func (s *Server) hangupBridged(ch *channel, cause string) {
	p := ch.partner
	if p == nil || p.down || p.gone {
		s.hangupBegin(ch, cause)
		s.hangupMiddle(ch)
		s.hangupEnd(ch)
		return
	}
	a, b := ch, p
	if !ch.bridgeA {
		a, b = p, ch
	}
	if ch == a {
		s.hangupBegin(a, cause)
		if isTrue(varValue(b, "park_after_bridge")) {
			s.unbridge(a, b, false)
			s.parkAfterBridge(b)
			s.hangupMiddle(a)
			s.hangupEnd(a)
			return
		}
		s.hangupBegin(b, "NORMAL_CLEARING")
		s.hangupMiddle(b)
		s.unbridge(a, b, false)
		s.hangupMiddle(a)
		s.hangupEnd(b)
		s.hangupEnd(a)
		return
	}
	s.hangupBegin(b, cause)
	s.hangupMiddle(b)
	s.unbridge(a, b, false)
	s.hangupEnd(b)
	s.afterBridge(a)
}

func varValue(ch *channel, name string) string {
	v, _ := ch.getVar(name)
	return v
}

// hangupBegin fires CHANNEL_HANGUP and ends the running application.
func (s *Server) hangupBegin(ch *channel, cause string) {
	if ch.down {
		return
	}
	ch.cancelTasks()
	ch.down = true
	ch.cause = cause
	ch.hangupAt = time.Now()
	ch.inBroadcastAtHangup = ch.broadcast != nil
	if p := ch.partner; p != nil {
		ch.bridgedAtHangup = true
		// A partner whose thread is in a broadcast ends the B leg's bridge
		// late: after its CHANNEL_HANGUP_COMPLETE (captured).
		ch.partnerBusy = p.broadcast != nil || p.inBroadcastAtHangup
		if ch.bridgeA {
			ch.vars.set("last_bridge_role", "originator")
		} else {
			if p.remoteBye {
				ch.vars.set("sip_hangup_phrase", "OK")
			}
			ch.vars.set("last_bridge_hangup_cause", cause)
			if v, ok := p.getVar("proto_specific_hangup_cause"); ok && p.down {
				ch.vars.set("last_bridge_proto_specific_hangup_cause", v)
			}
			ch.vars.unset("bridge_to")
		}
	}
	if ch.originate != nil {
		o := ch.originate
		o.legs = removeChannel(o.legs, ch)
		o.legs = append(o.legs, ch)
	}
	s.fire(ch, "CHANNEL_HANGUP", siteHangup, chanEvent{})
	if ch.remoteBye {
		ch.vars.set("sip_hangup_disposition", "recv_bye")
	}
	ch.flushPrivate()
	if ch.pendingPrivate != nil {
		f := ch.pendingPrivate
		ch.pendingPrivate = nil
		f()
	}
	s.abortApps(ch)
}

func removeChannel(list []*channel, ch *channel) []*channel {
	out := list[:0]
	for _, c := range list {
		if c != ch {
			out = append(out, c)
		}
	}
	return out
}

// hangupMiddle is CS_HANGUP: recordings close, the call state goes HANGUP.
func (s *Server) hangupMiddle(ch *channel) {
	ch.running, ch.target = "CS_HANGUP", "CS_HANGUP"
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
	s.stopAllRecordings(ch)
	s.setCallState(ch, "HANGUP")
	s.presenceIn(ch)
}

// hangupEnd is CS_REPORTING: CHANNEL_HANGUP_COMPLETE with the billing
// variables, then CHANNEL_DESTROY unless a lingering socket holds it.
func (s *Server) hangupEnd(ch *channel) {
	ch.running, ch.target = "CS_REPORTING", "CS_REPORTING"
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
	s.setBillingVars(ch)
	s.fire(ch, "CHANNEL_HANGUP_COMPLETE", siteHangupComplete, chanEvent{pre: kv("Hangup-Cause", ch.cause)})
	if o := ch.originate; o != nil {
		ch.originate = nil
		o.legFailed(ch)
	}
	s.releaseSeized(ch)
	s.closeBugs(ch)
	if ch.bridgeEndPending {
		s.bLegBridgeEnded(ch)
	}
	for _, f := range ch.onHangup {
		f()
	}
	ch.onHangup = nil
	if c := ch.session; c != nil {
		if s.sessionHangup(c, ch) {
			return // the lingering socket destroys the channel when it closes
		}
	}
	s.destroy(ch)
}

// destroy fires CHANNEL_DESTROY and CS_DESTROY and forgets the channel.
func (s *Server) destroy(ch *channel) {
	if ch.gone {
		return
	}
	s.fire(ch, "CHANNEL_DESTROY", siteDestroy, chanEvent{})
	ch.running, ch.target = "CS_DESTROY", "CS_DESTROY"
	s.fire(ch, "CHANNEL_STATE", siteState, chanEvent{})
	s.forget(ch)
	for c := range s.conns {
		if c.session == ch && c.outbound == nil {
			c.sendAndClose(sessionDisconnectFrame(ch.uuid))
		}
	}
}

// setBillingVars sets what CHANNEL_HANGUP_COMPLETE reports (switch_channel
// "process_export" and the CDR timetable variables).
func (s *Server) setBillingVars(ch *channel) {
	v := &ch.vars
	end := ch.hangupAt
	if end.IsZero() {
		end = time.Now()
	}
	start := ch.created
	v.set("hangup_cause", ch.cause)
	v.set("hangup_cause_q850", strconv.Itoa(causeQ850[ch.cause]))
	if ch.digits == "" {
		v.set("digits_dialed", "none")
	} else {
		v.set("digits_dialed", ch.digits)
	}
	profStart := time.UnixMicro(ch.prof.times.profileCreated)
	v.set("start_stamp", stampStr(start))
	v.set("profile_start_stamp", stampStr(profStart))
	if !ch.answeredAt.IsZero() {
		v.set("answer_stamp", stampStr(ch.answeredAt))
	}
	bridged := time.Time{}
	if ch.prof.times.bridged != 0 {
		bridged = time.UnixMicro(ch.prof.times.bridged)
		v.set("bridge_stamp", stampStr(bridged))
	}
	if !ch.firstHold.IsZero() {
		v.set("hold_stamp", stampStr(ch.firstHold))
	}
	if !ch.progressAt.IsZero() {
		v.set("progress_stamp", stampStr(ch.progressAt))
	}
	if ch.prof.times.progressMedia != 0 {
		v.set("progress_media_stamp", stampStr(time.UnixMicro(ch.prof.times.progressMedia)))
	}
	if len(ch.holdEvents) > 0 {
		hs := "{"
		for i, e := range ch.holdEvents {
			if i > 0 {
				hs += ","
			}
			hs += e
		}
		v.set("hold_events", hs+"}")
	}
	v.set("end_stamp", stampStr(end))
	v.set("start_epoch", epochS(start))
	v.set("start_uepoch", epochU(start))
	v.set("profile_start_epoch", epochS(profStart))
	v.set("profile_start_uepoch", epochU(profStart))
	v.set("answer_epoch", epochS(ch.answeredAt))
	v.set("answer_uepoch", epochU(ch.answeredAt))
	v.set("bridge_epoch", epochS(bridged))
	v.set("bridge_uepoch", epochU(bridged))
	v.set("last_hold_epoch", epochS(ch.holdStart))
	v.set("last_hold_uepoch", epochU(ch.holdStart))
	acc := ch.holdAccum
	v.set("hold_accum_seconds", strconv.FormatInt(int64(acc/time.Second), 10))
	v.set("hold_accum_usec", strconv.FormatInt(acc.Microseconds(), 10))
	v.set("hold_accum_ms", strconv.FormatInt(acc.Milliseconds(), 10))
	v.set("resurrect_epoch", "0")
	v.set("resurrect_uepoch", "0")
	v.set("progress_epoch", epochS(ch.progressAt))
	v.set("progress_uepoch", epochU(ch.progressAt))
	pm := time.Time{}
	if ch.prof.times.progressMedia != 0 {
		pm = time.UnixMicro(ch.prof.times.progressMedia)
	}
	v.set("progress_media_epoch", epochS(pm))
	v.set("progress_media_uepoch", epochU(pm))
	v.set("end_epoch", epochS(end))
	v.set("end_uepoch", epochU(end))
	if a, ok := ch.getVar("current_application"); ok {
		v.set("last_app", a)
	}
	if a, ok := ch.getVar("current_application_data"); ok {
		v.set("last_arg", a)
	}
	if ch.prof.cidName != "" {
		v.set("caller_id", ch.callerIDString())
	} else {
		v.set("caller_id", ch.prof.cidNum)
	}
	// FreeSWITCH subtracts epochs (switch_channel_set_timestamps): the
	// *sec values are differences of whole-second epochs (2.2 s of talk
	// reads 2 or 3), the *msec values of whole-millisecond epochs.
	none := span{"0", "0", "0"}
	dur, bill, progress, answer, wait, pmedia, flow := spanOf(start, end), none, none, none, none, none, none
	if bridged.After(start) {
		wait = spanOf(start, bridged)
	}
	if !ch.answeredAt.IsZero() {
		bill = spanOf(ch.answeredAt, end)
		flow = dur
		answer = spanOf(start, ch.answeredAt)
	}
	if !ch.progressAt.IsZero() {
		progress = spanOf(start, ch.progressAt)
	}
	if !pm.IsZero() {
		pmedia = spanOf(start, pm)
	}
	v.set("duration", dur.sec)
	v.set("billsec", bill.sec)
	v.set("progresssec", progress.sec)
	v.set("answersec", answer.sec)
	v.set("waitsec", wait.sec)
	v.set("progress_mediasec", pmedia.sec)
	v.set("flow_billsec", flow.sec)
	v.set("mduration", dur.msec)
	v.set("billmsec", bill.msec)
	v.set("progressmsec", progress.msec)
	v.set("answermsec", answer.msec)
	v.set("waitmsec", wait.msec)
	v.set("progress_mediamsec", pmedia.msec)
	v.set("flow_billmsec", flow.msec)
	v.set("uduration", dur.usec)
	v.set("billusec", bill.usec)
	v.set("progressusec", progress.usec)
	v.set("answerusec", answer.usec)
	v.set("waitusec", wait.usec)
	v.set("progress_mediausec", pmedia.usec)
	v.set("flow_billusec", flow.usec)
	if ch.bridgedAtHangup && !ch.bridgeA {
		// The bridge thread of the B leg ends after its media bugs are gone.
		if len(ch.bugs) == 0 && !ch.partnerBusy {
			s.bLegBridgeEnded(ch)
		} else {
			ch.bridgeEndPending = true
		}
	}
	if ch.sip != nil && ch.noDisposition {
		if ch.answered {
			for _, f := range rtpStats(ch, end.Sub(ch.answeredAt)) {
				v.set(f.Name, f.Value)
			}
		}
	} else if ch.sip != nil {
		if _, ok := ch.getVar("sip_hangup_disposition"); !ok {
			if ch.answered {
				ch.vars.set("sip_hangup_disposition", "send_bye")
			} else {
				ch.vars.set("sip_hangup_disposition", "send_cancel")
			}
		} else {
			// Moved to the end, as mod_sofia sets it again at hangup.
			d, _ := ch.getVar("sip_hangup_disposition")
			ch.vars.set("sip_hangup_disposition", d)
		}
		if ch.answered {
			for _, f := range rtpStats(ch, end.Sub(ch.answeredAt)) {
				v.set(f.Name, f.Value)
			}
		}
	}
}

// bLegBridgeEnded records the end of a B leg's bridge thread.
func (s *Server) bLegBridgeEnded(ch *channel) {
	ch.bridgeEndPending = false
	ch.vars.set("bridge_hangup_cause", ch.cause)
	ch.vars.set("call_uuid", ch.uuid)
}

// span is one CDR interval as FreeSWITCH reports it: the difference of
// whole-second, whole-millisecond and microsecond epochs, in that order.
type span struct{ sec, msec, usec string }

func spanOf(from, to time.Time) span {
	return span{
		sec:  strconv.FormatInt(to.Unix()-from.Unix(), 10),
		msec: strconv.FormatInt(to.UnixMilli()-from.UnixMilli(), 10),
		usec: strconv.FormatInt(to.UnixMicro()-from.UnixMicro(), 10),
	}
}
