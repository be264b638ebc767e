package cuda

import (
	"fmt"
	"math"
	"strings"

	"infertop/engine"
	"infertop/engine/reference"
)

// Timing the ways of a convolution in Prepare: rounds alternate the ways
// and the quickest round of each way counts. The first round runs each way
// once; the others issue the layer's steps convTuneReps times between two
// events, or once when one run took convTuneLongMS or more. When the
// quickest way's single run took convTuneOneRoundMS or more, that first round
// decides alone. Timing stays near 10 runs of each way per layer at small
// batches, where event resolution and launch jitter matter, and falls to
// 3, then 1, where a layer runs long enough to time alone: the out-of-memory
// search of a sweep prepares batches of tens of thousands.
const (
	convTuneRounds     = 3
	convTuneReps       = 3
	convTuneLongMS     = 1.0
	convTuneOneRoundMS = 20.0
)

// ConvCheckTol is the largest relative difference (reference.RelErr, against
// the largest magnitude of the layer's output) between another way's output
// (the implicit kernel's, cuDNN's) and im2col + cuBLAS's, computed from the
// same input, for which Prepare lets that way be chosen. The ways sum the
// same C·k·k float32 products in different orders, which differs by about 1e-6.
const ConvCheckTol = 1e-4

// ConvCheckTolTF32 replaces ConvCheckTol when TF32 is allowed: im2col's
// cuBLAS and cuDNN may then round their inputs to 10-bit mantissas (a
// relative error of up to 2^-11 per input, about 1e-3 over a layer), while
// a wrong kernel is off by the size of the values themselves.
const ConvCheckTolTF32 = 1e-2

// convCheckTol is the tolerance the ways of a convolution are checked
// against each other with, in precision p: ConvCheckTol in float32,
// ConvCheckTolTF32 with TF32, and in a half precision the precision's own
// tolerance (the im2col way, the reference, rounds its operands; the
// others compute in float32).
func convCheckTol(p engine.Precision) float64 {
	switch {
	case p == engine.TF32:
		return ConvCheckTolTF32
	case p.Half():
		return p.Tolerance()
	}
	return ConvCheckTol
}

// convTiming is what Prepare measured for one convolution.
type convTiming struct {
	Layer string
	// Tried marks the ways that were checked and timed: none when only
	// im2col could compute the layer.
	Tried [numConvWays]bool
	// Ms is each tried way's time in milliseconds per run of the layer.
	Ms [numConvWays]float64
	// Diff is each tried way's relative difference from Ref's output.
	Diff [numConvWays]float64
	Way  ConvWay
	// Ref is the way the others are checked against: im2col, or for a
	// grouped convolution the direct kernel.
	Ref ConvWay
	// tol is the largest Diff that agrees: ConvCheckTol when zero.
	tol float64
}

// disagrees reports whether way w was tried and its output was too far from
// the reference way's to use it (NaN included).
func (t convTiming) disagrees(w ConvWay) bool {
	tol := t.tol
	if tol == 0 {
		tol = ConvCheckTol
	}
	return w != t.Ref && t.Tried[w] && !(t.Diff[w] <= tol)
}

// choose takes the quickest tried way whose output agreed with the
// reference's; the reference on a tie.
func (t *convTiming) choose() {
	t.Way = t.Ref
	for w := range numConvWays {
		if t.Tried[w] && !t.disagrees(w) && t.Ms[w] < t.Ms[t.Way] {
			t.Way = w
		}
	}
}

// convDevice runs the steps of the timing plans, all laid out on one
// allocation, and reads values back.
type convDevice interface {
	// run issues steps [lo, hi) of the plan of the given way.
	run(way ConvWay, lo, hi int) error
	// time issues steps [lo, hi) of the plan of the given way reps times and
	// returns the mean time of one pass in milliseconds.
	time(way ConvWay, lo, hi, reps int) (float64, error)
	// read copies len(dst) values from r into dst once every step issued so
	// far has finished.
	read(r Ref, dst []float32) error
}

// tuneConvs checks and times the ways of every convolution. plans[ConvIm2col]
// takes the im2col way everywhere it can, the direct way elsewhere (grouped
// convolutions: the reference way of those nodes); each other entry takes
// its way where that way can compute the node, or is nil when the device
// lacks the way (no cuDNN). All allocate the same buffers, and the plans' inputs are on dev.
// The im2col plan runs from the start up to each convolution in turn, so
// that the convolution's input holds what it will hold when the batch runs
// (an earlier node's memory may be reused by a later one), the ways are
// checked and timed there, and the im2col way runs once more to leave its
// output for the nodes after it. A node takes another way than im2col only
// when that was quickest and its output agreed with im2col's within tol
// (ConvCheckTol, or ConvCheckTolTF32 when TF32 is allowed).
func tuneConvs(dev convDevice, plans [numConvWays]*Plan, tol float64) ([]convTiming, error) {
	im := plans[ConvIm2col]
	for w, pl := range plans {
		if pl != nil && !im.SameBuffers(pl) {
			return nil, fmt.Errorf("%s: the %s and %s ways allocate different buffers", im.Graph, ConvIm2col, ConvWay(w))
		}
	}
	var out []convTiming
	at := 0 // the im2col plan has run up to this step
	for _, node := range im.Nodes {
		name := node.Name
		ref, conv := im.Conv[name]
		if !conv {
			continue
		}
		t := convTiming{Layer: name, Way: ref, Ref: ref, tol: tol}
		var spans [numConvWays][2]int
		var src [numConvWays]ConvWay // the plan whose steps compute each way
		n := 0
		for w, pl := range plans {
			way := ConvWay(w)
			if way == ConvIm2col {
				way = ref
			}
			if pl == nil || pl.Conv[name] != way || t.Tried[way] {
				continue // the way cannot compute this node
			}
			lo, hi, ok := pl.LayerSteps(name)
			if !ok {
				return nil, fmt.Errorf("%s: node %s has no steps in the %s plan", im.Graph, name, way)
			}
			spans[way], src[way], t.Tried[way] = [2]int{lo, hi}, ConvWay(w), true
			n++
		}
		if n < 2 {
			// The reference alone; it runs with the nodes around it.
			out = append(out, convTiming{Layer: name, Way: ref, Ref: ref, tol: tol})
			continue
		}
		if err := runSpan(dev, at, node.Lo); err != nil {
			return nil, err
		}
		var err error
		if t.Diff, err = checkConv(dev, plans, src, name, spans, t); err != nil {
			return nil, err
		}
		if t.Ms, err = timeWays(dev, src, spans, t.Tried); err != nil {
			return nil, err
		}
		if err := runSpan(dev, node.Lo, node.Hi); err != nil {
			return nil, err
		}
		at = node.Hi
		t.choose()
		out = append(out, t)
	}
	return out, nil
}

