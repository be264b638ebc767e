package cli

import (
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"infertop/hostinfo"
	"infertop/report"
	"infertop/sweep"
)

// joulePerRead is a powercap tree of one package whose counter advances by
// 1 J each time it is read, like a package drawing 1 J per window.
type joulePerRead struct {
	mu    sync.Mutex
	reads int
}

func (j *joulePerRead) Open(name string) (fs.File, error) {
	tree := fstest.MapFS{
		"intel-rapl:0/name":                {Data: []byte("package-0\n")},
		"intel-rapl:0/max_energy_range_uj": {Data: []byte("262143328850\n")},
	}
	if name == "intel-rapl:0/energy_uj" {
		j.mu.Lock()
		j.reads++
		uj := strconv.Itoa(1_000_000 * j.reads)
		j.mu.Unlock()
		tree[name] = &fstest.MapFile{Data: []byte(uj + "\n")}
	}
	return tree.Open(name)
}

func fakeRAPL() (*hostinfo.RAPL, error) { return hostinfo.OpenRAPLFS(&joulePerRead{}) }

func noRAPL() (*hostinfo.RAPL, error) { return nil, hostinfo.ErrNoRAPL }

// A bench on the CPU reads the CPU packages' counters at every window: its
// rows carry an energy per sample, one joule per window here.
func TestBenchOnTheCPUMeasuresRAPLEnergy(t *testing.T) {
	deps := fakeDeps(nil)
	deps.openRAPL = fakeRAPL
	code, out, errs := runBenchTest(context.Background(), deps, append(fast, "--preset", "mlp", "--batch", "8", "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res report.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	e := res.Rows[0].Energy
	if !e.Valid || e.Joules < 3 || e.Joules != math.Round(e.Joules) || e.Samples != res.Rows[0].Samples ||
		math.Abs(e.JoulesPerSample-e.Joules/float64(e.Samples)) > 1e-12 {
		t.Errorf("energy %+v over %d samples: want whole joules, one per window, at least three windows", e, res.Rows[0].Samples)
	}

	deps.openRAPL = noRAPL
	if _, out, _ := runBenchTest(context.Background(), deps, append(fast, "--preset", "mlp", "--batch", "8", "--format", "json")...); strings.Contains(out, `"valid": true`) {
		t.Errorf("an energy figure without counters:\n%s", out)
	}
}

// The meter answers the CPU from RAPL and passes GPUs on; without counters
// it is what it was.
func TestWithCPUEnergy(t *testing.T) {
	gpus := energyFunc(func(d string) (uint64, bool, error) { return 42, d == "cuda:0", nil })
	m := withCPUEnergy(gpus, fakeRAPL, []string{"cpu", "cuda:0"})
	if mj, ok, err := m.ReadEnergy("cpu"); !ok || err != nil || mj != 1000 {
		t.Errorf("cpu: %d mJ %v %v, want 1000 (1 J since the counter was opened)", mj, ok, err)
	}
	if mj, ok, _ := m.ReadEnergy("cuda:0"); !ok || mj != 42 {
		t.Errorf("cuda:0 not passed on: %d %v", mj, ok)
	}
	if _, isCPU := withCPUEnergy(gpus, fakeRAPL, []string{"cuda:0"}).(cpuEnergy); isCPU {
		t.Error("no CPU among the devices: the meter should stay the GPUs'")
	}
	if m := withCPUEnergy(nil, noRAPL, []string{"cpu"}); m != nil {
		t.Errorf("without counters: %v", m)
	}
	if _, ok, _ := withCPUEnergy(nil, fakeRAPL, []string{"cpu"}).ReadEnergy("cuda:1"); ok {
		t.Error("a GPU answered without a GPU meter")
	}
}

type energyFunc func(string) (uint64, bool, error)

func (f energyFunc) ReadEnergy(d string) (uint64, bool, error) { return f(d) }

func TestDevicesNamesTheCPUEnergySource(t *testing.T) {
	_, out, _ := runDevicesWith(t, devicesDeps{open: noDriver, rapl: fakeRAPL})
	if !strings.Contains(out, "CPU energy: RAPL counters of package-0 (whole packages, every process on them)\n") {
		t.Errorf("output:\n%s", out)
	}
	_, out, _ = runDevicesWith(t, devicesDeps{open: noDriver, rapl: noRAPL}, "--format", "json")
	if !strings.Contains(out, `"cpu_energy": "none: no RAPL package energy counter`) {
		t.Errorf("json:\n%s", out)
	}
}

// A sweep and a cpu,cpu race on the CPU carry each point's and each side's
// energy per sample from the packages' counters.
func TestSweepAndCompareOnTheCPUMeasureRAPLEnergy(t *testing.T) {
	deps := sweepTestDeps(nil)
	deps.openRAPL = fakeRAPL
	code, out, errs := runSweepArgs(t, context.Background(), deps, "--preset", "linear", "--batches", "1,8", "--format", "json")
	if code != ExitOK {
		t.Fatalf("sweep: exit %d: %s", code, errs)
	}
	var doc report.SweepDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Sweep.Points {
		if !p.Energy.Valid || p.Energy.Joules < 1 || p.Energy.Joules != math.Round(p.Energy.Joules) {
			t.Errorf("sweep batch %d: energy %+v, want whole joules, one per window", p.Batch, p.Energy)
		}
	}

	cd := compareTestDeps(nil)
	cd.openRAPL = fakeRAPL
	code, out, errs = runCompareArgs(t, context.Background(), cd, "--preset", "linear", "--devices", "cpu,cpu",
		"--threads", "1,0", "--batches", "8", "--pairs", "2", "--format", "json")
	if code != ExitOK {
		t.Fatalf("compare: exit %d: %s", code, errs)
	}
	var cdoc report.CompareDoc
	if err := json.Unmarshal([]byte(out), &cdoc); err != nil {
		t.Fatal(err)
	}
	for _, p := range cdoc.Compare.Points {
		for i, side := range []sweep.SideStats{p.A, p.B} {
			if !side.Energy.Valid || side.Energy.Joules < 2 {
				t.Errorf("compare batch %d side %d: energy %+v, want at least a joule per window of 2 pairs", p.Batch, i, side.Energy)
			}
		}
	}
}
