package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// addQueue stores a queue named after n, straight in the store.
func (e *testEnv) addQueue(n int) dialer.Queue {
	e.t.Helper()
	q := dialer.Queue{QueueSettings: dialer.DefaultQueueSettings()}
	q.Name = fmt.Sprintf("queue-%d", n)
	return must[dialer.Queue](e.t)(e.store.CreateQueue(e.t.Context(), q))
}

func TestQueueLifecycle(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/queues", `{"name":"sales","strategy":" Ring-All ","music":"local_stream://moh",
		"max_wait_seconds":120,"overflow":{"on_max_wait":true,"kind":"number","number":"(212) 555-0199"}}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	q := decodeJSON[dialer.Queue](t, rec.Body.Bytes())
	if q.ID == 0 || q.Strategy != "ring-all" || q.Overflow.Number != "+12125550199" || q.Version != 1 ||
		q.ServiceLevelSeconds != 20 || q.RingTimeoutSeconds != 20 || q.MaxNoAnswer != 3 || !q.Active {
		t.Fatalf("created %+v", q)
	}
	path := fmt.Sprintf("/api/v1/queues/%d", q.ID)

	if rec := e.do(e.sup, "GET", path, ""); rec.Code != 200 || decodeJSON[dialer.Queue](t, rec.Body.Bytes()) != q {
		t.Fatalf("get: %d %s", rec.Code, rec.Body)
	}
	list := decodeJSON[struct{ Queues []dialer.Queue }](t, e.do(e.sup, "GET", "/api/v1/queues", "").Body.Bytes())
	if len(list.Queues) != 1 || list.Queues[0] != q {
		t.Fatalf("list %+v", list)
	}

	// PATCH changes the fields given, over the version read.
	rec = e.do(e.admin, "PATCH", path, `{"version":1,"wrapup_seconds":30,"overflow":{"on_no_agents":true}}`)
	if rec.Code != 200 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	up := decodeJSON[dialer.Queue](t, rec.Body.Bytes())
	if up.Version != 2 || up.WrapUpSeconds != 30 || !up.Overflow.OnNoAgents || !up.Overflow.OnMaxWait || up.Music != q.Music {
		t.Fatalf("patched %+v", up)
	}
	wantStatus(t, e.do(e.admin, "PATCH", path, `{"version":1,"wrapup_seconds":40}`), http.StatusConflict, "")
	// A new overflow kind drops the old kind's target.
	rec = e.do(e.admin, "PATCH", path, `{"version":2,"overflow":{"kind":"callback"}}`)
	if rec.Code != 200 {
		t.Fatalf("patch kind: %d %s", rec.Code, rec.Body)
	}
	up = decodeJSON[dialer.Queue](t, rec.Body.Bytes())
	if up.Version != 3 || up.Overflow.Kind != dialer.OverflowCallback || up.Overflow.Number != "" || !up.Overflow.OnMaxWait {
		t.Fatalf("patched kind %+v", up)
	}

	// Members: the list replaces the last; positions follow the list.
	rec = e.do(e.admin, "PUT", path+"/members", `{"members":[{"agent_id":2,"rank":5,"skills":["billing"]},{"agent_id":1,"order":1}]}`)
	if rec.Code != 200 {
		t.Fatalf("members: %d %s", rec.Code, rec.Body)
	}
	ms := decodeJSON[struct{ Members []dialer.QueueMember }](t, e.do(e.sup, "GET", path+"/members", "").Body.Bytes()).Members
	if len(ms) != 2 || ms[0].Agent != 2 || ms[0].Position != 1 || ms[0].Rank != 5 || !slices.Equal(ms[0].Skills, []string{"billing"}) ||
		ms[1].Agent != 1 || ms[1].Position != 2 || ms[1].Order != 1 {
		t.Fatalf("members %+v", ms)
	}

	// An agent reads its own queues, not another's.
	rec = e.do(e.agent1, "GET", "/api/v1/agents/1/queues", "")
	mine := decodeJSON[struct {
		Queues []struct {
			QueueID int64 `json:"queue_id"`
			Name    string
			Order   int
		}
	}](t, rec.Body.Bytes())
	if rec.Code != 200 || len(mine.Queues) != 1 || mine.Queues[0].Name != "sales" || mine.Queues[0].Order != 1 {
		t.Fatalf("agent's queues: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.agent1, "GET", "/api/v1/agents/2/queues", ""), http.StatusForbidden, "")
	wantStatus(t, e.do(e.agent1, "GET", path, ""), http.StatusForbidden, "")

	// In use: a DID routes to it, or another queue overflows into it.
	other := e.do(e.admin, "POST", "/api/v1/queues", fmt.Sprintf(`{"name":"support","overflow":{"on_no_agents":true,"kind":"queue","queue_id":%d}}`, q.ID))
	if other.Code != http.StatusCreated {
		t.Fatalf("create support: %d %s", other.Code, other.Body)
	}
	wantStatus(t, e.do(e.admin, "DELETE", path, ""), http.StatusConflict, "")
	otherID := decodeJSON[dialer.Queue](t, other.Body.Bytes()).ID
	if rec := e.do(e.admin, "DELETE", fmt.Sprintf("/api/v1/queues/%d", otherID), ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete support: %d %s", rec.Code, rec.Body)
	}
	must[dialer.DID](t)(e.store.CreateDID(t.Context(), dialer.DID{Number: "+17185550100", Queue: "sales", Enabled: true}))
	wantStatus(t, e.do(e.admin, "DELETE", path, ""), http.StatusConflict, "")
	if err := e.store.DeleteDID(t.Context(), "+17185550100"); err != nil {
		t.Fatal(err)
	}
	if rec := e.do(e.admin, "DELETE", path, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	wantStatus(t, e.do(e.sup, "GET", path, ""), http.StatusNotFound, "")
	wantStatus(t, e.do(e.admin, "DELETE", path, ""), http.StatusNotFound, "")
	wantStatus(t, e.do(e.admin, "PUT", path+"/members", `{"members":[]}`), http.StatusNotFound, "")
	wantStatus(t, e.do(e.sup, "GET", path+"/members", ""), http.StatusNotFound, "")
	want := []string{"queue.create", "queue.update", "queue.update", "queue.members", "queue.create", "queue.delete", "queue.delete"}
	if got := changeAudit(e); !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
}

// Bad input names the field; nothing is written.
func TestQueueRefusals(t *testing.T) {
	e := newEnv(t)
	q := e.addQueue(1)
	path := fmt.Sprintf("/api/v1/queues/%d", q.ID)
	for _, c := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"POST", "/api/v1/queues", `{"strategy":"ring-all"}`, 400, "name"},
		{"POST", "/api/v1/queues", `{"name":"queue-1"}`, 409, "name"},
		{"POST", "/api/v1/queues", `{"name":"x","strategy":"fastest"}`, 400, "strategy"},
		{"POST", "/api/v1/queues", `{"name":"x","id":4}`, 400, "id"},
		{"POST", "/api/v1/queues", `{"name":"x","ring_timeout_seconds":"20"}`, 400, "ring_timeout_seconds"},
		{"POST", "/api/v1/queues", `{"name":"x","music":"moh.wav;hangup"}`, 400, "music"},
		{"POST", "/api/v1/queues", `{"name":"x","gap":{"min_seconds":9,"max_seconds":3}}`, 400, "gap.max_seconds"},
		{"POST", "/api/v1/queues", `{"name":"x","announce_seconds":30}`, 400, "announce_seconds"},
		{"POST", "/api/v1/queues", `{"name":"x","service_level_seconds":0}`, 400, "service_level_seconds"},
		{"POST", "/api/v1/queues", `{"name":"x","max_no_answer":500}`, 400, "max_no_answer"},
		{"POST", "/api/v1/queues", `{"name":"x","overflow":{"on_no_agents":true,"kind":"queue","queue_id":99}}`, 400, "overflow.queue_id"},
		{"POST", "/api/v1/queues", `{"name":"x","overflow":{"on_no_agents":true,"kind":"agent","agent_id":99}}`, 400, "overflow.agent_id"},
		{"POST", "/api/v1/queues", `{"name":"x","overflow":{"on_no_agents":true,"kind":"number","number":"12"}}`, 400, "overflow.number"},
		{"POST", "/api/v1/queues", `{"name":"x","overflow":{"on_max_wait":true,"kind":"callback"}}`, 400, "max_wait_seconds"},
		{"POST", "/api/v1/queues", `{"name":"x","overflow":{"on_no_agents":true,"kind":"voicemail","greeting":"a::b"}}`, 400, "overflow.greeting"},
		{"PATCH", path, `{"wrapup_seconds":5}`, 400, "version"},
		{"PATCH", path, `{"version":"1"}`, 400, "version"},
		{"PATCH", path, `{"version":1,"created_at":"2020-01-01T00:00:00Z"}`, 400, "created_at"},
		{"PATCH", path, fmt.Sprintf(`{"version":1,"overflow":{"on_no_agents":true,"kind":"queue","queue_id":%d}}`, q.ID), 400, "overflow.queue_id"},
		{"PATCH", path, `{"version":7,"wrapup_seconds":5}`, 409, ""},
		{"PATCH", path, `{"version":1,"overflow":3}`, 400, "overflow"},
		{"PATCH", "/api/v1/queues/999", `{"version":1}`, 404, ""},
		{"PATCH", "/api/v1/queues/x", `{"version":1}`, 400, "id"},
		{"PUT", path + "/members", `{}`, 400, "members"},
		{"PUT", path + "/members", `{"members":[{"agent_id":99}]}`, 400, "members[0].agent_id"},
		{"PUT", path + "/members", `{"members":[{"agent_id":1},{"agent_id":1}]}`, 400, "members[1].agent_id"},
		{"PUT", path + "/members", `{"members":[{"agent_id":1,"skills":["Bad Skill"]}]}`, 400, "members[0].skills[0]"},
		{"PUT", path + "/members", `{"members":[{"agent_id":1,"queue_id":99}]}`, 400, "members[0].queue_id"},
		{"GET", "/api/v1/agents/99/queues", "", 404, ""},
	} {
		t.Run(c.method+" "+c.body, func(t *testing.T) {
			before := e.fingerprint()
			wantStatus(t, e.do(e.admin, c.method, c.path, c.body), c.code, c.field)
			if e.fingerprint() != before {
				t.Fatal("refused, yet the database changed")
			}
		})
	}
}

// Without a queue store the routes answer 503, the rest of the API works.
func TestQueuesNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Queues = nil })
	wantStatus(t, e.do(e.admin, "GET", "/api/v1/queues", ""), http.StatusServiceUnavailable, "")
	wantStatus(t, e.do(e.agent1, "GET", "/api/v1/agents/1/queues", ""), http.StatusServiceUnavailable, "")
	if rec := e.do(e.admin, "GET", "/api/v1/gateways", ""); rec.Code != 200 {
		t.Fatalf("gateways: %d", rec.Code)
	}
}

// wantStatus checks an error answer: its status and the field it names
// ("" when it names none).
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, code int, field string) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, code)
	}
	if got := errorOf(t, rec); got.Field != field {
		t.Fatalf("field %q (%s), want %q", got.Field, got.Message, field)
	}
}
