package sipphone

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestULawKnownCodes(t *testing.T) {
	for _, c := range []struct {
		in   int16
		code byte
	}{
		{0, 0xff}, {-1, 0x7f}, {32767, 0x80}, {-32768, 0x00}, {8, 0xfe}, {1000, 0xce}, {-1000, 0x4e},
	} {
		if got := ULawEncode(c.in); got != c.code {
			t.Errorf("ULawEncode(%d) = %#02x, want %#02x", c.in, got, c.code)
		}
	}
	if got := ULawDecode(0x80); got != 32124 {
		t.Errorf("ULawDecode(0x80) = %d, want 32124", got)
	}
	if got := ULawDecode(0x00); got != -32124 {
		t.Errorf("ULawDecode(0x00) = %d, want -32124", got)
	}
}

func TestULawRoundTrip(t *testing.T) {
	// Every code decodes to a value that encodes back to the same code
	// (0x7f, negative zero, encodes as 0xff).
	for u := 0; u < 256; u++ {
		s := ULawDecode(byte(u))
		got := ULawEncode(s)
		if got != byte(u) && !(u == 0x7f && got == 0xff) {
			t.Errorf("code %#02x -> %d -> %#02x", u, s, got)
		}
	}
	// Quantization error stays within one step of the segment.
	for s := -32000; s <= 32000; s += 7 {
		d := int(ULawDecode(ULawEncode(int16(s))))
		if err := math.Abs(float64(d - s)); err > math.Max(16, math.Abs(float64(s))/16) {
			t.Fatalf("%d decodes to %d", s, d)
		}
	}
}

func TestRTPRoundTrip(t *testing.T) {
	h := RTPHeader{Marker: true, PayloadType: 101, Seq: 65535, Timestamp: 0xdeadbeef, SSRC: 42}
	pkt := AppendRTP(nil, h, []byte{1, 2, 3, 4})
	got, payload, err := ParseRTP(pkt)
	if err != nil || got != h || !bytes.Equal(payload, []byte{1, 2, 3, 4}) {
		t.Fatalf("ParseRTP = %+v %v %v", got, payload, err)
	}
}

func TestParseRTPSkipsCSRCExtensionPadding(t *testing.T) {
	pkt := []byte{
		0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, // V=2 P=1 X=1 CC=1
		0, 0, 0, 9, // CSRC
		0xbe, 0xde, 0, 1, 1, 2, 3, 4, // extension of one word
		0xaa, 0xbb, // payload
		0, 2, // padding of 2
	}
	h, payload, err := ParseRTP(pkt)
	if err != nil || h.Seq != 1 || h.Timestamp != 2 || h.SSRC != 3 || !bytes.Equal(payload, []byte{0xaa, 0xbb}) {
		t.Fatalf("got %+v %x %v", h, payload, err)
	}
}

func TestParseRTPRefusesJunk(t *testing.T) {
	for name, pkt := range map[string][]byte{
		"short":         {0x80, 0},
		"version 1":     append([]byte{0x40}, make([]byte, 11)...),
		"csrc past end": append([]byte{0x8f}, make([]byte, 11)...),
		"ext past end":  append([]byte{0x90}, make([]byte, 13)...),
	} {
		_, _, err := ParseRTP(pkt)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if name == "version 1" && !errors.Is(err, ErrNotRTP) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTelephoneEvent(t *testing.T) {
	e := TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}
	b := e.Marshal()
	if !bytes.Equal(b, []byte{11, 0x8a, 0x03, 0x20}) {
		t.Fatalf("Marshal = %x", b)
	}
	got, err := ParseTelephoneEvent(b)
	if err != nil || got != e {
		t.Fatalf("Parse = %+v %v", got, err)
	}
	if _, err := ParseTelephoneEvent(b[:3]); err == nil {
		t.Fatal("short payload accepted")
	}
	for i := 0; i < len(dtmfDigits); i++ {
		ev, ok := DigitEvent(dtmfDigits[i])
		if !ok || EventDigit(ev) != dtmfDigits[i] {
			t.Errorf("digit %c -> %d -> %c", dtmfDigits[i], ev, EventDigit(ev))
		}
	}
	if ev, ok := DigitEvent('b'); !ok || ev != 13 {
		t.Errorf("lower-case b -> %d %v", ev, ok)
	}
	if _, ok := DigitEvent('x'); ok {
		t.Error("x accepted as a digit")
	}
	if EventDigit(16) != 0 {
		t.Error("event 16 (flash) read as a digit")
	}
}

// A digit as FreeSWITCH sends it: updates and three end packets with one
// timestamp; the next digit starts a new timestamp.
func TestDigitCollector(t *testing.T) {
	var c DigitCollector
	var got []byte
	send := func(ts uint32, ev uint8, n int) {
		for i := 0; i < n; i++ {
			te := TelephoneEvent{Event: ev, Duration: uint16(160 * (i + 1)), End: i >= n-3}
			if d, ok := c.Add(RTPHeader{Timestamp: ts, Marker: i == 0}, te); ok {
				got = append(got, d)
			}
		}
	}
	send(1000, 1, 8)
	send(3000, 1, 8) // same digit again
	send(5000, 11, 6)
	send(7000, 16, 4) // flash: not a digit
	if string(got) != "11#" {
		t.Fatalf("digits %q, want 11#", got)
	}
}

func TestToneLevel(t *testing.T) {
	frame := make([]byte, FrameSamples)
	silent := Tone{}
	silent.Frame(frame)
	if l := Level(frame); l != 0 {
		t.Errorf("silence level %v", l)
	}
	tone := Tone{Freq: 1000}
	tone.Frame(frame)
	// 0.3 of full scale: RMS = 0.3*32767/sqrt(2) ≈ 6950.
	if l := Level(frame); l < 6500 || l > 7400 {
		t.Errorf("tone level %v", l)
	}
	if l := Level(frame); l < AudibleLevel {
		t.Errorf("tone %v below AudibleLevel", l)
	}
	if Level(nil) != 0 {
		t.Error("empty frame has a level")
	}
}

func TestToneShare(t *testing.T) {
	frame := func(freqs ...float64) []byte {
		out := make([]byte, FrameSamples)
		for i := range out {
			v := 0.0
			for _, f := range freqs {
				v += 0.3 / float64(len(freqs)) * 32767 * math.Sin(2*math.Pi*f*float64(i)/SampleRate)
			}
			out[i] = ULawEncode(int16(v))
		}
		return out
	}
	for _, f := range []float64{300, 440, 1000, 1400} {
		if got := ToneShare(frame(f), f); got < 0.8 {
			t.Errorf("pure %v Hz: share %.2f", f, got)
		}
	}
	if got := ToneShare(frame(440), 1000); got > 0.05 {
		t.Errorf("440 Hz read as 1000 Hz: %.2f", got)
	}
	if got := ToneShare(frame(1400), 784); got > 0.05 {
		t.Errorf("1400 Hz read as 784 Hz: %.2f", got)
	}
	mix := frame(440, 1000)
	if a, b := ToneShare(mix, 440), ToneShare(mix, 1000); a < 0.3 || b < 0.3 {
		t.Errorf("mix shares %.2f %.2f", a, b)
	}
	if ToneShare(bytes.Repeat([]byte{ULawSilence}, FrameSamples), 440) != 0 || ToneShare(nil, 440) != 0 {
		t.Error("silence has a tone")
	}
}
