package dialer

import (
	"errors"
	"slices"
	"testing"
)

func TestSpeedStep(t *testing.T) {
	st := func(p speedPhase) speedState { return speedState{phase: p} }
	confirm := speedState{phase: spAnnouncing, confirm: true}
	record := speedState{phase: spLeadDialing, record: true}
	declined := speedState{phase: spRinging, declined: true}
	tests := []struct {
		name   string
		from   speedState
		in     speedInput
		phase  speedPhase
		result string
		fx     []speedEffect
	}{
		{"first manager answers", st(spRinging), speedInput{kind: siManagerAnswered}, spAnnouncing, "", []speedEffect{sfAnnounce}},
		{"nobody answers", st(spRinging), speedInput{kind: siNoManager}, spEnded, SpeedNoManager, []speedEffect{sfFinish}},
		{"everyone declined", declined, speedInput{kind: siNoManager}, spEnded, SpeedManagerDeclined, []speedEffect{sfFinish}},
		{"a digit while ringing is nothing", st(spRinging), speedInput{kind: siDigit, digit: "1"}, spRinging, "", nil},
		{"announced, no confirm: dial", st(spAnnouncing), speedInput{kind: siAnnounced}, spLeadDialing, "", []speedEffect{sfConfirmed, sfDialLead}},
		{"announced, confirm: prompt", confirm, speedInput{kind: siAnnounced}, spConfirming, "", []speedEffect{sfPrompt}},
		{"manager hangs up during the announcement", st(spAnnouncing), speedInput{kind: siManagerGone}, spRinging, "", []speedEffect{sfDropManager, sfNextManager}},
		{"1 during the announcement connects", confirm, speedInput{kind: siDigit, digit: "1"}, spLeadDialing, "", []speedEffect{sfStopSaying, sfConfirmed, sfDialLead}},
		{"another key during the announcement waits", confirm, speedInput{kind: siDigit, digit: "2"}, spAnnouncing, "", nil},
		{"a key without confirm is nothing", st(spAnnouncing), speedInput{kind: siDigit, digit: "1"}, spAnnouncing, "", nil},
		{"the cut announcement's end is nothing", st(spLeadDialing), speedInput{kind: siAnnounced}, spLeadDialing, "", nil},
		{"pressed 1", st(spConfirming), speedInput{kind: siDigit, digit: "1"}, spLeadDialing, "", []speedEffect{sfConfirmed, sfDialLead}},
		{"pressed 2", st(spConfirming), speedInput{kind: siDigit, digit: "2"}, spRinging, "", []speedEffect{sfDropManager, sfNextManager}},
		{"pressed nothing", st(spConfirming), speedInput{kind: siConfirmTimeout}, spRinging, "", []speedEffect{sfDropManager, sfNextManager}},
		{"hung up at the prompt", st(spConfirming), speedInput{kind: siManagerGone}, spRinging, "", []speedEffect{sfDropManager, sfNextManager}},
		{"a late timeout is nothing", st(spLeadDialing), speedInput{kind: siConfirmTimeout}, spLeadDialing, "", nil},
		{"lead answers: bridge", st(spLeadDialing), speedInput{kind: siLeadAnswered}, spBridging, "", []speedEffect{sfBridge}},
		{"lead answers, recorded: warning first", record, speedInput{kind: siLeadAnswered}, spWarning, "", []speedEffect{sfWarn}},
		{"first number fails: the second", st(spLeadDialing), speedInput{kind: siLeadFailed, more: true, cause: "USER_BUSY"}, spLeadDialing, "", []speedEffect{sfDialNext}},
		{"last number busy", st(spLeadDialing), speedInput{kind: siLeadFailed, cause: "USER_BUSY"}, spEnded, SpeedLeadBusy, []speedEffect{sfKillManager, sfFinish}},
		{"last number rang out", st(spLeadDialing), speedInput{kind: siLeadFailed, cause: "NO_ANSWER"}, spEnded, SpeedLeadNoAnswer, []speedEffect{sfKillManager, sfFinish}},
		{"last number unreachable", st(spLeadDialing), speedInput{kind: siLeadFailed, cause: "NORMAL_TEMPORARY_FAILURE"}, spEnded, SpeedFailed, []speedEffect{sfKillManager, sfFinish}},
		{"manager gives up while the lead rings", st(spLeadDialing), speedInput{kind: siManagerGone}, spEnded, SpeedManagerDeclined, []speedEffect{sfKillLead, sfFinish}},
		{"warning played: bridge", st(spWarning), speedInput{kind: siWarned}, spBridging, "", []speedEffect{sfBridge}},
		{"no bridge before the warning ends", st(spWarning), speedInput{kind: siBridged}, spWarning, "", nil},
		{"lead hangs up during the warning", st(spWarning), speedInput{kind: siLeadGone}, spEnded, SpeedFailed, []speedEffect{sfKillManager, sfFinish}},
		{"bridged", st(spBridging), speedInput{kind: siBridged}, spConnected, "", []speedEffect{sfConnected}},
		{"manager gone before the bridge", st(spBridging), speedInput{kind: siManagerGone}, spEnded, SpeedFailed, []speedEffect{sfKillLead, sfFinish}},
		{"lead hangs up after talking", st(spConnected), speedInput{kind: siLeadGone}, spEnded, SpeedConnected, []speedEffect{sfKillManager, sfFinish}},
		{"manager hangs up after talking", st(spConnected), speedInput{kind: siManagerGone}, spEnded, SpeedConnected, []speedEffect{sfKillLead, sfFinish}},
		{"cancelled while ringing", st(spRinging), speedInput{kind: siCancel}, spEnded, SpeedCancelled, []speedEffect{sfKillAll, sfFinish}},
		{"cancelled while talking", st(spConnected), speedInput{kind: siCancel}, spEnded, SpeedConnected, []speedEffect{sfKillAll, sfFinish}},
		{"cancelled while the lead rings", st(spLeadDialing), speedInput{kind: siCancel}, spEnded, SpeedCancelled, []speedEffect{sfKillAll, sfFinish}},
		{"ended stays ended", speedState{phase: spEnded, result: SpeedConnected}, speedInput{kind: siCancel}, spEnded, SpeedConnected, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fx := speedStep(tc.from, tc.in)
			if got.phase != tc.phase || got.result != tc.result {
				t.Errorf("phase %s result %q, want %s %q", got.phase, got.result, tc.phase, tc.result)
			}
			if !slices.Equal(fx, tc.fx) {
				t.Errorf("effects %v, want %v", fx, tc.fx)
			}
		})
	}
}

