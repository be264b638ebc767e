package cpu

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/engine/reference"
	"infertop/hostinfo"
	"infertop/internal/blas"
	"infertop/presets"
)

var cpuDev = engine.Device{Kind: engine.CPU, Ordinal: -1}

// tol is the relative error every output must stay within: max|a−b| / max|ref|.
const tol = 1e-5

// variants are the BLAS paths the tests run: the library Load finds (OpenBLAS
// when present) and gonum, once when they are the same.
func variants(t testing.TB) []options {
	if lib, _ := blas.Load(blas.Options{}); lib.Fallback() {
		return []options{{}}
	}
	return []options{{}, {noLibrary: true}}
}

func openT(t testing.TB, p *presets.Preset, threads int, o options) *executor {
	t.Helper()
	e, err := newExecutor(cpuDev, p, engine.Options{Seed: presets.DefaultSeed, Threads: threads}, o)
	if err != nil {
		t.Fatal(err)
	}
	e.peak = func(context.Context, int) (float64, error) { return 123, nil }
	t.Cleanup(func() { e.Close() })
	return e
}

func runT(t testing.TB, e *executor, in []float32, batch int) []float32 {
	t.Helper()
	if err := e.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, batch*e.p.OutputSize())
	if _, err := e.Run(in, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func randInput(p *presets.Preset, batch int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	in := make([]float32, batch*p.InputSize())
	for i := range in {
		in[i] = 2*r.Float32() - 1
	}
	return in
}

func checkPreset(t *testing.T, p *presets.Preset, batch, threads int, o options) {
	t.Helper()
	e := openT(t, p, threads, o)
	in := randInput(p, batch, uint64(batch))
	got := runT(t, e, in, batch)
	want := reference.Forward(p, p.Weights(presets.DefaultSeed), in, batch)
	if err := reference.RelErr(got, want); err > tol {
		t.Errorf("%s batch %d threads %d (%s): relative error %.3g > %g", p.Name, batch, threads, e.c.lib.Name(), err, tol)
	}
	// A second run on the same buffers gives the same answer (nothing left over).
	got2 := make([]float32, len(got))
	if _, err := e.Run(in, got2); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != got2[i] {
			t.Fatalf("%s: second run differs at %d: %v vs %v", p.Name, i, got[i], got2[i])
		}
	}
}

func TestPresetsAgainstReference(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		for _, batch := range []int{1, 3} {
			for _, o := range variants(t) {
				checkPreset(t, p, batch, 3, o)
			}
		}
	}
}

func TestPresetsSingleThread(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		checkPreset(t, p, 2, 1, options{})
	}
}

// single wraps one layer (and what it needs around it) into a preset.
func single(name string, input []int, ls ...presets.Layer) *presets.Preset {
	return &presets.Preset{Name: name, Input: input, DefaultBatch: 1, Layers: ls}
}

