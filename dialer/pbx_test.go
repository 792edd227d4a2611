package dialer

import "testing"

func TestNormalizeDID(t *testing.T) {
	for in, want := range map[string]string{"+15551230000": "+15551230000", "15551230000": "+15551230000", "004930123456": "+4930123456"} {
		if got, err := NormalizeDID(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "+", "abc", "0123", "+0123456789", "1555;x"} {
		if _, err := NormalizeDID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGatewayNameAndProxy(t *testing.T) {
	for _, ok := range []string{"carrier", "c1.b-2_x", "0trunk"} {
		if !ValidGatewayName(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "-x", ".x", "_x", "Up", "a/b", "a b", "a:b"} {
		if ValidGatewayName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range []string{"sip.example.com", "10.0.0.1:5060", "h:65535"} {
		if !validHostPort(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", ":5060", "h:", "h:0", "h:070", "h:65536", "a b", "h;transport=tcp", "[::1]:5060"} {
		if validHostPort(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
