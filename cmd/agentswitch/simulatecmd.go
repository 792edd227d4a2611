package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/agentswitch/agentswitch/dialer/pacing"
	"github.com/agentswitch/agentswitch/dialer/pacing/pacesim"
	"github.com/agentswitch/agentswitch/internal/inputerr"
)

const simulateUsage = `usage: agentswitch simulate [flags]

Runs simulated outbound campaigns on a virtual clock (an 8-hour day in a
second or two of CPU) under the predictive pacer and, on the same seed and list, the
progressive baseline of one line per READY agent; prints a table and can
write the per-minute figures as CSV and draw them (.png or .svg).

One campaign by default; -campaigns N runs N seeded campaigns across the
ranges (20-200 agents, 15-35% live answers, talk medians 1-3 minutes,
wrap-up medians 5-30 s); -agents-from/-agents-to and -live narrow them.
`

// simulateFlags are the command's settings once parsed.
type simulateFlags struct {
	camp           pacesim.Campaign
	cfg            pacing.Config
	campaigns      int
	agentsFrom     int
	agentsTo       int
	liveSet        bool
	every          time.Duration
	csvPath, image string
	parallel       int
}

func parseSimulate(args []string) (*simulateFlags, error) {
	fs := newFlagSet("simulate", simulateUsage)
	f := &simulateFlags{}
	seed := fs.Uint64("seed", 1, "seed of the population and the list")
	fs.IntVar(&f.campaigns, "campaigns", 0, "run this many seeded campaigns across the ranges (0: one campaign from the flags)")
	fs.IntVar(&f.camp.Agents, "agents", 100, "agents staffed (one campaign)")
	fs.IntVar(&f.agentsFrom, "agents-from", 20, "fewest agents of a sweep's campaigns")
	fs.IntVar(&f.agentsTo, "agents-to", 200, "most agents of a sweep's campaigns")
	fs.Float64Var(&f.camp.Live, "live", 0.25, "share of attempts answered by a person (a sweep's campaigns draw 0.15-0.35 unless set)")
	fs.Float64Var(&f.camp.Machine, "machine", 0.12, "share of attempts answered by a machine (one campaign)")
	fs.Float64Var(&f.camp.Failed, "failed", 0.10, "share of attempts busy or unreachable (one campaign)")
	fs.DurationVar(&f.camp.TalkMedian, "talk", 2*time.Minute, "median talk time (one campaign)")
	fs.Float64Var(&f.camp.TalkSigma, "talk-sigma", 0.7, "deviation of the log of talk time (one campaign)")
	fs.DurationVar(&f.camp.WrapMedian, "wrap", 12*time.Second, "median wrap-up time (one campaign)")
	fs.Float64Var(&f.camp.WrapSigma, "wrap-sigma", 0.5, "deviation of the log of wrap-up time (one campaign)")
	fs.DurationVar(&f.camp.Duration, "duration", 8*time.Hour, "simulated time per campaign")
	fs.DurationVar(&f.camp.StepAt, "step-at", 0, "when the live-answer share steps to -step-live (0: no step)")
	fs.Float64Var(&f.camp.StepLive, "step-live", 0.40, "the live-answer share after the step")
	mode := fs.String("mode", "strict", "pacing mode: strict, tapered or average")
	fs.Float64Var(&f.cfg.Ceiling, "ceiling", pacing.DefaultCeiling, "abandon-rate ceiling")
	fs.IntVar(&f.cfg.MinAgents, "min-agents", pacing.DefaultMinAgents, "below this many staffed agents the pacer is progressive")
	fs.DurationVar(&f.every, "every", 30*time.Minute, "one campaign: a table row per this much simulated time")
	fs.StringVar(&f.csvPath, "csv", "", "write the per-minute figures (one campaign) or one row per campaign (a sweep) to this CSV file")
	fs.StringVar(&f.image, "plot", "", "draw dial level, answer rate, abandon rates and talk time per minute to this .png or .svg file (one campaign)")
	fs.IntVar(&f.parallel, "parallel", 2, "campaigns simulated at once")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("simulate: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	fs.Visit(func(fl *flag.Flag) { f.liveSet = f.liveSet || fl.Name == "live" })
	f.camp.Seed = *seed
	f.cfg.Mode = pacing.Mode(*mode)
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	return f, nil
}

// check names the flag of the first bad setting.
func (f *simulateFlags) check() error {
	switch {
	case f.campaigns < 0 || f.campaigns > 10000:
		return errors.New("-campaigns: must be between 0 and 10000")
	case f.agentsFrom < 1 || f.agentsTo < f.agentsFrom || f.agentsTo > 10000:
		return errors.New("-agents-from, -agents-to: need 1 <= from <= to <= 10000")
	case f.every < time.Minute:
		return errors.New("-every: must be at least 1m")
	case f.parallel < 1 || f.parallel > 64:
		return errors.New("-parallel: must be between 1 and 64")
	case f.image != "" && !slices.Contains([]string{".png", ".svg"}, strings.ToLower(filepath.Ext(f.image))):
		return fmt.Errorf("-plot %s: the file must end in .png or .svg", f.image)
	case f.campaigns > 0 && f.image != "":
		return errors.New("-plot: draws one campaign; leave out -campaigns")
	}
	if err := f.cfg.Validate(); err != nil {
		var fe *inputerr.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("-%s: %s", strings.ReplaceAll(fe.Field, "_", "-"), fe.Reason)
		}
		return err
	}
	c := f.camp
	switch {
	case c.Agents < 1 || c.Agents > 10000:
		return errors.New("-agents: must be between 1 and 10000")
	case !(c.Live > 0 && c.Live < 1):
		return errors.New("-live: must be between 0 and 1")
	case !(c.Machine >= 0 && c.Machine < 1):
		return errors.New("-machine: must be between 0 and 1")
	case !(c.Failed >= 0 && c.Failed < 1):
		return errors.New("-failed: must be between 0 and 1")
	case c.Live+c.Machine+c.Failed > 1:
		return errors.New("-live, -machine, -failed: the shares add up to more than 1")
	case c.TalkMedian <= 0:
		return errors.New("-talk: must be positive")
	case c.WrapMedian < 0:
		return errors.New("-wrap: must not be negative")
	case !(c.TalkSigma >= 0 && c.TalkSigma <= 3):
		return errors.New("-talk-sigma: must be between 0 and 3")
	case !(c.WrapSigma >= 0 && c.WrapSigma <= 3):
		return errors.New("-wrap-sigma: must be between 0 and 3")
	case c.Duration < time.Minute || c.Duration > 31*24*time.Hour:
		return errors.New("-duration: must be between 1m and 744h")
	case c.StepAt < 0 || c.StepAt >= c.Duration && c.StepAt > 0:
		return errors.New("-step-at: must be within -duration")
	case c.StepAt > 0 && !(c.StepLive > 0 && c.StepLive+c.Machine+c.Failed <= 1):
		return errors.New("-step-live: must be above 0 and leave room for -machine and -failed")
	}
	return nil
}

