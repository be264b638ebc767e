package cuda

import (
	"testing"
)

func TestConvWayNames(t *testing.T) {
	for _, w := range []ConvWay{ConvIm2col, ConvImplicit, ConvCudnn, ConvDirect} {
		got, err := ParseConvWay(w.String())
		if err != nil || got != w {
			t.Errorf("ParseConvWay(%q) = %v, %v", w.String(), got, err)
		}
	}
	if _, err := ParseConvWay("winograd"); err == nil || err.Error() != `unknown convolution way "winograd" (valid: im2col, implicit, cudnn, direct)` {
		t.Errorf("ParseConvWay(winograd): %v", err)
	}
	for in, want := range map[string]convChoice{"": {auto: true}, "auto": {auto: true}, "implicit": {way: ConvImplicit}, "im2col": {way: ConvIm2col}, "cudnn": {way: ConvCudnn}, "direct": {way: ConvDirect}} {
		if got, err := parseConvChoice(in); err != nil || got != want {
			t.Errorf("parseConvChoice(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := parseConvChoice("fast"); err == nil || err.Error() != `INFERTOP_CUDA_CONV="fast": want auto, im2col, implicit, cudnn or direct` {
		t.Errorf("parseConvChoice(fast): %v", err)
	}
}

// TestConvWaysPlans: the implicit way is one launch per convolution and needs
// no workspace; a convolution beyond the kernel's row table falls back to
// im2col; plans built for timing share one buffer list.
func TestConvWaysPlans(t *testing.T) {
	resnet := bind(t, presetModel(t, "resnet"), 4)
	im, err := Build(resnet, 4)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := BuildWith(resnet, 4, Options{Default: ConvImplicit})
	if err != nil {
		t.Fatal(err)
	}
	if got := im.ConvSummary(); got != "conv 10 im2col" {
		t.Errorf("im2col plan: %q", got)
	}
	if got := imp.ConvSummary(); got != "conv 10 implicit" {
		t.Errorf("implicit plan: %q", got)
	}
	ws := 4 * workspaceFloats(resnet) // bytes for 4 samples: the stem's 3·3·3 × 32·32 columns are the most
	if ws != 4*4*32*9*32*32 {
		t.Errorf("resnet batch 4: workspace %d bytes", ws)
	}
	if d := im.BatchBytes() - imp.BatchBytes(); d != ws {
		t.Errorf("the implicit plan saves %d bytes, want the workspace's %d", d, ws)
	}
	for _, b := range imp.Buffers {
		if b.Role == RoleWorkspace {
			t.Errorf("the implicit plan allocates a workspace %+v", b)
		}
	}
	lo, hi, ok := imp.LayerSteps("stage1.block1.conv1")
	if !ok || hi-lo != 1 || imp.Steps[lo].Launch.Kernel != KConvM32 {
		t.Errorf("stage1.block1.conv1, implicit: steps [%d, %d) ok %v, want one %s", lo, hi, ok, KConvM32)
	}
	lo, hi, ok = im.LayerSteps("down")
	if !ok || hi-lo != 3 || im.Steps[lo].Launch.Kernel != KIm2col {
		t.Errorf("down, im2col: steps [%d, %d) ok %v, want im2col, sgemm, bias", lo, hi, ok)
	}
	if lo, hi, ok := imp.LayerSteps("down"); !ok || imp.Steps[lo].Launch.Kernel != KConvM64 || hi-lo != 1 {
		t.Errorf("down (64 channels), implicit: want one %s", KConvM64)
	}
	if _, _, ok := imp.LayerSteps("nope"); ok {
		t.Error("LayerSteps found steps of a layer the plan lacks")
	}
	mixed, err := BuildWith(resnet, 4, Options{Default: ConvImplicit, Conv: map[string]ConvWay{"down": ConvIm2col}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mixed.ConvSummary(); got != "conv 9 implicit, 1 im2col" {
		t.Errorf("mixed plan: %q", got)
	}
	a, _ := BuildWith(resnet, 4, Options{fullWorkspace: true})
	b, _ := BuildWith(resnet, 4, Options{Default: ConvImplicit, fullWorkspace: true})
	if !a.SameBuffers(b) || a.SameBuffers(imp) {
		t.Error("timing plans must share their buffers, and differ from the lean implicit plan")
	}

	wide := bind(t, threeConvs(t), 2)
	plan, err := BuildWith(wide, 2, Options{Default: ConvImplicit})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Conv["wide"] != ConvIm2col || plan.Conv["m32"] != ConvImplicit || plan.Conv["m64"] != ConvImplicit {
		t.Errorf("C·k·k 2700 > %d must fall back to im2col, the others stay implicit: %v", ConvMaxK, plan.Conv)
	}
	got, in := emulate(t, plan, wide)
	checkOutputs(t, "three, mixed ways", plan, got, evalOutputs(t, wide, in), 1e-4)
}

// TestCudnnPlans: the cuDNN way is one cuDNN call per convolution with the
// layer's shape, then the bias/activation kernel; it needs no workspace of
// the plan's; a batch whose tensors outgrow cuDNN's 32-bit descriptors falls
// back to im2col.
func TestCudnnPlans(t *testing.T) {
	m := presetModel(t, "resnet")
	resnet := bind(t, m, 4)
	dnn, err := BuildWith(resnet, 4, Options{Default: ConvCudnn})
	if err != nil {
		t.Fatal(err)
	}
	if got := dnn.ConvSummary(); got != "conv 10 cudnn" {
		t.Errorf("cudnn plan: %q", got)
	}
	for _, b := range dnn.Buffers {
		if b.Role == RoleWorkspace {
			t.Errorf("the cudnn plan allocates a workspace %+v", b)
		}
	}
	lo, hi, ok := dnn.LayerSteps("down")
	if !ok || hi-lo != 2 || dnn.Steps[lo].Conv == nil || dnn.Steps[lo+1].Launch.Kernel != KBiasActPlanes {
		t.Fatalf("down, cudnn: steps [%d, %d) ok %v, want a cuDNN convolution and %s", lo, hi, ok, KBiasActPlanes)
	}
	c := dnn.Steps[lo].Conv
	want := ConvCall{X: c.X, Filter: c.Filter, Y: c.Y, N: 4, C: 32, H: 32, W: 32, Out: 64, K: 3, Stride: 2, Pad: 1, OH: 16, OW: 16, Group: 1}
	if y, _, _ := dnn.layerOutput("down"); *c != want || c.Y != y {
		t.Errorf("down: %+v, want %+v writing %v", *c, want, y)
	}
	if got := dnn.Steps[lo].Kernel(); got != "cudnn conv 4×32×32×32 k3 s2 p1 → 64" {
		t.Errorf("Kernel() = %q", got)
	}
	mixed, err := BuildWith(resnet, 4, Options{Default: ConvCudnn, Conv: map[string]ConvWay{"down": ConvIm2col, "stem": ConvImplicit}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mixed.ConvSummary(); got != "conv 8 cudnn, 1 implicit, 1 im2col" {
		t.Errorf("mixed plan: %q", got)
	}
	// At 70,000 samples stage 1's tensors (32·32·32 values per sample) pass
	// 2^31 values; stage 2's (64·16·16) do not.
	big, err := BuildWith(bind(t, m, 70000), 70000, Options{Default: ConvCudnn})
	if err != nil {
		t.Fatal(err)
	}
	if got := big.ConvSummary(); got != "conv 4 cudnn, 6 im2col" || big.Conv["down"] != ConvIm2col || big.Conv["stage2.block1.conv1"] != ConvCudnn {
		t.Errorf("resnet at batch 70,000: %s (%v), want stage 2 on cuDNN and the rest on im2col", got, big.Conv)
	}
}
