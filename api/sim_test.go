package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// fakeSim is a SimSwitch that keeps the callers placed on it.
type fakeSim struct {
	mu    sync.Mutex
	n     int
	calls []fakeSimCall
	live  map[string]bool
}

type fakeSimCall struct {
	did dialer.DID
	SimCall
}

func (f *fakeSim) place() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	leg := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n)
	if f.live == nil {
		f.live = map[string]bool{}
	}
	f.live[leg] = true
	return leg
}

func (f *fakeSim) Call(did dialer.DID, c SimCall) (string, error) {
	leg := f.place()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeSimCall{did, c})
	return leg, nil
}

func (f *fakeSim) Hangup(leg string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := f.live[leg]
	delete(f.live, leg)
	return ok
}

func (f *fakeSim) placed() []fakeSimCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func TestSimCalls(t *testing.T) {
	e := newEnv(t)
	q := e.addQueue(1)
	ctx := t.Context()
	did := must[dialer.DID](t)(e.store.CreateDID(ctx, dialer.DID{Number: "+17185550001", Queue: q.Name, Priority: 5, Enabled: true}))
	must[dialer.DID](t)(e.store.CreateDID(ctx, dialer.DID{Number: "+17185550002"}))
	for _, c := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"to":"+17185559999","from":"+12125550100"}`, http.StatusNotFound, "to"},
		{`{"to":"+17185550002","from":"+12125550100"}`, http.StatusBadRequest, "to"},
		{`{"from":"+12125550100"}`, http.StatusBadRequest, "to"},
		{`{"to":"sip:x@y","from":"+12125550100"}`, http.StatusBadRequest, "to"},
		{`{"to":"+17185550001"}`, http.StatusBadRequest, "from"},
		{`{"to":"+17185550001","from":"1000,user/1001"}`, http.StatusBadRequest, "from"},
		{`{"to":"+17185550001","from":"${uuid}"}`, http.StatusBadRequest, "from"},
		{`{"to":"+17185550001","from":"+12125550100","name":"Ada'}"}`, http.StatusBadRequest, "name"},
		{`{"to":"+17185550001","from":"+12125550100","name":"` + strings.Repeat("a", 65) + `"}`, http.StatusBadRequest, "name"},
		{`{"to":"+17185550001","from":"+12125550100","hangup_after_seconds":-1}`, http.StatusBadRequest, "hangup_after_seconds"},
		{`{"to":"+17185550001","from":"+12125550100","hangup_after_seconds":3601}`, http.StatusBadRequest, "hangup_after_seconds"},
	} {
		rec := e.do(e.admin, http.MethodPost, "/api/v1/sim/calls", c.body)
		if got := errorOf(t, rec); rec.Code != c.status || got.Field != c.field {
			t.Errorf("%s: %d %+v, want %d naming %s", c.body, rec.Code, got, c.status, c.field)
		}
	}
	if n := len(e.sim.placed()); n != 0 {
		t.Fatalf("%d callers placed by refused requests", n)
	}

	// The number as a carrier sends it, without +.
	rec := e.do(e.admin, http.MethodPost, "/api/v1/sim/calls", `{"to":"17185550001","from":"2125550100","name":"Ada Lovelace","hangup_after_seconds":90}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("place: %d %s", rec.Code, rec.Body)
	}
	got := decodeBody[struct{ Leg, To, From string }](t, rec)
	placed := e.sim.placed()
	if len(placed) != 1 || placed[0].did.Number != did.Number || placed[0].did.Queue != q.Name || placed[0].did.Priority != 5 ||
		placed[0].SimCall != (SimCall{From: "2125550100", Name: "Ada Lovelace", HangupAfter: 90 * time.Second}) || got.To != did.Number || got.Leg == "" {
		t.Fatalf("answer %+v, placed %+v", got, placed)
	}

	for _, c := range []struct {
		leg    string
		status int
	}{{got.Leg, http.StatusNoContent}, {got.Leg, http.StatusNotFound}, {"not%20a%20leg", http.StatusBadRequest}} {
		rec := e.do(e.admin, http.MethodDelete, "/api/v1/sim/calls/"+c.leg, "")
		if rec.Code != c.status {
			t.Fatalf("hang up %s: %d %s, want %d", c.leg, rec.Code, rec.Body, c.status)
		}
		if c.status != http.StatusNoContent && errorOf(t, rec).Field != "leg" {
			t.Fatalf("hang up %s: %s names no leg", c.leg, rec.Body)
		}
	}
	if a := changeAudit(e); !slices.Contains(a, "sim.call") || !slices.Contains(a, "sim.hangup") {
		t.Fatalf("audit %v", a)
	}
}

// TestSimCallsRealSwitch: without the built-in simulator both routes
// answer 404 saying they are for it, whatever the body.
func TestSimCallsRealSwitch(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Sim = nil })
	for _, r := range [][2]string{{http.MethodPost, "/api/v1/sim/calls"}, {http.MethodDelete, "/api/v1/sim/calls/00000000-0000-4000-8000-000000000001"}} {
		rec := e.do(e.admin, r[0], r[1], `{"to":"+17185550001","from":"+12125550100"}`)
		if got := errorOf(t, rec); rec.Code != http.StatusNotFound || !strings.Contains(got.Message, "only on the built-in simulated switch") {
			t.Fatalf("%s %s: %d %s", r[0], r[1], rec.Code, rec.Body)
		}
	}
}
