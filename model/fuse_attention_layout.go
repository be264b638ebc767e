package model

import (
	"slices"
)

// The attention fusion follows q, k and v from their projections to the
// matrix products through whatever Reshapes and Transposes the exporter
// wrote, by tracking each tensor's layout: which axes of the token input
// x [B, T, K] and which part of the projected features each of its
// dimensions spans. PyTorch's nn.MultiheadAttention goes through [T, B·H, dh]
// and BERT-style code through [B, H, T, dh]; both are the same layouts.

// atomKind says what an atom is an axis of.
type atomKind uint8

const (
	tok0 atomKind = iota // x's first axis (the batch)
	tok1                 // x's second axis (the tokens)
	feat                 // the features of a projection (q, k, v, or the output)
)

// atom is one axis of a layout: its kind, and its size and stride within
// that kind's index (a split feature axis becomes heads of stride dh and
// positions of stride 1). Atoms of size 1 are never kept: they say nothing
// about the layout.
type atom struct {
	kind         atomKind
	size, stride int
}

// layout is a tensor's dimensions, outermost first, each the atoms it
// merges, outermost first (a dimension of size 1 has none).
type layout [][]atom

// atoms returns the atoms that are not of size 1.
func atoms(as ...atom) []atom {
	return slices.DeleteFunc(as, func(a atom) bool { return a.size == 1 })
}

// flat lists a layout's atoms in memory order.
func (l layout) flat() []atom {
	var out []atom
	for _, g := range l {
		out = append(out, g...)
	}
	return out
}

// equal reports two layouts of the same dimensions and atoms.
func (l layout) equal(m layout) bool {
	return slices.EqualFunc(l, m, func(a, b []atom) bool { return slices.Equal(a, b) })
}

// transpose permutes the dimensions as ONNX's Transpose does (no perm: reversed).
func (l layout) transpose(perm []int64) (layout, bool) {
	if perm == nil {
		out := slices.Clone(l)
		slices.Reverse(out)
		return out, true
	}
	if len(perm) != len(l) {
		return nil, false
	}
	out := make(layout, len(l))
	for i, p := range perm {
		if p < 0 || int(p) >= len(l) {
			return nil, false
		}
		out[i] = l[p]
	}
	return out, true
}

// reshape regroups the atoms into dimensions of the given sizes, splitting
// an atom where a dimension ends inside it; false when the sizes do not
// divide the atoms.
func (l layout) reshape(dims []int) (layout, bool) {
	queue := l.flat()
	out := make(layout, 0, len(dims))
	for _, d := range dims {
		var group []atom
		prod := 1
		for prod < d {
			if len(queue) == 0 || d%prod != 0 {
				return nil, false
			}
			a, need := queue[0], d/prod
			switch {
			case a.size <= need && need%a.size == 0: // the whole atom
				group, prod, queue = append(group, a), prod*a.size, queue[1:]
			case a.size > need && a.size%need == 0: // its outer part; the inner part stays queued
				inner := a.size / need
				group = append(group, atom{kind: a.kind, size: need, stride: a.stride * inner})
				queue[0] = atom{kind: a.kind, size: inner, stride: a.stride}
				prod = d
			default:
				return nil, false
			}
		}
		if prod != d {
			return nil, false
		}
		out = append(out, group)
	}
	return out, len(queue) == 0
}

// wholeFeature reports atoms that together are a feature axis of width n in
// its own order: every atom a feature, the strides row-major, the last 1.
func wholeFeature(as []atom, n int) bool {
	stride := 1
	for i := len(as) - 1; i >= 0; i-- {
		if as[i].kind != feat || as[i].stride != stride {
			return false
		}
		stride *= as[i].size
	}
	return stride == n
}

// kinds splits atoms into the token atoms and the feature atoms, keeping
// their order, and reports whether every token atom comes before every
// feature atom.
func kinds(as []atom) (toks, feats []atom, tokFirst bool) {
	tokFirst = true
	for _, a := range as {
		if a.kind == feat {
			feats = append(feats, a)
		} else {
			if len(feats) > 0 {
				tokFirst = false
			}
			toks = append(toks, a)
		}
	}
	return toks, feats, tokFirst
}
