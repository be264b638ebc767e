package runner

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"infertop/engine"
	"infertop/presets"
)

// scriptedMeter answers its readings in order (the last one again when they
// run out) and records the devices it was asked about.
type scriptedMeter struct {
	mu       sync.Mutex
	readings []uint64
	err      error
	ok       bool
	devices  []string
}

func (m *scriptedMeter) ReadEnergy(device string) (uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := min(len(m.devices), len(m.readings)-1)
	m.devices = append(m.devices, device)
	if m.err != nil {
		return 0, false, m.err
	}
	return m.readings[i], m.ok, nil
}

func (m *scriptedMeter) reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.devices)
}

// counter builds the readings of a counter that starts at start and then
// rises by each step's joules (a step may be negative: the counter went back).
func counter(start uint64, stepsJ ...int64) []uint64 {
	out := []uint64{start}
	for _, j := range stepsJ {
		out = append(out, uint64(int64(out[len(out)-1])+1000*j))
	}
	return out
}

// energyRun measures 5 windows of 1000 batches of 32 samples (1 ms each on
// the fake clock) with meter as the energy counter.
func energyRun(t *testing.T, meter EnergyMeter) Snapshot {
	t.Helper()
	s := runFake(t, Config{Batch: 32, MaxMeasure: 5 * time.Second, Energy: meter}, constLat(time.Millisecond), engine.Timing{})
	if len(s.Windows) != 5 {
		t.Fatalf("%d windows, want 5", len(s.Windows))
	}
	for _, w := range s.Windows {
		if w.Samples != 32000 {
			t.Fatalf("window %d has %d samples, want 32000", w.Index, w.Samples)
		}
	}
	return s
}

func TestEnergyPerSampleIsPerWindow(t *testing.T) {
	m := &scriptedMeter{ok: true, readings: counter(7_000_000, 100, 200, 300, 400, 500)}
	s := energyRun(t, m)
	for i, w := range s.Windows {
		j := float64(100 * (i + 1))
		want := Energy{Valid: true, Joules: j, Samples: 32000, JoulesPerSample: j / 32000}
		if w.Energy != want {
			t.Errorf("window %d: %+v, want %+v", i, w.Energy, want)
		}
	}
	if want := s.Windows[4].Energy; s.WindowEnergy != want || s.WindowEnergy.JoulesPerSample != 500.0/32000 {
		t.Errorf("snapshot's window energy %+v, want %+v", s.WindowEnergy, want)
	}
	if want := (Energy{Valid: true, Joules: 1500, Samples: 160000, JoulesPerSample: 1500.0 / 160000}); s.OverallEnergy != want {
		t.Errorf("overall energy %+v, want %+v", s.OverallEnergy, want)
	}
	if s.OverallEnergy.Samples != s.Overall.Samples {
		t.Errorf("overall energy covers %d samples, the run measured %d", s.OverallEnergy.Samples, s.Overall.Samples)
	}
	// One reading where measuring starts and one per window: none while warming up.
	if n := m.reads(); n != 6 {
		t.Errorf("%d counter readings, want 6 (one per window boundary)", n)
	}
	if i := slices.IndexFunc(m.devices, func(d string) bool { return d != "cpu" }); i >= 0 {
		t.Errorf("reading %d asked about device %q, want the run's device cpu", i, m.devices[i])
	}
}

func TestEnergyCounterBackwardsOrStalledIsUnknown(t *testing.T) {
	// Window 1: the counter goes back 5 kJ (a driver reload, a wrap); window
	// 3: it does not move. Both are unknown; the others are counted from the
	// reading that closed the window before.
	m := &scriptedMeter{ok: true, readings: counter(7_000_000, 100, -5000, 300, 0, 500)}
	s := energyRun(t, m)
	for i, w := range s.Windows {
		switch i {
		case 1, 3:
			if w.Energy != (Energy{}) {
				t.Errorf("window %d: %+v, want unknown", i, w.Energy)
			}
		default:
			if j := float64(100 * (i + 1)); !w.Energy.Valid || w.Energy.Joules != j || w.Energy.JoulesPerSample != j/32000 {
				t.Errorf("window %d: %+v, want %v J", i, w.Energy, j)
			}
		}
	}
	want := Energy{Valid: true, Joules: 900, Samples: 96000, JoulesPerSample: 900.0 / 96000}
	if s.OverallEnergy != want {
		t.Errorf("overall energy %+v, want %+v (the known windows only)", s.OverallEnergy, want)
	}
	if s.WindowEnergy.JoulesPerSample != 500.0/32000 {
		t.Errorf("snapshot's window energy %+v", s.WindowEnergy)
	}
}

