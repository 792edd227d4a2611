package sipphone

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func startPhone(t *testing.T, cfg Config) *Phone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Two phones over loopback: answer, audio both ways, DTMF, hold and
// unhold by re-INVITE, BYE.
func TestCallBetweenPhones(t *testing.T) {
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			ctx := testCtx(t)
			agent := startPhone(t, Config{User: "1001", Transport: tr, Tone: 440, Behavior: Behavior{Ring: 50 * time.Millisecond}})
			lead := startPhone(t, Config{User: "lead", Transport: tr, Tone: 1000})

			start := time.Now()
			out, err := lead.Dial(ctx, agent.URI("1001"), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in, err := agent.NextCall(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := in.WaitAnswered(ctx); err != nil {
				t.Fatal(err)
			}
			if in.User != "1001" || !in.Incoming || out.Incoming {
				t.Fatalf("in %+v out %+v", in, out)
			}
			if _, err := in.WaitAudio(ctx, start); err != nil {
				t.Fatal(err)
			}
			if _, err := out.WaitAudio(ctx, start); err != nil {
				t.Fatal(err)
			}
			if _, err := in.WaitTone(ctx, 1000, start); err != nil {
				t.Fatal(err)
			}
			if _, err := out.WaitTone(ctx, 440, start); err != nil {
				t.Fatal(err)
			}
			// A watch started now finds the tone in frames read later; the
			// frames kept say it is a steady tone, not speech.
			watched := time.Now()
			wait := in.WatchTone(1000)
			if at, err := wait(ctx); err != nil || at.Before(watched) {
				t.Fatalf("watched tone at %v (watch from %v): %v", at, watched, err)
			}
			if s := Summarize(in.Frames(start, time.Now())); s.Audible == 0 || s.Speech() {
				t.Fatalf("the tone measured as %+v", s)
			}

			if err := out.SendDTMF("12#"); err != nil {
				t.Fatal(err)
			}
			if got, err := in.WaitDigits(ctx, 3); err != nil || got != "12#" {
				t.Fatalf("digits %q %v", got, err)
			}
			if err := out.SendDTMF("x"); err == nil {
				t.Fatal("x sent as DTMF")
			}

			if err := out.Hold(ctx, true); err != nil {
				t.Fatal(err)
			}
			if err := in.WaitHeld(ctx, true); err != nil {
				t.Fatal(err)
			}
			// A held phone answers recvonly and stops sending while the
			// holder goes on (music on hold).
			sent := in.Stats().Sent
			if err := in.WaitPackets(ctx, in.Stats().Received+5); err != nil {
				t.Fatal(err)
			}
			if now := in.Stats().Sent; now > sent+1 {
				t.Fatalf("held phone kept sending: %d -> %d", sent, now)
			}
			if err := out.Hold(ctx, false); err != nil {
				t.Fatal(err)
			}
			if err := in.WaitHeld(ctx, false); err != nil {
				t.Fatal(err)
			}
			if in.Reinvites() != 2 {
				t.Fatalf("re-INVITEs %d", in.Reinvites())
			}

			// REFER (FreeSWITCH's uuid_deflect): 202, the target is kept,
			// and a NOTIFY reports the transfer done.
			refer := sip.NewRequest(sip.REFER, *out.cli.InviteResponse.Contact().Address.Clone())
			refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:third@127.0.0.1:5999>"))
			if res, err := out.do(ctx, refer); err != nil || res.StatusCode != 202 {
				t.Fatalf("REFER: %v %v", res, err)
			}
			if to, err := in.WaitRefer(ctx); err != nil || to != "<sip:third@127.0.0.1:5999>" {
				t.Fatalf("Refer-To %q %v", to, err)
			}

			if err := out.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if err := in.WaitEnded(ctx); err != nil {
				t.Fatal(err)
			}
			if r := in.EndReason(); r != "remote BYE" {
				t.Fatalf("callee ended with %q", r)
			}
		})
	}
}

