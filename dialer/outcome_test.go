package dialer

import "testing"

func TestOutcomeFor(t *testing.T) {
	for _, tc := range []struct {
		cause               string
		answered, connected bool
		want                CallOutcome
	}{
		{"NORMAL_CLEARING", true, true, OutcomeAnswered},
		{"NORMAL_CLEARING", true, false, OutcomeAbandoned},   // no agent in time
		{"ORIGINATOR_CANCEL", true, false, OutcomeAbandoned}, // the lead hung up waiting
		{"MEDIA_TIMEOUT", true, true, OutcomeAnswered},       // the conversation happened
		{"NO_ANSWER", false, false, OutcomeNoAnswer},
		{"NO_USER_RESPONSE", false, false, OutcomeNoAnswer},
		{"RECOVERY_ON_TIMER_EXPIRE", false, false, OutcomeNoAnswer},
		{"USER_BUSY", false, false, OutcomeBusy},
		{"CALL_REJECTED", false, false, OutcomeRejected},
		{"UNALLOCATED_NUMBER", false, false, OutcomeFailed},
		{"NO_ROUTE_DESTINATION", false, false, OutcomeFailed},
		{"INVALID_NUMBER_FORMAT", false, false, OutcomeFailed},
		{"INVALID_GATEWAY", false, false, OutcomeFailed},
		{"SUBSCRIBER_ABSENT", false, false, OutcomeFailed},
		{"USER_NOT_REGISTERED", false, false, OutcomeUnreachable},
		{"NORMAL_TEMPORARY_FAILURE", false, false, OutcomeUnreachable},
		{"DESTINATION_OUT_OF_ORDER", false, false, OutcomeUnreachable},
		{"NETWORK_OUT_OF_ORDER", false, false, OutcomeUnreachable},
		{"GATEWAY_DOWN", false, false, OutcomeUnreachable},
		{"SYSTEM_SHUTDOWN", false, false, OutcomeUnreachable},
		{"ORIGINATOR_CANCEL", false, false, OutcomeCancelled},
		{"MANAGER_REQUEST", false, false, OutcomeCancelled},
		{"SOMETHING_NEW", false, false, OutcomeFailed}, // unknown causes are failures, not retries
		{"", false, false, OutcomeFailed},
	} {
		if got := OutcomeFor(tc.cause, tc.answered, tc.connected); got != tc.want {
			t.Errorf("OutcomeFor(%q, answered=%v, connected=%v) = %s, want %s", tc.cause, tc.answered, tc.connected, got, tc.want)
		}
	}
	for cause, o := range causeOutcomes {
		if !o.Valid() {
			t.Errorf("%s maps to invalid outcome %q", cause, o)
		}
	}
}
