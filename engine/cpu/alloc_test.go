package cpu

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"infertop/model"
)

// Every preset and fixture runs without allocating once warm, on OpenBLAS and
// gonum, profiled (engine.StepProfiler) or not.
func TestAllocatesNothingInSteadyState(t *testing.T) {
	// Record every allocation, so that any seen can be traced to its stack.
	defer func(r int) { runtime.MemProfileRate = r }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	type subject struct {
		m     *model.Model
		in    func(e *executor) []*model.Tensor
		heavy bool
	}
	var subjects []subject
	for _, m := range presetModels(t) {
		subjects = append(subjects, subject{m: m, in: func(e *executor) []*model.Tensor { return inputsFor(e, 1) },
			heavy: m.Name == "transformer" || m.Name == "resnet" || m.Name == "mlp"})
	}
	for _, f := range fixtures {
		m := loadFixture(t, f)
		subjects = append(subjects, subject{m: m, in: func(*executor) []*model.Tensor { in, _ := fixtureData(t, f, m, 3); return in }})
	}
	for _, s := range subjects {
		for _, o := range variants() {
			e := openT(t, s.m, 3, o)
			batch := 3
			if err := e.Prepare(batch); err != nil {
				t.Fatal(err)
			}
			in := s.in(e)
			_, sig := e.Signature()
			out := model.NewTensors(sig)
			start := time.Now()
			for i := 0; i < 50 || time.Since(start) < 200*time.Millisecond; i++ {
				if _, err := e.Run(in, out); err != nil {
					t.Fatal(err)
				}
			}
			runs := 300
			if o.noLibrary && s.heavy {
				runs = 30 // gonum is slow
			}
			times := make([]time.Duration, len(e.Steps()))
			before := allocSites()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for i := 0; i < runs; i++ {
				if i%2 == 1 { // a profiling batch allocates nothing either
					e.RunProfiled(in, out, times)
				} else {
					e.Run(in, out)
				}
			}
			runtime.ReadMemStats(&m1)
			if n := m1.Mallocs - m0.Mallocs; n != 0 {
				// The runtime itself allocates when it starts another OS thread
				// (a busy machine makes it want more while cgo calls hold some);
				// those stacks hold no frame of ours. Anything else fails.
				var ours int64
				for stack, k := range diffSites(before, allocSites()) {
					if strings.Contains(stack, "engine/cpu.allocSites") {
						continue // this test's own bookkeeping
					}
					if !strings.Contains(stack, "infertop/") {
						t.Logf("%s: %d allocations by the runtime at\n%s", s.m.Name, k, stack)
						continue
					}
					ours += k
					t.Errorf("%s (%s): %d allocations at\n%s", s.m.Name, e.c.lib.Name(), k, stack)
				}
				if ours == 0 {
					t.Logf("%s (%s): %d allocations in %d runs, all the runtime's own", s.m.Name, e.c.lib.Name(), n, runs)
				}
			}
			e.Close() // its workers must not park while the next one is measured
		}
	}
}

// allocSites returns the allocation counts per stack of the memory profile
// (flushed by two collections, as the profile lags by up to two cycles).
func allocSites() map[string]int64 {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	sites := map[string]int64{}
	for _, r := range recs {
		var b strings.Builder
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			fmt.Fprintf(&b, "  %s\n", f.Function)
			if !more {
				break
			}
		}
		sites[b.String()] += r.AllocObjects
	}
	return sites
}

func diffSites(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for s, n := range after {
		if k := n - before[s]; k > 0 {
			d[s] = k
		}
	}
	return d
}
