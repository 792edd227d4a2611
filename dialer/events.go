package dialer

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// switchEvent is what the engine reads from a switch event. decodeEvent
// is the one place in the engine that reads FreeSWITCH's headers: it reads
// only those the event's kind needs and copies them, so no event (nor the
// read buffer its headers point into) outlives the switch client's
// handler, however long a call that saw it lingers.
type switchEvent struct {
	kind string // an esl.Event* or esl.Subclass* constant; "" for kinds the engine ignores
	leg  LegID
	node string
	// at is the switch's time of the event; answeredAt the switch's answer
	// time of the channel (CHANNEL_PARK, CHANNEL_HANGUP*).
	at         time.Time
	answeredAt time.Time
	// CHANNEL_BRIDGE: the other leg.
	bridgeB LegID
	// CHANNEL_HANGUP*.
	hangupCause string
	// CHANNEL_PARK: who called, and the variables the service's dialplans set.
	inbound   bool // Call-Direction: inbound
	callerNum string
	did       string
	queue     string
	priority  int
	skills    []string
	campaign  CampaignID
	legRole   string
	agent     AgentID
	dialed    string
	// CHANNEL_EXECUTE_COMPLETE of a bridge: how its originate ended.
	bridgeDone  bool
	disposition string
	// conference::maintenance.
	confAction string
	member     int
	// DTMF: the digit pressed.
	digit string
}

// kinds interns the event kinds the engine acts on.
var kinds = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		esl.EventChannelProgress, esl.EventChannelProgressMedia, esl.EventChannelAnswer, esl.EventChannelBridge,
		esl.EventChannelPark, esl.EventChannelExecuteComplete, esl.EventChannelHangup, esl.EventChannelHangupComplete,
		esl.EventRecordStart, esl.EventRecordStop, esl.EventPlaybackStop, esl.SubclassConference, esl.EventDTMF,
	} {
		m[k] = k
	}
	return m
}()

// decodeEvent reads ev into a switchEvent; ok is false for an event the
// engine has no use for (no channel, or a kind it ignores).
func decodeEvent(node string, ev *esl.Event) (se switchEvent, ok bool) {
	kind, known := kinds[ev.Kind()]
	if !known {
		return se, false
	}
	id := ev.UniqueID()
	if id == "" {
		return se, false
	}
	se = switchEvent{kind: kind, leg: LegID(strings.Clone(id)), node: node}
	switch kind {
	case esl.EventChannelAnswer:
		se.at = ev.Time()
	case esl.EventChannelBridge:
		se.bridgeB = LegID(strings.Clone(ev.Get("Bridge-B-Unique-ID")))
	case esl.EventChannelHangup, esl.EventChannelHangupComplete:
		se.at = ev.Time()
		se.answeredAt = ev.ProfileTime("Caller-Channel-Answered-Time")
		se.hangupCause = strings.Clone(ev.HangupCause())
	case esl.EventChannelPark:
		se.at = ev.Time()
		se.answeredAt = ev.ProfileTime("Caller-Channel-Answered-Time")
		se.inbound = ev.Get("Call-Direction") == "inbound"
		if !se.inbound {
			break
		}
		se.legRole = strings.Clone(ev.Var(VarLegRole))
		se.did = strings.Clone(ev.Var(VarDID))
		if se.did != "" {
			se.callerNum = strings.Clone(ev.Get("Caller-Caller-ID-Number"))
			se.queue = strings.Clone(ev.Var(VarQueue))
			se.skills = callerSkills(ev.Var(VarSkills))
			if p, err := strconv.Atoi(ev.Var(VarPriority)); err == nil && p >= -MaxCallerPriority && p <= MaxCallerPriority {
				se.priority = p
			}
			n, _ := strconv.ParseInt(ev.Var(VarCampaignID), 10, 64)
			se.campaign = CampaignID(n)
		}
		if se.legRole == RoleAgentDial {
			se.dialed = strings.Clone(ev.Var(VarDialed))
			n, _ := strconv.ParseInt(ev.Var(VarAgentID), 10, 64)
			se.agent = AgentID(n)
		}
	case esl.EventChannelExecuteComplete:
		if ev.Get("Application") == "bridge" {
			se.bridgeDone = true
			se.disposition = strings.Clone(ev.Var("originate_disposition"))
		}
	case esl.EventDTMF:
		se.digit = strings.Clone(ev.Get("DTMF-Digit"))
	case esl.SubclassConference:
		se.confAction = strings.Clone(ev.Get("Action"))
		se.member, _ = strconv.Atoi(ev.Get("Member-ID"))
	}
	return se, true
}

// callerSkills reads the skills a caller needs from the dialplan's list;
// a name that cannot be a skill is left out (no member could have it).
func callerSkills(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); ValidSkill(s) && !slices.Contains(out, s) && len(out) < MaxMemberSkills {
			out = append(out, strings.Clone(s))
		}
	}
	return out
}
