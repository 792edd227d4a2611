package webrtcpeer

import "github.com/agentswitch/agentswitch/internal/sipphone"

// A tone counts as heard after this many frames in a row (100 ms at
// 20 ms a frame) each carry at least minToneShare of their energy at its
// frequency (Goertzel) and are louder than minToneLevel. One tone of an
// equal pair, as in DTMF, still counts; other tones, speech and noise do
// not. The level floor is low because a browser's capture chain may
// attenuate.
const (
	toneFrames   = 5
	minToneShare = 0.4
	minToneLevel = 300
)

// toneDetector follows a stream of µ-law frames for one frequency.
type toneDetector struct {
	hz    float64
	run   int
	found bool
}

func newToneDetector(hz float64) *toneDetector { return &toneDetector{hz: hz} }

// feed takes the next frame and reports whether the tone has just been
// found (once; found stays set).
func (d *toneDetector) feed(frame []byte) bool {
	if d.found {
		return false
	}
	if sipphone.Level(frame) >= minToneLevel && sipphone.ToneShare(frame, d.hz) >= minToneShare {
		d.run++
	} else {
		d.run = 0
	}
	d.found = d.run >= toneFrames
	return d.found
}
