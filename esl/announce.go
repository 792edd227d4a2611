package esl

import (
	"strconv"

	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// Announcement bounds: the numbers the phrase macros of pbx-config
// (lang/en/agentswitch.xml) accept.
const (
	MaxAnnouncePosition = 99999
	MaxAnnounceWait     = 999
)

// Announcement is what a waiting caller is told between stretches of
// music: its place in the queue, its estimated wait, or both.
type Announcement struct {
	// Position is the caller's place, 1 for next; 0 says none.
	Position int
	// Wait says WaitMinutes; 0 minutes is "less than one minute".
	Wait        bool
	WaitMinutes int
	// Music is what plays again afterwards (ValidateSound); "" is the
	// channel's ${hold_music}.
	Music string
}

// AnnounceCmds are the commands that tell a waiting caller a, in order:
// uuid_break <uuid> all stops the music (and drops anything queued
// behind it), each phrase is queued as a broadcast to the caller's leg,
// and the music is queued after them. A phrase goes as the path
// phrase:<macro>:<N>: uuid_broadcast runs playback for a path without
// "::", and playback reads phrase:<macro>:<data> (split at the first ':'
// after the macro), so the announcement stops and reports like the music
// it interrupts.
func AnnounceCmds(uuid string, a Announcement) ([]Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return nil, err
	}
	if a.Position < 0 || a.Position > MaxAnnouncePosition {
		return nil, invalid("position", "must be 0-%d", MaxAnnouncePosition)
	}
	if a.WaitMinutes < 0 || a.WaitMinutes > MaxAnnounceWait {
		return nil, invalid("wait_minutes", "must be 0-%d", MaxAnnounceWait)
	}
	if !a.Wait && a.WaitMinutes != 0 {
		return nil, invalid("wait_minutes", "given without wait")
	}
	if a.Position == 0 && !a.Wait {
		return nil, invalid("position", "nothing to announce: give a position, the wait or both")
	}
	music := "${" + pbxnames.VarHoldMusic + "}"
	if a.Music != "" {
		if err := ValidateSound("music", a.Music); err != nil {
			return nil, err
		}
		music = a.Music
	}
	broadcast := func(path string) Command {
		return Command{Name: "uuid_broadcast", Args: uuid + " " + path + " " + string(BroadcastALeg)}
	}
	cmds := []Command{{Name: "uuid_break", Args: uuid + " all"}}
	if a.Position > 0 {
		cmds = append(cmds, broadcast(phrase(pbxnames.PhraseQueuePosition, a.Position)))
	}
	if a.Wait {
		cmds = append(cmds, broadcast(phrase(pbxnames.PhraseQueueWait, a.WaitMinutes)))
	}
	return append(cmds, broadcast(music)), nil
}

// phrase is the playback path of a phrase macro with a number.
func phrase(macro string, n int) string {
	return "phrase:" + macro + ":" + strconv.Itoa(n)
}
