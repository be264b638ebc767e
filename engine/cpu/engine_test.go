package cpu

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/hostinfo"
	"infertop/model"
	"infertop/presets"
)

// presetModels returns the built-in presets as models.
func presetModels(t testing.TB) []*model.Model {
	t.Helper()
	c := presets.NewModels(presets.DefaultSeed)
	var out []*model.Model
	for _, name := range c.Names() {
		m, err := c.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// Every preset, at several batches and thread counts, on OpenBLAS and gonum,
// against the reference kernels running the same compiled graph; a second
// run on the same buffers gives the same bits.
func TestPresetsAgainstReference(t *testing.T) {
	for _, m := range presetModels(t) {
		for _, batch := range []int{1, 3, 8} {
			var want []*model.Tensor
			for _, threads := range []int{1, 2, 3} {
				for _, o := range variants() {
					if o.noLibrary && (threads != 3 || batch == 8) {
						continue
					}
					name := fmt.Sprintf("%s/b%d/t%d/gonum=%v", m.Name, batch, threads, o.noLibrary)
					t.Run(name, func(t *testing.T) {
						e := openT(t, m, threads, o)
						if err := e.Prepare(batch); err != nil {
							t.Fatal(err)
						}
						in := inputsFor(e, uint64(batch))
						if want == nil {
							want = evalRef(t, e.plan.g, in)
						}
						got := runT(t, e, batch, in)
						compareOut(t, name, got, want)
						again := runT(t, e, batch, in)
						for i := range got {
							for j, v := range got[i].F32 {
								if again[i].F32[j] != v {
									t.Fatalf("the second run differs at output %d[%d]: %v vs %v", i, j, again[i].F32[j], v)
								}
							}
						}
					})
				}
			}
		}
	}
}

// panicKernel stands in for a step's kernel and panics.
type panicKernel struct{}

func (panicKernel) compute() error {
	var s []float32
	_ = s[len(s)+5] // index out of range
	return nil
}

// errKernel stands in for a step's kernel and fails.
type errKernel struct{}

func (errKernel) compute() error { return errors.New("boom") }

func TestPanicInStepBecomesError(t *testing.T) {
	m, _ := presets.BuildModel("mlp", presets.DefaultSeed)
	e := openT(t, m, 2, options{})
	if err := e.Prepare(2); err != nil {
		t.Fatal(err)
	}
	in := inputsFor(e, 1)
	want := runT(t, e, 2, in)
	st := e.plan.steps[1]
	saved := st.k
	out := model.NewTensors(e.plan.sigOut)
	var oe *OpError
	st.k = panicKernel{}
	if _, err := e.Run(in, out); !errors.As(err, &oe) || oe.Panic == nil || oe.Node != st.name ||
		!strings.Contains(err.Error(), "index out of range") || !strings.Contains(err.Error(), "node fc2 panicked") {
		t.Fatalf("Run with a panicking step returned %v", err)
	}
	st.k = errKernel{}
	if _, err := e.Run(in, out); !errors.As(err, &oe) || oe.Panic != nil || oe.Node != st.name || err.Error() != "cpu engine: node fc2: boom" {
		t.Fatalf("Run with a failing step returned %v", err)
	}
	// A panic inside a worker goroutine reaches the caller as well.
	st.k = saved
	l := e.plan.steps[0].k.(*linearKernel)
	weights, parts := &l.g.w, l.g.parts
	switch l.g.way {
	case wayPacked:
		weights, parts = &l.g.packed, l.g.packedParts
	case wayWide:
		weights, parts = &l.g.wide, l.g.wideParts
	}
	if parts < 2 {
		t.Fatalf("fc1 runs in %d parts; the test needs a product split among workers", parts)
	}
	w := *weights
	*weights = w[:10] // too short: every part's product panics
	_, err := e.Run(in, out)
	*weights = w
	if !errors.As(err, &oe) || oe.Panic == nil || oe.Node != "fc1" {
		t.Fatalf("a panic in a worker gave %v", err)
	}
	if _, err := e.Run(in, out); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
	compareOut(t, "after a panic", out, want)
}

// A failing reference kernel (a Gather index out of its table) is an OpError naming the node.
func TestReferenceKernelErrorBecomesOpError(t *testing.T) {
	f := fixtures[5]
	m := loadFixture(t, f)
	e := openT(t, m, 2, options{})
	in, _ := fixtureData(t, f, m, 1)
	runT(t, e, 1, in)
	in[0].I64[3] = 1000
	out := model.NewTensors(e.plan.sigOut)
	_, err := e.Run(in, out)
	var oe *OpError
	if !errors.As(err, &oe) || oe.Node != "/word/Gather" {
		t.Fatalf("Run with a token id past the table gave %v", err)
	}
	t.Log(err)
}

func TestOOMRefusedBeforeAllocating(t *testing.T) {
	m, _ := presets.BuildModel("resnet", presets.DefaultSeed)
	e := openT(t, m, 2, options{})
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
	if e.plan != nil || e.Memory().HostBytes != 0 || small == 0 {
		t.Errorf("a refused Prepare left a batch prepared (memory %d, before %d)", e.Memory().HostBytes, small)
	}
	if in, out := e.Signature(); in != nil || out != nil {
		t.Error("a refused Prepare left a signature")
	}
	if _, err := e.Run(nil, nil); err == nil || err.Error() != "cpu engine: Run before Prepare" {
		t.Errorf("Run after a refused Prepare: %v", err)
	}
	if err := e.Prepare(2); err != nil {
		t.Fatalf("a smaller batch after the refusal: %v", err)
	}
}

// The buffers are reused by liveness: a deep network needs far less than a
// buffer per value, and the memory reported is the weights, the arena and
// the scratch.
func TestMemoryReusesBuffers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxShare float64 // of the footprint with a buffer per value
		buffers  int
	}{{"resnet", 0.4, 3}, {"transformer", 0.7, 4}, {"lenet5", 0.8, 3}} {
		m, _ := presets.BuildModel(tc.name, presets.DefaultSeed)
		e := openT(t, m, 2, options{})
		if err := e.Prepare(16); err != nil {
			t.Fatal(err)
		}
		fp, err := e.plan.g.Footprint()
		if err != nil {
			t.Fatal(err)
		}
		pl := e.plan
		arena := int64(4*len(pl.arenas.f32)) + int64(8*len(pl.arenas.i64)) + int64(len(pl.arenas.bool))
		if got, want := e.Memory().HostBytes, pl.weights+arena+4*int64(len(pl.scratch)+pl.mem.packed); got != want {
			t.Errorf("%s: memory %d, want weights %d + arena %d + scratch %d + packed %d", tc.name, got, pl.weights, arena, 4*len(pl.scratch), 4*pl.mem.packed)
		}
		// Each constant is read as it is or reordered once: together they are
		// the graph's, and the zeros that fill the last panel of a product
		// or a convolution that takes the packed or the wide way.
		var padding int64
		for _, st := range pl.steps {
			switch k := st.k.(type) {
			case *linearKernel:
				if k.g.way == wayPacked || k.g.way == wayWide {
					padding += 4 * int64((roundUp(k.g.outF, denseLanes)-k.g.outF)*k.g.in)
				}
			case *convKernel:
				if k.tune.way == wayWide {
					padding += 4 * int64((roundUp(k.m, denseLanes)-k.m)*k.kkc)
				}
			}
		}
		if got := pl.weights + 4*int64(pl.mem.packed); got != fp.Constants+padding {
			t.Errorf("%s: weights %d bytes + %d reordered, the graph's constants %d and %d of padding", tc.name, pl.weights, 4*pl.mem.packed, fp.Constants, padding)
		}
		if share := float64(arena) / float64(fp.Inputs+fp.Values); share > tc.maxShare {
			t.Errorf("%s: the arena holds %d bytes, %.0f%% of a buffer per value (%d)", tc.name, arena, 100*share, fp.Inputs+fp.Values)
		}
		if len(pl.mem.stores) > tc.buffers {
			t.Errorf("%s: %d buffers, want at most %d", tc.name, len(pl.mem.stores), tc.buffers)
		}
		t.Logf("%s batch 16: arena %d bytes for %d of values; %d buffers", tc.name, arena, fp.Inputs+fp.Values, len(pl.mem.stores))
	}
}

