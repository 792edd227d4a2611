package sim

import (
	"sort"
	"strconv"
	"time"
)

// ChannelInfo is a snapshot of one live channel, for tests.
type ChannelInfo struct {
	UUID        string
	Name        string
	Direction   string // inbound, outbound
	State       string // Channel-State, e.g. CS_EXECUTE
	CallState   string // Channel-Call-State, e.g. ACTIVE, HELD
	Answered    bool
	HungUp      bool
	Cause       string // Hangup-Cause once hung up
	Application string // running application
	AppData     string
	Parked      bool
	BridgedTo   string // partner UUID
	Held        bool
	MutedRead   bool // uuid_audio start read mute
	MutedWrite  bool
	Recording   []string // paths being recorded
	// Played lists every path a playback started on the channel, in
	// order: what the caller heard (a phrase as phrase:<macro>:<data>).
	Played     []string
	Conference string
	MemberID   int
	Eavesdrop  string // target UUID of an eavesdropping leg
	SpyMode    string // listen, whisper, talk-to-partner, barge
	Created    time.Time
	AnsweredAt time.Time
	Vars       map[string]string
}

func (ch *channel) info() ChannelInfo {
	ci := ChannelInfo{
		UUID:       ch.uuid,
		Name:       ch.name,
		Direction:  ch.direction,
		State:      ch.running,
		CallState:  ch.callState,
		Answered:   ch.answered,
		HungUp:     ch.down,
		Cause:      ch.cause,
		Parked:     ch.parked,
		Held:       ch.held,
		MutedRead:  ch.muteRead,
		MutedWrite: ch.muteWrite,
		Created:    ch.created,
		AnsweredAt: ch.answeredAt,
		Vars:       make(map[string]string, len(ch.vars)),
	}
	if ch.cur != nil {
		ci.Application, ci.AppData = ch.cur.name, ch.cur.arg
	}
	if ch.partner != nil {
		ci.BridgedTo = ch.partner.uuid
	}
	ci.Played = append([]string(nil), ch.played...)
	for _, r := range ch.records {
		ci.Recording = append(ci.Recording, r.path)
	}
	if m := ch.member; m != nil {
		ci.Conference = m.conf.name
		ci.MemberID = m.id
	}
	if ch.spyTarget != nil {
		ci.Eavesdrop = ch.spyTarget.uuid
		ci.SpyMode = ch.spyMode
	}
	for _, v := range ch.vars {
		ci.Vars[v.Name] = v.Value
	}
	return ci
}

// Channels lists the live channels, oldest first.
func (s *Server) Channels() []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChannelInfo, 0, len(s.order))
	for _, ch := range s.order {
		out = append(out, ch.info())
	}
	return out
}

// Channel returns one live channel.
func (s *Server) Channel(uuid string) (ChannelInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[uuid]
	if ch == nil {
		return ChannelInfo{}, false
	}
	return ch.info(), true
}

// Conferences lists the live conferences and their member UUIDs in join order.
func (s *Server) Conferences() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	names := make([]string, 0, len(s.conferences))
	for n := range s.conferences {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := s.conferences[n]
		var ids []string
		for _, m := range c.members {
			ids = append(ids, m.ch.uuid)
		}
		out[n] = ids
	}
	return out
}

// fireHeartbeat fires HEARTBEAT and the RE_SCHEDULE of its next run.
func (s *Server) fireHeartbeat() {
	up := time.Since(s.started)
	if s.wanted("HEARTBEAT", "") {
		b := s.newEvent("HEARTBEAT", "", siteHeartbeat)
		b.add("Event-Info", "System Ready")
		b.add("Up-Time", uptimeString(up))
		b.add("FreeSWITCH-Version", fsVersion)
		b.add("Uptime-msec", strconv.FormatInt(up.Milliseconds(), 10))
		b.add("Session-Count", strconv.Itoa(len(s.channels)))
		b.add("Max-Sessions", "1000")
		b.add("Session-Per-Sec", "30")
		b.add("Session-Per-Sec-Last", "0")
		b.add("Session-Per-Sec-Max", "1")
		b.add("Session-Per-Sec-FiveMin", "0")
		b.add("Session-Since-Startup", strconv.Itoa(s.sessionsTotal))
		b.add("Session-Peak-Max", strconv.Itoa(s.peakSessions))
		b.add("Session-Peak-FiveMin", strconv.Itoa(s.peakSessions))
		b.add("Idle-CPU", "99.000000")
		s.dispatch(b.e)
	} else {
		s.seq++
	}
	if s.wanted("RE_SCHEDULE", "") {
		b := s.newEvent("RE_SCHEDULE", "", siteReschedule)
		b.add("Task-ID", "1")
		b.add("Task-Desc", "heartbeat")
		b.add("Task-Group", "core")
		b.add("Task-Runtime", strconv.FormatInt(time.Now().Add(s.cfg.HeartbeatInterval).Unix(), 10))
		s.dispatch(b.e)
	} else {
		s.seq++
	}
}

func uptimeString(up time.Duration) string {
	d := int(up / (24 * time.Hour))
	h := int(up/time.Hour) % 24
	m := int(up/time.Minute) % 60
	sec := int(up/time.Second) % 60
	ms := int(up/time.Millisecond) % 1000
	us := int(up/time.Microsecond) % 1000
	return "0 years, " + strconv.Itoa(d) + " days, " + strconv.Itoa(h) + " hours, " + strconv.Itoa(m) +
		" minutes, " + strconv.Itoa(sec) + " seconds, " + strconv.Itoa(ms) + " milliseconds, " +
		strconv.Itoa(us) + " microseconds"
}
