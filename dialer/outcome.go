package dialer

// OutcomeFor maps how a call's lead leg ended to the call's outcome.
// answered says whether the lead ever answered; connected whether an agent
// talked to it. A lead that answered but never reached an agent was
// abandoned, whoever hung up.
func OutcomeFor(cause string, answered, connected bool) CallOutcome {
	if answered {
		if connected {
			return OutcomeAnswered
		}
		return OutcomeAbandoned
	}
	if o, ok := causeOutcomes[cause]; ok {
		return o
	}
	return OutcomeFailed
}

// causeOutcomes classifies FreeSWITCH hangup causes of legs that were never
// answered (switch_channel_cause2str names; SIP statuses as
// sofia_glue_sip_cause_to_freeswitch maps them).
var causeOutcomes = map[string]CallOutcome{
	// The callee's phone rang out, or nobody picked up.
	"NO_ANSWER":                OutcomeNoAnswer,
	"NO_USER_RESPONSE":         OutcomeNoAnswer, // SIP 480
	"ALLOTTED_TIMEOUT":         OutcomeNoAnswer,
	"PROGRESS_TIMEOUT":         OutcomeNoAnswer,
	"RECOVERY_ON_TIMER_EXPIRE": OutcomeNoAnswer, // SIP 408/504
	// Busy.
	"USER_BUSY": OutcomeBusy, // SIP 486/600
	// The callee (or its network) said no.
	"CALL_REJECTED":        OutcomeRejected, // SIP 401-403/407/603/608
	"FACILITY_REJECTED":    OutcomeRejected,
	"OUTGOING_CALL_BARRED": OutcomeRejected,
	"INCOMING_CALL_BARRED": OutcomeRejected,
	// Wrong number: retrying will not help.
	"UNALLOCATED_NUMBER":       OutcomeFailed, // SIP 404
	"NO_ROUTE_DESTINATION":     OutcomeFailed, // SIP 485/604
	"INVALID_NUMBER_FORMAT":    OutcomeFailed, // SIP 484
	"NUMBER_CHANGED":           OutcomeFailed,
	"INCOMPATIBLE_DESTINATION": OutcomeFailed, // SIP 488/606
	"INVALID_GATEWAY":          OutcomeFailed,
	"CHAN_NOT_IMPLEMENTED":     OutcomeFailed,
	"MANDATORY_IE_MISSING":     OutcomeFailed,
	"SUBSCRIBER_ABSENT":        OutcomeFailed,
	"USER_NOT_REGISTERED":      OutcomeUnreachable,
	// The network failed: retry later.
	"NORMAL_TEMPORARY_FAILURE":   OutcomeUnreachable, // SIP 400/481/500/503, ICMP unreachable
	"DESTINATION_OUT_OF_ORDER":   OutcomeUnreachable,
	"NETWORK_OUT_OF_ORDER":       OutcomeUnreachable, // SIP 502
	"NORMAL_CIRCUIT_CONGESTION":  OutcomeUnreachable,
	"SWITCH_CONGESTION":          OutcomeUnreachable,
	"GATEWAY_DOWN":               OutcomeUnreachable,
	"MEDIA_TIMEOUT":              OutcomeUnreachable,
	"NO_PICKUP":                  OutcomeNoAnswer,
	"CRASH":                      OutcomeUnreachable,
	"SYSTEM_SHUTDOWN":            OutcomeUnreachable,
	"LOSE_RACE":                  OutcomeCancelled,
	"ORIGINATOR_CANCEL":          OutcomeCancelled, // we (or the caller) gave up: SIP 487
	"MANAGER_REQUEST":            OutcomeCancelled, // uuid_kill
	"NORMAL_CLEARING":            OutcomeCancelled, // hung up by us before answer
	"BLIND_TRANSFER":             OutcomeCancelled,
	"REQUESTED_CHAN_UNAVAIL":     OutcomeUnreachable,
	"BEARERCAPABILITY_NOTAVAIL":  OutcomeFailed,
	"SERVICE_UNAVAILABLE":        OutcomeUnreachable,
	"EXCHANGE_ROUTING_ERROR":     OutcomeUnreachable,
	"RESPONSE_TO_STATUS_ENQUIRY": OutcomeFailed,
}
