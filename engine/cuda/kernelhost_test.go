package cuda

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/model"
)

// The C++ host harness (testdata/kernelhost) compiles kernels/kernels.cu itself
// with g++ and runs each plan on the CPU: GEMMs as a plain column-major sgemm,
// every kernel from the CUDA source with the plan's grid and block, block by
// block, a block's threads as fibers that meet at __syncthreads. Buffers are
// surrounded by guard zones, so a write outside one fails the run. This tests
// the kernels' own index arithmetic, which the Go transcriptions in
// emulate_test.go cannot.

// hostHarness compiles the harness into a temporary directory, or skips the
// test when no C++ compiler is installed (fails under CI, which must run it).
func hostHarness(t *testing.T) string {
	t.Helper()
	cxx := os.Getenv("CXX")
	if cxx == "" {
		for _, c := range []string{"g++", "c++", "clang++"} {
			if _, err := exec.LookPath(c); err == nil {
				cxx = c
				break
			}
		}
	}
	if cxx == "" {
		const why = "no C++ compiler (g++, c++, clang++ or $CXX): kernels.cu is not tested on the host"
		if os.Getenv("CI") != "" {
			t.Fatal(why + " (scripts/setup.sh --test installs g++)")
		}
		t.Skip(why)
	}
	bin := filepath.Join(t.TempDir(), "kernelhost")
	src := filepath.Join("testdata", "kernelhost", "host.cc")
	base := []string{"-std=c++17", "-O2", "-Wall", "-Werror", "-o", bin, src}
	// UndefinedBehaviorSanitizer catches signed overflow and bad shifts in the
	// index math; fall back to a plain build where its runtime is missing.
	out, err := exec.Command(cxx, append([]string{"-fsanitize=undefined", "-fno-sanitize-recover=all"}, base...)...).CombinedOutput()
	if err != nil {
		t.Logf("%s with -fsanitize=undefined failed, building without it: %s", cxx, firstLine(out))
		if out, err = exec.Command(cxx, base...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", cxx, strings.Join(base, " "), err, out)
		}
	}
	return bin
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// writeJob serializes mem and plan's steps in the format host.cc reads.
func writeJob(path string, plan *Plan, mem [][]float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	le := binary.LittleEndian
	put := func(v any) {
		if err == nil {
			err = binary.Write(w, le, v)
		}
	}
	ref := func(r Ref) { put(int32(r.Buf)); put(r.Off) }
	b2 := func(v bool) uint8 {
		if v {
			return 1
		}
		return 0
	}
	put([]byte("IKH1"))
	put(uint32(len(mem)))
	for _, m := range mem {
		put(int64(len(m)))
		put(m)
	}
	put(uint32(len(plan.Steps)))
	for _, st := range plan.Steps {
		if g := st.Gemm; g != nil {
			if g.In != ElemF32 {
				put(uint8(2))
				put(uint8(g.In))
			} else {
				put(uint8(0))
			}
			put(b2(g.TransA))
			put(b2(g.TransB))
			put([]int32{int32(g.M), int32(g.N), int32(g.K)})
			put([]float32{g.Alpha, g.Beta})
			ref(g.A)
			ref(g.B)
			ref(g.C)
			put([]int32{int32(g.LdA), int32(g.LdB), int32(g.LdC), int32(g.Batch)})
			put([]int64{g.StrideA, g.StrideB, g.StrideC})
			continue
		}
		if st.Conv != nil {
			f.Close()
			return fmt.Errorf("layer %s: the harness runs no cuDNN step", st.Layer)
		}
		l := st.Launch
		put(uint8(1))
		put(uint16(len(l.Kernel)))
		put([]byte(l.Kernel))
		put([]uint32{uint32(l.Grid.X), uint32(l.Grid.Y), uint32(l.Grid.Z), uint32(l.Block.X), uint32(l.Block.Y), uint32(l.Block.Z)})
		put(uint32(len(l.Args)))
		for _, a := range l.Args {
			put(uint8(a.Kind))
			switch a.Kind {
			case ArgPtr:
				ref(a.Ref)
			case ArgInt:
				put(a.Int)
			default:
				put(a.Float)
			}
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// runOnHost executes plan with the harness on a copy of mem and returns every buffer.
func runOnHost(bin string, plan *Plan, mem [][]float32) ([][]float32, error) {
	dir, err := os.MkdirTemp("", "kernelhost")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	job, res := filepath.Join(dir, "job"), filepath.Join(dir, "out")
	if err := writeJob(job, plan, mem); err != nil {
		return nil, fmt.Errorf("writing the job: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, job, res)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("harness: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	raw, err := os.ReadFile(res)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(mem))
	for i, m := range mem {
		out[i] = make([]float32, len(m))
		if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, out[i]); err != nil {
			return nil, fmt.Errorf("reading buffer %d of the result: %w", i, err)
		}
		raw = raw[4*len(m):]
	}
	return out, nil
}

// compareBuffers checks every buffer the host run produced against the Go
// emulation: the same values unset (NaN) and elsewhere a relative error
// (against the buffer's largest magnitude) of at most tol.
func compareBuffers(plan *Plan, host, emu [][]float32, tol float64) error {
	for i, b := range plan.Buffers {
		var d, s float64
		for j := range emu[i] {
			hn, en := math.IsNaN(float64(host[i][j])), math.IsNaN(float64(emu[i][j]))
			if hn != en {
				return fmt.Errorf("buffer %s[%d]: host %v, Go %v (one of them never written)", b.Name, j, host[i][j], emu[i][j])
			}
			if !en {
				d = max(d, math.Abs(float64(host[i][j])-float64(emu[i][j])))
				s = max(s, math.Abs(float64(emu[i][j])))
			}
		}
		if s > 0 && d/s > tol {
			return fmt.Errorf("buffer %s: relative difference %.3g > %.g", b.Name, d/s, tol)
		}
	}
	return nil
}

// TestKernelsOnHost runs every preset's plan, the odd graphs' and the
// ONNX fixtures', through
// the C++ build of kernels.cu, with the plans' own grids and with grids
// capped at 2 blocks per dimension (so every grid-stride loop turns more
// than once), and compares every buffer with the Go emulation and the
// outputs with model.Eval. It also checks that the harness catches a broken
// launch.
func TestKernelsOnHost(t *testing.T) {
	bin := hostHarness(t)
	t.Run("catches mistakes", func(t *testing.T) { hostCatchesMistakes(t, bin) })
	planGrid, tiny := Dim3{maxGridX, maxGridYZ, maxGridYZ}, Dim3{2, 2, 2}
	type tcase struct {
		m     *model.Model
		batch int
		caps  Dim3
		way   ConvWay
		prec  engine.Precision
	}
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	var cases []tcase
	models = append(append(models, oddModels(t)...), opsModels(t)...)
	for _, m := range models {
		for _, way := range convWays(bind(t, m, 1)) {
			if way == ConvCudnn {
				continue // cuDNN's kernels are not ours to run here
			}
			cases = append(cases, tcase{m, 1, planGrid, way, engine.FP32})
			if m.Name == "transformer" {
				// No kernel of it walks samples in the grid (rows loop at batch 1
				// already); batch 3 would only make the Go emulation slow.
				cases = append(cases, tcase{m, 1, tiny, way, engine.FP32})
			} else {
				cases = append(cases, tcase{m, 3, tiny, way, engine.FP32}) // 3 > 2: samples loop too
			}
		}
	}
	// Half-precision plans (conversions, GemmEx): the presets with
	// products in fp16, and lenet5 with every grid-stride loop turning in
	// both half types.
	for _, m := range models[1:len(presetNames)] {
		cases = append(cases, tcase{m, 1, planGrid, ConvIm2col, engine.FP16})
		if m.Name == "lenet5" {
			cases = append(cases, tcase{m, 3, tiny, ConvIm2col, engine.FP16}, tcase{m, 3, tiny, ConvIm2col, engine.BF16})
		}
	}
	want := map[string][][]float32{} // model.Eval's outputs, by model and batch
	for _, c := range cases {
		grid := "plan grid"
		if c.caps == tiny {
			grid = "2×2×2 grid"
		}
		t.Run(fmt.Sprintf("%s/%s/%s/batch %d/%s", c.m.Name, c.way, c.prec, c.batch, grid), func(t *testing.T) {
			g := bind(t, c.m, c.batch)
			plan, err := build(g, c.batch, c.caps, Options{Default: c.way, Precision: c.prec})
			if err != nil {
				t.Fatal(err)
			}
			in := planInputs(g, plan)
			mem := planMemory(t, plan, in)
			host, err := runOnHost(bin, plan, mem)
			if err != nil {
				t.Fatal(err)
			}
			execPlan(t, plan, mem)
			// Half-precision copies amplify float32's last-bit differences
			// (erff against math.Erf ...) into one half ulp where a value
			// lies on a rounding boundary, and the comparison reads two
			// packed halves as one float32: a flip in the upper one moves
			// it by 2⁻⁷ of its magnitude.
			bufTol := 1e-5
			if c.prec.Half() {
				bufTol = 1e-2
			}
			if err := compareBuffers(plan, host, mem, bufTol); err != nil {
				t.Error(err)
			}
			key := fmt.Sprint(c.m.Name, c.batch)
			if want[key] == nil {
				want[key] = evalOutputs(t, g, in)
			}
			tol := 1e-4
			if c.prec.Half() {
				tol = c.prec.Tolerance()
			}
			checkOutputs(t, "host", plan, outputs(plan, host), want[key], tol)
		})
	}
}

// hostCatchesMistakes: the harness fails a launch that writes past its
// buffer, and the comparison fails a launch that leaves work undone.
func hostCatchesMistakes(t *testing.T, bin string) {
	lenet := bind(t, presetModel(t, "lenet5"), 2)
	find := func(plan *Plan, kernel string) *Launch {
		for _, st := range plan.Steps {
			if st.Launch != nil && st.Launch.Kernel == kernel {
				return st.Launch
			}
		}
		t.Fatalf("no %s launch", kernel)
		return nil
	}

	// One sample too many for the conv output's bias: past the buffer's end.
	plan, err := Build(lenet, 2)
	if err != nil {
		t.Fatal(err)
	}
	find(plan, KBiasActPlanes).Args[3].Int++
	if _, err := runOnHost(bin, plan, planMemory(t, plan, planInputs(lenet, plan))); err == nil || !strings.Contains(err.Error(), "wrote outside buffer") {
		t.Errorf("a bias launch one sample too long: %v, want a guard-zone failure", err)
	}

	// One im2col plane fewer: part of the workspace keeps stale (NaN) values.
	good, err := Build(lenet, 2)
	if err != nil {
		t.Fatal(err)
	}
	plan, err = Build(lenet, 2)
	if err != nil {
		t.Fatal(err)
	}
	find(plan, KIm2col).Args[2].Int--
	mem := planMemory(t, good, planInputs(lenet, good))
	host, err := runOnHost(bin, plan, mem)
	if err != nil {
		t.Fatal(err)
	}
	execPlan(t, good, mem)
	if err := compareBuffers(good, host, mem, 1e-5); err == nil {
		t.Error("an im2col that skips a plane went unnoticed")
	}
}

// The bias kernel of a half-precision cuDNN convolution (which the harness
// cannot run, so no plan above reaches it) reads IEEE half and bfloat16
// outputs as the Go emulation does, with every grid-stride loop turning.
func TestHalfBiasKernelOnHost(t *testing.T) {
	bin := hostHarness(t)
	const n, ch, inner = 3, 5, 7
	x := make([]float32, n*ch*inner)
	for i := range x {
		x[i] = float32(i%23)/7 - 1.5
	}
	bias := []float32{0.5, -0.25, 1, 0, -2}
	for _, kind := range []Elem{ElemF16, ElemBF16} {
		plan := &Plan{Graph: "bias " + kind.String(), Buffers: []Buffer{
			{Name: "x", Role: RoleWorkspace, Floats: halfFloats(n * ch * inner)}, {Name: "y", Role: RoleActivation, Floats: n * ch * inner},
			{Name: "b", Role: RoleWeight, Floats: ch}}}
		plan.Steps = []Step{{Layer: "bias", Launch: &Launch{Kernel: KBiasHalf, Grid: Dim3{2, 2, 2}, Block: Dim3{Block, 1, 1},
			Args: []Arg{ptr(Ref{Buf: 0}), ptr(Ref{Buf: 1}), ptr(Ref{Buf: 2}), i64(n), i64(ch), i64(inner), i64(int64(kind)),
				i64(ActReLU), f64(0), f64(0)}}}}
		mem := [][]float32{packHalf(kind, x), make([]float32, n*ch*inner), bias}
		host, err := runOnHost(bin, plan, mem)
		if err != nil {
			t.Fatal(err)
		}
		if err := runKernel(mem, plan.Steps[0].Launch); err != nil {
			t.Fatal(err)
		}
		if err := compareBuffers(plan, host, mem, 0); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		// The first sample's channel 2, pixel 3: relu(half(x) + 1).
		if got, want := mem[1][2*inner+3], max(fromHalf(kind, toHalf(kind, x[2*inner+3]))+1, 0); got != want {
			t.Errorf("%s: y = %v, want %v", kind, got, want)
		}
	}
}
