package model

import "fmt"

// Convolutions: ONNX's Conv and the fused FusedConv, 1-, 2- and 3-D, with
// groups, strides, dilations and padding (explicit or auto_pad).
var convOps = map[string]opDef{
	"Conv":      {since: 1, ins: [2]int{2, 3}, outs: [2]int{1, 1}, types: tFloat, infer: inferConv, eval: evalConv},
	OpFusedConv: {since: 1, ins: [2]int{2, 4}, outs: [2]int{1, 1}, types: tFloat, infer: inferConv, eval: evalConv},
}

// inferConv: X [N, C, spatial...], W [M, C/group, kernel...], B [M]; the
// output [N, M, out...]. FusedConv adds a constant weight and bias, a
// residual of the output's shape and an activation.
func inferConv(c *inferCtx) error {
	fused := c.n.Op == OpFusedConv
	if fused {
		if err := fusedChecks(c, 1, 2); err != nil {
			return err
		}
	} else {
		for i := 1; i < len(c.in); i++ {
			if c.has(i) {
				if err := c.wantType(i, tFloat); err != nil {
					return err
				}
			}
		}
	}
	if err := c.wantRank(0, 3, 5); err != nil {
		return err
	}
	x, w := c.shape(0), c.shape(1)
	if len(w) != len(x) {
		return c.errf("the weight %q has shape %v; its rank must be the input's (%d)", c.name(1), w, len(x))
	}
	if !w[1:].Known() {
		return c.errf("the weight %q has shape %v; its sizes must be known", c.name(1), w)
	}
	kernel := w[2:].Ints()
	if ks, ok := c.n.Attrs.Ints("kernel_shape"); ok {
		for i, k := range ks {
			if len(ks) != len(kernel) || int(k) != kernel[i] {
				return c.errf("kernel_shape %v does not match the weight's %v", ks, kernel)
			}
		}
	}
	group := c.n.Attrs.Int("group", 1)
	if group < 1 {
		return c.errf("group %d must be positive", group)
	}
	m, cg := w[0], w[1].Size
	if x[1].Known() && x[1].Size != cg*int(group) {
		return c.errf("input channels %d do not match the weight's %d × group %d", x[1].Size, cg, group)
	}
	if m.Known() && m.Size%int(group) != 0 {
		return c.errf("output channels %d are not divisible by group %d", m.Size, group)
	}
	if c.has(2) && !c.shape(2).Equal(Shape{m}) {
		return c.errf("the bias %q has shape %v, not [%v]", c.name(2), c.shape(2), m)
	}
	win, err := windowOf(c.n.Attrs, spatialInts(x), kernel, false)
	if err != nil {
		return c.errf("%v", err)
	}
	resolvePads(c.n, &win)
	out := append(Shape{x[0], m}, win.outDims()...)
	c.set(0, Float32, out)
	if fused {
		return fusedResidual(c, 3, out)
	}
	return nil
}

// evalConv computes act(conv(X, W) + B + R) (Conv has neither R nor act).
func evalConv(n *Node, _ int, in, out []*Tensor) error {
	x, wt, y := in[0], in[1], out[0]
	win, err := windowOf(n.Attrs, x.Shape[2:], wt.Shape[2:], false)
	if err != nil {
		return err
	}
	N, C, M, Cg := x.Shape[0], x.Shape[1], wt.Shape[0], wt.Shape[1]
	G := int(n.Attrs.Int("group", 1))
	if G < 1 || C != Cg*G || M%G != 0 {
		return fmt.Errorf("input channels %d do not match the weight's %d × group %d", C, Cg, G)
	}
	Mg := M / G
	bias, res := optF32(in, 2), optF32(in, 3)
	act := ActivationOf(n)
	in0, in1, in2 := win.in[0], win.in[1], win.in[2]
	k0, k1, k2 := win.k[0], win.k[1], win.k[2]
	inSp, kSp := in0*in1*in2, k0*k1*k2
	if want := N * M * win.out[0] * win.out[1] * win.out[2]; len(y.F32) != want {
		return fmt.Errorf("the output holds %d elements, the convolution makes %d", len(y.F32), want)
	}
	yi := 0
	for b := 0; b < N; b++ {
		for m := 0; m < M; m++ {
			g := m / Mg
			for o0 := 0; o0 < win.out[0]; o0++ {
				for o1 := 0; o1 < win.out[1]; o1++ {
					for o2 := 0; o2 < win.out[2]; o2++ {
						s := 0.0
						for ch := 0; ch < Cg; ch++ {
							xc := (b*C + g*Cg + ch) * inSp
							wc := (m*Cg + ch) * kSp
							for j0 := 0; j0 < k0; j0++ {
								i0 := o0*win.stride[0] - win.padB[0] + j0*win.dil[0]
								if i0 < 0 || i0 >= in0 {
									continue
								}
								for j1 := 0; j1 < k1; j1++ {
									i1 := o1*win.stride[1] - win.padB[1] + j1*win.dil[1]
									if i1 < 0 || i1 >= in1 {
										continue
									}
									for j2 := 0; j2 < k2; j2++ {
										i2 := o2*win.stride[2] - win.padB[2] + j2*win.dil[2]
										if i2 < 0 || i2 >= in2 {
											continue
										}
										s += float64(x.F32[xc+(i0*in1+i1)*in2+i2]) *
											float64(wt.F32[wc+(j0*k1+j1)*k2+j2])
									}
								}
							}
						}
						if bias != nil {
							s += float64(bias[m])
						}
						if res != nil {
							s += float64(res[yi])
						}
						y.F32[yi] = float32(act.Apply(s))
						yi++
					}
				}
			}
		}
	}
	return nil
}
