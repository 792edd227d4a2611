package sipphone

import (
	"encoding/binary"
	"errors"
	"math"
)

// RTP as FreeSWITCH exchanges it with a G.711 phone: RFC 3550 packets of
// 20 ms PCMU (payload type 0, 160 samples at 8 kHz) and RFC 4733
// telephone-event packets for DTMF.

const (
	// PayloadPCMU is G.711 µ-law's static payload type.
	PayloadPCMU = 0
	// DefaultEventPayload is the telephone-event type FreeSWITCH offers
	// (rfc2833-pt).
	DefaultEventPayload = 101
	// SampleRate of G.711 and of telephone-event timestamps.
	SampleRate = 8000
	// FrameSamples is one 20 ms packet.
	FrameSamples = 160
)

// ErrShortPacket is a datagram too short for the header it claims.
var ErrShortPacket = errors.New("sipphone: short RTP packet")

// ErrNotRTP is a datagram whose version is not 2.
var ErrNotRTP = errors.New("sipphone: not an RTP version 2 packet")

// RTPHeader is the fixed RTP header (CSRCs and extensions are skipped on
// read and never written).
type RTPHeader struct {
	Marker      bool
	PayloadType uint8
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
}

// AppendRTP appends the header and payload as one packet.
func AppendRTP(dst []byte, h RTPHeader, payload []byte) []byte {
	var b [12]byte
	b[0] = 0x80
	b[1] = h.PayloadType & 0x7f
	if h.Marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], h.Seq)
	binary.BigEndian.PutUint32(b[4:], h.Timestamp)
	binary.BigEndian.PutUint32(b[8:], h.SSRC)
	dst = append(dst, b[:]...)
	return append(dst, payload...)
}

// ParseRTP splits a packet into header and payload (sharing pkt).
func ParseRTP(pkt []byte) (RTPHeader, []byte, error) {
	if len(pkt) < 12 {
		return RTPHeader{}, nil, ErrShortPacket
	}
	if pkt[0]>>6 != 2 {
		return RTPHeader{}, nil, ErrNotRTP
	}
	h := RTPHeader{
		Marker:      pkt[1]&0x80 != 0,
		PayloadType: pkt[1] & 0x7f,
		Seq:         binary.BigEndian.Uint16(pkt[2:]),
		Timestamp:   binary.BigEndian.Uint32(pkt[4:]),
		SSRC:        binary.BigEndian.Uint32(pkt[8:]),
	}
	off := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 { // header extension
		if len(pkt) < off+4 {
			return RTPHeader{}, nil, ErrShortPacket
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:]))
	}
	end := len(pkt)
	if pkt[0]&0x20 != 0 && end > off { // padding
		end -= int(pkt[end-1])
	}
	if off > end {
		return RTPHeader{}, nil, ErrShortPacket
	}
	return h, pkt[off:end], nil
}

// TelephoneEvent is one RFC 4733 payload: a DTMF event and how long it has
// lasted so far.
type TelephoneEvent struct {
	Event    uint8 // 0-9, 10 = *, 11 = #, 12-15 = A-D
	End      bool
	Volume   uint8  // dBm0 below 0, 0-63
	Duration uint16 // in timestamp units (samples)
}

// Marshal returns the 4-byte payload.
func (e TelephoneEvent) Marshal() []byte {
	b := []byte{e.Event, e.Volume & 0x3f, 0, 0}
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

// ParseTelephoneEvent reads a telephone-event payload.
func ParseTelephoneEvent(p []byte) (TelephoneEvent, error) {
	if len(p) < 4 {
		return TelephoneEvent{}, ErrShortPacket
	}
	return TelephoneEvent{Event: p[0], End: p[1]&0x80 != 0, Volume: p[1] & 0x3f, Duration: binary.BigEndian.Uint16(p[2:])}, nil
}

const dtmfDigits = "0123456789*#ABCD"

// DigitEvent maps a DTMF digit to its event code.
func DigitEvent(d byte) (uint8, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i := 0; i < len(dtmfDigits); i++ {
		if dtmfDigits[i] == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// EventDigit maps an event code to its DTMF digit; other events (flash,
// tones) give 0.
func EventDigit(e uint8) byte {
	if int(e) < len(dtmfDigits) {
		return dtmfDigits[e]
	}
	return 0
}

// DigitCollector turns a stream of telephone-event packets into digits:
// one event lasts many packets with the same RTP timestamp, and its end
// packet is sent three times.
type DigitCollector struct {
	have   bool
	lastTS uint32
}

// Add returns the digit a packet starts, if it starts one.
func (c *DigitCollector) Add(h RTPHeader, ev TelephoneEvent) (byte, bool) {
	if c.have && h.Timestamp == c.lastTS {
		return 0, false
	}
	c.have, c.lastTS = true, h.Timestamp
	d := EventDigit(ev.Event)
	return d, d != 0
}

// µ-law (G.711) as in the ITU reference: bias 0x84, clip at 32635.
const (
	ulawBias = 0x84
	ulawClip = 32635
)

// ULawEncode encodes one 16-bit linear sample.
func ULawEncode(s int16) byte {
	v := int(s)
	sign := 0
	if v < 0 {
		v, sign = -v, 0x80
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// ULawDecode decodes one µ-law byte.
func ULawDecode(u byte) int16 {
	u = ^u
	exp := int(u>>4) & 7
	mant := int(u & 0x0f)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// ULawSilence is the µ-law code of a zero sample.
var ULawSilence = ULawEncode(0)

// Tone generates a continuous sine wave in µ-law frames.
type Tone struct {
	Freq      float64 // Hz; 0 gives silence
	Amplitude float64 // 0-1 of full scale; 0 means 0.3
	phase     float64
}

// Frame fills one frame of µ-law samples, carrying the phase over.
func (t *Tone) Frame(dst []byte) {
	if t.Freq <= 0 {
		for i := range dst {
			dst[i] = ULawSilence
		}
		return
	}
	amp := t.Amplitude
	if amp <= 0 {
		amp = 0.3
	}
	step := 2 * math.Pi * t.Freq / SampleRate
	for i := range dst {
		dst[i] = ULawEncode(int16(amp * 32767 * math.Sin(t.phase)))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}

// Level is the RMS of a µ-law frame in linear units (0-32767): silence
// and FreeSWITCH's comfort noise stay under a few hundred, a tone at 0.3
// of full scale is about 7000.
func Level(frame []byte) float64 {
	if len(frame) == 0 {
		return 0
	}
	var sum float64
	for _, u := range frame {
		s := float64(ULawDecode(u))
		sum += s * s
	}
	return math.Sqrt(sum / float64(len(frame)))
}

// ToneShare is how much of a µ-law frame's energy lies at freq (Goertzel):
// about 1 for a pure tone at freq, about 0.5 for an equal mix of two
// tones, near 0 for other frequencies at least 100 Hz away.
func ToneShare(frame []byte, freq float64) float64 {
	n := len(frame)
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2, energy float64
	for _, u := range frame {
		x := float64(ULawDecode(u))
		energy += x * x
		s0 := x + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return power / (float64(n) / 2 * energy)
}
