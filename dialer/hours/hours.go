// Package hours answers when someone is reachable by a weekly schedule:
// open at an instant, and the next opening after it. Schedules are read on
// the wall clock of their own time zone, so a 09:00 opening stays at 09:00
// across DST changes. It is pure: time is an input and it does no I/O.
package hours

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Interval is an open span of one day in minutes since midnight, From
// inclusive and To exclusive; To may be 1440 ("24:00").
type Interval struct{ From, To int }

// ParseInterval reads "HH:MM-HH:MM"; the end must be after the start.
func ParseInterval(s string) (Interval, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Interval{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	from, err := parseClock(a)
	if err != nil {
		return Interval{}, err
	}
	to, err := parseClock(b)
	if err != nil {
		return Interval{}, err
	}
	if from == 24*60 || to <= from {
		return Interval{}, fmt.Errorf("%q ends before it starts", s)
	}
	return Interval{from, to}, nil
}

func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[3] == '+' || s[3] == '-' || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

// String is the "HH:MM-HH:MM" form ParseInterval reads.
func (iv Interval) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", iv.From/60, iv.From%60, iv.To/60, iv.To%60)
}

// Days are the weekday keys of a Week, Monday first as the screens show them.
var Days = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Week is the open intervals per weekday key ("mon".."sun"); a missing
// day is closed.
type Week map[string][]string

// Exception replaces one date's hours: no intervals means closed that day.
type Exception struct {
	Date  string   `json:"date"` // YYYY-MM-DD in the schedule's zone
	Hours []string `json:"hours"`
}

// Schedule is a weekly timetable in a zone with dated exceptions.
type Schedule struct {
	TimeZone   string      `json:"time_zone"`
	Week       Week        `json:"week"`
	Exceptions []Exception `json:"exceptions"`
}

// Validate names the first bad field, e.g. "week.mon[1]" or
// "exceptions[0].date".
func (s Schedule) Validate() error {
	if _, err := loadZone(s.TimeZone); err != nil {
		return &inputerr.FieldError{Field: "time_zone", Reason: err.Error()}
	}
	for day, ivs := range s.Week {
		if !slices.Contains(Days, day) {
			return &inputerr.FieldError{Field: "week." + day, Reason: "not a weekday; use mon..sun"}
		}
		if err := checkIntervals("week."+day, ivs); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, e := range s.Exceptions {
		f := fmt.Sprintf("exceptions[%d]", i)
		if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
			return &inputerr.FieldError{Field: f + ".date", Reason: "not a date YYYY-MM-DD"}
		}
		if seen[e.Date] {
			return &inputerr.FieldError{Field: f + ".date", Reason: "given twice"}
		}
		seen[e.Date] = true
		if err := checkIntervals(f+".hours", e.Hours); err != nil {
			return err
		}
	}
	if len(s.Exceptions) > 400 {
		return &inputerr.FieldError{Field: "exceptions", Reason: "more than 400"}
	}
	return nil
}

func checkIntervals(field string, ivs []string) error {
	if len(ivs) > 12 {
		return &inputerr.FieldError{Field: field, Reason: "more than 12 intervals"}
	}
	parsed := make([]Interval, 0, len(ivs))
	for i, s := range ivs {
		iv, err := ParseInterval(s)
		if err != nil {
			return &inputerr.FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: err.Error()}
		}
		parsed = append(parsed, iv)
	}
	sorted := slices.Clone(parsed)
	slices.SortFunc(sorted, func(a, b Interval) int { return a.From - b.From })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].From < sorted[i-1].To {
			return &inputerr.FieldError{Field: field, Reason: fmt.Sprintf("%s overlaps %s", sorted[i], sorted[i-1])}
		}
	}
	return nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("required")
	}
	if name == "Local" {
		return nil, fmt.Errorf("name an IANA zone such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown IANA time zone %q", name)
	}
	return loc, nil
}

// Compiled is a validated schedule ready to answer questions.
type Compiled struct {
	loc        *time.Location
	week       [7][]Interval // by time.Weekday
	exceptions map[string][]Interval
}

// Compile validates s and prepares it.
func Compile(s Schedule) (*Compiled, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, _ := loadZone(s.TimeZone)
	c := &Compiled{loc: loc, exceptions: map[string][]Interval{}}
	for i, day := range Days {
		c.week[(i+1)%7] = mustIntervals(s.Week[day])
	}
	for _, e := range s.Exceptions {
		c.exceptions[e.Date] = mustIntervals(e.Hours)
	}
	return c, nil
}

func mustIntervals(ss []string) []Interval {
	out := make([]Interval, 0, len(ss))
	for _, s := range ss {
		iv, _ := ParseInterval(s) // validated
		out = append(out, iv)
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.From - b.From })
	return out
}

// day is the intervals of the local date y-m-d.
func (c *Compiled) day(y int, m time.Month, d int) []Interval {
	if ivs, ok := c.exceptions[fmt.Sprintf("%04d-%02d-%02d", y, m, d)]; ok {
		return ivs
	}
	return c.week[time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()]
}

// OpenAt reports whether t falls in an open interval of its local date.
func (c *Compiled) OpenAt(t time.Time) bool {
	lt := t.In(c.loc)
	min := lt.Hour()*60 + lt.Minute()
	for _, iv := range c.day(lt.Date()) {
		if iv.From <= min && min < iv.To {
			return true
		}
	}
	return false
}

// searchDays bounds the look-ahead: a year and a bit covers any weekly
// schedule with a year of exceptions.
const searchDays = 400

// NextOpening is the first instant at or after t when the schedule is
// open: t itself when open now. ok is false when nothing opens within
// searchDays. An opening that falls in a DST gap starts when the clock
// resumes, if the interval is still open then.
func (c *Compiled) NextOpening(t time.Time) (time.Time, bool) {
	if c.OpenAt(t) {
		return t, true
	}
	lt := t.In(c.loc)
	y, m, d := lt.Date()
	for i := 0; i <= searchDays; i++ {
		dy, dm, dd := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC).Date()
		for _, iv := range c.day(dy, dm, dd) {
			start := time.Date(dy, dm, dd, iv.From/60, iv.From%60, 0, 0, c.loc)
			if start.Before(t) {
				continue
			}
			if c.OpenAt(start) {
				return start, true
			}
			// start is in a DST gap whose end the interval does not reach.
		}
	}
	return time.Time{}, false
}

// Earliest is the first of the schedules' next openings after t and the
// indexes of the schedules open at t. ok is false when none ever opens.
func Earliest(cs []*Compiled, t time.Time) (open []int, next time.Time, ok bool) {
	open = []int{}
	for i, c := range cs {
		if c == nil {
			continue
		}
		n, found := c.NextOpening(t)
		if !found {
			continue
		}
		if n.Equal(t) {
			open = append(open, i)
		}
		if !ok || n.Before(next) {
			next, ok = n, true
		}
	}
	return open, next, ok
}
