package backendtest

import (
	"fmt"
	"math"
	"slices"

	"infertop/model"
)

// Tolerance is how far a float32 output may lie from the expected one:
// |got − want| ≤ ATol + RTol·|want|, numpy.testing.assert_allclose's rule.
type Tolerance struct {
	RTol, ATol float64
}

// ONNX's tolerance: the defaults of onnx/backend/test/loader, which
// onnx/backend/test/runner passes to assert_allclose for every test that does
// not set its own (none of those that carry their model do).
const (
	DefaultRTol = 1e-3
	DefaultATol = 1e-7
)

// Mismatch says how an output differs from the expected one.
type Mismatch struct {
	// DataSet and Output name where: the data set's folder and the graph output.
	DataSet, Output string
	// Detail says what differs when it is not the values (dtype, shape).
	Detail string
	// Bad is how many of Total elements lie out of tolerance.
	Bad, Total int
	// MaxAbs and MaxRel are the largest absolute and relative differences over every element.
	MaxAbs, MaxRel float64
	// At is the position of the element farthest out of tolerance (the largest
	// difference over what the tolerance allows it), with its values.
	At        []int
	Got, Want float64
}

// String reads like `test_data_set_0, output "y": 3 of 60 elements out of
// tolerance, max abs error 0.25, max rel error 0.01; worst at [0 1 2]: got 1.25, want 1`.
func (m *Mismatch) String() string {
	where := fmt.Sprintf("%s, output %q: ", m.DataSet, m.Output)
	if m.Detail != "" {
		return where + m.Detail
	}
	return where + fmt.Sprintf("%d of %d elements out of tolerance, max abs error %.3g, max rel error %.3g; worst at %v: got %v, want %v",
		m.Bad, m.Total, m.MaxAbs, m.MaxRel, m.At, m.Got, m.Want)
}

// Compare checks got against want: the same dtype and shape, float32
// elements within tol (NaN equal to NaN, an infinity equal to itself),
// integers and bools exactly. It returns nil when they agree; the Mismatch's
// DataSet and Output are left for the caller.
func Compare(got, want *model.Tensor, tol Tolerance) *Mismatch {
	switch {
	case got == nil:
		return &Mismatch{Detail: "no tensor returned"}
	case got.DType != want.DType:
		return &Mismatch{Detail: fmt.Sprintf("dtype %s, want %s", got.DType, want.DType)}
	case !slices.Equal(got.Shape, want.Shape):
		return &Mismatch{Detail: fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)}
	case got.Stored() != want.Stored():
		return &Mismatch{Detail: fmt.Sprintf("%d elements held, want %d", got.Stored(), want.Stored())}
	}
	m := &Mismatch{Total: want.Len()}
	worst, worstRatio, worstDiff := -1, 0.0, 0.0
	for i := range m.Total {
		g, w := got.Float(i), want.Float(i)
		var diff, allowed float64
		switch {
		case math.IsNaN(g) && math.IsNaN(w), g == w:
			continue
		case math.IsNaN(g) || math.IsNaN(w) || math.IsInf(g, 0) || math.IsInf(w, 0):
			diff, allowed = math.Inf(1), 0
		case want.DType == model.Float32:
			diff, allowed = math.Abs(g-w), tol.ATol+tol.RTol*math.Abs(w)
		default:
			diff, allowed = math.Abs(g-w), 0
		}
		m.MaxAbs = max(m.MaxAbs, diff)
		if w != 0 {
			m.MaxRel = max(m.MaxRel, diff/math.Abs(w))
		} else if diff > 0 {
			m.MaxRel = math.Inf(1)
		}
		if diff <= allowed {
			continue
		}
		m.Bad++
		ratio := math.Inf(1)
		if allowed > 0 {
			ratio = diff / allowed
		}
		if worst < 0 || ratio > worstRatio || ratio == worstRatio && diff > worstDiff {
			worst, worstRatio, worstDiff = i, ratio, diff
		}
	}
	if m.Bad == 0 {
		return nil
	}
	m.At, m.Got, m.Want = unravel(worst, want.Shape), got.Float(worst), want.Float(worst)
	return m
}

// unravel turns a row-major flat index into a position in shape.
func unravel(i int, shape []int) []int {
	at := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			at[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return at
}
