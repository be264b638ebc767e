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

	"infertop/engine/reference"
	"infertop/presets"
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
			put(uint8(0))
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

// oddPresets have shapes the catalog lacks: non-square and odd images,
// stride 2 with padding, kernel 2, pooling that floors, more channels than
// the tiny test grids, a standalone activation, rows longer than a block.
func oddPresets() []*presets.Preset {
	return []*presets.Preset{{
		Name:  "odd-conv",
		Input: []int{3, 13, 11},
		Layers: []presets.Layer{
			{Kind: presets.Conv2D, Name: "c1", In: 3, Out: 5, Kernel: 3, Stride: 2, Pad: 1}, // 5×7×6
			{Kind: presets.GELU, Name: "g1"},
			{Kind: presets.MaxPool2, Name: "p1"}, // 5×3×3
			{Kind: presets.ReLU, Name: "r1"},
			{Kind: presets.Residual, Name: "res", Body: []presets.Layer{
				{Kind: presets.Conv2D, Name: "res.c1", In: 5, Out: 5, Kernel: 3, Stride: 1, Pad: 1},
				{Kind: presets.ReLU, Name: "res.r"},
				{Kind: presets.Conv2D, Name: "res.c2", In: 5, Out: 5, Kernel: 3, Stride: 1, Pad: 1},
			}},
			{Kind: presets.ReLU, Name: "r2"},
			{Kind: presets.Conv2D, Name: "c2", In: 5, Out: 300, Kernel: 2, Stride: 1}, // 300×2×2
			{Kind: presets.GlobalAvgPool, Name: "gap"},
			{Kind: presets.Linear, Name: "fc1", In: 300, Out: 300},
			{Kind: presets.ReLU, Name: "r3"},
			{Kind: presets.Linear, Name: "fc2", In: 300, Out: 7},
			{Kind: presets.GELU, Name: "g2"},
			{Kind: presets.Linear, Name: "fc3", In: 7, Out: 1},
		},
	}, {
		Name:  "odd-attention",
		Input: []int{300, 16},
		Layers: []presets.Layer{
			{Kind: presets.LayerNorm, Name: "ln1", In: 16},
			{Kind: presets.SelfAttention, Name: "attn", In: 16, Heads: 2}, // softmax rows of 300
			{Kind: presets.Linear, Name: "fc1", In: 16, Out: 300},
			{Kind: presets.LayerNorm, Name: "ln2", In: 300},
			{Kind: presets.GELU, Name: "g"},
			{Kind: presets.Linear, Name: "fc2", In: 300, Out: 3},
		},
	}}
}

// TestKernelsOnHost runs every preset's plan, and two presets of odd shapes,
// through the C++ build of kernels.cu, with the plans' own grids and with
// grids capped at 2 blocks per dimension (so every grid-stride loop turns
// more than once), and compares every buffer with the Go emulation and the
// output with engine/reference. It also checks that the harness catches a
// broken launch.
func TestKernelsOnHost(t *testing.T) {
	bin := hostHarness(t)
	t.Run("catches mistakes", func(t *testing.T) { hostCatchesMistakes(t, bin) })
	planGrid, tiny := Dim3{maxGridX, maxGridYZ, maxGridYZ}, Dim3{2, 2, 2}
	type tcase struct {
		p     *presets.Preset
		batch int
		caps  Dim3
		way   ConvWay
	}
	var cases []tcase
	for _, p := range append(presets.NewCatalog().All(), oddPresets()...) {
		for _, way := range convWays(p) {
			if way == ConvCudnn {
				continue // cuDNN's kernels are not ours to run here
			}
			cases = append(cases, tcase{p, 1, planGrid, way})
			if p.Name == "transformer" {
				// No kernel of it walks samples in the grid (rows loop at batch 1
				// already); batch 3 would only make the Go emulation slow.
				cases = append(cases, tcase{p, 1, tiny, way})
			} else {
				cases = append(cases, tcase{p, 3, tiny, way}) // 3 > 2: samples loop too
			}
		}
	}
	for _, c := range cases {
		grid := "plan grid"
		if c.caps == tiny {
			grid = "2×2×2 grid"
		}
		t.Run(fmt.Sprintf("%s/%s/batch %d/%s", c.p.Name, c.way, c.batch, grid), func(t *testing.T) {
			plan, err := build(c.p, c.batch, c.caps, Options{Default: c.way})
			if err != nil {
				t.Fatal(err)
			}
			mem := planMemory(t, c.p, plan)
			host, err := runOnHost(bin, plan, mem)
			if err != nil {
				t.Fatal(err)
			}
			execPlan(t, c.p, plan, mem)
			if err := compareBuffers(plan, host, mem, 1e-5); err != nil {
				t.Error(err)
			}
			in := view(host, plan.Input)[:plan.InputFloats]
			want := reference.Forward(c.p, c.p.Weights(presets.DefaultSeed), in, c.batch)
			if e := relErr(view(host, plan.Output)[:plan.OutputFloats], want); !(e <= 1e-4) {
				t.Errorf("output: relative error %.3g against the reference > 1e-4", e)
			}
		})
	}
}

// hostCatchesMistakes: the harness fails a launch that writes past its
// buffer, and the comparison fails a launch that leaves work undone.
func hostCatchesMistakes(t *testing.T, bin string) {
	cat := presets.NewCatalog()
	lenet, err := cat.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := runOnHost(bin, plan, planMemory(t, lenet, plan)); err == nil || !strings.Contains(err.Error(), "wrote outside buffer") {
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
	mem := planMemory(t, lenet, good)
	host, err := runOnHost(bin, plan, mem)
	if err != nil {
		t.Fatal(err)
	}
	execPlan(t, lenet, good, mem)
	if err := compareBuffers(good, host, mem, 1e-5); err == nil {
		t.Error("an im2col that skips a plane went unnoticed")
	}
}

// TestOddPresetsMatchReference checks the Go emulation of the odd-shaped
// presets against engine/reference, as TestPlanMatchesReference does for the catalog.
func TestOddPresetsMatchReference(t *testing.T) {
	for _, p := range oddPresets() {
		plan, err := Build(p, 2)
		if err != nil {
			t.Fatal(err)
		}
		out, in := emulate(t, p, plan)
		want := reference.Forward(p, p.Weights(presets.DefaultSeed), in, 2)
		if e := relErr(out, want); !(e <= 1e-4) {
			t.Errorf("%s: relative error %.3g > 1e-4", p.Name, e)
		}
	}
}
