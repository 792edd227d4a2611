package sqlitestore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// BenchmarkDialerCallRecords writes the records of progressive dialer
// calls as the engine does, on a file store with a campaign's leads: 25
// calls created at once, each after a read of its lead and with its lead
// leg (CreateCall takes the lead; concurrent ones share commits), then their progress, end and, for
// an answered call, automatic disposition in one of the record writer's
// batches. Six calls in ten are answered and bridged to a persistent
// agent leg (recorded once per agent, as the engine does); four end
// unanswered. One op is one call; ms/call is the mean wall time and
// cpu-ms/call the process's CPU (user and system) per call.
func BenchmarkDialerCallRecords(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	camp := must[dialer.Campaign](b)(s.CreateCampaign(ctx, dialer.Campaign{Name: "Bench", DialMode: dialer.DialProgressive, MaxAttempts: 1}))
	list := must[leadimport.List](b)(s.CreateLeadList(ctx, leadimport.List{Campaign: camp.ID, Name: "Bench"}))
	const agents = 50
	ag := make([]dialer.Agent, agents)
	agentLegs := make([]dialer.LegID, agents)
	for i := range ag {
		ag[i] = must[dialer.Agent](b)(s.CreateAgent(ctx, dialer.Agent{Name: fmt.Sprintf("A%d", i), Extension: fmt.Sprint(20000 + i), Realm: "pbx", Mode: dialer.ModePersistent}, "sip-password"))
	}
	const batch = 25
	var leads []dialer.LeadID
	newLeads := func(n int) {
		im := must[leadimport.Import](b)(s.StartImport(ctx, list.ID, "bench.csv"))
		_, err := s.ImportLeads(ctx, im, func(sink leadimport.Sink) (leadimport.Report, error) {
			for i := range n {
				if _, err := sink.Insert(ctx, dialer.Lead{Phone: fmt.Sprintf("+1777%07d", len(leads)+i), TimeZone: "UTC"}); err != nil {
					return leadimport.Report{}, err
				}
			}
			return leadimport.Report{Read: int64(n), Imported: int64(n)}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT id FROM leads WHERE id > ? ORDER BY id`, int64(max(0, len(leads)-1)))
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		last := dialer.LeadID(0)
		if len(leads) > 0 {
			last = leads[len(leads)-1]
		}
		for rows.Next() {
			var id dialer.LeadID
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			if id > last {
				leads = append(leads, id)
			}
		}
	}
	at := t0
	var writes []func(context.Context) error
	var importCPU time.Duration
	calls := 0
	// created writes a batch's calls at once, as the dialer's goroutines
	// do, then queues the rest of their records.
	type placed struct {
		id   dialer.CallID
		lead dialer.LegID
		i    int
	}
	create := func(n int) []placed {
		if calls+n > len(leads) {
			b.StopTimer()
			c := procmem.CPU()
			newLeads(max(n, 10_000))
			importCPU += procmem.CPU() - c
			b.StartTimer()
		}
		ps := make([]placed, n)
		var wg sync.WaitGroup
		for k := range ps {
			i := calls + k
			at = at.Add(time.Millisecond)
			ps[k] = placed{id: dialer.NewCallID(), lead: dialer.NewLegID(), i: i}
			call := dialer.Call{ID: ps[k].id, Direction: dialer.Outbound, Origin: dialer.OriginDialer,
				Campaign: camp.ID, Lead: leads[i], ToNumber: fmt.Sprintf("+1777%07d", i), CreatedAt: at}
			leg := dialer.CallLeg{ID: ps[k].lead, Role: dialer.LegLead, Endpoint: "sofia/gateway/gw/+1777", CreatedAt: at}
			wg.Go(func() {
				// The dialer reads the claimed lead again just before.
				must[dialer.Lead](b)(s.Lead(ctx, call.Lead))
				must[dialer.Call](b)(s.CreateCall(ctx, call, leg))
			})
		}
		wg.Wait()
		calls += n
		return ps
	}
	record := func(pc placed) {
		id, lead, i := pc.id, pc.lead, pc.i
		progress := func(p dialer.CallProgress) {
			p.Call, p.At = id, at
			writes = append(writes, func(ctx context.Context) error { return s.RecordCallProgress(ctx, p) })
		}
		progress(dialer.CallProgress{Kind: "ringing", State: dialer.CallRinging, Leg: lead})
		answered := i%10 < 6
		outcome, cause := dialer.OutcomeNoAnswer, "NO_ANSWER"
		if answered {
			a := i % agents
			progress(dialer.CallProgress{Kind: "leg_answered", Leg: lead, LegAnswered: true, Data: []byte(`{"role":"lead"}`)})
			progress(dialer.CallProgress{Kind: "answered", State: dialer.CallAnswered, Leg: lead})
			progress(dialer.CallProgress{Kind: "agent_reserved", Agent: ag[a].ID})
			if agentLegs[a] == "" {
				agentLegs[a] = dialer.NewLegID()
				l := dialer.CallLeg{ID: agentLegs[a], Call: id, Role: dialer.LegAgent, Endpoint: "user/" + ag[a].Extension, Agent: ag[a].ID, CreatedAt: at}
				writes = append(writes, func(ctx context.Context) error { return s.AddCallLeg(ctx, l) })
			}
			progress(dialer.CallProgress{Kind: "bridged", State: dialer.CallBridged, Agent: ag[a].ID})
			outcome, cause = dialer.OutcomeAnswered, "NORMAL_CLEARING"
		}
		progress(dialer.CallProgress{Kind: "leg_ended", Leg: lead, LegEnded: true, LegCause: cause, Data: []byte(`{"role":"lead"}`)})
		end := dialer.CallEnd{Call: id, At: at, HangupCause: cause, Outcome: outcome}
		writes = append(writes, func(ctx context.Context) error { _, err := s.FinishCall(ctx, end); return err })
		if answered {
			d := dialer.Disposal{Call: id, Code: "NODISPO", At: at}
			writes = append(writes, func(ctx context.Context) error { _, err := s.DisposeCall(ctx, d); return err })
		}
	}
	flush := func() {
		err := s.Batch(ctx, func(ctx context.Context) error {
			for _, w := range writes {
				if err := w(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		writes = writes[:0]
	}
	run := func(n int) {
		for _, pc := range create(n) {
			record(pc)
		}
		flush()
	}
	start, cpu0 := time.Now(), procmem.CPU()
	n := 0
	for b.Loop() {
		if n++; n == batch {
			run(n)
			n = 0
		}
	}
	run(n)
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(calls), "ms/call")
	b.ReportMetric(float64((procmem.CPU()-cpu0-importCPU).Microseconds())/1000/float64(calls), "cpu-ms/call")
}
