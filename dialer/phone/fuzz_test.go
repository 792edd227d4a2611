package phone

import (
	"errors"
	"testing"
)

// FuzzNormalizeNumber: a number either is refused with a field error or
// comes out in E.164, and normalizing that again (with or without a default
// country) gives the same number.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range [][2]string{
		{"+1 415 555 0100", ""}, {"(415) 555-0100", "US"}, {"020 7946 0018", "gb"}, {"+44 20 7946 0018", "US"},
		{"+1 900 555 0199", ""}, {"555-0100", "US"}, {"+", ""}, {"1-800-FLOWERS", "US"}, {"+999 123 4567", ""},
		{"00 1 415 555 0100", "DE"}, {"+1  415", ""}, {"06 12 34 56 78", "FR"}, {"+800 1234 5678", ""}, {"0", "ZZ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, raw, country string) {
		if len(country) > 3 {
			country = country[:3]
		}
		out, err := Normalize("number", raw, country)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "number" || out != "" {
				t.Fatalf("%q/%q: %q %v", raw, country, out, err)
			}
			return
		}
		if !Valid(out) {
			t.Fatalf("%q/%q normalized to %q, not E.164", raw, country, out)
		}
		for _, c := range []string{country, ""} {
			if again, err := Normalize("number", out, c); err != nil || again != out {
				t.Fatalf("%q/%q gave %q; again with %q: %q %v", raw, country, out, c, again, err)
			}
		}
	})
}
