package gpuinfo

import (
	"fmt"
	"strings"

	"infertop/internal/units"
)

// NA is what displays show for a missing reading.
const NA = "n/a"

// BytesToMiB converts bytes to MiB (nvidia-smi's memory unit).
func BytesToMiB(b uint64) float64 { return float64(b) / units.MiB }

// BytesToGiB converts bytes to GiB.
func BytesToGiB(b uint64) float64 { return float64(b) / units.GiB }

// Format prints a reading with fmt's verb, or NA when it is missing.
func Format[T any](o Opt[T], verb string) string {
	if !o.OK {
		return NA
	}
	return fmt.Sprintf(verb, o.V)
}

// MemoryMiB prints "used / total MiB" as nvidia-smi does (whole MiB).
func (g GPU) MemoryMiB() string {
	return Format(WholeMiB(g.MemoryUsedBytes), "%d") + " / " + Format(WholeMiB(g.MemoryTotalBytes), "%d") + " MiB"
}

// MemoryGiB prints "used / total GiB" with two decimals.
func (g GPU) MemoryGiB() string {
	used, total := NA, NA
	if g.MemoryUsedBytes.OK {
		used = fmt.Sprintf("%.2f", BytesToGiB(g.MemoryUsedBytes.V))
	}
	if g.MemoryTotalBytes.OK {
		total = fmt.Sprintf("%.2f", BytesToGiB(g.MemoryTotalBytes.V))
	}
	return used + " / " + total + " GiB"
}

// WholeMiB converts a reading in bytes to whole MiB, rounding down as
// nvidia-smi does.
func WholeMiB(b Opt[uint64]) Opt[uint64] {
	if !b.OK {
		return Opt[uint64]{}
	}
	return Some(b.V / units.MiB)
}

// Label is "name (bus id)", with a FAKE warning for simulated GPUs whose
// name does not already say so.
func (g GPU) Label() string {
	name := g.Name
	if g.Fake && !strings.HasPrefix(name, "FAKE") {
		name = "FAKE " + name
	}
	return fmt.Sprintf("%s (%s)", name, g.PCIBusID)
}
