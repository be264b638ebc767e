package runner

import (
	"fmt"
	"time"
)

// EnergyMeter reads the cumulative energy counter of what a device runs on:
// its GPUs (NVML), or for the CPU its packages (RAPL). The runner reads it
// where a measurement window starts and where it closes, so that an energy
// figure covers exactly that window's batches. It is read from the loop
// goroutine, once per window: an implementation should read only the
// counters (NVML's total energy consumption, RAPL's energy_uj), nothing
// else.
type EnergyMeter interface {
	// ReadEnergy returns the sum of the energy counters, in millijoules
	// from an arbitrary origin, of what device (a canonical name such as
	// "cuda:0" or "cpu") runs on. ok is false when the device has no such
	// counter; err says why a read failed.
	ReadEnergy(device string) (millijoules uint64, ok bool, err error)
}

// EnergyNoter is implemented by an EnergyMeter that can say why a device
// has no energy counter, for the displays to say where the figure would be.
type EnergyNoter interface {
	// EnergyNote says in a few words why device's energy is not measured
	// ("no RAPL counters here (a virtual machine?)"); "" when it has a
	// counter, or the meter cannot tell.
	EnergyNote(device string) string
}

// EnergyMeterFunc adapts a function to EnergyMeter.
type EnergyMeterFunc func(device string) (millijoules uint64, ok bool, err error)

// ReadEnergy calls f.
func (f EnergyMeterFunc) ReadEnergy(device string) (uint64, bool, error) { return f(device) }

// Energy is the energy the device (its GPUs, or the CPU packages) used over
// measured batches, from its cumulative counter read by the runner at
// window boundaries.
type Energy struct {
	// Valid is false when the figure is unknown: a device without an
	// energy counter (no Config.Energy), no completed window yet,
	// a failed read, or a counter that did not advance, went backwards or
	// wrapped over the window. The other fields are zero then.
	Valid bool `json:"valid"`
	// Joules is the energy used over Samples measured samples.
	Joules  float64 `json:"joules"`
	Samples int64   `json:"samples"`
	// JoulesPerSample is Joules / Samples.
	JoulesPerSample float64 `json:"joules_per_sample"`
}

// EnergyOver is the figure of a window of samples from the counter read
// where it opened (startMJ, startOK) and where it closed: unknown unless both
// reads succeeded and the counter advanced (a counter that stood still, went
// back or wrapped says nothing about the window).
func EnergyOver(startMJ uint64, startOK bool, endMJ uint64, endOK bool, samples int64) Energy {
	if !startOK || !endOK || endMJ <= startMJ {
		return Energy{}
	}
	return newEnergy(float64(endMJ-startMJ)/1000, samples)
}

// Plus adds the figures that are known: e and o together, or whichever of
// them is valid.
func (e Energy) Plus(o Energy) Energy {
	switch {
	case !o.Valid:
		return e
	case !e.Valid:
		return o
	}
	return newEnergy(e.Joules+o.Joules, e.Samples+o.Samples)
}

// ReadMeter reads m for device; a nil meter answers ok false, and a panic in
// the meter is returned as an error.
func ReadMeter(m EnergyMeter, device string) (mj uint64, ok bool, err error) {
	if m == nil {
		return 0, false, nil
	}
	defer func() {
		if p := recover(); p != nil {
			mj, ok, err = 0, false, fmt.Errorf("energy meter panicked: %v", p)
		}
	}()
	return m.ReadEnergy(device)
}

// PerSampleText is the energy per sample in joules with 3 significant
// digits, as tables and views print it, or "-" while unknown.
func (e Energy) PerSampleText() string {
	if !e.Valid {
		return "-"
	}
	return fmt.Sprintf("%.3g", e.JoulesPerSample)
}

// newEnergy is the figure for joules over samples (unknown without samples).
func newEnergy(joules float64, samples int64) Energy {
	if samples <= 0 || !(joules >= 0) {
		return Energy{}
	}
	return Energy{Valid: true, Joules: joules, Samples: samples, JoulesPerSample: joules / float64(samples)}
}

// energyState is what the loop keeps to turn counter readings into figures.
type energyState struct {
	// baseMJ is the counter where the open window started; baseOK says it is known.
	baseMJ uint64
	baseOK bool
	// total adds up the windows of this RunID whose energy is known.
	total Energy
	// warned is set once a failed read has been reported in this RunID.
	warned bool
	// why says why the last window's figure is unknown ("" when it is known).
	why string
}

// resetEnergy forgets the counter and the totals (a new RunID).
func (l *loop) resetEnergy() {
	l.energy = energyState{}
}

// readEnergy reads the meter for the current device. A failure is reported
// once per RunID as a warning event; a panic in the meter counts as a failure.
func (l *loop) readEnergy(now time.Time) (mj uint64, ok bool) {
	mj, ok, err := ReadMeter(l.cfg.Energy, l.device)
	if err != nil {
		if !l.energy.warned {
			l.energy.warned = true
			l.events.add(now, EventWarning, "reading the energy counter of %s: %v; energy per sample unknown", l.device, err)
		}
		l.energy.why = "reading the energy counter failed: " + err.Error()
		return 0, false
	}
	return mj, ok
}

// energyNote says why the device's energy per sample is unknown: the
// meter's word for a device without a counter, a failed read, a counter
// that did not advance; "" while it may yet be known.
func (l *loop) energyNote() string {
	if n, ok := l.cfg.Energy.(EnergyNoter); ok {
		if why := n.EnergyNote(l.device); why != "" {
			return why
		}
	}
	if l.cfg.Energy == nil {
		return "no energy counter"
	}
	return l.energy.why
}

// startEnergy reads the counter where a measured window opens.
func (l *loop) startEnergy(now time.Time) {
	l.energy.baseMJ, l.energy.baseOK = l.readEnergy(now)
}

// stopEnergy forgets the counter: the open window is dropped.
func (l *loop) stopEnergy() {
	l.energy.baseOK = false
}

// closeEnergy reads the counter where a window of samples closes and returns
// the window's figure, share of what the counter advanced by (less than 1
// when the window's wall time held profiling batches); the reading opens
// the next window. A counter that did not advance, went backwards or
// wrapped gives an unknown figure, never a negative one.
func (l *loop) closeEnergy(now time.Time, samples int64, share float64) Energy {
	mj, ok := l.readEnergy(now)
	e := EnergyOver(l.energy.baseMJ, l.energy.baseOK, mj, ok, samples)
	if e.Valid && share < 1 {
		e = newEnergy(e.Joules*share, e.Samples)
	}
	switch {
	case e.Valid:
		l.energy.why = ""
	case !ok && l.energy.why == "":
		l.energy.why = "the device reports no energy counter"
	case ok && l.energy.baseOK:
		l.energy.why = "the energy counter did not advance over the window"
	}
	l.energy.baseMJ, l.energy.baseOK = mj, ok
	l.energy.total = l.energy.total.Plus(e)
	return e
}

// overallEnergy is the figure over every window of this RunID whose energy is known.
func (l *loop) overallEnergy() Energy { return l.energy.total }
