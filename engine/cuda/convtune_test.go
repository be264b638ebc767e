package cuda

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"infertop/model"
)

// emuConvs is a convDevice over the plan emulator: it runs the timing plans'
// steps on one set of buffers, reports scripted times and can plant a fault
// after a layer's steps.
type emuConvs struct {
	t     *testing.T
	mem   [][]float32
	plans [numConvWays]*Plan
	ms    func(way ConvWay, layer string, call int) float64
	fault func(way ConvWay, layer string, mem [][]float32)
	calls map[string]int
	reps  map[string][]int // the reps of each timing, by "way layer"
	runs  []string         // every run, as "way first-node"
	// want holds each convolution's input as a run of the whole im2col
	// plan has it when the convolution starts; a way run on any other
	// input fails the test.
	want  map[string][]float32
	graph *model.Graph
}

func (d *emuConvs) run(way ConvWay, lo, hi int) error {
	pl := d.plans[way]
	if node := pl.Steps[lo].Layer; d.want[node] != nil {
		if ns, _ := pl.Node(node); ns.Lo == lo && ns.Hi == hi {
			r, n := valueRef(pl, d.graph, inputOf(d.graph, node))
			if got := view(d.mem, r)[:n]; !slices.Equal(got, d.want[node]) {
				d.t.Errorf("the %s way of %s ran on an input other than the plan's", way, node)
			}
		}
	}
	execSteps(d.t, pl, d.mem, lo, hi)
	d.runs = append(d.runs, fmt.Sprintf("%s %s", way, pl.Steps[lo].Layer))
	if d.fault != nil {
		d.fault(way, pl.Steps[lo].Layer, d.mem)
	}
	return nil
}

func (d *emuConvs) time(way ConvWay, lo, hi, reps int) (float64, error) {
	if err := d.run(way, lo, hi); err != nil {
		return 0, err
	}
	layer := d.plans[way].Steps[lo].Layer
	key := way.String() + " " + layer
	d.calls[key]++
	d.reps[key] = append(d.reps[key], reps)
	return d.ms(way, layer, d.calls[key]), nil
}

func (d *emuConvs) read(r Ref, dst []float32) error {
	copy(dst, view(d.mem, r)[:len(dst)])
	return nil
}

// newEmuConvs builds m's timing plans at batch for the ways named (im2col
// always) and fills weights and inputs, as Prepare does before tuning.
func newEmuConvs(t *testing.T, m *model.Model, batch int, ways ...ConvWay) *emuConvs {
	t.Helper()
	g := bind(t, m, batch)
	var plans [numConvWays]*Plan
	for _, w := range append([]ConvWay{ConvIm2col}, ways...) {
		pl, err := BuildWith(g, batch, Options{Default: w, fullWorkspace: true})
		if err != nil {
			t.Fatal(err)
		}
		plans[w] = pl
	}
	im := plans[ConvIm2col]
	in := planInputs(g, im)
	want := map[string][]float32{}
	ref, at := planMemory(t, im, in), 0
	for _, ns := range im.Nodes {
		if _, conv := im.Conv[ns.Name]; conv {
			execSteps(t, im, ref, at, ns.Lo)
			r, n := valueRef(im, g, inputOf(g, ns.Name))
			want[ns.Name] = slices.Clone(view(ref, r)[:n])
			at = ns.Lo
		}
	}
	return &emuConvs{t: t, mem: planMemory(t, im, in), plans: plans, calls: map[string]int{}, reps: map[string][]int{},
		want: want, graph: g}
}

// inputOf names the first input of the named node.
func inputOf(g *model.Graph, node string) string {
	for _, n := range g.Nodes {
		if n.Name == node {
			return n.Input(0)
		}
	}
	return ""
}

// valueRef returns where a plan keeps a value, and its size.
func valueRef(p *Plan, g *model.Graph, name string) (Ref, int64) {
	for _, io := range p.Inputs {
		if io.Name == name {
			return io.Ref, io.Floats
		}
	}
	for _, v := range p.Values {
		if v.Name == name {
			return v.Ref, v.Floats
		}
	}
	return Ref{Buf: -1}, int64(g.Values[name].Shape.Elems())
}

