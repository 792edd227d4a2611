package hours

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

func TestParseInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Interval
		bad  bool
	}{
		{"09:00-12:30", Interval{540, 750}, false},
		{"00:00-24:00", Interval{0, 1440}, false},
		{"23:59-24:00", Interval{1439, 1440}, false},
		{"12:30-09:00", Interval{}, true},
		{"09:00-09:00", Interval{}, true},
		{"24:00-24:00", Interval{}, true},
		{"9:00-12:00", Interval{}, true},
		{"09:60-12:00", Interval{}, true},
		{"25:00-26:00", Interval{}, true},
		{"24:30-24:45", Interval{}, true},
		{"+9:00-12:00", Interval{}, true},
		{"09:00", Interval{}, true},
		{"", Interval{}, true},
	} {
		got, err := ParseInterval(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%q: %v %v, want %v bad=%v", c.in, got, err, c.want, c.bad)
		}
	}
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"09:00-12:30", "00:00-24:00", "12:30-09:00", "-", "24:00-24:00", "+1:00-02:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseInterval(s)
		if err != nil {
			return
		}
		if iv.From < 0 || iv.To > 1440 || iv.From >= iv.To {
			t.Fatalf("%q: %v", s, iv)
		}
		// What parses prints back to itself.
		if iv.String() != s {
			t.Fatalf("%q printed as %q", s, iv.String())
		}
	})
}

func TestValidateNamesField(t *testing.T) {
	ok := Schedule{TimeZone: "Europe/Berlin", Week: Week{"mon": {"09:00-12:00", "13:00-17:00"}}}
	for _, c := range []struct {
		name  string
		edit  func(*Schedule)
		field string
	}{
		{"fine", func(*Schedule) {}, ""},
		{"no zone", func(s *Schedule) { s.TimeZone = "" }, "time_zone"},
		{"unknown zone", func(s *Schedule) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"Local", func(s *Schedule) { s.TimeZone = "Local" }, "time_zone"},
		{"bad day", func(s *Schedule) { s.Week["monday"] = []string{"09:00-10:00"} }, "week.monday"},
		{"bad interval", func(s *Schedule) { s.Week["tue"] = []string{"09:00-10:00", "10:00-9:00"} }, "week.tue[1]"},
		{"overlap", func(s *Schedule) { s.Week["wed"] = []string{"09:00-12:00", "11:00-13:00"} }, "week.wed"},
		{"bad date", func(s *Schedule) { s.Exceptions = []Exception{{Date: "2026-13-01"}} }, "exceptions[0].date"},
		{"twice", func(s *Schedule) {
			s.Exceptions = []Exception{{Date: "2026-12-25"}, {Date: "2026-12-25"}}
		}, "exceptions[1].date"},
		{"bad exception hours", func(s *Schedule) {
			s.Exceptions = []Exception{{Date: "2026-12-24", Hours: []string{"x"}}}
		}, "exceptions[0].hours[0]"},
	} {
		s := ok
		s.Week = Week{}
		for k, v := range ok.Week {
			s.Week[k] = v
		}
		c.edit(&s)
		err := s.Validate()
		var fe *inputerr.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%s: %v, want field %s", c.name, err, c.field)
		}
	}
}

