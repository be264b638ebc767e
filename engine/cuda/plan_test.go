package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/model"
)

// TestPlanMatchesEval executes every preset's plan, the odd graphs' and the
// ONNX fixtures' (GEMMs as column-major sgemm, kernels in Go), every
// convolution way, at several
// batches and with grids capped at 2 blocks per dimension, and compares
// every output with model.Eval of the same compiled graph: this checks every
// row-major ↔ column-major mapping, leading dimension, stride and the
// placement of values in shared memory.
func TestPlanMatchesEval(t *testing.T) {
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	models = append(append(models, oddModels(t)...), opsModels(t)...)
	for _, m := range models {
		for _, batch := range []int{1, 3} {
			if testing.Short() && m.Name == "transformer" && batch > 1 {
				continue
			}
			g := bind(t, m, batch)
			var want [][]float32
			for _, way := range convWays(g) {
				for _, caps := range []Dim3{{maxGridX, maxGridYZ, maxGridYZ}, {2, 2, 2}} {
					if caps.X == 2 && (batch == 1 || m.Name == "transformer") {
						continue
					}
					what := fmt.Sprintf("%s %s batch %d grid %d", m.Name, way, batch, caps.X)
					plan, err := build(g, batch, caps, Options{Default: way})
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					got, in := emulate(t, plan, g)
					if want == nil {
						want = evalOutputs(t, g, in)
					}
					e := checkOutputs(t, what, plan, got, want, 1e-4)
					t.Logf("%s: relative error %.3g, %d steps", what, e, len(plan.Steps))
				}
			}
		}
	}
}

// convWays lists the convolution ways worth testing for g: every way when it
// has a convolution, the default alone otherwise.
func convWays(g *model.Graph) []ConvWay {
	if hasConv(g) {
		return []ConvWay{ConvIm2col, ConvImplicit, ConvCudnn, ConvDirect}
	}
	return []ConvWay{ConvIm2col}
}