// The plan runs up to each convolution before its ways are compared there
// (TestTuneConvs* fail on a way run on another input), and the im2col way
// runs last, so that the memory ends as a run of the im2col plan leaves it.
// In resnet each convolution's input shares memory with later values.
func TestTuneConvsRunsThePlanInOrder(t *testing.T) {
	m := presetModel(t, "resnet")
	d := newEmuConvs(t, m, 1, ConvImplicit)
	d.ms = func(ConvWay, string, int) float64 { return convTuneOneRoundMS } // one round, the fewest runs
	if _, err := tuneConvs(d, d.plans, ConvCheckTol); err != nil {
		t.Fatal(err)
	}
	im := d.plans[ConvIm2col]
	last := im.Nodes[len(im.Nodes)-4] // stage2.block2.conv2, before the pool, flatten and fc
	if _, conv := im.Conv[last.Name]; !conv {
		t.Fatalf("%s is not a convolution", last.Name)
	}
	full := planMemory(t, im, planInputs(d.graph, im))
	execSteps(t, im, full, 0, last.Hi)
	if got, want := view(d.mem, last.Out)[:last.OutFloats], view(full, last.Out)[:last.OutFloats]; !slices.Equal(got, want) {
		t.Errorf("after tuning, %s's output is not what the im2col plan computes", last.Name)
	}
	if len(d.want) != 10 || d.runs[0] != "im2col stem" || d.runs[len(d.runs)-1] != "im2col "+last.Name {
		t.Errorf("%d convolutions checked; runs %v", len(d.want), d.runs)
	}
}

// timed builds a convTiming with the ways of ms tried and timed, Diff left 0.
func timed(layer string, way ConvWay, ms map[ConvWay]float64) convTiming {
	t := convTiming{Layer: layer, Way: way, tol: ConvCheckTol}
	for w, v := range ms {
		t.Tried[w], t.Ms[w] = true, v
	}
	return t
}

// TestTuneConvsPicksTheQuickerWay: without cuDNN every convolution is
// checked and timed both ways, in plan order, except one beyond the implicit
// kernel; the implicit way is taken where it was quicker; each way's time is
// its best round.
func TestTuneConvsPicksTheQuickerWay(t *testing.T) {
	d := newEmuConvs(t, threeConvs(t), 3, ConvImplicit)
	d.ms = func(way ConvWay, layer string, call int) float64 {
		ms := 2.0
		if way == ConvImplicit {
			ms = map[string]float64{"m32": 1, "m64": 3}[layer]
		}
		if call == 1 {
			ms += 5 // a cold first round
		}
		return ms
	}
	times := tuneAndZero(t, d)
	want := []convTiming{
		{Layer: "wide", Way: ConvIm2col, tol: ConvCheckTol},
		timed("m32", ConvImplicit, map[ConvWay]float64{ConvIm2col: 2, ConvImplicit: 1}),
		timed("m64", ConvIm2col, map[ConvWay]float64{ConvIm2col: 2, ConvImplicit: 3}),
	}
	if !slices.Equal(times, want) {
		t.Errorf("tuneConvs:\n got %+v\nwant %+v", times, want)
	}
	for _, c := range []string{"im2col m32", "implicit m32", "im2col m64", "implicit m64"} {
		if d.calls[c] != convTuneRounds {
			t.Errorf("%s timed %d times, want %d rounds", c, d.calls[c], convTuneRounds)
		}
	}
	if d.calls["im2col wide"]+d.calls["implicit wide"] != 0 {
		t.Error("the layer beyond the implicit kernel was timed")
	}
	if got := tunedHow(times); got != "timed at this batch" {
		t.Errorf("tunedHow = %q", got)
	}
}