func runSimulate(args []string, stdout io.Writer) error {
	f, err := parseSimulate(args)
	if err != nil {
		return err
	}
	if f.campaigns > 0 {
		return runSweep(f, stdout)
	}
	return runOne(f, stdout)
}

// pair is a campaign under the pacer and under the baseline.
type pair struct {
	pacer, base *pacesim.Result
	cpu         time.Duration
}

// processCPU is the CPU time the process has used (user and system): on
// a shared machine the wall clock says more about the neighbours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func simulatePair(c pacesim.Campaign, cfg pacing.Config) (pair, error) {
	start := processCPU()
	p, err := pacesim.Run(c, pacesim.Pacer, cfg)
	if err != nil {
		return pair{}, err
	}
	b, err := pacesim.Run(c, pacesim.Progressive, cfg)
	if err != nil {
		return pair{}, err
	}
	return pair{pacer: p, base: b, cpu: processCPU() - start}, nil
}

func gain(p pair) float64 {
	if p.base.TalkPerAgentHour == 0 {
		return 0
	}
	return 100 * (p.pacer.TalkPerAgentHour/p.base.TalkPerAgentHour - 1)
}

func dayRate(r *pacesim.Result) float64 {
	if r.Live == 0 {
		return 0
	}
	return float64(r.Abandoned) / float64(r.Live)
}

