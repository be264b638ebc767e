package cpu

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
)

// TestStepTimes prints where a run's time goes, op by op, when
// INFERTOP_STEP_TIMES=preset:batch[:threads[:runs]] is set (a tool for tuning,
// not a check): each op's mean share, and its p50 and p99 over the runs (default
// 5), which shows where a run's tail latency comes from.
func TestStepTimes(t *testing.T) {
	spec := os.Getenv("INFERTOP_STEP_TIMES")
	if spec == "" {
		t.Skip("set INFERTOP_STEP_TIMES=preset:batch[:threads]")
	}
	f := strings.Split(spec, ":")
	p, err := presets.NewCatalog().Get(f[0])
	if err != nil {
		t.Fatal(err)
	}
	batch, _ := strconv.Atoi(f[1])
	threads, reps := 0, 5
	if len(f) > 2 {
		threads, _ = strconv.Atoi(f[2])
	}
	if len(f) > 3 {
		reps, _ = strconv.Atoi(f[3])
		reps = max(reps, 1)
	}
	e, err := newExecutor(cpuDev, p, engine.Options{Threads: threads}, options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	in := make([]float32, batch*p.InputSize())
	out := make([]float32, batch*p.OutputSize())
	e.Run(in, out)
	times := make([]time.Duration, len(e.plan.steps))
	each := make([][]time.Duration, len(e.plan.steps))
	runs := make([]time.Duration, reps)
	for r := 0; r < reps; r++ {
		r0 := time.Now()
		for i := range e.plan.steps {
			t0 := time.Now()
			if err := runStep(&e.plan.steps[i]); err != nil {
				t.Fatal(err)
			}
			d := time.Since(t0)
			times[i] += d
			each[i] = append(each[i], d)
		}
		runs[r] = time.Since(r0)
	}
	// Nearest-rank percentile in ms.
	pct := func(d []time.Duration, q float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[max(0, int(math.Ceil(q*float64(len(s))))-1)].Microseconds()) / 1000
	}
	var total time.Duration
	for _, d := range times {
		total += d
	}
	idx := make([]int, len(times))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return times[idx[a]] > times[idx[b]] })
	fmt.Printf("%s batch %d threads %d: %.2f ms per run, %.0f samples/s; run p50 %.2f p99 %.2f ms over %d runs\n",
		p.Name, batch, e.threads, float64(total.Microseconds())/1000/float64(reps), float64(batch*reps)/total.Seconds(),
		pct(runs, .5), pct(runs, .99), reps)
	for _, i := range idx {
		s := e.plan.steps[i]
		parts := 0
		switch o := s.op.(type) {
		case *gemmOp:
			parts = o.parts
		case *convOp:
			parts = o.parts
		case *attentionOp:
			parts = o.parts
		}
		fmt.Printf("  %6.2f ms %5.1f%%  p50 %6.2f p99 %6.2f  %-40s parts %d\n", float64(times[i].Microseconds())/1000/float64(reps),
			100*float64(times[i])/float64(total), pct(each[i], .5), pct(each[i], .99), s.name, parts)
	}
}
