package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	good := []string{"+33612345678", "+15551234567", "+442012", "+123456789012345"}
	bad := []string{
		"", "+", "+4420", "33612345678", "+0612345678", "+1234567890123456", "+1 555 1234",
		"+1555{x}", "+1555,1", "+1555|1", "+1555;1", "+1555^1", "+1555[1]", "+1555<1>",
		"+1555\n1", "+1555\r\nEvent-Name: X", "+1555\t1", "+1555abc", "+１５５５１２３４",
	}
	for _, p := range good {
		if !Valid(p) {
			t.Errorf("Valid(%q) = false", p)
		}
	}
	for _, p := range bad {
		if Valid(p) {
			t.Errorf("Valid(%q) = true", p)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, country, want string }{
		{"+1 212 555 0100", "US", "+12125550100"},
		{"(212) 555-0100", "US", "+12125550100"},
		{"212.555.0100", "US", "+12125550100"},
		{"2125550100", "US", "+12125550100"},
		{"2125550100", "us", "+12125550100"},
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"+33 1 23 45 67 89", "", "+33123456789"},
	} {
		got, err := Normalize("number", c.in, c.country)
		if err != nil || got != c.want {
			t.Errorf("%q (%s): %q, %v; want %q", c.in, c.country, got, err, c.want)
		}
	}
	// Found by FuzzNormalizeNumber: this came out as +358000000, which
	// normalizes to +35800000.
	if got, err := Normalize("number", "0000000", "AX"); err == nil {
		t.Errorf("0000000 (AX) gave %q, which does not normalize to itself", got)
	}
}

// TestNormalizeRefuses: every refusal is a *FieldError naming the field
// given, with a reason a user can act on.
func TestNormalizeRefuses(t *testing.T) {
	for _, c := range []struct{ in, country, reason string }{
		{"", "US", "required"},
		{strings.Repeat("1", 33), "US", "too long for a phone number"},
		{"1-800-FLOWERS", "US", "only digits"},
		{"2125550100\n", "US", "only digits"},
		{" 2125550100", "US", "only digits"},
		{"212  555 0100", "US", "only digits"},
		{"+1555,1", "", "only digits"},
		{"()", "US", "no digits"},
		{"2125550100", "", "give the number with its country code"},
		{"12", "US", "too short for its country"},
		{"+999 1234567", "", "not a phone number"},
		{"5550100", "US", "a local number"},
	} {
		got, err := Normalize("phone2", c.in, c.country)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "phone2" || !strings.Contains(fe.Reason, c.reason) ||
			!errors.Is(err, ErrInvalid) || got != "" {
			t.Errorf("%q (%s): %q, %v; want a phone2 error %q", c.in, c.country, got, err, c.reason)
		}
	}
}

func TestNormalizeOptional(t *testing.T) {
	if got, err := NormalizeOptional("caller_id", "", ""); got != "" || err != nil {
		t.Errorf("empty: %q, %v", got, err)
	}
	if got, err := NormalizeOptional("caller_id", "2125550100", "US"); got != "+12125550100" || err != nil {
		t.Errorf("national: %q, %v", got, err)
	}
	if _, err := NormalizeOptional("caller_id", "x", "US"); err == nil {
		t.Error("x passed")
	}
}

func TestValidCountry(t *testing.T) {
	for _, c := range []struct {
		c  string
		ok bool
	}{{"US", true}, {"gb", true}, {"", false}, {"ZZ", false}, {"USA", false}} {
		if got := ValidCountry(c.c); got != c.ok {
			t.Errorf("ValidCountry(%q) = %v", c.c, got)
		}
	}
}

func TestPremium(t *testing.T) {
	for _, tc := range []struct {
		number  string
		premium bool
	}{
		{"+19005550199", true},
		{"+19765550100", true},
		{"+447012345678", true},
		{"+449091234567", true},
		{"+33891234567", true},
		{"+499001234567", true},
		{"+61190012345", true},
		{"+8816123456", true},
		{"+88234567890", true},
		{"+12125550142", false},
		{"+18005550100", false},
		{"+442071234567", false},
		{"+447911123456", false}, // UK mobile
		{"+33123456789", false},
		{"+4930123456", false},
	} {
		if got := Premium(tc.number); got != tc.premium {
			t.Errorf("Premium(%s) = %v, want %v", tc.number, got, tc.premium)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"+1", true}, {"+4420", true}, {"+1212555", true},
		{"", false}, {"+", false}, {"1212", false}, {"+0", false}, {"+12a", false}, {"+1234567890123456", false},
	} {
		if got := ValidPrefix(tc.p); got != tc.ok {
			t.Errorf("ValidPrefix(%q) = %v, want %v", tc.p, got, tc.ok)
		}
	}
}