// TestTuneConvsThreeWays: with cuDNN loaded, each layer takes the quickest of
// the ways that can compute it, cuDNN included, and the layer beyond the
// implicit kernel is timed against cuDNN.
func TestTuneConvsThreeWays(t *testing.T) {
	d := newEmuConvs(t, threeConvs(t), 3, ConvImplicit, ConvCudnn)
	ms := map[ConvWay]map[string]float64{
		ConvIm2col:   {"wide": 2, "m32": 2, "m64": 2},
		ConvImplicit: {"m32": 1, "m64": 3},
		ConvCudnn:    {"wide": 1.5, "m32": 1.2, "m64": 2.5},
	}
	d.ms = func(way ConvWay, layer string, _ int) float64 { return ms[way][layer] }
	times := tuneAndZero(t, d)
	want := []convTiming{
		timed("wide", ConvCudnn, map[ConvWay]float64{ConvIm2col: 2, ConvCudnn: 1.5}),
		timed("m32", ConvImplicit, map[ConvWay]float64{ConvIm2col: 2, ConvImplicit: 1, ConvCudnn: 1.2}),
		timed("m64", ConvIm2col, map[ConvWay]float64{ConvIm2col: 2, ConvImplicit: 3, ConvCudnn: 2.5}),
	}
	if !slices.Equal(times, want) {
		t.Errorf("tuneConvs:\n got %+v\nwant %+v", times, want)
	}
	if d.calls["implicit wide"] != 0 || d.calls["cudnn wide"] != convTuneRounds {
		t.Errorf("wide timed %d times implicit (want 0) and %d times cudnn (want %d)", d.calls["implicit wide"], d.calls["cudnn wide"], convTuneRounds)
	}
}

// tuneAndZero runs tuneConvs on d, checks that the emulated ways agree with
// im2col, and zeroes the differences so that the timings compare exactly.
func tuneAndZero(t *testing.T, d *emuConvs) []convTiming {
	t.Helper()
	times, err := tuneConvs(d, d.plans, ConvCheckTol)
	if err != nil {
		t.Fatal(err)
	}
	for i, tm := range times {
		for w, diff := range tm.Diff {
			if !(diff <= 1e-5) {
				t.Errorf("%s: the %s way differs by %.3g on the emulator", tm.Layer, ConvWay(w), diff)
			}
		}
		times[i].Diff = [numConvWays]float64{}
	}
	return times
}

// TestTuneConvsRefusesAWrongKernel: an output of the implicit kernel or of
// cuDNN that differs from im2col's in any checked sample, or holds a NaN,
// keeps the layer off that way however quick it was, and the engine's detail
// says so.
func TestTuneConvsRefusesAWrongKernel(t *testing.T) {
	const batch = 5
	per := int64(40 * 5 * 5) // m64's output per sample
	for _, bad := range []ConvWay{ConvImplicit, ConvCudnn} {
		other := ConvImplicit + ConvCudnn - bad
		for _, c := range []struct {
			name string
			at   int64 // value of m64's output to spoil
			nan  bool
		}{
			{"first value of sample 0", 0, false},
			{"last value of sample 1", 2*per - 1, false},
			{"last value of the last sample", batch*per - 1, false},
			{"NaN in sample 0", 17, true},
		} {
			t.Run(bad.String()+"/"+c.name, func(t *testing.T) {
				p := threeConvs(t)
				d := newEmuConvs(t, p, batch, ConvImplicit, ConvCudnn)
				d.ms = func(way ConvWay, _ string, _ int) float64 { // the spoilt way always quickest
					return map[ConvWay]float64{ConvIm2col: 2, other: 1, bad: 0.5}[way]
				}
				d.fault = func(way ConvWay, layer string, mem [][]float32) {
					if way != bad || layer != "m64" {
						return
					}
					y, _, _ := d.plans[way].layerOutput("m64")
					v := view(mem, y)
					if c.nan {
						v[c.at] = float32(math.NaN())
					} else {
						v[c.at] += 0.01
					}
				}
				times, err := tuneConvs(d, d.plans, ConvCheckTol)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]convTiming{}
				for _, tm := range times {
					got[tm.Layer] = tm
				}
				if w := got["wide"]; w.Way != ConvCudnn || w.Tried[ConvImplicit] {
					t.Errorf("wide (beyond the implicit kernel): %+v, want cudnn", w)
				}
				if m := got["m32"]; m.Way != bad || m.disagrees(ConvImplicit) || m.disagrees(ConvCudnn) {
					t.Errorf("m32: %+v, want %s", m, bad)
				}
				m := got["m64"]
				if m.Way != other || !m.disagrees(bad) || m.disagrees(other) {
					t.Errorf("m64 with a spoilt %s value: %+v, want %s although %s was quicker", bad, m, other, bad)
				}
				who := map[ConvWay]string{ConvImplicit: "the implicit kernel", ConvCudnn: "cuDNN"}[bad]
				if how := tunedHow(times); !strings.Contains(how, who+" disagreed with im2col on m64 by") {
					t.Errorf("tunedHow = %q, want it to say that %s disagreed on m64", how, who)
				}
			})
		}
	}
}

