package esl

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestAnnounceCmds(t *testing.T) {
	brk := "uuid_break " + uA + " all"
	bc := func(path string) string { return "uuid_broadcast " + uA + " " + path + " aleg" }
	for _, tc := range []struct {
		name string
		a    Announcement
		want []string
	}{
		{"position", Announcement{Position: 3},
			[]string{brk, bc("phrase:agentswitch_queue_position:3"), bc("${hold_music}")}},
		{"wait", Announcement{Wait: true, WaitMinutes: 12},
			[]string{brk, bc("phrase:agentswitch_queue_wait:12"), bc("${hold_music}")}},
		{"under a minute", Announcement{Wait: true},
			[]string{brk, bc("phrase:agentswitch_queue_wait:0"), bc("${hold_music}")}},
		{"both, the queue's music", Announcement{Position: 1, Wait: true, WaitMinutes: 4, Music: "local_stream://moh"},
			[]string{brk, bc("phrase:agentswitch_queue_position:1"), bc("phrase:agentswitch_queue_wait:4"), bc("local_stream://moh")}},
		{"bounds and a tone", Announcement{Position: MaxAnnouncePosition, Wait: true, WaitMinutes: MaxAnnounceWait, Music: "tone_stream://%(250,0,880);loops=-1"},
			[]string{brk, bc("phrase:agentswitch_queue_position:99999"), bc("phrase:agentswitch_queue_wait:999"), bc("tone_stream://%(250,0,880);loops=-1")}},
	} {
		cmds, err := AnnounceCmds(uA, tc.a)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := make([]string, len(cmds))
		for i, c := range cmds {
			got[i] = c.String()
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestAnnounceCmdsRefused(t *testing.T) {
	for _, tc := range []struct {
		uuid  string
		a     Announcement
		field string
	}{
		{"not-a-uuid", Announcement{Position: 1}, "uuid"},
		{uA + " " + uB, Announcement{Position: 1}, "uuid"},
		{uA, Announcement{}, "position"},
		{uA, Announcement{Position: -1}, "position"},
		{uA, Announcement{Position: MaxAnnouncePosition + 1}, "position"},
		{uA, Announcement{Wait: true, WaitMinutes: -1}, "wait_minutes"},
		{uA, Announcement{Wait: true, WaitMinutes: MaxAnnounceWait + 1}, "wait_minutes"},
		{uA, Announcement{Position: 2, WaitMinutes: 5}, "wait_minutes"},
		{uA, Announcement{Position: 1, Music: "moh.wav aleg"}, "music"},
		{uA, Announcement{Position: 1, Music: "moh.wav\nbgapi originate x"}, "music"},
		{uA, Announcement{Position: 1, Music: "hangup::NORMAL_CLEARING"}, "music"},
		{uA, Announcement{Position: 1, Music: "../../etc/passwd"}, "music"},
		{uA, Announcement{Position: 1, Music: "${system(id)}"}, "music"},
		{uA, Announcement{Position: 1, Music: "tone_stream://%(1,0,440) x"}, "music"},
	} {
		_, err := AnnounceCmds(tc.uuid, tc.a)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%q %+v: err %v, want a FieldError on %s", tc.uuid, tc.a, err, tc.field)
		}
	}
	// Every injection that holds syntax is refused in the music (the rest,
	// such as an @ or a longer name, is a harmless path).
	for _, inj := range injections {
		if !strings.ContainsFunc(inj, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(",|{}[]<>;^$`'\"\\", r) }) {
			continue
		}
		if _, err := AnnounceCmds(uA, Announcement{Position: 1, Music: "moh.wav" + inj}); err == nil {
			t.Errorf("music %q accepted", "moh.wav"+inj)
		}
	}
}

// FuzzAnnounceCmds: whatever the input, an accepted announcement is one
// break and broadcasts of exactly three single-line fields (the uuid, a
// path, aleg), whose path is a known phrase with a number or the music
// given, with no "::" that would run an application.
func FuzzAnnounceCmds(f *testing.F) {
	f.Add(uA, 3, true, 5, "")
	f.Add(uA, 0, true, 0, "local_stream://moh")
	f.Add(uA, 1, false, 0, "moh.wav aleg\napi hupall")
	f.Add(uA+" all", 1, false, 0, "phrase::x")
	f.Add(uA, 7, false, 0, "tone_stream://%(1,0,440);loops=-1")
	f.Add(uA, 2, true, 1, "playback::/tmp/x.wav")
	f.Fuzz(func(t *testing.T, uuid string, position int, wait bool, minutes int, music string) {
		cmds, err := AnnounceCmds(uuid, Announcement{Position: position, Wait: wait, WaitMinutes: minutes, Music: music})
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FieldError: %v", err)
			}
			return
		}
		want := 2
		if position > 0 {
			want++
		}
		if wait {
			want++
		}
		if len(cmds) != want || cmds[0].String() != "uuid_break "+uuid+" all" {
			t.Fatalf("commands %q", cmds)
		}
		phrases := map[string]bool{
			"phrase:agentswitch_queue_position:" + strconv.Itoa(position): position > 0,
			"phrase:agentswitch_queue_wait:" + strconv.Itoa(minutes):      wait,
		}
		for i, c := range cmds[1:] {
			f := strings.Split(c.Args, " ")
			if c.Name != "uuid_broadcast" || len(f) != 3 || f[0] != uuid || f[2] != "aleg" ||
				strings.ContainsAny(c.String(), "\r\n\t\x00") || strings.Contains(f[1], "::") {
				t.Fatalf("broadcast %q", c.String())
			}
			last := i == len(cmds)-2
			if last && f[1] != music && !(music == "" && f[1] == "${hold_music}") {
				t.Fatalf("music %q, given %q", f[1], music)
			}
			if !last && !phrases[f[1]] {
				t.Fatalf("phrase %q for position %d, wait %v %d", f[1], position, wait, minutes)
			}
		}
	})
}
