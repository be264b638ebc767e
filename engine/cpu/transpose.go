package cpu

import (
	"slices"

	"infertop/model"
)

// permMode is how a permutation of axes copies.
type permMode int

const (
	permCopy    permMode = iota // the order is kept: one copy
	permBlocks                  // the last axis stays last: copies of whole rows
	permMatrix                  // batches of a matrix transpose, in tiles
	permGeneric                 // anything else, element by element
)

// permKernel copies a float32 tensor into another order of its axes: a
// Transpose node, or a layout change (NCHW ↔ channels-last, which is [N, C, S]
// → [N, S, C] and back). The axes are first collapsed: axes of size 1 go, and
// axes that stay next to each other in the same order become one.
type permKernel struct {
	c    *compute
	mode permMode
	rank int
	dims [model.MaxRank]int // output dimensions, collapsed
	str  [model.MaxRank]int // the input's stride along each of them
	// permMatrix: nb matrices of a×b in, b×a out.
	nb, a, b  int
	split     rowSplit
	xt, yt    *model.Tensor
	x, y      []float32
	rowTiles  int
	totalElem int
}

const transposeTile = 32

// newPermKernel copies x (shape xs) into y with y's axis i being x's axis perm[i].
func newPermKernel(c *compute, x, y *model.Tensor, xs, perm []int) *permKernel {
	k := &permKernel{c: c, xt: x, yt: y, totalElem: model.NumElems(xs)}
	in, p := collapsePerm(xs, perm)
	k.rank = len(p)
	st := 1
	strides := make([]int, len(in))
	for j := len(in) - 1; j >= 0; j-- {
		strides[j] = st
		st *= in[j]
	}
	for i, j := range p {
		k.dims[i], k.str[i] = in[j], strides[j]
	}
	threads := c.pool.threads
	switch {
	case k.rank <= 1:
		k.mode = permCopy
		k.split = splitRows(threads, max(k.totalElem/mapChunk, 1), mapChunk)
	case p[k.rank-1] == len(in)-1:
		k.mode = permBlocks
		k.split = splitRows(threads, k.totalElem/k.dims[k.rank-1], k.dims[k.rank-1])
	case k.rank == 2 || (k.rank == 3 && p[0] == 0 && p[1] == 2 && p[2] == 1):
		k.mode = permMatrix
		k.nb, k.a, k.b = 1, in[0], in[1]
		if k.rank == 3 {
			k.nb, k.a, k.b = in[0], in[1], in[2]
		}
		k.rowTiles = (k.a + transposeTile - 1) / transposeTile
		k.split = splitRows(threads, k.nb*k.rowTiles, transposeTile*k.b)
	default:
		k.mode = permGeneric
		k.split = splitRows(threads, k.totalElem/k.dims[k.rank-1], k.dims[k.rank-1])
	}
	return k
}

// collapsePerm drops the axes of size 1 and merges the axes that stay
// adjacent in order; it returns the collapsed input shape and permutation.
func collapsePerm(xs, perm []int) (in, p []int) {
	newAxis := make([]int, len(xs))
	var kept []int
	for j, d := range xs {
		newAxis[j] = len(kept)
		if d != 1 {
			kept = append(kept, d)
		}
	}
	var p1 []int
	for _, j := range perm {
		if xs[j] != 1 {
			p1 = append(p1, newAxis[j])
		}
	}
	// Runs of consecutive input axes in output order become one axis.
	type run struct{ from, to int }
	var runs []run
	for i, j := range p1 {
		if i > 0 && j == runs[len(runs)-1].to+1 {
			runs[len(runs)-1].to = j
			continue
		}
		runs = append(runs, run{j, j})
	}
	order := make([]int, len(runs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return runs[a].from - runs[b].from })
	id := make([]int, len(runs))
	in = make([]int, len(runs))
	for newID, ri := range order {
		id[ri] = newID
		size := 1
		for j := runs[ri].from; j <= runs[ri].to; j++ {
			size *= kept[j]
		}
		in[newID] = size
	}
	p = make([]int, len(runs))
	for i := range runs {
		p[i] = id[i]
	}
	return in, p
}

// newLayoutKernel converts a tensor of logical shape [N, C, S...] between the
// graph's layout and channels-last.
func newLayoutKernel(c *compute, x, y *model.Tensor, toCL bool) *permKernel {
	s := x.Shape
	n, ch, sp := s[0], s[len(s)-1], model.NumElems(s[1:len(s)-1])
	if toCL {
		n, ch, sp = s[0], s[1], model.NumElems(s[2:])
		return newPermKernel(c, x, y, []int{n, ch, sp}, []int{0, 2, 1})
	}
	return newPermKernel(c, x, y, []int{n, sp, ch}, []int{0, 2, 1})
}

