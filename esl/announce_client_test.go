package esl_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/esl/sim"
)

// TestAnnounceOnTheSwitch: a caller on hold music hears its position and
// wait, then the music again; the simulator gets the commands in order
// and records what the caller heard.
func TestAnnounceOnTheSwitch(t *testing.T) {
	const music = "tone_stream://%(300,200,523.25);loops=-1"
	s := startSim(t, sim.Config{Globals: map[string]string{"hold_music": music}, PlaybackDuration: 20 * time.Millisecond})
	s.SetEndpoint("15557654321", sim.Behavior{AnswerAfter: 10 * time.Millisecond})
	c, _ := startClient(t, esl.Config{}, s)
	ctx := ctxT(t)
	l := lead(t, c, "15557654321")
	played := func() []string {
		ch, _ := s.Channel(l.UUID)
		return ch.Played
	}
	if err := c.HoldMusic(ctx, l.UUID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the music", func() bool { return len(played()) == 1 })

	s.ResetCommands()
	if err := c.Announce(ctx, l.UUID, esl.Announcement{Position: 2, Wait: true, WaitMinutes: 3}); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, cmd := range s.Commands() {
		if strings.Contains(cmd, l.UUID) {
			sent = append(sent, cmd)
		}
	}
	wantSent := []string{
		"api uuid_break " + l.UUID + " all",
		"api uuid_broadcast " + l.UUID + " phrase:agentswitch_queue_position:2 aleg",
		"api uuid_broadcast " + l.UUID + " phrase:agentswitch_queue_wait:3 aleg",
		"api uuid_broadcast " + l.UUID + " ${hold_music} aleg",
	}
	if !slices.Equal(sent, wantSent) {
		t.Fatalf("sent\n%q\nwant\n%q", sent, wantSent)
	}
	heard := []string{music, "phrase:agentswitch_queue_position:2", "phrase:agentswitch_queue_wait:3", music}
	waitFor(t, 2*time.Second, "the announcement and the music again", func() bool { return slices.Equal(played(), heard) })

	// Bad input never reaches the switch; a gone caller is an error.
	s.ResetCommands()
	var fe *esl.FieldError
	if err := c.Announce(ctx, l.UUID, esl.Announcement{Position: 1, Music: "moh.wav\napi hupall"}); !errors.As(err, &fe) || fe.Field != "music" {
		t.Fatalf("bad music: %v", err)
	}
	if got := s.Commands(); len(got) != 0 {
		t.Fatalf("refused announcement sent %q", got)
	}
	if err := c.Announce(ctx, uuid.NewString(), esl.Announcement{Position: 1}); err == nil {
		t.Fatal("announced to a channel that does not exist")
	}
}
