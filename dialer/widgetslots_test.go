package dialer

import (
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/hours"
)

func TestOpeningSlots(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	// Sunday 20:07 in Berlin: closed until Monday 09:00.
	sunday := time.Date(2026, 12, 6, 20, 7, 0, 0, ber)
	seat := func(w hours.Week) Manager {
		return Manager{ID: 1, AgentID: 1, TimeZone: "Europe/Berlin", Hours: hours.Schedule{Week: w}, Active: true}
	}
	monday9 := time.Date(2026, 12, 7, 9, 0, 0, 0, ber)
	cases := []struct {
		name  string
		ms    []Manager
		now   time.Time
		first time.Time
		n     int
	}{
		{"monday mornings", []Manager{seat(hours.Week{"mon": {"09:00-11:00"}})}, sunday, monday9, 4},
		{"capped at MaxSlots", []Manager{seat(hours.Week{"mon": {"00:00-23:59"}, "tue": {"00:00-23:59"}})}, sunday,
			time.Date(2026, 12, 7, 0, 0, 0, 0, ber), MaxSlots},
		// 09:05 now: 09:30 is the first slot at least SlotLead away, and
		// next Monday's 09:00 is still within the horizon.
		{"lead time", []Manager{seat(hours.Week{"mon": {"09:00-11:00"}})}, monday9.Add(5 * time.Minute), monday9.Add(30 * time.Minute), 4},
		{"nobody callable", []Manager{{ID: 2, Phone: "+4930123456", TimeZone: "UTC", Active: true,
			Hours: hours.Schedule{Week: hours.Week{"mon": {"09:00-11:00"}}}}}, sunday, time.Time{}, 0},
		{"never open within the horizon", []Manager{seat(hours.Week{})}, sunday, time.Time{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := OpeningSlots(c.ms, c.now)
			if len(got) != c.n {
				t.Fatalf("%d slots %v, want %d", len(got), got, c.n)
			}
			if c.n > 0 && !got[0].Equal(c.first) {
				t.Fatalf("first %v, want %v", got[0], c.first)
			}
			for i, s := range got {
				if !SlotAcceptable(c.ms, c.now, s) {
					t.Errorf("slot %d %v offered but not acceptable", i, s)
				}
				if i > 0 && !s.After(got[i-1]) {
					t.Errorf("slot %d %v not after %v", i, s, got[i-1])
				}
			}
		})
	}
}

func TestSlotAcceptable(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, ber)
	ms := []Manager{{ID: 1, AgentID: 1, TimeZone: "Europe/Berlin", Active: true,
		Hours: hours.Schedule{Week: hours.Week{"mon": {"09:00-11:00"}}}}}
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"open", time.Date(2026, 12, 7, 9, 30, 0, 0, ber), true},
		{"closed then", time.Date(2026, 12, 7, 12, 0, 0, 0, ber), false},
		{"in the past", now.Add(-time.Hour), false},
		{"beyond the horizon", time.Date(2026, 12, 21, 9, 30, 0, 0, ber), false},
	} {
		if got := SlotAcceptable(ms, now, c.at); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
