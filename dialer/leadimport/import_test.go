package leadimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// memSink is the store's import transaction in memory: numbers before the
// import are "old", DNC numbers are blocked.
type memSink struct {
	old, dnc map[string]bool
	leads    []dialer.Lead
	seen     map[string]bool
}

// newSink: old is already in the campaign, dnc blocked ("" for none).
func newSink(old, dnc string) *memSink {
	return &memSink{old: map[string]bool{old: true}, dnc: map[string]bool{dnc: true}, seen: map[string]bool{}}
}

func (k *memSink) Blocked(_ context.Context, n string) (bool, error) { return k.dnc[n], nil }

func (k *memSink) Insert(_ context.Context, l dialer.Lead) (Dup, error) {
	switch {
	case k.old[l.Phone]:
		return DupInCampaign, nil
	case k.seen[l.Phone]:
		return DupInFile, nil
	}
	k.seen[l.Phone] = true
	k.leads = append(k.leads, l)
	return NoDup, nil
}

var stdMapping = Mapping{"Phone": "phone", "Alt": "phone2", "First": "first_name", "Last": "last_name",
	"Email": "email", "TZ": "time_zone", "Account": "custom:account"}

const stdHeader = "Phone,Alt,First,Last,Email,TZ,Account\n"

func TestRowOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		row    string
		reason Reason
		check  func(t *testing.T, l dialer.Lead)
	}{
		{"national number, zone from the number", "(212) 555-0100,,Ann,Lee,ann@example.com,,A1\n", "", func(t *testing.T, l dialer.Lead) {
			if l.Phone != "+12125550100" || l.TimeZone != "America/New_York" || l.FirstName != "Ann" || l.Custom["account"] != "A1" {
				t.Errorf("lead %+v", l)
			}
		}},
		{"zone from the file wins", "+1 415 555 0100,,,,,Europe/Paris,\n", "", func(t *testing.T, l dialer.Lead) {
			if l.TimeZone != "Europe/Paris" {
				t.Errorf("zone %q", l.TimeZone)
			}
		}},
		{"west coast number", "+1 415 555 0100,,,,,,\n", "", func(t *testing.T, l dialer.Lead) {
			if l.TimeZone != "America/Los_Angeles" {
				t.Errorf("zone %q", l.TimeZone)
			}
		}},
		{"UK number", "+44 20 7946 0018,+44 20 7946 0019,,,,,\n", "", func(t *testing.T, l dialer.Lead) {
			if l.TimeZone != "Europe/London" || l.Phone2 != "+442079460019" {
				t.Errorf("lead %+v", l)
			}
		}},
		{"quoted field with a newline", "\"+12125550101\",,\"Ann\nMarie\",,,,\n", "", func(t *testing.T, l dialer.Lead) {
			if l.FirstName != "Ann\nMarie" {
				t.Errorf("first name %q", l.FirstName)
			}
		}},
		{"fewer columns", "+12125550102\n", "", nil},
		{"missing phone", ",,Ann,,,,\n", MissingPhone, nil},
		{"bad number", "555-01,,,,,,\n", BadNumber, nil},
		{"letters", "1-800-FLOWERS,,,,,,\n", BadNumber, nil},
		{"bad phone2", "+12125550103,12,,,,,\n", BadNumber, nil},
		{"duplicate in campaign", "+12125550199,,,,,,\n", DuplicateInCampaign, nil},
		{"on DNC", "+12125550198,,,,,,\n", DNC, nil},
		{"phone2 on DNC", "+12125550104,+12125550198,,,,,\n", DNC, nil},
		{"too many columns", "+12125550105,,,,,,,extra\n", TooManyColumns, nil},
		{"invalid UTF-8", "+12125550106,,\xff\xfe,,,,\n", InvalidUTF8, nil},
		{"bare quote", "+12125550107,,A\"nn,,,,\n", Malformed, nil},
		{"bad zone", "+12125550108,,,,,Mars/Base,\n", BadField, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newSink("+12125550199", "+12125550198")
			var rej bytes.Buffer
			rep, err := Run(t.Context(), strings.NewReader(stdHeader+tc.row), Config{Campaign: 1, Mapping: stdMapping, Country: "US"}, sink, nil, &rej)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Read != 1 {
				t.Fatalf("read %d rows, want 1", rep.Read)
			}
			if tc.reason == "" {
				if rep.Imported != 1 || len(sink.leads) != 1 {
					t.Fatalf("not imported: %+v\n%s", rep, rej.String())
				}
				if sink.leads[0].Campaign != 1 {
					t.Errorf("campaign %d", sink.leads[0].Campaign)
				}
				if tc.check != nil {
					tc.check(t, sink.leads[0])
				}
				return
			}
			if rep.Rejected != 1 || rep.Reasons[tc.reason] != 1 || len(sink.leads) != 0 {
				t.Fatalf("report %+v, want one %s", rep, tc.reason)
			}
			rows := readCSV(t, &rej)
			if len(rows) != 2 || rows[1][0] != "2" || rows[1][1] != string(tc.reason) || rows[1][2] == "" {
				t.Errorf("error report %q", rows)
			}
		})
	}
}

