package model

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// refF, refI, refI32 and refB make test tensors; a nil shape is a scalar.
func refF(shape []int, v ...float32) *Tensor {
	if shape == nil {
		shape = []int{}
	}
	return Floats(shape, v)
}

func refI(shape []int, v ...int64) *Tensor {
	if shape == nil {
		shape = []int{}
	}
	return Ints(shape, v)
}

func refI32(shape []int, v ...int64) *Tensor {
	t := refI(shape, v...)
	t.DType = Int32
	return t
}

func refB(shape []int, v ...bool) *Tensor {
	if shape == nil {
		shape = []int{}
	}
	return &Tensor{DType: Bool, Shape: shape, Bool: v}
}

// refGraph is a graph of one node of op reading constants (nil inputs are
// omitted) and writing nout outputs y0, y1 ..., all of them graph outputs.
func refGraph(opset int, op string, attrs Attrs, nout int, in ...*Tensor) *Graph {
	g := NewGraph("test")
	g.Opset = opset
	n := &Node{Name: "n", Op: op, Attrs: attrs}
	for i, t := range in {
		name := ""
		if t != nil {
			name = fmt.Sprintf("x%d", i)
			g.AddConst(name, t)
		}
		n.Inputs = append(n.Inputs, name)
	}
	for i := range nout {
		name := fmt.Sprintf("y%d", i)
		n.Outputs = append(n.Outputs, name)
		g.AddValue(&Value{Name: name})
		g.Outputs = append(g.Outputs, name)
	}
	g.Nodes = []*Node{n}
	return g
}

// refRun evaluates one node with Eval and returns its outputs in order.
func refRun(opset int, op string, attrs Attrs, nout int, in ...*Tensor) ([]*Tensor, error) {
	g := refGraph(opset, op, attrs, nout, in...)
	res, err := Eval(g, nil)
	if err != nil {
		return nil, err
	}
	out := make([]*Tensor, nout)
	for i := range out {
		out[i] = res[fmt.Sprintf("y%d", i)]
	}
	return out, nil
}

// refRun1 is refRun for one output, failing the test on an error.
func refRun1(t *testing.T, opset int, op string, attrs Attrs, in ...*Tensor) *Tensor {
	t.Helper()
	out, err := refRun(opset, op, attrs, 1, in...)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// refWantF checks a float32 tensor's shape and elements (within 1e-5, relative for large values).
func refWantF(t *testing.T, got *Tensor, shape []int, want ...float32) {
	t.Helper()
	if got.DType != Float32 || !slices.Equal(got.Shape, shape) {
		t.Fatalf("got %s %v, want float32 %v", got.DType, got.Shape, shape)
	}
	if len(got.F32) != len(want) {
		t.Fatalf("got %d elements, want %d", len(got.F32), len(want))
	}
	for i := range want {
		g, w := float64(got.F32[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > 1e-5*max(1, math.Abs(w)) {
			t.Fatalf("element %d = %v, want %v (got %v)", i, g, w, got.F32)
		}
	}
}

// refWantI checks an integer tensor's dtype, shape and elements.
func refWantI(t *testing.T, got *Tensor, dt DType, shape []int, want ...int64) {
	t.Helper()
	if got.DType != dt || !slices.Equal(got.Shape, shape) {
		t.Fatalf("got %s %v, want %s %v", got.DType, got.Shape, dt, shape)
	}
	if !slices.Equal(got.I64, want) {
		t.Fatalf("got %v, want %v", got.I64, want)
	}
}

// refWantB checks a bool tensor.
func refWantB(t *testing.T, got *Tensor, shape []int, want ...bool) {
	t.Helper()
	if got.DType != Bool || !slices.Equal(got.Shape, shape) {
		t.Fatalf("got %s %v, want bool %v", got.DType, got.Shape, shape)
	}
	if !slices.Equal(got.Bool, want) {
		t.Fatalf("got %v, want %v", got.Bool, want)
	}
}

// refWantErr checks that err holds the message.
func refWantErr(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", msg)
	}
	if err.Error() != msg {
		t.Fatalf("error\n got: %s\nwant: %s", err, msg)
	}
}

// refSeq is 0, 1, 2 ... n-1 as float32, times scale, plus offset.
func refSeq(n int, scale, offset float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)*scale + offset
	}
	return v
}
