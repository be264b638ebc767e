package cuda

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"infertop/engine"
	"infertop/engine/steptest"
	"infertop/model"
	"infertop/onnx"
)

// profiledModels are the presets, the committed ONNX fixtures the engine
// accepts, and the odd graphs.
func profiledModels(t *testing.T) []*model.Model {
	var models []*model.Model
	for _, name := range presetNames {
		models = append(models, presetModel(t, name))
	}
	files, err := filepath.Glob("../../testdata/models/*.onnx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ONNX fixtures: %v", err)
	}
	accepted := 0
	for _, f := range files {
		m, err := onnx.Load(f, onnx.LoadOptions{Dims: map[string]int{"seq": 16}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := OpenCheck(m); err != nil {
			continue // TestOpenCheckRefusesFixtures checks why
		}
		models = append(models, m)
		accepted++
	}
	if accepted == 0 {
		t.Fatal("the engine accepts none of the ONNX fixtures (mlp_gemm.onnx at least)")
	}
	return append(models, oddModels(t)...)
}

// The profile of every plan adds up: its steps tile the plan's steps in
// order, one per node that runs something, each named after the node its
// plan steps compute; what they cover is every node as loaded of those
// nodes exactly once; their FLOPs are the graph's; and each says how it
// runs, a convolution by the way its plan took.
func TestProfileAddsUp(t *testing.T) {
	for _, m := range profiledModels(t) {
		const batch = 2
		g := bind(t, m, batch)
		for _, way := range convWays(g) {
			plan, err := BuildWith(g, batch, Options{Default: way})
			if err != nil {
				t.Fatalf("%s %s: %v", m.Name, way, err)
			}
			t.Run(fmt.Sprintf("%s/%s", filepath.Base(m.Name), way), func(t *testing.T) { checkProfile(t, g, plan) })
		}
	}
}

func checkProfile(t *testing.T, g *model.Graph, plan *Plan) {
	p := Describe(g, plan, nil)
	if len(p.Steps) == 0 || len(p.Marks) != len(p.Steps)+1 {
		t.Fatalf("%d steps, %d marks", len(p.Steps), len(p.Marks))
	}
	if p.Marks[0] != 0 || p.Marks[len(p.Steps)] != len(plan.Steps) {
		t.Errorf("marks %v do not span the plan's %d steps", p.Marks, len(plan.Steps))
	}
	for i, s := range p.Steps {
		lo, hi := p.Marks[i], p.Marks[i+1]
		if hi <= lo {
			t.Fatalf("step %s covers plan steps [%d, %d)", s.Name, lo, hi)
		}
		for j := lo; j < hi; j++ {
			if plan.Steps[j].Layer != s.Name {
				t.Errorf("plan step %d computes %s, inside profiled step %s", j, plan.Steps[j].Layer, s.Name)
			}
		}
		if s.Op == "" || s.Way == "" || s.Bytes <= 0 || s.Threads != 0 {
			t.Errorf("step %d is not described: %+v", i, s)
		}
		if s.Op == model.OpFusedConv {
			checkConvWay(t, s.Way, plan.Conv[s.Name])
		}
		if s.Op == model.OpLinear && !strings.HasPrefix(s.Way, "cuBLAS sgemm") {
			t.Errorf("linear step %s runs %q, not a cuBLAS sgemm first", s.Name, s.Way)
		}
	}
	covered := steptest.CheckCovers(t, g, p.Steps)
	for _, ns := range plan.Nodes {
		k := slices.IndexFunc(p.Steps, func(s engine.Step) bool { return s.Name == ns.Name })
		if ns.Hi == ns.Lo {
			if op, _ := opPlanOf(ns.Op); !op.alias || k >= 0 {
				t.Errorf("node %s (%s) runs nothing, and is a step: %v", ns.Name, ns.Op, k >= 0)
			}
			continue
		}
		if k < 0 || !slices.Equal(p.Steps[k].Covers, ns.Covers) {
			t.Errorf("node %s (%s) has no step covering %v", ns.Name, ns.Op, ns.Covers)
		}
		for _, c := range ns.Covers {
			if covered[c] != ns.Name {
				t.Errorf("%s, which node %s computes, is covered by %q", c, ns.Name, covered[c])
			}
		}
	}
}

// checkConvWay checks a convolution's way against the way its plan took.
func checkConvWay(t *testing.T, got string, way ConvWay) {
	t.Helper()
	prefix := map[ConvWay]string{
		ConvIm2col:   "im2col kernel + cuBLAS strided-batched sgemm (2 products) + bias and activation kernel",
		ConvImplicit: "implicit-GEMM kernel (m",
		ConvCudnn:    "cuDNN conv + bias and activation kernel",
	}[way]
	if !strings.HasPrefix(got, prefix) {
		t.Errorf("a convolution the %s way runs %q, want %q…", way, got, prefix)
	}
}

// A step's figures by hand: mlp's first layer at batch 2 (x [2,784],
// W [1024,784], b [1024], y [2,1024], float32) and lenet5's first
// convolution with cuDNN's algorithm known.
func TestProfileByHand(t *testing.T) {
	g := bind(t, presetModel(t, "mlp"), 2)
	plan, err := Build(g, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := Describe(g, plan, nil).Steps[0]
	if want := int64(2 * 2 * 784 * 1024); s.Op != model.OpLinear || s.FLOPs != want {
		t.Errorf("first step %s with %d FLOPs, want %s with %d", s.Op, s.FLOPs, model.OpLinear, want)
	}
	if want := int64(4 * (2*784 + 1024*784 + 1024 + 2*1024)); s.Bytes != want {
		t.Errorf("bytes %d, want %d", s.Bytes, want)
	}
	if want := "cuBLAS sgemm + bias and activation kernel"; s.Way != want {
		t.Errorf("way %q, want %q", s.Way, want)
	}

	g = bind(t, presetModel(t, "lenet5"), 2)
	plan, err = BuildWith(g, 2, Options{Default: ConvCudnn})
	if err != nil {
		t.Fatal(err)
	}
	algos := make([]int, len(plan.Steps))
	for i, st := range plan.Steps {
		algos[i] = -1
		if st.Conv != nil {
			algos[i] = 6
		}
	}
	s = Describe(g, plan, algos).Steps[0]
	if want := "cuDNN conv (WINOGRAD) + bias and activation kernel"; s.Op != model.OpFusedConv || s.Way != want {
		t.Errorf("lenet5's first step: %s runs %q, want %s running %q", s.Op, s.Way, model.OpFusedConv, want)
	}
}

func TestDnnAlgoName(t *testing.T) {
	for algo, want := range map[int]string{0: "IMPLICIT_GEMM", 1: "IMPLICIT_PRECOMP_GEMM", 7: "WINOGRAD_NONFUSED", 8: "algorithm 8", -1: "algorithm -1"} {
		if got := DnnAlgoName(algo); got != want {
			t.Errorf("DnnAlgoName(%d) = %q, want %q", algo, got, want)
		}
	}
}

func TestWayOfCounts(t *testing.T) {
	k := func(name string) Step { return Step{Launch: &Launch{Kernel: name}} }
	steps := []Step{{Gemm: &Gemm{Batch: 4}}, k(KSoftmax), {Gemm: &Gemm{Batch: 4}}, {Gemm: &Gemm{Batch: 1}}, k("infertop_new")}
	want := "cuBLAS strided-batched sgemm (4 products) ×2 + softmax kernel + cuBLAS sgemm + new kernel"
	if got := wayOf(steps, 0, nil); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// issueLog records what issueMarked does, failing at one call when asked.
type issueLog struct {
	log    []string
	failAt int
}

func (l *issueLog) add(s string) error {
	l.log = append(l.log, s)
	if len(l.log) == l.failAt {
		return errors.New("failed at " + s)
	}
	return nil
}

func (l *issueLog) recordMark(i int) error { return l.add(fmt.Sprintf("e%d", i)) }
func (l *issueLog) issueStep(i int) error  { return l.add(fmt.Sprintf("s%d", i)) }

// Events go before each profiled step's first plan step and after the last
// one, and nowhere without marks; a failure stops the issue.
func TestIssueMarked(t *testing.T) {
	for _, c := range []struct {
		n      int
		marks  []int
		failAt int
		want   string
		err    string
	}{
		{3, nil, 0, "s0 s1 s2", ""},
		{3, []int{0, 1, 2, 3}, 0, "e0 s0 e1 s1 e2 s2 e3", ""},
		{5, []int{0, 3, 4, 5}, 0, "e0 s0 s1 s2 e1 s3 e2 s4 e3", ""},
		{5, []int{0, 3, 4, 5}, 3, "e0 s0 s1", "failed at s1"},
		{5, []int{0, 3, 4, 5}, 9, "e0 s0 s1 s2 e1 s3 e2 s4 e3", "failed at e3"},
	} {
		l := &issueLog{failAt: c.failAt}
		err := issueMarked(l, c.n, c.marks)
		if got := strings.Join(l.log, " "); got != c.want || fmt.Sprint(err) != cmpErr(c.err) {
			t.Errorf("%d steps, marks %v: %q, %v; want %q, %s", c.n, c.marks, got, err, c.want, cmpErr(c.err))
		}
	}
}

func cmpErr(s string) string {
	if s == "" {
		return "<nil>"
	}
	return s
}

// fakeEvents are events recorded at known times, in milliseconds.
type fakeEvents struct {
	at  []float64
	bad int // the event whose time cannot be read, −1 for none
}

func (f fakeEvents) elapsedMS(from, to int) (float64, error) {
	if from == f.bad || to == f.bad {
		return 0, fmt.Errorf("event %d not recorded", f.bad)
	}
	return f.at[to] - f.at[from], nil
}

// Step times are the times between consecutive events: they add up to the
// time from the first event to the last, a step between two events at
// one time takes 0, and an event that cannot be read fails the read.
func TestReadStepTimes(t *testing.T) {
	ev := fakeEvents{at: []float64{10, 10.5, 12.25, 12.25, 13.0015}, bad: -1}
	times := make([]time.Duration, 4)
	if err := readStepTimes(ev, times); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{500 * time.Microsecond, 1750 * time.Microsecond, 0, 751500 * time.Nanosecond}
	for i := range want {
		if d := times[i] - want[i]; d < -time.Nanosecond || d > time.Nanosecond {
			t.Errorf("step %d took %v, want %v", i, times[i], want[i])
		}
	}
	var sum time.Duration
	for _, d := range times {
		sum += d
	}
	if d := sum - 3001500*time.Nanosecond; d < -4*time.Nanosecond || d > 4*time.Nanosecond {
		t.Errorf("the steps add up to %v, the events span 3.0015ms", sum)
	}
	ev.bad = 2
	if err := readStepTimes(ev, times); err == nil || err.Error() != "event 2 not recorded" {
		t.Errorf("unreadable event: %v", err)
	}
}
