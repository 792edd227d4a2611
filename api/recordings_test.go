package api

import (
	"bytes"
	"encoding/binary"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
)

// testWAV is a mono 8 kHz 16-bit WAV of n samples whose bytes all differ
// in position, so a wrong range shows.
func testWAV(n int) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(8000))
	le(uint32(16000))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(i * 37))
	}
	return b.Bytes()
}

// recordedAt writes an ended call of agent to lead 1 whose record names
// path.
func (e *testEnv) recordedAt(agent dialer.AgentID, path string) dialer.CallID {
	e.t.Helper()
	ctx := e.t.Context()
	id := dialer.NewCallID()
	at := t0.Add(-30 * time.Minute)
	must[dialer.Call](e.t)(e.store.CreateCall(ctx, dialer.Call{ID: id, Direction: dialer.Outbound, Origin: dialer.OriginAPI,
		Campaign: e.campaign.ID, Lead: e.lead1.ID, Agent: agent, ToNumber: "+12125550101", CreatedAt: at},
		dialer.CallLeg{ID: dialer.NewLegID(), Role: dialer.LegLead, Endpoint: "sofia/gateway/gw/+12125550101", CreatedAt: at}))
	must[dialer.Call](e.t)(e.store.FinishCall(ctx, dialer.CallEnd{Call: id, At: at.Add(time.Minute), HangupCause: "NORMAL_CLEARING",
		Outcome: dialer.OutcomeAnswered, Billsec: 55, RecordingPath: path}))
	return id
}

// recordingOf writes data where the engine records a call of agent
// (<dir>/YYYY/MM/DD/<call>.wav) and the call's record naming it.
func (e *testEnv) recordingOf(agent dialer.AgentID, data []byte) dialer.CallID {
	e.t.Helper()
	dir := filepath.Join(e.opts.RecordingsDir, "2026", "11", "20")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		e.t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "*.wav")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		e.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		e.t.Fatal(err)
	}
	return e.recordedAt(agent, f.Name())
}

// recordedCall is agent 1's recorded call, made once.
func (e *testEnv) recordedCall() dialer.CallID {
	if e.recorded == "" {
		e.recorded = e.recordingOf(1, testWAV(200))
	}
	return e.recorded
}

func (e *testEnv) getRange(w who, path, rng string) *httptest.ResponseRecorder {
	req := e.request(w, http.MethodGet, path, "")
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	rec := httptest.NewRecorder()
	e.srv.Echo().ServeHTTP(rec, req)
	return rec
}

func TestRecordingServed(t *testing.T) {
	e := newEnv(t)
	data := testWAV(500)
	id := e.recordingOf(1, data)
	path := "/api/v1/calls/" + string(id) + "/recording"
	inline := `inline; filename=call-` + string(id) + `.wav`
	for _, c := range []struct {
		name, query, rng string
		w                who
		code             int
		body             []byte
		disp, cr         string
	}{
		{name: "whole, by its agent", w: e.agent1, code: 200, body: data, disp: inline},
		{name: "whole, by a supervisor", w: e.sup, code: 200, body: data, disp: inline},
		{name: "whole, by an admin key", w: e.keyAdmin, code: 200, body: data, disp: inline},
		{name: "a range", w: e.agent1, rng: "bytes=44-143", code: 206, body: data[44:144], disp: inline, cr: "bytes 44-143/1044"},
		{name: "the last bytes", w: e.agent1, rng: "bytes=-10", code: 206, body: data[len(data)-10:], cr: "bytes 1034-1043/1044"},
		{name: "open-ended range", w: e.agent1, rng: "bytes=1000-", code: 206, body: data[1000:], cr: "bytes 1000-1043/1044"},
		{name: "download", w: e.agent1, query: "?download=1", code: 200, body: data, disp: `attachment; filename=call-` + string(id) + `.wav`},
		{name: "download=0 plays", w: e.agent1, query: "?download=0", code: 200, body: data, disp: inline},
		{name: "range past the end", w: e.agent1, rng: "bytes=5000-6000", code: http.StatusRequestedRangeNotSatisfiable},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := e.getRange(c.w, path+c.query, c.rng)
			if rec.Code != c.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, c.code)
			}
			if c.body != nil && !bytes.Equal(rec.Body.Bytes(), c.body) {
				t.Fatalf("body: %d bytes, want %d", rec.Body.Len(), len(c.body))
			}
			h := rec.Header()
			if c.code < 300 && (h.Get("Content-Type") != "audio/wav" || h.Get("Accept-Ranges") != "bytes") {
				t.Fatalf("headers %v", h)
			}
			if c.disp != "" && h.Get("Content-Disposition") != c.disp {
				t.Fatalf("Content-Disposition %q, want %q", h.Get("Content-Disposition"), c.disp)
			}
			if c.cr != "" && h.Get("Content-Range") != c.cr {
				t.Fatalf("Content-Range %q, want %q", h.Get("Content-Range"), c.cr)
			}
		})
	}
	if rec := e.do(e.agent1, http.MethodGet, path+"?download=yes", ""); rec.Code != 400 || errorOf(t, rec).Field != "download" {
		t.Fatalf("download=yes: %d %s", rec.Code, rec.Body)
	}
	// Another agent's recording is refused as its call is.
	if rec := e.do(e.agent2, http.MethodGet, path, ""); rec.Code != http.StatusForbidden || bytes.Contains(rec.Body.Bytes(), data[44:80]) {
		t.Fatalf("agent 2: %d", rec.Code)
	}
}

