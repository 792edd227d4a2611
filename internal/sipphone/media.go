package sipphone

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// AudibleLevel is the RMS above which a received frame counts as audio
// (a tone) rather than silence or comfort noise.
const AudibleLevel = 1000

// burstGap separates two bursts of audio: the first audible frame after
// this much quiet starts a new burst.
const burstGap = 100 * time.Millisecond

// MediaStats counts one call's RTP.
type MediaStats struct {
	Sent, Received   uint64 // audio packets
	Audible          uint64 // received audio packets above AudibleLevel
	EventsSent       uint64 // telephone-event packets
	EventsReceived   uint64
	FirstReceived    time.Time
	LastAudible      time.Time
	DroppedMalformed uint64
}

// media is one RTP session: a UDP socket on loopback, a 20 ms sender and a
// receiver that decodes DTMF and notices audio.
type media struct {
	conn  *net.UDPConn
	local netip.AddrPort
	// notify is called (without locks held) when digits or audio arrive.
	notify func()

	mu      sync.Mutex
	remote  netip.AddrPort
	sending bool
	eventPT uint8
	tone    Tone
	pending []byte // digits waiting to be sent as RFC 4733
	digits  []byte
	bursts  []time.Time
	frames  []Frame // the last maxFrames received, for Call.Frames
	watches []*toneWatch
	stats   MediaStats

	ssrc uint32
	seq  uint16
	ts   uint32

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newMedia(ip netip.Addr, tone float64, notify func()) (*media, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, err
	}
	m := &media{
		conn:   conn,
		local:  conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		notify: notify,
		tone:   Tone{Freq: tone},
		ssrc:   rand.Uint32(),
		seq:    uint16(rand.Uint32()),
		ts:     rand.Uint32(),
		stop:   make(chan struct{}),
	}
	m.wg.Add(2)
	go m.receive()
	go m.send()
	return m, nil
}

// configure points the sender at the far end's SDP and says whether we send.
func (m *media) configure(remote SDP, send bool) {
	m.mu.Lock()
	m.remote = remote.Addr
	m.eventPT = remote.EventPayload
	m.sending = send
	m.mu.Unlock()
}

func (m *media) close() {
	m.once.Do(func() {
		close(m.stop)
		m.conn.Close()
	})
	m.wg.Wait()
}

func (m *media) sendDigits(d string) {
	m.mu.Lock()
	m.pending = append(m.pending, d...)
	m.mu.Unlock()
}

// Digit packets: 100 ms of tone in five updates, three end packets, then
// 60 ms of audio before the next digit.
const (
	digitUpdates = 5
	digitEnds    = 3
	digitPause   = 3
)

func (m *media) send() {
	defer m.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	frame := make([]byte, FrameSamples)
	buf := make([]byte, 0, 12+FrameSamples)
	var (
		digit      byte
		digitTS    uint32
		digitStep  int
		pauseLeft  int
		firstAudio = true
	)
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		m.mu.Lock()
		remote, sending, evPT := m.remote, m.sending, m.eventPT
		if digit == 0 && pauseLeft == 0 && len(m.pending) > 0 && evPT != 0 {
			digit, m.pending = m.pending[0], m.pending[1:]
			digitTS, digitStep = m.ts, 0
		}
		m.mu.Unlock()
		ts := m.ts
		m.ts += FrameSamples
		if !remote.IsValid() || remote.Port() == 0 || !sending {
			continue
		}
		h := RTPHeader{SSRC: m.ssrc, Seq: m.seq}
		var payload []byte
		if ev, ok := DigitEvent(digit); digit != 0 && ok {
			digitStep++
			dur := digitStep * FrameSamples
			if dur > digitUpdates*FrameSamples {
				dur = digitUpdates * FrameSamples
			}
			te := TelephoneEvent{Event: ev, Volume: 10, Duration: uint16(dur), End: digitStep > digitUpdates}
			h.PayloadType, h.Timestamp, h.Marker = evPT, digitTS, digitStep == 1
			payload = te.Marshal()
			if digitStep >= digitUpdates+digitEnds {
				digit, pauseLeft = 0, digitPause
			}
		} else {
			digit = 0
			if pauseLeft > 0 {
				pauseLeft--
			}
			m.tone.Frame(frame)
			h.PayloadType, h.Timestamp, h.Marker = PayloadPCMU, ts, firstAudio
			firstAudio = false
			payload = frame
		}
		m.seq++
		buf = AppendRTP(buf[:0], h, payload)
		if _, err := m.conn.WriteToUDPAddrPort(buf, remote); err != nil {
			continue
		}
		m.mu.Lock()
		if h.PayloadType == PayloadPCMU {
			m.stats.Sent++
		} else {
			m.stats.EventsSent++
		}
		m.mu.Unlock()
	}
}

