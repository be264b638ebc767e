package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"infertop/engine"
	"infertop/runner"
)

// A GPU run's header names the precision that ran beside the device, and
// the accuracy of the prepared batch against the CPU's float32 once
// checked, saying when it is beyond the precision's tolerance; a CPU run's
// header names neither (it computes in float32 only).
func TestHeaderPrecisionAndAccuracy(t *testing.T) {
	st := newStyles(true, true)
	h := header{w: 160}
	view := func(s runner.Snapshot) string { return ansi.Strip(h.View(st, s)) }
	g := gpuSnapshot()
	g.Info.Precision = engine.BF16
	g.Accuracy = runner.Accuracy{Base: "cpu fp32", RelErr: 0.071, Tolerance: 0.05}
	out := view(g)
	for _, want := range []string{"device cuda:0 bf16  batch 4,096", "measured 10.0s  rel err 7.1e-2 vs cpu fp32 (over 5e-2)  run 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("bf16 beyond its tolerance: header lacks %q:\n%s", want, out)
		}
	}
	g.Accuracy = runner.Accuracy{}
	if out := view(g); !strings.Contains(out, "device cuda:0 bf16") || strings.Contains(out, "rel err") {
		t.Errorf("before the check:\n%s", out)
	}
	c := cpuSnapshot()
	if out := view(c); strings.Contains(out, "fp32") || strings.Contains(out, "rel err") {
		t.Errorf("a CPU run's header names its precision:\n%s", out)
	}
}
