package dialer

import (
	"errors"
	"testing"

	"github.com/agentswitch/agentswitch/dialer/ring"
)

func TestQueueValidate(t *testing.T) {
	base := DefaultQueueSettings()
	base.Name = "sales"
	for _, c := range []struct {
		name  string
		edit  func(*QueueSettings)
		field string // "" is valid
	}{
		{"defaults", func(*QueueSettings) {}, ""},
		{"every strategy", func(q *QueueSettings) { q.Strategy = ring.RandomStagger }, ""},
		{"name empty", func(q *QueueSettings) { q.Name = "" }, "name"},
		{"name upper", func(q *QueueSettings) { q.Name = "Sales" }, "name"},
		{"name colon", func(q *QueueSettings) { q.Name = "a:b" }, "name"},
		{"strategy unknown", func(q *QueueSettings) { q.Strategy = "fastest" }, "strategy"},
		{"gap negative", func(q *QueueSettings) { q.Gap.MinSeconds = -1 }, "gap.min_seconds"},
		{"gap inverted", func(q *QueueSettings) { q.Gap = QueueGap{MinSeconds: 5, MaxSeconds: 2} }, "gap.max_seconds"},
		{"gap too long", func(q *QueueSettings) { q.Gap.MaxSeconds = 61 }, "gap.max_seconds"},
		{"ring timeout short", func(q *QueueSettings) { q.RingTimeoutSeconds = 4 }, "ring_timeout_seconds"},
		{"wrap-up negative", func(q *QueueSettings) { q.WrapUpSeconds = -1 }, "wrapup_seconds"},
		{"max wait long", func(q *QueueSettings) { q.MaxWaitSeconds = MaxQueueWait + 1 }, "max_wait_seconds"},
		{"max waiting", func(q *QueueSettings) { q.MaxWaiting = -1 }, "max_waiting"},
		{"music tone", func(q *QueueSettings) { q.Music = "tone_stream://%(250,0,880)" }, ""},
		{"music injection", func(q *QueueSettings) { q.Music = "moh.wav;hangup" }, "music"},
		{"music app", func(q *QueueSettings) { q.Music = "bridge::user/1001" }, "music"},
		{"music dotdot", func(q *QueueSettings) { q.Music = "../../etc/passwd" }, "music"},
		{"announce nothing", func(q *QueueSettings) { q.AnnounceSeconds = 30 }, "announce_seconds"},
		{"announce no interval", func(q *QueueSettings) { q.AnnouncePosition = true }, "announce_seconds"},
		{"announce too often", func(q *QueueSettings) { q.AnnounceSeconds, q.AnnounceWait = 5, true }, "announce_seconds"},
		{"announce", func(q *QueueSettings) { q.AnnounceSeconds, q.AnnounceWait = 30, true }, ""},
		{"service level zero", func(q *QueueSettings) { q.ServiceLevelSeconds = 0 }, "service_level_seconds"},
		{"max no answer", func(q *QueueSettings) { q.MaxNoAnswer = ring.MaxNoAnswer + 1 }, "max_no_answer"},
		{"overflow kind", func(q *QueueSettings) { q.Overflow.Kind = "elsewhere" }, "overflow.kind"},
		{"overflow when without kind", func(q *QueueSettings) { q.Overflow.OnNoAgents = true }, "overflow.kind"},
		{"overflow kind without when", func(q *QueueSettings) { q.Overflow = QueueOverflow{Kind: OverflowCallback} }, "overflow.on_max_wait"},
		{"overflow on max wait unbounded", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnMaxWait: true, Kind: OverflowCallback}
		}, "max_wait_seconds"},
		{"overflow callback", func(q *QueueSettings) {
			q.MaxWaitSeconds, q.Overflow = 60, QueueOverflow{OnMaxWait: true, Kind: OverflowCallback}
		}, ""},
		{"overflow queue", func(q *QueueSettings) { q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowQueue, Queue: 2} }, ""},
		{"overflow queue missing", func(q *QueueSettings) { q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowQueue} }, "overflow.queue_id"},
		{"overflow number", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowNumber, Number: "+12125550100"}
		}, ""},
		{"overflow number bad", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowNumber, Number: "2125550100"}
		}, "overflow.number"},
		{"overflow agent missing", func(q *QueueSettings) { q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowAgent} }, "overflow.agent_id"},
		{"overflow voicemail", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowVoicemail, Greeting: "ivr/leave-message.wav"}
		}, ""},
		{"overflow voicemail greeting bad", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowVoicemail, Greeting: "a b"}
		}, "overflow.greeting"},
		{"overflow target of another kind", func(q *QueueSettings) {
			q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowQueue, Queue: 2, Agent: 3}
		}, "overflow.agent_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := base
			c.edit(&q)
			checkField(t, q.Validate(), c.field)
		})
	}
}

func TestQueueValidateSelfOverflow(t *testing.T) {
	q := Queue{ID: 7, QueueSettings: DefaultQueueSettings()}
	q.Name = "sales"
	q.Overflow = QueueOverflow{OnNoAgents: true, Kind: OverflowQueue, Queue: 7}
	checkField(t, q.Validate(), "overflow.queue_id")
	q.Overflow.Queue = 8
	checkField(t, q.Validate(), "")
}

func TestValidateMembers(t *testing.T) {
	for _, c := range []struct {
		name  string
		ms    []QueueMember
		field string
	}{
		{"none", nil, ""},
		{"list order", []QueueMember{{Agent: 1}, {Agent: 2, Skills: []string{"billing"}}}, ""},
		{"agent missing", []QueueMember{{Agent: 0}}, "members[0].agent_id"},
		{"agent twice", []QueueMember{{Agent: 1}, {Agent: 1}}, "members[1].agent_id"},
		{"position taken", []QueueMember{{Agent: 1, Position: 2}, {Agent: 2}}, "members[1].position"},
		{"position negative", []QueueMember{{Agent: 1, Position: -1}}, "members[0].position"},
		{"rank", []QueueMember{{Agent: 1, Rank: MaxMemberRank + 1}}, "members[0].rank"},
		{"order", []QueueMember{{Agent: 1, Order: -1}}, "members[0].order"},
		{"skill bad", []QueueMember{{Agent: 1, Skills: []string{"ok", "Not OK"}}}, "members[0].skills[1]"},
		{"skill twice", []QueueMember{{Agent: 1, Skills: []string{"a", "a"}}}, "members[0].skills[1]"},
		{"too many skills", []QueueMember{{Agent: 1, Skills: make([]string, MaxMemberSkills+1)}}, "members[0].skills"},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkField(t, ValidateMembers(c.ms), c.field)
		})
	}
	ms := []QueueMember{{Agent: 1}, {Agent: 2, Position: 5}, {Agent: 3}}
	if err := ValidateMembers(ms); err != nil || ms[0].Position != 1 || ms[1].Position != 5 || ms[2].Position != 3 || ms[0].Skills == nil {
		t.Fatalf("defaults %+v %v", ms, err)
	}
}

func checkField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("want a *FieldError on %q, got %v", field, err)
	}
}
