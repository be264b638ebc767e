package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/engine/reference"
	"infertop/presets"
)

// planMemory allocates plan's buffers for preset p: weights and input from
// the default seed, every other value NaN (a read before any write shows up).
func planMemory(t *testing.T, p *presets.Preset, plan *Plan) [][]float32 {
	t.Helper()
	w := p.Weights(presets.DefaultSeed)
	mem := make([][]float32, len(plan.Buffers))
	for i, b := range plan.Buffers {
		mem[i] = make([]float32, b.Floats)
		for j := range mem[i] {
			mem[i][j] = float32(math.NaN())
		}
		if b.Role == RoleWeight {
			if int64(len(w[b.Param])) != b.Floats {
				t.Fatalf("%s: weight %s has %d values, buffer %d", p.Name, b.Param, len(w[b.Param]), b.Floats)
			}
			copy(mem[i], w[b.Param])
		}
	}
	p.FillInput(view(mem, plan.Input)[:plan.InputFloats], presets.DefaultSeed)
	return mem
}

// execPlan runs plan's steps on mem in Go.
func execPlan(t *testing.T, p *presets.Preset, plan *Plan, mem [][]float32) {
	t.Helper()
	for i, st := range plan.Steps {
		var err error
		switch {
		case st.Gemm != nil:
			err = runGemm(mem, st.Gemm)
		case st.Conv != nil:
			err = runConvCall(mem, st.Conv)
		default:
			err = runKernel(mem, st.Launch)
		}
		if err != nil {
			t.Fatalf("%s batch %d step %d (layer %s): %v", p.Name, plan.Batch, i, st.Layer, err)
		}
	}
}

// emulate runs plan on the CPU for preset p with the default weights and input.
func emulate(t *testing.T, p *presets.Preset, plan *Plan) (out, in []float32) {
	t.Helper()
	w := p.Weights(presets.DefaultSeed)
	mem := planMemory(t, p, plan)
	in = view(mem, plan.Input)[:plan.InputFloats]
	inCopy := slices.Clone(in)
	execPlan(t, p, plan, mem)
	for _, b := range plan.Buffers {
		if b.Role == RoleWeight && !slices.Equal(mem[slices.IndexFunc(plan.Buffers, func(x Buffer) bool { return x.Param == b.Param })], w[b.Param]) {
			t.Errorf("%s: the plan wrote into weight %s", p.Name, b.Param)
		}
	}
	if !slices.Equal(in, inCopy) {
		t.Errorf("%s: the plan wrote into its input (data-resident runs reuse it)", p.Name)
	}
	return slices.Clone(view(mem, plan.Output)[:plan.OutputFloats]), inCopy
}

func relErr(got, want []float32) float64 {
	var d, s float64
	for i := range got {
		if math.IsNaN(float64(got[i])) {
			return math.Inf(1)
		}
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
		s = max(s, math.Abs(float64(want[i])))
	}
	return d / s
}

// TestPlanMatchesReference executes every preset's plan (GEMMs as column-major
// sgemm, kernels in Go) and compares the output with the plain-Go reference:
// this checks every row-major ↔ column-major mapping, leading dimension and stride.
func TestPlanMatchesReference(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		for _, way := range convWays(p) {
			for _, batch := range []int{1, 3} {
				if testing.Short() && p.Name == "transformer" && batch > 1 {
					continue
				}
				plan, err := BuildWith(p, batch, Options{Default: way})
				if err != nil {
					t.Fatal(err)
				}
				out, in := emulate(t, p, plan)
				want := reference.Forward(p, p.Weights(presets.DefaultSeed), in, batch)
				if len(out) != len(want) {
					t.Fatalf("%s %s batch %d: %d outputs, reference %d", p.Name, way, batch, len(out), len(want))
				}
				if e := relErr(out, want); !(e <= 1e-4) {
					t.Errorf("%s %s batch %d: relative error %.3g > 1e-4", p.Name, way, batch, e)
				} else {
					t.Logf("%s %s batch %d: relative error %.3g, %d steps", p.Name, way, batch, e, len(plan.Steps))
				}
			}
		}
	}
}

// convWays lists the convolution ways worth testing for p: every way when it
// has a convolution, the default alone otherwise.
func convWays(p *presets.Preset) []ConvWay {
	if p.WorkspacePerSample() > 0 {
		return []ConvWay{ConvIm2col, ConvImplicit, ConvCudnn}
	}
	return []ConvWay{ConvIm2col}
}

