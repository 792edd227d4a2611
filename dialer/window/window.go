// Package window decides when a lead may be called: a campaign's days and
// hours in the lead's local time, stricter rules for some regions, and
// holidays. It does no I/O; the caller passes the time.
//
// Regions are keyed by E.164 prefixes given in the rule (country code and
// area code, e.g. "+1415"): phonenumbers maps numbers to time zones and to
// free-text place names, not to a state or subdivision code one could key on.
package window

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// Key is where the rules live in a campaign's settings object.
const Key = "calling_window"

// Default hours, the US TSR/TCPA limits: 08:00 to 21:00 local time.
const (
	DefaultStart = 8 * 60
	DefaultEnd   = 21 * 60
)

const (
	maxSpans    = 16
	maxRegions  = 64
	maxPrefixes = 256
	maxHolidays = 366
	// horizon bounds the search for the next opening.
	horizon = 370
)

// Span is a part of a day in minutes since local midnight, [Start, End).
type Span struct{ Start, End int }

func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Days is a set of weekdays, bit i for time.Weekday(i).
type Days uint8

const everyDay Days = 1<<7 - 1

func (d Days) has(w time.Weekday) bool { return d&(1<<uint(w)) != 0 }

// Limits is a set of days and the hours of each.
type Limits struct {
	Days  Days
	Hours []Span
}

