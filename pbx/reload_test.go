package pbx

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/esl"
)

// fakeSwitch records every command per node and answers like FreeSWITCH.
type fakeSwitch struct {
	nodes   []esl.NodeStatus
	sent    []string
	replies map[string]string
}

func (f *fakeSwitch) Nodes() []esl.NodeStatus { return f.nodes }

func (f *fakeSwitch) API(_ context.Context, node string, cmd esl.Command) (string, error) {
	f.sent = append(f.sent, node+": "+cmd.String())
	reply, ok := f.replies[cmd.String()]
	if !ok {
		reply = "+OK\n"
	}
	if strings.HasPrefix(reply, "-ERR") {
		return reply, &esl.ReplyError{Command: cmd.Name, Reply: reply}
	}
	return reply, nil
}

func TestReloadCommands(t *testing.T) {
	sw := &fakeSwitch{
		nodes: []esl.NodeStatus{{Name: "fs1", Up: true}, {Name: "fs2", Up: true}},
		replies: map[string]string{
			"sofia profile carriers killgw new-gw": "-ERR no such gateway.\n",
			"sofia profile carriers rescan":        "Reload XML [Success]\n+OK scan complete\n",
		},
	}
	err := Reload(t.Context(), sw, Change{
		Gateways: []string{"carrier-a", "new-gw"},
		Agents:   []AgentChange{{Extension: "1001", Domain: "pbx.example.com"}, {Extension: "1002", Domain: "pbx.example.com", Unregister: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range []string{"fs1", "fs2"} {
		for _, c := range []string{
			"xml_flush_cache id 1001 pbx.example.com",
			"xml_flush_cache id 1002 pbx.example.com",
			"sofia profile agents flush_inbound_reg 1002@pbx.example.com reboot",
			"sofia profile carriers killgw carrier-a",
			"sofia profile carriers killgw new-gw",
			"sofia profile carriers rescan",
		} {
			want = append(want, n+": "+c)
		}
	}
	if strings.Join(sw.sent, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sent\n%s\nwant\n%s", strings.Join(sw.sent, "\n"), strings.Join(want, "\n"))
	}
}

func TestReloadErrors(t *testing.T) {
	ctx := context.Background()
	// A bad name is refused before anything is sent.
	sw := &fakeSwitch{nodes: []esl.NodeStatus{{Name: "fs1", Up: true}}}
	for _, ch := range []Change{
		{Gateways: []string{"a b"}},
		{Gateways: []string{"_all_"}},
		{Agents: []AgentChange{{Extension: "1001\nbgapi x", Domain: "d"}}},
		{Agents: []AgentChange{{Extension: "1001", Domain: "d;x", Unregister: true}}},
	} {
		if err := Reload(ctx, sw, ch); !errors.Is(err, esl.ErrInvalid) {
			t.Errorf("%+v: %v", ch, err)
		}
	}
	if len(sw.sent) != 0 {
		t.Fatalf("sent %v", sw.sent)
	}

	// A failed rescan and a down node are both reported; the up node still
	// gets its commands.
	sw = &fakeSwitch{
		nodes:   []esl.NodeStatus{{Name: "fs1", Up: true}, {Name: "fs2"}},
		replies: map[string]string{"sofia profile carriers rescan": "Reload XML [Success]\n-ERR cannot find config for profile carriers\n"},
	}
	err := Reload(ctx, sw, Change{Rescan: true})
	if err == nil || !strings.Contains(err.Error(), "fs2 is down") || !strings.Contains(err.Error(), "cannot find config") {
		t.Fatalf("err = %v", err)
	}
	if len(sw.sent) != 1 {
		t.Fatalf("sent %v", sw.sent)
	}

	// killgw of an unknown gateway is fine; any other -ERR is not.
	sw = &fakeSwitch{
		nodes:   []esl.NodeStatus{{Name: "fs1", Up: true}},
		replies: map[string]string{"sofia profile carriers killgw g": "-ERR Invalid Profile!\n", "sofia profile carriers rescan": "+OK scan complete\n"},
	}
	if err := Reload(ctx, sw, Change{Gateways: []string{"g"}}); err == nil {
		t.Fatal("killgw failure not reported")
	}
	// Nothing changed: nothing sent.
	sw = &fakeSwitch{nodes: []esl.NodeStatus{{Name: "fs1", Up: true}}}
	if err := Reload(ctx, sw, Change{}); err != nil || len(sw.sent) != 0 {
		t.Fatalf("%v %v", err, sw.sent)
	}
}

// TestReconcile: a gateway FreeSWITCH still runs but the database no
// longer has is killed, the ones it has are left alone, then the profile
// is rescanned. The status is FreeSWITCH's own reply.
func TestReconcile(t *testing.T) {
	status, err := os.ReadFile("testdata/sofia-status.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := runningGateways(string(status)); len(got) != 1 || got[0] != "carrier-x" {
		t.Fatalf("gateways in sofia status: %q", got)
	}
	sw := &fakeSwitch{
		nodes: []esl.NodeStatus{{Name: "fs1", Up: true}, {Name: "fs2", Up: false}},
		replies: map[string]string{
			"sofia status":                  string(status),
			"sofia profile carriers rescan": "Reload XML [Success]\n+OK scan complete\n",
		},
	}
	err = Reconcile(t.Context(), sw, []string{"leadgw"})
	if err == nil || !strings.Contains(err.Error(), "node fs2 is down") {
		t.Fatalf("a down node is not reported: %v", err)
	}
	want := []string{"fs1: sofia status", "fs1: sofia profile carriers killgw carrier-x", "fs1: sofia profile carriers rescan"}
	if strings.Join(sw.sent, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sent\n%s\nwant\n%s", strings.Join(sw.sent, "\n"), strings.Join(want, "\n"))
	}
	// Nothing stale: only the rescan.
	sw.sent, sw.nodes = nil, sw.nodes[:1]
	if err := Reconcile(t.Context(), sw, []string{"carrier-x"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sw.sent, "\n") != "fs1: sofia status\nfs1: sofia profile carriers rescan" {
		t.Fatalf("sent %q", sw.sent)
	}
}