// With TF32 allowed the check's tolerance is ConvCheckTolTF32: a difference
// of 0.3 % of the layer's largest value, which TF32 rounding can make, keeps
// the quicker way then and not in full float32.
func TestTuneConvsTF32Tolerance(t *testing.T) {
	for _, c := range []struct {
		tol  float64
		want ConvWay
	}{{ConvCheckTol, ConvIm2col}, {ConvCheckTolTF32, ConvImplicit}} {
		d := newEmuConvs(t, threeConvs(t), 2, ConvImplicit)
		d.ms = func(way ConvWay, _ string, _ int) float64 { return 2 - float64(way) }
		d.fault = func(way ConvWay, layer string, mem [][]float32) {
			if way != ConvImplicit || layer != "m64" {
				return
			}
			y, per, _ := d.plans[way].layerOutput("m64")
			v := view(mem, y)[:2*per]
			var big float32
			for _, x := range v {
				big = max(big, float32(math.Abs(float64(x))))
			}
			v[3] += 0.003 * big
		}
		times, err := tuneConvs(d, d.plans, c.tol)
		if err != nil {
			t.Fatal(err)
		}
		if m := times[2]; m.Layer != "m64" || m.Way != c.want || !(m.Diff[ConvImplicit] > 1e-3) {
			t.Errorf("tolerance %g: m64 %+v, want %s", c.tol, m, c.want)
		}
	}
}

// The effort follows the layer's run time: a layer under convTuneLongMS is
// timed once, then in rounds of convTuneReps runs; one of a few ms in single
// runs; one whose quickest way takes convTuneOneRoundMS once per way.
func TestTuneConvsTimingEffort(t *testing.T) {
	d := newEmuConvs(t, threeConvs(t), 2, ConvImplicit, ConvCudnn)
	d.ms = func(way ConvWay, layer string, _ int) float64 {
		return map[string]float64{"m32": 0.1, "m64": 25}[layer] + float64(way)*0.01
	}
	times, err := tuneConvs(d, d.plans, ConvCheckTol)
	if err != nil {
		t.Fatal(err)
	}
	short, once := []int{1, 3, 3}, []int{1}
	for key, want := range map[string][]int{
		"im2col m32": short, "implicit m32": short, "cudnn m32": short,
		"im2col m64": once, "implicit m64": once, "cudnn m64": once,
	} {
		if got := d.reps[key]; !slices.Equal(got, want) {
			t.Errorf("%s timed with reps %v, want %v", key, got, want)
		}
	}
	if times[2].Layer != "m64" || times[2].Ms[ConvIm2col] != 25 || times[2].Way != ConvIm2col {
		t.Errorf("m64 from one round: %+v", times[2])
	}
	d.reps = map[string][]int{}
	d.ms = func(way ConvWay, _ string, _ int) float64 { return 3 - float64(way) }
	if _, err := tuneConvs(d, d.plans, ConvCheckTol); err != nil {
		t.Fatal(err)
	}
	if got := d.reps["im2col m32"]; !slices.Equal(got, []int{1, 1, 1}) {
		t.Errorf("a 1–3 ms layer timed with reps %v, want 1, 1, 1", got)
	}
}

