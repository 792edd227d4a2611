package esl

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/esl/internal/transcript"
)

// TestReaderOnCapturedStreams frames every byte FreeSWITCH sent in every
// capture and parses every event, checking the frames against the capture's
// own record boundaries.
func TestReaderOnCapturedStreams(t *testing.T) {
	all, err := transcript.All()
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, tr := range all {
		for _, conn := range tr.Conns() {
			var want [][]byte
			for _, r := range tr.Records {
				if r.Dir == "in" && r.Conn == conn && !r.EOF {
					want = append(want, r.Bytes())
				}
			}
			rd := NewReader(bytes.NewReader(tr.Stream(conn)))
			for i, w := range want {
				f, err := rd.ReadFrame()
				if err != nil {
					t.Fatalf("%s/%s frame %d: %v", tr.Name, conn, i, err)
				}
				// The outbound connect reply is URL-encoded and has no Content-Type first.
				if f.ContentType() == "" {
					t.Fatalf("%s/%s frame %d: no Content-Type in %q", tr.Name, conn, i, w[:min(len(w), 200)])
				}
				if len(f.Body) > 0 && !bytes.HasSuffix(w, f.Body) {
					t.Fatalf("%s/%s frame %d: body does not end the record", tr.Name, conn, i)
				}
				switch f.ContentType() {
				case TypeEventPlain, TypeEventJSON:
					ev, err := ParseEvent(f.ContentType(), f.Body)
					if err != nil {
						t.Fatalf("%s/%s frame %d: %v", tr.Name, conn, i, err)
					}
					if ev.Name() == "" || ev.Sequence() == 0 || ev.CoreUUID() == "" {
						t.Fatalf("%s/%s frame %d: name=%q seq=%d core=%q", tr.Name, conn, i, ev.Name(), ev.Sequence(), ev.CoreUUID())
					}
					events++
				}
			}
			if _, err := rd.ReadFrame(); !errors.Is(err, io.EOF) {
				t.Fatalf("%s/%s: after last frame: %v", tr.Name, conn, err)
			}
		}
	}
	if events < 1000 {
		t.Fatalf("parsed only %d events", events)
	}
}

