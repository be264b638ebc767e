package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infertop/model"
)

// backendData is where Debian's libonnx-testdata puts ONNX's backend tests.
const backendData = "/usr/share/libonnx-testdata/data"

// backendDir returns the backend tests' directory, or skips the test when it
// is absent, except in CI (CI set), which installs it.
func backendDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(backendData); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ONNX's backend tests are missing in CI (%v); install them: apt-get install libonnx-testdata", err)
		}
		t.Skipf("ONNX's backend tests are not installed (%v): apt-get install libonnx-testdata", err)
	}
	return backendData
}

// loadCase loads a backend test's model and the tensors of its first data set.
func loadCase(t *testing.T, name string) (m *model.Model, in, out []*model.Tensor) {
	t.Helper()
	dir := filepath.Join(backendDir(t), "node", name)
	m, err := Load(filepath.Join(dir, "model.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	read := func(prefix string) []*model.Tensor {
		var ts []*model.Tensor
		for i := 0; ; i++ {
			path := filepath.Join(dir, "test_data_set_0", prefix+"_"+string(rune('0'+i))+".pb")
			if _, err := os.Stat(path); err != nil {
				return ts
			}
			_, tensor, err := LoadTensor(path)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, tensor)
		}
	}
	return m, read("input"), read("output")
}

func TestBackendRelu(t *testing.T) {
	m, in, out := loadCase(t, "test_relu")
	g := m.Graph
	if m.Source != "ONNX opset 14, backend-test" || len(g.Nodes) != 1 || g.Nodes[0].Op != "Relu" || g.Nodes[0].Name != "Relu_0" {
		t.Errorf("source %q, nodes %v", m.Source, g.Nodes)
	}
	if s := g.Value("x").Shape.String(); s != "[3 4 5]" || m.DefaultBatch != 3 {
		t.Errorf("x shape %s, default batch %d", s, m.DefaultBatch)
	}
	if len(in) != 1 || len(out) != 1 || !slices.Equal(in[0].Shape, []int{3, 4, 5}) || len(in[0].F32) != 60 {
		t.Fatalf("data set: %d inputs, %d outputs", len(in), len(out))
	}
	for i, x := range in[0].F32 {
		if want := max(x, 0); out[0].F32[i] != want {
			t.Fatalf("output %d = %v, relu(%v) = %v", i, out[0].F32[i], x, want)
		}
	}
}

func TestBackendConv(t *testing.T) {
	m, in, _ := loadCase(t, "test_conv_with_strides_padding")
	g := m.Graph
	if !slices.Equal(g.Inputs, []string{"x", "W"}) || g.Opset != 11 || len(g.Nodes) != 1 {
		t.Fatalf("inputs %v, opset %d, nodes %v", g.Inputs, g.Opset, g.Nodes)
	}
	a := g.Nodes[0].Attrs
	k, _ := a.Ints("kernel_shape")
	p, _ := a.Ints("pads")
	s, _ := a.Ints("strides")
	if !slices.Equal(k, []int64{3, 3}) || !slices.Equal(p, []int64{1, 1, 1, 1}) || !slices.Equal(s, []int64{2, 2}) {
		t.Errorf("Conv attributes %v", a)
	}
	if len(in) != 2 || !slices.Equal(in[1].Shape, []int{1, 1, 3, 3}) {
		t.Errorf("inputs %v", in)
	}
}

func TestBackendGather(t *testing.T) {
	m, in, out := loadCase(t, "test_gather_0")
	g := m.Graph
	if g.Value("indices").DType != model.Int64 || g.Nodes[0].Attrs.Int("axis", -1) != 0 {
		t.Errorf("indices %s, axis %d", g.Value("indices").DType, g.Nodes[0].Attrs.Int("axis", -1))
	}
	data, idx := in[0], in[1]
	if idx.DType != model.Int64 || !slices.Equal(data.Shape, []int{5, 4, 3, 2}) || !slices.Equal(out[0].Shape, []int{3, 4, 3, 2}) {
		t.Fatalf("data %v indices %v output %v", data.Shape, idx.Shape, out[0].Shape)
	}
	const row = 4 * 3 * 2
	for i, j := range idx.I64 {
		if !slices.Equal(out[0].F32[i*row:(i+1)*row], data.F32[int(j)*row:(int(j)+1)*row]) {
			t.Errorf("output row %d is not data row %d", i, j)
		}
	}
}

func TestBackendConstant(t *testing.T) {
	m, _, out := loadCase(t, "test_constant")
	g := m.Graph
	c := g.Const("values")
	if len(g.Nodes) != 0 || c == nil || !slices.Equal(c.F32, out[0].F32) || !slices.Equal(c.Shape, out[0].Shape) {
		t.Errorf("nodes %v, constant %v, want %v", g.Nodes, c, out[0])
	}
}

func TestBackendIfIsUnsupported(t *testing.T) {
	dir := backendDir(t)
	_, err := Load(filepath.Join(dir, "node", "test_if", "model.onnx"), LoadOptions{})
	var ue *model.UnsupportedError
	if !errors.As(err, &ue) || len(ue.List) != 1 || ue.List[0].Op != "If" {
		t.Errorf("error %v, want If listed as unsupported", err)
	}
}

// TestEveryBackendFile loads every model and tensor file of the backend
// tests: each loads, or fails with one line in an *Error; nothing panics.
func TestEveryBackendFile(t *testing.T) {
	dir := backendDir(t)
	var models, loaded, tensors, tensorsRead int
	reasons := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var lerr error
		switch {
		case d.Name() == "model.onnx":
			models++
			if _, lerr = Load(path, LoadOptions{}); lerr == nil {
				loaded++
			}
		case strings.HasSuffix(path, ".pb"):
			tensors++
			if _, _, lerr = LoadTensor(path); lerr == nil {
				tensorsRead++
			}
		default:
			return nil
		}
		var fe *Error
		if lerr != nil && (!errors.As(lerr, &fe) || strings.Contains(lerr.Error(), "\n")) {
			t.Errorf("%v (%T) is not one line in an *Error", lerr, lerr)
		}
		if lerr != nil {
			var ue *model.UnsupportedError
			if errors.As(lerr, &ue) {
				reasons["unsupported"]++
			} else {
				reasons[strings.SplitN(strings.TrimPrefix(lerr.Error(), path+": "), " ", 3)[0]]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d models loaded, %d of %d tensors read; refusals by first word: %v", loaded, models, tensorsRead, tensors, reasons)
	// 347 models and 2846 tensors of Debian's libonnx-testdata 1.12 load today;
	// fewer means the loader refuses what it read before.
	if loaded < 347 || tensorsRead < 2846 {
		t.Errorf("only %d of %d models and %d of %d tensors load; 347 and 2846 did", loaded, models, tensorsRead, tensors)
	}
}