func (k *permKernel) bind() { k.x, k.y = k.xt.F32, k.yt.F32 }

func (k *permKernel) compute() error { return k.split.do(k.c, k) }

func (k *permKernel) run(chunk, chunks, _ int) {
	r0, r1 := k.split.span(chunk, chunks)
	switch k.mode {
	case permCopy:
		lo, hi := r0*mapChunk, r1*mapChunk
		if r1 == k.split.rows {
			hi = k.totalElem
		}
		copy(k.y[lo:hi], k.x[lo:hi])
	case permMatrix:
		k.tiles(r0, r1)
	default:
		k.rows(r0, r1)
	}
}

// rows copies output rows [r0, r1): a row is the last collapsed dimension,
// contiguous in the input too with permBlocks.
func (k *permKernel) rows(r0, r1 int) {
	outer := k.rank - 1
	var idx [model.MaxRank]int
	rem, off := r0, 0
	for d := outer - 1; d >= 0; d-- {
		idx[d] = rem % k.dims[d]
		rem /= k.dims[d]
		off += idx[d] * k.str[d]
	}
	n, s := k.dims[outer], k.str[outer]
	for r := r0; r < r1; r++ {
		y := k.y[r*n : (r+1)*n]
		if s == 1 {
			copy(y, k.x[off:off+n])
		} else {
			for j := range y {
				y[j] = k.x[off+j*s]
			}
		}
		for d := outer - 1; d >= 0; d-- {
			idx[d]++
			off += k.str[d]
			if idx[d] < k.dims[d] {
				break
			}
			off -= k.str[d] * k.dims[d]
			idx[d] = 0
		}
	}
}

// tiles transposes row tiles [t0, t1) (tile t: matrix t / rowTiles, input
// rows from 32·(t mod rowTiles)) of the batched a×b matrices.
func (k *permKernel) tiles(t0, t1 int) {
	a, b := k.a, k.b
	for t := t0; t < t1; t++ {
		m, i0 := t/k.rowTiles, (t%k.rowTiles)*transposeTile
		x := k.x[m*a*b : (m+1)*a*b]
		y := k.y[m*a*b : (m+1)*a*b]
		i1 := min(i0+transposeTile, a)
		if a <= 4 {
			fewRowsTranspose(x, y, a, b)
			continue
		}
		for j0 := 0; j0 < b; j0 += transposeTile {
			j1 := min(j0+transposeTile, b)
			for i := i0; i < i1; i++ {
				xr := x[i*b : i*b+j1]
				for j := j0; j < j1; j++ {
					y[j*a+i] = xr[j]
				}
			}
		}
	}
}

// fewRowsTranspose transposes an a×b matrix x of a ≤ 4 rows (an image's
// channels) into y: each output row of a values is written whole while the
// a input rows are read in step, where the tiles wrote a values a row apart
// (64 CIFAR images: 10 GB/s that way).
func fewRowsTranspose(x, y []float32, a, b int) {
	switch a {
	case 1:
		copy(y[:b], x[:b])
	case 2:
		x0, x1 := x[:b], x[b:2*b]
		y = y[:2*b]
		for j := range x0 {
			o := y[2*j : 2*j+2 : 2*j+2]
			o[0], o[1] = x0[j], x1[j]
		}
	case 3:
		x0, x1, x2 := x[:b], x[b:2*b], x[2*b:3*b]
		y = y[:3*b]
		for j := range x0 {
			o := y[3*j : 3*j+3 : 3*j+3]
			o[0], o[1], o[2] = x0[j], x1[j], x2[j]
		}
	default:
		x0, x1, x2, x3 := x[:b], x[b:2*b], x[2*b:3*b], x[3*b:4*b]
		y = y[:4*b]
		for j := range x0 {
			o := y[4*j : 4*j+4 : 4*j+4]
			o[0], o[1], o[2], o[3] = x0[j], x1[j], x2[j], x3[j]
		}
	}
}

// transpose plans a float32 Transpose node in the graph's layout.
func (p *planner) transpose(n *model.Node) (bool, error) {
	x := n.Input(0)
	if p.dtype(x) != model.Float32 {
		return false, nil
	}
	xs := p.shape(x)
	perm := make([]int, len(xs))
	if v, ok := n.Attrs.Ints("perm"); ok {
		for i := range perm {
			perm[i] = int(v[i])
		}
	} else {
		for i := range perm {
			perm[i] = len(xs) - 1 - i
		}
	}
	in := p.get(x, false)
	y := p.out(n.Outputs[0], false)
	p.add(&step{name: n.Name, op: n.Op, k: newPermKernel(p.c, in.t, y.t, xs, perm), ins: []*val{in}, outs: []*val{y}})
	return true, nil
}
