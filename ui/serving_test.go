package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"infertop/presets"
	"infertop/record"
	"infertop/runner"
)

func TestGoldenServing(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		steady, _ := newServingModel(servingSnapshot(), steadyDepth, sz[0], sz[1])
		saturated, _ := newServingModel(saturatedSnapshot(), growingDepth, sz[0], sz[1])
		for name, m := range map[string]*Model{"serving": steady, "saturated": saturated} {
			name := fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				v := m.render()
				checkSize(t, v, sz[0], sz[1])
				golden(t, "screen_"+name, v)
			})
		}
	}
}

// The saturation line is the runner's, said whole on the header, and goes
// when the runner says the device keeps up again.
func TestSaturationLine(t *testing.T) {
	m, _ := newServingModel(saturatedSnapshot(), growingDepth, 160, 48)
	want := "saturated at about 1,850 req/s — queue grew to 3400 requests; answered 1850 of 2496 req/s offered"
	if v := ansi.Strip(m.render()); !strings.Contains(v, want) {
		t.Fatalf("no saturation line %q:\n%s", want, v)
	}
	s := saturatedSnapshot()
	s.Seq++
	sv := *s.Serving
	sv.Saturated, sv.SaturationWhy = false, ""
	s.Serving = &sv
	m.Update(snapshotMsg(s))
	v := m.render()
	checkSize(t, v, 160, 48)
	if strings.Contains(ansi.Strip(v), "saturated at") {
		t.Fatalf("the saturation line stayed:\n%s", ansi.Strip(v))
	}
}

// servingRun is a serving run's snapshots as the runner publishes them:
// keeping up, then saturated.
func servingRun() []runner.Snapshot {
	var out []runner.Snapshot
	for i, base := range []runner.Snapshot{servingSnapshot(), saturatedSnapshot()} {
		for j := range 10 {
			s := base
			s.Seq = uint64(i*10 + j + 1)
			s.Time = t0.Add(time.Duration(i*10+j) * 300 * time.Millisecond)
			sv := *base.Serving
			sv.QueueDepth = steadyDepth(j) + i*340*(j+1)
			s.Serving = &sv
			out = append(out, s)
		}
	}
	return out
}

// A recording of a serving run replays with the serving panels, exactly as
// they were shown live.
func TestReplayOfServingRun(t *testing.T) {
	const w, h = 120, 36
	run := servingRun()
	now := t0
	buf := &closeBuffer{}
	rec, err := record.New(buf, record.Header{Command: "dashboard", Devices: testDeviceRecords()}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	live := New(Options{Session: &fakeControl{}, Initial: run[0], Catalog: presets.NewModels(presets.DefaultSeed), Devices: testDevices(),
		Location: time.UTC, NoColor: true, Dark: true})
	live.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for _, s := range run {
		now = s.Time
		rec.Snapshot(s)
		live.Update(snapshotMsg(s))
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rp := newTestReplay(openRecording(t, buf.Bytes()), w, h)
	rp.seek(rp.end())
	got := rp.render()
	checkSize(t, got, w, h)
	for _, want := range []string{"Queue depth", "Latency per request", "Batches", "saturated at about 1,850 req/s", "max batch 32"} {
		if !strings.Contains(ansi.Strip(got), want) {
			t.Errorf("the replay lacks %q:\n%s", want, ansi.Strip(got))
		}
	}
	if body(got) != body(live.render()) {
		t.Errorf("replay differs from live:\n%s", diffLines(body(got), body(live.render())))
	}
	// Seeking back plays on from the start and shows the same screen again.
	rp.seek(0)
	rp.seek(rp.end())
	if body(rp.render()) != body(live.render()) {
		t.Errorf("after seeking back and forth, replay differs from live:\n%s", diffLines(body(rp.render()), body(live.render())))
	}
	for _, k := range []string{"o", ">", "<", ".", ",", "[", "]", "+", "-"} {
		rp.inner.setStatus("", false)
		if cmd := pressReplay(rp, text(k)); cmd != nil {
			t.Errorf("%s: a command was issued in a replay", k)
		}
		if !rp.inner.statusBad || !strings.Contains(rp.inner.status, "read-only") {
			t.Errorf("%s: status %q", k, rp.inner.status)
		}
	}
}

// The batcher panel merges neighbouring sizes (their counts summed) when
// they do not fit, and names the instances' devices only where they differ.
func TestBatcherPanel(t *testing.T) {
	st := newStyles(true, true)
	for _, tc := range []struct {
		name  string
		h     int
		edit  func(sv *runner.Serving)
		wants []string
		not   []string
	}{
		{"every size", 16, nil, []string{"busy  #0 83% (81%)  #1 80% (79%)", "  4 ", " 120", " 11 ", " 90", "runs at 16: 630 batches"}, []string{"cpu"}},
		{"merged", 7, nil, []string{"4–8 ", " 730", "11–16 ", " 630", "23–32 ", " 120"}, []string{"runs at"}},
		{"two GPUs", 16, func(sv *runner.Serving) {
			sv.Instances[0].Device, sv.Instances[1].Device = "cuda:0", "cuda:1"
		}, []string{"#0 cuda:0 83%", "#1 cuda:1 80%"}, nil},
	} {
		s := servingSnapshot()
		if tc.edit != nil {
			tc.edit(s.Serving)
		}
		p := batcherPanel{w: 60, h: tc.h}
		v := ansi.Strip(p.View(st, s))
		checkSize(t, p.View(st, s), 60, tc.h)
		for _, w := range tc.wants {
			if !strings.Contains(v, w) {
				t.Errorf("%s: no %q in\n%s", tc.name, w, v)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(v, w) {
				t.Errorf("%s: %q in\n%s", tc.name, w, v)
			}
		}
	}
}
