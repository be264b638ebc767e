package model

import (
	"fmt"
	"math"
)

// Pools: MaxPool and AveragePool over 1-, 2- and 3-D windows, and the global
// pools over every spatial axis.
var poolOps = map[string]opDef{
	"MaxPool":           {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 2}, types: tFloat, infer: inferPool, eval: evalPool},
	"AveragePool":       {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tFloat, infer: inferPool, eval: evalPool},
	"GlobalAveragePool": {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tFloat, infer: inferGlobalPool, eval: evalGlobalPool},
	"GlobalMaxPool":     {since: 1, ins: [2]int{1, 1}, outs: [2]int{1, 1}, types: tFloat, infer: inferGlobalPool, eval: evalGlobalPool},
}

// poolWindow reads a pool's kernel_shape and window attributes.
func poolWindow(a Attrs, in []int) (window, error) {
	ks, ok := a.Ints("kernel_shape")
	if !ok {
		return window{}, fmt.Errorf("has no kernel_shape")
	}
	if len(ks) != len(in) {
		return window{}, fmt.Errorf("kernel_shape %v has %d entries for %d spatial axes", ks, len(ks), len(in))
	}
	var k [3]int
	for i, v := range ks {
		k[i] = int(v)
	}
	return windowOf(a, in, k[:len(ks)], true)
}

// inferPool: X [N, C, spatial...]; Y [N, C, out...], and MaxPool's Indices of
// the same shape in int64.
func inferPool(c *inferCtx) error {
	if err := c.wantRank(0, 3, 5); err != nil {
		return err
	}
	x := c.shape(0)
	win, err := poolWindow(c.n.Attrs, spatialInts(x))
	if err != nil {
		return c.errf("%v", err)
	}
	resolvePads(c.n, &win)
	out := append(Shape{x[0], x[1]}, win.outDims()...)
	c.set(0, Float32, out)
	c.set(1, Int64, out.Clone())
	return nil
}

// evalPool computes MaxPool (and its Indices, when asked for) and AveragePool.
// A tap outside the input is skipped; AveragePool with count_include_pad
// counts the taps that fall in the padding too, but never those past it (a
// ceil_mode window may reach beyond the padding).
func evalPool(n *Node, _ int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	win, err := poolWindow(n.Attrs, x.Shape[2:])
	if err != nil {
		return err
	}
	var idx []int64
	if len(out) > 1 && out[1] != nil {
		idx = out[1].I64
	}
	isMax := n.Op == "MaxPool"
	countPad := n.Attrs.Int("count_include_pad", 0) != 0
	colMajor := n.Attrs.Int("storage_order", 0) != 0
	NC := x.Shape[0] * x.Shape[1]
	in0, in1, in2 := win.in[0], win.in[1], win.in[2]
	inSp := in0 * in1 * in2
	if want := NC * win.out[0] * win.out[1] * win.out[2]; len(y.F32) != want {
		return fmt.Errorf("the output holds %d elements, the pool makes %d", len(y.F32), want)
	}
	yi := 0
	for p := 0; p < NC; p++ {
		xs := x.F32[p*inSp : (p+1)*inSp]
		for o0 := 0; o0 < win.out[0]; o0++ {
			for o1 := 0; o1 < win.out[1]; o1++ {
				for o2 := 0; o2 < win.out[2]; o2++ {
					sum, best, at, count := 0.0, float32(math.Inf(-1)), -1, 0
					for j0 := 0; j0 < win.k[0]; j0++ {
						i0 := o0*win.stride[0] - win.padB[0] + j0*win.dil[0]
						pad0 := i0 < 0 || i0 >= in0
						if pad0 && (!countPad || i0 >= in0+win.padE[0]) {
							continue
						}
						for j1 := 0; j1 < win.k[1]; j1++ {
							i1 := o1*win.stride[1] - win.padB[1] + j1*win.dil[1]
							pad1 := i1 < 0 || i1 >= in1
							if pad1 && (!countPad || i1 >= in1+win.padE[1]) {
								continue
							}
							for j2 := 0; j2 < win.k[2]; j2++ {
								i2 := o2*win.stride[2] - win.padB[2] + j2*win.dil[2]
								pad2 := i2 < 0 || i2 >= in2
								if pad2 && (!countPad || i2 >= in2+win.padE[2]) {
									continue
								}
								count++
								if pad0 || pad1 || pad2 {
									continue
								}
								v := xs[(i0*in1+i1)*in2+i2]
								sum += float64(v)
								if v > best || at < 0 {
									best, at = v, (i0*in1+i1)*in2+i2
									if colMajor {
										at = (i2*in1+i1)*in0 + i0
									}
								}
							}
						}
					}
					switch {
					case isMax:
						y.F32[yi] = best
						if idx != nil {
							idx[yi] = int64(p*inSp + at)
						}
					case count > 0:
						y.F32[yi] = float32(sum / float64(count))
					default:
						y.F32[yi] = 0
					}
					yi++
				}
			}
		}
	}
	return nil
}

// inferGlobalPool: X [N, C, spatial...]; Y [N, C, 1, ...].
func inferGlobalPool(c *inferCtx) error {
	if err := c.wantRank(0, 3, MaxRank); err != nil {
		return err
	}
	x := c.shape(0)
	out := Shape{x[0], x[1]}
	for range x[2:] {
		out = append(out, Fixed(1))
	}
	c.set(0, Float32, out)
	return nil
}

// evalGlobalPool averages or takes the maximum over every spatial position.
func evalGlobalPool(n *Node, _ int, in, out []*Tensor) error {
	x, y := in[0], out[0]
	NC := x.Shape[0] * x.Shape[1]
	sp := prod(x.Shape, 2, len(x.Shape))
	if len(y.F32) != NC {
		return fmt.Errorf("the output holds %d elements, not %d", len(y.F32), NC)
	}
	for p := 0; p < NC; p++ {
		xs := x.F32[p*sp : (p+1)*sp]
		if n.Op == "GlobalMaxPool" {
			best := float32(math.Inf(-1))
			for _, v := range xs {
				best = max(best, v)
			}
			y.F32[p] = best
			continue
		}
		s := 0.0
		for _, v := range xs {
			s += float64(v)
		}
		y.F32[p] = float32(s / float64(sp))
	}
	return nil
}
