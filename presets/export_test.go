package presets_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"infertop/internal/npy"
	"infertop/model"
	"infertop/onnx"
	"infertop/presets"
)

// python is Debian's interpreter, which has python3-torch (scripts/setup.sh --test).
const python = "/usr/bin/python3"

// TestExportedPresetsImportAsBuiltIn exports every preset's PyTorch twin
// (bench/pytorch/models.py) with the preset's own seeded weights at opsets 13
// and 17, imports each file and checks that it compiles to the same fused
// graph as the built-in preset — the same ops in the same order, reading the
// same shapes, with the same attributes and the same weights — and computes
// the same outputs.
func TestExportedPresetsImportAsBuiltIn(t *testing.T) {
	if err := exec.Command(python, "-c", "import torch, onnx").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s cannot import torch and onnx (scripts/setup.sh --test installs python3-torch and python3-onnx): %v", python, err)
		}
		t.Skipf("%s cannot import torch and onnx; scripts/setup.sh --test installs them", python)
	}
	dir := t.TempDir()
	names := presets.NewModels(presets.DefaultSeed).Names()
	for _, name := range names {
		m, err := presets.BuildModel(name, presets.DefaultSeed)
		if err != nil {
			t.Fatal(err)
		}
		writeWeights(t, m.Graph, filepath.Join(dir, "weights", name))
	}
	out := filepath.Join(dir, "onnx")
	cmd := exec.Command(python, "../bench/pytorch/export_presets.py", out, "--opset", "13,17", "--weights", filepath.Join(dir, "weights"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export_presets.py: %v\n%s", err, msg)
	}
	for _, name := range names {
		builtin, err := presets.BuildModel(name, presets.DefaultSeed)
		if err != nil {
			t.Fatal(err)
		}
		for _, opset := range []int{13, 17} {
			t.Run(fmt.Sprintf("%s/opset%d", name, opset), func(t *testing.T) {
				imported, err := onnx.Load(filepath.Join(out, fmt.Sprintf("%s.opset%d.onnx", name, opset)), onnx.LoadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				const batch = 3
				want, err := builtin.Bind(batch)
				if err != nil {
					t.Fatal(err)
				}
				got, err := imported.Bind(batch)
				if err != nil {
					t.Fatal(err)
				}
				if w, g := describe(want), describe(got); w != g {
					t.Fatalf("the import compiles to another graph.\nbuilt in:\n%s\nimported:\n%s", w, g)
				}
				compareOutputs(t, builtin, want, got, batch)
			})
		}
	}
}

// writeWeights writes every float32 constant of rank ≥ 1 of a preset's graph
// as <dir>/<name>.npy, in PyTorch's layout: a MatMul's right operand, stored
// transposed as "<name>_t", is written back as <name>.
func writeWeights(t *testing.T, g *model.Graph, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range g.Values {
		c := v.Const
		if c == nil || c.DType != model.Float32 || len(c.Shape) == 0 {
			continue
		}
		if base, ok := strings.CutSuffix(name, "_t"); ok && len(c.Shape) == 2 {
			r, k := c.Shape[0], c.Shape[1]
			tt := model.NewTensor(model.Float32, k, r)
			for i := 0; i < r; i++ {
				for j := 0; j < k; j++ {
					tt.F32[j*r+i] = c.F32[i*k+j]
				}
			}
			c, name = tt, base
		}
		if err := npy.WriteFile(filepath.Join(dir, name+".npy"), c); err != nil {
			t.Fatal(err)
		}
	}
}

// describe writes a compiled graph without its names: each node's op,
// attributes, inputs (a constant by its shape and a checksum of its data, a
// computed value by the node that wrote it, a graph input by position) and
// output shapes.
func describe(g *model.Graph) string {
	var b strings.Builder
	writer := map[string]string{}
	for i, in := range g.Inputs {
		writer[in] = fmt.Sprintf("input%d", i)
		fmt.Fprintf(&b, "input%d %s %v\n", i, g.Values[in].DType, g.Values[in].Shape)
	}
	for i, n := range g.Nodes {
		fmt.Fprintf(&b, "%d %s", i, n.Op)
		keys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a := n.Attrs[k]
			fmt.Fprintf(&b, " %s=%v%v%v%q%v%v", k, a.Int, a.Float, a.Ints, a.Str, a.Floats, a.Strs)
		}
		b.WriteString(" (")
		for j, in := range n.Inputs {
			if j > 0 {
				b.WriteString(", ")
			}
			switch c := g.Const(in); {
			case in == "":
				b.WriteString("-")
			case c != nil:
				fmt.Fprintf(&b, "const %v sum %.6g", c.Shape, checksum(c))
			default:
				fmt.Fprintf(&b, "%s %v", writer[in], g.Values[in].Shape)
			}
		}
		b.WriteString(") ->")
		for j, o := range n.Outputs {
			writer[o] = fmt.Sprintf("node%d.%d", i, j)
			fmt.Fprintf(&b, " %v", g.Values[o].Shape)
		}
		b.WriteString("\n")
	}
	for i, o := range g.Outputs {
		fmt.Fprintf(&b, "output%d = %s\n", i, writer[o])
	}
	return b.String()
}

// checksum weighs each value by its position, so a transposed or reordered
// tensor sums differently.
func checksum(t *model.Tensor) float64 {
	s := 0.0
	for i := 0; i < t.Stored(); i++ {
		s += t.Float(i) * float64(i%7+1)
	}
	return s
}

func compareOutputs(t *testing.T, builtin *model.Model, want, got *model.Graph, batch int) {
	t.Helper()
	wi, _, err := want.Signature()
	if err != nil {
		t.Fatal(err)
	}
	ins := model.NewTensors(wi)
	model.FillInputs(builtin.Graph, ins, presets.DefaultSeed)
	run := func(g *model.Graph) *model.Tensor {
		feed := map[string]*model.Tensor{}
		for i, name := range g.Inputs {
			feed[name] = ins[i]
		}
		outs, err := model.Eval(g, feed)
		if err != nil {
			t.Fatal(err)
		}
		return outs[g.Outputs[0]]
	}
	a, b := run(want), run(got)
	if err := closeTo(a.F32, b.F32, 1e-5); err != nil {
		t.Errorf("batch %d: %v", batch, err)
	}
}

func closeTo(want, got []float32, rel float64) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(want[i]) - float64(got[i])); d > rel*math.Max(scale, 1e-6) || math.IsNaN(d) {
			return errors.New(fmt.Sprintf("value %d is %g, built in %g", i, got[i], want[i]))
		}
	}
	return nil
}
