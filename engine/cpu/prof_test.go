package cpu

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
)

// TestStepTimes prints where a run's time goes, op by op, when
// INFERTOP_STEP_TIMES=preset:batch[:threads] is set (a tool for tuning, not a check).
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
	threads := 0
	if len(f) > 2 {
		threads, _ = strconv.Atoi(f[2])
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
	const reps = 5
	for r := 0; r < reps; r++ {
		for i := range e.plan.steps {
			t0 := time.Now()
			if err := runStep(&e.plan.steps[i]); err != nil {
				t.Fatal(err)
			}
			times[i] += time.Since(t0)
		}
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
	fmt.Printf("%s batch %d threads %d: %.2f ms per run, %.0f samples/s\n", p.Name, batch, e.threads,
		float64(total.Microseconds())/1000/reps, float64(batch*reps)/total.Seconds())
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
		fmt.Printf("  %6.2f ms %5.1f%%  %-50s parts %d\n", float64(times[i].Microseconds())/1000/reps, 100*float64(times[i])/float64(total), s.name, parts)
	}
}
