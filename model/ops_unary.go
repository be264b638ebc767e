package model

import (
	"fmt"
	"math"
)

// Unary elementwise ops: the math functions, the activations, Clip, Cast,
// and the copies (Identity, Dropout at inference).
var unaryOps = map[string]opDef{
	"Sqrt":        unary(1, tFloat),
	"Exp":         unary(1, tFloat),
	"Erf":         unary(9, tFloat),
	"Neg":         unary(1, tNum),
	"Relu":        unary(1, tNum),
	"LeakyRelu":   unary(1, tFloat),
	"Sigmoid":     unary(1, tFloat),
	"HardSigmoid": unary(1, tFloat),
	"HardSwish":   unary(14, tFloat),
	"Tanh":        unary(1, tFloat),
	"Gelu":        unary(20, tFloat),
	"Clip":        {since: 1, ins: [2]int{1, 3}, outs: [2]int{1, 1}, types: tNum, infer: inferClip, eval: evalClip},
	"Identity":    {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tAny, infer: inferSame, eval: evalCopy},
	"Dropout":     {since: 1, ins: [2]int{1, 3}, outs: [2]int{1, 2}, types: tFloat, infer: inferDropout, eval: evalDropout},
	"Cast":        {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tAny, infer: inferCast, eval: evalCast},
}

func unary(since int, types typeSet) opDef {
	return opDef{since: since, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: types, infer: inferUnary, eval: evalUnary}
}

// inferSame gives the output the input's dtype and shape.
func inferSame(c *inferCtx) error {
	c.set(0, c.dtype(0), c.shape(0).Clone())
	return nil
}

// inferUnary checks the activations' attributes; the output is like the input.
func inferUnary(c *inferCtx) error {
	var p [2]float32
	if _, err := unaryActivation(c.n, &p); err != nil {
		return c.errf("%v", err)
	}
	return inferSame(c)
}

// unaryActivation is the Activation an activation op computes; its
// parameters are kept in the caller's array p so that no call allocates.
func unaryActivation(n *Node, p *[2]float32) (Activation, error) {
	a := Activation{Op: n.Op}
	switch n.Op {
	case "LeakyRelu":
		p[0] = n.Attrs.Float("alpha", 0.01)
		a.Params = p[:1]
	case "HardSigmoid":
		p[0], p[1] = n.Attrs.Float("alpha", 0.2), n.Attrs.Float("beta", 0.5)
		a.Params = p[:2]
	case "Gelu":
		switch ap := n.Attrs.String("approximate", "none"); ap {
		case "none":
		case "tanh":
			a.Op = "GeluTanh"
		default:
			return a, fmt.Errorf("approximate %q is not one of none, tanh", ap)
		}
	}
	return a, nil
}

// evalUnary computes the math functions and the activations.
func evalUnary(n *Node, _ int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	if x.DType != Float32 {
		for i, v := range x.I64 {
			if n.Op == "Neg" {
				v = -v
			} else if v < 0 { // Relu
				v = 0
			}
			y.I64[i] = v
		}
		wrapInt32(y)
		return nil
	}
	switch n.Op {
	case "Sqrt":
		mapF32(x.F32, y.F32, math.Sqrt)
	case "Exp":
		mapF32(x.F32, y.F32, math.Exp)
	case "Erf":
		mapF32(x.F32, y.F32, math.Erf)
	case "Neg":
		for i, v := range x.F32 {
			y.F32[i] = -v
		}
	default:
		var p [2]float32
		act, err := unaryActivation(n, &p)
		if err != nil {
			return err
		}
		applyActivation(act, x.F32, y.F32)
	}
	return nil
}

// mapF32 sets y[i] = f(x[i]) computed in float64.
func mapF32(x, y []float32, f func(float64) float64) {
	for i, v := range x {
		y[i] = float32(f(float64(v)))
	}
}

// applyActivation sets y[i] = act(x[i]) computed in float64.
func applyActivation(act Activation, x, y []float32) {
	for i, v := range x {
		y[i] = float32(act.Apply(float64(v)))
	}
}

// inferClip checks min and max: attributes before opset 11, optional scalar
// inputs of the input's dtype from 11.
func inferClip(c *inferCtx) error {
	if c.opset < 11 && len(c.in) > 1 {
		return c.errf("takes min and max as attributes before opset 11, got %d inputs", len(c.in))
	}
	for i := 1; i < len(c.in); i++ {
		if !c.has(i) {
			continue
		}
		if err := c.sameType(0, i); err != nil {
			return err
		}
		if e := c.shape(i).Elems(); e != 1 {
			return c.errf("its bound %q has shape %v; min and max must be scalars", c.name(i), c.shape(i))
		}
	}
	return inferSame(c)
}

