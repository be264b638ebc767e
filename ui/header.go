package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"infertop/engine"
	"infertop/internal/units"
	"infertop/runner"
)

// header is the top two lines: what runs, on what, and how the run stands.
type header struct {
	w int
	// busID maps cuda:N to its PCI bus id.
	busID map[string]string
	// serving is Options.Serving.
	serving string
}

func (h *header) SetSize(w int) { h.w = w }

func (h header) View(st styles, s runner.Snapshot) string {
	dev := s.Device
	if id := h.busID[dev]; id != "" {
		dev += " (" + id + ")"
	}
	build := s.Info.Engine
	// How this batch computes (it changes with the batch) before the
	// long, fixed detail, which the width may cut.
	for _, more := range []string{s.Info.Plan, s.Info.Detail} {
		if more != "" {
			build = strings.TrimSpace(build + " · " + more)
		}
	}
	if build == "" {
		build = "engine not open"
	}
	batch := "default"
	if s.Batch > 0 {
		batch = units.Thousands(int64(s.Batch))
	}
	batch = st.label.Render("batch ") + st.value.Render(batch) + "  "
	if s.Serving != nil {
		batch = "" // the policy line below gives the max batch
	}
	line1 := st.title.Render("infertop") + "  " +
		st.label.Render("model ") + st.value.Render(shortName(s.Model)) + "  " +
		st.label.Render("device ") + st.value.Render(dev+precisionText(s)) + "  " + batch +
		st.dim.Render(build)
	line2 := stateBadge(st, s) + "  " + st.label.Render("elapsed ") + st.value.Render(units.Elapsed(s.Elapsed))
	if s.Measured > 0 {
		line2 += "  " + st.label.Render("measured ") + st.value.Render(units.Elapsed(s.Measured))
	}
	if a := accuracyText(st, s); a != "" {
		line2 += "  " + a
	}
	line2 += "  " + st.dim.Render(fmt.Sprintf("run %d", s.RunID))
	if h.serving != "" {
		line2 += "  " + st.dim.Render(h.serving)
	}
	out := line1 + "\n" + line2
	if s.Serving != nil {
		for _, l := range servingLines(st, s.Serving, h.w) {
			out += "\n" + l
		}
	}
	return fit(out, h.w, h.height(st, s))
}

// height is the header's lines for s at the header's width: two, and in
// serving mode the serving lines below them.
func (h header) height(st styles, s runner.Snapshot) int {
	if s.Serving == nil {
		return 2
	}
	return 2 + len(servingLines(st, s.Serving, h.w))
}

// precisionText is " fp16" after a GPU's name: what the run multiplies and
// convolves in (the engine's word, Info.Precision). A CPU run computes in
// float32 only, and its header says nothing of it.
func precisionText(s runner.Snapshot) string {
	d, err := engine.ParseDevice(s.Device)
	if err != nil || d.Kind == engine.CPU || s.Info.Engine == "" {
		return ""
	}
	return " " + s.Info.Precision.String()
}

// accuracyText is how far one batch of the prepared batch size lay from
// the CPU's float32, once checked (Snapshot.Accuracy), e.g. "rel err
// 3.1e-4 vs cpu fp32", in warning colours beyond the precision's tolerance.
func accuracyText(st styles, s runner.Snapshot) string {
	switch a := s.Accuracy; {
	case !a.Checked():
		return ""
	case a.Within():
		return st.dim.Render(a.String())
	default:
		return st.warn.Render(a.String())
	}
}

// stateBadge says where the run is; for a measuring run it says which
// stability rule holds.
func stateBadge(st styles, s runner.Snapshot) string {
	rules := func() string {
		mark := func(name string, ok bool) string {
			if ok {
				return name + " ✓"
			}
			return name + " ✗"
		}
		if s.Serving != nil { // serving mode applies the window rule only
			return mark("windows", s.Stability.Windows)
		}
		return mark("windows", s.Stability.Windows) + " · " + mark("iqr", s.Stability.IQR)
	}
	switch s.State {
	case runner.Warming:
		return st.warn.Render("◌ warming up") + " " + st.dim.Render(fmt.Sprintf("(%d batches)", s.WarmupBatches))
	case runner.Measuring:
		return st.value.Render("● measuring") + " " + st.dim.Render("("+rules()+")")
	case runner.Stable:
		return st.good.Render("stable ✓") + " " + st.dim.Render("("+rules()+")")
	case runner.Paused:
		return st.warn.Render("‖ paused")
	case runner.Error:
		return st.bad.Render("✗ error: " + s.Err)
	}
	return st.dim.Render(s.State.String())
}

// shortName is how the header and the tuning views name a model: a file by
// its base name ("resnet.onnx"), a preset by its name; the picker and the
// help screen show the whole path.
func shortName(model string) string {
	if model == "" {
		return ""
	}
	return filepath.Base(model)
}
