package webrtcpeer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// The only codecs offered and accepted: G.711 µ-law, which needs no
// decoder library, and RFC 4733 events so DTMF arrives as RTP.
const (
	payloadPCMU  = 0
	payloadEvent = 101
	mimeEvent    = "audio/telephone-event"
)

// newAPI builds a pion API restricted to PCMU + telephone-event and to
// host candidates on loopback.
func newAPI() (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: payloadPCMU},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: payloadEvent},
	} {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	// The default interceptors send receiver reports, which the browser
	// needs for its round-trip and loss figures.
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// outTrack is a local audio track that writes raw RTP, so audio and
// telephone-event packets share one SSRC with their own payload types
// (pion's static tracks rewrite every packet to the first codec).
type outTrack struct {
	mu      sync.Mutex
	w       webrtc.TrackLocalWriter
	ssrc    uint32
	audioPT uint8
	eventPT uint8
	hasEv   bool
}

func (t *outTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var audio *webrtc.RTPCodecParameters
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hasEv = false
	for _, c := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(c.MimeType, webrtc.MimeTypePCMU) && audio == nil:
			audio = &c
		case strings.EqualFold(c.MimeType, mimeEvent) && c.ClockRate == 8000:
			t.eventPT, t.hasEv = uint8(c.PayloadType), true
		}
	}
	if audio == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.w, t.ssrc, t.audioPT = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(audio.PayloadType)
	return *audio, nil
}

func (t *outTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *outTrack) ID() string                { return "audio" }
func (t *outTrack) RID() string               { return "" }
func (t *outTrack) StreamID() string          { return "webrtcpeer" }
func (t *outTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// write sends one packet; event says whether it is telephone-event. It
// reports false while unbound or when no event type was negotiated.
func (t *outTrack) write(h rtp.Header, event bool, payload []byte) bool {
	t.mu.Lock()
	w, ssrc, pt := t.w, t.ssrc, t.audioPT
	if event {
		pt = t.eventPT
		if !t.hasEv {
			w = nil
		}
	}
	t.mu.Unlock()
	if w == nil {
		return false
	}
	h.Version, h.SSRC, h.PayloadType = 2, ssrc, pt
	_, err := w.WriteRTP(&h, payload)
	return err == nil
}

// media is one call's PeerConnection: it sends a continuous tone (and
// queued DTMF) and watches what it receives for tones and DTMF.
type media struct {
	pc     *webrtc.PeerConnection
	out    *outTrack
	notify func()

	mu       sync.Mutex
	tone     sipphone.Tone
	pending  []byte
	digits   []byte
	received uint64
	watches  map[*toneDetector]struct{}

	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newMedia(api *webrtc.API, toneHz float64, notify func()) (*media, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	m := &media{
		pc: pc, out: &outTrack{}, notify: notify,
		tone:    sipphone.Tone{Freq: toneHz},
		watches: map[*toneDetector]struct{}{},
		stop:    make(chan struct{}),
	}
	sender, err := pc.AddTrack(m.out)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		// Reading RTCP lets the interceptors process reports.
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	go m.send()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		m.wg.Add(1)
		go m.receive(tr)
	})
	return m, nil
}

// gatheredDescription waits for ICE gathering so the SDP carries every
// candidate: SIP has no trickle here.
func (m *media) gathered(set func() error) (string, error) {
	done := webrtc.GatheringCompletePromise(m.pc)
	if err := set(); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-m.stop:
		return "", errors.New("webrtcpeer: media closed while gathering candidates")
	}
	return m.pc.LocalDescription().SDP, nil
}

// offer returns a complete local offer.
func (m *media) offer() (string, error) {
	return m.gathered(func() error {
		o, err := m.pc.CreateOffer(nil)
		if err != nil {
			return err
		}
		return m.pc.SetLocalDescription(o)
	})
}

// answer takes a remote offer and returns a complete local answer.
func (m *media) answer(offer string) (string, error) {
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("webrtcpeer: remote offer: %w", err)
	}
	return m.gathered(func() error {
		a, err := m.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		return m.pc.SetLocalDescription(a)
	})
}