func TestEnergyUnknownWithoutCounter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		meter EnergyMeter
		warns int
	}{
		{"no meter", nil, 0},
		{"no counter on the device", &scriptedMeter{readings: counter(1000, 100)}, 0},
		{"failed read", &scriptedMeter{ok: true, readings: counter(1000, 100), err: errors.New("NVML: GPU is lost")}, 1},
		{"panicking meter", EnergyMeterFunc(func(string) (uint64, bool, error) { panic("boom") }), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := energyRun(t, tc.meter)
			for _, w := range s.Windows {
				if w.Energy != (Energy{}) {
					t.Errorf("window %d: %+v, want unknown", w.Index, w.Energy)
				}
			}
			if s.WindowEnergy != (Energy{}) || s.OverallEnergy != (Energy{}) {
				t.Errorf("window %+v overall %+v, want unknown", s.WindowEnergy, s.OverallEnergy)
			}
			warns := 0
			for _, e := range s.Events {
				if e.Kind == EventWarning && strings.Contains(e.Text, "energy counter") {
					warns++
				}
			}
			if warns != tc.warns {
				t.Errorf("%d energy warnings, want %d: %+v", warns, tc.warns, s.Events)
			}
		})
	}
}

func TestEnergyStartsAgainAfterResetAndPause(t *testing.T) {
	clk := &fakeClock{}
	// The counter follows the fake clock: 250 W.
	meter := EnergyMeterFunc(func(string) (uint64, bool, error) { return 1_000_000 + uint64(clk.ns.Load()/4000), true, nil })
	env := &fakeEnv{mk: func(int) *fakeExec { return &fakeExec{clock: clk, lat: constLat(time.Millisecond)} }}
	r, err := New(Config{Registry: env.registry(), Catalog: presets.NewModels(presets.DefaultSeed), Model: "mlp", Device: "cpu", Batch: 8,
		Clock: clk, PublishInterval: time.Hour, Energy: meter})
	if err != nil {
		t.Fatal(err)
	}
	l := r.loop
	if err := l.switchTo("mlp", "cpu", 8, EventStarted); err != nil {
		t.Fatal(err)
	}
	defer l.closeExec()
	steps := func(n int) {
		for range n {
			l.step()
		}
	}
	l.newRun(clk.Now(), Measuring)
	steps(2500) // windows at 1 s and 2 s, half of the third
	want := Energy{Valid: true, Joules: 250, Samples: 8000, JoulesPerSample: 250.0 / 8000}
	if s := l.snapshot(clk.Now()); s.WindowEnergy != want || s.OverallEnergy.Samples != 16000 {
		t.Fatalf("window %+v overall %+v", s.WindowEnergy, s.OverallEnergy)
	}
	// A pause drops the open window; time passes (the GPU may do other
	// work) and is not charged to the window after the warm-up.
	if err := l.handle(command{kind: cmdPause}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if err := l.handle(command{kind: cmdResume}); err != nil {
		t.Fatal(err)
	}
	for l.state == Warming {
		l.step()
	}
	steps(1000)
	s := l.snapshot(clk.Now())
	if s.Stability.WindowCount != 3 || s.WindowEnergy != want {
		t.Fatalf("after the pause: %d windows, window energy %+v, want %+v", s.Stability.WindowCount, s.WindowEnergy, want)
	}
	// A reset forgets the totals.
	if err := l.handle(command{kind: cmdReset}); err != nil {
		t.Fatal(err)
	}
	if s := l.snapshot(clk.Now()); s.WindowEnergy.Valid || s.OverallEnergy.Valid {
		t.Fatalf("after a reset: window %+v overall %+v", s.WindowEnergy, s.OverallEnergy)
	}
	steps(1000)
	if s := l.snapshot(clk.Now()); s.WindowEnergy != want || s.OverallEnergy != want {
		t.Fatalf("first window after the reset: window %+v overall %+v", s.WindowEnergy, s.OverallEnergy)
	}
}

func TestEnergyOverAndPlus(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end uint64
		sok, eok   bool
		samples    int64
		want       Energy
	}{
		{"advanced", 1000, 4000, true, true, 6, Energy{Valid: true, Joules: 3, Samples: 6, JoulesPerSample: 0.5}},
		{"start unknown", 1000, 4000, false, true, 6, Energy{}},
		{"end unknown", 1000, 4000, true, false, 6, Energy{}},
		{"still", 4000, 4000, true, true, 6, Energy{}},
		{"went back", 4000, 1000, true, true, 6, Energy{}},
		{"no samples", 1000, 4000, true, true, 0, Energy{}},
	} {
		if got := EnergyOver(tc.start, tc.sok, tc.end, tc.eok, tc.samples); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	a, b := EnergyOver(1000, true, 4000, true, 6), EnergyOver(0, true, 9000, true, 12)
	if got, want := a.Plus(b), (Energy{Valid: true, Joules: 12, Samples: 18, JoulesPerSample: 12.0 / 18}); got != want {
		t.Errorf("Plus: %+v, want %+v", got, want)
	}
	if a.Plus(Energy{}) != a || (Energy{}).Plus(a) != a || (Energy{}).Plus(Energy{}).Valid {
		t.Error("Plus must keep the known figure and stay unknown with none")
	}
}
