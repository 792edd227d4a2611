package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// TestConcurrentOriginates sends 500 bgapi originates at once, each with
// its own Job-UUID and origination_uuid, and checks every job reports its
// own answered channel.
func TestConcurrentOriginates(t *testing.T) {
	const n = 500
	cfg := fastConfig()
	cfg.AnswerDelay = 200 * time.Millisecond
	cfg.RingDelay = 50 * time.Millisecond
	s := startServer(t, cfg)
	ev := authed(t, s, "plain BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_PARK")
	cmd := authed(t, s, "")

	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "bgapi originate {origination_uuid=%s,ignore_early_media=true}sofia/gateway/gw/1555%07d &park()\nJob-UUID: %s\n\n",
			uuidN(i+1), i, jobN(i+1))
	}
	start := time.Now()
	if _, err := cmd.nc.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "500 replies", func() bool { return cmd.count() >= 2+n })
	sent := time.Since(start)
	waitFor(t, 20*time.Second, "500 jobs", func() bool {
		k := 0
		for _, e := range ev.events() {
			if e.Name() == "BACKGROUND_JOB" {
				k++
			}
		}
		return k >= n
	})
	total := time.Since(start)
	t.Logf("%d bgapi originates: acknowledged in %v, all answered after %v", n, sent, total)

	replies := cmd.snapshot()[2:]
	for i, f := range replies {
		if f.ReplyText() != "+OK Job-UUID: "+jobN(i+1) || f.Header.Get("Job-UUID") != jobN(i+1) {
			t.Fatalf("reply %d: %v", i, f.Header)
		}
	}
	seen := map[string]bool{}
	answered := map[string]bool{}
	for _, e := range ev.events() {
		switch e.Name() {
		case "BACKGROUND_JOB":
			job := e.JobUUID()
			var i int
			if _, err := fmt.Sscanf(job[24:], "%012x", &i); err != nil || seen[job] {
				t.Fatalf("job %q (seen %v)", job, seen[job])
			}
			seen[job] = true
			if want := "+OK " + uuidN(i) + "\n"; string(e.Body) != want {
				t.Errorf("job %s body %q, want %q", job, e.Body, want)
			}
		case "CHANNEL_ANSWER":
			answered[e.UniqueID()] = true
		}
	}
	if len(seen) != n || len(answered) != n {
		t.Errorf("%d jobs, %d answers", len(seen), len(answered))
	}
	if got := len(s.Channels()); got != n {
		t.Errorf("%d live channels", got)
	}
	if sent > time.Second {
		t.Errorf("500 originates took %v to be acknowledged (want 500/s)", sent)
	}
	// Tear everything down at once.
	cmd.api("hupall")
	waitFor(t, 20*time.Second, "all gone", func() bool { return len(s.Channels()) == 0 })
	if got := cmd.api("show channels as json"); got != "{\"row_count\": 0}\n" {
		t.Errorf("left: %.80s", got)
	}
}

func jobN(n int) string { return fmt.Sprintf("%08x-1111-4000-8000-%012x", n, n) }

// BenchmarkCallSetup measures full call setups (originate, answer, park,
// hangup) with one listener on every event.
func BenchmarkCallSetup(b *testing.B) {
	cfg := fastConfig()
	cfg.AnswerDelay = time.Millisecond
	cfg.RingDelay = time.Millisecond / 2
	s := startServer(b, cfg)
	ev := authed(b, s, "plain ALL")
	cmd := authed(b, s, "")
	_ = ev
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := uuidN(i + 1)
		if got := cmd.api("originate {origination_uuid=" + u + "}sofia/internal/sip:x@127.0.0.1 &park()"); !strings.HasPrefix(got, "+OK") {
			b.Fatal(got)
		}
		cmd.api("uuid_kill " + u)
	}
	b.StopTimer()
	waitFor(b, 10*time.Second, "events drained", func() bool {
		evs := ev.snapshot()
		if len(evs) == 0 {
			return false
		}
		last, err := esl.ParseEvent(evs[len(evs)-1].ContentType(), evs[len(evs)-1].Body)
		return err == nil && last.Name() == "CHANNEL_STATE" && last.Get("Channel-State") == "CS_DESTROY" && last.UniqueID() == uuidN(b.N)
	})
}
