package cpu

import (
	"fmt"
	"path/filepath"
	"testing"

	"infertop/internal/npy"
	"infertop/model"
	"infertop/onnx"
)

// fixture is one of testdata/models' ONNX files with PyTorch's outputs.
type fixture struct {
	file   string // under testdata/models
	prefix string // of its .npy files
	dims   map[string]int
}

var fixtures = []fixture{
	{"resnet_narrow.onnx", "resnet_narrow", nil},
	{"resnet_narrow.op13.onnx", "resnet_narrow", nil},
	{"mobilenet_tiny.onnx", "mobilenet_tiny", nil},
	{"squeeze_tiny.onnx", "squeeze_tiny", nil},
	{"efficient_se.onnx", "efficient_se", nil},
	{"bert_tiny.onnx", "bert_tiny", map[string]int{"seq": 16}},
	{"bert_tiny.op13.onnx", "bert_tiny", map[string]int{"seq": 16}},
	{"mlp_gemm.onnx", "mlp_gemm", nil},
}

const fixtureDir = "../../testdata/models"

func loadFixture(t testing.TB, f fixture) *model.Model {
	t.Helper()
	m, err := onnx.Load(filepath.Join(fixtureDir, f.file), onnx.LoadOptions{Dims: f.dims})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureData reads a fixture's inputs and PyTorch's output at a batch.
func fixtureData(t testing.TB, f fixture, m *model.Model, batch int) (in []*model.Tensor, want *model.Tensor) {
	t.Helper()
	read := func(name string) *model.Tensor {
		x, err := npy.ReadFile(filepath.Join(fixtureDir, fmt.Sprintf("%s.b%d.%s.npy", f.prefix, batch, name)))
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, name := range m.Graph.Inputs {
		in = append(in, read(name))
	}
	return in, read("output")
}

// The ONNX fixtures against PyTorch's own outputs, at batch 1 and 3, on 1 and 3 threads.
func TestFixturesAgainstPyTorch(t *testing.T) {
	for _, f := range fixtures {
		m := loadFixture(t, f)
		for _, batch := range []int{1, 3} {
			for _, threads := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/b%d/t%d", f.file, batch, threads), func(t *testing.T) {
					e := openT(t, m, threads, options{})
					in, want := fixtureData(t, f, m, batch)
					got := runT(t, e, batch, in)
					err := relErr(got[0].F32, want.F32)
					if err > tol {
						t.Errorf("relative error %.3g against PyTorch > %g", err, tol)
					}
					t.Logf("relative error %.3g against PyTorch (%s)", err, e.Info().Plan)
				})
			}
		}
	}
}
