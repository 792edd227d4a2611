package sim

import "testing"

// The phrases FreeSWITCH with pbx-config plays: its macros, with inputs
// their patterns match.
func TestKnownPhrase(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{"agentswitch_queue_position:1", true},
		{"agentswitch_queue_position:99999", true},
		{"agentswitch_queue_position:0", false},
		{"agentswitch_queue_position:100000", false},
		{"agentswitch_queue_position:07", false},
		{"agentswitch_queue_position:+7", false},
		{"agentswitch_queue_position", false},
		{"agentswitch_queue_wait:0", true},
		{"agentswitch_queue_wait:999", true},
		{"agentswitch_queue_wait:1000", false},
		{"agentswitch_queue_wait:-1", false},
		{"voicemail_hello:1", false},
		{"", false},
	} {
		if got := knownPhrase(tc.spec); got != tc.want {
			t.Errorf("knownPhrase(%q) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}
