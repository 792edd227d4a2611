package browser

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/notify/webhooks"
)

// webhookReceiver is an integrator's endpoint on 127.0.0.1: it keeps what
// the service posts.
type webhookReceiver struct {
	url string
	mu  sync.Mutex
	got []webhookPost
}

type webhookPost struct {
	event, delivery, signature string
	body                       []byte
	at                         time.Time
}

func startWebhookReceiver(t *testing.T) *webhookReceiver {
	r := &webhookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, webhookPost{event: req.Header.Get(webhooks.HeaderEvent), delivery: req.Header.Get(webhooks.HeaderDelivery),
			signature: req.Header.Get(webhooks.HeaderSignature), body: body, at: time.Now()})
		r.mu.Unlock()
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/agentswitch"
	return r
}

func (r *webhookReceiver) posts() []webhookPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhookPost(nil), r.got...)
}

// request answers the scenario's "webhook-received": how many posts of an
// event arrived.
func (r *webhookReceiver) request(req map[string]string) (map[string]string, bool) {
	if req["do"] != "webhook-received" {
		return nil, false
	}
	n := 0
	for _, p := range r.posts() {
		if p.event == req["event"] {
			n++
		}
	}
	return map[string]string{"count": strconv.Itoa(n)}, true
}

// webhookResult is what admin_day.mjs reports of its webhook steps.
type webhookResult struct {
	ID       int64  `json:"id"`
	Secret   string `json:"secret"`
	Replayed int64  `json:"replayed"`
}

// checkWebhooks: every post the receiver got is signed with the secret
// the page showed once; the replayed delivery arrived twice under two
// delivery ids; the endpoint's log says delivered.
func checkWebhooks(t *testing.T, adm *client, r *webhookReceiver, res webhookResult) {
	t.Helper()
	if res.ID == 0 || res.Secret == "" || res.Replayed == 0 {
		t.Fatalf("webhook result %+v", res)
	}
	posts := r.posts()
	bodies := map[string][]string{}
	for _, p := range posts {
		if err := webhooks.Verify(res.Secret, p.signature, p.body, p.at); err != nil {
			t.Fatalf("post %s (%s): %v", p.delivery, p.event, err)
		}
		bodies[string(p.body)] = append(bodies[string(p.body)], p.delivery)
	}
	replayed := false
	for _, ids := range bodies {
		replayed = replayed || len(ids) == 2 && ids[0] != ids[1]
	}
	if !replayed {
		t.Fatalf("no body arrived twice under two delivery ids: %v", bodies)
	}
	var page struct {
		Deliveries []webhooks.Delivery
	}
	adm.do(t, http.MethodGet, fmt.Sprintf("/webhooks/%d/deliveries", res.ID), nil, &page)
	for _, d := range page.Deliveries {
		if d.ID == res.Replayed && (d.State != webhooks.StateDelivered || len(d.Log) != 1 || d.Log[0].Status != 200 || d.Log[0].Response != "thanks") {
			t.Fatalf("the replay's log %+v", d)
		}
	}
}