func TestInfoMemoryAndClose(t *testing.T) {
	m, _ := presets.BuildModel("mlp", presets.DefaultSeed)
	e := openT(t, m, 3, options{})
	info := e.Info()
	if info.Device != "cpu" || info.Threads != 3 || info.PeakGFLOPS != 123 || !strings.HasPrefix(info.Engine, "cpu+") || info.Detail == "" {
		t.Errorf("info %+v", info)
	}
	if e.Memory().HostBytes != 0 {
		t.Errorf("memory %d before Prepare", e.Memory().HostBytes)
	}
	if err := e.Prepare(8); err != nil {
		t.Fatal(err)
	}
	// The weights (fc3's packed into a panel of 16 features, not 10, when it
	// takes the packed way), the values, and the packed way's copy of the
	// rows for each of 3 parts.
	weights := 4 * m.Graph.ParamCount()
	if mem := e.Memory().HostBytes; mem <= weights || mem > weights+4*(6*1024+8*(784+2*1024+10)+3*8*1024)+1<<16 {
		t.Errorf("prepared memory %d, weights %d", mem, weights)
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
	m, _ := presets.BuildModel("linear", presets.DefaultSeed)
	e := openT(t, m, 1, options{noLibrary: true})
	info := e.Info()
	if info.Engine != "cpu+gonum" || !strings.Contains(info.Detail, "apt-get install libopenblas0") {
		t.Errorf("gonum info %+v", info)
	}
}

func TestRunChecksItsArguments(t *testing.T) {
	m, _ := presets.BuildModel("linear", presets.DefaultSeed)
	e := openT(t, m, 1, options{})
	if _, err := e.Run(nil, nil); err == nil || err.Error() != "cpu engine: Run before Prepare" {
		t.Errorf("Run before Prepare: %v", err)
	}
	if err := e.Prepare(2); err != nil {
		t.Fatal(err)
	}
	good := func() ([]*model.Tensor, []*model.Tensor) {
		return []*model.Tensor{model.NewTensor(model.Float32, 2, 10)}, []*model.Tensor{model.NewTensor(model.Float32, 2, 1)}
	}
	for _, tc := range []struct {
		name   string
		change func(in, out []*model.Tensor) ([]*model.Tensor, []*model.Tensor)
		want   string
	}{
		{"no inputs", func(_, out []*model.Tensor) ([]*model.Tensor, []*model.Tensor) { return nil, out },
			"cpu engine: Run with 0 inputs, the model has 1"},
		{"nil output", func(in, _ []*model.Tensor) ([]*model.Tensor, []*model.Tensor) { return in, []*model.Tensor{nil} },
			`cpu engine: output 0 ("output") is nil`},
		{"int input", func(_, out []*model.Tensor) ([]*model.Tensor, []*model.Tensor) {
			return []*model.Tensor{model.NewTensor(model.Int64, 2, 10)}, out
		}, `cpu engine: input 0 ("input") is int64, the model's is float32`},
		{"short batch", func(_, out []*model.Tensor) ([]*model.Tensor, []*model.Tensor) {
			return []*model.Tensor{model.NewTensor(model.Float32, 1, 10)}, out
		}, `cpu engine: input 0 ("input") has shape [1 10], the prepared batch's is [2 10]`},
		{"short data", func(in, out []*model.Tensor) ([]*model.Tensor, []*model.Tensor) {
			in[0].F32 = in[0].F32[:5]
			return in, out
		}, `cpu engine: input 0 ("input") holds 5 elements, its shape [2 10] says 20`},
	} {
		in, out := tc.change(good())
		if _, err := e.Run(in, out); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := e.Run(good()); err != nil {
		t.Errorf("good tensors: %v", err)
	}
	if err := e.Prepare(0); err == nil || err.Error() != "batch 0 must be positive" {
		t.Errorf("Prepare(0): %v", err)
	}
	if _, err := New(engine.Device{Kind: engine.CUDA}, m, engine.Options{}); err == nil {
		t.Error("New on a CUDA device succeeded")
	}
}

// A fixed-batch export is refused at another batch with the model's own message.
func TestFixedBatchRefused(t *testing.T) {
	m, _ := presets.BuildModel("linear", presets.DefaultSeed)
	g := m.Graph.Clone()
	g.Values["input"].Shape[0] = model.Fixed(4)
	fixed := &model.Model{Name: "fixed", Graph: g}
	e := openT(t, fixed, 1, options{})
	if err := e.Prepare(2); err == nil || !strings.Contains(err.Error(), "fixed batch of 4") {
		t.Errorf("Prepare(2) of a batch-4 export: %v", err)
	}
	if err := e.Prepare(4); err != nil {
		t.Errorf("Prepare(4): %v", err)
	}
}

// Info.Plan says what runs channels-last and what the reference kernels run.
func TestInfoPlan(t *testing.T) {
	for _, tc := range []struct {
		f    fixture
		want string
	}{
		{fixtures[0], "7 values channels-last, 1 layout change"},
		{fixtures[5], "reference kernels: Cast, Gather"},
		{fixtures[7], ""},
	} {
		m := loadFixture(t, tc.f)
		e := openT(t, m, 1, options{})
		if err := e.Prepare(2); err != nil {
			t.Fatal(err)
		}
		if got := e.Info().Plan; got != tc.want {
			t.Errorf("%s: plan %q, want %q", tc.f.file, got, tc.want)
		}
	}
}

// The CPU engine computes in float32 only: it says so in Info, and refuses
// to open in any other precision rather than run float32 under its name.
func TestPrecisionFloat32Only(t *testing.T) {
	m, _ := presets.BuildModel("linear", presets.DefaultSeed)
	e := openT(t, m, 1, options{})
	if p := e.Info().Precision; p != engine.FP32 {
		t.Errorf("Info.Precision %v, want fp32", p)
	}
	for _, p := range []engine.Precision{engine.TF32, engine.FP16, engine.BF16} {
		_, err := New(engine.Device{Kind: engine.CPU}, m, engine.Options{Precision: p})
		want := "cpu engine: precision " + p.String() + " is not available: the CPU engine computes in float32 only (fp32)"
		if err == nil || err.Error() != want {
			t.Errorf("%v: %v, want %q", p, err, want)
		}
	}
}