func runOne(f *simulateFlags, stdout io.Writer) error {
	c := f.camp
	p, err := simulatePair(c, f.cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "campaign: seed %d, %d agents, %.0f%% live, %.0f%% machines, %.0f%% failed, talk %v (σ %.2f), wrap-up %v (σ %.2f), %v, mode %s, ceiling %.1f%%\n",
		c.Seed, c.Agents, 100*c.Live, 100*c.Machine, 100*c.Failed, c.TalkMedian, c.TalkSigma, c.WrapMedian, c.WrapSigma, c.Duration, f.cfg.Mode, 100*f.cfg.Ceiling)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "minute\tstate\tlevel\tanswer%\tabandon 1m%\tabandon 24h%\ttalk min/agent-h\tidle agents\tbaseline level\tbaseline talk\t")
	step := int(f.every / time.Minute)
	for i, m := range p.pacer.Minutes {
		if (i+1)%step != 0 && i != len(p.pacer.Minutes)-1 {
			continue
		}
		b := p.base.Minutes[i]
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.1f\t%.2f\t%.2f\t%.1f\t%.1f\t%.2f\t%.1f\t\n", m.Minute+1, m.State, m.Level, 100*m.AnswerRate,
			100*m.Abandon1m, 100*m.Abandon24h, m.TalkPerAgentHour, m.Idle, b.Level, b.TalkPerAgentHour)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\npacer:       %d dialed, %d live, %d abandoned (%.2f%%), worst 24 h window %.2f%%, worst 1 h %.2f%%, %.1f talk min/agent-hour\n",
		p.pacer.Dialed, p.pacer.Live, p.pacer.Abandoned, 100*dayRate(p.pacer), 100*p.pacer.Worst24h, 100*p.pacer.Worst1h, p.pacer.TalkPerAgentHour)
	fmt.Fprintf(stdout, "progressive: %d dialed, %d live, %d abandoned (%.2f%%), %.1f talk min/agent-hour\n",
		p.base.Dialed, p.base.Live, p.base.Abandoned, 100*dayRate(p.base), p.base.TalkPerAgentHour)
	fmt.Fprintf(stdout, "gain: %+.1f%% talk time over progressive (%v of CPU for both runs)\n", gain(p), p.cpu.Round(time.Millisecond))
	if c.StepAt > 0 {
		at := int(c.StepAt / time.Second)
		secs, peak := p.pacer.Recovery(at, f.cfg.Ceiling)
		fmt.Fprintf(stdout, "step to %.0f%% live at %v: the 1-minute abandon rate was at or under %.1f%% for a whole minute from %d s after the step (peak %.2f%% in the 5 minutes after)\n",
			100*c.StepLive, c.StepAt, 100*f.cfg.Ceiling, secs, 100*peak)
		before := p.pacer.OverShare(max(at-3600, 0), at, f.cfg.Ceiling)
		after := p.pacer.OverShare(at, at+300, f.cfg.Ceiling)
		fmt.Fprintf(stdout, "seconds with the 1-minute rate over %.1f%%: %.1f%% in the hour before the step, %.1f%% in the 5 minutes after\n",
			100*f.cfg.Ceiling, 100*before, 100*after)
	}
	if f.csvPath != "" {
		if err := writeFile(f.csvPath, func(w io.Writer) error { return minutesCSV(w, p) }); err != nil {
			return err
		}
	}
	if f.image != "" {
		if err := writeFile(f.image, func(w io.Writer) error { return plotRun(w, f.image, p, f.cfg.Ceiling) }); err != nil {
			return err
		}
	}
	return nil
}

