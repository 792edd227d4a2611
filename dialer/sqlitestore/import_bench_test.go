package sqlitestore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/leadimport"
	"github.com/agentswitch/agentswitch/internal/procmem"
)

// rowGen writes n CSV rows as they are read, never the whole file: US
// numbers in three area codes, with a bad number every 100th row and a
// repeat every 1000th.
type rowGen struct {
	n, i int
	buf  bytes.Buffer
}

func (g *rowGen) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i <= g.n {
		switch {
		case g.i == 0:
			g.buf.WriteString("Phone,First,Last,Account\n")
		case g.i%100 == 0:
			fmt.Fprintf(&g.buf, "12,Bad,Row %d,A%d\n", g.i, g.i)
		case g.i%1000 == 1 && g.i > 1:
			g.buf.WriteString("(212) 200-0002,Again,Row,A\n")
		default:
			area := [...]string{"212", "415", "312"}[g.i%3]
			fmt.Fprintf(&g.buf, "(%s) %03d-%04d,First%d,Last%d,A%d\n", area, 200+g.i/10000, g.i%10000, g.i, g.i, g.i)
		}
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// BenchmarkImport1M imports 1,000,000 generated rows into a real SQLite
// file, sampling RSS every 100 ms and logging it at each tenth of the
// rows, to show memory does not grow with the file. Meanwhile a call
// record (CreateCall then FinishCall) is written every 10 ms: the slowest
// is how long the import made a live call's write wait.
func BenchmarkImport1M(b *testing.B) {
	const rows = 1_000_000
	for range b.N {
		b.StopTimer()
		s, err := Open(b.Context(), b.TempDir()+"/bench.db", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		c, err := s.CreateCampaign(b.Context(), dialer.Campaign{Name: "Bench", DialMode: dialer.DialProgressive, MaxAttempts: 3})
		if err != nil {
			b.Fatal(err)
		}
		list, err := s.CreateLeadList(b.Context(), leadimport.List{Campaign: c.ID, Name: "1M"})
		if err != nil {
			b.Fatal(err)
		}
		rejects, err := os.Create(b.TempDir() + "/errors.csv")
		if err != nil {
			b.Fatal(err)
		}
		prog := &leadimport.Progress{}
		var mu sync.Mutex
		var peak, start int64 = 0, procmem.RSS()
		var marks []string
		ctx, stop := context.WithCancel(b.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			next := int64(rows / 10)
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				r, read := procmem.RSS(), prog.Snapshot().Read
				mu.Lock()
				peak = max(peak, r)
				if read >= next {
					marks = append(marks, fmt.Sprintf("%dk rows: %d MB", read/1000, r>>20))
					next += rows / 10
				}
				mu.Unlock()
			}
		}()
		var worst time.Duration
		var writes int
		writer := make(chan struct{})
		go func() {
			defer close(writer)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				t1 := time.Now()
				// Not ctx: a write the import held up ends, and counts.
				call, err := s.CreateCall(b.Context(), dialer.Call{ID: dialer.NewCallID(), Direction: dialer.Outbound, Origin: dialer.OriginAPI,
					Campaign: c.ID, ToNumber: "+33699999999", CreatedAt: t1})
				if err == nil {
					_, err = s.FinishCall(b.Context(), dialer.CallEnd{Call: call.ID, At: time.Now(), HangupCause: "NORMAL_CLEARING",
						Outcome: dialer.OutcomeNoAnswer})
				}
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				worst, writes = max(worst, time.Since(t1)), writes+1
				mu.Unlock()
			}
		}()
		im, err := s.StartImport(b.Context(), list.ID, "1m.csv")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		im, err = s.ImportLeads(b.Context(), im, func(sink leadimport.Sink) (leadimport.Report, error) {
			return leadimport.Run(b.Context(), &rowGen{n: rows}, leadimport.Config{Campaign: c.ID, Country: "US",
				Mapping: leadimport.Mapping{"Phone": "phone", "First": "first_name", "Last": "last_name", "Account": "custom:account"}},
				sink, prog, rejects)
		})
		rep := im.Report
		el := time.Since(t0)
		b.StopTimer()
		stop()
		<-done
		<-writer
		rejects.Close()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Read != rows || rep.Imported+rep.Rejected != rows || rep.Imported < rows*98/100 {
			b.Fatalf("report %+v", rep)
		}
		mu.Lock()
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
		b.ReportMetric(float64(peak>>20), "peak-RSS-MB")
		b.ReportMetric(float64(start>>20), "start-RSS-MB")
		b.ReportMetric(float64(worst.Microseconds())/1000, "worst-call-write-ms")
		b.Logf("imported %d, rejected %v in %v; RSS at start %d MB, %v, peak %d MB; %d call records written meanwhile, the slowest in %v",
			rep.Imported, rep.Reasons, el.Round(time.Millisecond), start>>20, marks, peak>>20, writes, worst.Round(time.Millisecond))
		mu.Unlock()
		s.Close()
	}
}
