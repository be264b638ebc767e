package cuda

import (
	"math"
	"slices"
	"strings"
	"testing"

	"infertop/presets"
)

// emuConvs is a convDevice over the plan emulator: it runs the two timing
// plans' steps on one set of buffers, reports scripted times and can plant
// a fault after a layer's steps.
type emuConvs struct {
	t     *testing.T
	mem   [][]float32
	plans [2]*Plan
	ms    func(way ConvWay, layer string, call int) float64
	fault func(way ConvWay, layer string, mem [][]float32)
	calls map[string]int
	reps  map[string][]int // the reps of each timing, by "way layer"
}

func (d *emuConvs) run(way ConvWay, lo, hi int) error {
	pl := d.plans[way]
	execPlan(d.t, &presets.Preset{Name: pl.Preset}, &Plan{Preset: pl.Preset, Batch: pl.Batch, Steps: pl.Steps[lo:hi]}, d.mem)
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

// newEmuConvs builds p's two timing plans at batch, fills weights and input
// and runs the im2col plan once, as Prepare does before tuning.
func newEmuConvs(t *testing.T, p *presets.Preset, batch int) *emuConvs {
	t.Helper()
	im, err := BuildWith(p, batch, Options{fullWorkspace: true})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := BuildWith(p, batch, Options{Default: ConvImplicit, fullWorkspace: true})
	if err != nil {
		t.Fatal(err)
	}
	d := &emuConvs{t: t, mem: planMemory(t, p, im), plans: [2]*Plan{im, imp}, calls: map[string]int{}, reps: map[string][]int{}}
	execPlan(t, p, im, d.mem)
	return d
}

// threeConvs has a convolution beyond the implicit kernel's row table (C·k·k
// 2700) and one for each implicit kernel; 5×5 outputs are no multiple of a
// column tile.
func threeConvs() *presets.Preset {
	return &presets.Preset{Name: "three", Input: []int{300, 5, 5}, Layers: []presets.Layer{
		{Kind: presets.Conv2D, Name: "wide", In: 300, Out: 8, Kernel: 3, Stride: 1, Pad: 1},
		{Kind: presets.Conv2D, Name: "m32", In: 8, Out: 8, Kernel: 3, Stride: 1, Pad: 1},
		{Kind: presets.Conv2D, Name: "m64", In: 8, Out: 40, Kernel: 3, Stride: 1, Pad: 1},
	}}
}

// TestTuneConvsPicksTheQuickerWay: every convolution is checked and timed
// once, in plan order, except one beyond the implicit kernel; the implicit way
// is taken where it was quicker; each way's time is its best round.
func TestTuneConvsPicksTheQuickerWay(t *testing.T) {
	d := newEmuConvs(t, threeConvs(), 3)
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
	times, err := tuneConvs(d, d.plans)
	if err != nil {
		t.Fatal(err)
	}
	want := []convTiming{
		{Layer: "wide", Way: ConvIm2col},
		{Layer: "m32", Im2col: 2, Implicit: 1, Way: ConvImplicit},
		{Layer: "m64", Im2col: 2, Implicit: 3, Way: ConvIm2col},
	}
	for i, tm := range times {
		if !(tm.Diff <= 1e-5) {
			t.Errorf("%s: the two ways differ by %.3g on the emulator", tm.Layer, tm.Diff)
		}
		times[i].Diff = 0
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

// TestTuneConvsRefusesAWrongKernel: an implicit output that differs from
// im2col's in any checked sample, or holds a NaN, keeps the layer on im2col
// however quick the implicit kernel was, and the engine's detail says so.
func TestTuneConvsRefusesAWrongKernel(t *testing.T) {
	const batch = 5
	per := int64(40 * 5 * 5) // m64's output per sample
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
		t.Run(c.name, func(t *testing.T) {
			p := threeConvs()
			d := newEmuConvs(t, p, batch)
			d.ms = func(way ConvWay, _ string, _ int) float64 { return 2 - float64(way) } // implicit always quicker
			d.fault = func(way ConvWay, layer string, mem [][]float32) {
				if way != ConvImplicit || layer != "m64" {
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
			times, err := tuneConvs(d, d.plans)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]convTiming{}
			for _, tm := range times {
				got[tm.Layer] = tm
			}
			if w := got["wide"]; w.Way != ConvIm2col || w.Diff != 0 {
				t.Errorf("wide (beyond the kernel): %+v, want im2col", w)
			}
			if m := got["m32"]; m.Way != ConvImplicit || !(m.Diff <= 1e-5) {
				t.Errorf("m32: %+v, want implicit", m)
			}
			m := got["m64"]
			if m.Way != ConvIm2col || !m.disagrees() || m.Implicit >= m.Im2col {
				t.Errorf("m64 with a spoilt value: %+v, want im2col although implicit was quicker", m)
			}
			if how := tunedHow(times); !strings.Contains(how, "disagreed with im2col on m64 by") {
				t.Errorf("tunedHow = %q, want it to name m64", how)
			}
		})
	}
}

// The effort follows the layer's run time: a layer under convTuneLongMS is
// timed once, then in rounds of convTuneReps runs; one of a few ms in single
// runs; one whose quicker way takes convTuneOneRoundMS once per way.
func TestTuneConvsTimingEffort(t *testing.T) {
	d := newEmuConvs(t, threeConvs(), 2)
	d.ms = func(way ConvWay, layer string, _ int) float64 {
		return map[string]float64{"m32": 0.1, "m64": 25}[layer] + float64(way)*0.01
	}
	times, err := tuneConvs(d, d.plans)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]int{"im2col m32": {1, 3, 3}, "implicit m32": {1, 3, 3}, "im2col m64": {1}, "implicit m64": {1}} {
		if got := d.reps[key]; !slices.Equal(got, want) {
			t.Errorf("%s timed with reps %v, want %v", key, got, want)
		}
	}
	if times[2].Layer != "m64" || times[2].Im2col != 25 || times[2].Way != ConvIm2col {
		t.Errorf("m64 from one round: %+v", times[2])
	}
	d.reps = map[string][]int{}
	d.ms = func(way ConvWay, _ string, _ int) float64 { return 3 - float64(way) }
	if _, err := tuneConvs(d, d.plans); err != nil {
		t.Fatal(err)
	}
	if got := d.reps["im2col m32"]; !slices.Equal(got, []int{1, 1, 1}) {
		t.Errorf("a 2–3 ms layer timed with reps %v, want 1, 1, 1", got)
	}
}

func TestTuneConvsNeedsOneAllocation(t *testing.T) {
	resnet, err := presets.NewCatalog().Get("resnet")
	if err != nil {
		t.Fatal(err)
	}
	im, _ := BuildWith(resnet, 2, Options{fullWorkspace: true})
	lean, _ := BuildWith(resnet, 2, Options{Default: ConvImplicit}) // no workspace
	_, err = tuneConvs(&emuConvs{t: t}, [2]*Plan{im, lean})
	if err == nil || err.Error() != "resnet: the two convolution ways allocate different buffers" {
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
	resnet, err := presets.NewCatalog().Get("resnet")
	if err != nil {
		t.Fatal(err)
	}
	im, _ := BuildWith(resnet, 4, Options{fullWorkspace: true})
	imp, _ := BuildWith(resnet, 4, Options{Default: ConvImplicit, fullWorkspace: true})
	for layer := range im.Conv {
		a, per, ok := im.layerOutput(layer)
		b, perB, okB := imp.layerOutput(layer)
		lo, _, _ := imp.LayerSteps(layer)
		if !ok || !okB || a != b || per != perB || imp.Steps[lo].Launch.Args[3].Ref != a {
			t.Errorf("%s: outputs %v/%v (%d/%d values per sample), implicit kernel writes %v", layer, a, b, per, perB, imp.Steps[lo].Launch.Args[3].Ref)
		}
		if got := im.Buffers[a.Buf].Floats; got != 4*per {
			t.Errorf("%s: %d values for 4 samples of %d", layer, got, per)
		}
	}
	if _, _, ok := im.layerOutput("nope"); ok {
		t.Error("layerOutput found a layer the plan lacks")
	}
}

func TestTunedHow(t *testing.T) {
	ok := convTiming{Layer: "a", Diff: 2e-7}
	bad := func(l string, d float64) convTiming { return convTiming{Layer: l, Diff: d} }
	for _, c := range []struct {
		times []convTiming
		want  string
	}{
		{nil, "timed at this batch"},
		{[]convTiming{ok, {Layer: "beyond"}}, "timed at this batch"},
		{[]convTiming{ok, bad("b", 0.031)},
			"timed at this batch; the implicit kernel disagreed with im2col on b by 0.031 and was not used there"},
		{[]convTiming{bad("b", math.Inf(1)), bad("c", 2e-4), bad("d", 1), bad("e", 1), bad("f", 1)},
			"timed at this batch; the implicit kernel disagreed with im2col on b by +Inf, c by 0.0002, d by 1, 2 more and was not used there"},
	} {
		if got := tunedHow(c.times); got != c.want {
			t.Errorf("tunedHow(%v)\n got %q\nwant %q", c.times, got, c.want)
		}
	}
}
