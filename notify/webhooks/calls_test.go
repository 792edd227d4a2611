package webhooks_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/notify/webhooks"
)

// liveFeed stands for the engine's event stream.
type liveFeed struct{ ch chan dialer.LiveEvent }

func (l liveFeed) Subscribe(context.Context, dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error) {
	return dialer.LiveSnapshot{}, l.ch, nil
}

type callRecords map[dialer.CallID]dialer.Call

func (c callRecords) Call(_ context.Context, id dialer.CallID) (dialer.Call, error) {
	rec, ok := c[id]
	if !ok {
		return rec, dialer.ErrNotFound
	}
	return rec, nil
}

func TestFollowCallsEmitsCallEvents(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, f.clk, 200)
	e := f.endpoint(r, "call.started", "call.answered", "call.ended", "call.disposed")
	id := dialer.NewCallID()
	v := dialer.CallView{ID: id, Direction: dialer.Outbound, Origin: dialer.OriginAPI, Number: "+12125550101", CallerID: "+12125550000",
		Agent: 3, Campaign: 2, Lead: 7, CreatedAt: t0, State: dialer.LiveRinging}
	answered, ended := v, v
	answered.AnsweredAt = t0.Add(5 * time.Second)
	ended.AnsweredAt, ended.EndedAt, ended.Outcome, ended.HangupCause = answered.AnsweredAt, t0.Add(65*time.Second), dialer.OutcomeAnswered, "NORMAL_CLEARING"
	feed := liveFeed{ch: make(chan dialer.LiveEvent, 8)}
	for _, ev := range []dialer.LiveEvent{
		{Type: dialer.EvCallCreated, CallView: &v},
		{Type: dialer.EvAgentState},
		{Type: dialer.EvCallRinging, CallView: &v},
		{Type: dialer.EvCallAnswered, CallView: &answered},
		{Type: dialer.EvCallEnded, CallView: &ended},
		{Type: dialer.EvCallDisposed, CallView: &ended},
	} {
		feed.ch <- ev
	}
	close(feed.ch)
	ctx, stop := context.WithCancel(t.Context())
	recs := callRecords{id: {ID: id, FromNumber: "+12125550000", ToNumber: "+12125550101", Billsec: 60, Disposition: "SALE", RecordingPath: "/rec/x.wav"}}
	done := make(chan struct{})
	go func() { f.svc.FollowCalls(ctx, subscribeOnce{feed, stop, new(int)}, recs); close(done) }()
	<-done
	ds := f.deliveries(e)
	want := []string{"call.disposed", "call.ended", "call.answered", "call.started"}
	if len(ds) != len(want) {
		t.Fatalf("deliveries %+v", ds)
	}
	for i, d := range ds {
		if d.Event != want[i] {
			t.Fatalf("delivery %d is %s, want %s", i, d.Event, want[i])
		}
	}
	var env struct {
		Data webhooks.CallPayload `json:"data"`
	}
	if err := json.Unmarshal(ds[1].Payload, &env); err != nil {
		t.Fatal(err)
	}
	p := env.Data
	if p.ID != id || p.Agent != 3 || p.Campaign != 2 || p.Outcome != dialer.OutcomeAnswered || p.HangupCause != "NORMAL_CLEARING" ||
		p.DurationSeconds != 65 || p.TalkSeconds != 60 || p.Billsec != 60 || p.Disposition != "SALE" ||
		p.ToNumber != "+12125550101" || p.Recording != "/api/v1/calls/"+string(id)+"/recording" {
		t.Fatalf("call.ended payload %+v", p)
	}
}

// subscribeOnce hands out the feed; asked again (the feed ended), it
// ends the follower as a stopping service does.
type subscribeOnce struct {
	feed liveFeed
	stop context.CancelFunc
	n    *int
}

func (s subscribeOnce) Subscribe(ctx context.Context, f dialer.LiveFilter) (dialer.LiveSnapshot, <-chan dialer.LiveEvent, error) {
	if *s.n++; *s.n > 1 {
		s.stop()
		closed := make(chan dialer.LiveEvent)
		close(closed)
		return dialer.LiveSnapshot{}, closed, nil
	}
	return s.feed.Subscribe(ctx, f)
}
