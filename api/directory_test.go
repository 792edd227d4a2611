package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestDirectory: every signed-in role reads the enabled agents by name
// with their live state (a logged-out one shown as such), and the active
// queues; the live states come from the engine's views in memory.
func TestDirectory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	must[dialer.Agent](t)(e.store.CreateAgent(ctx, dialer.Agent{Name: "carl", Extension: "1003", Realm: "agentswitch", Mode: dialer.ModeRing}, "sip-secret-3"))
	must[dialer.Agent](t)(e.store.CreateAgent(ctx, dialer.Agent{Name: "Gone", Extension: "1004", Realm: "agentswitch", Mode: dialer.ModeRing, Disabled: true}, "sip-secret-4"))
	for _, q := range []struct {
		name   string
		active bool
	}{{"sales", true}, {"night", false}, {"billing", true}} {
		s := dialer.DefaultQueueSettings()
		s.Name, s.Active = q.name, q.active
		must[dialer.Queue](t)(e.store.CreateQueue(ctx, dialer.Queue{QueueSettings: s}))
	}
	since := t0.Add(-90 * time.Second)
	e.eng.setAgent(dialer.AgentView{ID: 1, Name: "Ann", Extension: "1001", State: dialer.AgentInCall, Since: since, Call: e.live1})
	e.eng.setAgent(dialer.AgentView{ID: 3, Name: "carl", Extension: "1003", State: dialer.AgentDispo, Since: since})

	for _, w := range []who{e.agent2, e.keyAgent, e.sup, e.admin} {
		e.eng.reset()
		rec := e.do(w, "GET", "/api/v1/directory", "")
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", w.name, rec.Code, rec.Body)
		}
		if len(e.eng.called("AgentViews")) != 0 || len(e.eng.called("LiveAgents")) != 1 {
			t.Errorf("%s: engine calls %+v, want the views in memory once", w.name, e.eng.Calls())
		}
		var got struct {
			Agents []map[string]any `json:"agents"`
			Queues []map[string]any `json:"queues"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		at := since.Format(time.RFC3339)
		want := []map[string]any{
			{"id": 1.0, "name": "Ann", "extension": "1001", "state": "INCALL", "since": at, "on_call": true, "logged_in": true},
			{"id": 2.0, "name": "Bob", "extension": "1002", "state": "LOGGED_OUT", "on_call": false, "logged_in": false},
			{"id": 3.0, "name": "carl", "extension": "1003", "state": "DISPO", "since": at, "on_call": false, "logged_in": true},
		}
		if !jsonEqual(got.Agents, want) {
			t.Errorf("%s: agents %v, want %v", w.name, got.Agents, want)
		}
		wantQ := []map[string]any{{"id": 3.0, "name": "billing"}, {"id": 1.0, "name": "sales"}}
		if !jsonEqual(got.Queues, wantQ) {
			t.Errorf("%s: queues %v, want %v", w.name, got.Queues, wantQ)
		}
	}
	if rec := e.do(e.anon, "GET", "/api/v1/directory", ""); rec.Code != 401 {
		t.Errorf("anonymous: %d", rec.Code)
	}
}

// TestDirectoryWithoutQueues: a service without the queue store still
// lists the agents, and no queues.
func TestDirectoryWithoutQueues(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Queues = nil })
	rec := e.do(e.agent1, "GET", "/api/v1/directory", "")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := decodeBody[struct {
		Agents []colleague      `json:"agents"`
		Queues []directoryQueue `json:"queues"`
	}](t, rec)
	if len(got.Agents) != 2 || got.Queues == nil || len(got.Queues) != 0 {
		t.Fatalf("directory %+v", got)
	}
}

// TestDirectoryFollowsChanges: the records are reused for a few seconds,
// but a change made through the API shows at once.
func TestDirectoryFollowsChanges(t *testing.T) {
	e := newEnv(t)
	names := func() []string {
		t.Helper()
		rec := e.do(e.agent1, "GET", "/api/v1/directory", "")
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var out []string
		for _, a := range decodeBody[struct {
			Agents []colleague `json:"agents"`
		}](t, rec).Agents {
			out = append(out, a.Name)
		}
		for _, q := range decodeBody[struct {
			Queues []directoryQueue `json:"queues"`
		}](t, rec).Queues {
			out = append(out, "queue "+q.Name)
		}
		return out
	}
	check := func(when string, want ...string) {
		t.Helper()
		if got := names(); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", when, got, want)
		}
	}
	check("at first", "Ann", "Bob")
	// Written behind the server's back: seen once the records are old.
	must[dialer.Agent](t)(e.store.CreateAgent(t.Context(), dialer.Agent{Name: "Cy", Extension: "1003", Realm: "agentswitch", Mode: dialer.ModeRing}, "sip-secret-3"))
	check("within the TTL", "Ann", "Bob")
	e.clock.Advance(directoryTTL)
	check("after the TTL", "Ann", "Bob", "Cy")
	// Through the API: at once.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/v1/agents", `{"name":"Dee","extension":"1004","sip_password":"sip-pass-4"}`},
		{"PATCH", "/api/v1/agents/2", `{"disabled":true}`},
		{"POST", "/api/v1/queues", `{"name":"sales","active":true}`},
	} {
		if rec := e.do(e.admin, r.method, r.path, r.body); rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
	}
	check("after changes through the API", "Ann", "Cy", "Dee", "queue sales")
	if rec := e.do(e.admin, "DELETE", "/api/v1/queues/1", ""); rec.Code != 204 {
		t.Fatalf("delete queue: %d %s", rec.Code, rec.Body)
	}
	check("after the queue's deletion", "Ann", "Cy", "Dee")
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// BenchmarkDirectory1000: one workspace's read of a directory of 1,000
// agents, half of them logged in, through authentication.
func BenchmarkDirectory1000(b *testing.B) {
	e := newEnv(b)
	for i := range 998 {
		a := must[dialer.Agent](b)(e.store.CreateAgent(b.Context(), dialer.Agent{Name: fmt.Sprintf("Agent %04d", i), Extension: fmt.Sprintf("%d", 5000+i),
			Realm: "agentswitch", Mode: dialer.ModeRing}, "sip-secret-x"))
		if i%2 == 0 {
			e.eng.setAgent(dialer.AgentView{ID: a.ID, Name: a.Name, Extension: a.Extension, State: dialer.AgentReady, Since: t0})
		}
	}
	// The records read again for each request, as without the cache,
	// beside the cached case.
	for _, c := range []struct {
		name string
		age  time.Duration
	}{{"records-read-each-time", directoryTTL}, {"records-cached", 0}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.clock.Advance(c.age)
				if rec := e.do(e.agent1, "GET", "/api/v1/directory", ""); rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