// accept takes the remote answer to our offer.
func (m *media) accept(answer string) error {
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("webrtcpeer: remote answer: %w", err)
	}
	return nil
}

func (m *media) close() {
	m.once.Do(func() {
		close(m.stop)
		_ = m.pc.Close()
	})
	m.wg.Wait()
}

// Digit timing as a phone sends it: 100 ms of event updates, three end
// packets, then 60 ms of audio before the next digit.
const (
	digitUpdates = 5
	digitEnds    = 3
	digitPause   = 3
)

func (m *media) sendDigits(d string) error {
	for i := 0; i < len(d); i++ {
		if _, ok := sipphone.DigitEvent(d[i]); !ok {
			return fmt.Errorf("webrtcpeer: digits: %q is not a DTMF digit", d[i])
		}
	}
	m.mu.Lock()
	m.pending = append(m.pending, d...)
	m.mu.Unlock()
	return nil
}

// send paces 20 ms frames (real time: the far end plays them out).
func (m *media) send() {
	defer m.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	frame := make([]byte, sipphone.FrameSamples)
	var (
		seq       = uint16(rand.UintN(1 << 16))
		ts        = rand.Uint32()
		digit     byte
		digitTS   uint32
		step      int
		pauseLeft int
	)
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		m.mu.Lock()
		if digit == 0 && pauseLeft == 0 && len(m.pending) > 0 {
			digit, m.pending = m.pending[0], m.pending[1:]
			digitTS, step = ts, 0
		}
		if digit == 0 {
			m.tone.Frame(frame)
		}
		m.mu.Unlock()
		h := rtp.Header{SequenceNumber: seq, Timestamp: ts}
		ts += sipphone.FrameSamples
		if ev, ok := sipphone.DigitEvent(digit); digit != 0 && ok {
			step++
			dur := min(step, digitUpdates) * sipphone.FrameSamples
			te := sipphone.TelephoneEvent{Event: ev, Volume: 10, Duration: uint16(dur), End: step > digitUpdates}
			h.Timestamp, h.Marker = digitTS, step == 1
			if step >= digitUpdates+digitEnds {
				digit, pauseLeft = 0, digitPause
			}
			if m.out.write(h, true, te.Marshal()) {
				seq++
			}
			continue
		}
		if pauseLeft > 0 {
			pauseLeft--
		}
		if m.out.write(h, false, frame) {
			seq++
		}
	}
}

func (m *media) receive(tr *webrtc.TrackRemote) {
	defer m.wg.Done()
	var dc sipphone.DigitCollector
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		codec := tr.Codec()
		switch {
		case strings.EqualFold(codec.MimeType, mimeEvent):
			ev, err := sipphone.ParseTelephoneEvent(pkt.Payload)
			if err != nil {
				continue
			}
			if d, ok := dc.Add(sipphone.RTPHeader{Timestamp: pkt.Timestamp}, ev); ok {
				m.mu.Lock()
				m.digits = append(m.digits, d)
				m.mu.Unlock()
				m.notify()
			}
		case strings.EqualFold(codec.MimeType, webrtc.MimeTypePCMU):
			found := false
			m.mu.Lock()
			m.received++
			for w := range m.watches {
				found = w.feed(pkt.Payload) || found
			}
			m.mu.Unlock()
			if found {
				m.notify()
			}
		}
	}
}

// watch starts feeding received frames to a detector for hz.
func (m *media) watch(hz float64) *toneDetector {
	d := newToneDetector(hz)
	m.mu.Lock()
	m.watches[d] = struct{}{}
	m.mu.Unlock()
	return d
}

func (m *media) unwatch(d *toneDetector) {
	m.mu.Lock()
	delete(m.watches, d)
	m.mu.Unlock()
}

func (m *media) heard(d *toneDetector) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return d.found
}

func (m *media) receivedDigits() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.digits)
}

func (m *media) packets() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.received
}

func (m *media) setTone(hz float64) {
	m.mu.Lock()
	m.tone = sipphone.Tone{Freq: hz}
	m.mu.Unlock()
}