func TestTuneConvsNeedsOneAllocation(t *testing.T) {
	resnet := bind(t, presetModel(t, "resnet"), 2)
	im, _ := BuildWith(resnet, 2, Options{fullWorkspace: true})
	lean, _ := BuildWith(resnet, 2, Options{Default: ConvCudnn}) // no workspace
	_, err := tuneConvs(&emuConvs{t: t}, [numConvWays]*Plan{im, nil, lean}, ConvCheckTol)
	if err == nil || err.Error() != "resnet: the im2col and cudnn ways allocate different buffers" {
		t.Errorf("err = %v", err)
	}
}

func TestCheckSamples(t *testing.T) {
	for batch, want := range map[int][]int{1: {0}, 2: {0, 1}, 3: {0, 1, 2}, 64: {0, 1, 63}} {
		if got := checkSamples(batch); !slices.Equal(got, want) {
			t.Errorf("checkSamples(%d) = %v, want %v", batch, got, want)
		}
	}
}

func TestLayerOutput(t *testing.T) {
	resnet := bind(t, presetModel(t, "resnet"), 4)
	im, _ := BuildWith(resnet, 4, Options{fullWorkspace: true})
	imp, _ := BuildWith(resnet, 4, Options{Default: ConvImplicit, fullWorkspace: true})
	dnn, _ := BuildWith(resnet, 4, Options{Default: ConvCudnn, fullWorkspace: true})
	for layer := range im.Conv {
		a, per, ok := im.layerOutput(layer)
		b, perB, okB := imp.layerOutput(layer)
		c, perC, okC := dnn.layerOutput(layer)
		lo, _, _ := imp.LayerSteps(layer)
		loC, _, _ := dnn.LayerSteps(layer)
		if !ok || !okB || !okC || a != b || a != c || per != perB || per != perC {
			t.Errorf("%s: outputs %v/%v/%v (%d/%d/%d values per sample)", layer, a, b, c, per, perB, perC)
		}
		if imp.Steps[lo].Launch.Args[3].Ref != a || dnn.Steps[loC].Conv.Y != a {
			t.Errorf("%s: the implicit kernel writes %v, cuDNN %v, not the output %v", layer, imp.Steps[lo].Launch.Args[3].Ref, dnn.Steps[loC].Conv.Y, a)
		}
		if got := im.Buffers[a.Buf].Floats; got < 4*per {
			t.Errorf("%s: a buffer of %d values for 4 samples of %d", layer, got, per)
		}
	}
	if _, _, ok := im.layerOutput("nope"); ok {
		t.Error("layerOutput found a layer the plan lacks")
	}
}

func TestTunedHow(t *testing.T) {
	with := func(l string, w ConvWay, d float64) convTiming {
		t := convTiming{Layer: l}
		t.Tried[ConvIm2col], t.Tried[w], t.Diff[w] = true, true, d
		return t
	}
	ok := with("a", ConvImplicit, 2e-7)
	for _, c := range []struct {
		times []convTiming
		want  string
	}{
		{nil, "timed at this batch"},
		{[]convTiming{ok, {Layer: "beyond"}}, "timed at this batch"},
		{[]convTiming{ok, with("b", ConvImplicit, 0.031)},
			"timed at this batch; the implicit kernel disagreed with im2col on b by 0.031 and was not used there"},
		{[]convTiming{with("b", ConvImplicit, math.Inf(1)), with("c", ConvImplicit, 2e-4), with("d", ConvImplicit, 1), with("e", ConvImplicit, 1), with("f", ConvImplicit, 1)},
			"timed at this batch; the implicit kernel disagreed with im2col on b by +Inf, c by 0.0002, d by 1, 2 more and was not used there"},
		{[]convTiming{with("b", ConvCudnn, 0.5), ok, with("c", ConvImplicit, math.NaN())},
			"timed at this batch; the implicit kernel disagreed with im2col on c by NaN and was not used there; cuDNN disagreed with im2col on b by 0.5 and was not used there"},
	} {
		if got := tunedHow(c.times); got != c.want {
			t.Errorf("tunedHow(%v)\n got %q\nwant %q", c.times, got, c.want)
		}
	}
}
