package session

import (
	"errors"
	"strings"
	"testing"

	"infertop/engine"
	"infertop/internal/blas"
	"infertop/presets"
)

// The CPU engine does not open on the pure-Go BLAS when INFERTOP_BLAS names
// a library that does not load: the open fails with the loader's message,
// so a switch to the CPU in the dashboard says so too; gonum is chosen
// only by name.
func TestChosenBLASRefusesTheCPUEngine(t *testing.T) {
	m, err := presets.BuildModel("linear", presets.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // Info measures a peak: not into this machine's cache
	t.Setenv(blas.EnvPath, "/nonexistent/libopenblas.so.0")
	_, err = NewRegistry().Open("cpu", m, engine.Options{Threads: 1})
	var ce *blas.ChosenError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "INFERTOP_BLAS=/nonexistent/libopenblas.so.0 cannot be loaded") {
		t.Fatalf("open: %v", err)
	}
	var ue *UsageError
	if err := (Machine{}).CheckBLAS(); !errors.As(err, &ue) || !strings.Contains(err.Error(), "INFERTOP_BLAS=gonum") {
		t.Errorf("CheckBLAS: %v", err)
	}
	t.Setenv(blas.EnvPath, blas.Pure)
	ex, err := NewRegistry().Open("cpu", m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	if d := ex.Info().Detail; d != "gonum pure-Go BLAS (slow), chosen with INFERTOP_BLAS=gonum" {
		t.Errorf("detail %q", d)
	}
	if err := (Machine{}).CheckBLAS(); err != nil {
		t.Errorf("CheckBLAS with gonum chosen: %v", err)
	}
}
