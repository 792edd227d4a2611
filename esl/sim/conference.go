package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	soundAlone = "/usr/share/freeswitch/sounds/en/us/callie/conference/conf-alone.wav"
	toneEnter  = "tone_stream://%(200,0,500,600,700)"
	toneExit   = "tone_stream://%(500,0,300,200,100,50,25)"
)

// conference is one mod_conference room.
type conference struct {
	name, domain, profile string
	uuid                  string
	members               []*member // join order
	floor                 *member
	created               time.Time
	presenceCount         int
}

// member is one conference participant.
type member struct {
	id     int
	ch     *channel
	conf   *conference
	mute   bool
	deaf   bool
	hold   bool
	joined time.Time
	run    *appRun
}

func (c *conference) size() int { return len(c.members) }

func (c *conference) member(id int) *member {
	for _, m := range c.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (s *Server) confHeaders(b builder, c *conference) {
	b.add("Conference-Name", c.name)
	b.add("Conference-Domain", c.domain)
	b.add("Conference-Size", strconv.Itoa(c.size()))
	b.add("Conference-Ghosts", "0")
	b.add("Conference-Profile-Name", c.profile)
	b.add("Conference-Unique-ID", c.uuid)
}

// confEvent fires a conference::maintenance event without a member.
func (s *Server) confEvent(c *conference, action string, at site, extra ...string) {
	if !s.wanted("CUSTOM", "conference::maintenance") {
		s.seq++
		return
	}
	b := s.newEvent("CUSTOM", "conference::maintenance", at)
	s.confHeaders(b, c)
	if action != "" {
		b.add("Action", action)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b.addAlways(extra[i], extra[i+1])
	}
	s.dispatch(b.e)
}

func (s *Server) memberFields(m *member) []field {
	return kv(
		"Video", "false",
		"Hear", strconv.FormatBool(!m.deaf && !m.hold),
		"See", "true",
		"Speak", strconv.FormatBool(!m.mute && !m.hold),
		"Talking", "false",
		"Mute-Detect", "false",
		"Hold", strconv.FormatBool(m.hold),
		"Member-ID", strconv.Itoa(m.id),
		"Member-Type", "member",
		"Member-Ghost", "false",
		"Energy-Level", "100",
		"Current-Energy", "0",
	)
}

// memberEvent fires a conference::maintenance event about a member: the
// channel's basic data (no variables) between the conference headers and
// the member headers.
func (s *Server) memberEvent(m *member, action string, at site, pre []field, post ...field) {
	if !s.wanted("CUSTOM", "conference::maintenance") {
		s.seq++
		return
	}
	c := m.conf
	b := s.newEvent("CUSTOM", "conference::maintenance", at)
	if len(pre) > 0 {
		// floor-change: its own headers, then the member's full block again.
		s.confHeaders(b, c)
		for _, f := range pre {
			b.add(f.Name, f.Value)
		}
	}
	s.confHeaders(b, c)
	b.add("Floor", strconv.FormatBool(c.floor == m))
	m.ch.basicData(b)
	for _, f := range s.memberFields(m) {
		b.add(f.Name, f.Value)
	}
	if action != "" {
		b.add("Action", action)
	}
	for _, f := range post {
		b.add(f.Name, f.Value)
	}
	b.e.uuid = m.ch.uuid
	s.dispatch(b.e)
}

func (s *Server) confPresence(c *conference, leaving bool) {
	c.presenceCount++
	n := c.size()
	status, cs, as := "Inactive", "CS_HANGUP", "terminated"
	if n > 0 {
		status = "Active (" + strconv.Itoa(n) + " caller"
		if n > 1 {
			status += "s"
		}
		status += ")"
		cs = "CS_ROUTING"
		as = "confirmed"
		if n == 1 {
			as = "early"
		}
	}
	if !s.wanted("PRESENCE_IN", "") {
		s.seq++
		return
	}
	b := s.newEvent("PRESENCE_IN", "", sitePresenceConf)
	b.add("proto", "conf")
	b.add("login", c.name)
	b.add("from", c.name+"@"+c.domain)
	b.add("event_type", "presence")
	b.add("alt_event_type", "dialog")
	b.add("event_count", strconv.Itoa(c.presenceCount))
	b.add("unique-id", c.name)
	b.add("force-status", status)
	b.add("channel-state", cs)
	b.add("answer-state", as)
	dir := "inbound"
	if n == 1 {
		dir = "outbound"
	}
	if n == 0 {
		b.add("call-direction", dir)
	} else {
		b.add("presence-call-direction", dir)
	}
	s.dispatch(b.e)
}

// appConference joins the conference "room[@profile]".
func (s *Server) appConference(ch *channel, run *appRun) {
	name, prof, _ := strings.Cut(run.arg, "@")
	if i := strings.IndexByte(prof, '+'); i >= 0 {
		prof = prof[:i]
	}
	if prof == "" {
		prof = "default"
	}
	if name == "" {
		s.appDone(ch, run, "")
		return
	}
	c := s.conferences[name]
	if c == nil {
		c = &conference{name: name, domain: s.cfg.IPv4, profile: prof, uuid: newUUID(), created: time.Now()}
		s.conferences[name] = c
		s.confEvent(c, "conference-create", siteConfCreate)
	}
	s.memberSeq++
	m := &member{id: s.memberSeq, ch: ch, conf: c, joined: time.Now(), run: run}
	ch.member = m
	ch.vars.set("conference_name", c.name)
	ch.vars.set("conference_member_id", strconv.Itoa(m.id))
	ch.vars.set("conference_uuid", c.uuid)
	ch.vars.set("conference_moderator", "false")
	ch.vars.set("conference_ghost", "false")
	ch.vars.set("app_session_uuid", ch.uuid)
	ch.vars.set("conference_call_key", "conference_"+c.name+"_"+c.domain+"_"+ch.prof.cidNum)
	ch.vars.set("read_codec", "L16")
	ch.vars.set("read_rate", "8000")
	ch.read = &codecL16
	s.codecEvent(ch, "read")
	if c.size() == 0 {
		s.confEvent(c, "play-file", siteConfPlay, "File", soundAlone, "Async", "false", "Error", "File could not be played")
	}
	c.members = append(c.members, m)
	s.memberEvent(m, "add-member", siteConfAdd, nil)
	s.confPresence(c, false)
	if c.size() >= 2 {
		s.sched.after(400*time.Millisecond, func() {
			if s.conferences[c.name] == c {
				s.confEvent(c, "", siteConfPlayDone, "seconds", "0", "milliseconds", "400", "samples", "3200",
					"Action", "play-file-done", "File", toneEnter)
			}
		})
		if c.floor == nil {
			ch.after(s.cfg.MediaTick, func() {
				if c.floor == nil && ch.member == m {
					c.floor = m
					s.memberEvent(m, "", siteConfFloor, kv("Action", "floor-change", "Old-ID", "none"),
						field{Name: "New-ID", Value: strconv.Itoa(m.id)})
				}
			})
		}
	}
	run.abort = func() {}
}

// leaveConference takes ch out of its conference (kick, hangup, transfer).
// The conference application completes afterwards.
func (s *Server) leaveConference(ch *channel, complete bool) {
	m := ch.member
	if m == nil {
		return
	}
	c := m.conf
	ch.member = nil
	if c.floor == m {
		c.floor = nil
		s.confEvent(c, "floor-change", siteConfFloor, "Old-ID", "none", "New-ID", "none")
	}
	idx := -1
	for i, x := range c.members {
		if x == m {
			idx = i
		}
	}
	if idx >= 0 {
		c.members = append(c.members[:idx], c.members[idx+1:]...)
	}
	s.confPresence(c, true)
	if c.size() == 1 {
		s.confEvent(c, "play-file", siteConfPlay, "File", soundAlone, "Async", "false", "Error", "File could not be played")
	}
	s.memberEvent(m, "del-member", siteConfDel, nil)
	if c.size() >= 1 {
		s.sched.after(500*time.Millisecond, func() {
			if s.conferences[c.name] != c {
				return
			}
			s.confEvent(c, "", siteConfPlayDone, "seconds", "0", "milliseconds", "500", "samples", "4000",
				"Action", "play-file-done", "File", toneExit)
			if c.size() == 1 {
				s.confEvent(c, "play-file", siteConfPlay, "File", "local_stream://moh", "Async", "false",
					"Error", "File could not be played")
			}
		})
	} else {
		delete(s.conferences, c.name)
		s.sched.after(s.cfg.MediaTick, func() {
			s.confPresence(c, true)
			s.confEvent(c, "conference-destroy", siteConfDestroy)
		})
	}
	ch.read = &codecPCMU
	s.codecEvent(ch, "read")
	ch.vars.set("read_codec", "PCMU")
	ch.vars.set("read_rate", "8000")
	ch.vars.unset("conference_call_key")
	if complete && ch.cur == m.run {
		ch.cur = nil
		s.finishApp(ch, m.run, "", false)
	}
}

// apiConference implements `conference`.
func (s *Server) apiConference(arg string, done func(string)) {
	argv := strings.Fields(arg)
	if len(argv) == 0 {
		done("-ERR No Conference Specified.\n")
		return
	}
	if argv[0] == "list" && len(argv) == 1 {
		done(s.conferenceListAll())
		return
	}
	name := argv[0]
	if len(argv) < 2 {
		done("-ERR Conference command not specified.\n")
		return
	}
	verb := strings.ToLower(argv[1])
	c := s.conferences[name]
	if verb == "dial" || verb == "bgdial" {
		if len(argv) < 3 {
			done("-ERR Bad Args\n")
			return
		}
		cidNum, cidName := "", ""
		if len(argv) > 3 {
			cidNum = argv[3]
		}
		if len(argv) > 4 {
			cidName = strings.Join(argv[4:], " ")
		}
		job := newUUID()
		extra := []field{{Name: "origination_caller_id_name", Value: cidName}, {Name: "origination_caller_id_number", Value: cidNum}}
		s.originate(argv[2], originateOpts{cidName: cidName, cidNum: cidNum, timeout: 60, extraVars: extra}, func(ch *channel, cause string) {
			if verb == "bgdial" {
				res := "SUCCESS"
				peer := ""
				if ch == nil {
					res = cause
				} else {
					peer = ch.uuid
				}
				cc := s.conferences[name]
				if cc == nil {
					cc = &conference{name: name, domain: s.cfg.IPv4, profile: "default", uuid: newUUID()}
				}
				s.confEvent(cc, "bgdial-result", siteConfBgdial, "Result", res, "Job-UUID", job, "Peer-UUID", peer)
			} else {
				if ch == nil {
					done("+OK Call Requested: result: [" + cause + "]\n")
				} else {
					done("+OK Call Requested: result: [SUCCESS]\n")
				}
			}
			if ch != nil {
				s.startApps(ch, []appCall{{name: "conference", arg: name}})
			}
		})
		if verb == "bgdial" {
			done("+OK Job-UUID: " + job + "\n")
		}
		return
	}
	if c == nil {
		done("-ERR Conference " + name + " not found\n")
		return
	}
	switch verb {
	case "list":
		done(s.conferenceList(c, ""))
	case "json_list":
		done(s.conferenceJSON([]*conference{c}))
	case "mute", "unmute", "deaf", "undeaf", "hold", "unhold", "kick", "hup":
		if len(argv) < 3 {
			done(verb + " <[member_id|all]|last|non_moderator>\n")
			return
		}
		var targets []*member
		switch strings.ToLower(argv[2]) {
		case "all", "non_moderator":
			for i := len(c.members) - 1; i >= 0; i-- {
				targets = append(targets, c.members[i])
			}
		case "last":
			var last *member
			for _, m := range c.members {
				if last == nil || m.id > last.id {
					last = m
				}
			}
			if last != nil {
				targets = append(targets, last)
			}
		default:
			id := atoiSafe(argv[2])
			m := c.member(id)
			if m == nil {
				done("-ERR Non-Existant ID " + strconv.Itoa(id) + "\n")
				return
			}
			targets = append(targets, m)
		}
		var out strings.Builder
		for _, m := range targets {
			out.WriteString(s.memberCommand(m, verb))
		}
		done(out.String())
	default:
		done("-ERR Conference command '" + argv[1] + "' not found.\n")
	}
}

func (s *Server) memberCommand(m *member, verb string) string {
	id := strconv.Itoa(m.id)
	toggles := map[string]struct {
		flag *bool
		on   bool
		at   site
	}{
		"mute": {&m.mute, true, siteConfMute}, "unmute": {&m.mute, false, siteConfUnmute},
		"deaf": {&m.deaf, true, siteConfDeaf}, "undeaf": {&m.deaf, false, siteConfUndeaf},
		"hold": {&m.hold, true, siteConfHold}, "unhold": {&m.hold, false, siteConfUnhold},
	}
	if tg, ok := toggles[verb]; ok {
		*tg.flag = tg.on
		s.memberEvent(m, verb+"-member", tg.at, nil)
		return "+OK " + verb + " " + id + "\n"
	}
	switch verb {
	case "kick", "hup":
		action := "kick-member"
		if verb == "hup" {
			action = "hup-member"
		}
		s.memberEvent(m, action, siteConfKick, nil)
		ch := m.ch
		ch.after(s.cfg.MediaTick, func() {
			if ch.member != m {
				return
			}
			s.leaveConference(ch, false)
			if ch.cur == m.run {
				ch.cur = nil
				s.finishApp(ch, m.run, "", true)
			} else if verb == "hup" {
				s.hangup(ch, "NORMAL_CLEARING")
			}
		})
		if verb == "hup" {
			return "+OK hup " + id + "\n"
		}
		return "+OK kicked " + id + "\n"
	}
	return ""
}

func memberFlags(m *member) string {
	var f []string
	if !m.deaf && !m.hold {
		f = append(f, "hear")
	}
	if !m.mute && !m.hold {
		f = append(f, "speak")
	}
	if m.conf.floor == m {
		f = append(f, "floor")
	}
	return strings.Join(f, "|")
}

// conferenceList prints members newest first.
func (s *Server) conferenceList(c *conference, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := len(c.members) - 1; i >= 0; i-- {
		m := c.members[i]
		p := m.ch.prof
		b.WriteString(strconv.Itoa(m.id) + ";" + m.ch.name + ";" + m.ch.uuid + ";" + p.cidName + ";" + p.cidNum + ";" +
			memberFlags(m) + ";0;0;100\n")
	}
	return b.String()
}

func (s *Server) conferenceListAll() string {
	if len(s.conferences) == 0 {
		return "+OK No active conferences.\n"
	}
	names := make([]string, 0, len(s.conferences))
	for n := range s.conferences {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		c := s.conferences[n]
		count := c.size()
		plural := "s"
		if count == 1 {
			plural = ""
		}
		b.WriteString(s.conferenceList(c, "+OK Conference "+c.name+" ("+strconv.Itoa(count)+" member"+plural+
			" rate: 8000 flags: running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status)\n"))
	}
	return b.String()
}

// conferenceJSON mimics cJSON_Print's tab-indented output.
func (s *Server) conferenceJSON(confs []*conference) string {
	var b strings.Builder
	b.WriteString("[")
	for ci, c := range confs {
		if ci > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{\n")
		ind := "\t\t"
		kvs := []string{
			`"conference_name":` + "\t" + string(appendJSONString(nil, c.name)),
			`"member_count":` + "\t" + strconv.Itoa(c.size()),
			`"ghost_count":` + "\t0",
			`"rate":` + "\t8000",
			`"run_time":` + "\t" + strconv.Itoa(int(time.Since(c.created)/time.Second)),
			`"conference_uuid":` + "\t" + string(appendJSONString(nil, c.uuid)),
			`"canvas_count":` + "\t0",
			`"max_bw_in":` + "\t0",
			`"force_bw_in":` + "\t0",
			`"video_floor_packets":` + "\t0",
			`"locked":` + "\tfalse",
			`"destruct":` + "\tfalse",
			`"wait_mod":` + "\tfalse",
			`"audio_always":` + "\tfalse",
			`"running":` + "\ttrue",
			`"answered":` + "\ttrue",
			`"enforce_min":` + "\ttrue",
			`"bridge_to":` + "\tfalse",
			`"dynamic":` + "\ttrue",
			`"exit_sound":` + "\ttrue",
			`"enter_sound":` + "\ttrue",
			`"recording":` + "\tfalse",
			`"video_bridge":` + "\tfalse",
			`"video_floor_only":` + "\tfalse",
			`"video_rfc4579":` + "\tfalse",
			`"variables":` + "\t{\n" + ind + "}",
		}
		for _, kv := range kvs {
			b.WriteString(ind + kv + ",\n")
		}
		b.WriteString(ind + `"members":` + "\t[")
		for i := len(c.members) - 1; i >= 0; i-- {
			m := c.members[i]
			if i != len(c.members)-1 {
				b.WriteString(", ")
			}
			mi := "\t\t\t\t"
			fi := "\t\t\t\t\t"
			flag := func(n string, v bool) string { return fi + `"` + n + `":` + "\t" + strconv.FormatBool(v) }
			b.WriteString("{\n")
			b.WriteString(mi + `"type":` + "\t\"caller\",\n")
			b.WriteString(mi + `"id":` + "\t" + strconv.Itoa(m.id) + ",\n")
			b.WriteString(mi + `"flags":` + "\t{\n")
			flags := []string{
				flag("can_hear", !m.deaf && !m.hold), flag("can_see", true), flag("can_speak", !m.mute && !m.hold),
				flag("hold", m.hold), flag("mute_detect", false), flag("talking", false), flag("has_video", false),
				flag("video_bridge", false), flag("has_floor", c.floor == m), flag("is_moderator", false),
				flag("end_conference", false), flag("mandatory_member_end_conference", false), flag("pass_digits", false),
			}
			b.WriteString(strings.Join(flags, ",\n") + "\n" + mi + "},\n")
			p := m.ch.prof
			b.WriteString(mi + `"uuid":` + "\t" + string(appendJSONString(nil, m.ch.uuid)) + ",\n")
			b.WriteString(mi + `"caller_id_name":` + "\t" + string(appendJSONString(nil, p.cidName)) + ",\n")
			b.WriteString(mi + `"caller_id_number":` + "\t" + string(appendJSONString(nil, p.cidNum)) + ",\n")
			b.WriteString(mi + `"join_time":` + "\t" + strconv.Itoa(int(time.Since(m.joined)/time.Second)) + ",\n")
			b.WriteString(mi + `"last_talking":` + "\t0,\n")
			b.WriteString(mi + `"energy":` + "\t100,\n")
			b.WriteString(mi + `"volume_in":` + "\t0,\n")
			b.WriteString(mi + `"volume_out":` + "\t0,\n")
			b.WriteString(mi + `"output-volume":` + "\t0,\n")
			b.WriteString(mi + `"input-volume":` + "\t0\n")
			b.WriteString("\t\t\t}")
		}
		b.WriteString("]\n\t}")
	}
	b.WriteString("]")
	return b.String()
}