func TestPlainAndJSONAgree(t *testing.T) {
	// 03 (plain) and 04 (json) are the same scenario; their BACKGROUND_JOB and
	// CHANNEL_ANSWER events must decode to the same values for the same header.
	parse := func(name string) map[string]*Event {
		tr, err := transcript.Load(transcript.Dir() + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*Event{}
		rd := NewReader(bytes.NewReader(tr.Stream("events")))
		for {
			f, err := rd.ReadFrame()
			if err != nil {
				break
			}
			if ev, err := ParseEvent(f.ContentType(), f.Body); err == nil {
				if _, ok := out[ev.Name()]; !ok {
					out[ev.Name()] = ev
				}
			}
		}
		return out
	}
	plain, js := parse("03-lead-agent-plain.jsonl"), parse("04-lead-agent-json.jsonl")
	for _, name := range []string{EventChannelAnswer, EventBackgroundJob, EventChannelHangupComplete} {
		p, j := plain[name], js[name]
		if p == nil || j == nil {
			t.Fatalf("%s missing: plain=%v json=%v", name, p != nil, j != nil)
		}
		for _, h := range []string{"Caller-Caller-ID-Name", "Channel-Name", "Event-Date-Local", "variable_sip_full_via", "Job-Command-Arg"} {
			if p.Has(h) != j.Has(h) {
				t.Errorf("%s %s: present plain=%v json=%v", name, h, p.Has(h), j.Has(h))
			}
			if p.Has(h) && strings.ContainsAny(p.Get(h), "%") != strings.ContainsAny(j.Get(h), "%") {
				t.Errorf("%s %s: decoded plain=%q json=%q", name, h, p.Get(h), j.Get(h))
			}
		}
		if name == EventBackgroundJob && !strings.HasPrefix(string(p.Body), "+OK ") {
			t.Errorf("BACKGROUND_JOB body %q", p.Body)
		}
		if name == EventBackgroundJob && !strings.HasPrefix(string(j.Body), "+OK ") {
			t.Errorf("json BACKGROUND_JOB body %q", j.Body)
		}
	}
}

func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"sofia/internal/lead%40127.0.0.1%3A5091", "sofia/internal/lead@127.0.0.1:5091"},
		{"hello%20world%20%26%20more", "hello world & more"},
		{"100%", "100%"},
		{"%zz%4", "%zz%4"},
		{"a+b", "a+b"},
		{"%2B%0D%0A", "+\r\n"},
	} {
		if got := Unescape(tc.in); got != tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOtherLeg(t *testing.T) {
	ev := NewEvent(Header{{"Event-Name", "CHANNEL_UNBRIDGE"}, {"Unique-ID", "A"}, {"Bridge-A-Unique-ID", "A"}, {"Bridge-B-Unique-ID", "B"}}, nil)
	if got := ev.OtherLeg(); got != "B" {
		t.Fatalf("OtherLeg = %q", got)
	}
}

func FuzzParseEvent(f *testing.F) {
	all, err := transcript.All()
	if err != nil {
		f.Fatal(err)
	}
	seeds := 0
	for _, tr := range all {
		for _, r := range tr.Records {
			if r.Dir == "in" && seeds < 64 && len(r.Data) < 8000 {
				f.Add(r.Bytes())
				seeds++
			}
		}
	}
	f.Add([]byte("Content-Length: 5\nContent-Type: text/event-plain\n\nEvent-Name: X\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		for i := 0; i < 64; i++ {
			fr, err := rd.ReadFrame()
			if err != nil {
				return
			}
			ev, err := ParseEvent(fr.ContentType(), fr.Body)
			if err != nil {
				continue
			}
			_ = ev.Name() + ev.UniqueID() + ev.OtherLeg() + ev.String()
			_ = ev.Vars()
			_ = ev.Time()
		}
		// The parsers also see bare bodies.
		if ev, err := ParsePlainEvent(data); err == nil {
			_ = ev.Vars()
		}
		if ev, err := ParseJSONEvent(data); err == nil {
			_ = ev.Vars()
		}
	})
}

func TestLookalikeHeaders(t *testing.T) {
	// Conference PRESENCE_IN: the lowercase unique-id is the room, not a channel.
	ev, err := ParsePlainEvent([]byte("Event-Name: PRESENCE_IN\nEvent-Sequence: 7\nunique-id: wt-42\nvariable_Event-Name: REQUEST_PARAMS\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.UniqueID() != "" || ev.Name() != "PRESENCE_IN" {
		t.Fatalf("uuid=%q name=%q", ev.UniqueID(), ev.Name())
	}
	// Two header blocks in one event (hold music's COMMAND): the first wins.
	ev, err = ParsePlainEvent([]byte("Command: sendmsg x\nEvent-Name: COMMAND\nEvent-Sequence: 10\nEvent-Name: PRIVATE_COMMAND\nEvent-Sequence: 11\n\n"))
	if err != nil || ev.Name() != "COMMAND" || ev.Sequence() != 10 {
		t.Fatalf("%v name=%q seq=%d", err, ev.Name(), ev.Sequence())
	}
	ev, err = ParseJSONEvent([]byte(`{"Event-Name":"PRESENCE_IN","unique-id":"wt-42","Event-Subclass":"conference::maintenance"}`))
	if err != nil || ev.UniqueID() != "" || ev.Subclass() != "conference::maintenance" {
		t.Fatalf("json: %v uuid=%q", err, ev.UniqueID())
	}
	ev, _ = ParsePlainEvent([]byte("Event-Subclass: conference%3A%3Amaintenance\nEvent-Name: CUSTOM\nEvent-Sequence: 3\n\n"))
	if ev.Kind() != SubclassConference {
		t.Fatalf("kind %q", ev.Kind())
	}
}
