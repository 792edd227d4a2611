package pacesim

import (
	"strings"
	"testing"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
)

func campaign() Campaign {
	return Campaign{Seed: 3, Agents: 40, Live: 0.25, Machine: 0.12, Failed: 0.1,
		TalkMedian: 100 * time.Second, TalkSigma: 0.7, WrapMedian: 10 * time.Second, WrapSigma: 0.5, Duration: time.Hour}
}

// TestCeilingHolds is the property the pacer exists for: over seeded
// campaigns across the ranges, no rolling 24 h window (here the runs are
// shorter, so every window from the start) goes over the ceiling, and
// the pacer talks more than progressive on the same list.
func TestCeilingHolds(t *testing.T) {
	camps := Sweep(4, 11, 90*time.Minute)
	for i := range camps {
		// Small teams keep the test quick; the sweep command covers 200.
		camps[i].Agents = 20 + camps[i].Agents%40
	}
	for _, mode := range []pacing.Mode{pacing.Strict, pacing.Tapered} {
		for _, c := range camps {
			cfg := pacing.Config{Mode: mode}
			r, err := Run(c, Pacer, cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Run(c, Progressive, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Worst24h > pacing.DefaultCeiling || r.Live == 0 {
				t.Errorf("%s, %+v: worst 24 h window %.4f over the ceiling (%d live)", mode, c, r.Worst24h, r.Live)
			}
			if r.TalkPerAgentHour <= b.TalkPerAgentHour {
				t.Errorf("%s, %+v: pacer %.1f talk min/agent-hour, progressive %.1f", mode, c, r.TalkPerAgentHour, b.TalkPerAgentHour)
			}
		}
	}
}

// TestMaxTalk: no run talks more than agents never idle would.
func TestMaxTalk(t *testing.T) {
	c := campaign()
	if m := c.MaxTalkPerAgentHour(); m < 55 || m > 57 {
		t.Fatalf("100 s talk, 10 s wrap-up: %.2f, want about 56", m)
	}
	r, err := Run(c, Pacer, pacing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.TalkPerAgentHour > c.MaxTalkPerAgentHour() {
		t.Fatalf("%.2f talk min/agent-hour, more than the %.2f possible", r.TalkPerAgentHour, c.MaxTalkPerAgentHour())
	}
}

// TestProgressiveNeverAbandons: one line per READY agent always finds
// the agent it was dialed for.
func TestProgressiveNeverAbandons(t *testing.T) {
	r, err := Run(campaign(), Progressive, pacing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Abandoned != 0 || r.Live == 0 || len(r.Minutes) != 60 {
		t.Fatalf("%d abandoned of %d live in %d minutes", r.Abandoned, r.Live, len(r.Minutes))
	}
}

// TestSameSeedSameRun: the run is a function of the seed.
func TestSameSeedSameRun(t *testing.T) {
	a, _ := Run(campaign(), Pacer, pacing.Config{})
	b, _ := Run(campaign(), Pacer, pacing.Config{})
	if a.Dialed != b.Dialed || a.Live != b.Live || a.Abandoned != b.Abandoned || a.TalkPerAgentHour != b.TalkPerAgentHour {
		t.Fatalf("two runs differ: %d/%d/%d vs %d/%d/%d", a.Dialed, a.Live, a.Abandoned, b.Dialed, b.Live, b.Abandoned)
	}
	c := campaign()
	c.Seed++
	d, _ := Run(c, Pacer, pacing.Config{})
	if d.Dialed == a.Dialed && d.Live == a.Live {
		t.Fatal("another seed gave the same run")
	}
}

// TestStep: after the live-answer share steps up, the answer rate the
// run reports follows it and Recovery measures the 1-minute rate.
func TestStep(t *testing.T) {
	c := campaign()
	c.Agents, c.Duration, c.StepAt, c.StepLive = 60, 40*time.Minute, 20*time.Minute, 0.40
	r, err := Run(c, Pacer, pacing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rate := func(from, to int) float64 {
		live, ended := 0, 0
		for _, m := range r.Minutes[from:to] {
			live, ended = live+m.Live, ended+m.Resolved
		}
		return float64(live) / float64(ended)
	}
	if before, after := rate(10, 20), rate(25, 40); before > 0.3 || after < 0.35 {
		t.Fatalf("answer rate %.3f before the step, %.3f after", before, after)
	}
	secs, peak := r.Recovery(20*60, pacing.DefaultCeiling)
	if secs < 0 || secs > 20*60 || peak < 0 || peak > 1 {
		t.Fatalf("recovery %d s, peak %.3f", secs, peak)
	}
	// A minute calm at once is a recovery of 0.
	for s := 20 * 60; s <= 20*60+secs+60; s++ {
		if rate, _ := r.Rate1mAt(s); s >= 20*60+secs && rate > pacing.DefaultCeiling {
			t.Fatalf("recovered at +%d s, but over the ceiling at +%d s", secs, s-20*60)
		}
	}
	if over := r.OverShare(0, 40*60, 0); over <= 0 || over > 1 {
		t.Fatalf("share of seconds with any abandon in the last minute: %.3f", over)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(c *Campaign)
	}{
		{"agents", func(c *Campaign) { c.Agents = 0 }},
		{"live", func(c *Campaign) { c.Live = 1 }},
		{"machine", func(c *Campaign) { c.Machine = 0.9 }},
		{"step-live", func(c *Campaign) { c.StepAt, c.StepLive = time.Minute, 0 }},
		{"talk median", func(c *Campaign) { c.TalkMedian = 0 }},
		{"wrap sigma", func(c *Campaign) { c.WrapSigma = -1 }},
		{"duration", func(c *Campaign) { c.Duration = time.Second }},
	} {
		camp := campaign()
		c.edit(&camp)
		if err := camp.Validate(); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: got %v", c.field, err)
		}
		if _, err := Run(camp, Pacer, pacing.Config{}); err == nil {
			t.Errorf("%s: Run accepted it", c.field)
		}
	}
	if err := campaign().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestSweepRanges: the sweep's campaigns stay in the ranges it names.
func TestSweepRanges(t *testing.T) {
	for _, c := range Sweep(200, 5, time.Hour) {
		if c.Agents < 20 || c.Agents > 200 || c.Live < 0.15 || c.Live > 0.35 || c.Machine < 0.05 || c.Machine > 0.2 ||
			c.TalkMedian < time.Minute || c.TalkMedian > 3*time.Minute || c.WrapMedian < 5*time.Second || c.WrapMedian > 30*time.Second {
			t.Fatalf("out of range: %+v", c)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLargeCampaign: with more lines ringing than the few hundred calls
// the rate is read from (2,000 agents), the pacer still leaves warming
// and stays predictive, within the ceiling: the answer rate is read from
// the last minute's calls, and the jump out of warming is spread.
func TestLargeCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2,000-agent hour")
	}
	c := campaign()
	c.Agents, c.Duration = 2000, 50*time.Minute
	r, err := Run(c, Pacer, pacing.Config{Mode: pacing.Tapered})
	if err != nil {
		t.Fatal(err)
	}
	if r.Worst24h > pacing.DefaultCeiling {
		t.Errorf("worst 24 h window %.4f over the ceiling", r.Worst24h)
	}
	predictive := 0
	for _, m := range r.Minutes[30:] {
		if m.State == pacing.Predictive {
			predictive++
		}
	}
	if predictive < 18 {
		t.Errorf("predictive %d of the last 20 minutes, want at least 18", predictive)
	}
}
