package cuda

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"infertop/model"
)

// ConvMaxK is the largest C·k·k the implicit kernel takes (CONV_MAXK in
// kernels.cu: its row table lives in shared memory).
const ConvMaxK = 2304

// Implicit-kernel tiles: output channels × columns (samples' pixels) per block.
const (
	convTileM32, convTileN32 = 32, 256
	convTileM64, convTileN64 = 64, 128
)

// convGeom is a 2-D convolution's geometry: n images of c×h×w, out
// filters of k×k in group groups, one stride and one padding for every
// side, output oh×ow.
type convGeom struct {
	n, c, h, w, out, k, stride, pad, oh, ow, group int64
}

// convGeomOf reads a FusedConv node's geometry (convReason accepted it).
func convGeomOf(g *model.Graph, n *model.Node) convGeom {
	x, w, y := plane(shapeOf(g, n.Input(0))), plane(shapeOf(g, n.Input(1))), plane(shapeOf(g, output0(n)))
	attr := func(name string, def int64) int64 {
		if v, ok := n.Attrs.Ints(name); ok && len(v) > 0 {
			return v[0]
		}
		return def
	}
	return convGeom{n: int64(x[0]), c: int64(x[1]), h: int64(x[2]), w: int64(x[3]), out: int64(w[0]), k: int64(w[2]),
		stride: attr("strides", 1), pad: attr("pads", 0), oh: int64(y[2]), ow: int64(y[3]), group: n.Attrs.Int("group", 1)}
}

// convReason refuses what no way computes: anything but a 2-D convolution,
// or an activation the kernels lack. The direct kernel computes every 2-D
// convolution; the three others only those threeWays accepts.
func convReason(g *model.Graph, n *model.Node) string {
	x, w, y := shapeOf(g, n.Input(0)), shapeOf(g, n.Input(1)), shapeOf(g, output0(n))
	if r := len(x); r < 3 || r > 5 || len(w) != r || len(y) != r {
		return "only 1-D, 2-D and 3-D convolutions have a CUDA plan"
	}
	return activationReason(n)
}

// threeWays reports whether the im2col, implicit and cuDNN ways compute a
// convolution: ungrouped, undilated, a square kernel, one stride and the
// same padding on every side. The others take the direct way, and cuDNN's
// when only the group count is more than 1 (cudnnGrouped).
func threeWays(g *model.Graph, n *model.Node) bool {
	return n.Attrs.Int("group", 1) == 1 && uniformWindow(g, n)
}

// cudnnGrouped reports a grouped convolution cuDNN's way computes: more than
// one group, and a window as threeWays asks.
func cudnnGrouped(g *model.Graph, n *model.Node) bool {
	return n.Attrs.Int("group", 1) > 1 && uniformWindow(g, n)
}

// uniformWindow reports an undilated square kernel with one stride and the
// same padding on every side.
func uniformWindow(g *model.Graph, n *model.Node) bool {
	w := shapeOf(g, n.Input(1))
	if len(w) != 4 {
		return false // a 1-D convolution takes the direct way
	}
	same := func(name string, want int) bool {
		v, ok := n.Attrs.Ints(name)
		if !ok {
			return true
		}
		for _, e := range v {
			if e != v[0] {
				return false
			}
		}
		return len(v) == want
	}
	d, _ := n.Attrs.Ints("dilations")
	return !slices.ContainsFunc(d, func(v int64) bool { return v != 1 }) && w[2] == w[3] && same("strides", 2) && same("pads", 4)
}

// implicitFits reports whether the implicit kernel's 32-bit indices and its
// row table hold the convolution.
func implicitFits(c convGeom) bool {
	ckk := c.c * c.k * c.k
	return ckk <= ConvMaxK && c.k < 1<<15 &&
		c.n*c.oh*c.ow <= math.MaxInt32 && c.c*c.h*c.w <= math.MaxInt32 && c.out*ckk <= math.MaxInt32 &&
		(c.oh*c.stride+c.k)*(c.ow*c.stride+c.k) <= math.MaxInt32
}

