package sim

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// rawConn is a byte-level client for exact-bytes checks.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func rawDial(t *testing.T, s *Server) *rawConn {
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) write(s string) {
	if _, err := r.nc.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// expect reads exactly len(want) bytes and compares them.
func (r *rawConn) expect(want string) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r.br, got); err != nil {
		r.t.Fatalf("reading %q: %v (got %q)", want, err, got)
	}
	if string(got) != want {
		r.t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func (r *rawConn) expectEOF() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := r.br.ReadByte()
	if err != io.EOF {
		r.t.Fatalf("want EOF, got %q %v", b, err)
	}
}

const notice = "Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

func TestAuthBytes(t *testing.T) {
	s := startServer(t, Config{})
	t.Run("ok", func(t *testing.T) {
		c := rawDial(t, s)
		c.expect("Content-Type: auth/request\n\n")
		c.write("auth ClueCon\n\n")
		c.expect("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
		c.write("api uuid_exists 00000000-0000-4000-8000-000000000000\n\n")
		c.expect("Content-Type: api/response\nContent-Length: 5\n\nfalse")
		c.write("exit\n\n")
		c.expect("Content-Type: command/reply\nReply-Text: +OK bye\n\n" + notice)
		c.expectEOF()
	})
	t.Run("fail", func(t *testing.T) {
		c := rawDial(t, s)
		c.expect("Content-Type: auth/request\n\n")
		c.write("auth WrongPassword\n\n")
		c.expect("Content-Type: command/reply\nReply-Text: -ERR invalid\n\n" + notice)
		c.expectEOF()
	})
	t.Run("before auth", func(t *testing.T) {
		c := rawDial(t, s)
		c.expect("Content-Type: auth/request\n\n")
		for _, cmd := range []string{"api status", "event plain ALL", "hello"} {
			c.write(cmd + "\n\n")
			c.expect("Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
		}
		// \r\n line ends and leading blank lines are accepted, as by FreeSWITCH.
		c.write("\r\n\r\nauth ClueCon\r\n\r\n")
		c.expect("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
	})
	t.Run("custom password", func(t *testing.T) {
		s2 := startServer(t, Config{Password: "s3cret"})
		c := rawDial(t, s2)
		c.expect("Content-Type: auth/request\n\n")
		c.write("auth s3cret\n\n")
		c.expect("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
	})
}

func TestSocketCommandReplies(t *testing.T) {
	s := startServer(t, Config{})
	c := authed(t, s, "")
	for _, tc := range []struct{ cmd, want string }{
		{"noevents", "-ERR not listening for events"},
		{"nixevent CHANNEL_CREATE", "+OK events nixed"},
		{"event plain", "-ERR no keywords supplied"},
		{"event bogusformat ALL", "+OK event listener enabled plain"},
		{"event plain NOT_AN_EVENT", "-ERR no keywords supplied"},
		{"event json CHANNEL_ANSWER", "+OK event listener enabled json"},
		{"filter Unique-ID 00000000-0000-4000-8000-000000000000", "+OK filter added. [Unique-ID]=[00000000-0000-4000-8000-000000000000]"},
		{"filter delete Unique-ID 00000000-0000-4000-8000-000000000000", "+OK filter deleted. [Unique-ID][00000000-0000-4000-8000-000000000000]"},
		{"filter delete all", "+OK filter deleted. [all][]"},
		{"noevents", "+OK no longer listening for events"},
		{"log 7", "+OK log level 7 [7]"},
		{"nolog", "+OK no longer logging"},
		{"myevents 00000000-0000-4000-8000-000000000000", "+OK Events Enabled"},
		{"myevents 00000000-0000-4000-8000-000000000000", "-ERR aready enabled."},
		{"divert_events on", "-ERR not controlling a session."},
		{"linger", "-ERR not controlling a session"},
		{"linger 10", "-ERR not controlling a session"},
		{"nolinger", "-ERR not controlling a session"},
		{"getvar foo", "-ERR command not found"},
		{"resume", "-ERR command not found"},
		{"foo", "-ERR command not found"},
		{"sendmsg 00000000-0000-4000-8000-000000000000\ncall-command: hangup", "-ERR invalid session id [00000000-0000-4000-8000-000000000000]"},
	} {
		if got := c.cmd(tc.cmd).ReplyText(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if got := c.cmd("sendevent CUSTOM\nEvent-Subclass: x::y").ReplyText(); !strings.HasPrefix(got, "+OK ") || esl.ValidateUUID("uuid", got[4:]) != nil {
		t.Errorf("sendevent: %q", got)
	}
}

func TestAPIReplyStrings(t *testing.T) {
	s := startServer(t, Config{})
	s.SetUser("1001", false)
	s.RemoveUser("1099")
	c := authed(t, s, "")
	const bogus = "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct{ cmd, want string }{
		{"show channels as json", "{\"row_count\": 0}\n"},
		{"show calls as json", "{\"row_count\": 0}\n"},
		{"show channels", "\n0 total.\n"},
		{"uuid_exists " + bogus, "false"},
		{"uuid_kill " + bogus, "-ERR No such channel!\n"},
		{"uuid_getvar " + bogus + " some_var", "-ERR No such channel!\n"},
		{"uuid_bridge " + bogus + " 00000000-0000-4001-8000-000000000000", "-ERR Invalid uuid\n"},
		{"uuid_transfer " + bogus + " 9664 XML default", "-ERR No such channel!\n"},
		{"uuid_hold " + bogus, "+OK Success\n"},
		{"uuid_hold off " + bogus, "+OK Success\n"},
		{"nosuchcommand", "-ERR nosuchcommand Command not found!\n"},
		{"nosuchcommand with some args", "-ERR nosuchcommand Command not found!\n"},
		{"originate error/USER_BUSY &park()", "-ERR USER_BUSY\n"},
		{"originate user/1099 &park()", "-ERR SUBSCRIBER_ABSENT\n"},
		{"originate user/1001 &park()", "-ERR USER_NOT_REGISTERED\n"},
		{"originate", originateUsage},
		{"originate foo/bar &park()", "-ERR CHAN_NOT_IMPLEMENTED\n"},
		{"version", "FreeSWITCH Version 1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit (git cc93a68 2026-08-21 14:10:14Z 64bit)\n"},
		{"conference nosuch list", "-ERR Conference nosuch not found\n"},
		{"conference list", "+OK No active conferences.\n"},
		{"reloadxml", "+OK [Success]\n"},
		{"global_getvar core_uuid", s.CoreUUID()},
		{"sofia profile carriers rescan", "Reload XML [Success]\n+OK scan complete\n"},
		{"sofia profile carriers killgw nosuch", "-ERR no such gateway.\n"},
		{"sofia profile agents flush_inbound_reg 1001@pbx.example.com reboot", "+OK\n"},
	} {
		if got := c.api(tc.cmd); got != tc.want {
			t.Errorf("api %s:\n got  %q\n want %q", tc.cmd, got, tc.want)
		}
	}
	if st := c.api("status"); !strings.HasPrefix(st, "UP 0 years, ") || !strings.Contains(st, "FreeSWITCH (Version 1.11.3-dev git cc93a68 2026-08-21 14:10:14Z 64bit) is ready\n") {
		t.Errorf("status: %q", st)
	}
}

func TestURLEncoding(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"hello world & more", "hello%20world%20%26%20more"},
		{"sofia/internal/lead@127.0.0.1:5091", "sofia/internal/lead%40127.0.0.1%3A5091"},
		{"fd00::2", "fd00%3A%3A2"},
		{"2026-11-22 11:58:59", "2026-11-22%2011%3A58%3A59"},
		{`"#%&+:;<=>?@[\]^` + "`{|}", "%22%23%25%26%2B%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D"},
		{"/()!$'*,-._~", "/()!$'*,-._~"},
		{"a\r\nb", "a%0D%0Ab"},
		{"\x01\x7f\xc3\xa9", "%01%7F%C3%A9"},
		{"100%41", "100%41"}, // an existing %XX (upper-case hex) is kept
		{"100%4a", "100%254a"},
		{"50%", "50%25"},
		{"%2", "%252"},
		{"+OK\n", "%2BOK%0A"},
	} {
		if got := urlEncode(tc.in); got != tc.want {
			t.Errorf("urlEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Empty values go out as _undef_; the esl package reads it back.
	e := &event{hdr: []field{{Name: "Event-Name", Value: "X"}, {Name: "Empty", Value: ""}}}
	if got := string(e.frame(false)); !strings.Contains(got, "\nEmpty: _undef_\n") {
		t.Errorf("empty value: %q", got)
	}
	ev, err := esl.ParsePlainEvent([]byte(strings.SplitN(string(e.frame(false)), "\n\n", 2)[1]))
	if err != nil || ev.Get("Empty") != "_undef_" {
		t.Errorf("parse: %v %q", err, ev.Get("Empty"))
	}
}

func TestEventFraming(t *testing.T) {
	s := startServer(t, Config{})
	plain := authed(t, s, "plain CUSTOM test::x")
	js := authed(t, s, "json CUSTOM test::x")
	s.EmitEvent("CUSTOM", "test::x", []esl.Field{{Name: "Quote", Value: `say "hi" & <go>`}, {Name: "Lines", Value: "a\nb"}}, "body\nline")

	f, _ := plain.nextWhere(3, func(f *esl.Frame) bool { return f.ContentType() == esl.TypeEventPlain })
	if f.Header[0].Name != "Content-Length" || f.Header[1].Name != "Content-Type" {
		t.Errorf("plain outer headers %v", f.Header)
	}
	body := string(f.Body)
	if !strings.HasPrefix(body, "Event-Subclass: test%3A%3Ax\nEvent-Name: CUSTOM\nCore-UUID: ") {
		t.Errorf("plain starts %q", body[:60])
	}
	if !strings.HasSuffix(body, "\nLines: a%0Ab\nContent-Length: 9\n\nbody\nline") {
		t.Errorf("plain body layout: %q", body[len(body)-60:])
	}
	names := []string{}
	ev, _ := esl.ParsePlainEvent(f.Body)
	for _, h := range ev.Fields() {
		names = append(names, h.Name)
	}
	want := "Event-Subclass Event-Name Core-UUID FreeSWITCH-Hostname FreeSWITCH-Switchname FreeSWITCH-IPv4 FreeSWITCH-IPv6 Event-Date-Local Event-Date-GMT Event-Date-Timestamp Event-Calling-File Event-Calling-Function Event-Calling-Line-Number Event-Sequence Quote Lines"
	if got := strings.Join(names[:16], " "); got != want {
		t.Errorf("header order\n got  %s\n want %s", got, want)
	}

	f, _ = js.nextWhere(3, func(f *esl.Frame) bool { return f.ContentType() == esl.TypeEventJSON })
	if f.Header[0].Name != "Content-Length" || f.Header[1].Value != "text/event-json" {
		t.Errorf("json outer headers %v", f.Header)
	}
	raw := string(f.Body)
	if strings.HasSuffix(raw, "\n") || !strings.HasPrefix(raw, `{"Event-Subclass":"test::x","Event-Name":"CUSTOM",`) {
		t.Errorf("json body %q", raw)
	}
	if !strings.Contains(raw, `"Quote":"say \"hi\" & <go>"`) || !strings.Contains(raw, `"Content-Length":"9","_body":"body\nline"}`) {
		t.Errorf("json values %q", raw)
	}
	var obj map[string]any
	if err := json.Unmarshal(f.Body, &obj); err != nil {
		t.Fatal(err)
	}
	for k, v := range obj {
		if _, ok := v.(string); !ok {
			t.Errorf("json %s is %T, not a string", k, v)
		}
	}
}

func TestBgapiJobUUID(t *testing.T) {
	s := startServer(t, Config{})
	c := authed(t, s, "json BACKGROUND_JOB")
	const job = "5b72a590-6866-4466-8638-b9b16c7cc3da"
	n := c.count()
	c.send("bgapi originate error/USER_BUSY &park()\nJob-UUID: " + job)
	reply := c.next(n)
	if reply.ContentType() != esl.TypeReply || reply.ReplyText() != "+OK Job-UUID: "+job || reply.Header.Get("Job-UUID") != job {
		t.Fatalf("bgapi reply %+v", reply.Header)
	}
	f := c.next(n + 1) // on the issuing connection the reply comes first
	ev, err := esl.ParseEvent(f.ContentType(), f.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name() != "BACKGROUND_JOB" || ev.JobUUID() != job || ev.Get("Job-Command") != "originate" ||
		ev.Get("Job-Command-Arg") != "error/USER_BUSY &park()" || string(ev.Body) != "-ERR USER_BUSY\n" {
		t.Errorf("BACKGROUND_JOB: %v %q", ev.Fields(), ev.Body)
	}
	if ev.Has("Job-Owner-UUID") {
		t.Error("inbound BACKGROUND_JOB has Job-Owner-UUID")
	}
	// Without a Job-UUID one is made up; without arguments there is no
	// Job-Command-Arg.
	n = c.count()
	c.send("bgapi status")
	reply = c.next(n)
	id := reply.Header.Get("Job-UUID")
	if esl.ValidateUUID("uuid", id) != nil || reply.ReplyText() != "+OK Job-UUID: "+id {
		t.Fatalf("bgapi status reply %v", reply.Header)
	}
	ev2 := c.waitEvent("job", func(e *esl.Event) bool { return e.JobUUID() == id })
	if ev2.Has("Job-Command-Arg") || !strings.HasPrefix(string(ev2.Body), "UP ") {
		t.Errorf("bgapi status event %v", ev2.Fields())
	}
}

// A gateway that carried a call exists until killgw removes it.
func TestSofiaKillGateway(t *testing.T) {
	s := startServer(t, Config{})
	c := authed(t, s, "")
	if got := c.api("originate sofia/gateway/gw1/15551234567 &park()"); !strings.HasPrefix(got, "+OK ") {
		t.Fatalf("originate: %q", got)
	}
	for _, want := range []string{"+OK gateway marked for deletion.\n", "-ERR no such gateway.\n"} {
		if got := c.api("sofia profile carriers killgw gw1"); got != want {
			t.Errorf("killgw: %q, want %q", got, want)
		}
	}
}