func TestPTXHasEveryKernel(t *testing.T) {
	if err := CheckPTX(PTX); err != nil {
		t.Fatal(err)
	}
	entries := PTXEntries(PTX)
	for _, p := range presets.NewCatalog().All() {
		for _, way := range convWays(p) {
			plan, err := BuildWith(p, 7, Options{Default: way})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range plan.Steps {
				if st.Launch != nil && !slices.Contains(entries, st.Launch.Kernel) {
					t.Errorf("%s launches %s, which the PTX lacks", p.Name, st.Launch.Kernel)
				}
			}
		}
	}
	// Every parameter is declared 64-bit (.u64 pointer/long long or .f64 double),
	// and the count matches what the plan passes.
	for _, k := range KernelNames() {
		i := strings.Index(PTX, ".entry "+k+"(")
		body := PTX[i:]
		body = body[:strings.Index(body, ")")]
		n := strings.Count(body, ".param ")
		if n != kernelParams[k] {
			t.Errorf("%s: PTX declares %d parameters, the plan passes %d", k, n, kernelParams[k])
		}
		if n != strings.Count(body, ".param .u64 ")+strings.Count(body, ".param .f64 ") {
			t.Errorf("%s: a parameter is not 64-bit wide:\n%s", k, body)
		}
	}
	if err := CheckPTX(".visible .entry infertop_bias_act(\n"); err == nil {
		t.Error("CheckPTX accepted a module without most kernels")
	}
}

// wantGrid is the grid that covers a launch's work in one pass, each
// dimension capped, from the kernel's own arguments (kernels.cu says which
// grid dimension walks what).
func wantGrid(t *testing.T, l *Launch, caps Dim3) Dim3 {
	t.Helper()
	arg := func(i int) int64 { return l.Args[i].Int }
	ceil := func(a, b int64) int { return int(max((a+b-1)/b, 1)) }
	var g Dim3
	switch l.Kernel {
	case KBiasAct: // x: columns by Block.X, y: rows by Block.Y
		g = Dim3{ceil(arg(4), int64(l.Block.X)), ceil(arg(3), int64(l.Block.Y)), 1}
	case KBiasActPlanes: // x: inner, y: channels, z: samples
		g = Dim3{ceil(arg(5), Block), int(arg(4)), int(arg(3))}
	case KIm2col: // x: planes, y: output pixels
		g = Dim3{int(arg(2)), ceil(arg(8)*arg(9), Block), 1}
	case KMaxPool2:
		g = Dim3{int(arg(2)), ceil(arg(5)*arg(6), Block), 1}
	case KLayerNorm: // one block per row
		g = Dim3{int(arg(4)), 1, 1}
	case KSoftmax:
		g = Dim3{int(arg(1)), 1, 1}
	case KConvM32, KConvM64: // x: column tiles (n·oh·ow columns), y: output-channel tiles
		tm, tn := int64(convTileM64), int64(convTileN64)
		if l.Kernel == KConvM32 {
			tm, tn = convTileM32, convTileN32
		}
		g = Dim3{ceil(arg(4)*arg(12)*arg(13), tn), ceil(arg(8), tm), 1}
	case KAvgPool, KResidualAdd: // one thread per element
		idx := map[string]int{KAvgPool: 2, KResidualAdd: 3}[l.Kernel]
		g = Dim3{ceil(arg(idx), Block), 1, 1}
	default:
		t.Fatalf("no geometry rule for %s", l.Kernel)
	}
	return Dim3{min(g.X, caps.X), min(g.Y, caps.Y), min(g.Z, caps.Z)}
}

// TestLaunchGeometry: every launch has blocks of Block threads within CUDA's
// limits, and a grid that covers its work in one pass unless a dimension is
// at its cap (the kernels then loop, grid-stride), with no block left idle.
func TestLaunchGeometry(t *testing.T) {
	caps := Dim3{maxGridX, maxGridYZ, maxGridYZ}
	for _, p := range presets.NewCatalog().All() {
		for _, batch := range []int{1, 7, 64, 4096, 70000} {
			if batch == 70000 && p.Name != "resnet" && p.Name != "mlp" {
				continue
			}
			for _, way := range convWays(p) {
				plan, err := BuildWith(p, batch, Options{Default: way})
				if err != nil {
					t.Fatal(err)
				}
				checkGeometry(t, plan, caps)
			}
		}
	}
}

