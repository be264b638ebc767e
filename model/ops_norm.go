package model

import (
	"fmt"
	"math"
)

// Normalizations: Softmax, LayerNormalization and BatchNormalization (inference form).
var normOps = map[string]opDef{
	"Softmax":            {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tFloat, infer: inferSoftmax, eval: evalSoftmax},
	"LayerNormalization": {since: 17, ins: [2]int{2, 3}, outs: [2]int{1, 3}, types: tFloat, infer: inferLayerNorm, eval: evalLayerNorm},
	"BatchNormalization": {since: 1, ins: [2]int{5, 5}, outs: [2]int{1, 5}, types: tFloat, infer: inferBatchNorm, eval: evalBatchNorm},
}

// softmaxAxis is Softmax's axis, normalized: the default is 1 before opset 13
// (where the input is flattened to 2-D at it) and -1 from 13.
func softmaxAxis(n *Node, opset, r int) (int, error) {
	def := int64(-1)
	if opset < 13 {
		def = 1
	}
	return attrAxis(n, def, r)
}

func inferSoftmax(c *inferCtx) error {
	if err := c.wantRank(0, 1, MaxRank); err != nil {
		return err
	}
	if _, err := softmaxAxis(c.n, c.opset, len(c.shape(0))); err != nil {
		return c.errf("%v", err)
	}
	return inferSame(c)
}

// evalSoftmax computes exp(x - max) / Σ exp(x - max) along the axis (from
// opset 13) or over the flattened axes from it on (before 13).
func evalSoftmax(n *Node, opset int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	r := len(x.Shape)
	axis, err := softmaxAxis(n, opset, r)
	if err != nil {
		return err
	}
	outer, size, inner := prod(x.Shape, 0, axis), x.Shape[axis], prod(x.Shape, axis+1, r)
	if opset < 13 {
		size, inner = prod(x.Shape, axis, r), 1
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*size*inner + i
			m := math.Inf(-1)
			for k := 0; k < size; k++ {
				m = max(m, float64(x.F32[base+k*inner]))
			}
			s := 0.0
			for k := 0; k < size; k++ {
				s += math.Exp(float64(x.F32[base+k*inner]) - m)
			}
			for k := 0; k < size; k++ {
				y.F32[base+k*inner] = float32(math.Exp(float64(x.F32[base+k*inner])-m) / s)
			}
		}
	}
	return nil
}

// inferLayerNorm: normalizes over the axes [axis, rank); Scale and B
// broadcast to those axes; the optional Mean and InvStdDev outputs keep the
// leading axes and have 1 for the normalized ones.
func inferLayerNorm(c *inferCtx) error {
	for i := 1; i < len(c.in); i++ {
		if c.has(i) {
			if err := c.wantType(i, tFloat); err != nil {
				return err
			}
		}
	}
	x := c.shape(0)
	axis, err := c.axis(c.n.Attrs.Int("axis", -1), len(x))
	if err != nil {
		return err
	}
	norm := x[axis:]
	for i := 1; i < len(c.in); i++ {
		if !c.has(i) {
			continue
		}
		if s, err := broadcastShapes(norm, c.shape(i)); err != nil || !s.Equal(norm) {
			return c.errf("%q has shape %v, which does not broadcast to the normalized axes %v", c.name(i), c.shape(i), norm)
		}
	}
	c.set(0, Float32, x.Clone())
	stat := x[:axis].Clone()
	for range norm {
		stat = append(stat, Fixed(1))
	}
	c.set(1, Float32, stat)
	c.set(2, Float32, stat.Clone())
	return nil
}

