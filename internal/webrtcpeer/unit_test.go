package webrtcpeer

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/icholy/digest"

	"github.com/agentswitch/agentswitch/internal/sipphone"
)

// frames encodes n 20 ms µ-law frames of gen (one sample per call).
func frames(n int, gen func(i int) float64) [][]byte {
	out := make([][]byte, n)
	s := 0
	for f := range out {
		out[f] = make([]byte, sipphone.FrameSamples)
		for i := range out[f] {
			out[f][i] = sipphone.ULawEncode(int16(gen(s)))
			s++
		}
	}
	return out
}

func sine(hz, amp float64) func(int) float64 {
	return func(i int) float64 { return amp * math.Sin(2*math.Pi*hz*float64(i)/sipphone.SampleRate) }
}

func TestToneDetector(t *testing.T) {
	quiet := func(int) float64 { return 0 }
	for _, tc := range []struct {
		name string
		hz   float64
		gen  func(int) float64
		n    int
		want bool
	}{
		{"the tone", 440, sine(440, 8000), toneFrames, true},
		{"the tone, too short", 440, sine(440, 8000), toneFrames - 1, false},
		{"a quiet tone", 1000, sine(1000, 600), toneFrames, true},
		{"below the level floor", 1000, sine(1000, 200), 20, false},
		{"another tone", 440, sine(1000, 8000), 20, false},
		{"a near tone", 440, sine(600, 8000), 20, false},
		{"two tones, one ours", 440, func(i int) float64 { return sine(440, 6000)(i) + sine(1000, 3000)(i) }, toneFrames, true},
		{"two equal tones (DTMF)", 697, func(i int) float64 { return sine(697, 5000)(i) + sine(1209, 5000)(i) }, 20, true},
		{"silence", 440, quiet, 20, false},
		{"tone broken by silence", 440, func(i int) float64 {
			if (i/sipphone.FrameSamples)%4 == 3 {
				return 0
			}
			return sine(440, 8000)(i)
		}, 40, false},
	} {
		d := newToneDetector(tc.hz)
		found := 0
		for _, f := range frames(tc.n, tc.gen) {
			if d.feed(f) {
				found++
			}
		}
		if d.found != tc.want || found > 1 {
			t.Errorf("%s: found %t (reported %d times), want %t", tc.name, d.found, found, tc.want)
		}
	}
}

func TestDigestCheck(t *testing.T) {
	known := func(u string) bool { return u == "w2401" }
	// The same user and password, given as a password or as its HA1
	// (MD5 of "w2401:127.0.0.1:s3cret"), as a directory's a1-hash.
	for _, src := range []struct {
		name         string
		password, a1 func(string) (string, bool)
	}{
		{"password", func(u string) (string, bool) { return "s3cret", known(u) }, nil},
		{"a1", nil, func(u string) (string, bool) { return "5392b2ccd8e9a3ee339e51545bbf6f2a", known(u) }},
		{"a1 upper case", nil, func(u string) (string, bool) { return "5392B2CCD8E9A3EE339E51545BBF6F2A", known(u) }},
	} {
		t.Run(src.name, func(t *testing.T) { testDigestCheck(t, src.password, src.a1) })
	}
}

func testDigestCheck(t *testing.T, password, a1 func(string) (string, bool)) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := newAuthenticator("127.0.0.1", password, a1, clock)
	chal, err := digest.ParseChallenge(a.challenge())
	if err != nil {
		t.Fatal(err)
	}
	if chal.Realm != "127.0.0.1" || chal.Algorithm != "MD5" || !chal.SupportsQOP("auth") {
		t.Fatalf("challenge %+v", chal)
	}
	answer := func(user, password, method string, edit func(*digest.Credentials)) string {
		cred, err := digest.Digest(chal, digest.Options{Method: method, URI: "sip:127.0.0.1", Username: user, Password: password, Cnonce: "abc", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(cred)
		}
		return cred.String()
	}
	for _, tc := range []struct {
		name   string
		header string
		user   string
		want   error
	}{
		{"right", answer("w2401", "s3cret", "REGISTER", nil), "w2401", nil},
		{"no header", "", "w2401", errChallenge},
		{"not digest", "Basic dzI0MDE6czNjcmV0", "w2401", errChallenge},
		{"wrong password", answer("w2401", "guess", "REGISTER", nil), "w2401", errForbidden},
		{"other method", answer("w2401", "s3cret", "INVITE", nil), "w2401", errForbidden},
		{"unknown user", answer("w9999", "s3cret", "REGISTER", nil), "w9999", errForbidden},
		{"username is not the registered user", answer("w2401", "s3cret", "REGISTER", nil), "w2402", errForbidden},
		{"other realm", answer("w2401", "s3cret", "REGISTER", func(c *digest.Credentials) { c.Realm = "example.com" }), "w2401", errChallenge},
		{"unknown nonce", answer("w2401", "s3cret", "REGISTER", func(c *digest.Credentials) { c.Nonce = "00ff" }), "w2401", errChallenge},
		{"tampered cnonce", answer("w2401", "s3cret", "REGISTER", func(c *digest.Credentials) { c.Cnonce = "abd" }), "w2401", errForbidden},
		{"no qop (RFC 2069)", answer("w2401", "s3cret", "REGISTER", func(c *digest.Credentials) { *c = *noQOP(t, c, "s3cret") }), "w2401", nil},
		{"SHA-256 answer", answer("w2401", "s3cret", "REGISTER", func(c *digest.Credentials) { c.Algorithm = "SHA-256" }), "w2401", errForbidden},
	} {
		err := a.check(tc.header, "REGISTER", tc.user)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A nonce expires.
	right := answer("w2401", "s3cret", "REGISTER", nil)
	now = now.Add(nonceLifetime + time.Second)
	if err := a.check(right, "REGISTER", "w2401"); !errors.Is(err, errChallenge) {
		t.Errorf("stale nonce: %v", err)
	}
}

// noQOP is c answered without qop, as an RFC 2069 client does.
func noQOP(t *testing.T, c *digest.Credentials, password string) *digest.Credentials {
	t.Helper()
	cred, err := digest.Digest(&digest.Challenge{Realm: c.Realm, Nonce: c.Nonce, Algorithm: "MD5"},
		digest.Options{Method: "REGISTER", URI: c.URI, Username: c.Username, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestOfferHolds(t *testing.T) {
	const base = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	for _, tc := range []struct {
		name, sdp string
		want      bool
	}{
		{"no direction", base + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", false},
		{"sendrecv", base + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\n", false},
		{"sendonly", base + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendonly\r\n", true},
		{"inactive", base + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=inactive\r\n", true},
		{"session sendonly", base + "a=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", true},
		{"media overrides session", base + "a=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\n", false},
		{"video held, audio not", base + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n", false},
	} {
		got, err := offerHolds([]byte(tc.sdp))
		if err != nil || got != tc.want {
			t.Errorf("%s: %t, %v; want %t", tc.name, got, err, tc.want)
		}
	}
	if _, err := offerHolds([]byte("not sdp")); err == nil {
		t.Error("junk accepted")
	}
}

func FuzzOfferHolds(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendonly\r\n"))
	f.Add([]byte("v=0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = offerHolds(b) // must not panic
	})
}