// checkGeometry checks every launch of plan against CUDA's limits and wantGrid.
func checkGeometry(t *testing.T, plan *Plan, caps Dim3) {
	t.Helper()
	name, batch := plan.Preset, plan.Batch
	for _, st := range plan.Steps {
		l := st.Launch
		if l == nil {
			continue
		}
		if l.Block.Size() != Block || l.Block.X < 1 || l.Block.Y < 1 || l.Block.Z != 1 {
			t.Fatalf("%s %s: block %+v, want %d threads", name, l.Kernel, l.Block, Block)
		}
		if (l.Kernel == KLayerNorm || l.Kernel == KSoftmax) && l.Block.X != Block {
			t.Fatalf("%s %s: row kernels need a block of %d in x, got %+v", name, l.Kernel, Block, l.Block)
		}
		if l.Grid.X < 1 || l.Grid.X > maxGridX || l.Grid.Y < 1 || l.Grid.Y > maxGridYZ || l.Grid.Z < 1 || l.Grid.Z > maxGridYZ {
			t.Fatalf("%s %s batch %d: grid %+v outside CUDA's limits", name, l.Kernel, batch, l.Grid)
		}
		if want := wantGrid(t, l, caps); l.Grid != want {
			t.Errorf("%s %s batch %d: grid %+v, want %+v", name, l.Kernel, batch, l.Grid, want)
		}
	}
}

func TestMemoryEstimate(t *testing.T) {
	for _, p := range presets.NewCatalog().All() {
		p1, _ := Build(p, 1)
		p2, _ := Build(p, 2)
		p5, _ := Build(p, 5)
		if p1.WeightBytes() != 4*p.ParamCount() {
			t.Errorf("%s: weights %d bytes, want %d", p.Name, p1.WeightBytes(), 4*p.ParamCount())
		}
		per := p2.BatchBytes() - p1.BatchBytes()
		if p1.BatchBytes() != per || p5.BatchBytes() != 5*per {
			t.Errorf("%s: batch bytes %d, %d, %d not linear in the batch", p.Name, p1.BatchBytes(), p2.BatchBytes(), p5.BatchBytes())
		}
		if est := p.EstimateBytes(5); p5.WeightBytes()+p5.BatchBytes() > est {
			t.Errorf("%s: plan needs %d bytes, more than the preset's estimate %d", p.Name, p5.WeightBytes()+p5.BatchBytes(), est)
		}
		if p5.DeviceBytes() != p5.WeightBytes()+p5.BatchBytes()+CublasReserveBytes {
			t.Errorf("%s: DeviceBytes does not add up", p.Name)
		}
		if p5.PinnedBytes() != 4*5*int64(p.InputSize()+p.OutputSize()) {
			t.Errorf("%s: pinned %d bytes", p.Name, p5.PinnedBytes())
		}
	}
	// mlp by hand: input 784, fc1 1024 (ReLU fused), fc2 1024, fc3 10.
	mlp, _ := presets.NewCatalog().Get("mlp")
	plan, _ := Build(mlp, 3)
	if want := int64(4 * 3 * (784 + 1024 + 1024 + 10)); plan.BatchBytes() != want {
		t.Errorf("mlp batch 3: %d bytes, want %d", plan.BatchBytes(), want)
	}
	if _, err := Build(mlp, 0); err == nil {
		t.Error("Build accepted batch 0")
	}
}

func TestStepKernel(t *testing.T) {
	g := Step{Gemm: &Gemm{M: 1024, N: 32, K: 288, Batch: 256}}
	l := Step{Launch: &Launch{Kernel: KIm2col}}
	if g.Kernel() != "sgemm 1024×32×288×256" || l.Kernel() != KIm2col {
		t.Errorf("Kernel() = %q, %q", g.Kernel(), l.Kernel())
	}
}

// TestPTXHasNo64BitDivision: 64-bit integer division and remainder are long
// emulated sequences on NVIDIA GPUs; the kernels avoid them (kernels.cu).
func TestPTXHasNo64BitDivision(t *testing.T) {
	for _, op := range []string{"div.s64", "div.u64", "rem.s64", "rem.u64"} {
		if n := strings.Count(PTX, op); n > 0 {
			t.Errorf("the embedded PTX has %d × %s", n, op)
		}
	}
}

// The GPU runs the embedded PTX while the host harness tests kernels.cu: the
// PTX must come from the source as it is. go generate records the source's
// SHA-256 when it regenerates the PTX.
func TestPTXIsFromTheCurrentSource(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("kernels", "kernels.cu"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile(filepath.Join("kernels", "kernels.cu.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	if got, want := strings.Fields(string(rec)), hex.EncodeToString(sum[:]); len(got) == 0 || got[0] != want {
		t.Errorf("kernels.cu changed since kernels.ptx was generated (recorded %q, now %s): run go generate ./engine/cuda (needs nvcc)", rec, want)
	}
}