// cudnnFits reports whether cuDNN's 4-d descriptors, whose sizes and strides
// are 32-bit, hold the convolution's input and output.
func cudnnFits(c convGeom) bool {
	return c.n*c.c*c.h*c.w <= math.MaxInt32 && c.n*c.out*c.oh*c.ow <= math.MaxInt32
}

// workspaceFloats is the im2col workspace every convolution of g needs if
// each takes the im2col way: the largest C·k·k × oh·ow × n.
func workspaceFloats(g *model.Graph) int64 {
	var best int64
	for _, n := range g.Nodes {
		if n.Op != model.OpFusedConv || nodeReason(g, n) != "" || !threeWays(g, n) {
			continue
		}
		c := convGeomOf(g, n)
		best = max(best, c.n*c.c*c.k*c.k*c.oh*c.ow)
	}
	return best
}

// hasConv reports whether g has a convolution.
func hasConv(g *model.Graph) bool {
	return slices.ContainsFunc(g.Nodes, func(n *model.Node) bool { return n.Op == model.OpFusedConv })
}

// emitConv computes model.OpFusedConv the way the options ask, falling back
// to im2col where the implicit kernel's or cuDNN's limits do not hold, and
// to the direct kernel for a convolution the other ways do not compute
// (cuDNN's way stays for a grouped one it computes; a 3-D convolution and
// one whose weight is computed always take it), and records the way in
// the plan. Bias (zeros when the node has none) and
// activation are the way's last step; with a residual the activation
// follows the residual add.
func emitConv(b *builder, n *model.Node) error {
	act, _ := epilogueOf(model.ActivationOf(n))
	way := b.opts.conv(n.Name)
	c := convGeomOf(b.g, n)
	volume := len(b.shape(n.Input(0))) == 5
	switch {
	case volume || b.g.Const(n.Input(1)) == nil:
		way = ConvDirect // the only way of a 3-D convolution, and of a computed weight
	case threeWays(b.g, n):
		if way == ConvImplicit && !implicitFits(c) || way == ConvCudnn && !cudnnFits(c) {
			way = ConvIm2col
		}
	case way != ConvCudnn || !cudnnGrouped(b.g, n) || !cudnnFits(c):
		way = ConvDirect
	}
	b.plan.Conv[n.Name] = way
	// In a half-precision plan the im2col product and cuDNN read a weight
	// of that type; the implicit and direct kernels read the float32 one.
	// Plans that time the ways against each other (fullWorkspace) hold
	// both, so that their buffers agree.
	halfWay := way == ConvIm2col || way == ConvCudnn
	halfW := b.opts.half() != ElemF32 && (halfWay || b.opts.fullWorkspace && halfCapable(b.g, n))
	f32W := n.Input(1)
	if halfW && halfWay && !b.opts.fullWorkspace {
		f32W = ""
	}
	args, err := b.args(n.Input(0), f32W, n.Input(2), n.Input(3))
	if err != nil {
		return err
	}
	x, w, bias, res := args[0].Ref, args[1].Ref, args[2], args[3]
	var hw Ref
	if halfW {
		if hw, _, err = b.weightIn(n.Input(1)); err != nil {
			return err
		}
	}
	if bias.IsNull() {
		bias = ptr(b.zeroBias(int64(b.shape(n.Input(1))[0])))
	}
	epi := act
	if !res.IsNull() {
		epi = epilogue{}
	}
	var y Ref
	switch {
	case volume:
		if y, err = b.convVolume(n, x, w, bias.Ref, epi); err != nil {
			return err
		}
	case way == ConvDirect:
		if y, err = b.convDirect(n, x, w, bias.Ref, epi); err != nil {
			return err
		}
	case way == ConvImplicit:
		y = b.convImplicit(n.Name, n.Outputs[0], c, x, w, bias.Ref, epi)
	case way == ConvCudnn:
		if halfW {
			w = hw
		}
		y = b.convCudnn(n.Name, n.Outputs[0], c, x, w, bias.Ref, epi)
	default:
		if halfW {
			w = hw
		}
		if y, err = b.convIm2col(n.Name, n.Outputs[0], c, x, w, bias.Ref, epi); err != nil {
			return err
		}
	}
	if !res.IsNull() {
		return b.residual(n.Name, y, res.Ref, b.shape(n.Outputs[0]), act)
	}
	return nil
}

