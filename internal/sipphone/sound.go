package sipphone

import (
	"math"
	"time"
)

// Frame measures one received audio frame.
type Frame struct {
	At    time.Time
	Level float64 // RMS, as Level
	// Crossings counts sign changes: a steady tone crosses the same number
	// of times in every frame, speech's count swings between voiced
	// sounds and hiss.
	Crossings int
}

// MeasureFrame measures a µ-law frame read at at.
func MeasureFrame(at time.Time, frame []byte) Frame {
	f := Frame{At: at, Level: Level(frame)}
	prev := 0
	for _, u := range frame {
		s := int(ULawDecode(u))
		// A few LSBs of noise around zero are not a crossing.
		if s > -64 && s < 64 {
			continue
		}
		sign := 1
		if s < 0 {
			sign = -1
		}
		if prev != 0 && sign != prev {
			f.Crossings++
		}
		prev = sign
	}
	return f
}

// Sound sums up frames: where the audible ones start and end, and how
// much they vary.
type Sound struct {
	Start, End time.Time // the first audible frame and the end of the last
	Audible    int       // frames at or above AudibleLevel
	// LevelSpread is the audible frames' level deviation over its mean.
	LevelSpread float64
	// CrossingSpread is the audible frames' deviation of Crossings.
	CrossingSpread float64
}

// Duration is how long the audible part lasts, first frame to last.
func (s Sound) Duration() time.Duration { return s.End.Sub(s.Start) }

// Speech reports whether the sound varies as a voice does: a tone or a
// beep keeps its level and its crossings from frame to frame.
func (s Sound) Speech() bool {
	return s.Audible >= 10 && s.LevelSpread >= 0.3 && s.CrossingSpread >= 4
}

// Summarize measures frames (in the order read).
func Summarize(frames []Frame) Sound {
	var s Sound
	var lv, cr []float64
	for _, f := range frames {
		if f.Level < AudibleLevel {
			continue
		}
		if s.Start.IsZero() {
			s.Start = f.At
		}
		s.End = f.At.Add(FrameSamples * time.Second / SampleRate)
		lv = append(lv, f.Level)
		cr = append(cr, float64(f.Crossings))
	}
	s.Audible = len(lv)
	if m := mean(lv); m > 0 {
		s.LevelSpread = deviation(lv) / m
	}
	s.CrossingSpread = deviation(cr)
	return s
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func deviation(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := mean(xs)
	var sum float64
	for _, x := range xs {
		sum += (x - m) * (x - m)
	}
	return math.Sqrt(sum / float64(len(xs)))
}
