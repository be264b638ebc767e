package cli

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"infertop/internal/fake"
	"infertop/report"
	"infertop/session"
	"infertop/sweep"
)

// A bench on the CPU reads the CPU packages' counters at every window: its
// rows carry an energy per sample, one joule per window here.
func TestBenchOnTheCPUMeasuresRAPLEnergy(t *testing.T) {
	deps := fakeDeps(nil)
	deps.OpenRAPL = fake.RAPL
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

	deps.OpenRAPL = fake.NoRAPL
	if _, out, _ := runBenchTest(context.Background(), deps, append(fast, "--preset", "mlp", "--batch", "8", "--format", "json")...); strings.Contains(out, `"valid": true`) ||
		!strings.Contains(out, `"energy_note": "no RAPL counters here (a virtual machine?)"`) {
		t.Errorf("without counters: a figure, or no word why:\n%s", out)
	}
	// The table says why where the figure would be.
	if _, out, _ := runBenchTest(context.Background(), deps, append(fast, "--preset", "mlp", "--batch", "8")...); !strings.Contains(out, "\n  energy per sample on cpu: not measured: no RAPL counters here (a virtual machine?)\n") {
		t.Errorf("table:\n%s", out)
	}
}

func TestDevicesNamesTheCPUEnergySource(t *testing.T) {
	_, out, _ := runDevicesWith(t, session.Machine{OpenNVML: noDriver, OpenRAPL: fake.RAPL})
	if !strings.Contains(out, "CPU energy: RAPL counters of package-0 (whole packages, every process on them)\n") {
		t.Errorf("output:\n%s", out)
	}
	_, out, _ = runDevicesWith(t, session.Machine{OpenNVML: noDriver, OpenRAPL: fake.NoRAPL}, "--format", "json")
	if !strings.Contains(out, `"cpu_energy": "none: no RAPL package energy counter`) {
		t.Errorf("json:\n%s", out)
	}
}

// A sweep and a cpu,cpu race on the CPU carry each point's and each side's
// energy per sample from the packages' counters.
func TestSweepAndCompareOnTheCPUMeasureRAPLEnergy(t *testing.T) {
	deps := sweepTestDeps(nil)
	deps.OpenRAPL = fake.RAPL
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
	cd.OpenRAPL = fake.RAPL
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
