package window

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkNext: the next opening after hours, for a number with one zone
// and for one in every NANP zone (no campaign zone).
func BenchmarkNext(b *testing.B) {
	r, err := Parse(json.RawMessage(`{"holidays":["2026-12-25"]}`))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 24, 23, 0, 0, 0, time.UTC) // 15:00 in San Francisco
	for _, bc := range []struct{ name, number string }{{"one zone", "+14155550100"}, {"NANP zones", "+15550100000"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if t, _ := Next(r, "", bc.number, now.Add(7*time.Hour)); t.IsZero() {
					b.Fatal("never opens")
				}
			}
		})
	}
}