// runSpan runs steps [lo, hi) of the im2col plan, when there are any.
func runSpan(dev convDevice, lo, hi int) error {
	if lo >= hi {
		return nil
	}
	return dev.run(ConvIm2col, lo, hi)
}

// timeWays times the tried ways of one layer (spans are its steps in the
// plan src names for each way) in alternating rounds and returns each way's
// quickest, in milliseconds per run.
func timeWays(dev convDevice, src [numConvWays]ConvWay, spans [numConvWays][2]int, tried [numConvWays]bool) ([numConvWays]float64, error) {
	var best [numConvWays]float64
	reps := 1
	for r := range convTuneRounds {
		for w, sp := range spans {
			if !tried[w] {
				continue
			}
			ms, err := dev.time(src[w], sp[0], sp[1], reps)
			if err != nil {
				return best, err
			}
			if r == 0 || ms < best[w] {
				best[w] = ms
			}
		}
		if r > 0 {
			continue
		}
		lo, hi := math.Inf(1), 0.0
		for w, ms := range best {
			if tried[w] {
				lo, hi = min(lo, ms), max(hi, ms)
			}
		}
		switch {
		case lo >= convTuneOneRoundMS:
			return best, nil
		case hi < convTuneLongMS:
			reps = convTuneReps
		}
	}
	return best, nil
}

// checkConv computes the named node each way t tried on dev from the same
// input (way w with the steps of plan src[w]) and returns each way's
// relative difference from the reference way's output over the samples
// checkSamples names.
func checkConv(dev convDevice, plans [numConvWays]*Plan, src [numConvWays]ConvWay, layer string, spans [numConvWays][2]int, t convTiming) ([numConvWays]float64, error) {
	var got [numConvWays][]float32
	var diff [numConvWays]float64
	for w := range numConvWays {
		if !t.Tried[w] {
			continue
		}
		pl := plans[src[w]]
		y, per, ok := pl.layerOutput(layer)
		if !ok {
			return diff, fmt.Errorf("%s: node %s has no output in the %s plan", pl.Graph, layer, w)
		}
		if err := dev.run(src[w], spans[w][0], spans[w][1]); err != nil {
			return diff, err
		}
		samples := checkSamples(pl.Batch)
		got[w] = make([]float32, int64(len(samples))*per)
		for i, s := range samples {
			if err := dev.read(y.Plus(int64(s)*per), got[w][int64(i)*per:int64(i+1)*per]); err != nil {
				return diff, err
			}
		}
	}
	for w := range got {
		if t.Tried[w] && ConvWay(w) != t.Ref {
			diff[w] = reference.RelErr(got[w], got[t.Ref])
		}
	}
	return diff, nil
}

// checkSamples names the samples whose outputs the check compares: the first
// two and the last. They hold the kernel's first column tile, a tile that
// crosses from one sample into the next when a sample's pixels are not a
// multiple of the tile, and the last, partly filled tile; every channel tile
// is in each.
func checkSamples(batch int) []int {
	s := []int{0}
	if batch > 1 {
		s = append(s, 1)
	}
	if batch > 2 {
		s = append(s, batch-1)
	}
	return s
}

// layerOutput returns where the named node's output lies and its size per
// sample.
func (p *Plan) layerOutput(node string) (Ref, int64, bool) {
	ns, ok := p.Node(node)
	if !ok || ns.Samples <= 0 || ns.OutFloats == 0 {
		return Ref{}, 0, false
	}
	return ns.Out, ns.OutFloats / int64(ns.Samples), true
}

// tunedHow says how Prepare chose the ways: "timed at this batch", and where
// another way disagreed with the reference (im2col, or the direct kernel for
// grouped convolutions), which layers and by how much.
func tunedHow(times []convTiming) string {
	how := "timed at this batch"
	names := map[ConvWay]string{ConvImplicit: "the implicit kernel", ConvCudnn: "cuDNN", ConvIm2col: "im2col", ConvDirect: "the direct kernel"}
	for _, w := range []ConvWay{ConvImplicit, ConvCudnn} {
		for _, ref := range []ConvWay{ConvIm2col, ConvDirect} {
			var bad []string
			for _, t := range times {
				if t.Ref == ref && t.disagrees(w) {
					bad = append(bad, fmt.Sprintf("%s by %.2g", t.Layer, t.Diff[w]))
				}
			}
			if len(bad) == 0 {
				continue
			}
			if len(bad) > 3 {
				bad = append(bad[:3], fmt.Sprintf("%d more", len(bad)-3))
			}
			how += "; " + names[w] + " disagreed with " + names[ref] + " on " + strings.Join(bad, ", ") + " and was not used there"
		}
	}
	return how
}
