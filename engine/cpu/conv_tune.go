package cpu

import (
	"slices"
	"time"
)

// convTuning chooses how an im2col or pointwise convolution of one group
// multiplies: through sgemm (waySplit: the library's kernel, which packs
// the weights again on every call) or through the wide kernel over the
// weights packed once (wayWide). Like a product's (gemmOp), its first
// runs go round the ways, at least gemmTuneRounds each and on for
// gemmTuneTime, and then it keeps the way whose quickest run was quickest.
// Prepare makes those runs (tuneSteps), so every Run of a batch size
// computes the same way.
type convTuning struct {
	isa   isa // the wide kernel's instruction set; isaNone: sgemm only
	ways  []gemmWay
	best  []time.Duration
	runs  int
	spent time.Duration
	tuned bool
	way   gemmWay
}

// newConvTuning offers the wide kernel to a convolution when offered (an
// im2col or pointwise one of one group) and the CPU runs it (s ≠ isaNone).
func newConvTuning(offered bool, s isa) convTuning {
	if !offered || s == isaNone {
		return convTuning{tuned: true, way: waySplit}
	}
	return convTuning{isa: s, ways: []gemmWay{waySplit, wayWide}, best: make([]time.Duration, 2)}
}

// next sets the way of the next tuning run and returns its index.
func (t *convTuning) next() int {
	i := t.runs % len(t.ways)
	t.way = t.ways[i]
	return i
}

// measured records a tuning run of way i; true when that ended the tuning.
func (t *convTuning) measured(i int, d time.Duration) bool {
	if t.best[i] == 0 || d < t.best[i] {
		t.best[i] = d
	}
	t.runs++
	t.spent += d
	rounds := t.runs / len(t.ways)
	if t.runs%len(t.ways) != 0 || !tunedEnough(t.best, t.spent, rounds) {
		return false
	}
	t.way = t.ways[slices.Index(t.best, slices.Min(t.best))]
	t.tuned = true
	return true
}

// choose ends the tuning with way w, when w is one of its ways.
func (t *convTuning) choose(w gemmWay) bool {
	if t.tuned || !slices.Contains(t.ways, w) {
		return false
	}
	t.way, t.tuned = w, true
	return true
}
