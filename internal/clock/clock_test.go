package clock

import (
	"testing"
	"time"
)

func TestParseOffset(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true},
		{"8760h", 8760 * time.Hour, true},
		{"-24h", -24 * time.Hour, true},
		{"1y", 0, false},
		{"tomorrow", 0, false},
	} {
		got, err := ParseOffset(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseOffset(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestNewMovesTheClock(t *testing.T) {
	ahead := New(8760 * time.Hour)
	before := time.Now()
	got := ahead()
	after := time.Now()
	if got.Before(before.Add(8760*time.Hour)) || got.After(after.Add(8760*time.Hour)) {
		t.Fatalf("a year ahead of [%s, %s] is %s", before, after, got)
	}
}
