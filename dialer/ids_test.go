package dialer

import (
	"testing"

	"github.com/google/uuid"
)

// TestNewIDsAreTimeOrdered: call and leg ids are valid, version 7, and
// each sorts after the one made before it (as text too, the way the
// records' keys compare), so new records land at the end of the keys.
func TestNewIDsAreTimeOrdered(t *testing.T) {
	prev := ""
	for i := range 1000 {
		c, l := NewCallID(), NewLegID()
		if !c.Valid() || !l.Valid() {
			t.Fatalf("invalid ids %q %q", c, l)
		}
		for _, id := range []string{string(c), string(l)} {
			if v := uuid.MustParse(id).Version(); v != 7 {
				t.Fatalf("%s is version %d", id, v)
			}
			if id <= prev {
				t.Fatalf("id %d: %s does not sort after %s", i, id, prev)
			}
			prev = id
		}
	}
}

// TestLineRecordsItsLegOnce: a persistent leg is written to the call
// records with the first call it joins; a new leg (the phone dialed
// again) is written once more.
func TestLineRecordsItsLegOnce(t *testing.T) {
	l := &line{}
	a, b := NewLegID(), NewLegID()
	for i, c := range []struct {
		leg   LegID
		first bool
	}{{a, true}, {a, false}, {a, false}, {b, true}, {b, false}} {
		if got := l.firstRecord(c.leg); got != c.first {
			t.Fatalf("step %d: firstRecord = %v, want %v", i, got, c.first)
		}
	}
	var none *line
	if !none.firstRecord(a) {
		t.Fatal("an agent not logged in here must record its leg")
	}
}
