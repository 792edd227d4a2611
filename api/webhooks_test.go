package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/notify/webhooks"
)

func (e *testEnv) addWebhook(n int) webhooks.Endpoint {
	e.t.Helper()
	return must[webhooks.Endpoint](e.t)(e.store.CreateWebhook(e.t.Context(), webhooks.Endpoint{
		URL: fmt.Sprintf("https://hooks.example.com/%d", n), Secret: webhooks.NewSecret(), Events: []string{"*"}, Active: true}))
}

// addWebhookDelivery enqueues an event for a new endpoint and returns its
// delivery.
func (e *testEnv) addWebhookDelivery(n int) webhooks.Delivery {
	e.t.Helper()
	ep := e.addWebhook(n)
	if err := e.opts.Webhooks.(*webhooks.Service).Emit(e.t.Context(), "call.ended", 0, map[string]int{"n": n}); err != nil {
		e.t.Fatal(err)
	}
	ds, _, err := e.store.WebhookDeliveries(e.t.Context(), ep.ID, webhooks.Page{Limit: 1})
	if err != nil || len(ds) != 1 {
		e.t.Fatalf("deliveries %v, %v", ds, err)
	}
	return ds[0]
}

func TestWebhookValidation(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, body, field string
	}{
		{"no url", `{"events":["*"]}`, "url"},
		{"not http", `{"url":"ftp://example.com/","events":["*"]}`, "url"},
		{"loopback", `{"url":"http://127.0.0.1:9000/","events":["*"]}`, "url"},
		{"metadata address", `{"url":"http://169.254.169.254/","events":["*"]}`, "url"},
		{"no events", `{"url":"https://hooks.example.com/","events":[]}`, "events"},
		{"bad event", `{"url":"https://hooks.example.com/","events":["CALL ENDED"]}`, "events"},
		{"negative widget", `{"url":"https://hooks.example.com/","events":["*"],"widget_id":-2}`, "widget_id"},
		{"unknown field", `{"url":"https://hooks.example.com/","events":["*"],"secret":"mine"}`, "secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(e.admin, "POST", "/api/v1/webhooks", c.body)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+c.field+`"`) {
				t.Fatalf("%d %s, want 400 naming %s", rec.Code, rec.Body, c.field)
			}
		})
	}
	ep := e.addWebhook(1)
	if rec := e.do(e.admin, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", ep.ID), `{"url":"http://10.0.0.5/"}`); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"url"`) {
		t.Fatalf("patch to a private address: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?offset=-1", ep.ID), ""); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"offset"`) {
		t.Fatalf("negative offset: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "GET", "/api/v1/webhooks/999", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("missing endpoint: %d %s", rec.Code, rec.Body)
	}
}

func TestWebhookLifecycle(t *testing.T) {
	e := newEnv(t)
	rec := e.do(e.admin, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/in","events":["call.ended","call.disposed"],"description":"CRM"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := decodeBody[struct {
		webhooks.Endpoint
		Secret string `json:"secret"`
	}](t, rec)
	if !strings.HasPrefix(created.Secret, "whsec_") || !created.Active || created.Description != "CRM" {
		t.Fatalf("created %+v", created)
	}
	path := fmt.Sprintf("/api/v1/webhooks/%d", created.ID)
	// The secret is shown when made, never again.
	for _, p := range []string{path, "/api/v1/webhooks"} {
		if rec := e.do(e.admin, "GET", p, ""); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), created.Secret) || strings.Contains(rec.Body.String(), `"secret"`) {
			t.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
		}
	}
	rec = e.do(e.admin, "POST", path+"/rotate-secret", "")
	rotated := decodeBody[struct {
		Secret string `json:"secret"`
	}](t, rec)
	if rec.Code != http.StatusOK || rotated.Secret == "" || rotated.Secret == created.Secret {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	if got := must[webhooks.Endpoint](t)(e.store.Webhook(t.Context(), created.ID)); got.Secret != rotated.Secret {
		t.Fatal("the rotated secret was not stored")
	}
	rec = e.do(e.admin, "PATCH", path, `{"active":false,"events":["*"]}`)
	if got := decodeBody[webhooks.Endpoint](t, rec); rec.Code != http.StatusOK || got.Active || got.Events[0] != "*" || got.URL != "https://hooks.example.com/in" {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	// An inactive endpoint is given nothing; active again, it is.
	svc := e.opts.Webhooks.(*webhooks.Service)
	if err := svc.Emit(t.Context(), "call.ended", 0, map[string]string{"id": "c1"}); err != nil {
		t.Fatal(err)
	}
	e.do(e.admin, "PATCH", path, `{"active":true}`)
	if err := svc.Emit(t.Context(), "call.ended", 0, map[string]string{"id": "c2"}); err != nil {
		t.Fatal(err)
	}
	type page struct {
		Deliveries []webhooks.Delivery
		Total      int
	}
	rec = e.do(e.admin, "GET", path+"/deliveries?limit=10", "")
	pg := decodeBody[page](t, rec)
	if rec.Code != http.StatusOK || pg.Total != 1 || len(pg.Deliveries) != 1 || !strings.Contains(string(pg.Deliveries[0].Payload), `"c2"`) {
		t.Fatalf("deliveries: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(e.admin, "POST", fmt.Sprintf("/api/v1/webhook-deliveries/%d/replay", pg.Deliveries[0].ID), "")
	if d := decodeBody[webhooks.Delivery](t, rec); rec.Code != http.StatusCreated || d.ReplayOf != pg.Deliveries[0].ID || d.State != webhooks.StatePending {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	if pg := decodeBody[page](t, e.do(e.admin, "GET", path+"/deliveries", "")); pg.Total != 2 {
		t.Fatalf("after replay: %+v", pg)
	}
	if rec := e.do(e.admin, "POST", "/api/v1/webhook-deliveries/9999/replay", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("replay of a missing delivery: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "DELETE", path, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(e.admin, "GET", path, ""); rec.Code != http.StatusNotFound {
		t.Fatalf("after delete: %d", rec.Code)
	}
	entries := must[[]dialer.AuditEntry](t)(e.store.ListAudit(t.Context(), dialer.AuditFilter{Action: "webhook.", Limit: 20}))
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"webhook.create", "webhook.rotate_secret", "webhook.update", "webhook.replay", "webhook.delete"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Fatalf("audit %v lacks %s", actions, want)
		}
	}
	if rec := e.do(e.admin, "GET", "/api/v1/audit?action=webhook.", ""); rec.Code != http.StatusOK {
		t.Fatalf("audit: %d", rec.Code)
	}
}