func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenAndNext(t *testing.T) {
	const ber = "Europe/Berlin"
	office := Schedule{TimeZone: ber, Week: Week{
		"mon": {"09:00-12:30", "13:30-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"},
		"thu": {"09:00-18:00"}, "fri": {"09:00-15:00"},
	}, Exceptions: []Exception{
		{Date: "2026-12-24", Hours: []string{"10:00-12:00"}}, // Thursday, short day
		{Date: "2026-12-25"}, // Friday, closed
	}}
	night := Schedule{TimeZone: ber, Week: Week{"sun": {"02:00-04:00"}, "sat": {"02:00-02:30"}}}
	gap := Schedule{TimeZone: ber, Week: Week{"sun": {"02:00-02:30", "03:30-04:00"}}}
	nyc := Schedule{TimeZone: "America/New_York", Week: Week{"mon": {"09:00-17:00"}}}
	for _, c := range []struct {
		name  string
		s     Schedule
		now   time.Time
		open  bool
		next  time.Time
		never bool
	}{
		{"monday morning", office, at(t, ber, "2026-12-07 10:00"), true, at(t, ber, "2026-12-07 10:00"), false},
		{"lunch break", office, at(t, ber, "2026-12-07 12:45"), false, at(t, ber, "2026-12-07 13:30"), false},
		{"end is exclusive", office, at(t, ber, "2026-12-07 18:00"), false, at(t, ber, "2026-12-08 09:00"), false},
		{"friday evening to monday", office, at(t, ber, "2026-12-11 16:00"), false, at(t, ber, "2026-12-14 09:00"), false},
		{"exception short day", office, at(t, ber, "2026-12-24 09:30"), false, at(t, ber, "2026-12-24 10:00"), false},
		{"exception closed day", office, at(t, ber, "2026-12-24 13:00"), false, at(t, ber, "2026-12-28 09:00"), false},
		{"across a month end", office, at(t, ber, "2027-01-29 15:30"), false, at(t, ber, "2027-02-01 09:00"), false},
		// 2027-03-28: clocks go 02:00 CET -> 03:00 CEST in Berlin.
		{"opening in a DST gap starts when the clock resumes", night, at(t, ber, "2027-03-28 00:30"), false, at(t, ber, "2027-03-28 03:00"), false},
		{"interval inside a DST gap is skipped", gap, at(t, ber, "2027-03-28 00:30"), false, at(t, ber, "2027-03-28 03:30"), false},
		{"saturday night before the gap", night, at(t, ber, "2027-03-27 02:10"), true, at(t, ber, "2027-03-27 02:10"), false},
		// 2026-11-01: New York falls back; 09:00 stays 09:00 local (14:00 UTC).
		{"opening after fall back stays on the wall clock", nyc, time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC), false, time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), false},
		{"opening before fall back", nyc, time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC), false, time.Date(2026, 10, 26, 13, 0, 0, 0, time.UTC), false},
		{"never open", Schedule{TimeZone: ber}, at(t, ber, "2026-12-07 10:00"), false, time.Time{}, true},
	} {
		cs, err := Compile(c.s)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cs.OpenAt(c.now); got != c.open {
			t.Errorf("%s: open %v, want %v", c.name, got, c.open)
		}
		next, ok := cs.NextOpening(c.now)
		if ok == c.never || !next.Equal(c.next) {
			t.Errorf("%s: next %v %v, want %v", c.name, next, ok, c.next)
		}
	}
}

func TestEarliest(t *testing.T) {
	const ber = "Europe/Berlin"
	early := must(t, Schedule{TimeZone: ber, Week: Week{"mon": {"08:00-10:00"}}})
	late := must(t, Schedule{TimeZone: "Europe/London", Week: Week{"mon": {"09:30-12:00"}}}) // 10:30 Berlin
	never := must(t, Schedule{TimeZone: ber})
	open, next, ok := Earliest([]*Compiled{never, late, early}, at(t, ber, "2026-12-07 09:00"))
	if !ok || len(open) != 1 || open[0] != 2 || !next.Equal(at(t, ber, "2026-12-07 09:00")) {
		t.Fatalf("at 09:00: %v %v %v", open, next, ok)
	}
	open, next, ok = Earliest([]*Compiled{never, late, early}, at(t, ber, "2026-12-07 10:00"))
	if !ok || len(open) != 0 || !next.Equal(at(t, ber, "2026-12-07 10:30")) {
		t.Fatalf("at 10:00: %v %v %v", open, next, ok)
	}
	if _, _, ok := Earliest([]*Compiled{never, nil}, time.Now()); ok {
		t.Fatal("a schedule that never opens gave an opening")
	}
}

func must(t *testing.T, s Schedule) *Compiled {
	t.Helper()
	c, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIntervalString(t *testing.T) {
	if s := (Interval{545, 1440}).String(); !strings.EqualFold(s, "09:05-24:00") {
		t.Fatal(s)
	}
}