func TestPTXHasEveryKernel(t *testing.T) {
	if err := CheckPTX(PTX); err != nil {
		t.Fatal(err)
	}
	entries := PTXEntries(PTX)
	models := opsModels(t)
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	for _, m := range models {
		g := bind(t, m, 7)
		for _, way := range convWays(g) {
			plan, err := BuildWith(g, 7, Options{Default: way})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range plan.Steps {
				if st.Launch != nil && !slices.Contains(entries, st.Launch.Kernel) {
					t.Errorf("%s launches %s, which the PTX lacks", m.Name, st.Launch.Kernel)
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
	case KBiasActPlanes, KBiasHalf: // x: inner, y: channels, z: samples
		g = Dim3{ceil(arg(5), Block), int(arg(4)), int(arg(3))}
	case KIm2col, KIm2colHalf: // x: planes, y: output pixels
		g = Dim3{int(arg(2)), ceil(arg(8)*arg(9), Block), 1}
	case KMaxPool2, KPool:
		g = Dim3{int(arg(2)), ceil(arg(5)*arg(6), Block), 1}
	case KBinary: // x: values per sample (d1·…·d5), y: samples
		g = Dim3{ceil(arg(7)*arg(10)*arg(13)*arg(16)*arg(19), Block), int(arg(4)), 1}
	case KBinaryTyped: // as KBinary, one parameter later
		g = Dim3{ceil(arg(8)*arg(11)*arg(14)*arg(17)*arg(20), Block), int(arg(5)), 1}
	case KCopyRows: // x: columns, y: rows
		g = Dim3{ceil(arg(3), Block), int(arg(2)), 1}
	case KConvDirect: // x: output pixels, y: output channels, z: samples
		g = Dim3{ceil(arg(18)*arg(19), Block), int(arg(8)), int(arg(4))}
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
	case KReduceRows: // one block per row
		g = Dim3{int(arg(2)), 1, 1}
	case KConv3D: // x: output voxels, y: output channels, z: samples
		g = Dim3{ceil(arg(23)*arg(24)*arg(25), Block), int(arg(9)), int(arg(4))}
	case KPool3D: // x: planes, y: output voxels
		g = Dim3{int(arg(2)), ceil(arg(6)*arg(7)*arg(8), Block), 1}
	case KBatchNorm: // x: inner, y: channels, z: samples
		g = Dim3{ceil(arg(8), Block), int(arg(7)), int(arg(6))}
	case KGather: // x: a row's words, y: indices, z: outer rows
		g = Dim3{ceil(arg(6), Block), int(arg(5)), int(arg(3))}
	case KGatherRows: // x: a row's values, y: indices
		g = Dim3{ceil(arg(4), Block), int(arg(3)), 1}
	case KAvgPool, KResidualAdd, KCastI64, KToHalf: // one thread per element
		idx := map[string]int{KAvgPool: 2, KResidualAdd: 3, KCastI64: 2, KToHalf: 2}[l.Kernel]
		g = Dim3{ceil(arg(idx), Block), 1, 1}
	default:
		t.Fatalf("no geometry rule for %s", l.Kernel)
	}
	return Dim3{min(g.X, caps.X), min(g.Y, caps.Y), min(g.Z, caps.Z)}
}

// TestLaunchGeometry: every launch of the presets', the op graphs' and the
// fixtures' plans has blocks of Block threads within CUDA's limits, and a
// grid that covers its work in one pass unless a dimension is at its cap
// (the kernels then loop, grid-stride), with no block left idle.
func TestLaunchGeometry(t *testing.T) {
	caps := Dim3{maxGridX, maxGridYZ, maxGridYZ}
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	for _, m := range append(models, opsModels(t)...) {
		for _, batch := range []int{1, 7, 64, 4096, 70000} {
			if batch == 70000 && (m.Name == "linear" || m.Name == "lenet5" || m.Name == "transformer") {
				continue
			}
			g := bind(t, m, batch)
			for _, way := range convWays(g) {
				plan, err := BuildWith(g, batch, Options{Default: way})
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
	name, batch := plan.Graph, plan.Batch
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

// TestPlanMemory: the weights are the model's parameters, the batch's
// buffers grow linearly with the batch, and the staging holds the inputs
// and outputs; mlp by hand.
func TestPlanMemory(t *testing.T) {
	for _, name := range presetNames {
		m := presetModel(t, name)
		var plans [3]*Plan
		for i, batch := range []int{1, 2, 5} {
			plan, err := Build(bind(t, m, batch), batch)
			if err != nil {
				t.Fatal(err)
			}
			plans[i] = plan
		}
		p1, p2, p5 := plans[0], plans[1], plans[2]
		if want := 4 * m.Graph.ParamCount(); p1.WeightBytes() != want || p5.WeightBytes() != want {
			t.Errorf("%s: weights %d bytes, want %d", name, p1.WeightBytes(), want)
		}
		per := p2.BatchBytes() - p1.BatchBytes()
		if p1.BatchBytes() != per || p5.BatchBytes() != 5*per {
			t.Errorf("%s: batch bytes %d, %d, %d not linear in the batch", name, p1.BatchBytes(), p2.BatchBytes(), p5.BatchBytes())
		}
		if p5.DeviceBytes() != p5.WeightBytes()+p5.BatchBytes()+CublasReserveBytes {
			t.Errorf("%s: DeviceBytes does not add up", name)
		}
		in, out := p5.Inputs[0].Floats, p5.Outputs[0].Floats
		if p5.PinnedBytes() != 4*(in+out) || in != 5*int64(model.NumElems(p5.Inputs[0].Shape[1:])) {
			t.Errorf("%s: pinned %d bytes for inputs %v and outputs %v", name, p5.PinnedBytes(), p5.Inputs, p5.Outputs)
		}
	}
	// mlp by hand: input 784; fc1's 1024 (ReLU fused) and fc2's 1024 in two
	// buffers; fc3's 10 reuses fc1's, which fc2 read last.
	mlp, err := Build(bind(t, presetModel(t, "mlp"), 3), 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(4 * 3 * (784 + 2*1024)); mlp.BatchBytes() != want {
		t.Errorf("mlp batch 3: %d bytes, want %d", mlp.BatchBytes(), want)
	}
	if mlp.ActivationFloats != 3*2*1024 || mlp.ValueFloats != 3*(2*1024+10) {
		t.Errorf("mlp batch 3: activations %d values (want %d), values %d (want %d)",
			mlp.ActivationFloats, 3*2*1024, mlp.ValueFloats, 3*(2*1024+10))
	}
	if _, err := Build(bind(t, presetModel(t, "mlp"), 1), 0); err == nil {
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
// emulated sequences on NVIDIA GPUs; the kernels avoid them (kernels.cu),
// but for the one an int64 Div computes (infertop_binary_typed).
func TestPTXHasNo64BitDivision(t *testing.T) {
	entries := strings.Split(PTX, ".entry ")
	for _, e := range entries[1:] {
		name, _, _ := strings.Cut(e, "(")
		for _, op := range []string{"div.s64", "div.u64", "rem.s64", "rem.u64"} {
			n := strings.Count(e, op)
			if name == KBinaryTyped && op == "div.s64" {
				n-- // Div of two int64 values
			}
			if n > 0 {
				t.Errorf("%s has %d × %s", name, n, op)
			}
		}
	}
	if len(entries) < len(KernelNames()) {
		t.Errorf("%d entries in the PTX, want %d", len(entries)-1, len(KernelNames()))
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