// biasPlanes launches infertop_bias_act_planes over the convolution's NCHW
// output: x covers the pixels, y the channels, z the samples.
func (b *builder) biasPlanes(node string, c convGeom, y, bias Ref, act epilogue) {
	p := c.oh * c.ow
	b.launch(node, KBiasActPlanes, Dim3{X: blocks(p, Block), Y: clampInt(c.out), Z: clampInt(c.n)}, Dim3{X: Block, Y: 1, Z: 1},
		append([]Arg{ptr(y), ptr(y), ptr(bias), i64(c.n), i64(c.out), i64(p)}, act.args()...)...)
}

// convCudnn emits one cuDNN convolution and the bias/activation kernel the
// im2col way uses after its GEMM. In a half-precision plan cuDNN reads a
// half copy of x and writes a half y (float32 sums), both in workspaces
// of their own, and the bias kernel reads the half y
// (infertop_bias_act_planes_half); w is then a weight of that type.
func (b *builder) convCudnn(node, out string, c convGeom, x, w, bias Ref, act epilogue) Ref {
	typ := b.opts.half()
	in, total := c.n*c.c*c.h*c.w, c.n*c.out*c.oh*c.ow
	cx := x
	if typ != ElemF32 {
		cx = b.shared(&b.dnnX, Buffer{Name: "cudnn x " + typ.String(), Role: RoleWorkspace}, halfFloats(in))
		b.toHalf(node, x, cx, in)
	}
	y := b.out(out)
	cy := y
	if typ != ElemF32 {
		cy = b.shared(&b.dnnY, Buffer{Name: "cudnn y " + typ.String(), Role: RoleWorkspace}, halfFloats(total))
	}
	b.plan.Steps = append(b.plan.Steps, Step{Layer: node, Conv: &ConvCall{X: cx, Filter: w, Y: cy,
		N: int(c.n), C: int(c.c), H: int(c.h), W: int(c.w), Out: int(c.out), K: int(c.k), Stride: int(c.stride), Pad: int(c.pad),
		OH: int(c.oh), OW: int(c.ow), Group: int(c.group), Type: typ}})
	if typ != ElemF32 {
		p := c.oh * c.ow
		b.launch(node, KBiasHalf, Dim3{X: blocks(p, Block), Y: clampInt(c.out), Z: clampInt(c.n)}, Dim3{X: Block, Y: 1, Z: 1},
			append([]Arg{ptr(cy), ptr(y), ptr(bias), i64(c.n), i64(c.out), i64(p), i64(int64(typ))}, act.args()...)...)
		return y
	}
	b.biasPlanes(node, c, y, bias, act)
	return y
}

// halfCapable reports a convolution a half-precision way can compute:
// the im2col product or cuDNN.
func halfCapable(g *model.Graph, n *model.Node) bool { return threeWays(g, n) || cudnnGrouped(g, n) }

// cudnnHalfFloats is what the half copies of cuDNN's input and output take
// (in float32 values) if every convolution of g that cuDNN computes took
// its way: the largest of each.
func cudnnHalfFloats(g *model.Graph) (x, y int64) {
	for _, n := range g.Nodes {
		if n.Op != model.OpFusedConv || nodeReason(g, n) != "" || !halfCapable(g, n) {
			continue
		}
		c := convGeomOf(g, n)
		x, y = max(x, halfFloats(c.n*c.c*c.h*c.w)), max(y, halfFloats(c.n*c.out*c.oh*c.ow))
	}
	return x, y
}

// convImplicit emits one implicit-GEMM launch: grid x over column tiles (n·oh·ow
// columns), y over output-channel tiles; 32-channel tiles when Out ≤ 32.
func (b *builder) convImplicit(node, out string, c convGeom, x, w, bias Ref, act epilogue) Ref {
	y := b.out(out)
	kernel, tm, tn := KConvM64, int64(convTileM64), int64(convTileN64)
	if c.out <= convTileM32 {
		kernel, tm, tn = KConvM32, convTileM32, convTileN32
	}
	cols := c.n * c.oh * c.ow
	b.launch(node, kernel, Dim3{X: blocks(cols, tn), Y: blocks(c.out, tm), Z: 1}, Dim3{X: Block, Y: 1, Z: 1},
		append([]Arg{ptr(x), ptr(w), ptr(bias), ptr(y), i64(c.n), i64(c.c), i64(c.h), i64(c.w),
			i64(c.out), i64(c.k), i64(c.stride), i64(c.pad), i64(c.oh), i64(c.ow)}, act.args()...)...)
	return y
}