func (l Limits) allows(local time.Time) bool {
	if !l.Days.has(local.Weekday()) {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	for _, s := range l.Hours {
		if s.Start <= m && m < s.End {
			return true
		}
	}
	return false
}

func (l Limits) hours() string {
	parts := make([]string, len(l.Hours))
	for i, s := range l.Hours {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// Region holds stricter limits for the numbers under its prefixes; a
// number must pass both the campaign's limits and its regions'.
type Region struct {
	Name     string
	Prefixes []string
	Limits
}

// Rules is a campaign's calling window, validated.
type Rules struct {
	// TimeZone is the campaign's zone, used when neither the lead nor its
	// number gives one; "" is UTC.
	TimeZone string
	Limits
	Regions  []Region
	Holidays map[string]bool
}

// Default is every day, 08:00-21:00.
func Default() Rules {
	return Rules{Limits: Limits{Days: everyDay, Hours: []Span{{DefaultStart, DefaultEnd}}}}
}

type jsonHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type jsonLimits struct {
	Days  []string    `json:"days"`
	Hours []jsonHours `json:"hours"`
}

type jsonRegion struct {
	Name     string   `json:"name"`
	Prefixes []string `json:"prefixes"`
	jsonLimits
}

type jsonRules struct {
	TimeZone string `json:"time_zone"`
	jsonLimits
	Regions  []jsonRegion `json:"regions"`
	Holidays []string     `json:"holidays"`
}

func fieldErr(field, reason string) error {
	return &inputerr.FieldError{Field: Key + field, Reason: reason}
}

// Parse reads the value of the calling_window key; null or absent is the
// default. Errors are field errors named "calling_window.<path>".
func Parse(raw json.RawMessage) (Rules, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Default(), nil
	}
	var j jsonRules
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			f := strings.ReplaceAll(te.Field, "jsonLimits.", "")
			if f != "" {
				f = "." + f
			}
			return Rules{}, fieldErr(f, "expected "+te.Type.String())
		}
		if msg := err.Error(); strings.Contains(msg, "unknown field") {
			return Rules{}, fieldErr("", strings.TrimPrefix(msg, "json: "))
		}
		return Rules{}, fieldErr("", "an object: "+err.Error())
	}
	if dec.More() {
		return Rules{}, fieldErr("", "one JSON object")
	}
	r := Rules{TimeZone: j.TimeZone}
	if j.TimeZone != "" {
		if _, err := loadZone(j.TimeZone); err != nil {
			return Rules{}, fieldErr(".time_zone", "unknown IANA time zone")
		}
	}
	var err error
	if r.Limits, err = parseLimits("", j.jsonLimits, true); err != nil {
		return Rules{}, err
	}
	if len(j.Regions) > maxRegions {
		return Rules{}, fieldErr(".regions", fmt.Sprintf("at most %d", maxRegions))
	}
	for i, jr := range j.Regions {
		p := fmt.Sprintf(".regions[%d]", i)
		if err := inputerr.CheckText(Key+p+".name", jr.Name, 64, true); err != nil {
			return Rules{}, err
		}
		if len(jr.Prefixes) == 0 || len(jr.Prefixes) > maxPrefixes {
			return Rules{}, fieldErr(p+".prefixes", fmt.Sprintf("1 to %d E.164 prefixes", maxPrefixes))
		}
		for k, pre := range jr.Prefixes {
			if !phone.ValidPrefix(pre) {
				return Rules{}, fieldErr(fmt.Sprintf("%s.prefixes[%d]", p, k), "an E.164 prefix: + and 1 to 15 digits")
			}
		}
		l, err := parseLimits(p, jr.jsonLimits, false)
		if err != nil {
			return Rules{}, err
		}
		r.Regions = append(r.Regions, Region{Name: jr.Name, Prefixes: slices.Clone(jr.Prefixes), Limits: l})
	}
	if len(j.Holidays) > maxHolidays {
		return Rules{}, fieldErr(".holidays", fmt.Sprintf("at most %d dates", maxHolidays))
	}
	for i, h := range j.Holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil || d.Format(time.DateOnly) != h {
			return Rules{}, fieldErr(fmt.Sprintf(".holidays[%d]", i), "a date YYYY-MM-DD")
		}
		if r.Holidays == nil {
			r.Holidays = map[string]bool{}
		}
		r.Holidays[h] = true
	}
	return r, nil
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseLimits fills what is absent: the campaign's default hours, or for
// a region, every day and all day (the campaign's limits still apply).
func parseLimits(path string, j jsonLimits, campaign bool) (Limits, error) {
	l := Limits{Days: everyDay}
	if j.Days != nil {
		if len(j.Days) == 0 {
			return Limits{}, fieldErr(path+".days", "at least one day (mon..sun), or leave it out for every day")
		}
		l.Days = 0
		for i, d := range j.Days {
			w, ok := dayNames[strings.ToLower(d)]
			if !ok {
				return Limits{}, fieldErr(fmt.Sprintf("%s.days[%d]", path, i), "one of mon, tue, wed, thu, fri, sat, sun")
			}
			l.Days |= 1 << uint(w)
		}
	}
	if j.Hours == nil {
		if campaign {
			l.Hours = []Span{{DefaultStart, DefaultEnd}}
		} else {
			l.Hours = []Span{{0, 24 * 60}}
		}
		return l, nil
	}
	if len(j.Hours) == 0 || len(j.Hours) > maxSpans {
		return Limits{}, fieldErr(path+".hours", fmt.Sprintf("1 to %d spans, or leave it out", maxSpans))
	}
	for i, h := range j.Hours {
		p := fmt.Sprintf("%s.hours[%d]", path, i)
		s, ok := parseClock(h.Start)
		if !ok || s == 24*60 {
			return Limits{}, fieldErr(p+".start", "a time HH:MM from 00:00 to 23:59")
		}
		e, ok := parseClock(h.End)
		if !ok {
			return Limits{}, fieldErr(p+".end", "a time HH:MM from 00:01 to 24:00")
		}
		if e <= s {
			return Limits{}, fieldErr(p+".end", "after start")
		}
		l.Hours = append(l.Hours, Span{s, e})
	}
	slices.SortFunc(l.Hours, func(a, b Span) int { return a.Start - b.Start })
	return l, nil
}

func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// loadZone refuses the zones LoadLocation reads from a path-like name.
func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") || name == "Local" {
		return nil, errors.New("not an IANA zone")
	}
	return time.LoadLocation(name)
}

