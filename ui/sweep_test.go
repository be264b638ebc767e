package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"infertop/runner"
)

// TestSizeSweep resizes through every width and height (in steps) from 20×5
// to 250×80, in each mode, and checks nothing panics and the screen is
// exactly the window's size.
func TestSizeSweep(t *testing.T) {
	models := map[string]*Model{}
	models["cpu"], _ = newTestModel(cpuSnapshot(), 80, 24)
	models["cpu"].Update(hostMsg(hostReadingFixture()))
	models["gpu"], _ = newTestModel(gpuSnapshot(), 80, 24)
	withGPUs(models["gpu"])
	models["picker"], _ = newTestModel(cpuSnapshot(), 80, 24)
	press(models["picker"], text("p"))
	models["help"], _ = newTestModel(gpuSnapshot(), 80, 24)
	press(models["help"], text("?"))
	models["prompt"], _ = newTestModel(cpuSnapshot(), 80, 24)
	typeBatch(models["prompt"], "abc")
	models["open"], _, _ = openModel(t, 80, 24)
	toPrompt(t, models["open"])
	models["open"].Update(completedMsg{matches: []string{"a.onnx", "b.onnx", "c/", "d.onnx", "e.onnx", "f.onnx", "g.onnx", "h.onnx",
		"i.onnx", "j.onnx", "k.onnx", "l.onnx", "m.onnx", "n.onnx", "o.onnx", "p.onnx", "q.onnx", "r.onnx", "s.onnx", "t.onnx"}})
	models["serving"], _ = newServingModel(servingSnapshot(), steadyDepth, 80, 24)
	models["saturated"], _ = newServingModel(saturatedSnapshot(), growingDepth, 80, 24)
	models["saturated help"], _ = newServingModel(saturatedSnapshot(), growingDepth, 80, 24)
	press(models["saturated help"], text("?"))
	models["serving prompt"], _ = newServingModel(servingSnapshot(), steadyDepth, 80, 24)
	typeBatch(models["serving prompt"], "abc")
	start := servingSnapshot()
	start.Serving = &runner.Serving{Arrival: "poisson:1000", MaxBatch: 8, RequestSize: 1}
	start.Windows, start.Histogram, start.State = nil, nil, runner.Warming
	models["serving start"], _ = newTestModel(start, 80, 24)
	models["empty"], _ = newTestModel(cpuSnapshot(), 80, 24)
	models["empty"].snap = runnerSnapshot{}
	for name, m := range models {
		for w := 20; w <= 250; w += 13 {
			for h := 5; h <= 80; h += 7 {
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				v := m.render()
				checkSize(t, v, w, h)
				if t.Failed() {
					t.Fatalf("%s at %d×%d", name, w, h)
				}
			}
		}
		// Exact minimum and the sizes around it.
		for _, sz := range [][2]int{{79, 24}, {80, 23}, {80, 24}, {81, 25}, {250, 80}, {20, 5}} {
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkSize(t, m.render(), sz[0], sz[1])
		}
	}
}

func TestSmallTerminalNotice(t *testing.T) {
	m, _ := newTestModel(cpuSnapshot(), 79, 24)
	golden(t, "notice_79x24", m.render())
}
