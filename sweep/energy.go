package sweep

import "infertop/runner"

// Energy is the GPUs' energy over measured samples: a sweep point's (the
// runner's OverallEnergy at the point's end) or one side's at one batch of a
// compare (its windows' counter readings added up). It is the whole board's
// energy, every process's, from NVML's total-energy counters.
type Energy struct {
	// Valid is false when the figure is unknown: a CPU run, no energy
	// counter, or no window whose counter advanced. The JSON then omits the
	// figure and the other fields are zero.
	Valid bool `json:"valid"`
	// Joules were used over Samples measured samples (those of the windows
	// whose energy is known).
	Joules  float64 `json:"joules"`
	Samples int64   `json:"samples"`
	// JoulesPerSample is Joules / Samples.
	JoulesPerSample float64 `json:"joules_per_sample"`
}

// energyOf is joules over samples, unknown without samples or with a
// negative or non-finite energy.
func energyOf(joules float64, samples int64) Energy {
	if samples <= 0 || !(joules > 0) || joules > 1e300 {
		return Energy{}
	}
	return Energy{Valid: true, Joules: joules, Samples: samples, JoulesPerSample: joules / float64(samples)}
}

// EnergyFromRunner takes the runner's figure (a snapshot's OverallEnergy)
// as it is, in the shape the outputs write.
func EnergyFromRunner(e runner.Energy) Energy {
	if !e.Valid {
		return Energy{}
	}
	return Energy{Valid: true, Joules: e.Joules, Samples: e.Samples, JoulesPerSample: e.JoulesPerSample}
}

// AnyEnergy reports whether some point's energy per sample is known: the
// outputs show the figure only then, so CPU outputs stay as they were.
func AnyEnergy(pts []Point) bool {
	for _, p := range pts {
		if p.Energy.Valid {
			return true
		}
	}
	return false
}

// AnyCompareEnergy reports whether some side's energy per sample is known
// at some batch of a race.
func AnyCompareEnergy(pts []ComparePoint) bool {
	for _, p := range pts {
		if p.A.Energy.Valid || p.B.Energy.Valid {
			return true
		}
	}
	return false
}

// readCounter reads meter for device; a missing meter, a device without a
// counter or a failed read (or a panic in the meter) is unknown.
func readCounter(meter runner.EnergyMeter, device string) (mj uint64, ok bool) {
	if meter == nil {
		return 0, false
	}
	defer func() {
		if recover() != nil {
			mj, ok = 0, false
		}
	}()
	mj, ok, err := meter.ReadEnergy(device)
	if err != nil {
		return 0, false
	}
	return mj, ok
}

// windowEnergy is a window's figure from the counter read where it started
// (start, startOK) and where it ended: unknown unless both reads succeeded
// and the counter advanced (not gone back, not wrapped), as in the runner.
func windowEnergy(start uint64, startOK bool, end uint64, endOK bool, samples int64) Energy {
	if !startOK || !endOK || end <= start {
		return Energy{}
	}
	return energyOf(float64(end-start)/1000, samples)
}