func runSweep(f *simulateFlags, stdout io.Writer) error {
	camps := pacesim.Sweep(f.campaigns, f.camp.Seed, f.camp.Duration)
	for i := range camps {
		c := &camps[i]
		span := f.agentsTo - f.agentsFrom + 1
		c.Agents = f.agentsFrom + (c.Agents-20)*span/181
		if f.liveSet {
			c.Live = f.camp.Live
		}
		c.StepAt, c.StepLive = f.camp.StepAt, f.camp.StepLive
	}
	// What the run cost this machine: real time and CPU, not the
	// simulation's virtual clock.
	start, cpu0 := time.Now(), processCPU()
	pairs := make([]pair, len(camps))
	errs := make([]error, len(camps))
	var wg sync.WaitGroup
	next := make(chan int)
	for range f.parallel {
		wg.Go(func() {
			for i := range next {
				pairs[i], errs[i] = simulatePair(camps[i], f.cfg)
			}
		})
	}
	for i := range camps {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	wall, cpu := time.Since(start), processCPU()-cpu0

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "seed\tagents\tlive%\ttalk\twrap\tmost talk\tpacer talk\tbaseline talk\tgain%\tday abandon%\tworst 24h%\tworst 1h%\t")
	var worst, worstDay float64
	var worstAt pacesim.Campaign
	var big, bigGain, bigShare float64
	nBig, bigAt50 := 0, 0
	for i, p := range pairs {
		c := camps[i]
		if p.pacer.Worst24h > worst {
			worst, worstAt = p.pacer.Worst24h, c
		}
		worstDay = max(worstDay, dayRate(p.pacer))
		if c.Agents >= 50 {
			if p.pacer.TalkPerAgentHour >= 50 {
				bigAt50++
			}
			bigShare += p.pacer.TalkPerAgentHour / c.MaxTalkPerAgentHour()
			big += p.pacer.TalkPerAgentHour
			bigGain += gain(p)
			nBig++
		}
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%v\t%v\t%.1f\t%.1f\t%.1f\t%+.1f\t%.2f\t%.2f\t%.2f\t\n", c.Seed, c.Agents, 100*c.Live, c.TalkMedian, c.WrapMedian,
			c.MaxTalkPerAgentHour(), p.pacer.TalkPerAgentHour, p.base.TalkPerAgentHour, gain(p), 100*dayRate(p.pacer), 100*p.pacer.Worst24h, 100*p.pacer.Worst1h)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%d campaigns of %v, mode %s, ceiling %.1f%%: %v of CPU (%v wall on %d at once)\n",
		len(camps), f.camp.Duration, f.cfg.Mode, 100*f.cfg.Ceiling, cpu.Round(time.Millisecond), wall.Round(time.Millisecond), f.parallel)
	fmt.Fprintf(stdout, "worst rolling 24 h abandon window: %.2f%% (seed %d, %d agents, %.0f%% live); worst day: %.2f%%\n",
		100*worst, worstAt.Seed, worstAt.Agents, 100*worstAt.Live, 100*worstDay)
	gains := make([]float64, len(pairs))
	for i, p := range pairs {
		gains[i] = gain(p)
	}
	slices.Sort(gains)
	at30 := len(gains) - sort.SearchFloat64s(gains, 30)
	fmt.Fprintf(stdout, "gain over progressive: least %+.1f%%, median %+.1f%%, most %+.1f%%; %d of %d campaigns at +30%% or more\n",
		gains[0], gains[len(gains)/2], gains[len(gains)-1], at30, len(gains))
	if nBig > 0 {
		fmt.Fprintf(stdout, "campaigns of 50 agents or more (%d): %.1f talk min/agent-hour (%d at 50 or more), %.0f%% of the most their talk and wrap-up times allow, %+.1f%% over progressive on average\n",
			nBig, big/float64(nBig), bigAt50, 100*bigShare/float64(nBig), bigGain/float64(nBig))
	}
	if f.csvPath != "" {
		return writeFile(f.csvPath, func(w io.Writer) error { return sweepCSV(w, camps, pairs) })
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(file); err != nil {
		file.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return file.Close()
}

func ff(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

func minutesCSV(w io.Writer, p pair) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"minute", "policy", "state", "dial_level", "dialed", "resolved", "live", "machines", "abandoned",
		"answer_rate", "abandon_1m", "abandon_24h", "abandon_all", "talk_min_per_agent_hour", "idle_agents"})
	for _, r := range []*pacesim.Result{p.pacer, p.base} {
		for _, m := range r.Minutes {
			cw.Write([]string{strconv.Itoa(m.Minute), r.Policy.String(), string(m.State), ff(m.Level), strconv.Itoa(m.Dialed),
				strconv.Itoa(m.Resolved), strconv.Itoa(m.Live), strconv.Itoa(m.Machines), strconv.Itoa(m.Abandoned),
				ff(m.AnswerRate), ff(m.Abandon1m), ff(m.Abandon24h), ff(m.AbandonAll), ff(m.TalkPerAgentHour), ff(m.Idle)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func sweepCSV(w io.Writer, camps []pacesim.Campaign, pairs []pair) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"seed", "agents", "live", "machine", "failed", "talk_median_s", "talk_sigma", "wrap_median_s", "wrap_sigma",
		"pacer_talk_min_per_agent_hour", "baseline_talk_min_per_agent_hour", "gain_pct", "pacer_dialed", "pacer_live", "pacer_abandoned",
		"day_abandon", "worst_24h", "worst_1h"})
	for i, p := range pairs {
		c := camps[i]
		cw.Write([]string{strconv.FormatUint(c.Seed, 10), strconv.Itoa(c.Agents), ff(c.Live), ff(c.Machine), ff(c.Failed),
			ff(c.TalkMedian.Seconds()), ff(c.TalkSigma), ff(c.WrapMedian.Seconds()), ff(c.WrapSigma),
			ff(p.pacer.TalkPerAgentHour), ff(p.base.TalkPerAgentHour), ff(gain(p)), strconv.Itoa(p.pacer.Dialed),
			strconv.Itoa(p.pacer.Live), strconv.Itoa(p.pacer.Abandoned), ff(dayRate(p.pacer)), ff(p.pacer.Worst24h), ff(p.pacer.Worst1h)})
	}
	cw.Flush()
	return cw.Error()
}