// TestRecordingRefused: the path comes from the record and is served only
// from inside the recordings directory; nothing else is read.
func TestRecordingRefused(t *testing.T) {
	e := newEnv(t)
	dir := e.opts.RecordingsDir
	secret := append(testWAV(50), "top secret"...)
	outside := filepath.Join(t.TempDir(), "secret.wav")
	if err := os.WriteFile(outside, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	// A file next to the directory, reached by "..".
	sibling := filepath.Join(filepath.Dir(dir), "sibling-"+filepath.Base(dir)+".wav")
	if err := os.WriteFile(sibling, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sibling) })
	if err := os.Symlink(outside, filepath.Join(dir, "link.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir.wav"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, msg string
	}{
		{"no recording", "", "this call has no recording"},
		{"file gone", filepath.Join(dir, "2026/11/20/gone.wav"), "recording file is not in the recordings directory"},
		{"outside the directory", outside, "not in the recordings directory"},
		{"dot-dot out of the directory", filepath.Join(dir, "2026") + "/../../" + filepath.Base(sibling), "not in the recordings directory"},
		{"relative dot-dot", "../" + filepath.Base(sibling), "not in the recordings directory"},
		{"symlink to a file outside", filepath.Join(dir, "link.wav"), "not in the recordings directory"},
		{"through a symlinked directory", filepath.Join(dir, "linkdir", "secret.wav"), "not in the recordings directory"},
		{"a directory", filepath.Join(dir, "adir.wav"), "not in the recordings directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := e.recordedAt(1, c.path)
			for _, w := range []who{e.agent1, e.admin} {
				rec := e.do(w, http.MethodGet, "/api/v1/calls/"+string(id)+"/recording", "")
				if rec.Code != http.StatusNotFound || bytes.Contains(rec.Body.Bytes(), []byte("top secret")) {
					t.Fatalf("%s: %d %s", w.name, rec.Code, rec.Body)
				}
				if got := errorOf(t, rec); !strings.Contains(got.Message, c.msg) {
					t.Fatalf("%s: message %q, want %q", w.name, got.Message, c.msg)
				}
			}
		})
	}
	// A live call not yet written down has no recording to serve.
	if rec := e.do(e.agent1, http.MethodGet, "/api/v1/calls/"+string(e.live1)+"/recording", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("live call: %d %s", rec.Code, rec.Body)
	}
	// The request names a call, never a file.
	for _, p := range []string{"..%2F..%2Fetc%2Fpasswd", "not-a-call"} {
		if rec := e.do(e.admin, http.MethodGet, "/api/v1/calls/"+p+"/recording", ""); rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound {
			t.Fatalf("call %s: %d %s", p, rec.Code, rec.Body)
		}
	}
	if rec := e.do(e.admin, http.MethodGet, "/api/v1/calls/"+string(dialer.NewCallID())+"/recording", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown call: %d %s", rec.Code, rec.Body)
	}
}

func TestRecordingsNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RecordingsDir = "" })
	id := e.recordedAt(1, "/var/lib/agentswitch/recordings/x.wav")
	rec := e.do(e.agent1, http.MethodGet, "/api/v1/calls/"+string(id)+"/recording", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(errorOf(t, rec).Message, "no recordings directory") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// TestHistoryRecordings: the History tab marks the calls with a
// recording, and none when recordings are not served.
func TestHistoryRecordings(t *testing.T) {
	for _, dir := range []bool{true, false} {
		var e *testEnv
		var id dialer.CallID
		if dir {
			e = newEnv(t)
			id = e.recordingOf(1, testWAV(10))
		} else {
			e = newEnv(t, func(o *Options) { o.RecordingsDir = "" })
			id = e.recordedAt(1, "/var/lib/agentswitch/recordings/x.wav")
		}
		for _, w := range []who{e.agent1, e.sup} {
			rec := e.do(w, http.MethodGet, "/api/v1/agents/1/history", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", w.name, rec.Code, rec.Body)
			}
			got := map[dialer.CallID]bool{}
			for _, h := range decodeBody[struct{ Calls []historyItem }](t, rec).Calls {
				got[h.CallID] = h.Recording
			}
			if want := map[dialer.CallID]bool{id: dir, e.rec1: false}; !maps.Equal(got, want) {
				t.Fatalf("%s, served %v: %v, want %v", w.name, dir, got, want)
			}
		}
	}
}