// Zones is where the lead is: its own zone; else its number's zone
// (phonenumbers); else the campaign's; else UTC. A number in several
// zones (a mobile range, a NANP number without a known area code) takes
// the campaign's zone when there is one, else all of its zones: the call
// must then be allowed in each. Source says which: "lead", "number",
// "campaign" or "default".
func Zones(r Rules, zone, number string) ([]*time.Location, string) {
	if loc, err := loadZone(zone); err == nil {
		return []*time.Location{loc}, "lead"
	}
	if num, err := phonenumbers.Parse(number, ""); err == nil {
		if names, err := phonenumbers.GetTimezonesForNumber(num); err == nil {
			var locs []*time.Location
			for _, n := range names {
				if loc, err := loadZone(n); err == nil {
					locs = append(locs, loc)
				}
			}
			if len(locs) == 1 {
				return locs, "number"
			}
			if camp, err := loadZone(r.TimeZone); err == nil && len(locs) > 1 {
				return []*time.Location{camp}, "campaign"
			}
			if len(locs) > 1 {
				return locs, "number"
			}
		}
	}
	if loc, err := loadZone(r.TimeZone); err == nil {
		return []*time.Location{loc}, "campaign"
	}
	return []*time.Location{time.UTC}, "default"
}

// closed says why a call at t in loc is refused; "" allows it.
func (r Rules) closed(loc *time.Location, number string, t time.Time) string {
	local := t.In(loc)
	at := local.Format("Mon 2006-01-02 15:04 MST")
	if r.Holidays[local.Format(time.DateOnly)] {
		return "holiday in the lead's time zone (" + at + ")"
	}
	if !r.Limits.allows(local) {
		if !r.Days.has(local.Weekday()) {
			return "not a calling day (" + at + ")"
		}
		return "outside calling hours " + r.hours() + " (" + at + ")"
	}
	for _, g := range r.Regions {
		if !g.matches(number) || g.allows(local) {
			continue
		}
		if !g.Days.has(local.Weekday()) {
			return "not a calling day in region " + g.Name + " (" + at + ")"
		}
		return "outside region " + g.Name + " hours " + g.hours() + " (" + at + ")"
	}
	return ""
}

func (g Region) matches(number string) bool {
	for _, p := range g.Prefixes {
		if strings.HasPrefix(number, p) {
			return true
		}
	}
	return false
}

func (r Rules) why(locs []*time.Location, number string, t time.Time) string {
	for _, loc := range locs {
		if why := r.closed(loc, number, t); why != "" {
			return why
		}
	}
	return ""
}

// Allowed reports whether number (E.164) may be called at now; zone is the
// lead's IANA zone or "".
func Allowed(r Rules, zone, number string, now time.Time) bool {
	locs, _ := Zones(r, zone, number)
	return r.why(locs, number, now) == ""
}

// Next is when the window next opens: now when it is open (reason ""),
// else the first allowed minute and why it is closed now. The zero time
// means it does not open within a year.
func Next(r Rules, zone, number string, now time.Time) (time.Time, string) {
	locs, _ := Zones(r, zone, number)
	why := r.why(locs, number, now)
	if why == "" {
		return now, ""
	}
	// The window opens at the start of some span in some zone: try those
	// instants in order.
	var starts []int
	for _, s := range r.Hours {
		starts = append(starts, s.Start)
	}
	for _, g := range r.Regions {
		if g.matches(number) {
			for _, s := range g.Hours {
				starts = append(starts, s.Start)
			}
		}
	}
	// Most windows open within a week; a year of holidays is the rare case.
	for _, days := range []int{8, horizon} {
		if t := r.firstOpen(locs, starts, number, now, days); !t.IsZero() {
			return t, why
		}
	}
	return time.Time{}, why
}

// firstOpen tries the span starts of the coming days in every zone, in
// time order, and returns the first allowed one after now.
func (r Rules) firstOpen(locs []*time.Location, starts []int, number string, now time.Time, days int) time.Time {
	var cands []time.Time
	for _, loc := range locs {
		y, m, d := now.In(loc).Date()
		for off := -1; off <= days; off++ {
			for _, s := range starts {
				t := time.Date(y, m, d+off, s/60, s%60, 0, 0, loc)
				cands = append(cands, t)
				// A start inside a skipped DST hour: the clock jumps
				// past it, so also try an hour later.
				if lt := t.In(loc); lt.Hour()*60+lt.Minute() != s {
					cands = append(cands, t.Add(time.Hour))
				}
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Before(cands[j]) })
	for _, t := range cands {
		if t.After(now) && r.why(locs, number, t) == "" {
			return t
		}
	}
	return time.Time{}
}