// convIm2col emits im2col + one strided-batched GEMM per batch + bias/activation
// (infertop_bias_act_planes: channel and sample come from the grid).
// Per sample, col is row-major [C·K·K, P] (P = OH·OW) and the output is row-major
// [Out, P] = W [Out, C·K·K] · col. Column-major that is outᵀ [P, Out] (ld P) =
// colᵀ (col read column-major, ld P, op N) · Wᵀ (W read column-major, ld C·K·K, op N).
// In a half-precision plan im2col writes the columns in that type straight
// into the half workspace (infertop_im2col_half), and w is a weight of
// that type.
func (b *builder) convIm2col(node, out string, c convGeom, x, w, bias Ref, act epilogue) (Ref, error) {
	ckk, p := c.c*c.k*c.k, c.oh*c.ow
	for _, lim := range []struct {
		what string
		v    int64
	}{{"the plane size h·w", c.h * c.w}, {"k·k·oh·ow", c.k * c.k * p}, {"oh·stride + k", c.oh*c.stride + c.k}, {"ow·stride + k", c.ow*c.stride + c.k}} {
		if err := fits32(node, lim.what, lim.v); err != nil {
			return Ref{}, err
		}
	}
	planes := c.n * c.c
	grid, blk := Dim3{X: clampInt(planes), Y: blocks(p, Block), Z: 1}, Dim3{X: Block, Y: 1, Z: 1}
	args := []Arg{ptr(x), nilPtr(), i64(planes), i64(c.h), i64(c.w), i64(c.k), i64(c.stride), i64(c.pad), i64(c.oh), i64(c.ow)}
	typ := b.opts.half()
	var col Ref
	if typ == ElemF32 {
		col = b.workspace(c.n * ckk * p)
		args[1] = ptr(col)
		b.launch(node, KIm2col, grid, blk, args...)
	} else {
		col = b.halfWorkspace(c.n * ckk * p)
		args[1] = ptr(col)
		b.launch(node, KIm2colHalf, grid, blk, append(args, i64(int64(typ)))...)
	}
	y := b.out(out)
	b.gemm(node, Gemm{In: typ, M: int(p), N: int(c.out), K: int(ckk), Alpha: 1,
		A: col, LdA: int(p), B: w, LdB: int(ckk), C: y, LdC: int(p),
		Batch: int(c.n), StrideA: ckk * p, StrideB: 0, StrideC: c.out * p})
	b.biasPlanes(node, c, y, bias, act)
	return y, nil
}

// LayerSteps returns the range [lo, hi) of the steps of the named node; ok
// is false when the plan has no such node or it has no step.
func (p *Plan) LayerSteps(node string) (lo, hi int, ok bool) {
	ns, found := p.Node(node)
	return ns.Lo, ns.Hi, found && ns.Hi > ns.Lo
}

// SameBuffers reports whether q allocates exactly the buffers p does, so that
// one allocation serves both plans' steps.
func (p *Plan) SameBuffers(q *Plan) bool {
	if len(p.Buffers) != len(q.Buffers) {
		return false
	}
	for i, b := range p.Buffers {
		if q.Buffers[i] != b {
			return false
		}
	}
	return true
}

// ConvSummary says how many convolutions take each way, e.g. "conv 9 implicit, 1 im2col"
// (cudnn first, then implicit, im2col and direct);
// it is empty for a plan without convolutions.
func (p *Plan) ConvSummary() string {
	var n [numConvWays]int
	for _, w := range p.Conv {
		n[w]++
	}
	var parts []string
	for _, w := range []ConvWay{ConvCudnn, ConvImplicit, ConvIm2col, ConvDirect} {
		if n[w] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[w], w))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "conv " + strings.Join(parts, ", ")
}
