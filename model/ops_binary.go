package model

import (
	"fmt"
	"math"
)

// Binary elementwise ops with numpy broadcasting (multidirectional, the rule
// of every opset from 7): Add, Sub, Mul, Div, Pow, Equal, and Where's three
// operands.
var elementwiseOps = map[string]opDef{
	"Add":   {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferBinary, eval: evalArith},
	"Sub":   {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferBinary, eval: evalArith},
	"Mul":   {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferBinary, eval: evalArith},
	"Div":   {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferBinary, eval: evalArith},
	"Pow":   {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tNum, infer: inferBinary, eval: evalPow},
	"Equal": {since: 1, ins: [2]int{2, 2}, outs: [2]int{1, 1}, types: tAny, infer: inferBinary, eval: evalEqual},
	"Where": {since: 9, ins: [2]int{3, 3}, outs: [2]int{1, 1}, types: tAny, infer: inferWhere, eval: evalWhere},
}

// inferBinary: both inputs of one dtype (Pow's exponent may differ), the
// output their broadcast shape, bool for Equal; before opset 7, only the
// broadcasts the broadcast attribute allows (see legacyBroadcast).
func inferBinary(c *inferCtx) error {
	if c.n.Op == "Pow" {
		if err := c.wantType(1, tNum); err != nil {
			return err
		}
	} else if err := c.sameType(0, 1); err != nil {
		return err
	}
	if c.opset < 7 {
		if err := legacyBroadcast(c); err != nil {
			return err
		}
	}
	s, err := broadcastShapes(c.shape(0), c.shape(1))
	if err != nil {
		return c.errf("%q %v and %q %v do not broadcast (%v)", c.name(0), c.shape(0), c.name(1), c.shape(1), err)
	}
	dt := c.dtype(0)
	if c.n.Op == "Equal" {
		dt = Bool
	}
	c.set(0, dt, s)
	return nil
}

func addF(a, b float32) float32 { return a + b }
func subF(a, b float32) float32 { return a - b }
func mulF(a, b float32) float32 { return a * b }
func divF(a, b float32) float32 { return a / b }
func addI(a, b int64) int64     { return a + b }
func subI(a, b int64) int64     { return a - b }
func mulI(a, b int64) int64     { return a * b }

// divI divides as C does, truncating toward zero (ONNX's integer Div); the
// kernel refuses a zero divisor before it gets here.
func divI(a, b int64) int64 { return a / b }

// evalArith computes Add, Sub, Mul and Div.
func evalArith(n *Node, _ int, in, out []*Tensor) error {
	a, b, y := in[0], in[1], out[0]
	var w walker
	if err := w.broadcast(y.Shape, a.Shape, b.Shape, nil); err != nil {
		return err
	}
	if a.DType == Float32 {
		f := addF
		switch n.Op {
		case "Sub":
			f = subF
		case "Mul":
			f = mulF
		case "Div":
			f = divF
		}
		walkMap2(&w, a.F32, b.F32, y.F32, f)
		return nil
	}
	f := addI
	switch n.Op {
	case "Sub":
		f = subI
	case "Mul":
		f = mulI
	case "Div":
		for _, v := range b.I64 {
			if v == 0 {
				return fmt.Errorf("integer division by zero")
			}
		}
		f = divI
	}
	walkMap2(&w, a.I64, b.I64, y.I64, f)
	wrapInt32(y)
	return nil
}

func powFF(a, b float32) float32 { return float32(math.Pow(float64(a), float64(b))) }
func powFI(a float32, b int64) float32 {
	return float32(math.Pow(float64(a), float64(b)))
}
func powIF(a int64, b float32) int64 { return int64(math.Pow(float64(a), float64(b))) }
func powII(a, b int64) int64 {
	if b < 0 {
		return int64(math.Pow(float64(a), float64(b)))
	}
	r := int64(1)
	for ; b > 0; b-- {
		r *= a
	}
	return r
}

// evalPow raises the base to the exponent; the output has the base's dtype.
func evalPow(_ *Node, _ int, in, out []*Tensor) error {
	a, b, y := in[0], in[1], out[0]
	var w walker
	if err := w.broadcast(y.Shape, a.Shape, b.Shape, nil); err != nil {
		return err
	}
	switch {
	case a.DType == Float32 && b.DType == Float32:
		walkMap2(&w, a.F32, b.F32, y.F32, powFF)
	case a.DType == Float32:
		walkMap2(&w, a.F32, b.I64, y.F32, powFI)
	case b.DType == Float32:
		walkMap2(&w, a.I64, b.F32, y.I64, powIF)
	default:
		walkMap2(&w, a.I64, b.I64, y.I64, powII)
	}
	wrapInt32(y)
	return nil
}

func eqF(a, b float32) bool { return a == b }
func eqI(a, b int64) bool   { return a == b }
func eqB(a, b bool) bool    { return a == b }

// evalEqual compares elementwise into a bool output.
func evalEqual(_ *Node, _ int, in, out []*Tensor) error {
	a, b, y := in[0], in[1], out[0]
	var w walker
	if err := w.broadcast(y.Shape, a.Shape, b.Shape, nil); err != nil {
		return err
	}
	switch {
	case a.DType == Float32:
		walkMap2(&w, a.F32, b.F32, y.Bool, eqF)
	case a.DType == Bool:
		walkMap2(&w, a.Bool, b.Bool, y.Bool, eqB)
	default:
		walkMap2(&w, a.I64, b.I64, y.Bool, eqI)
	}
	return nil
}

// inferWhere: a bool condition, two values of one dtype, all three broadcast.
func inferWhere(c *inferCtx) error {
	if err := c.wantType(0, tBool); err != nil {
		return err
	}
	if err := c.sameType(1, 2); err != nil {
		return err
	}
	s, err := broadcastShapes(c.shape(0), c.shape(1))
	if err == nil {
		s, err = broadcastShapes(s, c.shape(2))
	}
	if err != nil {
		return c.errf("%q %v, %q %v and %q %v do not broadcast (%v)",
			c.name(0), c.shape(0), c.name(1), c.shape(1), c.name(2), c.shape(2), err)
	}
	c.set(0, c.dtype(1), s)
	return nil
}

// walkWhere sets o[i] to x or y as cond says, over a three-operand walk.
func walkWhere[T any](w *walker, cond []bool, x, y, o []T) {
	w.reset()
	for i := range o {
		if cond[w.off[0]] {
			o[i] = x[w.off[1]]
		} else {
			o[i] = y[w.off[2]]
		}
		w.next()
	}
}

// evalWhere picks from X where the condition holds and from Y elsewhere.
func evalWhere(_ *Node, _ int, in, out []*Tensor) error {
	cond, x, y, o := in[0], in[1], in[2], out[0]
	var w walker
	if err := w.broadcast(o.Shape, cond.Shape, x.Shape, y.Shape); err != nil {
		return err
	}
	switch {
	case o.DType == Float32:
		walkWhere(&w, cond.Bool, x.F32, y.F32, o.F32)
	case o.DType == Bool:
		walkWhere(&w, cond.Bool, x.Bool, y.Bool, o.Bool)
	default:
		walkWhere(&w, cond.Bool, x.I64, y.I64, o.I64)
	}
	return nil
}