// readCSV reads an error report; its rows are as long as the row they
// report.
func readCSV(t *testing.T, r io.Reader) [][]string {
	t.Helper()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDuplicateInFileAndLineNumbers(t *testing.T) {
	in := stdHeader + "+12125550100,,,,,,\n\n\"+12125550101\",,\"two\nlines\",,,,\n(212) 555-0100,,,,,,\n"
	var rej bytes.Buffer
	rep, err := Run(t.Context(), strings.NewReader(in), Config{Campaign: 1, Mapping: stdMapping, Country: "US"}, newSink("", ""), nil, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 3 || rep.Imported != 2 || rep.Reasons[DuplicateInFile] != 1 {
		t.Fatalf("report %+v", rep)
	}
	// The blank line 3 is skipped; the quoted record spans lines 4-5.
	rows := readCSV(t, &rej)
	if len(rows) != 2 || rows[1][0] != "6" || rows[1][3] != "(212) 555-0100" {
		t.Errorf("error report %q", rows)
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		mapping Mapping
		field   string
	}{
		{"empty file", "", stdMapping, "file"},
		{"no phone column", "Name,Email\nAnn,a@example.com\n", Mapping{"Name": "first_name", "Phone": "phone"}, "mapping.Phone"},
		{"unknown column", stdHeader, Mapping{"Phone": "phone", "Fax": "phone2"}, "mapping.Fax"},
		{"unknown field", stdHeader, Mapping{"Phone": "phone", "First": "nickname"}, "mapping.First"},
		{"bad custom key", stdHeader, Mapping{"Phone": "phone", "First": "custom:a b"}, "mapping.First"},
		{"phone not mapped", stdHeader, Mapping{"First": "first_name"}, "mapping"},
		{"no mapping", stdHeader, nil, "mapping"},
		{"field twice", stdHeader, Mapping{"Phone": "phone", "Alt": "phone"}, "mapping.Phone"},
		{"header not UTF-8", "Ph\xffone\n", stdMapping, "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newSink("", "")
			_, err := Run(t.Context(), strings.NewReader(tc.in), Config{Campaign: 1, Mapping: tc.mapping}, sink, nil, nil)
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("error %v, want a field error on %s", err, tc.field)
			}
			if len(sink.leads) != 0 {
				t.Fatal("rows imported after a header error")
			}
		})
	}
}

func TestHeaderBOMAndSpaces(t *testing.T) {
	sink := newSink("", "")
	rep, err := Run(t.Context(), strings.NewReader("\uFEFFPhone , Name\r\n+12125550100,Ann\r\n"),
		Config{Campaign: 1, Mapping: Mapping{"Phone": "phone", "Name": "first_name"}}, sink, nil, nil)
	if err != nil || rep.Imported != 1 || sink.leads[0].FirstName != "Ann" {
		t.Fatalf("%+v %v", rep, err)
	}
}

