package sipphone

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// frames renders n 20 ms frames whose samples gen returns (i counts
// samples from 0), read one frame apart from t0.
func frames(t0 time.Time, n int, gen func(i int) float64) []Frame {
	var out []Frame
	buf := make([]byte, FrameSamples)
	for k := range n {
		for j := range buf {
			buf[j] = ULawEncode(int16(max(-32767, min(32767, gen(k*FrameSamples+j)))))
		}
		out = append(out, MeasureFrame(t0.Add(time.Duration(k)*20*time.Millisecond), buf))
	}
	return out
}

func sine(f, amp float64) func(int) float64 {
	return func(i int) float64 { return amp * math.Sin(2*math.Pi*f*float64(i)/SampleRate) }
}

func TestSummarize(t *testing.T) {
	t0 := time.Unix(1000, 0)
	rnd := rand.New(rand.NewPCG(1, 2))
	// Speech-like: syllables (a 4 Hz envelope) of a voiced sound whose
	// pitch glides, with bursts of hiss between.
	speech := func(i int) float64 {
		sec := float64(i) / SampleRate
		env := math.Abs(math.Sin(2 * math.Pi * 4 * sec))
		if int(sec*8)%5 == 4 {
			return 6000 * env * (rnd.Float64()*2 - 1)
		}
		f := 150 + 250*math.Abs(math.Sin(2*math.Pi*0.7*sec))
		return 9000 * env * (math.Sin(2*math.Pi*f*sec) + 0.5*math.Sin(2*math.Pi*3*f*sec))
	}
	beep := func(i int) float64 { // 300 ms on, 150 ms off, as the fallback beep
		if (i/8)%450 < 300 {
			return sine(880, 9000)(i)
		}
		return 0
	}
	cases := []struct {
		name    string
		gen     func(int) float64
		n       int
		speech  bool
		audible bool
	}{
		{"silence", func(int) float64 { return 0 }, 100, false, false},
		{"comfort noise", func(int) float64 { return 200 * (rnd.Float64()*2 - 1) }, 100, false, false},
		{"steady tone", sine(1000, 9000), 100, false, true},
		{"ringback", func(i int) float64 { return sine(440, 5000)(i) + sine(480, 5000)(i) }, 100, false, true},
		{"beep", beep, 60, false, true},
		{"speech", speech, 150, true, true},
	}
	for _, c := range cases {
		s := Summarize(frames(t0, c.n, c.gen))
		if s.Speech() != c.speech || (s.Audible > 0) != c.audible {
			t.Errorf("%s: %+v: speech %v, want %v; audible %v", c.name, s, s.Speech(), c.speech, c.audible)
		}
	}
}

func TestSummarizeSpan(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// 10 silent frames, 50 of tone, 10 silent: the span is the 50.
	gen := func(i int) float64 {
		if k := i / FrameSamples; k < 10 || k >= 60 {
			return 0
		}
		return sine(500, 8000)(i)
	}
	s := Summarize(frames(t0, 70, gen))
	if !s.Start.Equal(t0.Add(200*time.Millisecond)) || s.Duration() != time.Second || s.Audible != 50 {
		t.Fatalf("%+v (duration %v)", s, s.Duration())
	}
}