// evalLayerNorm computes (x - mean) / √(var + epsilon) · Scale + B over each
// row of the normalized axes, mean and variance in float64.
func evalLayerNorm(n *Node, _ int, in, out []*Tensor) error {
	x, scale, y := in[0], in[1], out[0]
	r := len(x.Shape)
	axis, err := attrAxis(n, -1, r)
	if err != nil {
		return err
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	var bshape []int
	var bias []float32
	if len(in) > 2 && in[2] != nil {
		bshape, bias = in[2].Shape, in[2].F32
	}
	var w walker
	if err := w.broadcast(x.Shape[axis:], scale.Shape, bshape, nil); err != nil {
		return err
	}
	rows, size := prod(x.Shape, 0, axis), prod(x.Shape, axis, r)
	var mean, inv []float32
	if len(out) > 1 && out[1] != nil {
		mean = out[1].F32
	}
	if len(out) > 2 && out[2] != nil {
		inv = out[2].F32
	}
	for row := 0; row < rows; row++ {
		xs, ys := x.F32[row*size:(row+1)*size], y.F32[row*size:(row+1)*size]
		m := 0.0
		for _, v := range xs {
			m += float64(v)
		}
		m /= float64(size)
		vr := 0.0
		for _, v := range xs {
			d := float64(v) - m
			vr += d * d
		}
		is := 1 / math.Sqrt(vr/float64(size)+eps)
		w.reset()
		for j, v := range xs {
			t := (float64(v) - m) * is * float64(scale.F32[w.off[0]])
			if bias != nil {
				t += float64(bias[w.off[1]])
			}
			ys[j] = float32(t)
			w.next()
		}
		if mean != nil {
			mean[row] = float32(m)
		}
		if inv != nil {
			inv[row] = float32(is)
		}
	}
	return nil
}

// bnPerActivation reports BatchNormalization's spatial=0 form (before opset
// 9), whose parameters have one value per channel and position.
func bnPerActivation(n *Node, opset int) bool {
	return opset < 9 && n.Attrs.Int("spatial", 1) == 0
}

// inferBatchNorm: scale, B, mean and var are [C] (or [C, spatial...] in the
// spatial=0 form); Y is like X. Training mode is refused.
func inferBatchNorm(c *inferCtx) error {
	if c.n.Attrs.Int("training_mode", 0) != 0 {
		return c.errf("training_mode=1; BatchNormalization is computed for inference only")
	}
	if why := legacyTraining(c.n, c.opset); why != "" {
		return c.errf("%s; BatchNormalization is computed for inference only", why)
	}
	if err := c.wantRank(0, 2, MaxRank); err != nil {
		return err
	}
	x := c.shape(0)
	want := x[1:2]
	if bnPerActivation(c.n, c.opset) {
		want = x[1:]
	}
	for i := 1; i < 5; i++ {
		if err := c.wantType(i, tFloat); err != nil {
			return err
		}
		if !c.shape(i).Equal(want) {
			return c.errf("%q has shape %v, not %v", c.name(i), c.shape(i), want)
		}
	}
	c.set(0, Float32, x.Clone())
	for i := 1; i < len(c.n.Outputs); i++ {
		c.set(i, Float32, want.Clone())
	}
	return nil
}

// evalBatchNorm computes scale · (x - mean) / √(var + epsilon) + B; the
// optional statistics outputs receive the running mean and variance.
func evalBatchNorm(n *Node, opset int, in, out []*Tensor) error {
	x, scale, b, mean, vr, y := in[0], in[1], in[2], in[3], in[4], out[0]
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	N, C := x.Shape[0], x.Shape[1]
	sp := prod(x.Shape, 2, len(x.Shape))
	per := bnPerActivation(n, opset)
	if want := C; len(scale.F32) != want && !per {
		return fmt.Errorf("scale has %d elements for %d channels", len(scale.F32), C)
	}
	for i := 0; i < N*C; i++ {
		ch := i % C
		for s := 0; s < sp; s++ {
			p := ch
			if per {
				p = ch*sp + s
			}
			v := float64(x.F32[i*sp+s])
			t := float64(scale.F32[p])*(v-float64(mean.F32[p]))/math.Sqrt(float64(vr.F32[p])+eps) + float64(b.F32[p])
			y.F32[i*sp+s] = float32(t)
		}
	}
	for i := 1; i < len(out); i++ {
		if out[i] != nil {
			src := mean
			if i%2 == 0 {
				src = vr
			}
			copy(out[i].F32, src.F32)
		}
	}
	return nil
}