func (m *media) receive() {
	defer m.wg.Done()
	buf := make([]byte, 2048)
	var dc DigitCollector
	for {
		n, _, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-m.stop:
				return
			default:
				continue
			}
		}
		now := time.Now()
		h, payload, err := ParseRTP(buf[:n])
		m.mu.Lock()
		if err != nil {
			m.stats.DroppedMalformed++
			m.mu.Unlock()
			continue
		}
		changed := false
		switch {
		case m.eventPT != 0 && h.PayloadType == m.eventPT:
			m.stats.EventsReceived++
			if ev, err := ParseTelephoneEvent(payload); err == nil {
				if d, ok := dc.Add(h, ev); ok {
					m.digits = append(m.digits, d)
					changed = true
				}
			}
		case h.PayloadType == PayloadPCMU:
			changed = true
			m.stats.Received++
			if m.stats.FirstReceived.IsZero() {
				m.stats.FirstReceived = now
			}
			f := MeasureFrame(now, payload)
			level := f.Level
			if len(m.frames) >= maxFrames {
				m.frames = append(m.frames[:0], m.frames[len(m.frames)-maxFrames/2:]...)
			}
			m.frames = append(m.frames, f)
			for _, w := range m.watches {
				if w.found.IsZero() && !now.Before(w.since) && level >= AudibleLevel && ToneShare(payload, w.freq) >= toneShareMin {
					w.found = now
				}
			}
			if level >= AudibleLevel {
				m.stats.Audible++
				if m.stats.LastAudible.IsZero() || now.Sub(m.stats.LastAudible) > burstGap {
					m.bursts = append(m.bursts, now)
					if len(m.bursts) > 4096 {
						m.bursts = append(m.bursts[:0], m.bursts[len(m.bursts)-1024:]...)
					}
				}
				m.stats.LastAudible = now
			}
		default:
			m.stats.DroppedMalformed++
		}
		m.mu.Unlock()
		if changed && m.notify != nil {
			m.notify()
		}
	}
}

// maxFrames bounds the frames kept: two minutes or more of the latest.
const maxFrames = 12000

// framesBetween returns the kept frames read in [from, to).
func (m *media) framesBetween(from, to time.Time) []Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Frame
	for _, f := range m.frames {
		if !f.At.Before(from) && f.At.Before(to) {
			out = append(out, f)
		}
	}
	return out
}

// toneShareMin is the share of a frame's energy at a frequency that
// counts as hearing that tone (one of up to three mixed).
const toneShareMin = 0.25

// toneWatch records the first frame dominated by freq at or after since.
type toneWatch struct {
	freq  float64
	since time.Time
	found time.Time
}

func (m *media) watchTone(freq float64, since time.Time) *toneWatch {
	w := &toneWatch{freq: freq, since: since}
	m.mu.Lock()
	m.watches = append(m.watches, w)
	m.mu.Unlock()
	return w
}

func (m *media) unwatch(w *toneWatch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, x := range m.watches {
		if x == w {
			m.watches = append(m.watches[:i], m.watches[i+1:]...)
			return
		}
	}
}

func (m *media) toneFound(w *toneWatch) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return w.found
}

// audioSince returns the start of the first burst of audio at or after t.
func (m *media) audioSince(t time.Time) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.bursts {
		if !b.Before(t) {
			return b, true
		}
	}
	return time.Time{}, false
}

func (m *media) receivedDigits() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.digits)
}

func (m *media) snapshot() MediaStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}