func TestSpeedCallValidate(t *testing.T) {
	good := func() SpeedCall {
		return SpeedCall{
			Managers: []SpeedManager{{Name: "Ann", Number: "+15550001111"}, {Name: "Bob", Agent: 3}},
			Sequence: "ring-all", Numbers: []string{"+15550002222"}, CallerID: "+15550003333",
			Announcement: "A lead from the pricing page", Params: map[string]string{"page": "/pricing"},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good request refused: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*SpeedCall)
	}{
		{"widget", func(r *SpeedCall) { r.Widget = -1 }},
		{"campaign_id", func(r *SpeedCall) { r.Campaign = -2 }},
		{"managers", func(r *SpeedCall) { r.Managers = nil }},
		{"managers", func(r *SpeedCall) { r.Managers = make([]SpeedManager, MaxSpeedManagers+1) }},
		{"managers[0].number", func(r *SpeedCall) { r.Managers[0].Number = "+1555 0001111" }},
		{"managers[0].number", func(r *SpeedCall) { r.Managers[0].Number = "+15550001111&park()" }},
		{"managers[0].number", func(r *SpeedCall) { r.Managers[0].Number = "" }},
		{"managers[1].number", func(r *SpeedCall) { r.Managers[1].Number = "+15550001111" }},
		{"managers[1].agent_id", func(r *SpeedCall) { r.Managers[1].Agent = -3 }},
		{"managers[0].name", func(r *SpeedCall) { r.Managers[0].Name = string(make([]byte, 65)) }},
		{"sequence", func(r *SpeedCall) { r.Sequence = "longest-idle" }},
		{"sequence", func(r *SpeedCall) { r.Sequence = "" }},
		{"numbers", func(r *SpeedCall) { r.Numbers = nil }},
		{"numbers", func(r *SpeedCall) { r.Numbers = []string{"+15550002222", "+15550002223", "+15550002224"} }},
		{"numbers[1]", func(r *SpeedCall) { r.Numbers = append(r.Numbers, "5550002222}") }},
		{"numbers[0]", func(r *SpeedCall) { r.Numbers[0] = "+1555000222'2" }},
		{"caller_id", func(r *SpeedCall) { r.CallerID = "+1555 bad" }},
		{"announcement", func(r *SpeedCall) { r.Announcement = "line\nbreak" }},
		{"announcement", func(r *SpeedCall) { r.Announcement = string(make([]rune, MaxSpeedText+1)) }},
		{"record_warning", func(r *SpeedCall) { r.RecordWarning = "\x00" }},
		{"ring_seconds", func(r *SpeedCall) { r.RingSeconds = 3 }},
		{"ring_seconds", func(r *SpeedCall) { r.RingSeconds = MaxSpeedRing + 1 }},
		{"params", func(r *SpeedCall) { r.Params = map[string]string{"bad key": "x"} }},
		{"params", func(r *SpeedCall) { r.Params = map[string]string{"k;uuid_kill": "x"} }},
		{"params.page", func(r *SpeedCall) { r.Params["page"] = "a\rb" }},
	}
	for _, tc := range tests {
		r := good()
		r.Managers = append([]SpeedManager(nil), r.Managers...)
		tc.mutate(&r)
		err := r.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v, want a field error on %s", tc.field, err, tc.field)
		}
	}
}
