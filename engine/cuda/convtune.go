package cuda

import (
	"fmt"
	"strings"

	"infertop/engine/reference"
)

// Timing both ways of a convolution in Prepare: rounds alternate the two
// ways and the quickest round of each way counts. The first round runs each
// way once; the others issue the layer's steps convTuneReps times between
// two events, or once when one run took convTuneLongMS or more. When the
// quicker way's single run took convTuneOneRoundMS or more, that first round
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
// the largest magnitude of the layer's output) between the implicit kernel's
// output and im2col + cuBLAS's, computed from the same input, for which
// Prepare lets the implicit kernel be chosen. Both ways sum the same C·k·k
// float32 products in different orders, which differs by about 1e-6.
const ConvCheckTol = 1e-4

// convTiming is what Prepare measured for one convolution.
type convTiming struct {
	Layer            string
	Im2col, Implicit float64 // milliseconds per run of the layer
	// Diff is the relative difference of the implicit way's output from the
	// im2col way's (0 when the layer is beyond the implicit kernel's limits).
	Diff float64
	Way  ConvWay
}

// disagrees reports whether the implicit way's output was too far from the
// im2col way's to use it (NaN included).
func (t convTiming) disagrees() bool { return !(t.Diff <= ConvCheckTol) }

// choose takes the implicit way when it was quicker and agreed with im2col.
func (t *convTiming) choose() {
	t.Way = ConvIm2col
	if t.Implicit < t.Im2col && !t.disagrees() {
		t.Way = ConvImplicit
	}
}

// convDevice runs the steps of the two timing plans, both laid out on one
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

// tuneConvs checks and times both ways of every convolution. plans[ConvIm2col]
// takes the im2col way everywhere, plans[ConvImplicit] the implicit way where
// the kernel allows; both allocate the same buffers, and every layer's input
// is already computed on dev. A layer takes the implicit way only when that
// was quicker and its output agreed with im2col's within ConvCheckTol.
func tuneConvs(dev convDevice, plans [2]*Plan) ([]convTiming, error) {
	im, imp := plans[ConvIm2col], plans[ConvImplicit]
	if !im.SameBuffers(imp) {
		return nil, fmt.Errorf("%s: the two convolution ways allocate different buffers", im.Preset)
	}
	var out []convTiming
	for _, st := range im.Steps {
		name := st.Layer
		if _, conv := im.Conv[name]; !conv || len(out) > 0 && out[len(out)-1].Layer == name {
			continue
		}
		t := convTiming{Layer: name, Way: ConvIm2col}
		if imp.Conv[name] != ConvImplicit {
			out = append(out, t) // beyond the implicit kernel's limits
			continue
		}
		var spans [2][2]int
		for w, pl := range plans {
			lo, hi, ok := pl.LayerSteps(name)
			if !ok {
				return nil, fmt.Errorf("%s: layer %s has no consecutive steps in the %s plan", im.Preset, name, ConvWay(w))
			}
			spans[w] = [2]int{lo, hi}
		}
		diff, err := checkConv(dev, plans, name, spans)
		if err != nil {
			return nil, err
		}
		best, err := timeWays(dev, spans)
		if err != nil {
			return nil, err
		}
		t.Im2col, t.Implicit, t.Diff = best[ConvIm2col], best[ConvImplicit], diff
		t.choose()
		out = append(out, t)
	}
	return out, nil
}

// timeWays times both ways of one layer (spans are its steps in each plan)
// in alternating rounds and returns each way's quickest, in milliseconds per
// run.
func timeWays(dev convDevice, spans [2][2]int) ([2]float64, error) {
	var best [2]float64
	reps := 1
	for r := range convTuneRounds {
		for w, sp := range spans {
			ms, err := dev.time(ConvWay(w), sp[0], sp[1], reps)
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
		switch {
		case min(best[0], best[1]) >= convTuneOneRoundMS:
			return best, nil
		case max(best[0], best[1]) < convTuneLongMS:
			reps = convTuneReps
		}
	}
	return best, nil
}

// checkConv computes layer both ways on dev from the same input and returns
// the relative difference of the implicit output from the im2col one over
// the samples checkSamples names.
func checkConv(dev convDevice, plans [2]*Plan, layer string, spans [2][2]int) (float64, error) {
	var got [2][]float32
	for w, pl := range plans {
		y, per, ok := pl.layerOutput(layer)
		if !ok {
			return 0, fmt.Errorf("%s: layer %s has no output buffer of its own in the %s plan", pl.Preset, layer, ConvWay(w))
		}
		if err := dev.run(ConvWay(w), spans[w][0], spans[w][1]); err != nil {
			return 0, err
		}
		samples := checkSamples(pl.Batch)
		got[w] = make([]float32, int64(len(samples))*per)
		for i, s := range samples {
			if err := dev.read(y.Plus(int64(s)*per), got[w][int64(i)*per:int64(i+1)*per]); err != nil {
				return 0, err
			}
		}
	}
	return reference.RelErr(got[ConvImplicit], got[ConvIm2col]), nil
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

// layerOutput returns the activation buffer named after layer, which the
// layer's steps write, and its size per sample.
func (p *Plan) layerOutput(layer string) (Ref, int64, bool) {
	found := -1
	for i, b := range p.Buffers {
		if b.Role == RoleActivation && b.Name == layer {
			if found >= 0 {
				return Ref{}, 0, false
			}
			found = i
		}
	}
	if found < 0 {
		return Ref{}, 0, false
	}
	return Ref{Buf: found}, p.Buffers[found].Floats / int64(p.Batch), true
}

// tunedHow says how Prepare chose the ways: "timed at this batch", and where
// the implicit kernel disagreed with im2col, which layers and by how much.
func tunedHow(times []convTiming) string {
	var bad []string
	for _, t := range times {
		if t.disagrees() {
			bad = append(bad, fmt.Sprintf("%s by %.2g", t.Layer, t.Diff))
		}
	}
	how := "timed at this batch"
	switch {
	case len(bad) == 0:
		return how
	case len(bad) > 3:
		bad = append(bad[:3], fmt.Sprintf("%d more", len(bad)-3))
	}
	return how + "; the implicit kernel disagreed with im2col on " + strings.Join(bad, ", ") + " and was not used there"
}
