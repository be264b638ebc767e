package gpuinfo

import (
	"fmt"
	"strings"
)

// Binary units.
const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

// NA is what displays show for a missing reading.
const NA = "n/a"

// BytesToMiB converts bytes to MiB (nvidia-smi's memory unit).
func BytesToMiB(b uint64) float64 { return float64(b) / MiB }

// BytesToGiB converts bytes to GiB.
func BytesToGiB(b uint64) float64 { return float64(b) / GiB }

// FormatBytes prints a size in the largest binary unit that keeps it ≥ 1
// ("1.50 GiB", "512 MiB", "12 B").
func FormatBytes(b uint64) string {
	switch {
	case b >= GiB:
		return fmt.Sprintf("%.2f GiB", BytesToGiB(b))
	case b >= MiB:
		return fmt.Sprintf("%.0f MiB", BytesToMiB(b))
	case b >= KiB:
		return fmt.Sprintf("%.0f KiB", float64(b)/KiB)
	}
	return fmt.Sprintf("%d B", b)
}

// FormatRate prints bytes per second with a binary unit ("1.2 GiB/s").
func FormatRate(bps uint64) string {
	switch {
	case bps >= GiB:
		return fmt.Sprintf("%.1f GiB/s", float64(bps)/GiB)
	case bps >= MiB:
		return fmt.Sprintf("%.1f MiB/s", float64(bps)/MiB)
	case bps >= KiB:
		return fmt.Sprintf("%.1f KiB/s", float64(bps)/KiB)
	}
	return fmt.Sprintf("%d B/s", bps)
}

// Format prints a reading with fmt's verb, or NA when it is missing.
func Format[T any](o Opt[T], verb string) string {
	if !o.OK {
		return NA
	}
	return fmt.Sprintf(verb, o.V)
}

// MemoryMiB prints "used / total MiB" as nvidia-smi does (whole MiB).
func (g GPU) MemoryMiB() string {
	return Format(mib(g.MemoryUsedBytes), "%d") + " / " + Format(mib(g.MemoryTotalBytes), "%d") + " MiB"
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

// mib converts to whole MiB, rounding down as nvidia-smi does.
func mib(b Opt[uint64]) Opt[uint64] {
	if !b.OK {
		return Opt[uint64]{}
	}
	return Some(b.V / MiB)
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