func layerCases() []*presets.Preset {
	conv := func(name string, in, out, k, s, pad int) presets.Layer {
		return presets.Layer{Kind: presets.Conv2D, Name: name, In: in, Out: out, Kernel: k, Stride: s, Pad: pad}
	}
	return []*presets.Preset{
		single("linear", []int{7}, presets.Layer{Kind: presets.Linear, Name: "fc", In: 7, Out: 5}),
		single("linear-3d", []int{4, 6}, presets.Layer{Kind: presets.Linear, Name: "fc", In: 6, Out: 33}),
		single("linear-wide", []int{40}, presets.Layer{Kind: presets.Linear, Name: "fc", In: 40, Out: 300}),
		single("linear-relu", []int{9}, presets.Layer{Kind: presets.Linear, Name: "fc", In: 9, Out: 17}, presets.Layer{Kind: presets.ReLU, Name: "r"}),
		single("linear-gelu", []int{9}, presets.Layer{Kind: presets.Linear, Name: "fc", In: 9, Out: 17}, presets.Layer{Kind: presets.GELU, Name: "g"}),
		single("conv", []int{3, 9, 8}, conv("c", 3, 5, 3, 1, 0)),
		single("conv-pad", []int{2, 7, 7}, conv("c", 2, 4, 3, 1, 1)),
		single("conv-stride2", []int{3, 9, 10}, conv("c", 3, 6, 3, 2, 1)),
		single("conv-1ch-5x5", []int{1, 12, 12}, conv("c", 1, 6, 5, 1, 0)),
		single("conv-1x1", []int{4, 5, 5}, conv("c", 4, 3, 1, 1, 0)),
		single("conv-conv", []int{3, 10, 10}, conv("c1", 3, 8, 3, 1, 1), presets.Layer{Kind: presets.ReLU, Name: "r"}, conv("c2", 8, 5, 3, 2, 2)),
		single("relu", []int{5, 3}, presets.Layer{Kind: presets.ReLU, Name: "r"}),
		single("gelu", []int{5000}, presets.Layer{Kind: presets.GELU, Name: "g"}),
		single("maxpool", []int{3, 7, 6}, presets.Layer{Kind: presets.MaxPool2, Name: "p"}),
		single("conv-maxpool", []int{2, 9, 9}, conv("c", 2, 4, 2, 1, 0), presets.Layer{Kind: presets.MaxPool2, Name: "p"}),
		single("flatten", []int{3, 4, 5}, conv("c", 3, 2, 1, 1, 0), presets.Layer{Kind: presets.Flatten, Name: "f"}),
		single("gap", []int{3, 5, 4}, presets.Layer{Kind: presets.GlobalAvgPool, Name: "p"}),
		single("conv-gap", []int{3, 6, 6}, conv("c", 3, 7, 3, 1, 1), presets.Layer{Kind: presets.GlobalAvgPool, Name: "p"}),
		single("layernorm", []int{3, 24}, presets.Layer{Kind: presets.LayerNorm, Name: "n", In: 24}),
		single("attention-1head", []int{5, 8}, presets.Layer{Kind: presets.SelfAttention, Name: "a", In: 8, Heads: 1}),
		single("attention-4heads", []int{33, 32}, presets.Layer{Kind: presets.SelfAttention, Name: "a", In: 32, Heads: 4}),
		single("residual-relu-body", []int{6}, presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{{Kind: presets.ReLU, Name: "res.r"}}}),
		single("residual-linear", []int{2, 6}, presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
			{Kind: presets.Linear, Name: "res.fc", In: 6, Out: 6}}}, presets.Layer{Kind: presets.ReLU, Name: "out"}),
		single("residual-conv", []int{4, 6, 6}, presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
			conv("res.c1", 4, 4, 3, 1, 1), {Kind: presets.ReLU, Name: "res.r"}, conv("res.c2", 4, 4, 3, 1, 1)}}, presets.Layer{Kind: presets.ReLU, Name: "out"}),
		single("residual-conv-relu-last", []int{4, 5, 5}, presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
			conv("res.c1", 4, 4, 3, 1, 1), {Kind: presets.ReLU, Name: "res.r"}}}),
		single("residual-attention", []int{6, 16}, presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
			{Kind: presets.LayerNorm, Name: "res.n", In: 16}, {Kind: presets.SelfAttention, Name: "res.a", In: 16, Heads: 2}}}),
		single("residual-pool-mismatch", []int{2, 4, 4}, conv("c", 2, 2, 1, 1, 0), presets.Layer{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
			{Kind: presets.GELU, Name: "res.g"}}}, presets.Layer{Kind: presets.Flatten, Name: "f"}),
		single("empty", []int{3}),
	}
}

func TestEachLayerAgainstReference(t *testing.T) {
	for _, p := range layerCases() {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		for _, threads := range []int{1, 4} {
			for _, batch := range []int{1, 5} {
				for _, o := range variants(t) {
					t.Run(fmt.Sprintf("%s/b%d/t%d/gonum=%v", p.Name, batch, threads, o.noLibrary), func(t *testing.T) {
						checkPreset(t, p, batch, threads, o)
					})
				}
			}
		}
	}
}

func TestFastMath(t *testing.T) {
	for x := float32(-90); x < 89; x += 0.0137 {
		want := reference.GELU([]float32{x})[0]
		if d := abs32(gelu32(x) - want); d > 2e-6*max(1, abs32(want)) {
			t.Fatalf("gelu32(%v) = %v, want %v", x, gelu32(x), want)
		}
		e := exp32(x)
		we := float32(expf64(float64(x)))
		if d := abs32(e - we); d > 3e-7*we && we > 1e-37 {
			t.Fatalf("exp32(%v) = %v, want %v", x, e, we)
		}
	}
}

