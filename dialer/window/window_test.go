package window

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

func mustParse(t *testing.T, s string) Rules {
	t.Helper()
	r, err := Parse(json.RawMessage(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return r
}

func at(t *testing.T, zone, local string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	sf     = "+14155550100" // America/Los_Angeles by its number
	nyc    = "+12125550100" // America/New_York
	london = "+442079460018"
)

func TestAllowed(t *testing.T) {
	def := `{}`
	weekdays := `{"days":["mon","tue","wed","thu","fri"],"hours":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:30"}]}`
	holiday := `{"holidays":["2026-12-25"]}`
	region := `{"regions":[{"name":"US-CA","prefixes":["+1415","+1510"],"hours":[{"start":"09:00","end":"20:00"}]}]}`
	regionSat := `{"regions":[{"name":"US-NY","prefixes":["+1212"],"days":["mon","tue","wed","thu","fri"]}]}`
	dstStart := `{"hours":[{"start":"02:00","end":"05:00"}]}`
	for _, tc := range []struct {
		name, rules, zone, number string
		now                       time.Time
		want                      bool
	}{
		{"20:59 local allowed", def, "", sf, at(t, "America/Los_Angeles", "2026-07-01 20:59"), true},
		{"21:00 local refused", def, "", sf, at(t, "America/Los_Angeles", "2026-07-01 21:00"), false},
		{"08:00 local allowed", def, "", nyc, at(t, "America/New_York", "2026-07-01 08:00"), true},
		{"07:59 local refused", def, "", nyc, at(t, "America/New_York", "2026-07-01 07:59"), false},
		// 20:30 in New York is 17:30 in San Francisco: the lead's zone decides.
		{"across zones: NY evening is SF afternoon", def, "", sf, at(t, "America/New_York", "2026-07-01 23:30"), true},
		{"across zones: SF morning is NY", def, "", nyc, at(t, "America/Los_Angeles", "2026-07-01 18:30"), false},
		{"lead zone beats number zone", def, "Europe/London", sf, at(t, "Europe/London", "2026-07-01 20:59"), true},
		{"lead zone beats number zone, refused", def, "Europe/London", sf, at(t, "Europe/London", "2026-07-01 21:00"), false},
		{"bad lead zone falls back to the number", def, "Mars/Olympus", london, at(t, "Europe/London", "2026-07-01 21:00"), false},
		{"campaign zone for a number without one", `{"time_zone":"Asia/Tokyo"}`, "", "+80012345678", at(t, "Asia/Tokyo", "2026-07-01 20:59"), true},
		{"campaign zone for a number without one, refused", `{"time_zone":"Asia/Tokyo"}`, "", "+80012345678", at(t, "Asia/Tokyo", "2026-07-01 07:00"), false},
		{"DST spring day 20:59", def, "", nyc, at(t, "America/New_York", "2026-03-08 20:59"), true},
		{"DST spring day 21:00", def, "", nyc, at(t, "America/New_York", "2026-03-08 21:00"), false},
		{"DST autumn day 21:00", def, "", nyc, at(t, "America/New_York", "2026-11-01 21:00"), false},
		{"DST window starting in the skipped hour", dstStart, "", nyc, at(t, "America/New_York", "2026-03-08 03:00"), true},
		{"DST window before the skipped hour", dstStart, "", nyc, at(t, "America/New_York", "2026-03-08 01:59"), false},
		{"holiday refused", holiday, "", sf, at(t, "America/Los_Angeles", "2026-12-25 12:00"), false},
		// 23:00 on the 24th in SF is already the 25th in UTC: local date counts.
		{"holiday is the lead's local date", holiday, "", sf, at(t, "America/Los_Angeles", "2026-12-24 20:00"), true},
		{"day after a holiday", holiday, "", sf, at(t, "America/Los_Angeles", "2026-12-26 08:00"), true},
		{"weekday rule on a Saturday", weekdays, "", sf, at(t, "America/Los_Angeles", "2026-07-04 10:00"), false},
		{"weekday rule lunch break", weekdays, "", sf, at(t, "America/Los_Angeles", "2026-07-01 12:30"), false},
		{"weekday rule afternoon", weekdays, "", sf, at(t, "America/Los_Angeles", "2026-07-01 17:29"), true},
		{"weekday rule end", weekdays, "", sf, at(t, "America/Los_Angeles", "2026-07-01 17:30"), false},
		{"region stricter: 19:59 allowed", region, "", sf, at(t, "America/Los_Angeles", "2026-07-01 19:59"), true},
		{"region stricter: 20:00 refused", region, "", sf, at(t, "America/Los_Angeles", "2026-07-01 20:00"), false},
		{"region stricter: 08:30 refused", region, "", sf, at(t, "America/Los_Angeles", "2026-07-01 08:30"), false},
		{"region other number keeps campaign hours", region, "", nyc, at(t, "America/New_York", "2026-07-01 20:30"), true},
		{"region cannot widen: campaign still ends at 21:00", `{"regions":[{"name":"wide","prefixes":["+1415"],"hours":[{"start":"00:00","end":"24:00"}]}]}`, "", sf, at(t, "America/Los_Angeles", "2026-07-01 22:00"), false},
		{"region days: Saturday in NY refused", regionSat, "", nyc, at(t, "America/New_York", "2026-07-04 10:00"), false},
		{"region days: Saturday in SF allowed", regionSat, "", sf, at(t, "America/Los_Angeles", "2026-07-04 10:00"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.rules)
			if got := Allowed(r, tc.zone, tc.number, tc.now); got != tc.want {
				_, why := Next(r, tc.zone, tc.number, tc.now)
				t.Fatalf("Allowed at %v = %v, want %v (%s)", tc.now, got, tc.want, why)
			}
			next, why := Next(r, tc.zone, tc.number, tc.now)
			if tc.want != (why == "") || tc.want && !next.Equal(tc.now) {
				t.Fatalf("Next = %v %q, want open=%v", next, why, tc.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name, rules, zone, number string
		now, want                 time.Time
		why                       string
	}{
		{"after hours: tomorrow 08:00", `{}`, "", sf, at(t, "America/Los_Angeles", "2026-07-01 21:00"),
			at(t, "America/Los_Angeles", "2026-07-02 08:00"), "outside calling hours 08:00-21:00"},
		{"before hours: today 08:00", `{}`, "", nyc, at(t, "America/New_York", "2026-07-01 06:10"),
			at(t, "America/New_York", "2026-07-01 08:00"), "outside calling hours"},
		{"lunch break: 13:00", `{"hours":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}]}`, "", sf,
			at(t, "America/Los_Angeles", "2026-07-01 12:00"), at(t, "America/Los_Angeles", "2026-07-01 13:00"), "outside calling hours"},
		{"Friday night: Monday", `{"days":["mon","tue","wed","thu","fri"]}`, "", sf, at(t, "America/Los_Angeles", "2026-07-03 21:30"),
			at(t, "America/Los_Angeles", "2026-07-06 08:00"), "outside calling hours"},
		{"Saturday: Monday", `{"days":["mon","tue","wed","thu","fri"]}`, "", sf, at(t, "America/Los_Angeles", "2026-07-04 10:00"),
			at(t, "America/Los_Angeles", "2026-07-06 08:00"), "not a calling day"},
		{"holidays in a row", `{"holidays":["2026-12-25","2026-12-26"]}`, "", sf, at(t, "America/Los_Angeles", "2026-12-24 21:00"),
			at(t, "America/Los_Angeles", "2026-12-27 08:00"), "outside calling hours"},
		{"on a holiday", `{"holidays":["2026-12-25"]}`, "", sf, at(t, "America/Los_Angeles", "2026-12-25 10:00"),
			at(t, "America/Los_Angeles", "2026-12-26 08:00"), "holiday"},
		{"region opens later", `{"regions":[{"name":"US-CA","prefixes":["+1415"],"hours":[{"start":"09:00","end":"20:00"}]}]}`, "", sf,
			at(t, "America/Los_Angeles", "2026-07-01 08:30"), at(t, "America/Los_Angeles", "2026-07-01 09:00"), "region US-CA"},
		// 02:00 does not exist on 8 March 2026 in New York: it opens at 03:00 EDT.
		{"DST: window starting in the skipped hour", `{"hours":[{"start":"02:00","end":"05:00"}]}`, "", nyc,
			at(t, "America/New_York", "2026-03-08 01:30"), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), "outside calling hours"},
		{"DST: the day after", `{}`, "", nyc, at(t, "America/New_York", "2026-03-07 22:00"),
			time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC), "outside calling hours"},
		{"never: region hours outside the campaign's", `{"regions":[{"name":"x","prefixes":["+1"],"hours":[{"start":"22:00","end":"23:00"}]}]}`, "", sf,
			at(t, "America/Los_Angeles", "2026-07-01 10:00"), time.Time{}, "region x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.rules)
			got, why := Next(r, tc.zone, tc.number, tc.now)
			if !got.Equal(tc.want) || !strings.Contains(why, tc.why) {
				t.Fatalf("Next = %v %q, want %v %q", got, why, tc.want, tc.why)
			}
			if !got.IsZero() && !Allowed(r, tc.zone, tc.number, got) {
				t.Fatalf("not allowed at its own opening %v", got)
			}
			if !got.IsZero() && Allowed(r, tc.zone, tc.number, got.Add(-time.Minute)) && got.Add(-time.Minute).After(tc.now) {
				t.Fatalf("already open a minute before %v", got)
			}
		})
	}
}

func TestZones(t *testing.T) {
	r := mustParse(t, `{"time_zone":"Europe/Paris"}`)
	for _, tc := range []struct{ zone, number, want, source string }{
		{"Asia/Tokyo", sf, "Asia/Tokyo", "lead"},
		{"", sf, "America/Los_Angeles", "number"},
		{"", nyc, "America/New_York", "number"},
		{"../etc/passwd", london, "Europe/London", "number"},
		{"", "+80012345678", "Europe/Paris", "campaign"},
		{"", "not a number", "Europe/Paris", "campaign"},
		// 555 is no area code: the number is in every NANP zone.
		{"", "+15550100000", "Europe/Paris", "campaign"},
	} {
		locs, src := Zones(r, tc.zone, tc.number)
		if locs[0].String() != tc.want || src != tc.source {
			t.Errorf("Zones(%q, %q) = %v %s, want %s %s", tc.zone, tc.number, locs, src, tc.want, tc.source)
		}
	}
	if locs, src := Zones(Default(), "", "+80012345678"); locs[0] != time.UTC || src != "default" {
		t.Errorf("no zone anywhere: %v %s", locs, src)
	}
	if locs, src := Zones(Default(), "", "+15550100000"); len(locs) < 2 || src != "number" {
		t.Errorf("several zones, no campaign zone: %v %s", locs, src)
	}
	// Allowed in all of them: 23:00 UTC is 09:00 in Guam and 20:30 in St John's...
	if !Allowed(Default(), "", "+15550100000", time.Date(2026, 1, 5, 23, 0, 0, 0, time.UTC)) {
		t.Error("refused where every NANP zone is within 08:00-21:00")
	}
	// ...and 02:00 UTC is 22:30 there.
	if Allowed(Default(), "", "+15550100000", time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)) {
		t.Error("allowed where St John's is past 21:00")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, field string }{
		{`[]`, "calling_window"},
		{`{"hours":"08-21"}`, "calling_window.hours"},
		{`{"hourz":[]}`, "calling_window"},
		{`{"hours":[]}`, "calling_window.hours"},
		{`{"hours":[{"start":"8:00","end":"21:00"}]}`, "calling_window.hours[0].start"},
		{`{"hours":[{"start":"08:00","end":"21:00"},{"start":"24:00","end":"24:00"}]}`, "calling_window.hours[1].start"},
		{`{"hours":[{"start":"08:00","end":"25:00"}]}`, "calling_window.hours[0].end"},
		{`{"hours":[{"start":"09:00","end":"08:00"}]}`, "calling_window.hours[0].end"},
		{`{"hours":[{"start":"08:60","end":"21:00"}]}`, "calling_window.hours[0].start"},
		{`{"days":[]}`, "calling_window.days"},
		{`{"days":["mon","funday"]}`, "calling_window.days[1]"},
		{`{"time_zone":"Mars/Base"}`, "calling_window.time_zone"},
		{`{"time_zone":"Local"}`, "calling_window.time_zone"},
		{`{"holidays":["2026-02-30"]}`, "calling_window.holidays[0]"},
		{`{"holidays":["25/12/2026"]}`, "calling_window.holidays[0]"},
		{`{"regions":[{"prefixes":["+1415"]}]}`, "calling_window.regions[0].name"},
		{`{"regions":[{"name":"CA"}]}`, "calling_window.regions[0].prefixes"},
		{`{"regions":[{"name":"CA","prefixes":["1415"]}]}`, "calling_window.regions[0].prefixes[0]"},
		{`{"regions":[{"name":"CA","prefixes":["+1415"],"hours":[{"start":"09:00","end":"09:00"}]}]}`, "calling_window.regions[0].hours[0].end"},
		{`{"regions":[{"name":"CA","prefixes":["+1415"],"days":["xyz"]}]}`, "calling_window.regions[0].days[0]"},
		{`{} {}`, "calling_window"},
	} {
		_, err := Parse(json.RawMessage(tc.in))
		var fe *inputerr.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Parse(%s) = %v, want a field error on %s", tc.in, err, tc.field)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	for _, in := range []string{``, `null`, `{}`} {
		r, err := Parse(json.RawMessage(in))
		if err != nil || r.Days != everyDay || len(r.Hours) != 1 || r.Hours[0] != (Span{8 * 60, 21 * 60}) {
			t.Errorf("Parse(%q) = %+v %v, want every day 08:00-21:00", in, r, err)
		}
	}
	r := mustParse(t, `{"days":["MON","sat"],"hours":[{"start":"13:00","end":"24:00"},{"start":"00:00","end":"01:00"}],"regions":[{"name":"r","prefixes":["+33"]}]}`)
	if r.Days != 1<<time.Monday|1<<time.Saturday || r.Hours[0] != (Span{0, 60}) || r.Hours[1] != (Span{13 * 60, 24 * 60}) {
		t.Errorf("parsed %+v", r)
	}
	if g := r.Regions[0]; g.Days != everyDay || len(g.Hours) != 1 || g.Hours[0] != (Span{0, 24 * 60}) {
		t.Errorf("region defaults %+v: want no limit of its own", g)
	}
}