// evalClip clamps to [min, max] as min(max(x, min), max); a missing bound is
// no bound.
func evalClip(n *Node, opset int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	bound := func(i int) *Tensor {
		if i < len(in) {
			return in[i]
		}
		return nil
	}
	lo, hi := bound(1), bound(2)
	if x.DType != Float32 {
		l, h := int64(math.MinInt64), int64(math.MaxInt64)
		if lo != nil {
			l = lo.I64[0]
		}
		if hi != nil {
			h = hi.I64[0]
		}
		for i, v := range x.I64 {
			y.I64[i] = min(max(v, l), h)
		}
		return nil
	}
	l, h := float32(-math.MaxFloat32), float32(math.MaxFloat32)
	if opset < 11 {
		l, h = n.Attrs.Float("min", l), n.Attrs.Float("max", h)
	}
	if lo != nil {
		l = lo.F32[0]
	}
	if hi != nil {
		h = hi.F32[0]
	}
	for i, v := range x.F32 {
		if v < l {
			v = l
		}
		if v > h {
			v = h
		}
		y.F32[i] = v
	}
	return nil
}

// evalCopy copies the input (Identity, Reshape, Flatten, Squeeze, Unsqueeze).
func evalCopy(_ *Node, _ int, in, out []*Tensor) error { return copyAll(out[0], in[0]) }

// inferDropout: the output is the input; the optional mask is bool from opset
// 10 (the input's dtype before); the ratio and training_mode inputs exist from 12.
func inferDropout(c *inferCtx) error {
	if c.opset < 12 && len(c.in) > 1 {
		return c.errf("takes ratio as an attribute before opset 12, got %d inputs", len(c.in))
	}
	if c.has(2) && c.dtype(2) != Bool {
		return c.errf("its training_mode input %q is %s, not bool", c.name(2), c.dtype(2))
	}
	if why := legacyTraining(c.n, c.opset); why != "" {
		return c.errf("%s; Dropout is computed for inference only", why)
	}
	mask := Bool
	if c.opset < 10 {
		mask = c.dtype(0)
	}
	c.set(0, c.dtype(0), c.shape(0).Clone())
	c.set(1, mask, c.shape(0).Clone())
	return nil
}

// evalDropout copies the input and sets the mask to all ones, as inference
// does; training mode is refused.
func evalDropout(_ *Node, _ int, in, out []*Tensor) error {
	if len(in) > 2 && in[2] != nil && in[2].Bool[0] {
		return fmt.Errorf("training_mode is true; Dropout is computed for inference only")
	}
	if err := copyAll(out[0], in[0]); err != nil {
		return err
	}
	if len(out) > 1 && out[1] != nil {
		m := out[1]
		for i := range m.Bool {
			m.Bool[i] = true
		}
		for i := range m.F32 {
			m.F32[i] = 1
		}
		for i := range m.I64 {
			m.I64[i] = 1
		}
	}
	return nil
}

// inferCast gives the output the dtype `to` names, which must be computable.
func inferCast(c *inferCtx) error {
	if !c.n.Attrs.Has("to") {
		return c.errf("has no attribute to")
	}
	to, ok := castTo(c.n)
	if !ok {
		return c.errf("its attribute to names no dtype (accepted: TensorProto's numbers, or their names as FLOAT, INT64)")
	}
	if !to.Computable() {
		return c.errf("casts to %s; only float32, int64, int32 and bool can be computed", to)
	}
	c.set(0, to, c.shape(0).Clone())
	return nil
}

// evalCast converts between float32, int64, int32 and bool: float to integer
// truncates toward zero, anything to bool is "not zero", int32 wraps.
func evalCast(_ *Node, _ int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	switch {
	case y.DType == Float32:
		for i := range y.F32 {
			y.F32[i] = float32(x.Float(i))
		}
	case y.DType == Bool:
		for i := range y.Bool {
			y.Bool[i] = x.Float(i) != 0
		}
	case x.DType == Float32:
		for i, v := range x.F32 {
			y.I64[i] = int64(v)
		}
	default:
		for i := range y.I64 {
			y.I64[i] = x.Int(i)
		}
	}
	wrapInt32(y)
	return nil
}