func TestAllocatesNothingInSteadyState(t *testing.T) {
	// Record every allocation, so that any seen can be traced to its stack.
	defer func(r int) { runtime.MemProfileRate = r }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	for _, p := range presets.NewCatalog().All() {
		for _, o := range variants(t) {
			e := openT(t, p, 3, o)
			batch := 2
			in := randInput(p, batch, 1)
			out := make([]float32, batch*p.OutputSize())
			if err := e.Prepare(batch); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for i := 0; i < 50 || time.Since(start) < 200*time.Millisecond; i++ {
				if _, err := e.Run(in, out); err != nil {
					t.Fatal(err)
				}
			}
			runs := 300
			if o.noLibrary && (p.Name == "transformer" || p.Name == "resnet" || p.Name == "mlp") {
				runs = 50 // gonum is slow
			}
			before := allocSites()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for i := 0; i < runs; i++ {
				e.Run(in, out)
			}
			runtime.ReadMemStats(&m1)
			n := m1.Mallocs - m0.Mallocs
			if n != 0 {
				// The runtime itself allocates when it starts another OS thread
				// (a busy machine makes it want more while cgo calls hold some);
				// those stacks hold no frame of ours. Anything else fails.
				var ours int64
				for stack, k := range diffSites(before, allocSites()) {
					if strings.Contains(stack, "engine/cpu.allocSites") {
						continue // this test's own bookkeeping
					}
					if !strings.Contains(stack, "infertop/") {
						t.Logf("%s: %d allocations by the runtime at\n%s", p.Name, k, stack)
						continue
					}
					ours += k
					t.Errorf("%s (%s): %d allocations at\n%s", p.Name, e.c.lib.Name(), k, stack)
				}
				if ours == 0 {
					t.Logf("%s (%s): %d allocations in %d runs, all the runtime's own", p.Name, e.c.lib.Name(), n, runs)
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

// panicOp stands in for an op and panics.
type panicOp struct{}

func (panicOp) UsePreallocDo(v gorgonia_Value, in ...gorgonia_Value) (gorgonia_Value, error) {
	var s []float32
	_ = s[len(in)+5] // index out of range
	return v, nil
}

func TestPanicInOpBecomesError(t *testing.T) {
	p, _ := presets.NewCatalog().Get("mlp")
	e := openT(t, p, 2, options{})
	in := randInput(p, 2, 1)
	want := runT(t, e, in, 2)
	st := &e.plan.steps[1]
	saved := st.op
	st.op = panicOp{}
	out := make([]float32, len(want))
	_, err := e.Run(in, out)
	var oe *OpError
	if !errors.As(err, &oe) || oe.Panic == nil || oe.Node != st.name || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("Run with a panicking op returned %v", err)
	}
	// A panic inside a worker goroutine reaches the caller as well.
	for i := range e.plan.steps {
		if g, ok := e.plan.steps[i].op.(*gemmOp); ok && g.parts > 1 {
			g.w = nil
			saved2 := e.plan.steps[i].ins[1]
			e.plan.steps[i].ins[1] = e.plan.steps[i].ins[2] // the bias as the weight: too short
			st.op = saved
			_, err = e.Run(in, out)
			e.plan.steps[i].ins[1] = saved2
			if !errors.As(err, &oe) || oe.Panic == nil {
				t.Fatalf("a panic in a worker gave %v", err)
			}
			t.Logf("worker panic: %v", err)
			break
		}
	}
	st.op = saved
	if _, err := e.Run(in, out); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
	if reference.RelErr(out, want) != 0 {
		t.Error("the executor computes differently after a panic")
	}
}

func TestOOMRefusedBeforeAllocating(t *testing.T) {
	p, _ := presets.NewCatalog().Get("resnet")
	e := openT(t, p, 2, options{})
	const limit = 64 << 20
	e.readMem = func() (hostinfo.Memory, error) { return hostinfo.Memory{Available: limit, Source: "test"}, nil }
	if err := e.Prepare(4); err != nil {
		t.Fatalf("batch 4 should fit in 64 MiB: %v", err)
	}
	small := e.Memory().HostBytes
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	err := e.Prepare(4096)
	runtime.ReadMemStats(&m1)
	var oom *engine.OOMError
	if !errors.As(err, &oom) || !errors.Is(err, engine.ErrOutOfMemory) {
		t.Fatalf("Prepare(4096) in 64 MiB gave %v", err)
	}
	if oom.Device != "cpu" || oom.Batch != 4096 || oom.Available != limit || oom.Need <= limit {
		t.Errorf("OOM error %+v", oom)
	}
	if got := m1.TotalAlloc - m0.TotalAlloc; got > 8<<20 {
		t.Errorf("the refused Prepare allocated %d bytes", got)
	}
	if e.plan != nil || e.Memory().HostBytes >= small {
		t.Error("a refused Prepare left a batch prepared")
	}
	if _, err := e.Run(make([]float32, p.InputSize()), make([]float32, p.OutputSize())); err == nil {
		t.Error("Run after a refused Prepare succeeded")
	}
	if err := e.Prepare(2); err != nil {
		t.Fatalf("a smaller batch after the refusal: %v", err)
	}
}

func TestInfoMemoryAndClose(t *testing.T) {
	p, _ := presets.NewCatalog().Get("mlp")
	e := openT(t, p, 3, options{})
	info := e.Info()
	if info.Device != "cpu" || info.Threads != 3 || info.PeakGFLOPS != 123 || !strings.HasPrefix(info.Engine, "gorgonia+") || info.Detail == "" {
		t.Errorf("info %+v", info)
	}
	w := e.Memory().HostBytes
	if w != 4*p.ParamCount() {
		t.Errorf("weights hold %d bytes, want %d", w, 4*p.ParamCount())
	}
	if err := e.Prepare(8); err != nil {
		t.Fatal(err)
	}
	if m := e.Memory().HostBytes; m <= w || m > w+p.EstimateBytes(8) {
		t.Errorf("prepared memory %d, weights %d, preset estimate %d", m, w, p.EstimateBytes(8))
	}
	g := runtime.NumGoroutine()
	e.Close()
	// Close waits for the workers' WaitGroup; a worker that has called Done
	// may still be counted for a moment, so give the count time to settle.
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > g-2 && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	if n > g-2 {
		t.Errorf("%d goroutines after Close, %d before: workers not stopped", n, g)
	}
	if err := e.Prepare(8); err == nil {
		t.Error("Prepare after Close succeeded")
	}
	if _, err := e.Run(nil, nil); err == nil {
		t.Error("Run after Close succeeded")
	}
	if e.Close() != nil {
		t.Error("second Close failed")
	}
}

func TestGonumInfo(t *testing.T) {
	p, _ := presets.NewCatalog().Get("linear")
	e := openT(t, p, 1, options{noLibrary: true})
	info := e.Info()
	if info.Engine != "gorgonia+gonum" || !strings.Contains(info.Detail, "apt-get install libopenblas0") {
		t.Errorf("gonum info %+v", info)
	}
}

func TestRunChecksSizes(t *testing.T) {
	p, _ := presets.NewCatalog().Get("linear")
	e := openT(t, p, 1, options{})
	if _, err := e.Run(make([]float32, 10), make([]float32, 1)); err == nil {
		t.Error("Run before Prepare succeeded")
	}
	if err := e.Prepare(2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(make([]float32, 10), make([]float32, 2)); err == nil {
		t.Error("Run with a short input succeeded")
	}
	if err := e.Prepare(0); err == nil {
		t.Error("Prepare(0) succeeded")
	}
	if _, err := New(engine.Device{Kind: engine.CUDA}, p, engine.Options{}); err == nil {
		t.Error("New on a CUDA device succeeded")
	}
}

func TestNodesUniquelyNamed(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		e := openT(t, p, 2, options{})
		if err := e.Prepare(2); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, n := range e.plan.g.AllNodes() {
			if seen[n.Name()] {
				t.Errorf("%s: two nodes named %q", p.Name, n.Name())
			}
			seen[n.Name()] = true
		}
		t.Logf("%s: %d nodes, %d ops run", p.Name, len(seen), len(e.plan.steps))
	}
}
