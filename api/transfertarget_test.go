package api

import (
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
)

// TestTransferTargets: a transfer names exactly one of an agent, a queue
// or a number, and reaches the engine as read; a conference refuses a
// queue. Refusals name the field and never reach the engine.
func TestTransferTargets(t *testing.T) {
	e := newEnv(t)
	live := "/api/v1/calls/" + string(e.live1)
	cases := []struct {
		path, body string
		code       int
		field      string                 // of a refusal
		want       *dialer.TransferTarget // what the engine gets
	}{
		{"/transfer", `{"queue_id":3}`, 204, "", &dialer.TransferTarget{Queue: 3}},
		{"/transfer", `{"agent_id":2}`, 204, "", &dialer.TransferTarget{Agent: 2}},
		{"/transfer", `{"number":"212 555 0142"}`, 204, "", &dialer.TransferTarget{Number: "+12125550142"}},
		{"/transfer", `{}`, 400, "target", nil},
		{"/transfer", `{"agent_id":0,"queue_id":0,"number":""}`, 400, "target", nil},
		{"/transfer", `{"agent_id":2,"queue_id":3}`, 400, "target", nil},
		{"/transfer", `{"queue_id":3,"number":"2125550142"}`, 400, "target", nil},
		// Two targets are named before the number is read.
		{"/transfer", `{"queue_id":3,"number":"not a number"}`, 400, "target", nil},
		{"/transfer", `{"queue_id":-3}`, 400, "queue_id", nil},
		{"/transfer", `{"queue_id":"3"}`, 400, "queue_id", nil},
		{"/transfer", `{"queue_id":1.5}`, 400, "queue_id", nil},
		{"/transfer", `{"queue":3}`, 400, "queue", nil},
		{"/parties", `{"agent_id":2}`, 201, "", &dialer.TransferTarget{Agent: 2}},
		{"/parties", `{"queue_id":3}`, 400, "queue_id", nil},
		{"/parties", `{"queue_id":3,"agent_id":2}`, 400, "target", nil},
	}
	for _, c := range cases {
		e.eng.reset()
		rec := e.do(e.agent1, "POST", live+c.path, c.body)
		if rec.Code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.path, c.body, rec.Code, rec.Body, c.code)
			continue
		}
		method := map[string]string{"/transfer": "BlindTransfer", "/parties": "AddParty"}[c.path]
		got := e.eng.called(method)
		if c.want == nil {
			if f := errorOf(t, rec).Field; f != c.field {
				t.Errorf("%s %s: field %q, want %q", c.path, c.body, f, c.field)
			}
			if len(got) != 0 {
				t.Errorf("%s %s: refused, yet the engine was asked", c.path, c.body)
			}
			continue
		}
		if len(got) != 1 || got[0].Arg.(dialer.TransferTarget) != *c.want {
			t.Errorf("%s %s: engine got %+v, want %+v", c.path, c.body, got, *c.want)
		}
	}
}
