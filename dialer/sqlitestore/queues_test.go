package sqlitestore

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/ring"
)

func newQueue(name string) dialer.Queue {
	q := dialer.Queue{QueueSettings: dialer.DefaultQueueSettings()}
	q.Name = name
	return q
}

func TestQueueCRUD(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ann := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))

	sales := newQueue("sales")
	sales.Strategy, sales.Music, sales.MaxWaitSeconds = ring.RingAll, "local_stream://moh", 120
	sales.Overflow = dialer.QueueOverflow{OnMaxWait: true, Kind: dialer.OverflowAgent, Agent: ann.ID}
	q := must[dialer.Queue](t)(s.CreateQueue(ctx, sales))
	if q.ID == 0 || q.Version != 1 || !q.CreatedAt.Equal(t0) || q.Strategy != ring.RingAll || q.Overflow.Agent != ann.ID ||
		q.ServiceLevelSeconds != 20 || !q.Active {
		t.Fatalf("created %+v", q)
	}
	if got := must[dialer.Queue](t)(s.Queue(ctx, q.ID)); got != q {
		t.Fatalf("read %+v, want %+v", got, q)
	}
	_, err := s.CreateQueue(ctx, newQueue("sales"))
	wantErr(t, err, dialer.ErrConflict)
	_, err = s.Queue(ctx, 999)
	wantErr(t, err, dialer.ErrNotFound)

	// Overflow targets must exist.
	bad := newQueue("support")
	bad.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowQueue, Queue: 999}
	_, err = s.CreateQueue(ctx, bad)
	wantField(t, err, "overflow.queue_id")
	bad.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowAgent, Agent: 999}
	_, err = s.CreateQueue(ctx, bad)
	wantField(t, err, "overflow.agent_id")

	support := newQueue("support")
	support.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowQueue, Queue: q.ID}
	sup := must[dialer.Queue](t)(s.CreateQueue(ctx, support))

	// Optimistic update: the version read is the one written over.
	q.WrapUpSeconds = 15
	up := must[dialer.Queue](t)(s.UpdateQueue(ctx, q))
	if up.Version != 2 || up.WrapUpSeconds != 15 || up.CreatedAt != q.CreatedAt {
		t.Fatalf("updated %+v", up)
	}
	_, err = s.UpdateQueue(ctx, q) // still at version 1
	wantErr(t, err, dialer.ErrStale)
	_, err = s.UpdateQueue(ctx, dialer.Queue{ID: 999, QueueSettings: newQueue("x").QueueSettings, Version: 1})
	wantErr(t, err, dialer.ErrNotFound)
	self := up
	self.Overflow = dialer.QueueOverflow{OnNoAgents: true, Kind: dialer.OverflowQueue, Queue: up.ID}
	_, err = s.UpdateQueue(ctx, self)
	wantField(t, err, "overflow.queue_id")

	if l := must[[]dialer.Queue](t)(s.ListQueues(ctx)); len(l) != 2 || l[0].Name != "sales" || l[1].Name != "support" {
		t.Fatalf("list %+v", l)
	}

	// sales is support's overflow target, and an agent of an overflow is in use.
	wantErr(t, s.DeleteQueue(ctx, up.ID), dialer.ErrInUse)
	wantErr(t, s.DeleteAgent(ctx, ann.ID), dialer.ErrInUse)

	// A DID routing to support keeps it from being deleted, naming the
	// DIDs; a rename carries the DIDs along.
	for _, n := range []string{"+12125550100", "+12125550101", "+12125550102", "+12125550103", "+12125550104", "+12125550105"} {
		must[dialer.DID](t)(s.CreateDID(ctx, dialer.DID{Number: n, Queue: "support", Enabled: true}))
	}
	err = s.DeleteQueue(ctx, sup.ID)
	wantErr(t, err, dialer.ErrInUse)
	if msg := err.Error(); !strings.Contains(msg, "+12125550100, +12125550101, +12125550102, +12125550103, +12125550104 and 1 more") {
		t.Fatalf("in use: %s", msg)
	}
	sup.Name = "help"
	sup = must[dialer.Queue](t)(s.UpdateQueue(ctx, sup))
	if d := must[dialer.DID](t)(s.DID(ctx, "+12125550100")); d.Queue != "help" || d.QueueID != sup.ID {
		t.Fatalf("DID after the rename %+v", d)
	}
	if got := must[dialer.Queue](t)(s.QueueByName(ctx, "help")); got != sup {
		t.Fatalf("by name %+v", got)
	}
	_, err = s.QueueByName(ctx, "support")
	wantErr(t, err, dialer.ErrNotFound)
	_, err = s.CreateDID(ctx, dialer.DID{Number: "+12125550199", Queue: "support"})
	wantField(t, err, "queue")
	for _, d := range must[[]dialer.DID](t)(s.ListDIDs(ctx)) {
		if err := s.DeleteDID(ctx, d.Number); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteQueue(ctx, sup.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteQueue(ctx, up.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteQueue(ctx, up.ID), dialer.ErrNotFound)
}

// The CHECK constraints name the field even when a write skips Validate.
func TestQueueChecks(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, c := range []struct{ field, set string }{
		{"name", "name = 'Bad Name'"},
		{"strategy", "strategy = 'fastest'"},
		{"ring_timeout_seconds", "ring_timeout_seconds = 1"},
		{"gap_max_seconds", "gap_min_seconds = 5, gap_max_seconds = 2"},
		{"announce_seconds", "announce_seconds = 3"},
		{"service_level_seconds", "service_level_seconds = 0"},
		{"max_no_answer", "max_no_answer = 101"},
		{"overflow_kind", "overflow_kind = 'elsewhere'"},
		{"overflow_number", "overflow_kind = 'number', overflow_number = '12'"},
		{"overflow_queue_id", "overflow_kind = 'queue'"},
		{"overflow_on_max_wait", "overflow_on_max_wait = 1"},
	} {
		t.Run(c.field, func(t *testing.T) {
			q := must[dialer.Queue](t)(s.CreateQueue(ctx, newQueue("q-"+c.field)))
			_, err := s.w.ExecContext(ctx, `UPDATE queues SET `+c.set+` WHERE id = ?`, q.ID)
			wantField(t, mapErr(err, "update", false), c.field)
		})
	}
}

func TestQueueMembers(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ann := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Ann", Extension: "1001", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	bob := must[dialer.Agent](t)(s.CreateAgent(ctx, dialer.Agent{Name: "Bob", Extension: "1002", Realm: "pbx", Mode: dialer.ModeRing}, "sip-password"))
	sales := must[dialer.Queue](t)(s.CreateQueue(ctx, newQueue("sales")))
	support := must[dialer.Queue](t)(s.CreateQueue(ctx, newQueue("support")))

	// Positions default to the list order.
	got := must[[]dialer.QueueMember](t)(s.SetQueueMembers(ctx, sales.ID, []dialer.QueueMember{
		{Agent: bob.ID, Rank: 5, Skills: []string{"spanish"}, Order: 2},
		{Agent: ann.ID, Rank: 9},
	}))
	want := []dialer.QueueMember{
		{Queue: sales.ID, Agent: bob.ID, Rank: 5, Position: 1, Skills: []string{"spanish"}, Order: 2},
		{Queue: sales.ID, Agent: ann.ID, Rank: 9, Position: 2, Skills: []string{}},
	}
	if !equalMembers(got, want) {
		t.Fatalf("set %+v", got)
	}
	if got := must[[]dialer.QueueMember](t)(s.QueueMembers(ctx, sales.ID)); !equalMembers(got, want) {
		t.Fatalf("read %+v", got)
	}
	must[[]dialer.QueueMember](t)(s.SetQueueMembers(ctx, support.ID, []dialer.QueueMember{{Agent: bob.ID, Position: 3, Order: 1}}))
	mine := must[[]dialer.QueueMember](t)(s.AgentQueues(ctx, bob.ID))
	if len(mine) != 2 || mine[0].Queue != support.ID || mine[1].Queue != sales.ID {
		t.Fatalf("bob's queues in blending order %+v", mine)
	}

	// Refusals leave the members as they were.
	_, err := s.SetQueueMembers(ctx, sales.ID, []dialer.QueueMember{{Agent: ann.ID}, {Agent: 999}})
	wantField(t, err, "members[1].agent_id")
	_, err = s.SetQueueMembers(ctx, sales.ID, []dialer.QueueMember{{Agent: ann.ID}, {Agent: ann.ID}})
	wantField(t, err, "members[1].agent_id")
	_, err = s.SetQueueMembers(ctx, sales.ID, []dialer.QueueMember{{Agent: ann.ID, Position: 2}, {Agent: bob.ID}})
	wantField(t, err, "members[1].position")
	_, err = s.SetQueueMembers(ctx, 999, nil)
	wantErr(t, err, dialer.ErrNotFound)
	_, err = s.QueueMembers(ctx, 999)
	wantErr(t, err, dialer.ErrNotFound)
	_, err = s.AgentQueues(ctx, 999)
	wantErr(t, err, dialer.ErrNotFound)
	if got := must[[]dialer.QueueMember](t)(s.QueueMembers(ctx, sales.ID)); !equalMembers(got, want) {
		t.Fatalf("after refusals %+v", got)
	}

	// A deleted agent leaves its queues; a deleted queue takes its members.
	if err := s.DeleteAgent(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[[]dialer.QueueMember](t)(s.QueueMembers(ctx, sales.ID)); len(got) != 1 || got[0].Agent != bob.ID {
		t.Fatalf("after agent delete %+v", got)
	}
	if err := s.DeleteQueue(ctx, sales.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM queue_members WHERE queue_id = ?`, sales.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("members left %d %v", n, err)
	}
	// Emptying a queue is a list of none.
	if got := must[[]dialer.QueueMember](t)(s.SetQueueMembers(ctx, support.ID, nil)); len(got) != 0 {
		t.Fatalf("emptied %+v", got)
	}
}

func equalMembers(a, b []dialer.QueueMember) bool {
	return slices.EqualFunc(a, b, func(x, y dialer.QueueMember) bool {
		return x.Queue == y.Queue && x.Agent == y.Agent && x.Rank == y.Rank && x.Position == y.Position &&
			x.Order == y.Order && slices.Equal(x.Skills, y.Skills)
	})
}

// TestMigrateDIDQueueLabels: 0015 turns each DID's queue label into a
// reference to the queue of that name, creating a queue with the defaults
// for a label no queue had, and keeps every row. A labelled queue with
// no members gets every agent, as any agent took its calls before; one
// with members keeps them.
func TestMigrateDIDQueueLabels(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "as.db"))
	if _, err := s.migrate(ctx, 14); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO queues (id, name, strategy, ring_timeout_seconds, created_at, updated_at) VALUES (5, 'sales', 'ring-all', 30, 1, 2)`,
		`INSERT INTO campaigns (id, name, dial_mode, created_at, updated_at) VALUES (3, 'Back', 'preview', 0, 0)`,
		`INSERT INTO agents (id, name, extension, realm, sip_a1_hash, created_at, updated_at) VALUES
			(7, 'Ann', '1001', 'r', '00000000000000000000000000000000', 0, 0),
			(9, 'Bob', '1002', 'r', '00000000000000000000000000000000', 0, 0)`,
		`INSERT INTO queues (id, name, strategy, ring_timeout_seconds, created_at, updated_at) VALUES (6, 'vip', 'top-down', 30, 1, 2)`,
		`INSERT INTO queue_members (queue_id, agent_id, position) VALUES (6, 9, 1)`,
		`INSERT INTO dids (number, name, queue, campaign_id, enabled, created_at, updated_at) VALUES
			('+12125550100', 'Main', 'sales', 3, 1, 10, 20),
			('+12125550101', 'Bills', 'billing', NULL, 0, 30, 40),
			('+12125550102', 'Bills too', 'billing', NULL, 1, 50, 60),
			('+12125550103', '', '', NULL, 1, 70, 80),
			('+12125550104', 'VIP', 'vip', NULL, 1, 90, 100)`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	applied, err := s.migrate(ctx, 15)
	if err != nil || !slices.Equal(applied, []string{"0015_did_queue_id.sql"}) {
		t.Fatalf("migrate to 0015: %v, %v", applied, err)
	}
	// The store reads the columns later migrations add.
	if _, err := s.migrate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	billing := must[dialer.Queue](t)(s.QueueByName(ctx, "billing"))
	want := dialer.DefaultQueueSettings()
	want.Name = "billing"
	if billing.QueueSettings != want || billing.Version != 1 {
		t.Fatalf("queue made for a label %+v", billing)
	}
	l := must[[]dialer.DID](t)(s.ListDIDs(ctx))
	got := make([]string, len(l))
	for i, d := range l {
		got[i] = fmt.Sprintf("%s %q %s/%d c%d %v %d %d", d.Number, d.Name, d.Queue, d.QueueID, d.Campaign, d.Enabled,
			d.CreatedAt.UnixMilli(), d.UpdatedAt.UnixMilli())
	}
	wantDIDs := []string{
		`+12125550100 "Main" sales/5 c3 true 10 20`,
		fmt.Sprintf(`+12125550101 "Bills" billing/%d c0 false 30 40`, billing.ID),
		fmt.Sprintf(`+12125550102 "Bills too" billing/%d c0 true 50 60`, billing.ID),
		`+12125550103 "" /0 c0 true 70 80`,
		`+12125550104 "VIP" vip/6 c0 true 90 100`,
	}
	if !slices.Equal(got, wantDIDs) {
		t.Fatalf("DIDs after the migration\n%v\nwant\n%v", got, wantDIDs)
	}
	for q, want := range map[dialer.QueueID][]dialer.AgentID{5: {7, 9}, billing.ID: {7, 9}, 6: {9}} {
		ms := must[[]dialer.QueueMember](t)(s.QueueMembers(ctx, q))
		var got []dialer.AgentID
		for i, m := range ms {
			if m.Position != i+1 {
				t.Fatalf("queue %d member %+v", q, m)
			}
			got = append(got, m.Agent)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("queue %d members %v, want %v", q, got, want)
		}
	}
	var fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys %d after the migration (%v)", fk, err)
	}
	// The reference holds: the queue cannot go, the campaign still can.
	wantErr(t, s.DeleteQueue(ctx, 5), dialer.ErrInUse)
	_, err = s.w.ExecContext(ctx, `DELETE FROM queues WHERE id = 5`)
	wantErr(t, mapErr(err, "delete", true), dialer.ErrInUse)
	if err := s.DeleteCampaign(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if d := must[dialer.DID](t)(s.DID(ctx, "+12125550100")); d.Campaign != 0 || d.QueueID != 5 {
		t.Fatalf("after the campaign's delete %+v", d)
	}
}
