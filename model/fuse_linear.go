package model

import (
	"fmt"
	"slices"
)

// FuseLinear turns the matrix products with a constant right operand into
// OpLinear, whose weight is W [N, K] (PyTorch's layout), and folds a constant
// bias added after them into it:
//
//	Gemm(A, B, C)  transA=0, A 2-D, B a 2-D constant, C omitted or a constant of shape [], [1], [N] or [1, N]
//	  → Linear(A, alpha·B or alpha·Bᵀ, beta·C)
//	MatMul(X, W)   X of rank ≥ 2, W a 2-D constant [K, N]   → Linear(X, Wᵀ)
//	Add(Linear(X, W, B), C) or Add(C, Linear(...))  the Linear without activation and read only by the Add,
//	  C a constant of rank ≤ the output's with every dimension 1 but the last (N or 1) → Linear(X, W, B + C)
//
// A weight that needs a transpose or a scale becomes a new constant (one per
// source constant, however many nodes share it); one already in [N, K] layout
// is used as it is.
var FuseLinear = Pass{
	Name: "fuse-linear",
	Doc:  "Gemm, and MatMul by a 2-D constant, with a constant bias added after them → Linear",
	Run: func(g *Graph) (int, error) {
		f := &linearFuser{g: g, made: map[string]string{}}
		return fuseAll(g, f.match)
	},
}

type linearFuser struct {
	g *Graph
	// made maps a source constant and a transform to the constant made of it.
	made map[string]string
}

func (f *linearFuser) match(ix *index, n *Node) (bool, error) {
	switch n.Op {
	case "Gemm":
		return f.gemm(ix, n), nil
	case "MatMul":
		return f.matmul(ix, n), nil
	case "Add":
		return f.bias(ix, n), nil
	}
	return false, nil
}

// weight returns the name of a constant holding src as [N, K] scaled by
// alpha, transposing when src is [K, N]; src itself when nothing changes.
func (f *linearFuser) weight(src string, transposed bool, alpha float32, anchor string) string {
	if !transposed && alpha == 1 {
		return src
	}
	key := fmt.Sprintf("%s\x00%v\x00%v", src, transposed, alpha)
	if name, ok := f.made[key]; ok {
		return name
	}
	t := f.g.derive1(fmt.Sprintf("linear-weight\x00%v\x00%v", transposed, alpha), []*Tensor{f.g.Const(src)}, func() *Tensor {
		t := f.g.Const(src)
		if transposed {
			t = transpose2D(t)
		}
		return scaled(t, alpha)
	})
	name := addConst(f.g, anchor+"/weight", t)
	f.made[key] = name
	return name
}

func (f *linearFuser) gemm(ix *index, n *Node) bool {
	a, b, c := n.Input(0), n.Input(1), n.Input(2)
	wt := f.g.Const(b)
	if n.Attrs.Int("transA", 0) != 0 || len(ix.shape(a)) != 2 || !ix.isFloat(a) ||
		wt == nil || wt.DType != Float32 || len(wt.Shape) != 2 || len(n.Outputs) != 1 {
		return false
	}
	transB := n.Attrs.Int("transB", 0) != 0
	nOut := wt.Shape[1]
	if transB {
		nOut = wt.Shape[0]
	}
	alpha, beta := n.Attrs.Float("alpha", 1), n.Attrs.Float("beta", 1)
	bias := ""
	if c != "" {
		ct := f.g.Const(c)
		if ct == nil || ct.DType != Float32 || !lastAxisBroadcast(ct.Shape, nOut, 2) {
			return false
		}
		bias = c
		if beta != 1 || !slices.Equal(ct.Shape, []int{nOut}) {
			bias = addConst(f.g, n.Name+"/bias", scaled(broadcastTo(ct, nOut), beta))
		}
	}
	lin := &Node{Name: n.Name, Op: OpLinear, Inputs: []string{a, f.weight(b, !transB, alpha, n.Name), bias},
		Outputs: n.Outputs, Covers: coverAll(n)}
	replace(f.g, []*Node{n}, lin)
	return true
}

func (f *linearFuser) matmul(ix *index, n *Node) bool {
	x, w := n.Input(0), n.Input(1)
	wt := f.g.Const(w)
	xs := ix.shape(x)
	if wt == nil || wt.DType != Float32 || len(wt.Shape) != 2 || len(xs) < 2 || !ix.isFloat(x) ||
		ix.g.Const(x) != nil || (xs[len(xs)-1].Known() && xs[len(xs)-1].Size != wt.Shape[0]) {
		return false
	}
	lin := &Node{Name: n.Name, Op: OpLinear, Inputs: []string{x, f.weight(w, true, 1, n.Name), ""},
		Outputs: n.Outputs, Covers: coverAll(n)}
	replace(f.g, []*Node{n}, lin)
	return true
}

// bias folds Add(Linear, C) into the Linear's bias.
func (f *linearFuser) bias(ix *index, add *Node) bool {
	for _, y := range add.Inputs {
		lin := ix.from(y, OpLinear)
		c, _ := other(add, y)
		ct := f.g.Const(c)
		if lin == nil || !ix.private(y) || ActivationOf(lin).Op != "" || ct == nil || ct.DType != Float32 {
			continue
		}
		w := f.g.Const(lin.Input(1))
		if w == nil || len(w.Shape) != 2 || !lastAxisBroadcast(ct.Shape, w.Shape[0], len(ix.shape(y))) {
			continue
		}
		sum := broadcastTo(ct, w.Shape[0])
		if old := f.g.Const(lin.Input(2)); old != nil {
			for i, v := range old.F32 {
				sum.F32[i] += v
			}
		}
		fused := lin.Clone()
		for len(fused.Inputs) < 3 {
			fused.Inputs = append(fused.Inputs, "")
		}
		fused.Inputs[2] = addConst(f.g, lin.Name+"/bias", sum)
		fused.Outputs = add.Outputs
		fused.Covers = coverAll(lin, add)
		replace(f.g, []*Node{lin, add}, fused)
		return true
	}
	return false
}

// lastAxisBroadcast reports a shape that, added to a tensor of rank rank whose
// last dimension is n, adds one value per position of the last axis and
// changes no shape: rank at most rank, every dimension 1 but the last, which
// is n or 1.
func lastAxisBroadcast(shape []int, n, rank int) bool {
	if len(shape) > rank {
		return false
	}
	for i, d := range shape {
		last := i == len(shape)-1
		if (!last && d != 1) || (last && d != n && d != 1) {
			return false
		}
	}
	return true
}

// broadcastTo returns a new [n] float32 tensor holding t's one value per
// position (t has one element, or n).
func broadcastTo(t *Tensor, n int) *Tensor {
	out := NewTensor(Float32, n)
	for i := range out.F32 {
		out.F32[i] = t.F32[i%len(t.F32)]
	}
	return out
}

// transpose2D returns a new [c, r] tensor holding the transpose of an [r, c] one.
func transpose2D(t *Tensor) *Tensor {
	r, c := t.Shape[0], t.Shape[1]
	out := NewTensor(Float32, c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.F32[j*r+i] = t.F32[i*c+j]
		}
	}
	return out
}

// scaled returns a new tensor holding t·s (t itself when s is 1).
func scaled(t *Tensor, s float32) *Tensor {
	if s == 1 {
		return t
	}
	out := NewTensor(Float32, t.Shape...)
	for i, v := range t.F32 {
		out.F32[i] = v * s
	}
	return out
}
