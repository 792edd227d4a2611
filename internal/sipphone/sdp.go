package sipphone

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Direction is an SDP media direction attribute.
type Direction string

// Directions (RFC 3264). An offer without one means sendrecv.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Answer is the direction that answers an offer with this one.
func (d Direction) Answer() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Sends reports whether a party with this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == "" }

// SDP is the part of a session description a G.711 phone needs: where the
// audio goes, the payload types and the direction.
type SDP struct {
	Addr         netip.AddrPort // connection address and audio port
	Payloads     []uint8        // m=audio formats, in order of preference
	EventPayload uint8          // telephone-event/8000 type; 0 if not offered
	Direction    Direction
}

// ErrNoAudio is an SDP without a usable audio stream.
var ErrNoAudio = errors.New("sipphone: SDP has no audio stream")

// ParseSDP reads the first audio stream of a session description. A
// session-level c= or direction applies unless the media section has its own.
func ParseSDP(b []byte) (SDP, error) {
	var (
		out                 SDP
		sessAddr, mediaAddr string
		sessDir             Direction
		inAudio, seenAudio  bool
		inMedia             bool
		port                int
	)
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		k, v := line[0], line[2:]
		switch k {
		case 'm':
			inMedia = true
			if seenAudio {
				inAudio = false
				continue
			}
			f := strings.Fields(v)
			if len(f) < 4 || f[0] != "audio" || !strings.HasPrefix(f[2], "RTP/") {
				inAudio = false
				continue
			}
			p, err := strconv.Atoi(f[1])
			if err != nil || p < 0 || p > 65535 {
				return SDP{}, fmt.Errorf("sipphone: SDP audio port %q", f[1])
			}
			port, inAudio, seenAudio = p, true, true
			for _, pt := range f[3:] {
				n, err := strconv.Atoi(pt)
				if err != nil || n < 0 || n > 127 {
					return SDP{}, fmt.Errorf("sipphone: SDP payload type %q", pt)
				}
				out.Payloads = append(out.Payloads, uint8(n))
			}
		case 'c':
			f := strings.Fields(v)
			if len(f) < 3 || f[0] != "IN" {
				continue
			}
			if inAudio {
				mediaAddr = f[2]
			} else if !inMedia {
				sessAddr = f[2]
			}
		case 'a':
			name, val, _ := strings.Cut(v, ":")
			switch Direction(name) {
			case SendRecv, SendOnly, RecvOnly, Inactive:
				if inAudio {
					out.Direction = Direction(name)
				} else if !inMedia {
					sessDir = Direction(name)
				}
				continue
			}
			if name == "rtpmap" && inAudio {
				pt, enc, _ := strings.Cut(val, " ")
				if strings.EqualFold(enc, "telephone-event/8000") {
					n, err := strconv.Atoi(pt)
					if err == nil && n >= 96 && n <= 127 {
						out.EventPayload = uint8(n)
					}
				}
			}
		}
	}
	if !seenAudio {
		return SDP{}, ErrNoAudio
	}
	addr := mediaAddr
	if addr == "" {
		addr = sessAddr
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return SDP{}, fmt.Errorf("sipphone: SDP connection address %q: %w", addr, err)
	}
	out.Addr = netip.AddrPortFrom(ip, uint16(port))
	if out.Direction == "" {
		out.Direction = sessDir
	}
	if out.Direction == "" {
		out.Direction = SendRecv
	}
	return out, nil
}

// Offers reports whether payload type pt is among the offered formats.
func (s SDP) Offers(pt uint8) bool {
	for _, p := range s.Payloads {
		if p == pt {
			return true
		}
	}
	return false
}

// BuildSDP writes a description of our side: PCMU and, if eventPT is not
// 0, telephone-event, at addr with direction dir. version must grow with
// every new offer or answer in a dialog.
func BuildSDP(addr netip.AddrPort, sessionID, version uint64, eventPT uint8, dir Direction) []byte {
	ip := addr.Addr().String()
	fam := "IP4"
	if addr.Addr().Is6() {
		fam = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=agentswitch %d %d IN %s %s\r\ns=agentswitch\r\nc=IN %s %s\r\nt=0 0\r\n", sessionID, version, fam, ip, fam, ip)
	if eventPT != 0 {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 0 %d\r\n", addr.Port(), eventPT)
		fmt.Fprintf(&b, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", eventPT, eventPT)
	} else {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", addr.Port())
	}
	if dir == "" {
		dir = SendRecv
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", dir)
	return []byte(b.String())
}
