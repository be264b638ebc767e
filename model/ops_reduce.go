package model

import (
	"fmt"
	"math"
)

// Reductions: ReduceSum, ReduceMean and ReduceMax, their axes an attribute
// (ReduceSum before opset 13, the others before 18) or an optional input
// (from then on, with noop_with_empty_axes).
var reduceOps = map[string]opDef{
	"ReduceSum":  {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferReduce, eval: evalReduce},
	"ReduceMean": {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferReduce, eval: evalReduce},
	"ReduceMax":  {since: 1, ins: [2]int{1, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferReduce, eval: evalReduce},
}

// axesAsInput reports whether the op at this opset takes its axes as an input.
func axesAsInput(op string, opset int) bool {
	if op == "ReduceSum" {
		return opset >= 13
	}
	return opset >= 18
}

// reduceAxisMask returns the reduced axes as a mask over a rank-r input, and
// whether the node is the identity (no axes, noop_with_empty_axes set).
// axes is the input holding them (nil when omitted or in the attribute form).
func reduceAxisMask(n *Node, opset, r int, axes *Tensor) (mask [MaxRank]bool, noop bool, err error) {
	if r > MaxRank {
		return mask, false, fmt.Errorf("rank %d is above %d, the most the kernels compute", r, MaxRank)
	}
	var list []int64
	if axesAsInput(n.Op, opset) {
		if axes != nil {
			list = axes.I64
		}
		if len(list) == 0 && n.Attrs.Int("noop_with_empty_axes", 0) != 0 {
			return mask, true, nil
		}
	} else {
		list, _ = n.Attrs.Ints("axes")
	}
	if len(list) == 0 {
		for i := range r {
			mask[i] = true
		}
		return mask, false, nil
	}
	for _, v := range list {
		a, err := normAxis(v, r)
		if err != nil {
			return mask, false, err
		}
		if mask[a] {
			return mask, false, fmt.Errorf("axes %v name axis %d twice", list, a)
		}
		mask[a] = true
	}
	return mask, false, nil
}

// inferReduce: the reduced axes become 1 (keepdims, the default) or go.
func inferReduce(c *inferCtx) error {
	var axes *Tensor
	if axesAsInput(c.n.Op, c.opset) {
		if c.has(1) {
			t, err := c.constInput(1, "axes")
			if err != nil {
				return err
			}
			axes = t
		}
	} else if len(c.in) > 1 {
		return c.errf("takes axes as an attribute at opset %d, got %d inputs", c.opset, len(c.in))
	}
	x := c.shape(0)
	mask, noop, err := reduceAxisMask(c.n, c.opset, len(x), axes)
	if err != nil {
		return c.errf("%v", err)
	}
	if noop {
		return inferSame(c)
	}
	keep := c.n.Attrs.Int("keepdims", 1) != 0
	out := Shape{}
	for i, d := range x {
		switch {
		case !mask[i]:
			out = append(out, d)
		case keep:
			out = append(out, Fixed(1))
		}
	}
	c.set(0, c.dtype(0), out)
	return nil
}

// evalReduce walks the kept axes for each output element and, inside, the
// reduced ones, accumulating in float64 (int64 for integers).
func evalReduce(n *Node, opset int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	var axes *Tensor
	if len(in) > 1 {
		axes = in[1]
	}
	mask, noop, err := reduceAxisMask(n, opset, len(x.Shape), axes)
	if err != nil {
		return err
	}
	if noop {
		return copyAll(y, x)
	}
	var outer, inner walker
	if err := outer.setDims(x.Shape); err != nil {
		return err
	}
	inner = outer
	var st [MaxRank]int
	stridesOf(x.Shape, &st)
	count := 1
	for i, d := range x.Shape {
		if mask[i] {
			outer.dims[i] = 1
			inner.str[0][i] = st[i]
			count *= d
		} else {
			inner.dims[i] = 1
			outer.str[0][i] = st[i]
		}
	}
	if y.Len() != x.Len()/max(count, 1) && count > 0 {
		return fmt.Errorf("the output holds %d elements, not %d", y.Len(), x.Len()/count)
	}
	outer.reset()
	for o := 0; o < y.Len(); o++ {
		inner.base[0] = outer.off[0]
		inner.reset()
		if x.DType == Float32 {
			y.F32[o] = float32(reduceF32(n.Op, x.F32, &inner, count))
		} else {
			y.I64[o] = reduceI64(n.Op, x.I64, &inner, count)
		}
		outer.next()
	}
	wrapInt32(y)
	return nil
}

func reduceF32(op string, x []float32, w *walker, count int) float64 {
	if op == "ReduceMax" {
		m := math.Inf(-1)
		for range count {
			m = max(m, float64(x[w.off[0]]))
			w.next()
		}
		return m
	}
	s := 0.0
	for range count {
		s += float64(x[w.off[0]])
		w.next()
	}
	if op == "ReduceMean" {
		s /= float64(count)
	}
	return s
}

func reduceI64(op string, x []int64, w *walker, count int) int64 {
	if op == "ReduceMax" {
		m := int64(math.MinInt64)
		for range count {
			m = max(m, x[w.off[0]])
			w.next()
		}
		return m
	}
	var s int64
	for range count {
		s += x[w.off[0]]
		w.next()
	}
	if op == "ReduceMean" && count > 0 {
		s /= int64(count)
	}
	return s
}
