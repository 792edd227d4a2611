package leadimport

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// FuzzImport: any input either is refused at its header with a field
// error, or every row is imported or rejected with a reason, the counts
// add up, and the error report has one row per rejected row.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		stdHeader + "+12125550100,,Ann,,,,\n(212) 555-0101,,,,,,\n",
		stdHeader + "\"+1212\n5550100\",,\"a\"\"b\",,,,\n,,,,,,\n",
		stdHeader + "+12125550100,,,,,,,x\n+12125550100\n\xff\n",
		stdHeader + "a\"b,\"c\n",
		"Phone\n\"unterminated\n",
		"\uFEFFPhone,First\r\n+44 20 7946 0018,Bo\r\n",
		stdHeader + strings.Repeat("9", 300) + "\n+12125550199\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sink := newSink("+12125550199", "+12125550198")
		var rej bytes.Buffer
		rep, err := Run(t.Context(), strings.NewReader(in), Config{Campaign: 1, Mapping: stdMapping, Country: "US", MaxLine: 256}, sink, nil, &rej)
		if err != nil {
			var fe *dialer.FieldError
			if !errors.As(err, &fe) || fe.Field == "" || rep.Read != 0 || len(sink.leads) != 0 {
				t.Fatalf("error %v after %+v", err, rep)
			}
			return
		}
		var byReason int64
		for r, n := range rep.Reasons {
			if r == "" || n <= 0 {
				t.Fatalf("reason %q counted %d", r, n)
			}
			byReason += n
		}
		if rep.Read != rep.Imported+rep.Rejected || byReason != rep.Rejected || int64(len(sink.leads)) != rep.Imported {
			t.Fatalf("counts do not add up: %+v, %d leads", rep, len(sink.leads))
		}
		for _, l := range sink.leads {
			if err := l.Validate(); err != nil {
				t.Fatalf("imported %+v: %v", l, err)
			}
		}
		if rows := readCSV(t, &rej); int64(len(rows)) != rep.Rejected+1 {
			t.Fatalf("error report has %d rows for %d rejected", len(rows), rep.Rejected)
		}
	})
}
