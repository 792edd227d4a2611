package sipphone

import (
	"errors"
	"net/netip"
	"testing"
)

// offer and hold are FreeSWITCH 1.11's own SDP (captured INVITE and the
// re-INVITE of uuid_hold).
const offer = "v=0\r\no=FreeSWITCH 1795311804 1795311805 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 36600 RTP/AVP 0 8 101 13\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-15\r\na=rtpmap:13 CN/8000\r\na=ptime:20\r\n"

const hold = "v=0\r\no=FreeSWITCH 1795312183 1795312185 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 36226 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendonly\r\na=ptime:20\r\n"

func TestParseFreeSWITCHOffer(t *testing.T) {
	s, err := ParseSDP([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != netip.MustParseAddrPort("127.0.0.1:36600") || s.EventPayload != 101 || s.Direction != SendRecv {
		t.Fatalf("%+v", s)
	}
	if !s.Offers(PayloadPCMU) || !s.Offers(8) || s.Offers(9) {
		t.Fatalf("payloads %v", s.Payloads)
	}
	h, err := ParseSDP([]byte(hold))
	if err != nil || h.Direction != SendOnly || h.Direction.Answer() != RecvOnly || h.Direction.Answer().Sends() {
		t.Fatalf("hold: %+v %v", h, err)
	}
}

func TestParseSDPSessionAndMediaLevels(t *testing.T) {
	// Session-level direction and address, overridden per media.
	s, err := ParseSDP([]byte("v=0\nc=IN IP4 10.0.0.1\na=inactive\nm=video 4000 RTP/AVP 96\nc=IN IP4 10.0.0.9\nm=audio 5000 RTP/AVP 0\n"))
	if err != nil || s.Addr != netip.MustParseAddrPort("10.0.0.1:5000") || s.Direction != Inactive {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = ParseSDP([]byte("v=0\nc=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\nc=IN IP4 10.0.0.2\na=recvonly\nm=audio 6000 RTP/AVP 8\na=sendonly\n"))
	if err != nil || s.Addr != netip.MustParseAddrPort("10.0.0.2:5000") || s.Direction != RecvOnly || len(s.Payloads) != 1 {
		t.Fatalf("first audio stream only: %+v %v", s, err)
	}
}

func TestParseSDPErrors(t *testing.T) {
	for name, body := range map[string]string{
		"no audio":   "v=0\nc=IN IP4 1.2.3.4\nm=video 4000 RTP/AVP 96\n",
		"bad port":   "v=0\nc=IN IP4 1.2.3.4\nm=audio 99999 RTP/AVP 0\n",
		"bad pt":     "v=0\nc=IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP x\n",
		"no address": "v=0\nm=audio 4000 RTP/AVP 0\n",
		"empty":      "",
	} {
		if _, err := ParseSDP([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "no audio" && !errors.Is(err, ErrNoAudio) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBuildSDPRoundTrip(t *testing.T) {
	addr := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, dir := range []Direction{SendRecv, SendOnly, RecvOnly, Inactive} {
		s, err := ParseSDP(BuildSDP(addr, 7, 2, 101, dir))
		if err != nil || s.Addr != addr || s.EventPayload != 101 || s.Direction != dir || !s.Offers(0) {
			t.Errorf("%s: %+v %v", dir, s, err)
		}
	}
	s, err := ParseSDP(BuildSDP(addr, 7, 2, 0, ""))
	if err != nil || s.EventPayload != 0 || len(s.Payloads) != 1 || s.Direction != SendRecv {
		t.Errorf("no events: %+v %v", s, err)
	}
}

func TestDirectionAnswer(t *testing.T) {
	for in, want := range map[Direction]Direction{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, "": SendRecv} {
		if got := in.Answer(); got != want {
			t.Errorf("%q.Answer() = %q, want %q", in, got, want)
		}
	}
}
