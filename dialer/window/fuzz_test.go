package window

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
)

// FuzzWindowRules: any input is either refused with a field error under
// calling_window, or gives rules whose Next opening is itself allowed.
func FuzzWindowRules(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"days":["mon"],"hours":[{"start":"09:00","end":"17:00"}]}`,
		`{"time_zone":"America/Chicago","holidays":["2026-12-25"]}`,
		`{"regions":[{"name":"CA","prefixes":["+1415"],"hours":[{"start":"09:00","end":"20:00"}]}]}`,
		`{"hours":[{"start":"02:00","end":"02:30"}]}`, `{"hours":[{"start":"24:00"}]}`, `[1]`, `{"days":null}`,
	} {
		f.Add(s, int64(1783000000))
	}
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		r, err := Parse(json.RawMessage(in))
		if err != nil {
			var fe *inputerr.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, Key) {
				t.Fatalf("%q: %v", in, err)
			}
			return
		}
		if len(r.Hours) == 0 || r.Days == 0 {
			t.Fatalf("%q: rules with no hours or days: %+v", in, r)
		}
		now := time.Unix(unix%(1<<34), 0)
		next, why := Next(r, "", "+14155550100", now)
		if (why == "") != Allowed(r, "", "+14155550100", now) {
			t.Fatalf("%q: Next and Allowed disagree at %v", in, now)
		}
		if !next.IsZero() && !Allowed(r, "", "+14155550100", next) {
			t.Fatalf("%q: opening %v is not allowed", in, next)
		}
	})
}