func TestLeadOutcomes(t *testing.T) {
	ctx := testCtx(t)
	lead := startPhone(t, Config{User: "lead", Behaviors: map[string]Behavior{
		"busy":   {Outcome: Busy},
		"reject": {Outcome: Reject, Ring: 20 * time.Millisecond},
		"gone":   {Outcome: Unavailable},
		"nobody": {Outcome: NotFound},
		"ring":   {Outcome: NoAnswer},
		"short":  {HangupAfter: 100 * time.Millisecond},
	}})
	caller := startPhone(t, Config{User: "dialer"})
	for user, code := range map[string]int{"busy": 486, "reject": 603, "gone": 480, "nobody": 404} {
		_, err := caller.Dial(ctx, lead.URI(user), DialOptions{})
		var de *sipgo.ErrDialogResponse
		if !errors.As(err, &de) || de.Res.StatusCode != code {
			t.Errorf("%s: %v, want %d", user, err, code)
		}
	}

	// Never answers: the caller gives up, which sends CANCEL.
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := caller.Dial(dctx, lead.URI("ring"), DialOptions{})
	cancel()
	if err == nil {
		t.Fatal("unanswered call returned no error")
	}
	var ringing *Call
	for ringing == nil || ringing.User != "ring" {
		if ringing, err = lead.NextCall(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := ringing.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if ringing.Answered() {
		t.Fatal("cancelled call was answered")
	}

	// Answers, then hangs up by itself.
	out, err := caller.Dial(ctx, lead.URI("short"), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if r := out.EndReason(); r != "remote BYE" {
		t.Fatalf("caller ended with %q", r)
	}
}

// A registrar that challenges like FreeSWITCH: 401 with a digest
// challenge, then 200 for the right response.
func TestRegisterWithDigestAndRefresh(t *testing.T) {
	ctx := testCtx(t)
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	var ok, expires0 atomic.Int32
	chal := digest.Challenge{Realm: "example.test", Nonce: "abc123", Algorithm: "MD5", QOP: []string{"auth"}}
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		h := req.GetHeader("Authorization")
		if h == nil {
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
			tx.Respond(res)
			return
		}
		cred, err := digest.ParseCredentials(h.Value())
		if err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad", nil))
			return
		}
		want, _ := digest.Digest(&chal, digest.Options{Method: "REGISTER", URI: cred.URI, Username: "1001", Password: "s3cret-pass", Cnonce: cred.Cnonce, Count: cred.Nc})
		if cred.Username != "1001" || cred.Response != want.Response {
			tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return
		}
		if e := req.GetHeader("Expires"); e != nil && e.Value() == "0" {
			expires0.Add(1)
		}
		ok.Add(1)
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(pc)
	defer pc.Close()
	reg := pc.LocalAddr().String()

	p := startPhone(t, Config{User: "1001", Password: "s3cret-pass", Registrar: reg, Domain: "example.test", Expires: 2 * time.Second})
	if on, n, err := p.Registered(); !on || n != 1 || err != nil {
		t.Fatalf("registered %v %d %v", on, n, err)
	}
	// The refresh comes at half the lifetime.
	for {
		if _, n, _ := p.Registered(); n >= 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no refresh")
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.Close()
	if expires0.Load() != 1 {
		t.Fatalf("unregister sent %d times", expires0.Load())
	}

	bad, err := Start(ctx, Config{User: "1001", Password: "wrong-pass", Registrar: reg, Domain: "example.test"})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("wrong password: %v", err)
	}
	if bad != nil {
		bad.Close()
	}
}

func TestParseOutcome(t *testing.T) {
	for o := Answer; o <= NoAnswer; o++ {
		got, err := ParseOutcome(o.String())
		if err != nil || got != o {
			t.Errorf("%v: %v %v", o, got, err)
		}
	}
	if _, err := ParseOutcome("maybe"); err == nil {
		t.Error("maybe accepted")
	}
}
