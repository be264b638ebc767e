package session

import (
	"fmt"

	"infertop/engine"
	"infertop/presets"
)

// Calibration is what a calibration measured.
type Calibration struct {
	// Info is what the engine says after measuring; Info.PeakGFLOPS is the
	// figure it now caches.
	Info engine.Info
	// CloseErr is set when the engine failed to close afterwards (the figure stands).
	CloseErr error
}

// Calibrate measures device d's sgemm peak again through its engine
// (engine.Options.Recalibrate) with threads CPU threads (0: all cores), in
// precision p (a GPU's rate in tf32, fp16 or bf16 is another figure than
// float32's); the engine caches the figure.
func (m Machine) Calibrate(d engine.Device, threads int, p engine.Precision) (Calibration, error) {
	lin, err := presets.BuildModel("linear", presets.DefaultSeed) // the smallest preset: opening it costs nothing
	if err != nil {
		return Calibration{}, err
	}
	ex, err := m.Registry.Open(d.String(), lin, engine.Options{Seed: presets.DefaultSeed, Threads: threads, Recalibrate: true, Precision: p})
	if err != nil {
		return Calibration{}, err
	}
	c := Calibration{Info: ex.Info()}
	if err := ex.Close(); err != nil {
		c.CloseErr = fmt.Errorf("closing %s: %w", d, err)
	}
	if c.Info.PeakGFLOPS <= 0 {
		return c, fmt.Errorf("%s: the calibration gave no figure (%s)", d, c.Info.Detail)
	}
	return c, nil
}
