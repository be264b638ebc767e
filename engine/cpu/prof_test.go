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

	"infertop/model"
	"infertop/presets"
)

// TestStepTimes prints where a run's time goes, step by step, when
// INFERTOP_STEP_TIMES=model:batch[:threads[:runs]] is set (a tool for
// tuning, not a check; model is a preset's name or a fixture's file under
// testdata/models): each step's mean share, and its quickest run, p50 and p99
// over the runs (default 5), which show what a step costs on a quiet machine
// and where a run's tail latency comes from.
func TestStepTimes(t *testing.T) {
	spec := os.Getenv("INFERTOP_STEP_TIMES")
	if spec == "" {
		t.Skip("set INFERTOP_STEP_TIMES=model:batch[:threads[:runs]]")
	}
	f := strings.Split(spec, ":")
	var m *model.Model
	for _, fx := range fixtures {
		if fx.file == f[0] {
			m = loadFixture(t, fx)
		}
	}
	if m == nil {
		var err error
		if m, err = presets.BuildModel(f[0], presets.DefaultSeed); err != nil {
			t.Fatal(err)
		}
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
	e := openT(t, m, threads, options{})
	if err := e.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	in := inputsFor(e, 1)
	out := model.NewTensors(e.plan.sigOut)
	if _, err := e.Run(in, out); err != nil {
		t.Fatal(err)
	}
	steps := e.plan.steps
	times := make([]time.Duration, len(steps))
	each := make([][]time.Duration, len(steps))
	runs := make([]time.Duration, reps)
	for r := 0; r < reps; r++ {
		r0 := time.Now()
		for i, s := range steps {
			t0 := time.Now()
			if err := runStep(s); err != nil {
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
		m.Name, batch, e.threads, float64(total.Microseconds())/1000/float64(reps), float64(batch*reps)/total.Seconds(),
		pct(runs, .5), pct(runs, .99), reps)
	for _, i := range idx {
		s := steps[i]
		parts := 0
		switch k := s.k.(type) {
		case *linearKernel:
			parts = k.g.parts
		case *convKernel:
			parts = k.parts
		case *attentionKernel:
			parts = k.parts
		}
		fmt.Printf("  %6.2f ms %5.1f%%  min %6.3f p50 %6.2f p99 %6.2f  %-40s %-18s parts %d\n", float64(times[i].Microseconds())/1000/float64(reps),
			100*float64(times[i])/float64(total), pct(each[i], 0), pct(each[i], .5), pct(each[i], .99), s.name, s.op, parts)
	}
}