// countingReader counts what was read from it, to show a long line is
// skipped through, not held.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestLongLine(t *testing.T) {
	long := "+12125550100,," + strings.Repeat("x", 10<<20) + ",,,,\n"
	in := &countingReader{r: strings.NewReader(stdHeader + long + "+12125550101,,,,,,\n")}
	var rej bytes.Buffer
	sink := newSink("", "")
	rep, err := Run(t.Context(), in, Config{Campaign: 1, Mapping: stdMapping}, sink, nil, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 2 || rep.Imported != 1 || rep.Reasons[LineTooLong] != 1 || sink.leads[0].Phone != "+12125550101" {
		t.Fatalf("report %+v", rep)
	}
	if in.n < 10<<20 {
		t.Fatalf("read %d bytes: the long line was not read through", in.n)
	}
	if rej.Len() > 1024 {
		t.Fatalf("wrote %d bytes to the error report", rej.Len())
	}
	rows := readCSV(t, &rej)
	if len(rows) != 2 || rows[1][0] != "2" || rows[1][1] != string(LineTooLong) {
		t.Errorf("error report %q", rows)
	}
}

// TestLongLineMemory: the reader's buffer stays at the limit however long
// the line.
func TestLongLineMemory(t *testing.T) {
	rd := newReader(strings.NewReader(strings.Repeat("y", 10<<20)+"\nok\n"), 1024)
	rec, err := rd.next()
	if err != nil || rec.reason != LineTooLong || rec.line != 1 {
		t.Fatalf("%+v %v", rec, err)
	}
	if cap(rd.buf) > 1024 {
		t.Fatalf("buffer grew to %d", cap(rd.buf))
	}
	rec, err = rd.next()
	if err != nil || rec.line != 2 || len(rec.fields) != 1 || rec.fields[0] != "ok" {
		t.Fatalf("%+v %v", rec, err)
	}
}

func TestCancelStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	sink := &cancelSink{memSink: newSink("", ""), after: 3, cancel: cancel}
	var b strings.Builder
	b.WriteString(stdHeader)
	for i := range 10 {
		b.WriteString("+1212555010" + string(rune('0'+i)) + ",,,,,,\n")
	}
	rep, err := Run(ctx, strings.NewReader(b.String()), Config{Campaign: 1, Mapping: stdMapping}, sink, nil, nil)
	if !errors.Is(err, context.Canceled) || rep.Imported != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
}

type cancelSink struct {
	*memSink
	after  int
	cancel func()
}

func (k *cancelSink) Insert(ctx context.Context, l dialer.Lead) (Dup, error) {
	d, err := k.memSink.Insert(ctx, l)
	if len(k.leads) == k.after {
		k.cancel()
	}
	return d, err
}

func TestProgressWhileRunning(t *testing.T) {
	prog := &Progress{}
	sink := &watchSink{memSink: newSink("", ""), prog: prog}
	in := stdHeader + "+12125550100,,,,,,\nbad,,,,,,\n+12125550101,,,,,,\n"
	rep, err := Run(t.Context(), strings.NewReader(in), Config{Campaign: 1, Mapping: stdMapping}, sink, prog, nil)
	if err != nil || rep.Imported != 2 || rep.Rejected != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	// At the third row's insert, two rows were counted: one in, one out.
	if s := sink.seen[1]; s.Read != 2 || s.Imported != 1 || s.Reasons[BadNumber] != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

type watchSink struct {
	*memSink
	prog *Progress
	seen []Report
}

func (k *watchSink) Insert(ctx context.Context, l dialer.Lead) (Dup, error) {
	k.seen = append(k.seen, k.prog.Snapshot())
	return k.memSink.Insert(ctx, l)
}
