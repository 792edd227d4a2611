package svctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"
)

// Client is a session on the service's API (a cookie jar), as the
// workspace holds one.
type Client struct {
	// Base is the service's URL; paths are under Base/api/v1.
	Base string
	Name string
	User int64
	// Seat is the user's agent id, 0 without one.
	Seat int64
	HTTP *http.Client
}

// NewClient is a session that has not logged in.
func NewClient(base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Base: base, Name: "anonymous", HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// Login logs in as name on a new session.
func Login(base, name, password string) (*Client, error) {
	c := NewClient(base)
	var me struct {
		User  struct{ ID int64 }
		Agent *struct{ ID int64 }
	}
	st, raw, err := c.Do(http.MethodPost, "/auth/login", map[string]any{"username": name, "password": password}, &me)
	if err != nil || st != http.StatusOK {
		return nil, fmt.Errorf("login %s: %d %v %s", name, st, err, raw)
	}
	c.Name, c.User = name, me.User.ID
	if me.Agent != nil {
		c.Seat = me.Agent.ID
	}
	return c, nil
}

// Do sends body as JSON to Base/api/v1+path and decodes a JSON answer
// (an error's too) into out.
func (c *Client) Do(method, path string, body, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+"/api/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "agentswitch")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, raw, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw, nil
}

// Must fails the test unless the answer has the status.
func (c *Client) Must(t testing.TB, method, path string, body any, status int, out any) {
	t.Helper()
	st, raw, err := c.Do(method, path, body, out)
	if err != nil || st != status {
		t.Fatalf("%s %s as %s: %d %v, want %d: %s", method, path, c.Name, st, err, status, raw)
	}
}

// Cookies are the session's cookies (for the event stream's WebSocket).
func (c *Client) Cookies() []*http.Cookie {
	u, _ := url.Parse(c.Base)
	return c.HTTP.Jar.Cookies(u)
}

// Party is a leg of a live call.
type Party struct {
	Leg   string `json:"leg_id"`
	Role  string `json:"role"`
	State string `json:"state"`
}

// CallView is a live call as the workspace shows it.
type CallView struct {
	ID        string  `json:"id"`
	State     string  `json:"state"`
	Agent     int64   `json:"agent_id"`
	Campaign  int64   `json:"campaign_id"`
	Held      bool    `json:"held"`
	Muted     bool    `json:"muted"`
	Recording bool    `json:"recording"`
	AgentLeft bool    `json:"agent_left"`
	Parties   []Party `json:"parties"`
}

// Leg is the id of the call's live leg with that role ("" if none).
func (v CallView) Leg(role string) string {
	for _, p := range v.Parties {
		if p.Role == role && p.State != "gone" {
			return p.Leg
		}
	}
	return ""
}

// View is the live view of a call (zero once it has ended).
func (c *Client) View(t testing.TB, id string) CallView {
	t.Helper()
	var d struct{ View *CallView }
	c.Must(t, http.MethodGet, "/calls/"+id, nil, http.StatusOK, &d)
	if d.View == nil {
		return CallView{}
	}
	return *d.View
}

// WaitCall waits for the call to reach state.
func (c *Client) WaitCall(t testing.TB, id, state string) CallView {
	t.Helper()
	var v CallView
	Eventually(t, "call "+id+" "+state, func() bool { v = c.View(t, id); return v.State == state })
	return v
}

// AgentState is an agent's state (READY, INCALL...).
func (c *Client) AgentState(t testing.TB, seat int64) string {
	t.Helper()
	var a struct{ State string }
	c.Must(t, http.MethodGet, fmt.Sprintf("/agents/%d", seat), nil, http.StatusOK, &a)
	return a.State
}

// WaitState waits for the session's own seat to reach state.
func (c *Client) WaitState(t testing.TB, state string) {
	t.Helper()
	Eventually(t, c.Name+" "+state, func() bool { return c.AgentState(t, c.Seat) == state })
}

// Record is the stored record of a call, its legs and its timeline.
type Record struct {
	Call struct {
		State       string `json:"state"`
		Direction   string `json:"direction"`
		FromNumber  string `json:"from_number"`
		ToNumber    string `json:"to_number"`
		Outcome     string `json:"outcome"`
		HangupCause string `json:"hangup_cause"`
		Disposition string `json:"disposition"`
		Agent       int64  `json:"agent_id"`
		Billsec     int    `json:"billsec"`
		Recording   string `json:"recording_path"`
		// SwitchLost and BillsecEstimated: the switch died under the call.
		SwitchLost       bool      `json:"switch_lost"`
		BillsecEstimated bool      `json:"billsec_estimated"`
		AnsweredAt       time.Time `json:"answered_at"`
		EndedAt          time.Time `json:"ended_at"`
	} `json:"record"`
	Legs     []map[string]any `json:"legs"`
	Timeline []struct {
		Kind string `json:"kind"`
	} `json:"timeline"`
}

// Kinds lists the timeline's kinds in order.
func (r Record) Kinds() []string {
	var out []string
	for _, e := range r.Timeline {
		out = append(out, e.Kind)
	}
	return out
}

// Record waits for the call to end and returns its record.
func (c *Client) Record(t testing.TB, id string) Record {
	t.Helper()
	var r Record
	Eventually(t, "call record "+id+" ended", func() bool {
		r = Record{}
		st, _, err := c.Do(http.MethodGet, "/calls/"+id, nil, &r)
		return err == nil && st == http.StatusOK && r.Call.State == "ended"
	})
	return r
}

// Eventually polls cond (state the service has no push for, to a test)
// until it holds, for up to 20 s.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// Subsequence checks want appears in list in order.
func Subsequence(t testing.TB, what string, list []string, want ...string) {
	t.Helper()
	i := 0
	for _, x := range list {
		if i < len(want) && x == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s %v lacks %v in order (stopped at %q)", what, list, want, want[i])
	}
}
